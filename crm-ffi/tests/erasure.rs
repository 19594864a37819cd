//! The rights of access and erasure through the C ABI: `customers.exportData` returns
//! everything about a person; after `customers.erase` returns, no byte of their name, email,
//! phone or texts is in the database file, its write-ahead log or the search index — found by
//! scanning every file of the folder for marker strings, before and after the handle closes.

#![allow(clippy::many_single_char_names)] // records named by their initial

mod common;

use common::{Handle, req};
use serde_json::{Value, json};
use std::path::Path;

/// Every file under `dir` that contains `needle`, as (file, count).
fn found_in(dir: &Path, needle: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let hits = bytes
                .windows(needle.len())
                .filter(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
                .count();
            if hits > 0 {
                out.push((path.display().to_string(), hits));
            }
        }
    }
    out
}

/// What identifies the person erased, and what belongs to someone else.
const GONE: &[&str] = &[
    "quixotemarker",
    "zq-erase@marker.test",
    "415 555 0177",
    // Its match key.
    "4155550177",
    "secretticketmarker",
    "whispermarker",
    "callnotemarker",
    "leadnotemarker",
];
const KEPT: &str = "keepmarkerperson";

#[test]
fn after_erase_returns_nothing_of_the_person_is_in_any_file_and_everything_else_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let h = Handle::open(path.to_str().unwrap());
    let admin = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}))
        ["admin"]["id"]
        .as_i64()
        .unwrap();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let id = |m: &str, p: Value| r(m, p)["id"].as_i64().unwrap();
    let c = id(
        "customers.create",
        json!({"name": "Zebulon Quixotemarker", "email": "ZQ-erase@marker.test",
               "phone": "+1 415 555 0177", "tags": ["vip"]}),
    );
    let keep = id(
        "customers.create",
        json!({"name": "Keepmarkerperson", "email": "keep@else.test"}),
    );
    let lead = id(
        "leads.create",
        json!({"name": "Zebulon Quixotemarker", "customerId": c}),
    );
    r(
        "activities.create",
        json!({"entityType": "lead", "entityId": lead, "kind": "note", "body": "leadnotemarker"}),
    );
    let p = r(
        "pipelines.create",
        json!({"name": "Sales", "stages": [
            {"name": "New", "probability": 10, "kind": "open"},
            {"name": "Won", "probability": 100, "kind": "won"}]}),
    );
    let deal = id(
        "deals.create",
        json!({"pipelineId": p["id"], "title": "Widgets", "value": 500, "currency": "USD",
               "customerId": c, "leadId": lead}),
    );
    let t = id(
        "tickets.create",
        json!({"subject": "Broken", "description": "secretticketmarker", "channel": "email", "customerId": c}),
    );
    r(
        "tickets.addEvent",
        json!({"ticketId": t, "kind": "comment", "body": "secretticketmarker again"}),
    );
    // A ticket from their address, never linked, and one sent to the trash.
    id(
        "tickets.create",
        json!({"subject": "From the web", "description": "secretticketmarker",
               "channel": "web", "requesterEmail": "zq-erase@marker.test"}),
    );
    let trashed = id(
        "tickets.create",
        json!({"subject": "Old", "description": "secretticketmarker", "channel": "email", "customerId": c}),
    );
    r("tickets.delete", json!({"id": trashed}));
    let conv = id(
        "conversations.create",
        json!({"customerId": c, "channel": "chat"}),
    );
    r(
        "messages.create",
        json!({"conversationId": conv, "direction": "inbound", "body": "whispermarker"}),
    );
    r(
        "calls.create",
        json!({"customerId": c, "durationSeconds": 30, "notes": "callnotemarker"}),
    );
    r("customers.update", json!({"id": c, "churnRisk": 40}));
    r(
        "quotes.create",
        json!({"dealId": deal, "notes": "for Quixotemarker", "lines": [
            {"description": "Widget", "quantity": 1, "unitPrice": 1000}]}),
    );
    // The index holds them, and the log holds many versions of their rows.
    assert!(
        r("search.query", json!({"q": "quixotemarker"}))["total"]
            .as_u64()
            .unwrap()
            >= 2
    );
    for marker in GONE {
        assert!(
            !found_in(dir.path(), marker).is_empty(),
            "{marker} is written somewhere before the erasure"
        );
    }

    // The right of access: everything, in one document.
    let data = r("customers.exportData", json!({"id": c}));
    let text = data.to_string().to_lowercase();
    for marker in GONE.iter().filter(|m| **m != "4155550177") {
        assert!(text.contains(marker), "{marker} in the export: {data}");
    }
    assert_eq!(data["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(data["tickets"][0]["events"].as_array().unwrap().len(), 2);
    assert_eq!(
        data["conversations"][0]["messages"][0]["body"],
        "whispermarker"
    );
    assert!(!data["audit"].as_array().unwrap().is_empty());

    // The confirmation must be the email (any case); a wrong one changes nothing.
    let before = common::fingerprint(&path);
    let wrong = h.err(&req(
        "customers.erase",
        "acme",
        admin,
        json!({"id": c, "confirm": "someone@else.test"}),
    ));
    assert_eq!(
        wrong,
        ("invalid_input".to_owned(), Some("confirm".to_owned()))
    );
    assert_eq!(common::fingerprint(&path), before);

    let erased = r(
        "customers.erase",
        json!({"id": c, "confirm": "zq-erase@marker.test"}),
    );
    assert_eq!(
        erased["erased"],
        json!({"activities": 1, "calls": 1, "conversations": 1, "customers": 1, "leads": 1,
               "messages": 1, "tickets": 2})
    );
    assert_eq!(erased["anonymized"], json!({"deals": 1, "quotes": 1}));
    assert_eq!(erased["trashGroups"], 1);
    for marker in GONE {
        assert_eq!(
            found_in(dir.path(), marker),
            vec![],
            "{marker} is left after the erasure returned"
        );
    }
    assert!(
        !found_in(dir.path(), KEPT).is_empty(),
        "another customer is intact"
    );
    assert_eq!(
        r("customers.get", json!({"id": keep}))["name"],
        "Keepmarkerperson"
    );
    // The deal stays for analytics, without them.
    let d = r("deals.get", json!({"id": deal}));
    assert_eq!(d["customerId"], Value::Null);
    assert_eq!(d["leadId"], Value::Null);
    assert_eq!(
        r("analytics.funnel", json!({"pipelineId": p["id"]}))["deals"],
        1
    );
    assert_eq!(
        h.err(&req("customers.get", "acme", admin, json!({"id": c})))
            .0,
        "not_found"
    );
    // The audit keeps the erasure, not the person.
    let audit = r(
        "audit.list",
        json!({"entityType": "customer", "entityId": c}),
    );
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "customers.erase", "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["before"].is_null())
    );
    let changes = r("changes.list", json!({"limit": 500}));
    assert!(
        changes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["op"] == "erased" && e["entityId"] == c)
    );
    drop(h);
    for marker in GONE {
        assert_eq!(found_in(dir.path(), marker), vec![], "{marker} after close");
    }
    let problems = crm_core::Crm::open(&path)
        .unwrap()
        .check()
        .unwrap()
        .problems();
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn erase_and_export_data_are_for_admins_of_the_tenant() {
    let (h, admin) = common::setup();
    let c = h.ok(&req(
        "customers.create",
        "acme",
        admin,
        json!({"name": "N", "email": "n@x.test"}),
    ))["id"]
        .clone();
    let manager = h.ok(&req(
        "users.create",
        "acme",
        admin,
        json!({"name": "M", "email": "m@acme.test", "role": "manager"}),
    ))["id"]
        .as_i64()
        .unwrap();
    for (method, params) in [
        ("customers.erase", json!({"id": c, "confirm": "n@x.test"})),
        ("customers.exportData", json!({"id": c})),
    ] {
        assert_eq!(
            h.err(&req(method, "acme", manager, params.clone())).0,
            "forbidden"
        );
    }
    h.ok(
        &json!({"method": "tenants.create", "params": {"tenantId": "other", "name": "O",
        "admin": {"name": "O", "email": "o@o.test"}}}),
    );
    for (method, params) in [
        ("customers.erase", json!({"id": c, "confirm": "n@x.test"})),
        ("customers.exportData", json!({"id": c})),
    ] {
        assert_eq!(
            h.err(&req(method, "other", 1, params.clone())).0,
            "not_found"
        );
    }
    let bad = h.err(&req("customers.erase", "acme", admin, json!({"id": c})));
    assert_eq!(bad.0, "invalid_input");
}

#[test]
fn erasing_a_twin_leaves_the_other_customers_tickets_from_the_same_address() {
    let (h, admin) = common::setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let original = r(
        "customers.create",
        json!({"name": "Ann", "email": "ann@x.test"}),
    )["id"]
        .clone();
    let twin = r(
        "customers.create",
        json!({"name": "Ann", "email": "ANN@x.test"}),
    )["id"]
        .clone();
    let hers = r(
        "tickets.create",
        json!({"subject": "Mine", "channel": "email", "customerId": original,
               "requesterEmail": "ann@x.test"}),
    )["id"]
        .clone();
    let unheld = r(
        "tickets.create",
        json!({"subject": "Nobody's", "channel": "web", "requesterEmail": "Ann@X.test"}),
    )["id"]
        .clone();
    let erased = r(
        "customers.erase",
        json!({"id": twin, "confirm": "ann@x.test"}),
    );
    assert_eq!(
        erased["erased"],
        json!({"customers": 1, "tickets": 1}),
        "{erased}"
    );
    assert_eq!(
        r("tickets.get", json!({"id": hers}))["customerId"],
        original
    );
    assert_eq!(
        h.err(&req("tickets.get", "acme", admin, json!({"id": unheld})))
            .0,
        "not_found"
    );
}
