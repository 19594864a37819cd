//! Duplicates and merging (`customers.duplicates`, `customers.merge`, `leads.merge`).
//!
//! Duplicates are found through the match keys links already keep on every customer (an email
//! in any case, a phone in any format as E.164, a company's folded name), each kind of key
//! walked in its index's order, so a page costs what it shows plus the rows between its
//! groups. A merge moves every record of the sources to the target in one transaction — the
//! timeline follows by trigger, segment memberships end for the sources (an exit each) and are
//! evaluated again for the target through the feed — unites tags, takes the fields the request
//! names from a source, and ends the sources: their ids answer `not_found` with `mergedInto`.

use crate::catalog::RecordKind;
use crate::customers::{Customer, MAX_TAGS};
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::leads::Lead;
use crate::methods;
use crate::records::{self, Page};
use crate::sql::params;
use crate::store::Tx;
use crate::tenancy::{Role, Scope};
use crate::time;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How the customers of a duplicate group match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DuplicateKey {
    /// The same email in any case.
    Email,
    /// The same phone number in any format.
    Phone,
    /// The same name (in any case) at the same company (legal forms and punctuation aside).
    NameAndCompany,
}

const KEYS: [DuplicateKey; 3] = [
    DuplicateKey::Email,
    DuplicateKey::Phone,
    DuplicateKey::NameAndCompany,
];

/// Customers that share a match key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateGroup {
    /// Which key they share.
    pub key: DuplicateKey,
    /// The key they share, as stored (`ada@example.com`, `+14155550132`, `acme · ada lovelace`).
    pub value: String,
    /// Oldest first: the one a merge usually keeps.
    pub ids: Vec<CustomerId>,
}

/// `customers.duplicates`' parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DuplicatesRequest {
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// Where a page of duplicates starts: a kind of key and the last value shown of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    key: usize,
    after: Vec<String>,
}

const CURSOR_TAG: &str = "duplicates";

