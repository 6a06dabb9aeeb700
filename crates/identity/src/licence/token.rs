//! The licence key: a JWT signed with Ed25519 (`alg: EdDSA`, RFC 8037) by the vendor,
//! verified against the public keys the operator trusts. Its claims: `sub` (the organisation),
//! `type` (`trial` | `paid`), `features` (must contain `enterprise`), `exp` and `iat` (seconds
//! since the epoch) and `maxUsers` (0 = unlimited).
//!
//! The signature is checked first, with ring, against every trusted key; only a token one of them
//! signed has its claims read. A header naming any other algorithm is refused outright (no
//! `none`, no HMAC with a public key as its secret).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pincer_core::Timestamp;
use ring::signature::{ED25519, UnparsedPublicKey};
use serde::Deserialize;

/// The feature a licence must grant to turn the enterprise features on.
pub const ENTERPRISE_FEATURE: &str = "enterprise";

/// Whether a licence is a trial or paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenceKind {
    /// A time-limited evaluation.
    Trial,
    /// A paid subscription.
    Paid,
}

impl LicenceKind {
    /// `trial` or `paid`.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceKind::Trial => "trial",
            LicenceKind::Paid => "paid",
        }
    }
}

/// A verified licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Licence {
    /// The organisation it was issued to (`sub`).
    pub org: String,
    /// Trial or paid.
    pub kind: LicenceKind,
    /// The features it grants.
    pub features: Vec<String>,
    /// When it was issued.
    pub issued_at: Option<Timestamp>,
    /// When it ends.
    pub expires_at: Timestamp,
    /// The most users it covers; 0 is unlimited.
    pub max_users: u32,
}

impl Licence {
    /// Whether it is still valid at `now`.
    pub fn active_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// Why a token is not a licence this server accepts; each has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LicenceError {
    /// Not a JWT, a header or claims that do not parse, an unknown `type`.
    #[error("this is not a licence key ({0})")]
    Malformed(&'static str),
    /// Another algorithm than EdDSA, or no trusted key verifies the signature.
    #[error("the licence key is not signed by a trusted key")]
    BadSignature,
    /// It has expired.
    #[error("the licence key has expired")]
    Expired,
    /// It does not grant the enterprise features.
    #[error("the licence key does not include the enterprise features")]
    MissingFeature,
}

impl LicenceError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            LicenceError::Malformed(_) => "invalid_license",
            LicenceError::BadSignature => "license_signature_invalid",
            LicenceError::Expired => "license_expired",
            LicenceError::MissingFeature => "license_not_enterprise",
        }
    }
}

/// The vendor public keys this server trusts (raw 32-byte Ed25519 keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys(Vec<[u8; 32]>);

impl TrustedKeys {
    /// From `PINCER_LICENSE_KEYS`: comma-separated, each 64 hex characters. `Err` names the
    /// first that is not.
    pub fn parse(list: &str) -> Result<TrustedKeys, String> {
        let mut keys = Vec::new();
        for (n, item) in list.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            let bytes = hex::decode(item).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            keys.push(bytes.ok_or_else(|| format!("licence key {} must be 64 hex characters", n + 1))?);
        }
        Ok(TrustedKeys(keys))
    }

    /// These keys.
    pub fn new(keys: Vec<[u8; 32]>) -> TrustedKeys {
        TrustedKeys(keys)
    }

    /// Whether no key is trusted (then no licence verifies).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Claims {
    sub: String,
    #[serde(rename = "type")]
    kind: String,
    features: Vec<String>,
    exp: i64,
    iat: Option<i64>,
    #[serde(default)]
    max_users: u32,
}

fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, LicenceError> {
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| LicenceError::Malformed(what))
}

/// Seconds since the epoch as a timestamp; `None` beyond what one holds.
fn seconds(s: i64) -> Option<Timestamp> {
    s.checked_mul(1_000).map(Timestamp)
}

/// The licence `token` is, when one of `keys` signed it, it grants the enterprise features and it
/// has not expired at `now`.
pub fn verify(token: &str, keys: &TrustedKeys, now: Timestamp) -> Result<Licence, LicenceError> {
    let licence = read(token, keys)?;
    if !licence.active_at(now) {
        return Err(LicenceError::Expired);
    }
    Ok(licence)
}

