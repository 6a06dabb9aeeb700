//! Fixed-window counters with bounded memory, for throttling logins and password changes.
//!
//! In memory, per process: a replica only sees its own traffic, which still bounds guessing at
//! replicas × limit. Time comes from the caller so tests can move it.
//!
//! Memory is bounded whatever the input (security review H1): keys are 64-bit keyed hashes (the
//! caller's text is never stored) and a table holds at most `capacity` of them. When it is full,
//! expired windows go first, then entries that are neither *pinned* nor blocked; a pinned entry
//! (a real account's count) or a blocked one is never forgotten, so a flood of made-up keys
//! cannot reset a victim's counter. When nothing can go, a new key is refused: the table fails
//! closed, as does a poisoned lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;

use pincer_core::Timestamp;

/// Keys one table holds at most: 65,536 × ~32 bytes ≈ 2 MiB, plus the map's slack.
pub const DEFAULT_CAPACITY: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    count: u32,
    pinned: bool,
}

/// A key of one limiter: the keyed hash of what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(u64);

/// Counts events per key in fixed windows, in bounded memory (see the module notes).
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window_ms: i64,
    capacity: usize,
    /// Keyed per process, so nobody can aim collisions at a victim's key.
    hasher: RandomState,
    windows: Mutex<HashMap<Key, Window>>,
}

impl RateLimiter {
    /// A limiter of `limit` events per `window_ms`, with the default capacity.
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Self::with_capacity(limit, window_ms, DEFAULT_CAPACITY)
    }

    /// A limiter holding at most `capacity` keys.
    pub fn with_capacity(limit: u32, window_ms: i64, capacity: usize) -> Self {
        Self { limit, window_ms, capacity, hasher: RandomState::new(), windows: Mutex::new(HashMap::new()) }
    }

    /// The key this limiter counts `value` under.
    pub fn key(&self, value: impl Hash) -> Key {
        Key(self.hasher.hash_one(value))
    }

    /// Counts one attempt for `key` if its window has room, in one step (check and count cannot
    /// be raced apart by parallel attempts: review M4). `Err(retry_after_secs)` when the window
    /// is used up, the table is full of entries it must keep, or the lock is poisoned. `pin`
    /// marks the entry as one that must never be evicted to make room.
    pub fn acquire(&self, key: Key, pin: bool, now: Timestamp) -> Result<(), u64> {
        let whole_window = self.retry_after(self.window_ms);
        let Ok(mut windows) = self.windows.lock() else {
            return Err(whole_window);
        };
        let now_ms = now.millis();
        if !windows.contains_key(&key) && windows.len() >= self.capacity {
            self.make_room(&mut windows, now_ms);
            if windows.len() >= self.capacity {
                return Err(whole_window);
            }
        }
        let window = windows.entry(key).or_insert(Window { start_ms: now_ms, count: 0, pinned: pin });
        window.pinned |= pin;
        if now_ms >= window.start_ms + self.window_ms {
            window.start_ms = now_ms;
            window.count = 0;
        }
        if window.count >= self.limit {
            return Err(self.retry_after(window.start_ms + self.window_ms - now_ms));
        }
        window.count += 1;
        Ok(())
    }

    /// Forgets `key` (after a successful login, its counted attempt and failures no longer count).
    pub fn reset(&self, key: Key) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&key);
        }
    }

    /// How many keys the table holds now.
    pub fn len(&self) -> usize {
        self.windows.lock().map(|w| w.len()).unwrap_or(0)
    }

    /// Whether no key is being counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired windows, then what is neither pinned nor blocked. Dropping a whole class at
    /// once keeps a flood at amortised O(1) per key.
    fn make_room(&self, windows: &mut HashMap<Key, Window>, now_ms: i64) {
        let (window_ms, limit) = (self.window_ms, self.limit);
        windows.retain(|_, w| now_ms < w.start_ms + window_ms);
        if windows.len() >= self.capacity {
            windows.retain(|_, w| w.pinned || w.count >= limit);
        }
    }

    fn retry_after(&self, remaining_ms: i64) -> u64 {
        ((remaining_ms + 999) / 1000).max(1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_until_window_ends() {
        let rl = RateLimiter::new(3, 60_000);
        let (ip, other) = (rl.key("ip"), rl.key("other"));
        let t0 = Timestamp(1_000_000);
        for _ in 0..3 {
            assert!(rl.acquire(ip, false, t0).is_ok());
        }
        assert_eq!(rl.acquire(ip, false, t0.plus_millis(500)), Err(60));
        assert_eq!(rl.acquire(ip, false, t0.plus_millis(59_001)), Err(1));
        assert!(rl.acquire(other, false, t0).is_ok());
        assert!(rl.acquire(ip, false, t0.plus_millis(60_000)).is_ok(), "a new window starts from zero");
        assert!(rl.acquire(ip, false, t0.plus_millis(60_001)).is_ok());
    }

    #[test]
    fn reset_forgets() {
        let rl = RateLimiter::new(1, 60_000);
        let a = rl.key("a");
        assert!(rl.acquire(a, false, Timestamp(0)).is_ok());
        assert!(rl.acquire(a, false, Timestamp(1)).is_err());
        rl.reset(a);
        assert!(rl.acquire(a, false, Timestamp(1)).is_ok());
    }

    /// Review H1: a million distinct keys in one window never grow the table past its capacity,
    /// and the victim's pinned count survives the flood.
    #[test]
    fn a_flood_of_distinct_keys_stays_bounded_and_keeps_the_victims_count() {
        let rl = RateLimiter::new(10, 15 * 60_000);
        let t0 = Timestamp(5_000_000);
        let victim = rl.key("account:admin@example.com");
        for _ in 0..10 {
            assert!(rl.acquire(victim, true, t0).is_ok());
        }
        let mut refused = 0;
        for n in 0..1_000_000u32 {
            if rl.acquire(rl.key(("made-up", n)), false, t0).is_err() {
                refused += 1;
            }
            assert!(rl.len() <= DEFAULT_CAPACITY);
        }
        assert_eq!(refused, 0, "unpinned, unblocked entries make room for new ones");
        assert!(rl.acquire(victim, true, t0.plus_millis(1)).is_err(), "the victim is still throttled");
    }

    /// A table full of entries it must keep refuses a new key instead of forgetting one.
    #[test]
    fn a_table_full_of_pinned_or_blocked_keys_refuses_new_ones() {
        let rl = RateLimiter::with_capacity(1, 60_000, 4);
        let t0 = Timestamp(0);
        for n in 0..2 {
            assert!(rl.acquire(rl.key(("pinned", n)), true, t0).is_ok());
        }
        for n in 0..2 {
            let blocked = rl.key(("blocked", n));
            assert!(rl.acquire(blocked, false, t0).is_ok());
            assert!(rl.acquire(blocked, false, t0).is_err());
        }
        assert_eq!(rl.acquire(rl.key("newcomer"), false, t0), Err(60));
        assert_eq!(rl.len(), 4);
        assert!(rl.acquire(rl.key("newcomer"), false, t0.plus_millis(60_000)).is_ok(), "expired windows make room");
    }

    /// Review H1: a poisoned lock fails closed.
    #[test]
    fn a_poisoned_lock_refuses() {
        let rl = std::sync::Arc::new(RateLimiter::new(100, 60_000));
        let poisoner = rl.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.windows.lock().unwrap();
            panic!("poison the lock");
        })
        .join();
        assert_eq!(rl.acquire(rl.key("anyone"), false, Timestamp(0)), Err(60));
    }
}
