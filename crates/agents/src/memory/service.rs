//! The memory service: a user's entries (list, add, delete), their settings and stats, and what
//! a turn is given from them. Every action is confined to the caller's own entries; changes are
//! audited without their content.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{AgentId, Clock, MemoryId, Page, PageRequest, Principal, StoreError, Timestamp, UserId};
use serde_json::{Map, Value, json};

use super::{
    MAX_ENTRIES_PER_USER, MAX_TAG_CHARS, MAX_TAGS, MemoryEntry, MemorySettings, MemorySource, MemoryStats, MemoryStore,
};
use crate::chat::sessions::search_words;

/// The most characters of memory one turn is given, over all its entries.
pub const MAX_INJECTED_CHARS: usize = 8_000;
/// How long a user's settings are kept between turns: a change through this server applies at
/// once, one through another replica within this time.
pub const SETTINGS_TTL_MS: i64 = 5_000;
/// The most users whose settings are kept; beyond it the cache starts again empty.
const SETTINGS_CACHED_USERS: usize = 10_000;

/// Why a memory action was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MemoryError {
    /// A field is malformed (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// Unknown, or another user's.
    #[error("memory entry not found")]
    NotFound,
    /// The user keeps the most entries allowed.
    #[error("memory is full: at most 10000 entries; delete some first")]
    Full,
    /// The user turned memory off.
    #[error("memory is turned off in this user's settings")]
    Disabled,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl MemoryError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::NotFound => "memory_not_found",
            Self::Full => "memory_full",
            Self::Disabled => "memory_disabled",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for MemoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            _ => Self::Unavailable,
        }
    }
}

/// An entry to write.
#[derive(Clone, Debug, Default)]
pub struct NewMemory {
    /// What to remember.
    pub content: String,
    /// Labels.
    pub tags: Vec<String>,
    /// The agent it is tied to, if any.
    pub agent_id: Option<AgentId>,
}

/// What the memory service needs.
pub struct MemoryDeps {
    /// The entries and settings.
    pub store: Arc<dyn MemoryStore>,
    /// Where changes are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Users' long-term memory.
pub struct MemoryService {
    deps: MemoryDeps,
    /// Each user's settings and when they were read, so a turn costs no settings query.
    settings: Mutex<HashMap<UserId, (Timestamp, MemorySettings)>>,
}

/// Words too common to tell one entry from another.
const STOP_WORDS: [&str; 32] = [
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
    "has", "him", "his", "how", "its", "may", "who", "did", "get", "she", "too", "use", "that", "this", "with", "what",
];
/// The most words of a message a turn's memory lookup uses.
pub const MAX_MESSAGE_WORDS: usize = 32;

/// The words of a message worth looking up: lower-case, at least 3 characters, not among the
/// most common, distinct, at most [`MAX_MESSAGE_WORDS`].
pub fn message_words(message: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in message.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.chars().count() >= 3 && !STOP_WORDS.contains(&word.as_str()) && !words.contains(&word) {
            words.push(word);
            if words.len() == MAX_MESSAGE_WORDS {
                break;
            }
        }
    }
    words
}

