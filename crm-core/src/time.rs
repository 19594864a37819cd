//! Timestamps: stored as integer milliseconds since the Unix epoch, shown as RFC 3339 UTC.

use crate::error::{Error, Result};
use chrono::{DateTime, TimeZone, Utc};

/// A point in time, UTC, with millisecond precision (finer input is truncated).
pub type Timestamp = DateTime<Utc>;

pub(crate) fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Timestamp {
    // Every stored value was written by `to_millis`, so it is in range.
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The earliest instant the engine accepts: the first of year 0000, the lowest RFC 3339 can write.
pub const MIN: Timestamp = match DateTime::from_timestamp_millis(-62_167_219_200_000) {
    Some(t) => t,
    None => panic!("0000-01-01T00:00:00Z is a valid instant"),
};
/// The latest instant the engine accepts: the last millisecond of year 9999, the highest
/// RFC 3339 can write (beyond it chrono writes `+10000-…`, which no RFC 3339 reader takes back).
pub const MAX: Timestamp = match DateTime::from_timestamp_millis(253_402_300_799_999) {
    Some(t) => t,
    None => panic!("9999-12-31T23:59:59.999Z is a valid instant"),
};

/// Checks that `t` (already in UTC) can be written as RFC 3339 and read back: years 0000 to
/// 9999. Anything else is `invalid_input` on `field`.
pub fn check(field: &str, t: Timestamp) -> Result<Timestamp> {
    if (MIN..=MAX).contains(&t) {
        Ok(t)
    } else {
        Err(Error::invalid(field, OUT_OF_RANGE))
    }
}

/// A time given by the caller, or `now` when absent; checked as [`check`] does.
pub(crate) fn given(field: &str, t: Option<Timestamp>, now: Timestamp) -> Result<Timestamp> {
    t.map_or(Ok(now), |t| check(field, t))
}

/// [`check`] for an optional time.
pub(crate) fn check_opt(field: &str, t: Option<Timestamp>) -> Result<Option<Timestamp>> {
    t.map(|t| check(field, t)).transpose()
}

const OUT_OF_RANGE: &str =
    "out of range: a time must fall within years 0000 to 9999 once converted to UTC";

/// The current time, truncated to what is stored so a record read back equals the one returned.
pub fn now() -> Timestamp {
    #[allow(clippy::disallowed_methods)] // the one place allowed to read the clock
    truncate(Utc::now())
}

pub(crate) fn truncate(t: Timestamp) -> Timestamp {
    from_millis(to_millis(t))
}

/// Serde helpers writing timestamps as RFC 3339 with millisecond precision and a `Z`.
pub(crate) mod rfc3339 {
    use super::Timestamp;
    use chrono::SecondsFormat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'_, str>>::deserialize(d)?;
        let t = chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| super::truncate(t.to_utc()))
            .map_err(|e| serde::de::Error::custom(format!("not an RFC 3339 timestamp ({e})")))?;
        // Refused here too, so a JSON request names the path of the field at fault.
        if (super::MIN..=super::MAX).contains(&t) {
            Ok(t)
        } else {
            Err(serde::de::Error::custom(super::OUT_OF_RANGE))
        }
    }

    pub mod option {
        use super::Timestamp;
        use serde::{Deserialize, Deserializer, Serializer};

        #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`
        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
            #[derive(Deserialize)]
            struct Wrap(#[serde(with = "super")] Timestamp);
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    }

    /// For update fields: absent keeps the value, `null` clears it.
    pub mod patch {
        use super::Timestamp;
        use serde::Deserializer;

        #[allow(clippy::option_option)] // absent, null and a value are three different requests
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Option<Timestamp>>, D::Error> {
            super::option::deserialize(d).map(Some)
        }
    }
}
