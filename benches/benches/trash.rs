//! Deletes, restores, merges and erasure at the 100,000-customer demo scale
//! (`CRM_BENCH_CUSTOMERS` to change it), each on a customer with 50 related records made for
//! the measurement: a lead with 4 activities, a deal with 4 activities, 10 tickets with a
//! comment each, 5 conversations of 2 messages, 5 calls (50 records, the customer aside).
//!
//! cargo bench -p crm-benches --bench trash

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crm_benches::{demo_copy, scale};
use crm_core::Crm;
use serde_json::{Value, json};
use std::hint::black_box;

/// One request through the C ABI's handler (as a host sends it); the result.
fn call(crm: &Crm, method: &str, params: Value) -> Value {
    let mut request = json!({"method": method, "tenantId": "demo", "actorId": 1});
    request["params"] = params;
    let response = crm::dispatch::handle(crm, &request.to_string());
    let response: Value = serde_json::from_str(&response).unwrap();
    assert_eq!(response["ok"], true, "{method}: {response}");
    response["result"].clone()
}

/// A customer with 50 related records; its id.
fn busy_customer(crm: &Crm, n: usize) -> i64 {
    let id = |m: &str, p: Value| call(crm, m, p)["id"].as_i64().unwrap();
    let c = id(
        "customers.create",
        json!({"name": format!("Bench Person {n}"), "email": format!("bench.{n}@person.test"),
               "phone": "+1 415 555 0199", "tags": ["bench"]}),
    );
    let lead = id(
        "leads.create",
        json!({"name": format!("Bench Person {n}"), "customerId": c}),
    );
    let deal = id(
        "deals.create",
        json!({"pipelineId": 1, "title": "Bench deal", "value": 1000, "currency": "USD",
               "customerId": c, "leadId": lead}),
    );
    for i in 0..4 {
        for (kind, entity) in [("lead", lead), ("deal", deal)] {
            call(
                crm,
                "activities.create",
                json!({"entityType": kind, "entityId": entity, "kind": "note", "body": format!("note {i}")}),
            );
        }
    }
    for i in 0..10 {
        let t = id(
            "tickets.create",
            json!({"subject": format!("Bench ticket {i}"), "channel": "email", "customerId": c}),
        );
        call(
            crm,
            "tickets.addEvent",
            json!({"ticketId": t, "kind": "comment", "body": "a comment"}),
        );
    }
    for _ in 0..5 {
        let conv = id(
            "conversations.create",
            json!({"customerId": c, "channel": "chat"}),
        );
        for body in ["hello", "thanks"] {
            call(
                crm,
                "messages.create",
                json!({"conversationId": conv, "direction": "inbound", "body": body}),
            );
        }
    }
    for _ in 0..5 {
        call(
            crm,
            "calls.create",
            json!({"customerId": c, "durationSeconds": 60}),
        );
    }
    c
}

fn trash(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    // The index and the followers caught up first, as in a day's use.
    call(&crm, "search.query", json!({"q": "bench"}));
    let mut group = c.benchmark_group(format!("trash@{customers}"));
    group.sample_size(30);
    let person = busy_customer(&crm, 0);
    let delete = json!({"id": person, "cascade": true});
    let restore = json!({"kind": "customer", "id": person});
    // Each measured delete starts from a restore, and each restore from a delete.
    call(&crm, "customers.delete", delete.clone());
    group.bench_function("delete a customer with 50 related records", |b| {
        b.iter_batched(
            || call(&crm, "trash.restore", restore.clone()),
            |_| black_box(call(&crm, "customers.delete", delete.clone())),
            BatchSize::PerIteration,
        );
    });
    call(&crm, "trash.restore", restore.clone());
    group.bench_function("restore it", |b| {
        b.iter_batched(
            || call(&crm, "customers.delete", delete.clone()),
            |_| black_box(call(&crm, "trash.restore", restore.clone())),
            BatchSize::PerIteration,
        );
    });

    let mut n = 1;
    group.bench_function("merge two customers with 50 related records each", |b| {
        b.iter_batched(
            || {
                n += 2;
                (busy_customer(&crm, n), busy_customer(&crm, n + 1))
            },
            |(target, source)| {
                black_box(call(
                    &crm,
                    "customers.merge",
                    json!({"targetId": target, "sourceIds": [source], "fields": {"email": source}}),
                ))
            },
            BatchSize::PerIteration,
        );
    });

    group.sample_size(10);
    group.bench_function(
        "erase a customer with 50 related records (index rewrite and log truncation included)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    let c = busy_customer(&crm, n);
                    // The index holds them before the erasure starts.
                    call(&crm, "search.query", json!({"q": "bench"}));
                    (c, format!("bench.{n}@person.test"))
                },
                |(c, email)| {
                    black_box(call(
                        &crm,
                        "customers.erase",
                        json!({"id": c, "confirm": email}),
                    ))
                },
                BatchSize::PerIteration,
            );
        },
    );
    group.finish();
}

criterion_group!(benches, trash);
criterion_main!(benches);
