//! `search.*`.

use super::system::no_params;
use super::{Handler, ok, params};
use crm_core::methods;
use serde_json::json;

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::SEARCH_QUERY, |c, p| {
        ok(c.scope()?.search().query(&params(p)?)?)
    }),
    (methods::SEARCH_REBUILD, |c, p| {
        let scope = c.scope()?;
        no_params(p)?;
        ok(json!({"indexed": scope.search().rebuild()?}))
    }),
];
