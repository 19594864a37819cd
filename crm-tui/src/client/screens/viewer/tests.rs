use crate::client::testing::*;
use crossterm::event::KeyCode;

#[test]
fn snapshot_opened_event() {
    let mut h = Harness::new(demo_crm(60));
    h.key(KeyCode::Char('t'));
    h.key(KeyCode::Enter);
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_viewer_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(20));
    let open = |h: &mut Harness| {
        h.key(KeyCode::Char('t'));
        h.key(KeyCode::Enter);
    };
    check_bindings(&crm, open, &[]);
}
