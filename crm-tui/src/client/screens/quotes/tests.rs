use crate::client::screens::composer::Composer;
use crate::client::screens::quotes::Quotes;
use crate::client::testing::*;
use crm_core::deals::DealFilter;
use crm_core::ids::DealId;
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

/// The demo with a template, and a new deal (the first of the Deals tab) with two quotes.
pub fn with_quotes() -> (Arc<crm_core::Crm>, DealId) {
    let crm = demo_crm(40);
    let scope = crm.scope("demo", Some(crm_core::ids::UserId(1))).unwrap();
    let pipeline = scope.deals().list(&DealFilter::default()).unwrap().items[0].pipeline_id;
    scope
        .deals()
        .create(
            serde_json::from_value(json!({"pipelineId": pipeline, "title": "Fleet renewal",
                "value": 1, "currency": "USD", "customerId": 1}))
            .unwrap(),
        )
        .unwrap();
    scope
        .quote_templates()
        .create(
            serde_json::from_value(json!({"name": "Standard", "validDays": 30,
                "lines": [{"description": "Setup", "quantity": 1, "unitPrice": 50_000}]}))
            .unwrap(),
        )
        .unwrap();
    let deal = scope.deals().list(&DealFilter::default()).unwrap().items[0].id;
    for price in [10_000, 20_000] {
        scope
            .quotes()
            .create(
                serde_json::from_value(json!({"dealId": deal,
                    "lines": [{"description": "Seat", "quantity": 2, "unitPrice": price}]}))
                .unwrap(),
            )
            .unwrap();
    }
    (Arc::new(crm), deal)
}

/// The deal's quotes, newest first.
fn deal_quotes(crm: &crm_core::Crm, deal: DealId) -> crm_core::Page<crm_core::quotes::Quote> {
    crm.scope("demo", None)
        .unwrap()
        .quotes()
        .list(&crm_core::quotes::QuoteFilter {
            deal_id: Some(deal),
            ..Default::default()
        })
        .unwrap()
}

/// The screen with each quote number (which follow the demo's own) written as its place.
pub fn numbered(crm: &crm_core::Crm, screen: &str) -> String {
    let scope = crm.scope("demo", None).unwrap();
    let mut screen = screen.to_owned();
    for q in scope
        .quotes()
        .list(&crm_core::quotes::QuoteFilter {
            limit: Some(500),
            ..Default::default()
        })
        .unwrap()
        .items
    {
        screen = screen.replace(&q.number, &format!("Q-#{:<7}", q.id));
    }
    screen
}

/// The client on the Deals tab with the first deal's quotes open.
pub fn on_quotes(h: &mut Harness) {
    h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Char('Q')]);
    assert!(h.app.find::<Quotes>().is_some());
}

#[test]
fn q_lists_the_deals_quotes_and_n_starts_one_from_a_template() {
    let (crm, deal) = with_quotes();
    let mut h = Harness::sharing(Arc::clone(&crm));
    // Q is a key of the deals only: elsewhere it does nothing, and their help does not list it.
    let before = h.screen();
    h.key(KeyCode::Char('Q'));
    assert_eq!(h.screen(), before);
    assert!(h.app.keymap().rows.iter().all(|(keys, _)| *keys != "Q"));
    on_quotes(&mut h);
    let screen = h.screen();
    let numbers: Vec<String> = deal_quotes(&crm, deal)
        .items
        .iter()
        .map(|q| q.number.clone())
        .collect();
    assert!(
        screen.contains(&numbers[0]) && screen.contains(&numbers[1]),
        "{screen}"
    );
    assert!(
        screen.contains("USD 400.00") && screen.contains("USD 200.00"),
        "{screen}"
    );
    assert_screens!(h, |s: String| numbered(&crm, &s));
    h.key(KeyCode::Char('n'));
    assert!(h.screen().contains("No template: an empty quote"));
    assert!(
        h.screen().contains("Standard (1 lines · valid 30 days)"),
        "{}",
        h.screen()
    );
    // The demo's own template comes first (oldest first); ours second.
    h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
    // The new quote opens in the composer with the template's line — and nothing is made yet.
    assert!(h.app.find::<Composer>().is_some());
    let screen = h.screen();
    assert!(screen.contains("Quote new (made when saved)"), "{screen}");
    assert!(
        screen.contains("Setup") && screen.contains("USD 500.00"),
        "{screen}"
    );
    assert_eq!(
        deal_quotes(&crm, deal).items.len(),
        2,
        "made only when saved"
    );
    // Esc leaves nothing behind.
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Composer>().is_none());
    assert_eq!(deal_quotes(&crm, deal).items.len(), 2);
    // Again, and saved: the quote is made, from the template, with the number it then takes.
    h.keys(&[
        KeyCode::Char('n'),
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Enter,
    ]);
    h.key(KeyCode::Char('s'));
    let made = deal_quotes(&crm, deal);
    assert_eq!(made.items.len(), 3);
    assert!(made.items[0].template_id.is_some());
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Quote {}", made.items[0].number)),
        "{screen}"
    );
    // Back in the list, the new quote is there.
    h.key(KeyCode::Esc);
    assert!(h.screen().contains(&made.items[0].number));
}

#[test]
fn every_listed_key_of_the_quotes_acts_and_no_other() {
    let (crm, _) = with_quotes();
    let down: &[KeyCode] = &[KeyCode::Down];
    check_bindings(
        &crm,
        on_quotes,
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    check_bindings(
        &crm,
        |h| {
            on_quotes(h);
            h.key(KeyCode::Char('n'));
        },
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
}

#[test]
fn back_from_the_composer_the_cursor_is_on_the_quote_just_made() {
    let (crm, deal) = with_quotes();
    let mut h = Harness::sharing(Arc::clone(&crm));
    on_quotes(&mut h);
    // `n`, no template: the new draft opens in the composer; a line, saved; then back.
    h.keys(&[KeyCode::Char('n'), KeyCode::Enter]);
    h.key(KeyCode::Char('a'));
    type_text(&mut h, "Onboarding");
    h.keys(&[KeyCode::Enter, KeyCode::Char('s'), KeyCode::Esc]);
    let quotes = deal_quotes(&crm, deal).items;
    let newest = quotes.iter().max_by_key(|q| q.id).unwrap();
    let list = h.app.find::<Quotes>().unwrap();
    assert_eq!(list.selected_quote(), Some(newest.id), "{}", h.screen());
}
