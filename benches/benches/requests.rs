//! Requests through the C ABI's handler that a careless or hostile host sends: 1 MiB values
//! where an id or a name belongs, and 1 MiB that is not JSON. Each must be answered with a
//! short error in a few milliseconds.
//!
//! cargo bench -p crm-benches --bench requests

use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::Crm;
use serde_json::json;
use std::hint::black_box;

fn bad_requests(c: &mut Criterion) {
    let crm = Crm::open_in_memory().unwrap();
    crm_ffi_handle(&crm);
    let huge = "ü".repeat(1 << 19);
    let cases = [
        (
            "1 MiB string as an id",
            json!({"method": "customers.get", "tenantId": "acme", "params": {"id": huge}})
                .to_string(),
        ),
        (
            "1 MiB string as an email",
            json!({"method": "customers.create", "tenantId": "acme", "actorId": 1,
                   "params": {"name": "N", "email": huge}})
            .to_string(),
        ),
        (
            "1 MiB string as a field name",
            json!({"method": "customers.create", "tenantId": "acme", "actorId": 1,
                   "params": {huge.clone(): 1}})
            .to_string(),
        ),
        (
            "1 MiB malformed JSON",
            format!(
                "{{\"method\": \"customers.get\", \"params\": {{\"id\": \"{}",
                "x".repeat(1 << 20)
            ),
        ),
    ];
    let mut group = c.benchmark_group("bad requests");
    for (name, request) in &cases {
        let response = crm::dispatch::handle(&crm, request);
        assert!(response.len() < 1_000, "{name}: {} bytes", response.len());
        group.bench_function(*name, |b| {
            b.iter(|| black_box(crm::dispatch::handle(&crm, black_box(request))));
        });
    }
    group.finish();
}

/// A tenant for the requests to name.
fn crm_ffi_handle(crm: &Crm) {
    let created = crm::dispatch::handle(
        crm,
        &json!({"method": "tenants.create", "params": {"tenantId": "acme", "name": "Acme",
                "admin": {"name": "Ada", "email": "ada@acme.test"}}})
        .to_string(),
    );
    assert!(created.contains("\"ok\":true"), "{created}");
}

criterion_group!(benches, bad_requests);
criterion_main!(benches);
