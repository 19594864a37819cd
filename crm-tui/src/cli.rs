//! Command-line parsing and the batch subcommands.

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use common::Output;
use crm_core::Crm;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod check;
mod common;
mod demo;
mod files;
mod leads;
mod links;
mod quote;
mod reindex;
mod report;
mod segments;
mod trash;

/// A terminal client for the crm engine: customers, leads, deals and tickets in one place.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// The database file (default: crm.db in your data directory), or a PostgreSQL
    /// database's URL, `postgresql://user@host/db` (a password in it is never shown).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// The tenant to open (default: the first one).
    #[arg(long)]
    tenant: Option<String>,
    /// The user (id) changes are made as (default: the tenant's first admin).
    #[arg(long, global = true)]
    user: Option<i64>,
    /// Open a fresh demo database (about 5,000 customers) in a temporary directory.
    #[arg(long, conflicts_with = "db")]
    demo: bool,
    /// Leave the mouse to the terminal (to select text); `m` in the client switches it.
    #[arg(long)]
    no_mouse: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a demo tenant at any scale.
    Demo {
        /// How many customers (everything else scales with it).
        #[arg(long, default_value_t = 5_000)]
        customers: usize,
        /// The tenant to create.
        #[arg(long, default_value = "demo")]
        tenant: String,
        /// The random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Show how many rows each table holds.
    Stats {
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Link tickets to leads and deals by email, phone and company, for one tenant or all.
    /// Safe to interrupt and run again: it carries on where it stopped.
    BackfillLinks {
        /// Report what would be linked; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Only this tenant (its key); every tenant when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        /// Tickets per transaction (1 to 10,000).
        #[arg(long, default_value_t = crm_core::links::DEFAULT_BATCH_SIZE)]
        batch_size: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Rebuild the search index from the database, with a progress bar.
    Reindex {
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Check the database: SQLite's integrity and foreign keys, every timeline against its
    /// sources, the analytics sums against the deals, every quote's amounts against its lines,
    /// the search index against the change feed. Fails on any problem.
    Check {
        /// Rebuild what is derived and differs: timelines and analytics sums (as each tenant's
        /// first admin) and the search index.
        #[arg(long)]
        repair: bool,
        /// `json`: what was found (and repaired) as one JSON document.
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Copy the whole database into a new file, consistent as of one moment, while others
    /// keep writing.
    Backup {
        /// The new file (it must not exist).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Copy the whole SQLite database (--db) into an empty PostgreSQL database, in one
    /// transaction, then check the copy: equal row counts in every table, and `crm check`'s
    /// checks of timelines, sums and quotes. The file is left as it was.
    MigrateTo {
        /// The PostgreSQL database, `postgresql://user@host/db` (its schema as `search_path`
        /// names it: `?options=-csearch_path%3Dcrm`); made to the latest schema first.
        url: String,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
    /// Pipeline funnel and rep performance, exact as of the last write: a table, JSON or CSV.
    Report {
        #[command(subcommand)]
        what: report::ReportCommand,
    },
    /// Quotes: render one as text or HTML; write down expiry.
    Quote {
        #[command(subcommand)]
        action: quote::QuoteCommand,
    },
    /// Saved segments of customers.
    Segments {
        #[command(subcommand)]
        action: SegmentsCommand,
    },
    /// Import a CSV or JSON Lines file of customers, leads, deals or tickets: the mapping
    /// suggested from the header (or given), duplicates matched, bad rows written to a CSV.
    /// Safe to interrupt and run again: it carries on after the last committed row.
    Import(files::ImportArgs),
    /// Export a list (with a filter, an order and columns) or a segment's members as CSV or
    /// JSON Lines.
    Export(files::ExportArgs),
    /// Move a record to the trash (with --cascade, what depends on it too).
    Delete(trash::DeleteArgs),
    /// What was deleted: list it, restore it, purge it for good.
    Trash {
        #[command(subcommand)]
        action: trash::TrashCommand,
    },
    /// Erase a customer for good (the right to erasure): their records, the personal values
    /// of their audit entries, and every byte of them in the database's files and index.
    Erase(trash::EraseArgs),
    /// Everything stored about a customer, as one JSON document (the right of access).
    ExportData(trash::ExportDataArgs),
    /// Leads: their scores.
    Leads {
        #[command(subcommand)]
        action: LeadsCommand,
    },
    /// Print a completion script for a shell, e.g. `crm completions bash >
    /// ~/.local/share/bash-completion/completions/crm`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `crm man | man -l -`.
    Man,
}

#[derive(Debug, Subcommand)]
enum LeadsCommand {
    /// Score every lead again by its tenant's rules (rules that count days move with the
    /// clock alone; scores set by hand give way), in batches, with a progress bar.
    Rescore {
        /// Only this tenant (its key); every tenant with rules when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
}

#[derive(Debug, Subcommand)]
enum SegmentsCommand {
    /// Evaluate every customer again for every segment (criteria that count days move with
    /// the clock alone), recording who entered and left; with a progress bar.
    Refresh {
        /// Only this tenant (its key); every tenant when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
}

/// Where logs go: never the terminal the client draws on.
fn log_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("crm")
        .join("crm.log")
}

fn default_db() -> Result<PathBuf> {
    let dir = dirs::data_dir()
        .context("no data directory on this system; pass --db PATH")?
        .join("crm");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.join("crm.db"))
}

fn init_logging() {
    let path = log_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("CRM_LOG")
                    .unwrap_or_else(|_| "info".into()),
            )
            .try_init();
    }
}

/// What `crm --help` says of exit codes (the README repeats it).
const EXIT_CODES: &str = "\
Exit codes:
  0  done (also when the reader of standard output closed it early: `crm … | head`)
  1  the command ran and found a problem (`crm check`), or failed in a way not listed here
  2  the command line or the input is wrong: an unknown flag, a kind, a file, a value refused
  3  not found: the database file, the tenant, the record or the user does not exist
  4  forbidden: the user's role does not allow it
  5  conflict: the record's state does not allow it (an external id taken, a sent quote)
  6  storage: the database could not be opened, read or written (or is busy)

With --format json, an error is written to standard error as one JSON line,
{\"ok\": false, \"error\": {\"code\": …, \"message\": …, \"field\": …}}, as the C ABI answers.";

/// How `crm` ended, for the shell: see [`EXIT_CODES`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    match classify(error).0 {
        "invalid_input" => 2,
        "not_found" => 3,
        "forbidden" => 4,
        "conflict" => 5,
        "storage" | "search" => 6,
        _ => 1,
    }
}

/// The error code (the engine's, or `failed`) and the field at fault of the first cause that
/// has them.
fn classify(error: &anyhow::Error) -> (&str, Option<&str>) {
    error
        .chain()
        .find_map(|e| {
            if let Some(e) = e.downcast_ref::<crm_core::Error>() {
                Some((e.code(), e.field()))
            } else {
                e.downcast_ref::<common::Refused>()
                    .map(|r| (r.code, r.field))
            }
        })
        .unwrap_or(("failed", None))
}

/// `error` as the C ABI would answer it, one JSON line: `{"ok": false, "error": {"code",
/// "message", "field"?}}`.
pub fn error_json(error: &anyhow::Error) -> String {
    let (code, field) = classify(error);
    let mut body = serde_json::json!({"code": code, "message": format!("{error:#}")});
    if let Some(field) = field {
        body["field"] = field.into();
    }
    serde_json::json!({"ok": false, "error": body}).to_string()
}

impl Cli {
    /// Whether the subcommand was asked for JSON (its errors are written as JSON too).
    pub fn wants_json(&self) -> bool {
        let format = match &self.command {
            Some(
                Command::Stats { format }
                | Command::Reindex { format }
                | Command::Check { format, .. }
                | Command::Backup { format, .. }
                | Command::MigrateTo { format, .. }
                | Command::Demo { format, .. }
                | Command::BackfillLinks { format, .. }
                | Command::Segments {
                    action: SegmentsCommand::Refresh { format, .. },
                }
                | Command::Leads {
                    action: LeadsCommand::Rescore { format, .. },
                },
            ) => *format,
            Some(Command::Report { what }) => what.output(),
            Some(Command::Quote { action }) => action.output(),
            Some(Command::Import(args)) => args.output(),
            Some(Command::Delete(args)) => args.output(),
            Some(Command::Trash { action }) => action.output(),
            Some(Command::Erase(args)) => args.output(),
            Some(Command::ExportData(_)) => Output::Json,
            _ => Output::Text,
        };
        format == Output::Json
    }

    /// Runs the command. A closed standard output (`crm … | head`) is success, however the
    /// command reported it: the output is simply not wanted any more.
    pub fn run(self) -> Result<()> {
        init_logging();
        // Everything goes through one handle on standard output, so that a closed pipe comes
        // back as an error (println! would panic) and ends the command where it was.
        let mut out = common::Stdout::default();
        let result = self.dispatch(&mut out);
        if out.closed {
            return Ok(());
        }
        result
    }

    fn dispatch(self, out: &mut common::Stdout) -> Result<()> {
        let db = || self.db.clone().map_or_else(default_db, Ok);
        match self.command {
            Some(Command::Demo {
                customers,
                tenant,
                seed,
                format,
            }) => {
                let db = db()?;
                demo::generate_demo(&db, &tenant, customers, seed, Some((out, format)))
            }
            Some(Command::BackfillLinks {
                dry_run,
                tenant_id,
                batch_size,
                format,
            }) => {
                let db = db()?;
                links::backfill_links(
                    &common::open_existing(&db)?,
                    dry_run,
                    tenant_id.as_deref(),
                    batch_size,
                    out,
                    format,
                )
            }
            Some(Command::Reindex { format }) => {
                let db = db()?;
                reindex::reindex(&common::open_existing(&db)?, out, format)
            }
            Some(Command::Check { repair, format }) => {
                let db = db()?;
                check::check(&common::open_existing(&db)?, repair, out, format)
            }
            Some(Command::MigrateTo { url, format }) => {
                let db = db()?;
                check::migrate_to(&common::open_existing(&db)?, &url, out, format)
            }
            Some(Command::Backup { out: path, format }) => {
                let db = db()?;
                let started = Instant::now();
                let report = common::open_existing(&db)?.backup(&path)?;
                if format == Output::Json {
                    return common::json_line(out, &report);
                }
                writeln!(
                    out,
                    "backed up {} to {} ({} bytes) in {:.1?}",
                    crm_core::store::shown(&db),
                    report.path,
                    report.bytes,
                    started.elapsed()
                )?;
                Ok(())
            }
            Some(Command::Segments {
                action: SegmentsCommand::Refresh { tenant_id, format },
            }) => {
                let db = db()?;
                segments::refresh_segments(
                    &common::open_existing(&db)?,
                    tenant_id.as_deref(),
                    out,
                    format,
                )
            }
            Some(Command::Leads {
                action: LeadsCommand::Rescore { tenant_id, format },
            }) => {
                let db = db()?;
                leads::rescore_leads(
                    &common::open_existing(&db)?,
                    tenant_id.as_deref(),
                    out,
                    format,
                )
            }
            Some(Command::Report { what }) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                report::run(&crm, what, out)
            }
            Some(Command::Quote { action }) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                quote::run(&crm, action, out)
            }
            Some(Command::Import(args)) => {
                let db = db()?;
                files::import(&common::open_existing(&db)?, self.user, &args, out)
            }
            Some(Command::Export(args)) => {
                let db = db()?;
                files::export(&common::open_existing(&db)?, &args, out)
            }
            Some(Command::Delete(args)) => {
                let db = db()?;
                trash::delete(&common::open_existing(&db)?, self.user, &args, out)
            }
            Some(Command::Trash { action }) => {
                let db = db()?;
                trash::run(&common::open_existing(&db)?, self.user, &action, out)
            }
            Some(Command::Erase(args)) => {
                let db = db()?;
                trash::erase(&common::open_existing(&db)?, self.user, &args, out)
            }
            Some(Command::ExportData(args)) => {
                let db = db()?;
                trash::export_data(&common::open_existing(&db)?, self.user, &args, out)
            }
            Some(Command::Stats { format }) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                let counts = crm_core::store::row_counts(&crm)?;
                if format == Output::Json {
                    let tables: serde_json::Map<String, serde_json::Value> = counts
                        .into_iter()
                        .map(|(table, n)| (table.to_string(), n.into()))
                        .collect();
                    return common::json_line(out, &tables);
                }
                for (table, n) in counts {
                    writeln!(out, "{table:>20} {n:>12}")?;
                }
                Ok(())
            }
            Some(Command::Completions { shell }) => {
                // Into memory first: clap_complete panics when its writer fails.
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "crm", &mut script);
                out.write_all(&script)?;
                Ok(())
            }
            Some(Command::Man) => {
                clap_mangen::Man::new(Cli::command()).render(out)?;
                Ok(())
            }
            None if self.demo => {
                let dir = tempfile::Builder::new().prefix("crm-demo-").tempdir()?;
                let db = dir.path().join("demo.db");
                let crm = Arc::new(
                    Crm::open(&db)
                        .with_context(|| format!("opening {}", crm_core::store::shown(&db)))?,
                );
                let making = demo::demo_behind(&crm)?;
                crate::client::app::run_on(
                    crm,
                    &db,
                    Some("demo"),
                    None,
                    Some(making),
                    !self.no_mouse,
                )
            }
            None => {
                let db = db()?;
                crate::client::app::run(&db, self.tenant.as_deref(), self.user, !self.no_mouse)
            }
        }
    }
}
