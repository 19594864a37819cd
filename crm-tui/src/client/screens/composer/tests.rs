use crate::client::screens::composer::Composer;
use crate::client::screens::quotes::tests::{numbered, on_quotes, with_quotes};
use crate::client::testing::*;
use crm_core::deals::DealStatus;
use crm_core::ids::{DealId, UserId};
use crm_core::quotes::{Quote, QuoteFilter, QuoteStatus};
use crossterm::event::KeyCode;
use serde_json::json;
use std::sync::Arc;

fn quotes_of(h: &Harness, deal: DealId) -> Vec<Quote> {
    let scope = h.crm.scope("demo", None).unwrap();
    let page = scope
        .quotes()
        .list(&QuoteFilter {
            deal_id: Some(deal),
            ..QuoteFilter::default()
        })
        .unwrap();
    page.items
        .iter()
        .map(|q| scope.quotes().get(q.id).unwrap())
        .collect()
}

/// Edits the selected number: it opens selected, so typing replaces it.
fn replace(h: &mut Harness, text: &str) {
    h.key(KeyCode::Enter);
    type_text(h, text);
    h.key(KeyCode::Enter);
}

/// Edits the selected field: clears it and types `text`.
fn set(h: &mut Harness, text: &str) {
    h.key(KeyCode::Enter);
    for _ in 0..40 {
        h.key(KeyCode::Backspace);
    }
    type_text(h, text);
    h.key(KeyCode::Enter);
}

#[test]
fn a_rep_composes_the_worked_case_sees_totals_as_she_types_sends_and_wins() {
    let (crm, deal) = with_quotes();
    let mut h = Harness::sharing(Arc::clone(&crm));
    on_quotes(&mut h);
    // A new, empty quote.
    h.keys(&[KeyCode::Char('n'), KeyCode::Enter]);
    assert!(h.screen().contains("No lines yet"), "{}", h.screen());
    // A free-text line described by what was typed in the picker (no product matches), then
    // typed field by field: the worked case. A number opens selected: typing replaces it.
    h.key(KeyCode::Char('a'));
    type_text(&mut h, "Consulting day");
    assert!(
        h.screen().contains("Free text line: Consulting day"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Enter);
    h.key(KeyCode::Right);
    replace(&mut h, "16");
    h.key(KeyCode::Right);
    replace(&mut h, "348.35");
    h.key(KeyCode::Right);
    replace(&mut h, "4");
    h.key(KeyCode::Right);
    replace(&mut h, "22");
    let screen = h.screen();
    assert!(
        screen.contains("Total") && screen.contains("USD 6,527.81"),
        "{screen}"
    );
    assert!(screen.contains("5,350.66"), "the line's net: {screen}");
    // The totals follow each key, before Enter: 10% off the quote, then Esc puts it back.
    h.key(KeyCode::Char('%'));
    type_text(&mut h, "10");
    assert!(h.screen().contains("USD 5,875.02"), "{}", h.screen());
    h.key(KeyCode::Esc);
    assert!(h.screen().contains("USD 6,527.81"), "{}", h.screen());
    // Global rounding: one cent less.
    h.key(KeyCode::Char('r'));
    assert!(h.screen().contains("USD 6,527.80"), "{}", h.screen());
    h.key(KeyCode::Char('r'));
    // A bad quantity is marked on its field and the totals wait.
    h.keys(&[KeyCode::Left, KeyCode::Left, KeyCode::Left]);
    set(&mut h, "1.2345");
    let screen = h.screen();
    assert!(
        screen.contains("Line 1, Qty: a quantity has at most three decimals"),
        "{screen}"
    );
    assert!(screen.contains("Totals wait for every field"), "{screen}");
    h.key(KeyCode::Char('s'));
    assert!(
        h.screen().contains("not saved: line 1, Qty"),
        "{}",
        h.screen()
    );
    set(&mut h, "16");
    // A product picked by typing: its name, price and tax rate; the quantity selected.
    h.key(KeyCode::Char('a'));
    type_text(&mut h, "gtx pro");
    assert!(
        h.screen().contains("GTX Pro  DHC-001  USD 4,821.00"),
        "{}",
        h.screen()
    );
    assert!(!h.screen().contains("GTX Basic") && !h.screen().contains("MG Special"));
    // The first match is chosen as you type.
    h.key(KeyCode::Enter);
    replace(&mut h, "2");
    assert_screens!(h, |s: String| numbered(&crm, &s));
    // Reorder: the product line up, then remove nothing; save.
    h.key(KeyCode::Char('K'));
    h.key(KeyCode::Char('s'));
    assert!(h.screen().contains("saved"), "{}", h.screen());
    let saved = &quotes_of(&h, deal)[0];
    let lines = saved.lines.as_ref().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].description, "GTX Pro");
    assert_eq!((lines[0].unit_price, lines[0].tax_rate_bp), (482_100, 800));
    assert_eq!(lines[1].description, "Consulting day");
    assert_eq!(lines[1].net, 535_066);
    // 2 × 4,821.00 + 8% = 10,413.36, plus 6,527.81.
    assert_eq!(saved.totals.total, 1_041_336 + 652_781);
    // Send asks first, naming what happens; `n` changes nothing.
    h.key(KeyCode::Char('S'));
    let screen = h.screen();
    assert!(
        screen.contains("Send Q-")
            && screen.contains("(USD 16,941.17)")
            && screen.contains("It can no longer be edited. y/n"),
        "{screen}"
    );
    h.key(KeyCode::Char('n'));
    assert_eq!(quotes_of(&h, deal)[0].status, QuoteStatus::Draft);
    assert_eq!(h.app.keymap().title, "Keys in the quote composer");
    // Send: frozen, the keys are a sent quote's.
    h.keys(&[KeyCode::Char('S'), KeyCode::Char('y')]);
    assert_eq!(quotes_of(&h, deal)[0].status, QuoteStatus::Sent);
    assert_eq!(h.app.keymap().title, "Keys on a sent quote");
    h.key(KeyCode::Char('d'));
    assert_eq!(quotes_of(&h, deal)[0].lines.as_ref().unwrap().len(), 2);
    // Accept asks too (Esc is no); then the deal is won with the total.
    h.keys(&[KeyCode::Char('A'), KeyCode::Esc]);
    assert_eq!(quotes_of(&h, deal)[0].status, QuoteStatus::Sent);
    h.key(KeyCode::Char('A'));
    assert!(
        h.screen().contains("is won with USD 16,941.17. y/n"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Char('y'));
    assert!(
        h.screen().contains("accepted: the deal is won"),
        "{}",
        h.screen()
    );
    let won = h
        .crm
        .scope("demo", None)
        .unwrap()
        .deals()
        .get(deal)
        .unwrap();
    assert_eq!(
        (won.status, won.value),
        (DealStatus::Won, 1_041_336 + 652_781)
    );
    assert_eq!(h.app.keymap().title, "Keys on a quote");
}

