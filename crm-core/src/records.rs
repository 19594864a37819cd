//! What every kind of record shares: reading by id or external id, keyset-paginated lists with
//! equality filters, and audited create/update.

use crate::catalog::{Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::{ConversationId, CustomerId, DealId, LeadId, TicketId, UserId};
use crate::sql::Value;
use crate::sql::{Connection, OptionalExtension, Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The default page size of lists.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a list returns.
pub const MAX_LIMIT: u32 = 500;

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next (older) page; `None` at the end of the list.
    pub next_cursor: Option<String>,
    /// Pass back as `cursor` for the previous (newer) page; `None` at the start of the list.
    pub prev_cursor: Option<String>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageRequest {
    /// 1 to 500; 50 when absent.
    pub limit: Option<u32>,
    /// A `nextCursor` or `prevCursor` from an earlier page of the same list.
    pub cursor: Option<String>,
}

/// What a list without other filters takes: `where` (criteria over the kind's own fields) and a
/// page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListRequest {
    /// Criteria over the kind's own fields.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

impl From<&PageRequest> for ListRequest {
    fn from(page: &PageRequest) -> Self {
        ListRequest {
            r#where: None,
            sort: None,
            limit: page.limit,
            cursor: page.cursor.clone(),
        }
    }
}

impl From<&ListRequest> for ListRequest {
    fn from(request: &ListRequest) -> Self {
        request.clone()
    }
}

impl ListRequest {
    /// Its page.
    pub fn page(&self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

impl PageRequest {
    /// The first page, with the default size.
    pub fn first() -> Self {
        Self::default()
    }

    /// The page of a list in its default order (newest first) that starts at record `id` (or
    /// at the next older one if it is gone), for jumping a list to one record.
    pub fn starting_at(list: RecordKind, id: i64, limit: Option<u32>) -> Self {
        PageRequest {
            limit,
            cursor: Some(
                ListCursor {
                    list: list.plural().to_owned(),
                    sort: "id".to_owned(),
                    desc: true,
                    forward: true,
                    at: Position::At(0, serde_json::Value::Null, id.saturating_add(1)),
                }
                .encode(),
            ),
        }
    }

    /// The last page of a list in its default order (newest first), for jumping to its end.
    pub fn last(list: RecordKind, limit: Option<u32>) -> Self {
        PageRequest {
            limit,
            cursor: Some(
                ListCursor {
                    list: list.plural().to_owned(),
                    sort: "id".to_owned(),
                    desc: true,
                    forward: false,
                    at: Position::End,
                }
                .encode(),
            ),
        }
    }
}

/// A kind of record stored in its own table, keyed by `(tenant_id, id)`.
pub(crate) trait Record: Serialize + Sized {
    const ENTITY: EntityType;
    /// `SELECT <columns> FROM <table>`, columns in `from_row` order.
    const SELECT: &'static str;
    /// Inserts or replaces the row; parameters in `write` order.
    const UPSERT: &'static str;
    fn id(&self) -> i64;
    fn external_id(&self) -> Option<&str>;
    fn from_row(row: &Row<'_>) -> Result<Self>;
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize>;
}

/// Declares a record's table and columns once; builds its SELECT and UPSERT statements.
macro_rules! table {
    ($table:literal, [$($col:literal),+ $(,)?]) => {
        const SELECT: &'static str = concat!("SELECT ", table!(@cols $($col),+), " FROM ", $table);
        const UPSERT: &'static str = concat!(
            "INSERT INTO ", $table, " (tenant_id, ", table!(@cols $($col),+), ") VALUES (:tenant_id",
            $(", :", $col,)+ ") ON CONFLICT (tenant_id, id) DO UPDATE SET ", table!(@set $($col),+)
        );
    };
    (@cols $first:literal $(, $col:literal)*) => { concat!($first $(, ", ", $col)*) };
    // The key (`id`, always first) is left out of SET: updating it would make SQLite check every
    // table that references this one.
    (@set $id:literal, $first:literal $(, $col:literal)*) => { concat!($first, " = excluded.", $first $(, ", ", $col, " = excluded.", $col)*) };
}
pub(crate) use table;

pub(crate) fn get<R: Record>(conn: &Connection, tenant: i64, id: i64) -> Result<R> {
    match find(conn, tenant, id)? {
        Some(record) => Ok(record),
        None => Err(missing(conn, tenant, R::ENTITY, id)?),
    }
}

/// The `not_found` of `kind` `id`, naming the record it was merged into, if it was.
pub(crate) fn missing(conn: &Connection, tenant: i64, kind: RecordKind, id: i64) -> Result<Error> {
    let into: Option<i64> = conn
        .prepare_cached(
            "SELECT into_id FROM merged_records WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
        )?
        .query_row(params![tenant, kind.as_str(), id], |r| r.get(0))
        .optional()?;
    Ok(Error::NotFound {
        entity: kind.as_str(),
        id: id.to_string(),
        merged_into: into,
    })
}

/// Record `id` as its `get` answers it, as JSON (for audit entries and exports that hold
/// records of several kinds).
pub(crate) fn get_json<R: Record + Serialize>(
    conn: &Connection,
    tenant: i64,
    id: i64,
) -> Result<serde_json::Value> {
    serde_json::to_value(get::<R>(conn, tenant, id)?)
        .map_err(|e| Error::Internal(format!("cannot serialize a record: {e}")))
}

/// `true` when this tenant has a `kind` record `id` (in its table: one in the trash has none).
pub(crate) fn exists(conn: &Connection, tenant: i64, kind: RecordKind, id: i64) -> Result<bool> {
    let sql = format!(
        "SELECT 1 FROM {} WHERE tenant_id = ?1 AND id = ?2",
        kind.table()
    );
    conn.prepare_cached(&sql)?.exists(params![tenant, id])
}

pub(crate) fn find<R: Record>(conn: &Connection, tenant: i64, id: i64) -> Result<Option<R>> {
    let sql = format!("{} WHERE tenant_id = ?1 AND id = ?2", R::SELECT);
    conn.prepare_cached(&sql)?
        .query_row(params![tenant, id], R::from_row)
        .optional()
}

pub(crate) fn get_by_external_id<R: Record>(
    conn: &Connection,
    tenant: i64,
    external_id: &str,
) -> Result<R> {
    let sql = format!("{} WHERE tenant_id = ?1 AND external_id = ?2", R::SELECT);
    conn.prepare_cached(&sql)?
        .query_row(params![tenant, external_id], R::from_row)
        .optional()?
        .ok_or_else(|| {
            Error::not_found(
                R::ENTITY.as_str(),
                format!("with externalId {:?}", crate::error::clip(external_id)),
            )
        })
}

/// Equality filters of a list: `(column, value)`; `None` values are left out.
pub(crate) type Filters = Vec<(&'static str, Option<Value>)>;

/// One page of `R` in this tenant, newest (highest id) first, by keyset on `(tenant_id, id)`
/// so a page deep in the list costs what the first one does.
pub(crate) fn list<R: Record>(
    conn: &Connection,
    tenant: i64,
    filters: Filters,
    page: &PageRequest,
) -> Result<Page<R>> {
    list_where(conn, tenant, filters, &Order::newest(), page, |_| {
        Ok("TRUE".to_owned())
    })
}

/// [`list`] in `order`, of the rows where the SQL expression `test` makes holds: `test` is
/// given the values bound so far and appends its own, written as numbered parameters (`?N` is
/// the Nth).
pub(crate) fn list_where<R: Record>(
    conn: &Connection,
    tenant: i64,
    filters: Filters,
    order: &Order,
    page: &PageRequest,
    test: impl FnOnce(&mut Vec<Value>) -> Result<String>,
) -> Result<Page<R>> {
    Listing::of::<R>(R::ENTITY.plural())?.page(
        conn,
        tenant,
        filters,
        order,
        page,
        test,
        R::from_row,
    )
}

/// Which way a sort runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Smallest first (A to Z, oldest first, enumerations in their declared order).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// A list's `sort`: a field the catalog marks sortable, and a direction (`asc` when absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sort {
    /// The field, one the catalog marks sortable.
    pub field: String,
    /// Ascending or descending.
    #[serde(default)]
    pub direction: Direction,
}

impl Sort {
    /// `field` in `direction`.
    pub fn new(field: impl Into<String>, direction: Direction) -> Sort {
        Sort {
            field: field.into(),
            direction,
        }
    }
}

/// The order of a list, checked against the kind's fields: by a sortable field (text ignoring
/// case, enumerations in their declared order, missing values after every value in both
/// directions, ties by id in the sort's direction), or by id alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Order {
    /// The field's name, written into cursors so a cursor of another order is refused.
    name: &'static str,
    /// The SQL of the sort key over the row (`None`: the id alone).
    key: Option<String>,
    desc: bool,
}

impl Order {
    /// Newest first: by id, descending (every list's default).
    pub(crate) fn newest() -> Order {
        Order {
            name: "id",
            key: None,
            desc: true,
        }
    }

    /// `true` when the order is by a field's key, `false` for the id alone.
    #[cfg(test)]
    pub(crate) fn is_sorted(&self) -> bool {
        self.key.is_some()
    }

    /// Reads `sort` against `fields` (absent: newest first); an unknown or unsortable field
    /// is `invalid_input` on `sort.field`.
    pub(crate) fn read(sort: Option<&Sort>, fields: &[Field]) -> Result<Order> {
        let Some(sort) = sort else {
            return Ok(Order::newest());
        };
        let desc = sort.direction == Direction::Desc;
        let sortable = || {
            fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let field = fields
            .iter()
            .find(|f| f.name == sort.field)
            .ok_or_else(|| {
                Error::invalid(
                    "sort.field",
                    format!(
                        "unknown field {:?}; the sortable fields are: {}",
                        crate::error::clip(&sort.field),
                        sortable()
                    ),
                )
            })?;
        if !field.sortable {
            return Err(Error::invalid(
                "sort.field",
                format!(
                    "{} cannot be sorted on; the sortable fields are: {}",
                    field.name,
                    sortable()
                ),
            ));
        }
        Ok(Order {
            name: field.name,
            key: (field.name != "id").then(|| sort_key(field)),
            desc,
        })
    }
}

/// The SQL of a field's sort key over its row: what the sort indexes of the migrations are
/// built on, written the same way so SQLite uses them.
pub(crate) fn sort_key(field: &Field) -> String {
    let column = field.column;
    match field.ty {
        FieldType::Text | FieldType::Email | FieldType::Phone => format!("crm_lower({column})"),
        FieldType::Enum => {
            let mut sql = format!("CASE {column}");
            for (i, value) in field.values.iter().enumerate() {
                let _ = write!(sql, " WHEN '{value}' THEN {i}");
            }
            sql.push_str(" END");
            sql
        }
        _ => column.to_owned(),
    }
}

/// Where a list's cursor stands: the parts of a sorted list are the rows with a sort key
/// (ordered by key, then id) and then the rows without one (by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Position {
    /// Before the first row.
    Start,
    /// After the last row.
    End,
    /// At a row: its part (0 keyed, 1 without a key), key and id.
    At(u8, serde_json::Value, i64),
}

/// What a list cursor carries: the list, its order, where it stands and which way it reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ListCursor {
    list: String,
    sort: String,
    desc: bool,
    forward: bool,
    at: Position,
}

impl ListCursor {
    fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str, list: &str, order: &Order) -> Result<ListCursor> {
        let bad = |what: &str| {
            Error::invalid(
                "cursor",
                format!(
                    "{what} (pass back a nextCursor or prevCursor unchanged, with the same sort)"
                ),
            )
        };
        let cursor: ListCursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("not a cursor of this list"))?;
        if cursor.list != list {
            return Err(bad("not a cursor of this list"));
        }
        if cursor.sort != order.name || cursor.desc != order.desc {
            return Err(bad("a cursor of another sort"));
        }
        Ok(cursor)
    }
}

