//! Sessions: a user's own conversations, to list, search, rename, export and delete. A session is
//! a chat (one user, one agent, one key); it is private to its user — another user's session,
//! an admin's included, is reported exactly like an unknown one. Titles default to the first
//! user message, shortened at a word boundary; a title the user set is never overwritten.

use std::sync::Arc;

use async_trait::async_trait;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::{AgentId, ChatId, Page, PageRequest, Principal, StoreError, Timestamp, UserId};
use serde_json::json;

use super::model::{Chat, Message};
use super::runs::ChatRef;

/// The longest automatic title, in characters (a user's own may be longer).
pub const AUTO_TITLE_CHARS: usize = 80;
/// The longest title a user sets, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words of a search that count.
pub const MAX_QUERY_WORDS: usize = 16;
/// The longest snippet of a search hit, in characters.
pub const MAX_SNIPPET_CHARS: usize = 200;
/// The most messages one export holds.
pub const MAX_EXPORT_MESSAGES: u32 = 10_000;

/// A session as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The chat.
    pub id: ChatId,
    /// Its title (empty before its first message).
    pub title: String,
    /// The agent it is with.
    pub agent_id: AgentId,
    /// The agent's name (as it is now; a deleted agent's last name).
    pub agent_name: String,
    /// Where the conversation happens (`web`, later `telegram`…).
    pub channel: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When its newest message was added.
    pub last_activity_at: Timestamp,
    /// How many messages it holds.
    pub message_count: u64,
    /// The start of its newest message with text.
    pub preview: String,
}

/// A session a search found, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionHit {
    /// The session.
    pub id: ChatId,
    /// Its title.
    pub title: String,
    /// The agent it is with.
    pub agent_id: AgentId,
    /// When its newest message was added.
    pub last_activity_at: Timestamp,
    /// Text around the first hit, the hit marked `«…»`, at most [`MAX_SNIPPET_CHARS`].
    pub snippet: String,
    /// `user`, `assistant` or `title`: where the best hit is.
    pub match_role: String,
}

/// A session with its title and whether the user set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The chat.
    pub chat: Chat,
    /// Its title.
    pub title: String,
    /// The agent's name.
    pub agent_name: String,
}

/// Where sessions are found; every call is confined to `user`'s own chats.
#[async_trait]
pub trait SessionArchive: Send + Sync + 'static {
    /// `user`'s sessions (with `agent`, if given), most recent activity first.
    async fn list_sessions(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        page: PageRequest,
    ) -> Result<Page<SessionSummary>, StoreError>;
    /// `user`'s sessions whose title or messages hold every one of `words` (in any form the
    /// full-text index matches), best first — title hits, then the sessions with the most hits
    /// among the user's 10 × `limit` newest matching messages, then the newest — at most `limit`.
    async fn search_sessions(&self, user: UserId, words: &[String], limit: u32) -> Result<Vec<SessionHit>, StoreError>;
    /// One of `user`'s sessions.
    async fn session(&self, user: UserId, id: ChatId) -> Result<Option<Session>, StoreError>;
    /// Sets the title the user chose; whether the session exists.
    async fn rename_session(&self, user: UserId, id: ChatId, title: &str, now: Timestamp) -> Result<bool, StoreError>;
    /// Deletes the session and its messages in one transaction; whether it existed.
    async fn delete_session(&self, user: UserId, id: ChatId) -> Result<bool, StoreError>;
    /// The newest `limit` messages of a session, oldest first.
    async fn session_messages(&self, id: ChatId, limit: u32) -> Result<Vec<Message>, StoreError>;
}

/// Stops a run in progress on a chat (the run coordinator), before the chat goes.
pub trait RunCanceller: Send + Sync + 'static {
    /// Cancels the chat's run, if one is going.
    fn cancel(&self, chat: &ChatRef);
}

/// Why a session action was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    /// A field or parameter is malformed (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// Unknown, or another user's.
    #[error("session not found")]
    NotFound,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl SessionError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::NotFound => "session_not_found",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            _ => Self::Unavailable,
        }
    }
}

/// The title a session gets from its first message: the first line's words up to
/// [`AUTO_TITLE_CHARS`], cut at a word boundary (with `…` when cut).
pub fn default_title(first_message: &str) -> String {
    let line = first_message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= AUTO_TITLE_CHARS {
        return line;
    }
    let mut title = String::new();
    for word in line.split(' ') {
        let next =
            if title.is_empty() { word.chars().count() } else { title.chars().count() + 1 + word.chars().count() };
        if next > AUTO_TITLE_CHARS - 1 {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        // One word longer than a title: cut it.
        title = line.chars().take(AUTO_TITLE_CHARS - 1).collect();
    }
    title.push('…');
    title
}

/// The words of a search: letters and digits, lower-cased, at most [`MAX_QUERY_WORDS`]; an error
/// when there are none (an empty or whitespace query).
pub fn search_words(query: &str) -> Result<Vec<String>, SessionError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(SessionError::InvalidInput(format!("q is at most {MAX_QUERY_CHARS} characters")));
    }
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_QUERY_WORDS)
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Err(SessionError::InvalidInput("q must contain a word".into()));
    }
    Ok(words)
}

