//! A reference in a cell (a deal's account, a ticket's customer, an owner, a stage) read as the
//! id of the record it names: by external id, then email (customers, leads and users), then
//! name in any case. A name two records share is the row's error, not a guess.

use crate::catalog::RecordKind;
use crate::error::Result;
use crate::sql::params;
use crate::store::Tx;
use std::collections::HashMap;

/// Answers per (kind, the pipeline a stage is looked for in, text), for the whole import: the
/// records referred to are of other kinds than the one imported, so they do not change under it.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    cache: HashMap<(RecordKind, i64, String), std::result::Result<i64, String>>,
}

impl Resolver {
    /// The id `text` names among `kind` (stages: of pipeline `within`), or why none or several.
    pub(crate) fn find(
        &mut self,
        tx: &Tx<'_>,
        kind: RecordKind,
        within: i64,
        text: &str,
    ) -> Result<std::result::Result<i64, String>> {
        let key = (kind, within, text.to_owned());
        if let Some(answer) = self.cache.get(&key) {
            return Ok(answer.clone());
        }
        let answer = lookup(tx, kind, within, text)?;
        self.cache.insert(key, answer.clone());
        Ok(answer)
    }
}

fn lookup(
    tx: &Tx<'_>,
    kind: RecordKind,
    within: i64,
    text: &str,
) -> Result<std::result::Result<i64, String>> {
    let table = kind.table();
    let by_email = match kind {
        RecordKind::Customer | RecordKind::Lead => Some("email_key = ?2"),
        RecordKind::User => Some("lower(email) = ?2"),
        _ => None,
    };
    let mut tries: Vec<(&str, String, String)> = Vec::new();
    if kind == RecordKind::Stage {
        tries.push((
            "pipeline_id = ?3 AND crm_lower(name) = crm_lower(?2)",
            text.to_owned(),
            "name".into(),
        ));
    } else {
        tries.push(("external_id = ?2", text.to_owned(), "external id".into()));
        if let Some(condition) = by_email.filter(|_| text.contains('@')) {
            let key = crate::matching::email_key(text).unwrap_or_else(|| text.to_lowercase());
            tries.push((condition, key, "email".into()));
        }
        tries.push((
            "crm_lower(name) = crm_lower(?2)",
            text.to_owned(),
            "name".into(),
        ));
    }
    for (condition, value, by) in &tries {
        let ids: Vec<i64> = tx
            // `?3` (the pipeline) is named by every statement so that one parameter list fits
            // them all. No ORDER BY: it would make SQLite walk the ids instead of the index.
            .prepare_cached(&format!(
                "SELECT id FROM {table} WHERE tenant_id = ?1 AND {condition} AND ?3 = ?3 LIMIT 2"
            ))?
            .query_map(params![tx.tenant, value, within], |r| r.get(0))?
            .collect::<Result<_>>()?;
        match ids.as_slice() {
            [] => {}
            [id] => return Ok(Ok(*id)),
            _ => {
                return Ok(Err(format!(
                    "several {}s have the {by} {:?}; give an external id instead",
                    kind.as_str(),
                    crate::error::clip(text)
                )));
            }
        }
    }
    let ways = match kind {
        RecordKind::Stage => "no stage of the deal's pipeline is named",
        RecordKind::Customer | RecordKind::Lead | RecordKind::User => {
            "no record has this external id, email or name:"
        }
        _ => "no record has this external id or name:",
    };
    let ways = ways.replace("record", kind.as_str());
    Ok(Err(format!("{ways} {:?}", crate::error::clip(text))))
}
