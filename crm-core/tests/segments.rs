//! Segments: SQL evaluation against an independent evaluator, written plainly here over records
//! read through the list APIs; memberships kept from the change feed against a full evaluation;
//! `explain` against `members`; tenant isolation; `where` on lists.

mod common;

use crm_core::Crm;
use crm_core::customers::{Customer, CustomerFilter};
use crm_core::deals::{Deal, DealFilter};
use crm_core::ids::{CustomerId, SegmentId};
use crm_core::leads::{Lead, LeadFilter};
use crm_core::segments::{
    ExplainRequest, HistoryRequest, MembersRequest, MembershipChange, NewSegment, PreviewRequest,
    RefreshRequest,
};
use crm_core::tickets::{Ticket, TicketFilter};
use crm_core::time::Timestamp;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const DAY: i64 = 86_400_000;

fn now() -> Timestamp {
    "2026-06-15T12:00:00Z".parse().unwrap()
}

fn at(ms_before_now: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now().timestamp_millis() - ms_before_now)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const NAMES: &[&str] = &[
    "Zoë Adams",
    "ÉMILE Dubois",
    "Łukasz Nowak",
    "acme ltd",
    "Ana",
    "Bob Stone",
    "Smith & Co",
];
const TAGS: &[&str] = &["vip", "Churn", "beta", "ÜBER"];
const COMPANIES: &[&str] = &["Acme Ltd", "acme ltd", "Globex", "Ünicorn GmbH"];
/// Days before "now" that sit on or beside the boundaries the criteria use.
const DAYS: &[i64] = &[0, 1, 6, 7, 8, 29, 30, 31, 89, 90, 91, 365, 400];

/// A tenant of 50 customers with deals, tickets, leads and calls at boundary times. Returns
/// the pipeline's stage ids.
fn build(crm: &Crm, key: &str, seed: u64) -> Vec<i64> {
    let admin = common::tenant(crm, key);
    let scope = crm.scope(key, Some(admin)).unwrap();
    let pipeline = scope
        .pipelines()
        .create(
            serde_json::from_value(json!({"name": "Sales", "stages": [
                {"name": "New", "probability": 10, "kind": "open"},
                {"name": "Proposal", "probability": 50, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"},
                {"name": "Lost", "probability": 0, "kind": "lost"}
            ]}))
            .unwrap(),
        )
        .unwrap();
    let stages: Vec<i64> = pipeline.stages.iter().map(|s| s.id.0).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pick = |n: usize| rng.random_range(0..n);
    let offset = |pick: &mut dyn FnMut(usize) -> usize| {
        // A boundary day, sometimes a few hours to either side of it.
        DAYS[pick(DAYS.len())] * DAY + [0, 0, 1, -1, 3_600_000, -3_600_000][pick(6)]
    };
    for i in 0..50 {
        let tags: Vec<&str> = TAGS.iter().copied().filter(|_| pick(3) == 0).collect();
        let customer = scope
            .customers()
            .create(serde_json::from_value(json!({
                "name": format!("{} {i}", NAMES[pick(NAMES.len())]),
                "email": (pick(3) > 0).then(|| format!("c{i}@{}.example", (["acme", "ACME", "globex"][pick(3)]))),
                "company": (pick(3) > 0).then(|| COMPANIES[pick(COMPANIES.len())]),
                "tags": tags,
                "churnRisk": ([0, 49, 50, 51, 69, 70, 71, 100][pick(8)]),
                "createdAt": at(offset(&mut pick).max(0)),
            })).unwrap())
            .unwrap();
        let id = customer.id.0;
        for _ in 0..pick(4) {
            scope
                .deals()
                .create(
                    serde_json::from_value(json!({
                        "pipelineId": pipeline.id, "stageId": stages[pick(4)], "customerId": id,
                        "title": "Deal", "value": 1000, "currency": "USD",
                        "createdAt": at(offset(&mut pick).max(0)),
                    }))
                    .unwrap(),
                )
                .unwrap();
        }
        for _ in 0..pick(5) {
            scope
                .tickets()
                .create(
                    serde_json::from_value(json!({
                        "customerId": id, "subject": "Help", "channel": "email",
                        "status": (["open", "pending", "solved", "closed"][pick(4)]),
                        "createdAt": at(offset(&mut pick).max(0)),
                    }))
                    .unwrap(),
                )
                .unwrap();
        }
        for _ in 0..pick(3) {
            scope
                .leads()
                .create(serde_json::from_value(json!({
                    "customerId": id, "name": "Lead",
                    "status": (["new", "contacted", "qualified", "unqualified", "converted"][pick(5)]),
                    "score": ([0, 30, 50, 70, 100][pick(5)]),
                })).unwrap())
                .unwrap();
        }
        if pick(3) > 0 {
            scope
                .calls()
                .create(
                    serde_json::from_value(json!({
                        "customerId": id, "durationSeconds": 60,
                        "occurredAt": at(offset(&mut pick)),
                    }))
                    .unwrap(),
                )
                .unwrap();
        }
    }
    stages
}

/// Everything of a tenant the evaluator reads, through the list APIs.
struct World {
    customers: Vec<Customer>,
    deals: Vec<Deal>,
    tickets: Vec<Ticket>,
    leads: Vec<Lead>,
}

fn world(crm: &Crm, key: &str) -> World {
    let scope = crm.scope(key, None).unwrap();
    macro_rules! all {
        ($handle:ident, $filter:ident) => {{
            let mut items = Vec::new();
            let mut cursor = None;
            loop {
                let page = scope
                    .$handle()
                    .list(&$filter {
                        limit: Some(500),
                        cursor,
                        ..Default::default()
                    })
                    .unwrap();
                items.extend(page.items);
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break items;
                }
            }
        }};
    }
    World {
        customers: all!(customers, CustomerFilter),
        deals: all!(deals, DealFilter),
        tickets: all!(tickets, TicketFilter),
        leads: all!(leads, LeadFilter),
    }
}