impl Position {
    fn encode(&self) -> String {
        let json = serde_json::to_string(&(CURSOR_TAG, self)).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(text: &str) -> Result<Position> {
        let bad = || {
            Error::invalid(
                "cursor",
                "not a cursor of this list (pass back a nextCursor unchanged)",
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad())?;
        let (tag, position): (String, Position) =
            serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let width = if position.key == 2 { 2 } else { 1 };
        if tag != CURSOR_TAG || position.key >= KEYS.len() || position.after.len() != width {
            return Err(bad());
        }
        Ok(position)
    }
}

/// A page of duplicate groups: every email group, then phone, then name and company.
fn duplicates(
    conn: &crate::sql::Connection,
    tenant: i64,
    request: &DuplicatesRequest,
) -> Result<Page<DuplicateGroup>> {
    let limit = records::limit(request.limit)? as usize;
    let start = request
        .cursor
        .as_deref()
        .map(Position::decode)
        .transpose()?;
    let mut items: Vec<(Position, DuplicateGroup)> = Vec::new();
    for (n, key) in KEYS.iter().enumerate() {
        let after = match &start {
            Some(p) if p.key > n => continue,
            Some(p) if p.key == n => p.after.clone(),
            _ => Vec::new(),
        };
        let wanted = limit + 1 - items.len();
        if wanted == 0 {
            break;
        }
        let first = after.first().cloned().unwrap_or_default();
        let groups = match key {
            DuplicateKey::Email => keyed_groups(conn, tenant, "email_key", &first, wanted)?,
            DuplicateKey::Phone => keyed_groups(conn, tenant, "phone_key", &first, wanted)?,
            DuplicateKey::NameAndCompany => {
                let second = after.get(1).cloned().unwrap_or_default();
                company_groups(conn, tenant, &first, &second, wanted)?
            }
        };
        for (after, ids) in groups {
            let value = after.join(" · ");
            items.push((
                Position { key: n, after },
                DuplicateGroup {
                    key: *key,
                    value,
                    ids: ids.into_iter().map(CustomerId).collect(),
                },
            ));
        }
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|(p, _)| p.encode())
    } else {
        None
    };
    Ok(Page {
        items: items.into_iter().map(|(_, g)| g).collect(),
        next_cursor,
        prev_cursor: None,
    })
}

/// Up to `wanted` groups of customers sharing `column` (a match key) after `after`, walking
/// the key's index in order: ([the key], ids oldest first).
fn keyed_groups(
    conn: &crate::sql::Connection,
    tenant: i64,
    column: &str,
    after: &str,
    wanted: usize,
) -> Result<Vec<(Vec<String>, Vec<i64>)>> {
    let sql = format!(
        "SELECT {column}, string_agg(CAST(id AS TEXT), ',') FROM customers
          WHERE tenant_id = ?1 AND {column} IS NOT NULL AND {column} > ?2
          GROUP BY {column} HAVING count(*) > 1 ORDER BY {column} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![tenant, after, wanted as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|(key, ids)| {
            let mut ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
            ids.sort_unstable();
            (vec![key], ids)
        })
        .collect())
}

/// Up to `wanted` groups of customers with the same name (in any case) at the same company
/// after (`company`, `name`): the company key's index walked in order, each company's names
/// grouped here (an index on the name too would cost every customer written).
fn company_groups(
    conn: &crate::sql::Connection,
    tenant: i64,
    company: &str,
    name: &str,
    wanted: usize,
) -> Result<Vec<(Vec<String>, Vec<i64>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT company_key, crm_lower(name), id FROM customers
          WHERE tenant_id = ?1 AND company_key IS NOT NULL AND company_key >= ?2
          ORDER BY company_key",
    )?;
    let mut rows = stmt.query(params![tenant, company])?;
    let mut out: Vec<(Vec<String>, Vec<i64>)> = Vec::new();
    let mut current: Option<String> = None;
    let mut names: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let flush = |key: &str, names: &mut BTreeMap<String, Vec<i64>>, out: &mut Vec<_>| {
        for (n, mut ids) in std::mem::take(names) {
            if ids.len() > 1 && (key != company || n.as_str() > name) {
                ids.sort_unstable();
                out.push((vec![key.to_owned(), n], ids));
            }
        }
    };
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        if current.as_deref() != Some(key.as_str()) {
            if let Some(done) = current.take() {
                flush(&done, &mut names, &mut out);
                if out.len() >= wanted {
                    out.truncate(wanted);
                    return Ok(out);
                }
            }
            current = Some(key);
        }
        names.entry(r.get(1)?).or_default().push(r.get(2)?);
    }
    if let Some(done) = current {
        flush(&done, &mut names, &mut out);
    }
    out.truncate(wanted);
    Ok(out)
}

/// `customers.merge` and `leads.merge`' parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeRequest {
    /// The record that stays.
    pub target_id: i64,
    /// The records merged into it (and then removed).
    pub source_ids: Vec<i64>,
    /// Fields the target takes from a source (`{"email": 7}`); the target keeps the rest.
    #[serde(default)]
    pub fields: BTreeMap<String, i64>,
    /// Say what the merge would do; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a merge did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Merged {
    /// The record that stayed.
    pub target_id: i64,
    /// Records moved from the sources to the target, by plural kind.
    pub moved: BTreeMap<String, u64>,
    /// The fields taken from a source, with the value the target holds now.
    pub fields: BTreeMap<String, Value>,
    /// Nothing was written.
    pub dry_run: bool,
}

const MAX_SOURCES: usize = 100;

/// The checks both merges share (`allowed`: the fields a target may take from a source),
/// then the target and the sources as they are.
fn prepare<R: records::Record>(
    tx: &Tx<'_>,
    kind: RecordKind,
    allowed: &[&str],
    request: &MergeRequest,
) -> Result<(R, BTreeMap<i64, R>)> {
    check_ids(tx, kind, request)?;
    for field in request.fields.keys() {
        if !allowed.contains(&field.as_str()) {
            return Err(unknown_field(kind, field, allowed));
        }
    }
    let target = records::get(tx, tx.tenant, request.target_id)?;
    let mut sources = BTreeMap::new();
    for id in &request.source_ids {
        sources.insert(*id, records::get(tx, tx.tenant, *id)?);
    }
    Ok((target, sources))
}

