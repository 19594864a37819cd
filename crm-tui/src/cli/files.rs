//! `crm import` and `crm export`: CSV and JSON Lines files in and out of a tenant.

use super::common::Output;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use crm_core::Crm;
use crm_core::catalog::RecordKind;
use crm_core::import::{ImportRequest, Mapping, OnDuplicate, PlannedRow};
use indicatif::ProgressBar;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// What the rows are: customer, lead, deal or ticket.
    kind: String,
    /// The CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252) or JSON Lines file.
    file: PathBuf,
    /// Which column fills which field: a JSON object `{"field": "Column", …}` or a file
    /// holding one (suggested from the header when absent; `--dry-run` shows it).
    #[arg(long)]
    mapping: Option<String>,
    /// Match rows to stored records by these keys (besides the external id, always).
    #[arg(long, value_delimiter = ',', value_enum)]
    dedupe: Vec<Key>,
    /// What a row matching a stored record does.
    #[arg(long, value_enum, default_value_t = Duplicate::Skip)]
    on_duplicate: Duplicate,
    /// Plan every row and report what a run would do; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Where the rows that fail are written as CSV (row, line, column, field, value,
    /// message); `FILE-errors.csv` in the current folder when absent.
    #[arg(long)]
    errors: Option<PathBuf>,
    /// The tenant (its key); the first when absent.
    #[arg(long)]
    tenant_id: Option<String>,
    /// `text` for people, `json` for scripts (the answer of `import.run`).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Key {
    ExternalId,
    Email,
    Phone,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Duplicate {
    Skip,
    Update,
}

#[derive(Debug, Args)]
pub(super) struct ExportArgs {
    /// What is exported: a kind (customer, lead, deal, ticket, conversation, call, activity,
    /// product, quote) or a segment's members (`segment:ID`).
    what: String,
    /// Only the records these criteria keep, in their text form (`churnRisk >= 50`).
    #[arg(long = "where")]
    criteria: Option<String>,
    /// The order: a sortable field, `-` before it for descending (`-createdAt`).
    #[arg(long, allow_hyphen_values = true)]
    sort: Option<String>,
    /// The fields written, in order (every field when absent).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    format: FileFormat,
    /// The file written; standard output when absent or `-`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write cells as they are, without the `'` that keeps a spreadsheet from running a cell
    /// beginning with = + - @ as a formula (for a machine reader).
    #[arg(long)]
    raw: bool,
    /// The tenant (its key); the first when absent.
    #[arg(long)]
    tenant_id: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Csv,
    Jsonl,
}

impl ImportArgs {
    pub(super) fn output(&self) -> Output {
        self.format
    }
}

pub(super) fn kind_of(text: &str) -> Result<RecordKind> {
    let singular = text.strip_suffix('s').unwrap_or(text);
    [text, singular]
        .iter()
        .find_map(|t| t.parse::<RecordKind>().ok())
        .ok_or_else(|| super::common::invalid("kind", format!("{text:?} is not a kind of record")))
}

pub(super) fn tenant_of(crm: &Crm, tenant: Option<&str>) -> Result<String> {
    super::common::tenant_keys(crm, tenant)?
        .into_iter()
        .next()
        .ok_or_else(|| super::common::missing("the database has no tenant yet"))
}

fn mapping_of(text: &str) -> Result<Mapping> {
    let json = if text.trim_start().starts_with('{') {
        text.to_owned()
    } else {
        std::fs::read_to_string(text)
            .map_err(|e| super::common::invalid("--mapping", format!("reading {text}: {e}")))?
    };
    serde_json::from_str(&json).map_err(|e| {
        super::common::invalid(
            "--mapping",
            format!("not a JSON object of field → column: {e}"),
        )
    })
}

