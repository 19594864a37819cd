//! A criteria tree compiled to one SQL expression over a record's row: `1` where it holds, `0`
//! where it does not, never NULL, so `NOT` and the groups keep two-valued logic. A condition on
//! a value the record lacks is `0`, except `notEquals` / `notIn`, which are `1` (API.md).
//!
//! Text compares in lower case (`crm_lower`, Unicode, registered on every connection); related
//! records are read by correlated subqueries on `(tenant_id, <key>)` indexes; times are
//! milliseconds, and "days since" is floored whole 24-hour periods counted from `now`.

use super::{Condition, CountOptions, FieldDef, Node, Operand, Read, Related, Scalar};
use crate::catalog::{FieldType, Operator};
use crate::error::{Error, Result};
use crate::sql::Value;
use crate::time::{self, Timestamp};
use std::fmt::Write as _;

const DAY_MS: i64 = 86_400_000;

/// Compiles trees for rows named `row` (a table or an alias with `tenant_id` and `id`),
/// appending the values it binds to `params` as numbered parameters (`?N` is `params[N-1]`).
#[derive(Debug)]
pub struct Compiler<'a> {
    defs: &'a [FieldDef],
    row: &'a str,
    now: i64,
    params: &'a mut Vec<Value>,
}

impl<'a> Compiler<'a> {
    /// A compiler over `row`, with "now" at `now` for `lastNDays`, `withinDays` and day counts.
    pub fn new(
        defs: &'a [FieldDef],
        row: &'a str,
        now: Timestamp,
        params: &'a mut Vec<Value>,
    ) -> Self {
        Compiler {
            defs,
            row,
            now: time::to_millis(now),
            params,
        }
    }

    fn bind(&mut self, value: Value) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    /// The expression of a whole tree.
    pub fn node(&mut self, node: &Node) -> Result<String> {
        Ok(match node {
            Node::All(nodes) if nodes.is_empty() => "TRUE".into(),
            Node::Any(nodes) if nodes.is_empty() => "FALSE".into(),
            Node::All(nodes) | Node::Any(nodes) => {
                let glue = if matches!(node, Node::All(_)) {
                    " AND "
                } else {
                    " OR "
                };
                // SQLite stops at the first false of an AND and the first true of an OR, left
                // to right: cheap tests of the row itself go before subqueries over related
                // records. The result is the same in any order.
                let mut ordered: Vec<&Node> = nodes.iter().collect();
                ordered.sort_by_key(|n| self.cost(n));
                let parts = ordered
                    .into_iter()
                    .map(|n| self.node(n))
                    .collect::<Result<Vec<_>>>()?;
                format!("({})", parts.join(glue))
            }
            Node::Not(inner) => format!("(NOT {})", self.node(inner)?),
            Node::Condition(c) => self.condition(c)?,
        })
    }

    /// How dear a node is to evaluate: 0 for the row's own columns, 1 for its tags or a day
    /// count of its own, 2 for anything reading related records.
    fn cost(&self, node: &Node) -> u8 {
        match node {
            Node::All(nodes) | Node::Any(nodes) => {
                nodes.iter().map(|n| self.cost(n)).max().unwrap_or(0)
            }
            Node::Not(inner) => self.cost(inner),
            Node::Condition(c) => match self.def(c).map(|d| d.read) {
                Ok(Read::Column | Read::Derived(_)) => 0,
                Ok(Read::Tags | Read::DaysSince) => 1,
                _ => 2,
            },
        }
    }

    fn def(&self, c: &Condition) -> Result<FieldDef> {
        self.defs
            .iter()
            .find(|d| d.field.name == c.field)
            .copied()
            .ok_or_else(|| Error::Internal(format!("criteria field {} has no definition", c.field)))
    }

