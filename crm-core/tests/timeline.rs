//! The unified timeline: membership, order, pagination, filters, link changes, the consistency
//! check, tenant isolation and bad input. The expected streams are computed here from the
//! records themselves (read through their own list methods), not from the timeline's tables.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{tenant, ticket, user};
use crm_core::activities::{ActivityEntity, ActivityFilter, ActivityKind, NewActivity};
use crm_core::calls::{CallFilter, NewCall};
use crm_core::conversations::{
    ConversationFilter, Direction, MessageFilter, NewConversation, NewMessage,
};
use crm_core::customers::NewCustomer;
use crm_core::deals::{DealChanges, NewDeal, NewPipeline, NewStage, StageKind};
use crm_core::ids::{ConversationId, CustomerId, DealId, LeadId, PipelineId, TicketId, UserId};
use crm_core::leads::{LeadChanges, NewLead};
use crm_core::links::{DealLink, LeadLink, TicketRef};
use crm_core::tenancy::Role;
use crm_core::tickets::{
    Channel, NewTicketEvent, TicketChanges, TicketEventFilter, TicketEventKind, TicketFilter,
};
use crm_core::timeline::{EventType, TimelineEvent, TimelineOwner, TimelineQuery};
use crm_core::{Crm, Page, Scope};
use proptest::prelude::*;
use std::collections::HashSet;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// A small world: three customers, two leads, two deals and a pipeline.
struct World {
    crm: Crm,
    admin: UserId,
    customers: Vec<CustomerId>,
    leads: Vec<LeadId>,
    deals: Vec<DealId>,
}

impl World {
    fn new() -> Self {
        let crm = common::open();
        let admin = tenant(&crm, "acme");
        let scope = crm.scope("acme", Some(admin)).unwrap();
        let customers: Vec<_> = ["Zoë Ångström", "Björn Müller", "李雷"]
            .iter()
            .map(|n| {
                scope
                    .customers()
                    .create(NewCustomer {
                        name: (*n).into(),
                        ..Default::default()
                    })
                    .unwrap()
                    .id
            })
            .collect();
        let leads = vec![
            lead(&scope, Some(customers[0]), "Lead one"),
            lead(&scope, None, "Lead two"),
        ];
        let pipeline = pipeline(&scope);
        let deals = vec![
            deal(&scope, pipeline, Some(customers[0]), None, "Deal one"),
            deal(
                &scope,
                pipeline,
                Some(customers[1]),
                Some(leads[0]),
                "Deal two",
            ),
        ];
        drop(scope);
        World {
            crm,
            admin,
            customers,
            leads,
            deals,
        }
    }

    fn scope(&self) -> Scope<'_> {
        self.crm.scope("acme", Some(self.admin)).unwrap()
    }
}

