//! Lists you can work in, through the C ABI: `sort` and `where` on every list, saved views per
//! user and shared, bad input named, another tenant's view not found.
#![allow(unsafe_code)]

use serde_json::{Value, json};

mod common;
use common::{Handle, invalid, req, setup};

fn user(h: &Handle, admin: i64, role: &str) -> i64 {
    h.ok(&req(
        "users.create",
        "acme",
        admin,
        json!({"name": role, "email": format!("{role}@acme.test"), "role": role}),
    ))["id"]
        .as_i64()
        .unwrap()
}

/// Another tenant, `globex`, and its admin.
fn globex(h: &Handle) -> i64 {
    h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "globex", "name": "Globex", "admin": {"name": "Gil", "email": "gil@globex.test"}}}))
        ["admin"]["id"]
        .as_i64()
        .unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_list_sorts_and_filters_through_the_abi() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    for (name, score, status) in [
        ("bea", 40, "new"),
        ("Ann", 90, "contacted"),
        ("Émile", 90, "new"),
        ("carl", 10, "qualified"),
    ] {
        r(
            "leads.create",
            json!({"name": name, "score": score, "status": status}),
        );
    }
    let page = r(
        "leads.list",
        json!({"sort": {"field": "name", "direction": "asc"}}),
    );
    assert_eq!(names(&page), ["Ann", "bea", "carl", "Émile"]);
    // Ties by id in the sort's direction: Émile (4) before Ann (2) when descending.
    let page = r(
        "leads.list",
        json!({"sort": {"field": "score", "direction": "desc"},
               "where": {"field": "status", "op": "in", "value": ["new", "contacted"]}}),
    );
    assert_eq!(names(&page), ["Émile", "Ann", "bea"]);
    // Enumerations sort in their declared order.
    let page = r("leads.list", json!({"sort": {"field": "status"}}));
    assert_eq!(names(&page), ["bea", "Émile", "Ann", "carl"]);
    for method in [
        "customers.list",
        "deals.list",
        "tickets.list",
        "conversations.list",
        "calls.list",
        "activities.list",
        "products.list",
        "quotes.list",
    ] {
        let page = r(
            method,
            json!({"sort": {"field": "createdAt", "direction": "desc"}}),
        );
        assert!(page["items"].is_array(), "{method}");
        let e = h.err(&req(
            method,
            "acme",
            admin,
            json!({"sort": {"field": "nope"}}),
        ));
        invalid(&e, "sort.field");
        let e = h.err(&req(
            method,
            "acme",
            admin,
            json!({"sort": {"field": "createdAt", "direction": "up"}}),
        ));
        invalid(&e, "sort.direction");
        let e = h.err(&req(
            method,
            "acme",
            admin,
            json!({"where": {"field": "nope", "op": "equals", "value": 1}}),
        ));
        invalid(&e, "where.field");
    }
    // The total a list's where keeps, for "1 of N".
    let count = |p: Value| r("views.count", p)["count"].clone();
    assert_eq!(count(json!({"kind": "lead"})), 4);
    assert_eq!(
        count(json!({"kind": "lead", "where": {"field": "score", "op": "gte", "value": 40}})),
        3
    );
    assert_eq!(
        count(
            json!({"kind": "quote", "where": {"field": "status", "op": "equals", "value": "expired"}})
        ),
        0
    );
    invalid(
        &h.err(&req(
            "views.count",
            "acme",
            admin,
            json!({"kind": "lead", "where": {"field": "title", "op": "equals", "value": "x"}}),
        )),
        "where.field",
    );
    invalid(
        &h.err(&req(
            "views.count",
            "acme",
            admin,
            json!({"kind": "tenant"}),
        )),
        "kind",
    );
    let gil = globex(&h);
    assert_eq!(
        h.ok(&req("views.count", "globex", gil, json!({"kind": "lead"})))["count"],
        0
    );
    let fields = r("schema.fields", json!({"kind": "quote"}));
    let status = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "status")
        .unwrap();
    assert_eq!(status["sortable"], false);
    assert!(
        status["values"]
            .as_array()
            .unwrap()
            .contains(&json!("expired"))
    );
}

