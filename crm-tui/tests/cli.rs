//! The batch subcommands, run as a person runs them.

use std::process::Command;

fn crm(args: &[&str]) -> (bool, String, String) {
    run(Command::new(env!("CARGO_BIN_EXE_crm")).args(args))
}

/// Whether the command succeeded, and what it printed and complained.
fn run(command: &mut Command) -> (bool, String, String) {
    let out = command.output().unwrap();
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
fn check_finds_drift_and_repair_mends_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "40"]).0);
    let (ok, out, err) = crm(&["check", "--db", db]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("integrity: ok\nforeign keys: ok\n"),
        "{out}"
    );
    assert!(out.contains("timeline demo: consistent, "), "{out}");
    assert!(out.contains("search index: none yet"), "{out}");
    assert!(crm(&["reindex", "--db", db]).0);
    let (ok, out, _) = crm(&["check", "--db", db]);
    assert!(ok);
    assert!(out.contains("search index: current, "), "{out}");

    // Drift made behind crm's back: two entries lost, one invented.
    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute_batch(
        "DELETE FROM timeline_entries WHERE (owner_type, owner_id, occurred_at, kind, source_id) IN
           (SELECT owner_type, owner_id, occurred_at, kind, source_id FROM timeline_entries LIMIT 2);
         INSERT INTO timeline_entries VALUES (1, 'customer', 1, 0, 'call', 999999, 'phone');
         UPDATE analytics_rep_days SET won = won + 1
          WHERE (tenant_id, day, pipeline_id, owner_id, currency) =
                (SELECT tenant_id, day, pipeline_id, owner_id, currency FROM analytics_rep_days LIMIT 1);
         UPDATE board_totals SET value = value + 1
          WHERE (tenant_id, pipeline_id, stage_id, currency) =
                (SELECT tenant_id, pipeline_id, stage_id, currency FROM board_totals WHERE deals > 0 LIMIT 1);
         DELETE FROM board_totals
          WHERE (tenant_id, pipeline_id, stage_id, currency) =
                (SELECT tenant_id, pipeline_id, stage_id, currency FROM board_totals WHERE deals > 0 LIMIT 1 OFFSET 1);",
    )
    .unwrap();
    drop(raw);
    let (ok, out, err) = crm(&["check", "--db", db]);
    assert!(!ok);
    assert!(out.contains("timeline demo: 2 missing, 1 extra"), "{out}");
    assert!(
        out.contains("analytics demo: 1 daily sums and 0 deals' shares differ"),
        "{out}"
    );
    assert!(
        out.contains("board sums demo: 2 column sums differ from the deals"),
        "{out}"
    );
    assert!(err.contains("3 problem(s) found"), "{err}");
    assert!(err.contains("--repair"), "{err}");

    let (ok, out, err) = crm(&["check", "--db", db, "--repair"]);
    assert!(ok, "{err}");
    assert!(out.contains("timeline demo: rebuilt"), "{out}");
    assert!(out.contains("analytics demo: rebuilt"), "{out}");
    assert!(out.contains("board sums demo: rebuilt"), "{out}");
    assert!(out.ends_with("repaired\n"), "{out}");
    let (ok, out, _) = crm(&["check", "--db", db]);
    assert!(ok);
    assert!(out.contains("timeline demo: consistent"), "{out}");
    assert!(out.contains("quotes demo: consistent, "), "{out}");
    assert!(out.contains("board sums demo: consistent, "), "{out}");

    // A quote whose total no longer matches its lines is reported, and never rewritten.
    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute_batch(
        "INSERT INTO quotes (tenant_id, id, number, revision, deal_id, currency, status,
                             discount_bp, tax_rounding, line_count, totals, total, created_at, updated_at)
         VALUES (1, 9999, 'Q-2026-9999', 1, 1, 'USD', 'sent', 0, 'perLine', 0,
                 '{\"subtotal\":0,\"discount\":0,\"tax\":[],\"total\":0}', 5, 0, 0);",
    )
    .unwrap();
    drop(raw);
    let (ok, out, err) = crm(&["check", "--db", db]);
    assert!(!ok);
    assert!(
        out.contains("quotes demo: amounts differ from the lines of quote(s) 9999"),
        "{out}"
    );
    assert!(err.contains("never rewritten"), "{err}");
    let (ok, _, err) = crm(&["check", "--db", db, "--repair"]);
    assert!(!ok && err.contains("still wrong after the repair"), "{err}");
}

