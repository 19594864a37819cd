//! Analytics: the funnel and rep performance against an oracle written plainly here over
//! records read through the API (pipelines.get, deals.list, deals.stageHistory, users.get), on
//! generated deals that skip stages, move back, reopen, re-enter, close at one instant and live
//! in pipelines that gain stages; the worked examples of the definitions; another handle's
//! writes; verify and rebuild; tenant isolation; bad input.

mod common;

use crm_core::Crm;
use crm_core::analytics::{FunnelRequest, RepRequest, Timeframe};
use crm_core::deals::{Deal, DealFilter, StageKind};
use crm_core::ids::{DealId, PipelineId, StageId, TeamId, UserId};
use crm_core::time::Timestamp;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

fn ts(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap()
}

fn text(ms: i64) -> String {
    ts(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// 2026-03-02T00:00:00Z, a Monday.
const BASE: i64 = 1_772_409_600_000;

fn all_deals(scope: &crm_core::Scope<'_>) -> Vec<Deal> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .deals()
            .list(&DealFilter {
                limit: Some(500),
                cursor,
                ..Default::default()
            })
            .unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Rounds every number so that floats computed in another order compare equal.
fn rounded(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => json!((n.as_f64().unwrap() * 1e9).round() / 1e9),
        Value::Array(a) => Value::Array(a.into_iter().map(rounded).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        v => v,
    }
}

fn rate(n: u64, d: u64) -> Value {
    if d == 0 {
        Value::Null
    } else {
        json!({"rate": n as f64 / d as f64, "numerator": n, "denominator": d})
    }
}

/// The funnel as API.md defines it, from the records alone.
fn funnel_oracle(
    scope: &crm_core::Scope<'_>,
    pipeline: PipelineId,
    from: Option<i64>,
    to: Option<i64>,
) -> Value {
    let p = scope.pipelines().get(pipeline).unwrap();
    let mut order: Vec<_> = p
        .stages
        .iter()
        .filter(|s| s.kind != StageKind::Lost)
        .cloned()
        .collect();
    order.sort_by_key(|s| (s.kind == StageKind::Won, s.position));
    let index = |id: StageId| order.iter().position(|s| s.id == id);
    let n = order.len();
    let (mut reached, mut current, mut lost_after, mut exits, mut stay) = (
        vec![0u64; n],
        HashMap::new(),
        vec![0u64; n],
        vec![0u64; n],
        vec![0i64; n],
    );
    let (mut deals, mut won, mut lost, mut open) = (0u64, 0u64, 0u64, 0u64);
    for deal in all_deals(scope) {
        let created = ms(deal.created_at);
        if deal.pipeline_id != pipeline
            || from.is_some_and(|f| created < f)
            || to.is_some_and(|t| created >= t)
        {
            continue;
        }
        deals += 1;
        match deal.status {
            crm_core::deals::DealStatus::Won => won += 1,
            crm_core::deals::DealStatus::Lost => lost += 1,
            crm_core::deals::DealStatus::Open => open += 1,
        }
        *current.entry(deal.stage_id).or_insert(0u64) += 1;
        let history = scope.deals().stage_history(deal.id).unwrap();
        // Reached: in the stage or any later open or won one.
        let furthest = history.iter().filter_map(|h| index(h.to_stage_id)).max();
        if let Some(f) = furthest {
            for r in reached.iter_mut().take(f + 1) {
                *r += 1;
            }
        }
        if deal.status == crm_core::deals::DealStatus::Lost {
            let furthest_open = history
                .iter()
                .filter_map(|h| index(h.to_stage_id).filter(|&i| order[i].kind == StageKind::Open))
                .max();
            if let Some(i) = furthest_open {
                lost_after[i] += 1;
            }
        }
        for pair in history.windows(2) {
            if let Some(i) = index(pair[0].to_stage_id) {
                exits[i] += 1;
                stay[i] += ms(pair[1].at) - ms(pair[0].at);
            }
        }
    }
    let stages: Vec<Value> = order
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let next = (s.kind == StageKind::Open && i + 1 < n).then(|| reached[i + 1]);
            json!({
                "stageId": s.id, "name": s.name, "kind": s.kind,
                "reached": reached[i],
                "current": current.get(&s.id).copied().unwrap_or(0),
                "lostAfter": lost_after[i],
                "conversionToNext": next.map_or(Value::Null, |r| rate(r, reached[i])),
                "dropOff": next.map_or(Value::Null, |r| rate(reached[i] - r, reached[i])),
                "averageDaysInStage": if exits[i] == 0 { Value::Null } else {
                    json!(stay[i] as f64 / exits[i] as f64 / DAY as f64)
                },
                "exits": exits[i],
            })
        })
        .collect();
    rounded(json!({
        "pipelineId": pipeline, "from": from.map(text), "to": to.map(text),
        "deals": deals, "stages": stages, "won": won, "lost": lost, "open": open,
        "overallConversion": rate(won, reached.first().copied().unwrap_or(0)),
    }))
}

/// The period of `tf` holding `at`, computed from the calendar here.
fn period(tf: Timeframe, at: i64) -> (i64, i64) {
    use chrono::Datelike;
    let d = ts(at).date_naive();
    let start = match tf {
        Timeframe::Week => d - chrono::Days::new(d.weekday().num_days_from_monday().into()),
        Timeframe::Month => d.with_day(1).unwrap(),
        Timeframe::Quarter => chrono::NaiveDate::from_ymd_opt(
            d.year(),
            [1, 1, 1, 4, 4, 4, 7, 7, 7, 10, 10, 10][d.month0() as usize],
            1,
        )
        .unwrap(),
    };
    let end = match tf {
        Timeframe::Week => start + chrono::Days::new(7),
        Timeframe::Month => start + chrono::Months::new(1),
        Timeframe::Quarter => start + chrono::Months::new(3),
    };
    let m = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    (m(start), m(end))
}

/// Rep performance as API.md defines it, from the records alone.
fn reps_oracle(
    scope: &crm_core::Scope<'_>,
    (from, to): (i64, i64),
    pipeline: Option<PipelineId>,
    team: Option<TeamId>,
) -> Value {
    #[derive(Default)]
    struct Rep {
        created: u64,
        won: u64,
        lost: u64,
        total: BTreeMap<String, i64>,
        won_value: BTreeMap<String, (i64, u64)>,
        days_ms: i64,
    }
    let mut reps: BTreeMap<i64, Rep> = BTreeMap::new();
    for deal in all_deals(scope) {
        let Some(owner) = deal.owner_id else { continue };
        if pipeline.is_some_and(|p| p != deal.pipeline_id) {
            continue;
        }
        if let Some(team) = team
            && !scope.users().get(owner).unwrap().team_ids.contains(&team)
        {
            continue;
        }
        let rep = reps.entry(owner.0).or_default();
        let created = ms(deal.created_at);
        if (from..to).contains(&created) {
            rep.created += 1;
            *rep.total.entry(deal.currency.clone()).or_default() += deal.value;
        }
        if let Some(closed) = deal.closed_at.map(ms).filter(|c| (from..to).contains(c)) {
            match deal.status {
                crm_core::deals::DealStatus::Won => {
                    rep.won += 1;
                    let w = rep.won_value.entry(deal.currency.clone()).or_default();
                    w.0 += deal.value;
                    w.1 += 1;
                    rep.days_ms += closed - created;
                }
                crm_core::deals::DealStatus::Lost => rep.lost += 1,
                crm_core::deals::DealStatus::Open => {}
            }
        }
    }
    let mut rows: Vec<(String, i64, Value)> = Vec::new();
    for (owner, r) in reps {
        if r.created + r.won + r.lost == 0 {
            continue;
        }
        let name = scope.users().get(UserId(owner)).unwrap().name;
        let money = |m: &BTreeMap<String, i64>| -> Vec<Value> {
            m.iter()
                .map(|(c, a)| json!({"amount": a, "currency": c}))
                .collect()
        };
        let won_value: BTreeMap<String, i64> = r
            .won_value
            .iter()
            .map(|(c, (a, _))| (c.clone(), *a))
            .collect();
        // Half away from zero, amounts being positive: (2a + n) / 2n.
        let average: Vec<Value> = r
            .won_value
            .iter()
            .map(|(c, (a, n))| {
                json!({"amount": (2 * a + *n as i64) / (2 * *n as i64), "currency": c,
                       "numerator": a, "denominator": n})
            })
            .collect();
        let weeks = (to - from) as f64 / (7 * DAY) as f64;
        rows.push((
            name.clone(),
            owner,
            json!({
                "userId": owner, "name": name,
                "dealsCreated": r.created, "dealsWon": r.won, "dealsLost": r.lost,
                "totalValue": money(&r.total), "wonValue": money(&won_value),
                "winRate": rate(r.won, r.won + r.lost),
                "averageDealSize": average,
                "averageDaysToClose": if r.won == 0 { Value::Null } else {
                    json!(r.days_ms as f64 / r.won as f64 / DAY as f64)
                },
                "velocity": r.won as f64 / weeks,
            }),
        ));
    }
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    rounded(json!({
        "period": {"from": text(from), "to": text(to)},
        "reps": rows.into_iter().map(|r| r.2).collect::<Vec<_>>(),
    }))
}

/// Writes every `from` and `to` with milliseconds, as the oracles do.
fn instants(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, v) in o.iter_mut() {
                match v {
                    Value::String(s) if k == "from" || k == "to" => {
                        *s = text(ms(s.parse().unwrap()));
                    }
                    v => instants(v),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(instants),
        _ => {}
    }
}

fn funnel_json(
    scope: &crm_core::Scope<'_>,
    p: PipelineId,
    from: Option<i64>,
    to: Option<i64>,
) -> (Value, Value) {
    let request = FunnelRequest {
        pipeline_id: p,
        from: from.map(ts),
        to: to.map(ts),
    };
    let mut sums = serde_json::to_value(scope.analytics().funnel(&request).unwrap()).unwrap();
    let mut deals =
        serde_json::to_value(scope.analytics().funnel_from_deals(&request).unwrap()).unwrap();
    instants(&mut sums);
    instants(&mut deals);
    (rounded(sums), rounded(deals))
}

fn reps_json(scope: &crm_core::Scope<'_>, request: &RepRequest) -> Value {
    let mut v = serde_json::to_value(scope.analytics().rep_performance(request).unwrap()).unwrap();
    instants(&mut v);
    rounded(v)
}

struct World {
    pipelines: Vec<PipelineId>,
    owners: Vec<UserId>,
    team: TeamId,
}

fn setup(crm: &Crm, key: &str) -> (UserId, World) {
    let admin = common::tenant(crm, key);
    let scope = crm.scope(key, Some(admin)).unwrap();
    let team = scope
        .teams()
        .create(serde_json::from_value(json!({"name": "East"})).unwrap())
        .unwrap()
        .id;
    let mut owners = Vec::new();
    for (i, name) in ["Zoë", "Ana", "Émile", "Ana"].iter().enumerate() {
        let teams: Vec<TeamId> = if i % 2 == 0 { vec![team] } else { vec![] };
        owners.push(
            scope
                .users()
                .create(serde_json::from_value(json!({
                    "name": name, "email": format!("u{i}@{key}.test"), "role": "agent", "teamIds": teams,
                })).unwrap())
                .unwrap()
                .id,
        );
    }
    let mut pipelines = Vec::new();
    for name in ["New business", "Renewals"] {
        pipelines.push(
            scope
                .pipelines()
                .create(
                    serde_json::from_value(json!({"name": name, "stages": [
                        {"name": "Lead", "position": 0, "probability": 10, "kind": "open"},
                        {"name": "Qualified", "position": 10, "probability": 30, "kind": "open"},
                        {"name": "Proposal", "position": 20, "probability": 60, "kind": "open"},
                        {"name": "Won", "position": 30, "probability": 100, "kind": "won"},
                        {"name": "Lost", "position": 40, "probability": 0, "kind": "lost"},
                        {"name": "No budget", "position": 50, "probability": 0, "kind": "lost"}
                    ]}))
                    .unwrap(),
                )
                .unwrap()
                .id,
        );
    }
    (
        admin,
        World {
            pipelines,
            owners,
            team,
        },
    )
}

/// Random deals and changes, checked against the oracles between batches of writes (so the
/// sums are caught up piece by piece) for cohorts and periods on and off day boundaries.
fn random_story(seed: u64) {
    let crm = common::open();
    let (admin, world) = setup(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut deals: Vec<(DealId, i64)> = Vec::new(); // (deal, time of its last move)
    let mut added = 0;
    for round in 0..4 {
        for _ in 0..12 {
            let op = rng.random_range(0..10);
            if op < 3 || deals.is_empty() {
                let p = world.pipelines[rng.random_range(0..2)];
                let stages = scope.pipelines().get(p).unwrap().stages;
                let stage = &stages[rng.random_range(0..stages.len())];
                // On a day boundary, beside one, or inside a day.
                let at = BASE
                    + rng.random_range(0..60) * DAY
                    + [0, 0, 1, -1, 13 * HOUR][rng.random_range(0..5)];
                let deal = scope
                    .deals()
                    .create(serde_json::from_value(json!({
                        "pipelineId": p, "stageId": stage.id, "title": "Deal",
                        "value": rng.random_range(0..100_000), "currency": (["USD", "EUR", "JPY"][rng.random_range(0..3)]),
                        "ownerId": (rng.random_range(0..5) > 0).then(|| world.owners[rng.random_range(0..4)]),
                        "createdAt": text(at),
                    })).unwrap())
                    .unwrap();
                deals.push((deal.id, at));
            } else if op < 8 {
                let i = rng.random_range(0..deals.len());
                let (id, last) = deals[i];
                let deal = scope.deals().get(id).unwrap();
                let stages = scope.pipelines().get(deal.pipeline_id).unwrap().stages;
                let to = &stages[rng.random_range(0..stages.len())];
                if to.id == deal.stage_id {
                    continue;
                }
                // Zero-length stays, a millisecond, hours, days.
                let at = last + [0, 1, 5 * HOUR, 3 * DAY, 20 * DAY][rng.random_range(0..5)];
                scope
                    .deals()
                    .move_stage(
                        serde_json::from_value(
                            json!({"dealId": id, "stageId": to.id, "at": text(at)}),
                        )
                        .unwrap(),
                    )
                    .unwrap();
                deals[i].1 = at;
            } else if op < 9 {
                let (id, _) = deals[rng.random_range(0..deals.len())];
                let owner =
                    (rng.random_range(0..4) > 0).then(|| world.owners[rng.random_range(0..4)]);
                scope
                    .deals()
                    .update(
                        serde_json::from_value(json!({
                            "id": id, "ownerId": owner, "value": rng.random_range(0..100_000),
                            "currency": (["USD", "EUR"][rng.random_range(0..2)]),
                        }))
                        .unwrap(),
                    )
                    .unwrap();
            } else if added < 3 {
                // A stage between two others, or a new won or open stage at the end.
                let p = world.pipelines[rng.random_range(0..2)];
                let (position, kind) = [
                    (15 + added, "open"),
                    (35 + added, "won"),
                    (5 + added, "open"),
                ][added as usize % 3];
                scope
                    .pipelines()
                    .add_stage(
                        &serde_json::from_value(json!({
                            "pipelineId": p, "name": format!("Added {added}"), "position": position,
                            "probability": 40, "kind": kind,
                        }))
                        .unwrap(),
                    )
                    .unwrap();
                added += 1;
            }
        }
        // Cohorts: everything; whole days; part-days at either end; one part-day; empty.
        let cohorts = [
            (None, None),
            (Some(BASE + 10 * DAY), Some(BASE + 40 * DAY)),
            (Some(BASE + 10 * DAY + 13 * HOUR), Some(BASE + 40 * DAY + 1)),
            (Some(BASE + 5 * DAY - 1), None),
            (None, Some(BASE + 30 * DAY + 13 * HOUR + 1)),
            (Some(BASE + 7 * DAY + 1), Some(BASE + 7 * DAY + 20 * HOUR)),
            (Some(BASE + 8 * DAY), Some(BASE + 8 * DAY)),
        ];
        for p in &world.pipelines {
            for (from, to) in cohorts {
                let expected = funnel_oracle(&scope, *p, from, to);
                let (sums, deals) = funnel_json(&scope, *p, from, to);
                assert_eq!(
                    sums, expected,
                    "seed {seed} round {round} cohort {from:?}..{to:?}"
                );
                assert_eq!(deals, expected, "from deals: seed {seed} round {round}");
            }
        }
        for tf in Timeframe::ALL {
            for at in [
                BASE + 13 * HOUR,
                BASE + 20 * DAY,
                BASE + 45 * DAY + 1,
                BASE + 70 * DAY,
            ] {
                for (pipeline, team) in [
                    (None, None),
                    (Some(world.pipelines[1]), None),
                    (None, Some(world.team)),
                ] {
                    let request = RepRequest {
                        timeframe: tf,
                        at: Some(ts(at)),
                        pipeline_id: pipeline,
                        team_id: team,
                    };
                    let got = reps_json(&scope, &request);
                    let current = period(tf, at);
                    let before = period(tf, current.0 - 1);
                    let want = reps_oracle(&scope, current, pipeline, team);
                    let want_before = reps_oracle(&scope, before, pipeline, team);
                    assert_eq!(got["period"], want["period"], "seed {seed} {tf:?}");
                    assert_eq!(
                        got["reps"],
                        want["reps"],
                        "seed {seed} round {round} {tf:?} at {} {pipeline:?} {team:?}",
                        text(at)
                    );
                    assert_eq!(got["previous"]["period"], want_before["period"]);
                    assert_eq!(
                        got["previous"]["reps"], want_before["reps"],
                        "previous: seed {seed} {tf:?}"
                    );
                    let mut from_deals = serde_json::to_value(
                        scope
                            .analytics()
                            .rep_performance_from_deals(&request, ts(at))
                            .unwrap(),
                    )
                    .unwrap();
                    instants(&mut from_deals);
                    let from_deals = rounded(from_deals);
                    assert_eq!(
                        from_deals["reps"], want["reps"],
                        "from deals: seed {seed} {tf:?}"
                    );
                }
            }
        }
        let check = scope.analytics().verify().unwrap();
        assert!(check.consistent(), "seed {seed} round {round}: {check:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn funnel_and_rep_performance_match_the_definitions(seed in any::<u64>()) {
        random_story(seed);
    }
}

fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn stage_named(scope: &crm_core::Scope<'_>, p: PipelineId, name: &str) -> StageId {
    scope
        .pipelines()
        .get(p)
        .unwrap()
        .stages
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .id
}

/// Creates a deal in `path[0]` at `BASE + path[0].1` days and moves it along the rest.
fn walk(scope: &crm_core::Scope<'_>, p: PipelineId, path: &[(&str, i64)]) -> DealId {
    let deal = scope
        .deals()
        .create(body(json!({
            "pipelineId": p, "stageId": stage_named(scope, p, path[0].0), "title": "Deal",
            "value": 100, "currency": "USD", "createdAt": text(BASE + path[0].1 * DAY),
        })))
        .unwrap();
    for (stage, day) in &path[1..] {
        scope
            .deals()
            .move_stage(body(json!({
                "dealId": deal.id, "stageId": stage_named(scope, p, stage), "at": text(BASE + day * DAY),
            })))
            .unwrap();
    }
    deal.id
}

/// The worked examples of `crm_core::analytics`'s documentation, with the numbers worked out
/// by hand.
#[test]
fn the_worked_examples_give_the_documented_numbers() {
    let crm = common::open();
    let admin = common::tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let p = scope
        .pipelines()
        .create(body(json!({"name": "Sales", "stages": [
            {"name": "Lead", "position": 0, "probability": 10, "kind": "open"},
            {"name": "Qualified", "position": 10, "probability": 30, "kind": "open"},
            {"name": "Proposal", "position": 20, "probability": 60, "kind": "open"},
            {"name": "Won", "position": 30, "probability": 100, "kind": "won"},
            {"name": "Lost", "position": 40, "probability": 0, "kind": "lost"}
        ]})))
        .unwrap()
        .id;
    walk(&scope, p, &[("Lead", 0), ("Proposal", 2)]); // skips Qualified
    walk(&scope, p, &[("Lead", 0), ("Proposal", 1), ("Qualified", 3)]); // moves back
    walk(&scope, p, &[("Lead", 0), ("Won", 4), ("Proposal", 6)]); // reopened after won
    walk(&scope, p, &[("Lead", 0), ("Qualified", 1), ("Lost", 2)]);
    walk(&scope, p, &[("Lead", 0), ("Won", 1), ("Lost", 1)]); // won and lost at one instant
    walk(&scope, p, &[("Lost", 0)]); // created lost
    walk(
        &scope,
        p,
        &[
            ("Lead", 0),
            ("Qualified", 1),
            ("Lead", 2),
            ("Qualified", 2),
            ("Proposal", 5),
        ],
    ); // re-entries, one of zero length
    // Asked once before the stage is added, so the sums are kept, not rebuilt, across it.
    scope
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: p,
            from: None,
            to: None,
        })
        .unwrap();
    scope
        .pipelines()
        .add_stage(&body(json!({
            "pipelineId": p, "name": "Demo", "position": 15, "probability": 40, "kind": "open"
        })))
        .unwrap();
    let got = scope
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: p,
            from: None,
            to: None,
        })
        .unwrap();
    let row = |name: &str| got.stages.iter().find(|s| s.name == name).unwrap();
    let names: Vec<&str> = got.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Lead", "Qualified", "Demo", "Proposal", "Won"]);
    let reached: Vec<u64> = got.stages.iter().map(|s| s.reached).collect();
    assert_eq!(reached, [6, 6, 5, 5, 2]);
    let current: Vec<u64> = got.stages.iter().map(|s| s.current).collect();
    assert_eq!(current, [0, 1, 0, 3, 0]);
    let lost_after: Vec<u64> = got.stages.iter().map(|s| s.lost_after).collect();
    assert_eq!(lost_after, [1, 1, 0, 0, 0]);
    let exits: Vec<u64> = got.stages.iter().map(|s| s.exits).collect();
    assert_eq!(exits, [7, 3, 0, 1, 2]);
    assert!((row("Lead").average_days_in_stage.unwrap() - 10.0 / 7.0).abs() < 1e-12);
    assert_eq!(row("Qualified").average_days_in_stage, Some(5.0 / 3.0));
    assert_eq!(row("Demo").average_days_in_stage, None);
    assert_eq!(row("Proposal").average_days_in_stage, Some(2.0));
    assert_eq!(row("Won").average_days_in_stage, Some(1.0));
    let conv = |name: &str| {
        row(name)
            .conversion_to_next
            .map(|r| (r.numerator, r.denominator))
    };
    assert_eq!(conv("Lead"), Some((6, 6)));
    assert_eq!(conv("Qualified"), Some((5, 6)));
    assert_eq!(conv("Demo"), Some((5, 5)));
    assert_eq!(conv("Proposal"), Some((2, 5)));
    assert_eq!(conv("Won"), None);
    let drop = |name: &str| row(name).drop_off.map(|r| (r.numerator, r.denominator));
    assert_eq!(drop("Qualified"), Some((1, 6)));
    assert_eq!(drop("Proposal"), Some((3, 5)));
    assert_eq!(drop("Won"), None);
    assert_eq!((got.deals, got.won, got.lost, got.open), (7, 0, 3, 4));
    let overall = got.overall_conversion.unwrap();
    assert_eq!(
        (overall.numerator, overall.denominator, overall.rate),
        (0, 6, 0.0)
    );

    // A pipeline with no deals: every count 0, every rate null.
    let empty = scope
        .pipelines()
        .create(body(json!({"name": "Empty", "stages": [
            {"name": "Open", "probability": 10, "kind": "open"},
            {"name": "Won", "probability": 100, "kind": "won"}
        ]})))
        .unwrap()
        .id;
    let got = scope
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: empty,
            from: None,
            to: None,
        })
        .unwrap();
    assert_eq!(got.deals, 0);
    assert!(got.overall_conversion.is_none());
    assert!(
        got.stages
            .iter()
            .all(|s| s.reached == 0 && s.conversion_to_next.is_none())
    );
}

