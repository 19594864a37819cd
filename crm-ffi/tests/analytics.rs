//! The funnel and rep performance through the C ABI, as a host uses them.
#![allow(unsafe_code)]

use serde_json::{Value, json};

mod common;
use common::{invalid, req, setup};

#[test]
fn analytics_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let fail = |m: &str, p: Value| h.err(&req(m, "acme", admin, p));
    let pipeline = r(
        "pipelines.create",
        json!({"name": "Sales", "stages": [
            {"name": "Lead", "probability": 10, "kind": "open"},
            {"name": "Proposal", "probability": 50, "kind": "open"},
            {"name": "Won", "probability": 100, "kind": "won"},
            {"name": "Lost", "probability": 0, "kind": "lost"}
        ]}),
    );
    let stage = |i: usize| pipeline["stages"][i]["id"].clone();
    let pid = pipeline["id"].clone();
    for (value, end, at) in [
        (1000, 2, "2026-04-10T00:00:00Z"),
        (3000, 3, "2026-04-12T00:00:00Z"),
        (500, 1, ""),
    ] {
        let d = r(
            "deals.create",
            json!({"pipelineId": pid, "title": "Deal", "value": value, "currency": "EUR",
                   "ownerId": admin, "createdAt": "2026-04-01T09:00:00Z"}),
        );
        if at.is_empty() {
            r(
                "deals.moveStage",
                json!({"dealId": d["id"], "stageId": stage(end), "at": "2026-04-02T00:00:00Z"}),
            );
        } else {
            r(
                "deals.moveStage",
                json!({"dealId": d["id"], "stageId": stage(end), "at": at}),
            );
        }
    }
    let f = r("analytics.funnel", json!({"pipelineId": pid}));
    assert_eq!(f["deals"], 3);
    assert_eq!(f["from"], Value::Null);
    let names: Vec<&str> = f["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lead", "Proposal", "Won"]);
    assert_eq!(f["stages"][0]["reached"], 3);
    assert_eq!(f["stages"][1]["reached"], 2);
    assert_eq!(
        f["stages"][0]["conversionToNext"],
        json!({"rate": 2.0 / 3.0, "numerator": 2, "denominator": 3})
    );
    // The lost deal went Lead → Lost.
    assert_eq!(f["stages"][0]["lostAfter"], 1);
    assert_eq!(f["stages"][1]["lostAfter"], 0);
    assert_eq!(f["stages"][2]["conversionToNext"], Value::Null);
    assert_eq!(f["overallConversion"]["numerator"], 1);
    assert_eq!(
        (f["won"].clone(), f["lost"].clone(), f["open"].clone()),
        (json!(1), json!(1), json!(1))
    );
    // A cohort that leaves every deal out.
    let none = r(
        "analytics.funnel",
        json!({"pipelineId": pid, "from": "2026-04-01T09:00:00.001Z"}),
    );
    assert_eq!(none["deals"], 0);
    assert_eq!(none["overallConversion"], Value::Null);

    let reps = r(
        "analytics.repPerformance",
        json!({"timeframe": "month", "at": "2026-04-30T23:59:59Z"}),
    );
    assert_eq!(
        reps["period"],
        json!({"from": "2026-04-01T00:00:00.000Z", "to": "2026-05-01T00:00:00.000Z"})
    );
    assert_eq!(
        reps["previous"]["period"]["from"],
        "2026-03-01T00:00:00.000Z"
    );
    assert_eq!(reps["previous"]["reps"], json!([]));
    let ada = &reps["reps"][0];
    assert_eq!(ada["name"], "Ada");
    assert_eq!(
        (
            ada["dealsCreated"].clone(),
            ada["dealsWon"].clone(),
            ada["dealsLost"].clone()
        ),
        (json!(3), json!(1), json!(1))
    );
    assert_eq!(
        ada["totalValue"],
        json!([{"amount": 4500, "currency": "EUR"}])
    );
    assert_eq!(
        ada["wonValue"],
        json!([{"amount": 1000, "currency": "EUR"}])
    );
    assert_eq!(
        ada["winRate"],
        json!({"rate": 0.5, "numerator": 1, "denominator": 2})
    );
    assert_eq!(
        ada["averageDealSize"],
        json!([{"amount": 1000, "currency": "EUR", "numerator": 1000, "denominator": 1}])
    );

    // Bad input names its field; an unknown pipeline is not found.
    invalid(
        &fail("analytics.repPerformance", json!({"timeframe": "year"})),
        "timeframe",
    );
    invalid(
        &fail(
            "analytics.repPerformance",
            json!({"timeframe": "week", "at": "tomorrow"}),
        ),
        "at",
    );
    invalid(
        &fail(
            "analytics.funnel",
            json!({"pipelineId": pid, "from": "2026-05-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}),
        ),
        "to",
    );
    invalid(
        &fail("analytics.funnel", json!({"pipelineId": pid, "stage": 1})),
        "stage",
    );
    assert_eq!(
        fail("analytics.funnel", json!({"pipelineId": 999})).0,
        "not_found"
    );
    assert_eq!(
        fail(
            "analytics.repPerformance",
            json!({"timeframe": "week", "teamId": 999})
        )
        .0,
        "not_found"
    );

    // A stage added to a pipeline with deals.
    let added = r(
        "pipelines.addStage",
        json!({"pipelineId": pid, "name": "Demo", "position": 4, "probability": 30, "kind": "open"}),
    );
    assert_eq!(added["stages"].as_array().unwrap().len(), 5);
    assert_eq!(
        fail(
            "pipelines.addStage",
            json!({"pipelineId": pid, "name": "demo", "probability": 30, "kind": "open"})
        )
        .0,
        "conflict"
    );
    let (code, field) = fail(
        "pipelines.addStage",
        json!({"pipelineId": pid, "name": "Trial", "position": 4, "probability": 30, "kind": "open"}),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("conflict", Some("position"))
    );
    let f = r("analytics.funnel", json!({"pipelineId": pid}));
    // Open stages come before won ones whatever their position.
    assert_eq!(f["stages"][2]["name"], "Demo");
    // The deal won went Lead → Won: the open stage before Won counts it by implied passage.
    assert_eq!(f["stages"][2]["reached"], 1);

    // Another tenant sees none of it.
    let other = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "globex", "name": "Globex", "admin": {"name": "Gil", "email": "gil@globex.test"}}}));
    let gil = other["admin"]["id"].as_i64().unwrap();
    assert_eq!(
        h.err(&req(
            "analytics.funnel",
            "globex",
            gil,
            json!({"pipelineId": pid})
        ))
        .0,
        "not_found"
    );
    let theirs = h.ok(&req(
        "analytics.repPerformance",
        "globex",
        gil,
        json!({"timeframe": "month", "at": "2026-04-15T00:00:00Z"}),
    ));
    assert_eq!(theirs["reps"], json!([]));
}
