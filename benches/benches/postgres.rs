//! PostgreSQL beside SQLite, in the same run, at the 100,000-customer demo scale
//! (`CRM_BENCH_CUSTOMERS` to change it): a single create with its audit and feed entries, a
//! customers page of 50 first and 1,000 pages deep, a segment's count, and creates from four
//! threads into four tenants against one thread into one. The demo file is
//! copied into PostgreSQL once (`crm migrate-to`'s copy) and kept as a template database; each
//! run works on a fresh database made from it.
//!
//! Needs a server whose user may create databases; without `CRM_BENCH_POSTGRES` it measures
//! nothing and says so:
//!
//! ```text
//! CRM_BENCH_POSTGRES=postgresql://postgres@127.0.0.1:55433/postgres cargo bench -p crm-benches --bench postgres
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_benches::{bench_customer, demo_copy, scale};
use crm_core::Crm;
use crm_core::customers::CustomerFilter;
use crm_core::ids::UserId;
use crm_core::segments::{ParseRequest, PreviewRequest};
use crm_core::store::postgres::{Client, NoTls};
use crm_core::tenancy::{NewAdmin, NewTenant};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const NESTED: &str = "churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])";

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let server = match base.split_once("://").map(|(_, rest)| rest.contains('/')) {
        Some(true) => base.rsplit_once('/').map_or(base, |(s, _)| s),
        _ => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// A fresh database holding the demo at `customers` scale: made from a template database,
/// which is copied from `file` (the SQLite demo, untouched yet) the first time.
fn server_copy(url: &str, customers: usize, file: &Crm) -> Crm {
    let mut admin = Client::connect(url, NoTls).expect("CRM_BENCH_POSTGRES accepts connections");
    let template = format!("crm_bench_demo_{customers}_v9");
    let exists = !admin
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .unwrap()
        .is_empty();
    if !exists {
        eprintln!("copying the {customers}-customer demo into PostgreSQL (once) …");
        let building = format!("{template}_building");
        // One statement per call: these cannot run inside a transaction block.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .unwrap();
        {
            let server = Crm::open(with_database(url, &building)).unwrap();
            let report = file.copy_to(&server, |_, _| {}).unwrap();
            eprintln!("copied {} rows", report.rows());
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .unwrap();
    }
    admin
        .batch_execute("DROP DATABASE IF EXISTS crm_bench_run")
        .unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE crm_bench_run TEMPLATE {template}"
        ))
        .unwrap();
    let run = with_database(url, "crm_bench_run");
    Client::connect(&run, NoTls)
        .unwrap()
        .batch_execute("VACUUM ANALYZE")
        .unwrap();
    Crm::open(run).unwrap()
}

/// The demo at the benchmarks' scale in both engines (a SQLite copy in a folder that lives as
/// long as it), or `None` without a server to measure.
fn engines() -> Option<(usize, tempfile::TempDir, Crm, Crm)> {
    let Ok(url) = std::env::var("CRM_BENCH_POSTGRES") else {
        eprintln!("CRM_BENCH_POSTGRES is not set: no PostgreSQL server to measure");
        return None;
    };
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = demo_copy(customers, dir.path());
    let postgres = server_copy(&url, customers, &sqlite);
    Some((customers, dir, sqlite, postgres))
}

fn both(c: &mut Criterion) {
    let Some((customers, _dir, sqlite, postgres)) = engines() else {
        return;
    };
    let mut group = c.benchmark_group(format!("postgres@{customers}"));
    let mut counts = Vec::new();
    for (engine, crm) in [("sqlite", &sqlite), ("postgres", &postgres)] {
        let scope = crm.scope("demo", Some(UserId(1))).unwrap();
        let mut next = 2_000_000usize;
        group.sample_size(50);
        group.bench_function(format!("{engine}: single create (audit + feed)"), |b| {
            b.iter(|| {
                next += 1;
                black_box(scope.customers().create(bench_customer(next)).unwrap());
            });
        });
        group.sample_size(100);
        let first = CustomerFilter {
            limit: Some(50),
            ..Default::default()
        };
        group.bench_function(format!("{engine}: customers page of 50, first"), |b| {
            b.iter(|| black_box(scope.customers().list(&first).unwrap()));
        });
        let mut deep = first.clone();
        for _ in 0..999 {
            deep.cursor = scope.customers().list(&deep).unwrap().next_cursor;
        }
        group.bench_function(format!("{engine}: customers page of 50, 1,000th"), |b| {
            b.iter(|| black_box(scope.customers().list(&deep).unwrap()));
        });
        let s = scope.segments();
        let nested = s
            .parse(&ParseRequest {
                text: NESTED.into(),
            })
            .unwrap()
            .criteria;
        let count = PreviewRequest {
            criteria: nested,
            limit: Some(0),
        };
        counts.push(s.preview(&count).unwrap().count);
        group.sample_size(20);
        group.bench_function(
            format!("{engine}: segment count, 3 nested conditions"),
            |b| {
                b.iter(|| black_box(s.preview(&count).unwrap().count));
            },
        );
    }
    group.finish();
    assert_eq!(
        counts[0], counts[1],
        "both engines count the same customers"
    );
}

/// Tenants the scaling benchmark writes to, one thread each.
const WRITERS: usize = 4;

/// Creates with audit and feed from one thread into one tenant, against `WRITERS` threads
/// each on its own connection (one handle's pool on a server) and its own tenant, on both
/// engines: throughput in creates per second. SQLite has one writer for the whole file, so
/// its threads take turns; a server runs tenants' writers side by side.
fn scaling(c: &mut Criterion) {
    let Some((customers, _dir, sqlite, postgres)) = engines() else {
        return;
    };
    let mut group = c.benchmark_group(format!("postgres@{customers}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(WRITERS as u64));
    for (engine, crm) in [("sqlite", &sqlite), ("postgres", &postgres)] {
        let admins: Vec<(String, UserId)> = (0..WRITERS)
            .map(|t| {
                let key = format!("scale-{t}");
                let admin = crm
                    .create_tenant(NewTenant {
                        tenant_id: key.clone(),
                        name: format!("Scale {t}"),
                        default_region: None,
                        admin: NewAdmin {
                            name: "Admin".into(),
                            email: format!("admin@scale-{t}.test"),
                        },
                    })
                    .unwrap()
                    .admin
                    .id;
                (key, admin)
            })
            .collect();
        let next = AtomicUsize::new(3_000_000);
        group.bench_function(format!("{engine}: creates, 1 connection, 1 tenant"), |b| {
            let (key, admin) = &admins[0];
            let scope = crm.scope(key, Some(*admin)).unwrap();
            b.iter(|| {
                for _ in 0..WRITERS {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    black_box(scope.customers().create(bench_customer(i)).unwrap());
                }
            });
        });
        group.bench_function(
            format!("{engine}: creates, {WRITERS} connections, {WRITERS} tenants"),
            |b| {
                b.iter_custom(|iters| {
                    let started = Instant::now();
                    std::thread::scope(|s| {
                        for (key, admin) in &admins {
                            let next = &next;
                            s.spawn(move || {
                                let scope = crm.scope(key, Some(*admin)).unwrap();
                                for _ in 0..iters {
                                    let i = next.fetch_add(1, Ordering::Relaxed);
                                    black_box(scope.customers().create(bench_customer(i)).unwrap());
                                }
                            });
                        }
                    });
                    started.elapsed()
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, both, scaling);
criterion_main!(benches);
