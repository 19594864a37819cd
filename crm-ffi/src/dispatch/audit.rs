//! `audit.*`.

use super::{Handler, ok, params};

pub(super) const METHODS: &[(&str, Handler)] = &[("audit.list", |c, p| {
    ok(c.scope()?.audit().list(&params(p)?)?)
})];
