//! The demo's duplicates, found and merged through the Rust API.

mod common;

use crm_core::demo::{self, DemoOptions};
use crm_core::merge::{DuplicateKey, DuplicatesRequest, MergeRequest};
use std::collections::BTreeMap;

#[test]
fn the_demo_has_duplicates_of_every_kind_and_merging_them_empties_the_finder() {
    let crm = common::open();
    let summary = demo::generate(
        &crm,
        &DemoOptions {
            customers: 600,
            ..DemoOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.customers, 601, "600 and one twin (3 in 1,000)");
    let scope = crm
        .scope("demo", Some(crm_core::ids::UserId(summary.admin_id)))
        .unwrap();
    let groups = scope
        .merging()
        .duplicates(&DuplicatesRequest::default())
        .unwrap()
        .items;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].key, DuplicateKey::Email);

    let crm = common::open();
    let summary = demo::generate(
        &crm,
        &DemoOptions {
            customers: 1_000,
            ..DemoOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    let scope = crm
        .scope("demo", Some(crm_core::ids::UserId(summary.admin_id)))
        .unwrap();
    let groups = scope
        .merging()
        .duplicates(&DuplicatesRequest::default())
        .unwrap()
        .items;
    let keys: Vec<DuplicateKey> = groups.iter().map(|g| g.key).collect();
    assert_eq!(
        keys,
        [
            DuplicateKey::Email,
            DuplicateKey::Phone,
            DuplicateKey::NameAndCompany
        ]
    );
    let before = crm.check().unwrap().problems();
    assert!(before.is_empty(), "{before:?}");
    for group in &groups {
        let target = group.ids[0].0;
        let sources: Vec<i64> = group.ids[1..].iter().map(|c| c.0).collect();
        let dry = scope
            .merging()
            .customers(&MergeRequest {
                target_id: target,
                source_ids: sources.clone(),
                fields: BTreeMap::new(),
                dry_run: true,
            })
            .unwrap();
        let merged = scope
            .merging()
            .customers(&MergeRequest {
                target_id: target,
                source_ids: sources.clone(),
                fields: BTreeMap::new(),
                dry_run: false,
            })
            .unwrap();
        assert_eq!(dry.moved, merged.moved);
        for source in &sources {
            let e = scope
                .customers()
                .get(crm_core::ids::CustomerId(*source))
                .unwrap_err();
            assert_eq!(e.code(), "not_found");
            assert_eq!(e.merged_into(), Some(target));
        }
    }
    assert!(
        scope
            .merging()
            .duplicates(&DuplicatesRequest::default())
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(crm.check().unwrap().problems(), Vec::<String>::new());
}
