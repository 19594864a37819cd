//! Lists you can work in, at 1,000,000 leads (`CRM_BENCH_LEADS` to change it): a sorted page of
//! 50, first and 10,000th, for every index-backed sort of leads, with and without a `where`; what
//! a sort without an index costs; `leads.assign` of 1,000 leads round-robin over 7 reps; lead
//! scoring with 20 rules (every lead scored by `scoring.setRules`, then by `leads.rescore` in
//! batches), and what keeping one lead's score current adds to the write that changed it.
//! p99s are printed and written to `target/criterion/lists-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench lists

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{percentiles, write_report};
use crm_core::Crm;
use crm_core::ids::{LeadId, TeamId, UserId};
use crm_core::leads::{Assign, AssignMode, LeadFilter, NewLead};
use crm_core::tenancy::{NewTeam, NewUser, Role};
use serde_json::json;
use std::hint::black_box;

fn leads() -> usize {
    std::env::var("CRM_BENCH_LEADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

const STATUSES: [&str; 5] = ["new", "contacted", "qualified", "unqualified", "converted"];

fn build(path: &std::path::Path, n: usize) -> (Crm, UserId, TeamId, Vec<UserId>) {
    let crm = Crm::open(path).unwrap();
    let admin = crm_benches::tenant(&crm, "bench");
    let scope = crm.scope("bench", Some(admin)).unwrap();
    let (team, reps) = scope
        .batch(|b| {
            let team = b
                .create_team(NewTeam {
                    external_id: None,
                    name: "Reps".into(),
                })?
                .id;
            let reps = (0..7)
                .map(|i| {
                    b.create_user(NewUser {
                        external_id: None,
                        name: format!("Rep {i}"),
                        email: format!("rep{i}@bench.test"),
                        role: Role::Agent,
                        team_ids: vec![team],
                    })
                    .map(|u| u.id)
                })
                .collect::<crm_core::Result<Vec<_>>>()?;
            Ok((team, reps))
        })
        .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for chunk in 0..n.div_ceil(10_000) {
        scope
            .batch(|b| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                    let r = next();
                    b.create_lead(NewLead {
                        name: format!(
                            "{} {i}",
                            ["Ana", "bo", "Émile", "Zoë", "carl"][(r % 5) as usize]
                        ),
                        email: Some(format!("lead{i}@x{}.test", r % 97)),
                        status: Some(STATUSES[(r >> 8) as usize % 5].parse().unwrap()),
                        score: Some(((r >> 16) % 101) as i64),
                        owner_id: (r % 3 != 0).then(|| reps[(r >> 24) as usize % 7]),
                        ..NewLead::default()
                    })?;
                }
                Ok(())
            })
            .unwrap();
    }
    (crm, admin, team, reps)
}

fn lists(c: &mut Criterion) {
    let n = leads();
    let dir = tempfile::tempdir().unwrap();
    let (crm, admin, team, _) = build(&dir.path().join("lists.db"), n);
    let scope = crm.scope("bench", Some(admin)).unwrap();
    let mut report = Vec::new();
    let mut group = c.benchmark_group(format!("lists@{n}"));
    group.sample_size(50);
    let hot = json!({"field": "status", "op": "in", "value": ["new", "contacted"]});
    let cases = [
        (
            "score desc",
            json!({"field": "score", "direction": "desc"}),
            None,
        ),
        (
            "score desc, where status in [new, contacted]",
            json!({"field": "score", "direction": "desc"}),
            Some(hot),
        ),
        ("name asc", json!({"field": "name"}), None),
        ("status asc", json!({"field": "status"}), None),
        ("ownerId asc", json!({"field": "ownerId"}), None),
        (
            "createdAt desc",
            json!({"field": "createdAt", "direction": "desc"}),
            None,
        ),
        (
            "updatedAt desc",
            json!({"field": "updatedAt", "direction": "desc"}),
            None,
        ),
    ];
    let depth = (n / 50).min(10_000) - 1;
    for (name, sort, criteria) in cases {
        let filter = |cursor: Option<String>| -> LeadFilter {
            serde_json::from_value(
                json!({"sort": sort, "where": criteria, "limit": 50, "cursor": cursor}),
            )
            .unwrap()
        };
        // The cursor of the 10,000th page, by walking there.
        let mut cursor = None;
        for _ in 0..depth {
            cursor = scope.leads().list(&filter(cursor)).unwrap().next_cursor;
        }
        for (at, cursor) in [("first", None), ("10,000th", cursor)] {
            let request = filter(cursor);
            let label = format!("page of 50 by {name}, {at}");
            group.bench_function(&label, |b| {
                b.iter(|| black_box(scope.leads().list(&request).unwrap()));
            });
            percentiles(&mut report, &label, 1_000, || {
                black_box(scope.leads().list(&request).unwrap());
            });
        }
    }
    // No index: the rows are sorted in a temporary b-tree, so the cost grows with the tenant.
    let request: LeadFilter =
        serde_json::from_value(json!({"sort": {"field": "email"}, "limit": 50})).unwrap();
    group.sample_size(10);
    group.bench_function("page of 50 by email (no index), first", |b| {
        b.iter(|| black_box(scope.leads().list(&request).unwrap()));
    });
    group.sample_size(20);
    let mut start = 0i64;
    let mut assign = || {
        let ids: Vec<LeadId> = (0..1_000)
            .map(|i| LeadId(1 + (start + i) % n as i64))
            .collect();
        start += 1_000;
        scope
            .leads()
            .assign(&Assign {
                lead_ids: ids,
                owner_id: None,
                team_id: Some(team),
                mode: Some(AssignMode::RoundRobin),
            })
            .unwrap()
    };
    group.bench_function("assign 1,000 leads round-robin over 7", |b| {
        b.iter(|| black_box(assign()));
    });
    percentiles(&mut report, "assign 1,000 leads round-robin", 50, || {
        black_box(assign());
    });
    scoring(&scope, n, &mut group, &mut report);
    group.finish();
    write_report("lists-percentiles.txt", &report);
}

