//! Opening a database, connections, migrations, write transactions, the change feed and cursors.

use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::sql::{self, Connection, OptionalExtension, params};
use crate::time::{self, Timestamp};
use base64::Engine as _;
use rusqlite::OpenFlags;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use serde::Serialize;
use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A raw SQLite connection, for tests and benchmarks that inspect or tamper with a file
/// ([`raw_connection`]); crm-core itself reaches the database through [`sql`].
#[doc(hidden)]
pub use rusqlite::Connection as RawConnection;

mod embedded {
    refinery::embed_migrations!("migrations");
}

#[cfg(feature = "postgres")]
mod shape;
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub use shape::partition_by_tenant;

#[cfg(feature = "postgres")]
mod embedded_pg {
    refinery::embed_migrations!("migrations-pg");
}

/// The PostgreSQL client crate, for the tests of the `postgres` feature.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub use postgres;

/// Brings a PostgreSQL database (its current schema, as `search_path` names it) to the latest
/// schema of `migrations-pg/`, the same versions as SQLite's: what [`Crm::open`] does with a
/// URL, for tests that look at the schema alone.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub fn migrate_postgres(client: &mut postgres::Client) -> Result<()> {
    // Several processes may open the same database at once: one migrates, the others wait
    // for it and then find nothing left to do. The lock is the session's, per schema.
    client.batch_execute(
        "SELECT pg_advisory_lock(hashtext('crm migrations of ' || current_schema()))",
    )?;
    let result =
        repair_superseded(client).and_then(|()| Ok(embedded_pg::migrations::runner().run(client)?));
    client.batch_execute(
        "SELECT pg_advisory_unlock(hashtext('crm migrations of ' || current_schema()))",
    )?;
    result.map(|_| ())
}

/// The checksum refinery recorded for the first text of PostgreSQL's version 15
/// (`tests/fixtures/pg-V15-first.sql`), whose distribution Citus refuses: it never ran on
/// Citus, and without Citus it only made a function.
#[cfg(feature = "postgres")]
const V15_FIRST_CHECKSUM: u64 = 8_476_628_270_776_743_732;

/// Brings a database that applied the first text of version 15 to its present text: the
/// function replaced (and the tables distributed, should the database have gained Citus
/// since), and the checksum in the history updated, all in one transaction; refinery would
/// otherwise refuse the database for a migration that changed.
#[cfg(feature = "postgres")]
fn repair_superseded(client: &mut postgres::Client) -> Result<()> {
    let recorded = client.query_opt(
        "SELECT checksum FROM refinery_schema_history WHERE version = 15",
        &[],
    );
    let recorded: Option<String> = match recorded {
        Ok(row) => row.map(|r| r.get(0)),
        // A database crm has never opened has no history yet.
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => None,
        Err(e) => return Err(e.into()),
    };
    if recorded != Some(V15_FIRST_CHECKSUM.to_string()) {
        return Ok(());
    }
    let runner = embedded_pg::migrations::runner();
    let present = runner
        .get_migrations()
        .iter()
        .find(|m| m.version() == 15)
        .ok_or_else(|| Error::Internal("no version 15 among the migrations".into()))?;
    let mut tx = client.transaction()?;
    tx.batch_execute(present.sql().unwrap_or_default())?;
    tx.execute(
        "UPDATE refinery_schema_history SET checksum = $1 WHERE version = 15 AND checksum = $2",
        &[
            &present.checksum().to_string(),
            &V15_FIRST_CHECKSUM.to_string(),
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// For tests on a shared server: makes a new, empty schema `{prefix}_{process}_{n}` on the
/// server `url` names and answers a URL that points at it (`search_path`), so that each test
/// has a database of its own. With `CRM_TEST_PARTITIONS=n` in the environment the schema is
/// migrated and its tenant tables partitioned by tenant into `n` parts
/// ([`partition_by_tenant`]): the tests then run on the shape Citus needs.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub fn fresh_schema(url: &str, prefix: &str) -> Result<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let schema = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    postgres::Client::connect(url, postgres::NoTls)?.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))?;
    let join = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{join}options=-csearch_path%3D{schema}");
    if let Some(parts) = std::env::var("CRM_TEST_PARTITIONS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
        migrate_postgres(&mut client)?;
        partition_by_tenant(&mut client, parts)?;
    }
    Ok(url)
}

/// `true` when `path` is a PostgreSQL connection URL rather than a file's path.
pub fn is_server_url(path: &str) -> bool {
    path.starts_with("postgresql://") || path.starts_with("postgres://")
}

/// `true` when `path` names a PostgreSQL database by URL (see [`is_server_url`]).
pub fn is_server_path(path: &Path) -> bool {
    path.to_str().is_some_and(is_server_url)
}

/// `path` as it may be shown to a person or written to a log: a file's path as it is, a
/// connection URL without its password (in the user part or a `password=` parameter).
pub fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    if !is_server_path(path) {
        return text;
    }
    let (scheme, rest) = text.split_once("://").unwrap_or(("", &text));
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, tail) = match before_query.find('/') {
        Some(at) => before_query.split_at(at),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or_default()),
        None => authority.to_owned(),
    };
    let query = query.map(|q| {
        q.split('&')
            .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) if !q.is_empty() => format!("{scheme}://{authority}{tail}?{q}"),
        _ => format!("{scheme}://{authority}{tail}"),
    }
}

