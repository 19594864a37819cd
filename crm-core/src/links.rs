//! Tickets linked to the lead and the deal they belong to: by hand, or automatically by the
//! requester's (or the ticket's customer's) email, phone or company.
//!
//! Every change writes, in one transaction, the ticket row, an audit entry with the previous and
//! new links, a `linked`/`unlinked` ticket event and a change-feed entry.

mod auto;
mod batches;
mod manual;

use auto::{examine, settle};
use manual::{link_deal, link_lead, unlink_deal, unlink_lead};

use crate::deals::Deal;
use crate::error::{Error, Result};
use crate::ids::{DealId, LeadId, TicketId};
use crate::leads::Lead;
use crate::records::{self, Page, PageRequest, id_value};
use crate::tenancy::Scope;
use crate::tickets::Ticket;
use serde::{Deserialize, Serialize};

/// A ticket's links, as the link methods return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLinks {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The lead it is linked to, if any.
    pub related_lead_id: Option<LeadId>,
    /// The deal it is linked to, if any.
    pub related_deal_id: Option<DealId>,
}

/// A ticket's links with the linked records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLinkRecords {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The linked lead, if any.
    pub lead: Option<Lead>,
    /// The linked deal, if any.
    pub deal: Option<Deal>,
}

/// What `links.linkTicketToLead` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadLink {
    /// The ticket to link.
    pub ticket_id: TicketId,
    /// The lead it is linked to.
    pub lead_id: LeadId,
}

/// What `links.linkTicketToDeal` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealLink {
    /// The ticket to link.
    pub ticket_id: TicketId,
    /// The deal it is linked to.
    pub deal_id: DealId,
}

/// `{ticketId}`, for unlinking and reading links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketRef {
    /// The ticket.
    pub ticket_id: TicketId,
}

/// What `links.getLeadTickets` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadTickets {
    /// The lead whose tickets are asked for.
    pub lead_id: Option<LeadId>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// What `links.getDealTickets` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealTickets {
    /// The deal whose tickets are asked for.
    pub deal_id: Option<DealId>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// How an automatic link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// Same email address as the ticket's requester.
    Email,
    /// Same phone number (E.164) as the ticket's requester.
    Phone,
    /// Same company as the ticket's requester.
    Company,
    /// The deal belongs to the ticket's own customer.
    Customer,
}

impl MatchedBy {
    fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Email => "email",
            MatchedBy::Phone => "phone",
            MatchedBy::Company => "company",
            MatchedBy::Customer => "customer",
        }
    }
}

/// What `links.autoLink` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoLink {
    /// Only these tickets; all of the tenant's when absent.
    pub ticket_ids: Option<Vec<TicketId>>,
    /// Report what would be linked and change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Tickets per transaction: 1 to 10,000, 500 when absent.
    pub batch_size: Option<u32>,
}

/// The default number of tickets per auto-link transaction.
pub const DEFAULT_BATCH_SIZE: u32 = 500;
/// The largest batch: bigger ones hold the write lock too long.
pub const MAX_BATCH_SIZE: u32 = 10_000;

/// One ticket that was (or, in a dry run, would be) linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoLinkMatch {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The lead it was linked to, if one.
    pub lead_id: Option<LeadId>,
    /// The deal it was linked to, if one.
    pub deal_id: Option<DealId>,
    /// What matched.
    pub matched_by: MatchedBy,
    /// The normalised email, the E.164 number, the folded company name, or `customer N`.
    pub evidence: String,
}

/// One ticket left unlinked because several records matched equally well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ambiguity {
    /// The ticket.
    pub ticket_id: TicketId,
    /// `lead`, `customer` (looking for the ticket's deal) or `deal`.
    pub kind: &'static str,
    /// What matched several records.
    pub matched_by: MatchedBy,
    /// The value that matched (an address, a number, a company).
    pub evidence: String,
    /// The ids that tied.
    pub candidates: Vec<i64>,
}