#[test]
fn check_fails_on_a_damaged_file_and_on_an_index_of_another_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "40"]).0);
    assert!(crm(&["reindex", "--db", db]).0);
    // The index of a bigger database, put beside this one: its commit is ahead of this feed.
    let other = dir.path().join("other.db");
    assert!(crm(&["demo", "--db", other.to_str().unwrap(), "--customers", "80"]).0);
    assert!(crm(&["reindex", "--db", other.to_str().unwrap()]).0);
    let index = crm_core::search::index_dir(&path);
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::rename(crm_core::search::index_dir(&other), &index).unwrap();
    let (ok, out, err) = crm(&["check", "--db", db]);
    assert!(!ok);
    assert!(
        out.contains("search index: holds changes of tenant 1 up to "),
        "{out}"
    );
    assert!(err.contains("--repair"), "{err}");
    let (ok, out, err) = crm(&["check", "--db", db, "--repair"]);
    assert!(ok, "{err}");
    assert!(out.contains("search index: rebuilt"), "{out}");

    // A row whose reference points nowhere, written with the checks off.
    let raw = crm_core::store::raw_connection(&path).unwrap();
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF;
         UPDATE tickets SET customer_id = 999999 WHERE rowid = (SELECT MIN(rowid) FROM tickets);",
    )
    .unwrap();
    drop(raw);
    let (ok, out, err) = crm(&["check", "--db", db]);
    assert!(!ok);
    assert!(out.contains("foreign key: tickets row "), "{out}");
    assert!(err.contains("restore it from a backup"), "{err}");
}

#[test]
fn backup_copies_a_database_that_opens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "60"]).0);
    let out_path = dir.path().join("copy.db");
    let out = out_path.to_str().unwrap();
    let (ok, printed, err) = crm(&["backup", "--db", db, "--out", out]);
    assert!(ok, "{err}");
    assert!(
        printed.starts_with(&format!("backed up {db} to {out} (")),
        "{printed}"
    );
    let (ok, stats_copy, _) = crm(&["stats", "--db", out]);
    assert!(ok);
    assert_eq!(stats_copy, crm(&["stats", "--db", db]).1);
    let (ok, checked, err) = crm(&["check", "--db", out]);
    assert!(ok, "{checked}{err}");
    // Never over an existing file.
    let (ok, _, err) = crm(&["backup", "--db", db, "--out", out]);
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
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

