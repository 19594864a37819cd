//! Imports and exports (API.md "Import and export"), on the real datasets and on files made
//! to be awkward. Every expected figure is computed from the CSV itself with the `csv` crate.

mod common;

use crm_core::Crm;
use crm_core::error::Error;
use crm_core::export::ExportRequest;
use crm_core::import::{Action, ImportRequest, Outcome, PlannedRow};
use crm_core::tenancy::{Role, Scope};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const TICKETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/support-tickets/customer_support_tickets.csv"
);
const SALES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/crm-sales-opportunities/"
);

fn request(value: Value) -> ImportRequest {
    serde_json::from_value(value).unwrap()
}

fn run(scope: &Scope<'_>, value: Value) -> Outcome {
    scope.import().run(&request(value)).unwrap()
}

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match result {
        Err(Error::InvalidInput { field, message }) => (field, message),
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

fn rows_of(file: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(file)
        .expect("../shared/datasets must be beside the repository")
        .records()
        .map(Result::unwrap)
        .collect()
}

fn setup() -> (Crm, crm_core::ids::UserId) {
    let crm = common::open();
    let admin = common::tenant(&crm, "t");
    (crm, admin)
}

/// The support tickets' customers, deduplicated by email (139 emails repeat under another
/// name): one customer per email, named by its first row; the repeats are reported with the
/// row they repeat; the dry run says exactly what the run does; running the file again does
/// nothing.
#[test]
fn support_ticket_customers_dedupe_by_email() {
    let rows = rows_of(TICKETS);
    let mut first: HashMap<String, (u64, String)> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        first
            .entry(row[2].to_lowercase())
            .or_insert((i as u64 + 1, row[1].to_owned()));
    }
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let ask = json!({"kind": "customer", "path": TICKETS, "dedupe": ["email"]});

    let preview = scope
        .import()
        .preview(&request(
            json!({"kind": "customer", "path": TICKETS, "dedupe": ["email"], "limit": 5}),
        ))
        .unwrap();
    assert_eq!(preview.layout.columns.len(), 17);
    assert_eq!(preview.layout.delimiter, Some(','));
    assert_eq!(
        serde_json::to_value(&preview.mapping).unwrap(),
        json!({"name": "Customer Name", "email": "Customer Email"}),
        "the header suggests the mapping"
    );
    assert_eq!(preview.rows.len(), 5);
    assert!(preview.rows.iter().all(|r| r.action == Action::Create));

    let mut planned: Vec<PlannedRow> = Vec::new();
    let dry = scope
        .import()
        .run_observed(
            &request(
                json!({"kind": "customer", "path": TICKETS, "dedupe": ["email"], "dryRun": true}),
            ),
            &mut |p: &PlannedRow, _| {
                planned.push(p.clone());
                true
            },
        )
        .unwrap();
    assert_eq!(
        common::count(&crm, "customers"),
        0,
        "a dry run writes nothing"
    );
    assert_eq!(dry.summary, preview.summary);
    assert_eq!(dry.summary.rows, rows.len() as u64);
    assert_eq!(dry.summary.created, first.len() as u64);
    assert_eq!(dry.summary.skipped, (rows.len() - first.len()) as u64);
    assert_eq!(dry.summary.failed, 0);
    for p in planned.iter().filter(|p| p.action == Action::Skip) {
        let email = rows[p.row as usize - 1][2].to_lowercase();
        assert_eq!(p.reason, Some("repeated"));
        assert_eq!(p.first_row, Some(first[&email].0), "row {}", p.row);
    }

    let done = run(&scope, ask.clone());
    assert_eq!(
        done.summary, dry.summary,
        "the run does what its dry run said"
    );
    assert!(!done.dry_run);
    let customers = common::all_customers(&crm, "t");
    assert_eq!(customers.len(), first.len());
    for c in &customers {
        let email = c.email.as_deref().unwrap().to_lowercase();
        assert_eq!(
            c.name, first[&email].1,
            "named by the first row with {email}"
        );
    }

    let again = run(&scope, ask);
    assert_eq!(again.summary.created, 0);
    assert_eq!(
        again.summary.skipped,
        rows.len() as u64,
        "a finished import is not run twice"
    );
    assert_eq!(common::all_customers(&crm, "t").len(), first.len());
}

