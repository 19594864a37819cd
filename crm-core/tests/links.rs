//! Tickets ↔ leads and deals, with the real support-tickets dataset: manual links, auto-link's
//! rules (email beats phone beats company, ties are ambiguous), idempotency, dry runs, manual
//! links surviving, tenant isolation and bad input.

mod common;

use common::{count, tenant, ticket, user};
use crm_core::Crm;
use crm_core::customers::NewCustomer;
use crm_core::deals::{NewDeal, NewPipeline, NewStage, StageKind};
use crm_core::ids::{CustomerId, DealId, LeadId, PipelineId, TicketId, UserId};
use crm_core::leads::NewLead;
use crm_core::links::{
    AutoLink, DealLink, DealTickets, LeadLink, LeadTickets, MatchedBy, TicketRef,
};
use crm_core::store::EntityType;
use crm_core::tenancy::Role;
use crm_core::tickets::{Channel, NewTicket, TicketEventFilter, TicketEventKind, TicketFilter};
use std::collections::HashMap;

const DATASET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/support-tickets/customer_support_tickets.csv"
);

/// One row of the dataset: the customer's name and email, the ticket's subject and channel.
struct Row {
    name: String,
    email: String,
    subject: String,
    channel: Channel,
}

fn dataset() -> Vec<Row> {
    let mut reader =
        csv::Reader::from_path(DATASET).expect("../shared/datasets must be beside the repository");
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let channel = match &r[13] {
                "Email" => Channel::Email,
                "Phone" => Channel::Phone,
                "Chat" => Channel::Chat,
                _ => Channel::Social,
            };
            Row {
                name: r[1].to_owned(),
                email: r[2].to_owned(),
                subject: r[8].to_owned(),
                channel,
            }
        })
        .collect()
}

fn pipeline() -> NewPipeline {
    let stage = |name: &str, kind| NewStage {
        name: name.into(),
        position: None,
        probability: 50,
        kind,
    };
    NewPipeline {
        external_id: None,
        name: "Sales".into(),
        stages: vec![
            stage("Open", StageKind::Open),
            stage("Won", StageKind::Won),
            stage("Lost", StageKind::Lost),
        ],
    }
}

fn deal(
    pipeline: PipelineId,
    lead: Option<LeadId>,
    customer: Option<CustomerId>,
    stage: Option<crm_core::ids::StageId>,
) -> NewDeal {
    NewDeal {
        external_id: None,
        pipeline_id: pipeline,
        stage_id: stage,
        customer_id: customer,
        lead_id: lead,
        title: "Deal".into(),
        value: 100,
        currency: "USD".into(),
        owner_id: None,
        expected_close_at: None,
        created_at: None,
        closed_at: None,
    }
}

/// A US number made from `n`, in one of several spellings, and its E.164 form.
fn phone(n: usize, style: usize) -> (String, String) {
    let line = n % 10_000;
    let exchange = 200 + n / 10_000 % 800;
    let text = match style % 3 {
        0 => format!("(415) {exchange}-{line:04}"),
        1 => format!("+1 415 {exchange} {line:04}"),
        _ => format!("415.{exchange}.{line:04}"),
    };
    (text, format!("+1415{exchange}{line:04}"))
}

/// What the test expects for one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Lead {
        lead: LeadId,
        by: MatchedBy,
        deal: Option<DealId>,
    },
    Ambiguous,
    DealOnly {
        deal: DealId,
    },
    Nothing,
}

struct World {
    crm: Crm,
    admin: UserId,
    expected: HashMap<TicketId, Expect>,
    tickets: Vec<TicketId>,
}

