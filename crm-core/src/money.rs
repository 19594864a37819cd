//! Money: integer minor units of an ISO 4217 currency, with the currency's exponent (JPY 0,
//! USD 2, KWD 3), parsing and formatting, and multiplication by quantities and basis points
//! rounded half away from zero. No floating point anywhere: every product is exact in `i128`
//! and rounded once, where the caller says.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};

/// An ISO 4217 currency: its code and how many decimal places its minor unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Currencies whose minor unit is not a hundredth (ISO 4217's list); every other code has 2.
const EXPONENTS: &[(&str, u8)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

impl Currency {
    /// The currency of a three-letter code (any case); `invalid_input` on `field` otherwise.
    pub fn parse(field: &str, code: &str) -> Result<Currency> {
        let code = code.trim();
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 3]| b.iter().all(u8::is_ascii_alphabetic))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "not an ISO 4217 currency code: {:?}",
                        crate::error::clip(code)
                    ),
                )
            })?;
        let code = bytes.map(|b| b.to_ascii_uppercase());
        let exponent = EXPONENTS
            .iter()
            .find(|(c, _)| c.as_bytes() == code)
            .map_or(2, |(_, e)| *e);
        Ok(Currency { code, exponent })
    }

    /// The upper-case code (`USD`).
    pub fn code(&self) -> &str {
        // Built from ASCII letters only.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Decimal places of the minor unit: 0 for JPY, 2 for USD, 3 for KWD.
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (10 to the exponent).
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = <std::borrow::Cow<'_, str>>::deserialize(d)?;
        Currency::parse("currency", &code).map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

/// An amount of money: integer minor units of a currency (`{"amount": 1999, "currency": "USD"}`
/// is 19.99 dollars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents): 1999 is 19.99 of a two-decimal currency.
    pub amount: i64,
    /// The currency (ISO 4217).
    pub currency: Currency,
}

/// Basis points: hundredths of a percent (2,200 is 22%).
pub type BasisPoints = i64;
/// One whole, in basis points.
pub const BP_WHOLE: i64 = 10_000;

/// Checks a rate or discount in basis points: 0 to 10,000.
pub fn basis_points(field: &str, bp: i64) -> Result<i64> {
    if (0..=BP_WHOLE).contains(&bp) {
        Ok(bp)
    } else {
        Err(Error::invalid(
            field,
            format!("basis points run from 0 to 10,000 (100%), got {bp}"),
        ))
    }
}

/// `numerator / denominator` rounded half away from zero (`denominator` ≠ 0), exactly.
pub fn round_half_away(numerator: i128, denominator: i128) -> i128 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    if 2 * remainder.abs() >= denominator.abs() {
        // Away from zero: the direction of the exact result.
        if (numerator < 0) == (denominator < 0) {
            quotient + 1
        } else {
            quotient - 1
        }
    } else {
        quotient
    }
}

fn to_amount(field: &str, value: i128) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::invalid(
            field,
            "the amount is too large: it does not fit in 64-bit minor units",
        )
    })
}

impl Money {
    /// `amount` minor units of `currency`.
    pub fn new(amount: i64, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Reads a decimal amount in major units (`1,234.56`, `-3`, `0.5`) in `currency`; more
    /// decimals than the currency has are refused (never silently rounded), as are anything
    /// but digits, one `.`, `,` between groups of digits and a leading `-`.
    pub fn parse(field: &str, text: &str, currency: Currency) -> Result<Money> {
        let bad = |why: &str| {
            Error::invalid(
                field,
                format!("{why}: {:?}", crate::error::clip(text.trim())),
            )
        };
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty() && fraction.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad("not an amount"));
        }
        let exponent = usize::from(currency.exponent);
        if fraction.len() > exponent {
            return Err(bad(&format!(
                "{} takes at most {exponent} decimal places",
                currency.code()
            )));
        }
        let mut minor: i128 = 0;
        for b in whole
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(b'0', exponent - fraction.len()))
        {
            minor = minor * 10 + i128::from(b - b'0');
            if minor > i128::from(i64::MAX) {
                return Err(bad("too large"));
            }
        }
        let amount = to_amount(field, if negative { -minor } else { minor })?;
        Ok(Money { amount, currency })
    }

    /// The amount in major units with the currency's decimals and grouped thousands, without
    /// the code: `1,234.56`, `1,235` (JPY), `1.234` (KWD).
    pub fn amount_text(&self) -> String {
        let per = u128::from(self.currency.minor_per_major().unsigned_abs());
        let magnitude = u128::from(self.amount.unsigned_abs());
        let whole = (magnitude / per).to_string();
        let mut text = String::with_capacity(whole.len() + 8);
        if self.amount < 0 {
            text.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                text.push(',');
            }
            text.push(c);
        }
        let exponent = usize::from(self.currency.exponent);
        if exponent > 0 {
            // Writing to a String cannot fail.
            let _ = write!(text, ".{:0exponent$}", magnitude % per);
        }
        text
    }

    /// The sum, or `invalid_input` on `field` if the currencies differ or it overflows.
    pub fn checked_add(self, other: Money, field: &str) -> Result<Money> {
        if self.currency != other.currency {
            return Err(Error::invalid(
                field,
                format!(
                    "cannot add {} to {}",
                    other.currency.code(),
                    self.currency.code()
                ),
            ));
        }
        let sum = i128::from(self.amount) + i128::from(other.amount);
        Ok(Money::new(to_amount(field, sum)?, self.currency))
    }

    /// This amount × `numerator` / `denominator`, rounded half away from zero to the minor
    /// unit; `invalid_input` on `field` when the result does not fit.
    pub fn mul_ratio(self, numerator: i64, denominator: i64, field: &str) -> Result<Money> {
        if denominator == 0 {
            return Err(Error::invalid(field, "division by zero"));
        }
        let exact = i128::from(self.amount) * i128::from(numerator);
        let amount = to_amount(field, round_half_away(exact, i128::from(denominator)))?;
        Ok(Money::new(amount, self.currency))
    }

    /// This amount × `bp` basis points (`2_200` is 22%), rounded half away from zero.
    pub fn times_bp(self, bp: BasisPoints, field: &str) -> Result<Money> {
        self.mul_ratio(bp, BP_WHOLE, field)
    }
}

