//! Invites: created by admins, shown once, claimed to create an account or reset a password.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::crypto::{random_token, sha256_hex};
use pincer_core::{Capability, GroupId, InviteId, Principal, Role, Rule, Secret, StoreError, UserId};
use serde_json::json;

use super::{INVITE_TTL_MS, Identity};
use crate::model::{Invite, InviteKind, InviteStatus, User};
use crate::ports::EndedSessions;
use crate::{IdentityError, password, validate};

/// What an admin asks for when inviting.
#[derive(Debug, Default)]
pub struct NewInvite {
    /// The role the new account gets (`admin` or `member`).
    pub role: String,
    /// The email the invite is for, if it names one.
    pub email: Option<String>,
    /// Groups the new account joins when it claims the invite (enterprise).
    pub group_ids: Vec<String>,
}

impl Identity {
    /// Creates an invite; the plaintext token is returned once and only its hash is stored.
    pub async fn create_invite(
        &self,
        principal: &Principal,
        req: NewInvite,
    ) -> Result<(Invite, Secret<String>), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        let role =
            Role::parse(&req.role).ok_or_else(|| IdentityError::InvalidInput("role must be admin or member".into()))?;
        let email = match req.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(validate::email(raw)?),
        };
        let group_ids = self.invite_groups(&req.group_ids).await?;
        if !self.deps.seats.admits_another().await? {
            return Err(IdentityError::SeatLimitReached);
        }
        let now = self.now();
        let token = random_token();
        let invite = Invite {
            id: InviteId::new(),
            kind: InviteKind::Invite,
            token_hash: sha256_hex(token.as_bytes()),
            email,
            role,
            user_id: None,
            created_by: principal.user_id,
            created_at: now,
            expires_at: now.plus_millis(INVITE_TTL_MS),
            used_at: None,
            group_ids,
        };
        self.deps.invites.insert(&invite).await.map_err(|e| match e {
            // A group deleted since it was checked.
            StoreError::Conflict(Rule::ForeignKey) => IdentityError::UnknownGroup,
            other => other.into(),
        })?;
        let mut detail = json!({"role": role.as_str()});
        if !invite.group_ids.is_empty() {
            let groups: Vec<String> = invite.group_ids.iter().map(ToString::to_string).collect();
            detail["groupIds"] = json!(groups);
        }
        self.audit(
            AuditEvent::new(Actor::of(principal), "user.invited")
                .resource(format!("invite:{}", invite.id))
                .detail(detail),
        )
        .await;
        Ok((invite, Secret::new(token)))
    }

    /// The groups an invite names: distinct, well-formed, and only with the licence that groups
    /// come with (their existence is the store's foreign key).
    async fn invite_groups(&self, raw: &[String]) -> Result<Vec<GroupId>, IdentityError> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        if !self.deps.entitlement.enterprise().await {
            return Err(IdentityError::EnterpriseRequired);
        }
        let mut ids = Vec::with_capacity(raw.len());
        for id in raw {
            let id: GroupId = id.trim().parse().map_err(|_| IdentityError::UnknownGroup)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Every invite and reset link with where it stands now, newest first.
    pub async fn list_invites(&self, principal: &Principal) -> Result<Vec<(Invite, InviteStatus)>, IdentityError> {
        principal.require(Capability::ManageUsers)?;
        let now = self.now();
        Ok(self
            .deps
            .invites
            .list()
            .await?
            .into_iter()
            .map(|i| {
                let status = i.status(now);
                (i, status)
            })
            .collect())
    }

    /// Revokes an unclaimed invite (admins).
    pub async fn revoke_invite(&self, principal: &Principal, id: InviteId) -> Result<(), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        self.deps.invites.delete(id).await.map_err(|e| match e {
            pincer_core::StoreError::NotFound => IdentityError::InviteNotFound,
            other => other.into(),
        })?;
        self.audit(AuditEvent::new(Actor::of(principal), "user.invite_revoked").resource(format!("invite:{id}"))).await;
        Ok(())
    }

    /// Claims an invite (creates the account) or a reset (sets the password, ends all sessions).
    /// `email` is needed only when the invite did not name one.
    pub async fn claim(
        &self,
        token: &str,
        name: Option<&str>,
        email: Option<&str>,
        password: &str,
    ) -> Result<(), IdentityError> {
        password::check_policy(password)?;
        let now = self.now();
        let invite = match self.deps.invites.find_by_token_hash(&sha256_hex(token.trim().as_bytes())).await? {
            Some(invite) if invite.status(now) == InviteStatus::Pending => invite,
            _ => return Err(IdentityError::InvalidToken),
        };
        // An invite speaks for the admin who made it: once they are no longer an active admin
        // (demoted, deactivated, deleted), what they handed out no longer opens anything.
        let creator = self.deps.users.get(invite.created_by).await?;
        if !creator.is_some_and(|c| c.role == Role::Admin && !c.banned) {
            return Err(IdentityError::InvalidToken);
        }
        match invite.kind {
            InviteKind::Invite => {
                let name = validate::name(name.unwrap_or_default())?;
                let email = match (&invite.email, email) {
                    (Some(invited), _) => invited.clone(),
                    (None, Some(given)) => validate::email(given)?,
                    (None, None) => {
                        return Err(IdentityError::InvalidInput("email is required for this invite".into()));
                    }
                };
                let user = User {
                    id: UserId::new(),
                    email,
                    name,
                    role: invite.role,
                    banned: false,
                    password_hash: self.hash_password(password).await?,
                    context: String::new(),
                    created_at: now,
                    updated_at: now,
                };
                self.deps.invites.claim_for_new_user(invite.id, now, &user).await?;
                self.audit(
                    AuditEvent::new(Actor::User(user.id.to_string()), "user.created")
                        .resource(format!("user:{}", user.id))
                        .detail(json!({"invite": invite.id.to_string(), "role": user.role.as_str()})),
                )
                .await;
                self.deps.accounts.account_created(&user).await;
            }
            InviteKind::Reset => {
                let user_id = invite.user_id.ok_or(IdentityError::InvalidToken)?;
                let hash = self.hash_password(password).await?;
                self.deps.invites.claim_for_reset(invite.id, now, user_id, &hash).await?;
                self.sessions_ended(user_id, EndedSessions::AllExcept(None));
                self.audit(
                    AuditEvent::new(Actor::User(user_id.to_string()), "user.password_reset")
                        .resource(format!("user:{user_id}")),
                )
                .await;
            }
        }
        Ok(())
    }
}
