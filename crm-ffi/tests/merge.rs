//! Duplicates and merging through the C ABI: customers that share an email in another case, a
//! phone in another format or a name at the same company are found; a merge moves everything
//! to the target in one transaction, and a dry run answers exactly what the merge does.

#![allow(clippy::many_single_char_names)] // customers named by their initial

mod common;

use common::{World, fingerprint, req};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn problems(path: &std::path::Path) -> Vec<String> {
    crm_core::Crm::open(path)
        .unwrap()
        .check()
        .unwrap()
        .problems()
}

#[test]
fn duplicates_are_found_by_email_phone_and_name_at_a_company_and_paged() {
    let w = World::new();
    let id = |p: Value| w.id("customers.create", p);
    let a =
        id(json!({"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 415 555 0132"}));
    let b = id(json!({"name": "A. Lovelace", "email": "ADA@Example.com"}));
    let c = id(json!({"name": "Grace", "phone": "(415) 555-0132"}));
    let d = id(json!({"name": "Alan Turing", "company": "Acme, Inc."}));
    let e = id(json!({"name": "alan turing", "company": "ACME"}));
    id(json!({"name": "Alan Turing", "company": "Globex"}));
    let all = w.ok("customers.duplicates", json!({}));
    assert_eq!(
        all["items"],
        json!([
            {"key": "email", "value": "ada@example.com", "ids": [a, b]},
            {"key": "phone", "value": "+14155550132", "ids": [a, c]},
            {"key": "nameAndCompany", "value": "acme · alan turing", "ids": [d, e]},
        ]),
        "{all}"
    );
    // One group a page, through every kind of key.
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = w.ok(
            "customers.duplicates",
            json!({"limit": 1, "cursor": cursor}),
        );
        seen.extend(page["items"].as_array().unwrap().clone());
        if page["nextCursor"].is_null() {
            break;
        }
        cursor = page["nextCursor"].clone();
    }
    assert_eq!(Value::Array(seen), all["items"]);
    let bad = w.h.err(&req(
        "customers.duplicates",
        "acme",
        w.admin,
        json!({"cursor": "x"}),
    ));
    assert_eq!(bad, ("invalid_input".to_owned(), Some("cursor".to_owned())));
    // Another tenant sees none of them.
    let theirs = w.h.ok(&req("customers.duplicates", "other", 1, json!({})));
    assert_eq!(theirs["items"], json!([]));
}