/// The references a merge names: a live target, live sources other than it, each once.
fn check_ids(tx: &Tx<'_>, kind: RecordKind, request: &MergeRequest) -> Result<()> {
    if request.source_ids.is_empty() {
        return Err(Error::invalid(
            "sourceIds",
            "name at least one record to merge",
        ));
    }
    if request.source_ids.len() > MAX_SOURCES {
        return Err(Error::invalid(
            "sourceIds",
            format!("at most {MAX_SOURCES} records at once"),
        ));
    }
    let live = |field: &str, id: i64| -> Result<()> {
        if records::exists(tx, tx.tenant, kind, id)? {
            Ok(())
        } else if crate::trash::group_of(tx, tx.tenant, kind.as_str(), id)?.is_some() {
            Err(Error::invalid(
                field,
                format!("{kind} {id} is in the trash; restore it first"),
            ))
        } else {
            // A reference the request makes, like any other: `invalid_input` on its field
            // (another tenant's record reads exactly as one that never was).
            let into = records::missing(tx, tx.tenant, kind, id)?.merged_into();
            Err(Error::invalid(
                field,
                match into {
                    Some(into) => format!("{kind} {id} was merged into {kind} {into}"),
                    None => format!("{kind} {id} not found"),
                },
            ))
        }
    };
    live("targetId", request.target_id)?;
    let mut seen = BTreeSet::new();
    for (i, id) in request.source_ids.iter().enumerate() {
        let field = format!("sourceIds[{i}]");
        if *id == request.target_id {
            return Err(Error::invalid(field, format!("{kind} {id} is the target")));
        }
        if !seen.insert(*id) {
            return Err(Error::invalid(field, format!("{kind} {id} is named twice")));
        }
        live(&field, *id)?;
    }
    for (field, source) in &request.fields {
        if !request.source_ids.contains(source) {
            return Err(Error::invalid(
                format!("fields.{field}"),
                format!("{kind} {source} is not one of sourceIds"),
            ));
        }
    }
    Ok(())
}

/// Ids of `table` whose `column` is one of `sources`.
fn ids_of(tx: &Tx<'_>, table: &str, column: &str, sources: &[i64]) -> Result<Vec<i64>> {
    let sql = format!("SELECT id FROM {table} WHERE tenant_id = ?1 AND {column} IN rarray(?2)");
    let list = crate::sql::Value::ids(sources.iter().copied());
    let mut ids: Vec<i64> = tx
        .prepare_cached(&sql)?
        .query_map(params![tx.tenant, list], |r| r.get(0))?
        .collect::<Result<_>>()?;
    // Sorted here, so that SQLite reads the reference's index rather than every id in order.
    ids.sort_unstable();
    Ok(ids)
}

/// Points `column` of `table`'s rows from the sources to the target; each moved record's feed
/// entry when it is a record (`kind`). Returns the ids moved.
fn repoint(
    tx: &Tx<'_>,
    table: &str,
    column: &str,
    kind: Option<RecordKind>,
    sources: &[i64],
    target: i64,
    action: &str,
) -> Result<Vec<i64>> {
    let ids = ids_of(tx, table, column, sources)?;
    let list = crate::sql::Value::ids(sources.iter().copied());
    tx.prepare_cached(&format!(
        "UPDATE {table} SET {column} = ?3 WHERE tenant_id = ?1 AND {column} IN rarray(?2)"
    ))?
    .execute(params![tx.tenant, list, target])?;
    if let Some(kind) = kind {
        for id in &ids {
            tx.feed_change(kind, *id, "update", action)?;
        }
    }
    Ok(ids)
}

/// Records the end of a source: its audit entry (the record before, a note naming the target)
/// and a feed entry whose `parent_id` is the target, then its `merged_records` row.
fn end_source<T: Serialize>(
    tx: &mut Tx<'_>,
    kind: RecordKind,
    action: &str,
    source: &T,
    id: i64,
    target: i64,
) -> Result<()> {
    tx.prepare_cached(&format!(
        "DELETE FROM {} WHERE tenant_id = ?1 AND id = ?2",
        kind.table()
    ))?
    .execute(params![tx.tenant, id])?;
    tx.record_noted_change(
        action,
        kind,
        id,
        Some(source),
        None,
        Some(&format!("merged into {kind} {target}")),
    )?;
    tx.execute(
        // The entry just written: the tenant's newest.
        "UPDATE change_feed SET parent_id = ?1
          WHERE tenant_id = ?2 AND seq = (SELECT MAX(seq) FROM change_feed WHERE tenant_id = ?2)",
        params![target, tx.tenant],
    )?;
    tx.prepare_cached(
        "INSERT INTO merged_records (tenant_id, kind, id, into_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        tx.tenant,
        kind.as_str(),
        id,
        target,
        time::to_millis(tx.now)
    ])?;
    Ok(())
}