/// Tags as stored: trimmed, lower-case, distinct; refused when too many or too long.
pub fn tags(raw: &[String]) -> Result<Vec<String>, MemoryError> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || out.contains(&tag) {
            continue;
        }
        let ok =
            tag.chars().count() <= MAX_TAG_CHARS && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'));
        if !ok {
            return Err(MemoryError::InvalidInput(format!("a tag is 1-{MAX_TAG_CHARS} letters, digits, '-' or '_'")));
        }
        out.push(tag);
    }
    if out.len() > MAX_TAGS {
        return Err(MemoryError::InvalidInput(format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

impl MemoryService {
    /// The service over its dependencies.
    pub fn new(deps: MemoryDeps) -> Self {
        Self { deps, settings: Mutex::new(HashMap::new()) }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (Timestamp, MemorySettings)>> {
        self.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remember(&self, user: UserId, settings: MemorySettings) {
        let mut cache = self.cache();
        if cache.len() >= SETTINGS_CACHED_USERS {
            cache.clear();
        }
        cache.insert(user, (self.deps.clock.now(), settings));
    }

    async fn record(&self, principal: &Principal, event: &'static str, resource: String, detail: Value) {
        let event = AuditEvent::new(Actor::of(principal), event).resource(resource).detail(detail);
        self.deps.audit.record(event).await;
    }

    /// A user's settings (the defaults until they save some).
    pub async fn settings_of(&self, user: UserId) -> Result<MemorySettings, MemoryError> {
        let now = self.deps.clock.now();
        if let Some((read_at, settings)) = self.cache().get(&user).copied()
            && now.millis() - read_at.millis() < SETTINGS_TTL_MS
        {
            return Ok(settings);
        }
        let settings = self.deps.store.memory_settings(user).await?.unwrap_or_default();
        self.remember(user, settings);
        Ok(settings)
    }

    /// The caller's settings.
    pub async fn settings(&self, principal: &Principal) -> Result<MemorySettings, MemoryError> {
        self.settings_of(principal.user_id).await
    }

    /// Changes the caller's settings as a whole (see [`MemorySettings::with`]); audited.
    pub async fn set_settings(
        &self,
        principal: &Principal,
        body: &Map<String, Value>,
    ) -> Result<MemorySettings, MemoryError> {
        // The stored settings, not the cached ones: a change is applied to the latest.
        let current = self.deps.store.memory_settings(principal.user_id).await?.unwrap_or_default();
        let next = current.with(body).map_err(MemoryError::InvalidInput)?;
        self.deps.store.save_memory_settings(principal.user_id, &next, self.deps.clock.now()).await?;
        self.remember(principal.user_id, next);
        let detail = json!({
            "enabled": next.enabled, "autoInject": next.auto_inject,
            "maxInjected": next.max_injected, "maxEntryChars": next.max_entry_chars,
        });
        self.record(principal, "memory.settings_changed", format!("user:{}", principal.user_id), detail).await;
        Ok(next)
    }

    /// The caller's entries (of an agent, matching the words of `q`), newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        agent: Option<AgentId>,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<MemoryEntry>, MemoryError> {
        let words = match q.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => search_words(q).map_err(|e| MemoryError::InvalidInput(e.to_string()))?,
            None => Vec::new(),
        };
        Ok(self.deps.store.list_memories(principal.user_id, agent, &words, page).await?)
    }

    /// Writes an entry for `user` (checked against their settings and the cap).
    async fn write(&self, user: UserId, new: NewMemory, source: MemorySource) -> Result<MemoryEntry, MemoryError> {
        let settings = self.settings_of(user).await?;
        let content = new.content.trim().to_string();
        let chars = content.chars().count();
        if chars == 0 || chars > settings.max_entry_chars as usize {
            return Err(MemoryError::InvalidInput(format!(
                "content must be 1-{} characters (the maxEntryChars setting)",
                settings.max_entry_chars
            )));
        }
        let tags = tags(&new.tags)?;
        if self.deps.store.count_memories(user).await? >= MAX_ENTRIES_PER_USER {
            return Err(MemoryError::Full);
        }
        let now = self.deps.clock.now();
        let entry = MemoryEntry {
            id: MemoryId::new(),
            user_id: user,
            agent_id: new.agent_id,
            content,
            tags,
            source,
            created_at: now,
            updated_at: now,
        };
        self.deps.store.insert_memory(&entry).await.map_err(|e| match e {
            StoreError::Conflict(pincer_core::Rule::ForeignKey) => {
                MemoryError::InvalidInput("agentId must be an agent".into())
            }
            other => other.into(),
        })?;
        Ok(entry)
    }

    /// Adds an entry by hand; audited as `memory.created` (without the content).
    pub async fn add(&self, principal: &Principal, new: NewMemory) -> Result<MemoryEntry, MemoryError> {
        let entry = self.write(principal.user_id, new, MemorySource::User).await?;
        let detail = json!({"source": "user", "chars": entry.content.chars().count(), "tags": entry.tags});
        self.record(principal, "memory.created", format!("memory:{}", entry.id), detail).await;
        Ok(entry)
    }

    /// Saves an entry an agent wrote for `user` (the tool call is audited as `tool.memory_save`);
    /// refused when the user turned memory off.
    pub async fn save_for(
        &self,
        user: UserId,
        agent: AgentId,
        content: &str,
        tags: &[String],
    ) -> Result<MemoryEntry, MemoryError> {
        if !self.settings_of(user).await?.enabled {
            return Err(MemoryError::Disabled);
        }
        let new = NewMemory { content: content.to_string(), tags: tags.to_vec(), agent_id: Some(agent) };
        self.write(user, new, MemorySource::Agent).await
    }

    /// `user`'s entries matching any word of `query`, most relevant first (for the search tool).
    pub async fn search_for(&self, user: UserId, query: &str, limit: u32) -> Result<Vec<MemoryEntry>, MemoryError> {
        if !self.settings_of(user).await?.enabled {
            return Err(MemoryError::Disabled);
        }
        let words = search_words(query).map_err(|e| MemoryError::InvalidInput(e.to_string()))?;
        Ok(self.deps.store.relevant_memories(user, &words, limit).await?)
    }

    /// Deletes one of `user`'s entries (for the forget tool and the route).
    pub async fn forget_for(&self, user: UserId, id: MemoryId) -> Result<(), MemoryError> {
        if self.deps.store.delete_memory(user, id).await? { Ok(()) } else { Err(MemoryError::NotFound) }
    }

    /// Deletes one of the caller's entries; audited as `memory.deleted`.
    pub async fn delete(&self, principal: &Principal, id: MemoryId) -> Result<(), MemoryError> {
        self.forget_for(principal.user_id, id).await?;
        self.record(principal, "memory.deleted", format!("memory:{id}"), json!({})).await;
        Ok(())
    }

    /// The caller's memory, summed.
    pub async fn stats(&self, principal: &Principal) -> Result<MemoryStats, MemoryError> {
        Ok(self.deps.store.memory_stats(principal.user_id).await?)
    }

    /// What a turn of `user` saying `message` is given: the most relevant entries, when the
    /// settings allow it, at most `maxInjected` and [`MAX_INJECTED_CHARS`] in all. Empty when
    /// the message has no word or the store fails (a turn never fails for its memory).
    pub async fn context_for(&self, user: UserId, message: &str) -> Vec<MemoryEntry> {
        let words = message_words(message);
        if words.is_empty() {
            return Vec::new();
        }
        let Ok(settings) = self.settings_of(user).await else { return Vec::new() };
        if !settings.enabled || !settings.auto_inject || settings.max_injected == 0 {
            return Vec::new();
        }
        let found = self.deps.store.relevant_memories(user, &words, settings.max_injected).await.unwrap_or_default();
        let mut total = 0;
        found
            .into_iter()
            .take_while(|e| {
                total += e.content.len();
                total <= MAX_INJECTED_CHARS
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_gives_its_distinct_telling_words() {
        assert_eq!(message_words("What is the name of MY dog? My dog, Rex!"), ["name", "dog", "rex"]);
        assert!(message_words("a an of to").is_empty());
        assert_eq!(message_words(&"word ".repeat(100)), ["word"]);
    }

    #[test]
    fn tags_are_trimmed_lower_cased_distinct_and_bounded() {
        let raw = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tags(&raw(&[" Work ", "work", "", "home_office"])).unwrap(), ["work", "home_office"]);
        assert!(tags(&raw(&["two words"])).is_err());
        assert!(tags(&raw(&[&"x".repeat(41)])).is_err());
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(tags(&many).is_err());
    }
}