/// How long a connection waits for another writer (this process or another) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// WAL pages after which a commit copies the WAL back into the database file (40 MiB).
pub(crate) const WAL_CHECKPOINT_PAGES: i64 = 10_000;
/// How long closing waits for other connections before leaving the log for them to copy.
const CLOSE_CHECKPOINT_WAIT: Duration = Duration::from_secs(1);
/// How long a backup waits for its own new file, should something lock it.
const BACKUP_WAIT: Duration = Duration::from_secs(10);
/// Connections a handle uses at once besides its writer when the opener does not say
/// ([`OpenOptions::pool_size`]).
pub const DEFAULT_POOL_SIZE: usize = 8;
/// The largest pool a handle may ask for.
pub const MAX_POOL_SIZE: usize = 1_000;

/// How a handle opens its database: [`Crm::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// The most connections the handle uses at once besides its writer (SQLite's readers; a
    /// server's readers and writers): a thread past it waits for one to come back, up to the
    /// busy timeout. Work that needs a second connection while it holds one is not held back
    /// (it would wait for itself), so a thread may briefly hold two. 1 to 1,000.
    pub pool_size: usize,
}

impl OpenOptions {
    /// `invalid_input` naming `poolSize` when it is out of range.
    pub fn check(&self) -> Result<()> {
        if (1..=MAX_POOL_SIZE).contains(&self.pool_size) {
            Ok(())
        } else {
            Err(Error::invalid(
                "poolSize",
                format!("must be 1 to {MAX_POOL_SIZE}, got {}", self.pool_size),
            ))
        }
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            pool_size: DEFAULT_POOL_SIZE,
        }
    }
}

/// A handle's connections besides its writer: idle ones kept for reuse, and how many are out.
struct Pool {
    state: Mutex<PoolState>,
    returned: std::sync::Condvar,
    size: usize,
}

struct PoolState {
    idle: Vec<Connection>,
    in_use: usize,
}

impl Pool {
    fn new(size: usize) -> Pool {
        Pool {
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                in_use: 0,
            }),
            returned: std::sync::Condvar::new(),
            size,
        }
    }

    /// Takes a place in the pool, waiting while all are taken (unless this thread holds one
    /// already), with an idle connection when there is one.
    fn take(&self) -> Result<(Slot<'_>, Option<Connection>)> {
        let key = std::ptr::from_ref(self) as usize;
        let nested = HOLDING.with(|h| h.borrow().contains(&key));
        let mut state = lock(&self.state);
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        while !nested && state.in_use >= self.size {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Storage(crate::error::StorageError::new(
                    crate::error::StorageKind::Busy,
                    format!(
                        "all {} connections of the pool stayed in use for {} s",
                        self.size,
                        BUSY_TIMEOUT.as_secs()
                    ),
                )));
            }
            state = self
                .returned
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.in_use += 1;
        let idle = state.idle.pop();
        drop(state);
        HOLDING.with(|h| h.borrow_mut().push(key));
        Ok((Slot { pool: self, key }, idle))
    }
}

thread_local! {
    /// The pools (by address) this thread holds a connection of: taking a second one never
    /// waits, or a full pool would wait for the thread itself.
    static HOLDING: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A place taken in a handle's pool; given up when dropped, whatever happened meanwhile.
struct Slot<'p> {
    pool: &'p Pool,
    key: usize,
}

impl Slot<'_> {
    /// Keeps `conn` for the next taker (up to the pool's size), and gives the place up.
    fn give_back(self, conn: Connection) {
        let mut state = lock(&self.pool.state);
        if state.idle.len() < self.pool.size {
            state.idle.push(conn);
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        HOLDING.with(|h| {
            let mut h = h.borrow_mut();
            if let Some(at) = h.iter().position(|k| *k == self.key) {
                h.swap_remove(at);
            }
        });
        lock(&self.pool.state).in_use -= 1;
        self.pool.returned.notify_one();
    }
}

/// The handle to one crm database: open it once and share it (`Arc<Crm>`) between threads.
///
/// Writes go through one writer connection with `BEGIN IMMEDIATE`; reads use a small pool of
/// reader connections (WAL lets them run beside the writer). Several processes may open the same
/// file; SQLite's locking and the busy timeout keep their writes from being lost. On a
/// PostgreSQL server reads and writes share the pool: writes of different tenants run side by
/// side, each tenant's one at a time ([`crate::feed`]).
pub struct Crm {
    location: Location,
    writer: Mutex<Connection>,
    pool: Pool,
    /// What capabilities keep beside the database while the handle lives (the search
    /// index): one value per type, made on first use. The store knows none of their types.
    extensions: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

/// Where a handle's database lives.
enum Location {
    /// A private in-memory SQLite database: every call uses the writer's connection.
    Memory,
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL server; readers connect with the same URL. Never shown (a password).
    #[cfg(feature = "postgres")]
    Server(String),
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let location = match &self.location {
            Location::Memory => "memory".to_owned(),
            Location::File(path) => path.display().to_string(),
            #[cfg(feature = "postgres")]
            Location::Server(_) => "postgresql".to_owned(),
        };
        f.debug_struct("Crm")
            .field("location", &location)
            .finish_non_exhaustive()
    }
}

