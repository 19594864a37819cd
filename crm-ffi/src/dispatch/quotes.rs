//! `quotes.*` and `quoteTemplates.*`: quotes with exact totals, their lifecycle, rendering,
//! templates and the tenant's quote settings.

use super::system::no_params;
use super::{Handler, get_by_key, ok, params};
use crm_core::ListRequest;
use crm_core::ids::{QuoteId, QuoteTemplateId};
use crm_core::methods;
use crm_core::quotes::lifecycle::SendQuote;

/// `{id}` of a quote: what accept and revise take.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct QuoteRef {
    id: QuoteId,
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::QUOTES_CREATE, |c, p| {
        ok(c.scope()?.quotes().create(params(p)?)?)
    }),
    (methods::QUOTES_GET, |c, p| {
        get_by_key!(c, p, quotes, QuoteId)
    }),
    (methods::QUOTES_LIST, |c, p| {
        ok(c.scope()?.quotes().list(&params(p)?)?)
    }),
    (methods::QUOTES_UPDATE, |c, p| {
        ok(c.scope()?.quotes().update(params(p)?)?)
    }),
    (methods::QUOTES_SEND, |c, p| {
        let send: SendQuote = params(p)?;
        ok(c.scope()?.quotes().send(send)?)
    }),
    (methods::QUOTES_ACCEPT, |c, p| {
        let QuoteRef { id } = params(p)?;
        ok(c.scope()?.quotes().accept(id)?)
    }),
    (methods::QUOTES_REJECT, |c, p| {
        ok(c.scope()?.quotes().reject(params(p)?)?)
    }),
    (methods::QUOTES_REVISE, |c, p| {
        let QuoteRef { id } = params(p)?;
        ok(c.scope()?.quotes().revise(id)?)
    }),
    (methods::QUOTES_RENDER, |c, p| {
        ok(c.scope()?.quotes().render(&params(p)?)?)
    }),
    (methods::QUOTES_REFRESH, |c, p| {
        no_params(p)?;
        ok(c.scope()?.quotes().refresh()?)
    }),
    (methods::QUOTES_GET_SETTINGS, |c, p| {
        no_params(p)?;
        ok(c.scope()?.quotes().settings()?)
    }),
    (methods::QUOTES_UPDATE_SETTINGS, |c, p| {
        ok(c.scope()?.quotes().update_settings(params(p)?)?)
    }),
    (methods::QUOTE_TEMPLATES_CREATE, |c, p| {
        ok(c.scope()?.quote_templates().create(params(p)?)?)
    }),
    (methods::QUOTE_TEMPLATES_GET, |c, p| {
        get_by_key!(c, p, quote_templates, QuoteTemplateId)
    }),
    (methods::QUOTE_TEMPLATES_LIST, |c, p| {
        ok(c.scope()?
            .quote_templates()
            .list(params::<ListRequest>(p)?)?)
    }),
    (methods::QUOTE_TEMPLATES_UPDATE, |c, p| {
        ok(c.scope()?.quote_templates().update(params(p)?)?)
    }),
];