// ---- The independent evaluator: API.md "Criteria", written out plainly. ----

fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

fn parse_time(v: &Value) -> i64 {
    ms(v.as_str().unwrap().parse::<Timestamp>().unwrap())
}

/// Whole days (floored) from `t` to now.
fn days_since(t: i64) -> i64 {
    (ms(now()) - t).div_euclid(DAY)
}

/// A customer's value of a field, as the contract reads it.
enum Seen {
    Text(Option<String>),
    Number(Option<i64>),
    Time(Option<i64>),
    Tags(Vec<String>),
    /// Related rows' values: "has at least one with" / "has none with".
    Related(Vec<Value>),
}

fn holds(node: &Value, c: &Customer, w: &World) -> bool {
    let o = node.as_object().unwrap();
    if let Some(Value::Array(items)) = o.get("all") {
        return items.iter().all(|n| holds(n, c, w));
    }
    if let Some(Value::Array(items)) = o.get("any") {
        return items.iter().any(|n| holds(n, c, w));
    }
    if let Some(inner) = o.get("not") {
        return !holds(inner, c, w);
    }
    let field = o["field"].as_str().unwrap();
    let op = o["op"].as_str().unwrap();
    let value = &o["value"];
    let deals: Vec<&Deal> = w
        .deals
        .iter()
        .filter(|d| d.customer_id == Some(c.id))
        .collect();
    let tickets: Vec<&Ticket> = w
        .tickets
        .iter()
        .filter(|t| t.customer_id == Some(c.id))
        .collect();
    let leads: Vec<&Lead> = w
        .leads
        .iter()
        .filter(|l| l.customer_id == Some(c.id))
        .collect();
    let within = |created: Timestamp| {
        o.get("withinDays")
            .is_none_or(|d| ms(created) >= ms(now()) - d.as_i64().unwrap() * DAY)
    };
    let status_is = |s: &str| o.get("status").is_none_or(|x| x.as_str() == Some(s));
    let seen = match field {
        "name" => Seen::Text(Some(c.name.clone())),
        "email" => Seen::Text(c.email.clone()),
        "company" => Seen::Text(c.company.clone()),
        "phone" => Seen::Text(c.phone.clone()),
        "externalId" => Seen::Text(c.external_id.clone()),
        "tags" => Seen::Tags(c.tags.clone()),
        "churnRisk" => Seen::Number(Some(i64::from(c.churn_risk))),
        "id" => Seen::Number(Some(c.id.0)),
        "createdAt" => Seen::Time(Some(ms(c.created_at))),
        "updatedAt" => Seen::Time(Some(ms(c.updated_at))),
        "lastContactAt" => Seen::Time(c.last_contact_at.map(ms)),
        "deal.stageId" => Seen::Related(deals.iter().map(|d| json!(d.stage_id.0)).collect()),
        "deal.status" => Seen::Related(deals.iter().map(|d| json!(d.status)).collect()),
        "ticket.status" => Seen::Related(tickets.iter().map(|t| json!(t.status)).collect()),
        "lead.status" => Seen::Related(leads.iter().map(|l| json!(l.status)).collect()),
        "lead.score" => Seen::Related(leads.iter().map(|l| json!(l.score)).collect()),
        "deal.count" => Seen::Number(Some(
            deals
                .iter()
                .filter(|d| {
                    within(d.created_at)
                        && status_is(d.status.as_str())
                        && o.get("pipelineId")
                            .is_none_or(|p| p.as_i64() == Some(d.pipeline_id.0))
                        && o.get("stageId")
                            .is_none_or(|s| s.as_i64() == Some(d.stage_id.0))
                })
                .count() as i64,
        )),
        "ticket.count" => Seen::Number(Some(
            tickets
                .iter()
                .filter(|t| within(t.created_at) && status_is(t.status.as_str()))
                .count() as i64,
        )),
        "ticket.lastCreatedDays" => Seen::Number(
            tickets
                .iter()
                .map(|t| ms(t.created_at))
                .max()
                .map(days_since),
        ),
        "activity.lastContactDays" => Seen::Number(c.last_contact_at.map(|t| days_since(ms(t)))),
        other => panic!("the evaluator does not know {other}"),
    };
    let negative = matches!(op, "notEquals" | "notIn");
    let lower = |v: &Value| v.as_str().unwrap().to_lowercase();
    match seen {
        Seen::Text(None) | Seen::Number(None) | Seen::Time(None) => negative,
        Seen::Text(Some(s)) => {
            let s = s.to_lowercase();
            match op {
                "equals" => s == lower(value),
                "notEquals" => s != lower(value),
                "in" => value.as_array().unwrap().iter().any(|v| s == lower(v)),
                "notIn" => value.as_array().unwrap().iter().all(|v| s != lower(v)),
                "contains" => s.contains(&lower(value)),
                "endsWith" => s.ends_with(&lower(value)),
                _ => panic!("{op} on text"),
            }
        }
        Seen::Number(Some(n)) => number(op, n, value),
        Seen::Time(Some(t)) => match op {
            "after" => t > parse_time(value),
            "before" => t < parse_time(value),
            "between" => (parse_time(&value[0])..=parse_time(&value[1])).contains(&t),
            "lastNDays" => t >= ms(now()) - value.as_i64().unwrap() * DAY,
            _ => panic!("{op} on time"),
        },
        Seen::Tags(tags) => {
            let has = |v: &Value| tags.iter().any(|t| t.to_lowercase() == lower(v));
            match op {
                "equals" => has(value),
                "in" => value.as_array().unwrap().iter().any(has),
                "notIn" => !value.as_array().unwrap().iter().any(has),
                _ => panic!("{op} on tags"),
            }
        }
        Seen::Related(values) => {
            let same = |a: &Value, b: &Value| a == b;
            match op {
                "equals" => values.iter().any(|v| same(v, value)),
                "in" => values
                    .iter()
                    .any(|v| value.as_array().unwrap().iter().any(|x| same(v, x))),
                "notEquals" => !values.iter().any(|v| same(v, value)),
                "notIn" => !values
                    .iter()
                    .any(|v| value.as_array().unwrap().iter().any(|x| same(v, x))),
                _ => values
                    .iter()
                    .any(|v| number(op, v.as_i64().unwrap(), value)),
            }
        }
    }
}

