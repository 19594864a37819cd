//! Each hit's line of context: what tells records apart in a list of hits — a ticket's status,
//! priority, customer and day; a deal's stage, value and customer; a lead's status and score; a
//! quote's status, total, deal and customer —
//! read from SQLite for the hits of the page only, after the search (a record changed since
//! shows its newer context).

use super::{SearchHit, SearchType};
use crate::error::Result;
use crate::money::{Currency, Money};
use rusqlite::{Connection, OptionalExtension, params};

/// Fills in `context` of every hit of `tenant`.
pub(crate) fn add(conn: &Connection, tenant: i64, hits: &mut [SearchHit]) -> Result<()> {
    for hit in hits {
        hit.context = line(conn, tenant, hit.hit_type, hit.id)?.unwrap_or_default();
    }
    Ok(())
}

/// The parts of one record's context, joined by ` · ` (absent ones left out).
fn line(conn: &Connection, tenant: i64, kind: SearchType, id: i64) -> Result<Option<String>> {
    // `day` columns are milliseconds since the epoch, shown as the UTC day.
    let sql = match kind {
        SearchType::Customer => {
            "SELECT concat_ws(' · ', x.company, x.email, x.phone) FROM customers x
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
        SearchType::Lead => {
            "SELECT concat_ws(' · ', x.status, 'score ' || x.score, x.company, x.email) FROM leads x
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
        SearchType::Deal => {
            // The value is written in Rust (money has its own format); `{value}` marks its place.
            "SELECT concat_ws(' · ', s.name || CASE x.status WHEN 'open' THEN '' ELSE ' (' || x.status || ')' END,
                              '{value}', c.name),
                    x.value, x.currency
               FROM deals x
               JOIN stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
        SearchType::Ticket => {
            "SELECT concat_ws(' · ', x.status, x.priority,
                              COALESCE(c.name, x.requester_email, x.requester_company),
                              date(x.created_at / 1000, 'unixepoch'))
               FROM tickets x
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
        SearchType::Conversation => {
            "SELECT concat_ws(' · ', x.status, x.channel, c.name,
                              date(x.updated_at / 1000, 'unixepoch'))
               FROM conversations x
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
        SearchType::Quote => {
            "SELECT concat_ws(' · ', x.status, '{value}', d.title, c.name),
                    x.total, x.currency
               FROM quotes x
               JOIN deals d ON d.tenant_id = x.tenant_id AND d.id = x.deal_id
               LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
              WHERE x.tenant_id = ?1 AND x.id = ?2"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let found = stmt
        .query_row(params![tenant, id], |r| {
            let text: String = r.get(0)?;
            if !matches!(kind, SearchType::Deal | SearchType::Quote) {
                return Ok(text);
            }
            let amount: i64 = r.get(1)?;
            let code: String = r.get(2)?;
            let value = Currency::parse("currency", &code).map_or_else(
                |_| format!("{code} {amount}"),
                |c| Money::new(amount, c).to_string(),
            );
            Ok(text.replacen("{value}", &value, 1))
        })
        .optional()?;
    Ok(found)
}
