//! `export.run` (API.md "Import and export"): a list — a kind with its `where`, `sort` and
//! columns, or a segment's members — written to a CSV or JSON Lines file.
//!
//! The rows are read a page at a time through the kind's own list (so the caller's tenant and
//! role apply exactly as they do to lists) and written to a temporary file beside the target,
//! which takes the target's name only when every row is written: a failed export leaves no
//! half file. CSV cells are what a person reads (tags joined by `; `, money in major units,
//! RFC 3339 times) and read back by `import.run` as they were written.
//!
//! **Spreadsheet formulas**: a CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is written with a `'` before it (OWASP's advice against CSV injection), so a
//! spreadsheet shows it as text instead of running it; a cell beginning with `'` gets one more,
//! so that import, which drops that one `'`, reads back exactly what was exported.
//! `defuse: false` writes cells as they are, for a machine reader.

use crate::catalog::{Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::SegmentId;
use crate::records::{MAX_LIMIT, Sort};
use crate::tenancy::Scope;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

pub use crate::import::{Format, defuse};

/// What `export.run` takes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRequest {
    /// A kind a view may list (`customer`, `lead`, `deal`, `ticket`, …)…
    pub kind: Option<RecordKind>,
    /// …or a segment, whose members (customers) are written.
    pub segment_id: Option<SegmentId>,
    /// The list's criteria (a kind only).
    #[serde(default)]
    pub r#where: Option<Value>,
    /// The list's order (a kind only).
    #[serde(default)]
    pub sort: Option<Sort>,
    /// The fields written, in order; every field of the kind when empty.
    #[serde(default)]
    pub columns: Vec<String>,
    /// CSV or JSON Lines.
    pub format: Format,
    /// The file written (replaced if it exists).
    pub path: String,
    /// Whether CSV cells that a spreadsheet would run as formulas are defused; `true` when
    /// absent.
    pub defuse: Option<bool>,
}

/// What `export.run` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    /// How many rows were written.
    pub rows: u64,
}

/// `export.*`.
#[derive(Debug, Clone, Copy)]
pub struct Export<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Exports of this tenant's lists.
    pub fn export(&self) -> Export<'_, 'c> {
        Export(self)
    }
}

impl Export<'_, '_> {
    /// Writes the list to `path`.
    pub fn run(&self, request: &ExportRequest) -> Result<Exported> {
        let path = Path::new(&request.path);
        if path.is_dir() {
            return Err(Error::invalid(
                "path",
                format!("{} is a folder, not a file", path.display()),
            ));
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(Error::invalid(
                "path",
                format!("the folder {} does not exist", folder.display()),
            ));
        }
        let plan = Plan::read(request)?;
        let file = tempfile::NamedTempFile::new_in(folder).map_err(|e| {
            Error::invalid("path", format!("cannot write in {}: {e}", folder.display()))
        })?;
        let mut out = std::io::BufWriter::new(file);
        let rows = self.write_plan(&plan, &mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::invalid("path", format!("cannot be written: {e}")))?;
        file.persist(path)
            .map_err(|e| Error::invalid("path", format!("cannot be written: {}", e.error)))?;
        Ok(Exported { rows })
    }

    /// Writes the list to `out` (the CLI's standard output); `path` is not used.
    pub fn write(&self, request: &ExportRequest, out: &mut dyn Write) -> Result<Exported> {
        let plan = Plan::read(request)?;
        let rows = self.write_plan(&plan, out)?;
        Ok(Exported { rows })
    }