/// A list read in pages in any [`Order`]: the columns a row is read from, the table, and the
/// cursors' name.
pub(crate) struct Listing<'a> {
    /// `SELECT <columns>`, read by the row reader.
    pub columns: &'a str,
    /// The table (what follows `FROM`).
    pub from: &'a str,
    pub name: &'a str,
}

impl<'a> Listing<'a> {
    /// The rows of kind `R`, its cursors named `name` (the kind's plural for its own list).
    pub(crate) fn of<R: Record>(name: &'a str) -> Result<Listing<'a>> {
        let (columns, from) = R::SELECT
            .split_once(" FROM ")
            .ok_or_else(|| Error::Internal(format!("no FROM in {}", R::SELECT)))?;
        Ok(Listing {
            columns,
            from,
            name,
        })
    }

    /// One page of rows of this tenant passing `filters` and `test`, in `order`, by keyset:
    /// each part of the order is one index range, so a page deep in the list costs what the
    /// first one does.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn page<T>(
        &self,
        conn: &Connection,
        tenant: i64,
        filters: Filters,
        order: &Order,
        page: &PageRequest,
        test: impl FnOnce(&mut Vec<Value>) -> Result<String>,
        read: impl Fn(&Row<'_>) -> Result<T>,
    ) -> Result<Page<T>> {
        let limit = limit(page.limit)?;
        let cursor = page
            .cursor
            .as_deref()
            .map(|c| ListCursor::decode(c, self.name, order))
            .transpose()?;
        let mut base = " WHERE tenant_id = ?1".to_owned();
        let mut args: Vec<Value> = vec![Value::Integer(tenant)];
        for (column, value) in filters {
            if let Some(value) = value {
                args.push(value);
                let _ = write!(base, " AND {column} = ?{}", args.len());
            }
        }
        let test = test(&mut args)?;
        if test != "TRUE" {
            base.push_str(" AND ");
            base.push_str(&test);
        }
        let forward = cursor.as_ref().is_none_or(|c| c.forward);
        let steps = steps(order.key.is_some(), cursor.as_ref().map(|c| &c.at), forward)?;
        // Reading backwards walks each step in the other direction.
        let desc = order.desc == forward;
        let mut rows: Vec<(T, u8, serde_json::Value, i64)> = Vec::new();
        let wanted = limit as usize + 1;
        for (part, bound) in steps {
            let mut args = args.clone();
            let sql = self.part_sql(&base, order, part, &bound, desc, &mut args);
            args.push(Value::Integer((wanted - rows.len()) as i64));
            let sql = format!("{sql} LIMIT ?{}", args.len());
            let mut stmt = conn.prepare_cached(&sql)?;
            let found = stmt.query_map(&args, |r| {
                let n = r.column_count();
                let key: Value = r.get(n - 2)?;
                Ok((read(r)?, part, value_json(key), r.get::<_, i64>(n - 1)?))
            })?;
            for row in found {
                rows.push(row?);
            }
            if rows.len() >= wanted {
                break;
            }
        }
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if !forward {
            rows.reverse();
        }
        let (more_after, more_before) = match &cursor {
            None => (more, false),
            Some(c) if c.forward => (more, true),
            // Walking backwards from the very end (`PageRequest::last`) there is nothing after.
            Some(c) => (c.at != Position::End, more),
        };
        let cursor_at = |row: Option<&(T, u8, serde_json::Value, i64)>, forward: bool| {
            row.map(|(_, part, key, id)| {
                ListCursor {
                    list: self.name.to_owned(),
                    sort: order.name.to_owned(),
                    desc: order.desc,
                    forward,
                    at: Position::At(*part, key.clone(), *id),
                }
                .encode()
            })
        };
        let next_cursor = if more_after {
            cursor_at(rows.last(), true)
        } else {
            None
        };
        let prev_cursor = if more_before {
            cursor_at(rows.first(), false)
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().map(|r| r.0).collect(),
            next_cursor,
            prev_cursor,
        })
    }
}

