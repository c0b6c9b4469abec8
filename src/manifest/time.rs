//! The format's timestamps as a type: an instant in UTC, or "not recorded".
//!
//! The spec stores them as text of one form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`
//! (UTC, microseconds), so that comparing the text byte by byte orders
//! them; the empty string is a field's default. In memory they are
//! [`Timestamp`]s, parsed once when a manifest is decoded — readers never
//! re-parse strings, and text that is not RFC 3339 is a decode error naming
//! the value rather than a time silently taken as absent.

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A stored instant; `Timestamp::default()` is "not recorded" (`""`), which
/// orders before every recorded time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(Option<DateTime<Utc>>);

impl Timestamp {
    /// `t`, at the format's precision (microseconds).
    pub fn at(t: DateTime<Utc>) -> Timestamp {
        Timestamp(Some(t.trunc_subsecs(6)))
    }

    pub fn now() -> Timestamp {
        Timestamp::at(Utc::now())
    }

    /// The instant, when one was recorded.
    pub fn get(self) -> Option<DateTime<Utc>> {
        self.0
    }

    /// Read the format's text: `""` is not recorded; any RFC 3339 text is
    /// its instant in UTC, at the format's precision.
    pub fn parse(text: &str) -> Result<Timestamp, chrono::ParseError> {
        if text.is_empty() {
            return Ok(Timestamp(None));
        }
        DateTime::parse_from_rfc3339(text).map(|t| Timestamp::at(t.with_timezone(&Utc)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Timestamp {
        Timestamp::at(t)
    }
}

/// The format's text form (empty when not recorded).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            None => Ok(()),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text)
            .map_err(|e| serde::de::Error::custom(format!("timestamp {text:?} is not RFC 3339: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_orders_like_the_text() {
        let a = Timestamp::parse("2026-01-02T03:04:05.000006Z").unwrap();
        assert_eq!(a.to_string(), "2026-01-02T03:04:05.000006Z");
        let b = Timestamp::parse("2026-01-02T04:04:05+01:00").unwrap();
        assert_eq!(b.to_string(), "2026-01-02T03:04:05.000000Z");
        assert!(Timestamp::default() < b && b < a);
        assert_eq!(Timestamp::parse("").unwrap(), Timestamp::default());
        assert_eq!(Timestamp::default().to_string(), "");
        let bytes = rmp_serde::to_vec(&a).unwrap();
        assert_eq!(bytes, rmp_serde::to_vec("2026-01-02T03:04:05.000006Z").unwrap());
        assert_eq!(rmp_serde::from_slice::<Timestamp>(&bytes).unwrap(), a);
        let bad = rmp_serde::to_vec("yesterday").unwrap();
        let e = rmp_serde::from_slice::<Timestamp>(&bad).unwrap_err().to_string();
        assert!(e.contains("\"yesterday\""), "{e}");
    }

    #[test]
    fn instants_are_kept_at_the_formats_precision() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z").unwrap().with_timezone(&Utc);
        assert_eq!(Timestamp::at(t).to_string(), "2026-01-02T03:04:05.123456Z");
        assert_eq!(Timestamp::parse(&Timestamp::at(t).to_string()).unwrap(), Timestamp::at(t));
    }
}
