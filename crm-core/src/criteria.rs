//! One criteria language (API.md "Criteria") for segments, list filters (`where`) and, later,
//! scoring rules: a tree of `all` / `any` / `not` groups over conditions (`field op value`),
//! typed by the fields it may use.
//!
//! A [`FieldDef`] says how a field reads in SQL: a column of the record's own table (the record
//! catalog's fields), its tags, or, for segments, a related record ("has at least one deal
//! with …"), a count of related records or the whole days since a time. [`Criteria::from_json`]
//! reads and checks a tree against a set of definitions, naming the JSON path of a fault;
//! `sql` compiles it to one SQL expression; [`text`] reads and writes the text form.

pub mod explain;
pub(crate) mod sql;
pub mod text;

use crate::catalog::{Field, FieldType, Operator};
use crate::error::{Error, Result};
use crate::time::{self, Timestamp};
use serde_json::{Map, Value};

/// The deepest a tree may nest: the root is level 1.
pub const MAX_DEPTH: usize = 12;
/// The most conditions a tree may hold.
pub const MAX_CONDITIONS: usize = 200;
/// The longest text value, in characters.
const MAX_TEXT: usize = 1_000;
/// The most values of an `in` / `notIn` list.
const MAX_LIST: usize = 1_000;
/// The most days of `lastNDays`, `withinDays` and day counts: a thousand years.
const MAX_DAYS: i64 = 366_000;

/// How a field reads in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The field's column on the record's own row.
    Column,
    /// An expression over the record's own row, for a value derived when read (a sent quote
    /// past its validity reads `expired`): `{row}` stands for the row, `{now}` for the
    /// milliseconds of "now".
    Derived(&'static str),
    /// A JSON array of strings in the field's column.
    Tags,
    /// A column of related rows: "has at least one with" (`equals`, `in`, ranges) or "has none
    /// with" (`notEquals`, `notIn`).
    Related(Related),
    /// How many related rows there are (never absent: 0 without any).
    Count(Related),
    /// Whole days from the time in the field's column to now; absent when the time is.
    DaysSince,
    /// Whole days from the newest related time (`Related::column`) to now; absent without rows.
    DaysSinceNewest(Related),
}

/// Rows of another table that belong to the record: `table.key = record.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Related {
    /// The table holding the related rows.
    pub table: &'static str,
    /// The column of `table` holding the record's `via`.
    pub key: &'static str,
    /// The record's column that `key` refers to: `id`, or a column naming another record
    /// (a lead's `customer_id`, for its customer's tickets).
    pub via: &'static str,
    /// The column a condition or a day count reads (for a count: unused).
    pub column: &'static str,
    /// The column `withinDays` counts back on.
    pub created: &'static str,
}

/// An option a count condition may carry beside `op` (`withinDays`, `status`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountOption {
    /// Only rows created in the last N days (N ≥ 1).
    WithinDays,
    /// Only rows with this status, one of the values.
    Status(&'static [&'static str]),
    /// Only rows with this pipeline id.
    PipelineId,
    /// Only rows with this stage id.
    StageId,
}

impl CountOption {
    /// Its name in JSON and in the text form.
    pub fn name(self) -> &'static str {
        match self {
            CountOption::WithinDays => "withinDays",
            CountOption::Status(_) => "status",
            CountOption::PipelineId => "pipelineId",
            CountOption::StageId => "stageId",
        }
    }
}

/// A field a criteria tree may use: its catalog entry (name, type, label, enumeration values)
/// and how it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The field's catalog entry.
    pub field: Field,
    /// How the field's value is read for a record.
    pub read: Read,
    /// The options a condition on it may carry (count fields only).
    pub options: &'static [CountOption],
}

impl FieldDef {
    /// A field of the record's own row, as the catalog declares it.
    pub const fn own(field: Field) -> FieldDef {
        FieldDef {
            field,
            read: match field.ty {
                FieldType::Tags => Read::Tags,
                _ => Read::Column,
            },
            options: &[],
        }
    }

    /// The operators a condition on it may use.
    pub fn operators(&self) -> &'static [Operator] {
        self.field.ty.operators()
    }
}