/// Ends the sources, then writes the target with a note naming them.
fn conclude<R: records::Record + Serialize>(
    tx: &mut Tx<'_>,
    kind: RecordKind,
    action: &str,
    originals: &BTreeMap<i64, R>,
    (before, after): (&R, &R),
) -> Result<()> {
    let target = after.id();
    for (id, source) in originals {
        end_source(tx, kind, action, source, *id, target)?;
    }
    let note = format!(
        "merged {} into it",
        originals
            .keys()
            .map(|s| format!("{kind} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    tx.replace_noted(action, before, after, Some(&note))
}

fn unknown_field(kind: RecordKind, field: &str, allowed: &[&str]) -> Error {
    Error::invalid(
        format!("fields.{field}"),
        format!(
            "a merged {kind} cannot take {field:?} from a source; it can take {}",
            allowed.join(", ")
        ),
    )
}

/// Sets `after.field` to the source's value and answers that value as JSON.
macro_rules! take {
    ($after:ident . $field:ident, $source:ident) => {{
        $after.$field.clone_from(&$source.$field);
        serde_json::to_value(&$source.$field)
    }};
}

const CUSTOMER_FIELDS: &[&str] = &[
    "externalId",
    "name",
    "email",
    "phone",
    "company",
    "churnRisk",
];

fn merge_customers(tx: &mut Tx<'_>, request: &MergeRequest) -> Result<Merged> {
    let action = methods::CUSTOMERS_MERGE;
    let (before, originals): (Customer, _) =
        prepare(tx, RecordKind::Customer, CUSTOMER_FIELDS, request)?;
    let target = request.target_id;
    let sources = &request.source_ids;
    let mut after = before.clone();
    let mut taken = BTreeMap::new();
    for (field, from) in &request.fields {
        let s = &originals[from];
        let value = match field.as_str() {
            "externalId" => take!(after.external_id, s),
            "name" => take!(after.name, s),
            "email" => take!(after.email, s),
            "phone" => take!(after.phone, s),
            "company" => take!(after.company, s),
            _ => take!(after.churn_risk, s),
        }
        .map_err(|e| Error::Internal(format!("cannot serialize a value: {e}")))?;
        taken.insert(field.clone(), value);
    }
    for s in originals.values() {
        for tag in &s.tags {
            if !after.tags.contains(tag) {
                after.tags.push(tag.clone());
            }
        }
        after.last_contact_at = after.last_contact_at.max(s.last_contact_at);
    }
    if after.tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "sourceIds",
            format!(
                "together they have {} tags; a customer holds at most {MAX_TAGS}",
                after.tags.len()
            ),
        ));
    }
    after.updated_at = tx.now;

    // The sources leave their segments now; the target is evaluated again through the feed.
    crate::segments::leave_all(tx, sources)?;
    let mut moved = BTreeMap::new();
    let mut activities = 0;
    for (table, kind) in [
        ("leads", RecordKind::Lead),
        ("deals", RecordKind::Deal),
        ("tickets", RecordKind::Ticket),
        ("conversations", RecordKind::Conversation),
        ("calls", RecordKind::Call),
        ("quotes", RecordKind::Quote),
    ] {
        let ids = repoint(
            tx,
            table,
            "customer_id",
            Some(kind),
            sources,
            target,
            action,
        )?;
        // The moved leads' and deals' activities come along with them.
        activities += match kind {
            RecordKind::Lead => ids_of(tx, "activities", "lead_id", &ids)?.len(),
            RecordKind::Deal => ids_of(tx, "activities", "deal_id", &ids)?.len(),
            _ => 0,
        };
        moved.insert(table.to_owned(), ids.len() as u64);
    }
    repoint(
        tx,
        "quote_activities",
        "customer_id",
        None,
        sources,
        target,
        action,
    )?;
    moved.insert("activities".to_owned(), activities as u64);

    conclude(
        tx,
        RecordKind::Customer,
        action,
        &originals,
        (&before, &after),
    )?;
    Ok(Merged {
        target_id: target,
        moved,
        fields: taken,
        dry_run: false,
    })
}

