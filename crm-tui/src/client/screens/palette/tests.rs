use crate::client::app::Msg;
use crate::client::screens::detail::DetailState;
use crate::client::screens::palette::Palette;
use crate::client::screens::timeline::TimelineView;
use crate::client::screens::viewer::Viewer;
use crate::client::testing::*;
use crate::client::worker::{self, Opened, PageKind, Reply, Request, Tab};
use crm_core::search::SearchType;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    assert!(h.app.find::<Palette>().is_some());
    assert_eq!(
        searches(&h),
        1,
        "the first search shows the facets of everything"
    );
    let everything = h
        .app
        .find::<Palette>()
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
    let results = h.app.find::<Palette>().unwrap().results.clone().unwrap();
    let direct = h
        .crm
        .scope("demo", None)
        .unwrap()
        .search()
        .query(&crm_core::search::SearchQuery {
            q: "print".into(),
            limit: Some(crate::client::screens::palette::HITS),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(results, direct);
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Palette>().is_none());
    assert!(
        h.app.find::<TimelineView>().is_some(),
        "back where it was opened"
    );
}

#[test]
fn facets_toggle_filters_and_enter_opens_the_record() {
    let mut h = Harness::new(demo_crm(40));
    h.key(KeyCode::Char('/'));
    h.key(KeyCode::Tab);
    // The first facet row is a type: toggling it keeps only that type.
    let (kind, value, count) = h.app.find::<Palette>().unwrap().facet_rows()[0].clone();
    assert_eq!(kind, crate::client::screens::palette::FacetKind::Type);
    h.key(KeyCode::Enter);
    let p = h.app.find::<Palette>().unwrap();
    assert!(p.active(kind, &value));
    let r = p.results.as_ref().unwrap();
    assert_eq!(r.total, count);
    assert!(r.hits.iter().all(|hit| hit.hit_type.as_str() == value));
    h.key(KeyCode::Enter);
    assert!(
        !h.app.find::<Palette>().unwrap().active(kind, &value),
        "toggled off"
    );

    h.key(KeyCode::Tab);
    type_text(&mut h, "a");
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    let hit = h
        .app
        .find::<Palette>()
        .unwrap()
        .results
        .as_ref()
        .unwrap()
        .hits[0]
        .clone();
    h.key(KeyCode::Enter);
    if hit.hit_type == SearchType::Conversation {
        match h.app.find::<Viewer>().unwrap() {
            Viewer::Ready(opened, _) => match opened.as_ref() {
                Opened::Conversation(c, _, _) => assert_eq!(c.id.0, hit.id),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        h.key(KeyCode::Esc);
        assert!(h.app.find::<Viewer>().is_none() && h.app.find::<Palette>().is_some());
    } else {
        assert!(h.app.find::<Palette>().is_none() && h.app.lists.open);
        assert_eq!(h.app.lists.list().selected_record().unwrap().id(), hit.id);
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
        assert!(
            h.app.find::<Palette>().is_none() && h.app.find::<Viewer>().is_none(),
            "{q}"
        );
        assert_eq!(h.app.lists.tab, tab);
        assert!(h.app.lists.open, "the record is open");
        let list = h.app.lists.list();
        assert_eq!(list.selected_record().unwrap().id(), id, "{q}");
        assert_eq!(list.selected, 0, "the list starts at the record");
        assert!(list.prev_cursor.is_some(), "newer records are above it");
        assert!(
            matches!(h.app.lists.selected_detail(), Some(DetailState::Ready(k, _)) if k.id == id),
            "its detail is shown"
        );
        // Back in the list, the newer records above it load, and moving up reaches them.
        let before = list.rows.len();
        h.key(KeyCode::Esc);
        h.key(KeyCode::Up);
        let list = h.app.lists.list();
        assert!(list.rows.len() > before, "{q}: newer rows loaded");
        assert_eq!(list.rows[list.selected + 1].id(), id, "{q}");
        // `/` brings the search back as it was, searched again.
        h.key(KeyCode::Char('/'));
        let p = h.app.find::<Palette>().unwrap();
        assert_eq!(p.query.text(), q);
        assert_eq!(p.results.as_ref().unwrap().hits[p.selected].id, id);
        // Closed with Esc, the next `/` starts afresh.
        h.key(KeyCode::Esc);
        h.key(KeyCode::Char('/'));
        assert_eq!(h.app.find::<Palette>().unwrap().query.text(), "");
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
        .find::<Palette>()
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
        h.app.find::<Viewer>().unwrap(),
        Viewer::Ready(opened, _) if matches!(opened.as_ref(), Opened::Conversation(..))
    ));
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Viewer>().is_none() && h.app.find::<Palette>().is_some());
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
        query,
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
            query,
            generation,
        },
    );
    let Reply::Page { result, .. } = page else {
        panic!("{page:?}");
    };
    h.app.update(Reply::Page {
        tab,
        kind,
        generation,
        result,
    });
    assert_eq!(h.app.notice.as_deref(), Some("#3 is no longer there"));
    assert!(!h.app.lists.open, "nothing is opened in its place");
    assert_eq!(h.app.lists.list().selected_record().unwrap().id(), 2);
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
    let now = h.app.find::<Palette>().unwrap().results.clone();
    h.answer(stale);
    assert_eq!(h.app.find::<Palette>().unwrap().results, now);
    assert_eq!(h.app.find::<Palette>().unwrap().query.text(), "zzq");
}

