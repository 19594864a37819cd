//! The dialect seam: the one place that knows which database engine runs the SQL.
//!
//! Record kinds and capabilities hold a [`Connection`], prepare [`Statement`]s, bind
//! [`Params`] (`params![…]` or a list of [`Value`]s), read [`Row`]s through [`FromSql`] and get
//! the crate's [`Error`] back — never a driver's type. Today the engine is SQLite (rusqlite);
//! the types are shaped so that a second engine (PostgreSQL: numbered `$N` placeholders, strict
//! types, a client that is borrowed mutably per call) fits behind them without touching the
//! modules that use them:
//!
//! - SQL is written once, in the subset both engines share (`string_agg`, `IS [NOT] DISTINCT
//!   FROM`, `RETURNING`, `FILTER`, `TRUE`/`FALSE`, aliased subqueries), with `?N` placeholders.
//!   What remains engine-specific is spelled the SQLite way, in few forms (`IN rarray(?N)` for a
//!   list bound as one [`Value::Array`], `crm_lower(x)` for Unicode lowercase, …), and is the
//!   dialect's to rewrite when it prepares a statement (`sql/postgres.rs` lists them all).
//! - A statement's rows are read while the statement lives ([`Rows`], [`MappedRows`]) or
//!   collected; nothing holds a row after its statement.
//! - Database errors become [`Error::Storage`] with a [`StorageError`] that says whether no row
//!   came back ([`OptionalExtension::optional`]) or a constraint refused the write.

use crate::error::{Error, Result, StorageError, StorageKind};
use std::sync::Arc;

// The second engine: a server connection, translating each statement it prepares.
#[cfg(feature = "postgres")]
pub(crate) mod postgres;

#[cfg(test)]
static SEEN: std::sync::Mutex<Option<std::collections::BTreeSet<String>>> =
    std::sync::Mutex::new(None);

#[cfg(test)]
fn seen() -> std::sync::MutexGuard<'static, Option<std::collections::BTreeSet<String>>> {
    SEEN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `f`, collecting the text of every statement prepared meanwhile (on any thread).
#[cfg(test)]
pub(crate) fn capture(
    f: impl FnOnce() -> Result<()>,
) -> Result<std::collections::BTreeSet<String>> {
    // One capture at a time: tests run in parallel.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *seen() = Some(std::collections::BTreeSet::new());
    let result = f();
    let seen = seen().take().unwrap_or_default();
    result.map(|()| seen)
}

/// Notes a statement being prepared, while [`capture`] listens.
#[cfg(test)]
fn note(sql: &str) {
    if let Some(seen) = seen().as_mut() {
        seen.insert(sql.to_owned());
    }
}

#[cfg(not(test))]
#[inline]
fn note(_: &str) {}

/// A connection to the database.
pub(crate) struct Connection {
    inner: Engine,
}

enum Engine {
    Sqlite(rusqlite::Connection),
    #[cfg(feature = "postgres")]
    // Boxed: a client is three times the size of a SQLite connection.
    Postgres(Box<self::postgres::Pg>),
}

/// Which engine a connection talks to, for the few things that differ beyond the SQL (how a
/// counter row is locked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        let kind = match &e {
            rusqlite::Error::QueryReturnedNoRows => StorageKind::NoRows,
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StorageKind::Constraint
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                StorageKind::Busy
            }
            _ => StorageKind::Other,
        };
        Error::Storage(StorageError::new(kind, e.to_string()))
    }
}

impl Connection {
    /// Wraps an open SQLite connection (the store configures it first).
    pub(crate) fn sqlite(inner: rusqlite::Connection) -> Connection {
        Connection {
            inner: Engine::Sqlite(inner),
        }
    }