/// Customers and tickets from the dataset; leads that share their emails, phones or companies in
/// other spellings, by a rule on the row number; open deals for some leads and customers.
fn world() -> World {
    let crm = common::open();
    let admin = tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let rows = dataset();
    assert_eq!(rows.len(), 8_469);
    // Leads with an email, by lower-cased email: the dataset repeats 139 emails.
    let mut leads_by_email: HashMap<String, Vec<LeadId>> = HashMap::new();
    let mut leads_by_phone: HashMap<String, Vec<LeadId>> = HashMap::new();
    let mut leads_by_company: HashMap<String, Vec<LeadId>> = HashMap::new();
    let mut deals_of_lead: HashMap<LeadId, Vec<DealId>> = HashMap::new();
    let mut deals_of_customer: HashMap<CustomerId, Vec<DealId>> = HashMap::new();
    let mut plan = Vec::new();
    scope
        .batch(|b| {
            let p = b.create_pipeline(pipeline())?;
            let won = p.stages[1].id;
            for (i, row) in rows.iter().enumerate() {
                let customer = b.create_customer(NewCustomer {
                    name: row.name.clone(),
                    email: Some(row.email.clone()),
                    ..Default::default()
                })?;
                let (phone_text, e164) = phone(i, i);
                let company = format!("Dataset Company {i}");
                let mut t = NewTicket {
                    customer_id: Some(customer.id),
                    channel: row.channel,
                    ..ticket(&row.subject)
                };
                t.requester_email = Some(row.email.clone());
                match i % 10 {
                    // A lead with the same email in capitals and spaces.
                    0 | 3 | 6 => {
                        let lead = b.create_lead(NewLead {
                            name: row.name.clone(),
                            email: Some(format!("  {}  ", row.email.to_uppercase())),
                            ..Default::default()
                        })?;
                        leads_by_email
                            .entry(row.email.to_lowercase())
                            .or_default()
                            .push(lead.id);
                        if i % 20 == 0 {
                            let d = b.create_deal(deal(p.id, Some(lead.id), None, None))?;
                            deals_of_lead.entry(lead.id).or_default().push(d.id);
                            // A closed deal never counts.
                            b.create_deal(deal(p.id, Some(lead.id), None, Some(won)))?;
                        }
                    }
                    // A lead known by phone only; the requester writes the number differently.
                    1 | 4 => {
                        let (lead_phone, _) = phone(i, i + 1);
                        let lead = b.create_lead(NewLead {
                            name: row.name.clone(),
                            phone: Some(lead_phone),
                            ..Default::default()
                        })?;
                        leads_by_phone
                            .entry(e164.clone())
                            .or_default()
                            .push(lead.id);
                        t.requester_phone = Some(phone_text);
                    }
                    // A lead known by company only, spelt another way.
                    2 => {
                        let lead = b.create_lead(NewLead {
                            name: row.name.clone(),
                            company: Some(format!("{company}, Inc.")),
                            ..Default::default()
                        })?;
                        leads_by_company
                            .entry(company.to_lowercase())
                            .or_default()
                            .push(lead.id);
                        t.requester_company = Some(format!("{}  LLC", company.to_uppercase()));
                    }
                    // Two leads at the same company: ambiguous.
                    5 => {
                        for _ in 0..2 {
                            let lead = b.create_lead(NewLead {
                                name: row.name.clone(),
                                company: Some(company.clone()),
                                ..Default::default()
                            })?;
                            leads_by_company
                                .entry(company.to_lowercase())
                                .or_default()
                                .push(lead.id);
                        }
                        t.requester_company = Some(company.clone());
                    }
                    // No lead; the customer has one open deal (every other such row).
                    7 if i % 20 == 7 => {
                        let d = b.create_deal(deal(p.id, None, Some(customer.id), None))?;
                        deals_of_customer.entry(customer.id).or_default().push(d.id);
                    }
                    _ => {}
                }
                let created = b.create_ticket(t)?;
                plan.push((
                    created.id,
                    row.email.to_lowercase(),
                    e164,
                    company.to_lowercase(),
                    customer.id,
                ));
            }
            Ok(())
        })
        .unwrap();
    // The expected outcome, from how the data was made: email beats phone beats company.
    let mut expected = HashMap::new();
    let mut tickets = Vec::new();
    for (ticket, email, e164, company, customer) in plan {
        let levels = [
            (MatchedBy::Email, leads_by_email.get(&email)),
            (MatchedBy::Phone, leads_by_phone.get(&e164)),
            (MatchedBy::Company, leads_by_company.get(&company)),
        ];
        let found = levels
            .into_iter()
            .find_map(|(by, ids)| ids.filter(|ids| !ids.is_empty()).map(|ids| (by, ids)));
        let deals_of = |lead: Option<LeadId>| {
            let mut deals: Vec<DealId> = lead
                .and_then(|l| deals_of_lead.get(&l))
                .cloned()
                .unwrap_or_default();
            deals.extend(
                deals_of_customer
                    .get(&customer)
                    .cloned()
                    .unwrap_or_default(),
            );
            deals
        };
        let outcome = match found {
            Some((_, ids)) if ids.len() > 1 => Expect::Ambiguous,
            Some((by, ids)) => {
                let deals = deals_of(Some(ids[0]));
                Expect::Lead {
                    lead: ids[0],
                    by,
                    deal: (deals.len() == 1).then(|| deals[0]),
                }
            }
            None => match deals_of(None).as_slice() {
                [d] => Expect::DealOnly { deal: *d },
                _ => Expect::Nothing,
            },
        };
        expected.insert(ticket, outcome);
        tickets.push(ticket);
    }
    World {
        crm,
        admin,
        expected,
        tickets,
    }
}

