//! The database file as a person handles it: copied after quitting, backed up while others
//! write, checked.

mod common;

use crm_core::Crm;
use crm_core::customers::NewCustomer;
use crm_core::search::{IndexState, SearchQuery};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn customer_names(crm: &Crm, tenant: &str) -> Vec<String> {
    common::all_customers(crm, tenant)
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn integrity(path: &Path) -> String {
    crm_core::store::raw_connection(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn after_close_the_file_alone_holds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let crm = Crm::open(&path).unwrap();
    let admin = common::tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    // One transaction per write, with reads and a search between, as an app works: the log
    // grows well past a few pages and reader connections are open at close.
    for i in 0..1_500 {
        scope
            .tickets()
            .create(common::ticket(&format!("Printer {i} jams")))
            .unwrap();
        if i % 100 == 0 {
            scope.tickets().count().unwrap();
        }
    }
    assert_eq!(
        scope
            .search()
            .query(&SearchQuery {
                q: "printer".into(),
                ..Default::default()
            })
            .unwrap()
            .total,
        1_500
    );
    let wal = dir.path().join("crm.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the writes went to the log"
    );
    drop(crm);

    assert_eq!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()),
        0,
        "the log was copied into the file and emptied"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(integrity(&copy), "ok");
    let reopened = Crm::open(&copy).unwrap();
    assert_eq!(
        reopened
            .scope("acme", None)
            .unwrap()
            .tickets()
            .count()
            .unwrap(),
        1_500
    );
    assert!(reopened.check().unwrap().problems().is_empty());
}

#[test]
fn a_backup_taken_while_another_handle_writes_holds_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let writer = Crm::open(&path).unwrap();
    let admin = common::tenant(&writer, "acme");
    let backer = Crm::open(&path).unwrap();
    let acknowledged = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let out = dir.path().join("backup.db");
    let (before, report) = std::thread::scope(|s| {
        s.spawn(|| {
            let scope = writer.scope("acme", Some(admin)).unwrap();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                scope
                    .customers()
                    .create(NewCustomer {
                        name: format!("w{i}"),
                        ..Default::default()
                    })
                    .unwrap();
                i += 1;
                acknowledged.store(i, Ordering::SeqCst);
            }
        });
        while acknowledged.load(Ordering::SeqCst) < 300 {
            std::thread::yield_now();
        }
        let before = acknowledged.load(Ordering::SeqCst);
        let report = backer.backup(&out).unwrap();
        // The writer went on while the copy was taken.
        let goal = acknowledged.load(Ordering::SeqCst) + 50;
        while acknowledged.load(Ordering::SeqCst) < goal {
            std::thread::yield_now();
        }
        stop.store(true, Ordering::SeqCst);
        (before, report)
    });
    assert_eq!(report.path, out.display().to_string());
    assert_eq!(
        report.bytes,
        i64::try_from(std::fs::metadata(&out).unwrap().len()).unwrap()
    );
    assert_eq!(integrity(&out), "ok");

    let copy = Crm::open(&out).unwrap();
    let names = customer_names(&copy, "acme");
    let held = u64::try_from(names.len()).unwrap();
    assert!(
        held >= before,
        "{held} customers in the copy, {before} acknowledged before it"
    );
    assert!(
        held < customer_names(&writer, "acme").len() as u64,
        "a moment's copy, not the end"
    );
    // Exactly the first `held` writes: a prefix, with their audit and feed entries.
    let mut expected: Vec<String> = (0..held).map(|i| format!("w{i}")).collect();
    let mut names = names;
    names.sort();
    expected.sort();
    assert_eq!(names, expected);
    let health = copy.check().unwrap();
    assert!(health.problems().is_empty(), "{:?}", health.problems());
    // The index is derived: not copied, built on the copy's first search.
    assert_eq!(health.search, IndexState::Absent);
    let found = copy
        .scope("acme", None)
        .unwrap()
        .search()
        .query(&SearchQuery {
            q: "w0".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.hits[0].title, "w0");
    assert!(
        matches!(copy.search_state().unwrap(), IndexState::Current { documents, .. } if documents == held)
    );
}

#[test]
fn a_backup_never_overwrites_and_names_the_path_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Crm::open(dir.path().join("crm.db")).unwrap();
    common::tenant(&crm, "acme");
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, b"precious").unwrap();
    for (out, says) in [
        (taken.clone(), "already exists"),
        (dir.path().join("no/such/folder/x.db"), "does not exist"),
    ] {
        let err = crm.backup(&out).unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_input", Some("path")));
        assert!(err.to_string().contains(says), "{err}");
    }
    assert_eq!(std::fs::read(&taken).unwrap(), b"precious");
    // Nothing half-written is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".crm-backup-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_in_memory_database_backs_up_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Crm::open_in_memory().unwrap();
    let admin = common::tenant(&crm, "acme");
    crm.scope("acme", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "Zoë".into(),
            ..Default::default()
        })
        .unwrap();
    let out = dir.path().join("mem.db");
    crm.backup(&out).unwrap();
    assert_eq!(customer_names(&Crm::open(&out).unwrap(), "acme"), ["Zoë"]);
}