    /// Connects to the PostgreSQL server `url` names.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(url: &str) -> Result<Connection> {
        Ok(Connection {
            inner: Engine::Postgres(Box::new(self::postgres::Pg::connect(url)?)),
        })
    }

    /// The engine this connection talks to.
    pub(crate) fn dialect(&self) -> Dialect {
        match &self.inner {
            Engine::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection underneath, for what only the store does with it (pragmas,
    /// backups, functions); `None` on another engine.
    #[cfg_attr(not(feature = "postgres"), allow(clippy::unnecessary_wraps))]
    pub(crate) fn sqlite_raw(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            Engine::Sqlite(c) => Some(c),
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => None,
        }
    }

    /// The PostgreSQL connection underneath, for the store (migrations); `None` on SQLite.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres_raw(&self) -> Option<&self::postgres::Pg> {
        match &self.inner {
            Engine::Postgres(c) => Some(c),
            Engine::Sqlite(_) => None,
        }
    }

    /// A statement prepared once per connection and reused by every later call with the same
    /// text: what every statement run more than once uses.
    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        note(sql);
        Ok(Statement {
            inner: match &self.inner {
                Engine::Sqlite(c) => StatementInner::Cached(c.prepare_cached(sql)?),
                #[cfg(feature = "postgres")]
                Engine::Postgres(c) => StatementInner::Postgres(c, c.prepare_cached(sql)?),
            },
            later: false,
        })
    }

    /// A statement prepared for this use only (text built for one call, maintenance).
    pub(crate) fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        note(sql);
        Ok(Statement {
            inner: match &self.inner {
                Engine::Sqlite(c) => StatementInner::Once(c.prepare(sql)?),
                #[cfg(feature = "postgres")]
                Engine::Postgres(c) => StatementInner::Postgres(c, c.prepare(sql)?),
            },
            later: false,
        })
    }

    /// The one row `sql` returns, read by `f`; `storage` with [`StorageKind::NoRows`] when it
    /// returns none (see [`OptionalExtension::optional`]).
    pub(crate) fn query_row<T, P: Params + ?Sized>(
        &self,
        sql: &str,
        params: &P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare(sql)?.query_row(params, f)
    }

    /// Runs one statement; the number of rows it changed.
    pub(crate) fn execute<P: Params + ?Sized>(&self, sql: &str, params: &P) -> Result<usize> {
        self.prepare(sql)?.execute(params)
    }

    /// Runs statements separated by `;`, without parameters and as written (no translation:
    /// what differs between engines is chosen by the caller).
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Engine::Sqlite(c) => Ok(c.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Engine::Postgres(c) => c.batch(sql),
        }
    }

    /// Runs `sql` (statements separated by `;`, without parameters) on a server with the
    /// next statement that needs an answer, in the same round trip.
    #[cfg(feature = "postgres")]
    fn defer_batch(&self, sql: &str) {
        if let Engine::Postgres(c) = &self.inner {
            c.defer_batch(sql);
        }
    }

    /// Forgets what waits to be sent (a transaction being rolled back); `true` when that was
    /// the transaction's start, so there is nothing on the server to roll back.
    fn discard_deferred(&self) -> bool {
        match &self.inner {
            #[cfg(feature = "postgres")]
            Engine::Postgres(c) => c.discard_deferred(),
            Engine::Sqlite(_) => false,
        }
    }

    /// Rows changed by every statement since the connection opened: a cheap way to learn
    /// whether a step wrote anything.
    pub(crate) fn total_changes(&self) -> Result<u64> {
        match &self.inner {
            Engine::Sqlite(c) => Ok(c.total_changes()),
            #[cfg(feature = "postgres")]
            Engine::Postgres(c) => c.total_changes(),
        }
    }

    /// The tables of the database, by name (not the engine's own).
    pub(crate) fn tables(&self) -> Result<Vec<String>> {
        let sql = match self.dialect() {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  ORDER BY name"
            }
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                  ORDER BY table_name"
            }
        };
        let mut stmt = self.prepare_cached(sql)?;
        stmt.query_map(params![], |r| r.get(0))?.collect()
    }

    /// The columns `table` has, in order (the catalog of the database itself, not of crm).
    pub(crate) fn columns(&self, table: &str) -> Result<Vec<String>> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = ?1
                  ORDER BY ordinal_position"
            }
        };
        let mut stmt = self.prepare_cached(sql)?;
        stmt.query_map(params![table], |r| r.get(0))?.collect()
    }

    /// `table`'s foreign keys other than the tenant's: (column, the table it points at).
    pub(crate) fn references(&self, table: &str) -> Result<Vec<(String, String)>> {
        let sql = match self.dialect() {
            Dialect::Sqlite => {
                r#"SELECT "from", "table" FROM pragma_foreign_key_list(?1) WHERE "from" <> 'tenant_id'"#
            }
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                "SELECT CAST(a.attname AS TEXT), CAST(p.relname AS TEXT)
                   FROM pg_constraint k
                   JOIN pg_class t ON t.oid = k.conrelid
                   JOIN pg_class p ON p.oid = k.confrelid
                   CROSS JOIN LATERAL unnest(k.conkey) AS key(attnum)
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = key.attnum
                  WHERE k.contype = 'f' AND t.relname = ?1
                    AND t.relnamespace = CAST(current_schema() AS regnamespace)
                    AND a.attname <> 'tenant_id'
                  ORDER BY k.conname, a.attnum"
            }
        };
        let mut stmt = self.prepare_cached(sql)?;
        stmt.query_map(params![table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    }

    /// `true` when `column` of `table` may be NULL.
    #[cfg(test)]
    pub(crate) fn nullable(&self, table: &str, column: &str) -> Result<bool> {
        let sql = match self.dialect() {
            Dialect::Sqlite => r#"SELECT "notnull" = 0 FROM pragma_table_info(?1) WHERE name = ?2"#,
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                "SELECT is_nullable = 'YES' FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = ?1 AND column_name = ?2"
            }
        };
        self.prepare_cached(sql)?
            .query_row(params![table, column], |r| r.get(0))
    }

    /// What the engine's own check of the database finds wrong, at most `limit` lines (none
    /// when it is sound). A PostgreSQL server checks its own pages: nothing to ask it here.
    pub(crate) fn integrity_problems(&self, limit: usize) -> Result<Vec<String>> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(Vec::new());
        }
        let mut stmt = self.prepare(&format!("PRAGMA integrity_check({limit})"))?;
        let lines = stmt
            .query_map(params![], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>>>()?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }

    /// Rows whose foreign keys point at nothing: "table row id -> parent table". PostgreSQL
    /// never lets one commit, so there are none to find there.
    pub(crate) fn foreign_key_problems(&self) -> Result<Vec<String>> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(Vec::new());
        }
        let mut stmt = self.prepare("PRAGMA foreign_key_check")?;
        stmt.query_map(params![], |r| {
            Ok(format!(
                "{} row {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?
                    .map_or("?".into(), |id| id.to_string()),
                r.get::<_, String>(2)?
            ))
        })?
        .collect()
    }

    /// Checks foreign keys at commit instead of at each statement, for the rest of the
    /// transaction: rows of a group that point at each other move out and back in any order.
    pub(crate) fn defer_foreign_keys(&self) -> Result<()> {
        self.execute_batch(match self.dialect() {
            Dialect::Sqlite => "PRAGMA defer_foreign_keys = ON",
            // Every foreign key of `migrations-pg/` is `DEFERRABLE` for this.
            #[cfg(feature = "postgres")]
            Dialect::Postgres => "SET CONSTRAINTS ALL DEFERRED",
        })
    }

    /// Starts a write transaction that holds a write lock from its first statement: what a
    /// read-then-write relies on. SQLite's is `BEGIN IMMEDIATE`, one lock for the whole
    /// database whatever `lock` says. On PostgreSQL transaction-scoped advisory locks play its
    /// part: a tenant's writers, of every connection and process, commit one at a time, in the
    /// order they took their change-feed sequence numbers (a follower reading the tenant's feed
    /// never passes an entry still in flight), while other tenants' writers run beside them;
    /// work on the whole database ([`WriteLock::Database`]) waits for every tenant's writers
    /// and holds them all off. Counters are locked by row besides (ids, quote numbers).
    pub(crate) fn begin_write(&self, lock: WriteLock) -> Result<Transaction<'_>> {
        match self.dialect() {
            Dialect::Sqlite => self.execute_batch("BEGIN IMMEDIATE")?,
            // Sent with the transaction's first statement that needs an answer: one round
            // trip fewer per write.
            #[cfg(feature = "postgres")]
            Dialect::Postgres => self.defer_batch(&match lock {
                // One key of the schema, taken shared by tenants' writers and exclusively by
                // whole-database work; a tenant's key pairs the schema's with the tenant's id
                // (a two-key lock never meets a one-key lock). Everyone takes the schema's key
                // first, so no two writers wait for each other in a circle.
                WriteLock::Database => {
                    "BEGIN; SELECT pg_advisory_xact_lock(hashtext('crm writes of ' || current_schema()))"
                        .to_owned()
                }
                WriteLock::Tenant(tenant) => format!(
                    "BEGIN; SELECT pg_advisory_xact_lock_shared(hashtext('crm writes of ' || current_schema())),
                     pg_advisory_xact_lock(hashtext('crm writes of ' || current_schema()), {})",
                    // Ids past 2^31 share keys with lower ones: they wait for each other, no more.
                    (tenant & 0x7fff_ffff) as i32
                ),
            }),
        }
        #[cfg(not(feature = "postgres"))]
        let _ = lock;
        Ok(Transaction {
            conn: self,
            open: true,
        })
    }

    /// Starts a read transaction: every statement until it ends reads one snapshot.
    pub(crate) fn begin_read(&self) -> Result<Transaction<'_>> {
        self.execute_batch(match self.dialect() {
            Dialect::Sqlite => "BEGIN DEFERRED",
            #[cfg(feature = "postgres")]
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        })?;
        Ok(Transaction {
            conn: self,
            open: true,
        })
    }

    /// `true` while a transaction is open (SQLite ends one by itself on some errors).
    fn in_transaction(&self) -> bool {
        match &self.inner {
            Engine::Sqlite(c) => !c.is_autocommit(),
            // A failed statement leaves PostgreSQL's transaction open (aborted) until it
            // is rolled back.
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => true,
        }
    }
}

