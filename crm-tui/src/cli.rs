//! Command-line parsing and the batch subcommands.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use crm_core::Crm;
use crm_core::demo::{self, DemoOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A terminal client for the crm engine: customers, leads, deals and tickets in one place.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about)]
pub struct Cli {
    /// The database file (default: crm.db in your data directory).
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
    /// Pipeline funnel and rep performance, exact as of the last write: a table, JSON or CSV.
    Report {
        #[command(subcommand)]
        what: crate::report::ReportCommand,
    },
    /// Quotes: render one as text or HTML; write down expiry.
    Quote {
        #[command(subcommand)]
        action: crate::quote::QuoteCommand,
    },
    /// Saved segments of customers.
    Segments {
        #[command(subcommand)]
        action: SegmentsCommand,
    },
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
        match self.command {
            Some(Command::Demo {
                customers,
                tenant,
                seed,
            }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                generate_demo(&db, &tenant, customers, seed, true)?;
                Ok(())
            }
            Some(Command::BackfillLinks {
                dry_run,
                tenant_id,
                batch_size,
            }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                backfill_links(
                    &open_existing(&db)?,
                    dry_run,
                    tenant_id.as_deref(),
                    batch_size,
                )
            }
            Some(Command::Reindex) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                reindex(&open_existing(&db)?)
            }
            Some(Command::Check { repair }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                check(&open_existing(&db)?, repair)
            }
            Some(Command::Backup { out }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                let started = Instant::now();
                let report = open_existing(&db)?.backup(&out)?;
                println!(
                    "backed up {} to {} ({} bytes) in {:.1?}",
                    db.display(),
                    report.path,
                    report.bytes,
                    started.elapsed()
                );
                Ok(())
            }
            Some(Command::Segments {
                action: SegmentsCommand::Refresh { tenant_id },
            }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                refresh_segments(&open_existing(&db)?, tenant_id.as_deref())
            }
            Some(Command::Leads {
                action: LeadsCommand::Rescore { tenant_id },
            }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                rescore_leads(&open_existing(&db)?, tenant_id.as_deref())
            }
            Some(Command::Report { what }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                let crm = open_existing(&db)?;
                crate::report::run(&crm, what, &mut std::io::stdout().lock())
            }
            Some(Command::Quote { action }) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                let crm = open_existing(&db)?;
                crate::quote::run(&crm, action, &mut std::io::stdout().lock())
            }
            Some(Command::Stats) => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                let crm = open_existing(&db)?;
                for (table, n) in crm_core::store::row_counts(&crm)? {
                    println!("{table:>20} {n:>12}");
                }
                Ok(())
            }
            None if self.demo => {
                let dir = tempfile::Builder::new().prefix("crm-demo-").tempdir()?;
                let db = dir.path().join("demo.db");
                let crm =
                    Arc::new(Crm::open(&db).with_context(|| format!("opening {}", db.display()))?);
                let making = demo_behind(&crm)?;
                crate::app::run_on(crm, &db, Some("demo"), None, Some(making), !self.no_mouse)
            }
            None => {
                let db = match self.db {
                    Some(db) => db,
                    None => default_db()?,
                };
                crate::app::run(&db, self.tenant.as_deref(), self.user, !self.no_mouse)
            }
        }
    }
}

fn open_existing(db: &Path) -> Result<Crm> {
    if !db.exists() {
        bail!(
            "{} does not exist; create one with `crm demo --db {}`",
            db.display(),
            db.display()
        );
    }
    Crm::open(db).with_context(|| format!("opening {}", db.display()))
}

/// Customers of the demo `crm --demo` opens on.
const DEMO_CUSTOMERS: usize = 5_000;

