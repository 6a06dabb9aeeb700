//! One check's outcome, and the score a set of them comes to.

use serde::{Deserialize, Serialize};

/// How much a failing check matters; it weighs the check in the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Anyone could read secrets or forge history.
    Critical,
    /// A likely way in.
    High,
    /// A weakness worth fixing soon.
    Medium,
    /// Good practice.
    Low,
}

impl Severity {
    /// Its weight in the score.
    fn weight(self) -> u32 {
        match self {
            Severity::Critical => 10,
            Severity::High => 6,
            Severity::Medium => 3,
            Severity::Low => 1,
        }
    }
}

/// A check's verdict, ordered from good to bad (so "worse" is `>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do.
    Pass,
    /// Worth a look; not an open door.
    Warn,
    /// Fix it.
    Fail,
}

/// One check's outcome: what was looked at, what was found, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// A stable identifier (`key_files`), the same in every report.
    pub id: String,
    /// What it checks, for people.
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    /// What was found (never a secret).
    pub detail: String,
    /// What to do about it; empty when it passes.
    pub fix: String,
}

impl Check {
    /// A passing check.
    pub fn pass(id: &str, title: &str, severity: Severity, detail: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            severity,
            status: Status::Pass,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    /// A check that does not pass, with the fix.
    pub fn flag(
        id: &str,
        title: &str,
        severity: Severity,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check { id: id.into(), title: title.into(), severity, status, detail: detail.into(), fix: fix.into() }
    }
}

/// 0–100: each check weighs its severity; a pass earns it all, a warning half, a failure nothing.
/// No checks at all score 100.
pub fn score(checks: &[Check]) -> u8 {
    let (earned, total) = checks.iter().fold((0u32, 0u32), |(earned, total), c| {
        let weight = c.severity.weight() * 2;
        let got = match c.status {
            Status::Pass => weight,
            Status::Warn => weight / 2,
            Status::Fail => 0,
        };
        (earned + got, total + weight)
    });
    (earned * 100 + total / 2).checked_div(total).map_or(100, |s| u8::try_from(s).unwrap_or(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(severity: Severity, status: Status) -> Check {
        Check::flag("x", "x", severity, status, "", "")
    }

    #[test]
    fn a_failure_costs_its_weight_and_a_warning_half() {
        assert_eq!(score(&[]), 100);
        assert_eq!(score(&[check(Severity::Low, Status::Pass)]), 100);
        assert_eq!(score(&[check(Severity::Low, Status::Fail)]), 0);
        assert_eq!(score(&[check(Severity::High, Status::Warn)]), 50);
        // A critical failure beside a low pass: 1 of 11 earned.
        assert_eq!(score(&[check(Severity::Critical, Status::Fail), check(Severity::Low, Status::Pass)]), 9);
        // The same failure on a low check barely moves it.
        assert_eq!(score(&[check(Severity::Low, Status::Fail), check(Severity::Critical, Status::Pass)]), 91);
    }

    #[test]
    fn statuses_order_from_good_to_bad_and_serialise_lowercase() {
        assert!(Status::Pass < Status::Warn && Status::Warn < Status::Fail);
        assert_eq!(serde_json::to_value(Status::Warn).unwrap(), "warn");
        assert_eq!(serde_json::to_value(Severity::Critical).unwrap(), "critical");
    }
}
