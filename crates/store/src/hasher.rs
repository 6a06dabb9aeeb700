//! [`PasswordHasher`] that runs argon2id in the blocking thread pool.

use std::sync::OnceLock;

use async_trait::async_trait;
use pincer_core::{Secret, StoreError};
use pincer_identity::PasswordHasher;
use pincer_identity::password;

/// argon2id (the parameters of `pincer_identity::password`) off the async executor.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockingPasswordHasher;

/// A hash of a throwaway password with the real parameters, made once: verifying against it
/// costs what verifying a real hash costs, so unknown accounts answer as slowly as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        password::hash("pincer dummy password for unknown accounts").unwrap_or_else(|e| {
            // Hashing a constant cannot fail short of a broken RNG; an unparsable hash would make
            // unknown accounts fast, so say so loudly.
            tracing::error!(error = %e, "cannot compute the dummy password hash");
            String::new()
        })
    })
}

#[async_trait]
impl PasswordHasher for BlockingPasswordHasher {
    async fn hash(&self, password: Secret<String>) -> Result<String, StoreError> {
        let joined = tokio::task::spawn_blocking(move || password::hash(password.expose())).await;
        match joined {
            Ok(Ok(phc)) => Ok(phc),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "password hashing failed");
                Err(StoreError::Unavailable)
            }
            Err(e) => {
                tracing::error!(error = %e, "password hashing task failed");
                Err(StoreError::Unavailable)
            }
        }
    }

    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool {
        let joined = tokio::task::spawn_blocking(move || match hash {
            Some(phc) => password::verify(password.expose(), &phc),
            None => {
                // Same work, always false.
                let _ = password::verify(password.expose(), dummy_hash());
                false
            }
        })
        .await;
        joined.unwrap_or_else(|e| {
            tracing::error!(error = %e, "password verification task failed");
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(std::ptr::eq(dummy_hash(), dummy_hash()), "computed once");
    }
}
