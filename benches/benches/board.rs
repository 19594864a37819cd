//! Deals as a board, at 100,000 deals in one pipeline of six stages (`CRM_BENCH_DEALS` to
//! change it): `deals.board` with 20 cards a column (its counts and totals over every deal),
//! the same with a `where`, a page of one column deep in it, and a card's move.
//! p99s are printed and written to `target/criterion/board-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench board

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{BoardWorld, board_world, percentiles, write_report};
use crm_core::deals::MoveStage;
use crm_core::deals::board::{BoardRequest, ColumnRequest};
use crm_core::ids::DealId;
use serde_json::json;
use std::hint::black_box;

fn deals() -> usize {
    std::env::var("CRM_BENCH_DEALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

fn board(c: &mut Criterion) {
    let n = deals();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let BoardWorld {
        crm,
        admin,
        pipeline,
        stages,
        reps,
    } = board_world(&dir.path().join("board.db"), n);
    eprintln!("{n} deals made in {:.1?}", started.elapsed());
    let scope = crm.scope("bench", Some(admin)).unwrap();

    let mut group = c.benchmark_group(format!("board@{n}"));
    group.sample_size(30);
    let mut report = Vec::new();
    let whole = BoardRequest {
        pipeline_id: pipeline,
        r#where: None,
        sort: None,
        per_column: Some(20),
    };
    let label = "deals.board, 20 cards a column";
    let mut read = || {
        black_box(scope.deals().board(&whole).unwrap());
    };
    group.bench_function(label, |b| b.iter(&mut read));
    percentiles(&mut report, label, 200, &mut read);

    let owned = BoardRequest {
        r#where: Some(json!({"field": "ownerId", "op": "equals", "value": reps[3]})),
        ..whole.clone()
    };
    let label = "deals.board with a where (one rep's deals), 20 cards a column";
    let mut read = || {
        black_box(scope.deals().board(&owned).unwrap());
    };
    group.bench_function(label, |b| b.iter(&mut read));
    percentiles(&mut report, label, 100, &mut read);

    // A page 100 pages into the first column.
    let mut cursor = None;
    for _ in 0..100 {
        cursor = scope
            .deals()
            .board_column(&ColumnRequest {
                pipeline_id: pipeline,
                stage_id: stages[0],
                r#where: None,
                sort: None,
                limit: Some(20),
                cursor,
            })
            .unwrap()
            .next_cursor;
    }
    let deep = ColumnRequest {
        pipeline_id: pipeline,
        stage_id: stages[0],
        r#where: None,
        sort: None,
        limit: Some(20),
        cursor,
    };
    let label = "deals.boardColumn, 20 cards, the 101st page";
    let mut read = || {
        black_box(scope.deals().board_column(&deep).unwrap());
    };
    group.bench_function(label, |b| b.iter(&mut read));
    percentiles(&mut report, label, 1_000, &mut read);

    // A card's move one stage on and back, as `H`/`L` make it.
    let mut i = 0i64;
    let mut step = || {
        i += 1;
        let id = DealId(1 + (i * 7_919) % n as i64);
        let deal = scope.deals().get(id).unwrap();
        let at = stages.iter().position(|s| *s == deal.stage_id).unwrap();
        let to = stages[if at == 0 { 1 } else { at - 1 }];
        black_box(
            scope
                .deals()
                .move_stage(MoveStage {
                    deal_id: id,
                    stage_id: to,
                    at: None,
                })
                .unwrap(),
        );
    };
    let label = "deals.moveStage of a card (get, move)";
    group.bench_function(label, |b| b.iter(&mut step));
    percentiles(&mut report, label, 1_000, &mut step);
    group.finish();
    write_report("board-percentiles.txt", &report);
}

criterion_group!(benches, board);
criterion_main!(benches);
