//! Each hit's line of context: what tells records apart in a list of hits — a ticket's status,
//! priority, customer and day; a deal's stage, value and customer; a lead's status and score; a
//! quote's status, total, deal and customer — read from SQLite for the hits of the page only,
//! one statement per kind on the page, after the search (a record changed since shows its newer
//! context).

use super::{SearchHit, SearchType};
use crate::error::Result;
use crate::money::{Currency, Money};
use crate::sql::Value;
use crate::sql::{Connection, params};
use std::collections::HashMap;

/// Fills in `context` of every hit of `tenant`.
pub(crate) fn add(conn: &Connection, tenant: i64, hits: &mut [SearchHit]) -> Result<()> {
    for kind in SearchType::ALL {
        if !hits.iter().any(|h| h.hit_type == kind) {
            continue;
        }
        let ids = Value::ids(hits.iter().filter(|h| h.hit_type == kind).map(|h| h.id));
        let mut lines: HashMap<i64, String> = HashMap::new();
        let mut stmt = conn.prepare_cached(sql(kind))?;
        let mut rows = stmt.query(params![tenant, ids])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let text: String = r.get(1)?;
            // A deal's value and a quote's total are written in Rust (money has its own
            // format); `{value}` marks their place.
            let text = match kind {
                SearchType::Deal | SearchType::Quote => {
                    let amount: i64 = r.get(2)?;
                    let code: String = r.get(3)?;
                    let value = Currency::parse("currency", &code).map_or_else(
                        |_| format!("{code} {amount}"),
                        |c| Money::new(amount, c).to_string(),
                    );
                    text.replacen("{value}", &value, 1)
                }
                _ => text,
            };
            lines.insert(id, text);
        }
        for hit in hits.iter_mut().filter(|h| h.hit_type == kind) {
            hit.context = lines.remove(&hit.id).unwrap_or_default();
        }
    }
    Ok(())
}

/// The statement reading `kind`'s context (columns: id, the line, and for deals and quotes the
/// amount and currency), the parts joined by ` · ` (absent ones left out). Days are the UTC day
/// of a time in milliseconds.
fn sql(kind: SearchType) -> &'static str {
    match kind {
        SearchType::Customer => {
            "SELECT x.id, concat_ws(' · ', x.company, x.email, x.phone) FROM customers x
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
        SearchType::Lead => {
            "SELECT x.id, concat_ws(' · ', x.status, 'score ' || x.score, x.company, x.email)
               FROM leads x
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
        SearchType::Deal => {
            "SELECT x.id,
                    concat_ws(' · ', s.name || CASE WHEN x.status = 'open' OR lower(s.name) = x.status
                                                THEN '' ELSE ' (' || x.status || ')' END,
                              '{value}', c.name),
                    x.value, x.currency
               FROM deals x
               JOIN stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
        SearchType::Ticket => {
            "SELECT x.id,
                    concat_ws(' · ', x.status, x.priority,
                              COALESCE(c.name, x.requester_email, x.requester_company),
                              date(x.created_at / 1000, 'unixepoch'))
               FROM tickets x
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
        SearchType::Conversation => {
            "SELECT x.id,
                    concat_ws(' · ', x.status, x.channel, c.name,
                              date(x.updated_at / 1000, 'unixepoch'))
               FROM conversations x
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
        SearchType::Quote => {
            "SELECT x.id, concat_ws(' · ', x.status, '{value}', d.title, c.name),
                    x.total, x.currency
               FROM quotes x
               JOIN deals d ON d.tenant_id = x.tenant_id AND d.id = x.deal_id
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id IN rarray(?2)"
        }
    }
}
