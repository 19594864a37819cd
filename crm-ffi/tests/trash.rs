//! Deletes, the trash and restores through the C ABI: a deleted record leaves every surface
//! at once, a restore brings its group back exactly, and bad requests change nothing.

mod common;

use common::{Handle, World, fingerprint, invalid, req};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// The tables a restore must put back exactly: the records, their parts and what triggers
/// derive from them in the same transaction.
const EXACT: &[&str] = &[
    "customers",
    "leads",
    "deals",
    "deal_stage_history",
    "tickets",
    "ticket_events",
    "conversations",
    "messages",
    "calls",
    "activities",
    "quotes",
    "quote_lines",
    "quote_activities",
    "lead_scores_by_hand",
    "timeline_entries",
    "board_totals",
];

fn digest(path: &Path, tables: &[&str]) -> u64 {
    let conn = crm_core::store::raw_connection(path).unwrap();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for table in tables {
        table.hash(&mut hasher);
        let columns = conn
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap()
            .column_count();
        let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {table} ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                format!("{:?}", row.get_ref(i).unwrap()).hash(&mut hasher);
            }
        }
    }
    hasher.finish()
}

/// Every problem `crm check` would report.
fn problems(path: &Path) -> Vec<String> {
    crm_core::Crm::open(path)
        .unwrap()
        .check()
        .unwrap()
        .problems()
}

