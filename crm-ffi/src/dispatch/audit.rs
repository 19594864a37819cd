//! `audit.*`.

use super::{Handler, ok, params};
use crm_core::methods;

pub(super) const METHODS: &[(&str, Handler)] = &[(methods::AUDIT_LIST, |c, p| {
    ok(c.scope()?.audit().list(&params(p)?)?)
})];
