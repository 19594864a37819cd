//! `tenants.*`, `users.*`, `teams.*`.

use super::system::no_params;
use super::{Handler, by_key, ok, params};
use crm_core::PageRequest;
use crm_core::ids::UserId;
use serde_json::json;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("tenants.create", |c, p| {
        ok(c.crm().create_tenant(params(p)?)?)
    }),
    ("tenants.list", |c, p| {
        no_params(p)?;
        ok(json!({"items": c.crm().list_tenants()?}))
    }),
    ("users.create", |c, p| {
        ok(c.scope()?.users().create(params(p)?)?)
    }),
    ("users.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.users().get(UserId(id))?),
            |e| Ok(c.scope()?.users().get_by_external_id(e)?),
        )
    }),
    ("users.list", |c, p| {
        ok(c.scope()?.users().list(&params(p)?)?)
    }),
    ("users.update", |c, p| {
        ok(c.scope()?.users().update(params(p)?)?)
    }),
    ("teams.create", |c, p| {
        ok(c.scope()?.teams().create(params(p)?)?)
    }),
    ("teams.list", |c, p| {
        ok(c.scope()?.teams().list(&params::<PageRequest>(p)?)?)
    }),
    ("teams.addMember", |c, p| {
        ok(c.scope()?.teams().add_member(&params(p)?)?)
    }),
];
