//! Quotes (API.md "Products and quotes"): what a rep offers a deal's customer, line by line,
//! with totals computed exactly ([`totals`]).
//!
//! A quote has a number per tenant and year (`Q-2026-0001`, gap-free: taken inside the
//! creating transaction) and one row per revision. Its life:
//!
//! ```text
//! draft ──send──▶ sent ──accept──▶ accepted      (the deal moves to its won stage, value = total)
//!   ▲               │  ──reject──▶ rejected
//!   │               └─ validUntil passes ─▶ expired (read so at once; written by a refresh)
//!   └──── revise ◀── sent | expired | rejected    (the old revision becomes superseded)
//! ```
//!
//! Only drafts change. `send` freezes the document — seller, customer, deal, lines with their
//! products' names, totals, terms — in a stored snapshot, so a sent quote renders the same
//! whatever later happens to the records it names. Every step is audited, in the change feed,
//! and a `quote_activity` on the deal's and the customer's timelines ([`lifecycle`]).

pub mod lifecycle;
pub mod lines;
pub mod render;
pub mod settings;
pub mod templates;
pub mod totals;

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::criteria::{FieldDef, Read, Where};
use crate::deals::Deal;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, DealId, QuoteId, QuoteTemplateId};
use crate::methods;
use crate::money::Currency;
use crate::records::{self, Page, Unique, string_enum};
use crate::sql::Value;
use crate::sql::{Connection, OptionalExtension, Row, params};
use crate::store::Tx;
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use lines::{LineRequest, QuoteLine};
use serde::{Deserialize, Serialize};
use totals::{TaxRounding, Totals};

string_enum! {
    /// Where a quote is in its life.
    QuoteStatus {
        /// Being written; the only status that can change.
        Draft = "draft",
        /// Sent to the customer and frozen.
        Sent = "sent",
        /// Accepted by the customer: the deal is won.
        Accepted = "accepted",
        /// Turned down by the customer.
        Rejected = "rejected",
        /// Sent, and its `validUntil` has passed.
        Expired = "expired",
        /// A later revision replaced it.
        Superseded = "superseded",
    }
}

/// One revision of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Its id, counted per tenant.
    pub id: QuoteId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// `Q-<year>-<nnnn>`: the same for every revision.
    pub number: String,
    /// 1 for the first, one more for each revision.
    pub revision: i64,
    /// The revision this one revised.
    pub previous_id: Option<QuoteId>,
    /// The deal it belongs to.
    pub deal_id: DealId,
    /// Whom the quote is addressed to: the deal's customer when the quote was first made.
    pub customer_id: Option<CustomerId>,
    /// The quote template it belongs to, if any.
    pub template_id: Option<QuoteTemplateId>,
    /// The deal's currency: every amount of the quote is in its minor units.
    pub currency: Currency,
    /// As of the read: a sent quote past `validUntil` reads `expired`.
    pub status: QuoteStatus,
    /// The last day it may be accepted.
    #[serde(with = "time::rfc3339::option")]
    pub valid_until: Option<Timestamp>,
    /// The quote-level discount, in basis points.
    pub discount_bp: i64,
    /// How its tax is rounded: per line or on each rate's sum.
    pub tax_rounding: TaxRounding,
    /// Notes printed under the lines.
    pub notes: Option<String>,
    /// Terms printed at the end.
    pub terms: Option<String>,
    /// The lines, in order; `None` in lists (`lineCount` says how many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<QuoteLine>>,
    /// How many lines it has.
    pub line_count: i64,
    /// Subtotal, discount, tax per rate and total.
    pub totals: Totals,
    /// When it was sent.
    #[serde(with = "time::rfc3339::option")]
    pub sent_at: Option<Timestamp>,
    /// When it was accepted, rejected or found expired.
    #[serde(with = "time::rfc3339::option")]
    pub decided_at: Option<Timestamp>,
    /// Why the customer turned it down.
    pub reject_reason: Option<String>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