/// The tickets themselves: US dates, labels for statuses, priorities and channels, the
/// customer found by email. Counts per status, priority and channel are the CSV's.
#[test]
fn support_tickets_import_with_their_labels_and_customers() {
    let rows = rows_of(TICKETS);
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    run(
        &scope,
        json!({"kind": "customer", "path": TICKETS, "dedupe": ["email"]}),
    );

    let preview = scope
        .import()
        .preview(&request(
            json!({"kind": "ticket", "path": TICKETS, "limit": 1}),
        ))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&preview.mapping).unwrap(),
        json!({
            "externalId": "Ticket ID", "customerId": "Customer Email", "subject": "Ticket Subject",
            "description": "Ticket Description", "status": "Ticket Status",
            "priority": "Ticket Priority", "channel": "Ticket Channel",
        })
    );
    let mut mapping = preview.mapping.0.clone();
    mapping.insert(
        "createdAt".into(),
        serde_json::from_value(json!("Date of Purchase")).unwrap(),
    );
    let done = run(
        &scope,
        json!({"kind": "ticket", "path": TICKETS, "mapping": mapping}),
    );
    assert_eq!(
        done.summary.created,
        rows.len() as u64,
        "{:?}",
        done.errors.first()
    );

    let count = |column: usize, label: &str| rows.iter().filter(|r| &r[column] == label).count();
    let tickets = scope
        .tickets()
        .list(&serde_json::from_value(json!({"limit": 500})).unwrap())
        .unwrap();
    assert_eq!(tickets.items.len(), 500);
    let total = |filter: Value| {
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut f = filter.clone();
            f["limit"] = json!(500);
            f["cursor"] = json!(cursor);
            let page = scope
                .tickets()
                .list(&serde_json::from_value(f).unwrap())
                .unwrap();
            n += page.items.len();
            cursor = page.next_cursor;
            if cursor.is_none() {
                return n;
            }
        }
    };
    assert_eq!(
        total(json!({"status": "pending"})),
        count(10, "Pending Customer Response")
    );
    assert_eq!(total(json!({"status": "closed"})), count(10, "Closed"));
    assert_eq!(total(json!({"priority": "urgent"})), count(12, "Critical"));
    assert_eq!(total(json!({"priority": "normal"})), count(12, "Medium"));
    assert_eq!(
        total(json!({"channel": "social"})),
        count(13, "Social media")
    );

    // Ticket 1 as the CSV has it.
    let first = scope.tickets().get_by_external_id("1").unwrap();
    assert_eq!(first.subject, rows[0][8]);
    assert_eq!(
        first.description, rows[0][9],
        "line breaks inside quotes kept"
    );
    assert_eq!(first.created_at.to_rfc3339(), "2021-03-22T00:00:00+00:00");
    let customer = scope.customers().get(first.customer_id.unwrap()).unwrap();
    assert_eq!(customer.email.as_deref(), Some(&rows[0][2]));
}

/// The B2B pipeline: accounts become customers, opportunities deals in the Maven pipeline's
/// stages, owned by the agent named, with their close values in dollars. Deals without an
/// account have no customer; an agent missing from the users is the row's error.
#[test]
fn the_sales_pipeline_imports_as_deals() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let accounts = format!("{SALES}accounts.csv");
    let accounts_done = run(
        &scope,
        json!({"kind": "customer", "path": accounts,
               "mapping": {"name": "account", "externalId": "account", "tags": "sector"}}),
    );
    assert_eq!(
        accounts_done.summary.created,
        rows_of(&accounts).len() as u64
    );
    let teams = rows_of(&format!("{SALES}sales_teams.csv"));
    // Every agent but the first is a user: the first's deals fail, each naming the owner.
    for (i, row) in teams.iter().enumerate().skip(1) {
        scope
            .users()
            .create(
                serde_json::from_value(
                    json!({"name": &row[0], "email": format!("a{i}@maven.test"), "role": "agent"}),
                )
                .unwrap(),
            )
            .unwrap();
    }
    scope
        .pipelines()
        .create(
            serde_json::from_value(json!({"name": "Maven", "stages": [
                {"name": "Prospecting", "probability": 10, "kind": "open"},
                {"name": "Engaging", "probability": 50, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"},
                {"name": "Lost", "probability": 0, "kind": "lost"}
            ]}))
            .unwrap(),
        )
        .unwrap();
    let pipeline = format!("{SALES}sales_pipeline.csv");
    let rows = rows_of(&pipeline);
    let preview = scope
        .import()
        .preview(&request(json!({"kind": "deal", "path": pipeline, "limit": 1,
            "mapping": {"title": {"template": "{product} for {account}"}, "currency": {"value": "USD"}}})))
        .unwrap();
    assert_eq!(preview.layout.columns[0], "opportunity_id");
    let suggested = ImportRequest {
        mapping: None,
        ..request(json!({"kind": "deal", "path": pipeline}))
    };
    let suggestion = scope.import().preview(&suggested);
    assert_eq!(
        invalid(suggestion).0,
        "mapping.title",
        "a deal needs a title, which no column suggests"
    );
    let mut mapping = crm_core::import::Mapping::default();
    for (field, source) in [
        ("externalId", json!("opportunity_id")),
        ("title", json!({"template": "{product} for {account}"})),
        ("currency", json!({"value": "USD"})),
        ("value", json!("close_value")),
        ("pipelineId", json!({"value": "maven"})),
        ("stageId", json!("deal_stage")),
        ("customerId", json!("account")),
        ("ownerId", json!("sales_agent")),
        ("createdAt", json!("engage_date")),
        ("closedAt", json!("close_date")),
    ] {
        mapping
            .0
            .insert(field.into(), serde_json::from_value(source).unwrap());
    }
    let ask = json!({"kind": "deal", "path": pipeline, "mapping": mapping});
    let done = run(&scope, ask.clone());
    let missing = &teams[0][0];
    let theirs = rows.iter().filter(|r| &r[1] == missing).count();
    assert_eq!(done.summary.failed, theirs as u64);
    assert_eq!(done.summary.created, (rows.len() - theirs) as u64);
    assert!(done.errors.iter().all(|e| {
        e.column.as_deref() == Some("sales_agent")
            && e.value.as_deref() == Some(missing)
            && e.message
                .contains("no user has this external id, email or name")
    }));

    // Won value and deals without an account, from the CSV.
    let kept: Vec<_> = rows.iter().filter(|r| &r[1] != missing).collect();
    let won: i64 = kept
        .iter()
        .filter(|r| &r[4] == "Won")
        .map(|r| r[7].parse::<i64>().unwrap() * 100)
        .sum();
    let deals = all_deals(&scope);
    assert_eq!(deals.len(), kept.len());
    let won_deals: Vec<_> = deals
        .iter()
        .filter(|d| d.status.as_str() == "won")
        .collect();
    assert_eq!(won_deals.iter().map(|d| d.value).sum::<i64>(), won);
    assert_eq!(
        deals.iter().filter(|d| d.customer_id.is_none()).count(),
        kept.iter().filter(|r| r[3].is_empty()).count()
    );
    let d = scope.deals().get_by_external_id("1C1I7A6R").unwrap();
    assert_eq!(d.title, "GTX Plus Basic for Cancity");
    assert_eq!(d.created_at.to_rfc3339(), "2016-10-20T00:00:00+00:00");
    assert_eq!(
        d.closed_at.unwrap().to_rfc3339(),
        "2017-03-01T00:00:00+00:00"
    );

    // Once the missing agent is a user, running the file again imports only their deals.
    scope
        .users()
        .create(
            serde_json::from_value(
                json!({"name": missing, "email": "first@maven.test", "role": "agent"}),
            )
            .unwrap(),
        )
        .unwrap();
    let again = run(
        &scope,
        json!({"kind": "deal", "path": pipeline, "mapping": mapping}),
    );
    assert_eq!(again.summary.created, theirs as u64);
    assert_eq!(again.summary.skipped, (rows.len() - theirs) as u64);
    assert_eq!(all_deals(&scope).len(), rows.len());
}

