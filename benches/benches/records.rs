//! Records at the 100,000-customer demo scale (`CRM_BENCH_CUSTOMERS` to change it):
//! bulk import, single create, get by id, list pages deep in a large list, deals.moveStage.
//!
//! cargo bench -p crm-benches --bench records

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_benches::{bench_customer, demo_copy, scale};
use crm_core::customers::CustomerFilter;
use crm_core::deals::{DealFilter, DealStatus, MoveStage};
use crm_core::ids::{CustomerId, UserId};
use std::hint::black_box;

const ADMIN: UserId = UserId(1);
/// Records per bulk-import batch.
const BULK: usize = 10_000;

fn bulk_import(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(ADMIN)).unwrap();
    let mut next = 0usize;
    let mut group = c.benchmark_group(format!("records@{customers}"));
    group.throughput(Throughput::Elements(BULK as u64));
    group.sample_size(10);
    group.bench_function("bulk import 10k customers (one batch, audit + feed)", |b| {
        b.iter(|| {
            scope
                .batch(|batch| {
                    for _ in 0..BULK {
                        next += 1;
                        batch.create_customer(bench_customer(next))?;
                    }
                    Ok(())
                })
                .unwrap();
        });
    });
    group.finish();
}

fn records(c: &mut Criterion) {
    let customers = scale();
    // A fresh copy: the bulk benchmark's write-ahead log must not burden these.
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(ADMIN)).unwrap();
    let mut next = 1_000_000usize;
    let mut group = c.benchmark_group(format!("records@{customers}"));
    group.throughput(Throughput::Elements(1));
    group.sample_size(50);
    group.bench_function("single create (own transaction, audit + feed)", |b| {
        b.iter(|| {
            next += 1;
            black_box(scope.customers().create(bench_customer(next)).unwrap());
        });
    });

    group.sample_size(100);
    let mut stride = 0i64;
    let total = customers as i64;
    group.bench_function("get customer by id", |b| {
        b.iter(|| {
            // A stride through the table, so pages are not all hot.
            stride = (stride + 7_919) % total;
            black_box(scope.customers().get(CustomerId(stride + 1)).unwrap());
        });
    });

    let first = CustomerFilter {
        limit: Some(50),
        ..Default::default()
    };
    group.bench_function("customers page of 50: first", |b| {
        b.iter(|| black_box(scope.customers().list(&first).unwrap()));
    });
    let mut deep = first.clone();
    for _ in 0..999 {
        deep.cursor = scope.customers().list(&deep).unwrap().next_cursor;
    }
    group.bench_function("customers page of 50: 1,000th", |b| {
        b.iter(|| black_box(scope.customers().list(&deep).unwrap()));
    });
    let mut deep_won = DealFilter {
        status: Some(DealStatus::Won),
        limit: Some(50),
        ..Default::default()
    };
    for _ in 0..(customers / 50_000).max(1) * 40 {
        match scope.deals().list(&deep_won).unwrap().next_cursor {
            Some(c) => deep_won.cursor = Some(c),
            None => break,
        }
    }
    group.bench_function("won deals page of 50 (filtered), deep", |b| {
        b.iter(|| black_box(scope.deals().list(&deep_won).unwrap()));
    });

    let open = scope
        .deals()
        .list(&DealFilter {
            status: Some(DealStatus::Open),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    let deal = open.items[0].clone();
    let stages = scope.pipelines().get(deal.pipeline_id).unwrap().stages;
    let open_stages: Vec<_> = stages
        .iter()
        .filter(|s| s.kind == crm_core::deals::StageKind::Open)
        .map(|s| s.id)
        .collect();
    // Back and forth between two open stages: each move is a real change.
    let (there, back) = (open_stages[0], open_stages[1]);
    let mut current = deal.stage_id;
    group.bench_function("deals.moveStage (history + activity + audit)", |bench| {
        bench.iter(|| {
            let to = if current == there { back } else { there };
            black_box(
                scope
                    .deals()
                    .move_stage(MoveStage {
                        deal_id: deal.id,
                        stage_id: to,
                        at: None,
                    })
                    .unwrap(),
            );
            current = to;
        });
    });
    group.finish();
}

criterion_group!(benches, bulk_import, records);
criterion_main!(benches);
