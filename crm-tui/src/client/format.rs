//! How values read on screen: dates, money, names for ids, the spinner.

use crate::client::worker::Lookups;
use crm_core::time::Timestamp;

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// The spinner's frame at `tick`.
pub fn spinner(tick: u64) -> &'static str {
    SPINNER[(tick % 8) as usize]
}

pub fn date(t: Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub fn datetime(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A missing value as a dash.
pub fn opt(s: Option<&str>) -> String {
    s.unwrap_or("—").to_owned()
}

/// Minor units as `USD 1,234.56`, with the currency's own decimals (`JPY 1,235`, `KWD 1.234`).
pub fn money(minor: i64, currency: &str) -> String {
    match crm_core::money::Currency::parse("currency", currency) {
        Ok(currency) => crm_core::money::Money::new(minor, currency).to_string(),
        // Stored codes are valid; show anything else as it is rather than hide the amount.
        Err(_) => format!("{currency} {minor}"),
    }
}

/// A rate as a percentage with one decimal (`61.2%`), or a dash where there was nothing to divide
/// by.
/// A rate with what it is of (`66.7% 12/18`): a percentage of one deal is not a trend.
pub fn rate_of(rate: Option<crm_core::analytics::Rate>) -> String {
    rate.map_or_else(
        || "–".into(),
        |r| format!("{:.1}% {}/{}", r.rate * 100.0, r.numerator, r.denominator),
    )
}

pub fn percent(rate: Option<crm_core::analytics::Rate>) -> String {
    rate.map_or_else(|| "–".into(), |r| format!("{:.1}%", r.rate * 100.0))
}

/// Amounts of several currencies, each with its code and never added together
/// (`USD 1,200.00, EUR 80.00`), or a dash for none.
pub fn amounts(list: &[crm_core::money::Money]) -> String {
    if list.is_empty() {
        return "–".into();
    }
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A user's name, or their id until the names have arrived.
pub fn name_of(lookups: Option<&Lookups>, id: Option<i64>) -> String {
    match id {
        None => "—".to_owned(),
        Some(id) => lookups
            .and_then(|l| l.users.get(&id))
            .cloned()
            .unwrap_or_else(|| format!("user {id}")),
    }
}

/// "Pipeline · Stage", or the stage's id until the names have arrived.
pub fn stage_of(lookups: Option<&Lookups>, id: i64) -> String {
    lookups
        .and_then(|l| l.stages.get(&id))
        .cloned()
        .unwrap_or_else(|| format!("stage {id}"))
}

/// `s` cut to `width` characters, an ellipsis marking the cut.
pub fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A lead's score as a badge readable without colour: `hot 92`, `warm 61`, `cold 12`.
pub fn score_badge(score: u8) -> (&'static str, ratatui::style::Color) {
    use ratatui::style::Color;
    match score {
        80.. => ("hot", Color::Red),
        50..80 => ("warm", Color::Yellow),
        _ => ("cold", Color::Blue),
    }
}

/// `n` with thousands separated: 2,982.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value as a person reads it: strings without quotes, lists in brackets.
pub fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items.iter().map(plain).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// What a trash group holds besides its root, in words: `3 tickets, 1 deal and 2
/// conversations` (empty when nothing else). `records` counts by plural kind, the root's
/// `root` (plural) included.
pub fn group(records: &std::collections::BTreeMap<String, u64>, root: &str) -> String {
    let parts: Vec<String> = records
        .iter()
        .map(|(kind, n)| {
            (
                kind,
                if kind == root {
                    n.saturating_sub(1)
                } else {
                    *n
                },
            )
        })
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| {
            let word = kind.replace('_', " ");
            if n == 1 {
                let one = match word.strip_suffix("ies") {
                    Some(stem) => format!("{stem}y"),
                    None => word.strip_suffix('s').unwrap_or(&word).to_owned(),
                };
                format!("1 {one}")
            } else {
                format!("{n} {word}")
            }
        })
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_shown_with_each_currencys_own_decimals() {
        assert_eq!(super::money(123_456, "USD"), "USD 1,234.56");
        assert_eq!(super::money(1_235, "JPY"), "JPY 1,235");
        assert_eq!(super::money(1_234, "KWD"), "KWD 1.234");
        assert_eq!(super::money(-5, "EUR"), "EUR -0.05");
    }

    #[test]
    fn a_group_in_words_leaves_out_its_root() {
        let records: std::collections::BTreeMap<String, u64> = [
            ("customers", 1),
            ("tickets", 3),
            ("deals", 1),
            ("activities", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
        assert_eq!(
            super::group(&records, "customers"),
            "1 activity, 1 deal and 3 tickets"
        );
        assert_eq!(
            super::group(&records, "tickets"),
            "1 activity, 1 customer, 1 deal and 2 tickets"
        );
        let alone = [("calls".to_owned(), 1)].into_iter().collect();
        assert_eq!(super::group(&alone, "calls"), "");
    }
}
