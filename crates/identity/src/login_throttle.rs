//! Who may try a password now: the throttles of login and password change.
//!
//! - Per source address (an IPv6 address counts by its /64, which one host usually holds
//!   whole): every login attempt, 20 a minute.
//! - Per account: attempts, 10 in 15 minutes; a successful login clears its own attempt. Keys
//!   of real accounts are pinned, so no flood of made-up addresses can evict them (review H1);
//!   made-up addresses are counted too, so a 429 reveals nothing about which accounts exist.
//! - An address the account signed in from before (the last [`KNOWN_SOURCES`]) is not held by
//!   the account-wide lockout, only by its own count per account and address (review M6): an
//!   attacker who knows the admin's e-mail cannot keep the admin out.
//! - Password changes: 10 in 15 minutes per user, and they count against the address's login
//!   budget (review M11), so a flood of changes cannot monopolise the hashing threads.
//!
//! Each check counts the attempt in the same step (review M4); success resets afterwards.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use pincer_core::{Timestamp, UserId};

use crate::rate_limit::{DEFAULT_CAPACITY, Key, RateLimiter};

/// Login attempts per source address per minute.
pub const LOGIN_PER_IP_PER_MINUTE: u32 = 20;
/// Login attempts per account per fifteen minutes (a successful one clears the count).
pub const LOGIN_FAILURES_PER_ACCOUNT: u32 = 10;
/// Password changes per user per fifteen minutes.
pub const PASSWORD_CHANGES_PER_USER: u32 = 10;
/// Addresses remembered per account as ones it signed in from.
pub const KNOWN_SOURCES: usize = 8;

const MINUTE_MS: i64 = 60_000;
const ACCOUNT_WINDOW_MS: i64 = 15 * MINUTE_MS;

/// What an admitted login attempt was counted against, so success can clear it.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    account: Key,
    known_source: Option<Key>,
}

/// Bounded counters of failed logins per account and per source (see the module notes).
#[derive(Debug)]
pub struct LoginThrottle {
    per_source: RateLimiter,
    per_account: RateLimiter,
    per_known_source: RateLimiter,
    password_changes: RateLimiter,
    /// The addresses each account last signed in from, as keys of `per_source` (never the
    /// address itself). Bounded: when full, an arbitrary account forgets its addresses, which
    /// only takes away its bypass of the account-wide lockout.
    known: Mutex<HashMap<UserId, Vec<Key>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            per_source: RateLimiter::new(LOGIN_PER_IP_PER_MINUTE, MINUTE_MS),
            per_account: RateLimiter::new(LOGIN_FAILURES_PER_ACCOUNT, ACCOUNT_WINDOW_MS),
            per_known_source: RateLimiter::new(LOGIN_FAILURES_PER_ACCOUNT, ACCOUNT_WINDOW_MS),
            password_changes: RateLimiter::new(PASSWORD_CHANGES_PER_USER, ACCOUNT_WINDOW_MS),
            known: Mutex::new(HashMap::new()),
        }
    }
}

impl LoginThrottle {
    /// Counts an attempt from `source` (a client address as the HTTP layer normalised it).
    pub fn admit_source(&self, source: &str, now: Timestamp) -> Result<Key, u64> {
        let key = self.source_key(source);
        self.per_source.acquire(key, false, now)?;
        Ok(key)
    }

    /// Counts a login attempt on the account of `email` (`user` when it exists) from `source`.
    pub fn admit_login(&self, email: &str, user: Option<UserId>, source: Key, now: Timestamp) -> Result<Admitted, u64> {
        let account = self.per_account.key(email);
        if let Some(user) = user
            && self.is_known(user, source)
        {
            let key = self.per_known_source.key((email, source));
            self.per_known_source.acquire(key, true, now)?;
            return Ok(Admitted { account, known_source: Some(key) });
        }
        self.per_account.acquire(account, user.is_some(), now)?;
        Ok(Admitted { account, known_source: None })
    }

    /// A login succeeded: its counts are cleared and `source` becomes one the account knows.
    pub fn succeeded(&self, admitted: Admitted, user: UserId, source: Key) {
        self.per_account.reset(admitted.account);
        if let Some(key) = admitted.known_source {
            self.per_known_source.reset(key);
        }
        let Ok(mut known) = self.known.lock() else { return };
        if !known.contains_key(&user)
            && known.len() >= DEFAULT_CAPACITY
            && let Some(&evicted) = known.keys().next()
        {
            known.remove(&evicted);
        }
        let sources = known.entry(user).or_default();
        sources.retain(|k| *k != source);
        if sources.len() == KNOWN_SOURCES {
            sources.remove(0);
        }
        sources.push(source);
    }