/// What `links.autoLink` did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoLinkReport {
    /// Tickets looked at.
    pub examined: u64,
    /// Tickets linked to a lead.
    pub linked_to_lead: u64,
    /// Tickets linked to a deal.
    pub linked_to_deal: u64,
    /// Tickets left alone: several records matched equally well.
    pub ambiguous: u64,
    /// Tickets that were linked already.
    pub already_linked: u64,
    /// Tickets nothing matched.
    pub unmatched: u64,
    /// Nothing was written.
    pub dry_run: bool,
    /// Each ticket linked.
    pub matches: Vec<AutoLinkMatch>,
    /// Each ticket left alone, with its candidates.
    pub ambiguities: Vec<Ambiguity>,
}

impl AutoLinkReport {
    /// Adds another batch's counts (not its lists).
    pub fn add_counts(&mut self, other: &AutoLinkReport) {
        self.examined += other.examined;
        self.linked_to_lead += other.linked_to_lead;
        self.linked_to_deal += other.linked_to_deal;
        self.ambiguous += other.ambiguous;
        self.already_linked += other.already_linked;
        self.unmatched += other.unmatched;
    }
}

/// `links.*`.
#[derive(Debug, Clone, Copy)]
pub struct Links<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Links between tickets and leads or deals.
    pub fn links(&self) -> Links<'_, 'c> {
        Links(self)
    }
}

impl Links<'_, '_> {
    /// Links a ticket to a lead, replacing any lead it was linked to.
    pub fn link_ticket_to_lead(&self, link: LeadLink) -> Result<TicketLinks> {
        self.0.write(|tx| link_lead(tx, link))
    }

    /// Removes a ticket's lead link (nothing happens if it has none).
    pub fn unlink_ticket_from_lead(&self, ticket: TicketRef) -> Result<TicketLinks> {
        self.0.write(|tx| unlink_lead(tx, ticket))
    }

    /// Links a ticket to a deal, replacing any deal it was linked to.
    pub fn link_ticket_to_deal(&self, link: DealLink) -> Result<TicketLinks> {
        self.0.write(|tx| link_deal(tx, link))
    }

    /// Removes a ticket's deal link (nothing happens if it has none).
    pub fn unlink_ticket_from_deal(&self, ticket: TicketRef) -> Result<TicketLinks> {
        self.0.write(|tx| unlink_deal(tx, ticket))
    }

    /// A ticket's lead and deal.
    pub fn ticket_links(&self, ticket: TicketRef) -> Result<TicketLinkRecords> {
        self.0.read(|c, t| {
            let ticket: Ticket = records::get(c, t, ticket.ticket_id.0)?;
            Ok(TicketLinkRecords {
                ticket_id: ticket.id,
                lead: ticket
                    .related_lead_id
                    .map(|id| records::get(c, t, id.0))
                    .transpose()?,
                deal: ticket
                    .related_deal_id
                    .map(|id| records::get(c, t, id.0))
                    .transpose()?,
            })
        })
    }

    /// A page of the tickets linked to a lead, newest first.
    pub fn lead_tickets(&self, req: &LeadTickets) -> Result<Page<Ticket>> {
        let lead = req
            .lead_id
            .ok_or_else(|| Error::invalid("leadId", "required"))?;
        let page = PageRequest {
            limit: req.limit,
            cursor: req.cursor.clone(),
        };
        self.0.read(|c, t| {
            records::get::<Lead>(c, t, lead.0)?;
            records::list(c, t, vec![("related_lead_id", id_value(Some(lead)))], &page)
        })
    }

    /// A page of the tickets linked to a deal, newest first.
    pub fn deal_tickets(&self, req: &DealTickets) -> Result<Page<Ticket>> {
        let deal = req
            .deal_id
            .ok_or_else(|| Error::invalid("dealId", "required"))?;
        let page = PageRequest {
            limit: req.limit,
            cursor: req.cursor.clone(),
        };
        self.0.read(|c, t| {
            records::get::<Deal>(c, t, deal.0)?;
            records::list(c, t, vec![("related_deal_id", id_value(Some(deal)))], &page)
        })
    }
}
