use crate::client::screens::builder::Builder;
use crate::client::screens::segments::Segments;
use crate::client::screens::why::Why;
use crate::client::testing::*;
use crm_core::segments::{NewSegment, PreviewRequest};
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

/// Saves `criteria` as segment `name` through crm-core.
fn saved(h: &Harness, name: &str, criteria: serde_json::Value) {
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .segments()
        .create(NewSegment {
            name: name.into(),
            criteria,
            description: None,
        })
        .unwrap();
}

fn count(h: &Harness, criteria: serde_json::Value) -> u64 {
    h.crm
        .scope("demo", None)
        .unwrap()
        .segments()
        .preview(&PreviewRequest {
            criteria,
            limit: Some(0),
        })
        .unwrap()
        .count
}

#[test]
fn a_segment_is_built_with_keys_counted_live_and_saved() {
    let mut h = Harness::new(demo_crm(60));
    h.key(KeyCode::Char('6'));
    assert!(h.screen().contains("No segments yet"));
    h.key(KeyCode::Char('n'));
    settle(&mut h);
    assert!(h.screen().contains("60 customers"), "{}", h.screen());
    // a, type to find the field, Enter; the operator list is the field's type's; a value.
    h.key(KeyCode::Char('a'));
    type_text(&mut h, "churn");
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("equals") && h.screen().contains("between"));
    for _ in 0..4 {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    type_text(&mut h, "7x");
    assert!(h.screen().contains("a whole number"), "checked as you type");
    h.key(KeyCode::Enter);
    assert!(
        h.screen().contains("value 7x"),
        "Enter waits for a valid value"
    );
    h.key(KeyCode::Backspace);
    type_text(&mut h, "0");
    h.key(KeyCode::Enter);
    settle(&mut h);
    let want = count(&h, json!({"field": "churnRisk", "op": "gte", "value": 70}));
    let b = h.app.find::<Builder>().unwrap();
    assert_eq!(
        b.tree.to_json().unwrap(),
        json!({"all": [{"field": "churnRisk", "op": "gte", "value": 70}]})
    );
    assert_eq!(b.preview.as_ref().unwrap().as_ref().unwrap().count, want);
    assert!(
        h.screen().contains("text all(churnRisk >= 70)"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('s'));
    type_text(&mut h, "Risky");
    h.key(KeyCode::Enter);
    assert!(
        h.app.find::<Builder>().is_none(),
        "saving closes the builder"
    );
    let screen = h.screen();
    assert!(screen.contains("Risky"), "{screen}");
    assert!(
        screen.contains(&format!("Risky              {want}")),
        "{screen}"
    );
}

#[test]
fn members_why_edit_and_a_delete_that_asks_first() {
    let mut h = Harness::new(demo_crm(40));
    saved(
        &h,
        "Calm",
        json!({"field": "churnRisk", "op": "lte", "value": 30}),
    );
    h.key(KeyCode::Char('6'));
    h.key(KeyCode::Enter);
    h.key(KeyCode::Down);
    h.key(KeyCode::Char('w'));
    let why = h.app.find::<Why>().unwrap();
    let e = why.result.as_ref().unwrap().as_ref().unwrap();
    assert!(e.member, "a member is in, and the screen says why");
    assert!(
        h.screen().contains("churnRisk lte 30   saw"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Esc);
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('e'));
    assert!(h.screen().contains("Segment · Calm"));
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('d'));
    h.key(KeyCode::Char('n'));
    assert!(h.screen().contains("Calm"), "n keeps it");
    h.key(KeyCode::Char('d'));
    h.key(KeyCode::Char('y'));
    assert!(h.screen().contains("No segments yet"), "{}", h.screen());
    assert!(h.app.notice.as_deref().unwrap().contains("deleted"));
}

#[test]
fn snapshot_segments() {
    let mut h = Harness::new(demo_crm(40));
    saved(
        &h,
        "Calm",
        json!({"field": "churnRisk", "op": "lte", "value": 30}),
    );
    saved(
        &h,
        "Open tickets",
        json!({"field": "ticket.status", "op": "equals", "value": "open"}),
    );
    h.key(KeyCode::Char('6'));
    assert_screens!(h);
}

fn with_segments() -> Arc<crm_core::Crm> {
    let h = Harness::new(demo_crm(30));
    saved(
        &h,
        "Calm",
        json!({"field": "churnRisk", "op": "lte", "value": 30}),
    );
    saved(
        &h,
        "Risky",
        json!({"field": "churnRisk", "op": "gte", "value": 50}),
    );
    saved(&h, "Any", json!({"all": []}));
    h.crm
}

#[test]
fn every_listed_key_of_the_segments_acts_and_no_other() {
    let crm = with_segments();
    let down: &[KeyCode] = &[KeyCode::Down];
    check_bindings(
        &crm,
        |h| {
            h.key(KeyCode::Char('6'));
            assert!(h.app.find::<Segments>().is_some());
        },
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    check_bindings(
        &crm,
        |h| {
            h.keys(&[KeyCode::Char('6'), KeyCode::Enter]);
        },
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    check_bindings(
        &crm,
        |h| h.keys(&[KeyCode::Char('6'), KeyCode::Char('d')]),
        &[],
    );
}

#[test]
fn every_listed_key_of_why_acts_and_no_other() {
    let crm = with_segments();
    check_bindings(
        &crm,
        |h| h.keys(&[KeyCode::Char('6'), KeyCode::Enter, KeyCode::Char('w')]),
        &[],
    );
}