    /// The expression of one condition (0 or 1).
    pub fn condition(&mut self, c: &Condition) -> Result<String> {
        let def = self.def(c)?;
        let row = self.row;
        let ty = def.field.ty;
        let column = def.field.column;
        Ok(match def.read {
            Read::Column => {
                let value = if is_text(ty) {
                    format!("crm_lower({row}.{column})")
                } else {
                    format!("{row}.{column}")
                };
                self.compare(&value, c, ty)
            }
            Read::Derived(expr) => {
                let value = self.derived(expr);
                let value = if is_text(ty) {
                    format!("crm_lower({value})")
                } else {
                    value
                };
                self.compare(&value, c, ty)
            }
            Read::DaysSince => {
                let t = format!("{row}.{column}");
                let value = self.days_since(&t);
                self.compare(&value, c, FieldType::Number)
            }
            Read::DaysSinceNewest(rel) => {
                let value = self.days_since_newest(rel);
                self.compare(&value, c, FieldType::Number)
            }
            Read::Count(rel) => {
                let value = self.count(rel, &c.options);
                self.compare(&value, c, FieldType::Number)
            }
            Read::Tags => {
                let tag_is = match (&c.op, &c.value) {
                    (_, Operand::One(s)) => format!("= {}", self.scalar(s, ty)),
                    (_, Operand::List(list)) => format!("IN ({})", self.list(list, ty)),
                    _ => return Err(unsupported(c)),
                };
                let exists = format!(
                    "EXISTS (SELECT 1 FROM json_each({row}.{column}) WHERE crm_lower(value) {tag_is})"
                );
                if c.op == Operator::NotIn || c.op == Operator::NotEquals {
                    format!("(NOT {exists})")
                } else {
                    exists
                }
            }
            Read::Related(rel) => {
                let negative = matches!(c.op, Operator::NotEquals | Operator::NotIn);
                // "Has none with": the positive test under NOT EXISTS.
                let op = match c.op {
                    Operator::NotEquals => Operator::Equals,
                    Operator::NotIn => Operator::In,
                    op => op,
                };
                let positive = Condition { op, ..c.clone() };
                let value = if is_text(ty) {
                    format!("crm_lower(x.{})", rel.column)
                } else {
                    format!("x.{}", rel.column)
                };
                let test = self.compare(&value, &positive, ty);
                let exists = format!(
                    "EXISTS (SELECT 1 FROM {} x WHERE {} AND {test})",
                    rel.table,
                    self.belongs(rel)
                );
                if negative {
                    format!("(NOT {exists})")
                } else {
                    exists
                }
            }
        })
    }

    /// What a condition looked at, for `explain`: the value, the tags, the related values (as
    /// a JSON array) or the count.
    pub fn seen(&mut self, c: &Condition) -> Result<String> {
        let def = self.def(c)?;
        let row = self.row;
        let column = def.field.column;
        Ok(match def.read {
            Read::Column | Read::Tags => format!("{row}.{column}"),
            Read::Derived(expr) => self.derived(expr),
            Read::DaysSince => self.days_since(&format!("{row}.{column}")),
            Read::DaysSinceNewest(rel) => self.days_since_newest(rel),
            Read::Count(rel) => self.count(rel, &c.options),
            Read::Related(rel) => format!(
                "(SELECT json_group_array(x.{}) FROM {} x WHERE {})",
                rel.column,
                rel.table,
                self.belongs(rel)
            ),
        })
    }

    /// A derived value's expression over this row at this compiler's "now".
    fn derived(&self, expr: &str) -> String {
        expr.replace("{row}", self.row)
            .replace("{now}", &self.now.to_string())
    }

    /// `x` (a related row) belongs to the record.
    fn belongs(&self, rel: Related) -> String {
        let row = self.row;
        format!(
            "x.tenant_id = {row}.tenant_id AND x.{} = {row}.{}",
            rel.key, rel.via
        )
    }

    fn count(&mut self, rel: Related, options: &CountOptions) -> String {
        let mut sql = format!(
            "(SELECT COUNT(*) FROM {} x WHERE {}",
            rel.table,
            self.belongs(rel)
        );
        if let Some(status) = &options.status {
            let p = self.bind(Value::Text(status.clone()));
            let _ = write!(sql, " AND x.status = {p}");
        }
        if let Some(id) = options.pipeline_id {
            let p = self.bind(Value::Integer(id));
            let _ = write!(sql, " AND x.pipeline_id = {p}");
        }
        if let Some(id) = options.stage_id {
            let p = self.bind(Value::Integer(id));
            let _ = write!(sql, " AND x.stage_id = {p}");
        }
        if let Some(days) = options.within_days {
            let p = self.bind(Value::Integer(self.now - days * DAY_MS));
            let _ = write!(sql, " AND x.{} >= {p}", rel.created);
        }
        sql.push(')');
        sql
    }