/// The definitions of a kind's own fields (what a list's `where` may use).
pub fn own_fields(fields: &[Field]) -> Vec<FieldDef> {
    fields.iter().map(|f| FieldDef::own(*f)).collect()
}

/// A list's `where`: criteria over the kind's own fields, checked when the request is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    criteria: Option<Criteria>,
    defs: Vec<FieldDef>,
    table: &'static str,
}

impl Where {
    /// Reads `where` (absent: every row) against `fields`, the kind's catalog, for rows of
    /// `table`.
    pub fn read(value: Option<&Value>, fields: &[Field], table: &'static str) -> Result<Where> {
        Where::read_defs(value, own_fields(fields), table)
    }

    /// [`Where::read`] against definitions of the kind's own row that are not all plain
    /// columns (derived values).
    pub fn read_defs(
        value: Option<&Value>,
        defs: Vec<FieldDef>,
        table: &'static str,
    ) -> Result<Where> {
        let criteria = value
            .map(|v| Criteria::from_json(v, &defs, "where"))
            .transpose()?;
        Ok(Where {
            criteria,
            defs,
            table,
        })
    }

    /// The SQL test of a row, binding its values after `params` (`1` without criteria).
    pub(crate) fn sql(&self, params: &mut Vec<crate::sql::Value>) -> Result<String> {
        match &self.criteria {
            None => Ok("TRUE".to_owned()),
            Some(c) => {
                sql::Compiler::new(&self.defs, self.table, time::now(), params).node(&c.root)
            }
        }
    }
}

/// A value a condition compares with, typed by its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// A text (compared ignoring case where the field says so).
    Text(String),
    /// A whole number (money in minor units, a count, a score).
    Number(i64),
    /// A moment in time.
    Time(Timestamp),
    /// True or false.
    Bool(bool),
}

/// What a condition compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// One value.
    One(Scalar),
    /// `in`, `notIn`.
    List(Vec<Scalar>),
    /// `between`, both ends included.
    Range(Scalar, Scalar),
    /// `lastNDays`: N ≥ 1.
    Days(i64),
    /// `null` with `equals` (the record has no value) or `notEquals` (it has one): a field of
    /// the record's own row.
    Missing,
}

/// The options of a count condition (API.md: `withinDays`, `status`, `pipelineId`, `stageId`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountOptions {
    /// Count only the related rows of the last this many days.
    pub within_days: Option<i64>,
    /// Count only the related rows in this status.
    pub status: Option<String>,
    /// Count only the deals of this pipeline.
    pub pipeline_id: Option<i64>,
    /// Count only the deals in this stage.
    pub stage_id: Option<i64>,
}

/// `field op value`, checked against its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The field compared: one of the kind's criteria fields.
    pub field: String,
    /// How it is compared.
    pub op: Operator,
    /// What it is compared with.
    pub value: Operand,
    /// A count condition's options (empty for others).
    pub options: CountOptions,
}

/// A criteria tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Every child holds (an empty `all` always holds).
    All(Vec<Node>),
    /// At least one child holds (an empty `any` never holds).
    Any(Vec<Node>),
    /// True where the node inside is false.
    Not(Box<Node>),
    /// One condition.
    Condition(Condition),
}

