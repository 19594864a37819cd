//! Followers of the change feed, per tenant: where each derived structure (segment
//! memberships, lead scores, analytics sums, the search index) is in a tenant's feed, and the
//! [`Follower`] that reads the entries after it.
//!
//! Within a tenant commit order is sequence order ([`crate::feed`]); across tenants it need not
//! be on a server where tenants write side by side, so positions are kept per tenant and
//! entries read one tenant at a time.

use crate::catalog::RecordKind;
use crate::error::Result;
use crate::sql::{Connection, OptionalExtension, params};
use crate::time::{self, Timestamp};
use std::collections::BTreeMap;

/// The latest change-feed sequence of `tenant` on `conn` (0 before its first entry). Within a
/// tenant commit order is sequence order ([`crate::feed`]), so it moves with every commit.
pub(crate) fn head(conn: &Connection, tenant: i64) -> Result<i64> {
    conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM change_feed WHERE tenant_id = ?1")?
        .query_row(params![tenant], |r| r.get(0))
}

/// The latest sequence of every tenant that has entries.
pub(crate) fn heads(conn: &Connection) -> Result<BTreeMap<i64, i64>> {
    conn.prepare_cached("SELECT tenant_id, MAX(seq) FROM change_feed GROUP BY tenant_id")?
        .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// The followers whose positions `feed_positions` keeps (the search index keeps its own, in
/// its commits, so that the index and its position commit together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Segment memberships.
    Segments,
    /// Lead scores.
    Scoring,
    /// The funnel's and rep performance's sums.
    Analytics,
}

impl Position {
    fn name(self) -> &'static str {
        match self {
            Position::Segments => "segments",
            Position::Scoring => "scoring",
            Position::Analytics => "analytics",
        }
    }

    /// The last sequence applied for `tenant`; `None` before the follower first ran for it.
    pub(crate) fn get(self, conn: &Connection, tenant: i64) -> Result<Option<i64>> {
        conn.prepare_cached(
            "SELECT applied FROM feed_positions WHERE tenant_id = ?1 AND follower = ?2",
        )?
        .query_row(params![tenant, self.name()], |r| r.get(0))
        .optional()
    }

    /// Records that everything of `tenant` up to `applied` is applied, in the caller's
    /// transaction (the one that applied it).
    pub(crate) fn set(self, conn: &Connection, tenant: i64, applied: i64) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO feed_positions (tenant_id, follower, applied) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, follower) DO UPDATE SET applied = excluded.applied",
        )?
        .execute(params![tenant, self.name(), applied])?;
        Ok(())
    }

    /// `true` when everything of `tenant` committed is applied.
    pub(crate) fn is_current(self, conn: &Connection, tenant: i64) -> Result<bool> {
        match self.get(conn, tenant)? {
            Some(applied) => Ok(applied >= head(conn, tenant)?),
            None => Ok(false),
        }
    }
}

/// One entry as a follower reads it: which record changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub seq: i64,
    /// The tenant's row id.
    pub tenant: i64,
    /// `None` for an entity type this version does not know (written by a newer one).
    pub kind: Option<RecordKind>,
    pub id: i64,
    /// When the change was committed.
    pub at: Timestamp,
}

/// Follows one tenant's feed for one derived structure: it knows the last sequence applied
/// and hands the entries after it to `apply`, in order, a step at a time. Where the applied
/// sequence is persisted is the structure's business ([`Position`], or the search index's
/// commit payload), so that the structure and its position commit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Follower {
    tenant: i64,
    applied: i64,
}

impl Follower {
    /// A follower of `tenant` that has applied everything up to `applied`.
    pub(crate) fn new(tenant: i64, applied: i64) -> Self {
        Follower { tenant, applied }
    }

    /// The last sequence applied.
    pub(crate) fn applied(self) -> i64 {
        self.applied
    }

    /// Applies every entry of the tenant after the last applied one up to `to`, up to `step`
    /// entries per call of `apply`, in sequence order. On an error the position stays after
    /// the last step that succeeded.
    pub(crate) fn catch_up(
        &mut self,
        conn: &Connection,
        to: i64,
        step: i64,
        mut apply: impl FnMut(&[Entry]) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, tenant_id, entity_type, entity_id, at FROM change_feed
              WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4",
        )?;
        while self.applied < to {
            let entries = stmt
                .query_map(params![self.tenant, self.applied, to, step], |r| {
                    Ok(Entry {
                        seq: r.get(0)?,
                        tenant: r.get(1)?,
                        kind: r.get::<_, String>(2)?.parse().ok(),
                        id: r.get(3)?,
                        at: time::from_millis(r.get(4)?),
                    })
                })?
                .collect::<Result<Vec<_>>>()?;
            apply(&entries)?;
            // A short step is the last: nothing of the tenant is left up to `to`.
            self.applied = match entries.last() {
                Some(last) if entries.len() as i64 == step => last.seq,
                _ => to,
            };
        }
        Ok(())
    }
}