fn ids(page: &Value) -> BTreeSet<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// What a user sees of the world: search hits, list members, a segment, the funnel, the
/// board, an export.
fn surfaces(w: &World, segment: &Value, export: &Path) -> Value {
    let hits: BTreeSet<String> = ["Cy", "Broken", "Big", "Lee", "chat"]
        .iter()
        .flat_map(|q| {
            w.ok("search.query", json!({"q": q}))["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| format!("{}:{}", h["type"].as_str().unwrap(), h["id"]))
                .collect::<Vec<_>>()
        })
        .collect();
    let lists: Vec<BTreeSet<i64>> = [
        "customers.list",
        "leads.list",
        "deals.list",
        "tickets.list",
        "conversations.list",
        "calls.list",
        "activities.list",
    ]
    .iter()
    .map(|m| ids(&w.ok(m, json!({}))))
    .collect();
    let named = ids(&w.ok(
        "customers.list",
        json!({"where": {"field": "name", "op": "equals", "value": "Cy"}}),
    ));
    let members = ids(&w.ok("segments.members", json!({"id": segment})));
    let count = w.ok("segments.get", json!({"id": segment}))["memberCount"].clone();
    let funnel = w.ok(
        "analytics.funnel",
        json!({"pipelineId": w.get("pipelineId")}),
    );
    let board = w.ok("deals.board", json!({"pipelineId": w.get("pipelineId")}));
    let reps = w.ok("analytics.repPerformance", json!({"timeframe": "month"}));
    let duplicates = w.ok("customers.duplicates", json!({}));
    let candidates = w.ok("links.autoLink", json!({"dryRun": true}));
    w.ok(
        "export.run",
        json!({"kind": "customer", "format": "jsonl", "path": export}),
    );
    let exported = std::fs::read_to_string(export).unwrap();
    json!({
        "hits": hits, "lists": lists, "named": named, "members": members, "count": count,
        "funnelDeals": funnel["deals"], "board": board["columns"], "reps": reps,
        "duplicates": duplicates["items"], "autoLink": candidates["matches"],
        "exportedCy": exported.contains("cy@x.test"),
    })
}

#[test]
fn a_customer_deleted_with_cascade_leaves_every_surface_and_a_restore_brings_it_back_exactly() {
    let w = World::new();
    let c = w.get("customerId");
    // Cy has a twin (a duplicate group) and a lead with an email an unlinked ticket names (an
    // auto-link candidate); both go with Cy and come back with her.
    w.ok(
        "customers.create",
        json!({"name": "Cy Again", "email": "CY@X.TEST"}),
    );
    w.ok(
        "leads.update",
        json!({"id": w.get("leadId"), "email": "lee@x.test"}),
    );
    w.ok(
        "deals.update",
        json!({"id": w.get("dealId"), "ownerId": w.admin}),
    );
    w.ok(
        "tickets.create",
        json!({"subject": "Help", "channel": "email", "requesterEmail": "lee@x.test"}),
    );
    let segment = w.ok(
        "segments.create",
        json!({"name": "Everyone", "criteria": {"all": []}}),
    )["id"]
        .clone();
    // A second customer, untouched throughout.
    let other = w.id(
        "customers.create",
        json!({"name": "Dora", "email": "dora@x.test"}),
    );
    let export = w.path.with_file_name("customers.jsonl");
    let before = surfaces(&w, &segment, &export);
    let exact = digest(&w.path, EXACT);
    assert_eq!(before["exportedCy"], true);
    assert!(before["hits"].as_array().unwrap().len() >= 3, "{before}");

    // Without cascade: refused, naming what depends on it, and nothing changes.
    let file = fingerprint(&w.path);
    let response =
        w.h.call(&req("customers.delete", "acme", w.admin, json!({"id": c})));
    assert_eq!(response["error"]["code"], "conflict", "{response}");
    assert_eq!(response["error"]["field"], "cascade");
    let message = response["error"]["message"].as_str().unwrap();
    for what in ["1 lead", "1 deal", "1 ticket", "1 conversation", "1 call"] {
        assert!(message.contains(what), "{message}");
    }
    assert_eq!(fingerprint(&w.path), file);

    // A dry run answers what the delete does and keeps nothing.
    let dry = w.ok(
        "customers.delete",
        json!({"id": c, "cascade": true, "dryRun": true}),
    );
    assert_eq!(fingerprint(&w.path), file);
    let deleted = w.ok("customers.delete", json!({"id": c, "cascade": true}));
    assert_eq!(dry["dryRun"], true);
    assert_eq!(deleted["dryRun"], false);
    assert_eq!(dry["records"], deleted["records"]);
    assert_eq!(
        deleted["records"],
        json!({"activities": 1, "calls": 1, "conversations": 1, "customers": 1, "deals": 1,
               "leads": 1, "messages": 1, "tickets": 1})
    );
    assert_eq!(deleted["groupSize"], 8);
    assert_eq!(deleted["title"], "Cy");

    // Gone from every surface at once.
    for (method, params) in [
        ("customers.get", json!({"id": c})),
        ("leads.get", json!({"id": w.get("leadId")})),
        ("deals.get", json!({"id": w.get("dealId")})),
        ("tickets.get", json!({"id": w.get("ticketId")})),
        ("conversations.get", json!({"id": w.get("conversationId")})),
        (
            "messages.list",
            json!({"conversationId": w.get("conversationId")}),
        ),
        (
            "timeline.get",
            json!({"entity": {"type": "customer", "id": c}}),
        ),
        ("deals.stageHistory", json!({"dealId": w.get("dealId")})),
    ] {
        let response = w.h.call(&req(method, "acme", w.admin, params.clone()));
        assert_eq!(
            response["error"]["code"], "not_found",
            "{method} {params} -> {response}"
        );
    }
    let after = surfaces(&w, &segment, &export);
    let twin = other - 1;
    let help_ticket = w.get("ticketId").as_i64().unwrap() + 1;
    assert_eq!(
        after["hits"],
        json!([format!("customer:{twin}"), format!("ticket:{help_ticket}")]),
        "only what is not Cy's: {after}"
    );
    assert_eq!(
        after["lists"],
        json!([[twin, other], [], [], [help_ticket], [], [], []]),
        "{after}"
    );
    assert_eq!(after["named"], json!([]));
    assert_eq!(after["members"], json!([twin, other]));
    assert_eq!(after["count"], 2);
    assert_eq!(after["duplicates"], json!([]), "the twin has no twin now");
    assert_eq!(after["autoLink"], json!([]), "no lead left to link to");
    assert_ne!(before["duplicates"], json!([]));
    assert_ne!(before["autoLink"], json!([]));
    assert_ne!(
        before["reps"], after["reps"],
        "the rep figures lost the deal"
    );
    assert_eq!(after["funnelDeals"], 0);
    assert_eq!(after["exportedCy"], false);
    let columns = after["board"].as_array().unwrap();
    assert!(columns.iter().all(|col| col["count"] == 0), "{after}");
    let history = w.ok("segments.history", json!({"id": segment, "customerId": c}));
    assert_eq!(history["items"][0]["change"], "exited");
    // The feed tells a host what went.
    let changes = w.ok("changes.list", json!({"limit": 500}));
    let deleted_kinds: BTreeSet<&str> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "deleted")
        .map(|c| c["entityType"].as_str().unwrap())
        .collect();
    for kind in [
        "customer",
        "lead",
        "deal",
        "ticket",
        "conversation",
        "message",
        "call",
        "activity",
    ] {
        assert!(deleted_kinds.contains(kind), "{kind}: {deleted_kinds:?}");
    }
    assert_eq!(problems(&w.path), Vec::<String>::new());

    // The trash lists the group once, by its root.
    let trash = w.ok("trash.list", json!({}));
    assert_eq!(trash["items"].as_array().unwrap().len(), 1, "{trash}");
    assert_eq!(trash["items"][0]["kind"], "customer");
    assert_eq!(trash["items"][0]["id"], c);
    assert_eq!(trash["items"][0]["groupSize"], 8);
    assert_eq!(trash["items"][0]["deletedBy"], w.admin);
    // Restoring a member alone is refused, naming the root.
    let (code, field) = w.h.err(&req(
        "trash.restore",
        "acme",
        w.admin,
        json!({"kind": "ticket", "id": w.get("ticketId")}),
    ));
    assert_eq!((code.as_str(), field.as_deref()), ("conflict", Some("id")));

    let restored = w.ok("trash.restore", json!({"kind": "customer", "id": c}));
    assert_eq!(restored["groupSize"], 8);
    assert_eq!(digest(&w.path, EXACT), exact, "the group is back exactly");
    let back = surfaces(&w, &segment, &export);
    assert_eq!(back, before);
    assert_eq!(w.ok("trash.list", json!({}))["items"], json!([]));
    assert_eq!(problems(&w.path), Vec::<String>::new());
    let changes = w.ok("changes.list", json!({"limit": 500}));
    let restored_ops = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "restored")
        .count();
    // One per record of the group, and one for each part a host was told of (the ticket's
    // creation event, the deal's first stage).
    assert_eq!(restored_ops, 10);
}

