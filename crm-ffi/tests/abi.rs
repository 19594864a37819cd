//! The C ABI as a host sees it: every records method through JSON, hostile input, threads.
#![allow(clippy::many_single_char_names)] // the stories name records by their initial (c, l, d, t)
#![allow(unsafe_code)]

use crm::{
    CRM_ERR_INVALID, CRM_ERR_STORAGE, CRM_OK, crm_call, crm_close, crm_open, crm_string_free,
    crm_version,
};
use serde_json::{Value, json};
use std::ffi::{CStr, c_char};
use std::ptr;

mod common;
use common::{Handle, invalid, req, setup, take};

#[test]
fn hostile_input_gets_error_responses_never_a_crash() {
    let (h, _) = setup();
    let code = |v: Value| v["error"]["code"].as_str().unwrap().to_owned();
    // NULL handle and NULL request.
    let r = unsafe { take(crm_call(ptr::null_mut(), c"{}".as_ptr())) };
    assert_eq!(code(r), "invalid_request");
    let r = unsafe { take(crm_call(h.0, ptr::null())) };
    assert_eq!(code(r), "invalid_request");
    // Invalid UTF-8, malformed JSON, JSON that is not an object, no method.
    assert_eq!(code(h.raw(b"{\"method\":\"\xff\"}")), "invalid_request");
    assert_eq!(code(h.raw(b"{\"method\":")), "invalid_request");
    assert_eq!(code(h.raw(b"[1,2]")), "invalid_request");
    assert_eq!(code(h.raw(b"\"customers.get\"")), "invalid_request");
    assert_eq!(code(h.raw(b"{}")), "invalid_request");
    assert_eq!(code(h.raw(b"{\"method\": 7}")), "invalid_request");
    assert_eq!(
        code(h.raw(b"{\"method\": \"customers.get\", \"tenant\": \"acme\"}")),
        "invalid_request"
    );
    // Unknown methods, whatever else is wrong.
    assert_eq!(
        h.err(&json!({"method": "customers.destroy"})).0,
        "unknown_method"
    );
    assert_eq!(
        h.err(&json!({"method": "nope", "tenantId": 5})).0,
        "invalid_input"
    );
    // Envelope fields of the wrong type.
    invalid(&h.err(&json!({"method": "customers.get", "tenantId": "acme", "actorId": "one", "params": {"id": 1}})), "actorId");
    invalid(
        &h.err(&json!({"method": "customers.get", "tenantId": "acme", "params": [1]})),
        "params",
    );
    invalid(
        &h.err(&json!({"method": "customers.get", "params": {"id": 1}})),
        "tenantId",
    );
    // Parameters of the wrong type, misspelt, missing, or both/neither of id and externalId.
    invalid(
        &h.err(&req("customers.get", "acme", 1, json!({"id": "1"}))),
        "id",
    );
    invalid(
        &h.err(&req(
            "customers.create",
            "acme",
            1,
            json!({"name": "A", "emial": "a@b.c"}),
        )),
        "emial",
    );
    invalid(
        &h.err(&req(
            "customers.create",
            "acme",
            1,
            json!({"email": "a@b.c"}),
        )),
        "name",
    );
    invalid(
        &h.err(&req(
            "customers.create",
            "acme",
            1,
            json!({"name": "A", "tags": ["ok", 5]}),
        )),
        "tags[1]",
    );
    invalid(
        &h.err(&req(
            "tickets.create",
            "acme",
            1,
            json!({"subject": "S", "channel": "pigeon"}),
        )),
        "channel",
    );
    invalid(
        &h.err(&req(
            "pipelines.create",
            "acme",
            1,
            json!({"name": "P", "stages": [{"name": "A", "probability": 5, "kind": "maybe"}]}),
        )),
        "stages[0].kind",
    );
    invalid(
        &h.err(&req(
            "customers.get",
            "acme",
            1,
            json!({"id": 1, "externalId": "x"}),
        )),
        "id",
    );
    invalid(&h.err(&req("customers.get", "acme", 1, json!({}))), "id");
    invalid(
        &h.err(&req(
            "customers.create",
            "acme",
            1,
            json!({"name": "A", "createdAt": "yesterday"}),
        )),
        "createdAt",
    );
    invalid(
        &h.err(&req("tenants.list", "acme", 1, json!({"x": 1}))),
        "x",
    );
    // A huge, deeply nested or unicode-heavy request is an answer, not a crash.
    let deep = "[".repeat(100_000);
    assert_eq!(
        code(h.raw(format!("{{\"method\":\"customers.get\",\"params\":{deep}").as_bytes())),
        "invalid_request"
    );
    let big = "ü".repeat(300_000);
    invalid(
        &h.err(&req("customers.create", "acme", 1, json!({"name": big}))),
        "name",
    );
    // Nothing of the above changed anything.
    let audit = h.ok(&req("audit.list", "acme", 1, json!({})));
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
}

