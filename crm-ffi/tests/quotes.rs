//! Quotes through the C ABI, as a host uses them: a rep's quote from a template, the worked
//! case's totals, send, accept winning the deal; every transition legal and illegal; expiry;
//! an accept that fails in the middle; numbering from two handles at once; JPY and KWD; a
//! 1,000-line quote; the HTML escaping a product named `<script>`; another tenant's quotes
//! not found; bad input named and changing nothing.
#![allow(unsafe_code)]
#![allow(clippy::many_single_char_names)] // records named by their initial (w, d, p, t, q)

use serde_json::{Value, json};

mod common;
use common::{Handle, World, fingerprint, invalid, req};

/// A deal in `currency` for the world's customer, in the world's pipeline (open, won).
fn deal(w: &World, currency: &str) -> i64 {
    w.id(
        "deals.create",
        json!({"pipelineId": w.get("pipelineId"), "title": format!("Deal in {currency}"),
               "value": 1, "currency": currency, "customerId": w.get("customerId")}),
    )
}

/// A deal of the other tenant (its admin is user 1 there), in `currency`.
fn other_deal(w: &World, currency: &str) -> Value {
    let p = w.h.ok(&req(
        "pipelines.create",
        "other",
        1,
        json!({"name": "P", "stages": [{"name": "O", "probability": 1, "kind": "open"}]}),
    ));
    w.h.ok(&req(
        "deals.create",
        "other",
        1,
        json!({"pipelineId": p["id"], "title": "G", "value": 1, "currency": currency}),
    ))["id"]
        .clone()
}

/// The tags of an HTML page left open or closed out of order (void elements aside): an
/// escaping fault that let a field's `<` through would show here.
fn unbalanced(page: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut faults = Vec::new();
    for piece in page.split('<').skip(1) {
        let tag = piece.split(['>', ' ']).next().unwrap_or("");
        if tag.starts_with('!') || ["meta", "br", "img", "link"].contains(&tag) {
            continue;
        }
        match tag.strip_prefix('/') {
            Some(closing) if open.last().map(String::as_str) == Some(closing) => {
                open.pop();
            }
            Some(closing) => faults.push(format!("</{closing}>")),
            None => open.push(tag.to_owned()),
        }
    }
    faults.extend(open);
    faults
}

/// Whether a rendered text has a line `label … value` (the totals are aligned in columns).
fn shows(text: &str, label: &str, value: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with(label) && l.trim_end().ends_with(value))
}

fn err(w: &World, method: &str, params: Value) -> (String, Option<String>) {
    w.h.err(&req(method, "acme", w.admin, params))
}

fn conflict(w: &World, method: &str, params: &Value) {
    let before = w.fingerprint();
    let (code, _) = err(w, method, params.clone());
    assert_eq!(code, "conflict", "{method} {params}");
    assert_eq!(w.fingerprint(), before, "{method} changed something");
}

/// A draft of one line: the worked case, 16 × 348.35 at 4% off with 22% tax.
fn worked_draft(w: &World, deal: i64) -> Value {
    w.ok(
        "quotes.create",
        json!({"dealId": deal, "lines": [{"description": "Consulting day", "quantity": 16,
               "unitPrice": 34_835, "discountBp": 400, "taxRateBp": 2_200}]}),
    )
}

/// Moves a quote's validity into the past, as time passing would: through a connection of
/// its own, like another process.
fn lapse(w: &World, quote: &Value) {
    let conn = crm_core::store::raw_connection(&w.path).unwrap();
    conn.execute(
        "UPDATE quotes SET valid_until = sent_at + 1 WHERE id = ?1",
        [quote["id"].as_i64().unwrap()],
    )
    .unwrap();
    // The clock passes the new validity.
    std::thread::sleep(std::time::Duration::from_millis(5));
}

