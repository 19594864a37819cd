//! A database made by an earlier version opens with the current one, and its data survives.

mod common;

use crm_core::Crm;
use crm_core::customers::{CustomerFilter, NewCustomer};
use crm_core::ids::{CustomerId, TicketId};
use crm_core::tickets::TicketFilter;

/// Builds a database file from the V1 fixture (a dump of a V1 database).
fn v1_database(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("v1.db");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v1.sql"
    ))
    .unwrap();
    let conn = rusqlite_connection(&path);
    // The dump lists tables alphabetically, so references come before what they point to.
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute_batch(&fixture).unwrap();
    drop(conn);
    path
}

fn rusqlite_connection(path: &std::path::Path) -> crm_core::store::RawConnection {
    crm_core::store::raw_connection(path).unwrap()
}

#[test]
fn a_v1_database_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_database(dir.path());
    let crm = Crm::open(&path).unwrap();
    assert_eq!(crm_core::store::schema_version(&crm).unwrap(), 15);
    // Version 14 gave every tenant the one position each feed follower had, which was the
    // feed's head as version 6, 7 and 10 set it, below what later versions wrote to the feed.
    let positions: Vec<(String, String, bool)> = rusqlite_connection(&path)
        .prepare(
            "SELECT t.key, p.follower, p.applied BETWEEN 1 AND (SELECT MAX(seq) FROM change_feed)
               FROM feed_positions p JOIN tenants t ON t.id = p.tenant_id ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let follows = |name: &str| ("demo".to_owned(), name.to_owned(), true);
    assert_eq!(
        positions,
        // The analytics sums were not built yet: they are on their first answer.
        [follows("scoring"), follows("segments")]
    );
    let scope = crm.scope("demo", None).unwrap();
    let customers = scope.customers().list(&CustomerFilter::default()).unwrap();
    assert_eq!(customers.items.len(), 4);
    let first = scope.customers().get_by_external_id("cust-0").unwrap();
    assert_eq!(first.id, CustomerId(1));
    assert!(
        first
            .email
            .as_deref()
            .is_some_and(|e| e.ends_with(".0@mail.example") || e.contains(".0@"))
    );
    let tickets = scope.tickets().list(&TicketFilter::default()).unwrap();
    assert_eq!(tickets.items.len(), 4);
    let t = scope.tickets().get(TicketId(1)).unwrap();
    // The V2 index serves the team queue.
    let team = t.team_id.unwrap();
    let queue = scope
        .tickets()
        .list(&TicketFilter {
            team_id: Some(team),
            ..Default::default()
        })
        .unwrap();
    assert!(queue.items.iter().any(|x| x.id == t.id));
    assert_eq!(crm.list_tenants().unwrap()[0].name, "Demo Hardware Co.");

    // V4 fills the timeline from the history already there.
    let check = scope.timeline().verify().unwrap();
    assert!(check.consistent() && check.entries > 0, "{check:?}");
    let with_ticket = t.customer_id.unwrap();
    let timeline = scope
        .timeline()
        .get(&crm_core::timeline::TimelineQuery::of(
            crm_core::timeline::TimelineOwner::Customer,
            with_ticket.0,
        ))
        .unwrap();
    assert!(timeline.items.iter().any(|e| e.ticket_id == Some(t.id)));

    // V7's analytics sums are built from the deals already there on the first answer.
    let funnel = scope
        .analytics()
        .funnel(&crm_core::analytics::FunnelRequest {
            pipeline_id: crm_core::ids::PipelineId(2),
            from: None,
            to: None,
        })
        .unwrap();
    assert_eq!((funnel.deals, funnel.lost), (1, 1));
    assert_eq!(funnel.stages[0].exits, 1, "{funnel:?}");
    let check = scope.analytics().verify().unwrap();
    assert!(check.consistent() && check.deals == 1, "{check:?}");

    // Writing continues where the old version left off: ids, audit and feed.
    let admin = crm_core::ids::UserId(1);
    let created = crm
        .scope("demo", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "After".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(created.id, CustomerId(5));
    let audit = scope
        .audit()
        .list(&crm_core::audit::AuditFilter::default())
        .unwrap();
    assert_eq!(audit.items[0].action, "customers.create");
    assert_eq!(common::count(&crm, "customers"), 5);

    // V9: a deal of the old file takes a quote, whose steps join the timeline V4 built.
    let writer = crm.scope("demo", Some(admin)).unwrap();
    let deal = writer
        .deals()
        .list(&crm_core::deals::DealFilter::default())
        .unwrap()
        .items[0]
        .id;
    let quote = writer
        .quotes()
        .create(
            serde_json::from_value(serde_json::json!({"dealId": deal,
                "lines": [{"description": "Seat", "quantity": 1, "unitPrice": 100}]}))
            .unwrap(),
        )
        .unwrap();
    writer.quotes().send(quote.id).unwrap();
    let check = scope.timeline().verify().unwrap();
    assert!(check.consistent(), "{check:?}");
    let steps = scope
        .timeline()
        .get(&crm_core::timeline::TimelineQuery::of(
            crm_core::timeline::TimelineOwner::Deal,
            deal.0,
        ))
        .unwrap()
        .items
        .iter()
        .filter(|e| e.event_type == crm_core::timeline::EventType::QuoteActivity)
        .count();
    assert_eq!(steps, 2);

    // Opening again applies nothing more and changes nothing.
    drop(crm);
    let crm = Crm::open(&path).unwrap();
    assert_eq!(crm_core::store::schema_version(&crm).unwrap(), 15);
    assert_eq!(common::count(&crm, "customers"), 5);
}
