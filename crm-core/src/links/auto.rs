//! Auto-link's matching: a ticket's keys against leads and customers (email beats phone beats
//! company), the open deal to link, and what is ambiguous.

use super::{Ambiguity, AutoLinkMatch, AutoLinkReport, MatchedBy};
use crate::customers::Customer;
use crate::deals::DealStatus;
use crate::error::Result;
use crate::ids::DealId;
use crate::ids::LeadId;
use crate::matching;
use crate::methods;
use crate::records;
use crate::sql::Connection;
use crate::sql::params;
use crate::store::Tx;
use crate::tickets;
use crate::tickets::Ticket;
use crate::tickets::TicketEventKind;

/// The outcome of matching one level (email, phone or company) or all of them.
pub(crate) enum Found {
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
pub(crate) struct Keys {
    pub(crate) emails: Vec<String>,
    pub(crate) phones: Vec<String>,
    pub(crate) companies: Vec<String>,
}

impl Keys {
    pub(crate) fn of(ticket: &Ticket, customer: Option<&Customer>, region: &str) -> Keys {
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
pub(crate) fn find(c: &Connection, tenant: i64, table: &str, keys: &Keys) -> Result<Found> {
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
        let args = std::iter::once(crate::sql::Value::Integer(tenant))
            .chain(values.iter().map(|v| crate::sql::Value::Text(v.clone())))
            .collect::<Vec<_>>();
        let mut ids: Vec<i64> = c
            .prepare_cached(&sql)?
            .query_map(&args, |r| r.get(0))?
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
pub(crate) fn open_deals(
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
pub(crate) struct Decision {
    pub(crate) lead: Option<(i64, MatchedBy, String)>,
    pub(crate) deal: Option<(i64, MatchedBy, String)>,
    pub(crate) ambiguities: Vec<Ambiguity>,
}

pub(crate) fn decide(
    c: &Connection,
    tenant: i64,
    region: &str,
    ticket: &Ticket,
) -> Result<Decision> {
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
pub(crate) fn settle(
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
pub(crate) fn examine(
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