fn all_deals(scope: &Scope<'_>) -> Vec<crm_core::deals::Deal> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = scope
            .deals()
            .list(&serde_json::from_value(json!({"limit": 500, "cursor": cursor})).unwrap())
            .unwrap();
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return all;
        }
    }
}

fn csv_import(scope: &Scope<'_>, text: &str) -> Result<Outcome, Error> {
    scope
        .import()
        .run(&request(json!({"kind": "customer", "csv": text})))
}

/// Delimiters, encodings, quoting and line endings a spreadsheet writes.
#[test]
fn awkward_files_read_as_a_person_means_them() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let name_of = |email: &str| {
        common::all_customers(&crm, "t")
            .into_iter()
            .find(|c| c.email.as_deref() == Some(email))
            .map(|c| (c.name, c.company, c.tags))
            .unwrap()
    };
    // Semicolons, CRLF, quoted delimiters, doubled quotes, a line break in a quoted cell,
    // an empty quoted cell.
    let done = csv_import(
        &scope,
        "Name;E-mail;Company Name;Tags\r\n\"Ada; Countess\";ada@x.test;\"The \"\"Engine\"\" Co\";\"vip, b2b\"\r\n\"Bob\nSmith\";bob@x.test;\"\";\r\n",
    )
    .unwrap();
    assert_eq!(done.summary.created, 2, "{:?}", done.errors);
    assert_eq!(
        name_of("ada@x.test"),
        (
            "Ada; Countess".into(),
            Some("The \"Engine\" Co".into()),
            vec!["vip".into(), "b2b".into()]
        )
    );
    assert_eq!(name_of("bob@x.test"), ("Bob\nSmith".into(), None, vec![]));

    // Tabs, and a UTF-8 byte-order mark before the header.
    let done = csv_import(
        &scope,
        "\u{feff}Full Name\tEmail Address\tPhone Number\nCléo\tcleo@x.test\t+44 20 7946 0000\n",
    )
    .unwrap();
    assert_eq!(done.summary.created, 1);
    assert_eq!(name_of("cleo@x.test").0, "Cléo");

    // Windows-1252 (Zoë, Müller, €) and UTF-16 with its mark, as files.
    let dir = tempfile::tempdir().unwrap();
    let latin = dir.path().join("latin.csv");
    std::fs::write(
        &latin,
        b"name,email,company\nZo\xeb,zoe@x.test,M\xfcller \x80 GmbH\n",
    )
    .unwrap();
    let done = run(&scope, json!({"kind": "customer", "path": latin}));
    assert_eq!(done.summary.created, 1);
    assert_eq!(
        name_of("zoe@x.test"),
        ("Zoë".into(), Some("Müller € GmbH".into()), vec![])
    );
    let wide = dir.path().join("wide.csv");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "name\temail\nŁukasz\tlukasz@x.test\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    std::fs::write(&wide, bytes).unwrap();
    let preview = scope
        .import()
        .preview(&request(json!({"kind": "customer", "path": wide})))
        .unwrap();
    assert_eq!(
        (preview.layout.encoding, preview.layout.delimiter),
        ("utf-16le", Some('\t'))
    );
    run(&scope, json!({"kind": "customer", "path": wide}));
    assert_eq!(name_of("lukasz@x.test").0, "Łukasz");

    // JSON Lines, tags as an array.
    let done = scope
        .import()
        .run(&request(json!({"kind": "customer", "format": "jsonl",
            "csv": "{\"name\": \"Jo\", \"email\": \"jo@x.test\", \"tags\": [\"a\", \"b\"]}\n\n{\"name\": \"Al\", \"churnRisk\": 12}\n"})))
        .unwrap();
    assert_eq!(done.summary.created, 2);
    assert_eq!(name_of("jo@x.test").2, vec!["a".to_owned(), "b".to_owned()]);
}

