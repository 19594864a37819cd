//! The unified timeline at the 100,000-customer demo scale plus one customer with 100,000
//! events (`CRM_BENCH_CUSTOMERS` to change the demo scale):
//!
//! - the design kept: the `timeline_entries` projection (first page, the 1,000th page, 1%
//!   filters by type and by channel), against the single-table lower bound (a page of 50 of the
//!   customer's calls through `calls.list`);
//! - the design measured and dropped: a k-way merge of per-source index scans (one stream per
//!   conversation, ticket, lead and deal of the customer, plus conversations and calls), with
//!   the time-ordered indexes it needs created on the bench copy.
//!
//! Criterion reports means; p50/p99 over 2,000 calls each are printed afterwards and written to
//! `target/criterion/timeline-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench timeline

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{demo_copy, percentiles, scale, write_report};
use crm_core::Scope;
use crm_core::activities::{ActivityEntity, ActivityKind, NewActivity};
use crm_core::calls::{CallFilter, NewCall};
use crm_core::conversations::{Direction, NewConversation, NewMessage};
use crm_core::customers::NewCustomer;
use crm_core::deals::NewDeal;
use crm_core::ids::{CustomerId, PipelineId, UserId};
use crm_core::leads::NewLead;
use crm_core::store::RawConnection as Connection;
use crm_core::tickets::{Channel, NewTicket, NewTicketEvent, TicketEventKind};
use crm_core::timeline::{EventType, TimelineOwner, TimelineQuery};
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

const ADMIN: UserId = UserId(1);
const PAGE: u32 = 50;

/// Adds a customer with 100,000 events: 45,000 email/chat conversation events, a social
/// conversation of 1,000 (1%), 200 tickets × 150 events, 10 leads × 1,000 and 10 deals × 1,300
/// activities, and 1,000 calls (1%), spread over two years in an interleaved order.
fn heavy_customer(scope: &Scope<'_>) -> CustomerId {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let span = 730 * 86_400;
    let mut i: i64 = 0;
    let mut at = || {
        i += 1;
        start + Duration::seconds((i * 7_919) % span)
    };
    scope
        .batch(|b| {
            let c = b
                .create_customer(NewCustomer {
                    name: "Heavy History Ltd".into(),
                    ..Default::default()
                })?
                .id;
            for k in 0..41 {
                let (channel, messages) = match k {
                    40 => (Channel::Social, 999),
                    k if k % 2 == 0 => (Channel::Email, 1_124),
                    _ => (Channel::Chat, 1_124),
                };
                let conversation = b
                    .create_conversation(NewConversation {
                        external_id: None,
                        customer_id: c,
                        channel,
                        status: None,
                        subject: Some(format!("Thread {k}")),
                        created_at: Some(at()),
                    })?
                    .id;
                for m in 0..messages {
                    b.create_message(NewMessage {
                        external_id: None,
                        conversation_id: conversation,
                        direction: if m % 2 == 0 {
                            Direction::Inbound
                        } else {
                            Direction::Outbound
                        },
                        body: format!("Message {m} of thread {k}"),
                        sent_at: Some(at()),
                    })?;
                }
            }
            for k in 0..200 {
                let ticket = b
                    .create_ticket(NewTicket {
                        external_id: None,
                        customer_id: Some(c),
                        subject: format!("Ticket {k}"),
                        description: "History".into(),
                        status: None,
                        priority: None,
                        channel: Channel::Web,
                        team_id: None,
                        assignee_id: None,
                        requester_email: None,
                        requester_phone: None,
                        requester_company: None,
                        created_at: Some(at()),
                    })?
                    .id;
                for e in 0..149 {
                    b.add_ticket_event(NewTicketEvent {
                        ticket_id: ticket,
                        kind: TicketEventKind::Comment,
                        body: Some(format!("Comment {e}")),
                        occurred_at: Some(at()),
                    })?;
                }
            }
            for k in 0..10 {
                let lead = b
                    .create_lead(NewLead {
                        customer_id: Some(c),
                        name: format!("Heavy lead {k}"),
                        ..Default::default()
                    })?
                    .id;
                for _ in 0..1_000 {
                    b.create_activity(activity(ActivityEntity::Lead, lead.0, at()))?;
                }
            }
            for k in 0..10 {
                let deal = b
                    .create_deal(NewDeal {
                        external_id: None,
                        pipeline_id: PipelineId(1),
                        stage_id: None,
                        customer_id: Some(c),
                        lead_id: None,
                        title: format!("Heavy deal {k}"),
                        value: 100_000,
                        currency: "USD".into(),
                        owner_id: None,
                        expected_close_at: None,
                        created_at: None,
                        closed_at: None,
                    })?
                    .id;
                for _ in 0..1_300 {
                    b.create_activity(activity(ActivityEntity::Deal, deal.0, at()))?;
                }
            }
            for _ in 0..1_000 {
                b.create_call(NewCall {
                    customer_id: Some(c),
                    duration_seconds: 300,
                    occurred_at: Some(at()),
                    ..Default::default()
                })?;
            }
            Ok(c)
        })
        .unwrap()
}

