//! `analytics.*`: the pipeline funnel and rep performance, exact as of the last committed write.

use super::{Handler, ok, params};
use crm_core::methods;

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::ANALYTICS_FUNNEL, |c, p| {
        ok(c.scope()?.analytics().funnel(&params(p)?)?)
    }),
    (methods::ANALYTICS_REP_PERFORMANCE, |c, p| {
        ok(c.scope()?.analytics().rep_performance(&params(p)?)?)
    }),
];
