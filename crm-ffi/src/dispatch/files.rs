//! `import.*` and `export.run`: CSV and JSON Lines files in and out of a tenant. The file's
//! path is read and written by the engine's process.

use super::{Handler, ok, params};
use crm_core::catalog::RecordKind;
use crm_core::methods;

/// `{kind}` of `import.fields`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KindRef {
    kind: RecordKind,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::IMPORT_FIELDS, |c, p| {
        let KindRef { kind } = params(p)?;
        // Answered for a tenant like every method, so that hosts call it the same way.
        c.scope()?;
        ok(crm_core::import::fields(kind)?)
    }),
    (methods::IMPORT_PREVIEW, |c, p| {
        ok(c.scope()?.import().preview(&params(p)?)?)
    }),
    (methods::IMPORT_RUN, |c, p| {
        ok(c.scope()?.import().run(&params(p)?)?)
    }),
    (methods::EXPORT_RUN, |c, p| {
        ok(c.scope()?.export().run(&params(p)?)?)
    }),
];