fn activity(entity_type: ActivityEntity, entity_id: i64, at: chrono::DateTime<Utc>) -> NewActivity {
    NewActivity {
        external_id: None,
        entity_type,
        entity_id,
        kind: ActivityKind::Note,
        body: Some("Followed up".into()),
        occurred_at: Some(at),
    }
}

/// A position in a timeline: `(occurred_at, type, source id)`.
type Key = (i64, &'static str, i64);

#[derive(Clone, Copy)]
enum Source {
    Conversations,
    Messages,
    TicketEvents,
    LeadActivities,
    DealActivities,
    Calls,
}

impl Source {
    fn kind(self) -> &'static str {
        match self {
            Source::Conversations => "conversation",
            Source::Messages => "message",
            Source::TicketEvents => "ticket_event",
            Source::LeadActivities => "lead_activity",
            Source::DealActivities => "deal_activity",
            Source::Calls => "call",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Source::Conversations => {
                "SELECT created_at, id FROM conversations WHERE tenant_id = ?1 AND customer_id = ?2
                   AND (created_at, id) < (?3, ?4) ORDER BY created_at DESC, id DESC LIMIT ?5"
            }
            Source::Messages => {
                "SELECT sent_at, id FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2
                   AND (sent_at, id) < (?3, ?4) ORDER BY sent_at DESC, id DESC LIMIT ?5"
            }
            Source::TicketEvents => {
                "SELECT occurred_at, id FROM ticket_events WHERE tenant_id = ?1 AND ticket_id = ?2
                   AND (occurred_at, id) < (?3, ?4) ORDER BY occurred_at DESC, id DESC LIMIT ?5"
            }
            Source::LeadActivities => {
                "SELECT occurred_at, id FROM activities WHERE tenant_id = ?1 AND lead_id = ?2
                   AND (occurred_at, id) < (?3, ?4) ORDER BY occurred_at DESC, id DESC LIMIT ?5"
            }
            Source::DealActivities => {
                "SELECT occurred_at, id FROM activities WHERE tenant_id = ?1 AND deal_id = ?2
                   AND (occurred_at, id) < (?3, ?4) ORDER BY occurred_at DESC, id DESC LIMIT ?5"
            }
            Source::Calls => {
                "SELECT occurred_at, id FROM calls WHERE tenant_id = ?1 AND customer_id = ?2
                   AND (occurred_at, id) < (?3, ?4) ORDER BY occurred_at DESC, id DESC LIMIT ?5"
            }
        }
    }
}

/// One source stream of the merge: a parent's rows, fetched a few at a time.
struct Stream {
    source: Source,
    parent: i64,
    buffer: VecDeque<(i64, i64)>,
    bound: (i64, i64),
    done: bool,
}