#[test]
fn snapshot_palette() {
    let mut h = Harness::new(demo_crm(40));
    h.key(KeyCode::Char('/'));
    type_text(&mut h, "refund");
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_palette_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(20));
    let open = |h: &mut Harness| {
        h.key(KeyCode::Char('/'));
    };
    check_bindings(&crm, open, &[(KeyCode::Up, &[KeyCode::Down])]);
    // In the facets (with a filter on, so `c` has something to clear).
    let facets = |h: &mut Harness| {
        h.keys(&[KeyCode::Char('/'), KeyCode::Tab]);
    };
    check_bindings(
        &crm,
        facets,
        &[
            (KeyCode::Up, &[KeyCode::Down]),
            (KeyCode::Char('c'), &[KeyCode::Enter]),
        ],
    );
}

#[test]
fn two_values_of_a_facet_combine_the_cursor_stays_on_its_value_and_c_clears() {
    use crate::client::screens::palette::FacetKind;
    let mut h = Harness::new(demo_crm(40));
    h.keys(&[KeyCode::Char('/'), KeyCode::Tab]);
    let rows = |h: &Harness| h.app.find::<Palette>().unwrap().facet_rows();
    let at = |h: &Harness, value: &str| {
        rows(h)
            .iter()
            .position(|(k, v, _)| *k == FacetKind::TicketStatus && v == value)
            .unwrap()
    };
    let count = |h: &Harness, value: &str| rows(h)[at(h, value)].2;
    let (open, pending) = (count(&h, "open"), count(&h, "pending"));
    assert!(open > 0 && pending > 0);
    // Down to `open`, choose it: the cursor stays on `open` whatever reflows.
    while h.app.find::<Palette>().unwrap().facet_cursor < at(&h, "open") {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    let p = h.app.find::<Palette>().unwrap();
    assert_eq!(p.facet_cursor, at(&h, "open"), "still on open");
    assert_eq!(p.results.as_ref().unwrap().total, open);
    // `pending` is still offered with its own count, and adds to `open`.
    assert_eq!(count(&h, "pending"), pending);
    while h.app.find::<Palette>().unwrap().facet_cursor < at(&h, "pending") {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Char(' '));
    let p = h.app.find::<Palette>().unwrap();
    assert_eq!(p.results.as_ref().unwrap().total, open + pending);
    assert_eq!(p.facet_cursor, at(&h, "pending"));
    assert!(
        h.screen().contains("filters ticket status open, pending"),
        "{}",
        h.screen()
    );
    // A query that finds nothing keeps the chosen values on screen, at 0.
    h.key(KeyCode::Tab);
    type_text(&mut h, "zzzqqq");
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    assert_eq!(count(&h, "open"), 0);
    assert!(
        h.app
            .find::<Palette>()
            .unwrap()
            .active(FacetKind::TicketStatus, "pending")
    );
    // c (in the facets) clears every filter.
    h.keys(&[KeyCode::Tab, KeyCode::Char('c')]);
    let p = h.app.find::<Palette>().unwrap();
    assert!(!p.filtered());
    assert!(!h.screen().contains("filters ticket"), "{}", h.screen());
}

#[test]
fn the_mouse_toggles_a_facet_and_opens_a_hit() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::new(demo_crm(40));
    h.key(KeyCode::Char('/'));
    let click = |h: &mut Harness, x: u16, y: u16| {
        let r = h.app.update(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }));
        h.answer(r);
    };
    // The facet row of the first type, where the screen shows it.
    let (kind, value, count) = h.app.find::<Palette>().unwrap().facet_rows()[0].clone();
    let screen = h.screen();
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(&format!("[ ] {value}")))
        .unwrap();
    let x = line[..line.find("[ ]").unwrap()].chars().count() as u16 - 1;
    click(&mut h, x + 2, y as u16);
    let p = h.app.find::<Palette>().unwrap();
    assert!(p.active(kind, &value), "{}", h.screen());
    assert_eq!(p.results.as_ref().unwrap().total, count);
    // A click on the second hit selects it; a second click on it opens it.
    let hits = p.results.as_ref().unwrap().hits.clone();
    let y = (0..30u16)
        .find(|y| {
            h.screen()
                .lines()
                .nth(usize::from(*y))
                .is_some_and(|l| l.contains(&hits[1].title))
        })
        .unwrap();
    click(&mut h, 12, y);
    assert_eq!(h.app.find::<Palette>().unwrap().selected, 1);
    click(&mut h, 12, y);
    assert!(h.app.find::<Palette>().is_none() || h.app.find::<Viewer>().is_some());
}

