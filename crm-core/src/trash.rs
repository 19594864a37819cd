//! Deletes that can be undone: `{kind}.delete` moves a record and what goes with it (its
//! **group**) out of the record tables into `trash_groups` / `trash_rows`; `trash.restore`
//! puts the group back exactly; `trash.purge` removes old groups for good.
//!
//! Why rows leave their tables rather than carry a `deleted_at` flag: every read of a record
//! table — get, every list and `where`, search, timelines, segments, the funnel and rep sums,
//! the board, exports, the duplicates finder, auto-link — then sees only live rows without a
//! filter of its own, so a list added tomorrow cannot forget one. The price is paid here, in
//! one place: a group is found by walking the references between tables (`children`), its
//! rows are kept as JSON objects of their columns (so a restore needs no per-table code), and
//! derived data that cannot follow the change feed alone is settled in the same transaction
//! (segment exits, the analytics share of deals, timeline rows by trigger, board totals by
//! trigger). Everything else follows the feed: each record of a group gets a `delete` entry, a
//! restore a `create` entry with action `trash.restore`, and each live record that lost or
//! regained a related record (a customer whose ticket went) an `update` entry, so the search
//! index, memberships and lead scores catch up as after any write.

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::methods;
use crate::records::{self, Page};
use crate::sql::params;
use crate::sql::{Value as SqlValue, ValueRef};
use crate::store::{Cursor, Tx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The kinds `{kind}.delete` takes, with their method.
pub const DELETABLE: &[(RecordKind, &str)] = &[
    (RecordKind::Customer, methods::CUSTOMERS_DELETE),
    (RecordKind::Lead, methods::LEADS_DELETE),
    (RecordKind::Deal, methods::DEALS_DELETE),
    (RecordKind::Ticket, methods::TICKETS_DELETE),
    (RecordKind::Conversation, methods::CONVERSATIONS_DELETE),
    (RecordKind::Message, methods::MESSAGES_DELETE),
    (RecordKind::Call, methods::CALLS_DELETE),
    (RecordKind::Activity, methods::ACTIVITIES_DELETE),
    (RecordKind::Product, methods::PRODUCTS_DELETE),
    (RecordKind::QuoteTemplate, methods::QUOTE_TEMPLATES_DELETE),
    (RecordKind::Quote, methods::QUOTES_DELETE),
];

/// The method deleting `kind`, if it can be deleted.
pub fn delete_method(kind: RecordKind) -> Option<&'static str> {
    DELETABLE
        .iter()
        .find_map(|(k, method)| (*k == kind).then_some(*method))
}

/// How a table's rows relate to the record they point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Records of their own that depend on it: a delete without `cascade` is refused while
    /// there are any; with it they join the group.
    Dependent,
    /// Parts of it (a ticket's events, a deal's stage history): always in the group.
    Part,
    /// A live record's optional reference to it: cleared, and set back by a restore.
    Detached,
}

/// A table whose `column` points at a record.
#[derive(Debug, Clone, Copy)]
struct Child {
    how: How,
    /// The rows' kind, when they are records with an `id`.
    kind: Option<RecordKind>,
    table: &'static str,
    column: &'static str,
}

const fn child(
    how: How,
    kind: Option<RecordKind>,
    table: &'static str,
    column: &'static str,
) -> Child {
    Child {
        how,
        kind,
        table,
        column,
    }
}

/// What points at a record of `kind`. Each reference of the schema to a deletable kind is
/// here (the tests check it against the schema's foreign keys), as a dependent, a part or a
/// reference to clear.
fn children(kind: RecordKind) -> &'static [Child] {
    use How::{Dependent, Detached, Part};
    use RecordKind as K;
    const CUSTOMER: &[Child] = &[
        child(Dependent, Some(K::Lead), "leads", "customer_id"),
        child(Dependent, Some(K::Deal), "deals", "customer_id"),
        child(Dependent, Some(K::Ticket), "tickets", "customer_id"),
        child(
            Dependent,
            Some(K::Conversation),
            "conversations",
            "customer_id",
        ),
        child(Dependent, Some(K::Call), "calls", "customer_id"),
    ];
    const LEAD: &[Child] = &[
        child(Part, Some(K::Activity), "activities", "lead_id"),
        child(Part, None, "lead_scores_by_hand", "lead_id"),
        child(Detached, Some(K::Deal), "deals", "lead_id"),
        child(Detached, Some(K::Ticket), "tickets", "related_lead_id"),
        child(Detached, Some(K::Call), "calls", "lead_id"),
    ];
    const DEAL: &[Child] = &[
        child(Dependent, Some(K::Quote), "quotes", "deal_id"),
        child(Part, Some(K::StageChange), "deal_stage_history", "deal_id"),
        child(Part, Some(K::Activity), "activities", "deal_id"),
        child(Detached, Some(K::Ticket), "tickets", "related_deal_id"),
        child(Detached, Some(K::Call), "calls", "deal_id"),
    ];
    const TICKET: &[Child] = &[child(
        Part,
        Some(K::TicketEvent),
        "ticket_events",
        "ticket_id",
    )];
    const CONVERSATION: &[Child] = &[child(
        Dependent,
        Some(K::Message),
        "messages",
        "conversation_id",
    )];
    const QUOTE: &[Child] = &[
        child(Part, None, "quote_lines", "quote_id"),
        child(Part, Some(K::QuoteActivity), "quote_activities", "quote_id"),
    ];
    match kind {
        K::Customer => CUSTOMER,
        K::Lead => LEAD,
        K::Deal => DEAL,
        K::Ticket => TICKET,
        K::Conversation => CONVERSATION,
        K::Quote => QUOTE,
        _ => &[],
    }
}

