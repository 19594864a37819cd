use crate::client::screens::Area;
use crate::client::testing::*;
use crate::client::worker::Tab;
use crm_core::trash::{DeleteRequest, TrashRequest};
use crossterm::event::KeyCode;
use std::sync::Arc;

/// The times the trash shows, blanked: they are the clock's when the test ran.
fn undated(h: &Harness, screen: String) -> String {
    let items = h
        .crm
        .scope("demo", h.actor)
        .unwrap()
        .trash()
        .list(&TrashRequest::default())
        .unwrap()
        .items;
    items.iter().fold(screen, |s, i| {
        s.replace(
            &crate::client::format::datetime(i.deleted_at),
            "YYYY-MM-DD hh:mm",
        )
    })
}

fn delete(h: &Harness, kind: crm_core::catalog::RecordKind, id: i64) {
    h.crm
        .scope("demo", h.actor)
        .unwrap()
        .trash()
        .delete(
            kind,
            &DeleteRequest {
                id,
                cascade: true,
                dry_run: false,
            },
        )
        .unwrap();
}

#[test]
fn d_asks_naming_what_goes_along_then_the_trash_restores_it() {
    let mut h = Harness::new(demo_crm(30));
    let id = h.selected_id();
    let name = match h.app.lists.list().selected_record() {
        Some(crate::client::worker::Record::Customer(c)) => c.name.clone(),
        other => panic!("{other:?}"),
    };
    h.key(KeyCode::Char('d'));
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Delete customer \"{name}\"")),
        "{screen}"
    );
    assert!(screen.contains(" with "), "names what goes along: {screen}");
    // n: nothing changes.
    h.key(KeyCode::Char('n'));
    assert_eq!(h.selected_id(), id);
    h.key(KeyCode::Char('d'));
    h.key(KeyCode::Char('y'));
    assert_ne!(h.selected_id(), id, "the list no longer shows it");
    let screen = h.screen();
    assert!(screen.contains("moved to the trash"), "{screen}");

    h.key(KeyCode::Char('8'));
    assert_eq!(h.app.area(), Area::Trash);
    let screen = h.screen();
    assert!(screen.contains(&name), "{screen}");
    assert!(screen.contains(&format!("#{id}")), "{screen}");
    h.key(KeyCode::Char('r'));
    let screen = h.screen();
    assert!(screen.contains("The trash is empty."), "{screen}");
    assert!(
        screen.contains(&format!("restored customer #{id}")),
        "{screen}"
    );
    h.key(KeyCode::Char('1'));
    assert_eq!(h.app.area(), Area::List(Tab::Customers));
    assert_eq!(
        h.app.lists.list().rows[0].id(),
        id,
        "back in the list, newest first"
    );
}

#[test]
fn a_purge_needs_the_word_typed() {
    let mut h = Harness::new(demo_crm(20));
    delete(&h, crm_core::catalog::RecordKind::Customer, 3);
    h.key(KeyCode::Char('8'));
    h.key(KeyCode::Char('P'));
    type_text(&mut h, "purge");
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("Purge the trash"), "lower case is not it");
    assert!(screen.contains("type PURGE (in capitals)"), "{screen}");
    for _ in 0..5 {
        h.key(KeyCode::Backspace);
    }
    type_text(&mut h, "PURGE");
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains("The trash is empty."), "{screen}");
    assert!(screen.contains("purged 1 deleted group(s)"), "{screen}");
}

#[test]
fn snapshot_trash() {
    let mut h = Harness::new(demo_crm(30));
    delete(&h, crm_core::catalog::RecordKind::Customer, 4);
    delete(&h, crm_core::catalog::RecordKind::Ticket, 2);
    h.key(KeyCode::Char('8'));
    let shown = h.screen();
    let small = h.small_screen();
    insta::assert_snapshot!(undated(&h, shown));
    insta::with_settings!({ snapshot_suffix => "80x24" }, {
        insta::assert_snapshot!(undated(&h, small));
    });
    h.key(KeyCode::Char('P'));
    insta::assert_snapshot!("purge_asked", undated(&h, h.screen()));
}

#[test]
fn an_empty_trash_says_how_things_get_there() {
    let mut h = Harness::new(demo_crm(10));
    h.key(KeyCode::Char('8'));
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_trash_acts_and_no_other() {
    let crm = Arc::new(demo_crm(20));
    for id in [2, 3, 5] {
        crm.scope("demo", Some(crm_core::ids::UserId(1)))
            .unwrap()
            .trash()
            .delete(
                crm_core::catalog::RecordKind::Ticket,
                &DeleteRequest {
                    id,
                    cascade: true,
                    dry_run: false,
                },
            )
            .unwrap();
    }
    check_bindings(
        &crm,
        |h| h.key(KeyCode::Char('8')),
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('k'), &[KeyCode::Down]),
        ],
    );
    check_bindings(
        &crm,
        |h| {
            h.key(KeyCode::Char('8'));
            h.key(KeyCode::Char('P'));
        },
        &[],
    );
}
