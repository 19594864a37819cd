//! Products through the C ABI: the sales dataset's catalog imported as a host would, SKUs
//! unique per tenant in any case, bad input named, another tenant's product not found.
#![allow(unsafe_code)]

use serde_json::{Value, json};

mod common;
use common::{invalid, req, setup};

const PRODUCTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/crm-sales-opportunities/products.csv"
);

#[test]
fn the_sales_datasets_products_import_through_json() {
    let (h, admin) = setup();
    let r = |m: &str, p: Value| h.ok(&req(m, "acme", admin, p));
    let fail = |m: &str, p: Value| h.err(&req(m, "acme", admin, p));
    let text = std::fs::read_to_string(PRODUCTS).expect("../shared/datasets beside the repository");
    let mut rows = 0;
    for line in text.lines().skip(1) {
        // product,series,sales_price — whole dollars.
        let cells: Vec<&str> = line.split(',').collect();
        let sku = cells[0].to_uppercase().replace(' ', "-");
        let dollars: i64 = cells[2].trim().parse().unwrap();
        let p = r(
            "products.create",
            json!({"name": cells[0], "sku": sku, "unitPrice": {"amount": dollars * 100, "currency": "USD"},
                   "taxRateBp": 2_000, "externalId": format!("maven:{}", cells[0])}),
        );
        assert_eq!(p["active"], true);
        assert_eq!(
            p["unitPrice"],
            json!({"amount": dollars * 100, "currency": "USD"})
        );
        rows += 1;
    }
    assert_eq!(rows, 7);
    let list = r("products.list", json!({"limit": 50}));
    assert_eq!(list["items"].as_array().unwrap().len(), 7);
    let pro = r("products.get", json!({"externalId": "maven:GTX Pro"}));
    assert_eq!(pro["unitPrice"]["amount"], 482_100);
    assert_eq!(pro["sku"], "GTX-PRO");
    // SKUs are unique in any case; another tenant may use the same.
    let (code, field) = fail(
        "products.create",
        json!({"name": "Copy", "sku": "gtx-pro", "unitPrice": {"amount": 1, "currency": "USD"}}),
    );
    assert_eq!((code.as_str(), field.as_deref()), ("conflict", Some("sku")));
    let other = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "globex", "name": "Globex", "admin": {"name": "Gil", "email": "gil@globex.test"}}}));
    let gil = other["admin"]["id"].as_i64().unwrap();
    let theirs = h.ok(&req(
        "products.create",
        "globex",
        gil,
        json!({"name": "GTX Pro", "sku": "GTX-PRO", "unitPrice": {"amount": 1, "currency": "EUR"}}),
    ));
    // Ids are per tenant: globex's first product has acme's first id; acme's seventh is not theirs.
    assert_eq!(
        h.err(&req("products.get", "globex", gil, json!({"id": 7})))
            .0,
        "not_found"
    );
    assert_eq!(theirs["id"], 1);
    // Updates: a price, retired, the SKU cleared; a taken SKU refused.
    let id = pro["id"].clone();
    let changed = r(
        "products.update",
        json!({"id": id, "unitPrice": {"amount": 450_000, "currency": "USD"}, "active": false, "sku": null}),
    );
    assert_eq!(changed["sku"], Value::Null);
    assert_eq!(changed["active"], false);
    let active = r("products.list", json!({"active": true}));
    assert_eq!(active["items"].as_array().unwrap().len(), 6);
    let dear = r(
        "products.list",
        json!({"where": {"field": "unitPrice", "op": "gte", "value": 450_000}}),
    );
    assert!(
        dear["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["unitPrice"]["amount"].as_i64().unwrap() >= 450_000)
    );
    let (code, field) = fail("products.update", json!({"id": id, "sku": "GTX-BASIC"}));
    assert_eq!((code.as_str(), field.as_deref()), ("conflict", Some("sku")));
    // Bad input names its field.
    let good = json!({"name": "X", "unitPrice": {"amount": 1, "currency": "USD"}});
    let with = |key: &str, value: Value| {
        let mut p = good.clone();
        p[key] = value;
        p
    };
    invalid(
        &fail(
            "products.create",
            with("unitPrice", json!({"amount": -1, "currency": "USD"})),
        ),
        "unitPrice.amount",
    );
    invalid(
        &fail(
            "products.create",
            with("unitPrice", json!({"amount": 1, "currency": "US"})),
        ),
        "unitPrice.currency",
    );
    invalid(
        &fail("products.create", with("taxRateBp", json!(10_001))),
        "taxRateBp",
    );
    invalid(&fail("products.create", with("name", json!(" "))), "name");
    invalid(
        &fail("products.create", with("colour", json!("red"))),
        "colour",
    );
    assert_eq!(
        r("products.list", json!({}))["items"]
            .as_array()
            .unwrap()
            .len(),
        7,
        "nothing was written"
    );
    // The catalog describes products.
    let fields = r("schema.fields", json!({"kind": "product"}));
    let names: Vec<&str> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"unitPrice") && names.contains(&"sku") && names.contains(&"active"),
        "{names:?}"
    );
}