impl Node {
    /// The conditions of the tree, depth first.
    pub fn conditions(&self) -> Vec<&Condition> {
        fn walk<'a>(node: &'a Node, out: &mut Vec<&'a Condition>) {
            match node {
                Node::All(nodes) | Node::Any(nodes) => nodes.iter().for_each(|n| walk(n, out)),
                Node::Not(node) => walk(node, out),
                Node::Condition(c) => out.push(c),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// A checked criteria tree with the definitions of its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    /// The tree.
    pub root: Node,
}

impl Criteria {
    /// Reads a tree from JSON and checks it against `defs`; an error names the path of the
    /// fault under `path` (`criteria.all[2].any[0].value`).
    pub fn from_json(value: &Value, defs: &[FieldDef], path: &str) -> Result<Criteria> {
        let mut reader = Reader {
            defs,
            conditions: 0,
        };
        let root = reader.node(value, path, 1)?;
        Ok(Criteria { root })
    }

    /// The tree as JSON, in the shape [`Criteria::from_json`] reads.
    pub fn to_json(&self) -> Value {
        node_json(&self.root)
    }
}

fn node_json(node: &Node) -> Value {
    let group = |key: &str, nodes: &[Node]| {
        let mut m = Map::new();
        m.insert(
            key.into(),
            Value::Array(nodes.iter().map(node_json).collect()),
        );
        Value::Object(m)
    };
    match node {
        Node::All(nodes) => group("all", nodes),
        Node::Any(nodes) => group("any", nodes),
        Node::Not(node) => {
            let mut m = Map::new();
            m.insert("not".into(), node_json(node));
            Value::Object(m)
        }
        Node::Condition(c) => {
            let mut m = Map::new();
            m.insert("field".into(), Value::String(c.field.clone()));
            m.insert("op".into(), op_json(c.op));
            m.insert(
                "value".into(),
                match &c.value {
                    Operand::One(s) => scalar_json(s),
                    Operand::List(list) => Value::Array(list.iter().map(scalar_json).collect()),
                    Operand::Range(a, b) => Value::Array(vec![scalar_json(a), scalar_json(b)]),
                    Operand::Days(n) => Value::from(*n),
                    Operand::Missing => Value::Null,
                },
            );
            if let Some(n) = c.options.within_days {
                m.insert("withinDays".into(), Value::from(n));
            }
            if let Some(s) = &c.options.status {
                m.insert("status".into(), Value::String(s.clone()));
            }
            if let Some(id) = c.options.pipeline_id {
                m.insert("pipelineId".into(), Value::from(id));
            }
            if let Some(id) = c.options.stage_id {
                m.insert("stageId".into(), Value::from(id));
            }
            Value::Object(m)
        }
    }
}

fn op_json(op: Operator) -> Value {
    serde_json::to_value(op).unwrap_or(Value::Null)
}

fn scalar_json(s: &Scalar) -> Value {
    match s {
        Scalar::Text(t) => Value::String(t.clone()),
        Scalar::Number(n) => Value::from(*n),
        Scalar::Time(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        Scalar::Bool(b) => Value::Bool(*b),
    }
}

/// Reads JSON into a checked tree.
struct Reader<'d> {
    defs: &'d [FieldDef],
    conditions: usize,
}

impl Reader<'_> {
    fn node(&mut self, value: &Value, path: &str, depth: usize) -> Result<Node> {
        if depth > MAX_DEPTH {
            return Err(Error::invalid(
                path,
                format!("nested too deep: at most {MAX_DEPTH} levels"),
            ));
        }
        let Value::Object(map) = value else {
            return Err(Error::invalid(
                path,
                "must be an object: {\"all\": […]}, {\"any\": […]}, {\"not\": …} or a condition {\"field\", \"op\", \"value\"}",
            ));
        };
        for key in ["all", "any", "not"] {
            if let Some(inner) = map.get(key) {
                if map.len() > 1 {
                    let other = map.keys().find(|k| *k != key).map_or("", String::as_str);
                    return Err(Error::invalid(
                        format!("{path}.{other}"),
                        format!("a group holds only \"{key}\""),
                    ));
                }
                let inner_path = format!("{path}.{key}");
                if key == "not" {
                    return Ok(Node::Not(Box::new(self.node(
                        inner,
                        &inner_path,
                        depth + 1,
                    )?)));
                }
                let Value::Array(items) = inner else {
                    return Err(Error::invalid(inner_path, "must be a list of criteria"));
                };
                let nodes = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.node(item, &format!("{inner_path}[{i}]"), depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(if key == "all" {
                    Node::All(nodes)
                } else {
                    Node::Any(nodes)
                });
            }
        }
        self.condition(map, path).map(Node::Condition)
    }

    fn condition(&mut self, map: &Map<String, Value>, path: &str) -> Result<Condition> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(Error::invalid(
                path,
                format!("too many conditions: at most {MAX_CONDITIONS}"),
            ));
        }
        let at = |key: &str| format!("{path}.{key}");
        let name = match map.get("field") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(Error::invalid(at("field"), "must be a field name")),
            None => {
                return Err(Error::invalid(
                    path,
                    "a condition needs \"field\", \"op\" and \"value\" (or a group: \"all\", \"any\", \"not\")",
                ));
            }
        };
        let def = self
            .defs
            .iter()
            .find(|d| d.field.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.defs.iter().map(|d| d.field.name).collect();
                Error::invalid(
                    at("field"),
                    format!(
                        "unknown field {:?}; the fields are: {}",
                        crate::error::clip(name),
                        known.join(", ")
                    ),
                )
            })?;
        let op = match map.get("op") {
            Some(v @ Value::String(_)) => {
                serde_json::from_value::<Operator>(v.clone()).map_err(|_| {
                    Error::invalid(
                        at("op"),
                        format!(
                            "unknown operator {v}; {} takes: {}",
                            def.field.name,
                            op_names(def.operators())
                        ),
                    )
                })?
            }
            Some(_) => return Err(Error::invalid(at("op"), "must be an operator name")),
            None => return Err(Error::invalid(at("op"), "missing")),
        };
        if !def.operators().contains(&op) {
            return Err(Error::invalid(
                at("op"),
                format!(
                    "{} does not take {}; it takes: {}",
                    def.field.name,
                    op_names(&[op]),
                    op_names(def.operators())
                ),
            ));
        }
        let value = map
            .get("value")
            .ok_or_else(|| Error::invalid(at("value"), "missing"))?;
        let value = operand(def, op, value, &at("value"))?;
        let mut options = CountOptions::default();
        for (key, v) in map {
            if matches!(key.as_str(), "field" | "op" | "value") {
                continue;
            }
            let Some(option) = def.options.iter().find(|o| o.name() == key) else {
                let allowed: Vec<&str> = def.options.iter().map(|o| o.name()).collect();
                return Err(Error::invalid(
                    at(key),
                    if allowed.is_empty() {
                        format!(
                            "unknown key; a condition on {} takes field, op and value",
                            def.field.name
                        )
                    } else {
                        format!(
                            "unknown option; {} takes: {}",
                            def.field.name,
                            allowed.join(", ")
                        )
                    },
                ));
            };
            let path = at(key);
            match option {
                CountOption::WithinDays => options.within_days = Some(days(v, &path)?),
                CountOption::Status(values) => {
                    options.status = Some(enum_value(v, values, &path)?);
                }
                CountOption::PipelineId => options.pipeline_id = Some(id(v, &path)?),
                CountOption::StageId => options.stage_id = Some(id(v, &path)?),
            }
        }
        Ok(Condition {
            field: def.field.name.to_owned(),
            op,
            value,
            options,
        })
    }
}