impl Crm {
    /// Opens the database at `path`, creating it and applying any pending migrations.
    ///
    /// A `postgresql://…` URL in place of a path opens a PostgreSQL database instead (when
    /// crm-core is built with its `postgres` feature): the schema `search_path` names,
    /// brought to the latest migration. Errors never repeat the URL.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let crm = crm_core::Crm::open(dir.path().join("crm.db"))?;
    /// assert!(crm.list_tenants()?.is_empty());
    /// drop(crm);
    /// // The file stays, migrated: opening it again finds the same (empty) database.
    /// assert!(crm_core::Crm::open(dir.path().join("crm.db"))?.list_tenants()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Like [`Crm::open`], with `options` (the size of the connection pool).
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        options.check()?;
        if let Some(url) = path.as_ref().to_str().filter(|p| is_server_url(p)) {
            return Self::open_server(url, options);
        }
        let path = path.as_ref().to_path_buf();
        let writer = RawConnection::open(&path)?;
        configure(&writer)?;
        // WAL is a property of the file; set it once from the writer.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        let writer = migrate(writer)?;
        // Checkpoint less often than SQLite's default (1,000 pages): the pages every commit touches
        // (index tails, id sequences, the feed's tail) are then copied back once for many commits.
        // Measured against a background checkpoint thread, which lost to contention.
        writer
            .sqlite_raw()
            .ok_or_else(|| Error::Internal("a SQLite file opened as another engine".into()))?
            .pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
        Ok(Crm {
            location: Location::File(path),
            writer: Mutex::new(writer),
            pool: Pool::new(options.pool_size),
            extensions: Mutex::new(Vec::new()),
        })
    }

    /// Opens a private in-memory database (for tests and throwaway use).
    pub fn open_in_memory() -> Result<Self> {
        let writer = RawConnection::open_in_memory()?;
        configure(&writer)?;
        let writer = migrate(writer)?;
        Ok(Crm {
            location: Location::Memory,
            writer: Mutex::new(writer),
            pool: Pool::new(1),
            extensions: Mutex::new(Vec::new()),
        })
    }

    #[cfg(feature = "postgres")]
    fn open_server(url: &str, options: OpenOptions) -> Result<Self> {
        let writer = Connection::postgres(url)?;
        {
            let pg = writer
                .postgres_raw()
                .ok_or_else(|| Error::Internal("a server opened as another engine".into()))?;
            migrate_postgres(&mut pg.second_client()?)?;
        }
        crate::matching::fill_keys(&writer)?;
        Ok(Crm {
            location: Location::Server(url.to_owned()),
            writer: Mutex::new(writer),
            pool: Pool::new(options.pool_size),
            extensions: Mutex::new(Vec::new()),
        })
    }

    #[cfg(not(feature = "postgres"))]
    fn open_server(_: &str, _: OpenOptions) -> Result<Self> {
        Err(Error::invalid(
            "db",
            "this build of crm has no PostgreSQL support (crm-core's `postgres` feature)",
        ))
    }

    /// The database file, or `None` for an in-memory database or a server's.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::File(path) => Some(path),
            Location::Memory => None,
            #[cfg(feature = "postgres")]
            Location::Server(_) => None,
        }
    }

    /// `true` when the database is a PostgreSQL server's.
    pub fn is_server(&self) -> bool {
        match &self.location {
            #[cfg(feature = "postgres")]
            Location::Server(_) => true,
            _ => false,
        }
    }

    /// Runs `f` on a connection of the pool (the writer's, for an in-memory database).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if let Location::Memory = self.location {
            return f(&lock(&self.writer));
        }
        let (slot, idle) = self.pool.take()?;
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = f(&conn);
        slot.give_back(conn);
        result
    }

    /// A new connection for the pool: a read-only one to the file, or one to the server.
    fn connect(&self) -> Result<Connection> {
        match &self.location {
            Location::File(path) => {
                let conn = RawConnection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )?;
                configure(&conn)?;
                Ok(Connection::sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            Location::Server(url) => Connection::postgres(url),
            Location::Memory => Err(Error::Internal("an in-memory database has no pool".into())),
        }
    }

    /// The value of type `T` this handle keeps for a capability, made with `T::default()` on
    /// first use; every later call returns the same one.
    pub(crate) fn extension<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut extensions = lock(&self.extensions);
        if let Some(found) = extensions
            .iter()
            .find_map(|e| Arc::clone(e).downcast::<T>().ok())
        {
            return found;
        }
        let made = Arc::new(T::default());
        extensions.push(Arc::clone(&made) as Arc<dyn Any + Send + Sync>);
        made
    }

    /// How many pages the write-ahead log may hold before the writer copies it into the file.
    /// Nothing on a server, which keeps its own log.
    pub(crate) fn checkpoint_every(&self, pages: i64) -> Result<()> {
        if let Some(writer) = lock(&self.writer).sqlite_raw() {
            writer.pragma_update(None, "wal_autocheckpoint", pages)?;
        }
        Ok(())
    }

    /// Copies what the write-ahead log holds into the file, without waiting for readers.
    /// Copies the whole write-ahead log into the database and truncates it to nothing, waiting
    /// (up to the busy timeout) for readers of other connections; `storage` if one still holds
    /// part of it.
    pub(crate) fn checkpoint_truncate(&self) -> Result<()> {
        if self.is_server() {
            return Ok(());
        }
        // This handle's own readers hold no snapshot between calls, but close them anyway.
        lock(&self.pool.state).idle.clear();
        let (busy, log, done): (i64, i64, i64) =
            lock(&self.writer).query_row("PRAGMA wal_checkpoint(TRUNCATE)", params![], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 || (log > 0 && done < log) {
            return Err(Error::Internal(format!(
                "another connection kept the write-ahead log in use ({done} of {log} pages copied); \
                 close it and check again"
            )));
        }
        Ok(())
    }

    pub(crate) fn checkpoint_passive(&self) -> Result<()> {
        if self.is_server() {
            return Ok(());
        }
        lock(&self.writer).query_row("PRAGMA wal_checkpoint(PASSIVE)", params![], |_| Ok(()))?;
        Ok(())
    }

    /// Copies the whole database into the new file at `dst`, consistent as of one moment
    /// (SQLite's online backup, inside one read transaction, which in WAL mode blocks no
    /// writer); the copy's size in bytes.
    pub(crate) fn copy_into(&self, dst: &Path) -> Result<i64> {
        if self.is_server() {
            return Err(Error::invalid(
                "path",
                "a PostgreSQL database is backed up by its server (pg_dump, base backups), not by crm",
            ));
        }
        let mut out = RawConnection::open(dst)?;
        let copy = |src: &Connection| -> Result<()> {
            let src = src
                .sqlite_raw()
                .ok_or_else(|| Error::Internal("a backup of a server's database".into()))?;
            let backup = rusqlite::backup::Backup::new(src, &mut out)?;
            let started = std::time::Instant::now();
            loop {
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => return Ok(()),
                    // Only a lock on the new file can say busy; nobody else knows its name.
                    _ if started.elapsed() < BACKUP_WAIT => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    _ => return Err(Error::Internal("the backup copy stayed locked".into())),
                }
            }
        };
        match self.path() {
            Some(_) => self.read(copy)?,
            None => self.with_writer(copy)?,
        }
        let pages: i64 = out.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page_size: i64 = out.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        out.close().map_err(|(_, e)| e)?;
        Ok(pages * page_size)
    }

    /// Runs `f` on the writer connection, outside any transaction (for whole-database work
    /// such as a backup of an in-memory database).
    pub(crate) fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&lock(&self.writer))
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction of the writer connection, committing
    /// if and only if `f` succeeds; on error nothing `f` wrote is kept.
    pub(crate) fn write<T>(
        &self,
        tenant: i64,
        region: &str,
        actor: Option<i64>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        self.transaction(tenant, region, actor, true, f)
    }

    /// Like [`Crm::write`], but nothing `f` wrote is kept, whether it succeeds or not: a dry
    /// run of the very code a write runs.
    pub(crate) fn write_rolled_back<T>(
        &self,
        tenant: i64,
        region: &str,
        actor: Option<i64>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        self.transaction(tenant, region, actor, false, f)
    }

    fn transaction<T>(
        &self,
        tenant: i64,
        region: &str,
        actor: Option<i64>,
        keep: bool,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        // On a server writers of different tenants run side by side, each on a connection of
        // the pool; the tenant's lock orders writers of one tenant. SQLite has one writer.
        #[cfg(feature = "postgres")]
        if self.is_server() {
            return self.read(|conn| run_transaction(conn, tenant, region, actor, keep, f));
        }
        run_transaction(&lock(&self.writer), tenant, region, actor, keep, f)
    }
}