#[test]
fn auto_link_follows_the_rules_on_real_tickets_and_is_idempotent() {
    let w = world();
    let scope = w.crm.scope("acme", Some(w.admin)).unwrap();
    // A person links one ticket by hand before auto-link runs: that decision stands.
    let manual_ticket = w.tickets[0];
    let other_lead = scope
        .leads()
        .create(NewLead {
            name: "Someone else".into(),
            ..Default::default()
        })
        .unwrap();
    scope
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: manual_ticket,
            lead_id: other_lead.id,
        })
        .unwrap();
    let writes_before = (
        count(&w.crm, "audit_log"),
        count(&w.crm, "ticket_events"),
        count(&w.crm, "change_feed"),
    );

    let dry = scope
        .links()
        .auto_link(&AutoLink {
            dry_run: true,
            ..AutoLink::default()
        })
        .unwrap();
    assert_eq!(
        (
            count(&w.crm, "audit_log"),
            count(&w.crm, "ticket_events"),
            count(&w.crm, "change_feed")
        ),
        writes_before,
        "a dry run writes nothing"
    );
    assert!(dry.dry_run);
    assert_eq!(
        scope.tickets().get(w.tickets[3]).unwrap().related_lead_id,
        None
    );

    let real = scope.links().auto_link(&AutoLink::default()).unwrap();
    assert_eq!(
        (
            real.examined,
            real.linked_to_lead,
            real.linked_to_deal,
            real.ambiguous,
            real.already_linked,
            real.unmatched
        ),
        (
            dry.examined,
            dry.linked_to_lead,
            dry.linked_to_deal,
            dry.ambiguous,
            dry.already_linked,
            dry.unmatched
        )
    );
    assert_eq!(
        real.matches, dry.matches,
        "the dry run reported exactly what was linked"
    );
    assert_eq!(real.ambiguities, dry.ambiguities);

    let mut counts = (0u64, 0u64, 0u64, 0u64);
    for (ticket, expect) in &w.expected {
        let t = scope.tickets().get(*ticket).unwrap();
        if *ticket == manual_ticket {
            assert_eq!(
                (t.related_lead_id, t.related_deal_id),
                (Some(other_lead.id), None),
                "manual link survives"
            );
            continue;
        }
        match expect {
            Expect::Lead { lead, by, deal } => {
                assert_eq!(
                    (t.related_lead_id, t.related_deal_id),
                    (Some(*lead), *deal),
                    "ticket {ticket}"
                );
                let m = real
                    .matches
                    .iter()
                    .find(|m| m.ticket_id == *ticket)
                    .unwrap();
                assert_eq!(m.matched_by, *by, "ticket {ticket}");
                counts.0 += 1;
                counts.1 += u64::from(deal.is_some());
            }
            Expect::DealOnly { deal } => {
                assert_eq!(
                    (t.related_lead_id, t.related_deal_id),
                    (None, Some(*deal)),
                    "ticket {ticket}"
                );
                let m = real
                    .matches
                    .iter()
                    .find(|m| m.ticket_id == *ticket)
                    .unwrap();
                assert_eq!(m.matched_by, MatchedBy::Customer);
                counts.1 += 1;
            }
            Expect::Ambiguous => {
                assert_eq!(
                    (t.related_lead_id, t.related_deal_id),
                    (None, None),
                    "ticket {ticket}"
                );
                assert!(
                    real.ambiguities
                        .iter()
                        .any(|a| a.ticket_id == *ticket && a.kind == "lead"),
                    "ticket {ticket}"
                );
                counts.2 += 1;
            }
            Expect::Nothing => {
                assert_eq!(
                    (t.related_lead_id, t.related_deal_id),
                    (None, None),
                    "ticket {ticket}"
                );
                counts.3 += 1;
            }
        }
    }
    assert_eq!(
        (
            real.linked_to_lead,
            real.linked_to_deal,
            real.ambiguous,
            real.unmatched
        ),
        counts
    );
    assert_eq!(real.already_linked, 1);
    assert_eq!(real.examined, 8_469);
    // Every kind of outcome happened, on real data.
    assert!(
        counts.0 > 4_000 && counts.1 > 300 && counts.2 > 500 && counts.3 > 1_000,
        "{counts:?}"
    );
    for by in [
        MatchedBy::Email,
        MatchedBy::Phone,
        MatchedBy::Company,
        MatchedBy::Customer,
    ] {
        assert!(real.matches.iter().any(|m| m.matched_by == by), "{by:?}");
    }
    // Repeated dataset emails with a lead each are ambiguous at the email level.
    assert!(
        real.ambiguities
            .iter()
            .any(|a| a.matched_by == MatchedBy::Email)
    );

    // Why: the audit entry and the event carry how it matched and the evidence.
    let linked = real
        .matches
        .iter()
        .find(|m| m.matched_by == MatchedBy::Phone)
        .unwrap();
    let audit = scope
        .audit()
        .list(&crm_core::audit::AuditFilter {
            entity_type: Some(EntityType::Ticket),
            entity_id: Some(linked.ticket_id.0),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.items[0].action, "links.autoLink");
    assert_eq!(
        audit.items[0].note.as_deref(),
        Some(format!("matched by phone: {}", linked.evidence).as_str())
    );
    assert!(linked.evidence.starts_with("+1415"));
    let events = scope
        .tickets()
        .list_events(&TicketEventFilter {
            ticket_id: linked.ticket_id,
            limit: None,
            cursor: None,
        })
        .unwrap();
    assert_eq!(events.items[0].kind, TicketEventKind::Linked);
    assert!(
        events.items[0]
            .body
            .as_deref()
            .unwrap()
            .contains(&linked.evidence)
    );

    // Twice links nothing more.
    let writes = count(&w.crm, "audit_log");
    let again = scope
        .links()
        .auto_link(&AutoLink {
            batch_size: Some(97),
            ..AutoLink::default()
        })
        .unwrap();
    assert_eq!((again.linked_to_lead, again.linked_to_deal), (0, 0));
    assert_eq!(again.already_linked, real.matches.len() as u64 + 1);
    assert_eq!(count(&w.crm, "audit_log"), writes);
}