/// What a write transaction locks on a server ([`Connection::begin_write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteLock {
    /// Every tenant: migrations' fill-ins, a copy into the database, a new tenant.
    Database,
    /// One tenant's writes (its row id).
    Tenant(i64),
}

/// A transaction begun by [`Connection::begin_write`] or [`Connection::begin_read`]: it ends
/// with [`Transaction::commit`] or [`Transaction::rollback`], and is rolled back if dropped
/// (an error or a panic on the way).
pub(crate) struct Transaction<'c> {
    conn: &'c Connection,
    open: bool,
}

impl Transaction<'_> {
    pub(crate) fn commit(mut self) -> Result<()> {
        self.open = false;
        self.finish(self.conn.execute_batch("COMMIT"))
    }

    /// After a commit that failed — a statement sent with it refused (a server skips the
    /// rest of the transaction then, the `COMMIT` too), or the commit itself — the
    /// transaction is rolled back, so that the connection's next one starts clean.
    fn finish(&self, committed: Result<()>) -> Result<()> {
        if committed.is_err()
            && self.conn.in_transaction()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back after a failed commit failed");
        }
        committed
    }

    pub(crate) fn rollback(mut self) -> Result<()> {
        self.open = false;
        if self.conn.discard_deferred() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK")
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open && self.conn.discard_deferred() {
            return;
        }
        if self.open
            && self.conn.in_transaction()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back an abandoned transaction failed");
        }
    }
}

