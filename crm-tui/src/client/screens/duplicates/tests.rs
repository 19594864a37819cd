use crate::client::testing::*;
use crm_core::customers::NewCustomer;
use crossterm::event::KeyCode;
use std::sync::Arc;

/// A demo with one pair of twins: a customer entered again with the email in capitals and a
/// phone, by hand.
fn with_twins() -> (crm_core::Crm, i64, i64) {
    let crm = demo_crm(20);
    let scope = crm.scope("demo", Some(crm_core::ids::UserId(1))).unwrap();
    let original = scope.customers().get(crm_core::ids::CustomerId(7)).unwrap();
    let twin = scope
        .customers()
        .create(NewCustomer {
            name: original.name.clone(),
            email: original.email.as_ref().map(|e| e.to_uppercase()),
            phone: Some("+1 212 555 0199".into()),
            tags: vec!["from-import".into()],
            // A fixed day: the screen shows it.
            created_at: Some(original.created_at),
            ..NewCustomer::default()
        })
        .unwrap();
    // And someone with the twin's phone written another way: a second group, after it.
    scope
        .customers()
        .create(NewCustomer {
            name: "Switchboard".into(),
            phone: Some("(212) 555-0199".into()),
            created_at: Some(original.created_at),
            ..NewCustomer::default()
        })
        .unwrap();
    (crm, original.id.0, twin.id.0)
}

#[test]
fn twins_are_compared_field_by_field_and_merged_keeping_the_chosen_values() {
    let (crm, original, twin) = with_twins();
    let mut h = Harness::new(crm);
    h.key(KeyCode::Char('M'));
    let screen = h.screen();
    assert!(screen.contains("Duplicate customers"), "{screen}");
    assert!(
        screen.contains(&format!("#{original} survives")),
        "{screen}"
    );
    assert!(screen.contains(&format!("#{twin} merges in")), "{screen}");
    // Into the fields: the phone row, keep the twin's phone.
    h.key(KeyCode::Enter);
    h.keys(&[KeyCode::Down, KeyCode::Down]);
    h.key(KeyCode::Right);
    assert!(h.screen().contains("● +1 212 555 0199"), "{}", h.screen());
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Merge #{twin} into customer #{original}?")),
        "{screen}"
    );
    assert!(screen.contains("Takes phone +1 212 555 0199"), "{screen}");
    h.key(KeyCode::Char('y'));
    let screen = h.screen();
    assert!(
        screen.contains(&format!("merged into customer #{original}")),
        "{screen}"
    );
    // The phone the survivor took still has a twin of its own.
    assert!(screen.contains(" 1 group "), "{screen}");
    assert!(screen.contains("+12125550199"), "{screen}");
    let merged = h
        .crm
        .scope("demo", None)
        .unwrap()
        .customers()
        .get(crm_core::ids::CustomerId(original))
        .unwrap();
    assert_eq!(merged.phone.as_deref(), Some("+1 212 555 0199"));
    assert!(merged.tags.contains(&"from-import".to_owned()));
    let gone = h
        .crm
        .scope("demo", None)
        .unwrap()
        .customers()
        .get(crm_core::ids::CustomerId(twin))
        .unwrap_err();
    assert_eq!(gone.merged_into(), Some(original));
}

#[test]
fn t_makes_the_other_one_survive_and_n_merges_nothing() {
    let (crm, original, twin) = with_twins();
    let mut h = Harness::new(crm);
    h.key(KeyCode::Char('M'));
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('t'));
    assert!(h.screen().contains(&format!("#{twin} survives")));
    h.key(KeyCode::Enter);
    assert!(
        h.screen()
            .contains(&format!("Merge #{original} into customer #{twin}?")),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('n'));
    h.key(KeyCode::Esc);
    h.key(KeyCode::Esc);
    assert!(
        h.crm
            .scope("demo", None)
            .unwrap()
            .customers()
            .get(crm_core::ids::CustomerId(original))
            .is_ok()
    );
}

#[test]
fn snapshot_duplicates() {
    let (crm, _, _) = with_twins();
    let mut h = Harness::new(crm);
    h.key(KeyCode::Char('M'));
    h.key(KeyCode::Enter);
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_duplicates_acts_and_no_other() {
    let (crm, _, _) = with_twins();
    let crm = Arc::new(crm);
    check_bindings(
        &crm,
        |h| h.key(KeyCode::Char('M')),
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('k'), &[KeyCode::Down]),
        ],
    );
    check_bindings(
        &crm,
        |h| {
            h.key(KeyCode::Char('M'));
            h.key(KeyCode::Enter);
        },
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('k'), &[KeyCode::Down]),
        ],
    );
    check_bindings(
        &crm,
        |h| {
            h.key(KeyCode::Char('M'));
            h.key(KeyCode::Enter);
            h.key(KeyCode::Enter);
        },
        &[],
    );
}
