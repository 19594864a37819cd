use crate::client::testing::*;
use crate::client::worker::Record;
use crossterm::event::KeyCode;
use std::sync::Arc;

fn selected_customer(h: &Harness) -> crm_core::customers::Customer {
    match h.app.lists.list().selected_record() {
        Some(Record::Customer(c)) => c.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn x_erases_after_the_email_is_typed_and_shows_the_receipt() {
    let mut h = Harness::new(demo_crm(20));
    let c = selected_customer(&h);
    let email = c.email.clone().unwrap();
    h.key(KeyCode::Char('X'));
    let screen = h.screen();
    assert!(screen.contains(&format!("Erase {}", c.name)), "{screen}");
    assert!(screen.contains("This cannot"), "{screen}");
    // A wrong confirmation erases nothing.
    type_text(&mut h, "nobody@example.com");
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("Not erased"), "{}", h.screen());
    assert!(
        h.crm
            .scope("demo", None)
            .unwrap()
            .customers()
            .get(c.id)
            .is_ok()
    );
    for _ in 0.."nobody@example.com".len() {
        h.key(KeyCode::Backspace);
    }
    type_text(&mut h, &email.to_uppercase());
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Erased customer #{} for good.", c.id)),
        "{screen}"
    );
    assert!(screen.contains("Backups taken before"), "{screen}");
    h.key(KeyCode::Enter);
    assert_ne!(
        selected_customer(&h).id,
        c.id,
        "the list no longer shows them"
    );
    assert_eq!(
        h.crm
            .scope("demo", None)
            .unwrap()
            .customers()
            .get(c.id)
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn snapshot_erase() {
    let mut h = Harness::new(demo_crm(10));
    h.key(KeyCode::Char('X'));
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_erasure_acts_and_no_other() {
    let crm = Arc::new(demo_crm(10));
    check_bindings(&crm, |h| h.key(KeyCode::Char('X')), &[]);
}