/// Rows of `table` whose `column` is `value`, removed together.
#[derive(Debug, Clone)]
struct Step {
    table: &'static str,
    column: &'static str,
    value: i64,
    kind: Option<RecordKind>,
}

/// A live record's reference to a member of the group, to clear.
#[derive(Debug, Clone)]
struct Detach {
    kind: RecordKind,
    table: &'static str,
    id: i64,
    column: &'static str,
    value: i64,
}

/// A group worked out before anything is written.
#[derive(Debug, Default)]
struct Plan {
    /// Children before parents.
    steps: Vec<Step>,
    /// Every record of the group by kind, the root included.
    records: BTreeMap<RecordKind, BTreeSet<i64>>,
    detach: Vec<Detach>,
    /// Without `cascade`: the root's dependents, by kind.
    blocking: BTreeMap<RecordKind, u64>,
}

impl Plan {
    fn has(&self, kind: RecordKind, id: i64) -> bool {
        self.records.get(&kind).is_some_and(|ids| ids.contains(&id))
    }

    /// The group's records of `kind`.
    fn ids(&self, kind: RecordKind) -> Vec<i64> {
        self.records
            .get(&kind)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Every record of the group.
    fn members(&self) -> impl Iterator<Item = (RecordKind, i64)> + '_ {
        self.records
            .iter()
            .flat_map(|(k, ids)| ids.iter().map(move |id| (*k, *id)))
    }
}

fn ids_where(tx: &Tx<'_>, table: &str, column: &str, value: i64) -> Result<Vec<i64>> {
    // Sorted here: `ORDER BY id` would make SQLite walk the tenant's rows in id order rather
    // than the reference's index (ticket events, stage history).
    let sql = format!("SELECT id FROM {table} WHERE tenant_id = ?1 AND {column} = ?2");
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut ids: Vec<i64> = stmt
        .query_map(params![tx.tenant, value], |r| r.get(0))?
        .collect::<Result<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Adds `kind` `id` and everything that goes with it to `plan`, children first.
fn walk(tx: &Tx<'_>, kind: RecordKind, id: i64, cascade: bool, plan: &mut Plan) -> Result<()> {
    if !plan.records.entry(kind).or_default().insert(id) {
        return Ok(());
    }
    for c in children(kind) {
        match c.how {
            How::Dependent => {
                let ids = ids_where(tx, c.table, c.column, id)?;
                let Some(child_kind) = c.kind else { continue };
                if ids.is_empty() {
                    continue;
                }
                // Without cascade the walk never leaves the root: its dependents block it.
                if !cascade {
                    *plan.blocking.entry(child_kind).or_default() += ids.len() as u64;
                    continue;
                }
                for child_id in ids {
                    walk(tx, child_kind, child_id, cascade, plan)?;
                }
            }
            How::Part => {
                if let Some(child_kind) = c.kind {
                    for child_id in ids_where(tx, c.table, c.column, id)? {
                        plan.records.entry(child_kind).or_default().insert(child_id);
                    }
                }
                plan.steps.push(Step {
                    table: c.table,
                    column: c.column,
                    value: id,
                    kind: c.kind,
                });
            }
            How::Detached => {}
        }
    }
    plan.steps.push(Step {
        table: kind.table(),
        column: "id",
        value: id,
        kind: Some(kind),
    });
    Ok(())
}

/// The whole plan of deleting `kind` `id`: the group and the references to clear.
fn plan(tx: &Tx<'_>, kind: RecordKind, id: i64, cascade: bool) -> Result<Plan> {
    let mut plan = Plan::default();
    walk(tx, kind, id, cascade, &mut plan)?;
    let members: Vec<(RecordKind, i64)> = plan.members().collect();
    for (member_kind, member) in members {
        for c in children(member_kind) {
            let (How::Detached, Some(child_kind)) = (c.how, c.kind) else {
                continue;
            };
            for other in ids_where(tx, c.table, c.column, member)? {
                if !plan.has(child_kind, other) {
                    plan.detach.push(Detach {
                        kind: child_kind,
                        table: c.table,
                        id: other,
                        column: c.column,
                        value: member,
                    });
                }
            }
        }
    }
    Ok(plan)
}

/// `{kind}.delete`'s parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteRequest {
    /// The record to delete.
    pub id: i64,
    /// Take the records that depend on it to the trash with it.
    #[serde(default)]
    pub cascade: bool,
    /// Answer what the delete would do and change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a delete moved (or, in a dry run, would move) to the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// The kind of the record deleted.
    pub kind: RecordKind,
    /// Its id.
    pub id: i64,
    /// Its title, as lists show it.
    pub title: String,
    /// Records in the group by kind (plural names, as `customers`), the root included.
    pub records: BTreeMap<String, u64>,
    /// Records in the group, the root included.
    pub group_size: u64,
    /// Live records whose reference to a member of the group was cleared (set back on
    /// restore).
    pub detached: u64,
    /// Nothing was written.
    pub dry_run: bool,
}

