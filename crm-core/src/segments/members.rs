//! Memberships of saved segments: who is in each, since when, and every entry and exit.
//!
//! They follow the tenant's change feed with a [`Follower`] whose position is stored beside
//! them (`feed_positions`), in the same transactions: each change names a record, which names a
//! customer (a ticket its customer, a message its conversation's customer, …), and only those
//! customers are evaluated again, against each of their tenant's segments. A customer who
//! starts or stops matching gets a history row and a `segment_membership` feed entry, timed
//! at the change that moved them. Criteria that depend on the clock alone (`lastNDays`,
//! `withinDays`, day counts) move without any change: [`refresh`] evaluates every customer.
//!
//! The follower catches up whenever memberships are read (history, refresh, the change feed
//! for hosts) and before a segment is created or its criteria change.

use super::{Stored, fields};
use crate::catalog::RecordKind;
use crate::criteria::Criteria;
use crate::criteria::sql::Compiler;
use crate::error::Result;
use crate::follow::{self, Follower, Position};
use crate::ids::{CustomerId, SegmentId};
use crate::records::{self, Page};
use crate::sql::Value;
use crate::sql::{Connection, params};
use crate::store::{Cursor, Tx};
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// Feed entries read per step of a catch-up.
const STEP: i64 = 5_000;

/// Entered or left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipChange {
    /// The customer came to match.
    Entered,
    /// The customer stopped matching.
    Exited,
}

/// One entry of a segment's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The customer.
    pub customer_id: CustomerId,
    /// Entered or left.
    pub change: MembershipChange,
    /// When the change was found.
    #[serde(with = "time::rfc3339")]
    pub at: Timestamp,
}

/// What `segments.history` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryRequest {
    /// The segment.
    pub id: SegmentId,
    /// Only this customer's entries.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// How many items a page holds: 50 when absent, at most 500.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// What `segments.refresh` takes: one segment, or all of the tenant's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    /// The segment; every segment of the tenant when absent.
    #[serde(default)]
    pub id: Option<SegmentId>,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Segments evaluated.
    pub segments: u64,
    /// Customers who entered a segment.
    pub entered: u64,
    /// Customers who left one.
    pub exited: u64,
}

/// Applies every feed entry of the transaction's tenant not applied yet.
pub(crate) fn catch_up(tx: &mut Tx<'_>) -> Result<()> {
    let tenant = tx.tenant;
    let head = follow::head(tx, tenant)?;
    let applied = Position::Segments.get(tx, tenant)?;
    if applied.is_some_and(|applied| applied >= head) {
        return Ok(());
    }
    let segments = tenant_segments(tx, tenant)?;
    // Without a segment there is nothing to evaluate: the follower only moves forward.
    if !segments.is_empty() {
        let mut touched: Vec<crate::follow::Entry> = Vec::new();
        Follower::new(tenant, applied.unwrap_or(0)).catch_up(tx, head, STEP, |entries| {
            touched.extend_from_slice(entries);
            Ok(())
        })?;
        apply(tx, &segments, &touched)?;
    }
    // Entries written while applying are memberships: nothing to apply for them.
    let head = follow::head(tx, tenant)?;
    Position::Segments.set(tx, tenant, head)
}

/// Evaluates again the customers that `entries` touched, each timed at its latest change.
fn apply(tx: &mut Tx<'_>, segments: &[Stored], entries: &[crate::follow::Entry]) -> Result<()> {
    let tenant = tx.tenant;
    // Customer → when it last changed.
    let mut touched: HashMap<i64, Timestamp> = HashMap::new();
    for entry in entries {
        let Some(kind) = entry.kind else { continue };
        let Some(customer) = customer_of(tx, tenant, kind, entry.id)? else {
            continue;
        };
        let slot = touched.entry(customer).or_insert(entry.at);
        *slot = (*slot).max(entry.at);
    }
    if touched.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = touched.keys().copied().collect();
    for stored in segments {
        let criteria = stored.criteria()?;
        evaluate(tx, tenant, stored.id, &criteria, Some(&ids), |c| {
            touched.get(&c).copied()
        })?;
    }
    Ok(())
}

