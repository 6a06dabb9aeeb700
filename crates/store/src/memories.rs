//! [`MemoryStore`] on [`Database`]: a user's entries and settings. Relevance comes from each
//! backend's full-text index — SQLite FTS5 (`memories_fts`, the owner as a token so only the
//! user's postings are read), PostgreSQL a generated `tsvector` with a GIN index.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use pincer_agents::memory::{MemoryEntry, MemorySettings, MemorySource, MemoryStats, MemoryStore};
use pincer_core::{AgentId, MemoryId, Page, PageRequest, StoreError, Timestamp, UserId};

use crate::Database;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{memories, memory_settings};

type Row = (String, String, Option<String>, String, String, String, i64, i64);

fn columns() -> (
    memories::id,
    memories::user_id,
    memories::agent_id,
    memories::content,
    memories::tags,
    memories::source,
    memories::created_at,
    memories::updated_at,
) {
    (
        memories::id,
        memories::user_id,
        memories::agent_id,
        memories::content,
        memories::tags,
        memories::source,
        memories::created_at,
        memories::updated_at,
    )
}

fn entry(row: Row) -> Result<MemoryEntry, DbError> {
    let (entry_id, user_id, agent_id, content, tags, source, created_at, updated_at) = row;
    Ok(MemoryEntry {
        id: id(&entry_id, "memories.id")?,
        user_id: id(&user_id, "memories.user_id")?,
        agent_id: agent_id.as_deref().map(|a| id(a, "memories.agent_id")).transpose()?,
        content,
        tags: serde_json::from_str(&tags).map_err(|_| DbError::Corrupt("memories.tags"))?,
        source: MemorySource::parse(&source).ok_or(DbError::Corrupt("memories.source"))?,
        created_at: Timestamp(created_at),
        updated_at: Timestamp(updated_at),
    })
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

/// The ids of `user`'s entries that match: every word (`all`) or any word, best first, on the
/// backend's index.
fn matching_ids(
    conn: &mut AnyConn,
    user: &str,
    words: &[String],
    all: bool,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<IdRow> = match conn {
        AnyConn::Sqlite(c) => {
            let joint = if all { " AND " } else { " OR " };
            let terms = words.iter().map(|w| format!("{{content tags}} : \"{w}\"")).collect::<Vec<_>>().join(joint);
            let query = format!("owner : \"u{}\" AND ({terms})", user.replace('-', ""));
            diesel::sql_query(
                "SELECT m.id AS id FROM (SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ?1 \
                 ORDER BY rank LIMIT ?2) f CROSS JOIN memories m ON m.rowid = f.rowid AND m.user_id = ?3 ORDER BY f.rank",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(user)
            .load(c)?
        }
        AnyConn::Postgres(c) => {
            let query = words.join(if all { " & " } else { " | " });
            diesel::sql_query(
                "SELECT id FROM memories, to_tsquery('english', $1) q WHERE user_id = $2 AND search @@ q \
                 ORDER BY ts_rank(search, q) DESC, created_at DESC LIMIT $3",
            )
            .bind::<Text, _>(query)
            .bind::<Text, _>(user)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The entries with these ids, in this order.
fn load_in_order(conn: &mut AnyConn, ids: &[String]) -> Result<Vec<MemoryEntry>, DbError> {
    let rows: Vec<Row> = memories::table.filter(memories::id.eq_any(ids)).select(columns()).load(conn)?;
    let mut found = rows.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    found.sort_by_key(|e| ids.iter().position(|i| *i == e.id.to_string()));
    Ok(found)
}

#[async_trait]
impl MemoryStore for Database {
    async fn insert_memory(&self, e: &MemoryEntry) -> Result<(), StoreError> {
        let tags = serde_json::Value::from(e.tags.clone()).to_string();
        let row = (
            e.id.to_string(),
            e.user_id.to_string(),
            e.agent_id.map(|a| a.to_string()),
            e.content.clone(),
            tags,
            e.source.as_str(),
            e.created_at.millis(),
            e.updated_at.millis(),
        );
        self.run("memories.insert", move |conn| {
            diesel::insert_into(memories::table)
                .values((
                    memories::id.eq(&row.0),
                    memories::user_id.eq(&row.1),
                    memories::agent_id.eq(&row.2),
                    memories::content.eq(&row.3),
                    memories::tags.eq(&row.4),
                    memories::source.eq(row.5),
                    memories::created_at.eq(row.6),
                    memories::updated_at.eq(row.7),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn list_memories(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        words: &[String],
        page: PageRequest,
    ) -> Result<Page<MemoryEntry>, StoreError> {
        let (user, agent, words) = (user.to_string(), agent.map(|a| a.to_string()), words.to_vec());
        self.run("memories.list", move |conn| {
            let mut query = memories::table.filter(memories::user_id.eq(&user)).into_boxed();
            let mut count = memories::table.filter(memories::user_id.eq(&user)).into_boxed();
            if let Some(agent) = &agent {
                query = query.filter(memories::agent_id.eq(agent));
                count = count.filter(memories::agent_id.eq(agent));
            }
            if !words.is_empty() {
                // A user holds at most 10,000 entries: the matching ids bound the page.
                let ids = matching_ids(conn, &user, &words, true, 10_000)?;
                query = query.filter(memories::id.eq_any(ids.clone()));
                count = count.filter(memories::id.eq_any(ids));
            }
            let total: i64 = count.count().get_result(conn)?;
            let rows: Vec<Row> = query
                .order((memories::created_at.desc(), memories::id.desc()))
                .limit(i64::from(page.limit))
                .offset(page.offset())
                .select(columns())
                .load(conn)?;
            Ok(Page { items: rows.into_iter().map(entry).collect::<Result<_, _>>()?, total })
        })
        .await
    }

    async fn relevant_memories(
        &self,
        user: UserId,
        words: &[String],
        limit: u32,
    ) -> Result<Vec<MemoryEntry>, StoreError> {
        let (user, words) = (user.to_string(), words.to_vec());
        self.run("memories.relevant", move |conn| {
            let ids = matching_ids(conn, &user, &words, false, i64::from(limit))?;
            load_in_order(conn, &ids)
        })
        .await
    }

    async fn delete_memory(&self, user: UserId, entry: MemoryId) -> Result<bool, StoreError> {
        let (user, entry) = (user.to_string(), entry.to_string());
        self.run("memories.delete", move |conn| {
            let deleted =
                diesel::delete(memories::table.filter(memories::id.eq(&entry)).filter(memories::user_id.eq(&user)))
                    .execute(conn)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn count_memories(&self, user: UserId) -> Result<u64, StoreError> {
        let user = user.to_string();
        self.run("memories.count", move |conn| {
            let n: i64 = memories::table.filter(memories::user_id.eq(&user)).count().get_result(conn)?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn memory_stats(&self, user: UserId) -> Result<MemoryStats, StoreError> {
        let user = user.to_string();
        self.run("memories.stats", move |conn| {
            let mine = || memories::table.filter(memories::user_id.eq(&user));
            let per_agent: Vec<(Option<String>, i64)> = mine()
                .group_by(memories::agent_id)
                .select((memories::agent_id, diesel::dsl::count_star()))
                .load(conn)?;
            let per_source: Vec<(String, i64)> =
                mine().group_by(memories::source).select((memories::source, diesel::dsl::count_star())).load(conn)?;
            let (oldest, newest): (Option<i64>, Option<i64>) = mine()
                .select((diesel::dsl::min(memories::created_at), diesel::dsl::max(memories::created_at)))
                .first(conn)?;
            // Characters, summed by the database (LENGTH counts characters on both backends).
            let chars: i64 =
                mine().select(diesel::dsl::sql::<BigInt>("COALESCE(SUM(LENGTH(content)), 0)")).first(conn)?;
            let mut stats = MemoryStats {
                total: per_source.iter().map(|(_, n)| (*n).max(0) as u64).sum(),
                oldest: oldest.map(Timestamp),
                newest: newest.map(Timestamp),
                total_chars: chars.max(0) as u64,
                ..MemoryStats::default()
            };
            for (agent, n) in per_agent {
                let agent = agent.as_deref().map(|a| id(a, "memories.agent_id")).transpose()?;
                stats.per_agent.push((agent, n.max(0) as u64));
            }
            for (source, n) in per_source {
                let source = MemorySource::parse(&source).ok_or(DbError::Corrupt("memories.source"))?;
                stats.per_source.push((source, n.max(0) as u64));
            }
            Ok(stats)
        })
        .await
    }

    async fn memory_settings(&self, user: UserId) -> Result<Option<MemorySettings>, StoreError> {
        let user = user.to_string();
        self.run("memory_settings.get", move |conn| {
            let row: Option<(bool, bool, i64, i64)> = memory_settings::table
                .find(&user)
                .select((
                    memory_settings::enabled,
                    memory_settings::auto_inject,
                    memory_settings::max_injected,
                    memory_settings::max_entry_chars,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(enabled, auto_inject, max_injected, max_entry_chars)| MemorySettings {
                enabled,
                auto_inject,
                max_injected: u32::try_from(max_injected).unwrap_or(0),
                max_entry_chars: u32::try_from(max_entry_chars).unwrap_or(0),
            }))
        })
        .await
    }

    async fn save_memory_settings(&self, user: UserId, s: &MemorySettings, now: Timestamp) -> Result<(), StoreError> {
        let (user, s) = (user.to_string(), *s);
        self.run("memory_settings.save", move |conn| {
            let values = (
                memory_settings::user_id.eq(&user),
                memory_settings::enabled.eq(s.enabled),
                memory_settings::auto_inject.eq(s.auto_inject),
                memory_settings::max_injected.eq(i64::from(s.max_injected)),
                memory_settings::max_entry_chars.eq(i64::from(s.max_entry_chars)),
                memory_settings::updated_at.eq(now.millis()),
            );
            crate::conn::on_backend!(conn, |c| diesel::insert_into(memory_settings::table)
                .values(values)
                .on_conflict(memory_settings::user_id)
                .do_update()
                .set((
                    memory_settings::enabled.eq(s.enabled),
                    memory_settings::auto_inject.eq(s.auto_inject),
                    memory_settings::max_injected.eq(i64::from(s.max_injected)),
                    memory_settings::max_entry_chars.eq(i64::from(s.max_entry_chars)),
                    memory_settings::updated_at.eq(now.millis()),
                ))
                .execute(c))?;
            Ok(())
        })
        .await
    }
}
