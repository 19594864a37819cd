use crate::client::screens::review::Review;
use crate::client::testing::*;
use crossterm::event::KeyCode;

#[test]
fn the_review_shows_the_dry_run_and_applies_it_on_enter() {
    let mut h = Harness::new(demo_crm(120));
    on_tickets(&mut h);
    h.key(KeyCode::Char('A'));
    let report = h.app.find::<Review>().unwrap().report.clone().unwrap();
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
    assert!(h.app.find::<Review>().is_none());
    assert_eq!(linked(&h), report.matches.len());
    assert!(h.app.notice.as_deref().unwrap().starts_with("auto-link:"));
    // Esc leaves a review without applying.
    h.key(KeyCode::Char('A'));
    assert_eq!(
        h.app
            .find::<Review>()
            .unwrap()
            .report
            .as_ref()
            .unwrap()
            .linked_to_lead,
        0
    );
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Review>().is_none());
}

#[test]
fn snapshot_review() {
    let mut h = Harness::new(demo_crm(40));
    on_tickets(&mut h);
    h.key(KeyCode::Char('A'));
    assert_screens!(h);
}

#[test]
fn every_listed_key_of_the_review_acts_and_no_other() {
    let crm = std::sync::Arc::new(demo_crm(40));
    let open = |h: &mut Harness| {
        on_tickets(h);
        h.key(KeyCode::Char('A'));
    };
    let down: &[KeyCode] = &[KeyCode::Down];
    check_bindings(
        &crm,
        open,
        &[
            (KeyCode::Up, down),
            (KeyCode::Char('k'), down),
            (KeyCode::PageUp, down),
        ],
    );
}
