//! The change feed: one entry per committed change, written in the same transaction as the
//! change and its audit entry. Derived data follows it a tenant at a time (segment
//! memberships, lead scores, analytics sums, the search index), and hosts read a tenant's
//! feed with `changes.list` ([`Changes`](crate::changes::Changes)) to mirror or notify without polling every list.
//!
//! Sequence numbers are the tenant's own, taken from its counter (`id_sequences`) inside the
//! writing transaction: they only grow and entries are never deleted. A write transaction
//! holds its tenant's write lock from its first statement to its commit (SQLite's one write
//! lock; on PostgreSQL an advisory lock per tenant, so that tenants write side by side), so
//! within a tenant commit order is sequence order and a reader that saw a tenant's `seq` never
//! later finds a committed entry of that tenant below it. Across tenants there is no order to
//! rely on — which is why every follower (`follow`) keeps a position per tenant and
//! reads one tenant's entries at a time.

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::ids::{SegmentId, UserId};
use crate::methods;
use crate::records;
use crate::sql::Value;
use crate::sql::params;
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ChangeOp {
    Created,
    Updated,
    Deleted,
    /// A ticket linked to a lead or a deal (by hand or by auto-link).
    Linked,
    /// A ticket's link to a lead or a deal removed.
    Unlinked,
    /// A record brought back from the trash (with the rest of its group).
    Restored,
    /// A customer or lead merged into another (`mergedInto`); its id is gone.
    Merged,
    /// A record removed for good by a customer's erasure.
    Erased,
    /// A customer entered a segment (`segment_membership` entries).
    Entered,
    /// A customer left a segment (`segment_membership` entries).
    Exited,
}

/// One change, as `changes.list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Its place in the feed: pass the last one seen as `after`.
    pub seq: i64,
    /// What kind of record changed.
    pub entity_type: RecordKind,
    /// The record's id.
    pub entity_id: i64,
    /// Created, updated or deleted.
    pub op: ChangeOp,
    /// The method that made it (`links.linkTicketToLead`); absent for changes recorded before
    /// the feed kept it.
    pub action: Option<String>,
    /// The user who made the change, if one did.
    pub actor_id: Option<UserId>,
    /// When the change was committed.
    #[serde(with = "time::rfc3339")]
    pub at: Timestamp,
    /// For a `segment_membership` entry (whose `entityId` is the customer): the segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<SegmentId>,
    /// For a `merged` entry: the record it was merged into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
}

/// What `changes.list` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangesRequest {
    /// Changes after this sequence (0 or absent: from the start).
    pub after: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<u32>,
    /// Only these kinds of record; absent for all.
    pub entity_types: Option<Vec<RecordKind>>,
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    /// The changes, oldest first.
    pub items: Vec<Change>,
    /// The `after` of the next call: the last sequence of this page, or `after` when it is empty.
    pub next: i64,
}

/// A page of the tenant's feed after `request.after` (what `changes.list` answers).
pub(crate) fn list(scope: &Scope<'_>, request: &ChangesRequest) -> Result<ChangesPage> {
    let limit = records::limit(request.limit)?;
    let after = request.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::invalid(
            "after",
            format!("must be 0 or more, got {after}"),
        ));
    }
    let kinds = match request.entity_types.as_deref() {
        None => None,
        Some([]) => {
            return Err(Error::invalid(
                "entityTypes",
                "must not be empty; leave it out for all",
            ));
        }
        Some(kinds) => Some(Value::texts(kinds.iter().map(|k| k.as_str()))),
    };
    scope.read(|conn, tenant| {
        let sql = format!(
            "SELECT seq, entity_type, entity_id, op, action, actor_id, at, parent_id FROM change_feed
              WHERE tenant_id = ?1 AND seq > ?2 {} ORDER BY seq LIMIT ?4",
            if kinds.is_some() {
                "AND entity_type IN rarray(?3)"
            } else {
                "AND CAST(?3 AS TEXT) IS NULL"
            }
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let items = stmt
            .query_map(params![tenant, after, kinds, limit], |r| {
                let action: Option<String> = r.get(4)?;
                let entity_type: RecordKind = r.get(1)?;
                let op = op_of(entity_type, &r.get::<_, String>(3)?, action.as_deref());
                let parent: Option<i64> = r.get(7)?;
                Ok(Change {
                    seq: r.get(0)?,
                    entity_type,
                    entity_id: r.get(2)?,
                    op,
                    action,
                    actor_id: r.get::<_, Option<i64>>(5)?.map(UserId),
                    at: time::from_millis(r.get(6)?),
                    segment_id: parent
                        .filter(|_| entity_type == RecordKind::SegmentMembership)
                        .map(SegmentId),
                    merged_into: parent.filter(|_| op == ChangeOp::Merged),
                })
            })?
            .collect::<Result<Vec<_>>>()?;
        let next = items.last().map_or(after, |c| c.seq);
        Ok(ChangesPage { items, next })
    })
}

/// A feed entry's `op` (`create`, `update`, `delete`) and action as a host reads them.
fn op_of(kind: RecordKind, op: &str, action: Option<&str>) -> ChangeOp {
    if kind == RecordKind::SegmentMembership {
        return if op == "delete" {
            ChangeOp::Exited
        } else {
            ChangeOp::Entered
        };
    }
    match (op, action) {
        (_, Some(a)) if a.starts_with("links.unlink") => ChangeOp::Unlinked,
        (_, Some(a)) if a.starts_with("links.link") || a == methods::LINKS_AUTO_LINK => {
            ChangeOp::Linked
        }
        (_, Some(methods::TRASH_RESTORE)) => ChangeOp::Restored,
        ("delete", Some(methods::CUSTOMERS_MERGE | methods::LEADS_MERGE)) => ChangeOp::Merged,
        ("delete", Some(methods::CUSTOMERS_ERASE)) => ChangeOp::Erased,
        ("create", _) => ChangeOp::Created,
        ("delete", _) => ChangeOp::Deleted,
        _ => ChangeOp::Updated,
    }
}