/// A group in the trash, as `trash.list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrashItem {
    /// The kind of the record deleted.
    pub kind: RecordKind,
    /// Its id.
    pub id: i64,
    /// Its title, as lists showed it.
    pub title: String,
    /// When it was deleted.
    #[serde(with = "time::rfc3339")]
    pub deleted_at: Timestamp,
    /// Who deleted it.
    pub deleted_by: Option<UserId>,
    /// Records in the group, the root included.
    pub group_size: u64,
}

/// `trash.list`'s parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrashRequest {
    /// Only groups whose deleted record is of this kind.
    pub kind: Option<RecordKind>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// `trash.restore`'s parameters: the record a delete named.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreRequest {
    /// The kind of the record a delete named.
    pub kind: RecordKind,
    /// Its id.
    pub id: i64,
}

/// What a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    /// The kind of the record restored.
    pub kind: RecordKind,
    /// Its id.
    pub id: i64,
    /// Records brought back by plural kind.
    pub records: BTreeMap<String, u64>,
    /// Records in the group, the root included.
    pub group_size: u64,
    /// References set back on live records.
    pub reattached: u64,
}

/// `trash.purge`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurgeRequest {
    /// Groups deleted at least this many days ago (0: every group).
    pub older_than_days: u32,
}

/// What a purge removed for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Purged {
    /// Groups removed.
    pub purged: u64,
    /// Records in them.
    pub records: u64,
}

/// The kinds a group counts as records of its own (parts such as ticket events are not).
fn counted(kind: RecordKind) -> bool {
    delete_method(kind).is_some()
}

fn tally(records: &BTreeMap<RecordKind, BTreeSet<i64>>) -> (BTreeMap<String, u64>, u64) {
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (kind, ids) in records {
        if counted(*kind) && !ids.is_empty() {
            out.insert(kind.plural().to_owned(), ids.len() as u64);
            total += ids.len() as u64;
        }
    }
    (out, total)
}

/// A row as a JSON object of its columns.
fn row_json(row: &crate::sql::Row<'_>, names: &[String]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (i, name) in names.iter().enumerate() {
        let value = match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::from(n),
            ValueRef::Real(f) => Value::from(f),
            ValueRef::Text(t) => Value::String(t.to_owned()),
            ValueRef::Blob(_) => {
                return Err(Error::Internal(format!(
                    "trash: column {name} holds a blob, which the trash does not keep"
                )));
            }
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// Every row of `table` whose `column` is `value`, as JSON objects.
fn rows_where(
    tx: &Tx<'_>,
    table: &str,
    column: &str,
    value: i64,
) -> Result<Vec<Map<String, Value>>> {
    let sql = format!("SELECT * FROM {table} WHERE tenant_id = ?1 AND {column} = ?2");
    let mut stmt = tx.prepare_cached(&sql)?;
    let names: Vec<String> = stmt.column_names();
    let mut out = Vec::new();
    let mut rows = stmt.query(params![tx.tenant, value])?;
    while let Some(r) = rows.next()? {
        out.push(row_json(&r, &names)?);
    }
    Ok(out)
}

fn sql_value(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Number(n) => n.as_i64().map_or_else(
            || SqlValue::Real(n.as_f64().unwrap_or(0.0)),
            SqlValue::Integer,
        ),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// A short name for a record in the trash, from its row.
fn title(kind: RecordKind, row: &Map<String, Value>) -> String {
    let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
    let t = match kind {
        RecordKind::Customer
        | RecordKind::Lead
        | RecordKind::Product
        | RecordKind::QuoteTemplate => text("name").to_owned(),
        RecordKind::Deal => text("title").to_owned(),
        RecordKind::Ticket => text("subject").to_owned(),
        RecordKind::Conversation => match row.get("subject").and_then(Value::as_str) {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => format!("{} conversation", text("channel")),
        },
        RecordKind::Message | RecordKind::Activity => text("body").to_owned(),
        RecordKind::Call => format!(
            "{} call, {} s",
            text("direction"),
            row.get("duration_seconds")
                .and_then(Value::as_i64)
                .unwrap_or(0)
        ),
        RecordKind::Quote => format!(
            "{} rev {}",
            text("number"),
            row.get("revision").and_then(Value::as_i64).unwrap_or(1)
        ),
        _ => String::new(),
    };
    let t: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &t[..at]),
        None => t,
    }
}

