//! A day's report, the day it is filed under, and how two reports compare.

use std::fmt;

use pincer_core::Timestamp;

use crate::check::Check;

/// A calendar day in UTC: the key of a stored report (`2026-12-04`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(time::Date);

impl Day {
    /// Parses exactly `YYYY-MM-DD` naming a real date; anything else is `None`.
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
        if !shape {
            return None;
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, format).ok().map(Day)
    }

    /// The UTC day `at` falls on.
    pub fn of(at: Timestamp) -> Day {
        let date = time::OffsetDateTime::from_unix_timestamp(at.millis().div_euclid(1000))
            .map_or(time::Date::MIN, time::OffsetDateTime::date);
        Day(date)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// The outcome of every check at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// When the checks ran.
    pub at: Timestamp,
    /// 0–100 ([`crate::check::score`]).
    pub score: u8,
    pub checks: Vec<Check>,
}

/// A stored self-audit: the day's last assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub day: Day,
    pub assessment: Assessment,
}

/// The checks of `current` whose status is worse than in `previous` (a check new since then
/// counts as having passed before), each with its earlier status.
pub fn worsened<'a>(previous: &Assessment, current: &'a Assessment) -> Vec<(&'a Check, crate::Status)> {
    current
        .checks
        .iter()
        .filter_map(|check| {
            let before = previous.checks.iter().find(|c| c.id == check.id).map_or(crate::Status::Pass, |c| c.status);
            (check.status > before).then_some((check, before))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Severity, Status};

    #[test]
    fn days_are_exactly_iso_dates_that_exist() {
        assert_eq!(Day::parse("2026-12-04").unwrap().to_string(), "2026-12-04");
        assert_eq!(Day::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-1-04",
            "20261204",
            "2026-12-04T00:00",
            "+2026-12-4",
            "",
            "yesterday",
            "2026/12/04",
            "０２６-12-04",
        ] {
            assert!(Day::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_timestamp_falls_on_its_utc_day() {
        let t = Timestamp::parse_rfc3339("2026-12-04T23:59:59.999Z").unwrap();
        assert_eq!(Day::of(t).to_string(), "2026-12-04");
        assert_eq!(Day::of(t.plus_millis(1)).to_string(), "2026-12-05");
    }

    fn assessment(statuses: &[(&str, Status)]) -> Assessment {
        Assessment {
            at: Timestamp(0),
            score: 0,
            checks: statuses.iter().map(|(id, s)| crate::Check::flag(id, id, Severity::High, *s, "", "")).collect(),
        }
    }

    #[test]
    fn only_checks_that_got_worse_are_reported() {
        let before = assessment(&[("a", Status::Pass), ("b", Status::Warn), ("c", Status::Fail), ("d", Status::Warn)]);
        let after = assessment(&[
            ("a", Status::Warn),
            ("b", Status::Warn),
            ("c", Status::Pass),
            ("d", Status::Fail),
            ("new", Status::Fail),
            ("new_ok", Status::Pass),
        ]);
        let got: Vec<(&str, Status, Status)> =
            worsened(&before, &after).into_iter().map(|(c, was)| (c.id.as_str(), was, c.status)).collect();
        assert_eq!(
            got,
            vec![
                ("a", Status::Pass, Status::Warn),
                ("d", Status::Warn, Status::Fail),
                ("new", Status::Pass, Status::Fail)
            ]
        );
    }
}