fn number(op: &str, n: i64, value: &Value) -> bool {
    match op {
        "equals" => Some(n) == value.as_i64(),
        "notEquals" => Some(n) != value.as_i64(),
        "in" => value
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_i64() == Some(n)),
        "notIn" => value
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.as_i64() != Some(n)),
        "gte" => n >= value.as_i64().unwrap(),
        "lte" => n <= value.as_i64().unwrap(),
        "between" => (value[0].as_i64().unwrap()..=value[1].as_i64().unwrap()).contains(&n),
        _ => panic!("{op} on a number"),
    }
}

fn expected(criteria: &Value, w: &World) -> BTreeSet<i64> {
    w.customers
        .iter()
        .filter(|c| holds(criteria, c, w))
        .map(|c| c.id.0)
        .collect()
}

// ---- Random criteria over every field, operator and option. ----

fn time_value() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(DAYS.to_vec()),
        prop::sample::select(vec![0, 1, -1, 3_600_000]),
    )
        .prop_map(|(d, off)| json!(at(d * DAY + off)))
}

fn condition(stages: Vec<i64>) -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec![
        "zoë adams",
        "ÉMILE",
        "acme",
        "ACME LTD",
        "example",
        "Ünicorn gmbh",
        "ltd",
        "& Co",
        "x",
    ]);
    let text_field = prop::sample::select(vec!["name", "email", "company", "phone"]);
    let text_op = prop::sample::select(vec!["equals", "notEquals", "contains", "endsWith"]);
    let number = prop::sample::select(vec![0i64, 1, 2, 3, 7, 29, 30, 31, 49, 50, 70, 100]);
    let num_op = prop::sample::select(vec!["equals", "notEquals", "gte", "lte"]);
    let tag = prop::sample::select(vec!["vip", "CHURN", "beta", "über", "none"]);
    let deal_status = prop::sample::select(vec!["open", "won", "lost"]);
    let ticket_status = prop::sample::select(vec!["open", "pending", "solved", "closed"]);
    let lead_status = prop::sample::select(vec![
        "new",
        "contacted",
        "qualified",
        "unqualified",
        "converted",
    ]);
    let eq_ops = prop::sample::select(vec!["equals", "notEquals"]);
    let list_ops = prop::sample::select(vec!["in", "notIn"]);
    prop_oneof![
        (text_field.clone(), text_op, text.clone())
            .prop_map(|(f, op, v)| json!({"field": f, "op": op, "value": v})),
        (
            text_field,
            list_ops.clone(),
            prop::collection::vec(text, 1..3)
        )
            .prop_map(|(f, op, v)| json!({"field": f, "op": op, "value": v})),
        (
            prop::sample::select(vec!["equals", "in", "notIn"]),
            prop::collection::vec(tag, 1..3)
        )
            .prop_map(|(op, v)| if op == "equals" {
                json!({"field": "tags", "op": op, "value": v[0]})
            } else {
                json!({"field": "tags", "op": op, "value": v})
            }),
        (num_op.clone(), number.clone())
            .prop_map(|(op, v)| json!({"field": "churnRisk", "op": op, "value": v})),
        (number.clone(), number.clone()).prop_map(|(a, b)| {
            json!({"field": "churnRisk", "op": "between", "value": [a.min(b), a.max(b)]})
        }),
        (
            prop::sample::select(vec!["createdAt", "lastContactAt"]),
            prop::sample::select(vec!["after", "before"]),
            time_value()
        )
            .prop_map(|(f, op, v)| json!({"field": f, "op": op, "value": v})),
        (
            prop::sample::select(vec!["createdAt", "lastContactAt"]),
            time_value(),
            time_value()
        )
            .prop_map(|(f, a, b)| {
                let (a, b) = if a.as_str() <= b.as_str() {
                    (a, b)
                } else {
                    (b, a)
                };
                json!({"field": f, "op": "between", "value": [a, b]})
            }),
        (
            prop::sample::select(vec!["createdAt", "lastContactAt"]),
            prop::sample::select(vec![1i64, 7, 30, 90, 365])
        )
            .prop_map(|(f, n)| json!({"field": f, "op": "lastNDays", "value": n})),
        (eq_ops.clone(), deal_status.clone())
            .prop_map(|(op, v)| json!({"field": "deal.status", "op": op, "value": v})),
        (
            list_ops.clone(),
            prop::sample::subsequence(stages.clone(), 1..3)
        )
            .prop_map(|(op, v)| json!({"field": "deal.stageId", "op": op, "value": v})),
        (eq_ops.clone(), ticket_status.clone())
            .prop_map(|(op, v)| json!({"field": "ticket.status", "op": op, "value": v})),
        (list_ops, prop::collection::vec(lead_status.clone(), 1..3))
            .prop_map(|(op, v)| json!({"field": "lead.status", "op": op, "value": v})),
        (
            prop::sample::select(vec!["equals", "notEquals", "gte", "lte"]),
            prop::sample::select(vec![0i64, 30, 50, 70, 100])
        )
            .prop_map(|(op, v)| json!({"field": "lead.score", "op": op, "value": v})),
        (
            num_op.clone(),
            0i64..4,
            prop::option::of(prop::sample::select(vec![1i64, 7, 30, 90])),
            prop::option::of(ticket_status)
        )
            .prop_map(|(op, n, days, status)| {
                let mut c = json!({"field": "ticket.count", "op": op, "value": n});
                if let Some(d) = days {
                    c["withinDays"] = json!(d);
                }
                if let Some(s) = status {
                    c["status"] = json!(s);
                }
                c
            }),
        (
            num_op.clone(),
            0i64..4,
            prop::option::of(deal_status),
            prop::option::of(prop::sample::select(stages))
        )
            .prop_map(|(op, n, status, stage)| {
                let mut c = json!({"field": "deal.count", "op": op, "value": n});
                if let Some(s) = status {
                    c["status"] = json!(s);
                }
                if let Some(s) = stage {
                    c["stageId"] = json!(s);
                }
                c
            }),
        (
            prop::sample::select(vec!["ticket.lastCreatedDays", "activity.lastContactDays"]),
            num_op,
            number
        )
            .prop_map(|(f, op, v)| json!({"field": f, "op": op, "value": v})),
    ]
}