#[test]
fn open_refuses_bad_arguments_with_an_error_object() {
    let mut out = ptr::null_mut();
    let mut error: *mut c_char = ptr::null_mut();
    let code = unsafe { crm_open(ptr::null(), ptr::null(), &raw mut out, &raw mut error) };
    assert_eq!(code, CRM_ERR_INVALID);
    assert!(out.is_null());
    assert_eq!(unsafe { take(error) }["error"]["code"], "invalid_request");
    let code = unsafe {
        crm_open(
            c":memory:".as_ptr(),
            c"{\"cache\": 1}".as_ptr(),
            &raw mut out,
            &raw mut error,
        )
    };
    assert_eq!(code, CRM_ERR_INVALID);
    assert_eq!(
        unsafe { take(error) }["error"]["message"],
        "cache: unknown option"
    );
    let code = unsafe {
        crm_open(
            c":memory:".as_ptr(),
            c"nope".as_ptr(),
            &raw mut out,
            ptr::null_mut(),
        )
    };
    assert_eq!(code, CRM_ERR_INVALID);
    let code = unsafe {
        crm_open(
            c":memory:".as_ptr(),
            ptr::null(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    assert_eq!(code, CRM_ERR_INVALID);
    // The pool's size: a whole number from 1 to 1,000, named when it is not.
    for bad in [
        c"{\"poolSize\": 0}",
        c"{\"poolSize\": 1001}",
        c"{\"poolSize\": \"two\"}",
        c"{\"poolSize\": -1}",
    ] {
        let code = unsafe {
            crm_open(
                c":memory:".as_ptr(),
                bad.as_ptr(),
                &raw mut out,
                &raw mut error,
            )
        };
        assert_eq!(code, CRM_ERR_INVALID, "{bad:?}");
        let answer = unsafe { take(error) };
        assert_eq!(answer["error"]["code"], "invalid_input", "{answer}");
        assert_eq!(answer["error"]["field"], "poolSize", "{answer}");
        assert!(out.is_null());
    }
    let dir = tempfile::tempdir().unwrap();
    let file = std::ffi::CString::new(dir.path().join("pooled.db").to_str().unwrap()).unwrap();
    for path in [c":memory:", file.as_c_str()] {
        let code = unsafe {
            crm_open(
                path.as_ptr(),
                c"{\"poolSize\": 2}".as_ptr(),
                &raw mut out,
                &raw mut error,
            )
        };
        assert_eq!(code, CRM_OK);
        unsafe { crm_close(out) };
        out = ptr::null_mut();
    }
    let code = unsafe {
        crm_open(
            c"/nonexistent-dir/x/crm.db".as_ptr(),
            ptr::null(),
            &raw mut out,
            &raw mut error,
        )
    };
    assert_eq!(code, CRM_ERR_STORAGE);
    assert_eq!(unsafe { take(error) }["error"]["code"], "storage");
    assert!(out.is_null());
    // A server that is not there: the error says where, never with the URL's password.
    let code = unsafe {
        crm_open(
            c"postgresql://crm:s3cret-pw@127.0.0.1:1/crm?password=s3cret-pw".as_ptr(),
            ptr::null(),
            &raw mut out,
            &raw mut error,
        )
    };
    assert_eq!(code, CRM_ERR_STORAGE);
    let refused = unsafe { take(error) };
    assert_eq!(refused["error"]["code"], "storage", "{refused}");
    assert!(
        refused.to_string().contains("127.0.0.1") && !refused.to_string().contains("s3cret"),
        "{refused}"
    );
    assert!(out.is_null());
    let code = unsafe {
        crm_open(
            c"postgresql://crm:s3cret-pw@127.0.0.1:notaport/crm".as_ptr(),
            ptr::null(),
            &raw mut out,
            &raw mut error,
        )
    };
    assert_eq!(code, CRM_ERR_INVALID);
    let refused = unsafe { take(error) };
    assert_eq!(refused["error"]["field"], "db", "{refused}");
    assert!(!refused.to_string().contains("s3cret"), "{refused}");
    let code = unsafe {
        crm_open(
            c":memory:".as_ptr(),
            c"{}".as_ptr(),
            &raw mut out,
            ptr::null_mut(),
        )
    };
    assert_eq!(code, CRM_OK);
    unsafe {
        crm_close(out);
        crm_close(ptr::null_mut());
        crm_string_free(ptr::null_mut());
    }
    let version = unsafe { CStr::from_ptr(crm_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(crm::crm_abi_version(), crm::CRM_ABI_VERSION);
}

#[test]
fn every_records_method_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    assert_eq!(
        h.ok(&json!({"method": "system.version"})),
        json!({"version": env!("CARGO_PKG_VERSION"), "abiVersion": crm::CRM_ABI_VERSION})
    );
    assert_eq!(
        h.ok(&json!({"method": "tenants.list"}))["items"][0]["tenantId"],
        "acme"
    );

    let team = r("teams.create", json!({"name": "Tier 1"}));
    let agent = r(
        "users.create",
        json!({"name": "Kai", "email": "kai@acme.test", "role": "agent", "externalId": "u-kai"}),
    );
    let agent_id = agent["id"].as_i64().unwrap();
    assert_eq!(
        r(
            "teams.addMember",
            json!({"teamId": team["id"], "userId": agent_id})
        )["teamIds"],
        json!([team["id"]])
    );
    assert_eq!(
        r("users.get", json!({"externalId": "u-kai"}))["name"],
        "Kai"
    );
    assert_eq!(
        r("users.update", json!({"id": agent_id, "role": "manager"}))["role"],
        "manager"
    );
    assert_eq!(
        r("users.list", json!({"role": "manager"}))["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        r("teams.list", json!({"limit": 5}))["items"][0]["name"],
        "Tier 1"
    );

    let c = r(
        "customers.create",
        json!({"name": "Zoë", "email": "zoe@example.com", "tags": ["vip"], "churnRisk": 20, "externalId": "c-1"}),
    );
    let cid = c["id"].clone();
    assert_eq!(r("customers.get", json!({"externalId": "c-1"})), c);
    let c2 = r(
        "customers.update",
        json!({"id": cid, "email": null, "churnRisk": 70}),
    );
    assert_eq!(
        (c2["email"].clone(), c2["churnRisk"].clone()),
        (Value::Null, json!(70))
    );
    assert_eq!(
        r("customers.list", json!({"limit": 1}))["items"][0]["id"],
        cid
    );

    let lead = r(
        "leads.create",
        json!({"name": "Zoë", "customerId": cid, "score": 55, "ownerId": agent_id, "createdAt": "2025-01-01T00:00:00Z"}),
    );
    assert_eq!(lead["createdAt"], "2025-01-01T00:00:00.000Z");
    assert_eq!(
        r(
            "leads.update",
            json!({"id": lead["id"], "status": "qualified"})
        )["status"],
        "qualified"
    );
    assert_eq!(
        r("leads.get", json!({"id": lead["id"]}))["status"],
        "qualified"
    );
    assert_eq!(
        r("leads.list", json!({"status": "qualified"}))["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let p = r(
        "pipelines.create",
        json!({"name": "Sales", "stages": [
        {"name": "Open", "probability": 10, "kind": "open"},
        {"name": "Won", "probability": 100, "kind": "won"},
        {"name": "Lost", "probability": 0, "kind": "lost"}]}),
    );
    assert_eq!(r("pipelines.get", json!({"id": p["id"]})), p);
    assert_eq!(
        r("pipelines.list", json!({}))["items"][0]["stages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let d = r(
        "deals.create",
        json!({"pipelineId": p["id"], "title": "Deal", "value": 99_900, "currency": "EUR", "customerId": cid, "leadId": lead["id"]}),
    );
    assert_eq!(
        (d["status"].clone(), d["stageId"].clone()),
        (json!("open"), p["stages"][0]["id"].clone())
    );
    assert_eq!(
        r("deals.update", json!({"id": d["id"], "value": 100_000}))["value"],
        100_000
    );
    let won = r(
        "deals.moveStage",
        json!({"dealId": d["id"], "stageId": p["stages"][1]["id"]}),
    );
    assert_eq!(won["status"], "won");
    assert!(won["closedAt"].is_string());
    assert_eq!(
        r("deals.stageHistory", json!({"dealId": d["id"]}))["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(r("deals.get", json!({"id": d["id"]})), won);
    assert_eq!(
        r("deals.list", json!({"status": "won"}))["items"][0]["id"],
        d["id"]
    );

    let t = r(
        "tickets.create",
        json!({"subject": "Help", "channel": "chat", "customerId": cid, "teamId": team["id"], "requesterPhone": "(415) 555-0132"}),
    );
    assert_eq!(
        r("tickets.update", json!({"id": t["id"], "status": "solved"}))["status"],
        "solved"
    );
    let ev = r(
        "tickets.addEvent",
        json!({"ticketId": t["id"], "kind": "comment", "body": "Fixed ✓"}),
    );
    assert_eq!(ev["kind"], "comment");
    assert_eq!(
        r("tickets.listEvents", json!({"ticketId": t["id"]}))["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(r("tickets.get", json!({"id": t["id"]}))["status"], "solved");
    assert_eq!(
        r(
            "tickets.list",
            json!({"status": "solved", "teamId": team["id"]})
        )["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let conv = r(
        "conversations.create",
        json!({"customerId": cid, "channel": "email", "subject": "Hi"}),
    );
    assert_eq!(r("conversations.get", json!({"id": conv["id"]})), conv);
    assert_eq!(
        r("conversations.list", json!({"customerId": cid}))["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    r(
        "messages.create",
        json!({"conversationId": conv["id"], "direction": "inbound", "body": "Hello", "sentAt": "2026-01-01T10:00:00Z"}),
    );
    assert_eq!(
        r("messages.list", json!({"conversationId": conv["id"]}))["items"][0]["body"],
        "Hello"
    );
    r(
        "calls.create",
        json!({"customerId": cid, "dealId": d["id"], "durationSeconds": 90, "direction": "inbound"}),
    );
    assert_eq!(
        r("calls.list", json!({"dealId": d["id"]}))["items"][0]["durationSeconds"],
        90
    );
    r(
        "activities.create",
        json!({"entityType": "lead", "entityId": lead["id"], "kind": "meeting", "body": "Intro"}),
    );
    assert_eq!(
        r(
            "activities.list",
            json!({"entityType": "lead", "entityId": lead["id"]})
        )["items"][0]["kind"],
        "meeting"
    );
    let audit = r(
        "audit.list",
        json!({"entityType": "deal", "entityId": d["id"]}),
    );
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["deals.moveStage", "deals.update", "deals.create"]);
}

#[test]
fn another_tenants_records_are_not_found_through_every_method() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let c = r("customers.create", json!({"name": "A", "externalId": "x"}))["id"].clone();
    let l = r("leads.create", json!({"name": "A"}))["id"].clone();
    let p = r(
        "pipelines.create",
        json!({"name": "P", "stages": [{"name": "O", "probability": 1, "kind": "open"}, {"name": "W", "probability": 100, "kind": "won"}]}),
    );
    let d = r(
        "deals.create",
        json!({"pipelineId": p["id"], "title": "D", "value": 1, "currency": "USD"}),
    )["id"]
        .clone();
    let t = r("tickets.create", json!({"subject": "T", "channel": "web"}))["id"].clone();
    let cv = r(
        "conversations.create",
        json!({"customerId": c, "channel": "chat"}),
    )["id"]
        .clone();
    let u = r(
        "users.create",
        json!({"name": "U", "email": "u@acme.test", "role": "agent"}),
    )["id"]
        .clone();
    let tm = r("teams.create", json!({"name": "T"}))["id"].clone();

    let other = h.ok(&json!({"method": "tenants.create", "params": {"tenantId": "globex", "name": "Globex", "admin": {"name": "G", "email": "g@globex.test"}}}));
    let g = other["admin"]["id"].as_i64().unwrap();
    let before = h.ok(&req("audit.list", "acme", admin, json!({})));
    // Globex's admin has id 1 like Acme's; its own user ids stop at 1, so Acme's others are unknown.
    let not_found: Vec<(&str, Value)> = vec![
        ("users.get", json!({"id": u})),
        ("users.update", json!({"id": u, "name": "X"})),
        ("teams.addMember", json!({"teamId": tm, "userId": g})),
        ("customers.get", json!({"id": c})),
        ("customers.get", json!({"externalId": "x"})),
        ("customers.update", json!({"id": c, "name": "X"})),
        ("leads.get", json!({"id": l})),
        ("leads.update", json!({"id": l, "score": 3})),
        ("pipelines.get", json!({"id": p["id"]})),
        ("deals.get", json!({"id": d})),
        ("deals.update", json!({"id": d, "value": 3})),
        (
            "deals.moveStage",
            json!({"dealId": d, "stageId": p["stages"][1]["id"]}),
        ),
        ("deals.stageHistory", json!({"dealId": d})),
        ("tickets.get", json!({"id": t})),
        ("tickets.update", json!({"id": t, "status": "closed"})),
        (
            "tickets.addEvent",
            json!({"ticketId": t, "kind": "note", "body": "x"}),
        ),
        ("tickets.listEvents", json!({"ticketId": t})),
        ("conversations.get", json!({"id": cv})),
        ("messages.list", json!({"conversationId": cv})),
        (
            "timeline.get",
            json!({"entity": {"type": "customer", "id": c}}),
        ),
        ("timeline.get", json!({"entity": {"type": "lead", "id": l}})),
        ("timeline.get", json!({"entity": {"type": "deal", "id": d}})),
        ("customers.delete", json!({"id": c, "cascade": true})),
        ("leads.delete", json!({"id": l})),
        ("deals.delete", json!({"id": d, "cascade": true})),
        ("tickets.delete", json!({"id": t})),
        ("conversations.delete", json!({"id": cv, "cascade": true})),
        ("trash.restore", json!({"kind": "customer", "id": c})),
    ];
    // Search in the other tenant finds none of Acme's records.
    let found = h.ok(&req("search.query", "globex", g, json!({"q": ""})));
    assert_eq!(found["total"], 0, "{found}");
    for (method, params) in not_found {
        let (code, _) = h.err(&req(method, "globex", g, params.clone()));
        assert_eq!(code, "not_found", "{method} {params}");
    }
    let refused_refs: Vec<(&str, Value, &str)> = vec![
        (
            "leads.create",
            json!({"name": "L", "customerId": c}),
            "customerId",
        ),
        (
            "deals.create",
            json!({"pipelineId": p["id"], "title": "D", "value": 1, "currency": "USD"}),
            "pipelineId",
        ),
        (
            "tickets.create",
            json!({"subject": "S", "channel": "web", "customerId": c}),
            "customerId",
        ),
        (
            "conversations.create",
            json!({"customerId": c, "channel": "chat"}),
            "customerId",
        ),
        (
            "messages.create",
            json!({"conversationId": cv, "direction": "inbound", "body": "b"}),
            "conversationId",
        ),
        (
            "calls.create",
            json!({"customerId": c, "durationSeconds": 1}),
            "customerId",
        ),
        (
            "activities.create",
            json!({"entityType": "deal", "entityId": d, "kind": "note"}),
            "entityId",
        ),
        (
            "users.create",
            json!({"name": "N", "email": "n@globex.test", "role": "agent", "teamIds": [tm]}),
            "teamIds[0]",
        ),
    ];
    for (method, params, field) in refused_refs {
        invalid(&h.err(&req(method, "globex", g, params)), field);
    }
    for method in [
        "customers.list",
        "leads.list",
        "deals.list",
        "tickets.list",
        "conversations.list",
        "messages.list",
        "calls.list",
        "activities.list",
        "pipelines.list",
    ] {
        assert_eq!(
            h.ok(&req(method, "globex", g, json!({})))["items"],
            json!([]),
            "{method}"
        );
    }
    // An Acme user cannot act in Globex.
    assert_eq!(
        h.err(&req(
            "customers.list",
            "globex",
            u.as_i64().unwrap(),
            json!({})
        ))
        .0,
        "not_found"
    );
    assert_eq!(h.ok(&req("audit.list", "acme", admin, json!({}))), before);
}

#[test]
fn many_threads_share_one_handle() {
    let dir = tempfile::tempdir().unwrap();
    let h = Handle::open(dir.path().join("threads.db").to_str().unwrap());
    let admin = h.ok(&json!({"method": "tenants.create", "params": {"tenantId": "acme", "name": "Acme", "admin": {"name": "A", "email": "a@acme.test"}}}))["admin"]["id"].as_i64().unwrap();
    std::thread::scope(|s| {
        for thread in 0..8 {
            let h = &h;
            s.spawn(move || {
                for i in 0..25 {
                    h.ok(&req(
                        "customers.create",
                        "acme",
                        admin,
                        json!({"name": format!("T{thread}-{i}")}),
                    ));
                    h.ok(&req("customers.list", "acme", admin, json!({"limit": 5})));
                }
            });
        }
    });
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = h.ok(&req(
            "customers.list",
            "acme",
            admin,
            json!({"limit": 500, "cursor": cursor}),
        ));
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=200).collect::<Vec<_>>());
}

#[test]
fn links_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let lead = r(
        "leads.create",
        json!({"name": "Ann", "email": "ann@example.com", "phone": "(415) 555-0132"}),
    );
    let customer = r("customers.create", json!({"name": "Ann"}));
    let p = r(
        "pipelines.create",
        json!({"name": "P", "stages": [{"name": "O", "probability": 1, "kind": "open"}]}),
    );
    let deal = r(
        "deals.create",
        json!({"pipelineId": p["id"], "title": "D", "value": 1, "currency": "USD", "leadId": lead["id"]}),
    );
    let by_phone = r(
        "tickets.create",
        json!({"subject": "Call me", "channel": "phone", "requesterPhone": "+1 415 555 0132", "customerId": customer["id"]}),
    );
    let manual = r(
        "tickets.create",
        json!({"subject": "Mine", "channel": "web"}),
    );

    let linked = r(
        "links.linkTicketToLead",
        json!({"ticketId": manual["id"], "leadId": lead["id"]}),
    );
    assert_eq!(
        linked,
        json!({"ticketId": manual["id"], "relatedLeadId": lead["id"], "relatedDealId": null})
    );
    let linked = r(
        "links.linkTicketToDeal",
        json!({"ticketId": manual["id"], "dealId": deal["id"]}),
    );
    assert_eq!(linked["relatedDealId"], deal["id"]);
    let read = r("links.getTicketLinks", json!({"ticketId": manual["id"]}));
    assert_eq!(
        (read["lead"]["name"].clone(), read["deal"]["title"].clone()),
        (json!("Ann"), json!("D"))
    );
    assert_eq!(
        r(
            "links.unlinkTicketFromDeal",
            json!({"ticketId": manual["id"]})
        )["relatedDealId"],
        Value::Null
    );

    let dry = r("links.autoLink", json!({"dryRun": true}));
    assert_eq!(
        dry["matches"],
        json!([{"ticketId": by_phone["id"], "leadId": lead["id"], "dealId": deal["id"], "matchedBy": "phone", "evidence": "+14155550132"}])
    );
    assert_eq!(
        (
            dry["examined"].clone(),
            dry["alreadyLinked"].clone(),
            dry["unmatched"].clone()
        ),
        (json!(2), json!(1), json!(0))
    );
    assert_eq!(
        r("links.getLeadTickets", json!({"leadId": lead["id"]}))["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a dry run links nothing"
    );
    let applied = r("links.autoLink", json!({"batchSize": 1}));
    assert_eq!(applied["matches"], dry["matches"]);
    let page = r("links.getLeadTickets", json!({"leadId": lead["id"]}));
    let ids: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(
        ids,
        [manual["id"].clone(), by_phone["id"].clone()],
        "newest first"
    );
    assert_eq!(
        r("links.getDealTickets", json!({"dealId": deal["id"]}))["items"][0]["id"],
        by_phone["id"]
    );
    assert_eq!(
        r(
            "links.unlinkTicketFromLead",
            json!({"ticketId": manual["id"]})
        )["relatedLeadId"],
        Value::Null
    );

    invalid(
        &h.err(&req(
            "links.autoLink",
            "acme",
            admin,
            json!({"batchSize": 0}),
        )),
        "batchSize",
    );
    invalid(
        &h.err(&req(
            "links.autoLink",
            "acme",
            admin,
            json!({"dryrun": true}),
        )),
        "dryrun",
    );
    invalid(
        &h.err(&req(
            "links.linkTicketToLead",
            "acme",
            admin,
            json!({"ticketId": manual["id"]}),
        )),
        "leadId",
    );
    assert_eq!(
        h.err(&req(
            "links.linkTicketToLead",
            "acme",
            admin,
            json!({"ticketId": manual["id"], "leadId": 99})
        ))
        .0,
        "not_found"
    );
    let agent = r(
        "users.create",
        json!({"name": "Kai", "email": "kai@acme.test", "role": "agent"}),
    )["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        h.err(&req("links.autoLink", "acme", agent, json!({}))).0,
        "forbidden"
    );
    // Another tenant sees none of it.
    let g = h.ok(&json!({"method": "tenants.create", "params": {"tenantId": "globex", "name": "G", "admin": {"name": "G", "email": "g@globex.test"}}}))["admin"]["id"].as_i64().unwrap();
    assert_eq!(
        h.err(&req(
            "links.getLeadTickets",
            "globex",
            g,
            json!({"leadId": lead["id"]})
        ))
        .0,
        "not_found"
    );
    assert_eq!(
        h.err(&req(
            "links.getTicketLinks",
            "globex",
            g,
            json!({"ticketId": by_phone["id"]})
        ))
        .0,
        "not_found"
    );
    assert_eq!(
        h.err(&req(
            "links.linkTicketToLead",
            "globex",
            g,
            json!({"ticketId": 1, "leadId": 1})
        ))
        .0,
        "not_found"
    );
    assert_eq!(
        h.ok(&req("links.autoLink", "globex", g, json!({})))["examined"],
        0
    );
}

#[test]
fn timeline_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let c = r("customers.create", json!({"name": "Ana"}))["id"].clone();
    let cv = r(
        "conversations.create",
        json!({"customerId": c, "channel": "chat", "subject": "Ayuda ¿dónde está mi pedido?", "createdAt": "2026-01-05T10:00:00Z"}),
    )["id"]
        .clone();
    for minute in 1..=3 {
        r(
            "messages.create",
            json!({"conversationId": cv, "direction": "inbound", "body": format!("hola {minute}"), "sentAt": format!("2026-01-05T10:0{minute}:00Z")}),
        );
    }
    let call = r(
        "calls.create",
        json!({"customerId": c, "durationSeconds": 61, "occurredAt": "2026-01-05T10:02:00Z"}),
    );
    let first = r(
        "timeline.get",
        json!({"entity": {"type": "customer", "id": c}, "limit": 2}),
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let top = &first["items"][0];
    assert_eq!(top["id"], "message:3");
    assert_eq!(top["type"], "message");
    assert_eq!(top["occurredAt"], "2026-01-05T10:03:00.000Z");
    assert_eq!(top["channel"], "chat");
    assert_eq!(
        top["title"],
        "Inbound message · Ayuda ¿dónde está mi pedido?"
    );
    assert_eq!(top["body"], "hola 3");
    assert_eq!(top["customerId"], c);
    assert_eq!(top["conversationId"], cv);
    assert_eq!(top["source"], json!({"kind": "message", "id": 3}));
    // At 10:02 the message sorts before the call ("message" > "call", newest first).
    assert_eq!(first["items"][1]["id"], "message:2");
    let rest = r(
        "timeline.get",
        json!({"entity": {"type": "customer", "id": c}, "limit": 2, "cursor": first["nextCursor"]}),
    );
    let ids: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["call:1", "message:1"]);
    assert_eq!(rest["items"][0]["source"]["id"], call["id"]);
    let last = r(
        "timeline.get",
        json!({"entity": {"type": "customer", "id": c}, "limit": 2, "cursor": rest["nextCursor"]}),
    );
    assert_eq!(last["items"][0]["type"], "conversation");
    assert_eq!(last["nextCursor"], Value::Null);

    let filtered = r(
        "timeline.get",
        json!({"entity": {"type": "customer", "id": c}, "types": ["call"], "channels": ["phone"],
               "from": "2026-01-05T10:02:00Z", "to": "2026-01-05T10:03:00Z"}),
    );
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["items"][0]["title"], "Outbound call, 1:01");

    let e = |p: Value| h.err(&req("timeline.get", "acme", admin, p));
    let entity = json!({"type": "customer", "id": c});
    invalid(
        &e(json!({"entity": {"type": "ticket", "id": 1}})),
        "entity.type",
    );
    invalid(&e(json!({"entity": {"type": "customer"}})), "entity.id");
    invalid(&e(json!({})), "entity");
    invalid(&e(json!({"entity": entity, "types": ["sms"]})), "types[0]");
    invalid(
        &e(json!({"entity": entity, "channels": "chat"})),
        "channels",
    );
    invalid(&e(json!({"entity": entity, "from": "yesterday"})), "from");
    invalid(
        &e(json!({"entity": entity, "from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"})),
        "to",
    );
    invalid(&e(json!({"entity": entity, "limit": 0})), "limit");
    invalid(&e(json!({"entity": entity, "limit": 10_000})), "limit");
    invalid(&e(json!({"entity": entity, "cursor": "forged"})), "cursor");
    invalid(
        &e(json!({"entity": entity, "types": ["message"], "cursor": first["nextCursor"]})),
        "cursor",
    );
    invalid(&e(json!({"entity": entity, "sort": "asc"})), "sort");
    assert_eq!(
        e(json!({"entity": {"type": "deal", "id": 404}})).0,
        "not_found"
    );
    // A read needs no actor.
    let anonymous = h.ok(&json!({"method": "timeline.get", "tenantId": "acme",
        "params": {"entity": entity, "limit": 1}}));
    assert_eq!(anonymous["items"][0]["id"], "message:3");
}

#[test]
fn search_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let c = r(
        "customers.create",
        json!({"name": "Zoë Ångström", "company": "Kaffee GmbH"}),
    );
    r(
        "tickets.create",
        json!({"subject": "Kaffeemaschine kaputt", "channel": "chat", "priority": "urgent", "customerId": c["id"]}),
    );
    let found = r("search.query", json!({"q": "kaffe"}));
    assert_eq!(found["total"], 2, "{found}");
    assert_eq!(found["facets"]["type"], json!({"customer": 1, "ticket": 1}));
    assert_eq!(found["facets"]["ticketPriority"], json!({"urgent": 1}));
    assert_eq!(found["facets"]["channels"], json!({"chat": 1}));
    let tickets = r(
        "search.query",
        json!({"q": "kaffe", "types": ["ticket"], "filters": {"ticketPriority": "urgent", "channels": ["chat"]}}),
    );
    assert_eq!(tickets["total"], 1);
    assert_eq!(tickets["hits"][0]["type"], "ticket");
    assert!(tickets["hits"][0]["score"].as_f64().unwrap() > 0.0);
    // Values of one facet combine (OR); facets combine with each other (AND).
    let low = r(
        "tickets.create",
        json!({"subject": "Kaffee bestellt", "channel": "email", "priority": "low", "customerId": c["id"]}),
    );
    // A record's number finds it first, of each type that has it (customer 2 does not exist).
    let by_number = r("search.query", json!({"q": format!("#{}", low["id"])}));
    assert_eq!(by_number["hits"][0]["type"], "ticket", "{by_number}");
    assert_eq!(by_number["hits"][0]["id"], low["id"]);
    // Each hit carries the line that tells its record apart.
    let context = by_number["hits"][0]["context"].as_str().unwrap();
    assert!(
        context.starts_with("open · low · Zoë Ångström · "),
        "{context}"
    );
    let either = r(
        "search.query",
        json!({"q": "kaffe", "filters": {"ticketPriority": ["urgent", "low"]}}),
    );
    assert_eq!(either["total"], 2, "{either}");
    let both = r(
        "search.query",
        json!({"q": "kaffe", "filters": {"ticketPriority": ["urgent", "low"], "channels": ["email"]}}),
    );
    assert_eq!(both["total"], 1, "{both}");
    assert_eq!(both["hits"][0]["title"], "Kaffee bestellt");
    let zoe = r("search.query", json!({"q": "zoe angstrom"}));
    assert_eq!(zoe["hits"][0]["id"], c["id"]);
    assert_eq!(zoe["hits"][0]["title"], "Zoë Ångström");

    let e = |p: Value| h.err(&req("search.query", "acme", admin, p));
    invalid(&e(json!({})), "q");
    invalid(&e(json!({"q": "x", "types": ["invoice"]})), "types[0]");
    invalid(
        &e(json!({"q": "x", "filters": {"ticketStatus": "lost"}})),
        "filters.ticketStatus",
    );
    invalid(
        &e(json!({"q": "x", "filters": {"colour": "red"}})),
        "filters.colour",
    );
    invalid(
        &e(json!({"q": "x", "filters": {"ticketStatus": ["open", "lost"]}})),
        "filters.ticketStatus",
    );
    invalid(
        &e(json!({"q": "x", "filters": {"ticketPriority": []}})),
        "filters.ticketPriority",
    );
    invalid(&e(json!({"q": "x", "limit": 0})), "limit");
    let rebuilt = r("search.rebuild", json!({}));
    assert_eq!(rebuilt["indexed"], 3);
    let agent = r(
        "users.create",
        json!({"name": "A", "email": "a@acme.test", "role": "agent"}),
    )["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        h.err(&req("search.rebuild", "acme", agent, json!({}))).0,
        "forbidden"
    );
}
