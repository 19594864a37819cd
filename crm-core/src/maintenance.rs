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
use crate::sql::{Connection, Value, params};
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

/// What [`Crm::copy_to`] copied: every table with its rows, in the order copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    /// Each table and how many rows it holds on both sides.
    pub tables: Vec<(String, i64)>,
}

impl CopyReport {
    /// Rows copied in all.
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// The most parameters one statement binds (PostgreSQL's limit is 65,535).
const COPY_PARAMETERS: usize = 30_000;
/// The most rows one statement inserts.
const COPY_ROWS: usize = 500;

impl Crm {
    /// Copies every row of this SQLite database into `target`, an empty PostgreSQL database
    /// brought to the same schema version (`crm migrate-to`): one read snapshot of this
    /// database, written in one transaction of the target, so the copy is whole or absent.
    /// Derived tables (timelines, sums, search documents' sources) are copied as they are,
    /// with the target's triggers held off meanwhile; the target's counters (tenants, the
    /// change feed, segment history) then continue after the copied rows. Afterwards every
    /// table's rows are counted on both sides. `progress(done, total)` is called as rows go.
    ///
    /// `invalid_input` when this database is not SQLite's (`db`), the target not
    /// PostgreSQL's or already holding tenants (`target`), or the two at different schema
    /// versions.
    pub fn copy_to(&self, target: &Crm, mut progress: impl FnMut(u64, u64)) -> Result<CopyReport> {
        if self.is_server() {
            return Err(Error::invalid(
                "db",
                "the database to copy must be a SQLite file",
            ));
        }
        if !target.is_server() {
            return Err(Error::invalid(
                "target",
                "the copy goes into a PostgreSQL database (postgresql://…)",
            ));
        }
        let (from, to) = (
            crate::store::schema_version(self)?,
            crate::store::schema_version(target)?,
        );
        if from != to {
            return Err(Error::invalid(
                "target",
                format!(
                    "is at schema version {to}, the file at {from}; open both with this crm first"
                ),
            ));
        }
        let counted = self.read(|src| {
            let snapshot = src.begin_read()?;
            let tables: Vec<String> = snapshot
                .tables()?
                .into_iter()
                .filter(|t| t != "refinery_schema_history")
                .collect();
            let mut counts = Vec::with_capacity(tables.len());
            for table in &tables {
                let n: i64 = snapshot.query_row(
                    &format!("SELECT COUNT(*) FROM \"{table}\""),
                    params![],
                    |r| r.get(0),
                )?;
                counts.push((table.clone(), n));
            }
            let total = counts
                .iter()
                .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
                .sum();
            target.with_writer(|dst| {
                let tx = dst.begin_write(crate::sql::WriteLock::Database)?;
                let tenants: i64 =
                    tx.query_row("SELECT COUNT(*) FROM tenants", params![], |r| r.get(0))?;
                if tenants > 0 {
                    return Err(Error::invalid(
                        "target",
                        format!("already holds tenants ({tenants}); copy into an empty database"),
                    ));
                }
                // Citus runs each tenant's statements on its worker, where neither `SET
                // CONSTRAINTS` nor a table's triggers can be held off for one transaction
                // as this copy needs; distributing afterwards moves the rows in one go.
                let citus: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')",
                    params![],
                    |r| r.get(0),
                )?;
                if citus {
                    return Err(Error::invalid(
                        "target",
                        "is distributed by Citus: copy into a PostgreSQL database without \
                         the citus extension, then create the extension there and run \
                         SELECT crm_distribute_by_tenant()",
                    ));
                }
                let theirs = tx.tables()?;
                if let Some(missing) = tables.iter().find(|t| !theirs.contains(t)) {
                    return Err(Error::Internal(format!(
                        "the target has no table {missing}"
                    )));
                }
                // The triggers that would derive rows already copied are off until the end
                // (before any row changes: a table with changes pending cannot be altered).
                for table in &tables {
                    tx.execute_batch(&format!("ALTER TABLE \"{table}\" DISABLE TRIGGER USER"))?;
                }
                // Rows come in any order: references are checked once all are in.
                tx.defer_foreign_keys()?;
                // Without tenants, what the tables hold is what the migrations put there
                // (followers' positions), which the file holds too: the file's rows win.
                for table in &tables {
                    tx.execute_batch(&format!("DELETE FROM \"{table}\""))?;
                }
                let mut done = 0_u64;
                for table in &tables {
                    copy_table(&snapshot, &tx, table, |n| {
                        done += n;
                        progress(done, total);
                    })?;
                }
                // References checked now, so that the tables have nothing pending when their
                // triggers come back.
                tx.execute_batch("SET CONSTRAINTS ALL IMMEDIATE")?;
                for table in &tables {
                    tx.execute_batch(&format!("ALTER TABLE \"{table}\" ENABLE TRIGGER USER"))?;
                }
                let identities: Vec<(String, String)> = tx
                    .prepare(
                        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT)
                           FROM information_schema.columns
                          WHERE table_schema = current_schema() AND is_identity = 'YES'",
                    )?
                    .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_>>()?;
                for (table, column) in identities {
                    tx.query_row(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),
                                           COALESCE(MAX(\"{column}\"), 0) + 1, FALSE)
                               FROM \"{table}\""
                        ),
                        params![],
                        |_| Ok(()),
                    )?;
                }
                tx.commit()
            })?;
            Ok(counts)
        })?;
        // Counted again through the target's own connection, after the commit.
        let copied = target.read(|dst| {
            counted
                .iter()
                .map(|(table, _)| {
                    dst.query_row(
                        &format!("SELECT COUNT(*) FROM \"{table}\""),
                        params![],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .collect::<Result<Vec<_>>>()
        })?;
        for ((table, expected), found) in counted.iter().zip(&copied) {
            if expected != found {
                return Err(Error::Internal(format!(
                    "{table}: {expected} rows in the file, {found} in the copy"
                )));
            }
        }
        Ok(CopyReport { tables: counted })
    }
}

/// Copies every row of `table` from `src` to `dst`, a few hundred rows per statement;
/// `copied(n)` after each.
fn copy_table(
    src: &Connection,
    dst: &Connection,
    table: &str,
    mut copied: impl FnMut(u64),
) -> Result<()> {
    let columns = src.columns(table)?;
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let width = columns.len().max(1);
    let per_statement = (COPY_PARAMETERS / width).clamp(1, COPY_ROWS);
    let insert = |rows: usize| {
        crate::store::insert_rows(&format!("INSERT INTO \"{table}\" ({list})"), width, rows)
    };
    let full = insert(per_statement);
    let mut read = src.prepare(&format!("SELECT {list} FROM \"{table}\""))?;
    let mut rows = read.query(params![])?;
    let mut values: Vec<Value> = Vec::with_capacity(per_statement * width);
    let mut flush = |values: &mut Vec<Value>| -> Result<()> {
        let n = values.len() / width;
        if n == 0 {
            return Ok(());
        }
        if n == per_statement {
            dst.prepare_cached(&full)?.execute(&*values)?;
        } else {
            dst.prepare(&insert(n))?.execute(&*values)?;
        }
        values.clear();
        copied(u64::try_from(n).unwrap_or(0));
        Ok(())
    };
    while let Some(row) = rows.next()? {
        for c in 0..columns.len() {
            values.push(row.get(c)?);
        }
        if values.len() >= per_statement * width {
            flush(&mut values)?;
        }
    }
    flush(&mut values)
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
