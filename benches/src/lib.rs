//! Shared set-up for the criterion benchmarks in `benches/`: demo databases at a chosen scale,
//! generated once and copied for each run so every run starts from the same data.

use crm_core::Crm;
use crm_core::demo::{self, DemoOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Creates tenant `key` with an admin, Ada, and answers her id.
pub fn tenant(crm: &Crm, key: &str) -> crm_core::ids::UserId {
    crm.create_tenant(crm_core::tenancy::NewTenant {
        tenant_id: key.into(),
        name: key.into(),
        default_region: None,
        admin: crm_core::tenancy::NewAdmin {
            name: "Ada".into(),
            email: format!("ada@{key}.test"),
        },
    })
    .unwrap()
    .admin
    .id
}

/// Customer `i` of the write benchmarks: every field filled, so a create does all its work
/// (match keys of the email and phone, tags).
pub fn bench_customer(i: usize) -> crm_core::customers::NewCustomer {
    crm_core::customers::NewCustomer {
        external_id: Some(format!("bench-{i}")),
        name: format!("Bench Customer {i}"),
        email: Some(format!("bench.{i}@example.com")),
        phone: Some("+1 415 555 0132".into()),
        company: Some("Bench Works GmbH".into()),
        tags: vec!["bench".into()],
        churn_risk: Some(10),
        created_at: None,
    }
}

/// The scale of the benchmarks: `CRM_BENCH_CUSTOMERS` or 100,000 customers.
pub fn scale() -> usize {
    std::env::var("CRM_BENCH_CUSTOMERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data")
}

/// Where generated databases are kept between runs.
pub fn cache_path(name: &str) -> PathBuf {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache).unwrap();
    cache.join(name)
}

/// A fresh copy of the demo database at `customers` scale (generated on first use, then cached
/// under `target/bench-data/`), opened in `dir`.
pub fn demo_copy(customers: usize, dir: &Path) -> Crm {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache).unwrap();
    // A version is in the name so a new migration or demo regenerates the data (v9: V14's
    // feed keyed by tenant and V15).
    let cached = cache.join(format!("demo-{customers}-v9.db"));
    if !cached.exists() {
        let building = cache.join(format!("demo-{customers}.building"));
        let _ = std::fs::remove_file(&building);
        eprintln!("generating the {customers}-customer demo database (once) …");
        let crm = Crm::open(&building).unwrap();
        demo::generate(
            &crm,
            &DemoOptions {
                customers,
                ..DemoOptions::default()
            },
            |_, _| {},
        )
        .unwrap();
        // Build the analytics sums, as the first report would.
        let admin = crm.first_admin("demo").unwrap();
        crm.scope("demo", admin)
            .unwrap()
            .analytics()
            .catch_up()
            .unwrap();
        drop(crm);
        // Fold the WAL into the file so one file is the whole database.
        let conn = crm_core::store::raw_connection(&building).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
        drop(conn);
        std::fs::rename(&building, &cached).unwrap();
    }
    let copy = dir.join("bench.db");
    let _ = std::fs::remove_file(dir.join("bench.db-wal"));
    std::fs::copy(&cached, &copy).unwrap();
    // Flush the copy now, so the kernel writing it back does not disturb the measurements.
    std::fs::File::open(&copy).unwrap().sync_all().unwrap();
    Crm::open(&copy).unwrap()
}

/// Times `n` calls of `f` (after `n / 10` warm-up calls) and adds a `p50 / p99 / max` line to
/// `report` (and prints it): criterion reports means, the issues' targets are p99s.
pub fn percentiles(report: &mut Vec<String>, name: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let line = format!(
        "{name}: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({n} calls)",
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
    eprintln!("{line}");
    report.push(line);
}

/// Writes a percentile report to `target/criterion/<name>`.
pub fn write_report(name: &str, report: &[String]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/criterion")
        .join(name);
    let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")));
    let _ = std::fs::write(&path, report.join("\n") + "\n");
}

/// One tenant, `bench`, whose pipeline of six stages (four open, won, lost) holds `n` deals in
/// three currencies over seven owners, made through the batch API (the board's bench and
/// `examples/board_world.rs`).
#[derive(Debug)]
pub struct BoardWorld {
    pub crm: Crm,
    pub admin: crm_core::ids::UserId,
    pub pipeline: crm_core::ids::PipelineId,
    pub stages: Vec<crm_core::ids::StageId>,
    pub reps: Vec<crm_core::ids::UserId>,
}

pub fn board_world(path: &Path, n: usize) -> BoardWorld {
    use crm_core::deals::{NewDeal, NewPipeline};
    use crm_core::tenancy::{NewUser, Role};
    let crm = Crm::open(path).unwrap();
    let admin = tenant(&crm, "bench");
    let scope = crm.scope("bench", Some(admin)).unwrap();
    let (pipeline, reps) = scope
        .batch(|b| {
            let reps = (0..7)
                .map(|i| {
                    b.create_user(NewUser {
                        external_id: None,
                        name: format!("Rep {i}"),
                        email: format!("rep{i}@bench.test"),
                        role: Role::Agent,
                        team_ids: vec![],
                    })
                    .map(|u| u.id)
                })
                .collect::<crm_core::Result<Vec<_>>>()?;
            let pipeline = b.create_pipeline(
                serde_json::from_value::<NewPipeline>(
                    serde_json::json!({"name": "Sales", "stages": [
                    {"name": "Lead", "probability": 10, "kind": "open"},
                    {"name": "Qualified", "probability": 30, "kind": "open"},
                    {"name": "Proposal", "probability": 60, "kind": "open"},
                    {"name": "Negotiation", "probability": 80, "kind": "open"},
                    {"name": "Won", "probability": 100, "kind": "won"},
                    {"name": "Lost", "probability": 0, "kind": "lost"}]}),
                )
                .unwrap(),
            )?;
            Ok((pipeline, reps))
        })
        .unwrap();
    let stages: Vec<_> = pipeline.stages.iter().map(|s| s.id).collect();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for chunk in 0..n.div_ceil(10_000) {
        scope
            .batch(|b| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b.create_deal(NewDeal {
                        external_id: None,
                        pipeline_id: pipeline.id,
                        stage_id: Some(stages[(x % 6) as usize]),
                        customer_id: None,
                        lead_id: None,
                        title: format!("Deal {i}"),
                        value: ((x >> 8) % 5_000_000) as i64,
                        currency: ["USD", "EUR", "GBP"][((x >> 40) % 3) as usize].into(),
                        owner_id: Some(reps[((x >> 32) % 7) as usize]),
                        expected_close_at: None,
                        created_at: None,
                        closed_at: None,
                    })?;
                }
                Ok(())
            })
            .unwrap();
    }
    drop(scope);
    BoardWorld {
        crm,
        admin,
        pipeline: pipeline.id,
        stages,
        reps,
    }
}