/// The customer a changed record belongs to, if any.
fn customer_of(conn: &Connection, tenant: i64, kind: RecordKind, id: i64) -> Result<Option<i64>> {
    let sql = match kind {
        RecordKind::Customer => return Ok(Some(id)),
        RecordKind::Deal => "SELECT customer_id FROM deals WHERE tenant_id = ?1 AND id = ?2",
        RecordKind::Lead => "SELECT customer_id FROM leads WHERE tenant_id = ?1 AND id = ?2",
        RecordKind::Ticket => "SELECT customer_id FROM tickets WHERE tenant_id = ?1 AND id = ?2",
        RecordKind::TicketEvent => {
            "SELECT t.customer_id FROM ticket_events e JOIN tickets t
               ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
              WHERE e.tenant_id = ?1 AND e.id = ?2"
        }
        RecordKind::Conversation => {
            "SELECT customer_id FROM conversations WHERE tenant_id = ?1 AND id = ?2"
        }
        RecordKind::Message => {
            "SELECT c.customer_id FROM messages m JOIN conversations c
               ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
              WHERE m.tenant_id = ?1 AND m.id = ?2"
        }
        RecordKind::Call => "SELECT customer_id FROM calls WHERE tenant_id = ?1 AND id = ?2",
        RecordKind::Activity => {
            "SELECT COALESCE(l.customer_id, d.customer_id) FROM activities a
               LEFT JOIN leads l ON l.tenant_id = a.tenant_id AND l.id = a.lead_id
               LEFT JOIN deals d ON d.tenant_id = a.tenant_id AND d.id = a.deal_id
              WHERE a.tenant_id = ?1 AND a.id = ?2"
        }
        RecordKind::StageChange => {
            "SELECT d.customer_id FROM deal_stage_history h JOIN deals d
               ON d.tenant_id = h.tenant_id AND d.id = h.deal_id
              WHERE h.tenant_id = ?1 AND h.id = ?2"
        }
        _ => return Ok(None),
    };
    let found: Option<Option<i64>> = crate::sql::OptionalExtension::optional(
        conn.prepare_cached(sql)?
            .query_row(params![tenant, id], |r| r.get(0)),
    )?;
    Ok(found.flatten())
}

fn tenant_segments(conn: &Connection, tenant: i64) -> Result<Vec<Stored>> {
    let sql = format!(
        "{} WHERE tenant_id = ?1 ORDER BY id",
        <Stored as records::Record>::SELECT
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![tenant], <Stored as records::Record>::from_row)?;
    rows.collect::<Result<_>>()
}

/// Brings one segment's memberships in line with its criteria for `only` these customers (all
/// when `None`), evaluated at the time each customer changed (`at_of`; the transaction's time
/// when it gives none). Returns (entered, exited).
fn evaluate(
    tx: &mut Tx<'_>,
    tenant: i64,
    segment: SegmentId,
    criteria: &Criteria,
    only: Option<&[i64]>,
    at_of: impl Fn(i64) -> Option<Timestamp>,
) -> Result<(u64, u64)> {
    let now = tx.now;
    let mut params = vec![Value::Integer(tenant)];
    let test = Compiler::new(fields(), "r", now, &mut params).node(&criteria.root)?;
    let mut sql = format!("SELECT r.id FROM customers r WHERE r.tenant_id = ?1 AND {test}");
    let mut current_sql = "SELECT customer_id FROM segment_members
                            WHERE tenant_id = ?1 AND segment_id = ?2"
        .to_owned();
    // The customers to look at, as one list parameter whatever its length.
    let list = only.map(|ids| Value::ids(ids.iter().copied()));
    if let Some(list) = &list {
        params.push(list.clone());
        let _ = write!(sql, " AND r.id IN rarray(?{})", params.len());
        current_sql.push_str(" AND customer_id IN rarray(?3)");
    } else {
        // Every member: the list parameter is bound as NULL.
        current_sql.push_str(" AND CAST(?3 AS BIGINT) IS NULL");
    }
    let matching: BTreeSet<i64> = tx
        .prepare(&sql)?
        .query_map(&params, |r| r.get(0))?
        .collect::<Result<_>>()?;
    let current: BTreeSet<i64> = {
        let mut stmt = tx.prepare_cached(&current_sql)?;
        stmt.query_map(params![tenant, segment, list.unwrap_or(Value::Null)], |r| {
            r.get(0)
        })?
        .collect::<Result<_>>()?
    };
    let mut entered = 0;
    let mut exited = 0;
    for &customer in matching.difference(&current) {
        let at = at_of(customer).unwrap_or(now);
        tx.prepare_cached(
            "INSERT INTO segment_members (tenant_id, segment_id, customer_id, entered_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![tenant, segment, customer, time::to_millis(at)])?;
        record(tx, tenant, segment, customer, MembershipChange::Entered, at)?;
        entered += 1;
    }
    for &customer in current.difference(&matching) {
        let at = at_of(customer).unwrap_or(now);
        tx.prepare_cached(
            "DELETE FROM segment_members WHERE tenant_id = ?1 AND segment_id = ?2 AND customer_id = ?3",
        )?
        .execute(params![tenant, segment, customer])?;
        record(tx, tenant, segment, customer, MembershipChange::Exited, at)?;
        exited += 1;
    }
    Ok((entered, exited))
}

/// A history row and a `segment_membership` feed entry.
fn record(
    tx: &Tx<'_>,
    tenant: i64,
    segment: SegmentId,
    customer: i64,
    change: MembershipChange,
    at: Timestamp,
) -> Result<()> {
    let (word, op) = match change {
        MembershipChange::Entered => ("entered", "create"),
        MembershipChange::Exited => ("exited", "delete"),
    };
    let seq = tx.next_id(RecordKind::SegmentMembership)?;
    tx.prepare_cached(
        "INSERT INTO segment_history (tenant_id, segment_id, customer_id, change, at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tenant,
        segment,
        customer,
        word,
        time::to_millis(at),
        seq
    ])?;
    tx.feed_entry(
        RecordKind::SegmentMembership,
        customer,
        op,
        at,
        Some(segment.0),
    )
}

