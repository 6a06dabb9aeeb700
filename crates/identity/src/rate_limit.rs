//! Fixed-window counters for throttling logins per source address and per account.
//!
//! In memory, per process: a replica only sees its own traffic, which still bounds guessing at
//! replicas × limit. Time comes from the caller so tests can move it.

use std::collections::HashMap;
use std::sync::Mutex;

use pincer_core::Timestamp;

/// Maximum number of keys kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window_ms: i64,
    windows: Mutex<HashMap<String, (Timestamp, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Self { limit, window_ms, windows: Mutex::new(HashMap::new()) }
    }

    /// `Err(retry_after_secs)` when `key` has used up its window.
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        match windows.get(key) {
            Some(&(start, count)) if count >= self.limit && now.millis() < start.millis() + self.window_ms => {
                let remaining_ms = start.millis() + self.window_ms - now.millis();
                Err(((remaining_ms + 999) / 1000).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Counts one hit for `key`.
    pub fn hit(&self, key: &str, now: Timestamp) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        if windows.len() >= SWEEP_AT {
            let window_ms = self.window_ms;
            windows.retain(|_, (start, _)| now.millis() < start.millis() + window_ms);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now.millis() >= entry.0.millis() + self.window_ms {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `key` (after a successful login, its failures no longer count).
    pub fn reset(&self, key: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_until_window_ends() {
        let rl = RateLimiter::new(3, 60_000);
        let t0 = Timestamp(1_000_000);
        for _ in 0..3 {
            assert!(rl.check("ip", t0).is_ok());
            rl.hit("ip", t0);
        }
        assert_eq!(rl.check("ip", t0.plus_millis(500)), Err(60));
        assert_eq!(rl.check("ip", t0.plus_millis(59_001)), Err(1));
        assert!(rl.check("other", t0).is_ok());
        assert!(rl.check("ip", t0.plus_millis(60_000)).is_ok());
        rl.hit("ip", t0.plus_millis(60_000));
        assert!(rl.check("ip", t0.plus_millis(60_001)).is_ok(), "a new window starts from zero");
    }

    #[test]
    fn reset_forgets() {
        let rl = RateLimiter::new(1, 60_000);
        rl.hit("a", Timestamp(0));
        assert!(rl.check("a", Timestamp(1)).is_err());
        rl.reset("a");
        assert!(rl.check("a", Timestamp(1)).is_ok());
    }
}
