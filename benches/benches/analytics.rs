//! Analytics, two designs side by side: the daily sums kept from the change feed (what the API
//! answers from) and the same answers computed from the deals and their stage histories at read
//! time. At the 100,000-customer demo (`CRM_BENCH_CUSTOMERS` to change it): the funnel of the
//! main pipeline (all time, and a cohort with part-days at both ends), rep performance for a
//! quarter; a deal written, with and without the next answer catching up. At 1,000,000 deals
//! with 5,000,000 stage changes: the funnel and rep performance. p99s are printed and written to
//! `target/criterion/analytics-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench analytics

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{cache_path, demo_copy, percentiles, scale, write_report};
use crm_core::analytics::{FunnelRequest, RepRequest, Timeframe};
use crm_core::deals::{MoveStage, NewDeal};
use crm_core::ids::{DealId, PipelineId, UserId};
use crm_core::time::Timestamp;
use serde_json::json;
use std::hint::black_box;

const DAY: i64 = 86_400_000;

fn ts(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap()
}

/// The funnel of pipeline 1 over all time, over a year whose ends fall inside days, and rep
/// performance for the quarter holding `days_ago` days ago.
fn requests(days_ago: i64) -> (FunnelRequest, FunnelRequest, RepRequest) {
    let now = crm_core::time::now().timestamp_millis();
    let funnel = |from: Option<i64>, to: Option<i64>| FunnelRequest {
        pipeline_id: PipelineId(1),
        from: from.map(ts),
        to: to.map(ts),
    };
    (
        funnel(None, None),
        funnel(
            Some(now - 365 * DAY + 13 * 3_600_000),
            Some(now - 7 * DAY + 5 * 3_600_000),
        ),
        RepRequest {
            timeframe: Timeframe::Quarter,
            at: Some(ts(now - days_ago * DAY)),
            pipeline_id: None,
            team_id: None,
        },
    )
}

