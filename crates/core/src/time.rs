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
    /// The instant this many milliseconds after the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved by `ms` milliseconds (negative: earlier).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with exactly three fractional digits, e.g. `2025-01-15T10:00:00.123Z`.
    /// Every DTO timestamp goes through here, so the usual years are written digit by digit into
    /// one buffer (`format!` with seven arguments showed up in the `agents` profile).
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000) as u32;
        match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) if (0..=9999).contains(&t.year()) => {
                let mut out = *b"0000-00-00T00:00:00.000Z";
                put_digits(&mut out[0..4], t.year() as u32);
                put_digits(&mut out[5..7], u32::from(u8::from(t.month())));
                put_digits(&mut out[8..10], u32::from(t.day()));
                put_digits(&mut out[11..13], u32::from(t.hour()));
                put_digits(&mut out[14..16], u32::from(t.minute()));
                put_digits(&mut out[17..19], u32::from(t.second()));
                put_digits(&mut out[20..23], millis);
                out.iter().map(|&b| char::from(b)).collect()
            }
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
            return Some(Self(floor_millis(t.unix_timestamp_nanos())));
        }
        let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        let t = date.midnight().assume_utc();
        Some(Self(t.unix_timestamp() * 1000))
    }
}

/// The millisecond a nanosecond instant falls in: rounded down, before 1970 too (a division
/// would round towards zero, moving a pre-1970 instant a millisecond later).
fn floor_millis(nanos: i128) -> i64 {
    // Every instant `time` represents fits: its range is ±9999 years, far inside i64 milliseconds.
    i64::try_from(nanos.div_euclid(1_000_000)).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// Writes `n` as decimal digits filling `dst`, zero-padded on the left (`n` must fit).
fn put_digits(dst: &mut [u8], mut n: u32) {
    for slot in dst.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// The source of "now". Services take it as a port so tests can move time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(floor_millis(OffsetDateTime::now_utc().unix_timestamp_nanos()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The instants `to_rfc3339` writes as a four-digit year (0000 to 9999).
    const FIRST: i64 = -62_167_219_200_000;
    const LAST: i64 = 253_402_300_799_999;

    proptest! {
        #[test]
        fn what_is_written_is_read_back(ms in FIRST..=LAST) {
            prop_assert_eq!(Timestamp::parse_rfc3339(&Timestamp(ms).to_rfc3339()), Some(Timestamp(ms)));
        }

        #[test]
        fn finer_than_a_millisecond_is_cut_down_to_the_millisecond_it_falls_in(
            ms in FIRST..=LAST,
            sub in 0u32..1_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
        ) {
            // The same instant written with nine fractional digits and any offset.
            let nanos = i128::from(ms) * 1_000_000 + i128::from(sub);
            let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap().to_offset(offset);
            prop_assume!((0..=9999).contains(&t.year()));
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{}{:02}:{:02}",
                t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second(), t.nanosecond(),
                if offset_minutes < 0 { '-' } else { '+' },
                offset_minutes.abs() / 60, offset_minutes.abs() % 60,
            );
            prop_assert_eq!(Timestamp::parse_rfc3339(&text), Some(Timestamp(ms)), "{}", text);
        }

        #[test]
        fn any_text_is_parsed_or_refused_without_a_panic(text in "\\PC{0,40}|[0-9+:.TZ-]{8,35}") {
            if let Some(t) = Timestamp::parse_rfc3339(&text) {
                // Whatever is accepted names an instant that can be written out again.
                prop_assert!(!t.to_rfc3339().is_empty());
            }
        }
    }

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(1_736_935_200_123).to_rfc3339(), "2025-01-15T10:00:00.123Z");
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Timestamp(253_402_300_799_999).to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp(-62_167_219_200_000).to_rfc3339(), "0000-01-01T00:00:00.000Z");
        // Before year 0: the general formatter; past the calendar's range: the raw number.
        assert_eq!(Timestamp(-62_167_219_200_001).to_rfc3339(), "-001-12-31T23:59:59.999Z");
        assert_eq!(Timestamp(253_402_300_800_000).to_rfc3339(), "253402300800000");
    }

    #[test]
    fn formatting_round_trips_through_parsing() {
        // Steps of a prime number of milliseconds cover every field's digits over the years.
        let mut t = Timestamp::parse_rfc3339("1899-01-01").unwrap().millis();
        let end = Timestamp::parse_rfc3339("2200-01-01").unwrap().millis();
        while t < end {
            let text = Timestamp(t).to_rfc3339();
            assert_eq!(text.len(), 24, "{text}");
            assert_eq!(Timestamp::parse_rfc3339(&text), Some(Timestamp(t)), "{text}");
            t += 7_919_993_777;
        }
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
