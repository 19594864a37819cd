//! `links.*`: tickets linked to leads and deals, by hand and by auto-link.

use super::{Handler, ok, params};

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("links.linkTicketToLead", |c, p| {
        ok(c.scope()?.links().link_ticket_to_lead(params(p)?)?)
    }),
    ("links.unlinkTicketFromLead", |c, p| {
        ok(c.scope()?.links().unlink_ticket_from_lead(params(p)?)?)
    }),
    ("links.linkTicketToDeal", |c, p| {
        ok(c.scope()?.links().link_ticket_to_deal(params(p)?)?)
    }),
    ("links.unlinkTicketFromDeal", |c, p| {
        ok(c.scope()?.links().unlink_ticket_from_deal(params(p)?)?)
    }),
    ("links.getTicketLinks", |c, p| {
        ok(c.scope()?.links().ticket_links(params(p)?)?)
    }),
    ("links.getLeadTickets", |c, p| {
        ok(c.scope()?.links().lead_tickets(&params(p)?)?)
    }),
    ("links.getDealTickets", |c, p| {
        ok(c.scope()?.links().deal_tickets(&params(p)?)?)
    }),
    ("links.autoLink", |c, p| {
        ok(c.scope()?.links().auto_link(&params(p)?)?)
    }),
];