fn lead(scope: &Scope<'_>, customer: Option<CustomerId>, name: &str) -> LeadId {
    scope
        .leads()
        .create(NewLead {
            customer_id: customer,
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
        .id
}

fn pipeline(scope: &Scope<'_>) -> PipelineId {
    let stage = |name: &str, kind| NewStage {
        name: name.into(),
        position: None,
        probability: 50,
        kind,
    };
    scope
        .pipelines()
        .create(NewPipeline {
            external_id: None,
            name: "Sales".into(),
            stages: vec![
                stage("Open", StageKind::Open),
                stage("Won", StageKind::Won),
                stage("Lost", StageKind::Lost),
            ],
        })
        .unwrap()
        .id
}

fn deal(
    scope: &Scope<'_>,
    pipeline: PipelineId,
    customer: Option<CustomerId>,
    lead: Option<LeadId>,
    title: &str,
) -> DealId {
    scope
        .deals()
        .create(NewDeal {
            external_id: None,
            pipeline_id: pipeline,
            stage_id: None,
            customer_id: customer,
            lead_id: lead,
            title: title.into(),
            value: 1000,
            currency: "EUR".into(),
            owner_id: None,
            expected_close_at: None,
            created_at: None,
            closed_at: None,
        })
        .unwrap()
        .id
}

fn conversation(
    scope: &Scope<'_>,
    customer: CustomerId,
    channel: Channel,
    at: DateTime<Utc>,
) -> ConversationId {
    scope
        .conversations()
        .create(NewConversation {
            external_id: None,
            customer_id: customer,
            channel,
            status: None,
            subject: Some("Ärger mit der Rechnung 🧾".into()),
            created_at: Some(at),
        })
        .unwrap()
        .id
}

fn message(scope: &Scope<'_>, conversation: ConversationId, at: DateTime<Utc>) -> i64 {
    scope
        .messages()
        .create(NewMessage {
            external_id: None,
            conversation_id: conversation,
            direction: Direction::Inbound,
            body: "Bonjour, ça ne marche pas".into(),
            sent_at: Some(at),
        })
        .unwrap()
        .id
        .0
}

fn activity(scope: &Scope<'_>, entity: ActivityEntity, id: i64, at: DateTime<Utc>) -> i64 {
    scope
        .activities()
        .create(NewActivity {
            external_id: None,
            entity_type: entity,
            entity_id: id,
            kind: ActivityKind::Meeting,
            body: Some("Demo".into()),
            occurred_at: Some(at),
        })
        .unwrap()
        .id
        .0
}

fn call(
    scope: &Scope<'_>,
    customer: Option<CustomerId>,
    lead: Option<LeadId>,
    deal: Option<DealId>,
    at: DateTime<Utc>,
) -> i64 {
    scope
        .calls()
        .create(NewCall {
            customer_id: customer,
            lead_id: lead,
            deal_id: deal,
            duration_seconds: 125,
            outcome: Some("connected".into()),
            occurred_at: Some(at),
            ..Default::default()
        })
        .unwrap()
        .id
        .0
}

fn new_ticket(
    scope: &Scope<'_>,
    customer: Option<CustomerId>,
    channel: Channel,
    at: DateTime<Utc>,
) -> TicketId {
    let mut t = ticket("Drucker brennt");
    t.customer_id = customer;
    t.channel = channel;
    t.created_at = Some(at);
    scope.tickets().create(t).unwrap().id
}

fn comment(scope: &Scope<'_>, ticket: TicketId, at: DateTime<Utc>) -> i64 {
    scope
        .tickets()
        .add_event(NewTicketEvent {
            ticket_id: ticket,
            kind: TicketEventKind::Comment,
            body: Some("Any news?".into()),
            occurred_at: Some(at),
        })
        .unwrap()
        .id
        .0
}

/// Every page of a query, followed to the end.
fn all_pages(scope: &Scope<'_>, mut query: TimelineQuery) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    loop {
        let page = scope.timeline().get(&query).unwrap();
        assert!(page.items.len() <= query.limit.unwrap_or(50) as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return out,
        }
    }
}

fn ids(events: &[TimelineEvent]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

/// Follows a list method's cursors to the end.
fn every<T>(mut page: impl FnMut(Option<String>) -> Page<T>) -> Vec<T> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor);
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// One event as the expected stream sees it.
#[derive(Debug, Clone)]
struct Expected {
    at: i64,
    kind: EventType,
    id: i64,
    channel: Option<Channel>,
    owners: Vec<(TimelineOwner, i64)>,
}

/// Every event of the tenant with the timelines it belongs to, from the records' own methods
/// and the membership rules of the issue.
fn expected_events(scope: &Scope<'_>) -> Vec<Expected> {
    use TimelineOwner::{Customer, Deal, Lead};
    let mut out = Vec::new();
    let leads = every(|cursor| {
        scope
            .leads()
            .list(&crm_core::leads::LeadFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    });
    let deals = every(|cursor| {
        scope
            .deals()
            .list(&crm_core::deals::DealFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    });
    let conversations = every(|cursor| {
        scope
            .conversations()
            .list(&ConversationFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    });
    for c in &conversations {
        out.push(Expected {
            at: c.created_at.timestamp_millis(),
            kind: EventType::Conversation,
            id: c.id.0,
            channel: Some(c.channel),
            owners: vec![(Customer, c.customer_id.0)],
        });
        for m in every(|cursor| {
            scope
                .messages()
                .list(&MessageFilter {
                    conversation_id: Some(c.id),
                    cursor,
                    ..Default::default()
                })
                .unwrap()
        }) {
            out.push(Expected {
                at: m.sent_at.timestamp_millis(),
                kind: EventType::Message,
                id: m.id.0,
                channel: Some(c.channel),
                owners: vec![(Customer, c.customer_id.0)],
            });
        }
    }
    let tickets = every(|cursor| {
        scope
            .tickets()
            .list(&TicketFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    });
    for t in &tickets {
        let mut owners = Vec::new();
        owners.extend(t.customer_id.map(|c| (Customer, c.0)));
        owners.extend(t.related_lead_id.map(|l| (Lead, l.0)));
        owners.extend(t.related_deal_id.map(|d| (Deal, d.0)));
        for e in every(|cursor| {
            scope
                .tickets()
                .list_events(&TicketEventFilter {
                    ticket_id: t.id,
                    limit: None,
                    cursor,
                })
                .unwrap()
        }) {
            out.push(Expected {
                at: e.occurred_at.timestamp_millis(),
                kind: EventType::TicketEvent,
                id: e.id.0,
                channel: Some(t.channel),
                owners: owners.clone(),
            });
        }
    }
    let activities = every(|cursor| {
        scope
            .activities()
            .list(&ActivityFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    });
    for a in &activities {
        let (kind, owners) = match a.entity_type {
            ActivityEntity::Lead => {
                let lead = leads.iter().find(|l| l.id.0 == a.entity_id).unwrap();
                let mut owners = vec![(Lead, lead.id.0)];
                owners.extend(lead.customer_id.map(|c| (Customer, c.0)));
                (EventType::LeadActivity, owners)
            }
            ActivityEntity::Deal => {
                let deal = deals.iter().find(|d| d.id.0 == a.entity_id).unwrap();
                let mut owners = vec![(Deal, deal.id.0)];
                owners.extend(deal.customer_id.map(|c| (Customer, c.0)));
                (EventType::DealActivity, owners)
            }
        };
        out.push(Expected {
            at: a.occurred_at.timestamp_millis(),
            kind,
            id: a.id.0,
            channel: None,
            owners,
        });
    }
    for c in every(|cursor| {
        scope
            .calls()
            .list(&CallFilter {
                cursor,
                ..Default::default()
            })
            .unwrap()
    }) {
        let mut owners = Vec::new();
        owners.extend(c.customer_id.map(|x| (Customer, x.0)));
        owners.extend(c.lead_id.map(|x| (Lead, x.0)));
        owners.extend(c.deal_id.map(|x| (Deal, x.0)));
        out.push(Expected {
            at: c.occurred_at.timestamp_millis(),
            kind: EventType::Call,
            id: c.id.0,
            channel: Some(Channel::Phone),
            owners,
        });
    }
    out
}

/// The stream `query` should return, computed from `events`.
fn expected_stream(events: &[Expected], query: &TimelineQuery) -> Vec<String> {
    let owner = (query.entity.entity_type, query.entity.id);
    let mut matching: Vec<&Expected> = events
        .iter()
        .filter(|e| e.owners.contains(&owner))
        .filter(|e| query.types.as_ref().is_none_or(|t| t.contains(&e.kind)))
        .filter(|e| {
            query
                .channels
                .as_ref()
                .is_none_or(|c| e.channel.is_some_and(|ch| c.contains(&ch)))
        })
        .filter(|e| query.from.is_none_or(|f| e.at >= f.timestamp_millis()))
        .filter(|e| query.to.is_none_or(|t| e.at < t.timestamp_millis()))
        .collect();
    matching.sort_by(|a, b| (b.at, b.kind.as_str(), b.id).cmp(&(a.at, a.kind.as_str(), a.id)));
    matching
        .iter()
        .map(|e| format!("{}:{}", e.kind, e.id))
        .collect()
}

#[test]
fn a_customer_timeline_merges_every_source_newest_first() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let at = |m: i64| t0() + Duration::minutes(m);
    let conv = conversation(&s, c, Channel::Chat, at(0));
    let m1 = message(&s, conv, at(1));
    let ticket = new_ticket(&s, Some(c), Channel::Email, at(2));
    let ev = comment(&s, ticket, at(3));
    let la = activity(&s, ActivityEntity::Lead, w.leads[0].0, at(4));
    let da = activity(&s, ActivityEntity::Deal, w.deals[0].0, at(5));
    let cl = call(&s, Some(c), None, None, at(6));
    // Not this customer's: another customer's call, a lead without a customer, a ticket of nobody.
    call(&s, Some(w.customers[1]), None, None, at(7));
    activity(&s, ActivityEntity::Lead, w.leads[1].0, at(8));
    new_ticket(&s, None, Channel::Web, at(9));

    let page = s
        .timeline()
        .get(&TimelineQuery::of(TimelineOwner::Customer, c.0))
        .unwrap();
    let created = s
        .tickets()
        .list_events(&TicketEventFilter {
            ticket_id: ticket,
            limit: None,
            cursor: None,
        })
        .unwrap()
        .items
        .into_iter()
        .find(|e| e.kind == TicketEventKind::Created)
        .unwrap()
        .id
        .0;
    assert_eq!(
        ids(&page.items),
        vec![
            format!("call:{cl}"),
            format!("deal_activity:{da}"),
            format!("lead_activity:{la}"),
            format!("ticket_event:{ev}"),
            format!("ticket_event:{created}"),
            format!("message:{m1}"),
            format!("conversation:{}", conv.0),
        ]
    );
    assert_eq!(page.next_cursor, None);

    let by_id = |id: &str| page.items.iter().find(|e| e.id == id).unwrap().clone();
    let msg = by_id(&format!("message:{m1}"));
    assert_eq!(msg.event_type, EventType::Message);
    assert_eq!(msg.channel, Some(Channel::Chat));
    assert_eq!(msg.title, "Inbound message · Ärger mit der Rechnung 🧾");
    assert_eq!(msg.body.as_deref(), Some("Bonjour, ça ne marche pas"));
    assert_eq!(msg.customer_id, Some(c));
    assert_eq!(msg.conversation_id, Some(conv));
    assert_eq!(msg.occurred_at, at(1));
    assert_eq!(msg.source.kind.as_str(), "message");
    assert_eq!(msg.source.id, m1);
    let comment = by_id(&format!("ticket_event:{ev}"));
    assert_eq!(comment.ticket_id, Some(ticket));
    assert_eq!(comment.actor_id, Some(w.admin));
    assert_eq!(comment.channel, Some(Channel::Email));
    assert_eq!(
        comment.title,
        format!("Comment on ticket #{ticket} · Drucker brennt")
    );
    let deal_activity = by_id(&format!("deal_activity:{da}"));
    assert_eq!(deal_activity.deal_id, Some(w.deals[0]));
    assert_eq!(deal_activity.channel, None);
    assert_eq!(deal_activity.title, "Meeting · deal Deal one");
    let phone = by_id(&format!("call:{cl}"));
    assert_eq!(phone.title, "Outbound call, 2:05 · connected");
    assert_eq!(phone.channel, Some(Channel::Phone));
}

#[test]
fn lead_and_deal_timelines_hold_their_activities_calls_and_linked_tickets() {
    let w = World::new();
    let s = w.scope();
    let at = |m: i64| t0() + Duration::minutes(m);
    let (lead, deal) = (w.leads[1], w.deals[1]);
    let la = activity(&s, ActivityEntity::Lead, lead.0, at(1));
    let da = activity(&s, ActivityEntity::Deal, deal.0, at(2));
    let lc = call(&s, None, Some(lead), None, at(3));
    let dc = call(&s, None, None, Some(deal), at(4));
    let ticket = new_ticket(&s, Some(w.customers[2]), Channel::Social, at(5));
    let ev = comment(&s, ticket, at(6));
    let lead_ids = |s: &Scope<'_>| {
        ids(&all_pages(
            s,
            TimelineQuery::of(TimelineOwner::Lead, lead.0),
        ))
    };
    let deal_ids = |s: &Scope<'_>| {
        ids(&all_pages(
            s,
            TimelineQuery::of(TimelineOwner::Deal, deal.0),
        ))
    };
    assert_eq!(
        lead_ids(&s),
        vec![format!("call:{lc}"), format!("lead_activity:{la}")]
    );
    assert_eq!(
        deal_ids(&s),
        vec![format!("call:{dc}"), format!("deal_activity:{da}")]
    );

    // Linking brings the ticket's whole history (and the link event) into the lead's timeline.
    s.links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: ticket,
            lead_id: lead,
        })
        .unwrap();
    let with_ticket = lead_ids(&s);
    assert_eq!(with_ticket.len(), 5, "{with_ticket:?}");
    assert!(with_ticket.contains(&format!("ticket_event:{ev}")));
    let linked = all_pages(&s, TimelineQuery::of(TimelineOwner::Lead, lead.0));
    assert_eq!(
        linked[0].title,
        format!("Ticket #{ticket} linked · Drucker brennt")
    );
    assert_eq!(linked[0].lead_id, Some(lead));
    assert_eq!(linked[0].customer_id, Some(w.customers[2]));

    s.links()
        .link_ticket_to_deal(DealLink {
            ticket_id: ticket,
            deal_id: deal,
        })
        .unwrap();
    assert_eq!(deal_ids(&s).len(), 6);

    // Unlinking takes them out again at once; the unlink event stays with the customer.
    s.links()
        .unlink_ticket_from_lead(TicketRef { ticket_id: ticket })
        .unwrap();
    assert_eq!(
        lead_ids(&s),
        vec![format!("call:{lc}"), format!("lead_activity:{la}")]
    );
    assert_eq!(
        deal_ids(&s).len(),
        7,
        "the deal sees the unlink-from-lead event"
    );
    s.links()
        .unlink_ticket_from_deal(TicketRef { ticket_id: ticket })
        .unwrap();
    assert_eq!(
        deal_ids(&s),
        vec![format!("call:{dc}"), format!("deal_activity:{da}")]
    );
    let customer = all_pages(
        &s,
        TimelineQuery::of(TimelineOwner::Customer, w.customers[2].0),
    );
    assert_eq!(customer.len(), 6, "created, comment, 2 links, 2 unlinks");
}

#[test]
fn reassignment_moves_events_between_customers() {
    let w = World::new();
    let s = w.scope();
    let at = |m: i64| t0() + Duration::minutes(m);
    let [a, b, _] = w.customers[..] else {
        unreachable!()
    };
    let ticket = new_ticket(&s, Some(a), Channel::Email, at(1));
    comment(&s, ticket, at(2));
    let la = activity(&s, ActivityEntity::Lead, w.leads[0].0, at(3));
    let da = activity(&s, ActivityEntity::Deal, w.deals[0].0, at(4));
    let count =
        |c: CustomerId| all_pages(&s, TimelineQuery::of(TimelineOwner::Customer, c.0)).len();
    assert_eq!((count(a), count(b)), (4, 0));

    s.tickets()
        .update(TicketChanges {
            id: Some(ticket),
            customer_id: Some(Some(b)),
            ..Default::default()
        })
        .unwrap();
    s.leads()
        .update(LeadChanges {
            id: Some(w.leads[0]),
            customer_id: Some(Some(b)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((count(a), count(b)), (1, 3));
    s.deals()
        .update(DealChanges {
            id: Some(w.deals[0]),
            customer_id: Some(None),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((count(a), count(b)), (0, 3));
    let b_ids = ids(&all_pages(
        &s,
        TimelineQuery::of(TimelineOwner::Customer, b.0),
    ));
    assert!(b_ids.contains(&format!("lead_activity:{la}")));
    assert!(!b_ids.contains(&format!("deal_activity:{da}")));

    // A new channel moves the ticket's events between channel filters.
    s.tickets()
        .update(TicketChanges {
            id: Some(ticket),
            channel: Some(Channel::Chat),
            ..Default::default()
        })
        .unwrap();
    let chat = all_pages(
        &s,
        TimelineQuery {
            channels: Some(vec![Channel::Chat]),
            ..TimelineQuery::of(TimelineOwner::Customer, b.0)
        },
    );
    assert_eq!(chat.len(), 2);
    assert!(chat.iter().all(|e| e.channel == Some(Channel::Chat)));
    assert!(s.timeline().verify().unwrap().consistent());
}

#[test]
fn equal_timestamps_page_in_a_stable_order_without_repeats_or_gaps() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let conv = conversation(&s, c, Channel::Email, t0());
    // Forty events in the same millisecond, of four types.
    for _ in 0..10 {
        message(&s, conv, t0());
        call(&s, Some(c), None, None, t0());
        activity(&s, ActivityEntity::Lead, w.leads[0].0, t0());
        activity(&s, ActivityEntity::Deal, w.deals[0].0, t0());
    }
    let expected = expected_stream(
        &expected_events(&s),
        &TimelineQuery::of(TimelineOwner::Customer, c.0),
    );
    assert_eq!(expected.len(), 41);
    for limit in [1, 3, 7, 41, 500] {
        let got = all_pages(
            &s,
            TimelineQuery {
                limit: Some(limit),
                ..TimelineQuery::of(TimelineOwner::Customer, c.0)
            },
        );
        assert_eq!(ids(&got), expected, "limit {limit}");
    }
}

#[test]
fn events_written_between_pages_never_repeat_or_skip_older_ones() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let conv = conversation(&s, c, Channel::Chat, t0());
    for i in 0..30 {
        message(&s, conv, t0() + Duration::seconds(i / 3));
    }
    let before = expected_stream(
        &expected_events(&s),
        &TimelineQuery::of(TimelineOwner::Customer, c.0),
    );
    let mut query = TimelineQuery {
        limit: Some(4),
        ..TimelineQuery::of(TimelineOwner::Customer, c.0)
    };
    let mut seen: Vec<String> = Vec::new();
    let mut written_older = Vec::new();
    loop {
        let page = s.timeline().get(&query).unwrap();
        seen.extend(ids(&page.items));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        query.cursor = Some(cursor);
        // Newer than everything, in the very millisecond of the page's last event (a higher
        // id sorts it before that event), and far in the past.
        let last = page.items.last().unwrap().occurred_at;
        message(&s, conv, t0() + Duration::hours(1));
        message(&s, conv, last);
        written_older.push(format!(
            "message:{}",
            message(
                &s,
                conv,
                t0() - Duration::days(1) - Duration::seconds(seen.len() as i64)
            )
        ));
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice");
    let old: Vec<_> = seen
        .iter()
        .filter(|id| before.contains(id))
        .cloned()
        .collect();
    assert_eq!(old, before, "every older event once, in order");
    for id in &written_older {
        assert!(
            seen.contains(id),
            "{id} was written below the cursor and must be reached"
        );
    }
}

#[test]
fn filters_by_type_channel_and_time_range() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let at = |m: i64| t0() + Duration::minutes(m);
    let chat = conversation(&s, c, Channel::Chat, at(0));
    let email = conversation(&s, c, Channel::Email, at(0));
    for m in 1..=20 {
        message(&s, if m % 2 == 0 { chat } else { email }, at(m));
        if m % 5 == 0 {
            call(&s, Some(c), None, None, at(m));
            activity(&s, ActivityEntity::Deal, w.deals[0].0, at(m));
        }
    }
    let events = expected_events(&s);
    let queries = [
        TimelineQuery {
            types: Some(vec![EventType::Call]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            types: Some(vec![
                EventType::Message,
                EventType::DealActivity,
                EventType::Message,
            ]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            channels: Some(vec![Channel::Chat]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            channels: Some(vec![Channel::Phone, Channel::Email]),
            types: Some(vec![EventType::Call, EventType::Conversation]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            from: Some(at(5)),
            to: Some(at(10)),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            from: Some(at(5)),
            to: Some(at(5)),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            to: Some(at(3)),
            channels: Some(vec![Channel::Email]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            types: Some(vec![EventType::QuoteActivity]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
        TimelineQuery {
            types: Some(vec![EventType::DealActivity]),
            channels: Some(vec![Channel::Chat]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
    ];
    for q in queries {
        let want = expected_stream(&events, &q);
        for limit in [2, 50] {
            let got = all_pages(
                &s,
                TimelineQuery {
                    limit: Some(limit),
                    ..q.clone()
                },
            );
            assert_eq!(ids(&got), want, "{q:?} limit {limit}");
        }
    }
    // Spot checks that the expected streams are not trivially empty.
    let calls = all_pages(
        &s,
        TimelineQuery {
            types: Some(vec![EventType::Call]),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
    );
    assert_eq!(calls.len(), 4);
    let window = all_pages(
        &s,
        TimelineQuery {
            from: Some(at(5)),
            to: Some(at(10)),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
    );
    assert_eq!(
        window.len(),
        5 + 2,
        "messages 5..9, the call and activity at 5"
    );
}

#[test]
fn a_long_history_pages_to_its_end() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[1];
    let conv = conversation(&s, c, Channel::Web, t0());
    s.batch(|b| {
        for i in 0..3_000i64 {
            b.create_message(NewMessage {
                external_id: None,
                conversation_id: conv,
                direction: Direction::Outbound,
                body: format!("update {i}"),
                sent_at: Some(t0() + Duration::seconds(i % 1000)),
            })?;
        }
        Ok(())
    })
    .unwrap();
    let got = all_pages(
        &s,
        TimelineQuery {
            limit: Some(500),
            ..TimelineQuery::of(TimelineOwner::Customer, c.0)
        },
    );
    assert_eq!(got.len(), 3_001);
    assert_eq!(
        ids(&got),
        expected_stream(
            &expected_events(&s),
            &TimelineQuery::of(TimelineOwner::Customer, c.0)
        )
    );
}

#[test]
fn an_empty_timeline_is_one_empty_page() {
    let w = World::new();
    let s = w.scope();
    for (owner, id) in [
        (TimelineOwner::Customer, w.customers[2].0),
        (TimelineOwner::Lead, w.leads[1].0),
        (TimelineOwner::Deal, w.deals[1].0),
    ] {
        let page = s.timeline().get(&TimelineQuery::of(owner, id)).unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.next_cursor, None);
    }
}

#[test]
fn another_tenants_records_are_not_found() {
    let w = World::new();
    let s = w.scope();
    call(
        &s,
        Some(w.customers[0]),
        Some(w.leads[0]),
        Some(w.deals[0]),
        t0(),
    );
    let other_admin = tenant(&w.crm, "globex");
    let other = w.crm.scope("globex", Some(other_admin)).unwrap();
    for (owner, id) in [
        (TimelineOwner::Customer, w.customers[0].0),
        (TimelineOwner::Lead, w.leads[0].0),
        (TimelineOwner::Deal, w.deals[0].0),
    ] {
        let err = other
            .timeline()
            .get(&TimelineQuery::of(owner, id))
            .unwrap_err();
        assert_eq!(err.code(), "not_found", "{owner}");
    }
    // The same ids in the other tenant show only that tenant's events.
    let theirs = other
        .customers()
        .create(NewCustomer {
            name: "Other".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(theirs.id, w.customers[0]);
    let page = other
        .timeline()
        .get(&TimelineQuery::of(TimelineOwner::Customer, theirs.id.0))
        .unwrap();
    assert!(page.items.is_empty());
    // A cursor of one tenant's timeline positions nothing in the other's.
    let mine = s
        .timeline()
        .get(&TimelineQuery {
            limit: Some(1),
            ..TimelineQuery::of(TimelineOwner::Customer, w.customers[0].0)
        })
        .unwrap();
    assert_eq!(mine.items.len(), 1);
    assert!(other.timeline().verify().unwrap().consistent());
}

#[test]
fn bad_input_is_refused_with_the_field_named() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let conv = conversation(&s, c, Channel::Chat, t0());
    for i in 0..5 {
        message(&s, conv, t0() + Duration::minutes(i));
    }
    let base = || TimelineQuery::of(TimelineOwner::Customer, c.0);
    let field = |q: TimelineQuery| {
        let e = s.timeline().get(&q).unwrap_err();
        (e.code(), e.field().map(str::to_owned))
    };
    assert_eq!(
        field(TimelineQuery {
            limit: Some(0),
            ..base()
        }),
        ("invalid_input", Some("limit".into()))
    );
    assert_eq!(
        field(TimelineQuery {
            limit: Some(10_000),
            ..base()
        }),
        ("invalid_input", Some("limit".into()))
    );
    assert_eq!(
        field(TimelineQuery {
            from: Some(t0() + Duration::minutes(1)),
            to: Some(t0()),
            ..base()
        }),
        ("invalid_input", Some("to".into()))
    );
    assert_eq!(
        field(TimelineQuery {
            types: Some(vec![]),
            ..base()
        }),
        ("invalid_input", Some("types".into()))
    );
    assert_eq!(
        field(TimelineQuery {
            channels: Some(vec![]),
            ..base()
        }),
        ("invalid_input", Some("channels".into()))
    );
    for forged in ["", "nonsense", "dGltZWxpbmV8eHx5", "Y3VzdG9tZXJzOmY6NQ"] {
        assert_eq!(
            field(TimelineQuery {
                cursor: Some(forged.into()),
                ..base()
            }),
            ("invalid_input", Some("cursor".into())),
            "{forged:?}"
        );
    }
    let first = s
        .timeline()
        .get(&TimelineQuery {
            limit: Some(2),
            ..base()
        })
        .unwrap();
    let cursor = first.next_cursor.unwrap();
    // The cursor of one query is refused by another (another filter, another entity).
    for other in [
        TimelineQuery {
            types: Some(vec![EventType::Message]),
            ..base()
        },
        TimelineQuery {
            from: Some(t0()),
            ..base()
        },
        TimelineQuery::of(TimelineOwner::Customer, w.customers[1].0),
        TimelineQuery::of(TimelineOwner::Lead, c.0),
    ] {
        let err = s
            .timeline()
            .get(&TimelineQuery {
                cursor: Some(cursor.clone()),
                ..other
            })
            .unwrap_err();
        assert_eq!(err.field(), Some("cursor"));
    }
    // The same query with its own cursor works, with the page size changed.
    let next = s
        .timeline()
        .get(&TimelineQuery {
            cursor: Some(cursor),
            limit: Some(10),
            ..base()
        })
        .unwrap();
    assert_eq!(next.items.len(), 4);
    assert_eq!(
        s.timeline()
            .get(&TimelineQuery::of(TimelineOwner::Deal, 999))
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn the_check_finds_drift_and_the_rebuild_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let crm = Crm::open(&path).unwrap();
    let admin = tenant(&crm, "acme");
    let s = crm.scope("acme", Some(admin)).unwrap();
    let c = s
        .customers()
        .create(NewCustomer {
            name: "Ada".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let conv = conversation(&s, c, Channel::Chat, t0());
    for i in 0..10 {
        message(&s, conv, t0() + Duration::minutes(i));
    }
    let clean = s.timeline().verify().unwrap();
    assert!(clean.consistent());
    assert_eq!((clean.expected, clean.entries), (11, 11));

    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute_batch(
        "DELETE FROM timeline_entries WHERE kind = 'message' AND source_id IN (2, 3);
         INSERT INTO timeline_entries VALUES (1, 'customer', 1, 0, 'call', 77, 'phone');",
    )
    .unwrap();
    let drift = s.timeline().verify().unwrap();
    assert_eq!((drift.missing, drift.extra, drift.entries), (2, 1, 10));

    let viewer = user(&crm, "acme", admin, Role::Viewer);
    let err = crm
        .scope("acme", Some(viewer))
        .unwrap()
        .timeline()
        .rebuild()
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");

    let repaired = s.timeline().rebuild().unwrap();
    assert_eq!(repaired, drift, "the rebuild reports what it found");
    assert!(s.timeline().verify().unwrap().consistent());
    assert_eq!(
        all_pages(&s, TimelineQuery::of(TimelineOwner::Customer, c.0)).len(),
        11
    );

    // Editing a message's time behind crm's back is refused, not left to drift; deleting it
    // (as the trash does) takes its timeline rows along.
    let err = raw
        .execute("UPDATE messages SET sent_at = 5 WHERE id = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("timeline"), "{err}");
    assert_eq!(
        raw.execute("DELETE FROM messages WHERE id = 1", [])
            .unwrap(),
        1
    );
    assert!(s.timeline().verify().unwrap().consistent());
    assert_eq!(
        all_pages(&s, TimelineQuery::of(TimelineOwner::Customer, c.0)).len(),
        10
    );
}

#[test]
fn another_connection_sees_a_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let a = Crm::open(&path).unwrap();
    let admin = tenant(&a, "acme");
    let sa = a.scope("acme", Some(admin)).unwrap();
    let c = sa
        .customers()
        .create(NewCustomer {
            name: "Ada".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let b = Crm::open(&path).unwrap();
    let sb = b.scope("acme", Some(admin)).unwrap();
    let query = TimelineQuery::of(TimelineOwner::Customer, c.0);
    assert!(sa.timeline().get(&query).unwrap().items.is_empty());
    // Written through the other handle (as another process would), read through the first.
    let id = call(&sb, Some(c), None, None, t0());
    assert_eq!(
        ids(&sa.timeline().get(&query).unwrap().items),
        vec![format!("call:{id}")]
    );
}

/// One step of the random history below.
#[derive(Debug, Clone)]
enum Op {
    Conversation {
        customer: usize,
        channel: usize,
        minute: i64,
    },
    Message {
        conversation: usize,
        minute: i64,
    },
    Ticket {
        customer: Option<usize>,
        channel: usize,
        minute: i64,
    },
    Comment {
        ticket: usize,
        minute: i64,
    },
    LeadActivity {
        lead: usize,
        minute: i64,
    },
    DealActivity {
        deal: usize,
        minute: i64,
    },
    Call {
        customer: Option<usize>,
        lead: Option<usize>,
        deal: Option<usize>,
        minute: i64,
    },
    LinkLead {
        ticket: usize,
        lead: Option<usize>,
    },
    LinkDeal {
        ticket: usize,
        deal: Option<usize>,
    },
    Reassign {
        ticket: usize,
        customer: Option<usize>,
    },
    Rechannel {
        ticket: usize,
        channel: usize,
    },
    LeadCustomer {
        lead: usize,
        customer: Option<usize>,
    },
    DealCustomer {
        deal: usize,
        customer: Option<usize>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // Few distinct minutes, so many events share a millisecond.
    let minute = 0..3i64;
    prop_oneof![
        (0..3usize, 0..6usize, minute.clone()).prop_map(|(customer, channel, minute)| {
            Op::Conversation {
                customer,
                channel,
                minute,
            }
        }),
        (0..8usize, minute.clone()).prop_map(|(conversation, minute)| Op::Message {
            conversation,
            minute
        }),
        (proptest::option::of(0..3usize), 0..6usize, minute.clone()).prop_map(
            |(customer, channel, minute)| Op::Ticket {
                customer,
                channel,
                minute
            }
        ),
        (0..8usize, minute.clone()).prop_map(|(ticket, minute)| Op::Comment { ticket, minute }),
        (0..2usize, minute.clone()).prop_map(|(lead, minute)| Op::LeadActivity { lead, minute }),
        (0..2usize, minute.clone()).prop_map(|(deal, minute)| Op::DealActivity { deal, minute }),
        (
            proptest::option::of(0..3usize),
            proptest::option::of(0..2usize),
            proptest::option::of(0..2usize),
            minute
        )
            .prop_map(|(customer, lead, deal, minute)| Op::Call {
                customer,
                lead,
                deal,
                minute
            }),
        (0..8usize, proptest::option::of(0..2usize))
            .prop_map(|(ticket, lead)| Op::LinkLead { ticket, lead }),
        (0..8usize, proptest::option::of(0..2usize))
            .prop_map(|(ticket, deal)| Op::LinkDeal { ticket, deal }),
        (0..8usize, proptest::option::of(0..3usize))
            .prop_map(|(ticket, customer)| Op::Reassign { ticket, customer }),
        (0..8usize, 0..6usize).prop_map(|(ticket, channel)| Op::Rechannel { ticket, channel }),
        (0..2usize, proptest::option::of(0..3usize))
            .prop_map(|(lead, customer)| Op::LeadCustomer { lead, customer }),
        (0..2usize, proptest::option::of(0..3usize))
            .prop_map(|(deal, customer)| Op::DealCustomer { deal, customer }),
    ]
}

/// Entity index, type indexes, channel indexes, minute range, page size.
type QuerySpec = (
    usize,
    Option<Vec<usize>>,
    Option<Vec<usize>>,
    Option<(i64, i64)>,
    u32,
);

/// A query over one of the world's seven timelines with a random filter and page size.
fn query() -> impl Strategy<Value = QuerySpec> {
    (
        0..7usize,
        proptest::option::of(proptest::collection::vec(0..7usize, 1..4)),
        proptest::option::of(proptest::collection::vec(0..6usize, 1..3)),
        proptest::option::of((0..4i64, 0..4i64)),
        1..6u32,
    )
}

fn apply(
    w: &World,
    s: &Scope<'_>,
    conversations: &mut Vec<ConversationId>,
    tickets: &mut Vec<TicketId>,
    op: &Op,
) {
    let at = |m: i64| t0() + Duration::minutes(m);
    let ch = |i: usize| Channel::ALL[i];
    match *op {
        Op::Conversation {
            customer,
            channel,
            minute,
        } => {
            conversations.push(conversation(
                s,
                w.customers[customer],
                ch(channel),
                at(minute),
            ));
        }
        Op::Message {
            conversation,
            minute,
        } => {
            message(
                s,
                conversations[conversation % conversations.len()],
                at(minute),
            );
        }
        Op::Ticket {
            customer,
            channel,
            minute,
        } => {
            tickets.push(new_ticket(
                s,
                customer.map(|c| w.customers[c]),
                ch(channel),
                at(minute),
            ));
        }
        Op::Comment { ticket, minute } => {
            comment(s, tickets[ticket % tickets.len()], at(minute));
        }
        Op::LeadActivity { lead, minute } => {
            activity(s, ActivityEntity::Lead, w.leads[lead].0, at(minute));
        }
        Op::DealActivity { deal, minute } => {
            activity(s, ActivityEntity::Deal, w.deals[deal].0, at(minute));
        }
        Op::Call {
            customer,
            lead,
            deal,
            minute,
        } => {
            // A call belongs to someone: with no one drawn, the first customer.
            let customer = customer.or((lead.is_none() && deal.is_none()).then_some(0));
            call(
                s,
                customer.map(|c| w.customers[c]),
                lead.map(|l| w.leads[l]),
                deal.map(|d| w.deals[d]),
                at(minute),
            );
        }
        Op::LinkLead { ticket, lead } => {
            let t = tickets[ticket % tickets.len()];
            match lead {
                Some(l) => s.links().link_ticket_to_lead(LeadLink {
                    ticket_id: t,
                    lead_id: w.leads[l],
                }),
                None => s
                    .links()
                    .unlink_ticket_from_lead(TicketRef { ticket_id: t }),
            }
            .unwrap();
        }
        Op::LinkDeal { ticket, deal } => {
            let t = tickets[ticket % tickets.len()];
            match deal {
                Some(d) => s.links().link_ticket_to_deal(DealLink {
                    ticket_id: t,
                    deal_id: w.deals[d],
                }),
                None => s
                    .links()
                    .unlink_ticket_from_deal(TicketRef { ticket_id: t }),
            }
            .unwrap();
        }
        Op::Reassign { ticket, customer } => {
            let t = tickets[ticket % tickets.len()];
            s.tickets()
                .update(TicketChanges {
                    id: Some(t),
                    customer_id: Some(customer.map(|c| w.customers[c])),
                    ..Default::default()
                })
                .unwrap();
        }
        Op::Rechannel { ticket, channel } => {
            let t = tickets[ticket % tickets.len()];
            s.tickets()
                .update(TicketChanges {
                    id: Some(t),
                    channel: Some(ch(channel)),
                    ..Default::default()
                })
                .unwrap();
        }
        Op::LeadCustomer { lead, customer } => {
            s.leads()
                .update(LeadChanges {
                    id: Some(w.leads[lead]),
                    customer_id: Some(customer.map(|c| w.customers[c])),
                    ..Default::default()
                })
                .unwrap();
        }
        Op::DealCustomer { deal, customer } => {
            s.deals()
                .update(DealChanges {
                    id: Some(w.deals[deal]),
                    customer_id: Some(customer.map(|c| w.customers[c])),
                    ..Default::default()
                })
                .unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// After any history of writes, every timeline, under any filter and page size, is exactly
    /// the stream computed from the records, and the check finds nothing to repair.
    #[test]
    fn any_history_gives_the_expected_streams(
        ops in proptest::collection::vec(op(), 1..60),
        queries in proptest::collection::vec(query(), 1..8),
    ) {
        let w = World::new();
        let s = w.scope();
        // Every customer starts with a conversation and a ticket, so every step has a target.
        let (mut conversations, mut tickets) = (Vec::new(), Vec::new());
        for (i, c) in w.customers.iter().enumerate() {
            conversations.push(conversation(&s, *c, Channel::ALL[i], t0()));
            tickets.push(new_ticket(&s, Some(*c), Channel::ALL[i + 3], t0()));
        }
        for op in &ops {
            apply(&w, &s, &mut conversations, &mut tickets, op);
        }
        prop_assert!(s.timeline().verify().unwrap().consistent());
        let events = expected_events(&s);
        for (entity, types, channels, range, limit) in queries {
            let (owner, id) = match entity {
                0..=2 => (TimelineOwner::Customer, w.customers[entity].0),
                3..=4 => (TimelineOwner::Lead, w.leads[entity - 3].0),
                _ => (TimelineOwner::Deal, w.deals[entity - 5].0),
            };
            let range = range.map(|(a, b)| (a.min(b), a.max(b)));
            let q = TimelineQuery {
                types: types.map(|t| t.into_iter().map(|i| EventType::ALL[i]).collect()),
                channels: channels.map(|c| c.into_iter().map(|i| Channel::ALL[i]).collect()),
                from: range.map(|(a, _)| t0() + Duration::minutes(a)),
                to: range.map(|(_, b)| t0() + Duration::minutes(b)),
                limit: Some(limit),
                ..TimelineQuery::of(owner, id)
            };
            prop_assert_eq!(ids(&all_pages(&s, q.clone())), expected_stream(&events, &q), "{:?}", q);
        }
    }
}
#[test]
fn a_filtered_page_ending_mid_millisecond_continues_with_the_rest_of_it() {
    let w = World::new();
    let s = w.scope();
    let c = w.customers[0];
    let conv = conversation(&s, c, Channel::Chat, t0());
    message(&s, conv, t0());
    call(&s, Some(c), None, None, t0());
    let q = TimelineQuery {
        types: Some(vec![EventType::Message, EventType::Call]),
        limit: Some(1),
        ..TimelineQuery::of(TimelineOwner::Customer, c.0)
    };
    assert_eq!(ids(&all_pages(&s, q.clone())), vec!["message:1", "call:1"]);
    assert_eq!(
        ids(&all_pages(&s, q.clone())),
        expected_stream(&expected_events(&s), &q)
    );
}

#[test]
fn titles_follow_their_records_at_once() {
    let w = World::new();
    let s = w.scope();
    let ticket = new_ticket(&s, Some(w.customers[0]), Channel::Email, t0());
    activity(
        &s,
        ActivityEntity::Deal,
        w.deals[0].0,
        t0() + Duration::minutes(1),
    );
    s.tickets()
        .update(TicketChanges {
            id: Some(ticket),
            subject: Some("Drucker repariert".into()),
            ..Default::default()
        })
        .unwrap();
    s.deals()
        .update(DealChanges {
            id: Some(w.deals[0]),
            title: Some("Renewal 2027".into()),
            ..Default::default()
        })
        .unwrap();
    let titles: Vec<String> = all_pages(
        &s,
        TimelineQuery::of(TimelineOwner::Customer, w.customers[0].0),
    )
    .into_iter()
    .map(|e| e.title)
    .collect();
    assert_eq!(
        titles,
        vec![
            "Meeting · deal Renewal 2027".to_owned(),
            format!("Ticket #{ticket} opened · Drucker repariert"),
        ]
    );
}
