//! Reporting periods: the ISO week (from Monday), calendar month or quarter holding a moment,
//! in UTC, with the start included and the next period's start excluded.

use crate::error::{Error, Result};
use crate::time::{self, Timestamp};
use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// How long a reporting period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeframe {
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter (January, April, July, October).
    Quarter,
}

impl Timeframe {
    /// Every timeframe, shortest first.
    pub const ALL: [Timeframe; 3] = [Timeframe::Week, Timeframe::Month, Timeframe::Quarter];

    /// Its name in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Quarter => "quarter",
        }
    }
}

impl std::str::FromStr for Timeframe {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Timeframe::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "timeframe",
                    format!(
                        "unknown timeframe {:?}; one of week, month, quarter",
                        crate::error::clip(s)
                    ),
                )
            })
    }
}

/// A reporting period: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// Its first moment.
    #[serde(with = "time::rfc3339")]
    pub from: Timestamp,
    /// Exclusive: the next period's start.
    #[serde(with = "time::rfc3339")]
    pub to: Timestamp,
}

impl Period {
    /// The period of `timeframe` holding `at`; `invalid_input` on `field` when it, or the
    /// period before it, would reach outside the years 0000 to 9999.
    pub fn holding(timeframe: Timeframe, at: Timestamp, field: &str) -> Result<Period> {
        let date = at.date_naive();
        let start = match timeframe {
            Timeframe::Week => {
                date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
            }
            Timeframe::Month => date.with_day(1),
            Timeframe::Quarter => {
                NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1)
            }
        };
        let end = start.and_then(|s| match timeframe {
            Timeframe::Week => s.checked_add_days(Days::new(7)),
            Timeframe::Month => s.checked_add_months(Months::new(1)),
            Timeframe::Quarter => s.checked_add_months(Months::new(3)),
        });
        let out_of_range = || {
            Error::invalid(
                field,
                format!(
                    "the {} holding it, or the one before, falls outside the years 0000 to 9999",
                    timeframe.as_str()
                ),
            )
        };
        let (Some(start), Some(end)) = (start, end) else {
            return Err(out_of_range());
        };
        let (from, to) = (midnight(start), midnight(end));
        // The period before must start within range too, and `to` must be writable as
        // RFC 3339 (10000-01-01 is not), so the answer can be read back.
        if from <= time::MIN || to > time::MAX {
            return Err(out_of_range());
        }
        Ok(Period { from, to })
    }

    /// The period of the same timeframe just before this one.
    pub fn before(self, timeframe: Timeframe, field: &str) -> Result<Period> {
        Period::holding(
            timeframe,
            self.from - chrono::Duration::milliseconds(1),
            field,
        )
    }

    /// Its first and last-plus-one day, as days since 1970-01-01.
    pub(crate) fn days(self) -> (i64, i64) {
        (day_of(self.from), day_of(self.to))
    }

    /// Its length in days.
    pub fn length_days(self) -> i64 {
        (self.to - self.from).num_days()
    }
}

fn midnight(date: NaiveDate) -> Timestamp {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// The day (since 1970-01-01, UTC) holding `t`.
pub(crate) fn day_of(t: Timestamp) -> i64 {
    day_of_ms(time::to_millis(t))
}

/// The day (since 1970-01-01, UTC) holding the millisecond `ms`.
pub(crate) fn day_of_ms(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn period(tf: Timeframe, s: &str) -> (String, String) {
        let p = Period::holding(tf, at(s), "at").unwrap();
        (p.from.to_rfc3339(), p.to.to_rfc3339())
    }

    #[test]
    fn an_iso_week_starts_on_monday_even_across_a_year() {
        // 2027-01-01 is a Friday: its ISO week began on Monday 2026-12-28.
        assert_eq!(
            period(Timeframe::Week, "2027-01-01T12:00:00Z"),
            (
                "2026-12-28T00:00:00+00:00".into(),
                "2027-01-04T00:00:00+00:00".into()
            )
        );
        // A Monday's first millisecond opens its own week; Sunday's last closes the one before.
        assert_eq!(
            period(Timeframe::Week, "2026-12-07T00:00:00Z").0,
            "2026-12-07T00:00:00+00:00"
        );
        assert_eq!(
            period(Timeframe::Week, "2026-12-06T23:59:59.999Z").0,
            "2026-11-30T00:00:00+00:00"
        );
    }

    #[test]
    fn months_and_quarters_follow_the_calendar_in_utc() {
        assert_eq!(
            period(Timeframe::Month, "2028-02-29T23:59:59.999Z"),
            (
                "2028-02-01T00:00:00+00:00".into(),
                "2028-03-01T00:00:00+00:00".into()
            )
        );
        // 23:30 on 31 March at -01:00 is already April in UTC.
        assert_eq!(
            period(Timeframe::Quarter, "2026-03-31T23:30:00-01:00").0,
            "2026-04-01T00:00:00+00:00"
        );
        assert_eq!(
            period(Timeframe::Quarter, "2026-12-31T23:59:59.999Z"),
            (
                "2026-10-01T00:00:00+00:00".into(),
                "2027-01-01T00:00:00+00:00".into()
            )
        );
        let q = Period::holding(Timeframe::Quarter, at("2026-02-10T00:00:00Z"), "at").unwrap();
        let before = q.before(Timeframe::Quarter, "at").unwrap();
        assert_eq!(before.from.to_rfc3339(), "2025-10-01T00:00:00+00:00");
        assert_eq!(before.to, q.from);
        assert_eq!(q.length_days(), 90);
    }

    #[test]
    fn periods_reaching_outside_the_writable_years_are_refused_on_the_field() {
        for (tf, s) in [
            (Timeframe::Quarter, "0000-02-01T00:00:00Z"),
            (Timeframe::Week, "0000-01-01T00:00:00Z"),
            (Timeframe::Month, "9999-12-31T23:59:59.999Z"),
        ] {
            let p = Period::holding(tf, at(s), "at").and_then(|p| p.before(tf, "at").map(|_| p));
            let err = p.expect_err(s);
            assert_eq!(err.field(), Some("at"), "{s}");
        }
        // The last quarter of 9999 would end in year 10000, which cannot be written back.
        assert!(Period::holding(Timeframe::Quarter, at("9999-11-01T00:00:00Z"), "at").is_err());
        assert!(Period::holding(Timeframe::Quarter, at("9999-09-30T00:00:00Z"), "at").is_ok());
    }

    #[test]
    fn days_are_counted_in_utc_before_1970_too() {
        assert_eq!(day_of_ms(0), 0);
        assert_eq!(day_of_ms(-1), -1);
        assert_eq!(day_of_ms(DAY_MS), 1);
    }
}
