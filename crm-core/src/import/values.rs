//! A cell's text read as a field's value: dates in the forms spreadsheets write, numbers with
//! thousands separators, enumerations by their label, tags split on `;` or `,`. Each reader answers the value or why the text is not one.

use crate::time::Timestamp;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// How a date with `/` is read: month first (US, the default) or day first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// Month first: `3/22/2021`.
    #[default]
    Mdy,
    /// Day first: `22/3/2021`.
    Dmy,
}

/// A time from `2021-03-22`, `2021-03-22T10:00:00Z` (any RFC 3339), `2021-03-22 10:00[:00]`,
/// `3/22/2021` or `22/3/2021` (by `order`), `6/1/2023 12:15`, `22.03.2021 [12:15]`. A time
/// without an offset is UTC.
pub(crate) fn time(text: &str, order: DateOrder) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(crate::time::truncate(t.to_utc()));
    }
    let (date, clock) = match text.split_once([' ', 'T']) {
        Some((d, c)) => (d, Some(c.trim())),
        None => (text, None),
    };
    let date = if date.contains('-') {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
    } else if date.contains('.') {
        NaiveDate::parse_from_str(date, "%d.%m.%Y").ok()
    } else if date.contains('/') {
        match order {
            DateOrder::Mdy => NaiveDate::parse_from_str(date, "%m/%d/%Y").ok(),
            DateOrder::Dmy => NaiveDate::parse_from_str(date, "%d/%m/%Y").ok(),
        }
    } else {
        None
    }
    // A year is written with four digits: `3/22/21` could be 1921 or 2021.
    .filter(|_| date.split(['-', '.', '/']).any(|part| part.len() == 4))
    .ok_or_else(|| {
        let hint = if date.contains('/') {
            match order {
                DateOrder::Mdy => " (read as month/day/year)",
                DateOrder::Dmy => " (read as day/month/year)",
            }
        } else {
            ""
        };
        format!("not a date{hint}: {:?}", crate::error::clip(text))
    })?;
    let clock = match clock {
        None | Some("") => NaiveTime::MIN,
        Some(c) => ["%H:%M:%S", "%H:%M", "%H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveTime::parse_from_str(c, f).ok())
            .ok_or_else(|| format!("not a time of day: {:?}", crate::error::clip(c)))?,
    };
    let t = NaiveDateTime::new(date, clock).and_utc();
    crate::time::check("", t).map_err(|_| "out of range (years 0000 to 9999)".to_owned())
}

/// A whole number, with `,`, `_`, `'` or spaces between groups of digits; `12.0` is 12.
pub(crate) fn whole(text: &str) -> Result<i64, String> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | '\'' | ' ' | '\u{a0}'))
        .collect();
    let digits = digits
        .strip_suffix(".0")
        .or_else(|| digits.strip_suffix(".00"))
        .unwrap_or(&digits);
    digits
        .parse()
        .map_err(|_| format!("not a whole number: {:?}", crate::error::clip(text.trim())))
}

/// `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`, `active`/`inactive`, in any case.
pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "active" => Ok(true),
        "false" | "no" | "n" | "0" | "inactive" => Ok(false),
        _ => Err(format!(
            "not yes or no: {:?} (true/false, yes/no, 1/0)",
            crate::error::clip(text.trim())
        )),
    }
}