/// A bad row is reported (row, line, column, value, message) and never stops the good ones.
#[test]
fn bad_rows_are_reported_and_good_ones_imported() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let big = "x".repeat(10 << 20);
    let text = format!(
        "name,email,churn risk,created\nGood,good@x.test,5,3/22/2021\n,empty@x.test,,\nBad mail,not-an-email,,\n\
         Risky,r@x.test,200,\nShort,s@x.test\nWhen,w@x.test,1,22/3/2021\n\"{big}\",big@x.test,,\nLast,last@x.test,,\n"
    );
    let done = csv_import(&scope, &text).unwrap();
    assert_eq!((done.summary.created, done.summary.failed), (2, 6));
    let errors: Vec<(u64, Option<&str>, &str)> = done
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_deref(), e.message.as_str()))
        .collect();
    assert_eq!(
        errors[0],
        (2, Some("name"), "required, and the cell is empty")
    );
    assert_eq!(errors[1].0, 3);
    assert_eq!(errors[1].1, Some("email"));
    assert!(errors[1].2.contains("not a valid email address"));
    assert_eq!(errors[2].1, Some("churn risk"));
    assert!(errors[2].2.contains("between 0 and 100"));
    assert_eq!(errors[3], (5, None, "the row has 2 values, the header 4"));
    assert_eq!(errors[4].1, Some("created"));
    assert!(errors[4].2.contains("month/day/year"));
    assert_eq!(errors[5].0, 7);
    assert!(errors[5].2.contains("at most 200 characters"));
    assert_eq!(done.errors[0].line, 3, "row 2 is on the file's third line");
    assert!(
        done.errors[5].value.as_ref().unwrap().len() < 1000,
        "a huge value is clipped"
    );
    let names: Vec<String> = common::all_customers(&crm, "t")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Last", "Good"]);
}

/// Whole-request mistakes are `invalid_input` naming the field, and write nothing.
#[test]
fn bad_requests_change_nothing() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let path_error = |path: &str| {
        invalid(
            scope
                .import()
                .run(&request(json!({"kind": "customer", "path": path}))),
        )
    };
    assert_eq!(path_error("/no/such/file.csv").0, "path");
    assert!(
        path_error(dir.path().to_str().unwrap())
            .1
            .contains("is a folder")
    );
    assert!(path_error(&file("empty.csv", b"")).1.contains("empty"));
    assert!(
        path_error(&file("header.csv", b"name,email\n"))
            .1
            .contains("no rows")
    );
    assert!(
        path_error(&file("binary.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"))
            .1
            .contains("not a text file")
    );
    assert!(
        path_error(&file("twice.csv", b"name,Name\na,b\n"))
            .1
            .contains("twice")
    );

    let with = |extra: Value| {
        let mut ask = json!({"kind": "customer", "csv": "name,email\nAda,ada@x.test\n"});
        for (k, v) in extra.as_object().unwrap() {
            ask[k] = v.clone();
        }
        scope.import().run(&serde_json::from_value(ask).unwrap())
    };
    let (field, message) = invalid(with(
        json!({"mapping": {"name": "name", "shoeSize": "email"}}),
    ));
    assert_eq!(field, "mapping.shoeSize");
    assert!(
        message.contains("customers have no field \"shoeSize\""),
        "{message}"
    );
    let (field, message) = invalid(with(json!({"mapping": {"name": "Full name"}})));
    assert_eq!(field, "mapping.name");
    assert!(message.contains("no column \"Full name\""), "{message}");
    assert_eq!(
        invalid(with(json!({"mapping": {"email": "email"}}))).0,
        "mapping.name"
    );
    assert_eq!(invalid(with(json!({"kind": "quote"}))).0, "kind");
    assert_eq!(invalid(with(json!({"dedupe": ["phone"]}))).0, "dedupe[0]");
    assert_eq!(
        invalid(with(json!({"mapping": {"name": {"template": "{name"}}}))).0,
        "mapping.name"
    );
    assert!(serde_json::from_value::<ImportRequest>(json!({"kind": "customer", "csv": "", "mapping": {"name": {"column": "a", "value": "b"}}})).is_err());
    // A broken quote swallows the rest of the file into one cell: that row's error.
    let done = with(json!({"csv": "name,email\nAda,ada@x.test\n\"Bob,bob@x.test\nCy,cy@x.test\n"}))
        .unwrap();
    assert_eq!((done.summary.created, done.summary.failed), (1, 1));
    assert!(
        done.errors[0]
            .message
            .contains("a quote opened in it may never close")
    );
    assert_eq!(common::all_customers(&crm, "t").len(), 1);

    // A viewer cannot import, and another tenant's records are not there to refer to.
    let viewer = common::user(&crm, "t", admin, Role::Viewer);
    let as_viewer = crm.scope("t", Some(viewer)).unwrap();
    assert!(matches!(
        as_viewer
            .import()
            .run(&request(json!({"kind": "customer", "csv": "name\nA\n"}))),
        Err(Error::Forbidden(_))
    ));
    let other_admin = common::tenant(&crm, "other");
    let other = crm.scope("other", Some(other_admin)).unwrap();
    let done = other
        .import()
        .run(&request(
            json!({"kind": "ticket", "csv": "subject,channel,customer\nHelp,email,ada@x.test\n"}),
        ))
        .unwrap();
    assert_eq!(done.summary.failed, 1);
    assert!(done.errors[0].message.contains("no customer has this"));
}

