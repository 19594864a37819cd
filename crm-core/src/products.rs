//! Products (API.md "Products and quotes"): what a quote's lines may name — a name, a SKU
//! unique within the tenant (in any case), a unit price in one currency, a default tax rate in
//! basis points, and whether the product is offered now.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::ProductId;
use crate::methods;
use crate::money::{Currency, Money, basis_points};
use crate::records::{self, Page, PageRequest, Record, Unique, table};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// A product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Its id, counted per tenant.
    pub id: ProductId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The product's name.
    pub name: String,
    /// Its stock-keeping unit, unique per tenant.
    pub sku: Option<String>,
    /// Its price for one unit.
    pub unit_price: Money,
    /// The tax rate a new line takes, in basis points (2,200 is 22%).
    pub tax_rate_bp: i64,
    /// Offered now; inactive products stay on the quotes that name them.
    pub active: bool,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of a product, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Product),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    Field::new("sku", "sku", FieldType::Text, "SKU").sortable(),
    Field::new("unitPrice", "unit_price", FieldType::Money, "Unit price").sortable(),
    Field::new("currency", "currency", FieldType::Text, "Currency").sortable(),
    Field::new(
        "taxRateBp",
        "tax_rate_bp",
        FieldType::Number,
        "Tax rate (bp)",
    )
    .sortable(),
    Field::new("active", "active", FieldType::Bool, "Active").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Product {
    const ENTITY: EntityType = EntityType::Product;
    table!(
        "products",
        [
            "id",
            "external_id",
            "name",
            "sku",
            "unit_price",
            "currency",
            "tax_rate_bp",
            "active",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let code: String = row.get(5)?;
        // Stored codes were checked on the way in.
        let currency =
            Currency::parse("currency", &code).map_err(|e| crate::sql::bad_column(5, e))?;
        Ok(Product {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            sku: row.get(3)?,
            unit_price: Money::new(row.get(4)?, currency),
            tax_rate_bp: row.get(6)?,
            active: row.get(7)?,
            created_at: time::from_millis(row.get(8)?),
            updated_at: time::from_millis(row.get(9)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            self.sku,
            self.unit_price.amount,
            self.unit_price.currency.code(),
            self.tax_rate_bp,
            self.active,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// A SKU is unique within a tenant, in any case.
const SKU: Unique = Unique {
    kind: RecordKind::Product,
    column: "sku",
    field: "sku",
    any_case: true,
};

/// What `products.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProduct {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The product's name (not empty).
    pub name: String,
    /// Its stock-keeping unit, unique per tenant.
    #[serde(default)]
    pub sku: Option<String>,
    /// Its price for one unit.
    pub unit_price: Money,
    /// 0 when absent.
    #[serde(default)]
    pub tax_rate_bp: Option<i64>,
    /// `true` when absent.
    #[serde(default)]
    pub active: Option<bool>,
}

/// What `products.update` takes: `id` and the fields to change (`null` clears an optional one).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductChanges {
    /// The product to change.
    pub id: ProductId,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `name`; absent leaves it.
    pub name: Option<String>,
    /// The new `sku`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub sku: Option<Option<String>>,
    /// The new `unitPrice`; absent leaves it.
    pub unit_price: Option<Money>,
    /// The new `taxRateBp`; absent leaves it.
    pub tax_rate_bp: Option<i64>,
    /// The new `active`; absent leaves it.
    pub active: Option<bool>,
}

/// Filters of `products.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductFilter {
    /// Only those whose `active` is this.
    pub active: Option<bool>,
    /// Only the products these criteria hold for (API.md "Criteria").
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

fn price(field: &str, money: Money) -> Result<Money> {
    if money.amount < 0 {
        return Err(Error::invalid(
            format!("{field}.amount"),
            format!("must be at least 0, got {}", money.amount),
        ));
    }
    Ok(money)
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewProduct) -> Result<Product> {
    let sku = validate::opt_short("sku", new.sku)?;
    if let Some(sku) = &sku {
        tx.ensure_unique(&SKU, sku, None)?;
    }
    let product = Product {
        id: ProductId(0),
        external_id: validate::external_id(new.external_id)?,
        name: validate::name("name", &new.name)?,
        sku,
        unit_price: price("unitPrice", new.unit_price)?,
        tax_rate_bp: basis_points("taxRateBp", new.tax_rate_bp.unwrap_or(0))?,
        active: new.active.unwrap_or(true),
        created_at: tx.now,
        updated_at: tx.now,
    };
    let product = Product {
        id: ProductId(tx.next_id(RecordKind::Product)?),
        ..product
    };
    tx.insert(methods::PRODUCTS_CREATE, &product)?;
    Ok(product)
}

pub(crate) fn update(tx: &mut Tx<'_>, changes: ProductChanges) -> Result<Product> {
    let before: Product = records::get(tx, tx.tenant, changes.id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
    if let Some(v) = changes.name {
        after.name = validate::name("name", &v)?;
    }
    if let Some(v) = changes.sku {
        after.sku = validate::opt_short("sku", v)?;
        if let Some(sku) = &after.sku {
            tx.ensure_unique(&SKU, sku, Some(before.id.0))?;
        }
    }
    if let Some(v) = changes.unit_price {
        after.unit_price = price("unitPrice", v)?;
    }
    if let Some(v) = changes.tax_rate_bp {
        after.tax_rate_bp = basis_points("taxRateBp", v)?;
    }
    if let Some(v) = changes.active {
        after.active = v;
    }
    after.updated_at = tx.now;
    tx.replace(methods::PRODUCTS_UPDATE, &before, &after)?;
    Ok(after)
}

/// `products.*`.
#[derive(Debug, Clone, Copy)]
pub struct Products<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Products of this tenant.
    pub fn products(&self) -> Products<'_, 'c> {
        Products(self)
    }
}

impl Products<'_, '_> {
    /// Creates a product (`products.create`).
    pub fn create(&self, new: NewProduct) -> Result<Product> {
        self.0.write(|tx| create(tx, new))
    }

    /// The product with this id (`not_found` for another tenant's).
    pub fn get(&self, id: ProductId) -> Result<Product> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The product with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Product> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a product (`products.update`): only the fields given change.
    pub fn update(&self, changes: ProductChanges) -> Result<Product> {
        self.0.write(|tx| update(tx, changes))
    }

    /// A page of products, newest first.
    pub fn list(&self, filter: &ProductFilter) -> Result<Page<Product>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![("active", filter.active.map(Value::from))];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "products")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}
