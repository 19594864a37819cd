//! Lead scoring against an independent evaluation of the rules on random data: scores after
//! the rules are set, kept current as leads, customers, tickets, deals, activities and calls
//! change (from any tenant's reads), scores set by hand kept until a rescore, explanations,
//! and bad rules named with nothing written.

mod common;

use crm_core::Crm;
use crm_core::ids::UserId;
use crm_core::leads::scoring::{Rescore, SetRules};
use crm_core::tenancy::{Role, Scope};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the test knows of one lead and what it relates to.
#[derive(Debug, Clone, Default)]
struct Model {
    status: String,
    source: Option<String>,
    customer: Option<i64>,
    deals: Vec<String>,
    activities: u32,
    calls: u32,
}

#[derive(Debug, Clone, Default)]
struct Customer {
    churn: i64,
    tickets: Vec<String>,
}

struct World {
    crm: Arc<Crm>,
    admin: UserId,
    pipeline: Value,
    leads: BTreeMap<i64, Model>,
    customers: BTreeMap<i64, Customer>,
    by_hand: BTreeMap<i64, u8>,
}

const STATUSES: [&str; 5] = ["new", "contacted", "qualified", "unqualified", "converted"];

/// A rule from a template: its JSON and the same test written here.
type Test = Box<dyn Fn(&Model, &BTreeMap<i64, Customer>) -> bool>;

fn rule(rng: &mut ChaCha8Rng) -> (Value, Test) {
    let n = rng.random_range(0..4u32);
    let status = STATUSES[rng.random_range(0..5)];
    match rng.random_range(0..9) {
        0 => (
            json!({"field": "status", "op": "equals", "value": status}),
            Box::new(move |l, _| l.status == status),
        ),
        1 => (
            json!({"field": "source", "op": "equals", "value": "WEB"}),
            Box::new(|l, _| {
                l.source
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("web"))
            }),
        ),
        2 => {
            let at = rng.random_range(0..100);
            (
                json!({"field": "customer.churnRisk", "op": "gte", "value": at}),
                Box::new(move |l, c| l.customer.is_some_and(|c2| c[&c2].churn >= at)),
            )
        }
        3 => (
            json!({"field": "ticket.count", "op": "gte", "value": n}),
            Box::new(move |l, c| l.customer.map_or(0, |c2| c[&c2].tickets.len()) as u32 >= n),
        ),
        4 => (
            json!({"field": "ticket.count", "op": "gte", "value": n, "status": "open"}),
            Box::new(move |l, c| {
                l.customer.map_or(0, |c2| {
                    c[&c2].tickets.iter().filter(|t| *t == "open").count()
                }) as u32
                    >= n
            }),
        ),
        5 => (
            json!({"field": "deal.status", "op": "equals", "value": "won"}),
            Box::new(|l, _| l.deals.iter().any(|d| d == "won")),
        ),
        6 => (
            json!({"any": [{"field": "activity.count", "op": "gte", "value": n},
                           {"not": {"field": "call.count", "op": "lte", "value": 0}}]}),
            Box::new(move |l, _| l.activities >= n || l.calls > 0),
        ),
        7 => (
            json!({"field": "deal.count", "op": "gte", "value": n}),
            Box::new(move |l, _| l.deals.len() as u32 >= n),
        ),
        _ => (
            json!({"not": {"field": "status", "op": "in", "value": [status, "converted"]}}),
            Box::new(move |l, _| l.status != status && l.status != "converted"),
        ),
    }
}

fn scope(w: &World) -> Scope<'_> {
    w.crm.scope("a", Some(w.admin)).unwrap()
}

