//! The client driven by key events against a real (in-memory) demo database, and snapshots of
//! every screen. The worker's requests are answered synchronously, so each step is exact.

use crate::app::{App, DetailState, Msg, PageKind, Tab};
use crate::worker::{self, Request};
use crm_core::Crm;
use crm_core::demo::{self, DemoOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 30;

fn demo_crm(customers: usize) -> Crm {
    let crm = Crm::open_in_memory().unwrap();
    demo::generate(
        &crm,
        &DemoOptions {
            customers,
            ..DemoOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    crm
}

/// A client whose worker answers at once.
struct Harness {
    crm: Crm,
    app: App,
    /// Requests sent to the worker, oldest first.
    sent: Vec<Request>,
    /// Who changes are made as (the demo's admin).
    actor: Option<crm_core::ids::UserId>,
}

impl Harness {
    fn new(crm: Crm) -> Harness {
        let (app, requests) = App::new("demo", HEIGHT);
        let mut h = Harness {
            crm,
            app,
            sent: Vec::new(),
            actor: Some(crm_core::ids::UserId(1)),
        };
        h.answer(requests);
        h
    }

    fn answer(&mut self, mut requests: Vec<Request>) {
        while !requests.is_empty() {
            let mut next = Vec::new();
            for r in requests {
                self.sent.push(r.clone());
                next.extend(
                    self.app
                        .update(worker::answer(&self.crm, "demo", self.actor, r)),
                );
            }
            requests = next;
        }
    }

    fn key(&mut self, code: KeyCode) {
        let requests = self
            .app
            .update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.answer(requests);
    }

    fn keys(&mut self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c);
        }
    }

    fn selected_id(&self) -> i64 {
        self.app.list().selected_record().unwrap().id()
    }

    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal.draw(|f| crate::ui::draw(f, &self.app)).unwrap();
        terminal.backend().to_string()
    }
}

#[test]
fn starts_on_customers_newest_first_with_names_loaded() {
    let h = Harness::new(demo_crm(300));
    assert_eq!(h.app.tab, Tab::Customers);
    assert_eq!(h.selected_id(), 300);
    assert_eq!(h.app.list().rows.len(), worker::PAGE_ROWS as usize);
    assert!(h.app.lookups.as_ref().unwrap().users.len() > 5);
    assert!(matches!(
        h.app.selected_detail(),
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
    assert!(h.app.list().selected >= h.app.list().offset);
    assert!(
        h.app.list().selected < h.app.list().offset + rows as usize,
        "selection stays on screen"
    );
    h.key(KeyCode::PageUp);
    h.key(KeyCode::Up);
    h.key(KeyCode::Up);
    assert_eq!(h.selected_id(), 300, "stops at the top");
    assert_eq!(h.app.list().offset, 0);
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
    assert_eq!(h.app.list().rows.len(), 200);
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
        .list()
        .rows
        .iter()
        .map(crate::app::Record::id)
        .collect();
    assert_eq!(ids, (1..=300).rev().collect::<Vec<_>>());
    assert_eq!(h.selected_id(), 1);
    assert!(h.app.list().next_cursor.is_none());
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
        h.app.list().rows.len() <= 200,
        "only the last page (and its neighbour) is held"
    );
    let rows = crate::ui::list_rows(HEIGHT);
    assert_eq!(
        h.app.list().offset,
        h.app.list().selected + 1 - rows,
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
    assert_eq!(h.app.list().offset, 0);
}

#[test]
fn tab_switches_lists_and_loads_each_once() {
    let mut h = Harness::new(demo_crm(200));
    h.key(KeyCode::Tab);
    assert_eq!(h.app.tab, Tab::Leads);
    assert!(h.app.list().loaded);
    h.keys(&[KeyCode::Tab, KeyCode::Tab]);
    assert_eq!(h.app.tab, Tab::Tickets);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.tab, Tab::Customers);
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.tab, Tab::Tickets);
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
    assert!(h.app.open);
    h.key(KeyCode::Esc);
    assert!(!h.app.open);
    assert!(!h.app.quit);
    h.key(KeyCode::Esc);
    assert!(h.app.quit);
}

