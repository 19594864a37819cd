//! The lists driven by key events against a real (in-memory) demo database, and snapshots of
//! each tab. The worker's requests are answered synchronously, so each step is exact.

use crate::client::app::App;
use crate::client::screens::detail::DetailState;
use crate::client::testing::*;
use crate::client::worker::{self, PageKind, Reply, Request, Tab};
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
    let rows = crate::client::ui::list_rows(HEIGHT) as i64;
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
        .map(crate::client::worker::Record::id)
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
    let rows = crate::client::ui::list_rows(HEIGHT);
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
    // Past Quotes come segments, analytics and the trash, then round to Customers; both ways.
    h.keys(&[KeyCode::Tab, KeyCode::Tab]);
    assert_eq!(h.app.area(), crate::client::screens::Area::Segments);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.area(), crate::client::screens::Area::Analytics);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.area(), crate::client::screens::Area::Trash);
    h.key(KeyCode::Tab);
    assert_eq!(
        h.app.area(),
        crate::client::screens::Area::List(Tab::Customers)
    );
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.area(), crate::client::screens::Area::Trash);
    h.keys(&[
        KeyCode::BackTab,
        KeyCode::BackTab,
        KeyCode::BackTab,
        KeyCode::BackTab,
    ]);
    assert_eq!(
        h.app.area(),
        crate::client::screens::Area::List(Tab::Tickets)
    );
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
        first_pages, 5,
        "one first page per tab, however often it is visited"
    );
}

