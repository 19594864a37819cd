//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use crm_core::Crm;
use crm_core::ids::UserId;
use crm_core::tenancy::{NewAdmin, NewTenant, NewUser, Role};
use crm_core::tickets::{Channel, NewTicket};

/// A new, empty database for one test: in memory, or — when `CRM_TEST_BACKEND=postgres` — a
/// schema of its own on the server `CRM_TEST_POSTGRES` names (tests share the server), so that
/// the same tests prove both backends.
pub fn open() -> Crm {
    match std::env::var("CRM_TEST_BACKEND").as_deref() {
        Ok("postgres") => open_postgres(),
        Ok("sqlite") | Err(_) => Crm::open_in_memory().unwrap(),
        Ok(other) => panic!("CRM_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// `true` when [`open`] opens PostgreSQL databases.
pub fn on_postgres() -> bool {
    std::env::var("CRM_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// `true` when the tests' server has the Citus extension (a run by hand against a Citus
/// cluster: V15 has distributed every schema the tests make).
#[cfg(feature = "postgres")]
pub fn on_citus() -> bool {
    use crm_core::store::postgres::{Client, NoTls};
    on_postgres()
        && std::env::var("CRM_TEST_POSTGRES").is_ok_and(|url| {
            Client::connect(&url, NoTls)
                .and_then(|mut c| {
                    c.query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')",
                        &[],
                    )
                })
                .is_ok_and(|r| r.get::<_, bool>(0))
        })
}

#[cfg(not(feature = "postgres"))]
pub fn on_citus() -> bool {
    false
}

/// One database that several handles open, as several processes would: a file in a folder
/// of its own, or — with `CRM_TEST_BACKEND=postgres` — a schema of its own on the server.
pub struct Shared {
    _dir: Option<tempfile::TempDir>,
    target: String,
}

impl Shared {
    pub fn new() -> Shared {
        if on_postgres() {
            return Shared {
                _dir: None,
                target: postgres_target(),
            };
        }
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shared.db").display().to_string();
        Shared {
            _dir: Some(dir),
            target,
        }
    }

    /// What [`Crm::open`] takes for the database: a file's path or a server's URL.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Another handle on the database.
    pub fn open(&self) -> Crm {
        Crm::open(&self.target).unwrap()
    }

    /// The sequences of `tenant`'s feed entries, read straight from the table (not through
    /// crm's own reading of it).
    pub fn feed_of(&self, tenant: &str) -> Vec<i64> {
        const SQL: &str = "SELECT seq FROM change_feed
            WHERE tenant_id = (SELECT id FROM tenants WHERE key = $1) ORDER BY seq";
        if on_postgres() {
            return feed_on_server(&self.target, SQL, tenant);
        }
        let conn = crm_core::store::raw_connection(std::path::Path::new(&self.target)).unwrap();
        let mut stmt = conn.prepare(&SQL.replace("$1", "?1")).unwrap();
        stmt.query_map([tenant], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

impl Shared {
    /// Runs `sql` (statements separated by `;`) on the database with its engine's own client,
    /// behind crm's back: a test's stand-in for what a database may do.
    pub fn execute_raw(&self, sql: &str) {
        if on_postgres() {
            return execute_on_server(&self.target, sql);
        }
        crm_core::store::raw_connection(std::path::Path::new(&self.target))
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }

    /// Every row of each of `tables`, as text, sorted: read with the server's own client.
    #[cfg(feature = "postgres")]
    pub fn rows<'t>(
        &self,
        tables: impl IntoIterator<Item = &'t String>,
    ) -> std::collections::BTreeMap<String, Vec<Vec<Option<String>>>> {
        let mut client = crm_core::store::postgres::Client::connect(
            &self.target,
            crm_core::store::postgres::NoTls,
        )
        .unwrap();
        tables
            .into_iter()
            .map(|table| {
                let columns: Vec<String> = client
                    .query(
                        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
                          WHERE table_schema = current_schema() AND table_name = $1
                          ORDER BY ordinal_position",
                        &[table],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let select = columns
                    .iter()
                    .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut rows: Vec<Vec<Option<String>>> = client
                    .query(&format!("SELECT {select} FROM \"{table}\""), &[])
                    .unwrap()
                    .iter()
                    .map(|r| (0..columns.len()).map(|i| r.get(i)).collect())
                    .collect();
                rows.sort();
                (table.clone(), rows)
            })
            .collect()
    }
}

#[cfg(feature = "postgres")]
fn feed_on_server(url: &str, sql: &str, tenant: &str) -> Vec<i64> {
    let mut client =
        crm_core::store::postgres::Client::connect(url, crm_core::store::postgres::NoTls).unwrap();
    client
        .query(sql, &[&tenant])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[cfg(feature = "postgres")]
fn execute_on_server(url: &str, sql: &str) {
    crm_core::store::postgres::Client::connect(url, crm_core::store::postgres::NoTls)
        .unwrap()
        .batch_execute(sql)
        .unwrap();
}

#[cfg(not(feature = "postgres"))]
fn execute_on_server(_: &str, _: &str) {
    unreachable!("on_postgres() needs the feature to open anything")
}

#[cfg(not(feature = "postgres"))]
fn feed_on_server(_: &str, _: &str, _: &str) -> Vec<i64> {
    unreachable!("on_postgres() needs the feature to open anything")
}

#[cfg(feature = "postgres")]
fn open_postgres() -> Crm {
    Crm::open(postgres_target()).unwrap()
}

/// The URL of a new, empty schema on the test server.
#[cfg(feature = "postgres")]
fn postgres_target() -> String {
    let url = std::env::var("CRM_TEST_POSTGRES")
        .expect("CRM_TEST_BACKEND=postgres needs CRM_TEST_POSTGRES, a server's URL");
    crm_core::store::fresh_schema(&url, "test").expect("the test server accepts connections")
}

#[cfg(not(feature = "postgres"))]
fn open_postgres() -> Crm {
    postgres_target();
    unreachable!()
}

#[cfg(not(feature = "postgres"))]
fn postgres_target() -> String {
    panic!("CRM_TEST_BACKEND=postgres needs crm-core's `postgres` feature (--features postgres)")
}

/// Creates tenant `key` with an admin, and returns the admin's id.
pub fn tenant(crm: &Crm, key: &str) -> UserId {
    crm.create_tenant(NewTenant {
        tenant_id: key.into(),
        name: format!("Tenant {key}"),
        default_region: None,
        admin: NewAdmin {
            name: "Admin".into(),
            email: format!("admin@{key}.test"),
        },
    })
    .unwrap()
    .admin
    .id
}

/// Adds a user with `role` to tenant `key`.
pub fn user(crm: &Crm, key: &str, admin: UserId, role: Role) -> UserId {
    crm.scope(key, Some(admin))
        .unwrap()
        .users()
        .create(NewUser {
            external_id: None,
            name: format!("{role:?} user"),
            email: format!("{}@{key}.test", role.as_str()),
            role,
            team_ids: vec![],
        })
        .unwrap()
        .id
}

/// Counts the rows of `table` (all tenants) through a separate connection.
pub fn count(crm: &Crm, table: &str) -> i64 {
    crm_core::store::row_counts(crm)
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == table)
        .unwrap()
        .1
}

/// A ticket with only a subject, by email.
pub fn ticket(subject: &str) -> NewTicket {
    NewTicket {
        description: "It broke.".into(),
        ..NewTicket::new(subject, Channel::Email)
    }
}

/// Every customer of tenant `key`, newest first, read page by page through the list API.
pub fn all_customers(crm: &Crm, key: &str) -> Vec<crm_core::customers::Customer> {
    let scope = crm.scope(key, None).unwrap();
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .customers()
            .list(&crm_core::customers::CustomerFilter {
                limit: Some(500),
                cursor,
                ..Default::default()
            })
            .unwrap();
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return all;
        }
    }
}