impl Quote {
    /// The quote's status at `now`: what was stored, or `expired` for a sent quote whose
    /// validity has passed.
    fn status_at(
        stored: QuoteStatus,
        valid_until: Option<Timestamp>,
        now: Timestamp,
    ) -> QuoteStatus {
        match (stored, valid_until) {
            (QuoteStatus::Sent, Some(until)) if until < now => QuoteStatus::Expired,
            _ => stored,
        }
    }

    /// `Q-2026-0001`, revision 2 → `Q-2026-0001 rev. 2`; the first revision is the number alone.
    pub fn label(&self) -> String {
        if self.revision == 1 {
            self.number.clone()
        } else {
            format!("{} rev. {}", self.number, self.revision)
        }
    }
}

/// A quote's search document: its number (with its revision) as the title; its status, notes,
/// terms and lines' descriptions as the body.
pub(crate) const SEARCH_DOCUMENT: &str = "SELECT x.tenant_id, x.id,
                        x.number || CASE WHEN x.revision > 1 THEN ' rev. ' || x.revision ELSE '' END,
                        concat_ws(' ', x.status, x.notes, x.terms,
                                  (SELECT string_agg(l.description, ' ') FROM quote_lines l
                                    WHERE l.tenant_id = x.tenant_id AND l.quote_id = x.id)),
                        NULL, NULL, NULL, NULL, NULL
                   FROM quotes x";

/// What `quotes.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewQuote {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The deal it belongs to (of this tenant).
    pub deal_id: DealId,
    /// Copies the template's lines, discount, notes, terms, validity and tax rounding; what
    /// this request gives itself wins.
    #[serde(default)]
    pub template_id: Option<QuoteTemplateId>,
    /// The last day it may be accepted; when absent, the template's validity counted from today
    /// (none without a template that sets one).
    #[serde(default, with = "time::rfc3339::option")]
    pub valid_until: Option<Timestamp>,
    /// Its lines; the template's when absent.
    #[serde(default)]
    pub lines: Option<Vec<LineRequest>>,
    /// A discount on the whole quote, in basis points (0 to 10,000).
    #[serde(default)]
    pub discount_bp: Option<i64>,
    /// The tenant's default (`quotes.getSettings`) when neither this nor the template says.
    #[serde(default)]
    pub tax_rounding: Option<TaxRounding>,
    /// Notes printed under the lines.
    #[serde(default)]
    pub notes: Option<String>,
    /// Terms printed at the end.
    #[serde(default)]
    pub terms: Option<String>,
    /// When it was made, for records brought from elsewhere; now when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
    /// Answers the quote as it would be made (the template's content copied, the products'
    /// prices and rates filled in, the totals) and writes nothing: its number is not taken.
    #[serde(default)]
    pub dry_run: bool,
}

/// What `quotes.update` takes: a draft's `id` and what to change (`null` clears an optional
/// field; `lines` replaces every line).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteChanges {
    /// The draft to change.
    pub id: QuoteId,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `validUntil`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "time::rfc3339::patch::deserialize")]
    pub valid_until: Option<Option<Timestamp>>,
    /// The new `lines`; absent leaves it.
    pub lines: Option<Vec<LineRequest>>,
    /// The new `discountBp`; absent leaves it.
    pub discount_bp: Option<i64>,
    /// The new `taxRounding`; absent leaves it.
    pub tax_rounding: Option<TaxRounding>,
    /// The new `notes`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub notes: Option<Option<String>>,
    /// The new `terms`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub terms: Option<Option<String>>,
}

/// Filters of `quotes.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteFilter {
    /// Only those of this deal.
    pub deal_id: Option<DealId>,
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
    /// As read now: `expired` finds sent quotes past their validity too, `sent` leaves them out.
    pub status: Option<QuoteStatus>,
    /// Only the quotes these criteria hold for, over [`FIELDS`]; `status` reads as the
    /// quote is shown (a sent quote past its validity is `expired`, not `sent`).
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field of [`FIELDS`] marked sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// How a tenant's stored quotes compare with their lines (`quotes().verify()`, `crm check`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteCheck {
    /// Quotes read.
    pub quotes: u64,
    /// Quotes whose stored line amounts, line count or totals differ from what their lines
    /// compute to (at most 20 listed).
    pub wrong: Vec<QuoteId>,
}

