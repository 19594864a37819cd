//! Timestamps: stored as integer milliseconds since the Unix epoch, shown as RFC 3339 UTC.

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
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| super::truncate(t.to_utc()))
            .map_err(|e| serde::de::Error::custom(format!("not an RFC 3339 timestamp ({e})")))
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
