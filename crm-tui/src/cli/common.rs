//! What the subcommands share: opening an existing file, the tenants a command runs over, the
//! progress bars' look.

use anyhow::{Context, Result, bail};
use crm_core::Crm;
use std::path::Path;

pub(super) fn open_existing(db: &Path) -> Result<Crm> {
    if !crm_core::store::is_server_path(db) && !db.exists() {
        bail!(
            "{} does not exist; create one with `crm demo --db {}`",
            crm_core::store::shown(db),
            crm_core::store::shown(db)
        );
    }
    Crm::open(db).with_context(|| format!("opening {}", crm_core::store::shown(db)))
}

/// `tenant`, or every tenant of the database, the first created first.
pub(super) fn tenant_keys(crm: &Crm, tenant: Option<&str>) -> Result<Vec<String>> {
    Ok(match tenant {
        Some(t) => vec![t.to_owned()],
        None => crm
            .list_tenants()?
            .into_iter()
            .map(|t| t.tenant_id)
            .collect(),
    })
}

/// The progress bars' look: `template` (indicatif's) drawn with `=>` (the plain default if the
/// template does not parse).
pub(super) fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}
