//! A quote's arithmetic (API.md "Products and quotes"), in integers only: quantities in
//! thousandths, money in minor units, rates and discounts in basis points, every product kept
//! exact in 128 bits and rounded half away from zero to the minor unit where the contract says,
//! and nowhere else.
//!
//! For a line, gross = quantity × unit price, and net = quantity × unit price × (1 − line
//! discount) × (1 − quote discount), each rounded once. With `perLine` tax rounding each line's
//! tax is its rounded net × its rate, rounded, and a rate's amount is the sum of its lines'
//! taxes; with `global` a rate's amount is the sum of its lines' *unrounded* nets × the rate,
//! rounded once. A rate's base is the sum of its lines' rounded nets; subtotal = Σ gross,
//! discount = subtotal − Σ net, total = Σ net + Σ tax amounts.
//!
//! The worked case: 16 × 348.35 at a 4% discount and 22% tax is a net of 5,350.66 (5,350.656);
//! per line the tax is 1,177.15 (of 1,177.1452) and the total 6,527.81; globally the tax is
//! 1,177.14 (of 1,177.14432) and the total 6,527.80.

use crate::error::{Error, Result};
pub use crate::money::basis_points;
use crate::money::{BP_WHOLE, round_half_away};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Thousandths in one unit.
const MILLI: i64 = 1_000;

