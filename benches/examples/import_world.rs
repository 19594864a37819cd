//! Import and export at scale: a generated CSV of customers (1,000,000 rows by default; 1% of
//! them repeat an earlier row's email in another case) imported with email dedupe into a new
//! database file, then every customer exported to CSV, then the import run again (a no-op).
//! Prints rows per second and the peak resident set (Linux's `VmHWM`).
//!
//! `cargo run --release -p crm-benches --example import_world [-- ROWS]`

use crm_core::Crm;
use crm_core::export::ExportRequest;
use crm_core::import::ImportRequest;
use serde_json::json;
use std::io::Write;
use std::time::Instant;

fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map_or_else(
            || "unknown".into(),
            |l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        )
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Édith", "Zoë", "Łukasz", "Siobhán", "Kenji", "Amara", "Mateo",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Piaf", "Müller", "Nowak", "O'Brien", "Tanaka", "Okafor",
    "García",
];
const COMPANIES: &[&str] = &[
    "Acme, Inc.",
    "Globex",
    "Initech",
    "Umbrella \"Bio\"",
    "Hooli",
    "Stark Industries",
];

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("customers.csv");
    let started = Instant::now();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        writeln!(
            out,
            "Full Name,Email Address,Phone Number,Company Name,Tags"
        )
        .unwrap();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for i in 0..rows {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = x as usize;
            // Every hundredth row repeats an earlier row's email, in capitals.
            let email = if i % 100 == 99 {
                format!("PERSON{}@EXAMPLE.COM", i / 2)
            } else {
                format!("person{i}@example.com")
            };
            writeln!(
                out,
                "{} {},{email},+1 415 555 {:04},\"{}\",{}",
                FIRST[n % FIRST.len()],
                LAST[(n >> 8) % LAST.len()],
                i % 10_000,
                COMPANIES[(n >> 16) % COMPANIES.len()].replace('"', "\"\""),
                ["vip", "b2b; retail", "", "newsletter"][(n >> 24) % 4],
            )
            .unwrap();
        }
    }
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "generated {rows} rows ({:.1} MB) in {:.1?}",
        size as f64 / 1e6,
        started.elapsed()
    );

    let crm = Crm::open(dir.path().join("world.db")).unwrap();
    let admin = crm_benches::tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let ask: ImportRequest =
        serde_json::from_value(json!({"kind": "customer", "path": file, "dedupe": ["email"]}))
            .unwrap();
    let started = Instant::now();
    let done = scope.import().run(&ask).unwrap();
    let took = started.elapsed();
    println!(
        "import with email dedupe: {} created, {} skipped, {} failed in {took:.1?}: {:.0} rows/s; peak RSS {}",
        done.summary.created,
        done.summary.skipped,
        done.summary.failed,
        rows as f64 / took.as_secs_f64(),
        peak()
    );

    let out = dir.path().join("export.csv");
    let started = Instant::now();
    let exported = scope
        .export()
        .run(
            &serde_json::from_value::<ExportRequest>(
                json!({"kind": "customer", "format": "csv", "path": out}),
            )
            .unwrap(),
        )
        .unwrap();
    let took = started.elapsed();
    println!(
        "export to CSV: {} rows in {took:.1?}: {:.0} rows/s; peak RSS {}",
        exported.rows,
        exported.rows as f64 / took.as_secs_f64(),
        peak()
    );

    let started = Instant::now();
    let again = scope.import().run(&ask).unwrap();
    let took = started.elapsed();
    println!(
        "the same import again: {} created, {} skipped in {took:.1?}",
        again.summary.created, again.summary.skipped
    );
}