#[test]
fn a_lead_deleted_alone_lets_go_of_the_records_that_named_it_and_takes_them_back() {
    let w = World::new();
    let lead = w.get("leadId");
    let deal = w.get("dealId");
    let ticket = w.get("ticketId");
    w.ok("deals.update", json!({"id": deal, "leadId": lead}));
    w.ok(
        "links.linkTicketToLead",
        json!({"ticketId": ticket, "leadId": lead}),
    );
    let exact = digest(&w.path, EXACT);
    let deleted = w.ok("leads.delete", json!({"id": lead}));
    assert_eq!(deleted["records"], json!({"activities": 1, "leads": 1}));
    assert_eq!(deleted["detached"], 2);
    assert_eq!(
        w.ok("deals.get", json!({"id": deal}))["leadId"],
        Value::Null
    );
    assert_eq!(
        w.ok("tickets.get", json!({"id": ticket}))["relatedLeadId"],
        Value::Null
    );
    assert_eq!(problems(&w.path), Vec::<String>::new());
    let restored = w.ok("trash.restore", json!({"kind": "lead", "id": lead}));
    assert_eq!(restored["reattached"], 2);
    assert_eq!(w.ok("deals.get", json!({"id": deal}))["leadId"], lead);
    assert_eq!(digest(&w.path, EXACT), exact);
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn single_records_go_and_come_back_and_their_parents_follow() {
    let w = World::new();
    let conversation = w.get("conversationId");
    let message = w.ok(
        "messages.create",
        json!({"conversationId": conversation, "direction": "outbound", "body": "zebracorn"}),
    )["id"]
        .clone();
    let found = |q: &str| w.ok("search.query", json!({"q": q}))["total"].clone();
    assert_eq!(found("zebracorn"), 1);
    let conflict = w.h.err(&req(
        "conversations.delete",
        "acme",
        w.admin,
        json!({"id": conversation}),
    ));
    assert_eq!(
        conflict,
        ("conflict".to_owned(), Some("cascade".to_owned()))
    );
    w.ok("messages.delete", json!({"id": message}));
    assert_eq!(found("zebracorn"), 0, "the conversation's document lost it");
    let messages = w.ok("messages.list", json!({"conversationId": conversation}));
    assert_eq!(messages["items"].as_array().unwrap().len(), 1);
    w.ok("trash.restore", json!({"kind": "message", "id": message}));
    assert_eq!(found("zebracorn"), 1);

    // A ticket deleted alone, then its customer: the ticket cannot come back before it.
    let ticket = w.get("ticketId");
    let c = w.get("customerId");
    w.ok("tickets.delete", json!({"id": ticket}));
    w.ok("customers.delete", json!({"id": c, "cascade": true}));
    let response = w.h.call(&req(
        "trash.restore",
        "acme",
        w.admin,
        json!({"kind": "ticket", "id": ticket}),
    ));
    assert_eq!(response["error"]["code"], "conflict", "{response}");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("restore customer {c} first")),
        "{response}"
    );
    w.ok("trash.restore", json!({"kind": "customer", "id": c}));
    w.ok("trash.restore", json!({"kind": "ticket", "id": ticket}));
    assert_eq!(w.ok("tickets.get", json!({"id": ticket}))["customerId"], c);
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn an_external_id_is_free_once_its_record_is_in_the_trash_and_a_restore_will_not_take_it_back() {
    let w = World::new();
    let first = w.id(
        "customers.create",
        json!({"name": "First", "externalId": "crm-1"}),
    );
    w.ok("customers.delete", json!({"id": first}));
    let second = w.id(
        "customers.create",
        json!({"name": "Second", "externalId": "crm-1"}),
    );
    let file = fingerprint(&w.path);
    let (code, field) = w.h.err(&req(
        "trash.restore",
        "acme",
        w.admin,
        json!({"kind": "customer", "id": first}),
    ));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("conflict", Some("externalId"))
    );
    assert_eq!(
        fingerprint(&w.path),
        file,
        "a failed restore changes nothing"
    );
    w.ok(
        "customers.update",
        json!({"id": second, "externalId": "crm-2"}),
    );
    w.ok("trash.restore", json!({"kind": "customer", "id": first}));
    assert_eq!(
        w.ok("customers.get", json!({"externalId": "crm-1"}))["id"],
        first
    );
}

