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

#[cfg(feature = "postgres")]
fn open_postgres() -> Crm {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let url = std::env::var("CRM_TEST_POSTGRES")
        .expect("CRM_TEST_BACKEND=postgres needs CRM_TEST_POSTGRES, a server's URL");
    let schema = format!(
        "test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut client =
        crm_core::store::postgres::Client::connect(&url, crm_core::store::postgres::NoTls)
            .expect("the test server accepts connections");
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    let join = if url.contains('?') { '&' } else { '?' };
    Crm::open(format!("{url}{join}options=-csearch_path%3D{schema}")).unwrap()
}

#[cfg(not(feature = "postgres"))]
fn open_postgres() -> Crm {
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
