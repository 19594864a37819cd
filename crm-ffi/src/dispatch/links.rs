//! `links.*`: tickets linked to leads and deals, by hand and by auto-link.

use super::{Handler, ok, params};
use crm_core::methods;

pub(super) const METHODS: &[(&str, Handler)] = &[
    (methods::LINKS_LINK_TICKET_TO_LEAD, |c, p| {
        ok(c.scope()?.links().link_ticket_to_lead(params(p)?)?)
    }),
    (methods::LINKS_UNLINK_TICKET_FROM_LEAD, |c, p| {
        ok(c.scope()?.links().unlink_ticket_from_lead(params(p)?)?)
    }),
    (methods::LINKS_LINK_TICKET_TO_DEAL, |c, p| {
        ok(c.scope()?.links().link_ticket_to_deal(params(p)?)?)
    }),
    (methods::LINKS_UNLINK_TICKET_FROM_DEAL, |c, p| {
        ok(c.scope()?.links().unlink_ticket_from_deal(params(p)?)?)
    }),
    (methods::LINKS_GET_TICKET_LINKS, |c, p| {
        ok(c.scope()?.links().ticket_links(params(p)?)?)
    }),
    (methods::LINKS_GET_LEAD_TICKETS, |c, p| {
        ok(c.scope()?.links().lead_tickets(&params(p)?)?)
    }),
    (methods::LINKS_GET_DEAL_TICKETS, |c, p| {
        ok(c.scope()?.links().deal_tickets(&params(p)?)?)
    }),
    (methods::LINKS_AUTO_LINK, |c, p| {
        ok(c.scope()?.links().auto_link(&params(p)?)?)
    }),
];
