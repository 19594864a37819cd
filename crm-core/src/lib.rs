//! crm-core: a CRM (customers, leads, deals, pipelines) and a helpdesk (tickets, conversations,
//! calls) for one or many tenants in one SQLite file.
//!
//! Open a [`Crm`], create a tenant, then work inside a [`Scope`] (a tenant and an acting user):
//!
//! ```
//! use crm_core::{Crm, tenancy::{NewTenant, NewAdmin}, customers::NewCustomer};
//!
//! let crm = Crm::open_in_memory()?;
//! let acme = crm.create_tenant(NewTenant {
//!     tenant_id: "acme".into(),
//!     name: "Acme".into(),
//!     default_region: None,
//!     admin: NewAdmin { name: "Ada".into(), email: "ada@acme.test".into() },
//! })?;
//! let scope = crm.scope("acme", Some(acme.admin.id))?;
//! let customer = scope.customers().create(NewCustomer { name: "Grace".into(), ..Default::default() })?;
//! assert_eq!(scope.customers().get(customer.id)?.name, "Grace");
//! # Ok::<(), crm_core::Error>(())
//! ```

pub mod activities;
pub mod analytics;
pub mod audit;
mod batch;
pub mod calls;
pub mod catalog;
pub mod changes;
pub mod conversations;
pub mod criteria;
pub mod customers;
pub mod deals;
pub mod demo;
pub mod erasure;
pub mod error;
pub mod export;
pub mod feed;
pub mod ids;
pub mod import;
pub mod leads;
pub mod links;
pub mod maintenance;
pub mod matching;
pub mod merge;
pub mod methods;
pub mod money;
pub mod products;
pub mod quotes;
pub mod records;
pub mod schema;
pub mod search;
pub mod segments;
mod sql;
pub mod store;
pub mod tenancy;
pub mod tickets;
pub mod time;
pub mod timeline;
pub mod trash;
pub mod validate;
pub mod views;

pub use batch::Batch;

pub use error::{Error, Result};
pub use records::{ListRequest, Page, PageRequest};
pub use store::Crm;
pub use tenancy::Scope;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn crm_is_send_and_sync() {
        assert_send_sync::<crate::Crm>();
    }
}