fn tree(stages: Vec<i64>) -> impl Strategy<Value = Value> {
    condition(stages).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"all": v})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"any": v})),
            inner.prop_map(|v| json!({"not": v})),
        ]
    })
}

/// One database for the property tests: tenant `a`, and tenant `b` with the same customers.
fn shared() -> &'static (Crm, Vec<i64>, World) {
    static SHARED: OnceLock<(Crm, Vec<i64>, World)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let crm = common::open();
        let stages = build(&crm, "a", 7);
        build(&crm, "b", 7);
        let w = world(&crm, "a");
        (crm, stages, w)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn sql_evaluation_matches_the_contract(criteria in tree(shared().1.clone())) {
        let (crm, _, w) = shared();
        let scope = crm.scope("a", None).unwrap();
        let preview = scope
            .segments()
            .preview_at(&PreviewRequest { criteria: criteria.clone(), limit: Some(500) }, now())
            .unwrap();
        let got: BTreeSet<i64> = preview.items.iter().map(|c| c.id.0).collect();
        let want = expected(&criteria, w);
        prop_assert_eq!(preview.count as usize, want.len(), "count of {}", criteria);
        prop_assert_eq!(got, want, "members of {}", criteria);
    }
}

#[test]
fn count_and_members_see_only_their_tenant() {
    let (crm, _, w) = shared();
    let criteria = json!({"field": "churnRisk", "op": "gte", "value": 0});
    for key in ["a", "b"] {
        let preview = crm
            .scope(key, None)
            .unwrap()
            .segments()
            .preview_at(
                &PreviewRequest {
                    criteria: criteria.clone(),
                    limit: Some(500),
                },
                now(),
            )
            .unwrap();
        assert_eq!(
            preview.count as usize,
            w.customers.len(),
            "{key}: its own 50"
        );
    }
}