fn demo(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    let a = scope.analytics();
    let (all, cohort, quarter) = requests(90);
    let funnel = a.funnel(&all).unwrap();
    assert_eq!(
        funnel,
        a.funnel_from_deals(&all).unwrap(),
        "both designs agree"
    );
    assert_eq!(
        a.funnel(&cohort).unwrap(),
        a.funnel_from_deals(&cohort).unwrap()
    );
    assert_eq!(
        a.rep_performance(&quarter).unwrap(),
        a.rep_performance_from_deals(&quarter, crm_core::time::now())
            .unwrap()
    );
    eprintln!(
        "funnel of pipeline 1: {} deals; a year's cohort: {}",
        funnel.deals,
        a.funnel(&cohort).unwrap().deals
    );

    let mut report = Vec::new();
    let mut group = c.benchmark_group(format!("analytics@{customers}"));
    group.bench_function("funnel, all time: daily sums", |b| {
        b.iter(|| black_box(a.funnel(&all).unwrap()));
    });
    group.bench_function("funnel, all time: from the deals", |b| {
        b.iter(|| black_box(a.funnel_from_deals(&all).unwrap()));
    });
    group.bench_function("funnel, a year with part-days: daily sums", |b| {
        b.iter(|| black_box(a.funnel(&cohort).unwrap()));
    });
    group.bench_function("funnel, a year with part-days: from the deals", |b| {
        b.iter(|| black_box(a.funnel_from_deals(&cohort).unwrap()));
    });
    group.bench_function(
        "rep performance, a quarter and the one before: daily sums",
        |b| {
            b.iter(|| black_box(a.rep_performance(&quarter).unwrap()));
        },
    );
    group.bench_function(
        "rep performance, a quarter and the one before: from the deals",
        |b| {
            b.iter(|| {
                black_box(
                    a.rep_performance_from_deals(&quarter, crm_core::time::now())
                        .unwrap(),
                )
            });
        },
    );
    percentiles(&mut report, "funnel, all time, daily sums", 300, || {
        black_box(a.funnel(&all).unwrap());
    });
    percentiles(&mut report, "funnel, all time, from the deals", 50, || {
        black_box(a.funnel_from_deals(&all).unwrap());
    });
    percentiles(
        &mut report,
        "funnel, a year with part-days, daily sums",
        300,
        || {
            black_box(a.funnel(&cohort).unwrap());
        },
    );
    percentiles(
        &mut report,
        "rep performance, quarter, daily sums",
        300,
        || {
            black_box(a.rep_performance(&quarter).unwrap());
        },
    );
    percentiles(
        &mut report,
        "rep performance, quarter, from the deals",
        100,
        || {
            black_box(
                a.rep_performance_from_deals(&quarter, crm_core::time::now())
                    .unwrap(),
            );
        },
    );

    // Writes: the sums are not touched by a write (they catch up on the next answer), so a
    // write costs what it did; the cost moves to the next answer, measured here as well.
    let mut n = 0_i64;
    let mut new_deal = || {
        n += 1;
        NewDeal {
            external_id: None,
            pipeline_id: PipelineId(1),
            stage_id: None,
            customer_id: None,
            lead_id: None,
            title: format!("Bench deal {n}"),
            value: 10_000,
            currency: "USD".into(),
            owner_id: Some(UserId(2)),
            expected_close_at: None,
            created_at: None,
            closed_at: None,
        }
    };
    let stages: Vec<_> = scope
        .pipelines()
        .get(PipelineId(1))
        .unwrap()
        .stages
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut moved: Vec<DealId> = Vec::new();
    group.bench_function("deals.create", |b| {
        b.iter(|| moved.push(black_box(scope.deals().create(new_deal()).unwrap()).id));
    });
    let mut step = 0usize;
    group.bench_function("deals.moveStage", |b| {
        b.iter(|| {
            step += 1;
            let deal = moved[step % moved.len()];
            let current = scope.deals().get(deal).unwrap().stage_id;
            let to = stages.iter().copied().find(|s| *s != current).unwrap();
            black_box(
                scope
                    .deals()
                    .move_stage(MoveStage {
                        deal_id: deal,
                        stage_id: to,
                        at: None,
                    })
                    .unwrap(),
            )
        });
    });
    a.catch_up().unwrap();
    group.bench_function(
        "deals.create, then the funnel answered (catching up)",
        |b| {
            b.iter(|| {
                black_box(scope.deals().create(new_deal()).unwrap());
                black_box(a.funnel(&all).unwrap())
            });
        },
    );
    percentiles(&mut report, "deals.create", 300, || {
        black_box(scope.deals().create(new_deal()).unwrap());
    });
    a.catch_up().unwrap();
    percentiles(
        &mut report,
        "deals.create, then the funnel answered",
        300,
        || {
            black_box(scope.deals().create(new_deal()).unwrap());
            black_box(a.funnel(&all).unwrap());
        },
    );
    assert!(a.verify().unwrap().consistent());
    // What analytics added to a deal's write: one index entry (deals by pipeline and creation
    // time, for a cohort's part-days). The same creates without it, as before migration V7.
    crm_core::store::raw_connection(&dir.path().join("bench.db"))
        .unwrap()
        .execute_batch("DROP INDEX deals_pipeline_created")
        .unwrap();
    group.bench_function(
        "deals.create without the V7 index (as before analytics)",
        |b| {
            b.iter(|| black_box(scope.deals().create(new_deal()).unwrap()));
        },
    );
    group.finish();
    write_report("analytics-percentiles.txt", &report);
}

/// A cheap, fixed scramble of `i`.
fn mix(i: i64, salt: i64) -> i64 {
    (i.wrapping_mul(2_654_435_761)
        .wrapping_add(salt.wrapping_mul(40_503))
        >> 7)
        .rem_euclid(1 << 24)
}

