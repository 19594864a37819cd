//! `timeline.*`.

use super::{Handler, ok, params};
use crm_core::methods;

pub(super) const METHODS: &[(&str, Handler)] = &[(methods::TIMELINE_GET, |c, p| {
    ok(c.scope()?.timeline().get(&params(p)?)?)
})];
