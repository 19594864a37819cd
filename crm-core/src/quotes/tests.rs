use super::render::percent;
use super::templates::valid_until;
use super::{Quote, QuoteStatus};
use chrono::{TimeZone as _, Utc};

#[test]
fn a_template_validity_runs_to_the_end_of_the_day_utc() {
    let late = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
    let end = |y, m, d| {
        Utc.with_ymd_and_hms(y, m, d, 23, 59, 59).unwrap() + chrono::Duration::milliseconds(999)
    };
    assert_eq!(valid_until(late, 0), end(2026, 12, 31));
    assert_eq!(valid_until(late, 1), end(2027, 1, 1));
    assert_eq!(valid_until(late, 60), end(2027, 3, 1));
    let leap = Utc.with_ymd_and_hms(2028, 2, 28, 0, 0, 0).unwrap();
    assert_eq!(valid_until(leap, 1), end(2028, 2, 29));
}

#[test]
fn a_sent_quote_expires_only_once_its_validity_has_passed() {
    let until = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let at = |ms| until + chrono::Duration::milliseconds(ms);
    let status = |stored, valid, now| Quote::status_at(stored, valid, now);
    assert_eq!(
        status(QuoteStatus::Sent, Some(until), at(0)),
        QuoteStatus::Sent
    );
    assert_eq!(
        status(QuoteStatus::Sent, Some(until), at(1)),
        QuoteStatus::Expired
    );
    assert_eq!(status(QuoteStatus::Sent, None, at(1)), QuoteStatus::Sent);
    // Only a sent quote lapses: a draft, a decided or a superseded one stays what it is.
    for stored in [
        QuoteStatus::Draft,
        QuoteStatus::Accepted,
        QuoteStatus::Rejected,
        QuoteStatus::Superseded,
    ] {
        assert_eq!(status(stored, Some(until), at(1)), stored);
    }
}

#[test]
fn rates_print_as_the_percent_they_are() {
    let printed: Vec<String> = [0, 1, 10, 550, 2_200, 1_234, 10_000]
        .into_iter()
        .map(percent)
        .collect();
    assert_eq!(
        printed,
        ["0%", "0.01%", "0.1%", "5.5%", "22%", "12.34%", "100%"]
    );
}