#[test]
fn a_merge_moves_everything_to_the_target_and_the_source_answers_merged_into() {
    let w = World::new();
    let source = w.get("customerId");
    let target = w.id(
        "customers.create",
        json!({"name": "Cy Target", "email": "CY@x.test", "tags": ["b2b"], "externalId": "t-1"}),
    );
    let segment = w.ok(
        "segments.create",
        json!({"name": "VIP", "criteria": {"field": "tags", "op": "equals", "value": "vip"}}),
    )["id"]
        .clone();
    assert_eq!(
        w.ok("segments.get", json!({"id": segment}))["memberCount"],
        1
    );
    let quote = w.id(
        "quotes.create",
        json!({"dealId": w.get("dealId"), "lines": [
        {"description": "Widget", "quantity": 1, "unitPrice": 1000}]}),
    );
    let timeline_of = |id: &Value| -> BTreeSet<String> {
        w.ok(
            "timeline.get",
            json!({"entity": {"type": "customer", "id": id}, "limit": 200}),
        )["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let events = timeline_of(&source);
    assert!(events.len() >= 4, "{events:?}");
    assert!(timeline_of(&json!(target)).is_empty());

    // The dry run answers what the merge does and changes nothing.
    let file = fingerprint(&w.path);
    let request = json!({"targetId": target, "sourceIds": [source], "fields": {"name": source}});
    let mut dry_request = request.clone();
    dry_request["dryRun"] = json!(true);
    let dry = w.ok("customers.merge", dry_request);
    assert_eq!(fingerprint(&w.path), file);
    let merged = w.ok("customers.merge", request);
    assert_eq!(dry["moved"], merged["moved"]);
    assert_eq!(dry["dryRun"], true);
    assert_eq!(
        merged["moved"],
        json!({"activities": 1, "calls": 1, "conversations": 1, "deals": 1, "leads": 1,
               "quotes": 1, "tickets": 1})
    );
    assert_eq!(merged["fields"], json!({"name": "Cy"}));

    let after = w.ok("customers.get", json!({"id": target}));
    assert_eq!(after["name"], "Cy", "taken from the source");
    assert_eq!(after["email"], "CY@x.test", "the target keeps the rest");
    assert_eq!(after["externalId"], "t-1");
    assert_eq!(after["tags"], json!(["b2b", "vip"]), "tags united");
    let response = w.h.call(&req(
        "customers.get",
        "acme",
        w.admin,
        json!({"id": source}),
    ));
    assert_eq!(response["error"]["code"], "not_found");
    assert_eq!(response["error"]["mergedInto"], target, "{response}");
    assert_eq!(
        timeline_of(&json!(target)),
        events,
        "the timeline moved whole"
    );
    for (method, id) in [
        ("leads.get", w.get("leadId")),
        ("deals.get", w.get("dealId")),
        ("tickets.get", w.get("ticketId")),
        ("conversations.get", w.get("conversationId")),
    ] {
        assert_eq!(
            w.ok(method, json!({"id": id}))["customerId"],
            target,
            "{method}"
        );
    }
    assert_eq!(
        w.ok("quotes.get", json!({"id": quote}))["customerId"],
        target
    );
    // The target carries the source's tag into the segment; the source left it.
    assert_eq!(
        w.ok("segments.members", json!({"id": segment}))["items"][0]["id"],
        target
    );
    let history = w.ok(
        "segments.history",
        json!({"id": segment, "customerId": source}),
    );
    assert_eq!(history["items"][0]["change"], "exited");
    let changes = w.ok(
        "changes.list",
        json!({"limit": 500, "entityTypes": ["customer"]}),
    );
    let merged_entry = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["op"] == "merged")
        .unwrap();
    assert_eq!(merged_entry["entityId"], source);
    assert_eq!(merged_entry["mergedInto"], target);
    assert!(
        w.ok("search.query", json!({"q": "Broken"}))["hits"][0]["context"]
            .as_str()
            .is_some()
    );
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn leads_merge_and_bad_merges_are_refused_changing_nothing() {
    let w = World::new();
    let lead = w.get("leadId");
    let other = w.id(
        "leads.create",
        json!({"name": "Lee Two", "email": "lee@x.test"}),
    );
    let deal = w.get("dealId");
    w.ok("deals.update", json!({"id": deal, "leadId": other}));
    let c = w.get("customerId");
    let second = w.id("customers.create", json!({"name": "Second"}));
    let trashed = w.id("customers.create", json!({"name": "Gone"}));
    w.ok("customers.delete", json!({"id": trashed}));
    let agent = w.id(
        "users.create",
        json!({"name": "A", "email": "a@acme.test", "role": "agent"}),
    );
    let file = fingerprint(&w.path);
    let refused: Vec<(i64, &str, Value, &str, Option<&str>)> = vec![
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [c]}),
            "invalid_input",
            Some("sourceIds[0]"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": []}),
            "invalid_input",
            Some("sourceIds"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [second, second]}),
            "invalid_input",
            Some("sourceIds[1]"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [trashed]}),
            "invalid_input",
            Some("sourceIds[0]"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": trashed, "sourceIds": [c]}),
            "invalid_input",
            Some("targetId"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [404]}),
            "invalid_input",
            Some("sourceIds[0]"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": 404, "sourceIds": [c]}),
            "invalid_input",
            Some("targetId"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [second], "fields": {"email": c}}),
            "invalid_input",
            Some("fields.email"),
        ),
        (
            w.admin,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [second], "fields": {"tags": second}}),
            "invalid_input",
            Some("fields.tags"),
        ),
        (
            agent,
            "customers.merge",
            json!({"targetId": c, "sourceIds": [second]}),
            "forbidden",
            None,
        ),
        (
            w.admin,
            "leads.merge",
            json!({"targetId": lead, "sourceIds": [1000]}),
            "invalid_input",
            Some("sourceIds[0]"),
        ),
    ];
    for (actor, method, params, code, field) in refused {
        let response = w.h.call(&req(method, "acme", actor, params.clone()));
        assert_eq!(
            response["error"]["code"], code,
            "{method} {params} -> {response}"
        );
        assert_eq!(
            response["error"]["field"].as_str(),
            field,
            "{method} {params}"
        );
    }
    // Across tenants: the other tenant's ids read as ids that never were.
    let response = w.h.call(&req(
        "customers.merge",
        "other",
        1,
        json!({"targetId": c, "sourceIds": [second]}),
    ));
    assert_eq!(response["error"]["code"], "invalid_input");
    assert_eq!(response["error"]["field"], "targetId");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("not found"),
        "{response}"
    );
    assert_eq!(
        fingerprint(&w.path),
        file,
        "a refused merge changes nothing"
    );

    let merged = w.ok(
        "leads.merge",
        json!({"targetId": lead, "sourceIds": [other], "fields": {"email": other}}),
    );
    assert_eq!(merged["moved"]["deals"], 1);
    assert_eq!(w.ok("deals.get", json!({"id": deal}))["leadId"], lead);
    assert_eq!(
        w.ok("leads.get", json!({"id": lead}))["email"],
        "lee@x.test"
    );
    let response =
        w.h.call(&req("leads.get", "acme", w.admin, json!({"id": other})));
    assert_eq!(response["error"]["mergedInto"], lead);
    assert_eq!(problems(&w.path), Vec::<String>::new());
}
