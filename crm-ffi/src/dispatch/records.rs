//! The records of the CRM and the helpdesk: customers, leads, pipelines, deals, tickets,
//! conversations, messages, calls, activities.

use super::{Handler, by_key, ok, params};
use crm_core::PageRequest;
use crm_core::ids::{ConversationId, CustomerId, DealId, LeadId, PipelineId, TicketId};
use serde_json::json;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DealRef {
    deal_id: DealId,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("customers.create", |c, p| {
        ok(c.scope()?.customers().create(params(p)?)?)
    }),
    ("customers.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.customers().get(CustomerId(id))?),
            |e| Ok(c.scope()?.customers().get_by_external_id(e)?),
        )
    }),
    ("customers.update", |c, p| {
        ok(c.scope()?.customers().update(params(p)?)?)
    }),
    ("customers.list", |c, p| {
        ok(c.scope()?.customers().list(&params(p)?)?)
    }),
    ("leads.create", |c, p| {
        ok(c.scope()?.leads().create(params(p)?)?)
    }),
    ("leads.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.leads().get(LeadId(id))?),
            |e| Ok(c.scope()?.leads().get_by_external_id(e)?),
        )
    }),
    ("leads.update", |c, p| {
        ok(c.scope()?.leads().update(params(p)?)?)
    }),
    ("leads.list", |c, p| {
        ok(c.scope()?.leads().list(&params(p)?)?)
    }),
    ("pipelines.create", |c, p| {
        ok(c.scope()?.pipelines().create(params(p)?)?)
    }),
    ("pipelines.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.pipelines().get(PipelineId(id))?),
            |e| Ok(c.scope()?.pipelines().get_by_external_id(e)?),
        )
    }),
    ("pipelines.list", |c, p| {
        ok(c.scope()?.pipelines().list(&params::<PageRequest>(p)?)?)
    }),
    ("deals.create", |c, p| {
        ok(c.scope()?.deals().create(params(p)?)?)
    }),
    ("deals.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.deals().get(DealId(id))?),
            |e| Ok(c.scope()?.deals().get_by_external_id(e)?),
        )
    }),
    ("deals.update", |c, p| {
        ok(c.scope()?.deals().update(params(p)?)?)
    }),
    ("deals.list", |c, p| {
        ok(c.scope()?.deals().list(&params(p)?)?)
    }),
    ("deals.moveStage", |c, p| {
        ok(c.scope()?.deals().move_stage(params(p)?)?)
    }),
    ("deals.stageHistory", |c, p| {
        let scope = c.scope()?;
        let deal = params::<DealRef>(p)?.deal_id;
        ok(json!({"items": scope.deals().stage_history(deal)?}))
    }),
    ("tickets.create", |c, p| {
        ok(c.scope()?.tickets().create(params(p)?)?)
    }),
    ("tickets.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.tickets().get(TicketId(id))?),
            |e| Ok(c.scope()?.tickets().get_by_external_id(e)?),
        )
    }),
    ("tickets.update", |c, p| {
        ok(c.scope()?.tickets().update(params(p)?)?)
    }),
    ("tickets.list", |c, p| {
        ok(c.scope()?.tickets().list(&params(p)?)?)
    }),
    ("tickets.addEvent", |c, p| {
        ok(c.scope()?.tickets().add_event(params(p)?)?)
    }),
    ("tickets.listEvents", |c, p| {
        ok(c.scope()?.tickets().list_events(&params(p)?)?)
    }),
    ("conversations.create", |c, p| {
        ok(c.scope()?.conversations().create(params(p)?)?)
    }),
    ("conversations.get", |c, p| {
        by_key(
            p,
            |id| Ok(c.scope()?.conversations().get(ConversationId(id))?),
            |e| Ok(c.scope()?.conversations().get_by_external_id(e)?),
        )
    }),
    ("conversations.list", |c, p| {
        ok(c.scope()?.conversations().list(&params(p)?)?)
    }),
    ("messages.create", |c, p| {
        ok(c.scope()?.messages().create(params(p)?)?)
    }),
    ("messages.list", |c, p| {
        ok(c.scope()?.messages().list(&params(p)?)?)
    }),
    ("calls.create", |c, p| {
        ok(c.scope()?.calls().create(params(p)?)?)
    }),
    ("calls.list", |c, p| {
        ok(c.scope()?.calls().list(&params(p)?)?)
    }),
    ("activities.create", |c, p| {
        ok(c.scope()?.activities().create(params(p)?)?)
    }),
    ("activities.list", |c, p| {
        ok(c.scope()?.activities().list(&params(p)?)?)
    }),
];

/// `schema.*`: the record catalog.
pub(super) const SCHEMA: &[(&str, Handler)] = &[("schema.fields", |c, p| {
    ok(c.scope()?.schema().fields(&params(p)?)?)
})];

/// `changes.*`: the tenant's change feed.
pub(super) const CHANGES: &[(&str, Handler)] = &[("changes.list", |c, p| {
    ok(c.scope()?.changes().list(&params(p)?)?)
})];
