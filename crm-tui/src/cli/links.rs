//! `crm backfill-links`: auto-link over every ticket, a batch per transaction.

use super::common::Output;
use anyhow::{Context, Result};
use crm_core::Crm;
use indicatif::ProgressBar;
use std::io::Write;
use std::time::Instant;

use super::common::tenant_keys;

pub(super) fn backfill_links(
    crm: &Crm,
    dry_run: bool,
    tenant: Option<&str>,
    batch_size: u32,
    out: &mut impl Write,
    format: Output,
) -> Result<()> {
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
        bar.set_style(super::common::bar_style(
            "{prefix} [{bar:40}] {human_pos}/{human_len} tickets ({per_sec}, {eta} left) {msg}",
        ));
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
        bar.finish_and_clear();
        total.add_counts(&tenant_total);
    }
    if format == Output::Json {
        return super::common::json_line(out, &total);
    }
    let verb = if dry_run { "would link" } else { "linked" };
    writeln!(
        out,
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
    )?;
    Ok(())
}
