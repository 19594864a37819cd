//! `system.*`: host-level methods, with no tenant.

use super::{Failure, Handler, ok, params};
use crm_core::methods;
use serde_json::{Value, json};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Backup {
    path: String,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::SYSTEM_VERSION, |_, p| {
        no_params(p)?;
        ok(json!({"version": crate::VERSION, "abiVersion": crate::CRM_ABI_VERSION}))
    }),
    (methods::SYSTEM_BACKUP, |c, p| {
        let Backup { path } = params(p)?;
        if path.is_empty() {
            return Err(Failure::invalid("path", "must not be empty"));
        }
        ok(c.crm().backup(std::path::Path::new(&path))?)
    }),
];

/// Refuses any parameter of a method that takes none, naming it.
pub(super) fn no_params(p: Value) -> Result<(), Failure> {
    match params::<serde_json::Map<String, Value>>(p)?.keys().next() {
        None => Ok(()),
        Some(k) => Err(Failure::invalid(
            k.clone(),
            "this method takes no parameters",
        )),
    }
}