/// Replays a segment's history: who is in after every entry and exit.
fn replayed(crm: &Crm, key: &str, id: SegmentId) -> BTreeSet<i64> {
    let scope = crm.scope(key, None).unwrap();
    let mut entries = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .segments()
            .history(&HistoryRequest {
                id,
                customer_id: None,
                limit: Some(500),
                cursor,
            })
            .unwrap();
        entries.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut last: BTreeMap<i64, MembershipChange> = BTreeMap::new();
    // Newest first: the first entry seen for a customer is their latest.
    for e in entries {
        last.entry(e.customer_id.0).or_insert(e.change);
    }
    last.into_iter()
        .filter(|(_, c)| *c == MembershipChange::Entered)
        .map(|(id, _)| id)
        .collect()
}

fn members(crm: &Crm, key: &str, id: SegmentId) -> BTreeSet<i64> {
    let scope = crm.scope(key, None).unwrap();
    let mut all = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = scope
            .segments()
            .members(&MembersRequest {
                id,
                limit: Some(7),
                cursor,
            })
            .unwrap();
        all.extend(page.items.iter().map(|c| c.id.0));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break all;
        }
    }
}

#[test]
fn memberships_kept_from_the_feed_equal_a_full_evaluation_after_every_write() {
    let crm = common::open();
    let stages = build(&crm, "a", 11);
    build(&crm, "b", 11);
    let admin = crm.first_admin("a").unwrap().unwrap();
    let scope = crm.scope("a", Some(admin)).unwrap();
    let trees = [
        json!({"field": "ticket.status", "op": "equals", "value": "open"}),
        json!({"all": [{"field": "deal.count", "op": "gte", "value": 2}, {"not": {"field": "tags", "op": "in", "value": ["vip"]}}]}),
        json!({"any": [{"field": "churnRisk", "op": "gte", "value": 70}, {"field": "lead.status", "op": "equals", "value": "qualified"}]}),
        json!({"field": "deal.status", "op": "notEquals", "value": "won"}),
    ];
    let segments: Vec<SegmentId> = trees
        .iter()
        .enumerate()
        .map(|(i, t)| {
            scope
                .segments()
                .create(NewSegment {
                    name: format!("s{i}"),
                    criteria: t.clone(),
                    description: None,
                })
                .unwrap()
                .id
        })
        .collect();
    let check = |what: &str| {
        for id in &segments {
            assert_eq!(
                replayed(&crm, "a", *id),
                members(&crm, "a", *id),
                "{what}: segment {id}"
            );
        }
    };
    check("at creation");
    let w = world(&crm, "a");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for step in 0..40 {
        let c = &w.customers[rng.random_range(0..w.customers.len())];
        match step % 5 {
            0 => {
                scope
                    .tickets()
                    .create(serde_json::from_value(json!({
                        "customerId": c.id, "subject": "More", "channel": "chat", "status": "open"
                    })).unwrap())
                    .unwrap();
            }
            1 => {
                let tickets = scope
                    .tickets()
                    .list(&TicketFilter {
                        customer_id: Some(c.id),
                        ..Default::default()
                    })
                    .unwrap()
                    .items;
                if let Some(t) = tickets.first() {
                    scope
                        .tickets()
                        .update(
                            serde_json::from_value(json!({"id": t.id, "status": "closed"}))
                                .unwrap(),
                        )
                        .unwrap();
                }
            }
            2 => {
                let tags = if c.tags.is_empty() {
                    json!(["vip"])
                } else {
                    json!([])
                };
                scope
                    .customers()
                    .update(serde_json::from_value(json!({"id": c.id, "tags": tags, "churnRisk": rng.random_range(0..=100)})).unwrap())
                    .unwrap();
            }
            3 => {
                let deals = scope
                    .deals()
                    .list(&DealFilter {
                        customer_id: Some(c.id),
                        ..Default::default()
                    })
                    .unwrap()
                    .items;
                match deals.first() {
                    Some(d) => {
                        let others: Vec<i64> = stages
                            .iter()
                            .copied()
                            .filter(|s| *s != d.stage_id.0)
                            .collect();
                        let stage = others[rng.random_range(0..others.len())];
                        scope
                            .deals()
                            .move_stage(
                                serde_json::from_value(json!({"dealId": d.id, "stageId": stage}))
                                    .unwrap(),
                            )
                            .unwrap();
                    }
                    None => {
                        scope
                            .deals()
                            .create(serde_json::from_value(json!({
                                "pipelineId": d_pipeline(&crm), "customerId": c.id, "title": "New",
                                "value": 5, "currency": "EUR"
                            })).unwrap())
                            .unwrap();
                    }
                }
            }
            _ => {
                scope
                    .leads()
                    .create(
                        serde_json::from_value(
                            json!({"customerId": c.id, "name": "L", "status": "qualified"}),
                        )
                        .unwrap(),
                    )
                    .unwrap();
            }
        }
        check(&format!("after step {step}"));
    }
    // Hosts learn the same from the feed, each entry naming its segment.
    let feed = scope
        .changes()
        .list(&crm_core::feed::ChangesRequest {
            entity_types: Some(vec![crm_core::catalog::RecordKind::SegmentMembership]),
            limit: Some(500),
            ..Default::default()
        })
        .unwrap();
    assert!(!feed.items.is_empty());
    assert!(
        feed.items
            .iter()
            .all(|c| c.segment_id.is_some_and(|s| segments.contains(&s)))
    );
    // The other tenant's memberships never move: it has no segments.
    let other = crm
        .scope("b", None)
        .unwrap()
        .changes()
        .list(&crm_core::feed::ChangesRequest {
            entity_types: Some(vec![crm_core::catalog::RecordKind::SegmentMembership]),
            ..Default::default()
        })
        .unwrap();
    assert!(other.items.is_empty());
}

