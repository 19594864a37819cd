//! `crm demo` and the demo `crm --demo` opens: generated with a progress bar, or behind the
//! client.

use super::common::Output;
use anyhow::{Context, Result, bail};
use crm_core::Crm;
use crm_core::demo::{self, DemoOptions};
use indicatif::ProgressBar;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Customers of the demo `crm --demo` opens on.
const DEMO_CUSTOMERS: usize = 5_000;

/// Starts generating the demo into `crm` on a thread of its own and returns once its first
/// batch of customers is committed, so the client opens at once and fills in as it goes.
pub(super) fn demo_behind(crm: &Arc<Crm>) -> Result<Arc<crate::client::app::Making>> {
    let making = Arc::new(crate::client::app::Making {
        total: DEMO_CUSTOMERS,
        ..crate::client::app::Making::default()
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

/// Generates the demo tenant into `db`; with `report`, a progress bar and a summary written
/// there (as text or JSON).
pub(super) fn generate_demo(
    db: &Path,
    tenant: &str,
    customers: usize,
    seed: u64,
    report: Option<(&mut dyn Write, Output)>,
) -> Result<()> {
    let crm = Crm::open(db).with_context(|| format!("opening {}", crm_core::store::shown(db)))?;
    let bar = if report.is_some() {
        let bar = ProgressBar::new(customers as u64);
        bar.set_style(
            super::common::bar_style("{elapsed_precise} [{bar:40}] {human_pos}/{human_len} customers ({per_sec}, {eta} left)"),
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
        .with_context(|| {
            format!(
                "generating demo tenant {tenant:?} in {}",
                crm_core::store::shown(db)
            )
        })?;
    bar.finish_and_clear();
    if let Some((out, format)) = report {
        let rows: i64 = crm_core::store::row_counts(&crm)?
            .iter()
            .map(|(_, n)| n)
            .sum();
        if format == Output::Json {
            return super::common::json_line(
                out,
                &serde_json::json!({"tenantId": tenant, "summary": summary, "rows": rows}),
            );
        }
        writeln!(
            out,
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
        )?;
        writeln!(
            out,
            "{rows} rows in {} after {:.1?}",
            crm_core::store::shown(db),
            started.elapsed()
        )?;
        writeln!(
            out,
            "open it: crm --db {} --tenant {tenant}",
            crm_core::store::shown(db)
        )?;
    }
    Ok(())
}