impl QuoteCheck {
    /// `true` when every quote's amounts are what its lines compute to.
    pub fn consistent(&self) -> bool {
        self.wrong.is_empty()
    }
}

/// A quote's external id is unique within its tenant (a quote is not a `Record`, whose
/// writes check it themselves).
const EXTERNAL_ID: Unique = Unique {
    kind: RecordKind::Quote,
    column: "external_id",
    field: "externalId",
    any_case: false,
};

/// A quote's status as it reads at `{now}`: a sent quote past its validity is `expired`.
const STATUS_NOW: &str = "CASE WHEN {row}.status = 'sent' AND {row}.valid_until < {now} \
     THEN 'expired' ELSE {row}.status END";

/// The fields of a quote, as filters, sorts, list columns and `schema.fields` read them.
/// `status` is derived when read (see `STATUS_NOW`), so it filters but does not sort.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Quote),
    catalog::EXTERNAL_ID,
    Field::new("number", "number", FieldType::Text, "Number").sortable(),
    Field::new("revision", "revision", FieldType::Number, "Revision"),
    Field::new("dealId", "deal_id", FieldType::Id, "Deal").refers(RecordKind::Deal),
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("currency", "currency", FieldType::Text, "Currency"),
    Field::new("status", "status", FieldType::Enum, "Status").values(QuoteStatus::NAMES),
    Field::new("total", "total", FieldType::Money, "Total").sortable(),
    Field::new("lineCount", "line_count", FieldType::Number, "Lines"),
    Field::new("validUntil", "valid_until", FieldType::Time, "Valid until").sortable(),
    Field::new("sentAt", "sent_at", FieldType::Time, "Sent").sortable(),
    Field::new("decidedAt", "decided_at", FieldType::Time, "Decided").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

/// [`FIELDS`] as criteria read them: `status` as of now.
pub(crate) fn criteria_fields() -> Vec<FieldDef> {
    FIELDS
        .iter()
        .map(|f| {
            let mut def = FieldDef::own(*f);
            if f.name == "status" {
                def.read = Read::Derived(STATUS_NOW);
            }
            def
        })
        .collect()
}

/// The most lines a quote may have.
pub const MAX_LINES: usize = 5_000;

const COLUMNS: &str = "id, external_id, number, revision, previous_id, deal_id, customer_id,
    template_id, currency, status, valid_until, discount_bp, tax_rounding, notes, terms,
    line_count, totals, sent_at, decided_at, reject_reason, created_at, updated_at";

fn from_row(row: &Row<'_>, now: Timestamp) -> Result<Quote> {
    let conversion =
        |i: usize, e: Box<dyn std::error::Error + Send + Sync>| crate::sql::bad_column(i, e);
    let code: String = row.get(8)?;
    let currency = Currency::parse("currency", &code).map_err(|e| conversion(8, Box::new(e)))?;
    let totals: String = row.get(16)?;
    let totals = serde_json::from_str(&totals).map_err(|e| conversion(16, Box::new(e)))?;
    let valid_until = row.get::<_, Option<i64>>(10)?.map(time::from_millis);
    Ok(Quote {
        id: row.get(0)?,
        external_id: row.get(1)?,
        number: row.get(2)?,
        revision: row.get(3)?,
        previous_id: row.get(4)?,
        deal_id: row.get(5)?,
        customer_id: row.get(6)?,
        template_id: row.get(7)?,
        currency,
        status: Quote::status_at(row.get(9)?, valid_until, now),
        valid_until,
        discount_bp: row.get(11)?,
        tax_rounding: row.get(12)?,
        notes: row.get(13)?,
        terms: row.get(14)?,
        lines: None,
        line_count: row.get(15)?,
        totals,
        sent_at: row.get::<_, Option<i64>>(17)?.map(time::from_millis),
        decided_at: row.get::<_, Option<i64>>(18)?.map(time::from_millis),
        reject_reason: row.get(19)?,
        created_at: time::from_millis(row.get(20)?),
        updated_at: time::from_millis(row.get(21)?),
    })
}