#[test]
fn an_interrupted_run_finishes_on_the_next_with_no_duplicate_or_lost_link() {
    let w = world();
    let scope = w.crm.scope("acme", Some(w.admin)).unwrap();
    let full = scope
        .links()
        .auto_link(&AutoLink {
            dry_run: true,
            ..AutoLink::default()
        })
        .unwrap();
    // Stop after the first 1,000 tickets (two batches of 500)...
    let first: Vec<TicketId> = w.tickets[..1_000].to_vec();
    let part = scope
        .links()
        .auto_link(&AutoLink {
            ticket_ids: Some(first),
            ..AutoLink::default()
        })
        .unwrap();
    assert_eq!(part.examined, 1_000);
    // ...and run again over everything.
    let rest = scope.links().auto_link(&AutoLink::default()).unwrap();
    assert_eq!(
        part.linked_to_lead + rest.linked_to_lead,
        full.linked_to_lead
    );
    assert_eq!(
        part.linked_to_deal + rest.linked_to_deal,
        full.linked_to_deal
    );
    let mut linked: Vec<_> = part.matches.iter().chain(&rest.matches).cloned().collect();
    linked.sort_by_key(|m| m.ticket_id);
    assert_eq!(linked, full.matches);
    // One `linked` event per linked ticket, none twice.
    let events = count(&w.crm, "ticket_events");
    let per_ticket_created = 8_469;
    assert_eq!(
        events as u64,
        per_ticket_created + full.matches.len() as u64
    );
}