#[test]
fn views_are_private_unless_shared_and_changed_by_their_owner_or_an_admin() {
    let (h, admin) = setup();
    let agent = user(&h, admin, "agent");
    let other_agent = h.ok(&req(
        "users.create",
        "acme",
        admin,
        json!({"name": "Bo", "email": "bo@acme.test", "role": "agent"}),
    ))["id"]
        .as_i64()
        .unwrap();
    let viewer = user(&h, admin, "viewer");
    let as_ = |actor: i64, m: &str, p: Value| h.call(&req(m, "acme", actor, p));
    let hot = json!({"name": "Hot leads", "kind": "lead",
        "where": {"all": [{"field": "score", "op": "gte", "value": 80},
                          {"field": "ownerId", "op": "notIn", "value": [1]}]},
        "sort": {"field": "score", "direction": "desc"},
        "columns": ["name", "score", "status", "ownerId"]});
    let mine = as_(agent, "views.create", hot.clone());
    assert_eq!(mine["ok"], true, "{mine}");
    let mine = mine["result"].clone();
    assert_eq!(mine["shared"], false);
    assert_eq!(mine["ownerId"], agent);
    assert_eq!(
        mine["columns"],
        json!(["name", "score", "status", "ownerId"])
    );
    let id = mine["id"].clone();
    // Another user's private view does not exist for them.
    let seen = as_(other_agent, "views.get", json!({"id": id}));
    assert_eq!(seen["error"]["code"], "not_found");
    let listed = as_(other_agent, "views.list", json!({"kind": "lead"}));
    assert_eq!(listed["result"]["items"], json!([]));
    // The same name again is a conflict for its owner, not for another user.
    let again = as_(agent, "views.create", hot.clone());
    assert_eq!(
        (
            again["error"]["code"].clone(),
            again["error"]["field"].clone()
        ),
        (json!("conflict"), json!("name"))
    );
    assert_eq!(as_(other_agent, "views.create", hot.clone())["ok"], true);
    // Shared: everyone sees it; only the owner or an admin changes it.
    let shared = as_(agent, "views.update", json!({"id": id, "shared": true}));
    assert_eq!(shared["result"]["shared"], true);
    assert_eq!(as_(viewer, "views.get", json!({"id": id}))["ok"], true);
    let theirs = as_(
        other_agent,
        "views.update",
        json!({"id": id, "name": "Mine now"}),
    );
    assert_eq!(theirs["error"]["code"], "forbidden");
    let by_admin = as_(
        admin,
        "views.update",
        json!({"id": id, "name": "Hot, no owner"}),
    );
    assert_eq!(by_admin["result"]["name"], "Hot, no owner");
    // A viewer keeps private views but cannot share one.
    let private = as_(
        viewer,
        "views.create",
        json!({"name": "Mine", "kind": "deal"}),
    );
    assert_eq!(private["ok"], true, "{private}");
    let share = as_(
        viewer,
        "views.create",
        json!({"name": "Ours", "kind": "deal", "shared": true}),
    );
    assert_eq!(share["error"]["code"], "forbidden");
    // Lists: one's own and the shared, by name.
    let listed = as_(viewer, "views.list", json!({}));
    let names: Vec<&str> = listed["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Hot, no owner", "Mine"]);
    // Delete: not by another agent, yes by the owner.
    assert_eq!(
        as_(other_agent, "views.delete", json!({"id": id}))["error"]["code"],
        "forbidden"
    );
    assert_eq!(as_(agent, "views.delete", json!({"id": id}))["ok"], true);
    assert_eq!(
        as_(agent, "views.get", json!({"id": id}))["error"]["code"],
        "not_found"
    );
    // Audited.
    let audit = h.ok(&req(
        "audit.list",
        "acme",
        admin,
        json!({"entityType": "view", "entityId": id}),
    ));
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "views.delete",
            "views.update",
            "views.update",
            "views.create"
        ]
    );
}

