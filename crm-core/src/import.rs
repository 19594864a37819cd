//! Importing CSV and JSON Lines files (API.md "Import and export"): `import.preview` plans every
//! row, `import.run` writes them.
//!
//! A row goes through the very create or update a request would (`customers::create`, …), so
//! an imported record is checked, audited and fed like any other. What the file adds:
//! - **mapping** (`mapping`): each field of the kind takes a column (suggested from the header:
//!   case, spacing, the kind's name as a prefix and common synonyms), a fixed value, or a
//!   template of columns; each cell is read as its field's type (`values`), references by
//!   external id, email or name (`resolve`);
//! - **dedupe**: a row whose external id (always, when mapped), email or phone (when asked)
//!   matches a record is a duplicate: skipped, or an update of the fields mapped (`onDuplicate`)
//!   — an update that would change nothing is skipped as `unchanged`. A key seen on an earlier
//!   row of the same file is reported as a duplicate of that row;
//! - **batches and resuming**: the run commits every [`BATCH_ROWS`] rows together with how far
//!   it got (`import_runs`, keyed by a fingerprint of the file, the kind and the options), so
//!   running an interrupted import again starts after the last committed row, and running a
//!   finished one again does nothing but try the rows that failed (`import_failures`);
//! - **dry run**: the same code in one transaction that is rolled back.
//!
//! A bad row never stops the others: it is refused before anything of it is written, and its
//! errors (row, line, column, value, message) are reported.

mod mapping;
pub mod read;
mod resolve;
pub mod values;

pub use mapping::{ImportField, Mapping, Source, fields};
pub use mapping::{defuse, undefuse};
pub use read::{Format, Input, Layout};

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::sql::{OptionalExtension, params};
use crate::store::Tx;
use crate::tenancy::Scope;
use crate::time;
use mapping::{Bound, Target};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Rows written per transaction of a real run.
pub const BATCH_ROWS: usize = 5_000;
/// Pages the write-ahead log may hold before it is copied into the file while an import runs
/// (400 MB of 4 KiB pages; the store's usual bound is 10,000).
const IMPORT_CHECKPOINT_PAGES: i64 = 100_000;
/// Most row errors (and rows, in a preview) an answer carries; every one is still counted, and
/// handed to the caller's [`Observer`].
pub const MAX_REPORTED: usize = 1_000;

/// A key that makes a row a duplicate of a stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DedupeKey {
    /// The id the record has in the other system (`externalId`).
    ExternalId,
    /// The email address, compared lowercased.
    Email,
    /// The phone number, compared by its E.164 form.
    Phone,
}

/// What to do with a row that duplicates a stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnDuplicate {
    /// Leave the stored record as it is.
    #[default]
    Skip,
    /// Write the row's values over the stored record's.
    Update,
}

/// What `import.preview` and `import.run` take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    /// `customer`, `lead`, `deal` or `ticket`.
    pub kind: RecordKind,
    /// A file on the machine running the engine…
    pub path: Option<String>,
    /// …or the file's text itself.
    pub csv: Option<String>,
    /// From the file's name and first bytes when absent.
    pub format: Option<Format>,
    /// Suggested from the header when absent.
    pub mapping: Option<Mapping>,
    /// Keys that make a row a duplicate of a stored record, besides `externalId` (always).
    #[serde(default)]
    pub dedupe: Vec<DedupeKey>,
    /// What a duplicate row does: `skip` when absent.
    pub on_duplicate: Option<OnDuplicate>,
    /// Plan every row and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// A preview's most rows in `rows` (every row is planned and counted); 100 when absent.
    pub limit: Option<usize>,
}

/// What happens to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// A new record.
    Create,
    /// A stored record changed.
    Update,
    /// Nothing written (`reason` says why).
    Skip,
    /// The row cannot be imported (`errors` say why).
    Error,
}

/// Why a row cannot be imported: where (row, line, column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    /// The row, counting from 1 under the header.
    pub row: u64,
    /// The file's line the row starts on.
    pub line: u64,
    /// The column at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The cell's text (clipped), if a cell is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