#[test]
fn manual_links_replace_unlink_and_read_both_ways() {
    let crm = common::open();
    let admin = tenant(&crm, "acme");
    let agent = user(&crm, "acme", admin, Role::Agent);
    let scope = crm.scope("acme", Some(agent)).unwrap();
    let l1 = scope
        .leads()
        .create(NewLead {
            name: "One".into(),
            ..Default::default()
        })
        .unwrap();
    let l2 = scope
        .leads()
        .create(NewLead {
            name: "Two".into(),
            ..Default::default()
        })
        .unwrap();
    let p = scope.pipelines().create(pipeline()).unwrap();
    let d = scope.deals().create(deal(p.id, None, None, None)).unwrap();
    let tickets: Vec<_> = (0..3)
        .map(|i| scope.tickets().create(ticket(&format!("T{i}"))).unwrap())
        .collect();
    let t = tickets[0].id;

    let links = scope
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: t,
            lead_id: l1.id,
        })
        .unwrap();
    assert_eq!(
        (links.related_lead_id, links.related_deal_id),
        (Some(l1.id), None)
    );
    let links = scope
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: t,
            lead_id: l2.id,
        })
        .unwrap();
    assert_eq!(
        links.related_lead_id,
        Some(l2.id),
        "linking over a link replaces it"
    );
    scope
        .links()
        .link_ticket_to_deal(DealLink {
            ticket_id: t,
            deal_id: d.id,
        })
        .unwrap();
    for other in &tickets[1..] {
        scope
            .links()
            .link_ticket_to_lead(LeadLink {
                ticket_id: other.id,
                lead_id: l2.id,
            })
            .unwrap();
    }
    let read = scope
        .links()
        .ticket_links(TicketRef { ticket_id: t })
        .unwrap();
    assert_eq!(
        (read.lead.unwrap().id, read.deal.unwrap().id),
        (l2.id, d.id)
    );

    // The audit keeps the previous value.
    let audit = scope
        .audit()
        .list(&crm_core::audit::AuditFilter {
            entity_type: Some(EntityType::Ticket),
            entity_id: Some(t.0),
            ..Default::default()
        })
        .unwrap();
    let replace = audit
        .items
        .iter()
        .find(|e| {
            e.action == "links.linkTicketToLead"
                && e.before.as_ref().unwrap()["relatedLeadId"] == l1.id.0
        })
        .unwrap();
    assert_eq!(replace.after.as_ref().unwrap()["relatedLeadId"], l2.id.0);
    assert_eq!(replace.actor_id, Some(agent));
    let events = scope
        .tickets()
        .list_events(&TicketEventFilter {
            ticket_id: t,
            limit: None,
            cursor: None,
        })
        .unwrap();
    assert!(
        events.items[1]
            .body
            .as_deref()
            .unwrap()
            .contains("replacing lead 1"),
        "{:?}",
        events.items[1]
    );

    // Pages of a lead's tickets, newest first.
    let page = scope
        .links()
        .lead_tickets(&LeadTickets {
            lead_id: Some(l2.id),
            limit: Some(2),
            cursor: None,
        })
        .unwrap();
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [tickets[2].id, tickets[1].id]
    );
    let page = scope
        .links()
        .lead_tickets(&LeadTickets {
            lead_id: Some(l2.id),
            limit: Some(2),
            cursor: page.next_cursor,
        })
        .unwrap();
    assert_eq!(page.items.iter().map(|t| t.id).collect::<Vec<_>>(), [t]);
    assert_eq!(
        scope
            .links()
            .lead_tickets(&LeadTickets {
                lead_id: Some(l1.id),
                ..Default::default()
            })
            .unwrap()
            .items,
        []
    );
    assert_eq!(
        scope
            .links()
            .deal_tickets(&DealTickets {
                deal_id: Some(d.id),
                ..Default::default()
            })
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        scope
            .tickets()
            .list(&TicketFilter {
                related_lead_id: Some(l2.id),
                ..Default::default()
            })
            .unwrap()
            .items
            .len(),
        3
    );

    // Unlinking: an event, the link gone, the lead's list shorter; unlinking again changes nothing.
    let links = scope
        .links()
        .unlink_ticket_from_lead(TicketRef { ticket_id: t })
        .unwrap();
    assert_eq!(
        (links.related_lead_id, links.related_deal_id),
        (None, Some(d.id))
    );
    let before = count(&crm, "audit_log");
    scope
        .links()
        .unlink_ticket_from_lead(TicketRef { ticket_id: t })
        .unwrap();
    assert_eq!(count(&crm, "audit_log"), before);
    scope
        .links()
        .unlink_ticket_from_deal(TicketRef { ticket_id: t })
        .unwrap();
    let events = scope
        .tickets()
        .list_events(&TicketEventFilter {
            ticket_id: t,
            limit: None,
            cursor: None,
        })
        .unwrap();
    let kinds: Vec<_> = events.items.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            TicketEventKind::Unlinked,
            TicketEventKind::Unlinked,
            TicketEventKind::Linked,
            TicketEventKind::Linked,
            TicketEventKind::Linked,
            TicketEventKind::Created
        ]
    );
}

