//! What an independent test of the engine found, pinned: times that cannot be written back,
//! errors that echo a huge value, backups through the ABI, and arbitrary JSON at the handler.
#![allow(unsafe_code)]
#![allow(clippy::many_single_char_names)] // records named by their initial (c, l, d, t), as in abi.rs

mod common;

use common::{Handle, World, fingerprint, req};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every string of `value` under a time key (`…At`, `at`), with its path.
fn times(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                let here = format!("{path}.{k}");
                match v {
                    Value::String(s) if k.ends_with("At") || k == "at" => {
                        out.push((here, s.clone()));
                    }
                    _ => times(v, &here, out),
                }
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| times(v, &format!("{path}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn every_time_field_of_every_method_refuses_what_cannot_be_written_back() {
    let w = World::new();
    let (c, t) = (w.get("customerId"), w.get("ticketId"));
    // A deal that began at the earliest instant, so a move may be dated anywhere after it.
    let early_deal = w.id(
        "deals.create",
        json!({"pipelineId": w.get("pipelineId"), "title": "Old", "value": 1, "currency": "USD",
               "createdAt": "0000-01-01T00:00:00Z"}),
    );
    let timeline = json!({"entity": {"type": "customer", "id": c}});
    let deal =
        json!({"pipelineId": w.get("pipelineId"), "title": "D", "value": 1, "currency": "USD"});
    // (method, params without the time, the time field): every time a request can carry.
    let cases = [
        ("customers.create", json!({"name": "Zed"}), "createdAt"),
        ("leads.create", json!({"name": "Lea"}), "createdAt"),
        ("deals.create", deal.clone(), "createdAt"),
        ("deals.create", deal, "expectedCloseAt"),
        (
            "deals.update",
            json!({"id": w.get("dealId")}),
            "expectedCloseAt",
        ),
        (
            "deals.moveStage",
            json!({"dealId": early_deal, "stageId": w.get("stageId")}),
            "at",
        ),
        (
            "tickets.create",
            json!({"subject": "S", "channel": "web", "customerId": c}),
            "createdAt",
        ),
        (
            "tickets.addEvent",
            json!({"ticketId": t, "kind": "comment", "body": "b"}),
            "occurredAt",
        ),
        (
            "conversations.create",
            json!({"customerId": c, "channel": "chat"}),
            "createdAt",
        ),
        (
            "messages.create",
            json!({"conversationId": w.get("conversationId"), "direction": "outbound", "body": "b"}),
            "sentAt",
        ),
        (
            "calls.create",
            json!({"customerId": c, "durationSeconds": 1}),
            "occurredAt",
        ),
        (
            "activities.create",
            json!({"entityType": "lead", "entityId": w.get("leadId"), "kind": "call"}),
            "occurredAt",
        ),
        (
            "quotes.create",
            json!({"dealId": w.get("dealId")}),
            "createdAt",
        ),
        ("timeline.get", timeline.clone(), "from"),
        ("timeline.get", timeline, "to"),
    ];
    // Past year 9999 or before year 0000 once in UTC, or not RFC 3339 at all.
    let refused = [
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00+23:59",
        "10000-01-01T00:00:00Z",
        "+10000-01-01T23:58:59.000Z",
        "-0001-12-31T00:00:00Z",
    ];
    // The ends of the range, and finer than a millisecond (truncated); in order, as moves of
    // a deal must be.
    let accepted = [
        "0000-01-01T00:00:00Z",
        "2026-12-03T10:00:00+14:00",
        "9999-12-31T23:59:59.999999Z",
    ];
    for (method, params, field) in &cases {
        for value in refused {
            let mut p = params.clone();
            p[*field] = json!(value);
            let before = w.fingerprint();
            let (code, at) = w.h.err(&req(method, "acme", w.admin, p));
            assert_eq!(
                (code.as_str(), at.as_deref()),
                ("invalid_input", Some(*field)),
                "{method} {field} {value}"
            );
            assert_eq!(
                w.fingerprint(),
                before,
                "{method} {field} {value} changed nothing"
            );
        }
        for (i, value) in accepted.into_iter().enumerate() {
            let mut p = params.clone();
            p[*field] = json!(value);
            if *method == "deals.moveStage" {
                // Won, reopened, won again.
                p["stageId"] = w.get(if i % 2 == 0 { "stageId" } else { "openStageId" });
            }
            let result = w.ok(method, p);
            let mut found = Vec::new();
            times(&result, "", &mut found);
            // Whatever the engine answered (and what the customer's record now says) reads
            // back: as RFC 3339, and as a time a request may carry.
            times(
                &w.ok("customers.get", json!({"id": c})),
                "customer",
                &mut found,
            );
            for (path, time) in found {
                chrono::DateTime::parse_from_rfc3339(&time)
                    .unwrap_or_else(|e| panic!("{method} {field}={value}: {path}={time}: {e}"));
                w.ok(
                    "timeline.get",
                    json!({"entity": {"type": "customer", "id": c}, "from": time, "limit": 1}),
                );
            }
        }
    }
    // The latest instant, as the customer's last contact, came back as written.
    assert_eq!(
        w.ok("customers.get", json!({"id": c}))["lastContactAt"],
        "9999-12-31T23:59:59.999Z"
    );
}

#[test]
fn a_huge_bad_value_gets_a_short_error_that_quotes_a_little_of_it() {
    let w = World::new();
    let huge = "ü".repeat(1 << 19); // 1 MiB of UTF-8
    let requests = [
        req("customers.get", "acme", w.admin, json!({"id": huge})),
        req(
            "customers.get",
            "acme",
            w.admin,
            json!({"externalId": huge}),
        ),
        req(
            "customers.create",
            "acme",
            w.admin,
            json!({"name": "N", "email": huge}),
        ),
        req("customers.create", "acme", w.admin, json!({"name": huge})),
        req(
            "customers.create",
            "acme",
            w.admin,
            json!({"name": "N", "phone": huge}),
        ),
        req("customers.list", "acme", w.admin, json!({"cursor": huge})),
        req(
            "tickets.create",
            "acme",
            w.admin,
            json!({"subject": "S", "channel": huge}),
        ),
        req(
            "customers.create",
            "acme",
            w.admin,
            json!({"name": "N", "createdAt": huge}),
        ),
        req(
            "customers.create",
            "acme",
            w.admin,
            json!({huge.clone(): 1}),
        ),
        req(&huge, "acme", w.admin, json!({})),
        req("customers.get", &huge, w.admin, json!({"id": 1})),
        json!({"method": "customers.get", huge.clone(): 1}),
    ];
    for request in requests {
        let response = w.h.call(&request);
        let text = response.to_string();
        assert_eq!(response["ok"], false);
        assert!(text.len() < 1_000, "{} bytes: {}", text.len(), &text[..300]);
        let message = response["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("üüü") && message.contains('…') || !message.contains('ü'),
            "{message}"
        );
        if let Some(field) = response["error"]["field"].as_str() {
            assert!(field.chars().count() <= 101, "{field}");
        }
    }
    // Not JSON at all.
    let mut junk = b"{\"method\": \"customers.get\", \"params\": {\"id\": ".to_vec();
    junk.extend(std::iter::repeat_n(b'9', 1 << 20));
    let response = w.h.raw(&junk);
    assert_eq!(response["error"]["code"], "invalid_request");
    assert!(response.to_string().len() < 1_000);
}

#[test]
fn a_backup_through_the_abi_is_a_whole_copy() {
    let w = World::new();
    let out = w.path.with_file_name("copy.db");
    let result =
        w.h.ok(&json!({"method": "system.backup", "params": {"path": out}}));
    assert_eq!(result["path"], out.to_str().unwrap());
    assert!(result["bytes"].as_i64().unwrap() > 0);
    assert_eq!(fingerprint(&out), w.fingerprint());
    let copy = Handle::open(out.to_str().unwrap());
    assert_eq!(
        copy.ok(&req(
            "customers.get",
            "acme",
            w.admin,
            json!({"id": w.get("customerId")})
        ))["name"],
        "Cy"
    );
    // No tenant needed; a bad path or an existing file is refused, naming `path`.
    for params in [
        json!({"path": out}),
        json!({"path": ""}),
        json!({}),
        json!({"path": 7}),
        json!({"path": "x", "tenant": 1}),
    ] {
        let (code, field) =
            w.h.err(&json!({"method": "system.backup", "params": params}));
        assert_eq!(code, "invalid_input", "{params}");
        assert!(
            matches!(field.as_deref(), Some("path" | "tenant")),
            "{params}: {field:?}"
        );
    }
}

/// Error codes a request may be answered with (API.md); never `internal`, `storage` or
/// `search`, which would be the engine's fault.
const CALLER_ERRORS: &[&str] = &[
    "invalid_request",
    "unknown_method",
    "invalid_input",
    "not_found",
    "conflict",
    "forbidden",
];

/// Strings a hostile or careless host sends.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".into()),
        Just("acme".into()),
        Just("other".into()),
        Just("Robert'); DROP TABLE customers;--".into()),
        Just("\u{0}nul".into()),
        Just("\u{202e}rtl\u{fffd}\u{1f600}".into()),
        Just("ann@example.com".into()),
        Just("+1 415 555 0132".into()),
        Just("9999-12-31T23:59:59-23:59".into()),
        Just("2026-01-01T00:00:00Z".into()),
        Just("open".into()),
        Just("email".into()),
        Just("customer".into()),
        Just("x".repeat(5_000)),
        ".{0,40}",
        "[a-z]{1,12}",
    ]
}

fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..8).prop_map(Value::from),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1.5)),
        Just(json!(-0.0)),
        Just(json!(1e300)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        hostile_number(),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Mostly names the methods read, so requests get past "unknown field" to the engine.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "id", "externalId", "name", "email", "phone", "company", "tags", "churnRisk",
            "customerId", "leadId", "dealId", "ticketId", "pipelineId", "stageId", "teamId",
            "userId", "ownerId", "assigneeId", "conversationId", "entity", "type", "entityType",
            "entityId", "kind", "status", "priority", "channel", "subject", "description", "title",
            "value", "currency", "body", "direction", "durationSeconds", "createdAt", "occurredAt",
            "sentAt", "at", "from", "to", "limit", "cursor", "q", "types", "channels", "filters",
            "offset", "ticketIds", "dryRun", "batchSize", "role", "teamIds", "stages",
            "probability", "position", "tenantId", "admin", "score", "source", "requesterEmail",
        ])
        .prop_map(str::to_owned),
        1 => hostile_string(),
    ]
}

fn any_params() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::vec((field_name(), any_json()), 0..5)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => any_json(),
    ]
}

/// Any request: a known method (but `system.backup`, which would write files wherever the
/// generated path points) or another name, any tenant and actor, any parameters.
fn any_request() -> impl Strategy<Value = Value> {
    let methods: Vec<String> = crm::dispatch::methods()
        .filter(|m| *m != "system.backup")
        .map(str::to_owned)
        .collect();
    let method = prop_oneof![
        8 => prop::sample::select(methods).prop_map(Value::String),
        1 => hostile_string().prop_map(Value::String),
        1 => any_json(),
    ];
    let tenant = prop_oneof![
        6 => Just(Some(json!("acme"))),
        1 => Just(Some(json!("other"))),
        1 => Just(None),
        1 => any_json().prop_map(Some),
    ];
    let actor = prop_oneof![
        6 => Just(Some(json!(1))),
        1 => Just(None),
        1 => any_json().prop_map(Some),
    ];
    let extra = prop::option::weighted(0.05, (field_name(), any_json()));
    (method, tenant, actor, any_params(), extra).prop_map(
        |(method, tenant, actor, params, extra)| {
            let mut request = json!({"method": method, "params": params});
            if let Some(t) = tenant {
                request["tenantId"] = t;
            }
            if let Some(a) = actor {
                request["actorId"] = a;
            }
            if let Some((k, v)) = extra {
                request[k] = v;
            }
            request
        },
    )
}

