//! Personal API tokens: created, listed and revoked by their owner in a sign-in session; each
//! request they authenticate acts as the owner, narrowed to the token's scopes
//! ([`pincer_core::Principal::require`]). Only the SHA-256 of a token is stored.

use std::collections::HashMap;
use std::sync::Mutex;

use pincer_audit::{Actor, AuditEvent};
use pincer_core::crypto::{random_token, sha256_hex};
use pincer_core::{ApiTokenId, Credential, Principal, Role, Scope, Secret, Timestamp};
use serde_json::json;

use super::Identity;
use super::auth::LoginOutcome;
use crate::IdentityError;
use crate::model::{ApiToken, User};
use crate::validate;

/// What every token starts with, so secret scanners can recognise a leaked one.
pub const TOKEN_PREFIX: &str = "pcr_";
/// The name of the token `POST /api/token/regenerate` replaces (the dashboard's access token).
pub const DEFAULT_TOKEN_NAME: &str = "default";
/// How long a session opened with a token lasts.
pub const SESSION_FROM_TOKEN_TTL_MS: i64 = 12 * 3600 * 1000;
/// The longest validity a token may be given.
pub const MAX_EXPIRY_DAYS: u32 = 3650;
/// The most tokens one person may hold.
pub const MAX_TOKENS_PER_USER: usize = 50;
/// `lastUsedAt` is written at most this often per token.
const TOUCH_EVERY_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A token asked for.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// The owner's label for it.
    pub name: String,
    /// Scope names as the API writes them (`chat`, `agents:read`, …).
    pub scopes: Vec<String>,
    /// `None`: never expires.
    pub expires_in_days: Option<u32>,
}

/// When each token's `lastUsedAt` was last written by this process.
#[derive(Debug, Default)]
pub(crate) struct TokenUse(Mutex<HashMap<ApiTokenId, i64>>);

impl TokenUse {
    /// Whether the use at `now` should be written (and notes that it is).
    fn due(&self, id: ApiTokenId, now: Timestamp) -> bool {
        let Ok(mut seen) = self.0.lock() else { return false };
        match seen.get(&id) {
            Some(at) if now.millis() - at < TOUCH_EVERY_MS => false,
            _ => {
                if seen.len() >= 100_000 {
                    seen.clear();
                }
                seen.insert(id, now.millis());
                true
            }
        }
    }
}

/// Whether a role may hold a scope: a member's token cannot name what only admins may do.
fn role_allows(role: Role, scope: Scope) -> bool {
    role == Role::Admin || !matches!(scope, Scope::Admin | Scope::AgentsWrite | Scope::UsageRead | Scope::AuditRead)
}

/// The scopes a role's default token carries: everything the role may do.
fn default_scopes(role: Role) -> Vec<Scope> {
    match role {
        Role::Admin => vec![Scope::Admin],
        Role::Member => Scope::ALL.into_iter().filter(|s| role_allows(Role::Member, *s)).collect(),
    }
}

