//! A quote's lines: what a request names (a product, or free text with a price) and what is
//! stored (every value settled, with its amounts).

use super::totals::{self, LineAmounts, LineInput, Quantity, TaxRounding, Totals};
use crate::error::{Error, Result};
use crate::ids::{ProductId, QuoteId};
use crate::money::Currency;
use crate::products::Product;
use crate::sql::{Connection, params};
use crate::store::Tx;
use serde::{Deserialize, Serialize};

/// Longest line description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A line as `quotes.create`, `quotes.update` and templates take it. With a `productId`, what
/// is left out comes from the product: its name, unit price (when in the quote's currency) and
/// tax rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineRequest {
    /// The product sold, of this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// What is sold, in words; the product's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// More than 0, at most three decimals: a JSON number (`0.5`) or a string (`"0.5"`).
    pub quantity: Quantity,
    /// Minor units of the quote's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<i64>,
    /// A discount on this line, in basis points (0 to 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_bp: Option<i64>,
    /// The tax rate, in basis points; the product's (or 0) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_bp: Option<i64>,
}

impl LineRequest {
    /// A free-text line.
    pub fn text(description: &str, quantity: Quantity, unit_price: i64) -> LineRequest {
        LineRequest {
            product_id: None,
            description: Some(description.to_owned()),
            quantity,
            unit_price: Some(unit_price),
            discount_bp: None,
            tax_rate_bp: None,
        }
    }
}

/// A stored line with its amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    /// The product sold, if one.
    pub product_id: Option<ProductId>,
    /// What is sold, in words.
    pub description: String,
    /// How many.
    pub quantity: Quantity,
    /// Minor units.
    pub unit_price: i64,
    /// The discount on this line, in basis points.
    pub discount_bp: i64,
    /// The tax rate, in basis points.
    pub tax_rate_bp: i64,
    /// Quantity × unit price, rounded.
    pub gross: i64,
    /// After the line's and the quote's discounts, rounded once.
    pub net: i64,
    /// The rounded net's tax, rounded (the line's share under `perLine`).
    pub tax: i64,
}

impl QuoteLine {
    /// The same line as a request (what a revision or a template copies).
    pub fn request(&self) -> LineRequest {
        LineRequest {
            product_id: self.product_id,
            description: Some(self.description.clone()),
            quantity: self.quantity,
            unit_price: Some(self.unit_price),
            discount_bp: Some(self.discount_bp),
            tax_rate_bp: Some(self.tax_rate_bp),
        }
    }

    fn input(&self) -> LineInput {
        LineInput {
            quantity: self.quantity,
            unit_price: self.unit_price,
            discount_bp: self.discount_bp,
            tax_rate_bp: self.tax_rate_bp,
        }
    }
}

fn description(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_DESCRIPTION_CHARS} characters, got {chars}"),
        ));
    }
    Ok(text.to_owned())
}

/// `invalid_input` on `lines` beyond [`super::MAX_LINES`].
pub(crate) fn check_count(requests: &[LineRequest]) -> Result<()> {
    if requests.len() > super::MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("at most {} lines, got {}", super::MAX_LINES, requests.len()),
        ));
    }
    Ok(())
}

/// Settles each requested line against its product (which must be this tenant's, and on offer
/// when the line takes its description or price from it) and computes every amount. Faults name the line: `lines[3].unitPrice`.
pub(crate) fn resolve(
    tx: &Tx<'_>,
    requests: &[LineRequest],
    currency: Currency,
    discount_bp: i64,
    rounding: TaxRounding,
) -> Result<(Vec<QuoteLine>, Totals)> {
    check_count(requests)?;
    let mut lines = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let product = match request.product_id {
            Some(id) => {
                let product: Product = tx.require(&field("productId"), id.0)?;
                // A product no longer offered stays on lines that carry their own description
                // and price (a revision of an older quote); a line that would take them from
                // the product needs one on offer.
                let borrows = request.description.is_none() || request.unit_price.is_none();
                if !product.active && borrows {
                    return Err(Error::invalid(
                        field("productId"),
                        format!("product {id} ({}) is not offered (inactive)", product.name),
                    ));
                }
                Some(product)
            }
            None => None,
        };
        let description = match (&request.description, &product) {
            (Some(text), _) => description(&field("description"), text)?,
            (None, Some(p)) => p.name.clone(),
            (None, None) => {
                return Err(Error::invalid(
                    field("description"),
                    "required on a line without a productId",
                ));
            }
        };
        let unit_price = match (request.unit_price, &product) {
            (Some(price), _) => price,
            (None, Some(p)) if p.unit_price.currency == currency => p.unit_price.amount,
            (None, Some(p)) => {
                return Err(Error::invalid(
                    field("unitPrice"),
                    format!(
                        "product {} is priced in {}, the quote is in {}: give the line a unitPrice",
                        p.id,
                        p.unit_price.currency.code(),
                        currency.code()
                    ),
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    field("unitPrice"),
                    "required on a line without a productId",
                ));
            }
        };
        lines.push(QuoteLine {
            product_id: request.product_id,
            description,
            quantity: request.quantity,
            unit_price,
            discount_bp: request.discount_bp.unwrap_or(0),
            tax_rate_bp: request
                .tax_rate_bp
                .or(product.as_ref().map(|p| p.tax_rate_bp))
                .unwrap_or(0),
            gross: 0,
            net: 0,
            tax: 0,
        });
    }
    recompute(lines, discount_bp, rounding)
}