#[test]
fn a_sent_quote_is_rejected_with_a_reason_and_revised_into_a_new_draft() {
    let (crm, deal) = with_quotes();
    let first = crm
        .scope("demo", Some(UserId(1)))
        .unwrap()
        .quotes()
        .list(&QuoteFilter {
            deal_id: Some(deal),
            ..QuoteFilter::default()
        })
        .unwrap()
        .items[0]
        .id;
    crm.scope("demo", Some(UserId(1)))
        .unwrap()
        .quotes()
        .send(first)
        .unwrap();
    let mut h = Harness::sharing(Arc::clone(&crm));
    on_quotes(&mut h);
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("frozen"), "{}", h.screen());
    h.key(KeyCode::Char('R'));
    type_text(&mut h, "Too dear — «trop cher»");
    h.key(KeyCode::Enter);
    let rejected = &quotes_of(&h, deal)[0];
    assert_eq!(rejected.status, QuoteStatus::Rejected);
    assert_eq!(
        rejected.reject_reason.as_deref(),
        Some("Too dear — «trop cher»")
    );
    assert!(h.screen().contains("Rejected: Too dear"), "{}", h.screen());
    h.key(KeyCode::Char('v'));
    let now = quotes_of(&h, deal);
    assert_eq!((now[0].revision, now[0].status), (2, QuoteStatus::Draft));
    assert_eq!(now[1].status, QuoteStatus::Superseded);
    // The composer now holds the new draft, editable.
    assert_eq!(h.app.keymap().title, "Keys in the quote composer");
    assert!(h.screen().contains("rev. 2"), "{}", h.screen());
    // A validity date: a bad day is refused where it is typed, a good one is saved.
    h.key(KeyCode::Char('u'));
    type_text(&mut h, "31/12");
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("a day as YYYY-MM-DD"), "{}", h.screen());
    for _ in 0..5 {
        h.key(KeyCode::Backspace);
    }
    type_text(&mut h, "2999-12-31");
    h.key(KeyCode::Enter);
    assert!(
        h.screen().contains("valid until 2999-12-31"),
        "{}",
        h.screen()
    );
    // Notes and terms, typed on the draft, printed under the totals.
    h.key(KeyCode::Char('N'));
    type_text(&mut h, "Delivery in May");
    h.chord(KeyCode::Enter, crossterm::event::KeyModifiers::ALT);
    type_text(&mut h, "Install on site");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('T'));
    type_text(&mut h, "Net 30");
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("│Notes:")
            && screen.contains("│Delivery in May")
            && screen.contains("│Install on site"),
        "notes keep their lines: {screen}"
    );
    h.key(KeyCode::Char('s'));
    let saved = &quotes_of(&h, deal)[0];
    assert_eq!(
        saved.valid_until.unwrap().to_rfc3339(),
        "2999-12-31T23:59:59.999+00:00"
    );
    assert_eq!(
        saved.notes.as_deref(),
        Some("Delivery in May\nInstall on site")
    );
    assert_eq!(saved.terms.as_deref(), Some("Net 30"));
    // Unsaved changes ask before leaving.
    h.keys(&[KeyCode::Char('r'), KeyCode::Esc]);
    assert!(h.app.find::<Composer>().is_some());
    assert!(h.screen().contains("unsaved changes"));
    h.key(KeyCode::Esc);
    assert!(h.app.find::<Composer>().is_none());
}

