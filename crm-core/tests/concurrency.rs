//! Several writers on one database (a file, or a PostgreSQL schema with
//! `CRM_TEST_BACKEND=postgres`): threads sharing a handle, and separate handles (as separate
//! processes would hold). No write is lost, ids and quote numbers never collide or skip, every
//! write has its audit entry.

mod common;

use crm_core::customers::NewCustomer;
use crm_core::tickets::{Channel, NewTicket};
use std::sync::Arc;

#[test]
fn separate_handles_on_one_file_lose_no_writes() {
    let shared = common::Shared::new();
    let first = Arc::new(shared.open());
    let admin = common::tenant(&first, "acme");
    let second = Arc::new(shared.open());
    std::thread::scope(|s| {
        for (n, crm) in [&first, &second, &first, &second].into_iter().enumerate() {
            s.spawn(move || {
                let scope = crm.scope("acme", Some(admin)).unwrap();
                for i in 0..100 {
                    let c = scope
                        .customers()
                        .create(NewCustomer {
                            name: format!("w{n}-{i}"),
                            ..Default::default()
                        })
                        .unwrap();
                    // A read right after a write, through the same handle, sees it.
                    assert_eq!(scope.customers().get(c.id).unwrap().name, c.name);
                    if i % 10 == 0 {
                        scope
                            .batch(|b| {
                                for j in 0..5 {
                                    b.create_ticket(NewTicket {
                                        external_id: Some(format!("w{n}-{i}-{j}")),
                                        customer_id: Some(c.id),
                                        channel: Channel::Api,
                                        ..common::ticket("Batch")
                                    })?;
                                }
                                Ok(())
                            })
                            .unwrap();
                    }
                }
            });
        }
    });
    // Each handle sees everything the other wrote.
    for crm in [&first, &second] {
        let mut ids: Vec<i64> = common::all_customers(crm, "acme")
            .iter()
            .map(|c| c.id.0)
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=400).collect::<Vec<_>>());
        assert_eq!(common::count(crm, "tickets"), 200);
    }
    // tenant + admin + 400 customers + 200 tickets, each with one audit and one feed entry.
    assert_eq!(common::count(&first, "audit_log"), 602);
    assert_eq!(common::count(&first, "change_feed"), 602);
    assert_eq!(common::count(&first, "ticket_events"), 200);
}

#[test]
fn the_change_sequence_moves_with_writes_from_any_handle() {
    let shared = common::Shared::new();
    let a = shared.open();
    let admin = common::tenant(&a, "acme");
    let b = shared.open();
    let before = a.scope("acme", None).unwrap().changes().head().unwrap();
    b.scope("acme", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "X".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        a.scope("acme", None).unwrap().changes().head().unwrap(),
        before + 1
    );
}