#[test]
fn reports_print_the_analytics_as_tables_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "300"]).0);
    let (ok, json, err) = crm(&[
        "report",
        "funnel",
        "--db",
        db,
        "--pipeline",
        "1",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let funnel: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(funnel["deals"].as_u64().unwrap() > 0, "{json}");
    let (ok, csv, _) = crm(&[
        "report",
        "funnel",
        "--db",
        db,
        "--pipeline",
        "1",
        "--format",
        "csv",
    ]);
    assert!(ok);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("stage_id,stage,kind,reached,")
    );
    for (line, stage) in lines.zip(funnel["stages"].as_array().unwrap()) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[1], stage["name"], "{csv}");
        assert_eq!(cells[3], stage["reached"].to_string(), "{csv}");
    }
    let (ok, table, _) = crm(&["report", "funnel", "--db", db]);
    assert!(ok);
    assert!(
        table.contains(&format!("{} deals:", funnel["deals"])),
        "{table}"
    );
    assert!(table.contains("Reached"), "{table}");

    let (ok, json, err) = crm(&[
        "report",
        "reps",
        "--db",
        db,
        "--timeframe",
        "month",
        "--at",
        "2026-11-15",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let reps: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(reps["period"]["from"], "2026-11-01T00:00:00.000Z");
    assert_eq!(reps["previous"]["period"]["to"], "2026-11-01T00:00:00.000Z");
    let (ok, table, _) = crm(&[
        "report",
        "reps",
        "--db",
        db,
        "--timeframe",
        "month",
        "--at",
        "2026-11-15",
    ]);
    assert!(ok);
    assert!(
        table.starts_with("Rep performance, month 2026-11-01 to 2026-11-30"),
        "{table}"
    );
    for rep in reps["reps"].as_array().unwrap() {
        assert!(table.contains(rep["name"].as_str().unwrap()), "{table}");
    }

    let (ok, _, err) = crm(&["report", "reps", "--db", db, "--timeframe", "year"]);
    assert!(!ok);
    assert!(err.contains("year"), "{err}");
    let (ok, _, err) = crm(&["report", "reps", "--db", db, "--at", "tomorrow"]);
    assert!(!ok);
    assert!(err.contains("--at: \"tomorrow\""), "{err}");
    let (ok, _, err) = crm(&["report", "funnel", "--db", db, "--pipeline", "99"]);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn a_quote_renders_as_text_or_a_whole_html_page_and_refresh_writes_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "50"]).0);
    let quote = {
        let crm = crm_core::Crm::open(&path).unwrap();
        let admin = crm.first_admin("demo").unwrap();
        let scope = crm.scope("demo", admin).unwrap();
        let deal = scope
            .deals()
            .list(&crm_core::deals::DealFilter::default())
            .unwrap()
            .items[0]
            .id;
        let new = serde_json::from_value(serde_json::json!({
            "dealId": deal, "notes": "<b>bold</b> & more",
            "lines": [{"description": "Säge <script>", "quantity": 2.5, "unitPrice": 1_000, "taxRateBp": 1_900}]}))
        .unwrap();
        scope.quotes().create(new).unwrap()
    };
    let id = quote.id.0.to_string();
    let (ok, text, err) = crm(&["quote", "render", &id, "--db", db]);
    assert!(ok, "{err}");
    assert!(
        text.starts_with(&format!("Quote {}\nDRAFT", quote.number)),
        "{text}"
    );
    assert!(text.contains("1. Säge <script>"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("Total:") && l.ends_with("USD 29.75")),
        "{text}"
    );
    let (ok, html, err) = crm(&["quote", "render", &id, "--db", db, "--format", "html"]);
    assert!(ok, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(html.contains("Säge &lt;script&gt;") && !html.contains("<script"));
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; more"));
    let (ok, _, err) = crm(&["quote", "render", "999", "--db", db]);
    assert!(!ok && err.contains("quote 999 not found"), "{err}");
    let (ok, _, err) = crm(&["quote", "render", &id, "--db", db, "--format", "pdf"]);
    assert!(!ok && err.contains("pdf"), "{err}");
    let (ok, out, err) = crm(&["quote", "refresh", "--db", db]);
    assert!(ok, "{err}");
    assert_eq!(out, "demo: 0 quotes expired\n");
}