impl Stream {
    fn refill(&mut self, conn: &Connection, chunk: i64) {
        let mut stmt = conn.prepare_cached(self.source.sql()).unwrap();
        let rows = stmt
            .query_map((1, self.parent, self.bound.0, self.bound.1, chunk), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let before = self.buffer.len();
        for row in rows {
            self.buffer.push_back(row.unwrap());
        }
        let got = self.buffer.len() - before;
        if let Some(last) = self.buffer.back() {
            self.bound = *last;
        }
        self.done = got < usize::try_from(chunk).unwrap();
    }

    fn head(&self) -> Option<Key> {
        self.buffer
            .front()
            .map(|&(at, id)| (at, self.source.kind(), id))
    }
}

/// The design measured against the projection: the page after `after` by merging one index
/// scan per source stream of the customer. Its cost grows with the number of streams (the
/// customer's conversations, tickets, leads and deals), which grows with its history.
fn merge_page(conn: &Connection, customer: i64, after: Option<Key>, limit: usize) -> Vec<Key> {
    let parents = |sql: &str| -> Vec<i64> {
        conn.prepare_cached(sql)
            .unwrap()
            .query_map((1, customer), |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut streams: Vec<Stream> = Vec::new();
    let mut add = |source: Source, parent: i64| {
        let bound = match after {
            None => (i64::MAX, i64::MIN),
            Some((at, kind, id)) => match source.kind().cmp(kind) {
                std::cmp::Ordering::Less => (at + 1, i64::MIN),
                std::cmp::Ordering::Equal => (at, id),
                std::cmp::Ordering::Greater => (at, i64::MIN),
            },
        };
        streams.push(Stream {
            source,
            parent,
            buffer: VecDeque::new(),
            bound,
            done: false,
        });
    };
    add(Source::Conversations, customer);
    add(Source::Calls, customer);
    for c in parents("SELECT id FROM conversations WHERE tenant_id = ?1 AND customer_id = ?2") {
        add(Source::Messages, c);
    }
    for t in parents("SELECT id FROM tickets WHERE tenant_id = ?1 AND customer_id = ?2") {
        add(Source::TicketEvents, t);
    }
    for l in parents("SELECT id FROM leads WHERE tenant_id = ?1 AND customer_id = ?2") {
        add(Source::LeadActivities, l);
    }
    for d in parents("SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2") {
        add(Source::DealActivities, d);
    }
    // The first fetch of each stream is small: most streams give one row or none to a page.
    let mut heap = BinaryHeap::new();
    for (i, s) in streams.iter_mut().enumerate() {
        s.refill(conn, 2);
        if let Some(k) = s.head() {
            heap.push((k, i));
        }
    }
    let mut page = Vec::with_capacity(limit);
    while page.len() < limit {
        let Some((key, i)) = heap.pop() else { break };
        page.push(key);
        let s = &mut streams[i];
        s.buffer.pop_front();
        if s.buffer.is_empty() && !s.done {
            s.refill(conn, 16);
        }
        if let Some(k) = s.head() {
            heap.push((k, i));
        }
    }
    page
}

/// The projection's key scan alone (what `timeline.get` does before reading titles and bodies).
fn projection_keys(conn: &Connection, customer: i64, after: Option<Key>, limit: i64) -> Vec<Key> {
    let (at, kind, id) = after.unwrap_or((i64::MAX, "", i64::MIN));
    conn.prepare_cached(
        "SELECT occurred_at, kind, source_id FROM timeline_entries
          WHERE tenant_id = 1 AND owner_type = 'customer' AND owner_id = ?1
            AND (occurred_at, kind, source_id) < (?2, ?3, ?4)
          ORDER BY occurred_at DESC, kind DESC, source_id DESC LIMIT ?5",
    )
    .unwrap()
    .query_map((customer, at, kind, id, limit), |r| {
        let kind: String = r.get(1)?;
        Ok((r.get(0)?, leak_kind(&kind), r.get(2)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn leak_kind(kind: &str) -> &'static str {
    EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .find(|k| *k == kind)
        .unwrap()
}

fn key_of(e: &crm_core::timeline::TimelineEvent) -> Key {
    (
        e.occurred_at.timestamp_millis(),
        e.event_type.as_str(),
        e.source.id,
    )
}

/// p50 / p99 / max over `n` calls, printed and appended to the percentile report.
fn timeline(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(ADMIN)).unwrap();
    let started = Instant::now();
    let heavy = heavy_customer(&scope);
    eprintln!(
        "added a customer with 100,000 events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let raw = crm_core::store::raw_connection(&dir.path().join("bench.db")).unwrap();
    let events: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM timeline_entries WHERE tenant_id = 1 AND owner_type = 'customer' AND owner_id = ?1",
            [heavy.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(events, 100_000);
    // The k-way merge needs every source ordered by time under its parent.
    raw.execute_batch(
        "CREATE INDEX bench_messages_time ON messages (tenant_id, conversation_id, sent_at, id);
         CREATE INDEX bench_activities_lead_time ON activities (tenant_id, lead_id, occurred_at, id);
         CREATE INDEX bench_activities_deal_time ON activities (tenant_id, deal_id, occurred_at, id);
         CREATE INDEX bench_calls_time ON calls (tenant_id, customer_id, occurred_at, id);
         CREATE INDEX bench_conversations_time ON conversations (tenant_id, customer_id, created_at, id);
",
    )
    .unwrap();

    let whole = TimelineQuery {
        limit: Some(PAGE),
        ..TimelineQuery::of(TimelineOwner::Customer, heavy.0)
    };
    // The position after 999 pages of 50, walked in pages of 500 (a cursor does not depend
    // on the page size).
    let mut deep = TimelineQuery {
        limit: Some(500),
        ..whole.clone()
    };
    let mut deep_after = None;
    for _ in 0..100 {
        let page = scope.timeline().get(&deep).unwrap();
        deep_after = page.items.last().map(key_of);
        deep.cursor = page.next_cursor;
    }
    deep.limit = Some(PAGE);
    let first_page = scope.timeline().get(&whole).unwrap();
    let deep_page = scope.timeline().get(&deep).unwrap();
    assert_eq!(deep_page.items.len(), 50);
    // Both designs give the same pages.
    let first_keys: Vec<Key> = first_page.items.iter().map(key_of).collect();
    let deep_keys: Vec<Key> = deep_page.items.iter().map(key_of).collect();
    assert_eq!(merge_page(&raw, heavy.0, None, 50), first_keys);
    assert_eq!(merge_page(&raw, heavy.0, deep_after, 50), deep_keys);
    assert_eq!(projection_keys(&raw, heavy.0, deep_after, 50), deep_keys);

    let by_type = TimelineQuery {
        types: Some(vec![EventType::Call]),
        ..whole.clone()
    };
    let by_channel = TimelineQuery {
        channels: Some(vec![Channel::Social]),
        ..whole.clone()
    };
    let mut by_type_deep = by_type.clone();
    for _ in 0..10 {
        by_type_deep.cursor = scope.timeline().get(&by_type_deep).unwrap().next_cursor;
    }
    assert_eq!(scope.timeline().get(&by_type).unwrap().items.len(), 50);
    assert!(by_type_deep.cursor.is_some());
    let calls = CallFilter {
        customer_id: Some(heavy),
        limit: Some(PAGE),
        ..Default::default()
    };

    let mut group = c.benchmark_group(format!("timeline@{customers}+100k"));
    group.bench_function("first page of 50", |b| {
        b.iter(|| black_box(scope.timeline().get(&whole).unwrap()));
    });
    group.bench_function("1,000th page of 50", |b| {
        b.iter(|| black_box(scope.timeline().get(&deep).unwrap()));
    });
    group.bench_function("first page, type filter matching 1% (calls)", |b| {
        b.iter(|| black_box(scope.timeline().get(&by_type).unwrap()));
    });
    group.bench_function("11th page, type filter matching 1% (calls)", |b| {
        b.iter(|| black_box(scope.timeline().get(&by_type_deep).unwrap()));
    });
    group.bench_function("first page, channel filter matching 1% (social)", |b| {
        b.iter(|| black_box(scope.timeline().get(&by_channel).unwrap()));
    });
    group.bench_function(
        "lower bound: calls.list page of 50 (one indexed table)",
        |b| {
            b.iter(|| black_box(scope.calls().list(&calls).unwrap()));
        },
    );
    group.bench_function("projection keys only, 1,000th page", |b| {
        b.iter(|| black_box(projection_keys(&raw, heavy.0, deep_after, 50)));
    });
    group.bench_function("k-way merge keys only, first page", |b| {
        b.iter(|| black_box(merge_page(&raw, heavy.0, None, 50)));
    });
    group.bench_function("k-way merge keys only, 1,000th page", |b| {
        b.iter(|| black_box(merge_page(&raw, heavy.0, deep_after, 50)));
    });
    group.finish();

    let mut report = vec![format!(
        "timeline@{customers}+100k (release, one customer with 100,000 events)"
    )];
    let n = 2_000;
    percentiles(&mut report, "first page of 50", n, || {
        black_box(scope.timeline().get(&whole).unwrap());
    });
    percentiles(&mut report, "1,000th page of 50", n, || {
        black_box(scope.timeline().get(&deep).unwrap());
    });
    percentiles(&mut report, "type filter 1% (calls), first page", n, || {
        black_box(scope.timeline().get(&by_type).unwrap());
    });
    percentiles(&mut report, "type filter 1% (calls), 11th page", n, || {
        black_box(scope.timeline().get(&by_type_deep).unwrap());
    });
    percentiles(
        &mut report,
        "channel filter 1% (social), first page",
        n,
        || {
            black_box(scope.timeline().get(&by_channel).unwrap());
        },
    );
    percentiles(&mut report, "lower bound: calls.list page of 50", n, || {
        black_box(scope.calls().list(&calls).unwrap());
    });
    percentiles(
        &mut report,
        "k-way merge keys only, first page",
        200,
        || {
            black_box(merge_page(&raw, heavy.0, None, 50));
        },
    );
    percentiles(
        &mut report,
        "k-way merge keys only, 1,000th page",
        200,
        || {
            black_box(merge_page(&raw, heavy.0, deep_after, 50));
        },
    );
    write_report("timeline-percentiles.txt", &report);
}

criterion_group!(benches, timeline);
criterion_main!(benches);