/// Imports `args.file`, showing a progress bar over its bytes, and writes the failed rows as
/// CSV.
pub(super) fn import(
    crm: &Crm,
    user: Option<i64>,
    args: &ImportArgs,
    out: &mut impl Write,
) -> Result<()> {
    let key = tenant_of(crm, args.tenant_id.as_deref())?;
    let actor = match user {
        Some(id) => crm_core::ids::UserId(id),
        None => crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to import as; pass --user"))?,
    };
    let scope = crm.scope(&key, Some(actor))?;
    let request = ImportRequest {
        kind: kind_of(&args.kind)?,
        path: Some(args.file.to_string_lossy().into_owned()),
        csv: None,
        format: None,
        mapping: args.mapping.as_deref().map(mapping_of).transpose()?,
        dedupe: args
            .dedupe
            .iter()
            .map(|k| match k {
                Key::ExternalId => crm_core::import::DedupeKey::ExternalId,
                Key::Email => crm_core::import::DedupeKey::Email,
                Key::Phone => crm_core::import::DedupeKey::Phone,
            })
            .collect(),
        on_duplicate: Some(match args.on_duplicate {
            Duplicate::Skip => OnDuplicate::Skip,
            Duplicate::Update => OnDuplicate::Update,
        }),
        dry_run: args.dry_run,
        limit: None,
    };
    // What the header suggests (or the mapping given), before anything is read through.
    let (_, mapping) = scope.import().mapping(&request)?;
    let size = std::fs::metadata(&args.file).map_or(0, |m| m.len());
    let bar = ProgressBar::new(size);
    bar.set_style(super::common::bar_style(
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)",
    ));
    if args.format == Output::Json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let errors_path = args.errors.clone().unwrap_or_else(|| {
        let stem = args
            .file
            .file_stem()
            .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}-errors.csv"))
    });
    let mut report = crm_core::import::ErrorFile::new(errors_path);
    let started = Instant::now();
    let mut counts = [0u64; 4];
    let mut failure: Option<anyhow::Error> = None;
    let outcome = scope.import().run_observed(
        &ImportRequest {
            mapping: Some(mapping.clone()),
            ..request
        },
        &mut |row: &PlannedRow, bytes: u64| {
            counts[row.action as usize] += 1;
            if let Err(e) = report.add(row) {
                failure = Some(e.into());
                return false;
            }
            if row.row.is_multiple_of(500) {
                bar.set_position(bytes);
                bar.set_message(format!(
                    "{} created, {} updated, {} failed",
                    counts[0], counts[1], counts[3]
                ));
            }
            true
        },
    );
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let outcome = outcome?;
    let written = report.finish()?;
    if args.format == Output::Json {
        return super::common::json_line(out, &outcome);
    }
    let s = outcome.summary;
    let elapsed = started.elapsed();
    writeln!(out, "mapping:")?;
    for (field, source) in &mapping.0 {
        writeln!(out, "  {field:<18} ← {}", serde_json::to_string(source)?)?;
    }
    writeln!(
        out,
        "{}{} rows: {} created, {} updated, {} skipped, {} failed, in {:.1?} ({:.0} rows/s)",
        if outcome.dry_run {
            "dry run, nothing written: "
        } else {
            ""
        },
        s.rows,
        s.created,
        s.updated,
        s.skipped,
        s.failed,
        elapsed,
        s.rows as f64 / elapsed.as_secs_f64().max(1e-9),
    )?;
    if let Some(path) = written {
        writeln!(
            out,
            "the {} rows that failed are in {} (row, line, column, field, value, message)",
            s.failed,
            path.display()
        )?;
        for e in outcome.errors.iter().take(5) {
            writeln!(
                out,
                "  row {} (line {}){}: {}",
                e.row,
                e.line,
                e.column
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default(),
                e.message
            )?;
        }
    }
    Ok(())
}

/// Writes a list or a segment to a file or standard output.
pub(super) fn export(crm: &Crm, args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let key = tenant_of(crm, args.tenant_id.as_deref())?;
    let scope = crm.scope(&key, None)?;
    let (kind, segment_id) = match args.what.strip_prefix("segment:") {
        Some(id) => (
            None,
            Some(crm_core::ids::SegmentId(id.parse().map_err(|_| {
                super::common::invalid("what", format!("{id:?} is not a segment id"))
            })?)),
        ),
        None => (Some(kind_of(&args.what)?), None),
    };
    let criteria = match (&args.criteria, kind) {
        (Some(text), Some(kind)) => {
            let fields = crm_core::schema::fields(kind).unwrap_or(&[]);
            let defs = crm_core::criteria::own_fields(fields);
            Some(crm_core::criteria::text::parse(text, &defs, "where")?.to_json())
        }
        (Some(_), None) => {
            return Err(super::common::invalid(
                "--where",
                "a segment's members are exported as the segment says",
            ));
        }
        (None, _) => None,
    };
    let sort = args.sort.as_deref().map(|s| match s.strip_prefix('-') {
        Some(field) => serde_json::json!({"field": field, "direction": "desc"}),
        None => serde_json::json!({"field": s, "direction": "asc"}),
    });
    let path = args.out.as_deref().filter(|p| *p != Path::new("-"));
    let request: crm_core::export::ExportRequest = serde_json::from_value(serde_json::json!({
        "kind": kind,
        "segmentId": segment_id,
        "where": criteria,
        "sort": sort,
        "columns": &args.columns,
        "format": match args.format { FileFormat::Csv => "csv", FileFormat::Jsonl => "jsonl" },
        "path": path.map_or_else(String::new, |p| p.to_string_lossy().into_owned()),
        "defuse": !args.raw,
    }))?;
    let started = Instant::now();
    match path {
        Some(p) => {
            let done = scope.export().run(&request)?;
            eprintln!(
                "{} rows written to {} in {:.1?}",
                done.rows,
                p.display(),
                started.elapsed()
            );
        }
        None => {
            scope.export().write(&request, out)?;
        }
    }
    Ok(())
}
