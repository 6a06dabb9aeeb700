//! Proving a delivery came from whoever holds a slot's secret. Three forms are accepted:
//!
//! - **Standard Webhooks** (standardwebhooks.com, what Svix, Resend and others sign with):
//!   `webhook-id`, `webhook-timestamp` (Unix seconds, within [`TOLERANCE_SECS`]) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, several
//!   space-separated signatures allowed (secret rotation). The key is the base64 after `whsec_`.
//! - the dashboard reference's two, for slots relaxed to [`SignatureMode::Body`]:
//!   `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, body)>` (the whole `whsec_…` string as
//!   the key) and `X-Webhook-Secret: <secret>`. Neither protects against a replay.
//!
//! Every comparison is constant-time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pincer_core::crypto::{constant_time_eq, random_bytes};
use ring::hmac;

use super::SignatureMode;

/// How far a `webhook-timestamp` may be from now, either way.
pub const TOLERANCE_SECS: i64 = 5 * 60;
/// The prefix of a slot's secret (the Standard Webhooks form).
pub const SECRET_PREFIX: &str = "whsec_";
/// The most characters of a `webhook-id`.
const MAX_ID_CHARS: usize = 256;

/// The proof headers of a delivery, as received.
#[derive(Clone, Debug, Default)]
pub struct ProofHeaders {
    /// `webhook-id`.
    pub webhook_id: Option<String>,
    /// `webhook-timestamp`.
    pub webhook_timestamp: Option<String>,
    /// `webhook-signature`.
    pub webhook_signature: Option<String>,
    /// `X-Webhook-Signature`.
    pub body_signature: Option<String>,
    /// `X-Webhook-Secret`.
    pub secret: Option<String>,
}

/// A proof that held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// The Standard Webhooks form, with the sender's message id (deliveries are deduplicated).
    Standard {
        /// `webhook-id`.
        id: String,
    },
    /// One of the reference's forms.
    Body,
}

/// Why a proof did not hold (all answered the same 401; the audit records which).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// No proof the slot accepts was sent.
    #[error("missing")]
    Missing,
    /// A header is not of its form.
    #[error("malformed")]
    Malformed,
    /// The timestamp is outside the tolerance.
    #[error("expired")]
    Expired,
    /// The signature or secret is wrong.
    #[error("mismatch")]
    Mismatch,
}

impl ProofError {
    /// The reason as the audit records it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing_proof",
            Self::Malformed => "malformed_proof",
            Self::Expired => "expired_timestamp",
            Self::Mismatch => "bad_signature",
        }
    }
}

/// A new secret: `whsec_` and the base64 of 24 random bytes.
pub fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random_bytes::<24>()))
}

/// Checks a delivery's proof against the slot's `secret` and `mode`, at `now_secs`.
pub fn verify(
    mode: SignatureMode,
    secret: &str,
    headers: &ProofHeaders,
    body: &[u8],
    now_secs: i64,
) -> Result<Verified, ProofError> {
    if headers.webhook_signature.is_some() {
        return standard(secret, headers, body, now_secs);
    }
    if mode == SignatureMode::Standard {
        return Err(ProofError::Missing);
    }
    if let Some(given) = &headers.body_signature {
        let hex = given.trim().strip_prefix("sha256=").ok_or(ProofError::Malformed)?;
        let expected = hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), body));
        return if constant_time_eq(hex.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
            Ok(Verified::Body)
        } else {
            Err(ProofError::Mismatch)
        };
    }
    match &headers.secret {
        Some(given) if constant_time_eq(given.trim().as_bytes(), secret.as_bytes()) => Ok(Verified::Body),
        Some(_) => Err(ProofError::Mismatch),
        None => Err(ProofError::Missing),
    }
}

/// The signature Standard Webhooks gives `body` sent as message `id` at `timestamp`.
pub fn standard_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, &key));
    for part in [id.as_bytes(), b".", timestamp.as_bytes(), b".", body] {
        mac.update(part);
    }
    Some(STANDARD.encode(mac.sign()))
}

