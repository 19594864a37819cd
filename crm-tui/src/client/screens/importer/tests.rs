//! The import wizard and the export key, driven as a person drives them.

use crate::client::app::Msg;
use crate::client::testing::*;
use crate::client::worker::{self, Progress, Reply, Request, Tab};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// A folder under /tmp with a name of fixed length, so snapshots can hide it.
fn folder() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("imp")
        .rand_bytes(6)
        .tempdir_in("/tmp")
        .unwrap()
}

const PEOPLE: &str = "Full Name;E-mail;Company Name;Churn\n\
    Ada Lovelace;ada@engines.test;Analytical Engines;80\n\
    Bob;not-an-email;;10\n\
    Grace Hopper;grace@navy.test;US Navy;95\n\
    Ada L.;ADA@engines.test;;5\n";

/// A folder holding `people.csv` (what `PEOPLE` says), and the file's path.
fn people() -> (tempfile::TempDir, String) {
    let dir = folder();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, PEOPLE).unwrap();
    let path = file.to_string_lossy().into_owned();
    (dir, path)
}

/// Opens the wizard on the Customers list and reads `file`'s header.
fn open(h: &mut Harness, path: &str) {
    h.key(KeyCode::Char('I'));
    h.chord(KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(h, path);
    h.key(KeyCode::Enter);
}

fn hide(dir: &tempfile::TempDir) -> impl Fn(String) -> String {
    let path = dir.path().to_string_lossy().into_owned();
    move |s: String| s.replace(&path, "/tmp/DIR")
}

fn customers(h: &Harness) -> Vec<crm_core::customers::Customer> {
    let scope = h.crm.scope("demo", None).unwrap();
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope
            .customers()
            .list(
                &serde_json::from_value(serde_json::json!({"limit": 500, "cursor": cursor}))
                    .unwrap(),
            )
            .unwrap();
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return all;
        }
    }
}

/// The whole story: the header's mapping, a field given a value, duplicates by email, the dry
/// run, the run, the file of failed rows, and the list showing what came in.
#[test]
fn a_file_is_mapped_previewed_and_imported() {
    let (dir, file) = people();
    let mut h = Harness::new(demo_crm(20));
    let before = customers(&h).len();
    open(&mut h, &file);
    let hide = hide(&dir);
    assert_screens!(h, &hide);

    // churnRisk is suggested from "Churn"; tags get a value every row takes.
    h.keys(&[KeyCode::Down; 5]);
    h.key(KeyCode::Char('v'));
    type_text(&mut h, "imported");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('e'));
    h.key(KeyCode::Enter);
    assert_screens!(h, &hide);
    assert_eq!(customers(&h).len(), before, "a dry run writes nothing");

    h.key(KeyCode::Enter);
    let screen = hide(h.screen());
    assert!(
        screen.contains("4 rows: 2 created · 0 updated · 1 skipped · 1 failed"),
        "{screen}"
    );
    assert!(screen.contains("/tmp/DIR/people-errors.csv"), "{screen}");
    assert!(
        screen.contains("row 2, E-mail: email: not a valid email address"),
        "{screen}"
    );
    let errors = std::fs::read_to_string(dir.path().join("people-errors.csv")).unwrap();
    assert!(
        errors.starts_with("row,line,column,field,value,message\n2,3,E-mail,email,not-an-email,")
    );

    h.key(KeyCode::Enter);
    let after = customers(&h);
    assert_eq!(after.len(), before + 2);
    let ada = after.iter().find(|c| c.name == "Ada Lovelace").unwrap();
    assert_eq!(
        (ada.churn_risk, ada.tags.clone()),
        (80, vec!["imported".to_owned()])
    );
    assert_eq!(
        h.app.notice.clone().map(&hide),
        Some(
            "Imported /tmp/DIR/people.csv: 4 rows: 2 created · 0 updated · 1 skipped · 1 failed"
                .into()
        )
    );
    assert!(
        h.screen().contains("Grace Hopper"),
        "the list is fetched again"
    );
}