/// Readers page through a customer's timeline while writers (on two handles, as two processes
/// would) add events to it and link and unlink its tickets: every page is ordered, no walk shows
/// an event twice, and afterwards the timeline table matches its sources exactly.
#[test]
fn timelines_stay_ordered_and_consistent_under_concurrent_writes() {
    use crm_core::calls::NewCall;
    use crm_core::leads::NewLead;
    use crm_core::links::{LeadLink, TicketRef};
    use crm_core::timeline::{TimelineOwner, TimelineQuery};
    let shared = common::Shared::new();
    let first = shared.open();
    let admin = common::tenant(&first, "acme");
    let second = shared.open();
    let scope = first.scope("acme", Some(admin)).unwrap();
    let customer = scope
        .customers()
        .create(NewCustomer {
            name: "Busy".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let lead = scope
        .leads()
        .create(NewLead {
            name: "Busy lead".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    // One ticket per writer: a link over the same link, or an unlink of none, changes nothing
    // and writes no event, so two writers sharing a ticket would make the count a race.
    let tickets: Vec<_> = (0..2)
        .map(|n| {
            let mut ticket = common::ticket(&format!("Busy ticket {n}"));
            ticket.customer_id = Some(customer);
            scope.tickets().create(ticket).unwrap().id
        })
        .collect();
    std::thread::scope(|s| {
        for (crm, ticket) in [&first, &second].into_iter().zip(tickets) {
            s.spawn(move || {
                let scope = crm.scope("acme", Some(admin)).unwrap();
                for i in 0..150 {
                    scope
                        .calls()
                        .create(NewCall {
                            customer_id: Some(customer),
                            duration_seconds: i,
                            ..Default::default()
                        })
                        .unwrap();
                    if i % 10 == 0 {
                        scope
                            .links()
                            .link_ticket_to_lead(LeadLink {
                                ticket_id: ticket,
                                lead_id: lead,
                            })
                            .unwrap();
                        scope
                            .links()
                            .unlink_ticket_from_lead(TicketRef { ticket_id: ticket })
                            .unwrap();
                    }
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                let scope = first.scope("acme", None).unwrap();
                for _ in 0..20 {
                    let mut query = TimelineQuery {
                        limit: Some(7),
                        ..TimelineQuery::of(TimelineOwner::Customer, customer.0)
                    };
                    let mut seen = std::collections::HashSet::new();
                    let mut last: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
                    loop {
                        let page = scope.timeline().get(&query).unwrap();
                        for e in &page.items {
                            assert!(seen.insert(e.id.clone()), "{} twice", e.id);
                            if let Some((at, _)) = &last {
                                assert!(e.occurred_at <= *at, "newest first");
                            }
                            last = Some((e.occurred_at, e.id.clone()));
                        }
                        match page.next_cursor {
                            Some(c) => query.cursor = Some(c),
                            None => break,
                        }
                    }
                }
            });
        }
    });
    let check = scope.timeline().verify().unwrap();
    assert!(check.consistent(), "{check:?}");
    // 300 calls, the tickets' creation and 60 link and unlink events.
    assert_eq!(check.entries, 300 + 2 + 60);
}

/// Quote numbers are gap-free per tenant and year: 4 threads on each of 2 handles create
/// quotes in one tenant at once, and the numbers are exactly 1…N.
#[test]
fn quotes_made_at_once_on_two_handles_are_numbered_without_gap_or_repeat() {
    use crm_core::deals::NewDeal;
    use crm_core::quotes::NewQuote;
    let shared = common::Shared::new();
    let first = shared.open();
    let admin = common::tenant(&first, "acme");
    let second = shared.open();
    let scope = first.scope("acme", Some(admin)).unwrap();
    let pipeline = scope
        .pipelines()
        .create(
            serde_json::from_value(serde_json::json!({
                "name": "Sales",
                "stages": [{"name": "Open", "probability": 10, "kind": "open"}]
            }))
            .unwrap(),
        )
        .unwrap();
    let deal = scope
        .deals()
        .create(
            serde_json::from_value::<NewDeal>(serde_json::json!({
                "pipelineId": pipeline.id,
                "title": "Racing",
                "value": 100,
                "currency": "USD"
            }))
            .unwrap(),
        )
        .unwrap()
        .id;
    let numbers = std::thread::scope(|s| {
        let workers: Vec<_> = [
            &first, &second, &first, &second, &first, &second, &first, &second,
        ]
        .into_iter()
        .map(|crm| {
            s.spawn(move || {
                let scope = crm.scope("acme", Some(admin)).unwrap();
                (0..10)
                    .map(|_| {
                        let quote = scope
                            .quotes()
                            .create(
                                serde_json::from_value::<NewQuote>(
                                    serde_json::json!({"dealId": deal.0}),
                                )
                                .unwrap(),
                            )
                            .unwrap();
                        quote.number
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    let mut serials: Vec<u32> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    serials.sort_unstable();
    assert_eq!(serials, (1..=80).collect::<Vec<_>>(), "{numbers:?}");
}

/// Two handles catch segment memberships up from the feed at once while a third changes the
/// customers they depend on: no change is recorded twice (each customer's history alternates
/// entered and exited), and the members are what the criteria say now.
#[test]
fn two_handles_catching_segments_up_at_once_record_each_change_once() {
    use crm_core::customers::CustomerChanges;
    use crm_core::segments::{HistoryRequest, MembershipChange, NewSegment};
    let shared = common::Shared::new();
    let writer = shared.open();
    let admin = common::tenant(&writer, "acme");
    let scope = writer.scope("acme", Some(admin)).unwrap();
    let segment = scope
        .segments()
        .create(NewSegment {
            name: "At risk".into(),
            criteria: serde_json::json!({"field": "churnRisk", "op": "gte", "value": 50}),
            description: None,
        })
        .unwrap()
        .id;
    let customers: Vec<_> = (0..6)
        .map(|i| {
            scope
                .customers()
                .create(NewCustomer {
                    name: format!("c{i}"),
                    churn_risk: Some(0),
                    ..Default::default()
                })
                .unwrap()
                .id
        })
        .collect();
    let (first, second) = (shared.open(), shared.open());
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for crm in [&first, &second] {
            let done = &done;
            s.spawn(move || {
                let scope = crm.scope("acme", Some(admin)).unwrap();
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    scope.segments().catch_up().unwrap();
                }
            });
        }
        for round in 0..40 {
            let customer = customers[round % customers.len()];
            scope
                .customers()
                .update(CustomerChanges {
                    id: Some(customer),
                    churn_risk: Some(if round % 12 < 6 { 80 } else { 10 }),
                    ..Default::default()
                })
                .unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    scope.segments().catch_up().unwrap();
    for customer in &customers {
        let history = scope
            .segments()
            .history(&HistoryRequest {
                id: segment,
                customer_id: Some(*customer),
                limit: Some(500),
                cursor: None,
            })
            .unwrap()
            .items;
        // A change undone before a catch-up saw it leaves no trace; one seen is there once.
        assert!(
            history.windows(2).all(|w| w[0].change != w[1].change),
            "{customer:?}: {history:?}"
        );
        let entered = history
            .iter()
            .filter(|h| h.change == MembershipChange::Entered)
            .count();
        assert!(
            entered == history.len() - entered || entered == history.len() - entered + 1,
            "{customer:?} started outside: {history:?}"
        );
    }
    let members = members_of(&scope, segment);
    let at_risk: Vec<_> = common::all_customers(&writer, "acme")
        .into_iter()
        .filter(|c| c.churn_risk >= 50)
        .map(|c| c.id)
        .collect();
    let sorted = |mut v: Vec<crm_core::ids::CustomerId>| {
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(members), sorted(at_risk));
}

/// Writers of four tenants, two per tenant on handles of their own (on PostgreSQL they write
/// side by side, each tenant's in turn), while each tenant has a follower on another handle
/// reading its feed with `changes.list` (which brings segment memberships along) and searching
/// it: every follower sees every entry of its tenant, in increasing order, none skipped
/// because another was still in flight; afterwards memberships and search agree with the
/// records.
#[test]
fn writers_of_several_tenants_and_their_followers_skip_nothing() {
    use crm_core::customers::CustomerChanges;
    use crm_core::feed::ChangesRequest;
    use crm_core::search::SearchQuery;
    use crm_core::segments::NewSegment;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const TENANTS: [&str; 4] = ["north", "south", "east", "west"];
    const PER_WRITER: usize = 25;
    let shared = common::Shared::new();
    let first = shared.open();
    let admins: Vec<_> = TENANTS
        .iter()
        .map(|key| {
            let admin = common::tenant(&first, key);
            first
                .scope(key, Some(admin))
                .unwrap()
                .segments()
                .create(NewSegment {
                    name: "At risk".into(),
                    criteria: serde_json::json!({"field": "churnRisk", "op": "gte", "value": 50}),
                    description: None,
                })
                .unwrap();
            admin
        })
        .collect();
    let writing = AtomicUsize::new(TENANTS.len() * 2);
    let seen: Vec<Vec<i64>> = std::thread::scope(|s| {
        for (t, key) in TENANTS.iter().enumerate() {
            for w in 0..2 {
                let (shared, admin, writing) = (&shared, admins[t], &writing);
                s.spawn(move || {
                    let crm = shared.open();
                    let scope = crm.scope(key, Some(admin)).unwrap();
                    for i in 0..PER_WRITER {
                        let id = scope
                            .customers()
                            .create(NewCustomer {
                                name: format!("Kestrel {key} {w} {i}"),
                                churn_risk: Some(if i % 2 == 0 { 80 } else { 10 }),
                                ..Default::default()
                            })
                            .unwrap()
                            .id;
                        if i % 3 == 0 {
                            scope
                                .customers()
                                .update(CustomerChanges {
                                    id: Some(id),
                                    churn_risk: Some(if i % 2 == 0 { 20 } else { 90 }),
                                    ..Default::default()
                                })
                                .unwrap();
                        }
                    }
                    writing.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
        let followers: Vec<_> = TENANTS
            .iter()
            .enumerate()
            .map(|(t, key)| {
                let (shared, admin, writing) = (&shared, admins[t], &writing);
                s.spawn(move || {
                    let crm = shared.open();
                    let scope = crm.scope(key, Some(admin)).unwrap();
                    let mut seen = Vec::new();
                    let mut after = 0;
                    loop {
                        // Read before looking at the writers: a last pass after they finished
                        // sees everything.
                        let finished = writing.load(Ordering::SeqCst) == 0;
                        loop {
                            let page = scope
                                .changes()
                                .list(&ChangesRequest {
                                    after: Some(after),
                                    limit: Some(500),
                                    entity_types: None,
                                })
                                .unwrap();
                            seen.extend(page.items.iter().map(|c| c.seq));
                            if page.items.is_empty() {
                                break;
                            }
                            after = page.next;
                        }
                        scope
                            .search()
                            .query(&SearchQuery {
                                q: "kestrel".into(),
                                ..Default::default()
                            })
                            .unwrap();
                        if finished {
                            return seen;
                        }
                    }
                })
            })
            .collect();
        followers.into_iter().map(|f| f.join().unwrap()).collect()
    });
    for (t, key) in TENANTS.iter().enumerate() {
        assert!(
            seen[t].windows(2).all(|w| w[0] < w[1]),
            "{key}: out of order"
        );
        assert_eq!(
            seen[t],
            shared.feed_of(key),
            "{key}: the follower skipped entries"
        );
        let scope = first.scope(key, Some(admins[t])).unwrap();
        let customers = common::all_customers(&first, key);
        assert_eq!(customers.len(), 2 * PER_WRITER);
        let found = scope
            .search()
            .query(&SearchQuery {
                q: "kestrel".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.total, 2 * PER_WRITER as u64, "{key}: search");
        let segment = scope
            .segments()
            .list(&crm_core::records::PageRequest::default())
            .unwrap()
            .items[0]
            .id;
        let members = members_of(&scope, segment);
        let mut at_risk: Vec<_> = customers
            .iter()
            .filter(|c| c.churn_risk >= 50)
            .map(|c| c.id)
            .collect();
        at_risk.sort_unstable();
        assert_eq!(members, at_risk, "{key}: segment members");
    }
}

/// A handle with a pool of two connections serves eight threads reading and writing at once:
/// they take turns, nothing fails, nothing is lost, and (on a server, where each connection
/// is a backend the server counts) no more than the pool and the writer are ever open.
#[test]
fn a_small_pool_serves_many_threads_and_holds_its_size() {
    use crm_core::store::OpenOptions;
    const THREADS: usize = 8;
    const EACH: usize = 15;
    let shared = common::Shared::new();
    let target = if common::on_postgres() {
        format!(
            "{}&application_name=crm_pool_{}",
            shared.target(),
            std::process::id()
        )
    } else {
        shared.target().to_owned()
    };
    assert!(
        crm_core::Crm::open_with(&target, OpenOptions { pool_size: 0 })
            .unwrap_err()
            .to_string()
            .contains("poolSize")
    );
    let crm = crm_core::Crm::open_with(&target, OpenOptions { pool_size: 2 }).unwrap();
    let admin = common::tenant(&crm, "acme");
    let done = std::sync::atomic::AtomicBool::new(false);
    let most = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut most = 0;
            if !common::on_postgres() {
                return most;
            }
            let mut client = crm_core::store::postgres::Client::connect(
                &std::env::var("CRM_TEST_POSTGRES").unwrap(),
                crm_core::store::postgres::NoTls,
            )
            .unwrap();
            let name = format!("crm_pool_{}", std::process::id());
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let n: i64 = client
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                        &[&name],
                    )
                    .unwrap()
                    .get(0);
                most = most.max(n);
            }
            most
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let crm = &crm;
                s.spawn(move || {
                    let scope = crm.scope("acme", Some(admin)).unwrap();
                    for i in 0..EACH {
                        let made = scope
                            .customers()
                            .create(NewCustomer {
                                name: format!("t{t}-{i}"),
                                ..Default::default()
                            })
                            .unwrap();
                        assert_eq!(scope.customers().get(made.id).unwrap().name, made.name);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        watcher.join().unwrap()
    });
    assert_eq!(common::all_customers(&crm, "acme").len(), THREADS * EACH);
    // The writer and two pooled connections (the watcher saw them: the name reached the
    // server).
    assert!(most <= 3, "{most} connections open at once");
    assert!(!common::on_postgres() || most >= 2, "{most}");
}

/// The members of a segment (at most 100), by id.
fn members_of(
    scope: &crm_core::tenancy::Scope<'_>,
    segment: crm_core::ids::SegmentId,
) -> Vec<crm_core::ids::CustomerId> {
    let mut members: Vec<_> = scope
        .segments()
        .members(&crm_core::segments::MembersRequest {
            id: segment,
            limit: Some(100),
            cursor: None,
        })
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    members.sort_unstable();
    members
}
