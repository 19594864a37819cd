//! Several writers on one file: threads sharing a handle, and separate handles (as separate
//! processes would hold). No write is lost, ids never collide, every write has its audit entry.

mod common;

use crm_core::Crm;
use crm_core::customers::{CustomerFilter, NewCustomer};
use crm_core::tickets::{Channel, NewTicket};
use std::sync::Arc;

fn all_customer_ids(crm: &Crm) -> Vec<i64> {
    let scope = crm.scope("acme", None).unwrap();
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .customers()
            .list(&CustomerFilter {
                limit: Some(500),
                cursor,
                ..Default::default()
            })
            .unwrap();
        ids.extend(page.items.iter().map(|c| c.id.0));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return ids;
        }
    }
}

#[test]
fn separate_handles_on_one_file_lose_no_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let first = Arc::new(Crm::open(&path).unwrap());
    let admin = common::tenant(&first, "acme");
    let second = Arc::new(Crm::open(&path).unwrap());
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
        let mut ids = all_customer_ids(crm);
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seq.db");
    let a = Crm::open(&path).unwrap();
    let admin = common::tenant(&a, "acme");
    let b = Crm::open(&path).unwrap();
    let before = crm_core::store::change_seq(&a).unwrap();
    b.scope("acme", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "X".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(crm_core::store::change_seq(&a).unwrap(), before + 1);
}