#[test]
fn help_overlay_takes_keys_until_closed() {
    let mut h = Harness::new(demo_crm(50));
    h.key(KeyCode::Char('?'));
    assert!(h.app.help);
    h.keys(&[KeyCode::Down, KeyCode::Tab, KeyCode::Char('q')]);
    assert!(!h.app.help, "q closes the overlay");
    assert!(!h.app.quit);
    assert_eq!(
        (h.app.tab, h.selected_id()),
        (Tab::Customers, 50),
        "keys under the overlay did nothing"
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
            generation: 0,
        },
    );
    let requests = app.update(stale);
    assert!(requests.is_empty());
    assert!(app.list().rows.is_empty());
    assert!(app.list().loading, "the current request is still awaited");
}

#[test]
fn a_failed_page_is_shown_not_swallowed() {
    let (mut app, _) = App::new("demo", HEIGHT);
    let generation = app.list().generation;
    app.update(Msg::Page {
        tab: Tab::Customers,
        kind: PageKind::First,
        generation,
        result: Err(worker::Failure {
            code: "storage",
            message: "disk on fire".into(),
        }),
    });
    let h = Harness {
        crm: Crm::open_in_memory().unwrap(),
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
    match h.app.selected_detail() {
        Some(DetailState::Ready(key, crate::app::Detail::Ticket { events, .. })) => {
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
    fn help() {
        let mut h = Harness::new(demo_crm(10));
        h.key(KeyCode::Char('?'));
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn loading() {
        let (app, _) = App::new("demo", HEIGHT);
        let h = Harness {
            crm: Crm::open_in_memory().unwrap(),
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

mod links {
    use super::*;
    use crm_core::ids::TicketId;

    fn on_tickets(h: &mut Harness) {
        h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]);
        assert_eq!(h.app.tab, Tab::Tickets);
    }

    fn ticket(h: &Harness, id: i64) -> crm_core::tickets::Ticket {
        h.crm
            .scope("demo", None)
            .unwrap()
            .tickets()
            .get(TicketId(id))
            .unwrap()
    }

    fn type_text(h: &mut Harness, text: &str) {
        for c in text.chars() {
            h.key(KeyCode::Char(c));
        }
    }

    #[test]
    fn the_picker_filters_as_you_type_and_links_on_enter() {
        let mut h = Harness::new(demo_crm(80));
        on_tickets(&mut h);
        let id = h.selected_id();
        h.key(KeyCode::Char('L'));
        let all = h.app.picker.as_ref().unwrap().items.len();
        assert!(all > 1);
        // `j` and `q` are letters here, not moves or quit.
        type_text(&mut h, "jq");
        assert!(!h.app.quit);
        assert!(
            h.app.picker.as_ref().unwrap().items.is_empty(),
            "no lead contains \"jq\""
        );
        h.key(KeyCode::Backspace);
        h.key(KeyCode::Backspace);
        let lead = h
            .crm
            .scope("demo", None)
            .unwrap()
            .leads()
            .list(&crm_core::leads::LeadFilter::default())
            .unwrap()
            .items[3]
            .clone();
        type_text(&mut h, &lead.name);
        let picker = h.app.picker.clone().unwrap();
        assert!(
            picker
                .items
                .iter()
                .all(|(_, label)| label.contains(&lead.name)),
            "{:?}",
            picker.items
        );
        let position = picker
            .items
            .iter()
            .position(|(i, _)| *i == lead.id.0)
            .unwrap();
        for _ in 0..position {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Enter);
        assert!(h.app.picker.is_none());
        assert_eq!(ticket(&h, id).related_lead_id, Some(lead.id));
        assert!(h.app.notice.as_deref().unwrap().contains("linked to lead"));
        // The detail shows the link at once, and the row holds it.
        match h.app.selected_detail() {
            Some(DetailState::Ready(_, crate::app::Detail::Ticket { lead: Some(l), .. })) => {
                assert_eq!(l.id, lead.id);
            }
            other => panic!("{other:?}"),
        }
        match h.app.list().selected_record() {
            Some(crate::app::Record::Ticket(t)) => assert_eq!(t.related_lead_id, Some(lead.id)),
            other => panic!("{other:?}"),
        }
        // x unlinks.
        h.key(KeyCode::Char('x'));
        assert_eq!(ticket(&h, id).related_lead_id, None);
        // Esc closes a picker without linking.
        h.key(KeyCode::Char('D'));
        h.key(KeyCode::Esc);
        assert!(h.app.picker.is_none());
        assert_eq!(ticket(&h, id).related_deal_id, None);
    }

    #[test]
    fn the_review_shows_the_dry_run_and_applies_it_on_enter() {
        let mut h = Harness::new(demo_crm(120));
        on_tickets(&mut h);
        h.key(KeyCode::Char('A'));
        let report = h.app.review.as_ref().unwrap().report.clone().unwrap();
        assert!(report.dry_run && report.linked_to_lead > 0);
        let linked = |h: &Harness| {
            let scope = h.crm.scope("demo", None).unwrap();
            let page = scope
                .tickets()
                .list(&crm_core::tickets::TicketFilter {
                    limit: Some(500),
                    ..Default::default()
                })
                .unwrap();
            page.items
                .iter()
                .filter(|t| t.related_lead_id.is_some() || t.related_deal_id.is_some())
                .count()
        };
        assert_eq!(linked(&h), 0, "reviewing changes nothing");
        h.key(KeyCode::Down);
        h.key(KeyCode::Enter);
        assert!(h.app.review.is_none());
        assert_eq!(linked(&h), report.matches.len());
        assert!(h.app.notice.as_deref().unwrap().starts_with("auto-link:"));
        // Esc leaves a review without applying.
        h.key(KeyCode::Char('A'));
        assert_eq!(
            h.app
                .review
                .as_ref()
                .unwrap()
                .report
                .as_ref()
                .unwrap()
                .linked_to_lead,
            0
        );
        h.key(KeyCode::Esc);
        assert!(h.app.review.is_none());
    }

    #[test]
    fn a_refused_change_is_shown_and_changes_nothing() {
        let crm = demo_crm(30);
        let mut h = Harness::new(crm);
        // The demo's viewer is its last user.
        let viewer = h
            .crm
            .scope("demo", None)
            .unwrap()
            .users()
            .list(&crm_core::tenancy::UserFilter {
                role: Some(crm_core::tenancy::Role::Viewer),
                ..Default::default()
            })
            .unwrap()
            .items[0]
            .id;
        h.actor = Some(viewer);
        on_tickets(&mut h);
        let id = h.selected_id();
        h.key(KeyCode::Char('L'));
        h.key(KeyCode::Enter);
        assert!(
            h.app.notice.as_deref().unwrap().starts_with("not changed:"),
            "{:?}",
            h.app.notice
        );
        assert_eq!(ticket(&h, id).related_lead_id, None);
        h.key(KeyCode::Char('A'));
        assert!(
            h.app
                .review
                .as_ref()
                .unwrap()
                .error
                .as_ref()
                .unwrap()
                .to_string()
                .contains("viewer and cannot write (forbidden)")
        );
    }

    #[test]
    fn snapshot_picker() {
        let mut h = Harness::new(demo_crm(40));
        on_tickets(&mut h);
        h.key(KeyCode::Char('L'));
        type_text(&mut h, "an");
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn snapshot_review() {
        let mut h = Harness::new(demo_crm(40));
        on_tickets(&mut h);
        h.key(KeyCode::Char('A'));
        insta::assert_snapshot!(h.screen());
    }
}

mod timeline {
    use super::*;
    use crate::timeline::{Opened, Viewer};
    use crm_core::calls::NewCall;
    use crm_core::ids::{CustomerId, UserId};
    use crm_core::timeline::{EventType, TimelineOwner, TimelineQuery};

    fn open(h: &mut Harness) {
        h.key(KeyCode::Char('t'));
    }

    fn ids(h: &Harness) -> Vec<String> {
        h.app
            .timeline
            .as_ref()
            .unwrap()
            .items
            .iter()
            .map(|e| e.id.clone())
            .collect()
    }

    /// The first `n` events of the customer's timeline as crm-core returns them.
    fn core_ids(h: &Harness, customer: i64, types: Option<Vec<EventType>>, n: u32) -> Vec<String> {
        h.crm
            .scope("demo", None)
            .unwrap()
            .timeline()
            .get(&TimelineQuery {
                types,
                limit: Some(n),
                ..TimelineQuery::of(TimelineOwner::Customer, customer)
            })
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.id)
            .collect()
    }

    #[test]
    fn t_opens_the_selected_customers_timeline_newest_first() {
        let mut h = Harness::new(demo_crm(60));
        let customer = h.selected_id();
        open(&mut h);
        let view = h.app.timeline.as_ref().unwrap();
        assert_eq!((view.owner, view.id), (TimelineOwner::Customer, customer));
        assert!(!view.items.is_empty());
        assert_eq!(ids(&h), core_ids(&h, customer, None, 100));
        assert!(!h.app.busy());
        h.key(KeyCode::Esc);
        assert!(h.app.timeline.is_none());
        assert!(!h.app.quit, "Esc leaves the timeline, not the client");
    }

    #[test]
    fn leads_and_deals_have_timelines_tickets_do_not() {
        let mut h = Harness::new(demo_crm(60));
        h.key(KeyCode::Tab);
        open(&mut h);
        assert_eq!(h.app.timeline.as_ref().unwrap().owner, TimelineOwner::Lead);
        h.key(KeyCode::Char('q'));
        h.key(KeyCode::Tab);
        open(&mut h);
        assert_eq!(h.app.timeline.as_ref().unwrap().owner, TimelineOwner::Deal);
        assert!(
            !h.app.timeline.as_ref().unwrap().items.is_empty(),
            "deals have stage changes"
        );
        h.key(KeyCode::Esc);
        h.key(KeyCode::Tab);
        open(&mut h);
        assert!(h.app.timeline.is_none());
        assert!(
            h.app
                .notice
                .as_deref()
                .unwrap()
                .contains("customers, leads and deals")
        );
    }

    #[test]
    fn toggles_filter_by_type_and_channel_and_zero_clears() {
        let mut h = Harness::new(demo_crm(60));
        let customer = h.selected_id();
        open(&mut h);
        let all = ids(&h);
        h.key(KeyCode::Char('3'));
        assert_eq!(
            ids(&h),
            core_ids(&h, customer, Some(vec![EventType::TicketEvent]), 100)
        );
        assert!(
            h.app
                .timeline
                .as_ref()
                .unwrap()
                .items
                .iter()
                .all(|e| e.event_type == EventType::TicketEvent)
        );
        h.key(KeyCode::Char('1'));
        assert!(
            h.app
                .timeline
                .as_ref()
                .unwrap()
                .items
                .iter()
                .all(|e| matches!(e.event_type, EventType::TicketEvent | EventType::Message))
        );
        h.key(KeyCode::Char('p'));
        let view = h.app.timeline.as_ref().unwrap();
        assert!(
            view.items
                .iter()
                .all(|e| e.channel == Some(crm_core::tickets::Channel::Phone))
        );
        h.key(KeyCode::Char('0'));
        assert_eq!(ids(&h), all);
    }

    #[test]
    fn the_range_counts_back_from_the_clock() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        let newest = h.app.timeline.as_ref().unwrap().items[0].occurred_at;
        h.key(KeyCode::Esc);
        // Ten days after the newest event: the last 7 days hold nothing, the last 30 it.
        h.app.now = newest + chrono::Duration::days(10);
        open(&mut h);
        h.key(KeyCode::Char('r'));
        assert!(h.app.timeline.as_ref().unwrap().items.is_empty());
        assert!(h.screen().contains("No events match these filters"));
        h.key(KeyCode::Char('r'));
        let view = h.app.timeline.as_ref().unwrap();
        assert_eq!(view.items[0].occurred_at, newest);
        let from = newest - chrono::Duration::days(20);
        assert!(view.items.iter().all(|e| e.occurred_at >= from));
    }

    #[test]
    fn scrolling_loads_older_pages_without_repeats() {
        let crm = demo_crm(30);
        // Three pages' worth of calls for the newest customer.
        let scope = crm.scope("demo", Some(UserId(1))).unwrap();
        scope
            .batch(|b| {
                for i in 0..250 {
                    b.create_call(NewCall {
                        customer_id: Some(CustomerId(30)),
                        duration_seconds: i,
                        ..Default::default()
                    })?;
                }
                Ok(())
            })
            .unwrap();
        drop(scope);
        let mut h = Harness::new(crm);
        open(&mut h);
        assert_eq!(ids(&h).len(), 100);
        for _ in 0..20 {
            h.key(KeyCode::PageDown);
        }
        let got = ids(&h);
        assert!(got.len() > 250, "{}", got.len());
        let unique: std::collections::HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), got.len());
        assert_eq!(got, core_ids(&h, 30, None, 500)[..got.len()].to_vec());
        let view = h.app.timeline.as_ref().unwrap();
        assert!(view.selected >= view.offset);
        // G goes to the oldest event held, which asks for more until there are none.
        for _ in 0..5 {
            h.key(KeyCode::Char('G'));
        }
        assert!(h.app.timeline.as_ref().unwrap().next_cursor.is_none());
        assert!(h.screen().contains("the beginning"), "{}", h.screen());
    }

    #[test]
    fn a_page_for_an_old_filter_is_dropped() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        let stale = h.app.timeline.as_ref().unwrap().generation;
        // A filter changes while a page is in flight: its answer must not land.
        let requests = h.app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('6'),
            KeyModifiers::NONE,
        )));
        let page = h
            .crm
            .scope("demo", None)
            .unwrap()
            .timeline()
            .get(&TimelineQuery::of(TimelineOwner::Customer, h.selected_id()))
            .unwrap();
        h.app.update(Msg::Timeline {
            generation: stale,
            result: Ok(page),
        });
        assert!(h.app.timeline.as_ref().unwrap().items.is_empty());
        h.answer(requests);
        assert!(
            h.app
                .timeline
                .as_ref()
                .unwrap()
                .items
                .iter()
                .all(|e| e.event_type == EventType::Call)
        );
    }

    #[test]
    fn enter_opens_the_events_record_and_esc_comes_back() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        let ticket = h
            .app
            .timeline
            .as_ref()
            .unwrap()
            .items
            .iter()
            .position(|e| e.event_type == EventType::TicketEvent)
            .unwrap();
        let expected = h.app.timeline.as_ref().unwrap().items[ticket]
            .ticket_id
            .unwrap();
        for _ in 0..ticket {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Enter);
        match h.app.viewer.as_ref().unwrap() {
            Viewer::Ready(opened) => match opened.as_ref() {
                Opened::Record(crate::app::Record::Ticket(t), _) => assert_eq!(t.id, expected),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(
            !h.screen().contains("L to link"),
            "the link keys do not work here"
        );
        h.key(KeyCode::Esc);
        assert!(h.app.viewer.is_none());
        assert!(h.app.timeline.is_some());

        // A message opens its conversation, oldest message first.
        let message = h
            .app
            .timeline
            .as_ref()
            .unwrap()
            .items
            .iter()
            .position(|e| e.event_type == EventType::Message);
        if let Some(i) = message {
            h.key(KeyCode::Char('g'));
            for _ in 0..i {
                h.key(KeyCode::Down);
            }
            h.key(KeyCode::Enter);
            let Some(Viewer::Ready(opened)) = h.app.viewer.as_ref() else {
                panic!()
            };
            let Opened::Conversation(_, messages) = opened.as_ref() else {
                panic!("{opened:?}")
            };
            assert!(messages.windows(2).all(|w| w[0].sent_at <= w[1].sent_at));
        }
    }

    #[test]
    fn snapshot_timeline() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        h.keys(&[KeyCode::Down, KeyCode::Down]);
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn snapshot_timeline_scrolled_keeps_the_day_on_top() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        for _ in 0..(HEIGHT as usize) {
            h.key(KeyCode::Down);
        }
        let screen = h.screen();
        let view = h.app.timeline.as_ref().unwrap();
        assert!(view.offset > 0, "scrolled");
        let top = view.items[view.offset]
            .occurred_at
            .format("%A %-d %B %Y")
            .to_string();
        let fourth_line = screen.lines().nth(4).unwrap();
        assert!(fourth_line.contains(&top), "{fourth_line}");
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn snapshot_timeline_loading() {
        let mut h = Harness::new(demo_crm(10));
        // Open without answering: the view shows that it is loading.
        let requests = h.app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('t'),
            KeyModifiers::NONE,
        )));
        assert_eq!(requests.len(), 1);
        assert!(h.app.busy());
        insta::assert_snapshot!(h.screen());
    }

    #[test]
    fn snapshot_opened_event() {
        let mut h = Harness::new(demo_crm(60));
        open(&mut h);
        h.key(KeyCode::Enter);
        insta::assert_snapshot!(h.screen());
    }
}

