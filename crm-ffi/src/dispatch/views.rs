//! `views.*`: saved list views, private to their owner unless shared with the tenant, and the
//! count of what a list's `where` keeps.

use super::{Handler, ok, params};
use crm_core::ids::ViewId;
use crm_core::methods;

/// `{id}` of a view.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ViewRef {
    id: ViewId,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::VIEWS_CREATE, |c, p| {
        ok(c.scope()?.views().create(params(p)?)?)
    }),
    (methods::VIEWS_GET, |c, p| {
        let ViewRef { id } = params(p)?;
        ok(c.scope()?.views().get(id)?)
    }),
    (methods::VIEWS_LIST, |c, p| {
        ok(c.scope()?.views().list(&params(p)?)?)
    }),
    (methods::VIEWS_UPDATE, |c, p| {
        ok(c.scope()?.views().update(params(p)?)?)
    }),
    (methods::VIEWS_COUNT, |c, p| {
        ok(c.scope()?.views().count(&params(p)?)?)
    }),
    (methods::VIEWS_DELETE, |c, p| {
        let ViewRef { id } = params(p)?;
        ok(c.scope()?.views().delete(id)?)
    }),
];
