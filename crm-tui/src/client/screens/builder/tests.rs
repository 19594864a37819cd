use crate::client::screens::builder::Builder;
use crate::client::testing::*;
use crm_core::segments::NewSegment;
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

/// A database with one saved segment whose tree has groups to move around in.
fn nested() -> Arc<crm_core::Crm> {
    let h = Harness::new(demo_crm(30));
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .segments()
        .create(NewSegment {
            name: "Nested".into(),
            criteria: json!({"all": [
                {"field": "churnRisk", "op": "gte", "value": 10},
                {"any": [
                    {"field": "ticket.status", "op": "equals", "value": "open"},
                    {"field": "tags", "op": "in", "value": ["vip"]}
                ]},
                {"field": "churnRisk", "op": "lte", "value": 90}
            ]}),
            description: None,
        })
        .unwrap();
    h.crm
}

/// The builder on the saved segment, its preview answered.
fn editing(h: &mut Harness) {
    h.keys(&[KeyCode::Char('6'), KeyCode::Char('e')]);
    settle(h);
}

fn json(h: &Harness) -> serde_json::Value {
    h.app.find::<Builder>().unwrap().tree.to_json().unwrap()
}

#[test]
fn groups_switch_indent_outdent_and_remove_with_keys() {
    let mut h = Harness::sharing(nested());
    editing(&mut h);
    // Row 3 is `ticket.status …` inside the `any`; `<` moves it out, after the group.
    h.keys(&[
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Char('<'),
    ]);
    assert_eq!(json(&h)["all"][2]["field"], "ticket.status");
    // `>` moves it back into the group above it.
    h.key(KeyCode::Char('>'));
    assert_eq!(json(&h)["all"][1]["any"][1]["field"], "ticket.status");
    // `t` on a condition switches its group: any → not needs one child, so it says so.
    h.key(KeyCode::Char('t'));
    assert!(h.app.find::<Builder>().unwrap().tree.to_json().is_err());
    settle(&mut h);
    assert!(
        h.screen().contains("`not` group holds one node"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('t'));
    assert!(json(&h)["all"][1]["all"].is_array());
    h.key(KeyCode::Char('x'));
    assert_eq!(json(&h)["all"][1]["all"].as_array().unwrap().len(), 1);
    h.key(KeyCode::Char('g'));
    assert!(
        json(&h)["all"][1]["all"][1]["all"].is_array(),
        "a group added after the cursor"
    );
}

#[test]
fn the_text_form_edits_the_tree_and_points_at_a_fault() {
    let mut h = Harness::sharing(nested());
    editing(&mut h);
    h.key(KeyCode::Char(':'));
    for _ in 0..200 {
        h.key(KeyCode::Backspace);
    }
    type_text(&mut h, "churnRisk >= 50 and nope = 1");
    h.key(KeyCode::Enter);
    assert!(
        h.screen().contains("column 21: unknown field"),
        "{}",
        h.screen()
    );
    for _ in 0.."and nope = 1".len() {
        h.key(KeyCode::Backspace);
    }
    h.key(KeyCode::Enter);
    settle(&mut h);
    assert_eq!(
        json(&h),
        json!({"all": [{"field": "churnRisk", "op": "gte", "value": 50}]})
    );
    // Saving an edited segment updates it in place.
    h.key(KeyCode::Char('s'));
    assert!(h.screen().contains("Nested"), "{}", h.screen());
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .starts_with("saved segment \"Nested\"")
    );
}

#[test]
fn enum_values_are_offered_and_options_follow_a_semicolon() {
    let mut h = Harness::new(demo_crm(20));
    h.keys(&[KeyCode::Char('6'), KeyCode::Char('n'), KeyCode::Char('a')]);
    type_text(&mut h, "ticket.count");
    h.keys(&[KeyCode::Enter, KeyCode::Enter]);
    type_text(&mut h, "1; status: open, withinDays: 30");
    assert!(h.screen().contains("✓ Enter adds it"), "{}", h.screen());
    h.key(KeyCode::Enter);
    assert_eq!(
        json(&h)["all"][0],
        json!({"field": "ticket.count", "op": "equals", "value": 1, "status": "open", "withinDays": 30})
    );
    h.keys(&[KeyCode::Char('a')]);
    type_text(&mut h, "deal.status");
    h.keys(&[KeyCode::Enter, KeyCode::Enter]);
    assert!(
        h.screen().contains("values: open, won, lost"),
        "{}",
        h.screen()
    );
    type_text(&mut h, "wo");
    assert!(h.screen().contains("one of: open, won, lost"));
}