/// One row's plan (or, in a run, what was done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRow {
    /// The row number, 1 for the first row of data.
    pub row: u64,
    /// The file's line the row starts on (the header is line 1).
    pub line: u64,
    /// What happens to it.
    pub action: Action,
    /// The record created or updated, or the duplicate skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Why a row is skipped: `duplicate` (of a stored record), `unchanged` (an update that
    /// changes nothing), `repeated` (a key of an earlier row of the file; `firstRow` names
    /// it), `imported` (an earlier run of this very file wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// For a `repeated` row: the earlier row of the file with the same key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_row: Option<u64>,
    /// Why an `error` row cannot be imported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
    /// The row's fields as read (a preview's rows only): what a person checks the mapping by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Map<String, Value>>,
}

/// Counts of a preview or a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Rows read.
    pub rows: u64,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Rows skipped.
    pub skipped: u64,
    /// Rows that failed.
    pub failed: u64,
}

/// What `import.preview` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// What the file was found to be: format, delimiter, encoding, columns.
    #[serde(flatten)]
    pub layout: Layout,
    /// Which column fills which field, as suggested or given.
    pub mapping: Mapping,
    /// The first `limit` rows' plans.
    pub rows: Vec<PlannedRow>,
    /// What a run would do with every row.
    pub summary: Summary,
}

/// What `import.run` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// What the run did (or, dry, would do).
    #[serde(flatten)]
    pub summary: Summary,
    /// The first [`MAX_REPORTED`] row errors.
    pub errors: Vec<RowError>,
    /// Row errors beyond those listed.
    pub errors_omitted: u64,
    /// Nothing was written.
    pub dry_run: bool,
    /// The caller stopped the run; what was committed stays, and running the file again
    /// finishes it.
    pub cancelled: bool,
}

/// Told of every row as it is planned or written, in order; answers whether to go on. The
/// CLI's progress bar and error file, the client's gauge and its cancel key are observers.
pub trait Observer {
    /// `bytes` is how far into the file the reading is.
    fn row(&mut self, planned: &PlannedRow, bytes: u64) -> bool;
}

impl<F: FnMut(&PlannedRow, u64) -> bool> Observer for F {
    fn row(&mut self, planned: &PlannedRow, bytes: u64) -> bool {
        self(planned, bytes)
    }
}

/// `import.*`.
#[derive(Debug, Clone, Copy)]
pub struct Import<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Imports of files into this tenant.
    pub fn import(&self) -> Import<'_, 'c> {
        Import(self)
    }
}

impl Import<'_, '_> {
    /// Plans every row as a run would (a dry run) and shows the first `limit`.
    pub fn preview(&self, request: &ImportRequest) -> Result<Preview> {
        let limit = request.limit.unwrap_or(100).min(MAX_REPORTED);
        let mut rows = Vec::new();
        let mut keep = |planned: &PlannedRow, _: u64| {
            if rows.len() < limit {
                rows.push(planned.clone());
            }
            true
        };
        let (layout, mapping, outcome) = self.execute(request, true, true, &mut keep)?;
        Ok(Preview {
            layout,
            mapping,
            rows,
            summary: outcome.summary,
        })
    }

    /// The file's layout and the mapping a run would use (given, or suggested from the
    /// header), checked against the kind and the columns — reading the header only. A
    /// required field left unmapped is not refused here (a wizard fills it next); the run
    /// refuses it.
    pub fn mapping(&self, request: &ImportRequest) -> Result<(Layout, Mapping)> {
        let target = mapping::targets(request.kind)?;
        let table = read::open(&input_of(request)?, request.format)?;
        let mapping = match &request.mapping {
            Some(m) => m.clone(),
            None => Mapping::suggest(target, &table.layout.columns),
        };
        let bound = mapping.bind(target, &table.layout.columns)?;
        dedupe_keys(request, target, &bound)?;
        Ok((table.layout, mapping))
    }

