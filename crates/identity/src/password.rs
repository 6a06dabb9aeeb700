//! Password policy and argon2id hashing. The hashing functions are synchronous and CPU-heavy;
//! callers run them through the [`crate::PasswordHasher`] port, off the async executor.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::IdentityError;

pub const MIN_LENGTH: usize = 8;
/// Bounds the hashing work an anonymous caller can ask for.
pub const MAX_LENGTH: usize = 256;

const COMMON: &str = include_str!("common_passwords.txt");

/// Refuses passwords that are too short, too long or among the most common ones.
pub fn check_policy(password: &str) -> Result<(), IdentityError> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(IdentityError::WeakPassword("password must be at least 8 characters"));
    }
    if chars > MAX_LENGTH {
        return Err(IdentityError::WeakPassword("password must be at most 256 characters"));
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|common| common == lower) {
        return Err(IdentityError::WeakPassword("this password is too common"));
    }
    Ok(())
}

/// argon2id with the OWASP minimum: 19 MiB memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    // These constants are valid argon2 parameters, checked by the unit test below.
    #[allow(clippy::expect_used)]
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt_bytes = pincer_core::crypto::random_bytes::<16>();
    let salt = SaltString::encode_b64(&salt_bytes)?;
    Ok(argon2().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Verifies a password against a PHC string. The comparison inside argon2 is constant-time.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_long_and_common() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"x".repeat(257)).is_err());
        assert!(check_policy("Password123").is_err());
        assert!(check_policy("qwertyuiop").is_err());
        assert!(check_policy("correct horse battery").is_ok());
    }

    #[test]
    fn hash_and_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("wrong horse battery", &phc));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salt must be random");
    }
}