/// Starts generating the demo into `crm` on a thread of its own and returns once its first
/// batch of customers is committed, so the client opens at once and fills in as it goes.
fn demo_behind(crm: &Arc<Crm>) -> Result<Arc<crate::app::Making>> {
    let making = Arc::new(crate::app::Making {
        total: DEMO_CUSTOMERS,
        ..crate::app::Making::default()
    });
    let (first, first_batch) = std::sync::mpsc::channel();
    let (crm, made) = (Arc::clone(crm), Arc::clone(&making));
    std::thread::Builder::new()
        .name("crm-demo".into())
        .spawn(move || {
            let started = Instant::now();
            let options = DemoOptions {
                customers: DEMO_CUSTOMERS,
                ..DemoOptions::default()
            };
            let result = demo::generate(&crm, &options, |done, _| {
                made.done.store(done, std::sync::atomic::Ordering::Relaxed);
                let _ = first.send(());
            });
            tracing::info!(elapsed = ?started.elapsed(), ok = result.is_ok(), "demo database made");
            if let Ok(mut end) = made.ended.lock() {
                *end = Some(result.map(drop).map_err(|e| format!("{e:#}")));
            }
            let _ = first.send(());
        })?;
    // The first batch (or the end, should it fail before): the tenant exists from then on.
    let _ = first_batch.recv();
    if making.progress().0 == 0
        && let Some(Err(e)) = making.ended.lock().ok().and_then(|mut end| end.take())
    {
        bail!("generating the demo: {e}");
    }
    Ok(making)
}

