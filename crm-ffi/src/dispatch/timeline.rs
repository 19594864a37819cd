//! `timeline.*`.

use super::{Handler, ok, params};

pub(super) const METHODS: &[(&str, Handler)] = &[("timeline.get", |c, p| {
    ok(c.scope()?.timeline().get(&params(p)?)?)
})];
