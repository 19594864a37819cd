//! The records of the CRM and the helpdesk: customers, leads, pipelines, deals, tickets,
//! conversations, messages, calls, activities; lead assignment and scoring.

use super::system::no_params;
use super::{Handler, get_by_key, ok, params};
use crm_core::ListRequest;
use crm_core::ids::{ConversationId, CustomerId, DealId, LeadId, PipelineId, ProductId, TicketId};
use crm_core::methods;
use serde_json::json;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DealRef {
    deal_id: DealId,
}

/// `{id}` of a lead.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LeadRef {
    id: LeadId,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::CUSTOMERS_CREATE, |c, p| {
        ok(c.scope()?.customers().create(params(p)?)?)
    }),
    (methods::CUSTOMERS_GET, |c, p| {
        get_by_key!(c, p, customers, CustomerId)
    }),
    (methods::CUSTOMERS_UPDATE, |c, p| {
        ok(c.scope()?.customers().update(params(p)?)?)
    }),
    (methods::CUSTOMERS_LIST, |c, p| {
        ok(c.scope()?.customers().list(&params(p)?)?)
    }),
    (methods::LEADS_CREATE, |c, p| {
        ok(c.scope()?.leads().create(params(p)?)?)
    }),
    (methods::LEADS_GET, |c, p| get_by_key!(c, p, leads, LeadId)),
    (methods::LEADS_UPDATE, |c, p| {
        ok(c.scope()?.leads().update(params(p)?)?)
    }),
    (methods::LEADS_LIST, |c, p| {
        ok(c.scope()?.leads().list(&params(p)?)?)
    }),
    (methods::LEADS_ASSIGN, |c, p| {
        ok(c.scope()?.leads().assign(&params(p)?)?)
    }),
    (methods::LEADS_RESCORE, |c, p| {
        ok(c.scope()?.leads().rescore(&params(p)?)?)
    }),
    (methods::LEADS_EXPLAIN_SCORE, |c, p| {
        let LeadRef { id } = params(p)?;
        ok(c.scope()?.leads().explain_score(id)?)
    }),
    (methods::SCORING_GET_RULES, |c, p| {
        no_params(p)?;
        ok(c.scope()?.scoring().get_rules()?)
    }),
    (methods::SCORING_SET_RULES, |c, p| {
        ok(c.scope()?.scoring().set_rules(params(p)?)?)
    }),
    (methods::PIPELINES_CREATE, |c, p| {
        ok(c.scope()?.pipelines().create(params(p)?)?)
    }),
    (methods::PRODUCTS_CREATE, |c, p| {
        ok(c.scope()?.products().create(params(p)?)?)
    }),
    (methods::PRODUCTS_GET, |c, p| {
        get_by_key!(c, p, products, ProductId)
    }),
    (methods::PRODUCTS_LIST, |c, p| {
        ok(c.scope()?.products().list(&params(p)?)?)
    }),
    (methods::PRODUCTS_UPDATE, |c, p| {
        ok(c.scope()?.products().update(params(p)?)?)
    }),
    (methods::PIPELINES_ADD_STAGE, |c, p| {
        ok(c.scope()?.pipelines().add_stage(&params(p)?)?)
    }),
    (methods::PIPELINES_GET, |c, p| {
        get_by_key!(c, p, pipelines, PipelineId)
    }),
    (methods::PIPELINES_LIST, |c, p| {
        ok(c.scope()?.pipelines().list(params::<ListRequest>(p)?)?)
    }),
    (methods::DEALS_CREATE, |c, p| {
        ok(c.scope()?.deals().create(params(p)?)?)
    }),
    (methods::DEALS_GET, |c, p| get_by_key!(c, p, deals, DealId)),
    (methods::DEALS_UPDATE, |c, p| {
        ok(c.scope()?.deals().update(params(p)?)?)
    }),
    (methods::DEALS_LIST, |c, p| {
        ok(c.scope()?.deals().list(&params(p)?)?)
    }),
    (methods::DEALS_MOVE_STAGE, |c, p| {
        ok(c.scope()?.deals().move_stage(params(p)?)?)
    }),
    (methods::DEALS_BOARD, |c, p| {
        ok(c.scope()?.deals().board(&params(p)?)?)
    }),
    (methods::DEALS_BOARD_COLUMN, |c, p| {
        ok(c.scope()?.deals().board_column(&params(p)?)?)
    }),
    (methods::DEALS_STAGE_HISTORY, |c, p| {
        let scope = c.scope()?;
        let deal = params::<DealRef>(p)?.deal_id;
        ok(json!({"items": scope.deals().stage_history(deal)?}))
    }),
    (methods::TICKETS_CREATE, |c, p| {
        ok(c.scope()?.tickets().create(params(p)?)?)
    }),
    (methods::TICKETS_GET, |c, p| {
        get_by_key!(c, p, tickets, TicketId)
    }),
    (methods::TICKETS_UPDATE, |c, p| {
        ok(c.scope()?.tickets().update(params(p)?)?)
    }),
    (methods::TICKETS_LIST, |c, p| {
        ok(c.scope()?.tickets().list(&params(p)?)?)
    }),
    (methods::TICKETS_ADD_EVENT, |c, p| {
        ok(c.scope()?.tickets().add_event(params(p)?)?)
    }),
    (methods::TICKETS_LIST_EVENTS, |c, p| {
        ok(c.scope()?.tickets().list_events(&params(p)?)?)
    }),
    (methods::CONVERSATIONS_CREATE, |c, p| {
        ok(c.scope()?.conversations().create(params(p)?)?)
    }),
    (methods::CONVERSATIONS_GET, |c, p| {
        get_by_key!(c, p, conversations, ConversationId)
    }),
    (methods::CONVERSATIONS_LIST, |c, p| {
        ok(c.scope()?.conversations().list(&params(p)?)?)
    }),
    (methods::MESSAGES_CREATE, |c, p| {
        ok(c.scope()?.messages().create(params(p)?)?)
    }),
    (methods::MESSAGES_LIST, |c, p| {
        ok(c.scope()?.messages().list(&params(p)?)?)
    }),
    (methods::CALLS_CREATE, |c, p| {
        ok(c.scope()?.calls().create(params(p)?)?)
    }),
    (methods::CALLS_LIST, |c, p| {
        ok(c.scope()?.calls().list(&params(p)?)?)
    }),
    (methods::ACTIVITIES_CREATE, |c, p| {
        ok(c.scope()?.activities().create(params(p)?)?)
    }),
    (methods::ACTIVITIES_LIST, |c, p| {
        ok(c.scope()?.activities().list(&params(p)?)?)
    }),
];

/// `schema.*`: the record catalog.
pub(super) const SCHEMA: &[(&str, Handler)] = &[(methods::SCHEMA_FIELDS, |c, p| {
    ok(c.scope()?.schema().fields(&params(p)?)?)
})];

/// `changes.*`: the tenant's change feed.
pub(super) const CHANGES: &[(&str, Handler)] = &[(methods::CHANGES_LIST, |c, p| {
    ok(c.scope()?.changes().list(&params(p)?)?)
})];