/// 1,000,000 deals of one pipeline, each with five stage changes, written straight into the
/// tables the reports read (the batch API would also write 5,000,000 audit entries, feed
/// entries and activities, about 10 GB, which no report reads); kept under
/// `target/bench-data/` between runs.
fn million_database() -> std::path::PathBuf {
    const DEALS: i64 = 1_000_000;
    let path = cache_path("analytics-1000000-v7.db");
    if path.exists() {
        return path;
    }
    let building = path.with_extension("building");
    let _ = std::fs::remove_file(&building);
    let started = std::time::Instant::now();
    let crm = crm_core::Crm::open(&building).unwrap();
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
    let owners: Vec<i64> = (0..20)
        .map(|i| {
            scope.users().create(serde_json::from_value(json!({
                "name": format!("Rep {i:02}"), "email": format!("rep{i}@big.test"), "role": "agent"
            })).unwrap()).unwrap().id.0
        })
        .collect();
    let pipeline = scope
        .pipelines()
        .create(
            serde_json::from_value(json!({"name": "Sales", "stages": [
                {"name": "Lead", "probability": 10, "kind": "open"},
                {"name": "Qualified", "probability": 30, "kind": "open"},
                {"name": "Proposal", "probability": 60, "kind": "open"},
                {"name": "Negotiation", "probability": 80, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"},
                {"name": "Lost", "probability": 0, "kind": "lost"}
            ]}))
            .unwrap(),
        )
        .unwrap();
    let s: Vec<i64> = pipeline.stages.iter().map(|s| s.id.0).collect();
    drop(scope);
    drop(crm);
    let now = crm_core::time::now().timestamp_millis();
    let start = now - 3 * 365 * DAY;
    let mut conn = crm_core::store::raw_connection(&building).unwrap();
    let mut history_id = 0_i64;
    for chunk in 0..DEALS / 100_000 {
        let tx = conn.transaction().unwrap();
        // A deal's history is written before the deal (its last stage is known only then).
        tx.execute_batch("PRAGMA defer_foreign_keys = ON").unwrap();
        {
            let mut deal = tx.prepare(
                "INSERT INTO deals (tenant_id, id, pipeline_id, stage_id, title, value, currency, owner_id,
                                    status, closed_at, created_at, updated_at)
                 VALUES (1, ?1, ?2, ?3, 'Deal', ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            ).unwrap();
            let mut history = tx.prepare(
                "INSERT INTO deal_stage_history (tenant_id, id, deal_id, from_stage_id, to_stage_id, at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            ).unwrap();
            for id in chunk * 100_000 + 1..=(chunk + 1) * 100_000 {
                // Five changes each: forward and back, won, lost, skipped and reopened.
                let path: [usize; 5] = match mix(id, 1) % 100 {
                    0..25 => [0, 1, 2, 1, 2],
                    25..60 => [0, 1, 2, 3, 4],
                    60..85 => [0, 1, 2, 3, 5],
                    85..95 => [0, 2, 3, 4, 3],
                    _ => [0, 1, 5, 1, 5],
                };
                let created = start + mix(id, 2) % (3 * 365 - 120) * DAY + mix(id, 3) % DAY;
                let mut at = created;
                let mut from: Option<i64> = None;
                // As deals.moveStage stamps it: closing sets it, reopening clears it.
                let mut closed: Option<i64> = None;
                for (k, &stage) in path.iter().enumerate() {
                    if k > 0 {
                        at += (1 + mix(id, 4 + k as i64) % 20) * DAY / 2;
                    }
                    history_id += 1;
                    history
                        .execute(rusqlite::params![history_id, id, from, s[stage], at])
                        .unwrap();
                    from = Some(s[stage]);
                    closed = match stage {
                        4 | 5 if k > 0 && path[k - 1] == stage => closed,
                        4 | 5 => Some(at),
                        _ => None,
                    };
                }
                let last = path[4];
                let status = match last {
                    4 => "won",
                    5 => "lost",
                    _ => "open",
                };
                let currency = if mix(id, 10) % 10 == 0 { "EUR" } else { "USD" };
                deal.execute(rusqlite::params![
                    id,
                    pipeline.id.0,
                    s[last],
                    mix(id, 9) % 100_000 * 100,
                    currency,
                    owners[(mix(id, 11) % 20) as usize],
                    status,
                    closed,
                    created
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    // Ids handed out, so the API would carry on after them.
    conn.execute_batch(&format!(
        "INSERT OR REPLACE INTO id_sequences (tenant_id, kind, last_id) VALUES
           (1, 'deals', {DEALS}), (1, 'deal_stage_history', {history_id})"
    ))
    .unwrap();
    drop(conn);
    eprintln!(
        "1,000,000 deals and {history_id} stage changes written in {:.1?}",
        started.elapsed()
    );
    let crm = crm_core::Crm::open(&building).unwrap();
    let built = std::time::Instant::now();
    crm.scope("big", Some(admin))
        .unwrap()
        .analytics()
        .catch_up()
        .unwrap();
    eprintln!("daily sums built from them in {:.1?}", built.elapsed());
    drop(crm);
    let conn = crm_core::store::raw_connection(&building).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    drop(conn);
    std::fs::rename(&building, &path).unwrap();
    path
}

fn million(c: &mut Criterion) {
    let cached = million_database();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("million.db");
    std::fs::copy(&cached, &copy).unwrap();
    let crm = crm_core::Crm::open(&copy).unwrap();
    let admin = crm.first_admin("big").unwrap();
    let scope = crm.scope("big", admin).unwrap();
    let a = scope.analytics();
    let (all, year, quarter) = requests(200);
    let funnel = a.funnel(&all).unwrap();
    eprintln!(
        "funnel at 1,000,000: {} deals, reached {:?}",
        funnel.deals,
        funnel.stages.iter().map(|s| s.reached).collect::<Vec<_>>()
    );
    assert_eq!(
        funnel,
        a.funnel_from_deals(&all).unwrap(),
        "both designs agree"
    );
    assert_eq!(
        a.funnel(&year).unwrap(),
        a.funnel_from_deals(&year).unwrap()
    );
    assert_eq!(
        a.rep_performance(&quarter).unwrap(),
        a.rep_performance_from_deals(&quarter, crm_core::time::now())
            .unwrap()
    );
    let mut report = Vec::new();
    let mut group = c.benchmark_group("analytics@1000000");
    group.sample_size(20);
    group.bench_function("funnel, all time: daily sums", |b| {
        b.iter(|| black_box(a.funnel(&all).unwrap()));
    });
    group.bench_function("funnel, a year with part-days: daily sums", |b| {
        b.iter(|| black_box(a.funnel(&year).unwrap()));
    });
    group.bench_function(
        "rep performance, a quarter and the one before: daily sums",
        |b| {
            b.iter(|| black_box(a.rep_performance(&quarter).unwrap()));
        },
    );
    group.sample_size(10);
    group.bench_function("funnel, all time: from the deals", |b| {
        b.iter(|| black_box(a.funnel_from_deals(&all).unwrap()));
    });
    group.bench_function(
        "rep performance, a quarter and the one before: from the deals",
        |b| {
            b.iter(|| {
                black_box(
                    a.rep_performance_from_deals(&quarter, crm_core::time::now())
                        .unwrap(),
                )
            });
        },
    );
    group.finish();
    percentiles(
        &mut report,
        "funnel at 1,000,000, all time, daily sums",
        200,
        || {
            black_box(a.funnel(&all).unwrap());
        },
    );
    percentiles(
        &mut report,
        "funnel at 1,000,000, a year with part-days, daily sums",
        200,
        || {
            black_box(a.funnel(&year).unwrap());
        },
    );
    percentiles(
        &mut report,
        "rep performance at 1,000,000, quarter, daily sums",
        200,
        || {
            black_box(a.rep_performance(&quarter).unwrap());
        },
    );
    percentiles(
        &mut report,
        "funnel at 1,000,000, all time, from the deals",
        5,
        || {
            black_box(a.funnel_from_deals(&all).unwrap());
        },
    );
    percentiles(
        &mut report,
        "rep performance at 1,000,000, quarter, from the deals",
        10,
        || {
            black_box(
                a.rep_performance_from_deals(&quarter, crm_core::time::now())
                    .unwrap(),
            );
        },
    );
    write_report("analytics-million-percentiles.txt", &report);
}

criterion_group!(benches, demo, million);
criterion_main!(benches);
