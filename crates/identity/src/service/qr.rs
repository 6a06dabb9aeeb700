//! Sign-in by QR code: a signed-in browser shows a one-time link (as a QR code) that a phone
//! opens to get a session of its own. The link's code is a pairing ([`crate::pairing`]): single
//! use, valid two minutes, bound to the person who asked for it, stored only as its SHA-256.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::{Credential, Principal};
use serde_json::json;

use super::Identity;
use super::auth::LoginOutcome;
use crate::IdentityError;
use crate::pairing::{Issued, PairingError, Pairings};

/// The pairing purpose of a QR sign-in code.
pub const QR_PURPOSE: &str = "qr_sign_in";
/// How long a QR sign-in code can be used.
pub const QR_TTL_MS: i64 = 120_000;
/// How much of a device's user agent the audit trail keeps.
const MAX_USER_AGENT_CHARS: usize = 200;

impl Identity {
    fn pairings(&self) -> Pairings {
        Pairings::new(self.deps.pairings.clone(), self.deps.clock.clone())
    }

    /// A one-time sign-in code for the caller's own phone. Only a sign-in session may ask: a
    /// script's token must not turn into a browser login elsewhere.
    pub async fn qr_sign_in_code(&self, principal: &Principal) -> Result<Issued, IdentityError> {
        if !matches!(principal.credential, Credential::Session(_) | Credential::Internal) {
            return Err(IdentityError::WrongCredential("a QR sign-in code is shown in a sign-in session"));
        }
        let issued = self.pairings().issue(QR_PURPOSE, &principal.user_id.to_string(), QR_TTL_MS).await.map_err(
            |e| match e {
                PairingError::InvalidCode | PairingError::Unavailable => IdentityError::Unavailable,
            },
        )?;
        self.audit(
            AuditEvent::new(Actor::of(principal), "auth.qr_issued").resource(format!("user:{}", principal.user_id)),
        )
        .await;
        Ok(issued)
    }

    /// Signs a device in with a QR sign-in code: a fresh session of the person who showed it.
    /// Unknown, used and expired codes get the same 400 `invalid_token`; attempts count against
    /// the source's sign-in limit.
    pub async fn qr_login(&self, code: &str, user_agent: &str, source: &str) -> Result<LoginOutcome, IdentityError> {
        let now = self.now();
        if let Err(retry_after_secs) = self.throttle.admit_source(source, now) {
            return Err(self.rate_limited(source, retry_after_secs).await);
        }
        let user_agent: String = user_agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect();
        let claimed = self.pairings().claim(QR_PURPOSE, code, "qr").await;
        let user = match claimed {
            Ok(pairing) => match pairing.issued_for.parse() {
                Ok(id) => self.deps.users.get(id).await?.filter(|u| !u.banned),
                Err(_) => None,
            },
            Err(PairingError::Unavailable) => return Err(IdentityError::Unavailable),
            Err(PairingError::InvalidCode) => None,
        };
        let Some(user) = user else {
            let detail = json!({"reason": "invalid_qr_code", "source": source, "userAgent": user_agent});
            self.audit(AuditEvent::new(Actor::System, "auth.failed").detail(detail).failed()).await;
            return Err(IdentityError::InvalidToken);
        };
        self.audit(
            AuditEvent::new(Actor::User(user.id.to_string()), "auth.qr_login")
                .resource(format!("user:{}", user.id))
                .detail(json!({"userAgent": user_agent, "source": source})),
        )
        .await;
        self.start_session_lasting(user, super::SESSION_TTL_MS).await
    }
}