    /// Imports the file (or, with `dryRun`, answers what importing it would do).
    pub fn run(&self, request: &ImportRequest) -> Result<Outcome> {
        self.run_observed(request, &mut |_: &PlannedRow, _: u64| true)
    }

    /// [`Import::run`], telling `observer` of every row.
    pub fn run_observed(
        &self,
        request: &ImportRequest,
        observer: &mut dyn Observer,
    ) -> Result<Outcome> {
        self.execute(request, request.dry_run, false, observer)
            .map(|(_, _, outcome)| outcome)
    }

    fn execute(
        self,
        request: &ImportRequest,
        dry_run: bool,
        values: bool,
        observer: &mut dyn Observer,
    ) -> Result<(Layout, Mapping, Outcome)> {
        let scope = self.0;
        let target = mapping::targets(request.kind)?;
        let input = input_of(request)?;
        let mut table = read::open(&input, request.format)?;
        let mapping = match &request.mapping {
            Some(m) => m.clone(),
            None => Mapping::suggest(target, &table.layout.columns),
        };
        let bound = mapping.bind(target, &table.layout.columns)?;
        mapping.require(target)?;
        let dedupe = dedupe_keys(request, target, &bound)?;
        let on_duplicate = request.on_duplicate.unwrap_or_default();
        // Checked before the file is read through, so that a viewer learns at once.
        scope.write_rolled_back(|_| Ok(()))?;
        if matches!(request.kind, RecordKind::User | RecordKind::Team) {
            scope.admin(crate::methods::IMPORT_RUN)?;
        }
        let salt = serde_json::json!([request.kind, mapping, dedupe, on_duplicate, request.format])
            .to_string();
        let fingerprint = format!("{:032x}", read::fingerprint(&input, &salt)?);
        let mut run = Run {
            bound: &bound,
            target,
            dedupe: &dedupe,
            lookups: dedupe
                .iter()
                .map(|key| {
                    let column = match key {
                        DedupeKey::ExternalId => "external_id",
                        DedupeKey::Email => "email_key",
                        DedupeKey::Phone => "phone_key",
                    };
                    let sql = format!(
                        "SELECT id FROM {} WHERE tenant_id = ?1 AND {column} = ?2 LIMIT 2",
                        target.kind.table()
                    );
                    (*key, sql)
                })
                .collect(),
            on_duplicate,
            seen: HashMap::new(),
            resolver: resolve::Resolver::default(),
            summary: Summary::default(),
            errors: Vec::new(),
            errors_omitted: 0,
            cancelled: false,
            done_before: 0,
            failed_before: HashSet::new(),
            finished: false,
            values,
        };
        let mut step = |tx: &mut Tx<'_>, run: &mut Run<'_>, table: &mut read::Table| {
            run.batch(tx, table, &fingerprint, observer, dry_run)
        };
        if dry_run {
            scope.write_rolled_back(|tx| {
                while !run.finished && !run.cancelled {
                    step(tx, &mut run, &mut table)?;
                }
                Ok(())
            })?;
        } else {
            // The log is copied into the file less often while the batches write (an index page
            // written by many batches is copied once, not once per batch: 10% of a million-row
            // import), and once at the end, so the import pays for its own checkpoint.
            scope.crm.checkpoint_every(IMPORT_CHECKPOINT_PAGES)?;
            let mut batches = || -> Result<()> {
                while !run.finished && !run.cancelled {
                    scope.write(|tx| step(tx, &mut run, &mut table))?;
                }
                Ok(())
            };
            let written = batches();
            let restored = scope
                .crm
                .checkpoint_every(crate::store::WAL_CHECKPOINT_PAGES);
            written?;
            restored?;
            scope.crm.checkpoint_passive()?;
        }
        if run.summary.rows == 0 {
            return Err(Error::invalid(
                if matches!(input, Input::Path(_)) {
                    "path"
                } else {
                    "csv"
                },
                "the file has a header and no rows",
            ));
        }
        let outcome = Outcome {
            summary: run.summary,
            errors: run.errors,
            errors_omitted: run.errors_omitted,
            dry_run,
            cancelled: run.cancelled,
        };
        Ok((table.layout, mapping, outcome))
    }
}

