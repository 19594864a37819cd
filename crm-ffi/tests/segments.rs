//! Segments and `where` through the C ABI, as a host uses them.
#![allow(unsafe_code)]

use serde_json::{Value, json};

mod common;
use common::{invalid, req, setup};

#[test]
fn segments_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let mut ids = Vec::new();
    for (name, risk, tags) in [
        ("Zoë", 80, json!(["vip"])),
        ("Émile", 75, json!([])),
        ("Ana", 10, json!([])),
    ] {
        let c = r(
            "customers.create",
            json!({"name": name, "churnRisk": risk, "tags": tags}),
        );
        ids.push(c["id"].as_i64().unwrap());
    }
    for _ in 0..3 {
        r(
            "tickets.create",
            json!({"subject": "Help", "channel": "email", "customerId": ids[1]}),
        );
    }
    let text = "churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])";
    let parsed = r("segments.parse", json!({"text": text}));
    assert_eq!(parsed["text"], text);
    let criteria = parsed["criteria"].clone();
    assert_eq!(
        r("segments.format", json!({"criteria": criteria}))["text"],
        text
    );

    // The live count and the first members of unsaved criteria.
    let preview = r(
        "segments.preview",
        json!({"criteria": criteria, "limit": 5}),
    );
    assert_eq!(preview["count"], 1);
    assert_eq!(preview["items"][0]["name"], "Émile");

    let s = r(
        "segments.create",
        json!({"name": "At risk", "criteria": criteria, "description": "for the support lead"}),
    );
    assert_eq!(s["memberCount"], 1);
    assert_eq!(s["text"], text);
    let id = s["id"].clone();
    assert_eq!(
        r("segments.members", json!({"id": id}))["items"][0]["id"],
        ids[1]
    );
    let why = r("segments.explain", json!({"id": id, "customerId": ids[0]}));
    assert_eq!(why["member"], false);
    assert_eq!(why["why"]["all"][0]["seen"], 80);
    assert_eq!(
        why["why"]["all"][1]["any"][1]["not"]["seen"],
        json!(["vip"])
    );

    // A write moves a customer in; the history and the feed say so.
    r("customers.update", json!({"id": ids[0], "tags": []}));
    assert_eq!(r("segments.get", json!({"id": id}))["memberCount"], 2);
    let history = r("segments.history", json!({"id": id}));
    assert_eq!(history["items"][0]["customerId"], ids[0]);
    assert_eq!(history["items"][0]["change"], "entered");
    let feed = r(
        "changes.list",
        json!({"entityTypes": ["segment_membership"]}),
    );
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["entityId"], &last["op"], &last["segmentId"]),
        (&json!(ids[0]), &json!("entered"), &id)
    );
    let refreshed = r("segments.refresh", json!({}));
    assert_eq!(refreshed, json!({"segments": 1, "entered": 0, "exited": 0}));
    assert_eq!(r("segments.list", json!({}))["items"][0]["id"], id);
    let renamed = r(
        "segments.update",
        json!({"id": id, "criteria": {"field": "churnRisk", "op": "lte", "value": 10}}),
    );
    assert_eq!(renamed["memberCount"], 1);
    assert_eq!(renamed["text"], "churnRisk <= 10");

    // Faults name the path, or the column of the text.
    invalid(
        &h.err(&req(
            "segments.preview",
            "acme",
            admin,
            json!({"criteria": {"all": [{"field": "churnRisk", "op": "contains", "value": 1}]}}),
        )),
        "criteria.all[0].op",
    );
    let (code, field) = h.err(&req(
        "segments.parse",
        "acme",
        admin,
        json!({"text": "churnRisk >= 70 and nope = 1"}),
    ));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid_input", Some("text"))
    );
    let message = h.call(&req(
        "segments.parse",
        "acme",
        admin,
        json!({"text": "churnRisk >= 70 and nope = 1"}),
    ))["error"]["message"]
        .clone();
    assert!(
        message.as_str().unwrap().starts_with("text: column 21:"),
        "{message}"
    );
    assert_eq!(
        h.err(&req(
            "segments.create",
            "acme",
            admin,
            json!({"name": "At risk", "criteria": {"all": []}})
        ))
        .0,
        "conflict"
    );

    // Lists filter by `where` over their own fields.
    let risky = r(
        "customers.list",
        json!({"where": {"field": "churnRisk", "op": "gte", "value": 70}}),
    );
    assert_eq!(risky["items"].as_array().unwrap().len(), 2);
    invalid(
        &h.err(&req(
            "tickets.list",
            "acme",
            admin,
            json!({"where": {"field": "status", "op": "equals", "value": "lost"}}),
        )),
        "where.value",
    );

    // Another tenant: its segment ids are unknown here, and nothing of Acme's is counted.
    let other = h.ok(&json!({"method": "tenants.create", "params": {"tenantId": "globex", "name": "Globex", "admin": {"name": "G", "email": "g@globex.test"}}}));
    let g = other["admin"]["id"].as_i64().unwrap();
    for (method, params) in [
        ("segments.get", json!({"id": id})),
        ("segments.update", json!({"id": id, "name": "x"})),
        ("segments.delete", json!({"id": id})),
        ("segments.members", json!({"id": id})),
        ("segments.history", json!({"id": id})),
        ("segments.refresh", json!({"id": id})),
        ("segments.explain", json!({"id": id, "customerId": 1})),
    ] {
        assert_eq!(
            h.err(&req(method, "globex", g, params.clone())).0,
            "not_found",
            "{method}"
        );
    }
    let everyone = h.ok(&req(
        "segments.preview",
        "globex",
        g,
        json!({"criteria": {"all": []}}),
    ));
    assert_eq!(everyone["count"], 0);
    assert_eq!(
        h.ok(&req("segments.list", "globex", g, json!({})))["items"],
        json!([])
    );

    let deleted = r("segments.delete", json!({"id": id}));
    assert_eq!(deleted, json!({"id": id}));
    assert_eq!(
        h.err(&req("segments.get", "acme", admin, json!({"id": id})))
            .0,
        "not_found"
    );
}
