//! Admin management of user accounts: listing, roles, deactivation and password resets.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::crypto::{random_token, sha256_hex};
use pincer_core::{Capability, InviteId, Page, PageRequest, Principal, Role, Secret, UserId};
use serde_json::json;

use super::{Identity, RESET_TTL_MS};
use crate::IdentityError;
use crate::model::{Invite, InviteKind, User};
use crate::ports::EndedSessions;

impl Identity {
    /// The caller's own account.
    pub async fn current_user(&self, principal: &Principal) -> Result<User, IdentityError> {
        self.deps.users.get(principal.user_id).await?.ok_or(IdentityError::NotAuthenticated)
    }

    /// A page of accounts (admins).
    pub async fn list_users(&self, principal: &Principal, page: PageRequest) -> Result<Page<User>, IdentityError> {
        principal.require(Capability::ManageUsers)?;
        Ok(self.deps.users.list(page).await?)
    }

    async fn existing_user(&self, id: UserId) -> Result<User, IdentityError> {
        self.deps.users.get(id).await?.ok_or(IdentityError::UserNotFound)
    }

    /// Soft-deletes an account: bans it and ends all its sessions.
    pub async fn deactivate(&self, principal: &Principal, id: UserId) -> Result<(), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        if id == principal.user_id {
            return Err(IdentityError::SelfAction);
        }
        self.existing_user(id).await?;
        self.deps.users.set_banned(id, true, self.now()).await?;
        self.deps.sessions.delete_for_user(id, None).await?;
        // Deactivation revokes the API tokens too: reactivating does not bring them back.
        self.deps.tokens.delete_tokens_of(id).await?;
        self.sessions_ended(id, EndedSessions::AllExcept(None));
        self.audit(AuditEvent::new(Actor::of(principal), "user.deleted").resource(format!("user:{id}"))).await;
        Ok(())
    }

    /// Lets a deactivated account sign in again (admins).
    pub async fn reactivate(&self, principal: &Principal, id: UserId) -> Result<(), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        if !self.existing_user(id).await?.banned {
            return Err(IdentityError::NotDeactivated);
        }
        self.deps.users.set_banned(id, false, self.now()).await?;
        self.audit(AuditEvent::new(Actor::of(principal), "user.reactivated").resource(format!("user:{id}"))).await;
        Ok(())
    }

    /// Changes an account's role (admins; not their own; the last active admin stays).
    pub async fn change_role(&self, principal: &Principal, id: UserId, role: &str) -> Result<(), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        let role =
            Role::parse(role).ok_or_else(|| IdentityError::InvalidInput("role must be admin or member".into()))?;
        if id == principal.user_id {
            return Err(IdentityError::SelfAction);
        }
        let before = self.existing_user(id).await?.role;
        self.deps.users.set_role(id, role, self.now()).await?;
        self.user_changed(id);
        self.audit(
            AuditEvent::new(Actor::of(principal), "user.role_updated")
                .resource(format!("user:{id}"))
                .detail(json!({"from": before.as_str(), "to": role.as_str()})),
        )
        .await;
        Ok(())
    }

    /// Creates a single-use password-reset token for a user; returned once, stored hashed.
    pub async fn create_reset(&self, principal: &Principal, id: UserId) -> Result<Secret<String>, IdentityError> {
        principal.require(Capability::ManageUsers)?;
        let user = self.existing_user(id).await?;
        let token = self.issue_reset(&user, principal.user_id).await?;
        self.audit(AuditEvent::new(Actor::of(principal), "user.reset_created").resource(format!("user:{id}"))).await;
        Ok(token)
    }

    /// A reset link for the account with this email, asked for by the operator on the server
    /// (`pincer admin reset-password`): the way back for an admin who lost their password. Audited
    /// as the system's doing.
    pub async fn reset_from_command_line(&self, email: &str) -> Result<Secret<String>, IdentityError> {
        let email = crate::validate::email(email)?;
        let user = self.deps.users.find_by_email(&email).await?.ok_or(IdentityError::UserNotFound)?;
        // Recorded as created by the account itself: no person asked on the server's side.
        let token = self.issue_reset(&user, user.id).await?;
        self.audit(
            AuditEvent::new(Actor::System, "user.reset_created")
                .resource(format!("user:{}", user.id))
                .detail(json!({"by": "command line"})),
        )
        .await;
        Ok(token)
    }

    async fn issue_reset(&self, user: &User, created_by: UserId) -> Result<Secret<String>, IdentityError> {
        let now = self.now();
        let token = random_token();
        let invite = Invite {
            id: InviteId::new(),
            kind: InviteKind::Reset,
            token_hash: sha256_hex(token.as_bytes()),
            email: Some(user.email.clone()),
            role: user.role,
            user_id: Some(user.id),
            created_by,
            created_at: now,
            expires_at: now.plus_millis(RESET_TTL_MS),
            used_at: None,
            group_ids: Vec::new(),
        };
        self.deps.invites.insert(&invite).await?;
        Ok(Secret::new(token))
    }
}