/// A mapping the kind cannot take is named on the mapping step, and a file that cannot be
/// read on the file step; nothing is written.
#[test]
fn bad_files_and_mappings_are_named_where_they_are_made() {
    let dir = folder();
    let mut h = Harness::new(demo_crm(20));
    let before = customers(&h).len();
    open(&mut h, &dir.path().join("missing.csv").to_string_lossy());
    assert!(h.screen().contains("cannot be opened"), "{}", h.screen());
    let file = dir.path().join("people.csv");
    std::fs::write(&file, PEOPLE).unwrap();
    h.chord(KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut h, &file.to_string_lossy());
    h.key(KeyCode::Enter);
    // name is required: take its column away, and the dry run says so.
    h.key(KeyCode::Down);
    h.key(KeyCode::Char('x'));
    h.key(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("mapping.name: customers need name"),
        "{screen}"
    );
    assert!(screen.contains("2 of 4: the mapping"));
    assert_eq!(customers(&h).len(), before);
}

/// Esc while the import runs stops it after the row in hand; what was written stays, and the
/// same import again finishes it.
#[test]
fn a_running_import_stops_and_finishes_when_run_again() {
    let (_dir, file) = people();
    let mut h = Harness::new(demo_crm(20));
    let before = customers(&h).len();
    open(&mut h, &file);
    // While the dry run is planned, keys wait (the wizard stays where it is).
    let planning = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    for code in [KeyCode::Esc, KeyCode::Enter, KeyCode::Char('x')] {
        let nothing = h
            .app
            .update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        assert!(nothing.is_empty());
    }
    assert!(h.screen().contains("planning every row"), "{}", h.screen());
    h.answer(planning);
    assert!(h.screen().contains("3 of 4: the dry run"));
    // The run is asked for but not answered yet: the gauge shows, and Esc asks it to stop.
    let held = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(matches!(held.as_slice(), [Request::ImportRun(..)]));
    assert!(h.screen().contains("4 of 4: importing"));
    let none = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    assert!(none.is_empty());
    assert!(h.screen().contains("stopping after the row in hand"));
    h.answer(held);
    let screen = h.screen();
    assert!(
        screen.contains("Stopped: what is written stays"),
        "{screen}"
    );
    assert_eq!(customers(&h).len(), before + 1);

    h.key(KeyCode::Enter);
    open(&mut h, &file);
    h.keys(&[KeyCode::Enter, KeyCode::Enter]);
    assert!(
        h.screen()
            .contains("4 rows: 2 created · 0 updated · 1 skipped · 1 failed"),
        "{}",
        h.screen()
    );
    assert_eq!(
        customers(&h).len(),
        before + 3,
        "Ada, Grace and Ada L. (no dedupe asked)"
    );
}

/// The worker counts the rows into the progress it was given, and stops when asked.
#[test]
fn the_worker_counts_and_stops() {
    let (dir, file) = people();
    let crm = demo_crm(5);
    let request: crm_core::import::ImportRequest =
        serde_json::from_value(serde_json::json!({"kind": "customer", "path": file})).unwrap();
    let progress = Progress::default();
    let reply = worker::answer(
        &crm,
        "demo",
        Some(crm_core::ids::UserId(1)),
        Request::ImportRun(Box::new(request.clone()), progress.clone()),
    );
    let Reply::Imported(Ok(done)) = reply else {
        panic!("{reply:?}")
    };
    let c = &progress.0;
    assert_eq!(
        (
            c.rows.load(Relaxed),
            c.created.load(Relaxed),
            c.failed.load(Relaxed)
        ),
        (4, 3, 1)
    );
    assert_eq!(c.bytes.load(Relaxed), PEOPLE.len() as u64);
    assert_eq!(done.errors_file, Some(dir.path().join("people-errors.csv")));

    let stopped = Progress::default();
    stopped.0.cancel.store(true, Relaxed);
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "name\nA\nB\nC\n").unwrap();
    let reply = worker::answer(
        &crm,
        "demo",
        Some(crm_core::ids::UserId(1)),
        Request::ImportRun(
            Box::new(crm_core::import::ImportRequest {
                path: Some(other.to_string_lossy().into_owned()),
                mapping: None,
                ..request
            }),
            stopped,
        ),
    );
    let Reply::Imported(Ok(done)) = reply else {
        panic!("{reply:?}")
    };
    assert!(done.outcome.cancelled);
    assert_eq!(done.outcome.summary.created, 1);
    assert_eq!(done.errors_file, None);
}