#[test]
fn only_draft_quotes_can_be_deleted_and_a_deal_takes_its_quotes_along() {
    let w = World::new();
    let deal = w.get("dealId");
    let sent = w.id(
        "quotes.create",
        json!({"dealId": deal, "lines": [
        {"description": "Widget", "quantity": 1, "unitPrice": 1000}]}),
    );
    w.ok("quotes.send", json!({"id": sent}));
    let draft = w.id(
        "quotes.create",
        json!({"dealId": deal, "lines": [
        {"description": "Gadget", "quantity": 2, "unitPrice": 500}]}),
    );
    let (code, _) =
        w.h.err(&req("quotes.delete", "acme", w.admin, json!({"id": sent})));
    assert_eq!(code, "conflict");
    w.ok("quotes.delete", json!({"id": draft}));
    assert_eq!(
        w.h.err(&req("quotes.get", "acme", w.admin, json!({"id": draft})))
            .0,
        "not_found"
    );
    let (code, field) =
        w.h.err(&req("deals.delete", "acme", w.admin, json!({"id": deal})));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("conflict", Some("cascade"))
    );
    let deleted = w.ok("deals.delete", json!({"id": deal, "cascade": true}));
    assert_eq!(deleted["records"], json!({"deals": 1, "quotes": 1}));
    assert_eq!(problems(&w.path), Vec::<String>::new());
    w.ok("trash.restore", json!({"kind": "deal", "id": deal}));
    w.ok("trash.restore", json!({"kind": "quote", "id": draft}));
    assert_eq!(w.ok("quotes.get", json!({"id": sent}))["status"], "sent");
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn roles_tenants_and_bad_requests_are_refused_and_change_nothing() {
    let w = World::new();
    let c = w.get("customerId");
    let call = |tenant: &str, actor: i64, method: &str, params: Value| {
        w.h.call(&req(method, tenant, actor, params))
    };
    let viewer = w.id(
        "users.create",
        json!({"name": "V", "email": "v@acme.test", "role": "viewer"}),
    );
    let agent = w.id(
        "users.create",
        json!({"name": "A", "email": "a@acme.test", "role": "agent"}),
    );
    let other_admin = 1; // the other tenant's admin (each tenant numbers its own users)
    let file = fingerprint(&w.path);
    let refusals: Vec<(&str, i64, &str, Value, &str)> = vec![
        (
            "acme",
            viewer,
            "customers.delete",
            json!({"id": c, "cascade": true}),
            "forbidden",
        ),
        (
            "acme",
            viewer,
            "trash.list",
            json!({"kind": "user"}),
            "invalid_input",
        ),
        (
            "acme",
            agent,
            "trash.purge",
            json!({"olderThanDays": 0}),
            "forbidden",
        ),
        (
            "acme",
            w.admin,
            "customers.delete",
            json!({"id": 404}),
            "not_found",
        ),
        (
            "acme",
            w.admin,
            "customers.delete",
            json!({"id": c, "cascade": "yes"}),
            "invalid_input",
        ),
        (
            "acme",
            w.admin,
            "customers.delete",
            json!({"id": c, "force": true}),
            "invalid_input",
        ),
        (
            "acme",
            w.admin,
            "trash.restore",
            json!({"kind": "customer", "id": c}),
            "not_found",
        ),
        (
            "acme",
            w.admin,
            "trash.restore",
            json!({"kind": "user", "id": 1}),
            "not_found",
        ),
        (
            "acme",
            w.admin,
            "trash.purge",
            json!({"olderThanDays": -1}),
            "invalid_input",
        ),
        (
            "acme",
            w.admin,
            "trash.list",
            json!({"cursor": "nope"}),
            "invalid_input",
        ),
        (
            "other",
            other_admin,
            "customers.delete",
            json!({"id": c, "cascade": true}),
            "not_found",
        ),
        (
            "other",
            other_admin,
            "leads.delete",
            json!({"id": w.get("leadId")}),
            "not_found",
        ),
        (
            "other",
            other_admin,
            "tickets.delete",
            json!({"id": w.get("ticketId")}),
            "not_found",
        ),
        (
            "other",
            other_admin,
            "messages.delete",
            json!({"id": 1}),
            "not_found",
        ),
        (
            "other",
            other_admin,
            "calls.delete",
            json!({"id": 1}),
            "not_found",
        ),
        (
            "other",
            other_admin,
            "activities.delete",
            json!({"id": 1}),
            "not_found",
        ),
    ];
    for (tenant, actor, method, params, code) in &refusals {
        let response = call(tenant, *actor, method, params.clone());
        assert_eq!(
            response["error"]["code"], *code,
            "{method} {params} as {actor} in {tenant} -> {response}"
        );
    }
    assert_eq!(fingerprint(&w.path), file);
    invalid(
        &w.h.err(&req(
            "trash.purge",
            "acme",
            w.admin,
            json!({"olderThanDays": -1}),
        )),
        "olderThanDays",
    );

    // Another tenant's trash is its own.
    w.ok("customers.delete", json!({"id": c, "cascade": true}));
    let theirs = call("other", other_admin, "trash.list", json!({}));
    assert_eq!(theirs["result"]["items"], json!([]), "{theirs}");
    let response = call(
        "other",
        other_admin,
        "trash.restore",
        json!({"kind": "customer", "id": c}),
    );
    assert_eq!(response["error"]["code"], "not_found");
    let purged = call(
        "other",
        other_admin,
        "trash.purge",
        json!({"olderThanDays": 0}),
    );
    assert_eq!(purged["result"]["purged"], 0, "{purged}");
    // A viewer cannot restore; an agent can.
    let response = call(
        "acme",
        viewer,
        "trash.restore",
        json!({"kind": "customer", "id": c}),
    );
    assert_eq!(response["error"]["code"], "forbidden");
    let response = call(
        "acme",
        agent,
        "trash.restore",
        json!({"kind": "customer", "id": c}),
    );
    assert_eq!(response["ok"], true, "{response}");
}

