//! Channel bindings (an agent reached through a transport's account, such as a Telegram bot),
//! the links between Pincer users and their identities on a transport, and the threads that keep
//! a channel conversation in one session — and the [`ChannelStore`] port that keeps them.

use async_trait::async_trait;
use pincer_core::{AgentId, ChannelBindingId, StoreError, Timestamp, UserId};

/// A messaging service agents can be reached through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Telegram bots (the Bot API).
    Telegram,
}

impl Transport {
    /// As stored, shown and named in sessions (`channel: "telegram"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Telegram => "telegram",
        }
    }

    /// From its stored or sent form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "telegram" => Some(Self::Telegram),
            _ => None,
        }
    }

    /// The purpose of this transport's pairing codes.
    pub fn pairing_purpose(self) -> &'static str {
        match self {
            Self::Telegram => "channel:telegram",
        }
    }
}

/// Which agent a binding reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The main bot: each linked user talks to their own personal agent.
    Personal,
    /// One shared agent.
    Agent(AgentId),
}

impl Target {
    /// The agent, for a shared agent's binding.
    pub fn agent(self) -> Option<AgentId> {
        match self {
            Self::Personal => None,
            Self::Agent(id) => Some(id),
        }
    }
}

/// An account of a transport bound to an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// Its id.
    pub id: ChannelBindingId,
    /// The transport.
    pub transport: Transport,
    /// Who answers.
    pub target: Target,
    /// The account's id at the transport (a Telegram bot's id).
    pub account_id: String,
    /// The account's name there (a bot's username).
    pub account_name: String,
    /// The account's credential (a bot token), sealed with [`Binding::seal_context`].
    pub secret_sealed: String,
    /// The credential's last 4 characters.
    pub secret_hint: String,
    /// SHA-256 of the credential: one account is bound once (unique per transport).
    pub secret_digest: String,
    /// Whether its receiver should run.
    pub enabled: bool,
    /// Where receiving resumes (Telegram: the next update id), kept so a restart neither loses
    /// nor repeats a message.
    pub cursor: i64,
    /// The last failure of its receiver, if it has not run cleanly since.
    pub last_error: Option<String>,
    /// When that failure happened.
    pub last_error_at: Option<Timestamp>,
    /// The admin who bound it.
    pub created_by: UserId,
    /// When it was bound.
    pub created_at: Timestamp,
    /// When it last changed (credential, enabled).
    pub updated_at: Timestamp,
}

impl Binding {
    /// The context its credential is sealed under: a sealed token moved to another row fails to
    /// open.
    pub fn seal_context(id: ChannelBindingId) -> String {
        format!("channel-binding:{id}")
    }

    /// The store's one-per-target key (`telegram:main`, `telegram:<agent id>`).
    pub fn slot(transport: Transport, target: Target) -> String {
        match target {
            Target::Personal => format!("{}:main", transport.as_str()),
            Target::Agent(id) => format!("{}:{id}", transport.as_str()),
        }
    }
}

/// A Pincer user's identity on a transport, proven with a pairing code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The transport.
    pub transport: Transport,
    /// The identity there (a Telegram user id).
    pub external_id: String,
    /// The Pincer user.
    pub user_id: UserId,
    /// When it was linked.
    pub created_at: Timestamp,
}

/// Bindings, links and threads.
#[async_trait]
pub trait ChannelStore: Send + Sync + 'static {
    /// Every binding, oldest first.
    async fn bindings(&self) -> Result<Vec<Binding>, StoreError>;
    /// The binding of a target on a transport.
    async fn binding_for(&self, transport: Transport, target: Target) -> Result<Option<Binding>, StoreError>;
    /// The binding with this id.
    async fn binding(&self, id: ChannelBindingId) -> Result<Option<Binding>, StoreError>;
    /// Binds a target, in one transaction replacing the target's earlier binding (and its
    /// threads); `Conflict(Rule::Unique)` when the credential is bound to another target,
    /// `Conflict(Rule::ForeignKey)` when the agent does not exist.
    async fn put_binding(&self, binding: &Binding) -> Result<(), StoreError>;
    /// Removes a binding (and its threads); whether it existed.
    async fn delete_binding(&self, id: ChannelBindingId) -> Result<bool, StoreError>;
    /// Removes every binding of a transport; how many.
    async fn delete_bindings(&self, transport: Transport) -> Result<u64, StoreError>;
    /// Turns a binding's receiver on or off; whether it exists.
    async fn set_enabled(&self, id: ChannelBindingId, enabled: bool, now: Timestamp) -> Result<bool, StoreError>;
    /// Moves a binding's cursor forward (never back: a slower replica's write loses).
    async fn advance_cursor(&self, id: ChannelBindingId, cursor: i64) -> Result<(), StoreError>;
    /// Records the receiver's last failure, or clears it (`None`).
    async fn set_last_error(
        &self,
        id: ChannelBindingId,
        error: Option<&str>,
        at: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// Links a user's identity, in one transaction replacing the user's earlier link on the
    /// transport and any earlier owner of the identity.
    async fn link(&self, link: &Link) -> Result<(), StoreError>;
    /// The user's link on a transport.
    async fn link_of_user(&self, transport: Transport, user: UserId) -> Result<Option<Link>, StoreError>;
    /// Who an identity on a transport belongs to.
    async fn link_of_identity(&self, transport: Transport, external_id: &str) -> Result<Option<Link>, StoreError>;
    /// Removes the user's link on a transport; whether there was one.
    async fn unlink(&self, transport: Transport, user: UserId) -> Result<bool, StoreError>;

    /// The chat key a conversation of a binding continues in, for this user.
    async fn thread(
        &self,
        binding: ChannelBindingId,
        conversation: &str,
        user: UserId,
    ) -> Result<Option<String>, StoreError>;
    /// Sets (or replaces, after `/new`) the chat key a conversation continues in.
    async fn set_thread(
        &self,
        binding: ChannelBindingId,
        conversation: &str,
        user: UserId,
        chat_key: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}
