//! Why a tree holds or not for one record: each node's result and what each condition saw
//! (segments' `explain`, a lead score's rules).

use super::sql::Compiler;
use super::{Condition, Criteria, FieldDef, Node, Read};
use crate::error::{Error, Result};
use crate::sql::Connection;
use crate::sql::Value;
use crate::time::{self, Timestamp};

/// Each node's result for one customer, and what each condition saw: one statement reading
/// every condition's result and value for that customer's row.
/// Evaluates `criteria` on row `id` of `table` (defined by `defs`) in this tenant: whether it
/// holds, and the tree with each node's `result` and each condition's `seen` value.
pub(crate) fn explain(
    conn: &Connection,
    defs: &[FieldDef],
    table: &str,
    tenant: i64,
    id: i64,
    criteria: &Criteria,
    now: Timestamp,
) -> Result<(bool, serde_json::Value)> {
    let conditions = criteria.root.conditions();
    let mut params = vec![Value::Integer(tenant), Value::Integer(id)];
    let mut columns = Vec::new();
    for c in &conditions {
        let mut compiler = Compiler::new(defs, "r", now, &mut params);
        let result = compiler.condition(c)?;
        let seen = compiler.seen(c)?;
        columns.push(result);
        columns.push(seen);
    }
    let mut results: Vec<(bool, serde_json::Value)> = Vec::with_capacity(conditions.len());
    if !conditions.is_empty() {
        let sql = format!(
            "SELECT {} FROM {table} r WHERE r.tenant_id = ?1 AND r.id = ?2",
            columns.join(", ")
        );
        conn.prepare(&sql)?.query_row(&params, |row| {
            for (i, c) in conditions.iter().enumerate() {
                let result: i64 = row.get(2 * i)?;
                let seen: Value = row.get(2 * i + 1)?;
                results.push((result != 0, seen_json(defs, c, seen)));
            }
            Ok(())
        })?;
    }
    let mut next = results.into_iter();
    why(&criteria.root, &mut next)
}

/// What a condition saw, as JSON: times as RFC 3339, tags and related values as lists.
fn seen_json(defs: &[FieldDef], c: &Condition, seen: Value) -> serde_json::Value {
    let def = defs.iter().find(|d| d.field.name == c.field);
    let parse_list = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    match (seen, def.map(|d| (d.read, d.field.ty))) {
        (Value::Null | Value::Blob(_) | Value::Array(_), _) => serde_json::Value::Null,
        (Value::Integer(ms), Some((Read::Column, crate::catalog::FieldType::Time))) => {
            serde_json::Value::String(
                time::from_millis(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )
        }
        (Value::Text(t), Some((Read::Tags | Read::Related(_), _))) => parse_list(&t),
        (Value::Integer(n), _) => serde_json::Value::from(n),
        (Value::Real(x), _) => serde_json::Value::from(x),
        (Value::Text(t), _) => serde_json::Value::String(t),
    }
}

/// The explanation of `node`, reading its conditions' results in order from `results`.
fn why(
    node: &Node,
    results: &mut std::vec::IntoIter<(bool, serde_json::Value)>,
) -> Result<(bool, serde_json::Value)> {
    let mut group = |key: &str, nodes: &[Node], all: bool| -> Result<(bool, serde_json::Value)> {
        let mut items = Vec::new();
        let mut result = all;
        for n in nodes {
            let (r, j) = why(n, results)?;
            result = if all { result && r } else { result || r };
            items.push(j);
        }
        let mut m = serde_json::Map::new();
        m.insert(key.into(), serde_json::Value::Array(items));
        m.insert("result".into(), serde_json::Value::Bool(result));
        Ok((result, serde_json::Value::Object(m)))
    };
    match node {
        Node::All(nodes) => group("all", nodes, true),
        Node::Any(nodes) => group("any", nodes, false),
        Node::Not(inner) => {
            let (r, j) = why(inner, results)?;
            let mut m = serde_json::Map::new();
            m.insert("not".into(), j);
            m.insert("result".into(), serde_json::Value::Bool(!r));
            Ok((!r, serde_json::Value::Object(m)))
        }
        Node::Condition(c) => {
            let (result, seen) = results
                .next()
                .ok_or_else(|| Error::Internal("explain: a condition without a result".into()))?;
            let mut j = Criteria {
                root: Node::Condition(c.clone()),
            }
            .to_json();
            if let serde_json::Value::Object(m) = &mut j {
                m.insert("result".into(), serde_json::Value::Bool(result));
                m.insert("seen".into(), seen);
            }
            Ok((result, j))
        }
    }
}