#[test]
fn leads_rescore_gives_hand_set_scores_back_to_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let db = path.to_str().unwrap();
    assert!(crm(&["demo", "--db", db, "--customers", "40"]).0);
    let (lead, score) = {
        let crm = crm_core::Crm::open(&path).unwrap();
        let admin = crm.first_admin("demo").unwrap();
        let scope = crm.scope("demo", admin).unwrap();
        // The demo ships rules: every lead's score is theirs.
        assert!(!scope.scoring().get_rules().unwrap().rules.is_empty());
        let lead = scope
            .leads()
            .list(&crm_core::leads::LeadFilter::default())
            .unwrap()
            .items[0]
            .clone();
        let why = scope.leads().explain_score(lead.id).unwrap();
        assert_eq!(Some(lead.score), why.computed);
        let changes = serde_json::json!({"id": lead.id, "score": (lead.score + 1) % 100});
        scope
            .leads()
            .update(serde_json::from_value(changes).unwrap())
            .unwrap();
        (lead.id, lead.score)
    };
    let (ok, out, err) = crm(&["leads", "rescore", "--db", db]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("demo: ") && out.contains("leads rescored, 1 changed"),
        "{out}"
    );
    let crm = crm_core::Crm::open(&path).unwrap();
    let reader = crm.scope("demo", None).unwrap();
    assert_eq!(reader.leads().get(lead).unwrap().score, score);
    let (ok, _, err) = crm_cmd_missing_tenant(db);
    assert!(!ok && err.contains("nope"), "{err}");
}

fn crm_cmd_missing_tenant(db: &str) -> (bool, String, String) {
    crm(&["leads", "rescore", "--db", db, "--tenant-id", "nope"])
}

