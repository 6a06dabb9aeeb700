//! Validated sessions kept in memory, so authenticating a request costs no database round trip.
//!
//! Entries are dropped explicitly on logout, password change, ban and role change. Each entry
//! also has a short maximum age, which bounds how long another replica's change (on a shared
//! PostgreSQL) can go unnoticed here.

use std::collections::HashMap;
use std::sync::RwLock;

use pincer_core::{Principal, SessionId, Timestamp, UserId};

/// Re-validate against the database after this long.
pub const MAX_AGE_MS: i64 = 30_000;
/// Bounds memory: beyond this many sessions the cache starts over.
const CAPACITY: usize = 100_000;

#[derive(Clone, Debug)]
struct Entry {
    principal: Principal,
    expires_at: Timestamp,
    cached_at: Timestamp,
}

/// The cache; one per process.
#[derive(Debug, Default)]
pub struct SessionCache {
    by_token_hash: RwLock<HashMap<String, Entry>>,
}

impl SessionCache {
    /// The cached principal of a token hash, if fresh and unexpired.
    pub fn get(&self, token_hash: &str, now: Timestamp) -> Option<Principal> {
        let map = self.by_token_hash.read().ok()?;
        let entry = map.get(token_hash)?;
        if now >= entry.expires_at || now.millis() - entry.cached_at.millis() >= MAX_AGE_MS {
            return None;
        }
        Some(entry.principal.clone())
    }

    /// Caches a validated session.
    pub fn insert(&self, token_hash: String, principal: Principal, expires_at: Timestamp, now: Timestamp) {
        if let Ok(mut map) = self.by_token_hash.write() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(token_hash, Entry { principal, expires_at, cached_at: now });
        }
    }

    /// Drops the session of this token hash.
    pub fn remove(&self, token_hash: &str) {
        if let Ok(mut map) = self.by_token_hash.write() {
            map.remove(token_hash);
        }
    }

    /// Drops the cached session with this id (another node ended it; its token is unknown here).
    pub fn remove_session(&self, session: SessionId) {
        if let Ok(mut map) = self.by_token_hash.write() {
            map.retain(|_, e| e.principal.session_id() != Some(session));
        }
    }

    /// Drops every cached session of `user_id`.
    pub fn remove_user(&self, user_id: UserId) {
        if let Ok(mut map) = self.by_token_hash.write() {
            map.retain(|_, e| e.principal.user_id != user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::{Credential, Role};

    fn principal(user_id: UserId) -> Principal {
        Principal { user_id, role: Role::Member, name: "A".into(), credential: Credential::Internal }
    }

    #[test]
    fn hits_until_expiry_or_max_age() {
        let cache = SessionCache::default();
        let u = UserId::new();
        cache.insert("h".into(), principal(u), Timestamp(100_000), Timestamp(0));
        assert!(cache.get("h", Timestamp(10)).is_some());
        assert!(cache.get("h", Timestamp(MAX_AGE_MS)).is_none(), "stale entries re-validate");
        cache.insert("h".into(), principal(u), Timestamp(50), Timestamp(0));
        assert!(cache.get("h", Timestamp(50)).is_none(), "expired sessions never hit");
    }

    #[test]
    fn removal_by_token_and_by_user() {
        let cache = SessionCache::default();
        let (a, b) = (UserId::new(), UserId::new());
        cache.insert("a1".into(), principal(a), Timestamp(i64::MAX), Timestamp(0));
        cache.insert("a2".into(), principal(a), Timestamp(i64::MAX), Timestamp(0));
        cache.insert("b1".into(), principal(b), Timestamp(i64::MAX), Timestamp(0));
        cache.remove("a1");
        assert!(cache.get("a1", Timestamp(1)).is_none());
        assert!(cache.get("a2", Timestamp(1)).is_some());
        cache.remove_user(a);
        assert!(cache.get("a2", Timestamp(1)).is_none());
        assert!(cache.get("b1", Timestamp(1)).is_some());
    }
}
