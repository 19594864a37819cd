//! `quotes.render`: a quote as a complete, printable document — seller, customer, number and
//! dates, lines, tax per rate, totals, notes and terms — in plain text or self-contained HTML
//! (one file, inline style, every field escaped). A draft is rendered from the records as they
//! are; a sent quote from the document frozen when it was sent.

use super::lines::QuoteLine;
use super::totals::{TaxRounding, Totals};
use super::{Quote, QuoteStatus, load};
use crate::error::{Error, Result};
use crate::ids::QuoteId;
use crate::money::{Currency, Money};
use crate::sql::{Connection, OptionalExtension, params};
use crate::time::{self, Timestamp};
use htmlescape::encode_minimal as esc;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// A party of the quote: its name and the lines printed under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// The name printed.
    pub name: String,
    /// The lines printed under it (address, email, phone).
    pub details: Vec<String>,
}

/// What a rendered quote shows; frozen into the quote when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Who sells: the tenant.
    pub seller: Party,
    /// Who buys: the deal's customer, if it has one.
    pub customer: Option<Party>,
    /// The deal's title.
    pub deal: String,
    /// The quote's number.
    pub number: String,
    /// Which revision it is (1 for the first).
    pub revision: i64,
    /// The currency of every amount.
    pub currency: Currency,
    /// When it was sent (a draft: when it was made).
    #[serde(with = "time::rfc3339")]
    pub issued_at: Timestamp,
    /// The last day it may be accepted.
    #[serde(with = "time::rfc3339::option")]
    pub valid_until: Option<Timestamp>,
    /// The discount on the whole quote, in basis points.
    pub discount_bp: i64,
    /// How its tax is rounded.
    pub tax_rounding: TaxRounding,
    /// Its lines with their amounts.
    pub lines: Vec<QuoteLine>,
    /// Subtotal, discount, tax per rate and total.
    pub totals: Totals,
    /// Notes printed under the lines.
    pub notes: Option<String>,
    /// Terms printed at the end.
    pub terms: Option<String>,
}

/// A format `quotes.render` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    /// Plain text, for a terminal or a mail body.
    Text,
    /// One self-contained HTML page.
    Html,
}

/// What `quotes.render` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenderRequest {
    /// The quote.
    pub id: QuoteId,
    /// Text or HTML.
    pub format: Format,
}

/// A rendered quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    /// The format written.
    pub format: Format,
    /// `text/plain; charset=utf-8` or `text/html; charset=utf-8`.
    pub media_type: &'static str,
    /// The document.
    pub content: String,
}

/// The document of `quote` from the records as they are now.
pub(crate) fn document(c: &Connection, tenant: i64, quote: &Quote) -> Result<Document> {
    let (seller_name, seller): (String, Option<String>) = c
        .prepare_cached(
            "SELECT t.name, s.seller FROM tenants t
               LEFT JOIN quote_settings s ON s.tenant_id = t.id WHERE t.id = ?1",
        )?
        .query_row(params![tenant], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let customer = match quote.customer_id {
        Some(id) => c
            .prepare_cached(
                "SELECT name, company, email, phone FROM customers WHERE tenant_id = ?1 AND id = ?2",
            )?
            .query_row(params![tenant, id], |r| {
                let details: Vec<Option<String>> = vec![r.get(1)?, r.get(2)?, r.get(3)?];
                Ok(Party {
                    name: r.get(0)?,
                    details: details.into_iter().flatten().collect(),
                })
            })
            .optional()?,
        None => None,
    };
    let deal: String = c
        .prepare_cached("SELECT title FROM deals WHERE tenant_id = ?1 AND id = ?2")?
        .query_row(params![tenant, quote.deal_id], |r| r.get(0))?;
    Ok(Document {
        seller: Party {
            name: seller_name,
            details: seller
                .map(|s| s.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
        },
        customer,
        deal,
        number: quote.number.clone(),
        revision: quote.revision,
        currency: quote.currency,
        issued_at: quote.sent_at.unwrap_or(quote.created_at),
        valid_until: quote.valid_until,
        discount_bp: quote.discount_bp,
        tax_rounding: quote.tax_rounding,
        lines: quote.lines.clone().unwrap_or_default(),
        totals: quote.totals.clone(),
        notes: quote.notes.clone(),
        terms: quote.terms.clone(),
    })
}

/// The document a reader sees: the frozen one once sent, the live one for a draft.
fn current(c: &Connection, tenant: i64, id: QuoteId) -> Result<(Quote, Document)> {
    let quote = load(c, tenant, id, time::now())?;
    let snapshot: Option<String> = c
        .prepare_cached("SELECT snapshot FROM quotes WHERE tenant_id = ?1 AND id = ?2")?
        .query_row(params![tenant, id], |r| r.get(0))?;
    let document = match snapshot {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::Internal(format!("quote {id}'s sent document is damaged: {e}")))?,
        None => document(c, tenant, &quote)?,
    };
    Ok((quote, document))
}

fn amount(d: &Document, minor: i64) -> String {
    Money::new(minor, d.currency).amount_text()
}

/// `2,200` → `22%`, `550` → `5.5%`.
pub fn percent(bp: i64) -> String {
    let (whole, rest) = (bp / 100, bp % 100);
    if rest == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{}%", format!("{rest:02}").trim_end_matches('0'))
    }
}