/// Tags: split on `;` or `,`, trimmed, empty ones dropped; or a JSON array of texts (what an
/// export writes when a tag holds `;` or `,`).
pub(crate) fn tags(text: &str) -> Vec<String> {
    if text.starts_with('[')
        && let Ok(tags) = serde_json::from_str::<Vec<String>>(text)
    {
        return tags;
    }
    text.split([';', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Labels that mean a value of an enumeration although neither they nor their first word name
/// it (what other systems and spreadsheets call them).
const SYNONYMS: &[(&str, &str)] = &[
    ("critical", "urgent"),
    ("highest", "urgent"),
    ("blocker", "urgent"),
    ("medium", "normal"),
    ("lowest", "low"),
    ("resolved", "solved"),
    ("done", "closed"),
    ("inprogress", "open"),
    ("awaitingcustomer", "pending"),
    ("onhold", "pending"),
    ("waiting", "pending"),
    ("mail", "email"),
    ("telephone", "phone"),
    ("livechat", "chat"),
];

/// Letters and digits only, lower case: how labels and headers are compared.
pub(crate) fn squash(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// One of `names` from its name or a label: `Social media` → `social` (its first word),
/// `Critical` → `urgent`, `Pending Customer Response` → `pending`, `In progress` → `open`.
pub(crate) fn enumeration(text: &str, names: &[&'static str]) -> Result<&'static str, String> {
    let whole = squash(text);
    let first = text
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .map(squash)
        .unwrap_or_default();
    let by_name = |key: &str| names.iter().find(|n| squash(n) == key).copied();
    let by_synonym = |key: &str| {
        SYNONYMS
            .iter()
            .find(|(label, _)| *label == key)
            .and_then(|(_, name)| by_name(name))
    };
    by_name(&whole)
        .or_else(|| by_synonym(&whole))
        .or_else(|| by_name(&first))
        .or_else(|| by_synonym(&first))
        .ok_or_else(|| {
            format!(
                "not one of {}: {:?}",
                names.join(", "),
                crate::error::clip(text.trim())
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> String {
        time(text, DateOrder::Mdy).map_or_else(
            |e| e,
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    }

    #[test]
    fn dates_in_the_forms_spreadsheets_write() {
        assert_eq!(at("2021-03-22"), "2021-03-22T00:00:00Z");
        assert_eq!(at("3/22/2021"), "2021-03-22T00:00:00Z");
        assert_eq!(at("6/1/2023 12:15"), "2023-06-01T12:15:00Z");
        assert_eq!(at("22.03.2021"), "2021-03-22T00:00:00Z");
        assert_eq!(at("22.03.2021 08:05:09"), "2021-03-22T08:05:09Z");
        assert_eq!(at("2021-03-22T10:00:00+02:00"), "2021-03-22T08:00:00Z");
        assert_eq!(at("2021-03-22 10:00"), "2021-03-22T10:00:00Z");
        let eu = time("22/3/2021", DateOrder::Dmy).unwrap();
        assert_eq!(eu.to_rfc3339(), "2021-03-22T00:00:00+00:00");
        assert_eq!(
            at("22/3/2021"),
            "not a date (read as month/day/year): \"22/3/2021\""
        );
        assert!(at("yesterday").starts_with("not a date"));
        assert!(at("2/30/2021").starts_with("not a date"));
        assert!(
            at("3/22/21").starts_with("not a date"),
            "two-digit years are ambiguous"
        );
        assert!(at("3/22/2021 25:00").starts_with("not a time of day"));
    }

    #[test]
    fn numbers_booleans_and_tags() {
        assert_eq!(boolean("Yes"), Ok(true));
        assert_eq!(boolean("0"), Ok(false));
        assert!(boolean("maybe").is_err());
        assert_eq!(whole("1,234,567"), Ok(1_234_567));
        assert_eq!(whole(" 12 "), Ok(12));
        assert_eq!(whole("1 234"), Ok(1234));
        assert_eq!(whole("12.0"), Ok(12));
        assert!(whole("12.5").is_err());
        assert!(whole("twelve").is_err());
        assert_eq!(tags(" vip; b2b ,, retail"), ["vip", "b2b", "retail"]);
        assert!(tags(" ; ").is_empty());
        assert_eq!(tags(r#"["a,b","c"]"#), ["a,b", "c"]);
    }

    #[test]
    fn enumerations_by_label() {
        let priorities = &["low", "normal", "high", "urgent"];
        assert_eq!(enumeration("Critical", priorities), Ok("urgent"));
        assert_eq!(enumeration("Medium", priorities), Ok("normal"));
        assert_eq!(enumeration("HIGH", priorities), Ok("high"));
        let statuses = &["open", "pending", "solved", "closed"];
        assert_eq!(enumeration("Resolved", statuses), Ok("solved"));
        assert_eq!(
            enumeration("Pending Customer Response", statuses),
            Ok("pending")
        );
        assert_eq!(enumeration("In progress", statuses), Ok("open"));
        let channels = &["email", "chat", "phone", "social", "sms", "web"];
        assert_eq!(enumeration("Social media", channels), Ok("social"));
        assert_eq!(enumeration("E-mail", channels), Ok("email"));
        assert_eq!(
            enumeration("fax", priorities),
            Err("not one of low, normal, high, urgent: \"fax\"".to_owned())
        );
    }
}