#[test]
fn a_new_segment_is_typed_in_the_text_form_from_scratch() {
    let mut h = Harness::new(demo_crm(20));
    h.keys(&[KeyCode::Char('6'), KeyCode::Char('n')]);
    settle(&mut h);
    h.key(KeyCode::Char(':'));
    type_text(&mut h, "churnRisk >= 50 or tags in [vip]");
    h.key(KeyCode::Enter);
    assert_eq!(
        json(&h),
        json!({"any": [
            {"field": "churnRisk", "op": "gte", "value": 50},
            {"field": "tags", "op": "in", "value": ["vip"]}
        ]})
    );
}

#[test]
fn snapshot_builder() {
    let mut h = Harness::sharing(nested());
    editing(&mut h);
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_builder_acts_and_no_other() {
    let crm = nested();
    let down: &[KeyCode] = &[KeyCode::Down];
    // The tree, the cursor on a condition inside a group.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
        },
        &[],
    );
    // Its members.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.key(KeyCode::Tab);
        },
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    // Picking a field.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.key(KeyCode::Char('a'));
        },
        &[
            (KeyCode::Up, down),
            (KeyCode::Left, down),
            (KeyCode::Backspace, &[KeyCode::Char('c')]),
        ],
    );
    // Picking an operator.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.key(KeyCode::Char('a'));
            h.key(KeyCode::Enter);
        },
        &[(KeyCode::Up, down), (KeyCode::Left, down)],
    );
    // Typing a value: Enter acts once the value is valid.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.keys(&[KeyCode::Char('a'), KeyCode::Enter, KeyCode::Enter]);
        },
        &[
            (KeyCode::Enter, &[KeyCode::Char('5')]),
            (KeyCode::Backspace, &[KeyCode::Char('5')]),
        ],
    );
    // The text form.
    check_bindings(
        &crm,
        |h| {
            editing(h);
            h.key(KeyCode::Char(':'));
        },
        &[],
    );
}

#[test]
fn every_listed_key_of_naming_a_segment_acts_and_no_other() {
    let crm = Arc::new(demo_crm(10));
    let a: &[KeyCode] = &[KeyCode::Char('a')];
    check_bindings(
        &crm,
        |h| {
            h.keys(&[KeyCode::Char('6'), KeyCode::Char('n')]);
            settle(h);
            h.key(KeyCode::Char('s'));
        },
        &[(KeyCode::Enter, a), (KeyCode::Backspace, a)],
    );
}

#[test]
fn leaving_with_unsaved_changes_asks_and_a_tree_that_cannot_run_marks_its_preview_stale() {
    let mut h = Harness::sharing(nested());
    editing(&mut h);
    // Unchanged: Esc closes at once.
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Builder>().is_none());
    editing(&mut h);
    // `t` on the `any` group's condition makes it a `not` of two: it cannot run. The text and
    // the count still show the last tree that could, and say they are stale.
    h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Char('t')]);
    settle(&mut h);
    let screen = h.screen();
    assert!(screen.contains("text stale · "), "{screen}");
    assert!(screen.contains("· stale: of the last criteria"), "{screen}");
    // Esc asks (the change would be lost); any other key forgets the question.
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Builder>().is_some());
    assert!(
        h.screen()
            .contains("unsaved changes: s saves them, Esc again leaves without"),
        "{}",
        h.screen()
    );
    h.keys(&[KeyCode::Char('t'), KeyCode::Esc]);
    assert!(
        h.app.find::<Builder>().is_some(),
        "asked again after another key"
    );
    let screen = h.screen();
    assert!(!screen.contains("stale"), "runnable again: {screen}");
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Builder>().is_none());
    // Nothing was saved.
    let segments = h
        .crm
        .scope("demo", None)
        .unwrap()
        .segments()
        .list(&crm_core::records::PageRequest::default())
        .unwrap();
    assert_eq!(
        segments.items[0].criteria["all"][1]["any"][0]["field"],
        "ticket.status"
    );
}