#[test]
fn enter_opens_the_record_esc_goes_back_and_only_q_quits() {
    let mut h = Harness::new(demo_crm(50));
    h.key(KeyCode::Enter);
    assert!(h.app.lists.open);
    h.key(KeyCode::Esc);
    assert!(!h.app.lists.open);
    // A stray Esc (one too many on the way back) leaves the client open.
    h.keys(&[KeyCode::Esc, KeyCode::Esc]);
    assert!(!h.app.quit);
    assert!(
        !h.app.keymap().codes.contains(&KeyCode::Esc),
        "help does not promise it"
    );
    h.key(KeyCode::Char('q'));
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
            query: worker::ListQuery::default(),
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
        Some(DetailState::Ready(
            key,
            crate::client::worker::Detail {
                related: crate::client::worker::Related::Ticket { events, .. },
                ..
            },
        )) => {
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
        assert_screens!(Harness::new(demo_crm(60)));
    }

    #[test]
    fn leads() {
        let mut h = Harness::new(demo_crm(60));
        h.key(KeyCode::Tab);
        assert_screens!(h);
    }

    #[test]
    fn deals() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab]);
        assert_screens!(h);
    }

    #[test]
    fn tickets() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab, KeyCode::Down]);
        assert_screens!(h);
    }

    #[test]
    fn record_open() {
        let mut h = Harness::new(demo_crm(60));
        h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Enter]);
        assert_screens!(h);
    }

    #[test]
    fn loading() {
        let (app, _) = App::new("demo", HEIGHT);
        let mut h = Harness {
            crm: Crm::open_in_memory().unwrap().into(),
            app,
            sent: vec![],
            actor: None,
        };
        assert_screens!(h);
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
        assert_screens!(Harness::new(crm));
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
        // `1` shows the tab already shown: from another tab it acts.
        check_bindings(
            &Arc::new(demo_crm(40)),
            middle,
            &[(KeyCode::Char('1'), &[KeyCode::Char('2')])],
        );
    }

    #[test]
    fn every_listed_key_of_the_leads_list_acts_and_no_other() {
        let on_leads = |h: &mut Harness| {
            h.key(KeyCode::Char('2'));
            middle(h);
        };
        check_bindings(
            &Arc::new(demo_crm(40)),
            on_leads,
            &[(KeyCode::Char('2'), &[KeyCode::Char('1')])],
        );
    }

    #[test]
    fn every_listed_key_of_the_quotes_list_acts_and_no_other() {
        let on_quotes = |h: &mut Harness| {
            h.key(KeyCode::Char('5'));
            middle(h);
        };
        // Enough customers for a few quotes to move among.
        check_bindings(
            &Arc::new(demo_crm(400)),
            on_quotes,
            &[(KeyCode::Char('5'), &[KeyCode::Char('1')])],
        );
    }

    #[test]
    fn every_listed_key_of_the_tickets_list_acts_and_no_other() {
        let on_tickets = |h: &mut Harness| {
            on_tickets(h);
            middle(h);
        };
        check_bindings(
            &Arc::new(demo_crm(40)),
            on_tickets,
            &[(KeyCode::Char('4'), &[KeyCode::Char('1')])],
        );
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
fn requests_of(commands: Vec<crate::client::screens::Command>) -> Vec<Request> {
    commands
        .into_iter()
        .filter_map(|c| match c {
            crate::client::screens::Command::Ask(r) => Some(r),
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
    // The page, and the count of the list (its rows may have changed in number).
    assert!(
        matches!(&requests[..], [Request::Page { .. }, Request::Count { .. }]),
        "{requests:?}"
    );
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
        matches!(&requests[..], [Request::Page { kind: PageKind::At(id), .. }, Request::Count { .. }] if *id == held),
        "{requests:?}"
    );
    h.answer(requests);
    assert_eq!(h.selected_id(), held);
}

/// The lists as a rep works in them: sort, filter, columns, views, selection, assignment,
/// scores, and the Quotes tab.
mod workspace {
    use super::*;
    use crate::client::worker::Record;
    use crm_core::leads::Lead;
    use serde_json::json;
    use std::sync::Arc;

    fn leads(h: &Harness) -> Vec<Lead> {
        h.app
            .lists
            .list()
            .rows
            .iter()
            .map(|r| match r {
                Record::Lead(l) => l.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn core_count(h: &Harness, criteria: &serde_json::Value) -> u64 {
        let scope = h.crm.scope("demo", h.actor).unwrap();
        scope
            .views()
            .count(&serde_json::from_value(json!({"kind": "lead", "where": criteria})).unwrap())
            .unwrap()
            .count
    }

    /// The text of the row drawn reversed (the chosen entry of a menu on top).
    fn chosen(h: &Harness) -> String {
        let buffer = h.buffer();
        (0..HEIGHT)
            .map(|y| {
                (0..WIDTH)
                    .filter_map(|x| buffer.cell((x, y)))
                    .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
                    .map(ratatui::buffer::Cell::symbol)
                    .collect::<String>()
            })
            .find(|row| !row.trim().is_empty())
            .unwrap_or_default()
    }

    /// Picks the entry `label` in the menu on top, moving down to it.
    fn pick(h: &mut Harness, label: &str) {
        for _ in 0..40 {
            if chosen(h).trim().starts_with(label) {
                h.key(KeyCode::Enter);
                return;
            }
            h.key(KeyCode::Down);
        }
        panic!("{label} could not be chosen:\n{}", h.screen());
    }

    #[test]
    fn a_rep_sorts_filters_chooses_columns_and_saves_a_view() {
        let mut h = Harness::new(demo_crm(60));
        h.key(KeyCode::Char('2'));
        let all = core_count(&h, &serde_json::Value::Null);
        assert!(
            h.screen().contains(&format!("1 of {all}")),
            "{}",
            h.screen()
        );
        // s: Score, largest first; S: smallest first.
        h.key(KeyCode::Char('s'));
        pick(&mut h, "Score");
        assert!(h.screen().contains("Score ▼"));
        let scores: Vec<u8> = leads(&h).iter().map(|l| l.score).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        h.key(KeyCode::Char('S'));
        assert!(h.screen().contains("Score ▲"));
        let scores: Vec<u8> = leads(&h).iter().map(|l| l.score).collect();
        assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
        // f: the builder over the leads' fields, here in its text form: only new leads; the
        // counter says how many the filter keeps.
        h.keys(&[KeyCode::Char('f'), KeyCode::Char(':')]);
        type_text(&mut h, "status = new");
        h.key(KeyCode::Enter);
        settle(&mut h);
        let new = core_count(
            &h,
            &json!({"field": "status", "op": "equals", "value": "new"}),
        );
        assert!(
            h.screen().contains(&format!("{new} of the leads match")),
            "{}",
            h.screen()
        );
        h.key(KeyCode::Char('s'));
        assert!(leads(&h).iter().all(|l| l.status.as_str() == "new"));
        assert_eq!(leads(&h).len() as u64, new);
        assert!(
            h.screen().contains(&format!("1 of {new}")),
            "{}",
            h.screen()
        );
        assert!(h.screen().contains("filtered"));
        // The builder opens on the filter shown; a text that does not read is named, and
        // closing keeps the list as it was.
        h.key(KeyCode::Char('f'));
        assert!(h.screen().contains("status equals new"), "{}", h.screen());
        h.key(KeyCode::Char(':'));
        type_text(&mut h, " and nope >= 1");
        h.key(KeyCode::Enter);
        assert!(h.screen().contains("unknown field"), "{}", h.screen());
        h.keys(&[KeyCode::Esc, KeyCode::Esc]);
        assert_eq!(leads(&h).len() as u64, new);
        // c: hide Company, show Source.
        h.key(KeyCode::Char('c'));
        // ID, Score, Name, Company: Space hides Company.
        h.keys(&[
            KeyCode::Down,
            KeyCode::Down,
            KeyCode::Down,
            KeyCode::Char(' '),
        ]);
        assert!(h.screen().contains("[ ]    Company"), "{}", h.screen());
        while !chosen(&h).contains("Source") {
            h.key(KeyCode::Down);
        }
        h.keys(&[KeyCode::Char(' '), KeyCode::Enter]);
        let header = h.screen();
        assert!(
            !header.contains("Company") && header.contains("Source"),
            "{header}"
        );
        // v, n: saved as a view of one's own, shown in the title.
        h.key(KeyCode::Char('v'));
        h.key(KeyCode::Char('n'));
        type_text(&mut h, "My new leads");
        h.key(KeyCode::Enter);
        assert!(h.screen().contains("view My new leads"), "{}", h.screen());
        h.key(KeyCode::Esc);
        let scope = h.crm.scope("demo", h.actor).unwrap();
        let saved = scope
            .views()
            .list(&crm_core::views::ViewFilter {
                kind: Some(crm_core::catalog::RecordKind::Lead),
                ..Default::default()
            })
            .unwrap()
            .items;
        let mine = saved.iter().find(|v| v.name == "My new leads").unwrap();
        assert!(!mine.shared);
        assert_eq!(
            mine.sort,
            Some(crm_core::records::Sort::new(
                "score",
                crm_core::records::Direction::Asc
            ))
        );
        assert!(!mine.columns.contains(&"company".to_owned()));
        // x: the plain list; the view reopens as saved.
        h.keys(&[KeyCode::Char('v'), KeyCode::Char('x')]);
        assert_eq!(leads(&h).len(), all.min(100) as usize);
        h.key(KeyCode::Char('v'));
        pick(&mut h, "My new leads");
        assert_eq!(leads(&h).len() as u64, new);
        assert!(h.screen().contains("Score ▲"));
        // d y: deleted.
        h.key(KeyCode::Char('v'));
        let screen = h.screen();
        let at = screen
            .lines()
            .filter(|l| l.contains("shared by") || l.contains("yours"))
            .position(|l| l.contains("My new leads"))
            .unwrap();
        for _ in 0..at {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Char('d'));
        assert!(h.screen().contains("Delete the view \"My new leads\"?"));
        h.key(KeyCode::Char('y'));
        assert!(!h.screen().contains("My new leads  "), "{}", h.screen());
    }

    #[test]
    fn selected_leads_go_round_robin_over_a_team_and_scores_are_explained() {
        let mut h = Harness::new(demo_crm(60));
        h.key(KeyCode::Char('2'));
        h.keys(&[KeyCode::Char(' '), KeyCode::Char(' '), KeyCode::Char(' ')]);
        assert!(h.screen().contains("3 selected"));
        let chosen: Vec<i64> = leads(&h)[..3].iter().map(|l| l.id.0).collect();
        h.key(KeyCode::Char('a'));
        assert!(h.screen().contains("Assign 3 leads to"));
        pick(&mut h, "Round-robin over Sales");
        assert!(h.screen().contains("3 leads assigned"), "{}", h.screen());
        let crm = Arc::clone(&h.crm);
        let scope = crm.scope("demo", h.actor).unwrap();
        let sales: Vec<i64> = scope
            .users()
            .list(&crm_core::tenancy::UserFilter::default())
            .unwrap()
            .items
            .iter()
            .filter(|u| !u.team_ids.is_empty() && u.role != crm_core::tenancy::Role::Viewer)
            .filter(|u| {
                h.app
                    .lookups
                    .as_ref()
                    .unwrap()
                    .teams
                    .iter()
                    .any(|(t, n)| n == "Sales" && u.team_ids.iter().any(|x| x.0 == *t))
            })
            .map(|u| u.id.0)
            .collect();
        let owners: Vec<i64> = chosen
            .iter()
            .map(|id| {
                scope
                    .leads()
                    .get(crm_core::ids::LeadId(*id))
                    .unwrap()
                    .owner_id
                    .unwrap()
                    .0
            })
            .collect();
        assert!(
            owners.iter().all(|o| sales.contains(o)),
            "{owners:?} {sales:?}"
        );
        assert_eq!(
            owners
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3,
            "three reps in turn"
        );
        assert!(!h.screen().contains("selected"));
        // A score set by hand, rescored with R, explained with w.
        h.key(KeyCode::Char('g'));
        let lead = leads(&h)[0].clone();
        let computed = scope
            .leads()
            .explain_score(lead.id)
            .unwrap()
            .computed
            .unwrap();
        let by_hand = (computed + 7) % 100;
        scope
            .leads()
            .update(serde_json::from_value(json!({"id": lead.id, "score": by_hand})).unwrap())
            .unwrap();
        h.key(KeyCode::Char('R'));
        assert!(
            h.screen().contains("1 lead rescored, 1 changed"),
            "{}",
            h.screen()
        );
        assert_eq!(scope.leads().get(lead.id).unwrap().score, computed);
        h.key(KeyCode::Char('w'));
        let screen = h.screen();
        assert!(
            screen.contains(&format!("Why {} scores", lead.name)),
            "{screen}"
        );
        assert!(
            screen.contains("Qualified") && screen.contains("✓"),
            "{screen}"
        );
    }

    #[test]
    fn the_quotes_tab_lists_every_quote_and_opens_one_in_the_composer() {
        let crm = demo_crm(400);
        let scope = crm.scope("demo", None).unwrap();
        let all = scope
            .quotes()
            .list(&crm_core::quotes::QuoteFilter {
                limit: Some(500),
                ..Default::default()
            })
            .unwrap()
            .items;
        assert!(all.len() > 3);
        let mut h = Harness::new(crm);
        h.key(KeyCode::Char('5'));
        let shown: Vec<i64> = h.app.lists.list().rows.iter().map(Record::id).collect();
        assert_eq!(shown, all.iter().map(|q| q.id.0).collect::<Vec<_>>());
        assert!(h.screen().contains(&all[0].number));
        h.key(KeyCode::Char('s'));
        pick(&mut h, "Total");
        let totals: Vec<i64> = h
            .app
            .lists
            .list()
            .rows
            .iter()
            .map(|r| match r {
                Record::Quote(q) => q.totals.total,
                _ => unreachable!(),
            })
            .collect();
        assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
        h.key(KeyCode::Enter);
        assert!(
            h.screen().contains(&format!("Quote {}", {
                let Record::Quote(q) = &h.app.lists.list().rows[0] else {
                    unreachable!()
                };
                q.number.clone()
            })),
            "{}",
            h.screen()
        );
    }

    #[test]
    fn each_tab_reopens_on_the_view_it_showed_last() {
        let mut h = Harness::new(demo_crm(60));
        let scope = h.crm.scope("demo", h.actor).unwrap();
        let hot = scope
            .views()
            .list(&crm_core::views::ViewFilter::default())
            .unwrap()
            .items
            .into_iter()
            .find(|v| v.name == "Hot leads without an owner")
            .unwrap();
        drop(scope);
        let asks = h.app.lists.restore(&[
            (Tab::Leads, hot.id),
            (Tab::Deals, crm_core::ids::ViewId(999)),
        ]);
        h.answer(asks);
        assert_eq!(h.app.lists.tab, Tab::Customers, "the tab shown stays");
        let shown = h.app.lists.views_shown();
        assert!(shown.contains(&(Tab::Leads, Some(hot.id))), "{shown:?}");
        assert!(
            shown.contains(&(Tab::Deals, None)),
            "a view gone is not reopened"
        );
        h.key(KeyCode::Char('2'));
        assert!(h.screen().contains("view Hot leads without an owner"));
        assert!(
            leads(&h)
                .iter()
                .all(|l| l.owner_id.is_none() && l.score >= 50)
        );
    }

    mod snapshots {
        use super::*;

        #[test]
        fn sort_menu() {
            let mut h = Harness::new(demo_crm(60));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('s')]);
            assert_screens!(h);
        }

        #[test]
        fn column_chooser() {
            let mut h = Harness::new(demo_crm(60));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('c'), KeyCode::Down]);
            assert_screens!(h);
        }

        #[test]
        fn filter_builder() {
            let mut h = Harness::new(demo_crm(60));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('f'), KeyCode::Char(':')]);
            type_text(&mut h, "score >= 20 and status in [new, contacted]");
            h.key(KeyCode::Enter);
            settle(&mut h);
            assert_screens!(h);
        }

        #[test]
        fn views_menu() {
            let mut h = Harness::new(demo_crm(60));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('v')]);
            assert_screens!(h);
        }

        #[test]
        fn a_view_open_with_badges_and_a_selection() {
            let mut h = Harness::new(demo_crm(200));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('v'), KeyCode::Enter]);
            h.keys(&[KeyCode::Char(' ')]);
            assert_screens!(h);
        }

        #[test]
        fn quotes_tab() {
            let mut h = Harness::new(demo_crm(400));
            h.key(KeyCode::Char('5'));
            assert_screens!(h);
        }

        #[test]
        fn score_explained() {
            let mut h = Harness::new(demo_crm(60));
            h.keys(&[KeyCode::Char('2'), KeyCode::Char('w')]);
            assert_screens!(h);
        }
    }

    mod bindings {
        use super::*;

        fn on_leads(h: &mut Harness) {
            h.keys(&[KeyCode::Char('2'), KeyCode::Down]);
        }

        #[test]
        fn every_listed_key_of_a_menu_acts_and_no_other() {
            check_bindings(
                &Arc::new(demo_crm(60)),
                |h| {
                    on_leads(h);
                    h.keys(&[KeyCode::Char('s'), KeyCode::Down]);
                },
                &[],
            );
        }

        #[test]
        fn every_listed_key_of_the_column_chooser_acts_and_no_other() {
            check_bindings(
                &Arc::new(demo_crm(60)),
                |h| {
                    on_leads(h);
                    h.keys(&[KeyCode::Char('c'), KeyCode::Down]);
                },
                &[],
            );
        }

        #[test]
        fn every_listed_key_of_a_lists_filter_builder_acts_and_no_other() {
            check_bindings(
                &Arc::new(demo_crm(60)),
                |h| {
                    on_leads(h);
                    h.keys(&[KeyCode::Char('f'), KeyCode::Char(':')]);
                    type_text(h, "status = new or score >= 50");
                    h.key(KeyCode::Enter);
                    settle(h);
                    h.key(KeyCode::Down);
                },
                &[],
            );
        }

        #[test]
        fn every_listed_key_of_the_views_acts_and_no_other() {
            let crm = Arc::new(demo_crm(60));
            // Three views, the middle one chosen: up and down both move.
            crm.scope("demo", Some(crm_core::ids::UserId(1)))
                .unwrap()
                .views()
                .create(serde_json::from_value(json!({"name": "Mine", "kind": "lead"})).unwrap())
                .unwrap();
            let open = |h: &mut Harness| {
                on_leads(h);
                h.keys(&[KeyCode::Char('v'), KeyCode::Down]);
            };
            check_bindings(&crm, open, &[]);
            check_bindings(
                &crm,
                |h| {
                    open(h);
                    h.keys(&[KeyCode::Char('n'), KeyCode::Char('x')]);
                },
                &[],
            );
            check_bindings(
                &crm,
                |h| {
                    open(h);
                    h.key(KeyCode::Char('d'));
                },
                &[],
            );
        }

        #[test]
        fn every_listed_key_of_a_score_explanation_acts_and_no_other() {
            check_bindings(
                &Arc::new(demo_crm(60)),
                |h| {
                    on_leads(h);
                    h.keys(&[KeyCode::Char('w'), KeyCode::Down]);
                },
                &[],
            );
        }
    }
}

