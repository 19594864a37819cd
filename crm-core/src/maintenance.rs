//! The database file as a whole: backups (`crm backup`, `system.backup`) and checks
//! (`crm check`: is the file whole, and is everything derived from it in step?).
//!
//! A check runs SQLite's own integrity and foreign-key checks, compares each tenant's timeline
//! with its sources, its analytics sums and board column sums with its deals, and the search index with the change
//! feed. It changes nothing but bringing the analytics sums up to date with the feed (as any
//! answer does); repairs are separate calls (`timeline().rebuild()`, `analytics().rebuild()`,
//! [`Crm::rebuild_search`]).

use crate::Crm;
use crate::analytics::AnalyticsCheck;
use crate::deals::board::BoardCheck;
use crate::error::{Error, Result};
use crate::quotes::QuoteCheck;
use crate::search::IndexState;
use crate::timeline::TimelineCheck;
use serde::Serialize;
use std::path::Path;

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
    /// Each tenant's analytics sums against its deals, by tenant key.
    pub analytics: Vec<(String, AnalyticsCheck)>,
    /// Each tenant's quotes' amounts against their lines, by tenant key.
    pub quotes: Vec<(String, QuoteCheck)>,
    /// Each tenant's board column sums against its deals, by tenant key.
    pub boards: Vec<(String, BoardCheck)>,
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
        for (tenant, check) in &self.analytics {
            if !check.consistent() {
                problems.push(format!(
                    "analytics of {tenant}: {} daily sums and {} deals' shares differ from the deals",
                    check.wrong, check.wrong_deals
                ));
            }
        }
        for (tenant, check) in &self.boards {
            if !check.consistent() {
                problems.push(format!(
                    "boards of {tenant}: {} column sums differ from the deals",
                    check.wrong
                ));
            }
        }
        for (tenant, check) in &self.quotes {
            if !check.consistent() {
                let ids: Vec<String> = check.wrong.iter().map(ToString::to_string).collect();
                problems.push(format!(
                    "quotes of {tenant}: amounts differ from their lines in quote(s) {}",
                    ids.join(", ")
                ));
            }
        }
        if let Some(problem) = self.search.problem() {
            problems.push(format!("search index: {problem}"));
        }
        problems
    }

    /// `true` when the file itself is sound, so that rebuilding the timelines, the analytics
    /// sums and the search index mends every problem but damaged quotes (a quote's amounts are
    /// what was sent: they are never rewritten).
    pub fn repairable(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty()
    }

    /// `true` when some quote's amounts differ from its lines.
    pub fn quotes_damaged(&self) -> bool {
        self.quotes.iter().any(|(_, c)| !c.consistent())
    }
}

impl Crm {
    /// Copies the whole database (every tenant) into a new file at `out`, consistent as of one
    /// moment, while other connections and processes keep writing: SQLite's online backup
    /// copies every page in one step inside a read transaction, which in WAL mode blocks no
    /// writer. The copy holds every write committed before the call began. Its search index is
    /// not copied (it is derived): it is built the first time the copy is searched.
    ///
    /// `out` must not exist yet; the copy is written beside it and moved into place when whole,
    /// so an interrupted backup never leaves a partial file under that name.
    pub fn backup(&self, out: &Path) -> Result<BackupReport> {
        let shown = crate::error::clip(&out.display().to_string()).into_owned();
        if out.exists() {
            return Err(Error::invalid(
                "path",
                format!("{shown} already exists; back up to a new file"),
            ));
        }
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::invalid(
                "path",
                format!("the folder of {shown} does not exist"),
            ));
        }
        let partial = tempfile::Builder::new()
            .prefix(".crm-backup-")
            .tempfile_in(dir)
            .map_err(|e| {
                Error::invalid(
                    "path",
                    format!("cannot write in the folder of {shown}: {e}"),
                )
            })?;
        let bytes = self.copy_into(partial.path())?;
        // A stale index under the new name would be taken for this copy's: remove it.
        let _ = std::fs::remove_dir_all(crate::search::index_dir(out));
        partial
            .persist_noclobber(out)
            .map_err(|e| Error::invalid("path", format!("cannot create {shown}: {}", e.error)))?;
        Ok(BackupReport {
            path: out.display().to_string(),
            bytes,
        })
    }

    /// Checks the whole database: SQLite's integrity and foreign keys, every tenant's timeline
    /// and the search index. Changes nothing.
    pub fn check(&self) -> Result<Health> {
        let (integrity, foreign_keys) = self.read(|conn| {
            Ok((
                conn.integrity_problems(INTEGRITY_LINES)?,
                conn.foreign_key_problems()?,
            ))
        })?;
        let mut timelines = Vec::new();
        let mut analytics = Vec::new();
        let mut quotes = Vec::new();
        let mut boards = Vec::new();
        for tenant in self.list_tenants()? {
            let scope = self.scope(&tenant.tenant_id, None)?;
            timelines.push((tenant.tenant_id.clone(), scope.timeline().verify()?));
            analytics.push((tenant.tenant_id.clone(), scope.analytics().verify()?));
            boards.push((tenant.tenant_id.clone(), scope.boards().verify()?));
            quotes.push((tenant.tenant_id, scope.quotes().verify()?));
        }
        Ok(Health {
            integrity,
            foreign_keys,
            timelines,
            search: self.search_state()?,
            analytics,
            quotes,
            boards,
        })
    }
}

/// What [`Crm::backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    /// The new file.
    pub path: String,
    /// Its size.
    pub bytes: i64,
}