/// Twenty rules over a lead's own fields and what it relates to.
fn rules() -> serde_json::Value {
    let mut rules = Vec::new();
    for (i, status) in STATUSES.iter().enumerate() {
        rules.push(
            json!({"name": format!("status {status}"), "points": 10 * i as i64 - 15,
            "where": {"field": "status", "op": "equals", "value": status}}),
        );
    }
    for (i, letter) in ["a", "o", "e", "i", "u"].iter().enumerate() {
        rules.push(
            json!({"name": format!("owned, {letter} in the name"), "points": 5 + i as i64,
            "where": {"all": [{"field": "ownerId", "op": "notEquals", "value": null},
                              {"field": "name", "op": "contains", "value": letter}]}}),
        );
    }
    for (i, domain) in ["x1.test", "x2.test", "x3.test", "x4.test", "x5.test"]
        .iter()
        .enumerate()
    {
        rules.push(
            json!({"name": format!("mail at {domain}"), "points": 12 - i as i64,
            "where": {"field": "email", "op": "endsWith", "value": domain}}),
        );
    }
    rules.push(json!({"name": "active", "points": 20,
        "where": {"field": "activity.count", "op": "gte", "value": 1, "withinDays": 30}}));
    rules.push(json!({"name": "called", "points": 15,
        "where": {"field": "call.count", "op": "gte", "value": 1}}));
    rules.push(json!({"name": "won a deal", "points": 25,
        "where": {"field": "deal.status", "op": "equals", "value": "won"}}));
    rules.push(json!({"name": "customer at risk", "points": -10,
        "where": {"field": "customer.churnRisk", "op": "gte", "value": 70}}));
    rules.push(json!({"name": "customer's open tickets", "points": -5,
        "where": {"field": "ticket.count", "op": "gte", "value": 2, "status": "open"}}));
    assert_eq!(rules.len(), 20);
    json!({"rules": rules})
}

fn scoring(
    scope: &crm_core::Scope<'_>,
    n: usize,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    report: &mut Vec<String>,
) {
    let started = std::time::Instant::now();
    let set = scope
        .scoring()
        .set_rules(serde_json::from_value(rules()).unwrap())
        .unwrap();
    let took = started.elapsed();
    let line = format!(
        "scoring.setRules, 20 rules: {} leads scored ({} changed) in {:.2?}, {:.0} leads/s",
        set.rescored,
        set.changed,
        took,
        set.rescored as f64 / took.as_secs_f64()
    );
    eprintln!("{line}");
    report.push(line);
    let started = std::time::Instant::now();
    let rescored = scope.leads().rescore_all(|_| {}).unwrap().rescored;
    let took = started.elapsed();
    let line = format!(
        "leads.rescore in batches of 10,000: {rescored} leads in {took:.2?}, {:.0} leads/s",
        rescored as f64 / took.as_secs_f64()
    );
    eprintln!("{line}");
    report.push(line);
    // One lead's change and the read that shows it: the read catches the score up.
    let mut i = 0u64;
    let mut change_and_read =
        |label: &str, group: &mut criterion::BenchmarkGroup<'_, _>, report: &mut Vec<String>| {
            let mut step = || {
                i += 1;
                let id = LeadId(1 + (i * 7_919) as i64 % n as i64);
                let status = STATUSES[(i % 5) as usize];
                scope
                    .leads()
                    .update(serde_json::from_value(json!({"id": id, "status": status})).unwrap())
                    .unwrap();
                black_box(scope.leads().get(id).unwrap());
            };
            group.bench_function(label, |b| b.iter(&mut step));
            percentiles(report, label, 1_000, &mut step);
        };
    change_and_read(
        "a lead's status changed, then read (20 rules: score kept current)",
        group,
        report,
    );
    scope
        .scoring()
        .set_rules(serde_json::from_value(json!({"rules": []})).unwrap())
        .unwrap();
    change_and_read(
        "a lead's status changed, then read (no rules)",
        group,
        report,
    );
}

criterion_group!(benches, lists);
criterion_main!(benches);