/// The record as its `get` shows it, for the audit entry.
fn record_json(tx: &Tx<'_>, kind: RecordKind, id: i64) -> Result<Value> {
    use crate::{activities, calls, conversations, customers, deals, leads, products, quotes};
    use records::get_json;
    let t = tx.tenant;
    match kind {
        RecordKind::Customer => get_json::<customers::Customer>(tx, t, id),
        RecordKind::Lead => get_json::<leads::Lead>(tx, t, id),
        RecordKind::Deal => get_json::<deals::Deal>(tx, t, id),
        RecordKind::Ticket => get_json::<crate::tickets::Ticket>(tx, t, id),
        RecordKind::Conversation => get_json::<conversations::Conversation>(tx, t, id),
        RecordKind::Message => get_json::<conversations::Message>(tx, t, id),
        RecordKind::Call => get_json::<calls::Call>(tx, t, id),
        RecordKind::Activity => get_json::<activities::Activity>(tx, t, id),
        RecordKind::Product => get_json::<products::Product>(tx, t, id),
        RecordKind::QuoteTemplate => get_json::<quotes::templates::QuoteTemplate>(tx, t, id),
        RecordKind::Quote => {
            serde_json::to_value(quotes::load(tx, t, crate::ids::QuoteId(id), tx.now)?)
                .map_err(|e| Error::Internal(format!("cannot serialize a record: {e}")))
        }
        other => Err(Error::invalid(
            "kind",
            format!("{other} records cannot be deleted"),
        )),
    }
}

/// The live records a group's rows point at (a deleted ticket's customer): their derived
/// data (memberships, scores, search documents) changed with the group.
fn neighbours(row: &Map<String, Value>) -> Vec<(RecordKind, i64)> {
    const REFERENCES: &[(&str, RecordKind)] = &[
        ("customer_id", RecordKind::Customer),
        ("lead_id", RecordKind::Lead),
        ("deal_id", RecordKind::Deal),
        ("related_lead_id", RecordKind::Lead),
        ("related_deal_id", RecordKind::Deal),
        ("conversation_id", RecordKind::Conversation),
        ("ticket_id", RecordKind::Ticket),
    ];
    REFERENCES
        .iter()
        .filter_map(|(column, kind)| {
            row.get(*column)
                .and_then(Value::as_i64)
                .map(|id| (*kind, id))
        })
        .collect()
}

/// The root (kind, id) of the trash group holding record `kind` `id`, if one does.
pub(crate) fn group_of(
    conn: &crate::sql::Connection,
    tenant: i64,
    kind: &str,
    id: i64,
) -> Result<Option<(String, i64)>> {
    crate::sql::OptionalExtension::optional(
        conn.prepare_cached(
            "SELECT g.kind, g.record_id FROM trash_rows r JOIN trash_groups g
               ON g.tenant_id = r.tenant_id AND g.id = r.group_id
              WHERE r.tenant_id = ?1 AND r.kind = ?2 AND r.record_id = ?3 AND r.detached = 0",
        )?
        .query_row(params![tenant, kind, id], |r| Ok((r.get(0)?, r.get(1)?))),
    )
}

/// Removes trash groups and their rows for good (a purge, an erasure).
pub(crate) fn remove_groups(tx: &Tx<'_>, groups: &[i64]) -> Result<()> {
    let list = SqlValue::ids(groups.iter().copied());
    tx.prepare_cached("DELETE FROM trash_rows WHERE tenant_id = ?1 AND group_id IN rarray(?2)")?
        .execute(params![tx.tenant, list])?;
    tx.prepare_cached("DELETE FROM trash_groups WHERE tenant_id = ?1 AND id IN rarray(?2)")?
        .execute(params![tx.tenant, list])?;
    Ok(())
}

/// Feed entries (`op`, `action`) for every record among `rows` but the group's root, whose
/// audit entry carries its own.
fn feed_members(
    tx: &Tx<'_>,
    rows: &[(Option<RecordKind>, Map<String, Value>)],
    root: (RecordKind, i64),
    op: &str,
    action: &str,
) -> Result<()> {
    for (kind, row) in rows {
        if let (Some(kind), Some(id)) = (kind, row.get("id").and_then(Value::as_i64))
            && (*kind, id) != root
        {
            tx.feed_change(*kind, id, op, action)?;
        }
    }
    Ok(())
}

