//! The batch subcommands, run as a person runs them.

use std::process::Command;

fn crm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_then_backfill_links_dry_run_real_and_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = crm(&["demo", "--db", db, "--customers", "300"]);
    assert!(ok, "{err}");
    assert!(out.contains("300 customers"), "{out}");

    let (ok, dry, err) = crm(&[
        "backfill-links",
        "--db",
        db,
        "--dry-run",
        "--batch-size",
        "7",
    ]);
    assert!(ok, "{err}");
    assert!(dry.contains("dry run: nothing changed"), "{dry}");
    let linked = |text: &str| {
        text.split("link to a lead ")
            .nth(1)
            .or_else(|| text.split("linked to a lead ").nth(1))
            .and_then(|s| s.split(',').next())
            .map(str::to_owned)
    };
    let would = linked(&dry).unwrap();
    assert_ne!(would, "0", "{dry}");

    let (ok, real, err) = crm(&["backfill-links", "--db", db, "--tenant-id", "demo"]);
    assert!(ok, "{err}");
    assert_eq!(
        linked(&real),
        Some(would.clone()),
        "the dry run said exactly what the real run did:\n{dry}\n{real}"
    );

    let (ok, again, _) = crm(&["backfill-links", "--db", db]);
    assert!(ok);
    assert_eq!(linked(&again).as_deref(), Some("0"), "{again}");
    assert!(!again.contains("already linked 0,"), "{again}");
}

#[test]
fn bad_arguments_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "5"]).0);
    let (ok, _, err) = crm(&["backfill-links", "--db", db, "--batch-size", "0"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: batchSize: must be between 1 and 10000, got 0"
    );
    let (ok, _, err) = crm(&["backfill-links", "--db", db, "--tenant-id", "nope"]);
    assert!(!ok);
    assert_eq!(err.trim(), "error: tenant nope not found");
    let missing = dir.path().join("missing.db");
    let (ok, _, err) = crm(&["backfill-links", "--db", missing.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn check_timeline_finds_drift_and_repair_mends_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "40"]).0);
    let (ok, out, err) = crm(&["check-timeline", "--db", db]);
    assert!(ok, "{err}");
    assert!(out.starts_with("demo: consistent, "), "{out}");

    // Drift made behind crm's back: two entries lost, one invented.
    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute_batch(
        "DELETE FROM timeline_entries WHERE (owner_type, owner_id, occurred_at, kind, source_id) IN
           (SELECT owner_type, owner_id, occurred_at, kind, source_id FROM timeline_entries LIMIT 2);
         INSERT INTO timeline_entries VALUES (1, 'customer', 1, 0, 'call', 999999, 'phone');",
    )
    .unwrap();
    drop(raw);
    let (ok, out, err) = crm(&["check-timeline", "--db", db]);
    assert!(!ok);
    assert!(out.contains("demo: 2 missing, 1 extra"), "{out}");
    assert!(err.contains("--repair"), "{err}");

    let (ok, out, err) = crm(&["check-timeline", "--db", db, "--repair"]);
    assert!(ok, "{err}");
    assert!(out.contains("demo: rebuilt"), "{out}");
    let (ok, out, _) = crm(&["check-timeline", "--db", db, "--tenant-id", "demo"]);
    assert!(ok);
    assert!(out.starts_with("demo: consistent"), "{out}");
    let (ok, _, err) = crm(&["check-timeline", "--db", db, "--tenant-id", "nope"]);
    assert!(!ok);
    assert_eq!(err.trim(), "error: tenant nope not found");
}

#[test]
fn reindex_rebuilds_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "30"]).0);
    let (ok, out, err) = crm(&["reindex", "--db", db]);
    assert!(ok, "{err}");
    let crm_db = crm_core::Crm::open(&path).unwrap();
    let records = crm_db.searchable_records().unwrap();
    assert!(
        out.starts_with(&format!("indexed {records} records")),
        "{out}"
    );
    assert!(crm_core::search::index_dir(&path).is_dir());
}

#[test]
fn a_reindex_killed_midway_leaves_an_index_that_catches_up() {
    use crm_core::search::SearchQuery;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "3000"]).0);
    assert!(crm(&["reindex", "--db", db]).0);
    // New records, then a rebuild killed while it runs.
    let admin = {
        let c = crm_core::Crm::open(&path).unwrap();
        let admin = c.first_admin("demo").unwrap();
        let scope = c.scope("demo", admin).unwrap();
        for i in 0..20 {
            scope
                .customers()
                .create(crm_core::customers::NewCustomer {
                    name: format!("Late Arrival {i}"),
                    ..Default::default()
                })
                .unwrap();
        }
        admin
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(["reindex", "--db", db])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The rebuild of ~11,000 records takes about half a second; stop it a third of the way in.
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed before it finished");

    let c = crm_core::Crm::open(&path).unwrap();
    let scope = c.scope("demo", admin).unwrap();
    let all = scope.search().query(&SearchQuery::default()).unwrap();
    let counts = crm_core::store::row_counts(&c).unwrap();
    let rows = |table: &str| counts.iter().find(|(t, _)| *t == table).unwrap().1 as u64;
    for (kind, table) in [
        ("customer", "customers"),
        ("lead", "leads"),
        ("deal", "deals"),
        ("ticket", "tickets"),
        ("conversation", "conversations"),
    ] {
        assert_eq!(
            all.facets.types.get(kind).copied().unwrap_or(0),
            rows(table),
            "{kind}"
        );
    }
    let late = scope
        .search()
        .query(&SearchQuery {
            q: "late arrival".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(late.total, 20);
}
