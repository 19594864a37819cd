//! Tickets linked to the lead and the deal they belong to: by hand, or automatically by the
//! requester's (or the ticket's customer's) email, phone or company.
//!
//! Every change writes, in one transaction, the ticket row, an audit entry with the previous and
//! new links, a `linked`/`unlinked` ticket event and a change-feed entry.

use crate::customers::Customer;
use crate::deals::{Deal, DealStatus};
use crate::error::{Error, Result};
use crate::ids::{DealId, LeadId, TicketId};
use crate::leads::Lead;
use crate::matching;
use crate::methods;
use crate::records::{self, Page, PageRequest, id_value};
use crate::store::Tx;
use crate::tenancy::Scope;
use crate::tickets::{self, Ticket, TicketEventKind};
use rusqlite::{Connection, params, params_from_iter};
use serde::{Deserialize, Serialize};

/// A ticket's links, as the link methods return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLinks {
    pub ticket_id: TicketId,
    pub related_lead_id: Option<LeadId>,
    pub related_deal_id: Option<DealId>,
}

/// A ticket's links with the linked records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLinkRecords {
    pub ticket_id: TicketId,
    pub lead: Option<Lead>,
    pub deal: Option<Deal>,
}

/// What `links.linkTicketToLead` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadLink {
    pub ticket_id: TicketId,
    pub lead_id: LeadId,
}

/// What `links.linkTicketToDeal` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealLink {
    pub ticket_id: TicketId,
    pub deal_id: DealId,
}

/// `{ticketId}`, for unlinking and reading links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketRef {
    pub ticket_id: TicketId,
}

/// What `links.getLeadTickets` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadTickets {
    pub lead_id: Option<LeadId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// What `links.getDealTickets` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealTickets {
    pub deal_id: Option<DealId>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// How an automatic link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    Email,
    Phone,
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
    pub ticket_id: TicketId,
    pub lead_id: Option<LeadId>,
    pub deal_id: Option<DealId>,
    pub matched_by: MatchedBy,
    /// The normalised email, the E.164 number, the folded company name, or `customer N`.
    pub evidence: String,
}

/// One ticket left unlinked because several records matched equally well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ambiguity {
    pub ticket_id: TicketId,
    /// `lead`, `customer` (looking for the ticket's deal) or `deal`.
    pub kind: &'static str,
    pub matched_by: MatchedBy,
    pub evidence: String,
    /// The ids that tied.
    pub candidates: Vec<i64>,
}

/// What `links.autoLink` did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoLinkReport {
    pub examined: u64,
    pub linked_to_lead: u64,
    pub linked_to_deal: u64,
    pub ambiguous: u64,
    pub already_linked: u64,
    pub unmatched: u64,
    pub dry_run: bool,
    pub matches: Vec<AutoLinkMatch>,
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