/// The totals as both formats list them: subtotal, discount (when there is one), tax per
/// rate on its base, and the total last.
fn total_rows(d: &Document) -> Vec<(String, String)> {
    let money = |minor: i64| format!("{} {}", d.currency.code(), amount(d, minor));
    let mut rows = vec![("Subtotal".to_owned(), money(d.totals.subtotal))];
    if d.totals.discount != 0 {
        rows.push(("Discount".to_owned(), money(-d.totals.discount)));
    }
    for t in &d.totals.tax {
        rows.push((
            format!("Tax {} on {}", percent(t.rate_bp), money(t.base)),
            money(t.amount),
        ));
    }
    rows.push(("Total".to_owned(), money(d.totals.total)));
    rows
}

/// A line's discount, or nothing for none.
fn discount(bp: i64) -> String {
    if bp == 0 { String::new() } else { percent(bp) }
}

fn day(t: Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn title(d: &Document) -> String {
    if d.revision == 1 {
        format!("Quote {}", d.number)
    } else {
        format!("Quote {} (revision {})", d.number, d.revision)
    }
}

/// A status worth printing on the page: anything but a quote as sent.
fn banner(status: QuoteStatus) -> Option<&'static str> {
    match status {
        QuoteStatus::Draft => Some("DRAFT — not sent"),
        QuoteStatus::Expired => Some("EXPIRED"),
        QuoteStatus::Superseded => Some("SUPERSEDED by a later revision"),
        QuoteStatus::Rejected => Some("REJECTED"),
        QuoteStatus::Accepted => Some("ACCEPTED"),
        QuoteStatus::Sent => None,
    }
}