fn generate_demo(
    db: &Path,
    tenant: &str,
    customers: usize,
    seed: u64,
    show_progress: bool,
) -> Result<()> {
    let crm = Crm::open(db).with_context(|| format!("opening {}", db.display()))?;
    let bar = if show_progress {
        let bar = ProgressBar::new(customers as u64);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {human_pos}/{human_len} customers ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let options = DemoOptions {
        tenant: tenant.to_owned(),
        customers,
        seed,
        ..DemoOptions::default()
    };
    let summary = demo::generate(&crm, &options, |done, _| bar.set_position(done as u64))
        .with_context(|| format!("generating demo tenant {tenant:?} in {}", db.display()))?;
    bar.finish();
    if show_progress {
        let rows: i64 = crm_core::store::row_counts(&crm)?
            .iter()
            .map(|(_, n)| n)
            .sum();
        println!(
            "tenant {tenant:?}: {} customers, {} leads, {} deals ({} stage moves), {} tickets ({} events), {} conversations ({} messages), {} calls, {} activities, {} quotes",
            summary.customers,
            summary.leads,
            summary.deals,
            summary.stage_moves,
            summary.tickets,
            summary.ticket_events,
            summary.conversations,
            summary.messages,
            summary.calls,
            summary.activities,
            summary.quotes
        );
        println!(
            "{rows} rows in {} after {:.1?}",
            db.display(),
            started.elapsed()
        );
        println!("open it: crm --db {} --tenant {tenant}", db.display());
    }
    Ok(())
}

/// Rebuilds the search index with a progress bar.
fn reindex(crm: &Crm) -> Result<()> {
    let started = Instant::now();
    let bar = ProgressBar::new(crm.searchable_records()?);
    bar.set_style(
        ProgressStyle::with_template(
            "indexing [{bar:40}] {human_pos}/{human_len} records ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let indexed = crm.rebuild_search(|done| bar.set_position(done))?;
    bar.finish();
    println!("indexed {indexed} records in {:.1?}", started.elapsed());
    Ok(())
}

/// Refreshes every segment of one tenant or all, as each tenant's first admin.
fn refresh_segments(crm: &Crm, tenant: Option<&str>) -> Result<()> {
    use crm_core::segments::RefreshRequest;
    for key in tenant_keys(crm, tenant)? {
        let admin = crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to refresh as"))?;
        let scope = crm.scope(&key, Some(admin))?;
        let started = Instant::now();
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} segments ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(key.clone());
        let report = scope
            .segments()
            .refresh_with(&RefreshRequest::default(), |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .with_context(|| format!("refreshing the segments of {key:?}"))?;
        bar.finish();
        println!(
            "{key}: {} segments, {} customers entered, {} left, in {:.1?}",
            report.segments,
            report.entered,
            report.exited,
            started.elapsed()
        );
    }
    Ok(())
}

/// Scores every lead of one tenant or all again, a batch per transaction, as each tenant's
/// first admin. A tenant without rules is named and left alone.
fn rescore_leads(crm: &Crm, tenant: Option<&str>) -> Result<()> {
    for key in tenant_keys(crm, tenant)? {
        let admin = crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to rescore as"))?;
        let scope = crm.scope(&key, Some(admin))?;
        if scope.scoring().get_rules()?.rules.is_empty() {
            println!("{key}: no scoring rules (scoring.setRules sets them); nothing rescored");
            continue;
        }
        let started = Instant::now();
        let bar = ProgressBar::new(scope.leads().count()?);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} leads ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(key.clone());
        let done = scope
            .leads()
            .rescore_all(|batch| bar.inc(batch.rescored))
            .with_context(|| format!("rescoring the leads of {key:?}"))?;
        bar.finish();
        println!(
            "{key}: {} leads rescored, {} changed, in {:.1?}",
            done.rescored,
            done.changed,
            started.elapsed()
        );
    }
    Ok(())
}

/// `tenant`, or every tenant of the database, the first created first.
pub(crate) fn tenant_keys(crm: &Crm, tenant: Option<&str>) -> Result<Vec<String>> {
    Ok(match tenant {
        Some(t) => vec![t.to_owned()],
        None => crm
            .list_tenants()?
            .into_iter()
            .map(|t| t.tenant_id)
            .collect(),
    })
}

/// Checks the whole database and prints what it found; with `repair`, rebuilds the timelines
/// and the search index where they differ. An error if a problem is left.
fn check(crm: &Crm, repair: bool) -> Result<()> {
    use crm_core::search::IndexState;
    let started = Instant::now();
    let health = crm.check()?;
    match health.integrity.as_slice() {
        [] => println!("integrity: ok"),
        lines => lines.iter().for_each(|l| println!("integrity: {l}")),
    }
    match health.foreign_keys.as_slice() {
        [] => println!("foreign keys: ok"),
        lines => lines.iter().for_each(|l| println!("foreign key: {l}")),
    }
    for (tenant, check) in &health.timelines {
        if check.consistent() {
            println!("timeline {tenant}: consistent, {} entries", check.entries);
        } else {
            println!(
                "timeline {tenant}: {} missing, {} extra (sources call for {}, the table holds {})",
                check.missing, check.extra, check.expected, check.entries
            );
        }
    }
    for (tenant, check) in &health.analytics {
        if check.consistent() {
            println!(
                "analytics {tenant}: consistent, {} deals in {} daily sums",
                check.deals, check.expected
            );
        } else {
            println!(
                "analytics {tenant}: {} daily sums and {} deals' shares differ from the {} deals",
                check.wrong, check.wrong_deals, check.deals
            );
        }
    }
    for (tenant, check) in &health.boards {
        if check.consistent() {
            println!(
                "board sums {tenant}: consistent, {} column sums match the deals",
                check.sums
            );
        } else {
            println!(
                "board sums {tenant}: {} column sums differ from the deals",
                check.wrong
            );
        }
    }
    for (tenant, check) in &health.quotes {
        if check.consistent() {
            println!(
                "quotes {tenant}: consistent, {} quotes' amounts match their lines",
                check.quotes
            );
        } else {
            let ids: Vec<String> = check.wrong.iter().map(ToString::to_string).collect();
            println!(
                "quotes {tenant}: amounts differ from the lines of quote(s) {} (not repaired: a person must look)",
                ids.join(", ")
            );
        }
    }
    match &health.search {
        IndexState::InMemory => {}
        IndexState::Absent => println!("search index: none yet (built on the first search)"),
        IndexState::Behind { applied, head } => println!(
            "search index: {} changes behind (applied on the next search)",
            head - applied
        ),
        IndexState::Current { documents, .. } if health.search.problem().is_none() => {
            println!("search index: current, {documents} documents");
        }
        other => println!("search index: {}", other.problem().unwrap_or_default()),
    }
    let problems = health.problems();
    println!("checked in {:.1?}", started.elapsed());
    if problems.is_empty() {
        return Ok(());
    }
    if !repair {
        if health.repairable() && health.quotes_damaged() {
            bail!(
                "{} problem(s) found; quotes whose amounts differ from their lines are never rewritten: look at them or restore a backup (--repair rebuilds the rest)",
                problems.len()
            );
        }
        if health.repairable() {
            bail!(
                "{} problem(s) found; run again with --repair to rebuild the timelines, the analytics and board sums and the search index",
                problems.len()
            );
        }
        bail!(
            "{} problem(s) found; the file itself is damaged: restore it from a backup (`crm backup`)",
            problems.len()
        );
    }
    if !health.repairable() {
        bail!("the file itself is damaged and cannot be repaired here: restore it from a backup");
    }
    for (tenant, check) in &health.timelines {
        if !check.consistent() {
            let admin = crm
                .first_admin(tenant)?
                .with_context(|| format!("tenant {tenant:?} has no admin to act as"))?;
            crm.scope(tenant, Some(admin))?.timeline().rebuild()?;
            println!("timeline {tenant}: rebuilt");
        }
    }
    for (tenant, check) in &health.analytics {
        if !check.consistent() {
            let admin = crm
                .first_admin(tenant)?
                .with_context(|| format!("tenant {tenant:?} has no admin to act as"))?;
            crm.scope(tenant, Some(admin))?.analytics().rebuild()?;
            println!("analytics {tenant}: rebuilt");
        }
    }
    for (tenant, check) in &health.boards {
        if !check.consistent() {
            let admin = crm
                .first_admin(tenant)?
                .with_context(|| format!("tenant {tenant:?} has no admin to act as"))?;
            crm.scope(tenant, Some(admin))?.boards().rebuild()?;
            println!("board sums {tenant}: rebuilt");
        }
    }
    if health.search.problem().is_some() {
        let indexed = crm.rebuild_search(|_| {})?;
        println!("search index: rebuilt, {indexed} documents");
    }
    let left = crm.check()?.problems();
    if !left.is_empty() {
        bail!("still wrong after the repair: {}", left.join("; "));
    }
    println!("repaired");
    Ok(())
}

fn backfill_links(crm: &Crm, dry_run: bool, tenant: Option<&str>, batch_size: u32) -> Result<()> {
    use crm_core::links::{AutoLink, AutoLinkReport};
    let tenants = tenant_keys(crm, tenant)?;
    let started = Instant::now();
    let mut total = AutoLinkReport {
        dry_run,
        ..AutoLinkReport::default()
    };
    for key in &tenants {
        let admin = crm
            .first_admin(key)?
            .with_context(|| format!("tenant {key:?} has no admin to act as"))?;
        let scope = crm.scope(key, Some(admin))?;
        let bar = ProgressBar::new(scope.tickets().count()?);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:40}] {human_pos}/{human_len} tickets ({per_sec}, {eta} left) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(key.clone());
        let mut tenant_total = AutoLinkReport::default();
        let request = AutoLink {
            ticket_ids: None,
            dry_run,
            batch_size: Some(batch_size),
        };
        scope.links().auto_link_batches(&request, |batch| {
            tenant_total.add_counts(batch);
            bar.inc(batch.examined);
            bar.set_message(format!(
                "{} linked",
                tenant_total.linked_to_lead + tenant_total.linked_to_deal
            ));
        })?;
        bar.finish();
        total.add_counts(&tenant_total);
    }
    let verb = if dry_run { "would link" } else { "linked" };
    println!(
        "{} tenant(s), {:.1?}{}: examined {}, {verb} to a lead {}, {verb} to a deal {}, ambiguous {}, already linked {}, unmatched {}",
        tenants.len(),
        started.elapsed(),
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        },
        total.examined,
        total.linked_to_lead,
        total.linked_to_deal,
        total.ambiguous,
        total.already_linked,
        total.unmatched
    );
    Ok(())
}