    /// Whole days from the newest related row's time to now; NULL without one. One
    /// aggregate over the related rows (the engines compute the repeated `MAX` once): Citus
    /// refuses a correlated subquery inside a subquery without `FROM`, the obvious way to
    /// name the newest time once.
    fn days_since_newest(&mut self, rel: Related) -> String {
        let belongs = self.belongs(rel);
        let days = self.days_since(&format!("MAX(x.{})", rel.column));
        format!("(SELECT {days} FROM {} x WHERE {belongs})", rel.table)
    }

    /// Whole days (floored) from the time `t` to now; NULL when `t` is.
    fn days_since(&mut self, t: &str) -> String {
        let now = self.bind(Value::Integer(self.now));
        format!(
            "(CASE WHEN {t} IS NULL THEN NULL WHEN {t} <= {now} THEN ({now} - {t}) / {DAY_MS} \
             ELSE -((({t} - {now}) + {}) / {DAY_MS}) END)",
            DAY_MS - 1
        )
    }

    /// `value op operand` with the contract's null semantics.
    fn compare(&mut self, value: &str, c: &Condition, ty: FieldType) -> String {
        let (test, if_absent) = match (&c.op, &c.value) {
            (Operator::Equals, Operand::Missing) => (format!("{value} IS NULL"), 0),
            (Operator::NotEquals, Operand::Missing) => (format!("{value} IS NOT NULL"), 0),
            (Operator::Equals, Operand::One(s)) => (format!("{value} = {}", self.scalar(s, ty)), 0),
            (Operator::NotEquals, Operand::One(s)) => {
                (format!("{value} <> {}", self.scalar(s, ty)), 1)
            }
            (Operator::In, Operand::List(l)) => (format!("{value} IN ({})", self.list(l, ty)), 0),
            (Operator::NotIn, Operand::List(l)) => {
                (format!("{value} NOT IN ({})", self.list(l, ty)), 1)
            }
            (Operator::Contains, Operand::One(s)) => {
                (format!("instr({value}, {}) > 0", self.scalar(s, ty)), 0)
            }
            (Operator::EndsWith, Operand::One(Scalar::Text(t))) => {
                let lower = t.to_lowercase();
                let len = self.bind(Value::Integer(lower.chars().count() as i64));
                let p = self.bind(Value::Text(lower));
                // The last `len` characters, counted from the start: a negative start means
                // something else in each engine. A value shorter than `len` never equals `p`.
                (
                    format!("substr({value}, length({value}) - {len} + 1) = {p}"),
                    0,
                )
            }
            (Operator::Gte, Operand::One(s)) => (format!("{value} >= {}", self.scalar(s, ty)), 0),
            (Operator::Lte, Operand::One(s)) => (format!("{value} <= {}", self.scalar(s, ty)), 0),
            (Operator::After, Operand::One(s)) => (format!("{value} > {}", self.scalar(s, ty)), 0),
            (Operator::Before, Operand::One(s)) => (format!("{value} < {}", self.scalar(s, ty)), 0),
            (Operator::Between, Operand::Range(a, b)) => {
                let (a, b) = (self.scalar(a, ty), self.scalar(b, ty));
                (format!("{value} BETWEEN {a} AND {b}"), 0)
            }
            (Operator::LastNDays, Operand::Days(n)) => {
                let p = self.bind(Value::Integer(self.now - n * DAY_MS));
                (format!("{value} >= {p}"), 0)
            }
            // The reader never pairs an operator with another shape of value.
            _ => ("NULL".to_owned(), 0),
        };
        let if_absent = if if_absent == 1 { "TRUE" } else { "FALSE" };
        format!("COALESCE({test}, {if_absent})")
    }

    fn scalar(&mut self, s: &Scalar, ty: FieldType) -> String {
        let value = match s {
            Scalar::Text(t) if is_text(ty) => Value::Text(t.to_lowercase()),
            Scalar::Text(t) => Value::Text(t.clone()),
            Scalar::Number(n) => Value::Integer(*n),
            Scalar::Time(t) => Value::Integer(time::to_millis(*t)),
            Scalar::Bool(b) => Value::Integer(i64::from(*b)),
        };
        self.bind(value)
    }

    fn list(&mut self, list: &[Scalar], ty: FieldType) -> String {
        list.iter()
            .map(|s| self.scalar(s, ty))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether values of this type compare as text, ignoring case.
fn is_text(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Tags
    )
}

fn unsupported(c: &Condition) -> Error {
    Error::Internal(format!("criteria: no SQL for {:?} on {}", c.op, c.field))
}