fn link_lead(tx: &mut Tx<'_>, link: LeadLink) -> Result<TicketLinks> {
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

fn link_deal(tx: &mut Tx<'_>, link: DealLink) -> Result<TicketLinks> {
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

fn unlink_lead(tx: &mut Tx<'_>, ticket: TicketRef) -> Result<TicketLinks> {
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

fn unlink_deal(tx: &mut Tx<'_>, ticket: TicketRef) -> Result<TicketLinks> {
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

fn replaced(kind: &str, id: i64, name: &str, previous: Option<i64>) -> String {
    match previous {
        Some(p) => format!("linked to {kind} {id} ({name}), replacing {kind} {p}"),
        None => format!("linked to {kind} {id} ({name})"),
    }
}

fn links_of(t: &Ticket) -> TicketLinks {
    TicketLinks {
        ticket_id: t.id,
        related_lead_id: t.related_lead_id,
        related_deal_id: t.related_deal_id,
    }
}

/// Writes a link change: the ticket, its audit entry (with `note`), the event and the feed entry.
fn change(
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

/// The outcome of matching one level (email, phone or company) or all of them.
enum Found {
    None,
    One {
        id: i64,
        by: MatchedBy,
        evidence: String,
    },
    Many {
        by: MatchedBy,
        evidence: String,
        ids: Vec<i64>,
    },
}

/// The keys a ticket can be matched by: its requester's details and its customer's.
struct Keys {
    emails: Vec<String>,
    phones: Vec<String>,
    companies: Vec<String>,
}

impl Keys {
    fn of(ticket: &Ticket, customer: Option<&Customer>, region: &str) -> Keys {
        let mut keys = Keys {
            emails: Vec::new(),
            phones: Vec::new(),
            companies: Vec::new(),
        };
        let add = |list: &mut Vec<String>, key: Option<String>| {
            if let Some(k) = key
                && !list.contains(&k)
            {
                list.push(k);
            }
        };
        let phone = |p: &str| matching::phone_key(p, region);
        add(
            &mut keys.emails,
            ticket
                .requester_email
                .as_deref()
                .and_then(matching::email_key),
        );
        add(
            &mut keys.phones,
            ticket.requester_phone.as_deref().and_then(phone),
        );
        add(
            &mut keys.companies,
            ticket
                .requester_company
                .as_deref()
                .and_then(matching::company_key),
        );
        if let Some(c) = customer {
            add(
                &mut keys.emails,
                c.email.as_deref().and_then(matching::email_key),
            );
            add(&mut keys.phones, c.phone.as_deref().and_then(phone));
            add(
                &mut keys.companies,
                c.company.as_deref().and_then(matching::company_key),
            );
        }
        keys
    }
}

/// Email beats phone beats company: the first level at which anything matches decides.
fn find(c: &Connection, tenant: i64, table: &str, keys: &Keys) -> Result<Found> {
    let levels = [
        (MatchedBy::Email, "email_key", &keys.emails),
        (MatchedBy::Phone, "phone_key", &keys.phones),
        (MatchedBy::Company, "company_key", &keys.companies),
    ];
    for (by, column, values) in levels {
        if values.is_empty() {
            continue;
        }
        let marks = vec!["?"; values.len()].join(", ");
        let sql = format!(
            // No ORDER BY: it would make SQLite walk the primary key instead of the key index.
            // A row has one key per column, so the ids are distinct; 11 is enough to say "many".
            "SELECT id FROM {table} WHERE tenant_id = ? AND {column} IN ({marks}) LIMIT 11"
        );
        let args = std::iter::once(rusqlite::types::Value::Integer(tenant)).chain(
            values
                .iter()
                .map(|v| rusqlite::types::Value::Text(v.clone())),
        );
        let mut ids: Vec<i64> = c
            .prepare_cached(&sql)?
            .query_map(params_from_iter(args), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.sort_unstable();
        let evidence = values.join(", ");
        match ids.as_slice() {
            [] => {}
            [id] => {
                return Ok(Found::One {
                    id: *id,
                    by,
                    evidence,
                });
            }
            _ => return Ok(Found::Many { by, evidence, ids }),
        }
    }
    Ok(Found::None)
}

/// Open deals of a lead or a customer, lowest id first (at most 11 each: more only says "many").
fn open_deals(
    c: &Connection,
    tenant: i64,
    lead: Option<i64>,
    customer: Option<i64>,
) -> Result<Vec<i64>> {
    // Two plain queries rather than one UNION: a NULL bound where a partial index might apply
    // makes SQLite recompile the statement on every call (measured: a quarter of auto-link's time).
    let mut ids = Vec::new();
    for (column, value) in [("lead_id", lead), ("customer_id", customer)] {
        let Some(value) = value else { continue };
        let sql = format!(
            "SELECT id FROM deals WHERE tenant_id = ?1 AND {column} = ?2 AND status = ?3 LIMIT 11"
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![tenant, value, DealStatus::Open], |r| {
            r.get::<_, i64>(0)
        })?;
        for id in rows {
            ids.push(id?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// What auto-link decides for one ticket.
struct Decision {
    lead: Option<(i64, MatchedBy, String)>,
    deal: Option<(i64, MatchedBy, String)>,
    ambiguities: Vec<Ambiguity>,
}

fn decide(c: &Connection, tenant: i64, region: &str, ticket: &Ticket) -> Result<Decision> {
    let customer: Option<Customer> = ticket
        .customer_id
        .map(|id| records::get(c, tenant, id.0))
        .transpose()?;
    let keys = Keys::of(ticket, customer.as_ref(), region);
    let mut decision = Decision {
        lead: None,
        deal: None,
        ambiguities: Vec::new(),
    };
    let ambiguity = |kind, by, evidence, candidates| Ambiguity {
        ticket_id: ticket.id,
        kind,
        matched_by: by,
        evidence,
        candidates,
    };
    match find(c, tenant, "leads", &keys)? {
        Found::None => {}
        Found::One { id, by, evidence } => decision.lead = Some((id, by, evidence)),
        Found::Many { by, evidence, ids } => decision
            .ambiguities
            .push(ambiguity("lead", by, evidence, ids)),
    }
    // The customer whose open deal the ticket belongs to: its own, or one matched by the same rules.
    let customer = match &customer {
        Some(c) => Some((c.id.0, MatchedBy::Customer, format!("customer {}", c.id))),
        None => match find(c, tenant, "customers", &keys)? {
            Found::None => None,
            Found::One { id, by, evidence } => Some((id, by, evidence)),
            Found::Many { by, evidence, ids } => {
                decision
                    .ambiguities
                    .push(ambiguity("customer", by, evidence, ids));
                None
            }
        },
    };
    if decision.lead.is_some() || customer.is_some() {
        let deals = open_deals(
            c,
            tenant,
            decision.lead.as_ref().map(|l| l.0),
            customer.as_ref().map(|c| c.0),
        )?;
        // Say how the deal was reached: through the matched lead if it has the deal, else the customer.
        let via = decision
            .lead
            .clone()
            .filter(|_| customer.is_none())
            .or(customer)
            .or(decision.lead.clone());
        if let Some((_, by, evidence)) = via {
            match deals.as_slice() {
                [] => {}
                [id] => decision.deal = Some((*id, by, evidence)),
                _ => decision
                    .ambiguities
                    .push(ambiguity("deal", by, evidence, deals)),
            }
        }
    }
    Ok(decision)
}

/// Applies (unless `dry_run`) the decision for one ticket and counts it.
fn settle(
    tx: Option<&mut Tx<'_>>,
    ticket: &Ticket,
    decision: Decision,
    report: &mut AutoLinkReport,
) -> Result<()> {
    report.examined += 1;
    let Decision {
        lead,
        deal,
        ambiguities,
    } = decision;
    let ambiguous = !ambiguities.is_empty();
    report.ambiguous += u64::from(ambiguous);
    report.ambiguities.extend(ambiguities);
    if lead.is_none() && deal.is_none() {
        if !ambiguous {
            report.unmatched += 1;
        }
        return Ok(());
    }
    report.linked_to_lead += u64::from(lead.is_some());
    report.linked_to_deal += u64::from(deal.is_some());
    let (_, by, evidence) =
        lead.clone()
            .or_else(|| deal.clone())
            .unwrap_or((0, MatchedBy::Email, String::new()));
    report.matches.push(AutoLinkMatch {
        ticket_id: ticket.id,
        lead_id: lead.as_ref().map(|l| LeadId(l.0)),
        deal_id: deal.as_ref().map(|d| DealId(d.0)),
        matched_by: by,
        evidence: evidence.clone(),
    });
    let Some(tx) = tx else { return Ok(()) };
    let mut after = ticket.clone();
    after.related_lead_id = lead.as_ref().map(|l| LeadId(l.0));
    after.related_deal_id = deal.as_ref().map(|d| DealId(d.0));
    after.updated_at = tx.now;
    let note = format!("matched by {}: {evidence}", by.as_str());
    tx.replace_noted(methods::LINKS_AUTO_LINK, ticket, &after, Some(&note))?;
    let now = tx.now;
    // One event says what this auto-link did and why, for the lead and the deal alike.
    let what: Vec<String> = [("lead", &lead), ("deal", &deal)]
        .into_iter()
        .filter_map(|(kind, link)| {
            link.as_ref().map(|(id, by, evidence)| {
                format!("{kind} {id} (matched by {}: {evidence})", by.as_str())
            })
        })
        .collect();
    let body = format!("auto-linked to {}", what.join(" and "));
    tickets::add_event(tx, &after, TicketEventKind::Linked, Some(body), now)?;
    Ok(())
}

/// Counts a ticket that is already linked (a person's decision, or an earlier run's, stands)
/// and returns `None`; otherwise decides what to link.
fn examine(
    c: &Connection,
    tenant: i64,
    region: &str,
    ticket: &Ticket,
    report: &mut AutoLinkReport,
) -> Result<Option<Decision>> {
    if ticket.related_lead_id.is_some() || ticket.related_deal_id.is_some() {
        report.examined += 1;
        report.already_linked += 1;
        return Ok(None);
    }
    decide(c, tenant, region, ticket).map(Some)
}

/// The next batch of tickets after `after` (by id), or the given ones.
fn ticket_batch(c: &Connection, tenant: i64, after: i64, limit: u32) -> Result<Vec<Ticket>> {
    use crate::records::Record as _;
    let sql = format!(
        "{} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        Ticket::SELECT
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![tenant, after, limit], Ticket::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
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

    /// Links tickets that have neither a lead nor a deal link (admin only). See [`AutoLink`].
    pub fn auto_link(&self, req: &AutoLink) -> Result<AutoLinkReport> {
        let mut report = AutoLinkReport {
            dry_run: req.dry_run,
            ..AutoLinkReport::default()
        };
        self.auto_link_batches(req, |batch| {
            report.add_counts(batch);
            report.matches.extend(batch.matches.iter().cloned());
            report.ambiguities.extend(batch.ambiguities.iter().cloned());
        })?;
        Ok(report)
    }

    /// Auto-link, one transaction per batch, calling `progress` with each batch's report. Memory
    /// stays flat however many tickets there are; a run that stops part-way leaves whole batches
    /// done, and the next run carries on (linked tickets are skipped).
    pub fn auto_link_batches(
        &self,
        req: &AutoLink,
        mut progress: impl FnMut(&AutoLinkReport),
    ) -> Result<()> {
        let batch = match req.batch_size {
            None => DEFAULT_BATCH_SIZE,
            Some(n @ 1..=MAX_BATCH_SIZE) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "batchSize",
                    format!("must be between 1 and {MAX_BATCH_SIZE}, got {n}"),
                ));
            }
        };
        // Check the role before reading anything.
        self.0.admin(methods::LINKS_AUTO_LINK)?;
        let region = self.0.tenant().default_region.clone();
        if let Some(ids) = &req.ticket_ids {
            // Every id must be a ticket of this tenant, or nothing happens.
            self.0.read(|c, t| {
                for (i, id) in ids.iter().enumerate() {
                    if records::find::<Ticket>(c, t, id.0)?.is_none() {
                        return Err(Error::invalid(
                            format!("ticketIds[{i}]"),
                            format!("ticket {id} not found"),
                        ));
                    }
                }
                Ok(())
            })?;
            for chunk in ids.chunks(batch as usize) {
                let report = self.run(req.dry_run, &region, |c, t| {
                    chunk.iter().map(|id| records::get(c, t, id.0)).collect()
                })?;
                progress(&report);
            }
            return Ok(());
        }
        let mut after = 0;
        loop {
            let mut last = None;
            let report = self.run(req.dry_run, &region, |c, t| {
                let tickets = ticket_batch(c, t, after, batch)?;
                last = tickets.last().map(|t| t.id.0);
                Ok(tickets)
            })?;
            match last {
                Some(id) => after = id,
                None => return Ok(()),
            }
            progress(&report);
        }
    }

    /// One batch: in a write transaction, or on a read snapshot for a dry run.
    fn run(
        self,
        dry_run: bool,
        region: &str,
        load: impl FnOnce(&Connection, i64) -> Result<Vec<Ticket>>,
    ) -> Result<AutoLinkReport> {
        if dry_run {
            self.0.read(|c, t| {
                let tickets = load(c, t)?;
                // One snapshot for the whole batch, as the write path has.
                let snapshot = c.unchecked_transaction()?;
                let mut report = AutoLinkReport::default();
                for ticket in tickets {
                    if let Some(decision) = examine(&snapshot, t, region, &ticket, &mut report)? {
                        settle(None, &ticket, decision, &mut report)?;
                    }
                }
                snapshot.rollback()?;
                Ok(report)
            })
        } else {
            self.0.write_as_admin(methods::LINKS_AUTO_LINK, |tx| {
                let tickets = load(tx, tx.tenant)?;
                let (tenant, region) = (tx.tenant, tx.region.clone());
                // Decisions read through the same transaction they write in.
                let mut report = AutoLinkReport::default();
                for ticket in tickets {
                    if let Some(decision) = examine(tx, tenant, &region, &ticket, &mut report)? {
                        settle(Some(tx), &ticket, decision, &mut report)?;
                    }
                }
                Ok(report)
            })
        }
    }
}