#[test]
fn a_bad_view_is_named_and_writes_nothing() {
    let (h, admin) = setup();
    let fail = |p: Value| h.err(&req("views.create", "acme", admin, p));
    invalid(&fail(json!({"name": "x", "kind": "tenant"})), "kind");
    invalid(&fail(json!({"name": "x", "kind": "moose"})), "kind");
    invalid(&fail(json!({"name": "", "kind": "lead"})), "name");
    invalid(
        &fail(
            json!({"name": "x", "kind": "lead", "where": {"field": "churnRisk", "op": "gte", "value": 1}}),
        ),
        "where.field",
    );
    invalid(
        &fail(
            json!({"name": "x", "kind": "deal", "where": {"all": [{"field": "value", "op": "contains", "value": "1"}]}}),
        ),
        "where.all[0].op",
    );
    invalid(
        &fail(json!({"name": "x", "kind": "lead", "sort": {"field": "phone"}})),
        "sort.field",
    );
    invalid(
        &fail(json!({"name": "x", "kind": "lead", "columns": ["name", "title"]})),
        "columns[1]",
    );
    invalid(
        &fail(json!({"name": "x", "kind": "lead", "columns": ["name", "name"]})),
        "columns[1]",
    );
    invalid(
        &fail(json!({"name": "x", "kind": "lead", "extra": 1})),
        "extra",
    );
    let v = h.ok(&req(
        "views.create",
        "acme",
        admin,
        json!({"name": "ok", "kind": "lead"}),
    ));
    invalid(
        &h.err(&req(
            "views.update",
            "acme",
            admin,
            json!({"id": v["id"], "kind": "deal"}),
        )),
        "kind",
    );
    invalid(
        &h.err(&req(
            "views.update",
            "acme",
            admin,
            json!({"id": v["id"], "sort": {"field": "title"}}),
        )),
        "sort.field",
    );
    let listed = h.ok(&req("views.list", "acme", admin, json!({})));
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Another tenant's view is not found, whatever the role.
    let gil = globex(&h);
    for method in ["views.get", "views.delete"] {
        let (code, _) = h.err(&req(method, "globex", gil, json!({"id": v["id"]})));
        assert_eq!(code, "not_found", "{method}");
    }
    let (code, _) = h.err(&req(
        "views.update",
        "globex",
        gil,
        json!({"id": v["id"], "name": "x"}),
    ));
    assert_eq!(code, "not_found");
    assert_eq!(
        h.ok(&req("views.list", "globex", gil, json!({})))["items"],
        json!([])
    );
}

/// A team of `n` agents (and a viewer, who gets no leads); their ids in order.
fn team(h: &Handle, admin: i64, n: usize) -> (i64, Vec<i64>) {
    let team = h.ok(&req("teams.create", "acme", admin, json!({"name": "Reps"})))["id"]
        .as_i64()
        .unwrap();
    let mut members = Vec::new();
    for i in 0..n {
        let id = h.ok(&req(
            "users.create",
            "acme",
            admin,
            json!({"name": format!("Rep {i}"), "email": format!("rep{i}@acme.test"),
                   "role": "agent", "teamIds": [team]}),
        ))["id"]
            .as_i64()
            .unwrap();
        members.push(id);
    }
    h.ok(&req(
        "users.create",
        "acme",
        admin,
        json!({"name": "Watcher", "email": "watch@acme.test", "role": "viewer", "teamIds": [team]}),
    ));
    (team, members)
}

