//! Pairing: a short-lived code that one side is shown and the other side claims, once, after
//! which the first side collects the result, once. It is the one primitive behind sign-in by QR
//! code (a signed-in browser shows a code, a phone claims it and gets a session) and behind
//! linking a channel identity (a bot shows a Telegram user a code, the signed-in user enters it
//! in the web app). The code is stored only as its SHA-256; an unknown, claimed, expired or
//! foreign code is refused with one answer, so a guess learns nothing.

use std::sync::Arc;

use async_trait::async_trait;
use pincer_core::crypto::{random_bytes, sha256_hex};
use pincer_core::{Clock, PairingId, Rule, Secret, StoreError, Timestamp};

/// The symbols of a code: no `0`/`O` or `1`/`I`, so it survives being read out or typed.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Symbols in a code: 40 bits, for a code that lives minutes and is claimed once.
const CODE_SYMBOLS: usize = 8;

/// A pairing as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pairing {
    /// The pairing's id (the issuer polls by it).
    pub id: PairingId,
    /// SHA-256 of the normalised code.
    pub code_hash: String,
    /// What the pairing is for (`qr_sign_in`, `channel:telegram`): a code claims only its own.
    pub purpose: String,
    /// Who asked for it: a user id, or a channel identity.
    pub issued_for: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When the code stops being claimable (exclusive).
    pub expires_at: Timestamp,
    /// Who claimed it: a user id, or a channel identity.
    pub claimed_by: Option<String>,
    /// When it was claimed.
    pub claimed_at: Option<Timestamp>,
    /// When the issuer collected the claim (after which it answers no more).
    pub collected_at: Option<Timestamp>,
}

/// The pairings.
#[async_trait]
pub trait PairingStore: Send + Sync + 'static {
    /// Inserts a pairing; `Conflict(Rule::TokenHash)` when its code hash is in use.
    async fn insert(&self, pairing: &Pairing) -> Result<(), StoreError>;
    /// Atomically claims the unclaimed pairing with this code hash and purpose that has not
    /// expired at `now`, for `by`; `Conflict(Rule::PairingUsed)` for anything else.
    async fn claim(&self, code_hash: &str, purpose: &str, by: &str, now: Timestamp) -> Result<Pairing, StoreError>;
    /// The pairing with this id.
    async fn get(&self, id: PairingId) -> Result<Option<Pairing>, StoreError>;
    /// Atomically marks a claimed, uncollected pairing collected; `Conflict(Rule::PairingUsed)`
    /// when it is not claimed or was collected already.
    async fn collect(&self, id: PairingId, now: Timestamp) -> Result<Pairing, StoreError>;
}

/// Why a pairing step was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    /// Unknown, claimed, expired, for another purpose, or collected: one answer on purpose.
    #[error("invalid or expired pairing code")]
    InvalidCode,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl From<StoreError> for PairingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(Rule::PairingUsed) | StoreError::NotFound => Self::InvalidCode,
            StoreError::Conflict(_) | StoreError::Unavailable => Self::Unavailable,
        }
    }
}

/// A pairing just issued: the code is shown once, never stored.
#[derive(Debug)]
pub struct Issued {
    /// Polled by the issuer.
    pub id: PairingId,
    /// The code, grouped for reading (`ABCD-EFGH`).
    pub code: Secret<String>,
    /// When it stops being claimable.
    pub expires_at: Timestamp,
}

/// Where a pairing stands, as its issuer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairingStatus {
    /// Not claimed yet.
    Pending,
    /// Claimed by this party; reported once (the issuer collected it).
    Claimed(String),
    /// Not claimed in time.
    Expired,
}

/// The rules of pairing over a [`PairingStore`].
pub struct Pairings {
    store: Arc<dyn PairingStore>,
    clock: Arc<dyn Clock>,
}

impl Pairings {
    /// Pairings kept in `store`, timed by `clock`.
    pub fn new(store: Arc<dyn PairingStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Issues a code for `purpose`, asked for by `issued_for`, claimable for `ttl_ms`.
    pub async fn issue(&self, purpose: &str, issued_for: &str, ttl_ms: i64) -> Result<Issued, PairingError> {
        let now = self.clock.now();
        // A clash of two live codes is astronomically rare; a second draw settles it.
        for _ in 0..2 {
            let code = new_code();
            let pairing = Pairing {
                id: PairingId::new(),
                code_hash: code_hash(&code),
                purpose: purpose.to_string(),
                issued_for: issued_for.to_string(),
                created_at: now,
                expires_at: now.plus_millis(ttl_ms),
                claimed_by: None,
                claimed_at: None,
                collected_at: None,
            };
            match self.store.insert(&pairing).await {
                Ok(()) => {
                    let shown = format!("{}-{}", &code[..4], &code[4..]);
                    return Ok(Issued { id: pairing.id, code: Secret::new(shown), expires_at: pairing.expires_at });
                }
                Err(StoreError::Conflict(Rule::TokenHash)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PairingError::Unavailable)
    }

    /// Claims the code for `purpose` as `by` (it may be typed with spaces, dashes or lower case).
    pub async fn claim(&self, purpose: &str, code: &str, by: &str) -> Result<Pairing, PairingError> {
        let code = normalise(code).ok_or(PairingError::InvalidCode)?;
        Ok(self.store.claim(&code_hash(&code), purpose, by, self.clock.now()).await?)
    }

    /// Where the pairing stands; a claim is reported once, to the issuer, and then it is done.
    pub async fn poll(&self, id: PairingId, issued_for: &str) -> Result<PairingStatus, PairingError> {
        let now = self.clock.now();
        let pairing = self.store.get(id).await?.ok_or(PairingError::InvalidCode)?;
        if pairing.issued_for != issued_for || pairing.collected_at.is_some() {
            return Err(PairingError::InvalidCode);
        }
        match pairing.claimed_by {
            Some(_) => {
                let collected = self.store.collect(id, now).await?;
                Ok(PairingStatus::Claimed(collected.claimed_by.unwrap_or_default()))
            }
            None if now >= pairing.expires_at => Ok(PairingStatus::Expired),
            None => Ok(PairingStatus::Pending),
        }
    }
}

/// A fresh code of [`CODE_SYMBOLS`] symbols (unbiased: 32 divides 256).
fn new_code() -> String {
    random_bytes::<CODE_SYMBOLS>().iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// The code as typed, reduced to its symbols: upper case, without spaces and dashes; `None`
/// when it cannot be a code.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    let valid = code.len() == CODE_SYMBOLS && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

fn code_hash(code: &str) -> String {
    sha256_hex(code.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_unambiguous_alphabet_and_normalise_as_typed() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), CODE_SYMBOLS);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert_eq!(normalise(&code).as_deref(), Some(code.as_str()));
        }
        assert_eq!(normalise(" abcd-efgh ").as_deref(), Some("ABCDEFGH"));
        assert_eq!(normalise("ABCD EFGH").as_deref(), Some("ABCDEFGH"));
        for bad in ["", "ABCDEFG", "ABCDEFGHJ", "ABCD-EFG0", "ABCDEFGI", "ÄBCDEFGH"] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
    }
}
