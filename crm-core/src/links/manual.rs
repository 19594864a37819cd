//! Links made and removed by hand: each change writes the ticket, its audit entry, a
//! `linked`/`unlinked` event and its feed entry.

use super::{DealLink, LeadLink, TicketLinks, TicketRef};
use crate::deals::Deal;
use crate::error::Result;
use crate::leads::Lead;
use crate::methods;
use crate::records;
use crate::store::Tx;
use crate::tickets;
use crate::tickets::Ticket;
use crate::tickets::TicketEventKind;

pub(crate) fn link_lead(tx: &mut Tx<'_>, link: LeadLink) -> Result<TicketLinks> {
    let before: Ticket = records::get(tx, tx.tenant, link.ticket_id.0)?;
    let lead: Lead = records::get(tx, tx.tenant, link.lead_id.0)?;
    if before.related_lead_id == Some(lead.id) {
        return Ok(links_of(&before));
    }
    let mut after = before.clone();
    after.related_lead_id = Some(lead.id);
    let body = replaced(
        "lead",
        lead.id.0,
        &lead.name,
        before.related_lead_id.map(|l| l.0),
    );
    change(
        tx,
        methods::LINKS_LINK_TICKET_TO_LEAD,
        &before,
        after,
        TicketEventKind::Linked,
        body,
        None,
    )
}

pub(crate) fn link_deal(tx: &mut Tx<'_>, link: DealLink) -> Result<TicketLinks> {
    let before: Ticket = records::get(tx, tx.tenant, link.ticket_id.0)?;
    let deal: Deal = records::get(tx, tx.tenant, link.deal_id.0)?;
    if before.related_deal_id == Some(deal.id) {
        return Ok(links_of(&before));
    }
    let mut after = before.clone();
    after.related_deal_id = Some(deal.id);
    let body = replaced(
        "deal",
        deal.id.0,
        &deal.title,
        before.related_deal_id.map(|d| d.0),
    );
    change(
        tx,
        methods::LINKS_LINK_TICKET_TO_DEAL,
        &before,
        after,
        TicketEventKind::Linked,
        body,
        None,
    )
}

pub(crate) fn unlink_lead(tx: &mut Tx<'_>, ticket: TicketRef) -> Result<TicketLinks> {
    let before: Ticket = records::get(tx, tx.tenant, ticket.ticket_id.0)?;
    let Some(lead) = before.related_lead_id else {
        return Ok(links_of(&before));
    };
    let mut after = before.clone();
    after.related_lead_id = None;
    let body = format!("unlinked from lead {lead}");
    change(
        tx,
        methods::LINKS_UNLINK_TICKET_FROM_LEAD,
        &before,
        after,
        TicketEventKind::Unlinked,
        body,
        None,
    )
}

pub(crate) fn unlink_deal(tx: &mut Tx<'_>, ticket: TicketRef) -> Result<TicketLinks> {
    let before: Ticket = records::get(tx, tx.tenant, ticket.ticket_id.0)?;
    let Some(deal) = before.related_deal_id else {
        return Ok(links_of(&before));
    };
    let mut after = before.clone();
    after.related_deal_id = None;
    let body = format!("unlinked from deal {deal}");
    change(
        tx,
        methods::LINKS_UNLINK_TICKET_FROM_DEAL,
        &before,
        after,
        TicketEventKind::Unlinked,
        body,
        None,
    )
}

pub(crate) fn replaced(kind: &str, id: i64, name: &str, previous: Option<i64>) -> String {
    match previous {
        Some(p) => format!("linked to {kind} {id} ({name}), replacing {kind} {p}"),
        None => format!("linked to {kind} {id} ({name})"),
    }
}

pub(crate) fn links_of(t: &Ticket) -> TicketLinks {
    TicketLinks {
        ticket_id: t.id,
        related_lead_id: t.related_lead_id,
        related_deal_id: t.related_deal_id,
    }
}

/// Writes a link change: the ticket, its audit entry (with `note`), the event and the feed entry.
pub(crate) fn change(
    tx: &mut Tx<'_>,
    action: &str,
    before: &Ticket,
    mut after: Ticket,
    kind: TicketEventKind,
    body: String,
    note: Option<&str>,
) -> Result<TicketLinks> {
    after.updated_at = tx.now;
    tx.replace_noted(action, before, &after, note)?;
    let now = tx.now;
    tickets::add_event(tx, &after, kind, Some(body), now)?;
    Ok(links_of(&after))
}