fn input_of(request: &ImportRequest) -> Result<Input> {
    match (&request.path, &request.csv) {
        (Some(path), None) => Ok(Input::Path(path.into())),
        (None, Some(text)) => Ok(Input::Text(text.clone())),
        _ => Err(Error::invalid("path", "give either path or csv")),
    }
}

/// The keys a row is deduplicated by: the external id whenever it is mapped (two records may
/// not share one), then the ones asked for, each of which the kind must have and the mapping
/// must fill.
fn dedupe_keys(request: &ImportRequest, target: &Target, bound: &Bound) -> Result<Vec<DedupeKey>> {
    let mut keys = Vec::new();
    if bound.maps("externalId") {
        keys.push(DedupeKey::ExternalId);
    }
    for (i, key) in request.dedupe.iter().enumerate() {
        let field = match key {
            DedupeKey::ExternalId => "externalId",
            DedupeKey::Email => "email",
            DedupeKey::Phone => "phone",
        };
        let path = format!("dedupe[{i}]");
        if !target.matches_by(*key) {
            return Err(Error::invalid(
                &path,
                format!("{}s have no {field} to match by", target.kind.as_str()),
            ));
        }
        if !bound.maps(field) {
            return Err(Error::invalid(
                &path,
                format!("the mapping gives no {field} to match by"),
            ));
        }
        if !keys.contains(key) {
            keys.push(*key);
        }
    }
    Ok(keys)
}

/// The state of one import as it goes through the file.
struct Run<'a> {
    bound: &'a Bound,
    target: &'static Target,
    dedupe: &'a [DedupeKey],
    /// The statement that finds a stored record by each dedupe key (written once per run).
    lookups: Vec<(DedupeKey, String)>,
    on_duplicate: OnDuplicate,
    /// Each key (hashed) already met in the file, and the first row that had it.
    seen: HashMap<u128, u64>,
    resolver: resolve::Resolver,
    summary: Summary,
    errors: Vec<RowError>,
    errors_omitted: u64,
    cancelled: bool,
    /// Rows an earlier run of the same file went through…
    done_before: u64,
    /// …and those of them that failed (tried again).
    failed_before: HashSet<u64>,
    finished: bool,
    /// Whether each row carries its fields as read (a preview).
    values: bool,
}

