//! Links at the 100,000-customer demo scale (`CRM_BENCH_CUSTOMERS` to change it): link and
//! unlink, a lead's ticket page deep in its list, auto-link throughput (dry run and applied).
//!
//! cargo bench -p crm-benches --bench links

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crm_benches::{demo_copy, scale};
use crm_core::ids::{LeadId, TicketId, UserId};
use crm_core::leads::NewLead;
use crm_core::links::{AutoLink, LeadLink, LeadTickets, TicketRef};
use std::hint::black_box;

/// Tickets per auto-link measurement.
const WINDOW: usize = 10_000;

fn links(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    let tickets = i64::try_from(scope.tickets().count().unwrap()).unwrap();
    let mut group = c.benchmark_group(format!("links@{customers}"));

    // Auto-link first, while no ticket is linked: windows of 10,000 tickets each.
    let windows: Vec<Vec<TicketId>> = (1..=tickets)
        .map(TicketId)
        .collect::<Vec<_>>()
        .chunks(WINDOW)
        .map(<[TicketId]>::to_vec)
        .collect();
    group.throughput(Throughput::Elements(WINDOW as u64));
    group.sample_size(10);
    group.bench_function("auto-link dry run, 10,000 tickets", |b| {
        let mut w = 0;
        b.iter(|| {
            w = (w + 1) % windows.len();
            let request = AutoLink {
                ticket_ids: Some(windows[w].clone()),
                dry_run: true,
                batch_size: None,
            };
            black_box(scope.links().auto_link(&request).unwrap());
        });
    });
    group.bench_function(
        "auto-link applied, 10,000 tickets (500 per transaction)",
        |b| {
            let mut w = 0;
            b.iter_batched(
                || {
                    // Untimed: unlink whatever an earlier iteration linked in this window, so every
                    // measurement links the same tickets afresh.
                    w = (w + 1) % windows.len();
                    for id in &windows[w] {
                        let t = scope.tickets().get(*id).unwrap();
                        if t.related_lead_id.is_some() {
                            scope
                                .links()
                                .unlink_ticket_from_lead(TicketRef { ticket_id: *id })
                                .unwrap();
                        }
                        if t.related_deal_id.is_some() {
                            scope
                                .links()
                                .unlink_ticket_from_deal(TicketRef { ticket_id: *id })
                                .unwrap();
                        }
                    }
                    AutoLink {
                        ticket_ids: Some(windows[w].clone()),
                        dry_run: false,
                        batch_size: None,
                    }
                },
                |request| black_box(scope.links().auto_link(&request).unwrap()),
                BatchSize::PerIteration,
            );
        },
    );

    // Link and unlink one ticket.
    let a = scope
        .leads()
        .create(NewLead {
            name: "Bench A".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let b = scope
        .leads()
        .create(NewLead {
            name: "Bench B".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    // Each link and unlink takes the next ticket of the demo, as a working day turns over many
    // tickets: one ticket linked back and forth piles up its own events, and a relink moves
    // every event of the ticket (V4), which measured a pathological ticket, not a day's work.
    group.throughput(Throughput::Elements(1));
    group.sample_size(50);
    let mut next = 0i64;
    let mut turn = || {
        next = next % tickets + 1;
        TicketId(next)
    };
    let mut to = a;
    group.bench_function(
        "link a ticket to a lead (the next ticket each time)",
        |bench| {
            bench.iter(|| {
                to = if to == a { b } else { a };
                black_box(
                    scope
                        .links()
                        .link_ticket_to_lead(LeadLink {
                            ticket_id: turn(),
                            lead_id: to,
                        })
                        .unwrap(),
                );
            });
        },
    );
    group.bench_function(
        "unlink a ticket from its lead (the next ticket each time)",
        |bench| {
            bench.iter_batched(
                || {
                    let ticket = turn();
                    scope
                        .links()
                        .link_ticket_to_lead(LeadLink {
                            ticket_id: ticket,
                            lead_id: a,
                        })
                        .unwrap();
                    ticket
                },
                |ticket| {
                    black_box(
                        scope
                            .links()
                            .unlink_ticket_from_lead(TicketRef { ticket_id: ticket })
                            .unwrap(),
                    )
                },
                BatchSize::PerIteration,
            );
        },
    );
    // Criterion gives means; the target is a 99th percentile, so time 2,000 of each by hand.
    let mut link_times = Vec::with_capacity(2_000);
    let mut unlink_times = Vec::with_capacity(2_000);
    for i in 0..2_000 {
        let ticket = turn();
        let lead = if i % 2 == 0 { a } else { b };
        let started = std::time::Instant::now();
        scope
            .links()
            .link_ticket_to_lead(LeadLink {
                ticket_id: ticket,
                lead_id: lead,
            })
            .unwrap();
        link_times.push(started.elapsed());
        let started = std::time::Instant::now();
        scope
            .links()
            .unlink_ticket_from_lead(TicketRef { ticket_id: ticket })
            .unwrap();
        unlink_times.push(started.elapsed());
    }
    for (what, times) in [("link", &mut link_times), ("unlink", &mut unlink_times)] {
        times.sort();
        eprintln!(
            "{what}, 2,000 tickets: p50 {:?}, p99 {:?}, max {:?}",
            times[times.len() / 2],
            times[times.len() * 99 / 100],
            times[times.len() - 1]
        );
    }

    // A lead with 10,000 linked tickets: its first page and its 100th.
    let busy: LeadId = scope
        .leads()
        .create(NewLead {
            name: "Busy lead".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    for t in 1..=10_000.min(tickets) {
        scope
            .links()
            .link_ticket_to_lead(LeadLink {
                ticket_id: TicketId(t),
                lead_id: busy,
            })
            .unwrap();
    }
    group.sample_size(100);
    let first = LeadTickets {
        lead_id: Some(busy),
        limit: Some(50),
        cursor: None,
    };
    group.bench_function("lead's tickets, page of 50: first", |bench| {
        bench.iter(|| black_box(scope.links().lead_tickets(&first).unwrap()));
    });
    let mut deep = first.clone();
    for _ in 0..99 {
        deep.cursor = scope.links().lead_tickets(&deep).unwrap().next_cursor;
    }
    group.bench_function("lead's tickets, page of 50: 100th", |bench| {
        bench.iter(|| black_box(scope.links().lead_tickets(&deep).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, links);
criterion_main!(benches);
