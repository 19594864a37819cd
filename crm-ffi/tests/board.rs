//! Deals as a board through the C ABI: columns in stage order (won and lost last), counts and
//! totals per currency against an independent sum over every deal — after moves, edits and
//! writes from a second handle on the same file — columns paged by keyset, `where` and `sort`,
//! bad input named and another tenant's pipeline not found.
#![allow(unsafe_code)]

use serde_json::{Value, json};
use std::collections::BTreeMap;

mod common;
use common::{Handle, invalid, req};

/// A deal as the test keeps it: the oracle the board is checked against.
#[derive(Clone)]
struct Model {
    stage: i64,
    value: i64,
    currency: &'static str,
    owner: Option<i64>,
}

struct Board {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    h: Handle,
    admin: i64,
    rep: i64,
    pipeline: i64,
    /// Stage ids in the order the pipeline was given them.
    stages: Vec<i64>,
    deals: BTreeMap<i64, Model>,
}

impl Board {
    fn new() -> Board {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let h = Handle::open(path.to_str().unwrap());
        let admin = h.ok(&json!({"method": "tenants.create", "params": {
            "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}))
            ["admin"]["id"]
            .as_i64()
            .unwrap();
        let rep = h.ok(&req(
            "users.create",
            "acme",
            admin,
            json!({"name": "Rémi", "email": "remi@acme.test", "role": "agent"}),
        ))["id"]
            .as_i64()
            .unwrap();
        // Won and lost given before the last open stage: the board still shows them last.
        let p = h.ok(&req(
            "pipelines.create",
            "acme",
            admin,
            json!({"name": "Sales", "stages": [
                {"name": "Lead", "probability": 10, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"},
                {"name": "Lost", "probability": 0, "kind": "lost"},
                {"name": "Proposal", "probability": 60, "kind": "open"}]}),
        ));
        let stages = p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        Board {
            _dir: dir,
            path,
            h,
            admin,
            rep,
            pipeline: p["id"].as_i64().unwrap(),
            stages,
            deals: BTreeMap::new(),
        }
    }

    fn ok(&self, method: &str, params: Value) -> Value {
        self.h.ok(&req(method, "acme", self.admin, params))
    }

    fn add(&mut self, title: &str, value: i64, currency: &'static str, owner: Option<i64>) -> i64 {
        let d = self.ok(
            "deals.create",
            json!({"pipelineId": self.pipeline, "title": title, "value": value,
                   "currency": currency, "ownerId": owner}),
        );
        let id = d["id"].as_i64().unwrap();
        self.deals.insert(
            id,
            Model {
                stage: d["stageId"].as_i64().unwrap(),
                value,
                currency,
                owner,
            },
        );
        id
    }

    /// Each stage's count and totals as the oracle sums them, over the deals `keep` holds for.
    fn expected(&self, keep: impl Fn(&Model) -> bool) -> BTreeMap<i64, (u64, Value)> {
        let mut sums: BTreeMap<i64, (u64, BTreeMap<&str, i64>)> = BTreeMap::new();
        for m in self.deals.values().filter(|m| keep(m)) {
            let e = sums.entry(m.stage).or_default();
            e.0 += 1;
            *e.1.entry(m.currency).or_default() += m.value;
        }
        self.stages
            .iter()
            .map(|s| {
                let (n, totals) = sums.remove(s).unwrap_or_default();
                let totals: Vec<Value> = totals
                    .into_iter()
                    .map(|(c, a)| json!({"amount": a, "currency": c}))
                    .collect();
                (*s, (n, Value::from(totals)))
            })
            .collect()
    }

    /// The board's counts and totals by stage, checked against the oracle.
    fn check(&self, h: &Handle, params: Value, keep: impl Fn(&Model) -> bool, what: &str) {
        let board = h.ok(&req("deals.board", "acme", self.admin, params));
        let got: BTreeMap<i64, (u64, Value)> = board["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["stageId"].as_i64().unwrap(),
                    (c["count"].as_u64().unwrap(), c["totals"].clone()),
                )
            })
            .collect();
        assert_eq!(got, self.expected(keep), "{what}");
    }
}

fn titles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_manager_reads_the_board_and_its_totals_stay_exact() {
    let mut b = Board::new();
    let empty = b.ok("deals.board", json!({"pipelineId": b.pipeline}));
    let names: Vec<&str> = empty["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lead", "Proposal", "Won", "Lost"]);
    assert!(
        empty["columns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["count"] == 0 && c["totals"] == json!([]) && c["items"] == json!([]))
    );
    let rep = b.rep;
    for (i, currency) in ["USD", "EUR", "JPY"]
        .into_iter()
        .cycle()
        .take(30)
        .enumerate()
    {
        let owner = (i % 2 == 0).then_some(rep);
        let value = 1_000 * i64::try_from(i).unwrap() + 7;
        b.add(&format!("Deal {i:02}"), value, currency, owner);
    }
    let ids: Vec<i64> = b.deals.keys().copied().collect();
    // Moves, through the ABI as the client makes them.
    for (n, id) in ids.iter().enumerate().take(12) {
        let to = b.stages[[3, 1, 2][n % 3]];
        b.ok("deals.moveStage", json!({"dealId": id, "stageId": to}));
        b.deals.get_mut(id).unwrap().stage = to;
    }
    b.check(
        &b.h,
        json!({"pipelineId": b.pipeline}),
        |_| true,
        "after moves",
    );
    // An edit of value and currency moves the deal's share between totals.
    b.ok(
        "deals.update",
        json!({"id": ids[13], "value": 5, "currency": "GBP"}),
    );
    let m = b.deals.get_mut(&ids[13]).unwrap();
    (m.value, m.currency) = (5, "GBP");
    b.check(
        &b.h,
        json!({"pipelineId": b.pipeline}),
        |_| true,
        "after an edit",
    );
    // Another handle on the same file writes; each sees the other's writes at once.
    let second = Handle::open(b.path.to_str().unwrap());
    second.ok(&req(
        "deals.moveStage",
        "acme",
        b.admin,
        json!({"dealId": ids[20], "stageId": b.stages[1]}),
    ));
    b.deals.get_mut(&ids[20]).unwrap().stage = b.stages[1];
    let d = second.ok(&req(
        "deals.create",
        "acme",
        b.admin,
        json!({"pipelineId": b.pipeline, "title": "From elsewhere", "value": 99, "currency": "USD"}),
    ));
    b.deals.insert(
        d["id"].as_i64().unwrap(),
        Model {
            stage: b.stages[0],
            value: 99,
            currency: "USD",
            owner: None,
        },
    );
    b.check(
        &b.h,
        json!({"pipelineId": b.pipeline}),
        |_| true,
        "first handle",
    );
    b.check(
        &second,
        json!({"pipelineId": b.pipeline}),
        |_| true,
        "second handle",
    );
    // `where` narrows cards, counts and totals alike.
    b.check(
        &b.h,
        json!({"pipelineId": b.pipeline, "where": {"field": "ownerId", "op": "equals", "value": rep}}),
        |m| m.owner == Some(rep),
        "owned by the rep",
    );
    b.check(
        &b.h,
        json!({"pipelineId": b.pipeline, "where": {"field": "value", "op": "gte", "value": 10_000}}),
        |m| m.value >= 10_000,
        "value at least 10,000",
    );
    // Cards: newest activity first, with what a card shows.
    let board = b.ok(
        "deals.board",
        json!({"pipelineId": b.pipeline, "perColumn": 2}),
    );
    let won = &board["columns"][2];
    assert_eq!(won["name"], "Won");
    let last_moved_to_won = ids[20];
    assert_eq!(won["items"][0]["id"], last_moved_to_won);
    assert_eq!(won["items"].as_array().unwrap().len(), 2);
    let card = &won["items"][0];
    let history = b.ok("deals.stageHistory", json!({"dealId": last_moved_to_won}));
    let moved_at = history["items"].as_array().unwrap().last().unwrap()["at"].clone();
    assert_eq!(card["inStageSince"], moved_at);
    assert_eq!(card["status"], "won");
    let owned = b.ok("deals.get", json!({"id": ids[20]}))["ownerId"] == rep;
    assert_eq!(
        card["ownerName"],
        if owned { json!("Rémi") } else { Value::Null }
    );
    assert_eq!(card["customerName"], Value::Null);
}

#[test]
fn a_column_pages_by_keyset_in_any_sort_and_cursors_stay_in_their_column() {
    let mut b = Board::new();
    for i in 0..23i64 {
        b.add(&format!("D{i:02}"), i * 37 % 11, "USD", None);
    }
    let lead = b.stages[0];
    for sort in [
        None,
        Some(json!({"field": "value", "direction": "asc"})),
        Some(json!({"field": "title", "direction": "desc"})),
    ] {
        let mut params = json!({"pipelineId": b.pipeline, "perColumn": 5});
        if let Some(s) = &sort {
            params["sort"] = s.clone();
        }
        let board = b.ok("deals.board", params.clone());
        let column = &board["columns"][0];
        assert_eq!(column["count"], 23);
        let mut seen = titles(&column["items"]);
        let mut cursor = column["nextCursor"].clone();
        while !cursor.is_null() {
            let mut p =
                json!({"pipelineId": b.pipeline, "stageId": lead, "cursor": cursor, "limit": 5});
            if let Some(s) = &sort {
                p["sort"] = s.clone();
            }
            let page = b.ok("deals.boardColumn", p);
            seen.extend(titles(&page["items"]));
            cursor = page["nextCursor"].clone();
        }
        // The whole column once, in the order of the same sort on the deals list.
        let mut list = json!({"pipelineId": b.pipeline, "stageId": lead, "limit": 500,
                              "sort": sort.clone().unwrap_or(json!({"field": "updatedAt", "direction": "desc"}))});
        let listed = titles(&b.ok("deals.list", list.take())["items"]);
        assert_eq!(seen, listed, "{sort:?}");
    }
    // A cursor of one column is refused by another, and by a list.
    let board = b.ok(
        "deals.board",
        json!({"pipelineId": b.pipeline, "perColumn": 5}),
    );
    let cursor = board["columns"][0]["nextCursor"].clone();
    let e = b.h.err(&req(
        "deals.boardColumn",
        "acme",
        b.admin,
        json!({"pipelineId": b.pipeline, "stageId": b.stages[3], "cursor": cursor}),
    ));
    invalid(&e, "cursor");
    let e = b.h.err(&req(
        "deals.list",
        "acme",
        b.admin,
        json!({"cursor": cursor}),
    ));
    invalid(&e, "cursor");
}

#[test]
fn bad_board_requests_are_named_and_another_tenants_pipeline_is_not_found() {
    let b = Board::new();
    let err = |m: &str, p: Value| b.h.err(&req(m, "acme", b.admin, p));
    let p = b.pipeline;
    invalid(&err("deals.board", json!({})), "pipelineId");
    invalid(
        &err("deals.board", json!({"pipelineId": p, "perColumn": 0})),
        "perColumn",
    );
    invalid(
        &err("deals.board", json!({"pipelineId": p, "perColumn": 201})),
        "perColumn",
    );
    invalid(&err("deals.board", json!({"pipelineId": p, "x": 1})), "x");
    invalid(
        &err(
            "deals.board",
            json!({"pipelineId": p, "where": {"field": "nope", "op": "equals", "value": 1}}),
        ),
        "where.field",
    );
    invalid(
        &err(
            "deals.board",
            json!({"pipelineId": p, "sort": {"field": "customerId"}}),
        ),
        "sort.field",
    );
    invalid(
        &err(
            "deals.boardColumn",
            json!({"pipelineId": p, "stageId": 9_999}),
        ),
        "stageId",
    );
    invalid(
        &err(
            "deals.boardColumn",
            json!({"pipelineId": p, "stageId": b.stages[0], "limit": 0}),
        ),
        "limit",
    );
    assert_eq!(
        err("deals.board", json!({"pipelineId": 9_999})).0,
        "not_found"
    );
    // Another tenant: the pipeline does not exist there, whatever its id.
    let gil = b.h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "globex", "name": "Globex", "admin": {"name": "Gil", "email": "gil@globex.test"}}}))
        ["admin"]["id"]
        .as_i64()
        .unwrap();
    for (method, params) in [
        ("deals.board", json!({"pipelineId": p})),
        (
            "deals.boardColumn",
            json!({"pipelineId": p, "stageId": b.stages[0]}),
        ),
    ] {
        let (code, _) = b.h.err(&req(method, "globex", gil, params));
        assert_eq!(code, "not_found", "{method}");
    }
}
