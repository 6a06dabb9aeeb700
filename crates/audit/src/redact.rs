//! Secrets and e-mail addresses never enter the log. Values are redacted by key name and by value
//! pattern; e-mail addresses become a masked preview plus a keyed hash (so two events about the
//! same address can still be correlated by someone holding the audit key).

use ring::hmac;
use serde_json::{Map, Value};

use crate::canonical::to_canonical_json;

/// What a secret value is replaced with.
pub const REDACTED: &str = "[REDACTED]";
/// Largest stored detail, in bytes of canonical JSON.
pub const MAX_DETAIL_BYTES: usize = 2048;

const SECRET_KEY_PARTS: [&str; 11] = [
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "private_key",
    "credential",
    "bot_token",
];

/// Removes secrets from details before they are stored.
pub struct Redactor {
    email_key: hmac::Key,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    /// A redactor keyed by the audit key (for its keyed hashes).
    pub fn new(key: &[u8; 32]) -> Self {
        // A key distinct from the chain key's use, derived by domain separation.
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), b"pincer-audit-email");
        Self { email_key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) }
    }

    /// Redacts, then canonicalises and caps the detail.
    pub fn detail(&self, detail: Value) -> String {
        let clean = self.value(None, detail);
        let text = to_canonical_json(&clean);
        if text.len() <= MAX_DETAIL_BYTES {
            return text;
        }
        let keys: Vec<Value> = match &clean {
            Value::Object(map) => map.keys().take(20).map(|k| Value::String(k.clone())).collect(),
            _ => Vec::new(),
        };
        let mut capped = Map::new();
        capped.insert("truncated".into(), Value::Bool(true));
        capped.insert("originalBytes".into(), Value::from(text.len()));
        capped.insert("keys".into(), Value::Array(keys));
        to_canonical_json(&Value::Object(capped))
    }

    fn value(&self, key: Option<&str>, value: Value) -> Value {
        if key.is_some_and(is_secret_key) && !value.is_null() {
            return Value::String(REDACTED.into());
        }
        match value {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(None, v)).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k.clone(), self.value(Some(&k), v))).collect())
            }
            other => other,
        }
    }

    fn string(&self, s: String) -> String {
        if looks_secret(&s) {
            REDACTED.into()
        } else if looks_like_email(&s) {
            self.email(&s)
        } else {
            s
        }
    }

    /// `a•••@example.com#1f2e3d4c5b6a7980`: a preview for humans, a keyed hash for correlation.
    pub fn email(&self, email: &str) -> String {
        let normalized = email.trim().to_lowercase();
        let (local, domain) = normalized.split_once('@').unwrap_or((&normalized, ""));
        let first: String = local.chars().take(1).collect();
        let tag = hmac::sign(&self.email_key, normalized.as_bytes());
        format!("{first}•••@{domain}#{}", hex::encode(&tag.as_ref()[..8]))
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// Well-known credential shapes: provider keys, bot tokens, bearer headers, JWTs, long random runs.
fn looks_secret(s: &str) -> bool {
    let t = s.trim();
    let prefixed = ["sk-", "sk_live_", "sk_test_", "xoxb-", "xoxp-", "ghp_", "gho_", "github_pat_", "glpat-", "AKIA"]
        .iter()
        .any(|p| t.starts_with(p) && t.len() >= p.len() + 8);
    // `get`, not an index: byte 7 may fall inside a character of any text a user typed.
    let bearer = t.len() > 15 && t.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer "));
    let jwt = t.starts_with("eyJ") && t.matches('.').count() == 2 && t.len() > 30;
    let telegram = t
        .split_once(':')
        .is_some_and(|(id, rest)| id.len() >= 6 && id.bytes().all(|b| b.is_ascii_digit()) && rest.len() >= 30);
    // An id (a UUID such as an invite's or an agent's) is what an audit entry is for, not a
    // secret: Pincer's secrets are random bytes, never in the UUID layout.
    let random_run = t.len() >= 32
        && !is_uuid(t)
        && !t.contains(' ')
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().any(|b| b.is_ascii_alphabetic());
    prefixed || bearer || jwt || telegram || random_run
}

/// The canonical UUID text: 8-4-4-4-12 hexadecimal digits.
fn is_uuid(t: &str) -> bool {
    t.len() == 36
        && t.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn looks_like_email(s: &str) -> bool {
    let t = s.trim();
    !t.contains(' ')
        && t.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        Redactor::new(&[9; 32])
    }

    /// Found by the API fuzzer: an agent name whose seventh byte falls inside a character
    /// panicked the bearer check (a byte slice), dropping the connection.
    #[test]
    fn text_with_multibyte_characters_anywhere_is_checked_without_panicking() {
        for text in ["¦A*\u{464b9}\u{964bd}\u{ceb3c}\u{ad}à", "ééééééééééééééééé", "🙂earer abcdefghijkl"]
        {
            assert!(!looks_secret(text), "{text}");
        }
        assert!(looks_secret("Bearer abcdefghijklmnop"));
    }

    #[test]
    fn secrets_by_key_and_by_value() {
        let out = redactor().detail(json!({
            "password": "hunter2hunter2",
            "nested": {"anthropic_api_key": "abc", "Authorization": "x"},
            "note": "sk-ant-api03-abcdefghijklmnop",
            "list": ["Bearer abcdefghijklmnop", "fine"],
            "bot": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            "hex": "0123456789abcdef0123456789abcdef01",
            "reason": "wrong_password",
            "missing": null
        }));
        assert!(!out.contains("hunter2"));
        assert!(!out.contains("sk-ant"));
        assert!(!out.contains("AAHdq"));
        assert!(!out.contains("0123456789abcdef"));
        assert_eq!(out.matches(REDACTED).count(), 7, "{out}");
        assert!(out.contains("\"reason\":\"wrong_password\""));
        assert!(out.contains("\"list\":[\"[REDACTED]\",\"fine\"]"));
        assert!(out.contains("\"missing\":null"));
    }

    #[test]
    fn ids_are_kept_but_a_run_of_the_same_length_is_not() {
        let out = redactor().detail(json!({
            "invite": "01a23ab5-c985-75c7-a53d-45a81371d4bb",
            "owner": "01A23AB5-C985-75C7-A53D-45A81371D4BB",
            "note": "01a23ab5c98575c7a53d45a81371d4bbxy"
        }));
        assert!(out.contains("\"invite\":\"01a23ab5-c985-75c7-a53d-45a81371d4bb\""), "{out}");
        assert!(out.contains("45A81371D4BB"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 1, "{out}");
    }

    #[test]
    fn emails_become_preview_and_keyed_hash() {
        let r = redactor();
        let out = r.detail(json!({"email": "Alice@Example.com"}));
        assert!(!out.to_lowercase().contains("alice@"));
        assert!(out.contains("a•••@example.com#"));
        assert_eq!(r.email("alice@example.com"), r.email(" ALICE@example.com"));
        assert_ne!(r.email("alice@example.com"), Redactor::new(&[8; 32]).email("alice@example.com"));
    }

    #[test]
    fn large_details_are_capped() {
        let out = redactor().detail(json!({"big": "x ".repeat(3000)}));
        assert!(out.len() <= MAX_DETAIL_BYTES);
        assert!(out.contains("\"truncated\":true"));
    }
}
