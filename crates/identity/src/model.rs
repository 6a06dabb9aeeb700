//! The records of the identity domain, as stored and as services hand them out.

use pincer_core::{InviteId, Role, SessionId, Timestamp, UserId};

/// A user account. `password_hash` is a PHC string and never leaves the domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// Lower-cased, trimmed.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub banned: bool,
    pub password_hash: String,
    /// Personal context, Markdown.
    pub context: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A login session. The token is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
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
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
        }
    }

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
    pub id: InviteId,
    pub kind: InviteKind,
    pub token_hash: String,
    pub email: Option<String>,
    pub role: Role,
    /// For resets: the account whose password is reset.
    pub user_id: Option<UserId>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// Where an invite stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteStatus {
    Pending,
    Claimed,
    Expired,
}

impl InviteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Expired => "expired",
        }
    }
}

impl Invite {
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
    pub key: String,
    pub value: String,
    pub encrypted: bool,
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
        };
        assert_eq!(invite.status(Timestamp(99)), InviteStatus::Pending);
        assert_eq!(invite.status(Timestamp(100)), InviteStatus::Expired);
        invite.used_at = Some(Timestamp(50));
        assert_eq!(invite.status(Timestamp(200)), InviteStatus::Claimed);
    }
}