/// What the session service needs.
pub struct SessionDeps {
    /// The sessions.
    pub archive: Arc<dyn SessionArchive>,
    /// Runs in progress (stopped before their session is deleted).
    pub runs: Arc<dyn RunCanceller>,
    /// Where deletions, renames and exports are recorded (never the content).
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn pincer_core::Clock>,
}

/// A user's sessions.
pub struct Sessions {
    deps: SessionDeps,
}

impl Sessions {
    /// The service over its dependencies.
    pub fn new(deps: SessionDeps) -> Self {
        Self { deps }
    }

    async fn record(&self, principal: &Principal, event: &'static str, id: ChatId, detail: serde_json::Value) {
        let event = AuditEvent::new(Actor::of(principal), event).resource(format!("session:{id}")).detail(detail);
        self.deps.audit.record(event).await;
    }

    /// The caller's sessions, most recent activity first.
    pub async fn list(
        &self,
        principal: &Principal,
        agent: Option<AgentId>,
        page: PageRequest,
    ) -> Result<Page<SessionSummary>, SessionError> {
        Ok(self.deps.archive.list_sessions(principal.user_id, agent, page).await?)
    }

    /// The caller's sessions matching `query`, best first.
    pub async fn search(
        &self,
        principal: &Principal,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SessionHit>, SessionError> {
        let words = search_words(query)?;
        Ok(self.deps.archive.search_sessions(principal.user_id, &words, limit).await?)
    }

    /// One of the caller's sessions.
    pub async fn get(&self, principal: &Principal, id: ChatId) -> Result<Session, SessionError> {
        self.deps.archive.session(principal.user_id, id).await?.ok_or(SessionError::NotFound)
    }

    /// The newest `limit` messages of one of the caller's sessions, oldest first.
    pub async fn messages(&self, principal: &Principal, id: ChatId, limit: u32) -> Result<Vec<Message>, SessionError> {
        self.get(principal, id).await?;
        Ok(self.deps.archive.session_messages(id, limit).await?)
    }

    /// Renames one of the caller's sessions (1–200 characters after trimming); audited.
    pub async fn rename(&self, principal: &Principal, id: ChatId, title: &str) -> Result<String, SessionError> {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = title.chars().count();
        if chars == 0 || chars > MAX_TITLE_CHARS {
            return Err(SessionError::InvalidInput(format!("title must be 1-{MAX_TITLE_CHARS} characters")));
        }
        if !self.deps.archive.rename_session(principal.user_id, id, &title, self.deps.clock.now()).await? {
            return Err(SessionError::NotFound);
        }
        self.record(principal, "session.renamed", id, json!({"chars": chars})).await;
        Ok(title)
    }

    /// Deletes one of the caller's sessions with its messages, after stopping its run; audited.
    pub async fn delete(&self, principal: &Principal, id: ChatId) -> Result<(), SessionError> {
        let session = self.get(principal, id).await?;
        let chat = &session.chat;
        self.deps.runs.cancel(&ChatRef { user: chat.user_id, agent: chat.agent_id, key: chat.key.clone() });
        if !self.deps.archive.delete_session(principal.user_id, id).await? {
            return Err(SessionError::NotFound);
        }
        self.record(principal, "session.deleted", id, json!({"agentId": chat.agent_id.to_string()})).await;
        Ok(())
    }

    /// One of the caller's sessions with its messages (at most [`MAX_EXPORT_MESSAGES`], the
    /// newest), for a download; audited with the format.
    pub async fn export(
        &self,
        principal: &Principal,
        id: ChatId,
        format: &str,
    ) -> Result<(Session, Vec<Message>), SessionError> {
        let session = self.get(principal, id).await?;
        let messages = self.deps.archive.session_messages(id, MAX_EXPORT_MESSAGES).await?;
        self.record(principal, "session.exported", id, json!({"format": format, "messages": messages.len()})).await;
        Ok((session, messages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_the_first_words_cut_at_a_word_boundary() {
        assert_eq!(default_title("  How many\n vacation days?  "), "How many vacation days?");
        let long = "word ".repeat(40);
        let title = default_title(&long);
        assert!(title.ends_with('…') && title.chars().count() <= AUTO_TITLE_CHARS, "{title}");
        assert!(title.trim_end_matches('…').split(' ').all(|w| w == "word"), "cut between words: {title}");
        let one = "x".repeat(300);
        assert_eq!(default_title(&one).chars().count(), AUTO_TITLE_CHARS);
        assert_eq!(default_title(""), "");
    }

    #[test]
    fn search_words_are_letters_and_digits_lower_cased() {
        assert_eq!(search_words("Quarterly REPORTS, 2025!").unwrap(), ["quarterly", "reports", "2025"]);
        assert_eq!(search_words("\"x\" OR y*").unwrap(), ["x", "or", "y"], "no query syntax gets through");
        assert!(matches!(search_words("   "), Err(SessionError::InvalidInput(_))));
        assert!(matches!(search_words("--"), Err(SessionError::InvalidInput(_))));
        assert!(matches!(search_words(&"a".repeat(201)), Err(SessionError::InvalidInput(_))));
        assert_eq!(search_words(&"w ".repeat(40)).unwrap().len(), MAX_QUERY_WORDS);
    }
}