fn leads(h: &Handle, admin: i64, n: usize) -> Vec<i64> {
    (0..n)
        .map(|i| {
            h.ok(&req(
                "leads.create",
                "acme",
                admin,
                json!({"name": format!("Lead {i}")}),
            ))["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

fn owners(result: &Value) -> Vec<i64> {
    result["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ownerId"].as_i64().unwrap())
        .collect()
}

#[test]
fn round_robin_spreads_leads_evenly_and_continues_where_it_stopped() {
    let (h, admin) = setup();
    let (team, members) = team(&h, admin, 7);
    let ids = leads(&h, admin, 1_000);
    let result = h.ok(&req(
        "leads.assign",
        "acme",
        admin,
        json!({"leadIds": ids, "teamId": team, "mode": "roundRobin"}),
    ));
    let got = owners(&result);
    let mut counts = std::collections::BTreeMap::new();
    for owner in &got {
        *counts.entry(*owner).or_insert(0) += 1;
    }
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), members);
    let (low, high) = (
        counts.values().min().unwrap(),
        counts.values().max().unwrap(),
    );
    assert!(high - low <= 1, "{counts:?}");
    // What the list says matches what was answered.
    let lead = h.ok(&req("leads.get", "acme", admin, json!({"id": ids[999]})));
    assert_eq!(lead["ownerId"], got[999]);
    // 1,000 = 142 × 7 + 6: the next call starts with the seventh member.
    let next = h.ok(&req(
        "leads.assign",
        "acme",
        admin,
        json!({"leadIds": [ids[0], ids[1]], "teamId": team, "mode": "roundRobin"}),
    ));
    assert_eq!(owners(&next), [members[6], members[0]]);
    // Audited per lead, on the feed, and on the lead's timeline.
    let audit = h.ok(&req(
        "audit.list",
        "acme",
        admin,
        json!({"entityType": "lead", "entityId": ids[1]}),
    ));
    assert_eq!(audit["items"][0]["action"], "leads.assign");
    assert_eq!(audit["items"][0]["after"]["ownerId"], members[0]);
    let timeline = h.ok(&req(
        "timeline.get",
        "acme",
        admin,
        json!({"entity": {"type": "lead", "id": ids[1]}}),
    ));
    assert!(
        timeline["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("Rep 0"),
        "{timeline}"
    );
}

#[test]
fn two_processes_assigning_at_once_continue_one_rotation() {
    // One lead per call, each process taking every other lead: the child is this same test
    // binary started again with the database's path, team and leads.
    let assign = |h: &Handle, team: i64, leads: &[i64]| -> Vec<i64> {
        leads
            .iter()
            .flat_map(|id| {
                owners(&h.ok(&req(
                    "leads.assign",
                    "acme",
                    1,
                    json!({"leadIds": [id], "teamId": team, "mode": "roundRobin"}),
                )))
            })
            .collect()
    };
    if let Ok(child) = std::env::var("CRM_ASSIGN_CHILD") {
        let parts: Vec<&str> = child.split('|').collect();
        let leads: Vec<i64> = parts[2].split(',').map(|n| n.parse().unwrap()).collect();
        let got = assign(&Handle::open(parts[0]), parts[1].parse().unwrap(), &leads);
        let got: Vec<String> = got.iter().map(i64::to_string).collect();
        println!("OWNERS {}", got.join(" "));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let h = Handle::open(path.to_str().unwrap());
    let admin = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}))
        ["admin"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(admin, 1);
    let (team, members) = team(&h, admin, 3);
    let ids = leads(&h, admin, 60);
    let (mine, theirs): (Vec<i64>, Vec<i64>) = ids.iter().partition(|id| *id % 2 == 0);
    let theirs: Vec<String> = theirs.iter().map(i64::to_string).collect();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "two_processes_assigning_at_once_continue_one_rotation",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            "CRM_ASSIGN_CHILD",
            format!("{}|{team}|{}", path.display(), theirs.join(",")),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut all = assign(&h, team, &mine);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the child failed");
    let out = String::from_utf8(out.stdout).unwrap();
    let child_owners = out
        .lines()
        .find_map(|l| l.split_once("OWNERS ").map(|(_, n)| n.to_owned()))
        .expect("the child's owners");
    all.extend(child_owners.split(' ').map(|n| n.parse::<i64>().unwrap()));
    let mut counts = std::collections::BTreeMap::new();
    for owner in all {
        *counts.entry(owner).or_insert(0) += 1;
    }
    // 60 single assignments over 3 members: 20 each, however the two interleaved.
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        [20, 20, 20],
        "{counts:?}"
    );
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), members);
}

