//! A fixed workload on a copy of the 100,000-customer demo, one part at a time, for counting
//! instructions under callgrind: the same binary on the same data executes the same
//! instructions whatever else the machine is doing, so two commits compare exactly where the
//! criterion benches (wall-clock time) vary by a third from run to run on this machine.
//!
//! ```sh
//! cargo build --release -p crm-benches --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instructions lists     # "Collected : N" is the count
//! ```
//!
//! Parts: `open` (opening the copy only: subtract it from the others), `lists`, `get`,
//! `timeline`, `segments`, `analytics`, `writes`.

use crm_benches::demo_copy;
use crm_core::ids::{CustomerId, DealId, UserId};
use crm_core::timeline::{TimelineOwner, TimelineQuery};
use serde_json::json;
use std::hint::black_box;

/// A request as its JSON reads.
macro_rules! request {
    ($json:expr) => {
        serde_json::from_value($json).expect("a valid request")
    };
}

fn main() {
    let part = std::env::args().nth(1).unwrap_or_else(|| "open".into());
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(100_000, dir.path());
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    match part.as_str() {
        "open" => {}
        "lists" => {
            for _ in 0..100 {
                black_box(scope.customers().list(&request!(json!({}))).unwrap());
                black_box(
                    scope
                        .customers()
                        .list(&request!(json!({
                            "where": {"field": "name", "op": "contains", "value": "an"},
                            "sort": {"field": "name", "direction": "asc"}
                        })))
                        .unwrap(),
                );
                black_box(
                    scope
                        .deals()
                        .list(&request!(json!({
                            "where": {"field": "status", "op": "equals", "value": "won"}
                        })))
                        .unwrap(),
                );
                black_box(
                    scope
                        .tickets()
                        .list(&request!(json!({
                            "sort": {"field": "priority", "direction": "desc"}
                        })))
                        .unwrap(),
                );
            }
        }
        "get" => {
            for id in 1..=1_000 {
                black_box(scope.customers().get(CustomerId(id * 97)).unwrap());
            }
        }
        "timeline" => {
            for id in 1..=200 {
                let query = TimelineQuery::of(TimelineOwner::Customer, id * 97);
                black_box(scope.timeline().get(&query).unwrap());
            }
        }
        "segments" => {
            let criteria = json!({"all": [
                {"field": "churnRisk", "op": "gte", "value": 70},
                {"any": [
                    {"field": "ticket.count", "op": "gte", "value": 3, "withinDays": 30},
                    {"not": {"field": "tags", "op": "in", "value": ["vip"]}}
                ]}
            ]});
            for _ in 0..5 {
                black_box(
                    scope
                        .segments()
                        .preview(&request!(json!({"criteria": criteria, "limit": 20})))
                        .unwrap(),
                );
            }
        }
        "analytics" => {
            for _ in 0..5 {
                black_box(
                    scope
                        .analytics()
                        .funnel(&request!(json!({"pipelineId": 1})))
                        .unwrap(),
                );
                black_box(
                    scope
                        .analytics()
                        .rep_performance(&request!(json!({
                            "timeframe": "quarter", "at": "2026-06-15T00:00:00Z"
                        })))
                        .unwrap(),
                );
            }
        }
        "writes" => {
            for i in 0..300 {
                black_box(
                    scope
                        .customers()
                        .create(request!(json!({
                            "name": format!("Instruction {i}"),
                            "email": format!("instruction{i}@example.com"),
                            "phone": "+1 415 555 0100",
                            "tags": ["vip"]
                        })))
                        .unwrap(),
                );
            }
            for id in 1..=100 {
                let deal = scope.deals().get(DealId(id * 7)).unwrap();
                let stages = scope.pipelines().get(deal.pipeline_id).unwrap().stages;
                let to = stages
                    .iter()
                    .find(|s| s.id != deal.stage_id)
                    .map(|s| s.id)
                    .unwrap();
                black_box(
                    scope
                        .deals()
                        .move_stage(request!(json!({"dealId": deal.id, "stageId": to})))
                        .unwrap(),
                );
            }
        }
        other => panic!("unknown part {other:?}"),
    }
}