enum StatementInner<'c> {
    Cached(rusqlite::CachedStatement<'c>),
    Once(rusqlite::Statement<'c>),
    #[cfg(feature = "postgres")]
    Postgres(&'c self::postgres::Pg, ::postgres::Statement),
}

/// A prepared statement of a [`Connection`].
pub(crate) struct Statement<'c> {
    inner: StatementInner<'c>,
    /// Set by [`Statement::one_row_later`].
    later: bool,
}

impl Statement<'_> {
    /// Runs the statement, whose count of changed rows nobody needs: on a server it goes
    /// with the next statement that needs an answer (a failure surfaces there), on SQLite at
    /// once.
    pub(crate) fn execute_later<P: Params + ?Sized>(&mut self, params: &P) -> Result<()> {
        #[cfg(feature = "postgres")]
        if let StatementInner::Postgres(c, s) = &self.inner {
            c.defer_execute(s, &params.args().collect::<Vec<_>>());
            return Ok(());
        }
        self.execute(params).map(|_| ())
    }

    /// For a statement that writes exactly one row or fails (an upsert by key): on a server
    /// [`Statement::execute`] then sends it with the next statement that needs an answer
    /// (a failure surfaces there) and answers 1 without waiting. SQLite runs it at once.
    pub(crate) fn one_row_later(mut self) -> Self {
        self.later = true;
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) fn execute<P: Params + ?Sized>(&mut self, params: &P) -> Result<usize> {
        #[cfg(feature = "postgres")]
        if self.later
            && let StatementInner::Postgres(c, s) = &self.inner
        {
            c.defer_execute(s, &params.args().collect::<Vec<_>>());
            return Ok(1);
        }
        match &mut self.inner {
            StatementInner::Cached(s) => Ok(s.execute(bind(params))?),
            StatementInner::Once(s) => Ok(s.execute(bind(params))?),
            #[cfg(feature = "postgres")]
            StatementInner::Postgres(c, s) => c.execute(s, &params.args().collect::<Vec<_>>()),
        }
    }

    /// The first row, read by `f`; `storage` with [`StorageKind::NoRows`] when there is none.
    pub(crate) fn query_row<T, P: Params + ?Sized>(
        &mut self,
        params: &P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => f(&row),
            None => Err(Error::Storage(StorageError::new(
                StorageKind::NoRows,
                "Query returned no rows",
            ))),
        }
    }

    /// `true` when the statement returns at least one row.
    pub(crate) fn exists<P: Params + ?Sized>(&mut self, params: &P) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    /// The rows, one at a time.
    pub(crate) fn query<P: Params + ?Sized>(&mut self, params: &P) -> Result<Rows<'_>> {
        Ok(Rows {
            inner: match &mut self.inner {
                StatementInner::Cached(s) => RowsInner::Sqlite(s.query(bind(params))?),
                StatementInner::Once(s) => RowsInner::Sqlite(s.query(bind(params))?),
                #[cfg(feature = "postgres")]
                StatementInner::Postgres(c, s) => RowsInner::Postgres(
                    c.query(s, &params.args().collect::<Vec<_>>())?.into_iter(),
                    None,
                ),
            },
        })
    }

    /// The rows, each read by `f`, as an iterator of results.
    pub(crate) fn query_map<T, P, F>(&mut self, params: &P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params + ?Sized,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// The names of the columns the statement returns, in order.
    pub(crate) fn column_names(&mut self) -> Vec<String> {
        match &mut self.inner {
            StatementInner::Cached(s) => s.column_names().map(str::to_owned).collect(),
            StatementInner::Once(s) => s.column_names().map(str::to_owned).collect(),
            #[cfg(feature = "postgres")]
            StatementInner::Postgres(_, s) => {
                s.columns().iter().map(|c| c.name().to_owned()).collect()
            }
        }
    }
}