impl fmt::Display for Money {
    /// `USD 1,234.56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.code(), self.amount_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        Currency::parse("currency", code).unwrap()
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(cur("jpy").exponent(), 0);
        assert_eq!(cur("USD").exponent(), 2);
        assert_eq!(cur("KWD").exponent(), 3);
        assert_eq!(cur("eur").code(), "EUR");
        for bad in ["EURO", "E1R", "", "€€€", "US"] {
            assert_eq!(
                Currency::parse("currency", bad).unwrap_err().field(),
                Some("currency"),
                "{bad}"
            );
        }
    }

    #[test]
    fn formats_with_the_currencys_decimals() {
        assert_eq!(Money::new(123_456, cur("USD")).to_string(), "USD 1,234.56");
        assert_eq!(Money::new(-5, cur("USD")).to_string(), "USD -0.05");
        assert_eq!(Money::new(1_235, cur("JPY")).to_string(), "JPY 1,235");
        assert_eq!(Money::new(1_234, cur("KWD")).to_string(), "KWD 1.234");
        assert_eq!(Money::new(0, cur("EUR")).to_string(), "EUR 0.00");
        assert_eq!(
            Money::new(i64::MIN, cur("USD")).to_string(),
            "USD -92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn parses_exact_amounts_and_refuses_the_rest() {
        let usd = cur("USD");
        assert_eq!(Money::parse("p", "1,234.5", usd).unwrap().amount, 123_450);
        assert_eq!(Money::parse("p", " -0.05 ", usd).unwrap().amount, -5);
        assert_eq!(Money::parse("p", ".5", usd).unwrap().amount, 50);
        assert_eq!(Money::parse("p", "7", cur("JPY")).unwrap().amount, 7);
        for bad in ["1.234", "", "-", "1.2.3", "1e3", "abc", "12 34", "--1"] {
            assert_eq!(
                Money::parse("p", bad, usd).unwrap_err().field(),
                Some("p"),
                "{bad}"
            );
        }
        assert!(Money::parse("p", "1.5", cur("JPY")).is_err());
        assert!(Money::parse("p", "99999999999999999999", usd).is_err());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(5, 2), 3);
        assert_eq!(round_half_away(-5, 2), -3);
        assert_eq!(round_half_away(4, 3), 1);
        assert_eq!(round_half_away(-4, 3), -1);
        assert_eq!(round_half_away(5, -2), -3);
        // 348.35 × 16 = 5,573.60; less 4% = 5,350.656 → 5,350.66; 22% of that = 1,177.1452…
        let line = Money::new(34_835, cur("USD"))
            .mul_ratio(16, 1, "q")
            .unwrap();
        let net = line.times_bp(BP_WHOLE - 400, "d").unwrap();
        assert_eq!(net.amount, 535_066);
        assert_eq!(net.times_bp(2_200, "t").unwrap().amount, 117_715);
        assert!(
            Money::new(i64::MAX, cur("USD"))
                .mul_ratio(2, 1, "x")
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_is_the_identity(amount in any::<i64>(), code in prop::sample::select(vec!["USD", "JPY", "KWD", "CLF"])) {
            let m = Money::new(amount, cur(code));
            let text = m.amount_text();
            prop_assert_eq!(Money::parse("p", &text, m.currency).unwrap(), m);
        }

        /// The characterisation of the rounding, independent of how it is computed: the
        /// result is within half a unit of the exact quotient, and on a tie it is the one
        /// farther from zero.
        #[test]
        fn rounded_quotients_are_nearest_ties_away(n in any::<i64>(), d in any::<i64>().prop_filter("non-zero", |d| *d != 0)) {
            let (n, d) = (i128::from(n), i128::from(d));
            let r = round_half_away(n, d);
            let off = (n - r * d).abs() * 2;
            prop_assert!(off <= d.abs(), "{n}/{d} -> {r}");
            if off == d.abs() {
                prop_assert!(r.abs() * d.abs() > n.abs(), "a tie goes away from zero: {n}/{d} -> {r}");
            }
        }
    }
}
