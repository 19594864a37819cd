//! `crm reindex`: the search index rebuilt from the database.

use super::common::Output;
use anyhow::Result;
use crm_core::Crm;
use indicatif::ProgressBar;
use std::io::Write;
use std::time::Instant;

/// Rebuilds the search index with a progress bar.
pub(super) fn reindex(crm: &Crm, out: &mut impl Write, format: Output) -> Result<()> {
    let started = Instant::now();
    let bar = ProgressBar::new(crm.searchable_records()?);
    bar.set_style(super::common::bar_style(
        "indexing [{bar:40}] {human_pos}/{human_len} records ({per_sec}, {eta} left)",
    ));
    let indexed = crm.rebuild_search(|done| bar.set_position(done))?;
    bar.finish_and_clear();
    if format == Output::Json {
        return super::common::json_line(out, &serde_json::json!({"indexed": indexed}));
    }
    writeln!(
        out,
        "indexed {indexed} records in {:.1?}",
        started.elapsed()
    )?;
    Ok(())
}