/// Runs `f` in a write transaction of `conn` for `tenant` (0: a tenant being made, which
/// locks every tenant), committing when `keep` and `f` succeeds.
fn run_transaction<T>(
    conn: &Connection,
    tenant: i64,
    region: &str,
    actor: Option<i64>,
    keep: bool,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.begin_write(if tenant > 0 {
        sql::WriteLock::Tenant(tenant)
    } else {
        sql::WriteLock::Database
    })?;
    let mut w = Tx {
        inner: tx,
        tenant,
        region: region.to_owned(),
        actor,
        now: time::now(),
        sequences: std::cell::RefCell::new(HashMap::new()),
        held: None,
    };
    let value = f(&mut w)?;
    if keep {
        w.commit()?;
    } else {
        w.inner.rollback()?;
    }
    Ok(value)
}

impl Drop for Crm {
    /// Leaves the database file whole on its own: the write-ahead log is copied into it and
    /// truncated, so a person who copies only `crm.db` after quitting has everything.
    ///
    /// The readers close first (they are read-only, so SQLite would not let them checkpoint);
    /// then the writer checkpoints. Another process still holding the file open may keep some
    /// of the log in use, so the checkpoint is best effort and waits at most a second for it.
    fn drop(&mut self) {
        lock(&self.extensions).clear();
        lock(&self.pool.state).idle.clear();
        if self.path().is_none() {
            return;
        }
        let writer = lock(&self.writer);
        let Some(writer) = writer.sqlite_raw() else {
            return;
        };
        let checkpoint = writer.busy_timeout(CLOSE_CHECKPOINT_WAIT).and_then(|()| {
            writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
        });
        match checkpoint {
            Ok((0, _, _)) => {}
            Ok((busy, log, done)) => tracing::info!(
                busy,
                log,
                done,
                "another connection kept the write-ahead log in use at close"
            ),
            Err(e) => tracing::warn!(error = %e, "checkpoint at close failed"),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection cannot leave it inconsistent: an open transaction is
    // rolled back when its guard drops. So a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn configure(conn: &RawConnection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // What is deleted is overwritten, so an erased person's bytes do not linger in free space
    // (`customers.erase`; the write-ahead log is truncated after it).
    conn.pragma_update(None, "secure_delete", "ON")?;
    // In WAL mode NORMAL never corrupts the database; only the last commits before a power loss
    // may be lost. This is what makes a single create in its own transaction cheap.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(256);
    // Plans must not depend on bound values: otherwise SQLite re-prepares a statement whenever
    // a parameter it looked at changes (partial indexes, row values), which measured 7x slower
    // on timeline pages. Plans here are chosen by the indexes, never by STAT4 statistics.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // `rarray(?)`: a list of ids bound as one parameter (`id IN rarray(?1)`), so one statement
    // reads a page's worth of records whatever its length.
    rusqlite::vtab::array::load_module(conn)?;
    // Criteria compare text ignoring case in every script; SQLite's `lower` folds ASCII only.
    conn.create_scalar_function(
        "crm_lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => {
                    rusqlite::types::Value::Text(String::from_utf8_lossy(t).to_lowercase())
                }
                ValueRef::Null => rusqlite::types::Value::Null,
                ValueRef::Integer(i) => rusqlite::types::Value::Integer(i),
                ValueRef::Real(x) => rusqlite::types::Value::Real(x),
                ValueRef::Blob(b) => rusqlite::types::Value::Blob(b.to_vec()),
            })
        },
    )?;
    Ok(())
}