/// `crm import` shows the mapping it used and what it did, writes the failed rows to a CSV in
/// the current folder, and does nothing the second time; `crm export` writes what a list
/// shows to a file or to standard output.
#[test]
fn import_then_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = crm(&["demo", "--db", db, "--customers", "0"]);
    assert!(ok, "{err}");
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "Full Name;E-mail;Churn\nAda;ada@x.test;80\nBob;bob@;10\n=cmd|' /C calc'!A0;eve@x.test;90\nAda;ADA@X.TEST;5\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let import = |extra: &[&str]| {
        run(Command::new(env!("CARGO_BIN_EXE_crm"))
            .current_dir(dir.path())
            .args(["import", "customers", file, "--db", db, "--dedupe", "email"])
            .args(extra))
    };
    let (ok, dry, err) = import(&["--dry-run"]);
    assert!(ok, "{err}");
    assert!(dry.contains("name               ← \"Full Name\""), "{dry}");
    assert!(
        dry.contains("dry run, nothing written: 4 rows: 2 created, 0 updated, 1 skipped, 1 failed"),
        "{dry}"
    );
    let (ok, done, err) = import(&[]);
    assert!(ok, "{err}");
    assert!(
        done.contains("4 rows: 2 created, 0 updated, 1 skipped, 1 failed"),
        "{done}"
    );
    assert!(done.contains("people-errors.csv"), "{done}");
    let errors = std::fs::read_to_string(dir.path().join("people-errors.csv")).unwrap();
    let mut lines = errors.lines();
    assert_eq!(lines.next(), Some("row,line,column,field,value,message"));
    let bob = lines.next().unwrap();
    assert!(bob.starts_with("2,3,E-mail,email,bob@,"), "{bob}");
    let (ok, again, _) = import(&["--format", "json"]);
    assert!(ok);
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(
        (again["created"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(3))
    );

    let (ok, out, err) = crm(&[
        "export",
        "customers",
        "--db",
        db,
        "--where",
        "churnRisk >= 50",
        "--sort",
        "name",
        "--columns",
        "name,email",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "name,email\n'=cmd|' /C calc'!A0,eve@x.test\nAda,ada@x.test\n"
    );
    let jsonl = dir.path().join("out.jsonl");
    let (ok, _, err) = crm(&[
        "export",
        "customer",
        "--db",
        db,
        "--format",
        "jsonl",
        "--out",
        jsonl.to_str().unwrap(),
        "--sort",
        "-name",
        "--columns",
        "name",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("2 rows written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&jsonl).unwrap(),
        "{\"name\":\"Ada\"}\n{\"name\":\"=cmd|' /C calc'!A0\"}\n"
    );
    let (ok, _, err) = crm(&["import", "shoes", file, "--db", db]);
    assert!(!ok);
    assert!(err.contains("\"shoes\" is not a kind of record"), "{err}");
    let (ok, _, err) = crm(&["import", "customer", "/no/such.csv", "--db", db]);
    assert!(!ok);
    assert!(err.contains("path: /no/such.csv cannot be opened"), "{err}");
}

#[test]
fn delete_list_restore_and_purge_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = crm(&["demo", "--db", db, "--customers", "40"]);
    assert!(ok, "{err}");
    let (ok, before, _) = crm(&["stats", "--db", db]);
    assert!(ok);

    // A customer with records: refused without --cascade, naming them.
    let (ok, _, err) = crm(&["delete", "customer", "1", "--db", db]);
    assert!(!ok);
    assert!(err.contains("delete with cascade"), "{err}");
    let (ok, dry, err) = crm(&[
        "delete",
        "customers",
        "1",
        "--cascade",
        "--dry-run",
        "--db",
        db,
    ]);
    assert!(ok, "{err}");
    assert!(
        dry.starts_with("would move to the trash: customer 1 "),
        "{dry}"
    );
    assert_eq!(
        crm(&["stats", "--db", db]).1,
        before,
        "a dry run changes nothing"
    );
    let (ok, out, err) = crm(&[
        "delete",
        "customer",
        "1",
        "--cascade",
        "--db",
        db,
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let deleted: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(deleted["records"]["customers"], 1);
    assert!(deleted["groupSize"].as_u64().unwrap() > 1, "{deleted}");

    let (ok, listed, _) = crm(&["trash", "list", "--db", db]);
    assert!(ok);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("customer"), "{listed}");
    let (ok, out, err) = crm(&["trash", "restore", "customer", "1", "--db", db]);
    assert!(ok, "{err}");
    assert!(out.starts_with("restored customer 1 ("), "{out}");
    let (ok, _, err) = crm(&["check", "--db", db]);
    assert!(ok, "{err}");

    let (ok, _, err) = crm(&["delete", "ticket", "2", "--db", db]);
    assert!(ok, "{err}");
    let (ok, out, _) = crm(&["trash", "purge", "--older-than", "30", "--db", db]);
    assert!(ok);
    assert_eq!(out, "demo: purged 0 deleted group(s), 0 record(s)\n");
    let (ok, out, _) = crm(&["trash", "purge", "--older-than", "0", "--db", db]);
    assert!(ok);
    assert_eq!(out, "demo: purged 1 deleted group(s), 1 record(s)\n");
    let (ok, _, err) = crm(&["trash", "restore", "ticket", "2", "--db", db]);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    let (ok, _, err) = crm(&["delete", "team", "1", "--db", db]);
    assert!(!ok);
    assert!(err.contains("cannot be deleted"), "{err}");
}

#[test]
fn export_data_then_erase_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = crm(&["demo", "--db", db, "--customers", "20"]);
    assert!(ok, "{err}");
    let (ok, out, err) = crm(&["export-data", "--customer", "3", "--db", db]);
    assert!(ok, "{err}");
    let data: serde_json::Value = serde_json::from_str(&out).unwrap();
    let email = data["customer"]["email"].as_str().unwrap().to_owned();
    assert!(
        data["tickets"].is_array() && data["audit"].is_array(),
        "{data}"
    );

    let (ok, _, err) = crm(&[
        "erase",
        "--customer",
        "3",
        "--confirm",
        "wrong@x",
        "--db",
        db,
    ]);
    assert!(!ok);
    assert!(err.contains("confirm"), "{err}");
    let (ok, out, err) = crm(&[
        "erase",
        "--customer",
        "3",
        "--confirm",
        &email,
        "--db",
        db,
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let receipt: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(receipt["erased"]["customers"], 1, "{receipt}");
    let (ok, _, err) = crm(&["export-data", "--customer", "3", "--db", db]);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    let (ok, _, err) = crm(&["check", "--db", db]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(dir.path().join("crm.db")).unwrap();
    assert!(
        !bytes.windows(email.len()).any(|w| w == email.as_bytes()),
        "the email is not in the file"
    );
}

/// `crm migrate-to URL`: a demo file copied into PostgreSQL, checked, and then the same
/// `crm stats` on both; never a password in what it prints. The copy itself needs a server
/// (`CRM_TEST_BACKEND=postgres` and `CRM_TEST_POSTGRES`); the refusals run without one.
#[test]
fn migrate_to_copies_a_file_into_postgresql_and_never_shows_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let db = db.to_str().unwrap();
    let (ok, _, err) = crm(&["demo", "--db", db, "--customers", "120"]);
    assert!(ok, "{err}");
    let (ok, _, err) = crm(&["migrate-to", "/tmp/not-a-server.db", "--db", db]);
    assert!(!ok && err.contains("is not a PostgreSQL URL"), "{err}");
    let (ok, out, err) = crm(&[
        "migrate-to",
        "postgresql://crm:s3cret@127.0.0.1:1/crm",
        "--db",
        db,
    ]);
    assert!(
        !ok && err.contains("cannot connect to PostgreSQL at 127.0.0.1"),
        "{err}"
    );
    assert!(
        !out.contains("s3cret") && !err.contains("s3cret"),
        "{out}{err}"
    );
    if std::env::var("CRM_TEST_BACKEND").as_deref() != Ok("postgres") {
        return;
    }
    let server = std::env::var("CRM_TEST_POSTGRES").expect("CRM_TEST_POSTGRES names a server");
    let fresh = crm_core::store::fresh_schema(&server, "cli").unwrap();
    // The test server trusts loopback: the password is there only to be hidden.
    let url = fresh.replacen("://postgres@", "://postgres:s3cret@", 1);
    assert_ne!(url, fresh, "the test URL names the user postgres");
    let (ok, out, err) = crm(&["migrate-to", &url, "--db", db]);
    assert!(ok, "{err}");
    assert!(
        out.contains("every table holds as many rows as the file"),
        "{out}"
    );
    assert!(out.contains("timeline demo: consistent"), "{out}");
    assert!(
        !out.contains("s3cret") && !err.contains("s3cret"),
        "{out}{err}"
    );
    let (ok, from_file, err) = crm(&["stats", "--db", db]);
    assert!(ok, "{err}");
    let (ok, from_server, err) = crm(&["stats", "--db", &url]);
    assert!(ok, "{err}");
    assert_eq!(from_file, from_server);
    // Once is enough: a second copy into the same database is refused, nothing written.
    let (ok, _, err) = crm(&["migrate-to", &url, "--db", db]);
    assert!(!ok && err.contains("already holds tenants"), "{err}");
    let (_, again, _) = crm(&["stats", "--db", &url]);
    assert_eq!(again, from_server);
}

/// `sslmode=require`: the connection is encrypted and the server's certificate verified —
/// against the certificate authority in `SSL_CERT_FILE` it opens, against another it is
/// refused. Needs a server with TLS on and its authority's certificate in
/// `CRM_TEST_POSTGRES_CA` (`.ci/run` makes both).
#[test]
fn sslmode_require_encrypts_and_verifies_the_server() {
    let (Ok(server), Ok(ca)) = (
        std::env::var("CRM_TEST_POSTGRES"),
        std::env::var("CRM_TEST_POSTGRES_CA"),
    ) else {
        return;
    };
    let join = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{join}sslmode=require");
    let stats = |ca: &str| {
        run(Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(["stats", "--db", &url])
            .env("SSL_CERT_FILE", ca)
            .env_remove("SSL_CERT_DIR"))
    };
    let (ok, out, err) = stats(&ca);
    assert!(ok, "{err}");
    assert!(out.contains("customers"), "{out}");
    // Another authority's certificate does not vouch for this server.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-ca.pem");
    let (made, _, err) = run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=another CA",
        "-keyout",
        dir.path().join("other-ca.key").to_str().unwrap(),
        "-out",
        other.to_str().unwrap(),
    ]));
    assert!(made, "{err}");
    let (ok, _, err) = stats(other.to_str().unwrap());
    assert!(!ok && err.contains("certificate"), "{err}");
}
