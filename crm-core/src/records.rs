//! What every kind of record shares: reading by id or external id, keyset-paginated lists with
//! equality filters, and audited create/update.

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::ids::{ConversationId, CustomerId, DealId, LeadId, TicketId, UserId};
use crate::store::{Cursor, EntityType, Tx, WriteCtx};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

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
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl From<&PageRequest> for ListRequest {
    fn from(page: &PageRequest) -> Self {
        ListRequest {
            r#where: None,
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

    /// The page that starts at record `id` of `list` (or at the next older one if it is gone),
    /// for jumping a list to one record.
    pub fn starting_at(list: RecordKind, id: i64, limit: Option<u32>) -> Self {
        PageRequest {
            limit,
            cursor: Some(
                Cursor {
                    key: id.saturating_add(1),
                    forward: true,
                }
                .encode(list.plural()),
            ),
        }
    }

    /// The last (oldest) page, for jumping to the end of a list.
    pub fn last(list: RecordKind, limit: Option<u32>) -> Self {
        PageRequest {
            limit,
            cursor: Some(
                Cursor {
                    key: i64::MIN,
                    forward: false,
                }
                .encode(list.plural()),
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
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
    fn write(
        &self,
        stmt: &mut rusqlite::CachedStatement<'_>,
        ctx: &WriteCtx<'_>,
    ) -> rusqlite::Result<usize>;
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
    find(conn, tenant, id)?.ok_or_else(|| Error::not_found(R::ENTITY.as_str(), id))
}

pub(crate) fn find<R: Record>(conn: &Connection, tenant: i64, id: i64) -> Result<Option<R>> {
    let sql = format!("{} WHERE tenant_id = ?1 AND id = ?2", R::SELECT);
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![tenant, id], R::from_row)
        .optional()?)
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
    list_where(conn, tenant, filters, page, |_| Ok("1".to_owned()))
}

/// [`list`] of the rows where the SQL expression `test` makes holds: `test` is given the
/// values bound so far and appends its own, written as numbered parameters (`?N` is the Nth).
pub(crate) fn list_where<R: Record>(
    conn: &Connection,
    tenant: i64,
    filters: Filters,
    page: &PageRequest,
    test: impl FnOnce(&mut Vec<Value>) -> Result<String>,
) -> Result<Page<R>> {
    let limit = limit(page.limit)?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, R::ENTITY.plural(), "cursor"))
        .transpose()?;
    let mut sql = format!("{} WHERE tenant_id = ?", R::SELECT);
    let mut args: Vec<Value> = vec![Value::Integer(tenant)];
    for (column, value) in filters {
        if let Some(value) = value {
            sql.push_str(" AND ");
            sql.push_str(column);
            sql.push_str(" = ?");
            args.push(value);
        }
    }
    let test = test(&mut args)?;
    if test != "1" {
        sql.push_str(" AND ");
        sql.push_str(&test);
    }
    let forward = cursor.is_none_or(|c| c.forward);
    if let Some(c) = cursor {
        sql.push_str(if c.forward {
            " AND id < ?"
        } else {
            " AND id > ?"
        });
        args.push(Value::Integer(c.key));
    }
    sql.push_str(if forward {
        " ORDER BY id DESC LIMIT ?"
    } else {
        " ORDER BY id ASC LIMIT ?"
    });
    // One row more than asked tells whether another page follows.
    args.push(Value::Integer(i64::from(limit) + 1));
    let mut items: Vec<R> = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(args), R::from_row)?
        .collect::<Result<_, _>>()?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    if !forward {
        items.reverse();
    }
    let (more_after, more_before) = match cursor {
        None => (more, false),
        Some(c) if c.forward => (more, true),
        // Walking backwards from the very end (`PageRequest::last`) there is nothing after.
        Some(c) => (c.key != i64::MIN, more),
    };
    let next_cursor = if more_after {
        items.last().map(|r| {
            Cursor {
                key: r.id(),
                forward: true,
            }
            .encode(R::ENTITY.plural())
        })
    } else {
        None
    };
    let prev_cursor = if more_before {
        items.first().map(|r| {
            Cursor {
                key: r.id(),
                forward: false,
            }
            .encode(R::ENTITY.plural())
        })
    } else {
        None
    };
    Ok(Page {
        items,
        next_cursor,
        prev_cursor,
    })
}

/// Up to `limit` records of this tenant, newest first, whose `columns` contain `text`
/// (case-insensitive for ASCII). For pickers: it scans newest first and stops at `limit`
/// matches, so a common word is quick and a rare one costs a scan.
pub(crate) fn containing<R: Record>(
    conn: &Connection,
    tenant: i64,
    columns: &[&str],
    text: &str,
    limit: u32,
) -> Result<Vec<R>> {
    let limit = self::limit(Some(limit))?;
    let pattern = format!(
        "%{}%",
        text.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let any = columns
        .iter()
        .map(|c| format!("{c} LIKE ?2 ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "{} WHERE tenant_id = ?1 AND ({any}) ORDER BY id DESC LIMIT ?3",
        R::SELECT
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![tenant, pattern, limit], R::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
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
        let sql = format!(
            "SELECT 1 FROM {} WHERE tenant_id = ?1 AND id = ?2",
            kind.table()
        );
        if self
            .prepare_cached(&sql)?
            .exists(params![self.tenant, id])?
        {
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
        record.write(&mut self.prepare_cached(R::UPSERT)?, &self.ctx())?;
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
        after.write(&mut self.prepare_cached(R::UPSERT)?, &self.ctx())?;
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

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }

        impl From<$name> for rusqlite::types::Value {
            fn from(v: $name) -> Self {
                rusqlite::types::Value::Text(v.as_str().to_owned())
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
        Email = "email",
        Chat = "chat",
        Phone = "phone",
        Web = "web",
        Social = "social",
        Api = "api",
    }
}

/// What one row of a record kind says on a timeline: a title and body for people, and the
/// records it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineItem {
    pub title: String,
    pub body: Option<String>,
    pub channel: Option<Channel>,
    pub actor_id: Option<UserId>,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<LeadId>,
    pub deal_id: Option<DealId>,
    pub ticket_id: Option<TicketId>,
    pub conversation_id: Option<ConversationId>,
}

/// How the timeline reads the rows of a kind that appears on it, declared beside the kind so
/// that a change to its columns touches its own module only.
#[derive(Debug, Clone, Copy)]
pub struct TimelineSource {
    /// One statement for a page's rows of this kind: `?1` the tenant's key, `?2` an `rarray` of
    /// ids; the row's id comes first.
    pub sql: &'static str,
    pub read: fn(&Row<'_>) -> rusqlite::Result<TimelineItem>,
}

/// `s` with its first letter in upper case ("inbound" → "Inbound").
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