/// The quote without its lines, as of `now`; `not_found` for another tenant's.
pub(crate) fn head(c: &Connection, tenant: i64, id: QuoteId, now: Timestamp) -> Result<Quote> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM quotes WHERE tenant_id = ?1 AND id = ?2"
    ))?
    .query_row(params![tenant, id], |r| from_row(r, now))
    .optional()?
    .ok_or_else(|| Error::not_found("quote", id))
}

/// The whole quote, lines included, as of `now`.
pub(crate) fn load(c: &Connection, tenant: i64, id: QuoteId, now: Timestamp) -> Result<Quote> {
    let mut quote = head(c, tenant, id, now)?;
    quote.lines = Some(lines::read(c, tenant, id)?);
    Ok(quote)
}

/// Writes the quote's row (its lines are written by [`lines::write`]); `snapshot` is the
/// document frozen by a send, kept once written.
pub(crate) fn store(tx: &Tx<'_>, quote: &Quote, snapshot: Option<&str>) -> Result<()> {
    let totals = serde_json::to_string(&quote.totals)
        .map_err(|e| Error::Internal(format!("cannot serialize totals: {e}")))?;
    let stored_status = match quote.status {
        // An expiry only read, not yet written, stays `sent` in the row.
        QuoteStatus::Expired if quote.decided_at.is_none() => QuoteStatus::Sent,
        other => other,
    };
    tx.prepare_cached(&format!(
        "INSERT INTO quotes (tenant_id, {COLUMNS}, total, snapshot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT (tenant_id, id) DO UPDATE SET
           external_id = excluded.external_id, status = excluded.status,
           valid_until = excluded.valid_until, discount_bp = excluded.discount_bp,
           tax_rounding = excluded.tax_rounding, notes = excluded.notes, terms = excluded.terms,
           line_count = excluded.line_count, totals = excluded.totals, total = excluded.total,
           snapshot = COALESCE(excluded.snapshot, quotes.snapshot), sent_at = excluded.sent_at,
           decided_at = excluded.decided_at, reject_reason = excluded.reject_reason,
           updated_at = excluded.updated_at"
    ))?
    .execute(params![
        tx.tenant,
        quote.id,
        quote.external_id,
        quote.number,
        quote.revision,
        quote.previous_id,
        quote.deal_id,
        quote.customer_id,
        quote.template_id,
        quote.currency.code(),
        stored_status,
        quote.valid_until.map(time::to_millis),
        quote.discount_bp,
        quote.tax_rounding,
        quote.notes,
        quote.terms,
        quote.line_count,
        totals,
        quote.sent_at.map(time::to_millis),
        quote.decided_at.map(time::to_millis),
        quote.reject_reason,
        time::to_millis(quote.created_at),
        time::to_millis(quote.updated_at),
        quote.totals.total,
        snapshot,
    ])?;
    Ok(())
}

/// The next number of this tenant for the year of `at`: one more than the last, so numbers
/// have no gaps. One upsert takes it and locks the counter's row until the transaction ends,
/// so no two creates share a number, on either engine, however many writers there are.
fn next_number(tx: &Tx<'_>, at: Timestamp) -> Result<String> {
    use chrono::Datelike as _;
    let year = at.year();
    let number: i64 = tx
        .prepare_cached(
            "INSERT INTO quote_numbers (tenant_id, year, last) VALUES (?1, ?2, 1)
             ON CONFLICT (tenant_id, year) DO UPDATE SET last = quote_numbers.last + 1
             RETURNING last",
        )?
        .query_row(params![tx.tenant, year], |r| r.get(0))?;
    Ok(format!("Q-{year:04}-{number:04}"))
}