fn quote_events(w: &World, kind: &str, id: i64) -> Vec<String> {
    let page = w.ok(
        "timeline.get",
        json!({"entity": {"type": kind, "id": id}, "types": ["quote_activity"]}),
    );
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_rep_quotes_from_a_template_sends_and_the_accept_wins_the_deal() {
    let w = World::new();
    let d = deal(&w, "USD");
    let product = w.ok(
        "products.create",
        json!({"name": "GTX Pro", "sku": "GTX-PRO", "unitPrice": {"amount": 482_100, "currency": "USD"},
               "taxRateBp": 2_000}),
    );
    w.ok(
        "quotes.updateSettings",
        json!({"seller": "1 Harbour Road\nVAT GB123", "taxRounding": "perLine"}),
    );
    let template = w.ok(
        "quoteTemplates.create",
        json!({"name": "Standard", "lines": [{"productId": product["id"], "quantity": 2}],
               "terms": "Net 30.", "validDays": 30}),
    );
    let q = w.ok(
        "quotes.create",
        json!({"dealId": d, "templateId": template["id"]}),
    );
    let year = crm_core::time::now().format("%Y").to_string();
    assert_eq!(q["number"], format!("Q-{year}-0001"));
    assert_eq!(
        (q["revision"].clone(), q["status"].clone()),
        (json!(1), json!("draft"))
    );
    assert_eq!(q["currency"], "USD");
    assert_eq!(q["customerId"], w.get("customerId"));
    assert_eq!(q["terms"], "Net 30.");
    assert_eq!(q["lines"][0]["description"], "GTX Pro");
    assert_eq!(q["lines"][0]["unitPrice"], 482_100);
    assert_eq!(q["lines"][0]["taxRateBp"], 2_000);
    // 2 × 4,821.00 = 9,642.00, tax 20% = 1,928.40.
    assert_eq!(
        q["totals"],
        json!({"subtotal": 964_200, "discount": 0, "tax": [{"rateBp": 2_000, "base": 964_200, "amount": 192_840}], "total": 1_157_040})
    );
    // Valid through the end of the day 30 days on (UTC).
    let until = chrono::DateTime::parse_from_rfc3339(q["validUntil"].as_str().unwrap()).unwrap();
    let expected = (crm_core::time::now().date_naive() + chrono::Duration::days(30))
        .and_hms_milli_opt(23, 59, 59, 999)
        .unwrap();
    assert_eq!(until.naive_utc(), expected);

    // The rep types the worked case over the template's line: per line 6,527.81, global 6,527.80.
    let id = q["id"].clone();
    let edited = w.ok(
        "quotes.update",
        json!({"id": id, "lines": [{"description": "Consulting day", "quantity": "16",
               "unitPrice": 34_835, "discountBp": 400, "taxRateBp": 2_200}]}),
    );
    assert_eq!(edited["lines"][0]["net"], 535_066);
    assert_eq!(edited["totals"]["total"], 652_781);
    let global = w.ok("quotes.update", json!({"id": id, "taxRounding": "global"}));
    assert_eq!(global["totals"]["tax"][0]["amount"], 117_714);
    assert_eq!(global["totals"]["total"], 652_780);

    let sent = w.ok("quotes.send", json!({"id": id}));
    assert_eq!(sent["status"], "sent");
    assert!(sent["sentAt"].is_string());
    // Sent is frozen: no edit, no second send; a later price or name change alters nothing.
    conflict(&w, "quotes.update", &json!({"id": id, "notes": "x"}));
    conflict(&w, "quotes.send", &json!({"id": id}));
    let text = |format: &str| {
        w.ok("quotes.render", json!({"id": id, "format": format}))["content"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = text("text");
    w.ok(
        "customers.update",
        json!({"id": w.get("customerId"), "name": "Renamed Ltd"}),
    );
    w.ok(
        "products.update",
        json!({"id": product["id"], "unitPrice": {"amount": 1, "currency": "USD"}}),
    );
    assert_eq!(text("text"), before);
    assert!(before.contains("To:   Cy"), "{before}");
    assert!(before.contains("1 Harbour Road"), "{before}");
    assert!(shows(&before, "Total:", "USD 6,527.80"), "{before}");
    assert!(
        shows(&before, "Tax 22% on USD 5,350.66:", "USD 1,177.14"),
        "{before}"
    );

    let accepted = w.ok("quotes.accept", json!({"id": id}));
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["decidedAt"].is_string());
    let won = w.ok("deals.get", json!({"id": d}));
    assert_eq!(won["status"], "won");
    assert_eq!(won["stageId"], w.get("stageId"));
    assert_eq!(won["value"], 652_780);
    let history = w.ok("deals.stageHistory", json!({"dealId": d}));
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["toStageId"], w.get("stageId"));
    // The deal is written once: its move carries the value, noted with the quote.
    let deal_audit = w.ok("audit.list", json!({"entityType": "deal", "entityId": d}));
    let last = &deal_audit["items"][0];
    assert_eq!(last["action"], "deals.moveStage");
    assert_eq!(last["after"]["value"], 652_780);
    assert_eq!(last["before"]["value"], 1);
    assert_eq!(
        last["note"],
        format!("quote {} accepted", q["number"].as_str().unwrap())
    );
    conflict(&w, "quotes.accept", &json!({"id": id}));
    conflict(&w, "quotes.revise", &json!({"id": id}));

    // Each step on the deal's and the customer's timelines, newest first.
    let number = q["number"].as_str().unwrap();
    let steps: Vec<String> = ["accepted", "sent", "created"]
        .iter()
        .map(|s| format!("Quote {number} {s} · deal Deal in USD"))
        .collect();
    assert_eq!(quote_events(&w, "deal", d), steps);
    assert_eq!(
        quote_events(&w, "customer", w.get("customerId").as_i64().unwrap()),
        steps
    );
    // Audit: every step by name.
    let audit = w.ok("audit.list", json!({"entityType": "quote"}));
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "quotes.accept",
            "quotes.send",
            "quotes.update",
            "quotes.update",
            "quotes.create"
        ]
    );
    let feed = w.ok("changes.list", json!({"entityTypes": ["quote"]}));
    assert_eq!(feed["items"].as_array().unwrap().len(), 5);
}

