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

/// At 1,000,000 customers: the demo at that scale needs about 18 GB with its copy, more than
/// this machine has free, so the bench builds what the criteria read — customers (churn risk,
/// tags) and 1,000,000 tickets over the last year — through the batch API.
fn million(c: &mut Criterion) {
    const CUSTOMERS: i64 = 1_000_000;
    let mut report = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.db");
    let crm = crm_core::Crm::open(&path).unwrap();
    let admin = crm
        .create_tenant(
            serde_json::from_value(json!({
                "tenantId": "big", "name": "Big", "admin": {"name": "A", "email": "a@big.test"}
            }))
            .unwrap(),
        )
        .unwrap()
        .admin
        .id;
    let scope = crm.scope("big", Some(admin)).unwrap();
    let started = std::time::Instant::now();
    let now = crm_core::time::now().timestamp_millis();
    // A fixed, cheap mix: risk and tags from the id, tickets spread over a year.
    for chunk in 0..CUSTOMERS / 10_000 {
        scope
            .batch(|b| {
                for i in chunk * 10_000 + 1..=(chunk + 1) * 10_000 {
                    let tags = if i % 10 == 0 {
                        json!(["vip"])
                    } else {
                        json!([])
                    };
                    b.create_customer(serde_json::from_value(json!({
                        "name": format!("Customer {i}"), "churnRisk": (i * 37) % 101, "tags": tags
                    })).unwrap())?;
                }
                Ok(())
            })
            .unwrap();
    }
    for chunk in 0..CUSTOMERS / 10_000 {
        scope
            .batch(|b| {
                for i in chunk * 10_000 + 1..=(chunk + 1) * 10_000 {
                    let at = now - ((i * 7_919) % 365) * 86_400_000;
                    b.create_ticket(NewTicket {
                        customer_id: Some(CustomerId((i * 104_729) % CUSTOMERS + 1)),
                        created_at: chrono::DateTime::from_timestamp_millis(at),
                        ..NewTicket::new("Help", Channel::Email)
                    })?;
                }
                Ok(())
            })
            .unwrap();
    }
    eprintln!(
        "1,000,000 customers and tickets built in {:.1?}",
        started.elapsed()
    );
    let s = scope.segments();
    let nested = s
        .parse(&crm_core::segments::ParseRequest {
            text: NESTED.into(),
        })
        .unwrap()
        .criteria;
    let request = PreviewRequest {
        criteria: nested,
        limit: Some(0),
    };
    let conn = crm_core::store::raw_connection(&path).unwrap();
    let month_ago = now - 30 * 86_400_000;
    let hand = || -> i64 {
        conn.prepare_cached(HAND_WRITTEN)
            .unwrap()
            .query_row([1, month_ago], |r| r.get(0))
            .unwrap()
    };
    let count = s.preview(&request).unwrap().count;
    assert_eq!(hand() as u64, count);
    eprintln!("{NESTED}: {count} of {CUSTOMERS} customers");
    let mut group = c.benchmark_group("segments@1000000");
    group.sample_size(20);
    group.bench_function("count: 3 nested conditions with a ticket count", |b| {
        b.iter(|| black_box(s.preview(&request).unwrap().count));
    });
    group.bench_function("count: the same criteria written by hand in SQL", |b| {
        b.iter(|| black_box(hand()));
    });
    group.finish();
    percentiles(
        &mut report,
        "count at 1,000,000, 3 nested conditions",
        50,
        || {
            black_box(s.preview(&request).unwrap());
        },
    );
    percentiles(
        &mut report,
        "count at 1,000,000, hand-written SQL",
        50,
        || {
            black_box(hand());
        },
    );
    write_report("segments-million-percentiles.txt", &report);
}

criterion_group!(benches, segments, million);
criterion_main!(benches);