impl Run<'_> {
    /// Plans or writes up to [`BATCH_ROWS`] rows in `tx`, then records how far the file went.
    fn batch(
        &mut self,
        tx: &mut Tx<'_>,
        table: &mut read::Table,
        fingerprint: &str,
        observer: &mut dyn Observer,
        dry_run: bool,
    ) -> Result<()> {
        if self.summary.rows == 0 {
            self.done_before = tx
                .prepare_cached(
                    "SELECT rows_done FROM import_runs WHERE tenant_id = ?1 AND fingerprint = ?2",
                )?
                .query_row(params![tx.tenant, fingerprint], |r| r.get::<_, i64>(0))
                .optional()?
                .map_or(0, |done| done as u64);
            self.failed_before = tx
                .prepare_cached(
                    "SELECT row FROM import_failures WHERE tenant_id = ?1 AND fingerprint = ?2",
                )?
                .query_map(params![tx.tenant, fingerprint], |r| r.get::<_, i64>(0))?
                .map(|row| row.map(|r| r as u64))
                .collect::<Result<_>>()?;
        }
        // A batch's audit and feed entries go in a few multi-row statements at its end (a dry
        // run is one batch of the whole file, rolled back: it writes them as it goes, so as not
        // to hold a file's worth in memory).
        if !dry_run {
            tx.hold_changes();
        }
        let mut written = 0;
        while written < BATCH_ROWS || dry_run {
            let Some(source) = table.next_row()? else {
                self.finished = true;
                break;
            };
            let planned = self.row(tx, &source)?;
            self.count(&planned);
            self.note_failure(tx, fingerprint, &planned)?;
            if !observer.row(&planned, table.position()) {
                self.cancelled = true;
                break;
            }
            written += 1;
        }
        tx.write_held()?;
        let done = self.summary.rows.max(self.done_before);
        tx.prepare_cached(
            "INSERT INTO import_runs (tenant_id, fingerprint, kind, rows_done, finished, started_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET
               rows_done = CASE WHEN excluded.rows_done > import_runs.rows_done
                                THEN excluded.rows_done ELSE import_runs.rows_done END,
               finished = CASE WHEN excluded.finished > import_runs.finished
                               THEN excluded.finished ELSE import_runs.finished END,
               updated_at = excluded.updated_at",
        )?
        .execute(params![
            tx.tenant,
            fingerprint,
            self.target.kind.as_str(),
            done as i64,
            self.finished,
            time::to_millis(tx.now)
        ])?;
        Ok(())
    }

    /// Keeps the rows that failed, so a later run of the file tries them again.
    fn note_failure(&self, tx: &Tx<'_>, fingerprint: &str, planned: &PlannedRow) -> Result<()> {
        let row = planned.row as i64;
        if planned.action == Action::Error {
            tx.prepare_cached(
                "INSERT INTO import_failures (tenant_id, fingerprint, row) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![tx.tenant, fingerprint, row])?;
        } else if self.failed_before.contains(&planned.row) {
            tx.prepare_cached(
                "DELETE FROM import_failures WHERE tenant_id = ?1 AND fingerprint = ?2 AND row = ?3",
            )?
            .execute(params![tx.tenant, fingerprint, row])?;
        }
        Ok(())
    }

    fn count(&mut self, planned: &PlannedRow) {
        self.summary.rows += 1;
        match planned.action {
            Action::Create => self.summary.created += 1,
            Action::Update => self.summary.updated += 1,
            Action::Skip => self.summary.skipped += 1,
            Action::Error => {
                self.summary.failed += 1;
                for error in &planned.errors {
                    if self.errors.len() < MAX_REPORTED {
                        self.errors.push(error.clone());
                    } else {
                        self.errors_omitted += 1;
                    }
                }
            }
        }
    }

    fn row(&mut self, tx: &mut Tx<'_>, source: &read::SourceRow) -> Result<PlannedRow> {
        let mut planned = PlannedRow {
            row: source.row,
            line: source.line,
            action: Action::Skip,
            id: None,
            reason: None,
            first_row: None,
            errors: Vec::new(),
            values: None,
        };
        let error =
            |column: Option<&str>, field: Option<&str>, value: Option<&str>, message| RowError {
                row: source.row,
                line: source.line,
                column: column.map(str::to_owned),
                field: field.map(str::to_owned),
                value: value.map(|v| crate::error::clip(v).into_owned()),
                message,
            };
        if source.row <= self.done_before && !self.failed_before.contains(&source.row) {
            planned.reason = Some("imported");
            return Ok(planned);
        }
        let cells = match &source.values {
            Ok(cells) => cells,
            Err(message) => {
                planned.action = Action::Error;
                planned
                    .errors
                    .push(error(None, None, None, message.clone()));
                return Ok(planned);
            }
        };
        let (fields, problems) = self.bound.convert(cells, &mut self.resolver, tx)?;
        if self.values {
            planned.values = Some(fields.clone());
        }
        if !problems.is_empty() {
            planned.action = Action::Error;
            planned.errors = problems
                .into_iter()
                .map(|p| {
                    let column = self.bound.column_of(&p.field);
                    let value = column.and_then(|c| Bound::cell(cells, c));
                    error(
                        column.map(|c| self.bound.columns[c].as_str()),
                        Some(&p.field),
                        value,
                        p.message,
                    )
                })
                .collect();
            return Ok(planned);
        }
        // A key of an earlier row of this file: reported, not imported twice.
        let keys = self.keys(&fields, &tx.region);
        for (key, _) in &keys {
            if let Some(first) = self.seen.get(key) {
                planned.reason = Some("repeated");
                planned.first_row = Some(*first);
                return Ok(planned);
            }
        }
        let existing = match self.existing(tx, &keys)? {
            Ok(existing) => existing,
            Err(message) => {
                planned.action = Action::Error;
                planned.errors.push(error(None, None, None, message));
                return Ok(planned);
            }
        };
        // Every create and update checks all it can refuse before its first write, so a row
        // refused wrote nothing and needs no savepoint of its own (per-row savepoints cost a
        // fifth of an import's time). Should one ever write first and refuse after, the change
        // count tells, and the batch is rolled back rather than kept half-written.
        let changes = tx.total_changes()?;
        let written = match existing {
            Some(id) => {
                planned.id = Some(id);
                match self.on_duplicate {
                    OnDuplicate::Skip => {
                        planned.reason = Some("duplicate");
                        Ok(())
                    }
                    OnDuplicate::Update => self.update(tx, id, fields).map(|changed| {
                        if changed {
                            planned.action = Action::Update;
                        } else {
                            planned.reason = Some("unchanged");
                        }
                    }),
                }
            }
            None => (self.target.create)(tx, fields).map(|id| {
                planned.action = Action::Create;
                planned.id = Some(id);
            }),
        };
        match written {
            Ok(()) => {
                for (key, _) in &keys {
                    self.seen.insert(*key, source.row);
                }
            }
            Err(e) => {
                // A database failure is not the row's fault: stop, keeping committed batches.
                if matches!(
                    e,
                    Error::Storage(_) | Error::Internal(_) | Error::Search(_) | Error::Migration(_)
                ) {
                    return Err(e);
                }
                if tx.total_changes()? != changes {
                    return Err(Error::Internal(format!(
                        "row {} was refused after part of it was written ({e})",
                        source.row
                    )));
                }
                let field = e.field().map(str::to_owned);
                let column = field.as_deref().and_then(|f| self.bound.column_of(f));
                planned.action = Action::Error;
                planned.id = None;
                planned.reason = None;
                planned.errors.push(error(
                    column.map(|c| self.bound.columns[c].as_str()),
                    field.as_deref(),
                    column.and_then(|c| Bound::cell(cells, c)),
                    e.to_string(),
                ));
            }
        }
        Ok(planned)
    }

    /// Each dedupe key the row has, hashed (for the file) and as stored (for the database).
    fn keys(&self, fields: &Map<String, Value>, region: &str) -> Vec<(u128, (DedupeKey, String))> {
        use std::hash::Hasher;
        self.dedupe
            .iter()
            .filter_map(|key| {
                let text = |f: &str| fields.get(f).and_then(Value::as_str);
                let stored = match key {
                    DedupeKey::ExternalId => text("externalId").map(str::to_owned),
                    DedupeKey::Email => text("email").and_then(crate::matching::email_key),
                    DedupeKey::Phone => {
                        text("phone").and_then(|p| crate::matching::phone_key(p, region))
                    }
                }?;
                let mut hasher = siphasher::sip128::SipHasher13::new();
                hasher.write(&[*key as u8]);
                hasher.write(stored.as_bytes());
                let hash = siphasher::sip128::Hasher128::finish128(&hasher).as_u128();
                Some((hash, (*key, stored)))
            })
            .collect()
    }

    /// The stored record the row duplicates, if any; two different ones are the row's error
    /// (the inner `Err`), a database failure the import's.
    fn existing(
        &self,
        tx: &Tx<'_>,
        keys: &[(u128, (DedupeKey, String))],
    ) -> Result<std::result::Result<Option<i64>, String>> {
        let mut found: Option<(DedupeKey, i64)> = None;
        for (_, (key, value)) in keys {
            let sql = self
                .lookups
                .iter()
                .find_map(|(k, sql)| (k == key).then_some(sql.as_str()))
                .ok_or_else(|| Error::Internal(format!("no lookup for {key:?}")))?;
            let ids: Vec<i64> = tx
                .prepare_cached(sql)?
                .query_map(params![tx.tenant, value], |r| r.get(0))?
                .collect::<Result<_>>()?;
            let name = key_name(*key);
            let kind = self.target.kind.as_str();
            match (ids.as_slice(), found) {
                ([], _) => {}
                ([id], None) => found = Some((*key, *id)),
                ([id], Some((_, same))) if *id == same => {}
                ([id], Some((other, first))) => {
                    return Ok(Err(format!(
                        "matches {kind} {first} by {} and {id} by {name}",
                        key_name(other)
                    )));
                }
                _ => {
                    return Ok(Err(format!(
                        "several {kind}s have this {name}; merge them first"
                    )));
                }
            }
        }
        Ok(Ok(found.map(|(_, id)| id)))
    }

    /// Updates record `id` with the row's fields (those an update may change); `false` when
    /// they already hold.
    fn update(&self, tx: &mut Tx<'_>, id: i64, fields: Map<String, Value>) -> Result<bool> {
        let current = (self.target.current)(tx, id)?;
        let changes: Map<String, Value> = fields
            .into_iter()
            .filter(|(field, value)| {
                self.target
                    .field(field)
                    .is_some_and(|f| !f.create_only && current.get(field) != Some(value))
            })
            .collect();
        if changes.is_empty() {
            return Ok(false);
        }
        (self.target.update)(tx, id, changes)?;
        Ok(true)
    }
}

