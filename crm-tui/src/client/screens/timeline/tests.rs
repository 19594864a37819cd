use crate::client::app::Msg;
use crate::client::screens::timeline::TimelineView;
use crate::client::screens::viewer::Viewer;
use crate::client::testing::*;
use crate::client::worker::{Opened, Reply};
use crm_core::calls::NewCall;
use crm_core::ids::{CustomerId, UserId};
use crm_core::timeline::{EventType, TimelineOwner, TimelineQuery};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn open(h: &mut Harness) {
    h.key(KeyCode::Char('t'));
}

fn ids(h: &Harness) -> Vec<String> {
    h.app
        .find::<TimelineView>()
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
    let view = h.app.find::<TimelineView>().unwrap();
    assert_eq!((view.owner, view.id), (TimelineOwner::Customer, customer));
    assert!(!view.items.is_empty());
    assert_eq!(ids(&h), core_ids(&h, customer, None, 100));
    assert!(!h.app.busy());
    h.key(KeyCode::Esc);
    assert!(h.app.find::<TimelineView>().is_none());
    assert!(!h.app.quit, "Esc leaves the timeline, not the client");
}

#[test]
fn leads_and_deals_have_timelines_tickets_do_not() {
    let mut h = Harness::new(demo_crm(60));
    h.key(KeyCode::Tab);
    open(&mut h);
    assert_eq!(
        h.app.find::<TimelineView>().unwrap().owner,
        TimelineOwner::Lead
    );
    h.key(KeyCode::Char('q'));
    h.key(KeyCode::Tab);
    open(&mut h);
    assert_eq!(
        h.app.find::<TimelineView>().unwrap().owner,
        TimelineOwner::Deal
    );
    assert!(
        !h.app.find::<TimelineView>().unwrap().items.is_empty(),
        "deals have stage changes"
    );
    h.key(KeyCode::Esc);
    h.key(KeyCode::Tab);
    // Tickets have no timeline key: their help does not list `t`, and it does nothing.
    assert!(h.app.keymap().rows.iter().all(|(keys, _)| *keys != "t"));
    open(&mut h);
    assert!(h.app.find::<TimelineView>().is_none());
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
            .find::<TimelineView>()
            .unwrap()
            .items
            .iter()
            .all(|e| e.event_type == EventType::TicketEvent)
    );
    h.key(KeyCode::Char('1'));
    assert!(
        h.app
            .find::<TimelineView>()
            .unwrap()
            .items
            .iter()
            .all(|e| matches!(e.event_type, EventType::TicketEvent | EventType::Message))
    );
    h.key(KeyCode::Char('p'));
    let view = h.app.find::<TimelineView>().unwrap();
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
    let newest = h.app.find::<TimelineView>().unwrap().items[0].occurred_at;
    h.key(KeyCode::Esc);
    // Ten days after the newest event: the last 7 days hold nothing, the last 30 it.
    h.app.now = newest + chrono::Duration::days(10);
    open(&mut h);
    h.key(KeyCode::Char('r'));
    assert!(h.app.find::<TimelineView>().unwrap().items.is_empty());
    assert!(h.screen().contains("No events match these filters"));
    h.key(KeyCode::Char('r'));
    let view = h.app.find::<TimelineView>().unwrap();
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
    let view = h.app.find::<TimelineView>().unwrap();
    assert!(view.selected >= view.offset);
    // G goes to the oldest event held, which asks for more until there are none.
    for _ in 0..5 {
        h.key(KeyCode::Char('G'));
    }
    assert!(h.app.find::<TimelineView>().unwrap().next_cursor.is_none());
    assert!(h.screen().contains("the beginning"), "{}", h.screen());
}

#[test]
fn a_page_for_an_old_filter_is_dropped() {
    let mut h = Harness::new(demo_crm(60));
    open(&mut h);
    let stale = h.app.find::<TimelineView>().unwrap().generation;
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
    h.app.update(Reply::Timeline {
        generation: stale,
        result: Ok(page),
    });
    assert!(h.app.find::<TimelineView>().unwrap().items.is_empty());
    h.answer(requests);
    assert!(
        h.app
            .find::<TimelineView>()
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
        .find::<TimelineView>()
        .unwrap()
        .items
        .iter()
        .position(|e| e.event_type == EventType::TicketEvent)
        .unwrap();
    let expected = h.app.find::<TimelineView>().unwrap().items[ticket]
        .ticket_id
        .unwrap();
    for _ in 0..ticket {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    match h.app.find::<Viewer>().unwrap() {
        Viewer::Ready(opened, _) => match opened.as_ref() {
            Opened::Record(crate::client::worker::Record::Ticket(t), _) => {
                assert_eq!(t.id, expected);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // It has the Tickets tab's link keys: L links through the picker, x unlinks after asking,
    // and the viewer shows each change.
    assert_eq!(
        h.app.keymap().title,
        "Keys on a ticket in the record viewer"
    );
    h.key(KeyCode::Char('L'));
    assert!(
        h.app
            .find::<crate::client::screens::picker::Picker>()
            .is_some()
    );
    h.key(KeyCode::Enter);
    let linked = crate::client::testing::ticket(&h, expected.0)
        .related_lead_id
        .expect("linked");
    assert!(
        h.screen().contains(&format!("lead #{} ", linked.0)),
        "{}",
        h.screen()
    );
    h.keys(&[KeyCode::Char('x'), KeyCode::Char('y')]);
    assert_eq!(
        crate::client::testing::ticket(&h, expected.0).related_lead_id,
        None
    );
    assert!(h.screen().contains("no lead (L to link)"), "{}", h.screen());
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Viewer>().is_none());
    assert!(h.app.find::<TimelineView>().is_some());

    // A message opens its conversation, oldest message first.
    let message = h
        .app
        .find::<TimelineView>()
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
        let Some(Viewer::Ready(opened, _)) = h.app.find::<Viewer>() else {
            panic!()
        };
        let Opened::Conversation(_, messages, _) = opened.as_ref() else {
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
    assert_screens!(h);
}

#[test]
fn snapshot_timeline_scrolled_keeps_the_day_on_top() {
    let mut h = Harness::new(demo_crm(60));
    open(&mut h);
    for _ in 0..(HEIGHT as usize) {
        h.key(KeyCode::Down);
    }
    let screen = h.screen();
    let view = h.app.find::<TimelineView>().unwrap();
    assert!(view.offset > 0, "scrolled");
    let top = view.items[view.offset]
        .occurred_at
        .format("%A %-d %B %Y")
        .to_string();
    let fourth_line = screen.lines().nth(4).unwrap();
    assert!(fourth_line.contains(&top), "{fourth_line}");
    assert_screens!(h);
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
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_a_timeline_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(40));
    let in_the_middle = |h: &mut Harness| {
        h.key(KeyCode::Char('t'));
        h.keys(&[KeyCode::Down, KeyCode::Down]);
    };
    // `0` clears filters: there must be one to clear.
    check_bindings(
        &crm,
        in_the_middle,
        &[(KeyCode::Char('0'), &[KeyCode::Char('1')])],
    );
}
