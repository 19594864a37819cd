//! The rights of access and erasure (GDPR articles 15 and 17): `customers.exportData`, one
//! document with everything stored about a customer, and `customers.erase`, which removes the
//! person for good.
//!
//! Erasure removes the customer and what identifies them — their leads, tickets (with events),
//! conversations (with messages), calls, activities, tickets that name their email without
//! being linked, anything of theirs in the trash, the personal values of the audit entries of
//! all of those — and keeps their deals anonymous (no customer, no lead, their activities
//! gone; the quotes' frozen documents, notes and terms dropped) so that analytics keep their
//! counts. Then no byte of it may be left in the files: SQLite overwrites what is deleted
//! (`secure_delete`, on for every connection), the write-ahead log is copied into the database
//! and truncated, and the search index's segments that held the person are rewritten without
//! them. The audit keeps one `customers.erase` entry: who, when, which id.

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::methods;
use crate::records;
use crate::sql::params;
use crate::store::Tx;
use crate::tenancy::Scope;
use crate::time;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// `customers.erase`' parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EraseRequest {
    /// The customer to erase.
    pub id: CustomerId,
    /// The customer's email (any case), or their name when they have none: a typed
    /// confirmation that this is the person.
    pub confirm: String,
}

/// What an erasure removed, by plural kind, and what it kept anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    /// The customer erased.
    pub id: CustomerId,
    /// How many records of each kind (plural) went.
    pub erased: BTreeMap<String, u64>,
    /// Deals kept for analytics, without the customer.
    pub anonymized: BTreeMap<String, u64>,
    /// Groups of the trash removed because they held the person's records.
    pub trash_groups: u64,
}

/// `customers.exportData`' parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportDataRequest {
    /// The customer whose data is exported.
    pub id: CustomerId,
}

fn list_json(ids: &[i64]) -> crate::sql::Value {
    crate::sql::Value::ids(ids.iter().copied())
}

/// The ids `sql` answers with the tenant as `?1` and `arg` as `?2`.
fn ids(
    conn: &crate::sql::Connection,
    sql: &str,
    tenant: i64,
    arg: impl crate::sql::ToSql,
) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let out = stmt
        .query_map(params![tenant, arg], |r| r.get(0))?
        .collect::<Result<_>>()?;
    Ok(out)
}

/// The person's records, by kind.
#[derive(Debug, Default)]
struct Person {
    leads: Vec<i64>,
    deals: Vec<i64>,
    tickets: Vec<i64>,
    conversations: Vec<i64>,
    messages: Vec<i64>,
    calls: Vec<i64>,
    activities: Vec<i64>,
    quotes: Vec<i64>,
}

fn person(
    conn: &crate::sql::Connection,
    tenant: i64,
    customer: &crate::customers::Customer,
) -> Result<Person> {
    let c = customer.id.0;
    let leads = ids(
        conn,
        "SELECT id FROM leads WHERE tenant_id = ?1 AND customer_id = ?2",
        tenant,
        c,
    )?;
    let deals = ids(
        conn,
        "SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2",
        tenant,
        c,
    )?;
    let mut tickets: BTreeSet<i64> = ids(
        conn,
        "SELECT id FROM tickets WHERE tenant_id = ?1 AND customer_id = ?2",
        tenant,
        c,
    )?
    .into_iter()
    .collect();
    // Tickets from the person's email that no customer holds are theirs too (one linked to
    // another customer — a duplicate not merged — is that customer's).
    if let Some(email) = &customer.email {
        tickets.extend(ids(
            conn,
            "SELECT id FROM tickets WHERE tenant_id = ?1 AND customer_id IS NULL
                AND requester_email = ?2 COLLATE NOCASE",
            tenant,
            email,
        )?);
    }
    let conversations = ids(
        conn,
        "SELECT id FROM conversations WHERE tenant_id = ?1 AND customer_id = ?2",
        tenant,
        c,
    )?;
    let messages = ids(
        conn,
        "SELECT id FROM messages WHERE tenant_id = ?1 AND conversation_id IN rarray(?2)",
        tenant,
        list_json(&conversations),
    )?;
    let calls = ids(
        conn,
        "SELECT id FROM calls WHERE tenant_id = ?1 AND customer_id = ?2",
        tenant,
        c,
    )?;
    let mut activities: BTreeSet<i64> = ids(
        conn,
        "SELECT id FROM activities WHERE tenant_id = ?1 AND lead_id IN rarray(?2)",
        tenant,
        list_json(&leads),
    )?
    .into_iter()
    .collect();
    activities.extend(ids(
        conn,
        "SELECT id FROM activities WHERE tenant_id = ?1 AND deal_id IN rarray(?2)",
        tenant,
        list_json(&deals),
    )?);
    let quotes = ids(
        conn,
        "SELECT id FROM quotes WHERE tenant_id = ?1 AND (customer_id = ?2 OR deal_id IN
           (SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2))",
        tenant,
        c,
    )?;
    Ok(Person {
        leads,
        deals,
        tickets: tickets.into_iter().collect(),
        conversations,
        messages,
        calls,
        activities: activities.into_iter().collect(),
        quotes,
    })
}

