//! `crm check [--repair]`: is the file whole, and is everything derived from it in step?
//! `crm migrate-to URL`: the file copied into PostgreSQL, and the copy checked the same way.

use super::common::Output;
use anyhow::{Context, Result, bail};
use crm_core::Crm;
use std::io::Write;
use std::time::Instant;

/// Checks the whole database and prints what it found; with `repair`, rebuilds the timelines
/// and the search index where they differ. An error if a problem is left. With JSON, one
/// line `{"health", "problems"}` and, after a repair, `{"repaired", "problems"}`.
pub(super) fn check(crm: &Crm, repair: bool, dest: &mut dyn Write, format: Output) -> Result<()> {
    use crm_core::search::IndexState;
    let started = Instant::now();
    let health = crm.check()?;
    if format == Output::Json {
        super::common::json_line(
            dest,
            &serde_json::json!({"health": health, "problems": health.problems()}),
        )?;
    }
    // The sentences go nowhere when JSON was asked for.
    let mut sink = std::io::sink();
    let out: &mut dyn Write = if format == Output::Json {
        &mut sink
    } else {
        &mut *dest
    };
    if crm.is_server() {
        // The server checks its own pages and never commits a broken foreign key.
        writeln!(
            out,
            "integrity and foreign keys: kept by the PostgreSQL server"
        )?;
    }
    match health.integrity.as_slice() {
        [] if crm.is_server() => {}
        [] => writeln!(out, "integrity: ok")?,
        lines => {
            for l in lines {
                writeln!(out, "integrity: {l}")?;
            }
        }
    }
    match health.foreign_keys.as_slice() {
        [] if crm.is_server() => {}
        [] => writeln!(out, "foreign keys: ok")?,
        lines => {
            for l in lines {
                writeln!(out, "foreign key: {l}")?;
            }
        }
    }
    for (tenant, check) in &health.timelines {
        if check.consistent() {
            writeln!(
                out,
                "timeline {tenant}: consistent, {} entries",
                check.entries
            )?;
        } else {
            writeln!(
                out,
                "timeline {tenant}: {} missing, {} extra (sources call for {}, the table holds {})",
                check.missing, check.extra, check.expected, check.entries
            )?;
        }
    }
    for (tenant, check) in &health.analytics {
        if check.consistent() {
            writeln!(
                out,
                "analytics {tenant}: consistent, {} deals in {} daily sums",
                check.deals, check.expected
            )?;
        } else {
            writeln!(
                out,
                "analytics {tenant}: {} daily sums and {} deals' shares differ from the {} deals",
                check.wrong, check.wrong_deals, check.deals
            )?;
        }
    }
    for (tenant, check) in &health.boards {
        if check.consistent() {
            writeln!(
                out,
                "board sums {tenant}: consistent, {} column sums match the deals",
                check.sums
            )?;
        } else {
            writeln!(
                out,
                "board sums {tenant}: {} column sums differ from the deals",
                check.wrong
            )?;
        }
    }
    for (tenant, check) in &health.quotes {
        if check.consistent() {
            writeln!(
                out,
                "quotes {tenant}: consistent, {} quotes' amounts match their lines",
                check.quotes
            )?;
        } else {
            let ids: Vec<String> = check.wrong.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "quotes {tenant}: amounts differ from the lines of quote(s) {} (not repaired: a person must look)",
                ids.join(", ")
            )?;
        }
    }
    match &health.search {
        IndexState::InMemory => {}
        IndexState::Absent => writeln!(out, "search index: none yet (built on the first search)")?,
        IndexState::Behind { tenants, changes } => writeln!(
            out,
            "search index: {changes} change(s) in {tenants} tenant(s) to apply on the next search"
        )?,
        IndexState::Current { documents, .. } if health.search.problem().is_none() => {
            writeln!(out, "search index: current, {documents} documents")?;
        }
        other => writeln!(out, "search index: {}", other.problem().unwrap_or_default())?,
    }
    let problems = health.problems();
    writeln!(out, "checked in {:.1?}", started.elapsed())?;
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
            writeln!(out, "timeline {tenant}: rebuilt")?;
        }
    }
    for (tenant, check) in &health.analytics {
        if !check.consistent() {
            let admin = crm
                .first_admin(tenant)?
                .with_context(|| format!("tenant {tenant:?} has no admin to act as"))?;
            crm.scope(tenant, Some(admin))?.analytics().rebuild()?;
            writeln!(out, "analytics {tenant}: rebuilt")?;
        }
    }
    for (tenant, check) in &health.boards {
        if !check.consistent() {
            let admin = crm
                .first_admin(tenant)?
                .with_context(|| format!("tenant {tenant:?} has no admin to act as"))?;
            crm.scope(tenant, Some(admin))?.boards().rebuild()?;
            writeln!(out, "board sums {tenant}: rebuilt")?;
        }
    }
    if health.search.problem().is_some() {
        let indexed = crm.rebuild_search(|_| {})?;
        writeln!(out, "search index: rebuilt, {indexed} documents")?;
    }
    let left = crm.check()?.problems();
    if !left.is_empty() {
        bail!("still wrong after the repair: {}", left.join("; "));
    }
    writeln!(out, "repaired")?;
    if format == Output::Json {
        super::common::json_line(
            dest,
            &serde_json::json!({"repaired": true, "problems": left}),
        )?;
    }
    Ok(())
}

/// Copies `crm` (a SQLite file) into the empty PostgreSQL database at `url` with a progress
/// bar, then checks the copy; an error if it is not whole.
pub(super) fn migrate_to(crm: &Crm, url: &str, out: &mut dyn Write, format: Output) -> Result<()> {
    use indicatif::ProgressBar;
    let shown = crm_core::store::shown(std::path::Path::new(url));
    if !crm_core::store::is_server_url(url) {
        return Err(super::common::invalid(
            "url",
            format!("{shown} is not a PostgreSQL URL (postgresql://user@host/db)"),
        ));
    }
    let started = Instant::now();
    let target = Crm::open(url).with_context(|| format!("opening {shown}"))?;
    let bar = ProgressBar::new(0);
    bar.set_style(super::common::bar_style(
        "{elapsed_precise} [{bar:40}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)",
    ));
    let report = crm
        .copy_to(&target, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| format!("copying into {shown}"))?;
    bar.finish_and_clear();
    if format == Output::Json {
        super::common::json_line(out, &report)?;
    } else {
        writeln!(
            out,
            "copied {} rows of {} tables into {shown} in {:.1?}; every table holds as many rows as the file",
            report.rows(),
            report.tables.len(),
            started.elapsed()
        )?;
    }
    check(&target, false, out, format)
}