const LEAD_FIELDS: &[&str] = &[
    "externalId",
    "name",
    "email",
    "phone",
    "company",
    "status",
    "score",
    "ownerId",
    "source",
    "customerId",
];

fn merge_leads(tx: &mut Tx<'_>, request: &MergeRequest) -> Result<Merged> {
    let action = methods::LEADS_MERGE;
    let (before, originals): (Lead, _) = prepare(tx, RecordKind::Lead, LEAD_FIELDS, request)?;
    let target = request.target_id;
    let sources = &request.source_ids;
    let mut after = before.clone();
    let mut taken = BTreeMap::new();
    for (field, from) in &request.fields {
        let s = &originals[from];
        let value = match field.as_str() {
            "externalId" => take!(after.external_id, s),
            "name" => take!(after.name, s),
            "email" => take!(after.email, s),
            "phone" => take!(after.phone, s),
            "company" => take!(after.company, s),
            "status" => take!(after.status, s),
            "score" => take!(after.score, s),
            "ownerId" => take!(after.owner_id, s),
            "source" => take!(after.source, s),
            _ => take!(after.customer_id, s),
        }
        .map_err(|e| Error::Internal(format!("cannot serialize a value: {e}")))?;
        taken.insert(field.clone(), value);
    }
    after.updated_at = tx.now;
    let mut moved = BTreeMap::new();
    for (table, column, kind, name) in [
        ("activities", "lead_id", RecordKind::Activity, "activities"),
        ("deals", "lead_id", RecordKind::Deal, "deals"),
        ("tickets", "related_lead_id", RecordKind::Ticket, "tickets"),
        ("calls", "lead_id", RecordKind::Call, "calls"),
    ] {
        let ids = repoint(tx, table, column, Some(kind), sources, target, action)?;
        moved.insert(name.to_owned(), ids.len() as u64);
    }
    // A score set by hand on a source goes with it.
    let list = crate::sql::Value::ids(sources.iter().copied());
    tx.prepare_cached(
        "DELETE FROM lead_scores_by_hand WHERE tenant_id = ?1 AND lead_id IN rarray(?2)",
    )?
    .execute(params![tx.tenant, list])?;
    conclude(tx, RecordKind::Lead, action, &originals, (&before, &after))?;
    Ok(Merged {
        target_id: target,
        moved,
        fields: taken,
        dry_run: false,
    })
}

/// Managers and admins merge.
fn may_merge(scope: &Scope<'_>) -> Result<()> {
    match scope.actor().map(|a| a.role) {
        Some(role @ (Role::Agent | Role::Viewer)) => Err(Error::Forbidden(format!(
            "merging needs the manager or admin role; this user is {}",
            role.as_str()
        ))),
        // No actor: the write refuses it, as every write does.
        _ => Ok(()),
    }
}

fn run(
    scope: &Scope<'_>,
    request: &MergeRequest,
    f: fn(&mut Tx<'_>, &MergeRequest) -> Result<Merged>,
) -> Result<Merged> {
    may_merge(scope)?;
    if request.dry_run {
        scope
            .write_rolled_back(|tx| f(tx, request))
            .map(|m| Merged { dry_run: true, ..m })
    } else {
        scope.write(|tx| f(tx, request))
    }
}

/// `customers.duplicates` and `customers.merge`, `leads.merge`.
#[derive(Debug, Clone, Copy)]
pub struct Merging<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Finding and merging duplicate customers and leads.
    pub fn merging(&self) -> Merging<'_, 'c> {
        Merging(self)
    }
}

impl Merging<'_, '_> {
    /// `customers.duplicates`: groups of customers sharing a match key.
    pub fn duplicates(&self, request: &DuplicatesRequest) -> Result<Page<DuplicateGroup>> {
        self.0.read(|c, t| duplicates(c, t, request))
    }

    /// `customers.merge`.
    pub fn customers(&self, request: &MergeRequest) -> Result<Merged> {
        run(self.0, request, merge_customers)
    }

    /// `leads.merge`.
    pub fn leads(&self, request: &MergeRequest) -> Result<Merged> {
        run(self.0, request, merge_leads)
    }
}
