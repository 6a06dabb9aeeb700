//! Sessions in memory, over the same chats and messages as the conversation store. Search is
//! an approximation of the databases' full-text engines — every word must occur in the text,
//! lower-cased, with a plural `s` dropped — enough for the contract cases both engines meet.

use async_trait::async_trait;
use pincer_agents::chat::sessions::{MAX_SNIPPET_CHARS, Session, SessionArchive, SessionHit, SessionSummary};
use pincer_agents::chat::{Message, MessageRole};
use pincer_core::{AgentId, ChatId, Page, PageRequest, StoreError, Timestamp, UserId};

use super::{MemoryStores, Tables};

fn stem(word: &str) -> &str {
    word.strip_suffix('s').filter(|w| w.len() > 2).unwrap_or(word)
}

/// Where the first word is found in `text`, if every word is.
fn first_hit(text: &str, words: &[String]) -> Option<usize> {
    let lower = text.to_lowercase();
    let mut first = None;
    for word in words {
        let at = lower.find(stem(word))?;
        first = Some(first.map_or(at, |f: usize| f.min(at)));
    }
    first
}

/// Text around byte `at`, the word there marked, at most [`MAX_SNIPPET_CHARS`] characters.
fn snippet(text: &str, at: usize) -> String {
    let lower = text.to_lowercase();
    // Lower-casing may change byte lengths; fall back to the start when it did.
    let at = if lower.len() == text.len() && text.is_char_boundary(at) { at } else { 0 };
    let end = text[at..].find(|c: char| !c.is_alphanumeric()).map_or(text.len(), |e| at + e);
    let before: String = text[..at].chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    let marked = format!("{before}«{}»{}", &text[at..end], &text[end..]);
    marked.chars().take(MAX_SNIPPET_CHARS).collect()
}

impl Tables {
    fn owned_chat(&self, user: UserId, id: ChatId) -> Option<&pincer_agents::chat::Chat> {
        self.chats.iter().find(|c| c.id == id && c.user_id == user)
    }

    fn chat_messages(&self, id: ChatId) -> Vec<&super::Stored> {
        let mut theirs: Vec<&super::Stored> = self.messages.iter().filter(|m| m.message.chat_id == id).collect();
        theirs.sort_by_key(|m| m.seq);
        theirs
    }

    fn agent_name(&self, id: AgentId) -> String {
        self.agents.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl SessionArchive for MemoryStores {
    async fn list_sessions(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        page: PageRequest,
    ) -> Result<Page<SessionSummary>, StoreError> {
        let tables = self.tables();
        let mut all: Vec<SessionSummary> = tables
            .chats
            .iter()
            .filter(|c| c.user_id == user && agent.is_none_or(|a| c.agent_id == a))
            .filter_map(|c| {
                let messages = tables.chat_messages(c.id);
                messages.last()?;
                let newest = messages.iter().rev().find(|m| !m.message.content.is_empty());
                Some(SessionSummary {
                    id: c.id,
                    title: tables.chat_titles.get(&c.id).cloned().unwrap_or_default(),
                    agent_id: c.agent_id,
                    agent_name: tables.agent_name(c.agent_id),
                    channel: tables.chat_channels.get(&c.id).copied().unwrap_or("web").into(),
                    created_at: c.created_at,
                    last_activity_at: c.updated_at,
                    message_count: messages.len() as u64,
                    preview: newest.map(|m| m.message.content.chars().take(120).collect()).unwrap_or_default(),
                })
            })
            .collect();
        all.sort_by_key(|s| std::cmp::Reverse((s.last_activity_at, s.id)));
        let total = all.len() as i64;
        let items = all.into_iter().skip(page.offset() as usize).take(page.limit as usize).collect();
        Ok(Page { items, total })
    }

    async fn search_sessions(&self, user: UserId, words: &[String], limit: u32) -> Result<Vec<SessionHit>, StoreError> {
        let tables = self.tables();
        let mut hits: Vec<(u8, Timestamp, SessionHit)> = Vec::new();
        for chat in tables.chats.iter().filter(|c| c.user_id == user) {
            let title = tables.chat_titles.get(&chat.id).cloned().unwrap_or_default();
            let found = match first_hit(&title, words) {
                Some(at) => Some((0, snippet(&title, at), "title".to_string())),
                None => tables.chat_messages(chat.id).iter().find_map(|m| {
                    let role = match m.message.role {
                        MessageRole::User => "user",
                        MessageRole::Assistant => "assistant",
                    };
                    first_hit(&m.message.content, words)
                        .map(|at| (1, snippet(&m.message.content, at), role.to_string()))
                }),
            };
            if let Some((order, snippet, match_role)) = found {
                let hit = SessionHit {
                    id: chat.id,
                    title,
                    agent_id: chat.agent_id,
                    last_activity_at: chat.updated_at,
                    snippet,
                    match_role,
                };
                hits.push((order, chat.updated_at, hit));
            }
        }
        hits.sort_by_key(|(order, at, _)| (*order, std::cmp::Reverse(*at)));
        Ok(hits.into_iter().take(limit as usize).map(|(_, _, hit)| hit).collect())
    }

    async fn session(&self, user: UserId, id: ChatId) -> Result<Option<Session>, StoreError> {
        let tables = self.tables();
        Ok(tables.owned_chat(user, id).map(|chat| Session {
            chat: chat.clone(),
            title: tables.chat_titles.get(&id).cloned().unwrap_or_default(),
            agent_name: tables.agent_name(chat.agent_id),
        }))
    }

    async fn rename_session(&self, user: UserId, id: ChatId, title: &str, _now: Timestamp) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        if tables.owned_chat(user, id).is_none() {
            return Ok(false);
        }
        tables.chat_titles.insert(id, title.to_string());
        Ok(true)
    }

    async fn delete_session(&self, user: UserId, id: ChatId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        if tables.owned_chat(user, id).is_none() {
            return Ok(false);
        }
        tables.messages.retain(|m| m.message.chat_id != id);
        tables.chats.retain(|c| c.id != id);
        tables.chat_titles.remove(&id);
        Ok(true)
    }

    async fn session_messages(&self, id: ChatId, limit: u32) -> Result<Vec<Message>, StoreError> {
        Ok(self.tables().recent(id, limit))
    }
}
