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

// Every public item says what it is (a test of the README: `cargo doc` is clean).
#![warn(missing_docs)]

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
mod follow;
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

/// The statements crm runs, read as text: what a second engine must accept, and a check that
/// tenants stay apart.
#[cfg(test)]
mod statements {
    use crate::Crm;
    use std::collections::BTreeSet;

    /// Every statement a day of work prepares: a demo tenant made, checked, listed, sorted,
    /// filtered, searched, its timelines, funnel and reps read, records deleted and restored,
    /// merged, erased, exported, a segment made and a view counted.
    fn working_day() -> BTreeSet<String> {
        crate::sql::capture(|| a_working_day(&Crm::open_in_memory()?)).unwrap()
    }

    fn a_working_day(crm: &Crm) -> crate::Result<()> {
        let options = crate::demo::DemoOptions {
            customers: 60,
            batch_size: 20,
            ..Default::default()
        };
        crate::demo::generate(crm, &options, |_, _| {})?;
        crm.check()?;
        let admin = crm.first_admin("demo")?;
        let scope = crm.scope("demo", admin)?;
        macro_rules! request {
            ($text:expr $(,)?) => {
                serde_json::from_str($text).expect("a valid request")
            };
        }
        scope.customers().list(&request!(
            r#"{"where": {"all": [{"field": "name", "op": "contains", "value": "a"},
                                  {"field": "tags", "op": "in", "value": ["vip"]}]},
               "sort": {"field": "name", "direction": "desc"}, "limit": 5}"#,
        ))?;
        scope.deals().list(&request!(
            r#"{"where": {"field": "status", "op": "equals", "value": "won"},
               "sort": {"field": "value", "direction": "asc"}}"#,
        ))?;
        scope.tickets().list(&request!(
            r#"{"sort": {"field": "priority", "direction": "desc"}, "limit": 10}"#,
        ))?;
        scope.search().query(&request!(r#"{"q": "invoice"}"#))?;
        let customer = scope.customers().list(&request!("{}"))?.items[0].id;
        scope.timeline().get(&request!(&format!(
            r#"{{"entity": {{"type": "customer", "id": {customer}}}}}"#
        )))?;
        scope
            .analytics()
            .funnel(&request!(r#"{"pipelineId": 1}"#))?;
        scope
            .analytics()
            .rep_performance(&request!(r#"{"timeframe": "quarter"}"#))?;
        // Deletes, restores, merges, an erasure, an export, a segment and a view count.
        let ids: Vec<i64> = scope
            .customers()
            .list(&request!(r#"{"limit": 4}"#))?
            .items
            .iter()
            .map(|c| c.id.0)
            .collect();
        let trash = scope.trash();
        trash.delete(
            crate::catalog::RecordKind::Customer,
            &request!(&format!(r#"{{"id": {}, "cascade": true}}"#, ids[0])),
        )?;
        trash.restore(&request!(&format!(
            r#"{{"kind": "customer", "id": {}}}"#,
            ids[0]
        )))?;
        scope.merging().customers(&request!(&format!(
            r#"{{"targetId": {}, "sourceIds": [{}]}}"#,
            ids[0], ids[1]
        )))?;
        let erased = scope.customers().get(crate::ids::CustomerId(ids[2]))?;
        if let Some(email) = erased.email {
            scope.erasure().erase(&request!(&format!(
                r#"{{"id": {}, "confirm": "{email}"}}"#,
                ids[2]
            )))?;
        }
        scope.export().write(
            &request!(
                r#"{"kind": "customer", "where": {"field": "name", "op": "endsWith", "value": "n"},
                   "format": "csv", "path": "written-to-a-sink.csv"}"#
            ),
            &mut std::io::sink(),
        )?;
        scope.segments().create(request!(
            r#"{"name": "At risk", "criteria": {"field": "churnRisk", "op": "gte", "value": 70}}"#
        ))?;
        scope.views().count(&request!(
            r#"{"kind": "deal", "where": {"field": "value", "op": "gte", "value": 1000}}"#
        ))?;
        Ok(())
    }

    /// Every statement that reads or writes a table of tenant records says which tenant
    /// (`tenant_id`), but for the few that work across tenants by design — followers of the
    /// change feed, open-time and maintenance work — named here. A statement without a tenant
    /// would read or change other tenants' rows, and under Citus would visit every shard.
    #[test]
    fn every_statement_on_a_tenant_table_names_its_tenant() {
        let seen = working_day();
        let crm = Crm::open_in_memory().unwrap();
        let tenant_tables: Vec<String> = crm
            .read(|c| {
                let mut tables = Vec::new();
                for table in c.tables()? {
                    if c.columns(&table)?
                        .iter()
                        .any(|column| column == "tenant_id")
                    {
                        tables.push(table);
                    }
                }
                Ok(tables)
            })
            .unwrap();
        assert!(tenant_tables.len() > 30, "{tenant_tables:?}");
        let across_tenants = [
            // Match keys filled on open for rows written before they existed.
            "WHERE r.keys_version = 0",
            "WHERE keys_version = 0",
        ];
        // The search index holds every tenant's records: how many there are to index.
        let searchable =
            crate::search::SEARCHABLE_TABLES.map(|t| format!("SELECT COUNT(*) FROM {t}"));
        let words = |sql: &str| -> BTreeSet<String> {
            sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map(str::to_owned)
                .collect()
        };
        let offenders: Vec<&String> = seen
            .iter()
            .filter(|sql| {
                let words = words(sql);
                tenant_tables.iter().any(|t| words.contains(t))
                    && !words.contains("tenant_id")
                    && !across_tenants.iter().any(|known| sql.contains(known))
                    && !searchable.contains(sql)
            })
            .collect();
        assert!(seen.len() > 200, "only {} statements seen", seen.len());
        assert!(
            offenders.is_empty(),
            "statements on tenant tables without a tenant:\n{}",
            offenders
                .iter()
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// Every statement of [`working_day`], translated, prepares on a PostgreSQL server with
    /// the schema of `migrations-pg/`: what PostgreSQL refuses (a spelling, a type it cannot
    /// infer) is named with the statement. Needs `CRM_TEST_POSTGRES`.
    #[cfg(feature = "postgres")]
    #[test]
    #[ignore = "needs a PostgreSQL server in CRM_TEST_POSTGRES (.ci/run starts one)"]
    fn every_statement_of_a_working_day_prepares_on_postgresql() {
        let url = std::env::var("CRM_TEST_POSTGRES").expect("CRM_TEST_POSTGRES names a server");
        let seen = working_day();
        let refused = crate::sql::postgres::refused(&url, &seen, |client| {
            crate::store::migrate_postgres(client).unwrap();
        });
        assert!(
            refused.is_empty(),
            "{} of {} statements refused:\n{}",
            refused.len(),
            seen.len(),
            refused.join("\n")
        );
        assert!(seen.len() > 200, "only {} statements seen", seen.len());
    }
}
