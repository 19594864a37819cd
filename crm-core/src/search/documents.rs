//! What each kind of record contributes to the index, and which documents a change touches.

use super::{Entry, RecordKind, Result, SearchType};
use crate::sql::Connection;
use crate::sql::OptionalExtension;
use crate::sql::params;

impl SearchType {
    /// The statement reading this type's documents: every row, or (with `one`) one row by
    /// `(tenant_id, id)` as `?1`, `?2`. Each kind declares its document beside its record
    /// (`SEARCH_DOCUMENT`, the row as `x`); the columns are tenant, id, title, body, ticket
    /// status, ticket priority, conversation status, channel, team.
    pub(crate) fn sql(self, one: bool) -> String {
        let select = match self {
            SearchType::Customer => crate::customers::SEARCH_DOCUMENT,
            SearchType::Lead => crate::leads::SEARCH_DOCUMENT,
            SearchType::Deal => crate::deals::SEARCH_DOCUMENT,
            SearchType::Ticket => crate::tickets::SEARCH_DOCUMENT,
            SearchType::Conversation => crate::conversations::SEARCH_DOCUMENT,
            SearchType::Quote => crate::quotes::SEARCH_DOCUMENT,
        };
        if one {
            format!("{select} WHERE x.tenant_id = ?1 AND x.id = ?2")
        } else {
            select.to_owned()
        }
    }
}

/// The documents a change to `entity` `id` affects.
pub(crate) fn affected(conn: &Connection, entry: &Entry) -> Result<Vec<(i64, SearchType, i64)>> {
    let Entry {
        tenant, kind, id, ..
    } = *entry;
    let Some(kind) = kind else {
        return Ok(Vec::new());
    };
    Ok(match kind {
        RecordKind::Customer => {
            // A deal's document carries its customer's name.
            let mut docs = vec![(tenant, SearchType::Customer, id)];
            let mut stmt = conn
                .prepare_cached("SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2")?;
            for deal in stmt.query_map(params![tenant, id], |r| r.get(0))? {
                docs.push((tenant, SearchType::Deal, deal?));
            }
            docs
        }
        RecordKind::Lead => vec![(tenant, SearchType::Lead, id)],
        RecordKind::Deal => vec![(tenant, SearchType::Deal, id)],
        RecordKind::Ticket => vec![(tenant, SearchType::Ticket, id)],
        RecordKind::Conversation => vec![(tenant, SearchType::Conversation, id)],
        RecordKind::Quote => vec![(tenant, SearchType::Quote, id)],
        RecordKind::Message => conn
            .prepare_cached(
                "SELECT conversation_id FROM messages WHERE tenant_id = ?1 AND id = ?2",
            )?
            .query_row(params![tenant, id], |r| r.get(0))
            .optional()?
            .map(|c| vec![(tenant, SearchType::Conversation, c)])
            .unwrap_or_default(),
        _ => Vec::new(),
    })
}