/// The rows of a running statement.
pub(crate) struct Rows<'s> {
    inner: RowsInner<'s>,
}

enum RowsInner<'s> {
    Sqlite(rusqlite::Rows<'s>),
    /// PostgreSQL's rows, read whole; the one last returned.
    #[cfg(feature = "postgres")]
    Postgres(std::vec::IntoIter<::postgres::Row>, Option<::postgres::Row>),
}

impl Rows<'_> {
    /// The next row, or `None` after the last.
    // Not an `Iterator`: a row borrows the statement until the next call.
    #[allow(clippy::should_implement_trait)]
    pub(crate) fn next(&mut self) -> Result<Option<Row<'_>>> {
        match &mut self.inner {
            RowsInner::Sqlite(rows) => Ok(rows.next()?.map(|inner| Row {
                inner: RowInner::Sqlite(inner),
            })),
            #[cfg(feature = "postgres")]
            RowsInner::Postgres(rows, current) => {
                *current = rows.next();
                Ok(current.as_ref().map(|inner| Row {
                    inner: RowInner::Postgres(inner),
                }))
            }
        }
    }
}

/// The rows of a running statement, each read by a function.
pub(crate) struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F: FnMut(&Row<'_>) -> Result<T>> Iterator for MappedRows<'_, F> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(row)) => Some((self.f)(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row of a result.
pub(crate) struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    #[cfg(feature = "postgres")]
    Postgres(&'r ::postgres::Row),
}

impl Row<'_> {
    /// Column `index` (from 0) as a `T`; `storage` when the value is not one.
    pub(crate) fn get<I: ColumnIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let i = index.position(self)?;
        let value = self.get_ref(i)?;
        T::from_sql(value).map_err(|message| bad_column(i, message))
    }

    /// Column `index` as it is stored.
    pub(crate) fn get_ref(&self, index: usize) -> Result<ValueRef<'_>> {
        match self.inner {
            RowInner::Sqlite(row) => ValueRef::from_sqlite(row.get_ref(index)?, index),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(row) => self::postgres::value(row, index),
        }
    }

    /// How many columns the row has.
    pub(crate) fn column_count(&self) -> usize {
        match self.inner {
            RowInner::Sqlite(row) => row.as_ref().column_count(),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(row) => row.len(),
        }
    }
}

