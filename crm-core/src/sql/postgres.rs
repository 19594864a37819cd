//! PostgreSQL's side of the seam: a connection to a server, statements translated when
//! prepared (they are written once, see the parent module: placeholders, the list parameter,
//! and the few SQLite spellings that have no shared form), parameters written as the type the
//! server expects, and values read back as the seam's.

use super::{ToSqlOutput, Value, ValueRef, bad_column};
use crate::error::{Error, Result, StorageError, StorageKind};
use bytes::{BufMut, BytesMut};
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use regex::Regex;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::LazyLock;
use std::task::{Context, Poll};
use tokio_postgres::AsyncMessage;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// Statements kept prepared per connection; past this many the cache starts again (statements
/// built at run time with their text varying would otherwise pile up on the server).
const CACHED_STATEMENTS: usize = 512;

/// What drives a connection's socket: tokio-postgres's `Connection`, whatever its TLS.
type Driver = Box<
    dyn FnMut(&mut Context<'_>) -> Poll<Option<std::result::Result<AsyncMessage, postgres::Error>>>
        + Send,
>;

/// A deferred statement on its way: its count of changed rows, or the server's refusal.
type Sending<'c> = Pin<Box<dyn Future<Output = std::result::Result<u64, postgres::Error>> + 'c>>;

/// A statement sent with the next one that needs an answer (see [`Pg::defer_batch`]).
enum Deferred {
    /// Statements separated by `;`, without parameters.
    Batch(String),
    /// A prepared statement and its parameters.
    Execute(postgres::Statement, Vec<Value>),
}

/// One connection to a PostgreSQL server.
///
/// tokio-postgres's client, driven on this thread by a runtime of its own (as the synchronous
/// `postgres` crate drives it), so that statements whose answer nobody waits for — a write
/// transaction's `BEGIN` and locks, its audit and change-feed entries — go out with the next
/// statement that needs one, in one round trip (a pipeline: each still ends with its own
/// `Sync`, so the first failure fails the rest of the transaction, as one by one). The state is
/// borrowed per call, which `RefCell`s give: a connection is used by one thread at a time (the
/// store hands it out under a lock), like SQLite's.
pub(crate) struct Pg {
    // Dropped before `driving`, which then tells the server goodbye.
    client: tokio_postgres::Client,
    driving: Driving,
    /// Statements waiting to go out with the next round trip, in order.
    deferred: RefCell<Vec<Deferred>>,
    /// Prepared statements by their text as written (before translation).
    cache: RefCell<HashMap<String, postgres::Statement>>,
    /// Rows changed by every statement run through [`Pg::execute`]: SQLite's `total_changes`.
    changes: Cell<u64>,
    /// How to connect again, for migrations (refinery drives a client of its own).
    config: postgres::Config,
}

/// Connects with `tls`; the client, and the connection as a [`Driver`] (its type names the
/// TLS stream, which differs between the two ways to connect).
fn start<T>(
    runtime: &tokio::runtime::Runtime,
    config: &tokio_postgres::Config,
    tls: T,
) -> std::result::Result<(tokio_postgres::Client, Driver), postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + 'static + Send,
    T::Stream: Send,
{
    let (client, mut connection) = runtime.block_on(config.connect(tls))?;
    let driver: Driver = Box::new(move |cx| connection.poll_message(cx));
    Ok((client, driver))
}

/// The runtime and the connection it drives: when dropped (after the client, whose going
/// closes the connection's queue of requests), the connection is driven to its end, which
/// sends the server `Terminate` instead of leaving it to find the socket gone.
struct Driving {
    runtime: tokio::runtime::Runtime,
    driver: RefCell<Driver>,
}

impl Drop for Driving {
    fn drop(&mut self) {
        let driver = self.driver.get_mut();
        self.runtime.block_on(std::future::poll_fn(|cx| {
            loop {
                match (*driver)(cx) {
                    Poll::Ready(Some(Ok(_))) => {}
                    Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }));
    }
}

impl Pg {
    /// Connects to the server `url` names. The error never repeats the URL (it may hold a
    /// password).
    pub(crate) fn connect(url: &str) -> Result<Pg> {
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::invalid("db", format!("not a PostgreSQL connection URL: {e}"))
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::Storage(StorageError::new(
                    StorageKind::Other,
                    format!("cannot start the PostgreSQL client: {e}"),
                ))
            })?;
        // The same URL read by the asynchronous client's parser (the synchronous `Config`
        // keeps its own inside, out of reach).
        let async_config: tokio_postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::invalid("db", format!("not a PostgreSQL connection URL: {e}"))
        })?;
        // TLS when the URL asks for it (`sslmode=require`), with the server's certificate
        // verified; `prefer` (the default) and `disable` connect without.
        let connected = if config.get_ssl_mode() == postgres::config::SslMode::Require {
            start(&runtime, &async_config, tls()?)
        } else {
            start(&runtime, &async_config, postgres::NoTls)
        };
        let (client, driver) = connected.map_err(|e| {
            let host = config
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .unwrap_or_default();
            Error::Storage(StorageError::new(
                StorageKind::Other,
                format!("cannot connect to PostgreSQL at {host}: {}", message(&e)),
            ))
        })?;
        Ok(Pg {
            client,
            driving: Driving {
                runtime,
                driver: RefCell::new(driver),
            },
            deferred: RefCell::new(Vec::new()),
            cache: RefCell::new(HashMap::new()),
            changes: Cell::new(0),
            config,
        })
    }

    /// A synchronous client of its own on the same server and schema, for what a library
    /// drives itself (refinery's migrations).
    pub(crate) fn second_client(&self) -> Result<postgres::Client> {
        let connected = if self.config.get_ssl_mode() == postgres::config::SslMode::Require {
            self.config.connect(tls()?)
        } else {
            self.config.connect(postgres::NoTls)
        };
        connected.map_err(|e| {
            Error::Storage(StorageError::new(
                StorageKind::Other,
                format!("cannot connect to PostgreSQL: {}", message(&e)),
            ))
        })
    }

    /// Runs `current` on this thread, driving the connection meanwhile; the deferred
    /// statements go out first, in the same round trip. The first failure among them all is
    /// the answer (a failed statement fails the rest of its transaction).
    fn run<T>(
        &self,
        current: impl Future<Output = std::result::Result<T, postgres::Error>>,
    ) -> std::result::Result<T, postgres::Error> {
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        let client = &self.client;
        // Each future sends its request when first polled: polled in order, they go out in
        // order, before any answer is awaited.
        let mut earlier: Vec<Sending<'_>> = deferred
            .iter()
            .map(|d| -> Sending<'_> {
                match d {
                    Deferred::Batch(sql) => {
                        Box::pin(async move { client.batch_execute(sql).await.map(|()| 0) })
                    }
                    Deferred::Execute(statement, values) => Box::pin(async move {
                        let outputs: Vec<ToSqlOutput<'_>> =
                            values.iter().map(Value::as_ref).collect();
                        let args: Vec<Arg<'_, '_>> = outputs.iter().map(Arg).collect();
                        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
                        client.execute(statement, &refs).await
                    }),
                }
            })
            .collect();
        let mut done: Vec<Option<std::result::Result<u64, postgres::Error>>> =
            earlier.iter().map(|_| None).collect();
        let mut current = pin!(current);
        let mut answer = None;
        let mut driver = self.driving.driver.borrow_mut();
        let outcome = self.driving.runtime.block_on(std::future::poll_fn(|cx| {
            loop {
                match (*driver)(cx) {
                    Poll::Ready(Some(Ok(AsyncMessage::Notice(notice)))) => {
                        tracing::debug!(notice = notice.message(), "PostgreSQL says");
                    }
                    Poll::Ready(Some(Ok(_))) => {}
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                    // Closed, or nothing to read now: the requests learn which.
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            for (future, slot) in earlier.iter_mut().zip(done.iter_mut()) {
                if slot.is_none()
                    && let Poll::Ready(result) = future.as_mut().poll(cx)
                {
                    *slot = Some(result);
                }
            }
            if answer.is_none()
                && let Poll::Ready(result) = current.as_mut().poll(cx)
            {
                answer = Some(result);
            }
            if answer.is_some() && done.iter().all(Option::is_some) {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        }));
        outcome?;
        for result in done.into_iter().flatten() {
            let changed = result?;
            self.changes.set(self.changes.get().saturating_add(changed));
        }
        answer.unwrap_or_else(|| unreachable!("polled to its end above"))
    }

    /// Sends `sql` (statements separated by `;`, without parameters and untranslated) with the
    /// next statement that needs an answer: a failure surfaces there.
    pub(crate) fn defer_batch(&self, sql: &str) {
        self.deferred
            .borrow_mut()
            .push(Deferred::Batch(sql.to_owned()));
    }

    /// Runs `statement` with the next statement that needs an answer; its count of changed
    /// rows joins [`Pg::total_changes`] then.
    pub(crate) fn defer_execute(&self, statement: &postgres::Statement, args: &[ToSqlOutput<'_>]) {
        let values = args.iter().map(owned).collect();
        self.deferred
            .borrow_mut()
            .push(Deferred::Execute(statement.clone(), values));
    }

    /// Forgets the deferred statements (their transaction is being rolled back); `true` when
    /// the transaction's `BEGIN` was among them, so the server never saw it.
    pub(crate) fn discard_deferred(&self) -> bool {
        let mut deferred = self.deferred.borrow_mut();
        let unseen =
            matches!(deferred.first(), Some(Deferred::Batch(sql)) if sql.starts_with("BEGIN"));
        deferred.clear();
        unseen
    }

    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<postgres::Statement> {
        if let Some(found) = self.cache.borrow().get(sql) {
            return Ok(found.clone());
        }
        let prepared = self.prepare(sql)?;
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= CACHED_STATEMENTS {
            cache.clear();
        }
        cache.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    pub(crate) fn prepare(&self, sql: &str) -> Result<postgres::Statement> {
        let translated = translate(sql);
        self.run(self.client.prepare(&translated))
            .map_err(|e| refusal(&e, &translated))
    }

    pub(crate) fn execute(
        &self,
        statement: &postgres::Statement,
        args: &[ToSqlOutput<'_>],
    ) -> Result<usize> {
        let args: Vec<Arg<'_, '_>> = args.iter().map(Arg).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        let changed = self.run(self.client.execute(statement, &refs))?;
        self.changes.set(self.changes.get().saturating_add(changed));
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    /// Every row the statement returns: read whole, so that a caller may run other statements
    /// on the connection while it walks them (the client serves one request at a time).
    pub(crate) fn query(
        &self,
        statement: &postgres::Statement,
        args: &[ToSqlOutput<'_>],
    ) -> Result<Vec<postgres::Row>> {
        let args: Vec<Arg<'_, '_>> = args.iter().map(Arg).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as _).collect();
        Ok(self.run(self.client.query(statement, &refs))?)
    }

    /// Runs statements separated by `;`, without parameters and untranslated.
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.run(self.client.batch_execute(sql))?)
    }

    /// Rows changed so far; deferred statements are run first, to be counted.
    pub(crate) fn total_changes(&self) -> Result<u64> {
        if !self.deferred.borrow().is_empty() {
            self.run(async { Ok(()) })?;
        }
        Ok(self.changes.get())
    }
}

/// A parameter's value, owned: what a deferred statement keeps until it is sent.
fn owned(arg: &ToSqlOutput<'_>) -> Value {
    match arg {
        ToSqlOutput::Borrowed(value) => value.to_owned_value(),
        ToSqlOutput::Array(items) => Value::Array(std::sync::Arc::clone(items)),
    }
}

/// A statement the server would not prepare: its message, and where in the statement (the
/// text carries no values, which are bound).
fn refusal(e: &postgres::Error, sql: &str) -> Error {
    let mut error = Error::from_postgres(e);
    let at = match e.as_db_error().and_then(|d| d.position()) {
        Some(postgres::error::ErrorPosition::Original(at)) => usize::try_from(*at).unwrap_or(0),
        _ => 0,
    };
    if let Error::Storage(storage) = &mut error {
        let chars: Vec<char> = sql.chars().collect();
        let from = at.saturating_sub(60).min(chars.len());
        let to = (at + 60).min(chars.len());
        let near: String = chars[from..to].iter().collect();
        *storage = StorageError::new(
            storage.kind(),
            format!(
                "{storage} in: …{}…",
                near.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        );
    }
    error
}

/// The TLS set-up of every connection that asks for it: rustls, the server's certificate
/// checked against the system's trusted certificates — or those of `SSL_CERT_FILE` /
/// `SSL_CERT_DIR`, where a private certificate authority goes — and its name.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    static CONFIG: std::sync::OnceLock<std::result::Result<rustls::ClientConfig, String>> =
        std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(format!(
                "sslmode=require, but no trusted certificate was found to verify the server \
                 with (the system's store, or SSL_CERT_FILE){}",
                found
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
        // ring, not aws-lc-rs: no C library to build beyond ring's own. ring has no
        // post-quantum key exchange, which servers built with OpenSSL before 3.5 (Debian's
        // PostgreSQL 15 among them) do not offer either.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth())
            .map_err(|e| format!("TLS: {e}"))
    });
    match config {
        Ok(config) => Ok(tokio_postgres_rustls::MakeRustlsConnect::new(
            config.clone(),
        )),
        Err(message) => Err(Error::invalid("db", message.clone())),
    }
}

/// What the server said, without the prefix the client adds. Not its detail, which may quote
/// the values of a row (a duplicate key's), to keep them out of error messages and logs.
fn message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    // The client's own errors name their cause apart ("error connecting to server", then
    // "Connection refused").
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::from_postgres(&e)
    }
}

impl Error {
    fn from_postgres(e: &postgres::Error) -> Self {
        let kind = match e.code() {
            Some(code) if code.code().starts_with("23") => StorageKind::Constraint,
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED
                    || *code == SqlState::LOCK_NOT_AVAILABLE =>
            {
                StorageKind::Busy
            }
            // A trigger's guard (`RAISE EXCEPTION`) refuses a write as SQLite's `RAISE(ABORT)`.
            Some(code) if *code == SqlState::RAISE_EXCEPTION => StorageKind::Constraint,
            _ => StorageKind::Other,
        };
        Error::Storage(StorageError::new(kind, message(e)))
    }
}

/// A parameter, written as the type the server inferred for its placeholder: SQLite's types
/// are loose where PostgreSQL's are strict, so the conversions SQLite's column affinity would
/// make (an integer into a text column, numeric text into an integer one) are made here.
#[derive(Debug)]
struct Arg<'v, 'a>(&'v ToSqlOutput<'a>);

impl ToSql for Arg<'_, '_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            ToSqlOutput::Borrowed(value) => scalar(*value, ty, out),
            ToSqlOutput::Array(items) => array(items, ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn mismatch(what: &str, ty: &Type) -> BoxError {
    format!("cannot bind {what} as {ty}").into()
}

fn scalar(
    value: ValueRef<'_>,
    ty: &Type,
    out: &mut BytesMut,
) -> std::result::Result<IsNull, BoxError> {
    let text = |t: &str, out: &mut BytesMut| -> std::result::Result<IsNull, BoxError> {
        match *ty {
            Type::JSONB => {
                // jsonb's binary form: a version byte, then the text.
                out.put_u8(1);
                out.put_slice(t.as_bytes());
                Ok(IsNull::No)
            }
            Type::JSON | Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                out.put_slice(t.as_bytes());
                Ok(IsNull::No)
            }
            _ => Err(mismatch("text", ty)),
        }
    };
    match value {
        ValueRef::Null => Ok(IsNull::Yes),
        ValueRef::Integer(i) => match *ty {
            Type::INT8 => i.to_sql(ty, out),
            Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
            Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
            Type::BOOL => (i != 0).to_sql(ty, out),
            #[allow(clippy::cast_precision_loss)]
            Type::FLOAT8 => (i as f64).to_sql(ty, out),
            _ => text(&i.to_string(), out),
        },
        ValueRef::Real(x) => match *ty {
            Type::FLOAT8 => x.to_sql(ty, out),
            #[allow(clippy::cast_possible_truncation)]
            Type::FLOAT4 => (x as f32).to_sql(ty, out),
            _ => Err(mismatch("a real number", ty)),
        },
        ValueRef::Text(t) => match *ty {
            Type::INT8 => t
                .parse::<i64>()
                .map_err(|_| mismatch("text that is not an integer", ty))?
                .to_sql(ty, out),
            _ => text(t, out),
        },
        ValueRef::Blob(b) => match *ty {
            Type::BYTEA => b.to_sql(ty, out),
            _ => Err(mismatch("bytes", ty)),
        },
    }
}

fn array(items: &[Value], ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
    match *ty {
        Type::INT8_ARRAY => items
            .iter()
            .map(|v| match v {
                Value::Integer(i) => Ok(*i),
                _ => Err(mismatch("a list that is not of integers", ty)),
            })
            .collect::<std::result::Result<Vec<i64>, _>>()?
            .to_sql(ty, out),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => items
            .iter()
            .map(|v| match v {
                Value::Text(t) => Ok(t.as_str()),
                _ => Err(mismatch("a list that is not of texts", ty)),
            })
            .collect::<std::result::Result<Vec<&str>, _>>()?
            .to_sql(ty, out),
        _ => Err(mismatch("a list", ty)),
    }
}

/// A column's bytes as the server sent them (binary format), whatever its type.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Column `index` of `row` as the seam's value: integers and booleans as integers (as SQLite
/// keeps them), text and JSON as text, `bytea` as a blob.
pub(crate) fn value(row: &postgres::Row, index: usize) -> Result<ValueRef<'_>> {
    let Some(column) = row.columns().get(index) else {
        return Err(bad_column(index, "no such column"));
    };
    let ty = column.type_();
    let Raw(raw) = row.try_get(index)?;
    let Some(raw) = raw else {
        return Ok(ValueRef::Null);
    };
    let bad = |e: BoxError| bad_column(index, e);
    Ok(match *ty {
        Type::INT8 => ValueRef::Integer(i64::from_sql(ty, raw).map_err(bad)?),
        Type::INT4 => ValueRef::Integer(i32::from_sql(ty, raw).map_err(bad)?.into()),
        Type::INT2 => ValueRef::Integer(i16::from_sql(ty, raw).map_err(bad)?.into()),
        Type::BOOL => ValueRef::Integer(bool::from_sql(ty, raw).map_err(bad)?.into()),
        Type::FLOAT8 => ValueRef::Real(f64::from_sql(ty, raw).map_err(bad)?),
        Type::FLOAT4 => ValueRef::Real(f32::from_sql(ty, raw).map_err(bad)?.into()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
            ValueRef::Text(std::str::from_utf8(raw).map_err(|e| bad(e.into()))?)
        }
        Type::JSONB => match raw.split_first() {
            Some((1, json)) => {
                ValueRef::Text(std::str::from_utf8(json).map_err(|e| bad(e.into()))?)
            }
            _ => return Err(bad_column(index, "jsonb of an unknown version")),
        },
        Type::BYTEA => ValueRef::Blob(raw),
        // Sums of integers are `numeric` on PostgreSQL: statements cast them back.
        _ => {
            return Err(bad_column(
                index,
                format!("a {ty} (statements read integers, numbers, text and bytes; cast it)"),
            ));
        }
    })
}