fn world(rng: &mut ChaCha8Rng) -> World {
    let crm = Arc::new(common::open());
    let admin = common::tenant(&crm, "a");
    let mut w = World {
        crm: Arc::clone(&crm),
        admin,
        pipeline: Value::Null,
        leads: BTreeMap::new(),
        customers: BTreeMap::new(),
        by_hand: BTreeMap::new(),
    };
    let s = crm.scope("a", Some(admin)).unwrap();
    let p = s
        .pipelines()
        .create(
            serde_json::from_value(json!({"name": "P", "stages": [
                {"name": "Open", "probability": 10, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"}]}))
            .unwrap(),
        )
        .unwrap();
    w.pipeline = serde_json::to_value(&p).unwrap();
    for _ in 0..rng.random_range(1..6) {
        let churn = rng.random_range(0..100);
        let c = s
            .customers()
            .create(serde_json::from_value(json!({"name": "C", "churnRisk": churn})).unwrap())
            .unwrap();
        w.customers.insert(
            c.id.0,
            Customer {
                churn,
                tickets: vec![],
            },
        );
    }
    for _ in 0..rng.random_range(1..25) {
        add_lead(&mut w, rng);
    }
    w
}

fn add_lead(w: &mut World, rng: &mut ChaCha8Rng) {
    let customers: Vec<i64> = w.customers.keys().copied().collect();
    let customer = rng
        .random_bool(0.8)
        .then(|| customers[rng.random_range(0..customers.len())]);
    let status = STATUSES[rng.random_range(0..5)].to_owned();
    let source = ["web", "Web", "fair"][rng.random_range(0..3)];
    let source = rng.random_bool(0.7).then(|| source.to_owned());
    let lead = scope(w)
        .leads()
        .create(
            serde_json::from_value(json!({"name": "L", "customerId": customer,
                                          "status": status, "source": source}))
            .unwrap(),
        )
        .unwrap();
    w.leads.insert(
        lead.id.0,
        Model {
            status,
            source,
            customer,
            ..Model::default()
        },
    );
}

/// One random write that a rule may read.
fn change(w: &mut World, rng: &mut ChaCha8Rng) {
    let crm = Arc::clone(&w.crm);
    let s = crm.scope("a", Some(w.admin)).unwrap();
    let leads: Vec<i64> = w.leads.keys().copied().collect();
    let customers: Vec<i64> = w.customers.keys().copied().collect();
    let lead = leads[rng.random_range(0..leads.len())];
    let customer = customers[rng.random_range(0..customers.len())];
    match rng.random_range(0..8) {
        0 => {
            let status = STATUSES[rng.random_range(0..5)];
            s.leads()
                .update(serde_json::from_value(json!({"id": lead, "status": status})).unwrap())
                .unwrap();
            w.leads.get_mut(&lead).unwrap().status = status.into();
        }
        1 => {
            let churn = rng.random_range(0..100);
            s.customers()
                .update(
                    serde_json::from_value(json!({"id": customer, "churnRisk": churn})).unwrap(),
                )
                .unwrap();
            w.customers.get_mut(&customer).unwrap().churn = churn;
        }
        2 => {
            let status = ["open", "pending", "solved"][rng.random_range(0..3)];
            s.tickets()
                .create(
                    serde_json::from_value(json!({"subject": "S", "channel": "email",
                                                  "customerId": customer, "status": status}))
                    .unwrap(),
                )
                .unwrap();
            w.customers
                .get_mut(&customer)
                .unwrap()
                .tickets
                .push(status.into());
        }
        3 => {
            let won = rng.random_bool(0.5);
            let stage = &w.pipeline["stages"][usize::from(won)]["id"];
            s.deals()
                .create(
                    serde_json::from_value(
                        json!({"pipelineId": w.pipeline["id"], "stageId": stage,
                        "title": "D", "value": 1, "currency": "USD", "leadId": lead}),
                    )
                    .unwrap(),
                )
                .unwrap();
            w.leads
                .get_mut(&lead)
                .unwrap()
                .deals
                .push(if won { "won" } else { "open" }.into());
        }
        4 => {
            s.activities()
                .create(
                    serde_json::from_value(
                        json!({"entityType": "lead", "entityId": lead, "kind": "note"}),
                    )
                    .unwrap(),
                )
                .unwrap();
            w.leads.get_mut(&lead).unwrap().activities += 1;
        }
        5 => {
            s.calls()
                .create(
                    serde_json::from_value(json!({"leadId": lead, "durationSeconds": 60})).unwrap(),
                )
                .unwrap();
            w.leads.get_mut(&lead).unwrap().calls += 1;
        }
        6 => {
            // By hand: kept until this lead is rescored.
            let score = rng.random_range(0..=100u8);
            s.leads()
                .update(serde_json::from_value(json!({"id": lead, "score": score})).unwrap())
                .unwrap();
            w.by_hand.insert(lead, score);
        }
        _ => {
            drop(s);
            add_lead(w, rng);
        }
    }
}

fn expected(w: &World, rules: &[(Value, Test, i64)], lead: i64) -> u8 {
    if let Some(score) = w.by_hand.get(&lead) {
        return *score;
    }
    let model = &w.leads[&lead];
    let sum: i64 = rules
        .iter()
        .filter(|(_, test, _)| test(model, &w.customers))
        .map(|(_, _, points)| points)
        .sum();
    sum.clamp(0, 100) as u8
}

fn check_all(w: &World, rules: &[(Value, Test, i64)], reader: &Scope<'_>, what: &str) {
    // Read through another tenant first: its read brings every tenant's scores up to date.
    let _ = reader
        .leads()
        .list(&crm_core::leads::LeadFilter::default())
        .unwrap();
    let page = scope(w)
        .leads()
        .list(&serde_json::from_value(json!({"limit": 500})).unwrap())
        .unwrap();
    for lead in page.items {
        assert_eq!(
            lead.score,
            expected(w, rules, lead.id.0),
            "{what}: lead {} {:?}",
            lead.id,
            w.leads[&lead.id.0]
        );
    }
}

fn run(seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = world(&mut rng);
    let crm = Arc::clone(&w.crm);
    let other = common::tenant(&crm, "b");
    let b = crm.scope("b", Some(other)).unwrap();
    let theirs = b
        .leads()
        .create(serde_json::from_value(json!({"name": "B", "status": "new"})).unwrap())
        .unwrap();
    let rules: Vec<(Value, Test, i64)> = (0..rng.random_range(1..7))
        .map(|_| {
            let (json, test) = rule(&mut rng);
            (json, test, rng.random_range(-40..=60))
        })
        .collect();
    let request: SetRules = serde_json::from_value(json!({"rules": rules.iter().enumerate()
        .map(|(i, (j, _, p))| json!({"name": format!("rule {i}"), "where": j, "points": p}))
        .collect::<Vec<_>>()}))
    .unwrap();
    let set = scope(&w).scoring().set_rules(request).unwrap();
    assert_eq!(set.rescored as usize, w.leads.len());
    check_all(&w, &rules, &b, "after setRules");
    for round in 0..4 {
        for _ in 0..rng.random_range(1..8) {
            change(&mut w, &mut rng);
        }
        check_all(&w, &rules, &b, &format!("round {round}"));
    }
    // Explanations agree with the oracle.
    for (&id, model) in &w.leads {
        let e = scope(&w)
            .leads()
            .explain_score(crm_core::ids::LeadId(id))
            .unwrap();
        for (got, (_, test, points)) in e.rules.iter().zip(&rules) {
            assert_eq!(
                got.matched,
                test(model, &w.customers),
                "lead {id}: {}",
                got.why
            );
            assert_eq!(got.points, *points);
        }
        assert_eq!(e.by_hand, w.by_hand.contains_key(&id));
    }
    // A rescore in batches gives up every score set by hand.
    let mut after = None;
    loop {
        let r = scope(&w)
            .leads()
            .rescore(&Rescore {
                lead_ids: None,
                after,
                limit: Some(3),
            })
            .unwrap();
        after = r.next;
        if after.is_none() {
            break;
        }
    }
    w.by_hand.clear();
    check_all(&w, &rules, &b, "after rescore");
    // The other tenant's lead was never scored.
    assert_eq!(b.leads().get(theirs.id).unwrap().score, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(16)
    ))]

    #[test]
    fn scores_match_the_rules_and_follow_every_change(seed in any::<u64>()) {
        run(seed);
    }
}

#[test]
fn bad_rules_are_named_and_change_nothing() {
    let crm = common::open();
    let admin = common::tenant(&crm, "a");
    let agent = common::user(&crm, "a", admin, Role::Agent);
    let viewer = common::user(&crm, "a", admin, Role::Viewer);
    let s = crm.scope("a", Some(admin)).unwrap();
    let lead = s
        .leads()
        .create(serde_json::from_value(json!({"name": "L"})).unwrap())
        .unwrap();
    let good = json!({"name": "New", "where": {"field": "status", "op": "equals", "value": "new"}, "points": 30});
    s.scoring()
        .set_rules(serde_json::from_value(json!({"rules": [good]})).unwrap())
        .unwrap();
    assert_eq!(s.leads().get(lead.id).unwrap().score, 30);
    let fail = |rules: Value| {
        s.scoring()
            .set_rules(serde_json::from_value(json!({"rules": rules})).unwrap())
            .unwrap_err()
    };
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"name": format!("r{i}"), "where": {"all": []}, "points": 1}))
        .collect();
    for (rules, field) in [
        (json!(many), "rules"),
        (
            json!([good, {"name": "x", "where": {"all": [{"field": "score", "op": "gte", "value": 1}]}, "points": 1}]),
            "rules[1].where.all[0].field",
        ),
        (
            json!([{"name": "x", "where": {"field": "status", "op": "gte", "value": 1}, "points": 1}]),
            "rules[0].where.op",
        ),
        (
            json!([{"name": "x", "where": {"all": []}, "points": 101}]),
            "rules[0].points",
        ),
        (json!([good, good]), "rules[1].name"),
        (
            json!([{"name": " ", "where": {"all": []}, "points": 1}]),
            "rules[0].name",
        ),
    ] {
        let e = fail(rules);
        assert_eq!((e.code(), e.field()), ("invalid_input", Some(field)), "{e}");
    }
    assert_eq!(s.scoring().get_rules().unwrap().rules.len(), 1);
    assert_eq!(s.leads().get(lead.id).unwrap().score, 30);
    // Only admins set rules; viewers cannot rescore.
    let as_agent = crm.scope("a", Some(agent)).unwrap();
    let e = as_agent
        .scoring()
        .set_rules(serde_json::from_value(json!({"rules": []})).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), "forbidden");
    let v = crm.scope("a", Some(viewer)).unwrap();
    assert_eq!(
        v.leads().rescore(&Rescore::default()).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(v.scoring().get_rules().unwrap().rules.len(), 1);
    // Another tenant's lead is not one of ours; a tenant without rules cannot rescore.
    let other = common::tenant(&crm, "b");
    let b = crm.scope("b", Some(other)).unwrap();
    let e = b.leads().rescore(&Rescore::default()).unwrap_err();
    assert_eq!(e.code(), "conflict");
    b.scoring()
        .set_rules(serde_json::from_value(json!({"rules": [good]})).unwrap())
        .unwrap();
    let e = b
        .leads()
        .rescore(&serde_json::from_value(json!({"leadIds": [lead.id]})).unwrap())
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_input", Some("leadIds[0]")));
    assert_eq!(
        b.leads().explain_score(lead.id).unwrap_err().code(),
        "not_found"
    );
}

#[test]
fn the_deal_statuses_rules_know_are_the_deals_own() {
    assert_eq!(
        crm_core::leads::scoring::DEAL_STATUSES,
        crm_core::deals::DealStatus::NAMES
    );
}