/// A write committed through another handle (another process, as far as SQLite knows) is in
/// the very next answer; verify finds a damaged sum, and rebuild mends it.
#[test]
fn answers_follow_other_handles_and_damage_is_found_and_mended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let reader = Crm::open(&path).unwrap();
    let admin = common::tenant(&reader, "acme");
    let scope = reader.scope("acme", Some(admin)).unwrap();
    let p = scope
        .pipelines()
        .create(body(json!({"name": "Sales", "stages": [
            {"name": "Lead", "probability": 10, "kind": "open"},
            {"name": "Won", "probability": 100, "kind": "won"}
        ]})))
        .unwrap()
        .id;
    let request = FunnelRequest {
        pipeline_id: p,
        from: None,
        to: None,
    };
    assert_eq!(scope.analytics().funnel(&request).unwrap().deals, 0);
    let reps = RepRequest {
        timeframe: Timeframe::Quarter,
        at: Some(ts(BASE)),
        pipeline_id: None,
        team_id: None,
    };
    assert!(
        scope
            .analytics()
            .rep_performance(&reps)
            .unwrap()
            .reps
            .is_empty()
    );
    let writer = Crm::open(&path).unwrap();
    let other = writer.scope("acme", Some(admin)).unwrap();
    for i in 0..3 {
        let deal = other
            .deals()
            .create(body(json!({
                "pipelineId": p, "title": "Deal", "value": 1000, "currency": "USD",
                "ownerId": admin, "createdAt": text(BASE + i * HOUR),
            })))
            .unwrap();
        let won = stage_named(&other, p, "Won");
        other
            .deals()
            .move_stage(body(
                json!({"dealId": deal.id, "stageId": won, "at": text(BASE + DAY)}),
            ))
            .unwrap();
        let funnel = scope.analytics().funnel(&request).unwrap();
        assert_eq!((funnel.deals, funnel.won), (i as u64 + 1, i as u64 + 1));
        let got = scope.analytics().rep_performance(&reps).unwrap();
        assert_eq!(got.reps[0].deals_won, i as u64 + 1);
        assert_eq!(got.reps[0].won_value[0].amount, 1000 * (i + 1));
    }
    assert!(scope.analytics().verify().unwrap().consistent());
    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute(
        "UPDATE analytics_funnel_days SET current = current + 1
          WHERE rowid IN (SELECT rowid FROM analytics_funnel_days LIMIT 1)",
        [],
    )
    .unwrap_or_else(|_| {
        // WITHOUT ROWID tables have no rowid: damage the first row by its key.
        raw.execute(
            "UPDATE analytics_funnel_days SET current = current + 1
              WHERE (tenant_id, pipeline_id, day, stage_id) =
                    (SELECT tenant_id, pipeline_id, day, stage_id FROM analytics_funnel_days LIMIT 1)",
            [],
        )
        .unwrap()
    });
    raw.execute("DELETE FROM analytics_rep_days", []).unwrap();
    drop(raw);
    let check = scope.analytics().verify().unwrap();
    assert!(!check.consistent());
    assert!(check.wrong >= 2, "{check:?}");
    assert_eq!(check.deals, 3);
    // A damaged answer is what rebuild is for; after it, every answer is right again.
    let before = scope.analytics().rebuild().unwrap();
    assert_eq!(before, check);
    assert!(scope.analytics().verify().unwrap().consistent());
    assert_eq!(scope.analytics().funnel(&request).unwrap().won, 3);
    assert_eq!(
        scope.analytics().rep_performance(&reps).unwrap().reps[0].deals_won,
        3
    );
    // Only admins rebuild.
    let agent = common::user(&reader, "acme", admin, crm_core::tenancy::Role::Agent);
    let err = reader
        .scope("acme", Some(agent))
        .unwrap()
        .analytics()
        .rebuild()
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