/// Applies pending migrations, then fills in what they cannot (match keys); the writer.
fn migrate(mut conn: RawConnection) -> Result<Connection> {
    embedded::migrations::runner().run(&mut conn)?;
    let conn = Connection::sqlite(conn);
    crate::matching::fill_keys(&conn)?;
    Ok(conn)
}

/// The schema version the database is at after opening (the latest applied migration).
pub fn schema_version(crm: &Crm) -> Result<i64> {
    crm.read(|c| {
        c.query_row(
            "SELECT MAX(version) FROM refinery_schema_history",
            params![],
            |r| r.get(0),
        )
    })
}

/// The kinds of records, as written in the audit log and the change feed: [`RecordKind`].
pub type EntityType = RecordKind;

/// One write transaction, scoped to a tenant and an actor. Everything written through it, and
/// its audit and change-feed entries, commit together or not at all.
pub(crate) struct Tx<'c> {
    inner: sql::Transaction<'c>,
    pub(crate) tenant: i64,
    /// The tenant's default region, for reading phone numbers.
    pub(crate) region: String,
    pub(crate) actor: Option<i64>,
    pub(crate) now: Timestamp,
    // Ids and feed sequences handed out in this transaction, by counter (`id_sequences.kind`),
    // written back once at commit; nobody else can allocate meanwhile: `BEGIN IMMEDIATE`
    // holds SQLite's write lock, and on PostgreSQL the tenant's write lock is held and the
    // counter's row is locked from its first read to the commit.
    sequences: std::cell::RefCell<HashMap<&'static str, i64>>,
    /// Audit and feed entries held back to be written together at commit (an import's
    /// batch: [`Tx::hold_changes`]); `None` writes each as it is recorded.
    held: Option<Vec<HeldChange>>,
}

/// One change's audit and change-feed entry, held back by [`Tx::hold_changes`]: the values
/// [`Tx::record_noted_change`] would have written (the tenant and actor are the Tx's).
#[derive(Debug)]
struct HeldChange {
    audit_id: i64,
    action: String,
    entity: &'static str,
    entity_id: i64,
    before: Option<String>,
    after: Option<String>,
    at: i64,
    note: Option<String>,
    op: &'static str,
    seq: i64,
}

/// Held changes per multi-row statement: 500 rows of 10 values stay far below both engines'
/// limits on parameters (32,766 and 65,535).
const HELD_PER_STATEMENT: usize = 500;

/// The texts of the audit and feed statements of a full chunk of held changes.
static HELD_FULL: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// `into` (`INSERT INTO t (a, b)`) followed by `rows` tuples of `width` numbered placeholders:
/// one statement for many rows, on both engines.
pub(crate) fn insert_rows(into: &str, width: usize, rows: usize) -> String {
    let tuples = (0..rows)
        .map(|r| {
            let marks = (1..=width)
                .map(|c| format!("?{}", r * width + c))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({marks})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("{into} VALUES {tuples}")
}

/// A text to bind, or NULL.
fn text(value: Option<&str>) -> sql::ValueRef<'_> {
    value.map_or(sql::ValueRef::Null, sql::ValueRef::Text)
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.inner
    }
}

/// What a record needs to know to write its row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteCtx<'a> {
    pub tenant: i64,
    /// The tenant's default region: match keys of phone numbers depend on it.
    pub region: &'a str,
}