#[test]
fn every_transition_legal_and_illegal() {
    let w = World::new();
    let d = deal(&w, "USD");
    let draft = worked_draft(&w, d);
    let id = draft["id"].clone();
    for method in ["quotes.accept", "quotes.reject", "quotes.revise"] {
        conflict(&w, method, &json!({"id": id}));
    }
    w.ok("quotes.send", json!({"id": id}));
    let rejected = w.ok(
        "quotes.reject",
        json!({"id": id, "reason": "Too dear — «ça coûte»"}),
    );
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["rejectReason"], "Too dear — «ça coûte»");
    for method in ["quotes.accept", "quotes.reject", "quotes.send"] {
        conflict(&w, method, &json!({"id": id}));
    }
    conflict(&w, "quotes.update", &json!({"id": id, "discountBp": 1}));
    let second = w.ok("quotes.revise", json!({"id": id}));
    assert_eq!(second["number"], draft["number"]);
    assert_eq!(
        (second["revision"].clone(), second["status"].clone()),
        (json!(2), json!("draft"))
    );
    assert_eq!(second["previousId"], id);
    assert_eq!(second["lines"], rejected["lines"]);
    let old = w.ok("quotes.get", json!({"id": id}));
    assert_eq!(old["status"], "superseded");
    for method in [
        "quotes.accept",
        "quotes.reject",
        "quotes.send",
        "quotes.revise",
    ] {
        conflict(&w, method, &json!({"id": id}));
    }
    // The revision is a draft again: it changes, sends, and a rejected revision revises on.
    let second_id = second["id"].clone();
    w.ok("quotes.update", json!({"id": second_id, "discountBp": 500}));
    w.ok("quotes.send", json!({"id": second_id}));
    let third = w.ok("quotes.revise", json!({"id": second_id}));
    assert_eq!(third["revision"], 3);
    assert_eq!(third["discountBp"], 500);
    // Lineage by number: three revisions, the latest a draft.
    let list = w.ok("quotes.list", json!({"dealId": d}));
    let lineage: Vec<(i64, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["revision"].as_i64().unwrap(),
                q["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lineage,
        [(3, "draft"), (2, "superseded"), (1, "superseded")]
    );
    assert!(list["items"][0].get("lines").is_none());
    assert_eq!(list["items"][0]["lineCount"], 1);
    // A product taken off the market stays on a revision's lines, which carry their own
    // description and price; a new line cannot take them from it.
    let gadget = w.ok(
        "products.create",
        json!({"name": "Gadget", "unitPrice": {"amount": 700, "currency": "USD"}}),
    );
    let with_gadget = w.ok(
        "quotes.create",
        json!({"dealId": d, "lines": [{"productId": gadget["id"], "quantity": 2}]}),
    );
    w.ok("quotes.send", json!({"id": with_gadget["id"]}));
    w.ok(
        "products.update",
        json!({"id": gadget["id"], "active": false}),
    );
    let again = w.ok("quotes.revise", json!({"id": with_gadget["id"]}));
    // The lines as answered, less their computed amounts.
    let mut lines = again["lines"].clone();
    for line in lines.as_array_mut().unwrap() {
        for computed in ["gross", "net", "tax"] {
            line.as_object_mut().unwrap().remove(computed);
        }
    }
    let kept = w.ok(
        "quotes.update",
        json!({"id": again["id"], "lines": lines, "discountBp": 100}),
    );
    assert_eq!(kept["lines"][0]["productId"], gadget["id"]);
    assert_eq!(kept["lines"][0]["description"], "Gadget");
    invalid(
        &err(
            &w,
            "quotes.update",
            json!({"id": again["id"], "lines": [{"productId": gadget["id"], "quantity": 1}]}),
        ),
        "lines[0].productId",
    );
    // A quote without lines is not sent.
    let empty = w.ok("quotes.create", json!({"dealId": d}));
    invalid(&err(&w, "quotes.send", json!({"id": empty["id"]})), "lines");
}

