//! Setup of the first admin, login, logout, request authentication and password change.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::crypto::{random_token, sha256_hex};
use pincer_core::{Credential, Principal, Role, Secret, SessionId, Timestamp, UserId};
use serde_json::json;

use super::{Identity, MAX_SESSIONS_PER_USER, SESSION_TTL_MS};
use crate::model::{Session, User};
use crate::ports::EndedSessions;
use crate::{IdentityError, password, validate};

/// A fresh session: the plaintext token goes to the client once and is never stored.
#[derive(Debug)]
pub struct LoginOutcome {
    /// The session token, shown once (the cookie or a bearer token).
    pub token: Secret<String>,
    /// Who signed in.
    pub user: User,
    /// When the session ends.
    pub expires_at: Timestamp,
}

impl Identity {
    /// Whether the first admin exists.
    pub async fn setup_complete(&self) -> Result<bool, IdentityError> {
        Ok(self.deps.users.any_admin().await?)
    }

    /// Creates the first admin and logs them in. Refused once any admin exists.
    pub async fn setup(&self, name: &str, email: &str, password: &str) -> Result<LoginOutcome, IdentityError> {
        let name = validate::name(name)?;
        let email = validate::email(email)?;
        password::check_policy(password)?;
        if self.setup_complete().await? {
            return Err(IdentityError::SetupComplete);
        }
        let now = self.now();
        let user = User {
            id: UserId::new(),
            email,
            name,
            role: Role::Admin,
            banned: false,
            password_hash: self.hash_password(password).await?,
            context: String::new(),
            created_at: now,
            updated_at: now,
        };
        // The store re-checks inside one transaction, so two racing setups cannot both win.
        self.deps.users.insert_first_admin(&user).await?;
        self.audit(
            AuditEvent::new(Actor::User(user.id.to_string()), "user.setup").resource(format!("user:{}", user.id)),
        )
        .await;
        self.deps.accounts.account_created(&user).await;
        self.start_session(user).await
    }

    /// Verifies credentials, throttled per source address and per account (login_throttle.rs).
    pub async fn login(&self, email: &str, password: &str, source: &str) -> Result<LoginOutcome, IdentityError> {
        let now = self.now();
        let email = email.trim().to_lowercase();
        let source_key = match self.throttle.admit_source(source, now) {
            Ok(key) => key,
            Err(retry_after_secs) => return Err(self.rate_limited(source, retry_after_secs).await),
        };
        if password.is_empty() || password.chars().count() > password::MAX_LENGTH {
            return Err(IdentityError::InvalidCredentials);
        }
        let user = self.deps.users.find_by_email(&email).await?;
        // Counted before the password is checked, so parallel guesses cannot all slip through.
        let admitted = match self.throttle.admit_login(&email, user.as_ref().map(|u| u.id), source_key, now) {
            Ok(admitted) => admitted,
            Err(retry_after_secs) => return Err(self.rate_limited(source, retry_after_secs).await),
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let verified = self.deps.hasher.verify(Secret::new(password.to_string()), hash).await;
        match user {
            Some(user) if verified && !user.banned => {
                self.throttle.succeeded(admitted, user.id, source_key);
                self.audit(
                    AuditEvent::new(Actor::User(user.id.to_string()), "auth.login")
                        .resource(format!("user:{}", user.id)),
                )
                .await;
                self.start_session(user).await
            }
            other => {
                let reason = match &other {
                    None => "unknown_account",
                    Some(u) if u.banned => "deactivated",
                    Some(_) => "wrong_password",
                };
                let mut event = AuditEvent::new(Actor::System, "auth.failed")
                    .detail(json!({ "reason": reason, "source": source }))
                    .failed();
                if let Some(u) = other {
                    event = event.resource(format!("user:{}", u.id));
                }
                self.audit(event).await;
                Err(IdentityError::InvalidCredentials)
            }
        }
    }

    /// Audits a throttled attempt and gives the error to answer with.
    pub(crate) async fn rate_limited(&self, source: &str, retry_after_secs: u64) -> IdentityError {
        self.audit(
            AuditEvent::new(Actor::System, "auth.failed")
                .detail(json!({"reason": "rate_limited", "source": source}))
                .failed(),
        )
        .await;
        IdentityError::RateLimited { retry_after_secs }
    }

    async fn start_session(&self, user: User) -> Result<LoginOutcome, IdentityError> {
        self.start_session_lasting(user, SESSION_TTL_MS).await
    }

    /// A new session of `user`, valid for `ttl_ms`.
    pub(crate) async fn start_session_lasting(&self, user: User, ttl_ms: i64) -> Result<LoginOutcome, IdentityError> {
        let now = self.now();
        let token = random_token();
        let session = Session {
            id: SessionId::new(),
            user_id: user.id,
            token_hash: sha256_hex(token.as_bytes()),
            created_at: now,
            expires_at: now.plus_millis(ttl_ms),
        };
        self.deps.sessions.insert(&session).await?;
        // A script that signs in on every run must not pile up sessions: the oldest go.
        let evicted = self.deps.sessions.trim_for_user(user.id, MAX_SESSIONS_PER_USER).await?;
        for id in evicted {
            self.sessions_ended(user.id, EndedSessions::One(id));
        }
        Ok(LoginOutcome { token: Secret::new(token), user, expires_at: session.expires_at })
    }

    /// Resolves a session token to its principal. Served from the cache when possible.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, IdentityError> {
        if token.is_empty() || token.len() > 128 {
            return Err(IdentityError::NotAuthenticated);
        }
        let now = self.now();
        if token.starts_with(super::TOKEN_PREFIX) {
            return self.authenticate_token(token, now).await;
        }
        let token_hash = sha256_hex(token.as_bytes());
        if let Some(principal) = self.cache.get(&token_hash, now) {
            return Ok(principal);
        }
        let Some((session, user)) = self.deps.sessions.find_active(&token_hash, now).await? else {
            return Err(IdentityError::NotAuthenticated);
        };
        if user.banned {
            return Err(IdentityError::NotAuthenticated);
        }
        let principal = Principal {
            user_id: user.id,
            role: user.role,
            name: user.name,
            credential: Credential::Session(session.id),
        };
        self.cache.insert(token_hash, principal.clone(), session.expires_at, now);
        Ok(principal)
    }

