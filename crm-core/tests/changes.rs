//! `changes.list`: a tenant's change feed, in commit order, while others write.

mod common;

use crm_core::catalog::RecordKind;
use crm_core::customers::{CustomerChanges, NewCustomer};
use crm_core::feed::{ChangeOp, ChangesRequest};
use crm_core::leads::NewLead;
use crm_core::links::{LeadLink, TicketRef};
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn a_reader_following_the_feed_while_two_handles_write_misses_and_repeats_nothing() {
    let shared = common::Shared::new();
    let first = shared.open();
    let admin = common::tenant(&first, "acme");
    let other_admin = common::tenant(&first, "other");
    let second = shared.open();
    let reader = shared.open();
    let done = AtomicBool::new(false);
    let seen = std::thread::scope(|s| {
        let writers: Vec<_> = [
            (&first, "acme", admin),
            (&second, "acme", admin),
            (&second, "other", other_admin),
        ]
        .into_iter()
        .enumerate()
        .map(|(n, (crm, tenant, actor))| {
            s.spawn(move || {
                let scope = crm.scope(tenant, Some(actor)).unwrap();
                for i in 0..150 {
                    let c = scope
                        .customers()
                        .create(NewCustomer {
                            name: format!("w{n}-{i}"),
                            ..Default::default()
                        })
                        .unwrap();
                    if i % 3 == 0 {
                        scope
                            .customers()
                            .update(CustomerChanges {
                                id: Some(c.id),
                                churn_risk: Some(50),
                                ..Default::default()
                            })
                            .unwrap();
                    }
                }
            })
        })
        .collect();
        let follower = s.spawn(|| {
            let scope = reader.scope("acme", None).unwrap();
            let mut after = 0;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = scope
                    .changes()
                    .list(&ChangesRequest {
                        after: Some(after),
                        limit: Some(7),
                        entity_types: None,
                    })
                    .unwrap();
                if page.items.is_empty() && finished {
                    return seen;
                }
                seen.extend(page.items);
                after = page.next;
            }
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        follower.join().unwrap()
    });
    let seqs: Vec<i64> = seen.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in commit order, none repeated"
    );
    assert_eq!(
        seqs,
        shared.feed_of("acme"),
        "every entry of the tenant, none of another"
    );
    // 2 writers × (150 creates + 50 updates), after the tenant's own creation entries.
    let customers = seen
        .iter()
        .filter(|c| c.entity_type == RecordKind::Customer);
    assert_eq!(
        customers
            .clone()
            .filter(|c| c.op == ChangeOp::Created)
            .count(),
        300
    );
    assert_eq!(customers.filter(|c| c.op == ChangeOp::Updated).count(), 100);
}

#[test]
fn changes_say_what_happened_filter_by_kind_and_refuse_bad_input() {
    let crm = common::open();
    let admin = common::tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let start = scope
        .changes()
        .list(&ChangesRequest::default())
        .unwrap()
        .next;
    let lead = scope
        .leads()
        .create(NewLead {
            name: "Lee".into(),
            ..Default::default()
        })
        .unwrap();
    let ticket = scope.tickets().create(common::ticket("Broken")).unwrap();
    scope
        .links()
        .link_ticket_to_lead(LeadLink {
            ticket_id: ticket.id,
            lead_id: lead.id,
        })
        .unwrap();
    scope
        .links()
        .unlink_ticket_from_lead(TicketRef {
            ticket_id: ticket.id,
        })
        .unwrap();
    let page = scope
        .changes()
        .list(&ChangesRequest {
            after: Some(start),
            ..Default::default()
        })
        .unwrap();
    let said: Vec<_> = page
        .items
        .iter()
        .map(|c| {
            (
                c.entity_type,
                c.entity_id,
                c.op,
                c.action.as_deref(),
                c.actor_id,
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (
                RecordKind::Lead,
                lead.id.0,
                ChangeOp::Created,
                Some("leads.create"),
                Some(admin)
            ),
            (
                RecordKind::Ticket,
                ticket.id.0,
                ChangeOp::Created,
                Some("tickets.create"),
                Some(admin)
            ),
            (
                RecordKind::Ticket,
                ticket.id.0,
                ChangeOp::Linked,
                Some("links.linkTicketToLead"),
                Some(admin)
            ),
            (
                RecordKind::Ticket,
                ticket.id.0,
                ChangeOp::Unlinked,
                Some("links.unlinkTicketFromLead"),
                Some(admin)
            ),
        ]
    );
    assert_eq!(page.next, page.items.last().unwrap().seq);
    let leads = scope
        .changes()
        .list(&ChangesRequest {
            after: Some(start),
            entity_types: Some(vec![RecordKind::Lead]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(leads.items.len(), 1);
    // Nothing new: an empty page whose `next` is where it started.
    let empty = scope
        .changes()
        .list(&ChangesRequest {
            after: Some(page.next),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((empty.items.len(), empty.next), (0, page.next));
    // Another tenant's feed holds none of it.
    let other = common::tenant(&crm, "other");
    let theirs = crm
        .scope("other", Some(other))
        .unwrap()
        .changes()
        .list(&ChangesRequest::default())
        .unwrap();
    assert!(
        theirs
            .items
            .iter()
            .all(|c| c.entity_type != RecordKind::Lead && c.entity_type != RecordKind::Ticket)
    );
    for (request, field) in [
        (
            ChangesRequest {
                limit: Some(0),
                ..Default::default()
            },
            "limit",
        ),
        (
            ChangesRequest {
                limit: Some(501),
                ..Default::default()
            },
            "limit",
        ),
        (
            ChangesRequest {
                after: Some(-1),
                ..Default::default()
            },
            "after",
        ),
        (
            ChangesRequest {
                entity_types: Some(vec![]),
                ..Default::default()
            },
            "entityTypes",
        ),
    ] {
        assert_eq!(
            scope.changes().list(&request).unwrap_err().field(),
            Some(field)
        );
    }
}