/// `sql` as PostgreSQL reads it:
///
/// - `?N` → `$N`; a bare `?` takes the number after the largest so far, and `:name` the next
///   number at its first appearance, as SQLite numbers them;
/// - `x IN rarray(?N)` → `x = ANY($N)` (the list bound as an array);
/// - `crm_lower(…)` → `lower(…)` (which folds by the database's locale: give it a UTF-8 one);
///   `instr` → `strpos`; `json_group_array` → `json_agg`;
/// - `json_each(col)` in `FROM` → the elements of `col` read as JSON text, in a column `value`;
/// - `json_extract(col, '$.key')` → `col`'s `key` as text;
/// - `a = ?N COLLATE NOCASE` → `lower(a) = lower($N)`;
/// - `json_object` → `json_build_object`; a score's clamp `MAX(0, MIN(100, …))` → `GREATEST`
///   and `LEAST`; `date(ms / 1000, 'unixepoch')` → the UTC day as `YYYY-MM-DD`;
/// - in `CREATE TEMP TABLE`, `INTEGER` → `BIGINT` (its `INTEGER PRIMARY KEY` an identity).
///
/// Placeholders are found outside string literals, quoted names and comments. The rewrites
/// above match spellings crm itself writes; values never reach the text (they are bound).
pub(crate) fn translate(sql: &str) -> String {
    static REWRITES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (
                r"json_extract\(([\w.]+), '\$\.(\w+)'\)",
                "(CAST($1 AS jsonb) ->> '$2')",
            ),
            (
                r"(\(CAST\([\w.]+ AS jsonb\) ->> '\w+'\)|[\w.]+) = (\?\d+) COLLATE NOCASE",
                "lower($1) = lower($2)",
            ),
            (r"\bIN rarray\((\?\d*)\)", "= ANY($1)"),
            (r"\bcrm_lower\(", "lower("),
            (r"\binstr\(", "strpos("),
            (r"\bjson_group_array\(", "json_agg("),
            (
                r"\bjson_each\(([\w.]+)\)",
                "jsonb_array_elements_text(CAST($1 AS jsonb)) AS json_each(value)",
            ),
            (r"\bjson_object\(", "json_build_object("),
            // SQLite's two-argument MAX and MIN, as a score is clamped.
            (r"\bMAX\(0, MIN\(100, ", "GREATEST(0, LEAST(100, "),
            (
                r"\bdate\(([\w.]+) / 1000, 'unixepoch'\)",
                "to_char(to_timestamp($1 / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            ),
        ]
        .into_iter()
        .map(|(pattern, with)| (Regex::new(pattern).expect("a valid pattern"), with))
        .collect()
    });
    // A temporary table's row number is what SQLite makes of an `INTEGER PRIMARY KEY`.
    static TEMPORARY: LazyLock<[(Regex, &'static str); 2]> = LazyLock::new(|| {
        [
            (
                Regex::new(r"\bINTEGER PRIMARY KEY\b").expect("a valid pattern"),
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            ),
            (
                Regex::new(r"\bINTEGER\b").expect("a valid pattern"),
                "BIGINT",
            ),
        ]
    });
    let mut text = sql.to_owned();
    let temporary = sql
        .starts_with("CREATE TEMP TABLE")
        .then_some(TEMPORARY.iter());
    for (pattern, with) in REWRITES.iter().chain(temporary.into_iter().flatten()) {
        if let std::borrow::Cow::Owned(rewritten) = pattern.replace_all(&text, *with) {
            text = rewritten;
        }
    }
    placeholders(&text)
}