    /// Ends the session of this token (idempotent).
    pub async fn logout(&self, principal: &Principal, token: &str) -> Result<(), IdentityError> {
        self.cache.remove(&sha256_hex(token.as_bytes()));
        if let Some(session_id) = principal.session_id() {
            self.deps.sessions.delete(session_id).await?;
            self.sessions_ended(principal.user_id, EndedSessions::One(session_id));
        }
        self.audit(
            AuditEvent::new(Actor::of(principal), "auth.logout").resource(format!("user:{}", principal.user_id)),
        )
        .await;
        Ok(())
    }

    /// Removes the sessions that have expired (the server calls this periodically); returns how
    /// many went. Expired sessions already fail authentication; this keeps the table small.
    pub async fn purge_expired_sessions(&self) -> Result<u64, IdentityError> {
        Ok(self.deps.sessions.delete_expired(self.now()).await?)
    }

    /// Changes the caller's password and ends their other sessions. Throttled per user and per
    /// source address (with login's budget), before any hashing.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
        source: &str,
    ) -> Result<(), IdentityError> {
        if current.is_empty() {
            return Err(IdentityError::InvalidInput("currentPassword is required".into()));
        }
        password::check_policy(new)?;
        if let Err(retry_after_secs) = self.throttle.admit_password_change(principal.user_id, source, self.now()) {
            return Err(IdentityError::RateLimited { retry_after_secs });
        }
        let user = self.deps.users.get(principal.user_id).await?.ok_or(IdentityError::NotAuthenticated)?;
        if !self.deps.hasher.verify(Secret::new(current.to_string()), Some(user.password_hash.clone())).await {
            self.audit(
                AuditEvent::new(Actor::of(principal), "user.password_changed")
                    .resource(format!("user:{}", user.id))
                    .detail(json!({"reason": "wrong_current_password"}))
                    .failed(),
            )
            .await;
            return Err(IdentityError::WrongCurrentPassword);
        }
        let hash = self.hash_password(new).await?;
        self.deps.users.set_password_hash(user.id, &hash, self.now()).await?;
        self.deps.sessions.delete_for_user(user.id, principal.session_id()).await?;
        self.sessions_ended(user.id, EndedSessions::AllExcept(principal.session_id()));
        self.audit(
            AuditEvent::new(Actor::of(principal), "user.password_changed").resource(format!("user:{}", user.id)),
        )
        .await;
        Ok(())
    }
}
