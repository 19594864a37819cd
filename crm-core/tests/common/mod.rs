//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use crm_core::Crm;
use crm_core::ids::UserId;
use crm_core::tenancy::{NewAdmin, NewTenant, NewUser, Role};
use crm_core::tickets::{Channel, NewTicket};

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