#[test]
fn a_number_typed_finds_its_record_first() {
    let mut h = Harness::new(demo_crm(40));
    h.key(KeyCode::Char('/'));
    type_text(&mut h, "#12");
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    let p = h.app.find::<Palette>().unwrap();
    let hits = &p.results.as_ref().unwrap().hits;
    assert_eq!((hits[0].hit_type, hits[0].id), (SearchType::Customer, 12));
    assert!(hits.iter().take(3).all(|hit| hit.id == 12), "{hits:?}");
    // Enter opens customer 12.
    h.key(KeyCode::Enter);
    assert_eq!(h.app.lists.tab, Tab::Customers);
    assert_eq!(h.app.lists.list().selected_record().unwrap().id(), 12);
}

#[test]
fn a_quote_number_finds_the_quote_and_enter_shows_it_on_the_quotes_tab() {
    let (crm, _) = crate::client::screens::quotes::tests::with_quotes();
    let quote = crm
        .scope("demo", None)
        .unwrap()
        .quotes()
        .list(&crm_core::quotes::QuoteFilter::default())
        .unwrap()
        .items
        .remove(0);
    let mut h = Harness::sharing(crm);
    h.key(KeyCode::Char('/'));
    type_text(&mut h, &quote.number);
    let r = h.app.update(Msg::Tick);
    h.answer(r);
    let p = h.app.find::<Palette>().unwrap();
    let hit = &p.results.as_ref().unwrap().hits[0];
    assert_eq!((hit.hit_type, hit.id), (SearchType::Quote, quote.id.0));
    h.key(KeyCode::Enter);
    assert_eq!(h.app.lists.tab, Tab::Quotes);
    assert_eq!(
        h.app.lists.list().selected_record().unwrap().id(),
        quote.id.0
    );
}
