//! Products: each write is audited and in the change feed with the record's kind; another
//! tenant's product is not found; a failed write changes nothing.

mod common;

use crm_core::audit::AuditFilter;
use crm_core::catalog::RecordKind;
use crm_core::feed::ChangesRequest;
use crm_core::ids::ProductId;
use crm_core::products::{NewProduct, ProductChanges};
use serde_json::json;

fn new(name: &str, sku: &str) -> NewProduct {
    serde_json::from_value(json!({
        "name": name, "sku": sku, "unitPrice": {"amount": 55_000, "currency": "JPY"}, "taxRateBp": 1_000
    }))
    .unwrap()
}

#[test]
fn products_are_audited_fed_and_kept_apart() {
    let crm = common::open();
    let a = common::tenant(&crm, "a");
    let b = common::tenant(&crm, "b");
    let scope = crm.scope("a", Some(a)).unwrap();
    let p = scope
        .products()
        .create(new("Ünïcode ✓ widget", "w-1"))
        .unwrap();
    assert_eq!(p.unit_price.to_string(), "JPY 55,000");
    let changed = scope
        .products()
        .update(ProductChanges {
            id: p.id,
            external_id: None,
            name: None,
            sku: None,
            unit_price: None,
            tax_rate_bp: Some(800),
            active: None,
        })
        .unwrap();
    assert_eq!(changed.tax_rate_bp, 800);
    let audit = scope
        .audit()
        .list(&AuditFilter {
            entity_type: Some(RecordKind::Product),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["products.update", "products.create"]);
    let feed = scope
        .changes()
        .list(&ChangesRequest {
            entity_types: Some(vec![RecordKind::Product]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(feed.items.len(), 2);

    // b has no product 1 of its own yet: a's is not found; b's own SKU may equal a's.
    let theirs = crm.scope("b", Some(b)).unwrap();
    assert_eq!(
        theirs.products().get(ProductId(1)).unwrap_err().code(),
        "not_found"
    );
    theirs.products().create(new("Widget", "W-1")).unwrap();
    assert_eq!(scope.products().get(p.id).unwrap().name, "Ünïcode ✓ widget");

    let before = crm_core::store::row_counts(&crm).unwrap();
    let err = scope.products().create(new("Again", "W-1")).unwrap_err();
    assert_eq!((err.code(), err.field()), ("conflict", Some("sku")));
    assert_eq!(crm_core::store::row_counts(&crm).unwrap(), before);
}
