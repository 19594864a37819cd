//! `crm segments refresh`: every segment evaluated again.

use super::common::Output;
use anyhow::{Context, Result};
use crm_core::Crm;
use indicatif::ProgressBar;
use std::io::Write;
use std::time::Instant;

use super::common::tenant_keys;

/// Refreshes every segment of one tenant or all, as each tenant's first admin.
pub(super) fn refresh_segments(
    crm: &Crm,
    tenant: Option<&str>,
    out: &mut impl Write,
    format: Output,
) -> Result<()> {
    use crm_core::segments::RefreshRequest;
    for key in tenant_keys(crm, tenant)? {
        let admin = crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to refresh as"))?;
        let scope = crm.scope(&key, Some(admin))?;
        let started = Instant::now();
        let bar = ProgressBar::new(0);
        bar.set_style(super::common::bar_style(
            "{msg} [{bar:40}] {pos}/{len} segments ({eta} left)",
        ));
        bar.set_message(key.clone());
        let report = scope
            .segments()
            .refresh_with(&RefreshRequest::default(), |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .with_context(|| format!("refreshing the segments of {key:?}"))?;
        bar.finish_and_clear();
        if format == Output::Json {
            super::common::json_line(out, &serde_json::json!({"tenantId": key, "report": report}))?;
            continue;
        }
        writeln!(
            out,
            "{key}: {} segments, {} customers entered, {} left, in {:.1?}",
            report.segments,
            report.entered,
            report.exited,
            started.elapsed()
        )?;
    }
    Ok(())
}