/// A quantity with up to three decimals, more than 0 and at most a thousand million, held
/// exactly in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// The largest quantity: 1,000,000,000 units.
    pub const MAX: Quantity = Quantity(1_000_000_000 * MILLI);

    /// `n` thousandths, if that is more than 0 and at most [`Quantity::MAX`].
    pub fn from_thousandths(n: i64) -> Option<Quantity> {
        (1..=Quantity::MAX.0).contains(&n).then_some(Quantity(n))
    }

    /// The quantity in thousandths (1.5 is 1,500).
    pub fn thousandths(self) -> i64 {
        self.0
    }

    /// Reads `16`, `0.5`, `1000000.001`: digits with at most three decimals, never rounded.
    pub fn parse(field: &str, text: &str) -> Result<Quantity> {
        let bad =
            |why: &str| Error::invalid(field, format!("{why}: {:?}", crate::error::clip(text)));
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("a quantity is digits with at most three decimals"));
        }
        if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("a quantity has at most three decimals"));
        }
        if text.contains('.') && fraction.is_empty() {
            return Err(bad("a quantity is digits with at most three decimals"));
        }
        let too_large = || bad("a quantity is at most 1,000,000,000");
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        let fraction: i64 = format!("{fraction:0<3}").parse().unwrap_or(0);
        let n = whole
            .checked_mul(MILLI)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(too_large)?;
        if n == 0 {
            return Err(bad("a quantity is more than 0"));
        }
        Quantity::from_thousandths(n).ok_or_else(too_large)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / MILLI, self.0 % MILLI);
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Quantity {
    /// A JSON number: whole units as an integer, otherwise the shortest decimal (exact: a
    /// quantity has at most 15 significant digits).
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0 % MILLI == 0 {
            s.serialize_i64(self.0 / MILLI)
        } else {
            #[allow(clippy::cast_precision_loss)] // below 2^53: exact
            s.serialize_f64(self.0 as f64 / MILLI as f64)
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity: a number > 0 with at most three decimals")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Quantity, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Quantity, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Quantity, E> {
                // The shortest decimal that reads back as `v`: what the sender wrote, for any
                // number with at most 15 significant digits.
                self.visit_str(&format!("{v}"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Quantity, E> {
                Quantity::parse("quantity", v).map_err(|e| match e {
                    Error::InvalidInput { message, .. } => E::custom(message),
                    other => E::custom(other),
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

crate::records::string_enum! {
    /// How a quote's tax is rounded.
    TaxRounding {
        /// Each line's tax is rounded; a rate's amount is the sum of its lines' taxes.
        PerLine = "perLine",
        /// A rate's amount is computed on the sum of its lines' unrounded nets, rounded once.
        Global = "global",
    }
}

#[allow(clippy::derivable_impls)] // `string_enum!` declares the enum: no derive can reach it
impl Default for TaxRounding {
    fn default() -> Self {
        TaxRounding::PerLine
    }
}

/// What a line's arithmetic needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInput {
    /// How many.
    pub quantity: Quantity,
    /// Minor units, at least 0.
    pub unit_price: i64,
    /// 0 to 10,000.
    pub discount_bp: i64,
    /// 0 to 10,000.
    pub tax_rate_bp: i64,
}

/// A line's amounts, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineAmounts {
    /// Quantity × unit price, rounded.
    pub gross: i64,
    /// After the line's and the quote's discounts, rounded once.
    pub net: i64,
    /// The rounded net × the line's rate, rounded (what the line's tax is under `perLine`; under
    /// `global` the rate's amount is computed on the unrounded nets and may differ from the sum
    /// of these by rounding).
    pub tax: i64,
}

/// The tax of one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxAmount {
    /// The rate, in basis points.
    pub rate_bp: i64,
    /// The sum of its lines' rounded nets.
    pub base: i64,
    /// The tax at that rate, in minor units.
    pub amount: i64,
}

/// A quote's totals, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Σ gross.
    pub subtotal: i64,
    /// subtotal − Σ net.
    pub discount: i64,
    /// One entry per rate, by rate.
    pub tax: Vec<TaxAmount>,
    /// Σ net + Σ tax amounts.
    pub total: i64,
}

fn too_large(field: &str) -> Error {
    Error::invalid(
        field,
        "the amounts are too large: they do not fit in 64-bit minor units",
    )
}

fn fits(field: &str, n: i128) -> Result<i64> {
    i64::try_from(n).map_err(|_| too_large(field))
}

/// Every line's amounts and the quote's totals. A line whose amounts cannot be held is
/// `invalid_input` on `lines[i]`; totals that cannot be held on `lines`.
pub fn compute(
    lines: &[LineInput],
    quote_discount_bp: i64,
    rounding: TaxRounding,
) -> Result<(Vec<LineAmounts>, Totals)> {
    let quote_discount_bp = basis_points("discountBp", quote_discount_bp)?;
    let whole = i128::from(BP_WHOLE);
    let keep_quote = whole - i128::from(quote_discount_bp);
    let mut amounts = Vec::with_capacity(lines.len());
    // Per rate: (Σ rounded nets, Σ rounded line taxes, Σ unrounded nets as numerators over
    // `net_denominator`).
    let mut rates: BTreeMap<i64, (i128, i128, i128)> = BTreeMap::new();
    let net_denominator = i128::from(MILLI) * whole * whole;
    let (mut subtotal, mut nets) = (0_i128, 0_i128);
    for (i, line) in lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        if line.unit_price < 0 {
            return Err(Error::invalid(
                format!("{field}.unitPrice"),
                format!("must be at least 0, got {}", line.unit_price),
            ));
        }
        let discount = basis_points(&format!("{field}.discountBp"), line.discount_bp)?;
        let rate = basis_points(&format!("{field}.taxRateBp"), line.tax_rate_bp)?;
        let price = i128::from(line.quantity.0)
            .checked_mul(i128::from(line.unit_price))
            .ok_or_else(|| too_large(&field))?;
        let gross = fits(&field, round_half_away(price, i128::from(MILLI)))?;
        let net_numerator = price
            .checked_mul(whole - i128::from(discount))
            .and_then(|n| n.checked_mul(keep_quote))
            .ok_or_else(|| too_large(&field))?;
        let net = fits(&field, round_half_away(net_numerator, net_denominator))?;
        let tax = fits(
            &field,
            round_half_away(i128::from(net) * i128::from(rate), whole),
        )?;
        amounts.push(LineAmounts { gross, net, tax });
        subtotal += i128::from(gross);
        nets += i128::from(net);
        let slot = rates.entry(rate).or_default();
        slot.0 += i128::from(net);
        slot.1 += i128::from(tax);
        slot.2 = slot
            .2
            .checked_add(net_numerator)
            .ok_or_else(|| too_large("lines"))?;
    }
    let mut totals = Totals {
        subtotal: fits("lines", subtotal)?,
        discount: fits("lines", subtotal - nets)?,
        tax: Vec::with_capacity(rates.len()),
        total: 0,
    };
    let mut taxes = 0_i128;
    for (rate, (base, line_taxes, unrounded)) in rates {
        let amount = match rounding {
            TaxRounding::PerLine => line_taxes,
            TaxRounding::Global => round_half_away(
                unrounded
                    .checked_mul(i128::from(rate))
                    .ok_or_else(|| too_large("lines"))?,
                net_denominator * whole,
            ),
        };
        taxes += amount;
        totals.tax.push(TaxAmount {
            rate_bp: rate,
            base: fits("lines", base)?,
            amount: fits("lines", amount)?,
        });
    }
    totals.total = fits("lines", nets + taxes)?;
    Ok((amounts, totals))
}

#[cfg(test)]
mod tests;