impl Tx<'_> {
    pub(crate) fn ctx(&self) -> WriteCtx<'_> {
        WriteCtx {
            tenant: self.tenant,
            region: &self.region,
        }
    }

    /// Allocates the next id of `kind` in this tenant.
    pub(crate) fn next_id(&self, kind: RecordKind) -> Result<i64> {
        self.take(kind.plural(), 1)
    }

    /// Allocates the tenant's next change-feed sequence.
    fn next_seq(&self) -> Result<i64> {
        self.take(FEED_COUNTER, 1)
    }

    /// Takes `n` numbers of the tenant's counter `name`; returns the first.
    fn take(&self, name: &'static str, n: i64) -> Result<i64> {
        let known = self.sequences.borrow().get(name).copied();
        let last = match known {
            Some(last) => last,
            None => match self.inner.dialect() {
                sql::Dialect::Sqlite => self
                    .inner
                    .prepare_cached(
                        "SELECT last_id FROM id_sequences WHERE tenant_id = ?1 AND kind = ?2",
                    )?
                    .query_row(params![self.tenant, name], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0),
                #[cfg(feature = "postgres")]
                sql::Dialect::Postgres => self.lock_counters(name)?,
            },
        };
        self.sequences.borrow_mut().insert(name, last + n);
        Ok(last + 1)
    }

    /// The last number of counter `name` on a server, its row locked (made if missing) until
    /// this transaction ends. The audit log's and the feed's counters come in the same round
    /// trip when they are not known yet: nearly every write takes an audit id and a feed
    /// sequence after its record's id.
    #[cfg(feature = "postgres")]
    fn lock_counters(&self, name: &'static str) -> Result<i64> {
        let mut names = vec![name];
        for companion in [RecordKind::AuditEntry.plural(), FEED_COUNTER] {
            if companion != name && !self.sequences.borrow().contains_key(companion) {
                names.push(companion);
            }
        }
        let list = sql::Value::texts(names.iter().copied());
        // Locked as they are read: a row lock writes no new version of the row, as the
        // upsert that makes a missing one would.
        let read = || -> Result<Vec<(String, i64)>> {
            self.inner
                .prepare_cached(
                    "SELECT kind, last_id FROM id_sequences
                      WHERE tenant_id = ?1 AND kind = ANY (CAST(?2 AS TEXT[]))
                      FOR UPDATE",
                )?
                .query_map(params![self.tenant, list], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect()
        };
        let mut rows = read()?;
        if rows.len() < names.len() {
            // A tenant's first use of a counter.
            self.inner
                .prepare_cached(
                    "INSERT INTO id_sequences (tenant_id, kind, last_id)
                     SELECT ?1, k, 0 FROM unnest(CAST(?2 AS TEXT[])) AS k
                     ON CONFLICT (tenant_id, kind) DO NOTHING",
                )?
                .execute(params![self.tenant, list])?;
            rows = read()?;
        }
        // Every counter that came back is known from now on (`take` then moves `name` on).
        let mut known = self.sequences.borrow_mut();
        for (kind, value) in rows {
            if let Some(counter) = names.iter().find(|n| **n == kind) {
                known.insert(*counter, value);
            }
        }
        known
            .get(name)
            .copied()
            .ok_or_else(|| Error::Internal(format!("no counter came back for {name}")))
    }

    /// Writes the counters back and commits. On a server that is one round trip: the
    /// counters' statement (prepared once, so planned once) goes with the commit.
    fn commit(mut self) -> Result<()> {
        self.write_held()?;
        if self.inner.dialect() == sql::Dialect::Sqlite || self.sequences.borrow().is_empty() {
            self.flush_sequences()?;
            return self.inner.commit();
        }
        let (names, lasts): (Vec<&str>, Vec<i64>) = self
            .sequences
            .borrow()
            .iter()
            .map(|(name, last)| (*name, *last))
            .unzip();
        self.inner
            .prepare_cached(
                "INSERT INTO id_sequences (tenant_id, kind, last_id)
                 SELECT ?1, k, n FROM unnest(CAST(?2 AS TEXT[]), CAST(?3 AS BIGINT[])) AS c (k, n)
                 ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = excluded.last_id",
            )?
            .execute_later(params![
                self.tenant,
                sql::Value::texts(names),
                sql::Value::ids(lasts)
            ])?;
        self.inner.commit()
    }

    fn flush_sequences(&mut self) -> Result<()> {
        let mut stmt = self.inner.prepare_cached(
            "INSERT INTO id_sequences (tenant_id, kind, last_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = excluded.last_id",
        )?;
        for (name, last) in self.sequences.borrow().iter() {
            stmt.execute(params![self.tenant, name, last])?;
        }
        Ok(())
    }

    /// Records one change: an audit entry (who, what, before, after) and a change-feed entry.
    pub(crate) fn record_change<T: Serialize>(
        &mut self,
        action: &str,
        entity: EntityType,
        entity_id: i64,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<()> {
        self.record_noted_change(action, entity, entity_id, before, after, None)
    }

    /// Like [`Tx::record_change`], with a note in the audit entry saying why.
    pub(crate) fn record_noted_change<T: Serialize>(
        &mut self,
        action: &str,
        entity: EntityType,
        entity_id: i64,
        before: Option<&T>,
        after: Option<&T>,
        note: Option<&str>,
    ) -> Result<()> {
        let op = match (before, after) {
            (None, _) => "create",
            (Some(_), None) => "delete",
            (Some(_), Some(_)) => "update",
        };
        let before = before.map(to_json).transpose()?;
        let after = after.map(to_json).transpose()?;
        let audit_id = self.next_id(RecordKind::AuditEntry)?;
        let seq = self.next_seq()?;
        let at = time::to_millis(self.now);
        if let Some(held) = &mut self.held {
            held.push(HeldChange {
                audit_id,
                action: action.to_owned(),
                entity: entity.as_str(),
                entity_id,
                before,
                after,
                at,
                note: note.map(str::to_owned),
                op,
                seq,
            });
            return Ok(());
        }
        let args = params![
            self.tenant,
            audit_id,
            self.actor,
            action,
            entity.as_str(),
            entity_id,
            before,
            after,
            at,
            note,
            op,
            seq
        ];
        if self.inner.dialect() == sql::Dialect::Sqlite {
            self.inner
                .prepare_cached(AUDIT_INSERT)?
                .execute(&args[..10])?;
            self.inner.prepare_cached(FEED_INSERT)?.execute(params![
                self.tenant,
                entity.as_str(),
                entity_id,
                op,
                at,
                action,
                self.actor,
                seq
            ])?;
        } else {
            self.inner
                .prepare_cached(AUDIT_AND_FEED_INSERT)?
                .execute_later(args)?;
        }
        Ok(())
    }
}

impl Tx<'_> {
    /// From now on, the audit and change-feed entries of [`Tx::record_change`] are held and
    /// written at commit, a few hundred rows per statement, in the order recorded and with the
    /// ids and sequences they were given: the bulk path of an import's batch, whose rows are
    /// many small creates and updates. Nothing in the transaction may read the audit log or
    /// the feed after this (nothing an import's rows do does); a rolled-back transaction
    /// drops them with the rest.
    pub(crate) fn hold_changes(&mut self) {
        self.held.get_or_insert_with(Vec::new);
    }

    /// Writes the held audit and feed entries (see [`Tx::hold_changes`]) and stops holding.
    pub(crate) fn write_held(&mut self) -> Result<()> {
        use crate::sql::ValueRef;
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        // Bound as borrowed values: the held strings are not copied again.
        let (tenant, actor) = (
            ValueRef::Integer(self.tenant),
            self.actor.map_or(ValueRef::Null, ValueRef::Integer),
        );
        for chunk in held.chunks(HELD_PER_STATEMENT) {
            let mut audit = Vec::with_capacity(chunk.len() * 10);
            let mut feed = Vec::with_capacity(chunk.len() * 8);
            for c in chunk {
                audit.extend([
                    tenant,
                    ValueRef::Integer(c.audit_id),
                    actor,
                    ValueRef::Text(&c.action),
                    ValueRef::Text(c.entity),
                    ValueRef::Integer(c.entity_id),
                    text(c.before.as_deref()),
                    text(c.after.as_deref()),
                    ValueRef::Integer(c.at),
                    text(c.note.as_deref()),
                ]);
                feed.extend([
                    tenant,
                    ValueRef::Text(c.entity),
                    ValueRef::Integer(c.entity_id),
                    ValueRef::Text(c.op),
                    ValueRef::Integer(c.at),
                    ValueRef::Text(&c.action),
                    actor,
                    ValueRef::Integer(c.seq),
                ]);
            }
            // The full chunks share one cached statement each, its text made once per process
            // (5,000 placeholders: making it per chunk cost 4% of an import); the last,
            // shorter chunk's is made and prepared once.
            if chunk.len() == HELD_PER_STATEMENT {
                let (audit_sql, feed_sql) = HELD_FULL.get_or_init(|| {
                    (
                        insert_rows(AUDIT_INTO, 10, HELD_PER_STATEMENT),
                        insert_rows(FEED_INTO, 8, HELD_PER_STATEMENT),
                    )
                });
                self.inner.prepare_cached(audit_sql)?.execute(&*audit)?;
                self.inner.prepare_cached(feed_sql)?.execute(&*feed)?;
            } else {
                let audit_sql = insert_rows(AUDIT_INTO, 10, chunk.len());
                let feed_sql = insert_rows(FEED_INTO, 8, chunk.len());
                self.inner.prepare(&audit_sql)?.execute(&*audit)?;
                self.inner.prepare(&feed_sql)?.execute(&*feed)?;
            }
        }
        Ok(())
    }

    /// Records many updates of one kind at once — each an audit entry and a change-feed entry,
    /// exactly as [`Tx::record_change`] writes them — in two statements instead of two per
    /// change, without the rows passing through Rust (the bulk path of derived values such as
    /// lead scores). `changes` is a query whose rows are `(n, id, before, after)`: the order,
    /// the record's id and its JSON before and after.
    pub(crate) fn record_updates(
        &mut self,
        action: &str,
        entity: EntityType,
        changes: &str,
    ) -> Result<()> {
        let count: i64 = self.inner.query_row(
            &format!("SELECT count(*) FROM ({changes}) AS c"),
            params![],
            |r| r.get(0),
        )?;
        if count == 0 {
            return Ok(());
        }
        // Audit ids and feed sequences are taken as blocks: the next ones of this tenant.
        let first = self.take(RecordKind::AuditEntry.plural(), count)?;
        let first_seq = self.take(FEED_COUNTER, count)?;
        let at = time::to_millis(self.now);
        self.inner
            .prepare_cached(&format!(
                "INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id, before, after, at)
                 SELECT ?1, ?2 - 1 + row_number() OVER (ORDER BY c.n), ?3, ?4, ?5, c.id, c.before, c.after, ?6
                   FROM ({changes}) c ORDER BY c.n"
            ))?
            .execute(params![self.tenant, first, self.actor, action, entity.as_str(), at])?;
        self.inner
            .prepare_cached(&format!(
                "INSERT INTO change_feed (tenant_id, entity_type, entity_id, op, at, action, actor_id, seq)
                 SELECT ?1, ?2, c.id, 'update', ?3, ?4, ?5, ?6 - 1 + row_number() OVER (ORDER BY c.n)
                   FROM ({changes}) c ORDER BY c.n"
            ))?
            .execute(params![self.tenant, entity.as_str(), at, action, self.actor, first_seq])?;
        Ok(())
    }

    /// A change-feed entry of this tenant, action and actor without an audit entry: the other
    /// records a change carried along (the rest of a group sent to the trash), which the
    /// audit entry of the record it named tells about.
    pub(crate) fn feed_change(
        &self,
        entity: EntityType,
        entity_id: i64,
        op: &str,
        action: &str,
    ) -> Result<()> {
        let seq = self.next_seq()?;
        self.inner.prepare_cached(FEED_INSERT)?.execute(params![
            self.tenant,
            entity.as_str(),
            entity_id,
            op,
            time::to_millis(self.now),
            action,
            self.actor,
            seq
        ])?;
        Ok(())
    }

    /// A change-feed entry without an audit entry, for changes of derived data (a customer
    /// entering a segment), at `at`; `parent` names the record it belongs to.
    pub(crate) fn feed_entry(
        &self,
        entity: EntityType,
        entity_id: i64,
        op: &str,
        at: Timestamp,
        parent: Option<i64>,
    ) -> Result<()> {
        let seq = self.next_seq()?;
        self.inner
            .prepare_cached(
                "INSERT INTO change_feed (tenant_id, entity_type, entity_id, op, at, parent_id, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                self.tenant,
                entity.as_str(),
                entity_id,
                op,
                time::to_millis(at),
                parent,
                seq
            ])?;
        Ok(())
    }
}