fn key_name(key: DedupeKey) -> &'static str {
    match key {
        DedupeKey::ExternalId => "external id",
        DedupeKey::Email => "email",
        DedupeKey::Phone => "phone",
    }
}

/// A field's value written as the records' JSON writes it, so a stored record and a row
/// compare equal when they hold the same.
pub(crate) fn time_value(t: time::Timestamp) -> Value {
    Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The rows that failed, written as CSV as they come (row, line, column, field, value,
/// message; a value a spreadsheet would run as a formula defused): the file is made only when
/// a row fails. The CLI and the client hand each row of a run to [`ErrorFile::add`].
#[derive(Debug)]
pub struct ErrorFile {
    path: std::path::PathBuf,
    writer: Option<csv::Writer<std::fs::File>>,
}

impl ErrorFile {
    /// An error file to be written at `path`; nothing is written until a row fails.
    pub fn new(path: std::path::PathBuf) -> ErrorFile {
        ErrorFile { path, writer: None }
    }

    /// Writes the row's errors, if it has any.
    pub fn add(&mut self, planned: &PlannedRow) -> Result<()> {
        if planned.errors.is_empty() {
            return Ok(());
        }
        let failed = |e: &dyn std::fmt::Display| {
            Error::invalid(
                "errors",
                format!("{} cannot be written: {e}", self.path.display()),
            )
        };
        if self.writer.is_none() {
            let mut w = csv::Writer::from_path(&self.path).map_err(|e| failed(&e))?;
            w.write_record(["row", "line", "column", "field", "value", "message"])
                .map_err(|e| failed(&e))?;
            self.writer = Some(w);
        }
        if let Some(w) = &mut self.writer {
            for e in &planned.errors {
                w.write_record([
                    e.row.to_string(),
                    e.line.to_string(),
                    e.column.clone().unwrap_or_default(),
                    e.field.clone().unwrap_or_default(),
                    defuse(e.value.clone().unwrap_or_default()),
                    e.message.clone(),
                ])
                .map_err(|e| failed(&e))?;
            }
        }
        Ok(())
    }

    /// The file's path, if a row failed.
    pub fn finish(self) -> Result<Option<std::path::PathBuf>> {
        match self.writer {
            None => Ok(None),
            Some(mut w) => {
                w.flush().map_err(|e| {
                    Error::invalid(
                        "errors",
                        format!("{} cannot be written: {e}", self.path.display()),
                    )
                })?;
                Ok(Some(self.path))
            }
        }
    }
}