impl Listing<'_> {
    /// The query of one step of a page in `order` (descending when `desc`, which a
    /// backward read reverses), without its LIMIT: `base` is the WHERE clause of the list,
    /// `args` its values, to which the bound's are added.
    pub(crate) fn part_sql(
        &self,
        base: &str,
        order: &Order,
        part: u8,
        bound: &Bound,
        desc: bool,
        args: &mut Vec<Value>,
    ) -> String {
        let key = order.key.as_deref().unwrap_or("NULL");
        let mut sql = format!(
            "SELECT {}, {key}, id FROM {}{base}",
            self.columns.trim_start_matches("SELECT "),
            self.from
        );
        let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
        let bind = |args: &mut Vec<Value>, value: Value| {
            args.push(value);
            format!("?{}", args.len())
        };
        match (&order.key, part) {
            (Some(k), 0) => {
                // Each bound is one index range: a row value over an expression is not.
                match bound {
                    Bound::None => {
                        let _ = write!(sql, " AND {k} IS NOT NULL ORDER BY {k} {dir}, id {dir}");
                    }
                    Bound::SameKey(value, id) => {
                        let value = bind(args, json_value(value));
                        let id = bind(args, Value::Integer(*id));
                        let _ = write!(
                            sql,
                            " AND {k} = {value} AND id {cmp} {id} ORDER BY id {dir}"
                        );
                    }
                    Bound::KeyBeyond(value) => {
                        let value = bind(args, json_value(value));
                        let _ = write!(sql, " AND {k} {cmp} {value} ORDER BY {k} {dir}, id {dir}");
                    }
                    Bound::Id(_) => unreachable!("an id alone bounds the part without keys"),
                }
            }
            (key, _) => {
                if let Some(k) = key {
                    let _ = write!(sql, " AND {k} IS NULL");
                }
                if let Bound::Id(id) = bound {
                    let id = bind(args, Value::Integer(*id));
                    let _ = write!(sql, " AND id {cmp} {id}");
                }
                let _ = write!(sql, " ORDER BY id {dir}");
            }
        }
        sql
    }
}

