//! Password policy and argon2id hashing. The hashing functions are synchronous and CPU-heavy;
//! callers run them through the [`crate::PasswordHasher`] port, off the async executor.

use argon2::password_hash;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::IdentityError;

/// The shortest accepted password, in characters.
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

/// Working memory for argon2id, kept by a hashing thread and reused for every hash and check
/// instead of allocating (and zeroing) 19 MiB each time. Each freed 19 MiB buffer also raised
/// glibc's mmap threshold, after which the freed buffers stayed resident: a server that had
/// answered a few hundred logins held over 1 GiB (docs/PERFORMANCE.md, "Memory after load").
pub struct Workspace {
    blocks: Vec<Block>,
}

impl Workspace {
    /// A workspace with its own argon2 buffer.
    pub fn new() -> Self {
        Self { blocks: vec![Block::default(); argon2().params().block_count()] }
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash(password: &str) -> Result<String, password_hash::Error> {
    hash_in(&mut Workspace::new(), password)
}

/// [`hash`] in `workspace`'s memory.
pub fn hash_in(workspace: &mut Workspace, password: &str) -> Result<String, password_hash::Error> {
    let salt_bytes = pincer_core::crypto::random_bytes::<16>();
    let hasher = argon2();
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hasher.hash_password_into_with_memory(password.as_bytes(), &salt_bytes, &mut output, &mut workspace.blocks)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params())?,
        salt: Some(Salt::new(&salt_bytes)?),
        hash: Some(Output::new(&output)?),
    };
    Ok(phc.to_string())
}

/// Verifies a password against a PHC string, comparing in constant time.
pub fn verify(password: &str, phc: &str) -> bool {
    verify_in(&mut Workspace::new(), password, phc)
}

/// [`verify`] in `workspace`'s memory. The stored hash's own algorithm, version and parameters
/// are used, so hashes made with other settings still verify (with a buffer of their own when
/// they need more memory than the workspace has).
pub fn verify_in(workspace: &mut Workspace, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::new(&*parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let mut larger = Vec::new();
    let blocks: &mut [Block] = if params.block_count() <= workspace.blocks.len() {
        &mut workspace.blocks
    } else {
        larger.resize(params.block_count(), Block::default());
        &mut larger
    };
    let hasher = Argon2::new(algorithm, version, params);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let Some(out) = buffer.get_mut(..expected.len()) else { return false };
    let computed = hasher
        .hash_password_into_with_memory(password.as_bytes(), salt, out, blocks)
        .ok()
        .and_then(|()| Output::new(out).ok());
    // `Output`'s equality is constant-time.
    computed.is_some_and(|computed| computed == *expected)
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

    #[test]
    fn a_reused_workspace_gives_the_same_answers_as_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

        let mut workspace = Workspace::new();
        // Hashes made in the workspace verify with the crate's own verifier, and back.
        let ours = hash_in(&mut workspace, "correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse battery", &parsed).is_ok());
        assert!(argon2().verify_password(b"wrong horse battery", &parsed).is_err());
        let theirs =
            argon2().hash_password_with_salt(b"correct horse battery", b"sixteen byte sal").unwrap().to_string();
        // The workspace holds the previous computation's memory; answers do not depend on it.
        for _ in 0..2 {
            assert!(verify_in(&mut workspace, "correct horse battery", &theirs));
            assert!(!verify_in(&mut workspace, "correct horse batterz", &theirs));
            assert!(verify_in(&mut workspace, "correct horse battery", &ours));
        }
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        use argon2::password_hash::PasswordHasher as _;

        let salt = b"sixteen byte sal";
        let mut workspace = Workspace::new();
        for (m, t) in [(8 * 1024, 3), (32 * 1024, 1)] {
            let params = Params::new(m, t, 1, None).unwrap();
            let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let phc = other.hash_password_with_salt(b"correct horse battery", salt).unwrap().to_string();
            assert!(verify_in(&mut workspace, "correct horse battery", &phc), "m={m} t={t}");
            assert!(!verify_in(&mut workspace, "wrong horse battery", &phc), "m={m} t={t}");
        }
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(8 * 1024, 2, 1, None).unwrap());
        let phc = argon2i.hash_password_with_salt(b"correct horse battery", salt).unwrap().to_string();
        assert!(verify_in(&mut workspace, "correct horse battery", &phc));
        assert!(!verify_in(&mut workspace, "correct horse battery", "$argon2id$v=19$m=19456,t=2,p=1$bad"));
    }
}