/// Numbers every parameter `$N` the way SQLite numbers `?N`, `?` and `:name`, leaving quoted
/// text alone.
fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut names: Vec<String> = Vec::new();
    let mut largest = 0_usize;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                // A quoted run ends at the same quote not doubled.
                out.push(c);
                while let Some((_, q)) = chars.next() {
                    out.push(q);
                    if q == c {
                        if chars.peek().is_some_and(|(_, n)| *n == c) {
                            out.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek().is_some_and(|(_, n)| *n == '-') => {
                // A comment runs to the end of its line.
                out.push(c);
                for (_, q) in chars.by_ref() {
                    out.push(q);
                    if q == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let digits: String = std::iter::from_fn(|| {
                    chars.next_if(|(_, d)| d.is_ascii_digit()).map(|(_, d)| d)
                })
                .collect();
                let n = if digits.is_empty() {
                    largest + 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                largest = largest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            ':' if !sql[..i].ends_with(':')
                && chars
                    .peek()
                    .is_some_and(|(_, n)| n.is_ascii_alphabetic() || *n == '_') =>
            {
                let name: String = std::iter::from_fn(|| {
                    chars
                        .next_if(|(_, d)| d.is_ascii_alphanumeric() || *d == '_')
                        .map(|(_, d)| d)
                })
                .collect();
                let n = if let Some(at) = names.iter().position(|known| *known == name) {
                    at + 1
                } else {
                    names.push(name);
                    largest += 1;
                    largest
                };
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// What a PostgreSQL server at `url` makes of `statements`, each translated and prepared in a
/// schema of its own that `migrate` brings to `migrations-pg/`'s latest: the refused ones, each
/// with the server's message and the statement as translated.
#[cfg(test)]
pub(crate) fn refused(
    url: &str,
    statements: &std::collections::BTreeSet<String>,
    migrate: impl FnOnce(&mut postgres::Client),
) -> Vec<String> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let schema = format!("statements_{}", std::process::id());
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema}"
        ))
        .unwrap();
    migrate(&mut client);
    let mut refused = Vec::new();
    // The engine's own catalog and checks are read by other statements on each engine.
    let ours = |s: &&String| {
        !s.contains("pragma_") && !s.contains("sqlite_master") && !s.starts_with("PRAGMA")
    };
    // Temporary tables are made first, as the run made them before using them.
    for sql in statements
        .iter()
        .filter(|s| s.starts_with("CREATE TEMP TABLE"))
    {
        client.batch_execute(&translate(sql)).unwrap();
    }
    for sql in statements.iter().filter(ours) {
        let translated = translate(sql);
        if let Err(e) = client.prepare(&translated) {
            let message = e
                .as_db_error()
                .map_or(e.to_string(), |d| d.message().to_owned());
            refused.push(format!(
                "{message}\n    {}",
                translated.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
    refused
}

#[cfg(test)]
mod tests {
    use super::{Pg, translate};

    #[test]
    fn a_url_that_asks_for_what_crm_cannot_do_is_refused_without_its_password() {
        for url in [
            "postgresql://crm:s3cret@127.0.0.1:1/crm?sslmode=verify-full",
            "postgresql://crm:s3cret@127.0.0.1:notaport/crm",
        ] {
            let Err(e) = Pg::connect(url) else {
                panic!("{url} connected");
            };
            assert_eq!((e.code(), e.field()), ("invalid_input", Some("db")), "{e}");
            assert!(!e.to_string().contains("s3cret"), "{e}");
        }
        // Nobody listens on port 1: a storage error naming the host, not the password.
        let Err(e) = Pg::connect("postgresql://crm:s3cret@127.0.0.1:1/crm") else {
            panic!("connected to port 1");
        };
        assert_eq!(e.code(), "storage", "{e}");
        assert!(
            e.to_string().contains("127.0.0.1") && !e.to_string().contains("s3cret"),
            "{e}"
        );
    }

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(
            translate("SELECT a FROM t WHERE x = ?2 AND y = ?1 AND z = ?2"),
            "SELECT a FROM t WHERE x = $2 AND y = $1 AND z = $2"
        );
        assert_eq!(
            translate("SELECT id FROM t WHERE tenant_id = ? AND c IN (?, ?) LIMIT 11"),
            "SELECT id FROM t WHERE tenant_id = $1 AND c IN ($2, $3) LIMIT 11"
        );
        // The UPSERT of `records::table!`: names in order of first appearance.
        assert_eq!(
            translate(
                "INSERT INTO t (tenant_id, id) VALUES (:tenant_id, :id) ON CONFLICT (tenant_id, id) DO UPDATE SET x = :id"
            ),
            "INSERT INTO t (tenant_id, id) VALUES ($1, $2) ON CONFLICT (tenant_id, id) DO UPDATE SET x = $2"
        );
    }

    #[test]
    fn quoted_text_casts_and_comments_are_left_alone() {
        assert_eq!(
            translate("SELECT '?1 it''s :x', \"a?b\", x::text FROM t -- why? :y\nWHERE a = ?1"),
            "SELECT '?1 it''s :x', \"a?b\", x::text FROM t -- why? :y\nWHERE a = $1"
        );
    }

    #[test]
    fn sqlite_spellings_become_postgresql_ones() {
        assert_eq!(
            translate("SELECT x FROM t WHERE tenant_id = ?1 AND id IN rarray(?2)"),
            "SELECT x FROM t WHERE tenant_id = $1 AND id = ANY($2)"
        );
        assert_eq!(
            translate("SELECT crm_lower(name) FROM t WHERE instr(crm_lower(name), ?1) > 0"),
            "SELECT lower(name) FROM t WHERE strpos(lower(name), $1) > 0"
        );
        assert_eq!(
            translate("EXISTS (SELECT 1 FROM json_each(r.tags) WHERE crm_lower(value) = ?3)"),
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CAST(r.tags AS jsonb)) AS json_each(value) WHERE lower(value) = $3)"
        );
        assert_eq!(
            translate(
                "SELECT id FROM trash_rows WHERE json_extract(row, '$.requester_email') = ?2 COLLATE NOCASE"
            ),
            "SELECT id FROM trash_rows WHERE lower((CAST(row AS jsonb) ->> 'requester_email')) = lower($2)"
        );
        assert_eq!(
            translate("SELECT 1 FROM views WHERE name = ?4 COLLATE NOCASE"),
            "SELECT 1 FROM views WHERE lower(name) = lower($4)"
        );
    }
}
