//! Command-line parsing and the batch subcommands.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use crm_core::Crm;
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
#[command(name = "crm", version, about)]
pub struct Cli {
    /// The database file (default: crm.db in your data directory), or a PostgreSQL
    /// database's URL, `postgresql://user@host/db` (a password in it is never shown).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// The tenant to open (default: the first one).
    #[arg(long)]
    tenant: Option<String>,
    /// The user (id) changes are made as (default: the tenant's first admin).
    #[arg(long)]
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
    },
    /// Show how many rows each table holds.
    Stats,
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
    },
    /// Rebuild the search index from the database, with a progress bar.
    Reindex,
    /// Check the database: SQLite's integrity and foreign keys, every timeline against its
    /// sources, the analytics sums against the deals, every quote's amounts against its lines,
    /// the search index against the change feed. Fails on any problem.
    Check {
        /// Rebuild what is derived and differs: timelines and analytics sums (as each tenant's
        /// first admin) and the search index.
        #[arg(long)]
        repair: bool,
    },
    /// Copy the whole database into a new file, consistent as of one moment, while others
    /// keep writing.
    Backup {
        /// The new file (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Copy the whole SQLite database (--db) into an empty PostgreSQL database, in one
    /// transaction, then check the copy: equal row counts in every table, and `crm check`'s
    /// checks of timelines, sums and quotes. The file is left as it was.
    MigrateTo {
        /// The PostgreSQL database, `postgresql://user@host/db` (its schema as `search_path`
        /// names it: `?options=-csearch_path%3Dcrm`); made to the latest schema first.
        url: String,
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
}

#[derive(Debug, Subcommand)]
enum LeadsCommand {
    /// Score every lead again by its tenant's rules (rules that count days move with the
    /// clock alone; scores set by hand give way), in batches, with a progress bar.
    Rescore {
        /// Only this tenant (its key); every tenant with rules when absent.
        #[arg(long)]
        tenant_id: Option<String>,
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

impl Cli {
    pub fn run(self) -> Result<()> {
        init_logging();
        let db = || self.db.clone().map_or_else(default_db, Ok);
        match self.command {
            Some(Command::Demo {
                customers,
                tenant,
                seed,
            }) => {
                let db = db()?;
                demo::generate_demo(&db, &tenant, customers, seed, true)?;
                Ok(())
            }
            Some(Command::BackfillLinks {
                dry_run,
                tenant_id,
                batch_size,
            }) => {
                let db = db()?;
                links::backfill_links(
                    &common::open_existing(&db)?,
                    dry_run,
                    tenant_id.as_deref(),
                    batch_size,
                )
            }
            Some(Command::Reindex) => {
                let db = db()?;
                reindex::reindex(&common::open_existing(&db)?)
            }
            Some(Command::Check { repair }) => {
                let db = db()?;
                check::check(&common::open_existing(&db)?, repair)
            }
            Some(Command::MigrateTo { url }) => {
                let db = db()?;
                check::migrate_to(&common::open_existing(&db)?, &url)
            }
            Some(Command::Backup { out }) => {
                let db = db()?;
                let started = Instant::now();
                let report = common::open_existing(&db)?.backup(&out)?;
                println!(
                    "backed up {} to {} ({} bytes) in {:.1?}",
                    crm_core::store::shown(&db),
                    report.path,
                    report.bytes,
                    started.elapsed()
                );
                Ok(())
            }
            Some(Command::Segments {
                action: SegmentsCommand::Refresh { tenant_id },
            }) => {
                let db = db()?;
                segments::refresh_segments(&common::open_existing(&db)?, tenant_id.as_deref())
            }
            Some(Command::Leads {
                action: LeadsCommand::Rescore { tenant_id },
            }) => {
                let db = db()?;
                leads::rescore_leads(&common::open_existing(&db)?, tenant_id.as_deref())
            }
            Some(Command::Report { what }) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                report::run(&crm, what, &mut std::io::stdout().lock())
            }
            Some(Command::Quote { action }) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                quote::run(&crm, action, &mut std::io::stdout().lock())
            }
            Some(Command::Import(args)) => {
                let db = db()?;
                files::import(&common::open_existing(&db)?, self.user, &args)
            }
            Some(Command::Export(args)) => {
                let db = db()?;
                files::export(
                    &common::open_existing(&db)?,
                    &args,
                    &mut std::io::stdout().lock(),
                )
            }
            Some(Command::Delete(args)) => {
                let db = db()?;
                trash::delete(
                    &common::open_existing(&db)?,
                    self.user,
                    &args,
                    &mut std::io::stdout().lock(),
                )
            }
            Some(Command::Trash { action }) => {
                let db = db()?;
                trash::run(
                    &common::open_existing(&db)?,
                    self.user,
                    &action,
                    &mut std::io::stdout().lock(),
                )
            }
            Some(Command::Erase(args)) => {
                let db = db()?;
                trash::erase(
                    &common::open_existing(&db)?,
                    self.user,
                    &args,
                    &mut std::io::stdout().lock(),
                )
            }
            Some(Command::ExportData(args)) => {
                let db = db()?;
                trash::export_data(
                    &common::open_existing(&db)?,
                    self.user,
                    &args,
                    &mut std::io::stdout().lock(),
                )
            }
            Some(Command::Stats) => {
                let db = db()?;
                let crm = common::open_existing(&db)?;
                for (table, n) in crm_core::store::row_counts(&crm)? {
                    println!("{table:>20} {n:>12}");
                }
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