/// Where one step of a page starts (exclusive), in the direction it reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    /// At the start of its part.
    None,
    /// Rows with this key, beyond this id.
    SameKey(serde_json::Value, i64),
    /// Rows with a key beyond this one.
    KeyBeyond(serde_json::Value),
    /// Rows beyond this id (the part without keys, or a list by id).
    Id(i64),
}

/// The steps that read a page from `at`, each one index range: `(part, bound)`. A sorted list
/// is its rows with a key (part 0) then those without (part 1); a list by id has part 0 only.
fn steps(keyed: bool, at: Option<&Position>, forward: bool) -> Result<Vec<(u8, Bound)>> {
    let whole = |part: u8| {
        if part == 0 || !keyed {
            (0, Bound::None)
        } else {
            (1, Bound::None)
        }
    };
    let parts: Vec<u8> = if keyed { vec![0, 1] } else { vec![0] };
    let mut steps = Vec::new();
    match at {
        None | Some(Position::Start) if forward => steps.extend(parts.iter().map(|p| whole(*p))),
        Some(Position::End) if !forward => steps.extend(parts.iter().rev().map(|p| whole(*p))),
        None | Some(Position::Start | Position::End) => {}
        Some(Position::At(part, key, id)) => match (*part, keyed) {
            (0, true) => {
                steps.push((0, Bound::SameKey(key.clone(), *id)));
                steps.push((0, Bound::KeyBeyond(key.clone())));
                if forward {
                    steps.push((1, Bound::None));
                }
            }
            (0, false) => steps.push((0, Bound::Id(*id))),
            (1, true) => {
                steps.push((1, Bound::Id(*id)));
                if !forward {
                    steps.push((0, Bound::None));
                }
            }
            _ => return Err(Error::invalid("cursor", "not a cursor of this list")),
        },
    }
    Ok(steps)
}