/// Evaluates every customer of the tenant for `stored` now (a new segment, or new criteria).
pub(super) fn reevaluate(
    tx: &mut Tx<'_>,
    stored: &Stored,
    criteria: &Criteria,
) -> Result<(u64, u64)> {
    let tenant = tx.tenant;
    evaluate(tx, tenant, stored.id, criteria, None, |_| None)
}

/// Takes customers who are leaving the customers table (to the trash, merged or erased) out
/// of every segment they are in, each exit recorded now. Their history stays: it tells how
/// the segments' counts moved.
pub(crate) fn leave_all(tx: &mut Tx<'_>, customers: &[i64]) -> Result<()> {
    if customers.is_empty() {
        return Ok(());
    }
    catch_up(tx)?;
    let tenant = tx.tenant;
    let now = tx.now;
    for &customer in customers {
        let segments: Vec<i64> = tx
            .prepare_cached(
                "SELECT segment_id FROM segment_members WHERE tenant_id = ?1 AND customer_id = ?2",
            )?
            .query_map(params![tenant, customer], |r| r.get(0))?
            .collect::<Result<_>>()?;
        for segment in segments {
            tx.prepare_cached(
                "DELETE FROM segment_members WHERE tenant_id = ?1 AND segment_id = ?2 AND customer_id = ?3",
            )?
            .execute(params![tenant, segment, customer])?;
            record(
                tx,
                tenant,
                SegmentId(segment),
                customer,
                MembershipChange::Exited,
                now,
            )?;
        }
    }
    Ok(())
}

/// Removes a segment's memberships and history (it is being deleted).
pub(super) fn forget(tx: &mut Tx<'_>, segment: SegmentId) -> Result<()> {
    catch_up(tx)?;
    for table in ["segment_members", "segment_history"] {
        tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE tenant_id = ?1 AND segment_id = ?2"
        ))?
        .execute(params![tx.tenant, segment])?;
    }
    Ok(())
}

/// Evaluates every customer for one segment or all of the tenant's, at `tx.now`.
pub(super) fn refresh(
    tx: &mut Tx<'_>,
    only: Option<SegmentId>,
    mut progress: impl FnMut(u64, u64),
) -> Result<RefreshReport> {
    catch_up(tx)?;
    let tenant = tx.tenant;
    let segments: Vec<Stored> = match only {
        Some(id) => vec![records::get::<Stored>(tx, tx.tenant, id.0)?],
        None => tenant_segments(tx, tenant)?,
    };
    let total = segments.len() as u64;
    let mut report = RefreshReport::default();
    for (i, stored) in segments.iter().enumerate() {
        let criteria = stored.criteria()?;
        let (entered, exited) = evaluate(tx, tenant, stored.id, &criteria, None, |_| None)?;
        report.segments += 1;
        report.entered += entered;
        report.exited += exited;
        tx.prepare_cached(
            "UPDATE segments SET refreshed_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
        )?
        .execute(params![tenant, stored.id, time::to_millis(tx.now)])?;
        progress(i as u64 + 1, total);
    }
    // The follower is current: nothing the refresh wrote needs applying.
    let head = follow::head(tx, tenant)?;
    Position::Segments.set(tx, tenant, head)?;
    Ok(report)
}

/// A page of a segment's history, newest first.
pub(super) fn history(
    conn: &Connection,
    tenant: i64,
    request: &HistoryRequest,
) -> Result<Page<HistoryEntry>> {
    const TAG: &str = "segment_history";
    let limit = records::limit(request.limit)?;
    let after = request
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, TAG, "cursor"))
        .transpose()?
        .map_or(i64::MAX, |c| c.key);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, customer_id, change, at FROM segment_history
          WHERE tenant_id = ?1 AND segment_id = ?2 AND (CAST(?3 AS BIGINT) IS NULL OR customer_id = ?3) AND seq < ?4
          ORDER BY seq DESC LIMIT ?5",
    )?;
    let rows: Vec<(i64, HistoryEntry)> = stmt
        .query_map(
            params![
                tenant,
                request.id,
                request.customer_id,
                after,
                i64::from(limit) + 1
            ],
            |r| {
                let change: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    HistoryEntry {
                        customer_id: r.get(1)?,
                        change: if change == "entered" {
                            MembershipChange::Entered
                        } else {
                            MembershipChange::Exited
                        },
                        at: time::from_millis(r.get(3)?),
                    },
                ))
            },
        )?
        .collect::<Result<_>>()?;
    let more = rows.len() > limit as usize;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last().map(|(seq, _)| {
            Cursor {
                key: *seq,
                forward: true,
            }
            .encode(TAG)
        })
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(|(_, e)| e).collect(),
        next_cursor,
        prev_cursor: None,
    })
}

pub(super) fn explain(
    conn: &Connection,
    tenant: i64,
    criteria: &Criteria,
    customer: CustomerId,
    now: Timestamp,
) -> Result<super::Explanation> {
    let (member, why) = crate::criteria::explain::explain(
        conn,
        fields(),
        "customers",
        tenant,
        customer.0,
        criteria,
        now,
    )?;
    Ok(super::Explanation { member, why })
}