fn parse_scopes(role: Role, raw: &[String]) -> Result<Vec<Scope>, IdentityError> {
    if raw.is_empty() {
        return Err(IdentityError::InvalidInput("scopes must name at least one scope".into()));
    }
    let mut scopes = Vec::new();
    for name in raw {
        let scope = Scope::parse(name.trim()).ok_or_else(|| {
            let known = Scope::ALL.map(Scope::as_str).join(", ");
            IdentityError::InvalidInput(format!("unknown scope {:?} (known: {known})", name.trim()))
        })?;
        if !role_allows(role, scope) {
            return Err(IdentityError::InvalidInput(format!("scope {} needs the admin role", scope.as_str())));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

fn session_only(principal: &Principal) -> Result<(), IdentityError> {
    match principal.credential {
        Credential::Session(_) | Credential::Internal => Ok(()),
        _ => Err(IdentityError::WrongCredential("API tokens are managed from a sign-in session")),
    }
}

impl Identity {
    /// The caller's tokens, oldest first.
    pub async fn tokens(&self, principal: &Principal) -> Result<Vec<ApiToken>, IdentityError> {
        session_only(principal)?;
        Ok(self.deps.tokens.tokens_of(principal.user_id).await?)
    }

    /// Creates a token for the caller; the token itself is in the answer and nowhere else.
    pub async fn create_token(
        &self,
        principal: &Principal,
        new: NewToken,
    ) -> Result<(ApiToken, Secret<String>), IdentityError> {
        session_only(principal)?;
        let name = validate::name(&new.name)?;
        let scopes = parse_scopes(principal.role, &new.scopes)?;
        let expires_in_days = match new.expires_in_days {
            Some(0) => return Err(IdentityError::InvalidInput("expiresInDays must be at least 1".into())),
            Some(days) if days > MAX_EXPIRY_DAYS => {
                return Err(IdentityError::InvalidInput(format!("expiresInDays must be at most {MAX_EXPIRY_DAYS}")));
            }
            days => days,
        };
        if self.deps.tokens.tokens_of(principal.user_id).await?.len() >= MAX_TOKENS_PER_USER {
            return Err(IdentityError::InvalidInput(format!(
                "at most {MAX_TOKENS_PER_USER} tokens per person: revoke one first"
            )));
        }
        let (token, secret) = self.issue(principal, name, scopes, expires_in_days).await?;
        self.audit(
            AuditEvent::new(Actor::of(principal), "token.created")
                .resource(format!("token:{}", token.id))
                .detail(json!({"name": token.name, "scopes": scope_names(&token.scopes)})),
        )
        .await;
        Ok((token, secret))
    }

    async fn issue(
        &self,
        principal: &Principal,
        name: String,
        scopes: Vec<Scope>,
        expires_in_days: Option<u32>,
    ) -> Result<(ApiToken, Secret<String>), IdentityError> {
        let now = self.now();
        let secret = format!("{TOKEN_PREFIX}{}", random_token());
        let token = ApiToken {
            id: ApiTokenId::new(),
            user_id: principal.user_id,
            name,
            scopes,
            token_hash: sha256_hex(secret.as_bytes()),
            created_at: now,
            last_used_at: None,
            expires_at: expires_in_days.map(|days| now.plus_millis(i64::from(days) * DAY_MS)),
        };
        self.deps.tokens.insert_token(&token).await?;
        Ok((token, Secret::new(secret)))
    }

    /// Revokes one of the caller's tokens: it fails from the next request on, on every node
    /// (cached principals of the owner are dropped here and elsewhere).
    pub async fn revoke_token(&self, principal: &Principal, id: ApiTokenId) -> Result<(), IdentityError> {
        session_only(principal)?;
        if !self.deps.tokens.delete_token(principal.user_id, id).await? {
            return Err(IdentityError::TokenNotFound);
        }
        self.user_changed(principal.user_id);
        self.audit(AuditEvent::new(Actor::of(principal), "token.revoked").resource(format!("token:{id}"))).await;
        Ok(())
    }

    /// Revokes the caller's tokens named `default` and issues a new one with everything the
    /// role may do (the dashboard's access token).
    pub async fn regenerate_token(&self, principal: &Principal) -> Result<(ApiToken, Secret<String>), IdentityError> {
        session_only(principal)?;
        let revoked = self.deps.tokens.delete_tokens_named(principal.user_id, DEFAULT_TOKEN_NAME).await?;
        if !revoked.is_empty() {
            self.user_changed(principal.user_id);
        }
        let scopes = default_scopes(principal.role);
        let (token, secret) = self.issue(principal, DEFAULT_TOKEN_NAME.into(), scopes, None).await?;
        let revoked: Vec<String> = revoked.iter().map(ToString::to_string).collect();
        self.audit(
            AuditEvent::new(Actor::of(principal), "token.regenerated")
                .resource(format!("token:{}", token.id))
                .detail(json!({"revoked": revoked})),
        )
        .await;
        Ok((token, secret))
    }

    /// A sign-in session (12 hours) for the owner of the token that authenticated this call, so
    /// a script can open the web app.
    pub async fn session_from_token(&self, principal: &Principal) -> Result<LoginOutcome, IdentityError> {
        let Credential::ApiToken { id, .. } = principal.credential else {
            return Err(IdentityError::WrongCredential("a session is opened with an API token"));
        };
        let user = self.deps.users.get(principal.user_id).await?.ok_or(IdentityError::NotAuthenticated)?;
        if user.banned {
            return Err(IdentityError::NotAuthenticated);
        }
        let outcome = self.start_session_lasting(user, SESSION_FROM_TOKEN_TTL_MS).await?;
        self.audit(
            AuditEvent::new(Actor::of(principal), "auth.session_from_token")
                .resource(format!("user:{}", principal.user_id))
                .detail(json!({"token": id.to_string()})),
        )
        .await;
        Ok(outcome)
    }

    /// The principal of a `pcr_` token: its owner, unless deactivated, narrowed to its scopes.
    pub(crate) async fn authenticate_token(&self, token: &str, now: Timestamp) -> Result<Principal, IdentityError> {
        let token_hash = sha256_hex(token.as_bytes());
        let principal = match self.cache.get(&token_hash, now) {
            Some(principal) => principal,
            None => {
                let Some((token, user)) = self.deps.tokens.token_by_hash(&token_hash).await? else {
                    return Err(IdentityError::NotAuthenticated);
                };
                let expired = token.expires_at.is_some_and(|at| now >= at);
                if expired || user.banned {
                    return Err(IdentityError::NotAuthenticated);
                }
                let principal = principal_of(&token, user);
                let until = token.expires_at.unwrap_or(Timestamp(i64::MAX));
                self.cache.insert(token_hash, principal.clone(), until, now);
                principal
            }
        };
        if let Credential::ApiToken { id, .. } = principal.credential
            && self.token_use.due(id, now)
        {
            // A failed write only loses a `lastUsedAt` (the store logged why): the request goes on.
            let _ = self.deps.tokens.touch_token(id, now).await;
        }
        Ok(principal)
    }
}

fn principal_of(token: &ApiToken, user: User) -> Principal {
    Principal {
        user_id: user.id,
        role: user.role,
        name: user.name,
        credential: Credential::ApiToken { id: token.id, scopes: token.scopes.clone() },
    }
}

/// Scopes as the API writes them.
pub fn scope_names(scopes: &[Scope]) -> Vec<&'static str> {
    scopes.iter().map(|s| s.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_known_within_the_role_and_deduplicated() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_scopes(Role::Member, &names(&["chat", "chat", "memory"])),
            Ok(vec![Scope::Chat, Scope::Memory])
        );
        assert!(parse_scopes(Role::Member, &names(&["admin"])).is_err(), "a member cannot hold admin");
        assert!(parse_scopes(Role::Member, &names(&["audit:read"])).is_err());
        assert_eq!(parse_scopes(Role::Admin, &names(&["audit:read"])), Ok(vec![Scope::AuditRead]));
        assert!(parse_scopes(Role::Admin, &names(&["root"])).is_err());
        assert!(parse_scopes(Role::Admin, &[]).is_err());
        assert_eq!(default_scopes(Role::Admin), vec![Scope::Admin]);
        assert_eq!(default_scopes(Role::Member), vec![Scope::Chat, Scope::Sessions, Scope::Memory, Scope::AgentsRead]);
    }

    #[test]
    fn a_use_is_written_at_most_once_a_minute() {
        let uses = TokenUse::default();
        let id = ApiTokenId::new();
        assert!(uses.due(id, Timestamp(0)));
        assert!(!uses.due(id, Timestamp(59_999)));
        assert!(uses.due(id, Timestamp(60_000)));
        assert!(uses.due(ApiTokenId::new(), Timestamp(60_001)), "per token");
    }
}