/// The licence `token` is, when one of `keys` signed it and it grants the enterprise features,
/// expired or not (a stored licence that ran out is shown as expired, not as nothing).
pub fn read(token: &str, keys: &TrustedKeys) -> Result<Licence, LicenceError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LicenceError::Malformed("a licence key has three parts separated by dots"));
    };
    let parsed: Header = serde_json::from_slice(&decode(header, "the header is not base64url")?)
        .map_err(|_| LicenceError::Malformed("the header is not JSON"))?;
    if parsed.alg != "EdDSA" {
        return Err(LicenceError::BadSignature);
    }
    let signature = decode(signature, "the signature is not base64url")?;
    let signed = &token.as_bytes()[..header.len() + 1 + claims.len()];
    if !keys.0.iter().any(|key| UnparsedPublicKey::new(&ED25519, key).verify(signed, &signature).is_ok()) {
        return Err(LicenceError::BadSignature);
    }
    let claims: Claims = serde_json::from_slice(&decode(claims, "the claims are not base64url")?)
        .map_err(|_| LicenceError::Malformed("the claims are not what a licence holds"))?;
    let kind = match claims.kind.as_str() {
        "trial" => LicenceKind::Trial,
        "paid" => LicenceKind::Paid,
        _ => return Err(LicenceError::Malformed("type must be trial or paid")),
    };
    let expires_at = seconds(claims.exp).ok_or(LicenceError::Malformed("exp is out of range"))?;
    let licence = Licence {
        org: claims.sub,
        kind,
        issued_at: claims.iat.and_then(seconds),
        expires_at,
        max_users: claims.max_users,
        features: claims.features,
    };
    if !licence.features.iter().any(|f| f == ENTERPRISE_FEATURE) {
        return Err(LicenceError::MissingFeature);
    }
    Ok(licence)
}

/// Signs `claims` (a JSON object) as a licence with an Ed25519 key pair (PKCS#8): how a vendor
/// issues one (`cargo xtask license`), and how tests make them.
pub fn sign(claims: &serde_json::Value, pkcs8: &[u8]) -> Result<String, String> {
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| format!("not an Ed25519 key: {e}"))?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{body}");
    let signature = URL_SAFE_NO_PAD.encode(pair.sign(signed.as_bytes()).as_ref());
    Ok(format!("{signed}.{signature}"))
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair as _};
    use serde_json::json;

    use super::*;

    const NOW: Timestamp = Timestamp(1_767_225_600_000);

    fn pair() -> (Vec<u8>, [u8; 32]) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let public: [u8; 32] =
            Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap().public_key().as_ref().try_into().unwrap();
        (pkcs8.as_ref().to_vec(), public)
    }

    fn claims() -> serde_json::Value {
        json!({"sub": "Acme", "type": "paid", "features": ["enterprise"], "exp": NOW.millis() / 1000 + 3600,
               "iat": NOW.millis() / 1000, "maxUsers": 25})
    }

    #[test]
    fn a_token_a_trusted_key_signed_verifies() {
        let (private, public) = pair();
        let (_, other) = pair();
        let keys = TrustedKeys::new(vec![other, public]);
        let licence = verify(&sign(&claims(), &private).unwrap(), &keys, NOW).unwrap();
        assert_eq!((licence.org.as_str(), licence.kind, licence.max_users), ("Acme", LicenceKind::Paid, 25));
        assert_eq!(licence.expires_at, NOW.plus_millis(3_600_000));
    }

    #[test]
    fn forged_expired_and_featureless_tokens_are_refused() {
        let (private, public) = pair();
        let keys = TrustedKeys::new(vec![public]);
        let (stranger, _) = pair();
        assert_eq!(verify(&sign(&claims(), &stranger).unwrap(), &keys, NOW), Err(LicenceError::BadSignature));
        assert_eq!(
            verify(&sign(&claims(), &private).unwrap(), &TrustedKeys::default(), NOW),
            Err(LicenceError::BadSignature)
        );

        // The claims changed after signing.
        let token = sign(&claims(), &private).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut richer = claims();
        richer["maxUsers"] = json!(0);
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(richer.to_string()), parts[2]);
        assert_eq!(verify(&forged, &keys, NOW), Err(LicenceError::BadSignature));

        // Another algorithm named in the header, even with a valid-looking signature.
        let none = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), parts[1], parts[2]);
        assert_eq!(verify(&none, &keys, NOW), Err(LicenceError::BadSignature));
        let hs = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#), parts[1]);
        assert_eq!(verify(&hs, &keys, NOW), Err(LicenceError::BadSignature));

        let mut old = claims();
        old["exp"] = json!(NOW.millis() / 1000);
        assert_eq!(verify(&sign(&old, &private).unwrap(), &keys, NOW), Err(LicenceError::Expired));
        let mut plain = claims();
        plain["features"] = json!(["sso"]);
        assert_eq!(verify(&sign(&plain, &private).unwrap(), &keys, NOW), Err(LicenceError::MissingFeature));
        let mut odd = claims();
        odd["type"] = json!("forever");
        assert!(matches!(verify(&sign(&odd, &private).unwrap(), &keys, NOW), Err(LicenceError::Malformed(_))));
        for junk in ["", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.e30"] {
            assert!(verify(junk, &keys, NOW).is_err(), "{junk}");
        }
    }

    #[test]
    fn trusted_keys_parse_from_hex() {
        let one = "11".repeat(32);
        let keys = TrustedKeys::parse(&format!(" {one} , {} ", "22".repeat(32))).unwrap();
        assert_eq!(keys.0.len(), 2);
        assert_eq!(TrustedKeys::parse("").unwrap(), TrustedKeys::default());
        assert!(TrustedKeys::parse(&format!("{one},abc")).unwrap_err().contains("licence key 2"));
    }
}
