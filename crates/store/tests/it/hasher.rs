//! `BlockingPasswordHasher`: argon2id off the executor.

use pincer_core::Secret;
use pincer_identity::PasswordHasher;
use pincer_store::BlockingPasswordHasher;

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn hashes_and_verifies() {
    let hasher = BlockingPasswordHasher;
    let phc = hasher.hash(secret("correct horse battery")).await.unwrap();
    assert!(phc.starts_with("$argon2id$"));
    assert!(hasher.verify(secret("correct horse battery"), Some(phc.clone())).await);
    assert!(!hasher.verify(secret("wrong horse battery"), Some(phc)).await);
    assert!(!hasher.verify(secret("correct horse battery"), Some("not a hash".into())).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_accounts_never_verify() {
    let hasher = BlockingPasswordHasher;
    assert!(!hasher.verify(secret("pincer dummy password for unknown accounts"), None).await);
    assert!(!hasher.verify(secret(""), None).await);
}