/// A column of a row: its position (from 0) or its name.
pub(crate) trait ColumnIndex {
    fn position(self, row: &Row<'_>) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn position(self, _: &Row<'_>) -> Result<usize> {
        Ok(self)
    }
}

impl ColumnIndex for &str {
    fn position(self, row: &Row<'_>) -> Result<usize> {
        match row.inner {
            RowInner::Sqlite(r) => Ok(r.as_ref().column_index(self)?),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(r) => r
                .columns()
                .iter()
                .position(|c| c.name() == self)
                .ok_or_else(|| bad_column(0, format!("no column named {self}"))),
        }
    }
}

/// A value as a statement returns it, borrowed from its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> ValueRef<'a> {
    fn from_sqlite(value: rusqlite::types::ValueRef<'a>, column: usize) -> Result<ValueRef<'a>> {
        use rusqlite::types::ValueRef as V;
        Ok(match value {
            V::Null => ValueRef::Null,
            V::Integer(i) => ValueRef::Integer(i),
            V::Real(x) => ValueRef::Real(x),
            V::Text(t) => ValueRef::Text(
                std::str::from_utf8(t)
                    .map_err(|e| bad_column(column, format!("text that is not UTF-8: {e}")))?,
            ),
            V::Blob(b) => ValueRef::Blob(b),
        })
    }

    fn type_name(self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }

    /// The owned copy.
    pub(crate) fn to_owned_value(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Text(t) => Value::Text(t.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// A value to bind or read back, owned: what statements built at run time (criteria, lists,
/// restores from the trash) carry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// A list bound as one parameter, read by `IN rarray(?N)`.
    Array(Arc<[Value]>),
}

impl Value {
    /// A list of ids, for `IN rarray(?N)`.
    pub(crate) fn ids(ids: impl IntoIterator<Item = i64>) -> Value {
        Value::Array(ids.into_iter().map(Value::Integer).collect())
    }

    /// A list of texts, for `IN rarray(?N)`.
    pub(crate) fn texts<S: Into<String>>(texts: impl IntoIterator<Item = S>) -> Value {
        Value::Array(texts.into_iter().map(|t| Value::Text(t.into())).collect())
    }

    fn as_ref(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(t) => ValueRef::Text(t),
            Value::Blob(b) => ValueRef::Blob(b),
            Value::Array(items) => return ToSqlOutput::Array(items),
        })
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Integer(i)
    }
}

impl From<String> for Value {
    fn from(t: String) -> Value {
        Value::Text(t)
    }
}

impl From<&str> for Value {
    fn from(t: &str) -> Value {
        Value::Text(t.to_owned())
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Real(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Integer(i64::from(b))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// What a parameter binds as.
#[derive(Debug, Clone)]
pub(crate) enum ToSqlOutput<'a> {
    Borrowed(ValueRef<'a>),
    Array(&'a Arc<[Value]>),
}

/// A Rust value that binds as a statement parameter.
pub(crate) trait ToSql {
    fn to_sql(&self) -> ToSqlOutput<'_>;
}

/// A Rust value read from a column; the error says what was found instead.
pub(crate) trait FromSql: Sized {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String>;
}

fn wrong(expected: &str, found: ValueRef<'_>) -> String {
    format!("expected {expected}, found {}", found.type_name())
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        match self {
            Some(v) => v.to_sql(),
            None => ToSqlOutput::Borrowed(ValueRef::Null),
        }
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        (**self).to_sql()
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        self.as_ref()
    }
}

impl ToSql for ValueRef<'_> {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(*self)
    }
}

impl ToSql for str {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Text(self))
    }
}

impl ToSql for String {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Text(self))
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Blob(self))
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Blob(self))
    }
}

impl ToSql for bool {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*self)))
    }
}

impl ToSql for f64 {
    fn to_sql(&self) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Real(*self))
    }
}