fn standard(secret: &str, headers: &ProofHeaders, body: &[u8], now_secs: i64) -> Result<Verified, ProofError> {
    let (Some(id), Some(timestamp), Some(signatures)) =
        (&headers.webhook_id, &headers.webhook_timestamp, &headers.webhook_signature)
    else {
        return Err(ProofError::Missing);
    };
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err(ProofError::Malformed);
    }
    let timestamp = timestamp.trim();
    let sent: i64 = timestamp.parse().map_err(|_| ProofError::Malformed)?;
    if (now_secs - sent).abs() > TOLERANCE_SECS {
        return Err(ProofError::Expired);
    }
    let expected = standard_signature(secret, id, timestamp, body).ok_or(ProofError::Mismatch)?;
    // Every listed signature is compared, so the time taken does not say which one matched.
    let mut matched = false;
    for signature in signatures.split(' ') {
        if let Some(("v1", given)) = signature.split_once(',') {
            matched |= constant_time_eq(given.as_bytes(), expected.as_bytes());
        }
    }
    if matched { Ok(Verified::Standard { id: id.to_string() }) } else { Err(ProofError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries (their test
    // suites sign this message with this key and get this signature).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: &str = "1614265330";
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn signed(signature: &str, timestamp: &str) -> ProofHeaders {
        ProofHeaders {
            webhook_id: Some(SPEC_ID.into()),
            webhook_timestamp: Some(timestamp.into()),
            webhook_signature: Some(signature.into()),
            ..ProofHeaders::default()
        }
    }

    #[test]
    fn the_specifications_example_verifies() {
        assert_eq!(standard_signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap(), SPEC_SIGNATURE);
        let now: i64 = SPEC_TIMESTAMP.parse().unwrap();
        let ok = verify(
            SignatureMode::Standard,
            SPEC_SECRET,
            &signed(&format!("v1,{SPEC_SIGNATURE}"), SPEC_TIMESTAMP),
            SPEC_BODY,
            now,
        );
        assert_eq!(ok, Ok(Verified::Standard { id: SPEC_ID.into() }));
        // Rotation: several signatures, one of them right.
        let several = format!("v1,bm90IGl0 v2,{SPEC_SIGNATURE} v1,{SPEC_SIGNATURE}");
        assert!(
            verify(SignatureMode::Standard, SPEC_SECRET, &signed(&several, SPEC_TIMESTAMP), SPEC_BODY, now).is_ok()
        );
    }

    #[test]
    fn wrong_old_or_missing_standard_proofs_fail() {
        let now: i64 = SPEC_TIMESTAMP.parse().unwrap();
        let good = format!("v1,{SPEC_SIGNATURE}");
        let check =
            |h: &ProofHeaders, body: &[u8], now: i64| verify(SignatureMode::Standard, SPEC_SECRET, h, body, now);
        assert_eq!(check(&signed(&good, SPEC_TIMESTAMP), b"{}", now), Err(ProofError::Mismatch), "another body");
        assert_eq!(
            check(&signed(&good, SPEC_TIMESTAMP), SPEC_BODY, now + TOLERANCE_SECS + 1),
            Err(ProofError::Expired)
        );
        assert_eq!(
            check(&signed(&good, SPEC_TIMESTAMP), SPEC_BODY, now - TOLERANCE_SECS - 1),
            Err(ProofError::Expired)
        );
        assert_eq!(check(&signed(&good, "soon"), SPEC_BODY, now), Err(ProofError::Malformed));
        assert_eq!(
            check(&signed(&format!("v2,{SPEC_SIGNATURE}"), SPEC_TIMESTAMP), SPEC_BODY, now),
            Err(ProofError::Mismatch)
        );
        let other = verify(SignatureMode::Standard, &new_secret(), &signed(&good, SPEC_TIMESTAMP), SPEC_BODY, now);
        assert_eq!(other, Err(ProofError::Mismatch), "another secret");
        let body_forms = ProofHeaders { secret: Some(SPEC_SECRET.into()), ..ProofHeaders::default() };
        assert_eq!(
            check(&body_forms, SPEC_BODY, now),
            Err(ProofError::Missing),
            "a standard slot wants the standard form"
        );
    }

    #[test]
    fn the_references_forms_hold_on_relaxed_slots() {
        let secret = new_secret();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 32);
        let mac = hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), b"payload"));
        let by_signature = ProofHeaders { body_signature: Some(format!("sha256={mac}")), ..ProofHeaders::default() };
        assert_eq!(verify(SignatureMode::Body, &secret, &by_signature, b"payload", 0), Ok(Verified::Body));
        assert_eq!(verify(SignatureMode::Body, &secret, &by_signature, b"other", 0), Err(ProofError::Mismatch));
        let unprefixed = ProofHeaders { body_signature: Some(mac), ..ProofHeaders::default() };
        assert_eq!(verify(SignatureMode::Body, &secret, &unprefixed, b"payload", 0), Err(ProofError::Malformed));
        let by_secret = ProofHeaders { secret: Some(secret.clone()), ..ProofHeaders::default() };
        assert_eq!(verify(SignatureMode::Body, &secret, &by_secret, b"x", 0), Ok(Verified::Body));
        let wrong = ProofHeaders { secret: Some(new_secret()), ..ProofHeaders::default() };
        assert_eq!(verify(SignatureMode::Body, &secret, &wrong, b"x", 0), Err(ProofError::Mismatch));
        assert_eq!(verify(SignatureMode::Body, &secret, &ProofHeaders::default(), b"x", 0), Err(ProofError::Missing));
    }
}
