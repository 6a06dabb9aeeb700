//! Typed UUIDv7 identifiers, so a user id can never be passed where a session id is expected.

/// Declares a newtype id over a UUID that serialises as a plain UUID string.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A user account.
    UserId
);
typed_id!(
    /// A login session (the row, never the token).
    SessionId
);
typed_id!(
    /// An invite or password-reset link.
    InviteId
);
typed_id!(
    /// An agent, shared or personal.
    AgentId
);
typed_id!(
    /// A pairing: a short-lived code issued, claimed once, then collected (QR sign-in, channel
    /// linking).
    PairingId
);
typed_id!(
    /// A group of users (enterprise): who sees restricted agents.
    GroupId
);
typed_id!(
    /// A personal API token (its row, never its secret).
    ApiTokenId
);
typed_id!(
    /// A long-term memory entry of one user.
    MemoryId
);
typed_id!(
    /// A conversation of one user with one agent.
    ChatId
);
typed_id!(
    /// An inbound webhook slot.
    WebhookId
);
typed_id!(
    /// One delivery to an inbound webhook and the run it started.
    WebhookRequestId
);
typed_id!(
    /// One message of a conversation.
    MessageId
);
typed_id!(
    /// One agent run: the answer to one user message, over all its model steps.
    RunId
);
typed_id!(
    /// One usage record (one model call).
    UsageId
);
typed_id!(
    /// One channel binding: an agent (or every personal agent) reached through a transport's
    /// account, such as a Telegram bot.
    ChannelBindingId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = UserId::new();
        let parsed: UserId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = SessionId::new();
        let b = SessionId::new();
        assert!(a < b);
    }
}
