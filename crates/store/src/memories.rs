//! [`MemoryStore`] on [`Database`]: a user's entries and settings. Relevance comes from each
//! backend's full-text index — SQLite FTS5 (`memories_fts`, the owner as a token so only the
//! user's postings are read), PostgreSQL a generated `tsvector` with a GIN index.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use pincer_agents::memory::{
    MemoryEntry, MemorySettings, MemorySource, MemoryStats, MemoryStore, RELEVANCE_CANDIDATES,
};
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

/// An entry read by a raw query (the columns of [`Row`], by name).
#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    agent_id: Option<String>,
    #[diesel(sql_type = Text)]
    content: String,
    #[diesel(sql_type = Text)]
    tags: String,
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    updated_at: i64,
}

impl EntryRow {
    fn into_row(self) -> Row {
        (self.id, self.user_id, self.agent_id, self.content, self.tags, self.source, self.created_at, self.updated_at)
    }
}

/// An FTS5 query for `user`'s entries holding every word (`all`) or any word.
fn fts_query(user: &str, words: &[String], all: bool) -> String {
    let joint = if all { " AND " } else { " OR " };
    let terms = words.iter().map(|w| format!("{{content tags}} : \"{w}\"")).collect::<Vec<_>>().join(joint);
    format!("owner : \"u{}\" AND ({terms})", user.replace('-', ""))
}

/// The ids of `user`'s entries that hold every word of `words`, newest first, on the backend's
/// index (for the list's filter).
fn matching_ids(conn: &mut AnyConn, user: &str, words: &[String], limit: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<IdRow> = match conn {
        AnyConn::Sqlite(c) => diesel::sql_query(
            "SELECT m.id AS id FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT ?2) f CROSS JOIN memories m ON m.rowid = f.rowid AND m.user_id = ?3",
        )
        .bind::<Text, _>(fts_query(user, words, true))
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(user)
        .load(c)?,
        AnyConn::Postgres(c) => diesel::sql_query(
            "SELECT id FROM memories WHERE user_id = $2 AND search @@ to_tsquery('english', $1) \
             ORDER BY created_at DESC LIMIT $3",
        )
        .bind::<Text, _>(words.join(" & "))
        .bind::<Text, _>(user)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(QueryableByName)]
struct RowidRow {
    #[diesel(sql_type = BigInt)]
    rowid: i64,
}

/// `user`'s entries holding any of `words`, best first (bm25 / `ts_rank`) among the newest
/// [`RELEVANCE_CANDIDATES`] that match: ranking is bounded however many entries match.
fn relevant(conn: &mut AnyConn, user: &str, words: &[String], limit: i64) -> Result<Vec<EntryRow>, DbError> {
    let candidates = i64::from(RELEVANCE_CANDIDATES);
    Ok(match conn {
        AnyConn::Sqlite(c) => {
            let query = fts_query(user, words, false);
            // FTS5 honours a rowid range in the match (not a rowid list): find where the newest
            // candidates begin, then rank only those.
            let floor: Option<RowidRow> = diesel::sql_query(
                "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
            )
            .bind::<Text, _>(&query)
            .bind::<BigInt, _>(candidates - 1)
            .get_result(c)
            .optional()?;
            diesel::sql_query(
                "SELECT m.id, m.user_id, m.agent_id, m.content, m.tags, m.source, m.created_at, m.updated_at \
                 FROM (SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ?1 AND rowid >= ?2 \
                 ORDER BY rank LIMIT ?3) f CROSS JOIN memories m ON m.rowid = f.rowid AND m.user_id = ?4 \
                 ORDER BY f.rank",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(floor.map_or(0, |f| f.rowid))
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(user)
            .load(c)?
        }
        AnyConn::Postgres(c) => diesel::sql_query(
            "SELECT id, user_id, agent_id, content, tags, source, created_at, updated_at FROM \
             (SELECT * FROM memories WHERE user_id = $2 AND search @@ to_tsquery('english', $1) \
             ORDER BY created_at DESC LIMIT $3) c \
             ORDER BY ts_rank(search, to_tsquery('english', $1)) DESC, created_at DESC LIMIT $4",
        )
        .bind::<Text, _>(words.join(" | "))
        .bind::<Text, _>(user)
        .bind::<BigInt, _>(candidates)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    })
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
        self.run_write("memories.insert", move |conn| {
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
                let ids = matching_ids(conn, &user, &words, 10_000)?;
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
            let rows = relevant(conn, &user, &words, i64::from(limit))?;
            rows.into_iter().map(|r| entry(r.into_row())).collect::<Result<_, _>>()
        })
        .await
    }

    async fn delete_memory(&self, user: UserId, entry: MemoryId) -> Result<bool, StoreError> {
        let (user, entry) = (user.to_string(), entry.to_string());
        self.run_write("memories.delete", move |conn| {
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
        self.run_write("memory_settings.save", move |conn| {
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
