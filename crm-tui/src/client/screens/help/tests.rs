use crate::client::screens::help::Help;
use crate::client::screens::timeline::TimelineView;
use crate::client::testing::*;
use crate::client::worker::Tab;
use crossterm::event::KeyCode;

#[test]
fn help_overlay_takes_keys_until_closed() {
    let mut h = Harness::new(demo_crm(50));
    h.key(KeyCode::Char('?'));
    assert!(h.app.find::<Help>().is_some());
    h.keys(&[KeyCode::Down, KeyCode::Tab, KeyCode::Char('q')]);
    assert!(h.app.find::<Help>().is_none(), "q closes the overlay");
    assert!(!h.app.quit);
    assert_eq!(
        (h.app.lists.tab, h.selected_id()),
        (Tab::Customers, 50),
        "keys under the overlay did nothing"
    );
    h.key(KeyCode::Char('q'));
    assert!(h.app.quit);
}

#[test]
fn help_in_a_timeline_lists_the_timeline_keys() {
    let mut h = Harness::new(demo_crm(10));
    h.key(KeyCode::Char('t'));
    h.key(KeyCode::Char('?'));
    let screen = h.screen();
    assert!(screen.contains("Keys in a timeline"), "{screen}");
    assert!(screen.contains("clear the filters") && screen.contains("search everything"));
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Help>().is_none() && h.app.find::<TimelineView>().is_some());
}

#[test]
fn snapshot_help() {
    let mut h = Harness::new(demo_crm(10));
    h.key(KeyCode::Char('?'));
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_help_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(10));
    // The lists' help is longer than the 30 rows the tests draw: ↑ acts once scrolled.
    check_bindings(
        &crm,
        |h| h.key(KeyCode::Char('?')),
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('k'), &[KeyCode::Down]),
        ],
    );
}

#[test]
fn a_help_longer_than_the_terminal_scrolls_by_keys_and_wheel() {
    use crate::client::app::Msg;
    use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};
    let mut h = Harness::new(demo_crm(10));
    h.app.size = (80, 20);
    h.key(KeyCode::Char('?'));
    let screen = h.screen_sized(80, 20);
    assert!(screen.contains("Help · 1–16 of 28"), "{screen}");
    assert!(
        screen.contains("↑ k") && !screen.contains("quit"),
        "{screen}"
    );
    for _ in 0..12 {
        h.key(KeyCode::Char('j'));
    }
    let screen = h.screen_sized(80, 20);
    assert!(screen.contains("Help · 13–28 of 28"), "{screen}");
    assert!(screen.contains("quit"), "{screen}");
    let r = h.app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 40,
        row: 10,
        modifiers: KeyModifiers::NONE,
    }));
    h.answer(r);
    assert!(h.screen_sized(80, 20).contains("Help · 12–27 of 28"));
}

#[test]
fn every_listed_key_of_a_scrolling_help_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(10));
    let setup = |h: &mut Harness| {
        h.app.size = (120, 20);
        h.key(KeyCode::Char('?'));
        h.key(KeyCode::Down);
    };
    check_bindings(&crm, setup, &[]);
}