#[test]
fn links_never_cross_tenants_and_bad_input_changes_nothing() {
    let crm = common::open();
    let a = tenant(&crm, "acme");
    let b = tenant(&crm, "globex");
    let acme = crm.scope("acme", Some(a)).unwrap();
    let globex = crm.scope("globex", Some(b)).unwrap();
    // Acme has a lead for ann@example.com; Globex has a ticket from the same address and no lead.
    let lead = acme
        .leads()
        .create(NewLead {
            name: "Ann".into(),
            email: Some("ann@example.com".into()),
            ..Default::default()
        })
        .unwrap();
    let acme_ticket = acme
        .tickets()
        .create(NewTicket {
            requester_email: Some("ANN@example.com".into()),
            ..ticket("A")
        })
        .unwrap();
    let globex_ticket = globex
        .tickets()
        .create(NewTicket {
            requester_email: Some("ann@example.com".into()),
            ..ticket("G")
        })
        .unwrap();
    let report = globex.links().auto_link(&AutoLink::default()).unwrap();
    assert_eq!(
        (report.examined, report.linked_to_lead, report.unmatched),
        (1, 0, 1),
        "no cross-tenant link"
    );
    // Ids are per tenant: Globex's ticket 1 and Acme's lead 1 are different records.
    let before = (count(&crm, "audit_log"), count(&crm, "ticket_events"));
    let nf = |e: crm_core::Error| assert_eq!(e.code(), "not_found", "{e}");
    nf(globex
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: globex_ticket.id,
            lead_id: LeadId(2),
        })
        .unwrap_err());
    nf(globex
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: TicketId(99),
            lead_id: lead.id,
        })
        .unwrap_err());
    nf(globex
        .links()
        .link_ticket_to_deal(DealLink {
            ticket_id: globex_ticket.id,
            deal_id: DealId(1),
        })
        .unwrap_err());
    nf(globex
        .links()
        .unlink_ticket_from_lead(TicketRef {
            ticket_id: TicketId(7),
        })
        .unwrap_err());
    nf(globex
        .links()
        .unlink_ticket_from_deal(TicketRef {
            ticket_id: TicketId(7),
        })
        .unwrap_err());
    nf(globex
        .links()
        .ticket_links(TicketRef {
            ticket_id: TicketId(7),
        })
        .unwrap_err());
    nf(globex
        .links()
        .lead_tickets(&LeadTickets {
            lead_id: Some(LeadId(5)),
            ..Default::default()
        })
        .unwrap_err());
    nf(globex
        .links()
        .deal_tickets(&DealTickets {
            deal_id: Some(DealId(5)),
            ..Default::default()
        })
        .unwrap_err());
    // Auto-link: admins only, sensible batches, known tickets.
    let agent = user(&crm, "acme", a, Role::Agent);
    let as_agent = crm.scope("acme", Some(agent)).unwrap();
    assert_eq!(
        as_agent
            .links()
            .auto_link(&AutoLink::default())
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        as_agent
            .links()
            .auto_link(&AutoLink {
                dry_run: true,
                ..AutoLink::default()
            })
            .unwrap_err()
            .code(),
        "forbidden"
    );
    for size in [0, 10_001, u32::MAX] {
        let e = acme
            .links()
            .auto_link(&AutoLink {
                batch_size: Some(size),
                ..AutoLink::default()
            })
            .unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_input", Some("batchSize")));
    }
    let e = acme
        .links()
        .auto_link(&AutoLink {
            ticket_ids: Some(vec![acme_ticket.id, TicketId(404)]),
            ..AutoLink::default()
        })
        .unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("invalid_input", Some("ticketIds[1]"))
    );
    let viewer = user(&crm, "acme", a, Role::Viewer);
    let e = crm
        .scope("acme", Some(viewer))
        .unwrap()
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: acme_ticket.id,
            lead_id: lead.id,
        })
        .unwrap_err();
    assert_eq!(e.code(), "forbidden");
    assert_eq!(
        (count(&crm, "audit_log"), count(&crm, "ticket_events")),
        (before.0 + 2, before.1),
        "only the two users were added"
    );
    assert_eq!(
        acme.tickets().get(acme_ticket.id).unwrap().related_lead_id,
        None
    );
    // And Acme's own ticket links to Acme's lead.
    let report = acme.links().auto_link(&AutoLink::default()).unwrap();
    assert_eq!(report.linked_to_lead, 1);
    assert_eq!(
        acme.tickets().get(acme_ticket.id).unwrap().related_lead_id,
        Some(lead.id)
    );
}

#[test]
fn linking_is_not_contact_with_the_customer() {
    let crm = common::open();
    let admin = tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let c = scope
        .customers()
        .create(NewCustomer {
            name: "Ann".into(),
            ..Default::default()
        })
        .unwrap();
    let t = scope
        .tickets()
        .create(NewTicket {
            customer_id: Some(c.id),
            created_at: Some("2025-01-01T00:00:00Z".parse().unwrap()),
            ..ticket("T")
        })
        .unwrap();
    let lead = scope
        .leads()
        .create(NewLead {
            name: "Ann".into(),
            ..Default::default()
        })
        .unwrap();
    scope
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: t.id,
            lead_id: lead.id,
        })
        .unwrap();
    scope
        .links()
        .unlink_ticket_from_lead(TicketRef { ticket_id: t.id })
        .unwrap();
    assert_eq!(
        scope.customers().get(c.id).unwrap().last_contact_at,
        Some(t.created_at)
    );
}
