//! Crypto primitives over ring: random tokens, SHA-256 digests, constant-time comparison and
//! AES-256-GCM sealing of secrets at rest.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// 32 random bytes, hex-encoded: the shape of every bearer, session, invite and reset token.
pub fn random_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The system RNG only fails when the OS cannot provide entropy at all; there is no safe
    // fallback, so refusing to continue is the correct behaviour.
    #[allow(clippy::expect_used)]
    SystemRandom::new().fill(&mut buf).expect("operating system random source failed");
    buf
}

/// Lower-case hex SHA-256: how tokens are stored (never the token itself).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A 32-byte key parsed from 64 hex characters.
pub fn parse_key_hex(hex_key: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim()).ok()?;
    bytes.try_into().ok()
}

/// Why sealed data could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    /// The sealed text is not of the expected form.
    #[error("sealed value is malformed")]
    Malformed,
    /// The key did not open it: another key, or the text was altered.
    #[error("sealed value failed authentication (wrong key or tampered)")]
    Unauthentic,
}

/// AES-256-GCM with a random 96-bit nonce per value. Output: `v1:` + hex(nonce ‖ ciphertext ‖ tag).
pub struct Cipher {
    key: LessSafeKey,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(••••••••)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl Cipher {
    /// A cipher with this 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        // A 32-byte key is always valid for AES-256.
        #[allow(clippy::expect_used)]
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("32-byte AES-256 key");
        Self { key: LessSafeKey::new(unbound) }
    }

    /// Seals `plaintext`; `context` (e.g. the setting key) is bound as associated data so a sealed
    /// value cannot be moved to another row.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut buf = plaintext.to_vec();
        #[allow(clippy::expect_used)]
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM sealing cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + buf.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&buf);
        format!("{SEALED_PREFIX}{}", hex::encode(out))
    }

    /// Opens a value produced by [`Cipher::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, CipherError> {
        let hex_part = sealed.strip_prefix(SEALED_PREFIX).ok_or(CipherError::Malformed)?;
        let raw = hex::decode(hex_part).map_err(|_| CipherError::Malformed)?;
        if raw.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CipherError::Malformed);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Malformed)?;
        let mut rest = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut rest)
            .map_err(|_| CipherError::Unauthentic)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_chars_and_unique() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn seal_round_trips_and_binds_context() {
        let cipher = Cipher::new(&[7u8; 32]);
        let sealed = cipher.seal(b"sk-live-123", "anthropic_api_key");
        assert!(!sealed.contains("sk-live"));
        assert_eq!(cipher.open(&sealed, "anthropic_api_key").unwrap(), b"sk-live-123");
        assert_eq!(cipher.open(&sealed, "openai_api_key"), Err(CipherError::Unauthentic));
        assert_eq!(Cipher::new(&[8u8; 32]).open(&sealed, "anthropic_api_key"), Err(CipherError::Unauthentic));
        assert_eq!(cipher.open("plain", "x"), Err(CipherError::Malformed));
        assert_ne!(sealed, cipher.seal(b"sk-live-123", "anthropic_api_key"), "nonce must be fresh");
    }

    #[test]
    fn key_hex_parsing() {
        assert_eq!(parse_key_hex(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(parse_key_hex("abcd"), None);
        assert_eq!(parse_key_hex(&"zz".repeat(32)), None);
    }
}