#[test]
fn a_bad_assignment_is_named_and_changes_nothing() {
    let (h, admin) = setup();
    let (team, _) = team(&h, admin, 2);
    let ids = leads(&h, admin, 3);
    let viewer = user(&h, admin, "viewer");
    let empty = h.ok(&req(
        "teams.create",
        "acme",
        admin,
        json!({"name": "Empty"}),
    ))["id"]
        .clone();
    let fail = |p: Value| h.err(&req("leads.assign", "acme", admin, p));
    invalid(&fail(json!({"leadIds": [], "ownerId": admin})), "leadIds");
    invalid(
        &fail(json!({"leadIds": [ids[0], 999], "ownerId": admin})),
        "leadIds[1]",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0], ids[0]], "ownerId": admin})),
        "leadIds[1]",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0]], "ownerId": 999})),
        "ownerId",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0]], "ownerId": viewer})),
        "ownerId",
    );
    invalid(&fail(json!({"leadIds": [ids[0]]})), "ownerId");
    invalid(&fail(json!({"leadIds": [ids[0]], "teamId": team})), "mode");
    invalid(
        &fail(json!({"leadIds": [ids[0]], "teamId": team, "mode": "random"})),
        "mode",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0]], "teamId": 999, "mode": "roundRobin"})),
        "teamId",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0]], "teamId": empty, "mode": "roundRobin"})),
        "teamId",
    );
    invalid(
        &fail(json!({"leadIds": [ids[0]], "ownerId": admin, "teamId": team})),
        "teamId",
    );
    // Nothing was written: no owner, no rotation begun.
    for id in &ids {
        let lead = h.ok(&req("leads.get", "acme", admin, json!({"id": id})));
        assert_eq!(lead["ownerId"], Value::Null);
    }
    let (code, _) = h.err(&req(
        "leads.assign",
        "acme",
        viewer,
        json!({"leadIds": [ids[0]], "ownerId": admin}),
    ));
    assert_eq!(code, "forbidden");
    // Another tenant's leads and users do not exist here.
    let gil = globex(&h);
    let e = h.err(&req(
        "leads.assign",
        "globex",
        gil,
        json!({"leadIds": [ids[2]], "ownerId": gil}),
    ));
    invalid(&e, "leadIds[0]");
    let e = h.err(&req(
        "leads.assign",
        "globex",
        gil,
        json!({"leadIds": [1], "teamId": team, "mode": "roundRobin"}),
    ));
    invalid(&e, "teamId");
}

