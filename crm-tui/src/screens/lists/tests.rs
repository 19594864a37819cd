//! The lists driven by key events against a real (in-memory) demo database, and snapshots of
//! each tab. The worker's requests are answered synchronously, so each step is exact.

use crate::app::App;
use crate::screens::detail::DetailState;
use crate::testing::*;
use crate::worker::{self, PageKind, Reply, Request, Tab};
use crm_core::Crm;
use crossterm::event::KeyCode;

#[test]
fn starts_on_customers_newest_first_with_names_loaded() {
    let h = Harness::new(demo_crm(300));
    assert_eq!(h.app.lists.tab, Tab::Customers);
    assert_eq!(h.selected_id(), 300);
    assert_eq!(h.app.lists.list().rows.len(), worker::PAGE_ROWS as usize);
    assert!(h.app.lookups.as_ref().unwrap().users.len() > 5);
    assert!(matches!(
        h.app.lists.selected_detail(),
        Some(DetailState::Ready(..))
    ));
    assert!(!h.app.busy());
}

#[test]
fn arrows_vim_keys_and_pages_move_the_selection() {
    let mut h = Harness::new(demo_crm(300));
    h.keys(&[KeyCode::Down, KeyCode::Char('j'), KeyCode::Char('j')]);
    assert_eq!(h.selected_id(), 297);
    h.key(KeyCode::Char('k'));
    assert_eq!(h.selected_id(), 298);
    h.key(KeyCode::PageDown);
    let rows = crate::ui::list_rows(HEIGHT) as i64;
    assert_eq!(h.selected_id(), 298 - rows);
    assert!(h.app.lists.list().selected >= h.app.lists.list().offset);
    assert!(
        h.app.lists.list().selected < h.app.lists.list().offset + rows as usize,
        "selection stays on screen"
    );
    h.key(KeyCode::PageUp);
    h.key(KeyCode::Up);
    h.key(KeyCode::Up);
    assert_eq!(h.selected_id(), 300, "stops at the top");
    assert_eq!(h.app.lists.list().offset, 0);
}

#[test]
fn scrolling_down_fetches_the_next_page_before_the_end() {
    let mut h = Harness::new(demo_crm(300));
    let pages_before = h
        .sent
        .iter()
        .filter(|r| matches!(r, Request::Page { .. }))
        .count();
    for _ in 0..85 {
        h.key(KeyCode::Down);
    }
    assert!(h.sent.iter().any(|r| matches!(
        r,
        Request::Page {
            kind: PageKind::After(_),
            ..
        }
    )));
    assert_eq!(h.app.lists.list().rows.len(), 200);
    assert_eq!(
        h.sent
            .iter()
            .filter(|r| matches!(r, Request::Page { .. }))
            .count(),
        pages_before + 1
    );
    // Walking to the very end loads every page once, and no row twice.
    for _ in 0..300 {
        h.key(KeyCode::Down);
    }
    let ids: Vec<i64> = h
        .app
        .lists
        .list()
        .rows
        .iter()
        .map(crate::worker::Record::id)
        .collect();
    assert_eq!(ids, (1..=300).rev().collect::<Vec<_>>());
    assert_eq!(h.selected_id(), 1);
    assert!(h.app.lists.list().next_cursor.is_none());
}

#[test]
fn g_and_shift_g_jump_to_either_end_without_walking_the_list() {
    let mut h = Harness::new(demo_crm(300));
    h.key(KeyCode::Char('G'));
    assert_eq!(h.selected_id(), 1, "the oldest customer");
    assert!(h.sent.iter().any(|r| matches!(
        r,
        Request::Page {
            kind: PageKind::Last,
            ..
        }
    )));
    assert!(
        h.app.lists.list().rows.len() <= 200,
        "only the last page (and its neighbour) is held"
    );
    let rows = crate::ui::list_rows(HEIGHT);
    assert_eq!(
        h.app.lists.list().offset,
        h.app.lists.list().selected + 1 - rows,
        "last row at the bottom of the screen"
    );
    // Scrolling up from the end loads the newer rows before it.
    for _ in 0..90 {
        h.key(KeyCode::Up);
    }
    assert_eq!(h.selected_id(), 91);
    assert!(h.sent.iter().any(|r| matches!(
        r,
        Request::Page {
            kind: PageKind::Before(_),
            ..
        }
    )));
    h.key(KeyCode::Char('g'));
    assert_eq!(h.selected_id(), 300);
    assert_eq!(h.app.lists.list().offset, 0);
}