/// Duplicates: skipped, or updated with only what differs (and skipped when nothing does).
#[test]
fn duplicates_update_or_skip() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    csv_import(
        &scope,
        "name,email,phone\nAda,ada@x.test,\nCy,cy@x.test,+1 415 555 0199\n",
    )
    .unwrap();
    let file = "name,email,phone,company\nAda L.,ADA@x.test,,Engines\nBo,bo@x.test,,\nCyd,cyd@x.test,(415) 555-0199,\n";
    let ask = |file: &str, keys: Value, on: &str| {
        scope
            .import()
            .run(&request(
                json!({"kind": "customer", "csv": file, "dedupe": keys, "onDuplicate": on}),
            ))
            .unwrap()
            .summary
    };
    let skip = ask(file, json!(["email", "phone"]), "skip");
    assert_eq!(
        (skip.created, skip.skipped),
        (1, 2),
        "Ada by email, Cy by phone"
    );
    let update = ask(
        &file.replace("Bo,", "Bob,"),
        json!(["email", "phone"]),
        "update",
    );
    assert_eq!((update.updated, update.created), (3, 0));
    let by_email = |email: &str| {
        common::all_customers(&crm, "t")
            .into_iter()
            .find(|c| c.email.as_deref() == Some(email))
            .unwrap()
    };
    let ada = by_email("ADA@x.test");
    assert_eq!(
        (ada.name.as_str(), ada.company.as_deref()),
        ("Ada L.", Some("Engines"))
    );
    let cy = by_email("cyd@x.test");
    assert_eq!(
        (cy.name.as_str(), cy.phone.as_deref()),
        ("Cyd", Some("(415) 555-0199"))
    );
    assert_eq!(by_email("bo@x.test").name, "Bob");
    // The same rows (asked another way, so not the same import): nothing differs any more.
    let same = ask(
        &file.replace("Bo,", "Bob,"),
        json!(["phone", "email"]),
        "update",
    );
    assert_eq!((same.updated, same.skipped), (0, 3));
    assert_eq!(common::all_customers(&crm, "t").len(), 3);
}

/// An import stopped part-way keeps what it committed; running it again finishes it and
/// creates nothing twice — with no key in the file to deduplicate by.
#[test]
fn an_interrupted_import_finishes_when_run_again() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let text: String = std::iter::once("name\n".to_owned())
        .chain((0..12).map(|i| format!("Person {i}\n")))
        .collect();
    let ask = request(json!({"kind": "customer", "csv": text}));
    let mut seen = 0;
    let stopped = scope
        .import()
        .run_observed(&ask, &mut |_: &PlannedRow, _| {
            seen += 1;
            seen < 5
        })
        .unwrap();
    assert!(stopped.cancelled);
    assert_eq!(stopped.summary.created, 5);
    assert_eq!(common::all_customers(&crm, "t").len(), 5);
    let finished = scope.import().run(&ask).unwrap();
    assert_eq!((finished.summary.created, finished.summary.skipped), (7, 5));
    let mut names: Vec<String> = common::all_customers(&crm, "t")
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..12).map(|i| format!("Person {i}")).collect();
    expected.sort();
    assert_eq!(names, expected);
}

fn export(scope: &Scope<'_>, value: Value) -> Result<u64, Error> {
    let ask: ExportRequest = serde_json::from_value(value).unwrap();
    scope.export().run(&ask).map(|e| e.rows)
}