fn d_pipeline(crm: &Crm) -> i64 {
    crm.scope("a", None)
        .unwrap()
        .pipelines()
        .list(crm_core::ListRequest::default())
        .unwrap()
        .items[0]
        .id
        .0
}

#[test]
fn explain_agrees_with_members_and_shows_what_it_saw() {
    let (crm, _, w) = shared();
    let scope = crm.scope("a", None).unwrap();
    let criteria = json!({"all": [
        {"field": "churnRisk", "op": "gte", "value": 50},
        {"any": [
            {"field": "ticket.count", "op": "gte", "value": 2, "status": "open"},
            {"not": {"field": "tags", "op": "in", "value": ["vip"]}}
        ]}
    ]});
    let want = expected(&criteria, w);
    for c in &w.customers {
        let e = scope
            .segments()
            .explain_at(
                &ExplainRequest {
                    id: None,
                    criteria: Some(criteria.clone()),
                    customer_id: c.id,
                },
                now(),
            )
            .unwrap();
        assert_eq!(e.member, want.contains(&c.id.0), "customer {}", c.id);
        assert_eq!(e.why["result"], json!(e.member));
        assert_eq!(e.why["all"][0]["seen"], json!(c.churn_risk));
        assert_eq!(e.why["all"][1]["any"][1]["not"]["seen"], json!(c.tags));
    }
}

