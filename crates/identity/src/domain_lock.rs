//! The domain lock (the agent-platform reference's `/api/settings/domain`): once an admin locks
//! Pincer to its HTTPS hostname, requests addressed to any other host are refused (the HTTP layer
//! does that), cookies are `Secure`, and only that origin passes the CSRF check. The lock is a
//! reserved setting, so every replica sees it; each keeps it in memory and re-reads it at most
//! [`REFRESH_MS`] after the last read, so another replica's change applies within seconds.

use std::sync::{Arc, RwLock};

use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{Capability, Clock, Principal, StoreError, Timestamp};
use serde_json::json;

use crate::IdentityError;
use crate::model::Setting;
use crate::ports::SettingStore;

/// Where the locked hostname is kept (empty: not locked).
pub const LOCKED_DOMAIN_KEY: &str = "security.locked_domain";
/// How stale this process's copy of the lock may get.
pub const REFRESH_MS: i64 = 5_000;

#[derive(Debug, Default)]
struct Cached {
    domain: Option<String>,
    read_at: Option<Timestamp>,
}

/// The lock, as stored and as this process last read it.
pub struct DomainLock {
    store: Arc<dyn SettingStore>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
    cached: RwLock<Cached>,
}

/// A hostname as the lock keeps it: lower case, no trailing dot; `None` when it is not one
/// (a scheme, a port, a path, an address with a colon, bad labels).
pub fn canonical_host(raw: &str) -> Option<String> {
    let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    // An address is not a domain: a lock to one would be a lock to a machine, not a name.
    let address = host.parse::<std::net::Ipv4Addr>().is_ok();
    (!host.is_empty() && host.len() <= 253 && labels_ok && !address).then_some(host)
}

/// The host part of a `Host` header value (`example.com:8443` → `example.com`; `[::1]:80` →
/// `[::1]`), lower case.
pub fn host_without_port(authority: &str) -> String {
    let authority = authority.trim();
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl std::fmt::Debug for DomainLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainLock").field("domain", &self.cached()).finish_non_exhaustive()
    }
}

impl DomainLock {
    /// The lock kept in `store`.
    pub fn new(store: Arc<dyn SettingStore>, clock: Arc<dyn Clock>, audit: Arc<dyn AuditSink>) -> Self {
        Self { store, clock, audit, cached: RwLock::new(Cached::default()) }
    }

    /// The locked hostname as this process last read it (no database round trip).
    pub fn cached(&self) -> Option<String> {
        self.cached.read().ok().and_then(|c| c.domain.clone())
    }

    /// Whether the copy in memory should be read again.
    pub fn stale(&self) -> bool {
        let now = self.clock.now();
        self.cached.read().map_or(true, |c| c.read_at.is_none_or(|at| now.millis() - at.millis() >= REFRESH_MS))
    }

    /// Reads the lock from the store into memory; the stored value, or the error (then the copy
    /// in memory stays as it was).
    pub async fn refresh(&self) -> Result<Option<String>, StoreError> {
        let stored = self.store.get(LOCKED_DOMAIN_KEY).await?;
        let domain = stored.map(|s| s.value).filter(|v| !v.is_empty());
        self.remember(domain.clone());
        Ok(domain)
    }

    fn remember(&self, domain: Option<String>) {
        if let Ok(mut cached) = self.cached.write() {
            *cached = Cached { domain, read_at: Some(self.clock.now()) };
        }
    }

    /// The lock for an admin (read from the store).
    pub async fn get(&self, principal: &Principal) -> Result<Option<String>, IdentityError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.refresh().await?)
    }

    /// Locks to `domain` (or unlocks with `None`). `request_host` is the host this request came
    /// through: locking to another one is refused, so an admin cannot lock themselves out.
    pub async fn set(
        &self,
        principal: &Principal,
        domain: Option<&str>,
        request_host: &str,
    ) -> Result<Option<String>, IdentityError> {
        principal.require(Capability::ManageSettings)?;
        let domain = match domain {
            None => None,
            Some(raw) => {
                let host = canonical_host(raw).ok_or_else(|| {
                    IdentityError::InvalidInput("lockedDomain must be a hostname, like pincer.example.com".into())
                })?;
                if host != host_without_port(request_host) {
                    return Err(IdentityError::InvalidInput(format!(
                        "lock to the domain this page was reached through ({}), so that you are not locked out",
                        host_without_port(request_host)
                    )));
                }
                Some(host)
            }
        };
        self.store_lock(domain.clone()).await?;
        let event = match &domain {
            Some(host) => {
                AuditEvent::new(Actor::of(principal), "settings.domain_locked").detail(json!({"domain": host}))
            }
            None => AuditEvent::new(Actor::of(principal), "settings.domain_unlocked"),
        };
        self.audit.record(event.resource("setting:security.locked_domain")).await;
        Ok(domain)
    }

    /// Removes the lock without a caller (the `pincer unlock-domain` command, for an admin who
    /// can no longer reach the server); audited as the system.
    pub async fn clear(&self) -> Result<(), IdentityError> {
        self.store_lock(None).await?;
        let event = AuditEvent::new(Actor::System, "settings.domain_unlocked")
            .resource("setting:security.locked_domain")
            .detail(json!({"by": "command line"}));
        self.audit.record(event).await;
        Ok(())
    }

    async fn store_lock(&self, domain: Option<String>) -> Result<(), IdentityError> {
        let setting = Setting {
            key: LOCKED_DOMAIN_KEY.into(),
            value: domain.clone().unwrap_or_default(),
            encrypted: false,
            updated_at: self.clock.now(),
        };
        self.store.upsert(&setting).await?;
        self.remember(domain);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_canonical_and_nothing_else_passes() {
        assert_eq!(canonical_host(" Pincer.Example.com. ").as_deref(), Some("pincer.example.com"));
        assert_eq!(canonical_host("localhost").as_deref(), Some("localhost"));
        for bad in
            ["", "127.0.0.1", "https://a.com", "a.com:443", "a.com/x", "-a.com", "a..com", "a_b.com", "[::1]", "é.com"]
        {
            assert_eq!(canonical_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_host_header_loses_its_port() {
        assert_eq!(host_without_port("Pincer.example.com:8443"), "pincer.example.com");
        assert_eq!(host_without_port("pincer.example.com"), "pincer.example.com");
        assert_eq!(host_without_port("[::1]:7777"), "[::1]");
        assert_eq!(host_without_port("127.0.0.1:7777"), "127.0.0.1");
    }
}