fn op_names(ops: &[Operator]) -> String {
    ops.iter()
        .map(|o| op_json(*o).as_str().unwrap_or("?").to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value of a condition, checked against its field and operator.
fn operand(def: &FieldDef, op: Operator, value: &Value, path: &str) -> Result<Operand> {
    if value.is_null() && matches!(op, Operator::Equals | Operator::NotEquals) {
        return match def.read {
            Read::Column | Read::Derived(_) if def.field.ty != FieldType::Tags => {
                Ok(Operand::Missing)
            }
            _ => Err(Error::invalid(
                path,
                format!(
                    "null (no value) applies to a record's own fields; {} is never absent that way",
                    def.field.name
                ),
            )),
        };
    }
    match op {
        Operator::In | Operator::NotIn => {
            let Value::Array(items) = value else {
                return Err(Error::invalid(path, "must be a list of values"));
            };
            if items.is_empty() {
                return Err(Error::invalid(path, "must list at least one value"));
            }
            if items.len() > MAX_LIST {
                return Err(Error::invalid(
                    path,
                    format!("at most {MAX_LIST} values, got {}", items.len()),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, v)| scalar(def, v, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>>>()
                .map(Operand::List)
        }
        Operator::Between => match value {
            Value::Array(pair) if pair.len() == 2 => {
                let low = scalar(def, &pair[0], &format!("{path}[0]"))?;
                let high = scalar(def, &pair[1], &format!("{path}[1]"))?;
                if order(&low) > order(&high) {
                    return Err(Error::invalid(
                        path,
                        "the low end is above the high end ([low, high], both included)",
                    ));
                }
                Ok(Operand::Range(low, high))
            }
            _ => Err(Error::invalid(path, "must be [low, high]")),
        },
        Operator::LastNDays => days(value, path).map(Operand::Days),
        Operator::Contains | Operator::EndsWith => {
            let s = scalar(def, value, path)?;
            if matches!(&s, Scalar::Text(t) if t.is_empty()) {
                return Err(Error::invalid(path, "must not be empty"));
            }
            Ok(Operand::One(s))
        }
        _ => scalar(def, value, path).map(Operand::One),
    }
}

/// A sort key of a scalar, for checking `between`'s ends.
fn order(s: &Scalar) -> (i64, &str) {
    match s {
        Scalar::Number(n) => (*n, ""),
        Scalar::Time(t) => (time::to_millis(*t), ""),
        Scalar::Bool(b) => (i64::from(*b), ""),
        Scalar::Text(t) => (0, t.as_str()),
    }
}

/// One value of `def`'s type.
fn scalar(def: &FieldDef, value: &Value, path: &str) -> Result<Scalar> {
    let f = &def.field;
    match f.ty {
        FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Tags => match value {
            Value::String(s) => {
                if s.chars().count() > MAX_TEXT {
                    return Err(Error::invalid(
                        path,
                        format!("at most {MAX_TEXT} characters"),
                    ));
                }
                Ok(Scalar::Text(s.clone()))
            }
            _ => Err(Error::invalid(path, "must be a string")),
        },
        FieldType::Enum => enum_value(value, f.values, path).map(Scalar::Text),
        FieldType::Number | FieldType::Money => number(value, path).map(Scalar::Number),
        FieldType::Id => id(value, path).map(Scalar::Number),
        FieldType::Bool => match value {
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            _ => Err(Error::invalid(path, "must be true or false")),
        },
        FieldType::Time => match value {
            Value::String(s) => {
                let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                    Error::invalid(
                        path,
                        format!(
                            "not an RFC 3339 time: {:?} (e.g. 2026-01-31T00:00:00Z)",
                            crate::error::clip(s)
                        ),
                    )
                })?;
                time::check(path, time::truncate(t.to_utc())).map(Scalar::Time)
            }
            _ => Err(Error::invalid(
                path,
                "must be an RFC 3339 time string (e.g. 2026-01-31T00:00:00Z)",
            )),
        },
    }
}

fn number(value: &Value, path: &str) -> Result<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| Error::invalid(path, format!("must be a whole number, got {n}"))),
        _ => Err(Error::invalid(path, "must be a number")),
    }
}

fn id(value: &Value, path: &str) -> Result<i64> {
    let n = number(value, path)?;
    if n < 1 {
        return Err(Error::invalid(path, format!("an id is 1 or more, got {n}")));
    }
    Ok(n)
}

fn days(value: &Value, path: &str) -> Result<i64> {
    let n = number(value, path)?;
    if !(1..=MAX_DAYS).contains(&n) {
        return Err(Error::invalid(
            path,
            format!("a number of days from 1 to {MAX_DAYS}, got {n}"),
        ));
    }
    Ok(n)
}

fn enum_value(value: &Value, values: &[&str], path: &str) -> Result<String> {
    let Value::String(s) = value else {
        return Err(Error::invalid(
            path,
            format!("must be one of: {}", values.join(", ")),
        ));
    };
    values
        .iter()
        .find(|v| v.eq_ignore_ascii_case(s))
        .map(|v| (*v).to_owned())
        .ok_or_else(|| {
            Error::invalid(
                path,
                format!(
                    "{:?} is not one of: {}",
                    crate::error::clip(s),
                    values.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests;