#[test]
fn every_listed_key_of_the_composer_acts_and_no_other() {
    let (crm, deal) = with_quotes();
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    let ids: Vec<_> = scope
        .quotes()
        .list(&QuoteFilter {
            deal_id: Some(deal),
            ..QuoteFilter::default()
        })
        .unwrap()
        .items
        .iter()
        .map(|q| q.id)
        .collect();
    // Two lines on each; the older quote sent.
    for id in &ids {
        scope
            .quotes()
            .update(
                serde_json::from_value(json!({"id": id, "lines": [
                    {"description": "A", "quantity": 1, "unitPrice": 100},
                    {"description": "B", "quantity": 2, "unitPrice": 200}]}))
                .unwrap(),
            )
            .unwrap();
    }
    scope.quotes().send(ids[1]).unwrap();
    let down: &[KeyCode] = &[KeyCode::Down];
    let right: &[KeyCode] = &[KeyCode::Right];
    let typed: &[KeyCode] = &[KeyCode::Char('x')];
    let draft = |h: &mut Harness| {
        on_quotes(h);
        h.key(KeyCode::Enter);
    };
    check_bindings(
        &crm,
        draft,
        &[
            (KeyCode::Up, down),
            (KeyCode::Char('k'), down),
            (KeyCode::Char('K'), down),
            (KeyCode::Left, right),
            (KeyCode::Char('h'), right),
        ],
    );
    // Editing a field, adding a line.
    check_bindings(
        &crm,
        |h| {
            draft(h);
            h.key(KeyCode::Enter);
        },
        &[],
    );
    check_bindings(
        &crm,
        |h| {
            draft(h);
            h.key(KeyCode::Char('N'));
        },
        &[],
    );
    check_bindings(
        &crm,
        |h| {
            draft(h);
            h.key(KeyCode::Char('a'));
        },
        &[(KeyCode::Backspace, typed), (KeyCode::Up, down)],
    );
    // A new quote, not made yet (the Standard template's line, and a free-text one).
    check_bindings(
        &crm,
        |h| {
            on_quotes(h);
            h.keys(&[
                KeyCode::Char('n'),
                KeyCode::Down,
                KeyCode::Down,
                KeyCode::Enter,
                KeyCode::Char('a'),
                KeyCode::Enter,
            ]);
        },
        &[
            (KeyCode::Down, &[KeyCode::Up]),
            (KeyCode::Char('j'), &[KeyCode::Up]),
            (KeyCode::Char('J'), &[KeyCode::Up]),
            (KeyCode::Left, right),
            (KeyCode::Char('h'), right),
        ],
    );
    // Asked before sending.
    check_bindings(
        &crm,
        |h| {
            draft(h);
            h.key(KeyCode::Char('S'));
        },
        &[],
    );
    // The sent one; rejecting it; rejected; accepted.
    let sent = |h: &mut Harness| {
        on_quotes(h);
        h.keys(&[KeyCode::Down, KeyCode::Enter]);
    };
    check_bindings(
        &crm,
        sent,
        &[(KeyCode::Up, down), (KeyCode::Char('k'), down)],
    );
    check_bindings(
        &crm,
        |h| {
            sent(h);
            h.key(KeyCode::Char('R'));
        },
        &[(KeyCode::Backspace, typed)],
    );
    scope
        .quotes()
        .reject(crm_core::quotes::lifecycle::Reject {
            id: ids[1],
            reason: None,
        })
        .unwrap();
    let up = [(KeyCode::Up, down), (KeyCode::Char('k'), down)];
    check_bindings(&crm, sent, &up);
    // Revised: the old one is superseded, and the new draft is the newest quote.
    scope.quotes().revise(ids[1]).unwrap();
    check_bindings(
        &crm,
        |h| {
            on_quotes(h);
            h.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Enter]);
        },
        &up,
    );
}

#[test]
fn p_shows_the_quote_as_the_customer_receives_it() {
    let (crm, deal) = with_quotes();
    let mut h = Harness::sharing(Arc::clone(&crm));
    on_quotes(&mut h);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('p'));
    let quote = &quotes_of(&h, deal)[0];
    // The same text `crm quote render` prints.
    let rendered = crm
        .scope("demo", None)
        .unwrap()
        .quotes()
        .render(&crm_core::quotes::render::RenderRequest {
            id: quote.id,
            format: crm_core::quotes::render::Format::Text,
        })
        .unwrap()
        .content;
    let screen = h.screen();
    for line in rendered.lines().filter(|l| !l.trim().is_empty()).take(8) {
        assert!(screen.contains(line.trim_end()), "{line:?} not in {screen}");
    }
    h.key(KeyCode::Esc);
    assert_eq!(h.app.keymap().title, "Keys in the quote composer");
    check_bindings(
        &crm,
        |h| {
            on_quotes(h);
            h.keys(&[KeyCode::Enter, KeyCode::Char('p')]);
        },
        &[],
    );
}