/// Feed `update` entries for the live neighbours of a group, each once.
fn touch_neighbours(
    tx: &Tx<'_>,
    rows: &[(Option<RecordKind>, Map<String, Value>)],
    group: &HashSet<(RecordKind, i64)>,
    action: &str,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (_, row) in rows {
        for (kind, id) in neighbours(row) {
            if group.contains(&(kind, id)) || !seen.insert((kind, id)) {
                continue;
            }
            if records::exists(tx, tx.tenant, kind, id)? {
                tx.feed_change(kind, id, "update", action)?;
            }
        }
    }
    Ok(())
}

fn describe(blocking: &BTreeMap<RecordKind, u64>) -> String {
    let parts: Vec<String> = blocking
        .iter()
        .map(|(kind, n)| {
            if *n == 1 {
                format!("1 {}", kind.as_str().replace('_', " "))
            } else {
                format!("{n} {}", kind.plural().replace('_', " "))
            }
        })
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Moves `kind` `request.id` and its group to the trash (see the module's documentation).
pub(crate) fn delete(
    tx: &mut Tx<'_>,
    kind: RecordKind,
    request: &DeleteRequest,
) -> Result<Deleted> {
    let action = delete_method(kind)
        .ok_or_else(|| Error::invalid("kind", format!("{kind} records cannot be deleted")))?;
    let id = request.id;
    let before = record_json(tx, kind, id)?;
    // Members of a group may point at each other (a deal at a lead of the same customer):
    // the keys are checked at commit, when the whole group is gone.
    tx.defer_foreign_keys()?;
    if kind == RecordKind::Quote {
        let status = before.get("status").and_then(Value::as_str).unwrap_or("");
        if status != "draft" {
            return Err(Error::conflict(format!(
                "quote {id} is {status}: a quote that was sent is a record of what was offered; only drafts can be deleted"
            )));
        }
    }
    let plan = plan(tx, kind, id, request.cascade)?;
    if !plan.blocking.is_empty() {
        return Err(Error::conflict_on(
            "cascade",
            format!(
                "{kind} {id} has {}; delete with cascade to move them to the trash with it",
                describe(&plan.blocking)
            ),
        ));
    }
    let (counts, size) = tally(&plan.records);

    // Derived data that must be settled while the rows are still in their tables.
    crate::analytics::forget_deals(tx, &plan.ids(RecordKind::Deal))?;
    crate::segments::leave_all(tx, &plan.ids(RecordKind::Customer))?;

    let group: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM trash_groups WHERE tenant_id = ?1")?
        .query_row(params![tx.tenant], |r| r.get(0))?;
    let root_row = rows_where(tx, kind.table(), "id", id)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(kind.as_str(), id))?;
    let title = title(kind, &root_row);
    tx.prepare_cached(
        "INSERT INTO trash_groups (tenant_id, id, kind, record_id, title, deleted_at, deleted_by, size)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        tx.tenant,
        group,
        kind.as_str(),
        id,
        title,
        time::to_millis(tx.now),
        tx.actor,
        size as i64
    ])?;
    let mut position = 0i64;
    let mut keep = |tx: &Tx<'_>,
                    table: &str,
                    kind: Option<RecordKind>,
                    record: Option<i64>,
                    detached: bool,
                    row: &Map<String, Value>|
     -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO trash_rows (tenant_id, group_id, position, table_name, kind, record_id, detached, row)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            tx.tenant,
            group,
            position,
            table,
            kind.map(RecordKind::as_str),
            record,
            detached,
            Value::Object(row.clone()).to_string()
        ])?;
        position += 1;
        Ok(())
    };

    // References from live records first (restored last), then the rows, children first.
    for d in &plan.detach {
        let mut row = Map::new();
        row.insert("column".into(), Value::from(d.column));
        row.insert("value".into(), Value::from(d.value));
        keep(tx, d.table, Some(d.kind), Some(d.id), true, &row)?;
        tx.prepare_cached(&format!(
            "UPDATE {} SET {} = NULL WHERE tenant_id = ?1 AND id = ?2",
            d.table, d.column
        ))?
        .execute(params![tx.tenant, d.id])?;
        tx.feed_change(d.kind, d.id, "update", action)?;
    }
    let mut removed: Vec<(Option<RecordKind>, Map<String, Value>)> = Vec::new();
    for step in &plan.steps {
        for row in rows_where(tx, step.table, step.column, step.value)? {
            let record = row
                .get("id")
                .and_then(Value::as_i64)
                .filter(|_| step.kind.is_some());
            keep(tx, step.table, step.kind, record, false, &row)?;
            removed.push((step.kind, row));
        }
        tx.prepare_cached(&format!(
            "DELETE FROM {} WHERE tenant_id = ?1 AND {} = ?2",
            step.table, step.column
        ))?
        .execute(params![tx.tenant, step.value])?;
    }

    // The audit entry names the root and what went with it; every record gets a feed entry.
    let note = {
        let mut others = plan.records.clone();
        if let Some(ids) = others.get_mut(&kind) {
            ids.remove(&id);
        }
        let others: BTreeMap<RecordKind, u64> = others
            .into_iter()
            .filter(|(k, ids)| counted(*k) && !ids.is_empty())
            .map(|(k, ids)| (k, ids.len() as u64))
            .collect();
        (!others.is_empty()).then(|| format!("with {}", describe(&others)))
    };
    tx.record_noted_change(action, kind, id, Some(&before), None, note.as_deref())?;
    feed_members(tx, &removed, (kind, id), "delete", action)?;
    touch_neighbours(tx, &removed, &plan.members().collect(), action)?;
    Ok(Deleted {
        kind,
        id,
        title,
        records: counts,
        group_size: size,
        detached: plan.detach.len() as u64,
        dry_run: false,
    })
}

