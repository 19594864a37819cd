//! A host's resident memory with a small database: open it, write 50 records, rebuild the
//! search index and search it. Prints the peak resident set (Linux's `VmHWM`).
//!
//! `cargo run --release -p crm-benches --example small_host_memory`

use crm_core::Crm;
use crm_core::customers::NewCustomer;
use crm_core::search::SearchQuery;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map_or_else(
            || format!("{field} unknown"),
            |l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Crm::open(dir.path().join("small.db")).unwrap();
    let admin = crm_benches::tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    for i in 0..50 {
        scope
            .customers()
            .create(NewCustomer {
                name: format!("Customer {i}"),
                ..Default::default()
            })
            .unwrap();
    }
    println!("after opening and writing: peak {}", status("VmHWM:"));
    let indexed = scope.search().rebuild().unwrap();
    let found = scope
        .search()
        .query(&SearchQuery {
            q: "customer".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((indexed, found.total), (50, 50));
    println!(
        "after a rebuild of {indexed} records and a search: peak {}, now {}",
        status("VmHWM:"),
        status("VmRSS:")
    );
}
