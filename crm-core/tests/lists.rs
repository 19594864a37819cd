//! Sorted and filtered lists: every sortable field of leads and deals, both directions, with
//! and without a `where`, walked page by page while rows are inserted and updated between
//! pages, against a full sort computed here from the records' JSON.

mod common;

use crm_core::Crm;
use crm_core::catalog::RecordKind;
use crm_core::deals::{DealChanges, DealFilter, NewDeal, NewPipeline, NewStage, StageKind};
use crm_core::ids::{PipelineId, UserId};
use crm_core::leads::{LeadChanges, LeadFilter, NewLead};
use crm_core::schema::KindFields;
use crm_core::tenancy::{Role, Scope};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Names that tie in any case, across scripts.
const NAMES: &[&str] = &[
    "alpha", "Alpha", "ALPHA", "beta", "Émile", "émile", "Zoë", "zoë", "Ørsted", "ørsted", "ß",
    "Straße", "delta", "Δelta", "",
];

/// The most rows a walk lets the list grow to.
const MAX_ROWS: usize = 120;

struct World {
    crm: Crm,
    admin: UserId,
    owners: Vec<UserId>,
    pipeline: PipelineId,
    stages: Vec<i64>,
}

fn world() -> World {
    world_in(common::open())
}

fn world_in(crm: Crm) -> World {
    let admin = common::tenant(&crm, "a");
    let owners = vec![
        admin,
        common::user(&crm, "a", admin, Role::Agent),
        common::user(&crm, "a", admin, Role::Manager),
    ];
    // Another tenant's rows must never show up.
    let other = common::tenant(&crm, "b");
    let b = crm.scope("b", Some(other)).unwrap();
    for i in 0..5 {
        b.leads()
            .create(NewLead {
                name: format!("alpha {i}"),
                ..Default::default()
            })
            .unwrap();
    }
    let scope = crm.scope("a", Some(admin)).unwrap();
    let pipeline = scope
        .pipelines()
        .create(NewPipeline {
            external_id: None,
            name: "Sales".into(),
            stages: ["Lead", "Demo", "Won", "Lost"]
                .iter()
                .zip([
                    StageKind::Open,
                    StageKind::Open,
                    StageKind::Won,
                    StageKind::Lost,
                ])
                .map(|(name, kind)| NewStage {
                    name: (*name).into(),
                    position: None,
                    probability: 50,
                    kind,
                })
                .collect(),
        })
        .unwrap();
    World {
        crm,
        admin,
        owners,
        pipeline: pipeline.id,
        stages: pipeline.stages.iter().map(|s| s.id.0).collect(),
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn maybe<T>(rng: &mut ChaCha8Rng, value: T) -> Option<T> {
    rng.random_bool(0.7).then_some(value)
}

/// A time among a few, so that ties are common.
fn time(rng: &mut ChaCha8Rng) -> String {
    format!(
        "2026-0{}-0{}T10:00:00Z",
        rng.random_range(1..4),
        rng.random_range(1..4)
    )
}

fn lead_json(rng: &mut ChaCha8Rng, w: &World) -> Value {
    let email = format!("{}@x.test", pick(rng, &["a", "B", "c"]));
    let company = *pick(rng, NAMES);
    let owner = pick(rng, &w.owners).0;
    let source = *pick(rng, &["web", "Web", "fair"]);
    json!({
        "name": pick(rng, &NAMES[..NAMES.len() - 1]),
        "email": maybe(rng, email),
        "company": maybe(rng, company).filter(|c| !c.is_empty()),
        "status": pick(rng, &["new", "contacted", "qualified", "unqualified", "converted"]),
        "score": rng.random_range(0..5) * 20,
        "ownerId": maybe(rng, owner),
        "source": maybe(rng, source),
    })
}

fn deal_json(rng: &mut ChaCha8Rng) -> Value {
    let close = time(rng);
    json!({
        "title": pick(rng, &NAMES[..NAMES.len() - 1]),
        "value": rng.random_range(0..4) * 1000,
        "currency": pick(rng, &["USD", "EUR"]),
        "expectedCloseAt": maybe(rng, close),
    })
}

/// One kind's part of the test: create, update, list.
trait Kind {
    fn kind(&self) -> RecordKind;
    fn create(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>) -> Value;
    fn update(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>, id: i64);
    fn page(&self, s: &Scope<'_>, request: Value) -> (Vec<Value>, Option<String>);
    /// A `where` and the same test written here.
    fn filter(&self) -> (Value, fn(&Value) -> bool);
}

struct Leads;
struct Deals;

impl Kind for Leads {
    fn kind(&self) -> RecordKind {
        RecordKind::Lead
    }
    fn create(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>) -> Value {
        let mut new = lead_json(rng, w);
        new["createdAt"] = json!(time(rng));
        let new: NewLead = serde_json::from_value(new).unwrap();
        serde_json::to_value(s.leads().create(new).unwrap()).unwrap()
    }
    fn update(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>, id: i64) {
        let mut changes = lead_json(rng, w);
        changes["id"] = json!(id);
        let changes: LeadChanges = serde_json::from_value(changes).unwrap();
        s.leads().update(changes).unwrap();
    }
    fn page(&self, s: &Scope<'_>, request: Value) -> (Vec<Value>, Option<String>) {
        let filter: LeadFilter = serde_json::from_value(request).unwrap();
        let page = s.leads().list(&filter).unwrap();
        (
            page.items
                .iter()
                .map(|l| serde_json::to_value(l).unwrap())
                .collect(),
            page.next_cursor,
        )
    }
    fn filter(&self) -> (Value, fn(&Value) -> bool) {
        (
            json!({"any": [{"field": "status", "op": "in", "value": ["new", "qualified"]},
                           {"field": "score", "op": "gte", "value": 80}]}),
            |l| {
                ["new", "qualified"].contains(&l["status"].as_str().unwrap())
                    || l["score"].as_i64().unwrap() >= 80
            },
        )
    }
}

impl Kind for Deals {
    fn kind(&self) -> RecordKind {
        RecordKind::Deal
    }
    fn create(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>) -> Value {
        let mut new = deal_json(rng);
        new["pipelineId"] = json!(w.pipeline.0);
        new["stageId"] = json!(pick(rng, &w.stages));
        let owner = pick(rng, &w.owners).0;
        new["ownerId"] = json!(maybe(rng, owner));
        new["createdAt"] = json!(time(rng));
        let new: NewDeal = serde_json::from_value(new).unwrap();
        serde_json::to_value(s.deals().create(new).unwrap()).unwrap()
    }
    fn update(&self, rng: &mut ChaCha8Rng, w: &World, s: &Scope<'_>, id: i64) {
        if rng.random_bool(0.3) {
            let stage = pick(rng, &w.stages);
            // A move to the stage the deal is in is refused and changes nothing.
            let _ = s.deals().move_stage(
                serde_json::from_value(json!({"dealId": id, "stageId": stage})).unwrap(),
            );
            return;
        }
        let mut changes = deal_json(rng);
        changes["id"] = json!(id);
        let owner = pick(rng, &w.owners).0;
        changes["ownerId"] = json!(maybe(rng, owner));
        let changes: DealChanges = serde_json::from_value(changes).unwrap();
        s.deals().update(changes).unwrap();
    }
    fn page(&self, s: &Scope<'_>, request: Value) -> (Vec<Value>, Option<String>) {
        let filter: DealFilter = serde_json::from_value(request).unwrap();
        let page = s.deals().list(&filter).unwrap();
        (
            page.items
                .iter()
                .map(|d| serde_json::to_value(d).unwrap())
                .collect(),
            page.next_cursor,
        )
    }
    fn filter(&self) -> (Value, fn(&Value) -> bool) {
        (json!({"field": "value", "op": "gte", "value": 2000}), |d| {
            d["value"].as_i64().unwrap() >= 2000
        })
    }
}

/// The catalog's description of `kind`.
fn fields(s: &Scope<'_>, kind: RecordKind) -> KindFields {
    s.schema()
        .fields(&serde_json::from_value(json!({"kind": kind})).unwrap())
        .unwrap()
}

/// The sort key of a record's JSON: text in lower case, an enumeration by its position, other
/// values as they are; `None` when missing.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Text(String),
    Number(f64),
}

fn key(record: &Value, field: &str, values: Option<&[&str]>) -> Option<Key> {
    match &record[field] {
        Value::Null => None,
        Value::String(s) => Some(match values {
            Some(values) => Key::Number(values.iter().position(|v| v == s).unwrap() as f64),
            None => Key::Text(s.to_lowercase()),
        }),
        Value::Number(n) => Some(Key::Number(n.as_f64().unwrap())),
        Value::Bool(b) => Some(Key::Number(f64::from(u8::from(*b)))),
        other => panic!("no key in {other}"),
    }
}

/// The contract's order: missing values last in both directions, ties by id in the sort's
/// direction.
fn compare(a: &(Option<Key>, i64), b: &(Option<Key>, i64), desc: bool) -> Ordering {
    let by_key = match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap(),
    };
    let order = by_key.then(a.1.cmp(&b.1));
    if desc { order.reverse() } else { order }
}

fn walk(kind: &dyn Kind, w: &World, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = w.crm.scope("a", Some(w.admin)).unwrap();
    let mut ids: Vec<i64> = (0..rng.random_range(0..30))
        .map(|_| kind.create(&mut rng, w, &s)["id"].as_i64().unwrap())
        .collect();
    let catalog = fields(&s, kind.kind());
    for field in catalog.fields.iter().filter(|f| f.sortable) {
        let values: Option<Vec<&str>> = field.values.map(<[&str]>::to_vec);
        for desc in [false, true] {
            for filtered in [false, true] {
                let (criteria, test) = kind.filter();
                let mut touched: BTreeSet<i64> = BTreeSet::new();
                let mut walked: Vec<i64> = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let mut request = json!({
                        "sort": {"field": field.name, "direction": if desc { "desc" } else { "asc" }},
                        "limit": rng.random_range(1..=7),
                        "cursor": cursor,
                    });
                    if filtered {
                        request["where"] = criteria.clone();
                    }
                    let (items, next) = kind.page(&s, request);
                    walked.extend(items.iter().map(|r| r["id"].as_i64().unwrap()));
                    // Between pages: new rows, and changes to others (their sort keys too).
                    // Rows are added while the list stays small enough to walk often.
                    for _ in 0..rng
                        .random_range(0..3)
                        .min(MAX_ROWS.saturating_sub(ids.len()))
                    {
                        let id = kind.create(&mut rng, w, &s)["id"].as_i64().unwrap();
                        ids.push(id);
                        touched.insert(id);
                    }
                    for _ in 0..rng.random_range(0..3) {
                        if let Some(&id) = ids.get(rng.random_range(0..ids.len().max(1))) {
                            kind.update(&mut rng, w, &s, id);
                            touched.insert(id);
                        }
                    }
                    cursor = next;
                    if cursor.is_none() {
                        break;
                    }
                }
                // The oracle: every row now, in the contract's order, less those touched.
                let (all, more) = kind.page(&s, json!({"limit": 500}));
                assert!(more.is_none(), "the oracle reads one page");
                let mut want: Vec<(Option<Key>, i64)> = all
                    .iter()
                    .filter(|r| !filtered || test(r))
                    .filter(|r| !touched.contains(&r["id"].as_i64().unwrap()))
                    .map(|r| {
                        (
                            key(r, field.name, values.as_deref()),
                            r["id"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                want.sort_by(|a, b| compare(a, b, desc));
                let want: Vec<i64> = want.into_iter().map(|(_, id)| id).collect();
                let mut once = BTreeMap::new();
                // A row changed during the walk may move past the cursor and show again.
                for id in walked.iter().filter(|id| !touched.contains(id)) {
                    *once.entry(*id).or_insert(0) += 1;
                }
                let repeated: Vec<_> = once.iter().filter(|(_, n)| **n > 1).collect();
                assert!(
                    repeated.is_empty(),
                    "{:?} by {} desc={desc} where={filtered}: repeated {repeated:?}",
                    kind.kind(),
                    field.name
                );
                let got: Vec<i64> = walked
                    .into_iter()
                    .filter(|id| !touched.contains(id))
                    .collect();
                assert_eq!(
                    got,
                    want,
                    "{:?} by {} desc={desc} where={filtered}",
                    kind.kind(),
                    field.name
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(6)
    ))]

    #[test]
    fn sorted_pages_skip_and_repeat_nothing_while_rows_change(seed in any::<u64>()) {
        let w = world();
        walk(&Leads, &w, seed);
        walk(&Deals, &w, seed.wrapping_add(1));
    }
}

fn leads_page(
    s: &Scope<'_>,
    request: Value,
) -> crm_core::Result<crm_core::records::Page<crm_core::leads::Lead>> {
    s.leads().list(&serde_json::from_value(request).unwrap())
}

#[test]
fn a_bad_sort_or_a_cursor_of_another_sort_names_the_field() {
    let w = world();
    let s = w.crm.scope("a", Some(w.admin)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5 {
        Leads.create(&mut rng, &w, &s);
    }
    for (sort, why) in [
        (json!({"field": "nope"}), "unknown field"),
        (json!({"field": "phone"}), "cannot be sorted"),
    ] {
        let error = leads_page(&s, json!({"sort": sort})).unwrap_err();
        assert_eq!(error.code(), "invalid_input");
        assert_eq!(error.field(), Some("sort.field"));
        assert!(error.to_string().contains(why), "{error}");
    }
    let page = leads_page(&s, json!({"sort": {"field": "score"}, "limit": 2})).unwrap();
    let cursor = page.next_cursor.unwrap();
    for other in [
        json!({"field": "score", "direction": "desc"}),
        json!({"field": "name"}),
        Value::Null,
    ] {
        let error = leads_page(&s, json!({"sort": other, "cursor": cursor})).unwrap_err();
        assert_eq!(error.field(), Some("cursor"), "{other}");
    }
    // A cursor of leads is not one of deals.
    let error = s
        .deals()
        .list(
            &serde_json::from_value(json!({"sort": {"field": "score"}, "cursor": cursor})).unwrap(),
        )
        .unwrap_err();
    assert_eq!(error.field(), Some("sort.field"));
    let error = s
        .deals()
        .list(&serde_json::from_value(json!({"cursor": cursor})).unwrap())
        .unwrap_err();
    assert_eq!(error.field(), Some("cursor"));
}

#[test]
fn previous_pages_read_back_the_same_rows_in_a_sorted_list() {
    let w = world();
    let s = w.crm.scope("a", Some(w.admin)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..40 {
        Leads.create(&mut rng, &w, &s);
    }
    for field in ["email", "status", "score", "ownerId", "source"] {
        for direction in ["asc", "desc"] {
            let sort = json!({"field": field, "direction": direction});
            let mut pages = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page =
                    leads_page(&s, json!({"sort": sort, "limit": 6, "cursor": cursor})).unwrap();
                pages.push(page.clone());
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            for pair in pages.windows(2) {
                let back = leads_page(
                    &s,
                    json!({"sort": sort, "limit": 6, "cursor": pair[1].prev_cursor}),
                )
                .unwrap();
                assert_eq!(back.items, pair[0].items, "{field} {direction}");
            }
            let total: usize = pages.iter().map(|p| p.items.len()).sum();
            assert_eq!(total, 40, "{field} {direction}");
        }
    }
}

#[test]
fn quotes_filter_on_the_status_they_show_and_sort_by_total() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let w = world_in(Crm::open(&path).unwrap());
    let s = w.crm.scope("a", Some(w.admin)).unwrap();
    let deal = s
        .deals()
        .create(
            serde_json::from_value(
                json!({"pipelineId": w.pipeline.0, "title": "D", "value": 0, "currency": "USD"}),
            )
            .unwrap(),
        )
        .unwrap();
    let mut ids = Vec::new();
    for price in [500, 100, 300] {
        let quote = s
            .quotes()
            .create(
                serde_json::from_value(json!({
                    "dealId": deal.id.0,
                    "validUntil": "2999-01-01T00:00:00Z",
                    "lines": [{"description": "x", "quantity": 1, "unitPrice": price}],
                }))
                .unwrap(),
            )
            .unwrap();
        s.quotes()
            .send(
                serde_json::from_value::<crm_core::quotes::lifecycle::SendQuote>(
                    json!({"id": quote.id.0}),
                )
                .unwrap(),
            )
            .unwrap();
        ids.push(quote.id.0);
    }
    // The second lapses: its validity passes without a refresh writing it down.
    crm_core::store::raw_connection(&path)
        .unwrap()
        .execute(
            "UPDATE quotes SET valid_until = 1000 WHERE id = ?1",
            [ids[1]],
        )
        .unwrap();
    let list = |request: Value| -> Vec<i64> {
        s.quotes()
            .list(&serde_json::from_value(request).unwrap())
            .unwrap()
            .items
            .iter()
            .map(|q| q.id.0)
            .collect()
    };
    let expired = json!({"field": "status", "op": "equals", "value": "expired"});
    assert_eq!(list(json!({"where": expired})), vec![ids[1]]);
    let sent = json!({"field": "status", "op": "equals", "value": "sent"});
    assert_eq!(
        list(json!({"where": sent, "sort": {"field": "total"}})),
        vec![ids[2], ids[0]]
    );
    assert_eq!(
        list(json!({"sort": {"field": "total", "direction": "desc"}})),
        vec![ids[0], ids[2], ids[1]]
    );
    let error = s
        .quotes()
        .list(&serde_json::from_value(json!({"sort": {"field": "status"}})).unwrap())
        .unwrap_err();
    assert_eq!(error.field(), Some("sort.field"));
    let fields = fields(&s, RecordKind::Quote);
    assert!(
        fields
            .fields
            .iter()
            .any(|f| f.name == "total" && f.sortable)
    );
}

#[test]
fn null_finds_the_records_without_a_value_and_reads_back_in_text() {
    let w = world();
    let s = w.crm.scope("a", Some(w.admin)).unwrap();
    let owned = s
        .leads()
        .create(serde_json::from_value(json!({"name": "Owned", "ownerId": w.admin.0})).unwrap())
        .unwrap();
    let free = s
        .leads()
        .create(serde_json::from_value(json!({"name": "Free"})).unwrap())
        .unwrap();
    let ids = |criteria: Value| -> Vec<i64> {
        leads_page(&s, json!({"where": criteria}))
            .unwrap()
            .items
            .iter()
            .map(|l| l.id.0)
            .collect()
    };
    assert_eq!(
        ids(json!({"field": "ownerId", "op": "equals", "value": null})),
        [free.id.0]
    );
    assert_eq!(
        ids(json!({"field": "ownerId", "op": "notEquals", "value": null})),
        [owned.id.0]
    );
    assert_eq!(
        ids(json!({"not": {"field": "email", "op": "equals", "value": null}})),
        Vec::<i64>::new()
    );
    // The text form reads and writes it; a quoted "null" stays a word.
    let both = s
        .segments()
        .parse(
            &serde_json::from_value(json!({"text": "email = null and name != \"null\""})).unwrap(),
        )
        .unwrap();
    assert_eq!(both.text, "email = null and name != \"null\"");
    assert_eq!(
        both.criteria["all"][0],
        json!({"field": "email", "op": "equals", "value": null})
    );
    // Related records are never absent that way; other operators take no null.
    for (criteria, field) in [
        (
            json!({"field": "ticket.count", "op": "equals", "value": null}),
            "criteria.value",
        ),
        (
            json!({"field": "email", "op": "contains", "value": null}),
            "criteria.value",
        ),
    ] {
        let e = s
            .segments()
            .preview(&serde_json::from_value(json!({"criteria": criteria})).unwrap())
            .unwrap_err();
        assert_eq!(e.field(), Some(field), "{e}");
    }
}