/// The columns of an audit entry, in the order every statement below binds them.
macro_rules! audit_into {
    () => {
        "INSERT INTO audit_log (tenant_id, id, actor_id, action, entity_type, entity_id, before, after, at, note)"
    };
}
/// The columns of a change-feed entry, likewise.
macro_rules! feed_into {
    () => {
        "INSERT INTO change_feed (tenant_id, entity_type, entity_id, op, at, action, actor_id, seq)"
    };
}
/// Their heads, for the multi-row statements of held changes ([`insert_rows`]).
const AUDIT_INTO: &str = audit_into!();
const FEED_INTO: &str = feed_into!();
/// A change's audit entry: `?1`–`?10` of [`Tx::record_noted_change`]'s parameters.
const AUDIT_INSERT: &str = concat!(
    audit_into!(),
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
);
/// Its change-feed entry.
const FEED_INSERT: &str = concat!(feed_into!(), " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
/// The counter (`id_sequences.kind`) of a tenant's change-feed sequences.
const FEED_COUNTER: &str = "change_feed";
/// Both in one statement (the audit entry's parameters, then the operation as `?11` and the
/// feed sequence as `?12`), so
/// one round trip to a server (PostgreSQL runs a data-modifying
/// `WITH` whether or not the rest reads it; SQLite has no such form).
const AUDIT_AND_FEED_INSERT: &str = concat!(
    "WITH audit AS (",
    audit_into!(),
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)) ",
    feed_into!(),
    " VALUES (?1, ?5, ?6, ?11, ?9, ?4, ?3, ?12)"
);

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("cannot serialize a record: {e}")))
}