/// The lines' amounts and the totals for this quote discount and rounding.
pub(crate) fn recompute(
    mut lines: Vec<QuoteLine>,
    discount_bp: i64,
    rounding: TaxRounding,
) -> Result<(Vec<QuoteLine>, Totals)> {
    let inputs: Vec<LineInput> = lines.iter().map(QuoteLine::input).collect();
    let (amounts, totals) = totals::compute(&inputs, discount_bp, rounding)?;
    for (line, LineAmounts { gross, net, tax }) in lines.iter_mut().zip(amounts) {
        line.gross = gross;
        line.net = net;
        line.tax = tax;
    }
    Ok((lines, totals))
}

/// The quote's lines, in order.
pub(crate) fn read(c: &Connection, tenant: i64, quote: QuoteId) -> Result<Vec<QuoteLine>> {
    let mut stmt = c.prepare_cached(
        "SELECT product_id, description, quantity, unit_price, discount_bp, tax_rate_bp, gross, net, tax
           FROM quote_lines WHERE tenant_id = ?1 AND quote_id = ?2 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![tenant, quote], |r| {
        let quantity: i64 = r.get(2)?;
        Ok(QuoteLine {
            product_id: r.get(0)?,
            description: r.get(1)?,
            // Stored quantities were checked on the way in (and by the table's CHECK).
            quantity: Quantity::from_thousandths(quantity).unwrap_or(Quantity::MAX),
            unit_price: r.get(3)?,
            discount_bp: r.get(4)?,
            tax_rate_bp: r.get(5)?,
            gross: r.get(6)?,
            net: r.get(7)?,
            tax: r.get(8)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

/// Replaces the quote's lines.
pub(crate) fn write(tx: &Tx<'_>, quote: QuoteId, lines: &[QuoteLine]) -> Result<()> {
    tx.prepare_cached("DELETE FROM quote_lines WHERE tenant_id = ?1 AND quote_id = ?2")?
        .execute(params![tx.tenant, quote])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO quote_lines (tenant_id, quote_id, position, product_id, description, quantity,
                                  unit_price, discount_bp, tax_rate_bp, gross, net, tax)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (position, line) in lines.iter().enumerate() {
        insert.execute(params![
            tx.tenant,
            quote,
            position as i64,
            line.product_id,
            line.description,
            line.quantity.thousandths(),
            line.unit_price,
            line.discount_bp,
            line.tax_rate_bp,
            line.gross,
            line.net,
            line.tax,
        ])?;
    }
    Ok(())
}

/// Checks a template's lines before they are kept: products of this tenant, descriptions,
/// prices and rates in range, and a description and price on every line without a product.
/// (Whether a product is offered, and in which currency, is settled when a quote uses them.)
pub(crate) fn check_products(tx: &Tx<'_>, requests: &[LineRequest]) -> Result<()> {
    check_count(requests)?;
    for (i, request) in requests.iter().enumerate() {
        if let Some(id) = request.product_id {
            tx.require::<Product>(&format!("lines[{i}].productId"), id.0)?;
        }
        if let Some(text) = &request.description {
            description(&format!("lines[{i}].description"), text)?;
        }
        if let Some(price) = request.unit_price
            && price < 0
        {
            return Err(Error::invalid(
                format!("lines[{i}].unitPrice"),
                format!("must be at least 0, got {price}"),
            ));
        }
        for (name, bp) in [
            ("discountBp", request.discount_bp),
            ("taxRateBp", request.tax_rate_bp),
        ] {
            if let Some(bp) = bp {
                totals::basis_points(&format!("lines[{i}].{name}"), bp)?;
            }
        }
        if request.product_id.is_none() && request.description.is_none() {
            return Err(Error::invalid(
                format!("lines[{i}].description"),
                "required on a line without a productId",
            ));
        }
        if request.product_id.is_none() && request.unit_price.is_none() {
            return Err(Error::invalid(
                format!("lines[{i}].unitPrice"),
                "required on a line without a productId",
            ));
        }
    }
    Ok(())
}
