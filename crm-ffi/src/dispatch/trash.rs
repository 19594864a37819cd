//! `{kind}.delete` for every kind that can be deleted, `trash.*` (list, restore, purge), and
//! duplicates and merging (`customers.duplicates`, `customers.merge`, `leads.merge`), and the
//! rights of access and erasure (`customers.exportData`, `customers.erase`).

use super::{Handler, ok, params};
use crm_core::catalog::RecordKind;
use crm_core::methods;

/// A handler deleting records of one kind.
macro_rules! delete {
    ($method:expr, $kind:expr) => {
        ($method, |c, p| {
            ok(c.scope()?.trash().delete($kind, &params(p)?)?)
        })
    };
}

pub(super) const METHODS: &[(&str, Handler)] = &[
    delete!(methods::CUSTOMERS_DELETE, RecordKind::Customer),
    delete!(methods::LEADS_DELETE, RecordKind::Lead),
    delete!(methods::DEALS_DELETE, RecordKind::Deal),
    delete!(methods::TICKETS_DELETE, RecordKind::Ticket),
    delete!(methods::CONVERSATIONS_DELETE, RecordKind::Conversation),
    delete!(methods::MESSAGES_DELETE, RecordKind::Message),
    delete!(methods::CALLS_DELETE, RecordKind::Call),
    delete!(methods::ACTIVITIES_DELETE, RecordKind::Activity),
    delete!(methods::PRODUCTS_DELETE, RecordKind::Product),
    delete!(methods::QUOTE_TEMPLATES_DELETE, RecordKind::QuoteTemplate),
    delete!(methods::QUOTES_DELETE, RecordKind::Quote),
    (methods::TRASH_LIST, |c, p| {
        ok(c.scope()?.trash().list(&params(p)?)?)
    }),
    (methods::TRASH_RESTORE, |c, p| {
        ok(c.scope()?.trash().restore(&params(p)?)?)
    }),
    (methods::TRASH_PURGE, |c, p| {
        ok(c.scope()?.trash().purge(&params(p)?)?)
    }),
    (methods::CUSTOMERS_DUPLICATES, |c, p| {
        ok(c.scope()?.merging().duplicates(&params(p)?)?)
    }),
    (methods::CUSTOMERS_MERGE, |c, p| {
        ok(c.scope()?.merging().customers(&params(p)?)?)
    }),
    (methods::LEADS_MERGE, |c, p| {
        ok(c.scope()?.merging().leads(&params(p)?)?)
    }),
    (methods::CUSTOMERS_ERASE, |c, p| {
        ok(c.scope()?.erasure().erase(&params(p)?)?)
    }),
    (methods::CUSTOMERS_EXPORT_DATA, |c, p| {
        ok(c.scope()?.erasure().export_data(&params(p)?)?)
    }),
];