/// A validity date must lie ahead when it is set.
fn valid_until(tx: &Tx<'_>, at: Option<Timestamp>) -> Result<Option<Timestamp>> {
    let at = time::check_opt("validUntil", at)?;
    if let Some(at) = at
        && at <= tx.now
    {
        return Err(Error::invalid(
            "validUntil",
            format!("must lie ahead; it was {}", at.to_rfc3339()),
        ));
    }
    Ok(at)
}

/// Notes or terms: at most a body's length; blank means none.
fn text(field: &str, value: Option<String>) -> Result<Option<String>> {
    Ok(validate::opt_body(field, value)?.filter(|v| !v.trim().is_empty()))
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewQuote) -> Result<Quote> {
    let deal: Deal = records::get(tx, tx.tenant, new.deal_id.0).map_err(|e| match e {
        Error::NotFound { .. } => {
            Error::invalid("dealId", format!("deal {} not found", new.deal_id))
        }
        other => other,
    })?;
    let currency = Currency::parse("dealId", &deal.currency)?;
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let template = new
        .template_id
        .map(|id| templates::get_in(tx, id, "templateId"))
        .transpose()?;
    let settings = settings::read(tx, tx.tenant)?;
    let from_template =
        |f: fn(&templates::QuoteTemplate) -> Option<String>| template.as_ref().and_then(f);
    let requested_lines = match (new.lines, &template) {
        (Some(lines), _) => lines,
        (None, Some(t)) => t.lines.clone(),
        (None, None) => Vec::new(),
    };
    let valid_until = match (
        new.valid_until,
        template.as_ref().and_then(|t| t.valid_days),
    ) {
        (Some(at), _) => valid_until(tx, Some(at))?,
        (None, Some(days)) => Some(templates::valid_until(at, days)),
        (None, None) => None,
    };
    let discount_bp = totals::basis_points(
        "discountBp",
        new.discount_bp
            .or(template.as_ref().map(|t| t.discount_bp))
            .unwrap_or(0),
    )?;
    let tax_rounding = new
        .tax_rounding
        .or(template.as_ref().and_then(|t| t.tax_rounding))
        .unwrap_or(settings.tax_rounding);
    let external_id = validate::external_id(new.external_id)?;
    if let Some(id) = &external_id {
        tx.ensure_unique(&EXTERNAL_ID, id, None)?;
    }
    let (lines, totals) =
        lines::resolve(tx, &requested_lines, currency, discount_bp, tax_rounding)?;
    let quote = Quote {
        id: QuoteId(tx.next_id(RecordKind::Quote)?),
        external_id,
        number: next_number(tx, at)?,
        revision: 1,
        previous_id: None,
        deal_id: deal.id,
        customer_id: deal.customer_id,
        template_id: new.template_id,
        currency,
        status: QuoteStatus::Draft,
        valid_until,
        discount_bp,
        tax_rounding,
        notes: text(
            "notes",
            new.notes.or_else(|| from_template(|t| t.notes.clone())),
        )?,
        terms: text(
            "terms",
            new.terms.or_else(|| from_template(|t| t.terms.clone())),
        )?,
        line_count: lines.len() as i64,
        lines: Some(lines),
        totals,
        sent_at: None,
        decided_at: None,
        reject_reason: None,
        created_at: at,
        updated_at: at,
    };
    store(tx, &quote, None)?;
    lines::write(tx, quote.id, quote.lines.as_deref().unwrap_or_default())?;
    tx.record_change(
        methods::QUOTES_CREATE,
        RecordKind::Quote,
        quote.id.0,
        None,
        Some(&quote),
    )?;
    lifecycle::activity(tx, &quote, lifecycle::Step::Created, Some(at))?;
    Ok(quote)
}

