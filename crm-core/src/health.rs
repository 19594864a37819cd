//! `crm check`: is the database whole, and is everything derived from it in step?
//!
//! SQLite's own integrity and foreign-key checks, each tenant's timeline against its sources,
//! and the search index against the change feed. Read-only; repairs are separate calls
//! (`timeline().rebuild()`, [`Crm::rebuild_search`]).

use crate::Crm;
use crate::error::Result;
use crate::search::IndexState;
use crate::timeline::TimelineCheck;
use serde::Serialize;

/// Most lines of `PRAGMA integrity_check` kept.
const INTEGRITY_LINES: usize = 100;

/// What [`Crm::check`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// What `PRAGMA integrity_check` reported; empty when the file is sound.
    pub integrity: Vec<String>,
    /// Rows whose reference points at nothing (`table row R -> parent`); empty when none.
    pub foreign_keys: Vec<String>,
    /// Each tenant's timeline against its sources, by tenant key.
    pub timelines: Vec<(String, TimelineCheck)>,
    /// The search index against the change feed.
    pub search: IndexState,
}

impl Health {
    /// Every problem found, one line each; empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .integrity
            .iter()
            .map(|l| format!("integrity: {l}"))
            .chain(
                self.foreign_keys
                    .iter()
                    .map(|l| format!("foreign key: {l}")),
            )
            .collect();
        for (tenant, check) in &self.timelines {
            if !check.consistent() {
                problems.push(format!(
                    "timeline of {tenant}: {} missing, {} extra",
                    check.missing, check.extra
                ));
            }
        }
        if let Some(problem) = self.search.problem() {
            problems.push(format!("search index: {problem}"));
        }
        problems
    }

    /// `true` when rebuilding the timelines and the search index would mend every problem.
    pub fn repairable(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty()
    }
}

impl Crm {
    /// Checks the whole database: SQLite's integrity and foreign keys, every tenant's timeline
    /// and the search index. Changes nothing.
    pub fn check(&self) -> Result<Health> {
        let (integrity, foreign_keys) = self.read(|conn| {
            let mut stmt = conn.prepare(&format!("PRAGMA integrity_check({INTEGRITY_LINES})"))?;
            let integrity = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter(|l| l != "ok")
                .collect();
            let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
            let foreign_keys = stmt
                .query_map([], |r| {
                    Ok(format!(
                        "{} row {} -> {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?
                            .map_or("?".into(), |id| id.to_string()),
                        r.get::<_, String>(2)?
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((integrity, foreign_keys))
        })?;
        let mut timelines = Vec::new();
        for tenant in self.list_tenants()? {
            let check = self.scope(&tenant.tenant_id, None)?.timeline().verify()?;
            timelines.push((tenant.tenant_id, check));
        }
        Ok(Health {
            integrity,
            foreign_keys,
            timelines,
            search: self.search_state()?,
        })
    }
}