/// The tables whose rows [`row_counts`] counts.
pub const TABLES: &[&str] = &[
    "tenants",
    "users",
    "teams",
    "team_members",
    "customers",
    "leads",
    "pipelines",
    "stages",
    "deals",
    "deal_stage_history",
    "tickets",
    "ticket_events",
    "conversations",
    "messages",
    "calls",
    "activities",
    "products",
    "quote_templates",
    "quotes",
    "quote_lines",
    "quote_activities",
    "audit_log",
    "change_feed",
];

/// How many rows each table holds, over all tenants (diagnostics: `crm stats`).
pub fn row_counts(crm: &Crm) -> Result<Vec<(&'static str, i64)>> {
    crm.read(|c| {
        TABLES
            .iter()
            .map(|t| {
                Ok((
                    *t,
                    c.query_row(&format!("SELECT COUNT(*) FROM {t}"), params![], |r| {
                        r.get(0)
                    })?,
                ))
            })
            .collect()
    })
}

/// An opaque position in a list: the key of the last (or first) row shown and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub key: i64,
    /// `true`: rows after `key` in list order (older); `false`: rows before it (newer).
    pub forward: bool,
}

impl Cursor {
    pub(crate) fn encode(self, list: &str) -> String {
        let dir = if self.forward { 'f' } else { 'b' };
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{list}:{dir}:{}", self.key))
    }

    /// Decodes a cursor made by [`Cursor::encode`] for the same list; anything else is
    /// `invalid_input` on `field`.
    pub(crate) fn decode(text: &str, list: &str, field: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                field,
                "not a cursor of this list (pass back a nextCursor or prevCursor unchanged)",
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.rsplitn(3, ':');
        let (Some(key), Some(dir), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if name != list {
            return Err(bad());
        }
        let forward = match dir {
            "f" => true,
            "b" => false,
            _ => return Err(bad()),
        };
        let key = key.parse().map_err(|_| bad())?;
        Ok(Cursor { key, forward })
    }
}

/// Opens a raw connection with crm's settings, for tests that inspect or tamper with the file.
#[doc(hidden)]
pub fn raw_connection(path: &Path) -> Result<RawConnection> {
    let conn = RawConnection::open(path)?;
    configure(&conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::shown;
    use std::path::Path;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let cases = [
            ("crm.db", "crm.db"),
            ("/tmp/a:b@c.db", "/tmp/a:b@c.db"),
            (
                "postgresql://crm@db.example/crm",
                "postgresql://crm@db.example/crm",
            ),
            (
                "postgresql://crm:s3cret@db.example:5432/crm",
                "postgresql://crm@db.example:5432/crm",
            ),
            (
                "postgres://crm:p%40ss:w@db/crm?sslmode=require",
                "postgres://crm@db/crm?sslmode=require",
            ),
            (
                "postgresql://db/crm?user=crm&password=s3cret&sslmode=require",
                "postgresql://db/crm?user=crm&sslmode=require",
            ),
            ("postgresql://db?PASSWORD=x", "postgresql://db"),
            ("postgresql://:pw@db", "postgresql://@db"),
        ];
        for (given, expected) in cases {
            assert_eq!(shown(Path::new(given)), expected, "{given}");
        }
    }
}