/// `conflict` unless the quote is a draft: only drafts change.
fn draft_only(quote: &Quote, what: &str) -> Result<()> {
    if quote.status == QuoteStatus::Draft {
        Ok(())
    } else {
        Err(Error::conflict(format!(
            "quote {} ({}) is {}: only drafts can be {what}; revise it for a new draft",
            quote.id,
            quote.label(),
            quote.status
        )))
    }
}

fn update(tx: &mut Tx<'_>, changes: QuoteChanges) -> Result<Quote> {
    let before = load(tx, tx.tenant, changes.id, tx.now)?;
    draft_only(&before, "changed")?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
        if let Some(id) = &after.external_id
            && before.external_id.as_ref() != Some(id)
        {
            tx.ensure_unique(&EXTERNAL_ID, id, None)?;
        }
    }
    if let Some(v) = changes.valid_until {
        after.valid_until = valid_until(tx, v)?;
    }
    if let Some(v) = changes.discount_bp {
        after.discount_bp = totals::basis_points("discountBp", v)?;
    }
    if let Some(v) = changes.tax_rounding {
        after.tax_rounding = v;
    }
    if let Some(v) = changes.notes {
        after.notes = text("notes", v)?;
    }
    if let Some(v) = changes.terms {
        after.terms = text("terms", v)?;
    }
    let lines_changed = changes.lines.is_some();
    // Discount and rounding change every line's amounts: they are computed again either way.
    let (lines, totals) = match changes.lines {
        Some(requested) => lines::resolve(
            tx,
            &requested,
            after.currency,
            after.discount_bp,
            after.tax_rounding,
        )?,
        None => lines::recompute(
            after.lines.take().unwrap_or_default(),
            after.discount_bp,
            after.tax_rounding,
        )?,
    };
    after.line_count = lines.len() as i64;
    after.lines = Some(lines);
    after.totals = totals;
    after.updated_at = tx.now;
    store(tx, &after, None)?;
    if lines_changed || after.lines != before.lines {
        lines::write(tx, after.id, after.lines.as_deref().unwrap_or_default())?;
    }
    tx.record_change(
        methods::QUOTES_UPDATE,
        RecordKind::Quote,
        after.id.0,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// `quotes.*`.
#[derive(Debug, Clone, Copy)]
pub struct Quotes<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Quotes of this tenant.
    pub fn quotes(&self) -> Quotes<'_, 'c> {
        Quotes(self)
    }
}