/// Exports write what the list shows (filter, order, columns), defuse formulas, refuse bad
/// paths, and see only the caller's tenant.
#[test]
fn exports_write_the_list_as_shown() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    csv_import(&scope, "name,email,phone,churnRisk\nAda,ada@x.test,+1 415 555 0100,80\n=HYPERLINK(\"x\"),b@x.test,,10\nCy,cy@x.test,,90\n").unwrap();
    let other_admin = common::tenant(&crm, "other");
    let other = crm.scope("other", Some(other_admin)).unwrap();
    csv_import(&other, "name\nSecret\n").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("risky.csv");
    let rows = export(
        &scope,
        json!({"kind": "customer", "format": "csv", "path": path,
        "where": {"field": "churnRisk", "op": "gte", "value": 50},
        "sort": {"field": "name", "direction": "asc"}, "columns": ["name", "phone", "churnRisk"]}),
    )
    .unwrap();
    assert_eq!(rows, 2);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "name,phone,churnRisk\nAda,'+1 415 555 0100,80\nCy,,90\n"
    );
    let all = dir.path().join("all.csv");
    export(
        &scope,
        json!({"kind": "customer", "format": "csv", "path": all, "columns": ["name"]}),
    )
    .unwrap();
    let text = std::fs::read_to_string(&all).unwrap();
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
    assert!(!text.contains("Secret"));
    export(&scope, json!({"kind": "customer", "format": "csv", "path": all, "columns": ["name"], "defuse": false})).unwrap();
    assert!(
        std::fs::read_to_string(&all)
            .unwrap()
            .contains("\"=HYPERLINK(")
    );

    let lines = dir.path().join("all.jsonl");
    assert_eq!(export(&scope, json!({"kind": "customer", "format": "jsonl", "path": lines, "columns": ["name", "tags"]})).unwrap(), 3);
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&lines)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first, json!({"name": "Cy", "tags": []}));

    let (field, message) = invalid(export(
        &scope,
        json!({"kind": "customer", "format": "csv", "path": dir.path()}),
    ));
    assert_eq!(field, "path");
    assert!(message.contains("folder"));
    assert_eq!(
        invalid(export(
            &scope,
            json!({"kind": "customer", "format": "csv", "path": "/no/such/dir/x.csv"})
        ))
        .0,
        "path"
    );
    assert_eq!(
        invalid(export(
            &scope,
            json!({"kind": "customer", "format": "csv", "path": all, "columns": ["shoe"]})
        ))
        .0,
        "columns[0]"
    );
    assert_eq!(
        invalid(export(
            &scope,
            json!({"kind": "tenant", "format": "csv", "path": all})
        ))
        .0,
        "kind"
    );
    assert!(!Path::new(&dir.path().join("x.csv")).exists());
}

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Unicode, quotes, delimiters, line breaks and formula starters anywhere but at the
        // ends (which every field trims).
        proptest::string::string_regex("[a-zA-Zé漢😀 ,;\"'=+@\\-\n\t]{0,12}")
            .unwrap()
            .prop_map(|s| format!("x{s}y"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Export then import into another tenant gives back every field of every customer.
        #[test]
        fn customers_survive_export_and_import(
            people in proptest::collection::vec((text(), text(), proptest::collection::vec(text(), 0..3), 0..=100i64), 1..6)
        ) {
            let crm = common::open();
            let a = crm.scope("a", Some(common::tenant(&crm, "a"))).unwrap();
            let b = crm.scope("b", Some(common::tenant(&crm, "b"))).unwrap();
            for (i, (name, company, tags, risk)) in people.iter().enumerate() {
                a.customers().create(serde_json::from_value(json!({
                    "externalId": format!("=id{i}"), "name": name, "company": company,
                    "email": format!("p{i}@x.test"), "tags": tags, "churnRisk": risk,
                }))
                .unwrap()).unwrap();
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("out.csv");
            export(&a, json!({"kind": "customer", "format": "csv", "path": path})).unwrap();
            let done = b.import().run(&request(json!({"kind": "customer", "path": path}))).unwrap();
            prop_assert_eq!(done.summary.created, people.len() as u64, "{:?}", done.errors);
            let key = |c: &crm_core::customers::Customer| {
                (c.external_id.clone(), c.name.clone(), c.email.clone(), c.phone.clone(),
                 c.company.clone(), c.tags.clone(), c.churn_risk, c.created_at)
            };
            let mut before: Vec<_> = common::all_customers(&crm, "a").iter().map(key).collect();
            let mut after: Vec<_> = common::all_customers(&crm, "b").iter().map(key).collect();
            before.sort();
            after.sort();
            prop_assert_eq!(before, after);
        }
    }
}

#[test]
fn the_fields_an_import_fills_are_listed() {
    let fields = crm_core::import::fields(crm_core::catalog::RecordKind::Deal).unwrap();
    let names: BTreeMap<&str, bool> = fields.iter().map(|f| (f.field, f.required)).collect();
    assert!(names["title"]);
    assert!(!names["customerId"]);
    let stage = fields.iter().find(|f| f.field == "stageId").unwrap();
    assert!(stage.create_only);
    assert_eq!(stage.refers, Some(crm_core::catalog::RecordKind::Stage));
}

/// The product list: prices in dollars become exact minor units; a changed price updates its
/// product (matched by external id) and nothing else is touched.
#[test]
fn products_import_with_their_prices() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let file = format!("{SALES}products.csv");
    let rows = rows_of(&file);
    let preview = scope
        .import()
        .preview(&request(json!({"kind": "product", "path": file, "limit": 0,
            "mapping": {"currency": {"value": "USD"}, "name": "product", "unitPrice": "sales_price"}})))
        .unwrap();
    assert_eq!(preview.summary.created, rows.len() as u64);
    let mapping = json!({"externalId": "product", "name": "product", "unitPrice": "sales_price",
        "currency": {"value": "USD"}});
    let done = run(
        &scope,
        json!({"kind": "product", "path": file, "mapping": mapping}),
    );
    assert_eq!(done.summary.created, rows.len() as u64, "{:?}", done.errors);
    for row in &rows {
        let p = scope.products().get_by_external_id(&row[0]).unwrap();
        assert_eq!(p.unit_price.amount, row[2].parse::<i64>().unwrap() * 100);
        assert_eq!(p.unit_price.currency.code(), "USD");
    }
    let changed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("GTX Pro,GTX,4821", "GTX Pro,GTX,4999.99");
    let again = scope
        .import()
        .run(&request(
            json!({"kind": "product", "csv": changed, "mapping": mapping,
            "onDuplicate": "update"}),
        ))
        .unwrap();
    assert_eq!(
        (again.summary.updated, again.summary.skipped),
        (1, rows.len() as u64 - 1)
    );
    let pro = scope.products().get_by_external_id("GTX Pro").unwrap();
    assert_eq!(pro.unit_price.amount, 499_999);
    let bad = scope
        .import()
        .run(&request(
            json!({"kind": "product", "csv": "name,price\nCable,1.999\nPlug,abc\n",
            "mapping": {"name": "name", "unitPrice": "price", "currency": {"value": "USD"}}}),
        ))
        .unwrap();
    assert_eq!(bad.summary.failed, 2);
    assert!(
        bad.errors[0]
            .message
            .contains("takes at most 2 decimal places"),
        "{:?}",
        bad.errors
    );
    assert_eq!(bad.errors[1].column.as_deref(), Some("price"));
}

