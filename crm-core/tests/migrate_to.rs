//! `crm migrate-to`: a SQLite file copied into PostgreSQL with nothing lost — every row of
//! every table equal, read straight from each engine — and the copy then used like any
//! database. Needs a server (`CRM_TEST_BACKEND=postgres`); without one only the refusals run.

mod common;

use crm_core::Crm;
use crm_core::customers::NewCustomer;
use crm_core::demo::{self, DemoOptions};
use std::collections::BTreeMap;

/// A file with a demo tenant and a second tenant holding text that tests an encoding.
fn source(dir: &tempfile::TempDir) -> (std::path::PathBuf, Crm) {
    let path = dir.path().join("source.db");
    let crm = Crm::open(&path).unwrap();
    demo::generate(
        &crm,
        &DemoOptions {
            customers: 80,
            ..DemoOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    let admin = common::tenant(&crm, "other");
    crm.scope("other", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "Zoë \"Ångström\", O'Brien\n株式会社 😀".into(),
            tags: vec!["ünïcode".into(), "a,b".into()],
            ..Default::default()
        })
        .unwrap();
    (path, crm)
}

#[test]
fn a_copy_goes_only_from_a_file_into_an_empty_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) = source(&dir);
    let memory = Crm::open_in_memory().unwrap();
    let e = file.copy_to(&memory, |_, _| {}).unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_input", Some("target")));
    if !common::on_postgres() {
        return;
    }
    let server = common::open();
    let e = server.copy_to(&server, |_, _| {}).unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_input", Some("db")));
    // A server holding a tenant is not written to.
    common::tenant(&server, "there");
    let before = crm_core::store::row_counts(&server).unwrap();
    let e = file.copy_to(&server, |_, _| {}).unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("invalid_input", Some("target")),
        "{e}"
    );
    assert_eq!(crm_core::store::row_counts(&server).unwrap(), before);
}

#[cfg(feature = "postgres")]
#[test]
fn a_file_copied_into_postgresql_holds_every_row_and_goes_on_from_there() {
    if !common::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (path, file) = source(&dir);
    let shared = common::Shared::new();
    let server = shared.open();
    if common::on_citus() {
        // Refused, with the way round: copy into plain PostgreSQL, then distribute.
        let before = crm_core::store::row_counts(&server).unwrap();
        let e = file.copy_to(&server, |_, _| {}).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_input", Some("target")));
        assert!(e.to_string().contains("crm_distribute_by_tenant()"), "{e}");
        assert_eq!(crm_core::store::row_counts(&server).unwrap(), before);
        return;
    }
    let mut calls = 0;
    let mut last = (0, 0);
    let report = file
        .copy_to(&server, |done, total| {
            calls += 1;
            assert!(done > last.0 && done <= total, "{done} of {total}");
            last = (done, total);
        })
        .unwrap();
    assert!(calls > 0 && last.0 == last.1, "{last:?}");
    assert_eq!(u64::try_from(report.rows()).unwrap(), last.1);

    // Every row of every table, as text, is the same on both sides.
    let sqlite = sqlite_rows(&path);
    let postgres = shared.rows(sqlite.keys());
    assert_eq!(sqlite.len(), report.tables.len());
    for (table, rows) in &sqlite {
        assert_eq!(rows, &postgres[table], "{table}");
    }
    assert!(sqlite["customers"].len() > 80 && sqlite["timeline_entries"].len() > 100);

    // The copy is checked as a file is, and written on from where the file stopped.
    let health = server.check().unwrap();
    assert!(health.problems().is_empty(), "{:?}", health.problems());
    let admin = common::tenant(&server, "third");
    let scope = server.scope("third", Some(admin)).unwrap();
    let made = scope
        .customers()
        .create(NewCustomer {
            name: "After".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(made.id.0, 1, "ids count per tenant");
    let tenants = server.list_tenants().unwrap();
    assert_eq!(tenants.len(), 3);
    let other = server.scope("other", None).unwrap();
    let hits = other
        .search()
        .query(&serde_json::from_value(serde_json::json!({"q": "ångström"})).unwrap())
        .unwrap();
    assert_eq!(hits.total, 1);
    // A copied tenant's feed goes on after its copied entries; a new tenant's starts at 1.
    let copied_head: i64 = crm_core::store::raw_connection(&path)
        .unwrap()
        .query_row(
            "SELECT MAX(seq) FROM change_feed
              WHERE tenant_id = (SELECT id FROM tenants WHERE key = 'other')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The demo's first user is its admin.
    server
        .scope("other", Some(crm_core::ids::UserId(1)))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "After too".into(),
            ..Default::default()
        })
        .unwrap();
    let feed = shared.feed_of("other");
    assert_eq!(feed.last(), Some(&(copied_head + 1)), "{feed:?}");
    assert_eq!(shared.feed_of("third")[0], 1);
}

/// Every table's rows as text, sorted, read with SQLite itself.
fn sqlite_rows(path: &std::path::Path) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
    let conn = crm_core::store::raw_connection(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite%' AND name <> 'refinery_schema_history'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let select = columns
                .iter()
                .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut rows: Vec<Vec<Option<String>>> = conn
                .prepare(&format!("SELECT {select} FROM \"{table}\""))
                .unwrap()
                .query_map([], |r| {
                    (0..columns.len())
                        .map(|i| r.get(i))
                        .collect::<Result<_, _>>()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (table, rows)
        })
        .collect()
}