impl Quotes<'_, '_> {
    /// A new draft for a deal, numbered; from a template if one is named. Its amounts are
    /// exact: integer minor units, rounded half away from zero once per tax rate or line.
    ///
    /// ```
    /// # use crm_core::{Crm, tenancy::{NewAdmin, NewTenant}};
    /// # let crm = Crm::open_in_memory()?;
    /// # let acme = crm.create_tenant(NewTenant { tenant_id: "acme".into(), name: "Acme".into(),
    /// #     default_region: None, admin: NewAdmin { name: "Ada".into(), email: "ada@acme.test".into() } })?;
    /// let scope = crm.scope("acme", Some(acme.admin.id))?;
    /// use serde_json::json;
    /// let pipeline = scope.pipelines().create(serde_json::from_value(json!({"name": "Sales",
    ///     "stages": [{"name": "Open", "probability": 10, "kind": "open"},
    ///                {"name": "Won", "probability": 100, "kind": "won"},
    ///                {"name": "Lost", "probability": 0, "kind": "lost"}]}))?)?;
    /// let deal = scope.deals().create(serde_json::from_value(json!({"pipelineId": pipeline.id,
    ///     "title": "Fleet", "value": 0, "currency": "EUR"}))?)?;
    /// let quote = scope.quotes().create(serde_json::from_value(json!({"dealId": deal.id,
    ///     "lines": [{"description": "Licence", "quantity": 3, "unitPrice": 1999, "taxRateBp": 2000}]}))?)?;
    /// // 3 × 19.99 = 59.97, and 20 % tax on it: 11.99 (11.994 rounded).
    /// assert_eq!((quote.totals.subtotal, quote.totals.total), (5997, 7196));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(&self, new: NewQuote) -> Result<Quote> {
        if new.dry_run {
            self.0.write_rolled_back(|tx| create(tx, new))
        } else {
            self.0.write(|tx| create(tx, new))
        }
    }

    /// The quote with its lines; its status as of now.
    pub fn get(&self, id: QuoteId) -> Result<Quote> {
        self.0.read(|c, t| load(c, t, id, time::now()))
    }

    /// The quote whose `externalId` this is.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Quote> {
        self.0.read(|c, t| {
            let id: QuoteId = c
                .prepare_cached("SELECT id FROM quotes WHERE tenant_id = ?1 AND external_id = ?2")?
                .query_row(params![t, external_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| {
                    Error::not_found(
                        "quote",
                        format!("with externalId {:?}", crate::error::clip(external_id)),
                    )
                })?;
            load(c, t, id, time::now())
        })
    }

    /// Changes a draft; anything else is `conflict`.
    pub fn update(&self, changes: QuoteChanges) -> Result<Quote> {
        self.0.write(|tx| update(tx, changes))
    }

    /// A page of quotes, newest first, without their lines; statuses as of now.
    pub fn list(&self, filter: &QuoteFilter) -> Result<Page<Quote>> {
        let now = time::now();
        let page = records::PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let test = Where::read_defs(filter.r#where.as_ref(), criteria_fields(), "quotes")?;
        let order = records::Order::read(filter.sort.as_ref(), FIELDS)?;
        let status = filter.status;
        let filters = vec![
            ("deal_id", records::id_value(filter.deal_id)),
            ("customer_id", records::id_value(filter.customer_id)),
        ];
        let listing = records::Listing {
            columns: COLUMNS,
            from: "quotes",
            name: RecordKind::Quote.plural(),
        };
        self.0.read(|c, t| {
            listing.page(
                c,
                t,
                filters,
                &order,
                &page,
                |params| {
                    let test = test.sql(params)?;
                    let Some(status) = status else {
                        return Ok(test);
                    };
                    params.push(Value::from(status));
                    Ok(format!(
                        "{test} AND ({}) = ?{}",
                        STATUS_NOW
                            .replace("{row}", "quotes")
                            .replace("{now}", &time::to_millis(now).to_string()),
                        params.len()
                    ))
                },
                |r| from_row(r, now),
            )
        })
    }
}

/// Computes every quote's amounts again from its stored lines and compares. Nothing is
/// mended: a sent quote's amounts are what the customer was sent, so a difference is damage a
/// person must look at.
fn verify(c: &Connection, tenant: i64) -> Result<QuoteCheck> {
    let stored: Vec<(QuoteId, i64)> = c
        .prepare("SELECT id, total FROM quotes WHERE tenant_id = ?1 ORDER BY id")?
        .query_map(params![tenant], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut check = QuoteCheck {
        quotes: stored.len() as u64,
        wrong: Vec::new(),
    };
    let now = time::now();
    for (id, stored_total) in stored {
        let quote = load(c, tenant, id, now)?;
        let lines = quote.lines.clone().unwrap_or_default();
        let same = match lines::recompute(lines.clone(), quote.discount_bp, quote.tax_rounding) {
            Ok((computed, totals)) => {
                computed == lines
                    && totals == quote.totals
                    && stored_total == totals.total
                    && quote.line_count == lines.len() as i64
            }
            Err(_) => false,
        };
        if !same && check.wrong.len() < 20 {
            check.wrong.push(id);
        }
    }
    Ok(check)
}

impl Quotes<'_, '_> {
    /// Checks every quote's stored amounts against its lines.
    pub fn verify(&self) -> Result<QuoteCheck> {
        self.0.read(verify)
    }
}

#[cfg(test)]
mod tests;
