//! `tenants.*`, `users.*`, `teams.*`.

use super::system::no_params;
use super::{Handler, get_by_key, ok, params};
use crm_core::ListRequest;
use crm_core::ids::UserId;
use crm_core::methods;
use serde_json::json;

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::TENANTS_CREATE, |c, p| {
        ok(c.crm().create_tenant(params(p)?)?)
    }),
    (methods::TENANTS_LIST, |c, p| {
        no_params(p)?;
        ok(json!({"items": c.crm().list_tenants()?}))
    }),
    (methods::USERS_CREATE, |c, p| {
        ok(c.scope()?.users().create(params(p)?)?)
    }),
    (methods::USERS_GET, |c, p| get_by_key!(c, p, users, UserId)),
    (methods::USERS_LIST, |c, p| {
        ok(c.scope()?.users().list(&params(p)?)?)
    }),
    (methods::USERS_UPDATE, |c, p| {
        ok(c.scope()?.users().update(params(p)?)?)
    }),
    (methods::TEAMS_CREATE, |c, p| {
        ok(c.scope()?.teams().create(params(p)?)?)
    }),
    (methods::TEAMS_LIST, |c, p| {
        ok(c.scope()?.teams().list(params::<ListRequest>(p)?)?)
    }),
    (methods::TEAMS_ADD_MEMBER, |c, p| {
        ok(c.scope()?.teams().add_member(&params(p)?)?)
    }),
];
