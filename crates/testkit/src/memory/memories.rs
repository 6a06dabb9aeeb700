//! Long-term memory in memory. Matching approximates the databases' full-text engines: a word
//! matches an entry whose content or tags contain it (lower-cased, a plural `s` dropped);
//! relevance is the number of words matched.

use async_trait::async_trait;
use pincer_agents::memory::{
    MemoryEntry, MemorySettings, MemorySource, MemoryStats, MemoryStore, RELEVANCE_CANDIDATES,
};
use pincer_core::{AgentId, MemoryId, Page, PageRequest, Rule, StoreError, Timestamp, UserId};

use super::MemoryStores;

fn matches(entry: &MemoryEntry, word: &str) -> bool {
    let word = word.strip_suffix('s').filter(|w| w.len() > 2).unwrap_or(word);
    entry.content.to_lowercase().contains(word) || entry.tags.iter().any(|t| t.contains(word))
}

#[async_trait]
impl MemoryStore for MemoryStores {
    async fn insert_memory(&self, entry: &MemoryEntry) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let agent_ok = entry.agent_id.is_none_or(|a| tables.agents.iter().any(|x| x.id == a));
        if !tables.users.iter().any(|u| u.id == entry.user_id) || !agent_ok {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        if tables.memories.iter().any(|m| m.id == entry.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        tables.memories.push(entry.clone());
        Ok(())
    }

    async fn list_memories(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        words: &[String],
        page: PageRequest,
    ) -> Result<Page<MemoryEntry>, StoreError> {
        let tables = self.tables();
        let mut found: Vec<MemoryEntry> = tables
            .memories
            .iter()
            .filter(|m| m.user_id == user && agent.is_none_or(|a| m.agent_id == Some(a)))
            .filter(|m| words.iter().all(|w| matches(m, w)))
            .cloned()
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id)));
        let total = found.len() as i64;
        let items = found.into_iter().skip(page.offset() as usize).take(page.limit as usize).collect();
        Ok(Page { items, total })
    }

    async fn relevant_memories(
        &self,
        user: UserId,
        words: &[String],
        limit: u32,
    ) -> Result<Vec<MemoryEntry>, StoreError> {
        let tables = self.tables();
        let mut scored: Vec<(usize, &MemoryEntry)> = tables
            .memories
            .iter()
            .filter(|m| m.user_id == user)
            .map(|m| (words.iter().filter(|w| matches(m, w)).count(), m))
            .filter(|(score, _)| *score > 0)
            .collect();
        scored.sort_by_key(|(_, m)| std::cmp::Reverse(m.created_at));
        scored.truncate(RELEVANCE_CANDIDATES as usize);
        scored.sort_by_key(|(score, m)| std::cmp::Reverse((*score, m.created_at)));
        Ok(scored.into_iter().take(limit as usize).map(|(_, m)| m.clone()).collect())
    }

    async fn delete_memory(&self, user: UserId, id: MemoryId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let before = tables.memories.len();
        tables.memories.retain(|m| !(m.id == id && m.user_id == user));
        Ok(tables.memories.len() < before)
    }

    async fn count_memories(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(self.tables().memories.iter().filter(|m| m.user_id == user).count() as u64)
    }

    async fn memory_stats(&self, user: UserId) -> Result<MemoryStats, StoreError> {
        let tables = self.tables();
        let mine: Vec<&MemoryEntry> = tables.memories.iter().filter(|m| m.user_id == user).collect();
        let mut stats = MemoryStats {
            total: mine.len() as u64,
            oldest: mine.iter().map(|m| m.created_at).min(),
            newest: mine.iter().map(|m| m.created_at).max(),
            total_chars: mine.iter().map(|m| m.content.chars().count() as u64).sum(),
            ..MemoryStats::default()
        };
        for m in &mine {
            match stats.per_agent.iter_mut().find(|(a, _)| *a == m.agent_id) {
                Some((_, n)) => *n += 1,
                None => stats.per_agent.push((m.agent_id, 1)),
            }
        }
        for source in [MemorySource::Agent, MemorySource::User] {
            let n = mine.iter().filter(|m| m.source == source).count() as u64;
            if n > 0 {
                stats.per_source.push((source, n));
            }
        }
        Ok(stats)
    }

    async fn memory_settings(&self, user: UserId) -> Result<Option<MemorySettings>, StoreError> {
        Ok(self.tables().memory_settings.get(&user).copied())
    }

    async fn save_memory_settings(
        &self,
        user: UserId,
        settings: &MemorySettings,
        _now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if !tables.users.iter().any(|u| u.id == user) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        tables.memory_settings.insert(user, *settings);
        Ok(())
    }
}