/// One row of a group as stored.
struct Kept {
    table: String,
    kind: Option<RecordKind>,
    record: Option<i64>,
    detached: bool,
    row: Map<String, Value>,
}

fn kept_rows(tx: &Tx<'_>, group: i64) -> Result<Vec<Kept>> {
    let mut stmt = tx.prepare_cached(
        "SELECT table_name, kind, record_id, detached, row FROM trash_rows
          WHERE tenant_id = ?1 AND group_id = ?2 ORDER BY position DESC",
    )?;
    let rows = stmt
        .query_map(params![tx.tenant, group], |r| {
            let kind: Option<String> = r.get(1)?;
            let row: String = r.get(4)?;
            Ok((r.get::<_, String>(0)?, kind, r.get(2)?, r.get(3)?, row))
        })?
        .collect::<Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(table, kind, record, detached, row)| {
            let Ok(Value::Object(row)) = serde_json::from_str(&row) else {
                return Err(Error::Internal(format!(
                    "trash: a row of group {group} is not an object"
                )));
            };
            Ok(Kept {
                table,
                kind: kind.and_then(|k| k.parse().ok()),
                record,
                detached,
                row,
            })
        })
        .collect()
}

/// A table's columns and its foreign keys (column, parent table).
type Shape = (Vec<String>, Vec<(String, String)>);

/// The columns `table` has now (a row kept before a migration added one lacks it).
fn columns(tx: &Tx<'_>, table: &str) -> Result<Vec<String>> {
    tx.columns(table)
}

/// What `table`'s foreign keys point at: (column, parent table).
fn parents(tx: &Tx<'_>, table: &str) -> Result<Vec<(String, String)>> {
    tx.references(table)
}

/// Why `row` of `table` cannot come back: a record it points at is neither live nor in its
/// own group.
fn missing_parent(
    tx: &Tx<'_>,
    parents: &[(String, String)],
    row: &Map<String, Value>,
    group: &HashSet<(RecordKind, i64)>,
) -> Result<Option<String>> {
    for (column, parent) in parents {
        let Some(value) = row.get(column.as_str()).and_then(Value::as_i64) else {
            continue;
        };
        // Every foreign key of a deletable table points at a kind of record.
        let Some(parent_kind) = RecordKind::ALL
            .iter()
            .copied()
            .find(|k| k.table() == parent)
        else {
            continue;
        };
        if group.contains(&(parent_kind, value)) {
            continue;
        }
        if !records::exists(tx, tx.tenant, parent_kind, value)? {
            let kind = parent_kind.as_str();
            return Ok(Some(match group_of(tx, tx.tenant, kind, value)? {
                Some((root_kind, root)) => {
                    format!("its {kind} {value} is in the trash; restore {root_kind} {root} first")
                }
                None => format!("its {kind} {value} no longer exists"),
            }));
        }
    }
    Ok(None)
}