/// Plain text, for mail bodies and terminals.
pub fn text(d: &Document, status: QuoteStatus) -> String {
    let mut out = String::new();
    let code = d.currency.code();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{}", title(d));
    if let Some(b) = banner(status) {
        let _ = writeln!(out, "{b}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "From: {}", d.seller.name);
    for line in &d.seller.details {
        let _ = writeln!(out, "      {line}");
    }
    if let Some(c) = &d.customer {
        let _ = writeln!(out, "To:   {}", c.name);
        for line in &c.details {
            let _ = writeln!(out, "      {line}");
        }
    }
    let _ = writeln!(out, "For:  {}", d.deal);
    let _ = writeln!(out, "Date: {}", day(d.issued_at));
    if let Some(until) = d.valid_until {
        let _ = writeln!(out, "Valid until: {}", day(until));
    }
    let _ = writeln!(out);
    let rows: Vec<[String; 6]> = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            [
                format!("{}. {}", i + 1, l.description),
                l.quantity.to_string(),
                amount(d, l.unit_price),
                discount(l.discount_bp),
                percent(l.tax_rate_bp),
                amount(d, l.net),
            ]
        })
        .collect();
    let header = [
        "Item".to_owned(),
        "Qty".to_owned(),
        format!("Unit ({code})"),
        "Disc.".to_owned(),
        "Tax".to_owned(),
        format!("Net ({code})"),
    ];
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let write_row = |out: &mut String, row: &[String; 6]| {
        let pad = |s: &str, w: usize| " ".repeat(w.saturating_sub(s.chars().count()));
        let _ = write!(out, "{}{}", row[0], pad(&row[0], widths[0]));
        for (cell, w) in row.iter().zip(widths).skip(1) {
            let _ = write!(out, "  {}{cell}", pad(cell, w));
        }
        let _ = writeln!(out);
    };
    write_row(&mut out, &header);
    let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 10));
    for row in &rows {
        write_row(&mut out, row);
    }
    let _ = writeln!(out);
    let totals = total_rows(d);
    let label_width = totals
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let value_width = totals
        .iter()
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value) in &totals {
        let _ = writeln!(
            out,
            "{:<label_width$}  {value:>value_width$}",
            format!("{label}:")
        );
    }
    for (label, text) in [("Notes", &d.notes), ("Terms", &d.terms)] {
        if let Some(text) = text {
            let _ = writeln!(out, "\n{label}:\n{text}");
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;\
max-width:52rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.6rem;margin:0}\
.banner{display:inline-block;border:2px solid #b00;color:#b00;padding:.1rem .5rem;\
font-weight:bold;margin:.5rem 0}.parties{display:flex;gap:3rem;margin:1.5rem 0}\
.parties p{margin:.1rem 0}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}\
dt{color:#666}dd{margin:0}table{width:100%;border-collapse:collapse;margin:1.5rem 0}\
th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}\
th{text-align:left;background:#f4f4f4}.n{text-align:right;white-space:nowrap}\
.totals{margin-left:auto;width:auto}.totals td{border:none}.grand td{font-weight:bold;\
border-top:2px solid #222}.text{white-space:pre-wrap}@media print{body{margin:0}}";

/// One self-contained HTML page; every field is escaped.
pub fn html(d: &Document, status: QuoteStatus) -> String {
    let code = esc(d.currency.code());
    let mut out = String::with_capacity(4_096 + d.lines.len() * 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title(d)),
        esc(&title(d))
    );
    if let Some(b) = banner(status) {
        let _ = writeln!(out, "<div class=\"banner\">{}</div>", esc(b));
    }
    let party = |out: &mut String, role: &str, p: &Party| {
        let _ = write!(
            out,
            "<div><p><strong>{}</strong></p><p>{}</p>",
            esc(role),
            esc(&p.name)
        );
        for line in &p.details {
            let _ = write!(out, "<p>{}</p>", esc(line));
        }
        let _ = writeln!(out, "</div>");
    };
    out.push_str("<section class=\"parties\">\n");
    party(&mut out, "From", &d.seller);
    if let Some(c) = &d.customer {
        party(&mut out, "To", c);
    }
    out.push_str("</section>\n<dl>");
    let _ = write!(out, "<dt>Deal</dt><dd>{}</dd>", esc(&d.deal));
    let _ = write!(out, "<dt>Date</dt><dd>{}</dd>", day(d.issued_at));
    if let Some(until) = d.valid_until {
        let _ = write!(out, "<dt>Valid until</dt><dd>{}</dd>", day(until));
    }
    let _ = writeln!(out, "<dt>Currency</dt><dd>{code}</dd></dl>");
    out.push_str(
        "<table>\n<thead><tr><th>#</th><th>Item</th><th class=\"n\">Qty</th>\
         <th class=\"n\">Unit price</th><th class=\"n\">Discount</th><th class=\"n\">Tax</th>\
         <th class=\"n\">Net</th></tr></thead>\n<tbody>\n",
    );
    for (i, l) in d.lines.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            i + 1,
            esc(&l.description),
            l.quantity,
            amount(d, l.unit_price),
            discount(l.discount_bp),
            percent(l.tax_rate_bp),
            amount(d, l.net)
        );
    }
    out.push_str("</tbody>\n</table>\n<table class=\"totals\">\n");
    let totals = total_rows(d);
    let last = totals.len() - 1;
    for (i, (label, value)) in totals.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td class=\"n\">{}</td></tr>",
            if i == last { " class=\"grand\"" } else { "" },
            esc(label),
            esc(value)
        );
    }
    out.push_str("</table>\n");
    for (label, text) in [("Notes", &d.notes), ("Terms", &d.terms)] {
        if let Some(text) = text {
            let _ = writeln!(
                out,
                "<h2>{label}</h2>\n<div class=\"text\">{}</div>",
                esc(text)
            );
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

impl super::Quotes<'_, '_> {
    /// The quote as a printable document.
    pub fn render(&self, request: &RenderRequest) -> Result<Rendered> {
        let (quote, document) = self.0.read(|c, t| current(c, t, request.id))?;
        Ok(match request.format {
            Format::Text => Rendered {
                format: Format::Text,
                media_type: "text/plain; charset=utf-8",
                content: text(&document, quote.status),
            },
            Format::Html => Rendered {
                format: Format::Html,
                media_type: "text/html; charset=utf-8",
                content: html(&document, quote.status),
            },
        })
    }

    /// The document a render would show.
    pub fn document(&self, id: QuoteId) -> Result<Document> {
        self.0.read(|c, t| current(c, t, id)).map(|(_, d)| d)
    }
}
