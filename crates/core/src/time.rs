//! Time as integer milliseconds since the Unix epoch (UTC): exact, sortable and identical on every
//! storage backend. Formatting to RFC 3339 happens only at the edges.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with exactly three fractional digits, e.g. `2025-01-15T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000);
        match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                millis
            ),
            // Out of range for the calendar: fall back to the raw number rather than panic.
            Err(_) => self.0.to_string(),
        }
    }

    /// Parses an RFC 3339 / ISO 8601 date-time (any offset) or a plain `YYYY-MM-DD` date (midnight UTC).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Some(Self((t.unix_timestamp_nanos() / 1_000_000) as i64));
        }
        let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        let t = date.midnight().assume_utc();
        Some(Self(t.unix_timestamp() * 1000))
    }
}

/// The source of "now". Services take it as a port so tests can move time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Timestamp((nanos / 1_000_000) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(1_736_935_200_123).to_rfc3339(), "2025-01-15T10:00:00.123Z");
    }

    #[test]
    fn parses_offsets_and_plain_dates() {
        assert_eq!(Timestamp::parse_rfc3339("2025-01-15T10:00:00.123Z"), Some(Timestamp(1_736_935_200_123)));
        assert_eq!(Timestamp::parse_rfc3339("2025-01-15T11:00:00+01:00"), Some(Timestamp(1_736_935_200_000)));
        assert_eq!(Timestamp::parse_rfc3339("2025-01-15"), Some(Timestamp(1_736_899_200_000)));
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
        assert_eq!(Timestamp::parse_rfc3339("2025-13-01"), None);
    }

    #[test]
    fn system_clock_is_after_2025() {
        assert!(SystemClock.now() > Timestamp(1_735_689_600_000));
    }
}