/// `E` writes what the list shows: its filter, order and columns.
#[test]
fn export_writes_the_list_as_shown() {
    let dir = folder();
    let mut h = Harness::new(demo_crm(30));
    h.key(KeyCode::Char('E'));
    // The path offered is the current folder's (not in the snapshot: it differs by machine).
    let offered = h.field_text().unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert!(offered.starts_with(&*cwd.to_string_lossy()), "{offered}");
    assert!(
        std::path::Path::new(&offered)
            .extension()
            .is_some_and(|e| e == "csv")
            && offered.contains("customers-"),
        "{offered}"
    );
    let path = dir.path().join("out.jsonl");
    h.chord(KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut h, path.to_str().unwrap());
    assert_screens!(h, hide(&dir));
    h.key(KeyCode::Enter);
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written.lines().count(), 30);
    let first: serde_json::Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    let shown = h.app.lists.columns(Tab::Customers);
    assert_eq!(
        first
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .len(),
        shown.len()
    );
    assert_eq!(first["id"], h.selected_id(), "newest first, as the list");
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .starts_with("Wrote 30 rows to "),
        "{:?}",
        h.app.notice
    );
    // A folder is not a file: said in the prompt, which stays.
    h.key(KeyCode::Char('E'));
    h.chord(KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut h, dir.path().to_str().unwrap());
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("is a folder"), "{}", h.screen());
}

#[test]
fn every_step_binds_what_it_lists() {
    let (_dir, path) = people();
    let crm = Arc::new(demo_crm(20));
    let typed: &[KeyCode] = &[KeyCode::Char('x')];
    // The file.
    check_bindings(
        &crm,
        |h| h.key(KeyCode::Char('I')),
        &[(KeyCode::Backspace, typed)],
    );
    let mapped = |h: &mut Harness| open(h, &path);
    // Up needs a field above; x a field with a column (name).
    let down: &[KeyCode] = &[KeyCode::Down];
    check_bindings(
        &crm,
        mapped,
        &[
            (KeyCode::Up, down),
            (KeyCode::Char('k'), down),
            (KeyCode::Char('x'), down),
        ],
    );
    // A value typed.
    check_bindings(
        &crm,
        |h| {
            mapped(h);
            h.key(KeyCode::Char('v'));
        },
        &[(KeyCode::Backspace, typed)],
    );
    // Deals: no email or phone to match by.
    check_bindings(
        &crm,
        |h| {
            h.key(KeyCode::Char('3'));
            open(h, &path);
        },
        &[
            (KeyCode::Up, down),
            (KeyCode::Char('k'), down),
            (KeyCode::Char('x'), &[KeyCode::Down; 6]),
        ],
    );
    // The dry run, and what the run did.
    check_bindings(
        &crm,
        |h| {
            mapped(h);
            h.key(KeyCode::Enter);
        },
        &[],
    );
    check_bindings(
        &crm,
        |h| {
            mapped(h);
            h.keys(&[KeyCode::Enter, KeyCode::Enter]);
        },
        &[],
    );
    // The export's path: Tab lists the current folder once the file's name is gone.
    let folder_only: &[KeyCode] = &[KeyCode::Backspace; "customers-2026-12-06.csv".len()];
    check_bindings(
        &crm,
        |h| h.key(KeyCode::Char('E')),
        &[(KeyCode::Tab, folder_only)],
    );
}