fn value_json(value: Value) -> serde_json::Value {
    match value {
        Value::Integer(i) => i.into(),
        Value::Real(x) => x.into(),
        Value::Text(s) => s.into(),
        Value::Null | Value::Blob(_) | Value::Array(_) => serde_json::Value::Null,
    }
}

fn json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Integer),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        _ => Value::Null,
    }
}

/// Up to `limit` records of this tenant, newest first, whose `columns` contain `text`,
/// ignoring case in every script (as criteria compare text). For pickers: it scans newest
/// first and stops at `limit` matches, so a common word is quick and a rare one costs a scan.
pub(crate) fn containing<R: Record>(
    conn: &Connection,
    tenant: i64,
    columns: &[&str],
    text: &str,
    limit: u32,
) -> Result<Vec<R>> {
    let limit = self::limit(Some(limit))?;
    let needle = text.trim().to_lowercase();
    let any = columns
        .iter()
        .map(|c| format!("instr(crm_lower({c}), ?2) > 0"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "{} WHERE tenant_id = ?1 AND ({any}) ORDER BY id DESC LIMIT ?3",
        R::SELECT
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![tenant, needle, limit], R::from_row)?;
    rows.collect::<Result<_, _>>()
}

/// Checks a page size: absent means the default, otherwise 1 to [`MAX_LIMIT`].
pub(crate) fn limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n @ 1..=MAX_LIMIT) => Ok(n),
        Some(n) => Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}, got {n}"),
        )),
    }
}