#[test]
fn another_tenants_segment_is_not_found() {
    let crm = common::open();
    build(&crm, "a", 1);
    build(&crm, "b", 1);
    let b_admin = crm.first_admin("b").unwrap().unwrap();
    let id = crm
        .scope("b", Some(b_admin))
        .unwrap()
        .segments()
        .create(NewSegment {
            name: "B".into(),
            criteria: json!({"all": []}),
            description: None,
        })
        .unwrap()
        .id;
    let a_admin = crm.first_admin("a").unwrap().unwrap();
    let a = crm.scope("a", Some(a_admin)).unwrap();
    let s = a.segments();
    let codes = [
        s.get(id).err(),
        s.members(&MembersRequest {
            id,
            limit: None,
            cursor: None,
        })
        .err(),
        s.delete(id).err(),
        s.update(&serde_json::from_value(json!({"id": id, "name": "x"})).unwrap())
            .err(),
        s.explain(&ExplainRequest {
            id: Some(id),
            criteria: None,
            customer_id: CustomerId(1),
        })
        .err(),
        s.history(&HistoryRequest {
            id,
            customer_id: None,
            limit: None,
            cursor: None,
        })
        .err(),
        s.refresh(&RefreshRequest { id: Some(id) }).err(),
    ];
    for e in codes {
        assert_eq!(e.map(|e| e.code()), Some("not_found"));
    }
    assert!(
        s.list(&crm_core::PageRequest::default())
            .unwrap()
            .items
            .is_empty()
    );
    // b's segment still counts b's 50 customers.
    let b = crm.scope("b", None).unwrap();
    assert_eq!(b.segments().get(id).unwrap().member_count, 50);
}

