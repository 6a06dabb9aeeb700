//! Failed logins can be triggered by anyone; without a brake they could flood the log. Per source,
//! one row per minute is written; the rows in between are counted and the next written row
//! carries that count as `suppressed`.

use std::collections::HashMap;
use std::sync::Mutex;

use pincer_core::Timestamp;

/// The window within which repeated failures from one source are folded.
pub const WINDOW_MS: i64 = 60_000;
const SWEEP_AT: usize = 10_000;

/// Folds floods of failed logins from one source into one row per window.
#[derive(Debug, Default)]
pub struct FailureThrottle {
    sources: Mutex<HashMap<String, (Timestamp, u64)>>,
}

/// What to do with one event from a source.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Write it; `suppressed` events from this source were dropped since the last written one.
    Write {
        /// How many were dropped before it.
        suppressed: u64,
    },
    /// Drop it (counted into the next written one).
    Suppress,
}

impl FailureThrottle {
    /// What to do with a failure from `source` at `now`.
    pub fn decide(&self, source: &str, now: Timestamp) -> Decision {
        let Ok(mut sources) = self.sources.lock() else { return Decision::Write { suppressed: 0 } };
        if sources.len() >= SWEEP_AT {
            sources.retain(|_, (start, count)| now.millis() < start.millis() + WINDOW_MS || *count > 0);
        }
        match sources.get_mut(source) {
            Some((start, count)) if now.millis() < start.millis() + WINDOW_MS => {
                *count += 1;
                Decision::Suppress
            }
            Some((start, count)) => {
                let suppressed = *count;
                *start = now;
                *count = 0;
                Decision::Write { suppressed }
            }
            None => {
                sources.insert(source.to_string(), (now, 0));
                Decision::Write { suppressed: 0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_source_per_minute_with_count() {
        let t = FailureThrottle::default();
        assert_eq!(t.decide("1.2.3.4", Timestamp(0)), Decision::Write { suppressed: 0 });
        for i in 1..=5 {
            assert_eq!(t.decide("1.2.3.4", Timestamp(i * 1000)), Decision::Suppress);
        }
        assert_eq!(t.decide("5.6.7.8", Timestamp(2000)), Decision::Write { suppressed: 0 });
        assert_eq!(t.decide("1.2.3.4", Timestamp(WINDOW_MS)), Decision::Write { suppressed: 5 });
        assert_eq!(t.decide("1.2.3.4", Timestamp(WINDOW_MS + 1)), Decision::Suppress);
    }
}