#[test]
fn tab_switches_lists_and_loads_each_once() {
    let mut h = Harness::new(demo_crm(200));
    h.key(KeyCode::Tab);
    assert_eq!(h.app.lists.tab, Tab::Leads);
    assert!(h.app.lists.list().loaded);
    h.keys(&[KeyCode::Tab, KeyCode::Tab]);
    assert_eq!(h.app.lists.tab, Tab::Tickets);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.lists.tab, Tab::Customers);
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.lists.tab, Tab::Tickets);
    let first_pages = h
        .sent
        .iter()
        .filter(|r| {
            matches!(
                r,
                Request::Page {
                    kind: PageKind::First,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        first_pages, 4,
        "one first page per tab, however often it is visited"
    );
}

#[test]
fn enter_opens_the_record_and_esc_goes_back_then_quits() {
    let mut h = Harness::new(demo_crm(50));
    h.key(KeyCode::Enter);
    assert!(h.app.lists.open);
    h.key(KeyCode::Esc);
    assert!(!h.app.lists.open);
    assert!(!h.app.quit);
    h.key(KeyCode::Esc);
    assert!(h.app.quit);
}

#[test]
fn an_answer_for_a_superseded_request_is_dropped() {
    let crm = demo_crm(300);
    let (mut app, _) = App::new("demo", HEIGHT);
    let stale = worker::answer(
        &crm,
        "demo",
        None,
        Request::Page {
            tab: Tab::Customers,
            kind: PageKind::Last,
            generation: 0,
        },
    );
    let requests = app.update(stale);
    assert!(requests.is_empty());
    assert!(app.lists.list().rows.is_empty());
    assert!(
        app.lists.list().loading,
        "the current request is still awaited"
    );
}

#[test]
fn a_failed_page_is_shown_not_swallowed() {
    let (mut app, _) = App::new("demo", HEIGHT);
    let generation = app.lists.list().generation;
    app.update(Reply::Page {
        tab: Tab::Customers,
        kind: PageKind::First,
        generation,
        result: Err(worker::Failure {
            code: "storage",
            message: "disk on fire".into(),
        }),
    });
    let h = Harness {
        crm: Crm::open_in_memory().unwrap().into(),
        app,
        sent: vec![],
        actor: None,
    };
    assert!(
        h.screen()
            .contains("Could not load customers: disk on fire")
    );
}

#[test]
fn detail_follows_the_selection() {
    let mut h = Harness::new(demo_crm(50));
    h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]);
    h.key(KeyCode::Down);
    let id = h.selected_id();
    match h.app.lists.selected_detail() {
        Some(DetailState::Ready(key, crate::worker::Detail::Ticket { events, .. })) => {
            assert_eq!(key.id, id);
            assert!(events.iter().all(|e| e.ticket_id.0 == id));
            assert!(!events.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

mod snapshots {
    use super::*;

    #[test]
    fn customers() {
        insta::assert_snapshot!(Harness::new(demo_crm(60)).screen());
    }

    #[test]
    fn leads() {
        let mut h = Harness::new(demo_crm(60));
        h.key(KeyCode::Tab);
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn deals() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab]);
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn tickets() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab, KeyCode::Down]);
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn record_open() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Enter]);
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn loading() {
        let (app, _) = App::new("demo", HEIGHT);
        let h = Harness {
            crm: Crm::open_in_memory().unwrap().into(),
            app,
            sent: vec![],
            actor: None,
        };
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn empty_tenant() {
        let crm = Crm::open_in_memory().unwrap();
        crm.create_tenant(crm_core::tenancy::NewTenant {
            tenant_id: "demo".into(),
            name: "Empty Co".into(),
            default_region: None,
            admin: crm_core::tenancy::NewAdmin {
                name: "A".into(),
                email: "a@empty.test".into(),
            },
        })
        .unwrap();
        insta::assert_snapshot!(Harness::new(crm).screen());
    }
}

mod bindings {
    use super::*;
    use std::sync::Arc;

    /// In the middle of a list, so every move has somewhere to go.
    fn middle(h: &mut Harness) {
        h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
    }

    #[test]
    fn every_listed_key_of_the_customers_list_acts_and_no_other() {
        check_bindings(&Arc::new(demo_crm(40)), middle, &[]);
    }

    #[test]
    fn every_listed_key_of_the_tickets_list_acts_and_no_other() {
        let on_tickets = |h: &mut Harness| {
            on_tickets(h);
            middle(h);
        };
        check_bindings(&Arc::new(demo_crm(40)), on_tickets, &[]);
    }

    #[test]
    fn every_listed_key_of_an_open_record_acts_and_no_other() {
        let open = |h: &mut Harness| {
            middle(h);
            h.key(KeyCode::Enter);
        };
        check_bindings(&Arc::new(demo_crm(40)), open, &[]);
    }
}

/// The requests among a screen's commands.
fn requests_of(commands: Vec<crate::screens::Command>) -> Vec<Request> {
    commands
        .into_iter()
        .filter_map(|c| match c {
            crate::screens::Command::Ask(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn a_reload_stays_on_the_record_selected_when_its_page_arrives() {
    let mut h = Harness::new(demo_crm(60));
    h.keys(&[
        KeyCode::Tab,
        KeyCode::Tab,
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Down,
    ]);
    let held = h.selected_id();
    let mut asks = Vec::new();
    h.app.lists.reload(Tab::Deals, &mut asks);
    let requests = requests_of(asks);
    assert_eq!(requests.len(), 1);
    h.answer(requests);
    assert_eq!(h.selected_id(), held, "the reloaded list stays on the deal");
    assert_eq!(h.app.lists.list().selected, 3);
    // Moved while a reload is in flight: the page keeps where the person is now.
    let mut asks = Vec::new();
    h.app.lists.reload(Tab::Deals, &mut asks);
    h.key(KeyCode::Char('g'));
    let top = h.selected_id();
    let requests = requests_of(asks);
    h.answer(requests);
    assert_eq!((h.selected_id(), h.app.lists.list().selected), (top, 0));
}

#[test]
fn a_reload_deep_in_a_list_fetches_the_list_at_the_selected_record() {
    let mut h = Harness::new(demo_crm(300));
    for _ in 0..150 {
        h.key(KeyCode::Down);
    }
    let held = h.selected_id();
    let mut asks = Vec::new();
    h.app.lists.reload(Tab::Customers, &mut asks);
    let requests = requests_of(asks);
    assert!(
        matches!(&requests[..], [Request::Page { kind: PageKind::At(id), .. }] if *id == held),
        "{requests:?}"
    );
    h.answer(requests);
    assert_eq!(h.selected_id(), held);
}