    /// Counts a password change by `user` from `source`.
    pub fn admit_password_change(&self, user: UserId, source: &str, now: Timestamp) -> Result<(), u64> {
        self.admit_source(source, now)?;
        self.password_changes.acquire(self.password_changes.key(user), true, now)
    }

    fn is_known(&self, user: UserId, source: Key) -> bool {
        self.known.lock().map(|known| known.get(&user).is_some_and(|s| s.contains(&source))).unwrap_or(false)
    }

    /// An IPv6 address counts by its /64; anything unparsable counts as the text it is.
    fn source_key(&self, source: &str) -> Key {
        match source.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(IpAddr::V6(v6)) => {
                let [a, b, c, d, ..] = v6.segments();
                self.per_source.key(("v6/64", a, b, c, d))
            }
            Ok(ip) => self.per_source.key(ip),
            Err(_) => self.per_source.key(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(10_000_000);

    fn lock_out(throttle: &LoginThrottle, email: &str, user: UserId, from: Key) {
        for _ in 0..LOGIN_FAILURES_PER_ACCOUNT {
            assert!(throttle.admit_login(email, Some(user), from, T0).is_ok());
        }
        assert!(throttle.admit_login(email, Some(user), from, T0).is_err());
    }

    #[test]
    fn a_known_address_passes_the_account_lockout_with_its_own_count() {
        let throttle = LoginThrottle::default();
        let admin = UserId::new();
        let office = throttle.admit_source("203.0.113.7", T0).unwrap();
        let attacker = throttle.admit_source("198.51.100.66", T0).unwrap();
        let admitted = throttle.admit_login("admin@example.com", Some(admin), office, T0).unwrap();
        throttle.succeeded(admitted, admin, office);

        lock_out(&throttle, "admin@example.com", admin, attacker);
        let stranger = throttle.admit_source("192.0.2.1", T0).unwrap();
        assert!(throttle.admit_login("admin@example.com", Some(admin), stranger, T0).is_err());
        for _ in 0..LOGIN_FAILURES_PER_ACCOUNT {
            assert!(throttle.admit_login("admin@example.com", Some(admin), office, T0).is_ok());
        }
        assert!(
            throttle.admit_login("admin@example.com", Some(admin), office, T0).is_err(),
            "a known address has a limit of its own"
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_v4_as_v4() {
        let throttle = LoginThrottle::default();
        assert_eq!(throttle.source_key("2001:db8:1:2::1"), throttle.source_key("2001:db8:1:2:ffff::9"));
        assert_ne!(throttle.source_key("2001:db8:1:2::1"), throttle.source_key("2001:db8:1:3::1"));
        assert_eq!(throttle.source_key("::ffff:192.0.2.4"), throttle.source_key("192.0.2.4"));
        for _ in 0..LOGIN_PER_IP_PER_MINUTE {
            assert!(throttle.admit_source(&format!("2001:db8::{:x}", rand_suffix()), T0).is_ok());
        }
        assert!(throttle.admit_source("2001:db8::abcd", T0).is_err(), "one /64 shares one budget");
    }

    fn rand_suffix() -> u16 {
        use std::sync::atomic::{AtomicU16, Ordering};
        static NEXT: AtomicU16 = AtomicU16::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// Review H1: a million made-up accounts keep the tables bounded and the real account locked.
    #[test]
    fn a_million_made_up_accounts_stay_bounded() {
        let throttle = LoginThrottle::default();
        let admin = UserId::new();
        let from = throttle.per_source.key("attacker");
        lock_out(&throttle, "admin@example.com", admin, from);
        for n in 0..1_000_000u32 {
            let _ = throttle.admit_login(&format!("nobody{n}@example.com"), None, from, T0);
        }
        assert!(throttle.per_account.len() <= DEFAULT_CAPACITY);
        assert!(throttle.admit_login("admin@example.com", Some(admin), from, T0).is_err());
    }

    #[test]
    fn password_changes_are_counted_per_user() {
        let throttle = LoginThrottle::default();
        let user = UserId::new();
        for n in 0..PASSWORD_CHANGES_PER_USER {
            assert!(throttle.admit_password_change(user, &format!("192.0.2.{n}"), T0).is_ok());
        }
        assert!(throttle.admit_password_change(user, "192.0.2.200", T0).is_err());
        assert!(throttle.admit_password_change(UserId::new(), "192.0.2.201", T0).is_ok());
    }
}
