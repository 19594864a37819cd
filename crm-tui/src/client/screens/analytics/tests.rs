use crate::client::app::Msg;
use crate::client::screens::analytics::Analytics;
use crate::client::testing::*;
use crm_core::analytics::FunnelRequest;
use crm_core::ids::PipelineId;
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

/// A demo client whose clock stands in October 2026 (the demo's data ends on 1 November).
fn client(customers: usize) -> Harness {
    let mut h = Harness::new(demo_crm(customers));
    h.app.now = "2026-10-20T12:00:00Z".parse().unwrap();
    h
}

fn funnel(h: &Harness, pipeline: i64) -> crm_core::analytics::Funnel {
    h.crm
        .scope("demo", None)
        .unwrap()
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: PipelineId(pipeline),
            from: None,
            to: None,
        })
        .unwrap()
}

#[test]
fn the_funnel_reps_and_chart_show_what_the_engine_counts() {
    let mut h = client(300);
    h.key(KeyCode::Char('7'));
    let screen = h.screen();
    let f = funnel(&h, 1);
    assert!(screen.contains("Analytics · New business"), "{screen}");
    assert!(
        screen.contains(&format!(
            "{} deals: {} won, {} lost, {} open",
            f.deals, f.won, f.lost, f.open
        )),
        "{screen}"
    );
    let first = &f.stages[0];
    assert!(
        screen.contains(&format!("{:<16} {:>7}", first.name, first.reached)),
        "{screen}"
    );
    assert!(
        screen.contains("Reps · quarter 2026-10-01 – 2026-12-31"),
        "{screen}"
    );
    assert!(screen.contains("Won value per quarter, USD"), "{screen}");
    assert!(
        screen.contains("Q4 26"),
        "the current quarter is the last bar: {screen}"
    );

    // Months, the one before, and back; weeks.
    h.key(KeyCode::Char('m'));
    assert!(
        h.screen().contains("Reps · month 2026-10-01 – 2026-10-31"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('['));
    assert!(
        h.screen().contains("Reps · month 2026-09-01 – 2026-09-30"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char(']'));
    h.key(KeyCode::Char(']'));
    assert!(
        h.screen().contains("Reps · month 2026-11-01 – 2026-11-30"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('w'));
    assert!(
        h.screen().contains("Reps · week 2026-10-26 – 2026-11-01"),
        "{}",
        h.screen()
    );
    assert!(h.screen().contains("Deals won per week") || h.screen().contains("Won value per week"));
    h.key(KeyCode::Char('v'));
    assert!(
        h.screen().contains("Deals won per week (v: won value)"),
        "{}",
        h.screen()
    );
}

#[test]
fn reps_sort_by_any_column_and_either_way() {
    let mut h = client(300);
    h.app.now = "2026-08-15T00:00:00Z".parse().unwrap();
    h.key(KeyCode::Char('7'));
    let names = |h: &Harness| -> Vec<String> {
        let screen = h.screen();
        let reps = h
            .app
            .find::<Analytics>()
            .unwrap()
            .reps
            .clone()
            .unwrap()
            .unwrap()
            .reps;
        let mut found: Vec<(usize, String)> = reps
            .iter()
            .filter_map(|r| {
                // A long name may be cut by its column: its first 14 letters find it.
                let start: String = r.name.chars().take(14).collect();
                screen
                    .find(&format!("│{} ", r.name))
                    .or_else(|| screen.find(&format!("│{start}")))
                    .map(|at| (at, r.name.clone()))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| n).collect()
    };
    let by_value = names(&h);
    assert!(by_value.len() >= 3, "{}", h.screen());
    // ← from won value to win rate … to the rep's name: A to Z.
    for _ in 0..5 {
        h.key(KeyCode::Left);
    }
    assert!(h.screen().contains("Rep ▲"), "{}", h.screen());
    let by_name = names(&h);
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    h.key(KeyCode::Char('r'));
    assert!(h.screen().contains("Rep ▼"));
    let reversed: Vec<String> = by_name.iter().rev().cloned().collect();
    assert_eq!(names(&h), reversed);
    // By win rate, either way: the reps without one (no deal closed, `–`) come last.
    let reps = h
        .app
        .find::<Analytics>()
        .unwrap()
        .reps
        .clone()
        .unwrap()
        .unwrap()
        .reps;
    let without: Vec<String> = reps
        .iter()
        .filter(|r| r.win_rate.is_none())
        .map(|r| r.name.clone())
        .collect();
    assert!(!without.is_empty() && without.len() < reps.len());
    for _ in 0..4 {
        h.key(KeyCode::Right);
    }
    for way in ["▼", "▲"] {
        assert!(
            h.screen().contains(&format!("Win rate {way}")),
            "{}",
            h.screen()
        );
        let order = names(&h);
        let tail = &order[order.len() - without.len()..];
        assert!(
            tail.iter().all(|n| without.contains(n)),
            "{way}: {order:?} {without:?}"
        );
        h.key(KeyCode::Char('r'));
    }
}

#[test]
fn a_pipeline_is_picked_and_an_empty_one_says_so() {
    let mut h = client(60);
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .pipelines()
        .create(
            serde_json::from_value(json!({"name": "Partnerships", "stages": [
                {"name": "Intro", "probability": 20, "kind": "open"},
                {"name": "Signed", "probability": 100, "kind": "won"}
            ]}))
            .unwrap(),
        )
        .unwrap();
    h.key(KeyCode::Char('7'));
    h.key(KeyCode::Char('p'));
    let screen = h.screen();
    assert!(screen.contains("Partnerships (2 stages)"), "{screen}");
    h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
    let screen = h.screen();
    assert!(screen.contains("Analytics · Partnerships"), "{screen}");
    assert!(screen.contains("No deals in this pipeline yet"), "{screen}");
    assert!(
        screen.contains("No deals created or closed in this quarter."),
        "{screen}"
    );
    assert!(screen.contains("Nothing won in these periods."), "{screen}");
}

/// A deal written elsewhere shows up without a key: the screen asks again every few seconds.
#[test]
fn numbers_follow_writes_made_elsewhere() {
    let mut h = client(60);
    h.key(KeyCode::Char('7'));
    let before = funnel(&h, 1).deals;
    assert!(h.screen().contains(&format!("{before} deals:")));
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .deals()
        .create(
            serde_json::from_value(json!({
                "pipelineId": 1, "title": "Walk-in", "value": 100, "currency": "USD"
            }))
            .unwrap(),
        )
        .unwrap();
    for _ in 0..30 {
        let asked = h.app.update(Msg::Tick);
        h.answer(asked);
    }
    assert!(
        h.screen().contains(&format!("{} deals:", before + 1)),
        "{}",
        h.screen()
    );
}

#[test]
fn snapshot_analytics() {
    let mut h = client(300);
    h.key(KeyCode::Char('7'));
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_analytics_acts_and_no_other() {
    let crm = Arc::new(demo_crm(300));
    let open = |h: &mut Harness| {
        h.app.now = "2026-08-15T00:00:00Z".parse().unwrap();
        h.key(KeyCode::Char('7'));
        assert!(h.app.find::<Analytics>().is_some());
    };
    let down: &[KeyCode] = &[KeyCode::Down];
    check_bindings(
        &crm,
        open,
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    check_bindings(
        &crm,
        |h| {
            open(h);
            h.key(KeyCode::Char('p'));
        },
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
}

#[test]
fn analytics_is_a_tab_that_keeps_its_pipeline_period_and_sort() {
    use crate::client::screens::Area;
    let mut h = client(300);
    h.key(KeyCode::Char('7'));
    assert_eq!(h.app.area(), Area::Analytics);
    // Months, the month before, the second pipeline, the reps by another column reversed.
    h.keys(&[
        KeyCode::Char('m'),
        KeyCode::Char('['),
        KeyCode::Char('p'),
        KeyCode::Down,
        KeyCode::Enter,
        KeyCode::Right,
        KeyCode::Char('r'),
    ]);
    let before = h.screen();
    assert!(
        before.contains("Reps · month 2026-09-01 – 2026-09-30"),
        "{before}"
    );
    // Away by number, by Tab and by Esc; back by number, by a click on its tab.
    for leave in [KeyCode::Char('1'), KeyCode::Tab, KeyCode::Esc] {
        h.key(leave);
        assert_ne!(h.app.area(), Area::Analytics);
        h.key(KeyCode::Char('7'));
        assert_eq!(h.app.area(), Area::Analytics);
        assert_eq!(h.screen(), before, "after {leave:?}");
    }
    // The tab bar marks where you are.
    let bar = before.lines().next().unwrap().to_owned();
    assert!(bar.contains("6 Segments │ 7 Analytics"), "{bar}");
}
