//! The records of the identity domain, as stored and as services hand them out.

use pincer_core::{ApiTokenId, GroupId, InviteId, Role, Scope, SessionId, Timestamp, UserId};

/// A user account. `password_hash` is a PHC string and never leaves the domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account's id.
    pub id: UserId,
    /// Lower-cased, trimmed.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Admin or member.
    pub role: Role,
    /// Deactivated: cannot sign in, keeps their data.
    pub banned: bool,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Personal context, Markdown.
    pub context: String,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A login session. The token is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The session's id.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// SHA-256 of the token (the token itself is never stored).
    pub token_hash: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops being valid (exclusive).
    pub expires_at: Timestamp,
}

/// A personal API token: acts as its user, narrowed to its scopes. Only the SHA-256 of the token
/// is stored; the token itself (`pcr_…`) is shown once, when created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// The token's id (what the audit trail names).
    pub id: ApiTokenId,
    /// Whose token it is.
    pub user_id: UserId,
    /// The owner's label for it.
    pub name: String,
    /// What it may do (never more than its user's role).
    pub scopes: Vec<Scope>,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request (written at most once a minute).
    pub last_used_at: Option<Timestamp>,
    /// When it stops being valid (exclusive); `None` never.
    pub expires_at: Option<Timestamp>,
}

/// What an invite link does when claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteKind {
    /// Creates a new account.
    Invite,
    /// Sets a new password for an existing account.
    Reset,
}

impl InviteKind {
    /// The kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
        }
    }

    /// The kind with this name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invite" => Some(Self::Invite),
            "reset" => Some(Self::Reset),
            _ => None,
        }
    }
}

/// An invite or reset link. Only the SHA-256 of its token is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    /// The link's id.
    pub id: InviteId,
    /// An invite or a password reset.
    pub kind: InviteKind,
    /// SHA-256 of the token in the link.
    pub token_hash: String,
    /// The email the invite is for, if it names one.
    pub email: Option<String>,
    /// The role the new account gets.
    pub role: Role,
    /// For resets: the account whose password is reset.
    pub user_id: Option<UserId>,
    /// Who made the link.
    pub created_by: UserId,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working (exclusive).
    pub expires_at: Timestamp,
    /// When it was used, if it was.
    pub used_at: Option<Timestamp>,
    /// The groups the new account joins when the invite is claimed (invites only). A group
    /// deleted meanwhile drops out of the list.
    pub group_ids: Vec<GroupId>,
}

/// Where an invite stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteStatus {
    /// Not used, not expired.
    Pending,
    /// Used.
    Claimed,
    /// Not used, and past its expiry.
    Expired,
}

impl InviteStatus {
    /// The status as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Expired => "expired",
        }
    }
}

impl Invite {
    /// The status at `now`.
    pub fn status(&self, now: Timestamp) -> InviteStatus {
        if self.used_at.is_some() {
            InviteStatus::Claimed
        } else if now >= self.expires_at {
            InviteStatus::Expired
        } else {
            InviteStatus::Pending
        }
    }
}

/// A stored setting. When `encrypted`, `value` is a sealed string from `pincer_core::crypto::Cipher`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The setting's key (`org.name`).
    pub key: String,
    /// Its value; sealed when `encrypted`.
    pub value: String,
    /// Whether `value` is sealed with the platform key.
    pub encrypted: bool,
    /// When it last changed.
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_status_follows_use_then_expiry() {
        let mut invite = Invite {
            id: InviteId::new(),
            kind: InviteKind::Invite,
            token_hash: String::new(),
            email: None,
            role: Role::Member,
            user_id: None,
            created_by: UserId::new(),
            created_at: Timestamp(0),
            expires_at: Timestamp(100),
            used_at: None,
            group_ids: Vec::new(),
        };
        assert_eq!(invite.status(Timestamp(99)), InviteStatus::Pending);
        assert_eq!(invite.status(Timestamp(100)), InviteStatus::Expired);
        invite.used_at = Some(Timestamp(50));
        assert_eq!(invite.status(Timestamp(200)), InviteStatus::Claimed);
    }
}