// `PROPTEST_CASES=20000 cargo test --release -p crm-ffi --test hardening` for a long run.
proptest! {
    #[test]
    fn any_request_gets_a_documented_answer_and_a_failed_one_changes_nothing(
        requests in prop::collection::vec(any_request(), 1..6),
    ) {
        let w = World::new();
        for request in requests {
            let before = w.fingerprint();
            let response = w.h.call(&request);
            prop_assert!(response["ok"].is_boolean(), "{request} -> {response}");
            if response["ok"] == false {
                let code = response["error"]["code"].as_str().unwrap_or_default();
                prop_assert!(CALLER_ERRORS.contains(&code), "{request} -> {response}");
                prop_assert!(response["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
                prop_assert_eq!(w.fingerprint(), before, "{} -> {} changed the database", request, response);
            }
        }
    }
}

#[test]
fn after_crm_close_the_file_alone_is_the_whole_database() {
    let w = World::new();
    for i in 0..300 {
        w.ok("customers.create", json!({"name": format!("C{i}")}));
    }
    let wal = w.path.with_file_name("crm.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let World {
        _dir,
        path,
        h,
        admin,
        ..
    } = w;
    drop(h); // crm_close
    assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
    let copy = path.with_file_name("alone.db");
    std::fs::copy(&path, &copy).unwrap();
    let reopened = Handle::open(copy.to_str().unwrap());
    let page = reopened.ok(&req("customers.list", "acme", admin, json!({"limit": 500})));
    assert_eq!(page["items"].as_array().unwrap().len(), 301);
}
