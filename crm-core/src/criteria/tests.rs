use super::*;
use crate::catalog::{FieldType, RecordKind};
use proptest::prelude::*;
use serde_json::json;

const STATUS: &[&str] = &["open", "pending", "closed"];

/// A small field set covering every type and way of reading.
fn defs() -> Vec<FieldDef> {
    let rel = Related {
        table: "tickets",
        key: "customer_id",
        via: "id",
        column: "status",
        created: "created_at",
    };
    vec![
        FieldDef::own(Field::new("name", "name", FieldType::Text, "Name")),
        FieldDef::own(Field::new("email", "email", FieldType::Email, "Email")),
        FieldDef::own(Field::new("tags", "tags", FieldType::Tags, "Tags")),
        FieldDef::own(Field::new(
            "churnRisk",
            "churn_risk",
            FieldType::Number,
            "Risk",
        )),
        FieldDef::own(Field::new(
            "createdAt",
            "created_at",
            FieldType::Time,
            "Created",
        )),
        FieldDef::own(Field::new("vip", "vip", FieldType::Bool, "VIP")),
        FieldDef::own(
            Field::new("ownerId", "owner_id", FieldType::Id, "Owner").refers(RecordKind::User),
        ),
        FieldDef::own(Field::new("status", "status", FieldType::Enum, "Status").values(STATUS)),
        FieldDef {
            field: Field::new("ticket.status", "status", FieldType::Enum, "Ticket").values(STATUS),
            read: Read::Related(rel),
            options: &[],
        },
        FieldDef {
            field: Field::new("ticket.count", "", FieldType::Number, "Tickets"),
            read: Read::Count(rel),
            options: &[CountOption::Status(STATUS), CountOption::WithinDays],
        },
    ]
}

#[allow(clippy::needless_pass_by_value)] // read(json!(…)) at every call
fn read(v: serde_json::Value) -> Result<Criteria> {
    Criteria::from_json(&v, &defs(), "criteria")
}

fn fault(v: serde_json::Value) -> (String, String) {
    match read(v) {
        Err(Error::InvalidInput { field, message }) => (field, message),
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

#[test]
fn a_fault_names_its_json_path() {
    let tree = json!({"all": [
        {"field": "churnRisk", "op": "gte", "value": 70},
        {"field": "name", "op": "contains", "value": "acme"},
        {"any": [{"field": "tags", "op": "in", "value": ["vip", 3]}]}
    ]});
    assert_eq!(fault(tree).0, "criteria.all[2].any[0].value[1]");
    assert_eq!(
        fault(json!({"all": [{"field": "nope", "op": "equals", "value": 1}]})).0,
        "criteria.all[0].field"
    );
    let (field, message) = fault(json!({"field": "churnRisk", "op": "contains", "value": 1}));
    assert_eq!(field, "criteria.op");
    assert!(message.contains("gte"), "{message}");
    assert_eq!(
        fault(json!({"field": "status", "op": "equals", "value": "lost"})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "churnRisk", "op": "between", "value": [9, 3]})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "churnRisk", "op": "equals", "value": 1.5})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "name", "op": "in", "value": []})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "name", "op": "contains", "value": ""})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "createdAt", "op": "after", "value": "10000-01-01T00:00:00Z"})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "createdAt", "op": "lastNDays", "value": 0})).0,
        "criteria.value"
    );
    assert_eq!(
        fault(json!({"field": "ticket.count", "op": "gte", "value": 1, "withinDays": -3})).0,
        "criteria.withinDays"
    );
    assert_eq!(
        fault(json!({"field": "churnRisk", "op": "gte", "value": 1, "withinDays": 3})).0,
        "criteria.withinDays"
    );
    assert_eq!(
        fault(json!({"all": [], "any": []})).0.rsplit('.').next(),
        Some("any")
    );
    assert_eq!(fault(json!([1])).0, "criteria");
    assert_eq!(fault(json!({"not": 3})).0, "criteria.not");
    assert_eq!(
        fault(json!({"field": "name", "value": "x"})).0,
        "criteria.op"
    );
}

#[test]
fn depth_and_size_are_bounded() {
    let mut deep = json!({"field": "churnRisk", "op": "gte", "value": 1});
    for _ in 0..(MAX_DEPTH - 1) {
        deep = json!({"not": deep});
    }
    assert!(read(deep.clone()).is_ok(), "12 levels are fine");
    let (field, message) = fault(json!({"not": deep}));
    assert!(message.contains("deep"), "{message}");
    assert!(field.starts_with("criteria.not.not"), "{field}");
    let many: Vec<_> = (0..=MAX_CONDITIONS)
        .map(|i| json!({"field": "churnRisk", "op": "gte", "value": i}))
        .collect();
    let (field, message) = fault(json!({"any": many}));
    assert_eq!(field, format!("criteria.any[{MAX_CONDITIONS}]"));
    assert!(message.contains("200"), "{message}");
}

#[test]
fn enum_values_are_read_in_any_case_and_kept_as_declared() {
    let c = read(json!({"field": "status", "op": "in", "value": ["OPEN", "Closed"]})).unwrap();
    assert_eq!(
        c.to_json(),
        json!({"field": "status", "op": "in", "value": ["open", "closed"]})
    );
}