#[test]
fn a_host_scores_leads_by_rules_and_reads_why() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let c = r("customers.create", json!({"name": "Cy", "churnRisk": 80}));
    let hot = r(
        "leads.create",
        json!({"name": "Hot", "customerId": c["id"], "source": "web"}),
    );
    let cold = r("leads.create", json!({"name": "Cold", "source": "fair"}));
    assert_eq!(r("scoring.getRules", json!({}))["rules"], json!([]));
    let set = r(
        "scoring.setRules",
        json!({"rules": [
            {"name": "From the web", "where": {"field": "source", "op": "equals", "value": "web"}, "points": 40},
            {"name": "Customer at risk", "where": {"field": "customer.churnRisk", "op": "gte", "value": 70}, "points": 30},
            {"name": "Has open tickets", "where": {"field": "ticket.count", "op": "gte", "value": 1, "status": "open"}, "points": 50},
        ]}),
    );
    assert_eq!(
        (set["rescored"].clone(), set["changed"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(r("leads.get", json!({"id": hot["id"]}))["score"], 70);
    // A ticket of the lead's customer: the next read shows the new score (clamped to 100).
    r(
        "tickets.create",
        json!({"subject": "Down", "channel": "email", "customerId": c["id"]}),
    );
    let page = r(
        "leads.list",
        json!({"sort": {"field": "score", "direction": "desc"}}),
    );
    assert_eq!(page["items"][0]["score"], 100);
    let why = r("leads.explainScore", json!({"id": hot["id"]}));
    assert_eq!(why["score"], 100);
    assert_eq!(why["computed"], 100);
    assert_eq!(why["byHand"], false);
    let matched: Vec<bool> = why["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["matched"].as_bool().unwrap())
        .collect();
    assert_eq!(matched, [true, true, true]);
    assert_eq!(why["rules"][1]["why"]["seen"], json!([80]));
    // By hand: kept through later changes, until a rescore of that lead.
    r("leads.update", json!({"id": cold["id"], "score": 55}));
    r("leads.update", json!({"id": cold["id"], "source": "web"}));
    assert_eq!(r("leads.get", json!({"id": cold["id"]}))["score"], 55);
    assert_eq!(
        r("leads.explainScore", json!({"id": cold["id"]}))["byHand"],
        true
    );
    let done = r("leads.rescore", json!({"leadIds": [cold["id"]]}));
    assert_eq!(
        (done["rescored"].clone(), done["changed"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(r("leads.get", json!({"id": cold["id"]}))["score"], 40);
    // The audit says which set each score.
    let audit = r(
        "audit.list",
        json!({"entityType": "lead", "entityId": cold["id"]}),
    );
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "leads.rescore",
            "leads.update",
            "leads.update",
            "leads.create"
        ]
    );
    assert_eq!(
        (&audit["items"][0]["before"], &audit["items"][0]["after"]),
        (&json!({"score": 55}), &json!({"score": 40}))
    );
    // Written in bulk, the rescore's feed entries are in order after everything before them.
    let feed = r("changes.list", json!({"entityTypes": ["lead"]}));
    let last = &feed["items"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["entityId"], &last["op"], &last["action"]),
        (&cold["id"], &json!("updated"), &json!("leads.rescore"))
    );
    // Batches: `next` until done.
    let first = r("leads.rescore", json!({"limit": 1}));
    assert_eq!(first["next"], hot["id"]);
    let last = r("leads.rescore", json!({"after": first["next"], "limit": 1}));
    assert_eq!(last["next"], Value::Null);
    // Bad input, roles.
    let viewer = user(&h, admin, "viewer");
    let (code, _) = h.err(&req("leads.rescore", "acme", viewer, json!({})));
    assert_eq!(code, "forbidden");
    let (code, _) = h.err(&req(
        "scoring.setRules",
        "acme",
        viewer,
        json!({"rules": []}),
    ));
    assert_eq!(code, "forbidden");
    invalid(
        &h.err(&req(
            "scoring.setRules",
            "acme",
            admin,
            json!({"rules": [{"name": "x", "where": {"field": "nope", "op": "equals", "value": 1}, "points": 1}]}),
        )),
        "rules[0].where.field",
    );
    invalid(
        &h.err(&req(
            "leads.rescore",
            "acme",
            admin,
            json!({"leadIds": [hot["id"]], "limit": 3}),
        )),
        "limit",
    );
    invalid(
        &h.err(&req("scoring.getRules", "acme", admin, json!({"x": 1}))),
        "x",
    );
    assert_eq!(
        r("scoring.getRules", json!({}))["rules"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// A host imports a file it holds in memory (preview, dry run, run), gets each bad row with
/// its column, exports what a list shows and reads it back; a viewer cannot import; another
/// tenant sees none of it; a bad request is named and writes nothing.
#[test]
fn a_host_imports_and_exports_through_the_abi() {
    let (h, admin) = setup();
    let file = "Full Name,E-mail,Churn\nAda,ada@x.test,10\nBob,not-an-email,5\nCy,cy@x.test,90\nAda again,ADA@x.test,1\n";
    let ask = |extra: Value| {
        let mut params = json!({"kind": "customer", "csv": file, "dedupe": ["email"]});
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        req("import.preview", "acme", admin, params)
    };
    let fields = h.ok(&req(
        "import.fields",
        "acme",
        admin,
        json!({"kind": "ticket"}),
    ));
    assert!(
        fields
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "channel" && f["required"] == true && f["values"][0] == "email")
    );
    let preview = h.ok(&ask(json!({})));
    assert_eq!(preview["columns"], json!(["Full Name", "E-mail", "Churn"]));
    assert_eq!(
        preview["mapping"],
        json!({"name": "Full Name", "email": "E-mail", "churnRisk": "Churn"})
    );
    assert_eq!(
        preview["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["create", "error", "create", "skip"]
    );
    assert_eq!(preview["rows"][3]["reason"], "repeated");
    assert_eq!(preview["rows"][3]["firstRow"], 1);
    assert_eq!(preview["rows"][1]["errors"][0]["column"], "E-mail");
    let mapping = json!({"name": "Full Name", "email": "E-mail", "churnRisk": "Churn"});
    let mut run = ask(json!({"mapping": mapping, "dryRun": true}));
    run["method"] = json!("import.run");
    let dry = h.ok(&run);
    assert_eq!(
        (
            &dry["created"],
            &dry["failed"],
            &dry["skipped"],
            &dry["dryRun"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(true))
    );
    let count = |tenant: &str, actor: i64| {
        h.ok(&req("customers.list", tenant, actor, json!({})))["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count("acme", admin), 0);
    run["params"]["dryRun"] = json!(false);
    let done = h.ok(&run);
    assert_eq!(
        (&done["created"], &done["failed"]),
        (&dry["created"], &dry["failed"])
    );
    assert_eq!(done["errors"][0]["row"], 2);
    assert_eq!(done["errors"][0]["value"], "not-an-email");
    assert_eq!(count("acme", admin), 2);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("risky.csv");
    let exported = h.ok(&req(
        "export.run",
        "acme",
        admin,
        json!({"kind": "customer", "format": "csv", "path": path,
               "where": {"field": "churnRisk", "op": "gte", "value": 50}, "columns": ["name", "churnRisk"]}),
    ));
    assert_eq!(exported, json!({"rows": 1}));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "name,churnRisk\nCy,90\n"
    );

    let viewer = user(&h, admin, "viewer");
    let (code, _) = h.err(&req("import.run", "acme", viewer, run["params"].clone()));
    assert_eq!(code, "forbidden");
    let exported = h.ok(&req(
        "export.run",
        "acme",
        viewer,
        json!({"kind": "customer", "format": "jsonl", "path": path}),
    ));
    assert_eq!(exported["rows"], 2, "a viewer exports what a viewer lists");

    let other = globex(&h);
    let exported = h.ok(&req(
        "export.run",
        "globex",
        other,
        json!({"kind": "customer", "format": "csv", "path": path}),
    ));
    assert_eq!(exported["rows"], 0);
    assert_eq!(count("globex", other), 0);

    invalid(
        &h.err(&ask(json!({"mapping": {"name": "Nom"}}))),
        "mapping.name",
    );
    invalid(&h.err(&ask(json!({"kind": "audit_entry"}))), "kind");
    invalid(
        &h.err(&req(
            "import.run",
            "acme",
            admin,
            json!({"kind": "customer", "path": dir.path()}),
        )),
        "path",
    );
    invalid(
        &h.err(&req(
            "import.run",
            "acme",
            admin,
            json!({"kind": "customer", "csv": file, "onDuplicate": "merge"}),
        )),
        "onDuplicate",
    );
    invalid(
        &h.err(&req(
            "export.run",
            "acme",
            admin,
            json!({"kind": "customer", "format": "xlsx", "path": path}),
        )),
        "format",
    );
    assert_eq!(count("acme", admin), 2);
}