/// Brings back the group whose root is `kind` `id`, exactly as it was.
pub(crate) fn restore(tx: &mut Tx<'_>, request: &RestoreRequest) -> Result<Restored> {
    let RestoreRequest { kind, id } = *request;
    let group: Option<i64> = crate::sql::OptionalExtension::optional(
        tx.prepare_cached(
            "SELECT id FROM trash_groups WHERE tenant_id = ?1 AND kind = ?2 AND record_id = ?3",
        )?
        .query_row(params![tx.tenant, kind.as_str(), id], |r| r.get(0)),
    )?;
    let Some(group) = group else {
        return Err(match group_of(tx, tx.tenant, kind.as_str(), id)? {
            Some((root_kind, root)) => Error::conflict_on(
                "id",
                format!(
                    "{kind} {id} went to the trash with {root_kind} {root}; restore {root_kind} {root}"
                ),
            ),
            None => Error::not_found("trash entry", format!("{kind} {id}")),
        });
    };
    let rows = kept_rows(tx, group)?;
    // Rows come back parents first, but members may point at each other across branches
    // (a ticket at a lead of the same customer): keys are checked at commit.
    tx.defer_foreign_keys()?;
    // An external id another record took meanwhile: refuse before writing anything.
    for kept in rows.iter().filter(|k| !k.detached) {
        let Some(external) = kept.row.get("external_id").and_then(Value::as_str) else {
            continue;
        };
        let sql = format!(
            "SELECT id FROM {} WHERE tenant_id = ?1 AND external_id = ?2",
            kept.table
        );
        let holder: Option<i64> = crate::sql::OptionalExtension::optional(
            tx.prepare_cached(&sql)?
                .query_row(params![tx.tenant, external], |r| r.get(0)),
        )?;
        if let Some(holder) = holder {
            let what = kept
                .kind
                .map_or(kept.table.clone(), |k| k.as_str().to_owned());
            return Err(Error::conflict_on(
                "externalId",
                format!(
                    "{what} {} had externalId {external:?}, which {what} {holder} holds now",
                    kept.record.unwrap_or_default()
                ),
            ));
        }
    }
    let mut records: BTreeMap<RecordKind, BTreeSet<i64>> = BTreeMap::new();
    let mut reattached = 0u64;
    let mut restored: Vec<(Option<RecordKind>, Map<String, Value>)> = Vec::new();
    let mut group_set = HashSet::new();
    for kept in &rows {
        if !kept.detached
            && let (Some(k), Some(r)) = (kept.kind, kept.record)
        {
            group_set.insert((k, r));
        }
    }
    let mut schema: std::collections::HashMap<String, Shape> = std::collections::HashMap::new();
    for kept in &rows {
        if kept.detached {
            let (Some(column), Some(value), Some(record), Some(record_kind)) = (
                kept.row.get("column").and_then(Value::as_str),
                kept.row.get("value").and_then(Value::as_i64),
                kept.record,
                kept.kind,
            ) else {
                continue;
            };
            // Set back only where nothing was set meanwhile.
            let changed = tx
                .prepare_cached(&format!(
                    "UPDATE {} SET {column} = ?3 WHERE tenant_id = ?1 AND id = ?2 AND {column} IS NULL",
                    kept.table
                ))?
                .execute(params![tx.tenant, record, value])?;
            if changed > 0 {
                reattached += 1;
                tx.feed_change(record_kind, record, "update", methods::TRASH_RESTORE)?;
            }
            continue;
        }
        // A table's columns and keys, read once per restore.
        if !schema.contains_key(&kept.table) {
            let shape = (columns(tx, &kept.table)?, parents(tx, &kept.table)?);
            schema.insert(kept.table.clone(), shape);
        }
        let (have, keys) = &schema[&kept.table];
        if let Some(reason) = missing_parent(tx, keys, &kept.row, &group_set)? {
            let what = kept
                .kind
                .map_or(kept.table.clone(), |k| k.as_str().to_owned());
            return Err(Error::conflict_on(
                "id",
                format!(
                    "{kind} {id} cannot come back: {what} {} of its group: {reason}",
                    kept.record.unwrap_or_default()
                ),
            ));
        }
        let cols: Vec<&String> = have.iter().filter(|c| kept.row.contains_key(*c)).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            kept.table,
            cols.iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            (1..=cols.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let values: Vec<SqlValue> = cols.iter().map(|c| sql_value(&kept.row[*c])).collect();
        tx.prepare_cached(&sql)?.execute(&values)?;
        if let (Some(k), Some(r)) = (kept.kind, kept.record) {
            records.entry(k).or_default().insert(r);
        }
        restored.push((kept.kind, kept.row.clone()));
    }
    tx.prepare_cached("DELETE FROM trash_rows WHERE tenant_id = ?1 AND group_id = ?2")?
        .execute(params![tx.tenant, group])?;
    tx.prepare_cached("DELETE FROM trash_groups WHERE tenant_id = ?1 AND id = ?2")?
        .execute(params![tx.tenant, group])?;
    let after = record_json(tx, kind, id)?;
    tx.record_change(methods::TRASH_RESTORE, kind, id, None, Some(&after))?;
    feed_members(tx, &restored, (kind, id), "create", methods::TRASH_RESTORE)?;
    touch_neighbours(tx, &restored, &group_set, methods::TRASH_RESTORE)?;
    let (counts, size) = tally(&records);
    Ok(Restored {
        kind,
        id,
        records: counts,
        group_size: size,
        reattached,
    })
}

/// A page of the trash's groups, newest first.
fn list(
    conn: &crate::sql::Connection,
    tenant: i64,
    request: &TrashRequest,
) -> Result<Page<TrashItem>> {
    const TAG: &str = "trash";
    let limit = records::limit(request.limit)?;
    if let Some(kind) = request.kind
        && delete_method(kind).is_none()
    {
        return Err(Error::invalid(
            "kind",
            format!("{kind} records cannot be deleted, so none are in the trash"),
        ));
    }
    let before = request
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, TAG, "cursor"))
        .transpose()?
        .map_or(i64::MAX, |c| c.key);
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, record_id, title, deleted_at, deleted_by, size FROM trash_groups
          WHERE tenant_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2) AND id < ?3
          ORDER BY id DESC LIMIT ?4",
    )?;
    let rows: Vec<(i64, TrashItem)> = stmt
        .query_map(
            params![
                tenant,
                request.kind.map(RecordKind::as_str),
                before,
                i64::from(limit) + 1
            ],
            |r| {
                Ok((
                    r.get(0)?,
                    TrashItem {
                        kind: r.get(1)?,
                        id: r.get(2)?,
                        title: r.get(3)?,
                        deleted_at: time::from_millis(r.get(4)?),
                        deleted_by: r.get::<_, Option<i64>>(5)?.map(UserId),
                        group_size: r.get::<_, i64>(6)? as u64,
                    },
                ))
            },
        )?
        .collect::<Result<_>>()?;
    let more = rows.len() > limit as usize;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last().map(|(key, _)| {
            Cursor {
                key: *key,
                forward: true,
            }
            .encode(TAG)
        })
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
        prev_cursor: None,
    })
}