    fn write_plan(self, plan: &Plan<'_>, out: &mut dyn Write) -> Result<u64> {
        let mut rows = 0u64;
        match plan.format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().from_writer(out);
                w.write_record(plan.columns.iter().map(|f| f.name))
                    .map_err(csv_error)?;
                self.each(plan, |item| {
                    rows += 1;
                    w.write_record(plan.columns.iter().map(|f| plan.cell(item, f)))
                        .map_err(csv_error)
                })?;
                w.flush().map_err(io_error)?;
            }
            Format::Jsonl => {
                self.each(plan, |item| {
                    rows += 1;
                    let object: Map<String, Value> = plan
                        .columns
                        .iter()
                        .map(|f| {
                            let value = item.get(f.name).cloned().unwrap_or(Value::Null);
                            (f.name.to_owned(), value)
                        })
                        .collect();
                    serde_json::to_writer(&mut *out, &object).map_err(|e| io_error(e.into()))?;
                    out.write_all(b"\n").map_err(io_error)
                })?;
                out.flush().map_err(io_error)?;
            }
        }
        Ok(rows)
    }

    /// Calls `f` with every record of the list, in its order, a page at a time.
    fn each(
        self,
        plan: &Plan<'_>,
        mut f: impl FnMut(&Map<String, Value>) -> Result<()>,
    ) -> Result<()> {
        let mut cursor: Option<String> = None;
        loop {
            let (items, next) = self.page(plan, cursor.take())?;
            for item in &items {
                f(item)?;
            }
            match next {
                Some(c) if !items.is_empty() => cursor = Some(c),
                _ => return Ok(()),
            }
        }
    }

    /// One page of the list, each record as its JSON object, and the cursor of the next.
    fn page(self, plan: &Plan<'_>, cursor: Option<String>) -> Result<Objects> {
        let scope = self.0;
        if let Some(id) = plan.segment {
            let page = scope.segments().members(&crate::segments::MembersRequest {
                id,
                limit: Some(MAX_LIMIT),
                cursor,
            })?;
            return objects(page);
        }
        let filter = json!({
            "where": plan.criteria,
            "sort": plan.sort,
            "limit": MAX_LIMIT,
            "cursor": cursor,
        });
        match plan.kind {
            RecordKind::Customer => objects(scope.customers().list(&from(filter)?)?),
            RecordKind::Lead => objects(scope.leads().list(&from(filter)?)?),
            RecordKind::Deal => objects(scope.deals().list(&from(filter)?)?),
            RecordKind::Ticket => objects(scope.tickets().list(&from(filter)?)?),
            RecordKind::Conversation => objects(scope.conversations().list(&from(filter)?)?),
            RecordKind::Call => objects(scope.calls().list(&from(filter)?)?),
            RecordKind::Activity => objects(scope.activities().list(&from(filter)?)?),
            RecordKind::Product => objects(scope.products().list(&from(filter)?)?),
            RecordKind::Quote => objects(scope.quotes().list(&from(filter)?)?),
            other => Err(Error::invalid(
                "kind",
                format!("{} cannot be exported", other.as_str()),
            )),
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io_error)`
fn io_error(e: std::io::Error) -> Error {
    Error::invalid("path", format!("cannot be written: {e}"))
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io_error(e),
        other => Error::Internal(format!("{other:?}")),
    }
}

fn from<T: serde::de::DeserializeOwned>(filter: Value) -> Result<T> {
    serde_json::from_value(filter).map_err(|e| Error::invalid("where", e.to_string()))
}

/// A page's records as JSON objects, and the cursor of the next page.
type Objects = (Vec<Map<String, Value>>, Option<String>);

fn objects<T: Serialize>(page: crate::records::Page<T>) -> Result<Objects> {
    let items = page
        .items
        .iter()
        .map(|item| match serde_json::to_value(item) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(Error::Internal("a record is not a JSON object".into())),
        })
        .collect::<Result<_>>()?;
    Ok((items, page.next_cursor))
}

/// A request checked: what is listed and which fields are written.
struct Plan<'r> {
    kind: RecordKind,
    segment: Option<SegmentId>,
    criteria: Option<&'r Value>,
    sort: Option<&'r Sort>,
    columns: Vec<&'static Field>,
    format: Format,
    defuse: bool,
}

impl<'r> Plan<'r> {
    fn read(request: &'r ExportRequest) -> Result<Plan<'r>> {
        let kind = match (request.kind, request.segment_id) {
            (Some(kind), None) if crate::views::LISTED.contains(&kind) => kind,
            (Some(kind), None) => {
                return Err(Error::invalid(
                    "kind",
                    format!("{} cannot be exported", kind.as_str()),
                ));
            }
            (None, Some(_)) => {
                if request.r#where.is_some() || request.sort.is_some() {
                    return Err(Error::invalid(
                        "where",
                        "a segment's members are exported as the segment defines them",
                    ));
                }
                RecordKind::Customer
            }
            _ => return Err(Error::invalid("kind", "give either kind or segmentId")),
        };
        let fields = crate::schema::fields(kind)
            .ok_or_else(|| Error::Internal(format!("{} has no catalog", kind.as_str())))?;
        let columns = if request.columns.is_empty() {
            fields.iter().collect()
        } else {
            request
                .columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    fields.iter().find(|f| f.name == name).ok_or_else(|| {
                        Error::invalid(
                            format!("columns[{i}]"),
                            format!("{}s have no field {name:?}", kind.as_str()),
                        )
                    })
                })
                .collect::<Result<_>>()?
        };
        Ok(Plan {
            kind,
            segment: request.segment_id,
            criteria: request.r#where.as_ref(),
            sort: request.sort.as_ref(),
            columns,
            format: request.format,
            defuse: request.defuse.unwrap_or(true),
        })
    }

    /// A field of a record as its CSV cell.
    fn cell(&self, item: &Map<String, Value>, field: &Field) -> String {
        let text = match (item.get(field.name), field.ty) {
            (None | Some(Value::Null), _) => String::new(),
            (Some(Value::Number(n)), FieldType::Money) => match (
                n.as_i64(),
                item.get("currency")
                    .and_then(Value::as_str)
                    .and_then(|c| crate::money::Currency::parse("currency", c).ok()),
            ) {
                (Some(amount), Some(currency)) => major_units(amount, currency),
                _ => n.to_string(),
            },
            (Some(Value::Object(m)), FieldType::Money) => {
                // A money object ({amount, currency}) as its amount and code.
                match (
                    m.get("amount").and_then(Value::as_i64),
                    m.get("currency").and_then(Value::as_str),
                ) {
                    (Some(amount), Some(code)) => crate::money::Currency::parse("currency", code)
                        .map(|c| format!("{} {code}", major_units(amount, c)))
                        .unwrap_or_default(),
                    _ => Value::Object(m.clone()).to_string(),
                }
            }
            (Some(Value::String(s)), _) => s.clone(),
            (Some(Value::Array(items)), _) => tags(items),
            (Some(other), _) => other.to_string(),
        };
        if self.defuse { defuse(text) } else { text }
    }
}

/// Tags joined by `; `, or as a JSON array when one of them holds `;` or `,` (which import
/// reads back either way).
fn tags(items: &[Value]) -> String {
    let texts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    if texts.iter().any(|t| t.contains([';', ','])) {
        Value::from(texts).to_string()
    } else {
        texts.join("; ")
    }
}

/// An amount in minor units as plain major units: `-1234.50` (no grouping: a machine reads it).
fn major_units(amount: i64, currency: crate::money::Currency) -> String {
    let per = currency.minor_per_major().unsigned_abs();
    let magnitude = amount.unsigned_abs();
    let sign = if amount < 0 { "-" } else { "" };
    let exponent = usize::from(currency.exponent());
    if exponent == 0 {
        format!("{sign}{magnitude}")
    } else {
        format!("{sign}{}.{:0exponent$}", magnitude / per, magnitude % per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_read_back() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            ("+1 555 0100", "'+1 555 0100"),
            ("-3", "'-3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("plain = fine", "plain = fine"),
            ("", ""),
        ] {
            assert_eq!(defuse(cell.to_owned()), written);
            assert_eq!(crate::import::undefuse(written), cell);
        }
    }

    #[test]
    fn amounts_and_tags() {
        let usd = crate::money::Currency::parse("c", "USD").unwrap();
        let jpy = crate::money::Currency::parse("c", "JPY").unwrap();
        assert_eq!(major_units(123_456, usd), "1234.56");
        assert_eq!(major_units(-5, usd), "-0.05");
        assert_eq!(major_units(1234, jpy), "1234");
        assert_eq!(tags(&[json!("vip"), json!("b2b")]), "vip; b2b");
        assert_eq!(tags(&[json!("a,b"), json!("c")]), r#"["a,b","c"]"#);
    }
}
