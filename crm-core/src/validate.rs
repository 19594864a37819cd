//! Input checks shared by every kind of record. Each failure names the field at fault.

use crate::error::{Error, Result};

/// Longest name, title or subject, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest body, description or note, in bytes (1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A required name: trimmed, not empty, at most [`MAX_NAME_CHARS`] characters.
pub(crate) fn name(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    short(field, value).map(str::to_owned)
}

/// An optional short text (phone, company, source, outcome): trimmed, empty means absent.
pub(crate) fn opt_short(field: &str, value: Option<String>) -> Result<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    short(field, value).map(|v| Some(v.to_owned()))
}

fn short<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    let chars = value.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_NAME_CHARS} characters, got {chars}"),
        ));
    }
    Ok(value)
}

/// A body of text: at most [`MAX_BODY_BYTES`].
pub(crate) fn body(field: &str, value: String) -> Result<String> {
    if value.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_BODY_BYTES} bytes, got {}", value.len()),
        ));
    }
    Ok(value)
}

pub(crate) fn opt_body(field: &str, value: Option<String>) -> Result<Option<String>> {
    value.map(|v| body(field, v)).transpose()
}

/// An email address: trimmed and syntactically valid.
pub(crate) fn email(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.len() > 254 || !email_address::EmailAddress::is_valid(value) {
        return Err(Error::invalid(
            field,
            format!("not a valid email address: {:?}", crate::error::clip(value)),
        ));
    }
    Ok(value.to_owned())
}

pub(crate) fn opt_email(field: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => email(field, v).map(Some),
    }
}

/// A whole number in `0..=100` (scores, risks, probabilities).
pub(crate) fn percent(field: &str, value: i64) -> Result<u8> {
    u8::try_from(value)
        .ok()
        .filter(|v| *v <= 100)
        .ok_or_else(|| Error::invalid(field, format!("must be between 0 and 100, got {value}")))
}

/// An external id: not empty, at most 200 characters.
pub(crate) fn external_id(value: Option<String>) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Err(Error::invalid("externalId", "must not be empty")),
        Some(v) => short("externalId", &v).map(|v| Some(v.to_owned())),
    }
}

/// An ISO 4217 currency code: three letters, stored upper case.
pub(crate) fn currency(field: &str, value: &str) -> Result<String> {
    crate::money::Currency::parse(field, value).map(|c| c.code().to_owned())
}

/// Deserializes an update field: absent (via `#[serde(default)]`) keeps the value, `null`
/// clears it, a value sets it.
#[allow(clippy::option_option)] // absent, null and a value are three different requests
pub(crate) fn patch<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// Applies an update of an optional field.
#[allow(clippy::option_option)] // see `patch`
pub(crate) fn apply<T>(current: Option<T>, change: Option<Option<T>>) -> Option<T> {
    match change {
        None => current,
        Some(new) => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_count_characters_not_bytes() {
        let two_hundred_kanji = "漢".repeat(200);
        assert_eq!(
            name("name", &two_hundred_kanji).unwrap().chars().count(),
            200
        );
        let err = name("name", &"漢".repeat(201)).unwrap_err();
        assert_eq!(err.field(), Some("name"));
    }

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(name("title", "  \t ").unwrap_err().field(), Some("title"));
    }

    #[test]
    fn emails_are_trimmed_and_checked() {
        assert_eq!(
            email("email", "  ann@example.com ").unwrap(),
            "ann@example.com"
        );
        for bad in ["ann", "ann@", "@example.com", "a b@example.com"] {
            assert_eq!(
                email("email", bad).unwrap_err().code(),
                "invalid_input",
                "{bad}"
            );
        }
        assert_eq!(opt_email("email", Some("  ")).unwrap(), None);
    }

    #[test]
    fn percent_bounds() {
        assert_eq!(percent("score", 0).unwrap(), 0);
        assert_eq!(percent("score", 100).unwrap(), 100);
        assert!(percent("score", 101).is_err());
        assert!(percent("score", -1).is_err());
    }

    #[test]
    fn bodies_up_to_one_mebibyte() {
        assert!(body("body", "x".repeat(MAX_BODY_BYTES)).is_ok());
        assert_eq!(
            body("body", "x".repeat(MAX_BODY_BYTES + 1))
                .unwrap_err()
                .field(),
            Some("body")
        );
    }

    #[test]
    fn currencies_are_upper_cased() {
        assert_eq!(currency("currency", "eur").unwrap(), "EUR");
        assert!(currency("currency", "EURO").is_err());
        assert!(currency("currency", "E1R").is_err());
    }
}
