//! What hosts read about the data itself through the C ABI: `schema.fields`, checked against
//! the records' own JSON, and the change feed (`changes.list`).

mod common;

use common::{World, req};
use serde_json::{Value, json};

/// Whether a JSON value fits a catalog type (`null` fits every optional field).
fn fits(ty: &str, value: &Value, enum_values: Option<&Value>) -> bool {
    match (ty, value) {
        (_, Value::Null)
        | ("text" | "email" | "phone", Value::String(_))
        | ("bool", Value::Bool(_)) => true,
        ("time", Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        ("enum", Value::String(s)) => {
            enum_values.is_some_and(|v| v.as_array().unwrap().contains(&json!(s)))
        }
        ("number" | "money" | "id", Value::Number(n)) => n.is_i64(),
        ("tags", Value::Array(a)) => a.iter().all(Value::is_string),
        _ => false,
    }
}

#[test]
fn every_field_of_every_described_record_is_in_the_catalog_with_its_type() {
    let w = World::new();
    let (c, l, d) = (w.get("customerId"), w.get("leadId"), w.get("dealId"));
    // One record of each kind with every optional field set, so no field hides behind a null.
    let owner = w.admin;
    let team = w.id("teams.create", json!({"name": "Tier 1"}));
    let records = [
        (
            "customer",
            w.ok(
                "customers.create",
                json!({"name": "Full", "email": "f@x.test",
            "phone": "+1 415 555 0100", "company": "F Inc", "tags": ["a"], "churnRisk": 5,
            "externalId": "c-full"}),
            ),
        ),
        (
            "lead",
            w.ok(
                "leads.create",
                json!({"name": "Full", "customerId": c, "email": "f@x.test",
            "phone": "+1 415 555 0100", "company": "F", "ownerId": owner, "source": "web",
            "externalId": "l-full", "score": 40}),
            ),
        ),
        (
            "deal",
            w.ok(
                "deals.moveStage",
                json!({"dealId": w.id("deals.create", json!({
            "pipelineId": w.get("pipelineId"), "title": "Full", "value": 5, "currency": "EUR",
            "customerId": c, "leadId": l, "ownerId": owner, "externalId": "d-full",
            "expectedCloseAt": "2027-01-01T00:00:00Z"})), "stageId": w.get("stageId")}),
            ),
        ),
        (
            "ticket",
            w.ok(
                "tickets.create",
                json!({"subject": "Full", "description": "d",
            "channel": "chat", "customerId": c, "teamId": team, "assigneeId": owner,
            "requesterEmail": "r@x.test", "requesterPhone": "+1 415 555 0101",
            "requesterCompany": "R", "externalId": "t-full"}),
            ),
        ),
        (
            "conversation",
            w.ok(
                "conversations.create",
                json!({"customerId": c, "channel": "chat",
            "subject": "Full", "externalId": "v-full"}),
            ),
        ),
        (
            "call",
            w.ok(
                "calls.create",
                json!({"customerId": c, "leadId": l, "dealId": d,
            "direction": "outbound", "durationSeconds": 9, "outcome": "ok", "notes": "n",
            "externalId": "k-full"}),
            ),
        ),
    ];
    w.ok(
        "links.linkTicketToLead",
        json!({"ticketId": records[3].1["id"], "leadId": l}),
    );
    w.ok(
        "links.linkTicketToDeal",
        json!({"ticketId": records[3].1["id"], "dealId": d}),
    );
    for (kind, created) in records {
        let record = match kind {
            "ticket" => w.ok("tickets.get", json!({"id": created["id"]})),
            _ => created,
        };
        let described = w.ok("schema.fields", json!({"kind": kind}));
        assert_eq!(described["kind"], kind);
        let fields = described["fields"].as_array().unwrap();
        let record = record.as_object().unwrap();
        let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        let (mut sorted_names, mut sorted_keys) = (names.clone(), keys.clone());
        sorted_names.sort_unstable();
        sorted_keys.sort_unstable();
        assert_eq!(
            sorted_names, sorted_keys,
            "{kind}: the catalog names exactly the record's fields"
        );
        for field in fields {
            let name = field["name"].as_str().unwrap();
            let ty = field["type"].as_str().unwrap();
            let value = &record[name];
            assert!(
                !value.is_null() || name == "lastContactAt",
                "{kind}.{name} was left null: the test should set it"
            );
            assert!(
                fits(ty, value, field.get("values")),
                "{kind}.{name}: {value} is not a {ty}"
            );
            assert!(!field["label"].as_str().unwrap().is_empty());
            assert!(!field["operators"].as_array().unwrap().is_empty());
            assert_eq!(field.get("values").is_some(), ty == "enum", "{kind}.{name}");
        }
    }
}

#[test]
fn schema_fields_refuses_kinds_without_fields_and_other_shapes() {
    let w = World::new();
    for (params, field) in [
        (json!({"kind": "tenant"}), "kind"),
        (json!({"kind": "view"}), "kind"),
        (json!({}), "kind"),
        (json!({"kind": "customer", "x": 1}), "x"),
    ] {
        let (code, at) =
            w.h.err(&req("schema.fields", "acme", w.admin, params.clone()));
        assert_eq!(
            (code.as_str(), at.as_deref()),
            ("invalid_input", Some(field)),
            "{params}"
        );
    }
    let (code, _) = w.h.err(&req(
        "schema.fields",
        "nope",
        w.admin,
        json!({"kind": "customer"}),
    ));
    assert_eq!(code, "not_found");
}

#[test]
fn changes_list_pages_the_tenants_feed_through_json() {
    let w = World::new();
    let first = w.ok("changes.list", json!({"limit": 2}));
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let after = first["next"].clone();
    let c = w.id("customers.create", json!({"name": "New"}));
    let rest = w.ok("changes.list", json!({"after": after, "limit": 500}));
    let last = rest["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["entityType"],
            &last["entityId"],
            &last["op"],
            &last["action"],
            &last["actorId"]
        ),
        (
            &json!("customer"),
            &json!(c),
            &json!("created"),
            &json!("customers.create"),
            &json!(w.admin)
        )
    );
    assert!(chrono::DateTime::parse_from_rfc3339(last["at"].as_str().unwrap()).is_ok());
    assert_eq!(rest["next"], last["seq"]);
    let only = w.ok("changes.list", json!({"entityTypes": ["call"]}));
    assert!(
        only["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["entityType"] == "call")
    );
    for (params, field) in [
        (json!({"after": "x"}), "after"),
        (json!({"entityTypes": ["nope"]}), "entityTypes[0]"),
        (json!({"entityTypes": []}), "entityTypes"),
        (json!({"limit": 0}), "limit"),
    ] {
        let (code, at) =
            w.h.err(&req("changes.list", "acme", w.admin, params.clone()));
        assert_eq!(
            (code.as_str(), at.as_deref()),
            ("invalid_input", Some(field)),
            "{params}"
        );
    }
    // Another tenant sees none of acme's changes.
    let theirs =
        w.h.ok(&json!({"method": "changes.list", "tenantId": "other", "params": {"limit": 500}}));
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["entityType"] != "customer")
    );
}

#[test]
fn a_conflict_over_one_value_names_its_field() {
    let w = World::new();
    w.ok(
        "customers.create",
        json!({"name": "A", "externalId": "dup"}),
    );
    let response = w.h.call(&req(
        "customers.create",
        "acme",
        w.admin,
        json!({"name": "B", "externalId": "dup"}),
    ));
    assert_eq!(response["error"]["code"], "conflict");
    assert_eq!(response["error"]["field"], "externalId");
    let response = w.h.call(&json!({"method": "tenants.create", "params": {
        "tenantId": "acme", "name": "Again", "admin": {"name": "Ada", "email": "ada@acme.test"}}}));
    assert_eq!(
        (&response["error"]["code"], &response["error"]["field"]),
        (&json!("conflict"), &json!("tenantId"))
    );
    // A conflict with the state of things, not one value, names none.
    let response = w.h.call(&req(
        "deals.moveStage",
        "acme",
        w.admin,
        json!({"dealId": w.get("dealId"), "stageId": w.get("openStageId")}),
    ));
    assert_eq!(response["error"]["code"], "conflict");
    assert!(response["error"].get("field").is_none(), "{response}");
}
