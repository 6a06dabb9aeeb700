//! Application settings: a key/value store whose secret-looking keys are sealed at rest.

use std::sync::Arc;

use pincer_audit::{AuditEvent, AuditSink};
use pincer_core::crypto::Cipher;
use pincer_core::secret::MASK;
use pincer_core::{Capability, Clock, Principal, Secret};
use serde_json::json;

use crate::IdentityError;
use crate::model::Setting;
use crate::ports::SettingStore;
use pincer_audit::Actor;

const MAX_KEY_CHARS: usize = 100;
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// A key containing any of these is encrypted at rest and masked in responses. The reference
/// names `api_key`; the others are secrets by any reading, so they are sealed too.
const SECRET_MARKERS: [&str; 4] = ["api_key", "secret", "token", "password"];
/// Keys the platform keeps for itself (the installed licence, `licence::service`; the domain
/// lock, `domain_lock`): checked through their own routes, so neither listed nor written here.
const RESERVED_PREFIXES: [&str; 2] = ["enterprise.", "security."];

fn reserved(key: &str) -> Option<&'static str> {
    RESERVED_PREFIXES.into_iter().find(|prefix| key.starts_with(prefix))
}

/// A setting as an admin sees it: secrets masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingView {
    /// The key.
    pub key: String,
    /// The value; masked when the setting is a secret.
    pub value: String,
    /// Whether the setting is a secret (sealed at rest, masked in answers).
    pub encrypted: bool,
}

/// Organisation settings: secrets sealed at rest and masked when read; admins only.
pub struct SettingsService {
    store: Arc<dyn SettingStore>,
    cipher: Arc<Cipher>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditSink>,
}

/// Whether values under `key` are secrets.
pub fn is_secret_key(key: &str) -> bool {
    SECRET_MARKERS.iter().any(|marker| key.contains(marker))
}

fn validate_key(key: &str) -> Result<(), IdentityError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if let Some(prefix) = reserved(key) {
        return Err(IdentityError::InvalidInput(format!("keys starting with {prefix} are reserved")));
    }
    if ok {
        Ok(())
    } else {
        Err(IdentityError::InvalidInput(format!(
            "key must be 1-{MAX_KEY_CHARS} characters of a-z, 0-9, '_', '.' or '-'"
        )))
    }
}

impl SettingsService {
    /// The service over the settings store.
    pub fn new(
        store: Arc<dyn SettingStore>,
        cipher: Arc<Cipher>,
        clock: Arc<dyn Clock>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        Self { store, cipher, clock, audit }
    }

    /// Every setting, secrets masked (admins).
    pub async fn list(&self, principal: &Principal) -> Result<Vec<SettingView>, IdentityError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self
            .store
            .list()
            .await?
            .into_iter()
            .filter(|s| reserved(&s.key).is_none())
            .map(|s| SettingView {
                value: if s.encrypted { MASK.to_string() } else { s.value },
                key: s.key,
                encrypted: s.encrypted,
            })
            .collect())
    }

    /// Sets one setting, sealing it when its key names a secret (admins).
    pub async fn set(&self, principal: &Principal, key: &str, value: &str) -> Result<(), IdentityError> {
        principal.require(Capability::ManageSettings)?;
        validate_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(IdentityError::InvalidInput("value must be at most 64 KiB".into()));
        }
        let encrypted = is_secret_key(key);
        let stored = if encrypted { self.cipher.seal(value.as_bytes(), key) } else { value.to_string() };
        self.store
            .upsert(&Setting { key: key.to_string(), value: stored, encrypted, updated_at: self.clock.now() })
            .await?;
        self.audit
            .record(
                AuditEvent::new(Actor::of(principal), "settings.updated")
                    .resource(format!("setting:{key}"))
                    .detail(json!({"key": key, "encrypted": encrypted})),
            )
            .await;
        Ok(())
    }

    /// The plaintext of a setting, for internal use by other services (never for responses).
    pub async fn reveal(&self, key: &str) -> Result<Option<Secret<String>>, IdentityError> {
        let Some(setting) = self.store.get(key).await? else {
            return Ok(None);
        };
        if !setting.encrypted {
            return Ok(Some(Secret::new(setting.value)));
        }
        let plain = self.cipher.open(&setting.value, key).map_err(|_| IdentityError::SecretUnreadable)?;
        String::from_utf8(plain).map(|s| Some(Secret::new(s))).map_err(|_| IdentityError::SecretUnreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised() {
        assert!(is_secret_key("anthropic_api_key"));
        assert!(is_secret_key("telegram_bot_token"));
        assert!(!is_secret_key("default_provider"));
    }

    #[test]
    fn keys_are_validated() {
        assert!(validate_key("default_provider").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("Bad Key").is_err());
        assert!(validate_key(&"a".repeat(101)).is_err());
    }
}