macro_rules! integer {
    ($convert:expr => $($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> ToSqlOutput<'_> {
                let convert: fn($t) -> i64 = $convert;
                ToSqlOutput::Borrowed(ValueRef::Integer(convert(*self)))
            }
        }

        impl FromSql for $t {
            fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
                match value {
                    ValueRef::Integer(i) => <$t>::try_from(i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    other => Err(wrong("an integer", other)),
                }
            }
        }
    )*};
}
integer!(i64::from => i64, i32, u32, u16, u8);
// Counts and sizes beyond `i64` cannot be stored; they bind as the largest integer rather
// than fail (no count in this crate comes near).
integer!(|v| i64::try_from(v).unwrap_or(i64::MAX) => u64, usize);

impl FromSql for f64 {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Real(x) => Ok(x),
            #[allow(clippy::cast_precision_loss)]
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(wrong("a number", other)),
        }
    }
}

impl FromSql for bool {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Integer(i) => Ok(i != 0),
            other => Err(wrong("a boolean", other)),
        }
    }
}

impl FromSql for String {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Text(t) => Ok(t.to_owned()),
            other => Err(wrong("text", other)),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            other => Err(wrong("a blob", other)),
        }
    }
}

impl FromSql for Value {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(value.to_owned_value())
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_sql(other).map(Some),
        }
    }
}

/// The parameters of a statement: `params![a, b, …]`, or a list of [`Value`]s built at run
/// time. Bound by position: `?N` is the Nth.
pub(crate) trait Params {
    fn args(&self) -> impl Iterator<Item = ToSqlOutput<'_>>;
}

impl<T: ToSql> Params for [T] {
    fn args(&self) -> impl Iterator<Item = ToSqlOutput<'_>> {
        self.iter().map(ToSql::to_sql)
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn args(&self) -> impl Iterator<Item = ToSqlOutput<'_>> {
        self.iter().map(ToSql::to_sql)
    }
}

impl<T: ToSql> Params for Vec<T> {
    fn args(&self) -> impl Iterator<Item = ToSqlOutput<'_>> {
        self.iter().map(ToSql::to_sql)
    }
}

/// The parameters of a statement, by position: `params![tenant, id]`.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::sql::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::sql::ToSql),+] as &[&dyn $crate::sql::ToSql]
    };
}
pub(crate) use params;

fn bind<P: Params + ?Sized>(
    params: &P,
) -> rusqlite::ParamsFromIter<impl Iterator<Item = Bound<'_>>> {
    rusqlite::params_from_iter(params.args().map(Bound))
}

/// A parameter as SQLite binds it.
struct Bound<'a>(ToSqlOutput<'a>);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput as O, Value as V, ValueRef as R};
        fn owned(v: &Value) -> V {
            // Lists do not nest.
            match v {
                Value::Null | Value::Array(_) => V::Null,
                Value::Integer(i) => V::Integer(*i),
                Value::Real(x) => V::Real(*x),
                Value::Text(t) => V::Text(t.clone()),
                Value::Blob(b) => V::Blob(b.clone()),
            }
        }
        // What `rusqlite::vtab::array::Array` binds, for `rarray(?N)`.
        fn array<'a>(items: &[Value]) -> O<'a> {
            O::from_rc(
                std::rc::Rc::new(items.iter().map(owned).collect::<Vec<V>>()),
                c"rarray",
            )
        }
        Ok(match &self.0 {
            ToSqlOutput::Borrowed(v) => O::Borrowed(match *v {
                ValueRef::Null => R::Null,
                ValueRef::Integer(i) => R::Integer(i),
                ValueRef::Real(x) => R::Real(x),
                ValueRef::Text(t) => R::Text(t.as_bytes()),
                ValueRef::Blob(b) => R::Blob(b),
            }),
            ToSqlOutput::Array(items) => array(items),
        })
    }
}

/// Turns "no row" into `None`, as a lookup that may find nothing wants.
pub(crate) trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::Storage(e)) if e.kind() == StorageKind::NoRows => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A stored value that does not read as what its column holds (JSON that does not parse):
/// `storage`, naming the column.
pub(crate) fn bad_column(column: usize, e: impl std::fmt::Display) -> Error {
    Error::Storage(StorageError::new(
        StorageKind::Other,
        format!("column {column}: {e}"),
    ))
}
