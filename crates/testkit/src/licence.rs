//! A licence vendor for tests: an Ed25519 key pair made per test, whose public key a server is
//! told to trust (`PINCER_LICENSE_KEYS`), and licences it signs the way a real vendor does.

use pincer_identity::licence::sign;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};

/// A vendor with its own signing key.
pub struct TestVendor {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl Default for TestVendor {
    fn default() -> Self {
        Self::new()
    }
}

impl TestVendor {
    pub fn new() -> TestVendor {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .unwrap_or_else(|e| panic!("cannot make an Ed25519 key: {e}"));
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap_or_else(|e| panic!("bad key: {e}"));
        TestVendor { public: pair.public_key().as_ref().to_vec(), pkcs8: pkcs8.as_ref().to_vec() }
    }

    /// The public key as `PINCER_LICENSE_KEYS` takes it.
    pub fn public_hex(&self) -> String {
        self.public.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A licence with these claims.
    pub fn sign(&self, claims: &Value) -> String {
        sign(claims, &self.pkcs8).unwrap_or_else(|e| panic!("cannot sign: {e}"))
    }

    /// An enterprise licence of `kind` for `org`, valid for `days` more days (negative: expired),
    /// covering `max_users` seats (0: unlimited).
    pub fn licence(&self, org: &str, kind: &str, days: i64, max_users: u32) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        self.sign(&json!({
            "sub": org, "type": kind, "features": ["enterprise"], "iat": now,
            "exp": now + days * 86_400, "maxUsers": max_users,
        }))
    }
}