/// `E` on a segment writes its members, every customer field.
#[test]
fn export_writes_a_segments_members() {
    let dir = folder();
    let mut h = Harness::new(demo_crm(60));
    h.crm
        .scope("demo", Some(crm_core::ids::UserId(1)))
        .unwrap()
        .segments()
        .create(
            serde_json::from_value(serde_json::json!({"name": "Risky",
                "criteria": {"field": "churnRisk", "op": "gte", "value": 50}}))
            .unwrap(),
        )
        .unwrap();
    h.key(KeyCode::Char('6'));
    let scope = h.crm.scope("demo", None).unwrap();
    let segment = scope
        .segments()
        .list(&crm_core::PageRequest::default())
        .unwrap()
        .items
        .remove(0);
    let members = scope
        .segments()
        .members(&crm_core::segments::MembersRequest {
            id: segment.id,
            limit: Some(500),
            cursor: None,
        })
        .unwrap()
        .items;
    h.key(KeyCode::Char('E'));
    assert!(
        h.screen()
            .contains(&format!("Export segment {}", segment.name))
    );
    let path = dir.path().join("members.csv");
    h.chord(KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut h, path.to_str().unwrap());
    h.key(KeyCode::Enter);
    let written = std::fs::read_to_string(&path).unwrap();
    let mut lines = written.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,externalId,name,email")
    );
    let ids: Vec<String> = lines
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = members.iter().map(|c| c.id.0.to_string()).collect();
    assert!(!expected.is_empty());
    assert_eq!(ids, expected);
}

/// The client quitting while an import runs (the wizard dropped) stops the import, so the
/// worker lets go of the database soon.
#[test]
fn a_wizard_dropped_while_running_stops_its_import() {
    let (_dir, file) = people();
    let mut h = Harness::new(demo_crm(5));
    open(&mut h, &file);
    h.key(KeyCode::Enter);
    let held = h
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let [Request::ImportRun(_, progress)] = held.as_slice() else {
        panic!("{held:?}")
    };
    let progress = progress.clone();
    assert!(!progress.0.cancel.load(Relaxed));
    drop(h);
    assert!(progress.0.cancel.load(Relaxed));
}

/// `d` reads a column's dates day first; `v` with `{column}` in it makes a template.
#[test]
fn dates_day_first_and_templates() {
    let dir = folder();
    let file = dir.path().join("eu.csv");
    std::fs::write(&file, "Name,Created\nAda,22/03/2021\nGrace,01/12/2020\n").unwrap();
    let mut h = Harness::new(demo_crm(5));
    open(&mut h, &file.to_string_lossy());
    // Read month first, 22/03 is no date, and 01/12 is January 12 (the preview shows it).
    h.key(KeyCode::Enter);
    assert!(h.screen().contains("1 to create"), "{}", h.screen());
    assert!(h.screen().contains("Grace · 2020-01-12"), "{}", h.screen());
    assert!(
        h.screen().contains("(read as month/day/year)"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Esc);
    // createdAt is the last field; company (the 5th) takes a template.
    h.keys(&[KeyCode::Down; 7]);
    h.key(KeyCode::Char('d'));
    assert!(
        h.screen().contains("column \"Created\", day/month/year"),
        "{}",
        h.screen()
    );
    h.keys(&[KeyCode::Up; 3]);
    h.key(KeyCode::Char('v'));
    type_text(&mut h, "{Name} Ltd");
    h.key(KeyCode::Enter);
    assert!(
        h.screen().contains("the template \"{Name} Ltd\""),
        "{}",
        h.screen()
    );
    // d on a field that is not a time says so.
    h.key(KeyCode::Char('d'));
    assert_eq!(
        h.app.notice.as_deref(),
        Some("d: company is not a time read from a column")
    );
    h.keys(&[KeyCode::Enter, KeyCode::Enter]);
    let grace = customers(&h)
        .into_iter()
        .find(|c| c.name == "Grace")
        .unwrap();
    assert_eq!(grace.company.as_deref(), Some("Grace Ltd"));
    assert_eq!(grace.created_at.to_rfc3339(), "2020-12-01T00:00:00+00:00");
}