#[test]
fn json_round_trips() {
    let tree = json!({"all": [
        {"field": "ticket.count", "op": "gte", "value": 3, "withinDays": 30, "status": "open"},
        {"not": {"field": "tags", "op": "in", "value": ["vip"]}},
        {"any": []},
        {"field": "createdAt", "op": "between", "value": ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]}
    ]});
    assert_eq!(read(tree.clone()).unwrap().to_json(), tree);
}

fn parse(text: &str) -> Result<Criteria> {
    text::parse(text, &defs(), "text")
}

fn text_fault(text: &str) -> String {
    match parse(text) {
        Err(Error::InvalidInput { field, message }) => {
            assert_eq!(field, "text");
            message
        }
        other => panic!("expected invalid_input for {text:?}, got {other:?}"),
    }
}

#[test]
fn the_contract_example_reads_as_its_tree() {
    let c = parse("churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])")
        .unwrap();
    assert_eq!(
        c.to_json(),
        json!({"all": [
            {"field": "churnRisk", "op": "gte", "value": 70},
            {"any": [
                {"field": "ticket.count", "op": "gte", "value": 3, "withinDays": 30},
                {"not": {"field": "tags", "op": "in", "value": ["vip"]}}
            ]}
        ]})
    );
    assert_eq!(
        text::format(&c),
        "churnRisk >= 70 and (ticket.count(withinDays: 30) >= 3 or not tags in [vip])"
    );
}

#[test]
fn text_errors_point_at_the_column() {
    // Columns count characters from 1: the é before the fault counts once.
    let m = text_fault(r#"name = "é" and nope = 3"#);
    assert!(m.starts_with("column 16:"), "{m}");
    assert!(m.contains("unknown field"), "{m}");
    let m = text_fault("churnRisk >= ");
    assert!(m.starts_with("column 14:"), "{m}");
    let m = text_fault("churnRisk >= 7 and");
    assert!(m.starts_with("column 19:"), "{m}");
    let m = text_fault("churnRisk ~ 7");
    assert!(m.starts_with("column 11:") && m.contains("operator"), "{m}");
    let m = text_fault("(churnRisk >= 7");
    assert!(m.starts_with("column 16:") && m.contains(')'), "{m}");
    let m = text_fault("churnRisk >= 7 churnRisk");
    assert!(m.starts_with("column 16:"), "{m}");
    let m = text_fault(r#"status = "lost""#);
    assert!(m.starts_with("column 10:") && m.contains("lost"), "{m}");
    let m = text_fault(&"(".repeat(40));
    assert!(m.contains("deep"), "{m}");
}

/// Values of each type for random trees.
fn condition() -> impl Strategy<Value = serde_json::Value> {
    let word = prop::sample::select(vec![
        "vip",
        "a b",
        "and",
        "Ünïcode",
        "x\"y",
        "-1",
        "or",
        "ö",
    ]);
    prop_oneof![
        (
            word.clone(),
            prop::sample::select(vec!["equals", "notEquals", "contains", "endsWith"])
        )
            .prop_map(|(w, op)| json!({"field": "name", "op": op, "value": w})),
        prop::collection::vec(word, 1..3)
            .prop_map(|ws| json!({"field": "tags", "op": "notIn", "value": ws})),
        (
            -5i64..200,
            prop::sample::select(vec!["gte", "lte", "equals"])
        )
            .prop_map(|(n, op)| json!({"field": "churnRisk", "op": op, "value": n})),
        (0i64..50, 50i64..100)
            .prop_map(|(a, b)| json!({"field": "churnRisk", "op": "between", "value": [a, b]})),
        (1i64..400).prop_map(|n| json!({"field": "createdAt", "op": "lastNDays", "value": n})),
        any::<bool>().prop_map(|b| json!({"field": "vip", "op": "equals", "value": b})),
        (1i64..9).prop_map(|n| json!({"field": "ownerId", "op": "in", "value": [n, n + 1]})),
        prop::sample::select(STATUS.to_vec())
            .prop_map(|s| json!({"field": "ticket.status", "op": "notEquals", "value": s})),
        (
            0i64..5,
            prop::option::of(1i64..90),
            prop::option::of(prop::sample::select(STATUS.to_vec()))
        )
            .prop_map(|(n, days, status)| {
                let mut c = json!({"field": "ticket.count", "op": "gte", "value": n});
                if let Some(d) = days {
                    c["withinDays"] = json!(d);
                }
                if let Some(s) = status {
                    c["status"] = json!(s);
                }
                c
            }),
        Just(json!({"field": "createdAt", "op": "after", "value": "2026-03-01T10:00:00.000Z"})),
    ]
}

fn tree() -> impl Strategy<Value = serde_json::Value> {
    condition().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"all": v})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"any": v})),
            inner.prop_map(|v| json!({"not": v})),
        ]
    })
}

proptest! {
    #[test]
    fn the_text_form_reads_back_as_the_same_tree(tree in tree()) {
        let criteria = read(tree).unwrap();
        let text = text::format(&criteria);
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, criteria, "{}", text);
    }
}