/// Removes groups deleted at least `days` days before `now` for good.
fn purge(tx: &mut Tx<'_>, days: u32) -> Result<Purged> {
    let cutoff = time::to_millis(tx.now) - i64::from(days) * 86_400_000;
    let old: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT id, size FROM trash_groups WHERE tenant_id = ?1 AND deleted_at <= ?2",
        )?
        .query_map(params![tx.tenant, cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    let groups: Vec<i64> = old.iter().map(|(id, _)| *id).collect();
    remove_groups(tx, &groups)?;
    Ok(Purged {
        purged: groups.len() as u64,
        records: old.iter().map(|(_, size)| *size as u64).sum(),
    })
}

/// `{kind}.delete` and `trash.*`.
#[derive(Debug, Clone, Copy)]
pub struct Trash<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Deleting records, and the trash they go to.
    pub fn trash(&self) -> Trash<'_, 'c> {
        Trash(self)
    }
}

impl Trash<'_, '_> {
    /// `{kind}.delete`: moves the record (with `cascade`, the records depending on it too) to
    /// the trash; with `dryRun`, answers the same and keeps nothing.
    pub fn delete(&self, kind: RecordKind, request: &DeleteRequest) -> Result<Deleted> {
        if request.dry_run {
            self.0
                .write_rolled_back(|tx| delete(tx, kind, request))
                .map(|d| Deleted { dry_run: true, ..d })
        } else {
            self.0.write(|tx| delete(tx, kind, request))
        }
    }

    /// `trash.list`: the groups in the trash, newest first.
    pub fn list(&self, request: &TrashRequest) -> Result<Page<TrashItem>> {
        self.0.read(|c, t| list(c, t, request))
    }

    /// `trash.restore`.
    pub fn restore(&self, request: &RestoreRequest) -> Result<Restored> {
        self.0.write(|tx| restore(tx, request))
    }

    /// `trash.purge` (admin only).
    pub fn purge(&self, request: &PurgeRequest) -> Result<Purged> {
        self.0.write_as_admin(methods::TRASH_PURGE, |tx| {
            purge(tx, request.older_than_days)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every foreign key of the schema that points at a kind that can be deleted is one of
    /// [`children`] (or a segment membership, which a delete ends as an exit): a table added
    /// with a reference to a customer fails here until its rows have a place in a group.
    #[test]
    fn every_reference_to_a_deletable_kind_is_a_dependent_a_part_or_detached() {
        let crm = crate::Crm::open_in_memory().unwrap();
        let (tables, references) = crm
            .read(|c| {
                let tables = c.tables()?;
                let mut references: Vec<(String, String, String)> = Vec::new();
                for table in &tables {
                    for (column, parent) in c.references(table)? {
                        references.push((table.clone(), column, parent));
                    }
                }
                Ok((tables.len(), references))
            })
            .unwrap();
        let mut checked = 0;
        for (table, column, parent) in references {
            let Some((kind, _)) = DELETABLE.iter().find(|(k, _)| k.table() == parent) else {
                continue;
            };
            checked += 1;
            if table == "segment_members" || table == "trash_rows" {
                continue;
            }
            assert!(
                children(*kind)
                    .iter()
                    .any(|c| c.table == table && c.column == column),
                "{table}.{column} points at {parent}: say in trash::children how it goes"
            );
        }
        assert!(
            checked >= 15,
            "the schema's references were read ({checked} of {tables} tables)"
        );
    }

    #[test]
    fn titles_are_short_single_lines() {
        let mut row = Map::new();
        row.insert(
            "body".into(),
            Value::from(format!("line one\nline two {}", "é".repeat(200))),
        );
        let t = title(RecordKind::Message, &row);
        assert!(t.starts_with("line one line two"));
        assert_eq!(t.chars().count(), 81);
        assert!(t.ends_with('…'));
    }
}