#[test]
fn a_records_related_records_open_over_it_named_and_esc_comes_back() {
    use crate::client::app::Msg;
    use crate::client::screens::viewer::Viewer;
    use crate::client::worker::{Opened, Record};
    let crm = std::sync::Arc::new(demo_crm(60));
    let mut h = Harness::sharing(std::sync::Arc::clone(&crm));
    let scope = crm.scope("demo", None).unwrap();
    let t = scope
        .tickets()
        .list(&crm_core::tickets::TicketFilter::default())
        .unwrap()
        .items
        .into_iter()
        .find(|t| t.customer_id.is_some())
        .unwrap();
    let customer = scope.customers().get(t.customer_id.unwrap()).unwrap();
    // The customer open full-screen (found by its number).
    h.key(KeyCode::Char('/'));
    type_text(&mut h, &format!("#{}", customer.id.0));
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    h.key(KeyCode::Enter);
    assert!(h.app.lists.open && h.app.lists.tab == Tab::Customers);
    // Tab moves into its related records: its tickets first, newest first.
    h.key(KeyCode::Tab);
    assert_eq!(h.app.lists.related, Some(0));
    assert_eq!(h.app.keymap().title, "Keys in a record's related records");
    let tickets = scope
        .tickets()
        .list(&crm_core::tickets::TicketFilter {
            customer_id: Some(customer.id),
            ..Default::default()
        })
        .unwrap()
        .items;
    h.key(KeyCode::Down);
    let second = usize::from(tickets.len() > 1);
    h.key(KeyCode::Enter);
    match h.app.find::<Viewer>().unwrap() {
        Viewer::Ready(opened, None) => match opened.as_ref() {
            Opened::Record(Record::Ticket(opened), _) => {
                assert_eq!(opened.id, tickets[second].id);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // The ticket names its customer, not only its number.
    let screen = h.screen();
    assert!(
        screen.contains(&format!("customer {} #{}", customer.name, customer.id.0)),
        "{screen}"
    );
    // Esc comes back to the customer, the focus where it was; ← gives the keys back.
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Viewer>().is_none());
    assert_eq!(h.app.lists.related, Some(second));
    h.key(KeyCode::Left);
    assert_eq!(h.app.lists.related, None);
    assert!(h.app.lists.open);
    // From a ticket, the customer it belongs to opens first (the field that names it).
    h.key(KeyCode::Char('4'));
    // The search comes back as it was left: Ctrl-U clears its query.
    h.key(KeyCode::Char('/'));
    h.chord(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL);
    type_text(&mut h, &format!("#{}", t.id.0));
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    let at = h
        .app
        .find::<crate::client::screens::palette::Palette>()
        .unwrap()
        .results
        .as_ref()
        .unwrap()
        .hits
        .iter()
        .position(|hit| hit.hit_type == crm_core::search::SearchType::Ticket)
        .unwrap();
    for _ in 0..at {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    assert!(h.app.lists.open && h.app.lists.tab == Tab::Tickets);
    h.keys(&[KeyCode::Tab, KeyCode::Enter]);
    match h.app.find::<Viewer>().unwrap() {
        Viewer::Ready(opened, None) => match opened.as_ref() {
            Opened::Record(Record::Customer(c), _) => assert_eq!(c.id, customer.id),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_listed_key_of_related_records_acts_and_no_other() {
    use crate::client::app::Msg;
    let crm = std::sync::Arc::new(demo_crm(40));
    let scope = crm.scope("demo", None).unwrap();
    // A customer with two tickets or more (so ↑ has somewhere to go after ↓).
    let customer = (1..=40)
        .map(crm_core::ids::CustomerId)
        .find(|c| {
            scope
                .tickets()
                .list(&crm_core::tickets::TicketFilter {
                    customer_id: Some(*c),
                    ..Default::default()
                })
                .unwrap()
                .items
                .len()
                >= 2
        })
        .unwrap();
    let open = move |h: &mut Harness| {
        h.key(KeyCode::Char('/'));
        type_text(h, &format!("#{}", customer.0));
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        h.key(KeyCode::Enter);
    };
    // The record open full-screen, its related records, and one opened in the viewer (a
    // ticket: the link keys too), then the viewer's own related records.
    check_bindings(&crm, open, &[]);
    let related = move |h: &mut Harness| {
        open(h);
        h.key(KeyCode::Tab);
    };
    check_bindings(
        &crm,
        related,
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('k'), &[KeyCode::Down]),
        ],
    );
    let viewer = move |h: &mut Harness| {
        related(h);
        h.key(KeyCode::Enter);
    };
    check_bindings(
        &crm,
        viewer,
        &[(KeyCode::Char('x'), &[KeyCode::Char('L'), KeyCode::Enter])],
    );
}