impl Tx<'_> {
    /// Fails with `invalid_input` on `field` unless record `id` of kind `R` exists in this tenant.
    pub(crate) fn require<R: Record>(&self, field: &str, id: i64) -> Result<R> {
        find(self, self.tenant, id)?
            .ok_or_else(|| Error::invalid(field, format!("{} {id} not found", R::ENTITY.as_str())))
    }

    /// `invalid_input` on `field` unless this tenant has a `kind` record `id`: a reference
    /// checked by kind alone, so the caller need not know the record's type.
    pub(crate) fn require_kind(&self, field: &str, kind: RecordKind, id: i64) -> Result<()> {
        if exists(self, self.tenant, kind, id)? {
            Ok(())
        } else {
            Err(Error::invalid(field, format!("{kind} {id} not found")))
        }
    }

    /// Inserts a new record with its audit and change-feed entries.
    pub(crate) fn insert<R: Record>(&mut self, action: &str, record: &R) -> Result<()> {
        if let Some(external_id) = record.external_id() {
            self.ensure_external_id_free::<R>(external_id)?;
        }
        record.write(
            &mut self.prepare_cached(R::UPSERT)?.one_row_later(),
            &self.ctx(),
        )?;
        self.record_change(action, R::ENTITY, record.id(), None, Some(record))
    }

    /// Replaces a record with its changed version, with audit and change-feed entries.
    pub(crate) fn replace<R: Record>(&mut self, action: &str, before: &R, after: &R) -> Result<()> {
        self.replace_noted(action, before, after, None)
    }

    /// Like [`Tx::replace`], with a note in the audit entry saying why.
    pub(crate) fn replace_noted<R: Record>(
        &mut self,
        action: &str,
        before: &R,
        after: &R,
        note: Option<&str>,
    ) -> Result<()> {
        if let Some(external_id) = after.external_id()
            && before.external_id() != Some(external_id)
        {
            self.ensure_external_id_free::<R>(external_id)?;
        }
        after.write(
            &mut self.prepare_cached(R::UPSERT)?.one_row_later(),
            &self.ctx(),
        )?;
        self.record_noted_change(
            action,
            R::ENTITY,
            after.id(),
            Some(before),
            Some(after),
            note,
        )
    }

    /// `conflict` if another `R` of this tenant already has `external_id`.
    fn ensure_external_id_free<R: Record>(&self, external_id: &str) -> Result<()> {
        self.ensure_unique(
            &Unique {
                kind: R::ENTITY,
                column: "external_id",
                field: "externalId",
                any_case: false,
            },
            external_id,
            None,
        )
    }

    /// `conflict` on the key's field if a record of its kind in this tenant other than
    /// `except` holds `value` in its column (in any case, if the key says so).
    pub(crate) fn ensure_unique(
        &self,
        key: &Unique,
        value: &str,
        except: Option<i64>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT id FROM {} WHERE tenant_id = ?1 AND {} = ?2{} LIMIT 1",
            key.kind.table(),
            key.column,
            if key.any_case { " COLLATE NOCASE" } else { "" }
        );
        let taken: Option<i64> = self
            .prepare_cached(&sql)?
            .query_row(params![self.tenant, value], |r| r.get(0))
            .optional()?;
        match taken {
            Some(id) if Some(id) != except => Err(Error::conflict_on(
                key.field,
                format!(
                    "{} {id} has {} {:?} already",
                    key.kind,
                    key.field,
                    crate::error::clip(value)
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A value unique within a tenant among the records of a kind: a SKU, a name, an external id.
/// Each has a unique index too; checking first names the field in the `conflict`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unique {
    pub kind: RecordKind,
    pub column: &'static str,
    /// The field a conflict names.
    pub field: &'static str,
    /// Compared ignoring case (the index is `COLLATE NOCASE` too).
    pub any_case: bool,
}

/// Declares a lowercase `snake_case` string enumeration stored as TEXT.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value as written, in declaration order (for the record catalog).
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The value as written in JSON and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::error::Error;
            fn from_str(s: &str) -> crate::error::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::error::Error::invalid(
                        stringify!($name),
                        format!("unknown value {s:?}; expected one of {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl crate::sql::ToSql for $name {
            fn to_sql(&self) -> crate::sql::ToSqlOutput<'_> {
                crate::sql::ToSqlOutput::Borrowed(crate::sql::ValueRef::Text(self.as_str()))
            }
        }

        impl crate::sql::FromSql for $name {
            fn from_sql(value: crate::sql::ValueRef<'_>) -> std::result::Result<Self, String> {
                match value {
                    crate::sql::ValueRef::Text(t) => t.parse().map_err(|e: crate::error::Error| e.to_string()),
                    _ => Err(format!("expected text for {}", stringify!($name))),
                }
            }
        }

        impl From<$name> for crate::sql::Value {
            fn from(v: $name) -> Self {
                crate::sql::Value::Text(v.as_str().to_owned())
            }
        }
    };
}
pub(crate) use string_enum;

/// The `Value` of an optional typed id, for list filters.
pub(crate) fn id_value<T: Into<i64>>(id: Option<T>) -> Option<Value> {
    id.map(|i| Value::Integer(i.into()))
}

string_enum! {
    /// Where a ticket or conversation came in (a call is always `phone`).
    Channel {
        /// Email.
        Email = "email",
        /// A chat widget or messenger.
        Chat = "chat",
        /// The telephone.
        Phone = "phone",
        /// A web form.
        Web = "web",
        /// Social media.
        Social = "social",
        /// A host application, through crm's API.
        Api = "api",
    }
}

/// What one row of a record kind says on a timeline: a title and body for people, and the
/// records it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineItem {
    /// A title, for people.
    pub title: String,
    /// More words, if there are any.
    pub body: Option<String>,
    /// The channel it came in on, if any.
    pub channel: Option<Channel>,
    /// The user who did it, if one did.
    pub actor_id: Option<UserId>,
    /// The customer whose timeline shows it, if any.
    pub customer_id: Option<CustomerId>,
    /// The lead whose timeline shows it, if any.
    pub lead_id: Option<LeadId>,
    /// The deal whose timeline shows it, if any.
    pub deal_id: Option<DealId>,
    /// The ticket it concerns, if any.
    pub ticket_id: Option<TicketId>,
    /// The conversation it concerns, if any.
    pub conversation_id: Option<ConversationId>,
}

/// How the timeline reads the rows of a kind that appears on it, declared beside the kind so
/// that a change to its columns touches its own module only.
#[derive(Debug, Clone, Copy)]
pub struct TimelineSource {
    /// One statement for a page's rows of this kind: `?1` the tenant's key, `?2` an `rarray` of
    /// ids; the row's id comes first.
    pub sql: &'static str,
    pub(crate) read: fn(&Row<'_>) -> Result<TimelineItem>,
}

/// `s` with its first letter in upper case ("inbound" → "Inbound").
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