/// Another tenant's pipeline and team are `not_found`; its deals are never counted; bad
/// input names its field and changes nothing; a viewer may read.
#[test]
fn tenants_are_apart_and_bad_input_is_named() {
    let crm = common::open();
    let (admin_a, a) = setup(&crm, "a");
    let (admin_b, b) = setup(&crm, "b");
    let scope_a = crm.scope("a", Some(admin_a)).unwrap();
    let scope_b = crm.scope("b", Some(admin_b)).unwrap();
    for (scope, world) in [(&scope_a, &a), (&scope_b, &b)] {
        for i in 0..4 {
            scope
                .deals()
                .create(body(json!({
                    "pipelineId": world.pipelines[0], "title": "Deal", "value": 10 + i,
                    "currency": "USD", "ownerId": world.owners[0], "createdAt": text(BASE + i * DAY),
                })))
                .unwrap();
        }
    }
    scope_b
        .deals()
        .create(body(json!({
            "pipelineId": b.pipelines[0], "title": "Deal", "value": 1, "currency": "USD",
            "ownerId": b.owners[0], "createdAt": text(BASE),
        })))
        .unwrap();
    let funnel = |scope: &crm_core::Scope<'_>, p| {
        scope.analytics().funnel(&FunnelRequest {
            pipeline_id: p,
            from: None,
            to: None,
        })
    };
    assert_eq!(funnel(&scope_a, a.pipelines[0]).unwrap().deals, 4);
    assert_eq!(funnel(&scope_b, b.pipelines[0]).unwrap().deals, 5);
    assert_eq!(
        funnel_json(&scope_a, a.pipelines[0], None, None).0,
        funnel_oracle(&scope_a, a.pipelines[0], None, None)
    );
    // Ids are per tenant: b's third pipeline and second team have ids a has not.
    let b_only = scope_b
        .pipelines()
        .create(body(json!({"name": "Only b", "stages": [
            {"name": "Open", "probability": 10, "kind": "open"}
        ]})))
        .unwrap()
        .id;
    let b_team = scope_b
        .teams()
        .create(body(json!({"name": "Only b"})))
        .unwrap()
        .id;
    assert_eq!(funnel(&scope_a, b_only).unwrap_err().code(), "not_found");
    let reps = |scope: &crm_core::Scope<'_>, pipeline, team| {
        scope.analytics().rep_performance(&RepRequest {
            timeframe: Timeframe::Month,
            at: Some(ts(BASE)),
            pipeline_id: pipeline,
            team_id: team,
        })
    };
    let got = reps(&scope_a, None, None).unwrap();
    assert_eq!(got.reps.len(), 1);
    assert_eq!(got.reps[0].deals_created, 4);
    assert_eq!(reps(&scope_b, None, None).unwrap().reps[0].deals_created, 5);
    assert_eq!(
        reps(&scope_a, Some(b_only), None).unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        reps(&scope_a, None, Some(b_team)).unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        reps(&scope_a, Some(PipelineId(999_999)), None)
            .unwrap_err()
            .code(),
        "not_found"
    );

    let before = crm_core::store::row_counts(&crm).unwrap();
    let err = scope_a
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: a.pipelines[0],
            from: Some(ts(BASE + DAY)),
            to: Some(ts(BASE)),
        })
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_input", Some("to")));
    let err = scope_a
        .analytics()
        .rep_performance(&RepRequest {
            timeframe: Timeframe::Quarter,
            at: Some("0000-02-01T00:00:00Z".parse().unwrap()),
            pipeline_id: None,
            team_id: None,
        })
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_input", Some("at")));
    assert_eq!(crm_core::store::row_counts(&crm).unwrap(), before);

    let viewer = common::user(&crm, "a", admin_a, crm_core::tenancy::Role::Viewer);
    let as_viewer = crm.scope("a", Some(viewer)).unwrap();
    scope_a
        .deals()
        .create(body(json!({
            "pipelineId": a.pipelines[0], "title": "Late", "value": 1, "currency": "USD",
            "createdAt": text(BASE),
        })))
        .unwrap();
    assert_eq!(funnel(&as_viewer, a.pipelines[0]).unwrap().deals, 5);
}

const OPPORTUNITIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/crm-sales-opportunities/"
);

fn date(text: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// The real B2B pipeline (8,800 opportunities): agents own the deals, their managers' teams
/// hold them, each opportunity is created in Prospecting on its engage date (prospects, which
/// have none, on 2018-01-01), moved to Engaging that day and to Won or Lost on its close date.
/// Per agent and quarter, the counts, won value and win rate are computed from the CSV here.
#[test]
fn the_sales_opportunities_dataset_reports_what_its_csv_says() {
    #[derive(serde::Deserialize)]
    struct Row {
        sales_agent: String,
        deal_stage: String,
        engage_date: String,
        close_date: String,
        close_value: String,
    }
    let crm = common::open();
    let admin = common::tenant(&crm, "maven");
    let scope = crm.scope("maven", Some(admin)).unwrap();
    let mut teams: BTreeMap<String, TeamId> = BTreeMap::new();
    let mut agents: BTreeMap<String, (UserId, TeamId)> = BTreeMap::new();
    let mut csv = csv::Reader::from_path(format!("{OPPORTUNITIES}sales_teams.csv"))
        .expect("../shared/datasets must be beside the repository");
    for (i, row) in csv.records().enumerate() {
        let row = row.unwrap();
        let (agent, manager) = (row[0].to_owned(), row[1].to_owned());
        let team = *teams.entry(manager.clone()).or_insert_with(|| {
            scope
                .teams()
                .create(body(json!({"name": manager})))
                .unwrap()
                .id
        });
        let user = scope
            .users()
            .create(body(json!({
                "name": agent, "email": format!("agent{i}@maven.test"), "role": "agent", "teamIds": [team],
            })))
            .unwrap()
            .id;
        agents.insert(agent, (user, team));
    }
    let p = scope
        .pipelines()
        .create(body(json!({"name": "Maven", "stages": [
            {"name": "Prospecting", "probability": 10, "kind": "open"},
            {"name": "Engaging", "probability": 50, "kind": "open"},
            {"name": "Won", "probability": 100, "kind": "won"},
            {"name": "Lost", "probability": 0, "kind": "lost"}
        ]})))
        .unwrap()
        .id;
    let stage = |name: &str| stage_named(&scope, p, name);
    let (engaging, won, lost) = (stage("Engaging"), stage("Won"), stage("Lost"));
    let rows: Vec<Row> = csv::Reader::from_path(format!("{OPPORTUNITIES}sales_pipeline.csv"))
        .unwrap()
        .deserialize()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 8_800);
    let prospects_created = date("2018-01-01");
    scope
        .batch(|b| {
            for row in &rows {
                let created = if row.engage_date.is_empty() {
                    prospects_created
                } else {
                    date(&row.engage_date)
                };
                let value: i64 = row.close_value.parse().unwrap_or(0);
                let deal = b.create_deal(body(json!({
                    "pipelineId": p, "title": "Opportunity", "value": value * 100, "currency": "USD",
                    "ownerId": agents[&row.sales_agent].0, "createdAt": text(created),
                })))?;
                if !row.engage_date.is_empty() {
                    b.move_stage(body(json!({"dealId": deal.id, "stageId": engaging, "at": text(created)})))?;
                }
                if !row.close_date.is_empty() {
                    let to = if row.deal_stage == "Won" { won } else { lost };
                    b.move_stage(body(json!({"dealId": deal.id, "stageId": to, "at": text(date(&row.close_date))})))?;
                }
            }
            Ok(())
        })
        .unwrap();

    // The funnel, from the CSV's own counts.
    let count = |stage: &str| rows.iter().filter(|r| r.deal_stage == stage).count() as u64;
    let funnel = scope
        .analytics()
        .funnel(&FunnelRequest {
            pipeline_id: p,
            from: None,
            to: None,
        })
        .unwrap();
    let reached: Vec<u64> = funnel.stages.iter().map(|s| s.reached).collect();
    assert_eq!(reached, [8_800, 8_800 - count("Prospecting"), count("Won")]);
    assert_eq!(
        (funnel.won, funnel.lost, funnel.open),
        (
            count("Won"),
            count("Lost"),
            count("Prospecting") + count("Engaging")
        )
    );
    assert_eq!(funnel.stages[1].lost_after, count("Lost"));
    let closed: Vec<&Row> = rows.iter().filter(|r| !r.close_date.is_empty()).collect();
    let engaged_days: i64 = closed
        .iter()
        .map(|r| date(&r.close_date) - date(&r.engage_date))
        .sum();
    assert_eq!(funnel.stages[1].exits, closed.len() as u64);
    let want = engaged_days as f64 / closed.len() as f64 / DAY as f64;
    assert!((funnel.stages[1].average_days_in_stage.unwrap() - want).abs() < 1e-9);
    assert_eq!(funnel.stages[0].average_days_in_stage, Some(0.0));

    // Each quarter from 2016 Q4 to 2018 Q1, every agent, and one manager's team.
    let mut checked = 0;
    for quarter_start in [
        "2016-10-01",
        "2017-01-01",
        "2017-04-01",
        "2017-07-01",
        "2017-10-01",
        "2018-01-01",
    ] {
        let from = date(quarter_start);
        let to = period(Timeframe::Quarter, from).1;
        let in_quarter = |d: &str| !d.is_empty() && (from..to).contains(&date(d));
        for team in [None, teams.values().next().copied()] {
            let got = scope
                .analytics()
                .rep_performance(&RepRequest {
                    timeframe: Timeframe::Quarter,
                    at: Some(ts(from + 40 * DAY)),
                    pipeline_id: Some(p),
                    team_id: team,
                })
                .unwrap();
            assert_eq!(ms(got.period.from), from);
            let mut want: BTreeMap<&str, (u64, u64, u64, i64)> = BTreeMap::new();
            for row in &rows {
                if team.is_some_and(|t| agents[&row.sales_agent].1 != t) {
                    continue;
                }
                let created = if row.engage_date.is_empty() {
                    "2018-01-01"
                } else {
                    row.engage_date.as_str()
                };
                let entry = want.entry(row.sales_agent.as_str()).or_default();
                entry.0 += u64::from(in_quarter(created));
                if in_quarter(&row.close_date) {
                    if row.deal_stage == "Won" {
                        entry.1 += 1;
                        entry.3 += row.close_value.parse::<i64>().unwrap() * 100;
                    } else {
                        entry.2 += 1;
                    }
                }
            }
            want.retain(|_, w| w.0 + w.1 + w.2 > 0);
            let got_rows: BTreeMap<&str, (u64, u64, u64, i64)> = got
                .reps
                .iter()
                .map(|r| {
                    let value = r.won_value.iter().map(|m| m.amount).sum();
                    (
                        r.name.as_str(),
                        (r.deals_created, r.deals_won, r.deals_lost, value),
                    )
                })
                .collect();
            assert_eq!(got_rows, want, "quarter {quarter_start}, team {team:?}");
            for r in &got.reps {
                let (_, w, l, _) = want[r.name.as_str()];
                assert_eq!(
                    r.win_rate.map(|x| (x.numerator, x.denominator)),
                    (w + l > 0).then_some((w, w + l))
                );
            }
            checked += got.reps.len();
        }
    }
    assert!(checked > 100, "{checked} agent-quarters checked");
    assert!(scope.analytics().verify().unwrap().consistent());
}