#[test]
fn purge_removes_old_groups_for_good() {
    let w = World::new();
    let c = w.get("customerId");
    let p = w.id(
        "products.create",
        json!({"name": "Widget", "unitPrice": {"amount": 100, "currency": "USD"}}),
    );
    w.ok("products.delete", json!({"id": p}));
    w.ok("customers.delete", json!({"id": c, "cascade": true}));
    let kept = w.ok("trash.purge", json!({"olderThanDays": 30}));
    assert_eq!(kept, json!({"purged": 0, "records": 0}));
    let listed = w.ok("trash.list", json!({"limit": 1}));
    assert_eq!(listed["items"][0]["kind"], "customer", "newest first");
    let next = w.ok(
        "trash.list",
        json!({"limit": 1, "cursor": listed["nextCursor"]}),
    );
    assert_eq!(next["items"][0]["kind"], "product");
    assert_eq!(next["nextCursor"], Value::Null);
    assert_eq!(
        w.ok("trash.list", json!({"kind": "product"}))["items"][0]["title"],
        "Widget"
    );
    let purged = w.ok("trash.purge", json!({"olderThanDays": 0}));
    assert_eq!(purged, json!({"purged": 2, "records": 9}));
    assert_eq!(w.ok("trash.list", json!({}))["items"], json!([]));
    let (code, _) = w.h.err(&req(
        "trash.restore",
        "acme",
        w.admin,
        json!({"kind": "customer", "id": c}),
    ));
    assert_eq!(code, "not_found");
    assert_eq!(
        w.h.err(&req("customers.delete", "acme", w.admin, json!({"id": c})))
            .0,
        "not_found"
    );
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn a_delete_while_another_handle_links_the_same_ticket_leaves_a_consistent_file() {
    let w = World::new();
    let second = Handle::open(w.path.to_str().unwrap());
    let ticket = w.get("ticketId");
    let lead = w.get("leadId");
    std::thread::scope(|s| {
        let linker = s.spawn(|| {
            for _ in 0..20 {
                let r = second.call(&req(
                    "links.linkTicketToLead",
                    "acme",
                    w.admin,
                    json!({"ticketId": ticket, "leadId": lead}),
                ));
                // Either linked, or the lead or ticket is in the trash by then.
                assert!(
                    r["ok"] == true
                        || r["error"]["code"] == "not_found"
                        || r["error"]["code"] == "invalid_input",
                    "{r}"
                );
                second.call(&req(
                    "links.unlinkTicketFromLead",
                    "acme",
                    w.admin,
                    json!({"ticketId": ticket}),
                ));
            }
        });
        for _ in 0..5 {
            w.ok("leads.delete", json!({"id": lead}));
            w.ok("trash.restore", json!({"kind": "lead", "id": lead}));
        }
        linker.join().unwrap();
    });
    assert_eq!(problems(&w.path), Vec::<String>::new());
}

#[test]
fn every_deletable_kind_goes_to_the_trash_and_comes_back_whole() {
    let w = World::new();
    let list = |method: &str, params: Value| ids(&w.ok(method, params));
    let call = list("calls.list", json!({})).into_iter().next().unwrap();
    let activity = list("activities.list", json!({}))
        .into_iter()
        .next()
        .unwrap();
    let template = w.id(
        "quoteTemplates.create",
        json!({"name": "Standard", "terms": "Net 30.", "validDays": 30}),
    );
    let exact = digest(&w.path, EXACT);
    let cases: Vec<(&str, &str, i64, bool)> = vec![
        ("calls.delete", "call", call, false),
        ("activities.delete", "activity", activity, false),
        ("quoteTemplates.delete", "quote_template", template, false),
        (
            "conversations.delete",
            "conversation",
            w.get("conversationId").as_i64().unwrap(),
            true,
        ),
        (
            "tickets.delete",
            "ticket",
            w.get("ticketId").as_i64().unwrap(),
            false,
        ),
        (
            "deals.delete",
            "deal",
            w.get("dealId").as_i64().unwrap(),
            false,
        ),
        (
            "leads.delete",
            "lead",
            w.get("leadId").as_i64().unwrap(),
            false,
        ),
    ];
    for (method, kind, id, cascade) in &cases {
        let deleted = w.ok(method, json!({"id": id, "cascade": cascade}));
        assert_eq!(deleted["kind"], *kind, "{method}");
        assert_eq!(problems(&w.path), Vec::<String>::new(), "after {method}");
    }
    assert_eq!(
        w.ok("trash.list", json!({}))["items"]
            .as_array()
            .unwrap()
            .len(),
        cases.len()
    );
    // Restored newest first, as a person undoes.
    for (_, kind, id, _) in cases.iter().rev() {
        w.ok("trash.restore", json!({"kind": kind, "id": id}));
    }
    assert_eq!(digest(&w.path, EXACT), exact, "everything back exactly");
    assert_eq!(problems(&w.path), Vec::<String>::new());
    assert_eq!(
        w.ok("quoteTemplates.get", json!({"id": template}))["name"],
        "Standard"
    );
}
