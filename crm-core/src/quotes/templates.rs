//! Quote templates (`quoteTemplates.*`): default lines, discount, notes, terms, validity and
//! tax rounding that a new quote copies.

use super::lines::{self, LineRequest};
use super::totals::{self, TaxRounding};
use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::QuoteTemplateId;
use crate::methods;
use crate::records::{self, ListRequest, Page, Record, Unique, table};
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use chrono::{Duration, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// The longest validity a template may give, in days (ten years).
pub const MAX_VALID_DAYS: i64 = 3_650;

/// A quote template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteTemplate {
    /// Its id, counted per tenant.
    pub id: QuoteTemplateId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The template's name.
    pub name: String,
    /// The lines a quote starts with.
    pub lines: Vec<LineRequest>,
    /// The discount a quote starts with, in basis points.
    pub discount_bp: i64,
    /// Notes a quote starts with.
    pub notes: Option<String>,
    /// Terms a quote starts with.
    pub terms: Option<String>,
    /// A quote made from it is valid through the end of the day (UTC) this many days after.
    pub valid_days: Option<i64>,
    /// How a quote's tax is rounded; the tenant's setting when absent.
    pub tax_rounding: Option<TaxRounding>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of a template, as lists read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::QuoteTemplate),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    Field::new("validDays", "valid_days", FieldType::Number, "Valid days").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for QuoteTemplate {
    const ENTITY: EntityType = EntityType::QuoteTemplate;
    table!(
        "quote_templates",
        [
            "id",
            "external_id",
            "name",
            "lines",
            "discount_bp",
            "notes",
            "terms",
            "valid_days",
            "tax_rounding",
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
        let lines: String = row.get(3)?;
        // Stored lines were checked on the way in.
        let lines = serde_json::from_str(&lines).map_err(|e| crate::sql::bad_column(3, e))?;
        Ok(QuoteTemplate {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            lines,
            discount_bp: row.get(4)?,
            notes: row.get(5)?,
            terms: row.get(6)?,
            valid_days: row.get(7)?,
            tax_rounding: row.get(8)?,
            created_at: time::from_millis(row.get(9)?),
            updated_at: time::from_millis(row.get(10)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        let lines = serde_json::to_string(&self.lines)
            .map_err(|e| Error::Internal(format!("cannot serialize a template: {e}")))?;
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            lines,
            self.discount_bp,
            self.notes,
            self.terms,
            self.valid_days,
            self.tax_rounding,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `quoteTemplates.create` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewQuoteTemplate {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The template's name (not empty).
    pub name: String,
    /// The lines a quote starts with.
    #[serde(default)]
    pub lines: Option<Vec<LineRequest>>,
    /// The discount a quote starts with, in basis points (0 to 10,000).
    #[serde(default)]
    pub discount_bp: Option<i64>,
    /// Notes a quote starts with.
    #[serde(default)]
    pub notes: Option<String>,
    /// Terms a quote starts with.
    #[serde(default)]
    pub terms: Option<String>,
    /// How many days a quote made from it stays valid.
    #[serde(default)]
    pub valid_days: Option<i64>,
    /// How a quote's tax is rounded; the tenant's setting when absent.
    #[serde(default)]
    pub tax_rounding: Option<TaxRounding>,
}

/// What `quoteTemplates.update` takes (`null` clears an optional field).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteTemplateChanges {
    /// The template to change.
    pub id: QuoteTemplateId,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `name`; absent leaves it.
    pub name: Option<String>,
    /// The new `lines`; absent leaves it.
    pub lines: Option<Vec<LineRequest>>,
    /// The new `discountBp`; absent leaves it.
    pub discount_bp: Option<i64>,
    /// The new `notes`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub notes: Option<Option<String>>,
    /// The new `terms`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub terms: Option<Option<String>>,
    /// The new `validDays`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub valid_days: Option<Option<i64>>,
    /// The new `taxRounding`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub tax_rounding: Option<Option<TaxRounding>>,
}

/// The end of the UTC day `days` days after `now`'s: a quote made now from a template with
/// that validity is valid through it.
pub(crate) fn valid_until(now: Timestamp, days: i64) -> Timestamp {
    let today = now.date_naive();
    let last = today + Duration::days(days);
    let next_midnight = last.succ_opt().unwrap_or(last).and_hms_opt(0, 0, 0);
    next_midnight.map_or(now, |m| {
        Utc.from_utc_datetime(&m) - Duration::milliseconds(1)
    })
}

fn valid_days(days: Option<i64>) -> Result<Option<i64>> {
    match days {
        Some(d) if !(0..=MAX_VALID_DAYS).contains(&d) => Err(Error::invalid(
            "validDays",
            format!("from 0 to {MAX_VALID_DAYS} days, got {d}"),
        )),
        other => Ok(other),
    }
}

/// Template names are unique within a tenant, in any case.
const NAME: Unique = Unique {
    kind: RecordKind::QuoteTemplate,
    column: "name",
    field: "name",
    any_case: true,
};

/// The template `id` of this tenant, or `invalid_input` on `field` (a reference in a request).
pub(crate) fn get_in(tx: &Tx<'_>, id: QuoteTemplateId, field: &str) -> Result<QuoteTemplate> {
    tx.require(field, id.0)
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewQuoteTemplate) -> Result<QuoteTemplate> {
    let name = validate::name("name", &new.name)?;
    tx.ensure_unique(&NAME, &name, None)?;
    let lines = new.lines.unwrap_or_default();
    lines::check_products(tx, &lines)?;
    let template = QuoteTemplate {
        id: QuoteTemplateId(0),
        external_id: validate::external_id(new.external_id)?,
        name,
        lines,
        discount_bp: totals::basis_points("discountBp", new.discount_bp.unwrap_or(0))?,
        notes: super::text("notes", new.notes)?,
        terms: super::text("terms", new.terms)?,
        valid_days: valid_days(new.valid_days)?,
        tax_rounding: new.tax_rounding,
        created_at: tx.now,
        updated_at: tx.now,
    };
    let template = QuoteTemplate {
        id: QuoteTemplateId(tx.next_id(RecordKind::QuoteTemplate)?),
        ..template
    };
    tx.insert(methods::QUOTE_TEMPLATES_CREATE, &template)?;
    Ok(template)
}

fn update(tx: &mut Tx<'_>, changes: QuoteTemplateChanges) -> Result<QuoteTemplate> {
    let before: QuoteTemplate = records::get(tx, tx.tenant, changes.id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
    if let Some(v) = changes.name {
        after.name = validate::name("name", &v)?;
        tx.ensure_unique(&NAME, &after.name, Some(before.id.0))?;
    }
    if let Some(v) = changes.lines {
        lines::check_products(tx, &v)?;
        after.lines = v;
    }
    if let Some(v) = changes.discount_bp {
        after.discount_bp = totals::basis_points("discountBp", v)?;
    }
    if let Some(v) = changes.notes {
        after.notes = super::text("notes", v)?;
    }
    if let Some(v) = changes.terms {
        after.terms = super::text("terms", v)?;
    }
    if let Some(v) = changes.valid_days {
        after.valid_days = valid_days(v)?;
    }
    if let Some(v) = changes.tax_rounding {
        after.tax_rounding = v;
    }
    after.updated_at = tx.now;
    tx.replace(methods::QUOTE_TEMPLATES_UPDATE, &before, &after)?;
    Ok(after)
}

/// `quoteTemplates.*`.
#[derive(Debug, Clone, Copy)]
pub struct QuoteTemplates<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Quote templates of this tenant.
    pub fn quote_templates(&self) -> QuoteTemplates<'_, 'c> {
        QuoteTemplates(self)
    }
}

impl QuoteTemplates<'_, '_> {
    /// Creates a quote template (`quoteTemplates.create`).
    pub fn create(&self, new: NewQuoteTemplate) -> Result<QuoteTemplate> {
        self.0.write(|tx| create(tx, new))
    }

    /// The template with this id (`not_found` for another tenant's).
    pub fn get(&self, id: QuoteTemplateId) -> Result<QuoteTemplate> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The template with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<QuoteTemplate> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a template (`quoteTemplates.update`): only the fields given change.
    pub fn update(&self, changes: QuoteTemplateChanges) -> Result<QuoteTemplate> {
        self.0.write(|tx| update(tx, changes))
    }

    /// A page of templates, newest first.
    pub fn list(&self, request: impl Into<ListRequest>) -> Result<Page<QuoteTemplate>> {
        let request = request.into();
        let page = request.page();
        let test =
            crate::criteria::Where::read(request.r#where.as_ref(), FIELDS, "quoteTemplates")?;
        let order = crate::records::Order::read(request.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, Vec::new(), &order, &page, |p| test.sql(p)))
    }
}
