//! Segments at the 100,000-customer demo scale (`CRM_BENCH_CUSTOMERS` to change it): the count of
//! a nested segment with a related-record count, beside a hand-written SQL query of the same
//! criteria; a builder's preview (count and first 20 members); the cost memberships add to a
//! write with 20 saved segments; a full refresh of 20 segments. p99s are printed and written to
//! `target/criterion/segments-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench segments

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{demo_copy, percentiles, scale, write_report};
use crm_core::ids::{CustomerId, UserId};
use crm_core::segments::{NewSegment, PreviewRequest, RefreshRequest};
use crm_core::tickets::{Channel, NewTicket};
use serde_json::json;
use std::hint::black_box;

const NESTED: &str = "churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])";

/// The same criteria as a person would write the SQL.
const HAND_WRITTEN: &str = "SELECT COUNT(*) FROM customers c
  WHERE c.tenant_id = ?1 AND c.churn_risk >= 70
    AND ((SELECT COUNT(*) FROM tickets t
           WHERE t.tenant_id = c.tenant_id AND t.customer_id = c.id AND t.created_at >= ?2) >= 3
         OR NOT EXISTS (SELECT 1 FROM json_each(c.tags) WHERE lower(value) = 'vip'))";

/// Twenty segments of the kinds a support and sales team would save.
fn twenty() -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for risk in [50, 60, 70, 80, 90] {
        out.push(json!({"field": "churnRisk", "op": "gte", "value": risk}));
    }
    for status in ["open", "pending", "solved", "closed"] {
        out.push(json!({"field": "ticket.status", "op": "equals", "value": status}));
    }
    for n in [1, 2, 3] {
        out.push(json!({"field": "ticket.count", "op": "gte", "value": n, "withinDays": 90}));
    }
    for status in ["open", "won", "lost"] {
        out.push(json!({"field": "deal.status", "op": "equals", "value": status}));
    }
    out.push(json!({"field": "tags", "op": "in", "value": ["vip", "enterprise"]}));
    out.push(json!({"field": "lead.status", "op": "equals", "value": "qualified"}));
    out.push(json!({"field": "activity.lastContactDays", "op": "lte", "value": 30}));
    out.push(json!({"all": [
        {"field": "churnRisk", "op": "gte", "value": 70},
        {"not": {"field": "tags", "op": "in", "value": ["vip"]}}
    ]}));
    out.push(json!({"any": [
        {"field": "deal.count", "op": "gte", "value": 2},
        {"field": "lead.score", "op": "gte", "value": 80}
    ]}));
    out
}

fn segments(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    let s = scope.segments();
    let nested = s
        .parse(&crm_core::segments::ParseRequest {
            text: NESTED.into(),
        })
        .unwrap()
        .criteria;
    let preview = |limit| PreviewRequest {
        criteria: nested.clone(),
        limit: Some(limit),
    };
    let count = s.preview(&preview(0)).unwrap().count;
    let month_ago = crm_core::time::now().timestamp_millis() - 30 * 86_400_000;
    // The demo tenant is the first: its row id is 1.
    let conn = crm_core::store::raw_connection(&dir.path().join("bench.db")).unwrap();
    let hand = || -> i64 {
        conn.prepare_cached(HAND_WRITTEN)
            .unwrap()
            .query_row([1, month_ago], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(hand() as u64, count, "both count the same customers");
    eprintln!("{NESTED}: {count} of {customers} customers");

    let mut report = Vec::new();
    let mut group = c.benchmark_group(format!("segments@{customers}"));
    group.bench_function("count: 3 nested conditions with a ticket count", |b| {
        b.iter(|| black_box(s.preview(&preview(0)).unwrap().count));
    });
    group.bench_function("count: the same criteria written by hand in SQL", |b| {
        b.iter(|| black_box(hand()));
    });
    group.bench_function("preview: count and the first 20 members", |b| {
        b.iter(|| black_box(s.preview(&preview(20)).unwrap()));
    });
    percentiles(&mut report, "count, 3 nested conditions", 200, || {
        black_box(s.preview(&preview(0)).unwrap());
    });
    percentiles(&mut report, "count, hand-written SQL", 200, || {
        black_box(hand());
    });
    percentiles(&mut report, "preview, count and 20 members", 200, || {
        black_box(s.preview(&preview(20)).unwrap());
    });

    // Twenty saved segments: a write, then the memberships brought up to date.
    for (i, criteria) in twenty().into_iter().enumerate() {
        s.create(NewSegment {
            name: format!("segment {i}"),
            criteria,
            description: None,
        })
        .unwrap();
    }
    let mut customer = 0i64;
    let mut ticket = || {
        customer = customer % customers as i64 + 1;
        NewTicket {
            customer_id: Some(CustomerId(customer)),
            description: "Still broken.".into(),
            ..NewTicket::new("Follow-up", Channel::Email)
        }
    };
    group.bench_function("a ticket created (no upkeep)", |b| {
        b.iter(|| black_box(scope.tickets().create(ticket()).unwrap()));
    });
    s.catch_up().unwrap();
    group.bench_function(
        "a ticket created, then 20 segments' memberships brought up to date",
        |b| {
            b.iter(|| {
                black_box(scope.tickets().create(ticket()).unwrap());
                s.catch_up().unwrap();
            });
        },
    );
    group.sample_size(10);
    group.bench_function("a full refresh of 20 segments", |b| {
        b.iter(|| black_box(s.refresh(&RefreshRequest::default()).unwrap()));
    });
    group.finish();
    write_report("segments-percentiles.txt", &report);
}

criterion_group!(benches, segments);
criterion_main!(benches);