mod palette {
    use super::*;
    use crate::timeline::{Opened, Viewer};
    use crm_core::search::SearchType;

    fn type_text(h: &mut Harness, text: &str) {
        for c in text.chars() {
            h.key(KeyCode::Char(c));
        }
    }

    fn searches(h: &Harness) -> usize {
        h.sent
            .iter()
            .filter(|r| matches!(r, Request::Search(_)))
            .count()
    }

    #[test]
    fn slash_opens_it_anywhere_and_typing_searches_once_typing_pauses() {
        let mut h = Harness::new(demo_crm(40));
        h.key(KeyCode::Char('t')); // from inside a timeline too
        h.key(KeyCode::Char('/'));
        assert!(h.app.palette.is_some());
        assert_eq!(
            searches(&h),
            1,
            "the first search shows the facets of everything"
        );
        let everything = h
            .app
            .palette
            .as_ref()
            .unwrap()
            .results
            .as_ref()
            .unwrap()
            .total;
        assert!(everything > 40);
        type_text(&mut h, "print");
        assert_eq!(searches(&h), 1, "nothing sent while typing");
        assert!(h.app.busy());
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        assert_eq!(searches(&h), 2, "one search for the five keys");
        let results = h.app.palette.as_ref().unwrap().results.clone().unwrap();
        let direct = h
            .crm
            .scope("demo", None)
            .unwrap()
            .search()
            .query(&crm_core::search::SearchQuery {
                q: "print".into(),
                limit: Some(crate::palette::HITS),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(results, direct);
        h.key(KeyCode::Esc);
        assert!(h.app.palette.is_none());
        assert!(h.app.timeline.is_some(), "back where it was opened");
    }

    #[test]
    fn facets_toggle_filters_and_enter_opens_the_record() {
        let mut h = Harness::new(demo_crm(40));
        h.key(KeyCode::Char('/'));
        h.key(KeyCode::Tab);
        // The first facet row is a type: toggling it keeps only that type.
        let (kind, value, count) = h.app.palette.as_ref().unwrap().facet_rows()[0].clone();
        assert_eq!(kind, crate::palette::FacetKind::Type);
        h.key(KeyCode::Enter);
        let p = h.app.palette.as_ref().unwrap();
        assert!(p.active(kind, &value));
        let r = p.results.as_ref().unwrap();
        assert_eq!(r.total, count);
        assert!(r.hits.iter().all(|hit| hit.hit_type.as_str() == value));
        h.key(KeyCode::Enter);
        assert!(
            !h.app.palette.as_ref().unwrap().active(kind, &value),
            "toggled off"
        );

        h.key(KeyCode::Tab);
        type_text(&mut h, "a");
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        let hit = h
            .app
            .palette
            .as_ref()
            .unwrap()
            .results
            .as_ref()
            .unwrap()
            .hits[0]
            .clone();
        h.key(KeyCode::Enter);
        if hit.hit_type == SearchType::Conversation {
            match h.app.viewer.as_ref().unwrap() {
                Viewer::Ready(opened) => match opened.as_ref() {
                    Opened::Conversation(c, _) => assert_eq!(c.id.0, hit.id),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            }
            h.key(KeyCode::Esc);
            assert!(h.app.viewer.is_none() && h.app.palette.is_some());
        } else {
            assert!(h.app.palette.is_none() && h.app.open);
            assert_eq!(h.app.list().selected_record().unwrap().id(), hit.id);
        }
    }

    #[test]
    fn enter_opens_a_hit_in_its_tab_at_its_record_and_conversations_in_the_viewer() {
        let crm = demo_crm(40);
        {
            let scope = crm.scope("demo", Some(crm_core::ids::UserId(1))).unwrap();
            scope
                .tickets()
                .update(crm_core::tickets::TicketChanges {
                    id: Some(crm_core::ids::TicketId(1)),
                    subject: Some("Quokka escaped".into()),
                    ..Default::default()
                })
                .unwrap();
            scope
                .customers()
                .update(crm_core::customers::CustomerChanges {
                    id: Some(crm_core::ids::CustomerId(2)),
                    name: Some("Wombat Holdings".into()),
                    ..Default::default()
                })
                .unwrap();
        }
        let mut h = Harness::new(crm);
        // The oldest records: at the far end of their lists, not on the first page's top.
        for (q, tab, id) in [("quokka", Tab::Tickets, 1), ("wombat", Tab::Customers, 2)] {
            h.key(KeyCode::Char('/'));
            type_text(&mut h, q);
            let r = h.app.update(Msg::Tick);
            h.answer(r);
            h.key(KeyCode::Enter);
            assert!(h.app.palette.is_none() && h.app.viewer.is_none(), "{q}");
            assert_eq!(h.app.tab, tab);
            assert!(h.app.open, "the record is open");
            let list = h.app.list();
            assert_eq!(list.selected_record().unwrap().id(), id, "{q}");
            assert_eq!(list.selected, 0, "the list starts at the record");
            assert!(list.prev_cursor.is_some(), "newer records are above it");
            assert!(
                matches!(h.app.selected_detail(), Some(DetailState::Ready(k, _)) if k.id == id),
                "its detail is shown"
            );
            // Back in the list, the newer records above it load, and moving up reaches them.
            let before = list.rows.len();
            h.key(KeyCode::Esc);
            h.key(KeyCode::Up);
            let list = h.app.list();
            assert!(list.rows.len() > before, "{q}: newer rows loaded");
            assert_eq!(list.rows[list.selected + 1].id(), id, "{q}");
            // `/` brings the search back as it was, searched again.
            h.key(KeyCode::Char('/'));
            let p = h.app.palette.as_ref().unwrap();
            assert_eq!(p.query, q);
            assert_eq!(p.results.as_ref().unwrap().hits[p.selected].id, id);
            // Closed with Esc, the next `/` starts afresh.
            h.key(KeyCode::Esc);
            h.key(KeyCode::Char('/'));
            assert_eq!(h.app.palette.as_ref().unwrap().query, "");
            h.key(KeyCode::Esc);
        }
        // A conversation has no tab: it opens in the viewer, over the palette.
        let conversation = h
            .crm
            .scope("demo", None)
            .unwrap()
            .search()
            .query(&crm_core::search::SearchQuery {
                types: Some(vec![SearchType::Conversation]),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap()
            .hits[0]
            .clone();
        h.key(KeyCode::Char('/'));
        type_text(&mut h, &conversation.title);
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        let hits = h
            .app
            .palette
            .as_ref()
            .unwrap()
            .results
            .clone()
            .unwrap()
            .hits;
        let at = hits
            .iter()
            .position(|hit| hit.hit_type == SearchType::Conversation)
            .expect("the conversation is found by its subject");
        for _ in 0..at {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Enter);
        assert!(matches!(
            h.app.viewer.as_ref().unwrap(),
            Viewer::Ready(opened) if matches!(opened.as_ref(), Opened::Conversation(..))
        ));
        h.key(KeyCode::Esc);
        assert!(h.app.viewer.is_none() && h.app.palette.is_some());
    }

    #[test]
    fn a_hit_whose_record_is_not_at_the_top_of_its_page_says_so() {
        let crm = demo_crm(20);
        crm.scope("demo", Some(crm_core::ids::UserId(1)))
            .unwrap()
            .tickets()
            .update(crm_core::tickets::TicketChanges {
                id: Some(crm_core::ids::TicketId(3)),
                subject: Some("Quokka escaped".into()),
                ..Default::default()
            })
            .unwrap();
        let mut h = Harness::new(crm);
        h.key(KeyCode::Char('/'));
        type_text(&mut h, "quokka");
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        let requests = h
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let Some(Request::Page {
            tab,
            kind,
            generation,
        }) = requests.first().cloned()
        else {
            panic!("{requests:?}");
        };
        assert_eq!((tab, &kind), (Tab::Tickets, &PageKind::At(3)));
        // As if the record were gone by the time its page is read: the page starts further on.
        let page = worker::answer(
            &h.crm,
            "demo",
            h.actor,
            Request::Page {
                tab,
                kind: PageKind::At(2),
                generation,
            },
        );
        let Msg::Page { result, .. } = page else {
            panic!("{page:?}");
        };
        h.app.update(Msg::Page {
            tab,
            kind,
            generation,
            result,
        });
        assert_eq!(h.app.notice.as_deref(), Some("#3 is no longer there"));
        assert!(!h.app.open, "nothing is opened in its place");
        assert_eq!(h.app.list().selected_record().unwrap().id(), 2);
    }

    #[test]
    fn an_answer_for_an_older_query_is_dropped() {
        let mut h = Harness::new(demo_crm(20));
        h.key(KeyCode::Char('/'));
        type_text(&mut h, "zz");
        let stale = h.app.update(Msg::Tick);
        type_text(&mut h, "q");
        let fresh = h.app.update(Msg::Tick);
        h.answer(fresh);
        let now = h.app.palette.as_ref().unwrap().results.clone();
        h.answer(stale);
        assert_eq!(h.app.palette.as_ref().unwrap().results, now);
        assert_eq!(h.app.palette.as_ref().unwrap().query, "zzq");
    }

    #[test]
    fn snapshot_palette() {
        let mut h = Harness::new(demo_crm(40));
        h.key(KeyCode::Char('/'));
        type_text(&mut h, "refund");
        let r = h.app.update(Msg::Tick);
        h.answer(r);
        insta::assert_snapshot!(h.screen());
    }
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
    assert!(!h.app.help && h.app.timeline.is_some());
}

#[test]
fn money_is_shown_with_each_currencys_own_decimals() {
    assert_eq!(crate::ui::money(123_456, "USD"), "USD 1,234.56");
    assert_eq!(crate::ui::money(1_235, "JPY"), "JPY 1,235");
    assert_eq!(crate::ui::money(1_234, "KWD"), "KWD 1.234");
    assert_eq!(crate::ui::money(-5, "EUR"), "EUR -0.05");
}