#[test]
fn a_sent_quote_past_its_validity_reads_expired_and_a_refresh_writes_it() {
    let w = World::new();
    let d = deal(&w, "USD");
    let q = w.ok(
        "quotes.create",
        json!({"dealId": d, "validUntil": "2999-01-01T00:00:00Z",
               "lines": [{"description": "Seat", "quantity": 1, "unitPrice": 100}]}),
    );
    let id = q["id"].clone();
    w.ok("quotes.send", json!({"id": id}));
    assert_eq!(w.ok("quotes.refresh", json!({}))["expired"], 0);
    lapse(&w, &q);
    // Read at once as expired, before any refresh; never shown as sendable or decidable.
    assert_eq!(w.ok("quotes.get", json!({"id": id}))["status"], "expired");
    conflict(&w, "quotes.accept", &json!({"id": id}));
    conflict(&w, "quotes.reject", &json!({"id": id}));
    let only = |status: &str| {
        w.ok("quotes.list", json!({"dealId": d, "status": status}))["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((only("expired"), only("sent")), (1, 0));
    assert_eq!(w.ok("quotes.refresh", json!({}))["expired"], 1);
    assert_eq!(w.ok("quotes.refresh", json!({}))["expired"], 0);
    assert_eq!((only("expired"), only("sent")), (1, 0));
    let events = quote_events(&w, "deal", d);
    assert!(
        events[0].ends_with("expired · deal Deal in USD"),
        "{events:?}"
    );
    // Revised, the offer starts again without the lapsed date.
    let next = w.ok("quotes.revise", json!({"id": id}));
    assert!(next["validUntil"].is_null());
    assert_eq!(
        w.ok("quotes.get", json!({"id": id}))["status"],
        "superseded"
    );
    // A validity in the past is refused on create and update.
    invalid(
        &err(
            &w,
            "quotes.update",
            json!({"id": next["id"], "validUntil": "2001-01-01T00:00:00Z"}),
        ),
        "validUntil",
    );
}

#[test]
fn an_accept_that_fails_in_the_middle_leaves_quote_and_deal_as_they_were() {
    let w = World::new();
    let d = deal(&w, "USD");
    let q = worked_draft(&w, d);
    w.ok("quotes.send", json!({"id": q["id"]}));
    // The deal's move and value are written first; then the quote's own row refuses.
    let conn = crm_core::store::raw_connection(&w.path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_accept BEFORE UPDATE OF status ON quotes
         WHEN NEW.status = 'accepted' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    let before = w.fingerprint();
    let (code, _) = err(&w, "quotes.accept", json!({"id": q["id"]}));
    assert_eq!(code, "storage");
    assert_eq!(w.fingerprint(), before);
    let deal = w.ok("deals.get", json!({"id": d}));
    assert_eq!(
        (deal["status"].clone(), deal["value"].clone()),
        (json!("open"), json!(1))
    );
    conn.execute_batch("DROP TRIGGER refuse_accept").unwrap();
    assert_eq!(
        w.ok("quotes.accept", json!({"id": q["id"]}))["status"],
        "accepted"
    );
    // A second quote accepted on the won deal: no move (it is won), the value follows.
    let again = w.ok(
        "quotes.create",
        json!({"dealId": d, "lines": [{"description": "Extra", "quantity": 1, "unitPrice": 999}]}),
    );
    w.ok("quotes.send", json!({"id": again["id"]}));
    w.ok("quotes.accept", json!({"id": again["id"]}));
    let deal = w.ok("deals.get", json!({"id": d}));
    assert_eq!(
        (deal["status"].clone(), deal["value"].clone()),
        (json!("won"), json!(999))
    );
    let moves = w.ok("deals.stageHistory", json!({"dealId": d}))["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(moves, 2, "created, then won once");
    // A pipeline without a won stage: conflict, nothing written.
    let p = w.ok(
        "pipelines.create",
        json!({"name": "Open only", "stages": [{"name": "Talk", "probability": 5, "kind": "open"}]}),
    );
    let d2 = w.id(
        "deals.create",
        json!({"pipelineId": p["id"], "title": "Nowhere", "value": 1, "currency": "USD"}),
    );
    let q2 = worked_draft(&w, d2);
    w.ok("quotes.send", json!({"id": q2["id"]}));
    conflict(&w, "quotes.accept", &json!({"id": q2["id"]}));
}

#[test]
fn two_processes_numbering_at_once_give_every_number_once_without_gaps() {
    // The child: this same test binary, started again with the database's path, creating 40
    // quotes through its own handle while the parent creates 40 through its.
    let create = |h: &Handle, deal: i64| -> Vec<String> {
        (0..40)
            .map(|_| {
                h.ok(&req("quotes.create", "acme", 1, json!({"dealId": deal})))["number"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    if let Ok(child) = std::env::var("CRM_QUOTES_CHILD") {
        let (path, deal) = child.split_once('|').unwrap();
        let numbers = create(&Handle::open(path), deal.parse().unwrap());
        println!("NUMBERS {}", numbers.join(" "));
        return;
    }
    let w = World::new();
    let d = deal(&w, "USD");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "two_processes_numbering_at_once_give_every_number_once_without_gaps",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRM_QUOTES_CHILD", format!("{}|{d}", w.path.display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut numbers = create(&w.h, d);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the child failed");
    let out = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<String> = out
        .lines()
        // The harness may print the test's name on the same line first.
        .find_map(|l| l.split_once("NUMBERS ").map(|(_, n)| n))
        .expect("the child's numbers")
        .split(' ')
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs.len(), 40);
    numbers.extend(theirs);
    let mut seen: Vec<i64> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=80).collect::<Vec<_>>());
    // A create that fails takes no number: the next one follows on.
    invalid(
        &err(
            &w,
            "quotes.create",
            json!({"dealId": d, "discountBp": 10_001}),
        ),
        "discountBp",
    );
    let next = w.ok("quotes.create", json!({"dealId": d}));
    assert!(
        next["number"].as_str().unwrap().ends_with("-0081"),
        "{next}"
    );
    // Another tenant counts from 1.
    let gd = other_deal(&w, "EUR");
    let gq =
        w.h.ok(&req("quotes.create", "other", 1, json!({"dealId": gd})));
    assert!(gq["number"].as_str().unwrap().ends_with("-0001"), "{gq}");
    assert_eq!(gq["currency"], "EUR");
}

#[test]
fn yen_and_dinar_round_at_their_own_exponents() {
    let w = World::new();
    // JPY has no minor unit: 3 × ¥1,234 at 5% off = 3,516.9 → 3,517; 10% tax → 351.7 → 352.
    let jpy = w.ok(
        "quotes.create",
        json!({"dealId": deal(&w, "JPY"), "lines": [{"description": "Widget", "quantity": 3,
               "unitPrice": 1_234, "discountBp": 500, "taxRateBp": 1_000}]}),
    );
    assert_eq!(jpy["currency"], "JPY");
    assert_eq!(
        jpy["totals"],
        json!({"subtotal": 3_702, "discount": 185, "tax": [{"rateBp": 1_000, "base": 3_517, "amount": 352}], "total": 3_869})
    );
    // KWD has three decimals: 0.001 × 1,234.567 KWD = 1.234567 → 1.235 (1,235 fils).
    let kwd = w.ok(
        "quotes.create",
        json!({"dealId": deal(&w, "KWD"), "lines": [
            {"description": "Gram", "quantity": 0.001, "unitPrice": 1_234_567, "taxRateBp": 500},
            {"description": "Tonne", "quantity": 1_000_000, "unitPrice": 1}]}),
    );
    assert_eq!(kwd["lines"][0]["gross"], 1_235);
    assert_eq!(kwd["lines"][0]["tax"], 62);
    assert_eq!(kwd["lines"][1]["gross"], 1_000_000);
    assert_eq!(kwd["totals"]["total"], 1_235 + 62 + 1_000_000);
    let text = w.ok("quotes.render", json!({"id": kwd["id"], "format": "text"}))["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(shows(&text, "Total:", "KWD 1,001.297"), "{text}");
    assert!(text.contains("0.001"), "{text}");
    // A 100% discount on the quote is exactly nothing to pay.
    let free = w.ok(
        "quotes.create",
        json!({"dealId": deal(&w, "KWD"), "discountBp": 10_000, "lines": [
            {"description": "Gift", "quantity": 7.5, "unitPrice": 999_999, "taxRateBp": 2_500}]}),
    );
    assert_eq!(free["totals"]["total"], 0);
    assert_eq!(free["totals"]["discount"], free["totals"]["subtotal"]);
}

#[test]
fn a_thousand_line_quote_is_kept_in_order_and_listed_without_its_lines() {
    let w = World::new();
    let d = deal(&w, "USD");
    let lines: Vec<Value> = (0..1_000)
        .map(|i| {
            let rate = [0, 700, 2_200][i % 3];
            json!({"description": format!("Line {i} — ünïcode ✓"), "quantity": format!("{}.{:03}", i % 7 + 1, i % 1000),
                   "unitPrice": 1_999 + i, "discountBp": i % 3 * 250, "taxRateBp": rate})
        })
        .collect();
    let q = w.ok("quotes.create", json!({"dealId": d, "lines": lines}));
    assert_eq!(q["lineCount"], 1_000);
    let got = w.ok("quotes.get", json!({"id": q["id"]}));
    assert_eq!(got["lines"], q["lines"]);
    assert_eq!(got["lines"][999]["description"], "Line 999 — ünïcode ✓");
    // The totals are the lines' sums, by the contract's definitions.
    let lines = got["lines"].as_array().unwrap();
    let sum = |k: &str| lines.iter().map(|l| l[k].as_i64().unwrap()).sum::<i64>();
    let t = &got["totals"];
    assert_eq!(t["subtotal"].as_i64().unwrap(), sum("gross"));
    assert_eq!(t["discount"].as_i64().unwrap(), sum("gross") - sum("net"));
    let taxes: i64 = t["tax"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(taxes, sum("tax"));
    assert_eq!(t["total"].as_i64().unwrap(), sum("net") + taxes);
    let list = w.ok("quotes.list", json!({"dealId": d}));
    assert_eq!(list["items"][0]["lineCount"], 1_000);
    assert!(list["items"][0].get("lines").is_none());
}

#[test]
fn the_html_is_one_page_and_escapes_every_field() {
    let w = World::new();
    w.ok(
        "customers.update",
        json!({"id": w.get("customerId"), "name": "Tom & \"Jerry\" <Ltd>"}),
    );
    let d = deal(&w, "USD");
    let p = w.ok(
        "products.create",
        json!({"name": "<script>alert(1)</script>", "unitPrice": {"amount": 500, "currency": "USD"}}),
    );
    let q = w.ok(
        "quotes.create",
        json!({"dealId": d, "lines": [{"productId": p["id"], "quantity": 1}],
               "terms": "</div><img src=x onerror=alert(2)>", "notes": "a < b"}),
    );
    let html = w.ok("quotes.render", json!({"id": q["id"], "format": "html"}));
    assert_eq!(html["mediaType"], "text/html; charset=utf-8");
    let page = html["content"].as_str().unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("Tom &amp; &quot;Jerry&quot; &lt;Ltd&gt;"));
    assert!(page.contains("DRAFT"));
    assert_eq!(unbalanced(page), Vec::<String>::new(), "{page}");
    // Self-contained: nothing fetched from elsewhere.
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("<link"));
    let (code, field) = err(&w, "quotes.render", json!({"id": q["id"], "format": "pdf"}));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid_input", Some("format"))
    );
}

#[test]
fn another_tenants_quotes_and_templates_are_not_found() {
    let w = World::new();
    let d = deal(&w, "USD");
    let p = w.ok(
        "products.create",
        json!({"name": "P", "unitPrice": {"amount": 1, "currency": "USD"}}),
    );
    let t = w.ok(
        "quoteTemplates.create",
        json!({"name": "T", "externalId": "tpl"}),
    );
    let q = w.ok(
        "quotes.create",
        json!({"dealId": d, "externalId": "q-1", "lines": [{"productId": p["id"], "quantity": 1}]}),
    );
    let sent = worked_draft(&w, d);
    w.ok("quotes.send", json!({"id": sent["id"]}));
    let other = |m: &str, params: Value| w.h.err(&req(m, "other", 1, params));
    // The other tenant's own deal cannot name Acme's template or product.
    let gd = other_deal(&w, "USD");
    let before = w.fingerprint();
    for (method, params) in [
        ("quotes.get", json!({"id": q["id"]})),
        ("quotes.get", json!({"externalId": "q-1"})),
        ("quotes.update", json!({"id": q["id"], "notes": "x"})),
        ("quotes.send", json!({"id": q["id"]})),
        ("quotes.accept", json!({"id": sent["id"]})),
        ("quotes.reject", json!({"id": sent["id"]})),
        ("quotes.revise", json!({"id": sent["id"]})),
        ("quotes.render", json!({"id": q["id"], "format": "html"})),
        ("quoteTemplates.get", json!({"id": t["id"]})),
        ("quoteTemplates.get", json!({"externalId": "tpl"})),
        ("quoteTemplates.update", json!({"id": t["id"], "name": "X"})),
    ] {
        assert_eq!(
            other(method, params.clone()).0,
            "not_found",
            "{method} {params}"
        );
    }
    for (params, field) in [
        (json!({"dealId": d}), "dealId"),
        (json!({"dealId": d, "templateId": t["id"]}), "dealId"),
    ] {
        invalid(&other("quotes.create", params), field);
    }
    invalid(
        &other(
            "quotes.create",
            json!({"dealId": gd, "templateId": t["id"]}),
        ),
        "templateId",
    );
    invalid(
        &other(
            "quotes.create",
            json!({"dealId": gd, "lines": [{"productId": p["id"], "quantity": 1}]}),
        ),
        "lines[0].productId",
    );
    invalid(
        &other(
            "quoteTemplates.create",
            json!({"name": "T", "lines": [{"productId": p["id"], "quantity": 1}]}),
        ),
        "lines[0].productId",
    );
    assert_eq!(fingerprint(&w.path), before);
    let list = |m: &str| w.h.ok(&req(m, "other", 1, json!({})))["items"].clone();
    assert_eq!(list("quotes.list"), json!([]));
    assert_eq!(list("quoteTemplates.list"), json!([]));
    // Its settings are its own.
    assert_eq!(
        w.h.ok(&req("quotes.getSettings", "other", 1, json!({}))),
        json!({"taxRounding": "perLine", "seller": null})
    );
}

#[test]
fn bad_input_is_named_and_changes_nothing() {
    let w = World::new();
    let d = deal(&w, "USD");
    let inactive = w.ok(
        "products.create",
        json!({"name": "Old", "unitPrice": {"amount": 1, "currency": "USD"}, "active": false}),
    );
    let euro = w.ok(
        "products.create",
        json!({"name": "Euro", "unitPrice": {"amount": 1, "currency": "EUR"}}),
    );
    let draft = worked_draft(&w, d);
    let line = |extra: Value| {
        let mut l = json!({"description": "L", "quantity": 1, "unitPrice": 100});
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        json!({"dealId": d, "lines": [l]})
    };
    let too_many: Vec<Value> = (0..5_001)
        .map(|_| json!({"description": "L", "quantity": 1, "unitPrice": 1}))
        .collect();
    let cases = [
        (line(json!({"quantity": 0})), "lines[0].quantity"),
        (line(json!({"quantity": 1.2345})), "lines[0].quantity"),
        (line(json!({"quantity": "-1"})), "lines[0].quantity"),
        (line(json!({"discountBp": 10_001})), "lines[0].discountBp"),
        (line(json!({"taxRateBp": -1})), "lines[0].taxRateBp"),
        (line(json!({"unitPrice": -5})), "lines[0].unitPrice"),
        (line(json!({"description": "  "})), "lines[0].description"),
        (
            json!({"dealId": d, "lines": [{"quantity": 1, "unitPrice": 1}]}),
            "lines[0].description",
        ),
        (
            json!({"dealId": d, "lines": [{"description": "x", "quantity": 1}]}),
            "lines[0].unitPrice",
        ),
        (
            json!({"dealId": d, "lines": [{"productId": 999, "quantity": 1}]}),
            "lines[0].productId",
        ),
        (
            json!({"dealId": d, "lines": [{"productId": inactive["id"], "quantity": 1}]}),
            "lines[0].productId",
        ),
        (
            json!({"dealId": d, "lines": [{"productId": euro["id"], "quantity": 1}]}),
            "lines[0].unitPrice",
        ),
        (
            line(json!({"unitPrice": i64::MAX, "quantity": 1_000_000})),
            "lines[0]",
        ),
        (json!({"dealId": d, "lines": too_many}), "lines"),
        (json!({"dealId": 999}), "dealId"),
        (json!({"dealId": d, "templateId": 999}), "templateId"),
        (json!({"dealId": d, "discountBp": 10_001}), "discountBp"),
        (json!({"dealId": d, "taxRounding": "banker"}), "taxRounding"),
        (
            json!({"dealId": d, "validUntil": "2001-01-01T00:00:00Z"}),
            "validUntil",
        ),
        (json!({"dealId": d, "colour": "red"}), "colour"),
        (
            json!({"dealId": d, "validUntil": "+10000-01-01T00:00:00Z"}),
            "validUntil",
        ),
        (
            json!({"dealId": d, "createdAt": "9999-12-31T23:59:59-23:59"}),
            "createdAt",
        ),
    ];
    let before = w.fingerprint();
    for (params, field) in cases {
        invalid(&err(&w, "quotes.create", params.clone()), field);
        if let Some(lines) = params.get("lines") {
            invalid(
                &err(
                    &w,
                    "quotes.update",
                    json!({"id": draft["id"], "lines": lines}),
                ),
                field,
            );
        }
    }
    // A send dated before the quote was made, or after now, or out of range: named `at`.
    for at in [
        "2001-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
    ] {
        invalid(
            &err(&w, "quotes.send", json!({"id": draft["id"], "at": at})),
            "at",
        );
    }
    for method in ["quotes.refresh", "quotes.getSettings"] {
        invalid(&err(&w, method, json!({"tenant": "x"})), "tenant");
    }
    assert_eq!(w.fingerprint(), before);
    // Templates: a taken name (in any case) is a conflict; validity is bounded.
    w.ok("quoteTemplates.create", json!({"name": "Standard"}));
    let (code, field) = err(&w, "quoteTemplates.create", json!({"name": "STANDARD"}));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("conflict", Some("name"))
    );
    invalid(
        &err(
            &w,
            "quoteTemplates.create",
            json!({"name": "Long", "validDays": 3_651}),
        ),
        "validDays",
    );
    // Settings are an admin's.
    let agent = w.id(
        "users.create",
        json!({"name": "Rep", "email": "rep@acme.test", "role": "agent"}),
    );
    let (code, _) = w.h.err(&req(
        "quotes.updateSettings",
        "acme",
        agent,
        json!({"taxRounding": "global"}),
    ));
    assert_eq!(code, "forbidden");
}

#[test]
fn a_dry_run_answers_the_quote_a_create_would_make_and_writes_nothing() {
    let w = World::new();
    let d = deal(&w, "USD");
    let product = w.ok(
        "products.create",
        json!({"name": "GTX Pro", "unitPrice": {"amount": 482_100, "currency": "USD"},
               "taxRateBp": 2_000}),
    );
    let template = w.ok(
        "quoteTemplates.create",
        json!({"name": "Standard", "lines": [{"productId": product["id"], "quantity": 2}],
               "terms": "Net 30.", "validDays": 30}),
    );
    let params = json!({"dealId": d, "templateId": template["id"]});
    let before = w.fingerprint();
    let mut dry = params.clone();
    dry["dryRun"] = json!(true);
    let preview = w.ok("quotes.create", dry.clone());
    assert_eq!(w.fingerprint(), before, "a dry run writes nothing");
    // The same request for real makes exactly what the dry run answered, number included
    // (the dry run did not take it).
    let made = w.ok("quotes.create", params);
    for field in [
        "number",
        "status",
        "currency",
        "lines",
        "totals",
        "terms",
        "lineCount",
    ] {
        assert_eq!(preview[field], made[field], "{field}");
    }
    assert_eq!(preview["lines"][0]["description"], "GTX Pro");
    assert_eq!(preview["totals"]["total"], 2 * 482_100 * 12 / 10);
    // Bad input and another tenant's deal fail as the real call does, and change nothing.
    // Ids are per tenant: a deal of theirs numbered past all of ours.
    let theirs = loop {
        let id = other_deal(&w, "USD");
        if id.as_i64() > Some(d) {
            break id;
        }
    };
    let before = w.fingerprint();
    let (code, field) = err(
        &w,
        "quotes.create",
        json!({"dealId": d, "dryRun": true, "discountBp": 20_000}),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid_input", Some("discountBp"))
    );
    let dry = err(
        &w,
        "quotes.create",
        json!({"dealId": theirs, "dryRun": true}),
    );
    assert_eq!(dry, err(&w, "quotes.create", json!({"dealId": theirs})));
    assert_eq!(
        (dry.0.as_str(), dry.1.as_deref()),
        ("invalid_input", Some("dealId"))
    );
    assert_eq!(w.fingerprint(), before);
}
