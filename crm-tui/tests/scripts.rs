//! `crm` as scripts use it: in a pipe that closes early, with `--format json`, by its exit
//! codes, with completions and a manual page.

use std::process::{Command, Output, Stdio};

fn crm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_crm"))
}

/// A demo database of 300 customers in a temporary folder.
fn demo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db").to_str().unwrap().to_owned();
    let out = crm()
        .args(["demo", "--db", &db, "--customers", "300"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (dir, db)
}

/// The commands that print something, each with its arguments (`{db}` and `{dir}` filled in
/// later): every subcommand, in text and as JSON where it takes `--format`.
const PRINTING: &[&str] = &[
    "stats",
    "stats --format json",
    "check",
    "check --format json",
    "backup --out {dir}/copy.db",
    "backup --out {dir}/copy2.db --format json",
    "backfill-links --dry-run",
    "backfill-links --dry-run --format json",
    "reindex",
    "reindex --format json",
    "report funnel",
    "report funnel --format json",
    "report funnel --format csv",
    "report reps",
    "report reps --format json",
    "quote render 1",
    "quote render 1 --format html",
    "quote render 1 --format json",
    "quote refresh",
    "quote refresh --format json",
    "segments refresh",
    "segments refresh --format json",
    "leads rescore",
    "leads rescore --format json",
    "import customers {dir}/people.csv --dry-run --errors {dir}/e.csv",
    "import customers {dir}/people.csv --dry-run --errors {dir}/e.csv --format json",
    "export customers",
    "export tickets --format jsonl",
    "delete ticket 1 --dry-run",
    "delete ticket 1 --dry-run --format json",
    "trash list",
    "trash list --format json",
    "export-data --customer 1",
    "completions bash",
    "completions zsh",
    "completions fish",
    "man",
    "--help",
    "--version",
];

fn args(command: &str, db: &str, dir: &std::path::Path) -> Vec<String> {
    let mut args: Vec<String> = command
        .replace("{dir}", dir.to_str().unwrap())
        .split(' ')
        .map(str::to_owned)
        .collect();
    if !command.starts_with("completions") && !command.starts_with("man") {
        args.extend(["--db".to_owned(), db.to_owned()]);
    }
    args
}

fn people_csv(dir: &std::path::Path) {
    std::fs::write(
        dir.join("people.csv"),
        "Name,Email\nAda,ada@x.test\nBob,bob@\n",
    )
    .unwrap();
}

#[test]
fn every_subcommand_ends_quietly_when_its_reader_has_gone() {
    let (dir, db) = demo();
    people_csv(dir.path());
    for command in PRINTING {
        // The reading end is closed before the command starts: its first write fails, as
        // `crm … | head -0` makes it.
        let out = into_closed_pipe(&args(command, &db, dir.path()));
        assert!(
            out.status.success(),
            "`crm {command}` into a closed pipe: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "`crm {command}` into a closed pipe complained:\n{stderr}"
        );
    }
}

/// Runs `crm` with its standard output a pipe nobody reads (closed before it starts).
fn into_closed_pipe(args: &[String]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    crm()
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_command_that_writes_does_its_work_before_a_closed_pipe_ends_it() {
    let (dir, db) = demo();
    let email = {
        let crm = crm_core::Crm::open(&db).unwrap();
        let scope = crm.scope("demo", None).unwrap();
        scope
            .customers()
            .get(crm_core::ids::CustomerId(5))
            .unwrap()
            .email
            .unwrap()
    };
    for command in [
        "delete ticket 2".to_owned(),
        "trash restore ticket 2".to_owned(),
        "delete ticket 3".to_owned(),
        "trash purge --older-than 0".to_owned(),
        format!("erase --customer 5 --confirm {email} --format json"),
    ] {
        let out = into_closed_pipe(&args(&command, &db, dir.path()));
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "`crm {command}` into a closed pipe: {out:?}"
        );
    }
    let crm = crm_core::Crm::open(&db).unwrap();
    let scope = crm.scope("demo", None).unwrap();
    assert!(
        scope.tickets().get(crm_core::ids::TicketId(2)).is_ok(),
        "restored"
    );
    let gone = |e: crm_core::Error| e.code() == "not_found";
    assert!(
        scope
            .tickets()
            .get(crm_core::ids::TicketId(3))
            .is_err_and(gone),
        "purged"
    );
    assert!(
        scope
            .customers()
            .get(crm_core::ids::CustomerId(5))
            .is_err_and(gone),
        "erased"
    );
}

#[test]
fn a_reader_that_takes_one_line_and_goes_stops_a_long_export() {
    let (dir, db) = demo();
    let mut child = crm()
        .args(["export", "tickets", "--format", "jsonl", "--db", &db])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    drop(dir);
}

/// Runs `crm` and gives its exit code, standard output and standard error.
fn exit(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = crm().args(args).output().unwrap();
    (
        status.code().unwrap(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn json_output_is_one_document_per_line_and_says_what_the_text_says() {
    let (dir, db) = demo();
    people_csv(dir.path());
    for command in PRINTING.iter().filter(|c| c.ends_with("--format json")) {
        let args = args(command, &db, dir.path());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = exit(&args);
        assert_eq!(code, 0, "`crm {command}`: {err}");
        for line in out.lines() {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
            assert!(
                parsed.is_ok(),
                "`crm {command}` wrote a line not JSON: {line}"
            );
        }
    }

    // The counts as JSON are the counts the table shows.
    let (_, text, _) = exit(&["stats", "--db", &db]);
    let (_, json, _) = exit(&["stats", "--db", &db, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut tables = 0;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (table, n) = (words.next().unwrap(), words.next().unwrap());
        assert_eq!(json[table].as_i64(), Some(n.parse().unwrap()), "{table}");
        tables += 1;
    }
    assert_eq!(json.as_object().unwrap().len(), tables);
    assert_eq!(json["customers"], 300);

    // A check of a whole file finds no problem, and says which tenant's timeline it counted.
    let (_, json, _) = exit(&["check", "--db", &db, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(json["problems"], serde_json::json!([]));
    assert!(
        json["health"]["timelines"].to_string().contains("demo"),
        "{json}"
    );

    // A quote as JSON is the quote `quotes.get` gives: its number and lines.
    let (_, json, _) = exit(&["quote", "render", "1", "--db", &db, "--format", "json"]);
    let quote: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(quote["id"], 1);
    assert!(
        quote["lines"].as_array().is_some_and(|l| !l.is_empty()),
        "{quote}"
    );

    // Reindexing counts as many documents as the check then holds.
    let (_, json, _) = exit(&["reindex", "--db", &db, "--format", "json"]);
    let indexed = serde_json::from_str::<serde_json::Value>(&json).unwrap()["indexed"].clone();
    let (_, json, _) = exit(&["check", "--db", &db, "--format", "json"]);
    let health: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(health["health"]["search"]["documents"], indexed, "{health}");
}

#[test]
fn exit_codes_and_json_errors_tell_what_went_wrong() {
    let (dir, db) = demo();
    let viewer = {
        let crm = crm_core::Crm::open(&db).unwrap();
        let scope = crm.scope("demo", None).unwrap();
        let users = scope
            .users()
            .list(&crm_core::tenancy::UserFilter::default())
            .unwrap();
        users
            .items
            .iter()
            .find(|u| u.role == crm_core::tenancy::Role::Viewer)
            .unwrap()
            .id
            .0
            .to_string()
    };
    let not_a_db = dir.path().join("not.db");
    std::fs::write(&not_a_db, "hello").unwrap();
    let not_a_db = not_a_db.to_str().unwrap();
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    let cases: &[(&[&str], i32, &str, Option<&str>)] = &[
        (&["stats", "--db", &db], 0, "", None),
        (
            &["delete", "shoe", "1", "--db", &db, "--format", "json"],
            2,
            "invalid_input",
            Some("kind"),
        ),
        (
            &[
                "report", "funnel", "--from", "soon", "--db", &db, "--format", "json",
            ],
            2,
            "invalid_input",
            Some("--from"),
        ),
        (&["stats", "--no-such-flag"], 2, "", None),
        (
            &["quote", "render", "999", "--db", &db, "--format", "json"],
            3,
            "not_found",
            None,
        ),
        (
            &["stats", "--db", missing, "--format", "json"],
            3,
            "not_found",
            None,
        ),
        (
            &[
                "delete", "ticket", "1", "--db", &db, "--user", &viewer, "--format", "json",
            ],
            4,
            "forbidden",
            None,
        ),
        (
            &["delete", "customer", "3", "--db", &db, "--format", "json"],
            5,
            "conflict",
            Some("cascade"),
        ),
        (
            &["stats", "--db", not_a_db, "--format", "json"],
            6,
            "storage",
            None,
        ),
    ];
    for (args, code, error, field) in cases {
        let (got, _, err) = exit(args);
        assert_eq!(got, *code, "crm {args:?}: {err}");
        if error.is_empty() {
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(err.trim())
            .unwrap_or_else(|e| panic!("crm {args:?}: standard error is not JSON ({e}): {err}"));
        assert_eq!(json["ok"], false);
        assert_eq!(json["error"]["code"], *error, "crm {args:?}: {err}");
        assert_eq!(
            json["error"]["field"].as_str(),
            *field,
            "crm {args:?}: {err}"
        );
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Without --format json, the same failure is one sentence for a person.
    let (code, _, err) = exit(&["quote", "render", "999", "--db", &db]);
    assert_eq!((code, err.as_str()), (3, "error: quote 999 not found\n"));
    // Nothing was deleted by the refusals.
    let (_, out, _) = exit(&["trash", "list", "--db", &db, "--format", "json"]);
    assert_eq!(out, "");
}

#[test]
fn completions_and_the_manual_page_know_every_subcommand() {
    let subcommands = ["backfill-links", "migrate-to", "export-data", "completions"];
    let (code, bash, _) = exit(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(bash.contains("complete -F _crm"), "{bash}");
    let (_, zsh, _) = exit(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef crm"), "{zsh}");
    let (_, fish, _) = exit(&["completions", "fish"]);
    assert!(fish.contains("complete -c crm"), "{fish}");
    let (_, man, _) = exit(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH crm"), "{man}");
    for sub in subcommands {
        for (shell, script) in [
            ("bash", &bash),
            ("zsh", &zsh),
            ("fish", &fish),
            ("man", &man),
        ] {
            // The manual page escapes hyphens.
            let written = if shell == "man" {
                sub.replace('-', "\\-")
            } else {
                sub.to_owned()
            };
            assert!(script.contains(&written), "{shell} lacks {sub}");
        }
    }
    assert!(man.contains("Exit codes:"), "{man}");
    let (_, help, _) = exit(&["--help"]);
    assert!(help.contains("6  storage"), "{help}");
    let (code, _, err) = exit(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}