/// A deal's stage is read in its own pipeline: the one its row names, or the tenant's first
/// when none is mapped or its cell is empty; a stage given as a value is read the same way.
#[test]
fn deals_land_in_their_pipelines_stages() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let pipeline = |name: &str, stages: Value| {
        scope
            .pipelines()
            .create(serde_json::from_value(json!({"name": name, "stages": stages})).unwrap())
            .unwrap()
    };
    let first = pipeline(
        "First",
        json!([{"name": "Open", "probability": 10, "kind": "open"},
               {"name": "Won", "probability": 100, "kind": "won"}]),
    );
    let maven = pipeline(
        "Maven",
        json!([{"name": "Engaging", "probability": 50, "kind": "open"},
               {"name": "Won", "probability": 100, "kind": "won"}]),
    );
    let stage_of = |p: &crm_core::deals::Pipeline, name: &str| {
        p.stages.iter().find(|s| s.name == name).unwrap().id
    };
    let done = run(
        &scope,
        json!({"kind": "deal", "csv": "title,pipeline,stage\nA,,won\nB,maven,Engaging\nC,Nope,Won\nD,First,Engaging\n",
               "mapping": {"title": "title", "pipelineId": "pipeline", "stageId": "stage",
                           "currency": {"value": "EUR"}}}),
    );
    assert_eq!((done.summary.created, done.summary.failed), (2, 2));
    assert_eq!(done.errors[0].column.as_deref(), Some("pipeline"));
    assert!(
        done.errors[1]
            .message
            .contains("no stage of the deal's pipeline is named")
    );
    let deals = all_deals(&scope);
    let by_title = |t: &str| deals.iter().find(|d| d.title == t).unwrap();
    assert_eq!(
        (by_title("A").pipeline_id, by_title("A").stage_id),
        (first.id, stage_of(&first, "Won"))
    );
    assert_eq!(by_title("A").status.as_str(), "won");
    assert_eq!(
        (by_title("B").pipeline_id, by_title("B").stage_id),
        (maven.id, stage_of(&maven, "Engaging"))
    );
    let valued = run(
        &scope,
        json!({"kind": "deal", "csv": "title\nE\n",
               "mapping": {"title": "title", "stageId": {"value": "Won"}, "currency": {"value": "EUR"}}}),
    );
    assert_eq!(valued.summary.created, 1, "{:?}", valued.errors);
    let e = all_deals(&scope)
        .into_iter()
        .find(|d| d.title == "E")
        .unwrap();
    assert_eq!(
        (e.pipeline_id, e.stage_id),
        (first.id, stage_of(&first, "Won"))
    );
}

/// The sales teams: a team per manager (one per name, the name as its external id), then the
/// agents as users of their manager's team — with the email the file lacks added, since a user
/// needs one. Only an admin imports users or teams.
#[test]
fn sales_teams_import_as_teams_and_users() {
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let file = format!("{SALES}sales_teams.csv");
    let rows = rows_of(&file);
    let managers: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[1]).collect();
    let teams = run(
        &scope,
        json!({"kind": "team", "path": file, "mapping": {"externalId": "manager", "name": "manager"}}),
    );
    assert_eq!(teams.summary.created, managers.len() as u64);
    assert_eq!(teams.summary.skipped, (rows.len() - managers.len()) as u64);

    let without_email = scope
        .import()
        .run(&request(json!({"kind": "user", "path": file})));
    assert_eq!(
        invalid(without_email).0,
        "mapping.email",
        "a user needs an email"
    );
    let with_email: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                format!("{line},email\n")
            } else {
                format!("{line},agent{i}@maven.test\n")
            }
        })
        .collect();
    let agent = common::user(&crm, "t", admin, Role::Agent);
    let as_agent = crm.scope("t", Some(agent)).unwrap();
    assert!(matches!(
        as_agent
            .import()
            .run(&request(json!({"kind": "user", "csv": with_email}))),
        Err(Error::Forbidden(_))
    ));
    let users = run(&scope, json!({"kind": "user", "csv": with_email}));
    assert_eq!(
        users.summary.created,
        rows.len() as u64,
        "{:?}",
        users.errors
    );
    let team_of: HashMap<String, crm_core::ids::TeamId> = scope
        .teams()
        .list(crm_core::ListRequest::default())
        .unwrap()
        .items
        .into_iter()
        .map(|t| (t.name, t.id))
        .collect();
    let listed = scope
        .users()
        .list(&serde_json::from_value(json!({"limit": 500})).unwrap())
        .unwrap()
        .items;
    for row in &rows {
        let user = listed.iter().find(|u| u.name == row[0]).unwrap();
        let user = scope.users().get(user.id).unwrap();
        assert_eq!(user.role, Role::Agent);
        assert_eq!(user.team_ids, vec![team_of[&row[1]]], "{}", &row[0]);
    }
}

