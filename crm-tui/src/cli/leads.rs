//! `crm leads rescore`: every lead scored again by its tenant's rules.

use super::common::Output;
use anyhow::{Context, Result};
use crm_core::Crm;
use indicatif::ProgressBar;
use std::io::Write;
use std::time::Instant;

use super::common::tenant_keys;

/// Scores every lead of one tenant or all again, a batch per transaction, as each tenant's
/// first admin. A tenant without rules is named and left alone.
pub(super) fn rescore_leads(
    crm: &Crm,
    tenant: Option<&str>,
    out: &mut impl Write,
    format: Output,
) -> Result<()> {
    for key in tenant_keys(crm, tenant)? {
        let admin = crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to rescore as"))?;
        let scope = crm.scope(&key, Some(admin))?;
        if scope.scoring().get_rules()?.rules.is_empty() {
            if format == Output::Json {
                super::common::json_line(
                    out,
                    &serde_json::json!({"tenantId": key, "rules": false, "rescored": 0, "changed": 0}),
                )?;
                continue;
            }
            writeln!(
                out,
                "{key}: no scoring rules (scoring.setRules sets them); nothing rescored"
            )?;
            continue;
        }
        let started = Instant::now();
        let bar = ProgressBar::new(scope.leads().count()?);
        bar.set_style(super::common::bar_style(
            "{msg} [{bar:40}] {pos}/{len} leads ({eta} left)",
        ));
        bar.set_message(key.clone());
        let done = scope
            .leads()
            .rescore_all(|batch| bar.inc(batch.rescored))
            .with_context(|| format!("rescoring the leads of {key:?}"))?;
        bar.finish_and_clear();
        if format == Output::Json {
            super::common::json_line(
                out,
                &serde_json::json!({"tenantId": key, "rules": true, "rescored": done.rescored, "changed": done.changed}),
            )?;
            continue;
        }
        writeln!(
            out,
            "{key}: {} leads rescored, {} changed, in {:.1?}",
            done.rescored,
            done.changed,
            started.elapsed()
        )?;
    }
    Ok(())
}