/// Runs `sql` with the tenant as `?1` and `list` (a JSON array of ids) as `?2`.
fn each(tx: &Tx<'_>, sql: &str, list: &[i64]) -> Result<usize> {
    if list.is_empty() {
        return Ok(0);
    }
    tx.prepare_cached(sql)?
        .execute(params![tx.tenant, list_json(list)])
}

fn erase(tx: &mut Tx<'_>, request: &EraseRequest) -> Result<Erased> {
    let action = methods::CUSTOMERS_ERASE;
    let customer: crate::customers::Customer = records::get(tx, tx.tenant, request.id.0)?;
    let expected = customer
        .email
        .clone()
        .unwrap_or_else(|| customer.name.clone());
    if request.confirm.trim().to_lowercase() != expected.trim().to_lowercase() {
        return Err(Error::invalid(
            "confirm",
            if customer.email.is_some() {
                "type the customer's email to confirm"
            } else {
                "type the customer's name to confirm (they have no email)"
            },
        ));
    }
    tx.defer_foreign_keys()?;
    let p = person(tx, tx.tenant, &customer)?;
    let c = customer.id.0;

    // Memberships end before the customer goes (deals stay, so analytics keep their shares).
    crate::segments::leave_all(tx, &[c])?;
    let events = ids(
        tx,
        "SELECT id FROM ticket_events WHERE tenant_id = ?1 AND ticket_id IN rarray(?2)",
        tx.tenant,
        list_json(&p.tickets),
    )?;

    // Anything of theirs in the trash goes for good: groups holding a row of the customer,
    // or a row pointing at one of their records.
    let mut trashed: BTreeMap<RecordKind, Vec<i64>> = BTreeMap::new();
    let trash_groups = {
        let mut groups: BTreeSet<i64> = BTreeSet::new();
        let pointers: [(&str, &str, Vec<i64>); 5] = [
            ("customer", "$.customer_id", vec![c]),
            ("lead", "$.lead_id", p.leads.clone()),
            ("ticket", "$.ticket_id", p.tickets.clone()),
            ("conversation", "$.conversation_id", p.conversations.clone()),
            ("deal", "$.deal_id", p.deals.clone()),
        ];
        for (kind, path, list) in &pointers {
            if list.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT DISTINCT group_id FROM trash_rows
                  WHERE tenant_id = ?1 AND detached = 0
                    AND ((kind = '{kind}' AND record_id IN rarray(?2))
                      OR CAST(json_extract(row, '{path}') AS BIGINT) IN rarray(?2))"
            );
            groups.extend(
                tx.prepare(&sql)?
                    .query_map(params![tx.tenant, list_json(list)], |r| r.get::<_, i64>(0))?
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        // Tickets in the trash that name the email.
        if let Some(email) = &customer.email {
            groups.extend(
                tx.prepare(
                    "SELECT DISTINCT group_id FROM trash_rows WHERE tenant_id = ?1 AND detached = 0
                       AND kind = 'ticket' AND json_extract(row, '$.customer_id') IS NULL
                       AND json_extract(row, '$.requester_email') = ?2 COLLATE NOCASE",
                )?
                .query_map(params![tx.tenant, email], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>>>()?,
            );
        }
        let list: Vec<i64> = groups.into_iter().collect();
        // Their audit entries are scrubbed below with the live records'.
        if !list.is_empty() {
            let mut stmt = tx.prepare(
                "SELECT kind, record_id FROM trash_rows WHERE tenant_id = ?1 AND detached = 0
                   AND kind IS NOT NULL AND record_id IS NOT NULL
                   AND group_id IN rarray(?2)",
            )?;
            let rows = stmt
                .query_map(params![tx.tenant, list_json(&list)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>>>()?;
            for (kind, id) in rows {
                if let Ok(kind) = kind.parse::<RecordKind>() {
                    trashed.entry(kind).or_default().push(id);
                }
            }
        }
        crate::trash::remove_groups(tx, &list)?;
        list.len() as u64
    };

    // Deals stay, anonymous: no customer, no lead of theirs, no texts about them.
    each(
        tx,
        "UPDATE deals SET customer_id = NULL, lead_id = NULL WHERE tenant_id = ?1 AND id IN rarray(?2)",
        &p.deals,
    )?;
    each(
        tx,
        "UPDATE deals SET lead_id = NULL WHERE tenant_id = ?1 AND lead_id IN rarray(?2)",
        &p.leads,
    )?;
    each(
        tx,
        "UPDATE quotes SET customer_id = NULL, snapshot = NULL, notes = NULL, terms = NULL, reject_reason = NULL
          WHERE tenant_id = ?1 AND id IN rarray(?2)",
        &p.quotes,
    )?;
    each(
        tx,
        "UPDATE quote_activities SET customer_id = NULL, body = NULL
          WHERE tenant_id = ?1 AND quote_id IN rarray(?2)",
        &p.quotes,
    )?;
    // References of other records to what goes.
    for (table, column, list) in [
        ("tickets", "related_lead_id", &p.leads),
        ("calls", "lead_id", &p.leads),
    ] {
        each(
            tx,
            &format!(
                "UPDATE {table} SET {column} = NULL WHERE tenant_id = ?1 AND {column} IN rarray(?2)"
            ),
            list,
        )?;
    }
    // The rows, children first.
    for (sql, list) in [
        (
            "DELETE FROM messages WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.messages,
        ),
        (
            "DELETE FROM conversations WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.conversations,
        ),
        (
            "DELETE FROM ticket_events WHERE tenant_id = ?1 AND ticket_id IN rarray(?2)",
            &p.tickets,
        ),
        (
            "DELETE FROM tickets WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.tickets,
        ),
        (
            "DELETE FROM calls WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.calls,
        ),
        (
            "DELETE FROM activities WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.activities,
        ),
        (
            "DELETE FROM lead_scores_by_hand WHERE tenant_id = ?1 AND lead_id IN rarray(?2)",
            &p.leads,
        ),
        (
            "DELETE FROM leads WHERE tenant_id = ?1 AND id IN rarray(?2)",
            &p.leads,
        ),
    ] {
        each(tx, sql, list)?;
    }
    tx.prepare_cached("DELETE FROM customers WHERE tenant_id = ?1 AND id = ?2")?
        .execute(params![tx.tenant, c])?;

    // The audit keeps who did what to which id, not the values; so for the records merged
    // into these ones, which were the same person.
    let merged = |kind: &str, into: &[i64]| -> Result<Vec<i64>> {
        tx.prepare_cached(
            "SELECT id FROM merged_records WHERE tenant_id = ?1 AND kind = ?2
                  AND into_id IN rarray(?3)",
        )?
        .query_map(params![tx.tenant, kind, list_json(into)], |r| r.get(0))?
        .collect::<Result<_>>()
    };
    let mut customers = vec![c];
    customers.extend(merged("customer", &[c])?);
    let mut leads = p.leads.clone();
    leads.extend(merged("lead", &p.leads)?);
    for (kind, list) in [
        (RecordKind::Customer, &customers),
        (RecordKind::Lead, &leads),
        (RecordKind::Deal, &p.deals),
        (RecordKind::Ticket, &p.tickets),
        (RecordKind::Conversation, &p.conversations),
        (RecordKind::Message, &p.messages),
        (RecordKind::Call, &p.calls),
        (RecordKind::Activity, &p.activities),
        (RecordKind::Quote, &p.quotes),
        (RecordKind::TicketEvent, &events),
    ]
    .into_iter()
    .chain(trashed.iter().map(|(k, v)| (*k, v)))
    {
        if list.is_empty() {
            continue;
        }
        tx.prepare_cached(
            "UPDATE audit_log SET before = NULL, after = NULL, note = NULL
              WHERE tenant_id = ?1 AND entity_type = ?2 AND entity_id IN rarray(?3)",
        )?
        .execute(params![tx.tenant, kind.as_str(), list_json(list)])?;
    }

    // One audit entry for the erasure itself: who, when, which id.
    let audit_id = tx.next_id(RecordKind::AuditEntry)?;
    tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id, at)
         VALUES (?1, ?2, ?3, ?4, 'customer', ?5, ?6)",
    )?
    .execute(params![
        tx.tenant,
        audit_id,
        tx.actor,
        action,
        c,
        time::to_millis(tx.now)
    ])?;
    for (kind, list) in [
        (RecordKind::Customer, &vec![c]),
        (RecordKind::Lead, &p.leads),
        (RecordKind::Ticket, &p.tickets),
        (RecordKind::Conversation, &p.conversations),
        (RecordKind::Message, &p.messages),
        (RecordKind::Call, &p.calls),
        (RecordKind::Activity, &p.activities),
    ] {
        for id in list {
            tx.feed_change(kind, *id, "delete", action)?;
        }
    }
    for id in &p.deals {
        tx.feed_change(RecordKind::Deal, *id, "update", action)?;
    }
    for id in &p.quotes {
        tx.feed_change(RecordKind::Quote, *id, "update", action)?;
    }
    let count = |v: &Vec<i64>| v.len() as u64;
    let erased: BTreeMap<String, u64> = [
        ("customers", 1),
        ("leads", count(&p.leads)),
        ("tickets", count(&p.tickets)),
        ("conversations", count(&p.conversations)),
        ("messages", count(&p.messages)),
        ("calls", count(&p.calls)),
        ("activities", count(&p.activities)),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    let anonymized: BTreeMap<String, u64> =
        [("deals", count(&p.deals)), ("quotes", count(&p.quotes))]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_owned(), n))
            .collect();
    Ok(Erased {
        id: customer.id,
        erased,
        anonymized,
        trash_groups,
    })
}

/// Each of `ids` as its `get` answers it.
fn all<R: records::Record + Serialize>(
    conn: &crate::sql::Connection,
    tenant: i64,
    ids: &[i64],
) -> Result<Vec<Value>> {
    ids.iter()
        .map(|id| records::get_json::<R>(conn, tenant, *id))
        .collect()
}

/// Each of `parents` with its children (`sql` answers their ids for a parent's) under `key`:
/// a ticket with its events, a conversation with its messages.
fn nested<P: records::Record + Serialize, C: records::Record + Serialize>(
    conn: &crate::sql::Connection,
    tenant: i64,
    parents: &[i64],
    key: &str,
    sql: &str,
) -> Result<Vec<Value>> {
    parents
        .iter()
        .map(|id| {
            let mut parent = records::get_json::<P>(conn, tenant, *id)?;
            parent[key] = Value::Array(all::<C>(conn, tenant, &ids(conn, sql, tenant, id)?)?);
            Ok(parent)
        })
        .collect()
}

/// Everything stored about the customer, as one document.
fn export_data(conn: &crate::sql::Connection, tenant: i64, id: CustomerId) -> Result<Value> {
    use crate::{activities, calls, conversations, deals, leads, tickets};
    let customer: crate::customers::Customer = records::get(conn, tenant, id.0)?;
    let p = person(conn, tenant, &customer)?;
    let json = |v: std::result::Result<Value, serde_json::Error>| {
        v.map_err(|e| Error::Internal(format!("cannot serialize a record: {e}")))
    };
    let quotes = p
        .quotes
        .iter()
        .map(|q| {
            json(serde_json::to_value(crate::quotes::load(
                conn,
                tenant,
                crate::ids::QuoteId(*q),
                time::now(),
            )?))
        })
        .collect::<Result<Vec<_>>>()?;
    let tickets = nested::<tickets::Ticket, tickets::TicketEvent>(
        conn,
        tenant,
        &p.tickets,
        "events",
        "SELECT id FROM ticket_events WHERE tenant_id = ?1 AND ticket_id = ?2 ORDER BY +id",
    )?;
    let conversations = nested::<conversations::Conversation, conversations::Message>(
        conn,
        tenant,
        &p.conversations,
        "messages",
        "SELECT id FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2 ORDER BY +id",
    )?;
    let memberships: Vec<Value> = conn
        .prepare_cached(
            "SELECT s.id, s.name, m.entered_at FROM segment_members m
               JOIN segments s ON s.tenant_id = m.tenant_id AND s.id = m.segment_id
              WHERE m.tenant_id = ?1 AND m.customer_id = ?2 ORDER BY s.id",
        )?
        .query_map(params![tenant, id.0], |r| {
            Ok(json!({
                "segmentId": r.get::<_, i64>(0)?,
                "name": r.get::<_, String>(1)?,
                "enteredAt": crate::time::from_millis(r.get(2)?).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }))
        })?
        .collect::<Result<_>>()?;
    let mut audit = Vec::new();
    for (kind, list) in [
        (RecordKind::Customer, vec![id.0]),
        (RecordKind::Lead, p.leads.clone()),
        (RecordKind::Deal, p.deals.clone()),
        (RecordKind::Quote, p.quotes.clone()),
        (RecordKind::Ticket, p.tickets.clone()),
        (RecordKind::Conversation, p.conversations.clone()),
        (RecordKind::Message, p.messages.clone()),
        (RecordKind::Call, p.calls.clone()),
        (RecordKind::Activity, p.activities.clone()),
    ] {
        let entries = ids(
            conn,
            &format!(
                "SELECT id FROM audit_log WHERE tenant_id = ?1 AND entity_type = '{kind}'
                  AND entity_id IN rarray(?2) ORDER BY +id"
            ),
            tenant,
            list_json(&list),
        )?;
        audit.extend(all::<crate::audit::AuditEntry>(conn, tenant, &entries)?);
    }
    Ok(json!({
        "customer": json(serde_json::to_value(&customer))?,
        "leads": all::<leads::Lead>(conn, tenant, &p.leads)?,
        "deals": all::<deals::Deal>(conn, tenant, &p.deals)?,
        "quotes": quotes,
        "tickets": tickets,
        "conversations": conversations,
        "calls": all::<calls::Call>(conn, tenant, &p.calls)?,
        "activities": all::<activities::Activity>(conn, tenant, &p.activities)?,
        "segmentMemberships": memberships,
        "audit": audit,
        "exportedAt": time::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
}

/// `customers.erase` and `customers.exportData` (admins).
#[derive(Debug, Clone, Copy)]
pub struct Erasure<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// The rights of access and erasure.
    pub fn erasure(&self) -> Erasure<'_, 'c> {
        Erasure(self)
    }
}

impl Erasure<'_, '_> {
    /// `customers.erase`: removes the person for good. When it returns, the database file, its
    /// write-ahead log and the search index hold nothing of them.
    pub fn erase(&self, request: &EraseRequest) -> Result<Erased> {
        let erased = self
            .0
            .write_as_admin(methods::CUSTOMERS_ERASE, |tx| erase(tx, request))?;
        let crm = self.0.crm;
        crate::search::purge_deleted(crm)?;
        crm.checkpoint_truncate()?;
        Ok(erased)
    }

    /// `customers.exportData`: everything stored about the customer.
    pub fn export_data(&self, request: &ExportDataRequest) -> Result<Value> {
        self.0.admin(methods::CUSTOMERS_EXPORT_DATA)?;
        self.0.read(|c, t| export_data(c, t, request.id))
    }
}
