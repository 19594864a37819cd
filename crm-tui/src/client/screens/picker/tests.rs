use crate::client::screens::confirm::Confirm;
use crate::client::screens::detail::DetailState;
use crate::client::screens::picker::Picker;
use crate::client::screens::review::Review;
use crate::client::testing::*;
use crossterm::event::KeyCode;

#[test]
fn the_picker_filters_as_you_type_and_links_on_enter() {
    let mut h = Harness::new(demo_crm(80));
    on_tickets(&mut h);
    let id = h.selected_id();
    h.key(KeyCode::Char('L'));
    let all = h.app.find::<Picker>().unwrap().items.len();
    assert!(all > 1);
    // `j` and `q` are letters here, not moves or quit.
    type_text(&mut h, "jq");
    assert!(!h.app.quit);
    assert!(
        h.app.find::<Picker>().unwrap().items.is_empty(),
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
    let picker = h.app.find::<Picker>().cloned().unwrap();
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
    assert!(h.app.find::<Picker>().is_none());
    assert_eq!(ticket(&h, id).related_lead_id, Some(lead.id));
    assert!(h.app.notice.as_deref().unwrap().contains("linked to lead"));
    // The detail shows the link at once, and the row holds it.
    match h.app.lists.selected_detail() {
        Some(DetailState::Ready(
            _,
            crate::client::worker::Detail {
                related: crate::client::worker::Related::Ticket { lead: Some(l), .. },
                ..
            },
        )) => {
            assert_eq!(l.id, lead.id);
        }
        other => panic!("{other:?}"),
    }
    match h.app.lists.list().selected_record() {
        Some(crate::client::worker::Record::Ticket(t)) => {
            assert_eq!(t.related_lead_id, Some(lead.id));
        }
        other => panic!("{other:?}"),
    }
    // x asks first, naming the ticket and the lead; n changes nothing, y unlinks.
    h.key(KeyCode::Char('x'));
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Unlink ticket #{id} "))
            && screen.contains(&format!("from lead #{}?", lead.id.0)),
        "{screen}"
    );
    h.key(KeyCode::Char('n'));
    assert_eq!(ticket(&h, id).related_lead_id, Some(lead.id));
    h.keys(&[KeyCode::Char('x'), KeyCode::Char('y')]);
    assert_eq!(ticket(&h, id).related_lead_id, None);
    // With nothing linked, x says so and asks nothing.
    h.key(KeyCode::Char('x'));
    assert!(
        h.screen().contains("has no lead to unlink"),
        "{}",
        h.screen()
    );
    assert!(h.app.find::<Confirm>().is_none());
    // Esc closes a picker without linking.
    h.key(KeyCode::Char('D'));
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Picker>().is_none());
    assert_eq!(ticket(&h, id).related_deal_id, None);
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
            .find::<Review>()
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
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_picker_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(40));
    let open = |h: &mut Harness| {
        on_tickets(h);
        h.key(KeyCode::Char('L'));
    };
    check_bindings(&crm, open, &[(KeyCode::Up, &[KeyCode::Down])]);
}

#[test]
fn every_listed_key_of_an_unlink_question_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(30));
    check_bindings(
        &crm,
        |h| {
            on_tickets(h);
            h.keys(&[KeyCode::Char('L'), KeyCode::Enter, KeyCode::Char('x')]);
            assert!(h.app.find::<Confirm>().is_some());
        },
        &[],
    );
}