/// Every change of the tenant after `after`, oldest first.
fn feed_after(scope: &Scope<'_>, after: i64) -> Vec<crm_core::feed::Change> {
    let mut all = Vec::new();
    let mut after = after;
    loop {
        let page = scope
            .changes()
            .list(&crm_core::feed::ChangesRequest {
                after: Some(after),
                limit: Some(500),
                entity_types: None,
            })
            .unwrap();
        let Some(last) = page.items.last() else {
            return all;
        };
        after = last.seq;
        all.extend(page.items);
    }
}

/// An import writes the audit and feed entries of each batch together at its end: they must
/// be exactly those the same writes make one by one — one per record created or updated, in
/// the file's order, numbered on from the tenant's last, each audit entry holding the record
/// as stored — across batches (5,000 rows) and multi-row statements (500).
#[test]
fn an_import_is_audited_and_in_the_feed_like_single_writes() {
    use crm_core::audit::AuditFilter;
    use crm_core::customers::NewCustomer;
    use crm_core::feed::ChangeOp;
    let (crm, admin) = setup();
    let scope = crm.scope("t", Some(admin)).unwrap();
    let old = scope
        .customers()
        .create(NewCustomer {
            name: "Old".into(),
            email: Some("old@x.test".into()),
            ..Default::default()
        })
        .unwrap();
    let head = feed_after(&scope, 0).last().unwrap().seq;
    let rows = 5_300;
    let mut text = String::from("name,email,churnRisk\n");
    for i in 0..rows {
        match i {
            // A row that updates the stored customer, and one that cannot be read.
            17 => text.push_str("Old Renamed,old@x.test,20\n"),
            4_999 => text.push_str("Bad,not an address,5\n"),
            _ => {
                use std::fmt::Write as _;
                writeln!(text, "Person {i},p{i}@x.test,{}", i % 101).unwrap();
            }
        }
    }
    let outcome = run(
        &scope,
        json!({"kind": "customer", "csv": text, "dedupe": ["email"], "onDuplicate": "update"}),
    );
    assert_eq!(
        (
            outcome.summary.created,
            outcome.summary.updated,
            outcome.summary.failed
        ),
        (rows - 2, 1, 1)
    );
    let feed = feed_after(&scope, head);
    assert_eq!(feed.len() as u64, rows - 1, "one entry per record written");
    let seqs: Vec<i64> = feed.iter().map(|c| c.seq).collect();
    let expected: Vec<i64> = ((head + 1)..(head + rows as i64)).collect();
    assert_eq!(seqs, expected, "consecutive, on from the tenant's last");
    // In the file's order: row 17 is the update of the stored customer, the others creates
    // of new customers numbered as they came.
    let mut next_id = old.id.0 + 1;
    for (i, change) in (0..rows).filter(|i| *i != 4_999).zip(&feed) {
        if i == 17 {
            assert_eq!((change.entity_id, change.op), (old.id.0, ChangeOp::Updated));
        } else {
            assert_eq!(
                (change.entity_id, change.op),
                (next_id, ChangeOp::Created),
                "row {i}"
            );
            next_id += 1;
        }
        assert_eq!(change.actor_id, Some(admin));
    }
    // Each audit entry holds the record as stored, as a single write's does.
    let single = scope
        .customers()
        .create(NewCustomer {
            name: "Single".into(),
            ..Default::default()
        })
        .unwrap();
    for id in [old.id.0, old.id.0 + 1, next_id - 1, single.id.0] {
        let entries = scope
            .audit()
            .list(&AuditFilter {
                entity_type: Some(crm_core::catalog::RecordKind::Customer),
                entity_id: Some(id),
                limit: None,
                cursor: None,
            })
            .unwrap()
            .items;
        let stored = scope
            .customers()
            .get(crm_core::ids::CustomerId(id))
            .unwrap();
        let newest = &entries[0];
        assert_eq!(
            newest.after,
            Some(serde_json::to_value(&stored).unwrap()),
            "customer {id}"
        );
        assert_eq!(newest.actor_id, Some(admin));
    }
    let by_import = scope
        .audit()
        .list(&AuditFilter {
            entity_type: Some(crm_core::catalog::RecordKind::Customer),
            entity_id: Some(old.id.0 + 1),
            limit: None,
            cursor: None,
        })
        .unwrap()
        .items;
    let by_hand = scope
        .audit()
        .list(&AuditFilter {
            entity_type: Some(crm_core::catalog::RecordKind::Customer),
            entity_id: Some(single.id.0),
            limit: None,
            cursor: None,
        })
        .unwrap()
        .items;
    assert_eq!(by_import[0].action, by_hand[0].action);
    assert_eq!(by_import.len(), 1);
}
