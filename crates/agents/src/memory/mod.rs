//! Long-term memory: entries one user owns — saved by an agent granted `pinchy_memory`, or added
//! by the user — that agents are given back in later conversations when the user's settings allow
//! it. Memory is per user: a shared agent never reveals one user's entries to another. Found by
//! the database's full-text index (no embeddings provider needed).

pub mod service;
pub mod settings;

use async_trait::async_trait;
use pincer_core::{AgentId, MemoryId, Page, PageRequest, StoreError, Timestamp, UserId};

pub use service::{MemoryDeps, MemoryError, MemoryService, NewMemory};
pub use settings::MemorySettings;

/// The most tags an entry has.
pub const MAX_TAGS: usize = 10;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// The most entries one user keeps.
pub const MAX_ENTRIES_PER_USER: u64 = 10_000;
/// How many of a user's newest matching entries are ranked for relevance: a turn's lookup costs
/// the same whether 100 or 10,000 entries share a word with the message.
pub const RELEVANCE_CANDIDATES: u32 = 100;

/// Who wrote an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemorySource {
    /// The user, by hand.
    User,
    /// An agent, with `memory_save`.
    Agent,
}

impl MemorySource {
    /// `user` or `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Agent => "agent",
        }
    }

    /// The source with this name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }
}

/// One remembered thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryEntry {
    /// Its id.
    pub id: MemoryId,
    /// Whose it is.
    pub user_id: UserId,
    /// The agent that saved it (or the user added it while with), if any.
    pub agent_id: Option<AgentId>,
    /// What is remembered.
    pub content: String,
    /// Lower-case labels.
    pub tags: Vec<String>,
    /// Who wrote it.
    pub source: MemorySource,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What a user's memory holds, summed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Entries.
    pub total: u64,
    /// Entries per agent (`None`: not tied to an agent).
    pub per_agent: Vec<(Option<AgentId>, u64)>,
    /// Entries per source.
    pub per_source: Vec<(MemorySource, u64)>,
    /// The oldest entry's time.
    pub oldest: Option<Timestamp>,
    /// The newest entry's time.
    pub newest: Option<Timestamp>,
    /// Characters over all entries.
    pub total_chars: u64,
}

/// A user's entries in the database; every call is confined to `user`.
#[async_trait]
pub trait MemoryStore: Send + Sync + 'static {
    /// Stores an entry; `Conflict(Rule::ForeignKey)` for an unknown user or agent.
    async fn insert_memory(&self, entry: &MemoryEntry) -> Result<(), StoreError>;
    /// `user`'s entries (of `agent`, matching every one of `words` when given), newest first.
    async fn list_memories(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        words: &[String],
        page: PageRequest,
    ) -> Result<Page<MemoryEntry>, StoreError>;
    /// `user`'s entries matching any of `words`, most relevant first, at most `limit`; only the
    /// newest [`RELEVANCE_CANDIDATES`] matching entries are ranked.
    async fn relevant_memories(
        &self,
        user: UserId,
        words: &[String],
        limit: u32,
    ) -> Result<Vec<MemoryEntry>, StoreError>;
    /// Deletes one of `user`'s entries; whether it existed.
    async fn delete_memory(&self, user: UserId, id: MemoryId) -> Result<bool, StoreError>;
    /// How many entries `user` has.
    async fn count_memories(&self, user: UserId) -> Result<u64, StoreError>;
    /// `user`'s memory, summed.
    async fn memory_stats(&self, user: UserId) -> Result<MemoryStats, StoreError>;
    /// `user`'s settings, if they saved any.
    async fn memory_settings(&self, user: UserId) -> Result<Option<MemorySettings>, StoreError>;
    /// Replaces `user`'s settings.
    async fn save_memory_settings(
        &self,
        user: UserId,
        settings: &MemorySettings,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}
