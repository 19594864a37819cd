//! `search.*`.

use super::system::no_params;
use super::{Handler, ok, params};
use serde_json::json;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("search.query", |c, p| {
        ok(c.scope()?.search().query(&params(p)?)?)
    }),
    ("search.rebuild", |c, p| {
        let scope = c.scope()?;
        no_params(p)?;
        ok(json!({"indexed": scope.search().rebuild()?}))
    }),
];