#[test]
fn lists_filter_by_where_over_their_own_fields() {
    let (crm, _, w) = shared();
    let scope = crm.scope("a", None).unwrap();
    let criteria = json!({"any": [
        {"field": "company", "op": "contains", "value": "ACME"},
        {"all": [{"field": "churnRisk", "op": "between", "value": [50, 70]}, {"field": "tags", "op": "notIn", "value": ["vip"]}]}
    ]});
    let page = scope
        .customers()
        .list(&CustomerFilter {
            r#where: Some(criteria.clone()),
            limit: Some(500),
            ..Default::default()
        })
        .unwrap();
    let got: BTreeSet<i64> = page.items.iter().map(|c| c.id.0).collect();
    assert_eq!(got, expected(&criteria, w));
    // Related-record fields belong to segments, not to a list's own fields.
    let e = scope
        .customers()
        .list(&CustomerFilter {
            r#where: Some(json!({"field": "deal.count", "op": "gte", "value": 1})),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.field(), Some("where.field"));
    let tickets = scope
        .tickets()
        .list(&TicketFilter {
            r#where: Some(json!({"field": "status", "op": "in", "value": ["open", "pending"]})),
            limit: Some(500),
            ..Default::default()
        })
        .unwrap();
    let want = w
        .tickets
        .iter()
        .filter(|t| matches!(t.status.as_str(), "open" | "pending"))
        .count();
    assert_eq!(tickets.items.len(), want);
}

#[test]
fn every_list_takes_where_over_its_own_fields() {
    let (crm, _, _) = shared();
    let scope = crm.scope("a", None).unwrap();
    let admins = scope
        .users()
        .list(&crm_core::tenancy::UserFilter {
            r#where: Some(json!({"field": "role", "op": "equals", "value": "admin"})),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(admins.items.len(), 1);
    let where_name = |name: &str| crm_core::ListRequest {
        r#where: Some(json!({"field": "name", "op": "equals", "value": name})),
        ..Default::default()
    };
    assert_eq!(
        scope
            .pipelines()
            .list(where_name("SALES"))
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        scope
            .pipelines()
            .list(where_name("Renewals"))
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        scope
            .teams()
            .list(where_name("Support"))
            .unwrap()
            .items
            .is_empty()
    );
    let calls = scope
        .calls()
        .list(&crm_core::calls::CallFilter {
            r#where: Some(json!({"field": "durationSeconds", "op": "gte", "value": 60})),
            limit: Some(500),
            ..Default::default()
        })
        .unwrap();
    assert!(!calls.items.is_empty() && calls.items.iter().all(|c| c.duration_seconds >= 60));
    let e = scope
        .activities()
        .list(&crm_core::activities::ActivityFilter {
            r#where: Some(json!({"field": "entityId", "op": "equals", "value": 1})),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        e.field(),
        Some("where.field"),
        "entityId is not a column: {e}"
    );
}

#[test]
fn a_refresh_leaves_what_a_full_evaluation_leaves() {
    let crm = common::open();
    build(&crm, "a", 5);
    let admin = crm.first_admin("a").unwrap().unwrap();
    let scope = crm.scope("a", Some(admin)).unwrap();
    // Clock-dependent: who was contacted lately changes with time alone.
    let id = scope
        .segments()
        .create(NewSegment {
            name: "recent".into(),
            criteria: json!({"field": "activity.lastContactDays", "op": "lte", "value": 200}),
            description: None,
        })
        .unwrap()
        .id;
    let report = scope
        .segments()
        .refresh(&RefreshRequest { id: None })
        .unwrap();
    assert_eq!(report.segments, 1);
    let refreshed = scope.segments().get(id).unwrap().refreshed_at.unwrap();
    let full = scope
        .segments()
        .members_at(
            &MembersRequest {
                id,
                limit: Some(500),
                cursor: None,
            },
            refreshed,
        )
        .unwrap();
    let full: BTreeSet<i64> = full.items.iter().map(|c| c.id.0).collect();
    assert_eq!(replayed(&crm, "a", id), full);
}
