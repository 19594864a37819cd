//! Deals as a board, at 100,000 deals in one pipeline of six stages (`CRM_BENCH_DEALS` to
//! change it): `deals.board` with 20 cards a column (its counts and totals over every deal),
//! the same with a `where`, a page of one column deep in it, and a card's move.
//! p99s are printed and written to `target/criterion/board-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench board

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{percentiles, write_report};
use crm_core::Crm;
use crm_core::deals::board::{BoardRequest, ColumnRequest};
use crm_core::deals::{MoveStage, NewDeal, NewPipeline};
use crm_core::ids::{DealId, StageId, UserId};
use crm_core::tenancy::{NewAdmin, NewTenant, NewUser, Role};
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
    let crm = Crm::open(dir.path().join("board.db")).unwrap();
    let admin = crm
        .create_tenant(NewTenant {
            tenant_id: "bench".into(),
            name: "Bench".into(),
            default_region: None,
            admin: NewAdmin {
                name: "Ada".into(),
                email: "ada@bench.test".into(),
            },
        })
        .unwrap()
        .admin
        .id;
    let scope = crm.scope("bench", Some(admin)).unwrap();
    let (pipeline, reps) = scope
        .batch(|b| {
            let reps = (0..7)
                .map(|i| {
                    b.create_user(NewUser {
                        external_id: None,
                        name: format!("Rep {i}"),
                        email: format!("rep{i}@bench.test"),
                        role: Role::Agent,
                        team_ids: vec![],
                    })
                    .map(|u| u.id)
                })
                .collect::<crm_core::Result<Vec<UserId>>>()?;
            let pipeline = b.create_pipeline(
                serde_json::from_value::<NewPipeline>(json!({"name": "Sales", "stages": [
                    {"name": "Lead", "probability": 10, "kind": "open"},
                    {"name": "Qualified", "probability": 30, "kind": "open"},
                    {"name": "Proposal", "probability": 60, "kind": "open"},
                    {"name": "Negotiation", "probability": 80, "kind": "open"},
                    {"name": "Won", "probability": 100, "kind": "won"},
                    {"name": "Lost", "probability": 0, "kind": "lost"}]}))
                .unwrap(),
            )?;
            Ok((pipeline, reps))
        })
        .unwrap();
    let stages: Vec<StageId> = pipeline.stages.iter().map(|s| s.id).collect();
    let started = std::time::Instant::now();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for chunk in 0..n.div_ceil(10_000) {
        scope
            .batch(|b| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b.create_deal(NewDeal {
                        external_id: None,
                        pipeline_id: pipeline.id,
                        stage_id: Some(stages[(x % 6) as usize]),
                        customer_id: None,
                        lead_id: None,
                        title: format!("Deal {i}"),
                        value: ((x >> 8) % 5_000_000) as i64,
                        currency: ["USD", "EUR", "GBP"][((x >> 40) % 3) as usize].into(),
                        owner_id: Some(reps[((x >> 32) % 7) as usize]),
                        expected_close_at: None,
                        created_at: None,
                    })?;
                }
                Ok(())
            })
            .unwrap();
    }
    eprintln!("{n} deals made in {:.1?}", started.elapsed());

    let mut group = c.benchmark_group(format!("board@{n}"));
    group.sample_size(30);
    let mut report = Vec::new();
    let whole = BoardRequest {
        pipeline_id: pipeline.id,
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
                pipeline_id: pipeline.id,
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
        pipeline_id: pipeline.id,
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
