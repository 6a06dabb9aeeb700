//! [`SessionArchive`] on [`Database`]: a user's chats as sessions. Search runs on each
//! backend's full-text index (SQLite FTS5 tables `messages_fts`/`chats_fts` with the Porter
//! stemmer; PostgreSQL `tsvector` columns with GIN indexes), one best hit per session; the
//! snippets are cut by the database around its own hits, for the few sessions returned only.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use pincer_agents::chat::sessions::{MAX_SNIPPET_CHARS, Session, SessionArchive, SessionHit, SessionSummary};
use pincer_agents::chat::{Chat, Message};
use pincer_core::{AgentId, ChatId, Page, PageRequest, StoreError, Timestamp, UserId};

use crate::Database;
use crate::backend;
use crate::chat_rows::ChatRow;
use crate::conn::AnyConn;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{agents, chats, messages};

/// How many of the newest message hits per session asked for a search considers.
const MESSAGE_HITS_PER_SESSION: i64 = 10;
/// Characters of the newest message with text shown as a session's preview.
const PREVIEW_CHARS: i64 = 120;

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    agent_id: String,
    #[diesel(sql_type = Text)]
    agent_name: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    updated_at: i64,
    #[diesel(sql_type = BigInt)]
    message_count: i64,
    #[diesel(sql_type = Text)]
    preview: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = Text)]
    chat_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    message_id: Option<String>,
    #[diesel(sql_type = Text)]
    role: String,
    /// Ordered by in SQL only.
    #[diesel(sql_type = Double, column_name = score)]
    _score: f64,
}

#[derive(QueryableByName)]
struct Snippet {
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// The sessions of `?1`/`$1` (with messages), newest activity first; `{agent}` narrows to one
/// agent (`$2`), `{page}` are LIMIT and OFFSET.
fn list_sql(postgres: bool, by_agent: bool) -> String {
    let p = |n: usize| if postgres { format!("${n}") } else { format!("?{n}") };
    let agent = if by_agent { format!("AND c.agent_id = {}", p(2)) } else { String::new() };
    let (limit, offset) = if by_agent { (p(3), p(4)) } else { (p(2), p(3)) };
    format!(
        "SELECT c.id, c.title, c.agent_id, a.name AS agent_name, c.channel, c.created_at, c.updated_at, \
           (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) AS message_count, \
           COALESCE((SELECT substr(m.content, 1, {PREVIEW_CHARS}) FROM messages m WHERE m.chat_id = c.id \
                     AND m.content <> '' ORDER BY m.seq DESC LIMIT 1), '') AS preview \
         FROM chats c JOIN agents a ON a.id = c.agent_id \
         WHERE c.user_id = {user} {agent} AND EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id) \
         ORDER BY c.updated_at DESC, c.id DESC LIMIT {limit} OFFSET {offset}",
        user = p(1)
    )
}

fn count_sql(postgres: bool, by_agent: bool) -> String {
    let p = |n: usize| if postgres { format!("${n}") } else { format!("?{n}") };
    let agent = if by_agent { format!("AND c.agent_id = {}", p(2)) } else { String::new() };
    format!(
        "SELECT COUNT(*) AS n FROM chats c WHERE c.user_id = {} {agent} \
         AND EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id)",
        p(1)
    )
}

/// The user's sessions with the most hits among their `?5` newest matching messages (`?4`: the
/// words confined to their owner token, see the migration — the index walks its postings newest
/// first and stops, so no hit is ranked one by one), each by its newest hit; title hits (`?1`: the
/// words) come first. Lower scores are better, then newer. Sessions are made distinct by the
/// caller. The `CROSS JOIN`s keep the index first: the planner would otherwise walk the user's
/// chats and ask the title index about each (50 ms over 20,000 chats instead of 0.1 ms). bm25
/// ranking of every hit cost 14 ms over a user's 100,000 messages; the hit count per session is
/// the relevance here.
const SQLITE_SEARCH: &str = "\
SELECT m.chat_id AS chat_id, m.id AS message_id, m.role AS role, -CAST(COUNT(*) AS REAL) AS score,
       MAX(m.rowid) AS newest
FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?4 ORDER BY rowid DESC LIMIT ?5) f
CROSS JOIN messages m ON m.rowid = f.rowid CROSS JOIN chats c ON c.id = m.chat_id AND c.user_id = ?2
GROUP BY m.chat_id
UNION ALL
SELECT c.id AS chat_id, NULL AS message_id, 'title' AS role, -1e18 AS score, c.rowid AS newest
FROM chats_fts f CROSS JOIN chats c ON c.rowid = f.rowid
WHERE chats_fts MATCH ?1 AND c.user_id = ?2
ORDER BY score, newest DESC LIMIT ?3";

/// As [`SQLITE_SEARCH`]: the user's sessions by their hits among their `$4` newest matching
/// messages, title hits first (ranking every hit with `ts_rank` read each one's `tsvector`).
const POSTGRES_SEARCH: &str = "\
WITH q AS (SELECT plainto_tsquery('english', $1) AS q),
hits AS (
  SELECT m.chat_id, m.id, m.role, m.created_at FROM q, messages m JOIN chats c ON c.id = m.chat_id
  WHERE m.search @@ q.q AND c.user_id = $2 ORDER BY m.created_at DESC LIMIT $4
)
SELECT chat_id, message_id, role, score, newest FROM (
  SELECT DISTINCT ON (chat_id) chat_id, id AS message_id, role,
         -(COUNT(*) OVER (PARTITION BY chat_id))::float8 AS score, created_at AS newest
  FROM hits ORDER BY chat_id, created_at DESC
) best
UNION ALL
SELECT c.id AS chat_id, NULL AS message_id, 'title' AS role, -1e18::float8 AS score, c.updated_at AS newest
FROM q, chats c WHERE c.search @@ q.q AND c.user_id = $2
ORDER BY score, newest DESC LIMIT $3";

const SQLITE_MESSAGE_SNIPPET: &str = "SELECT snippet(messages_fts, 0, '«', '»', '…', 24) AS snippet FROM messages_fts \
     WHERE messages_fts MATCH ?1 AND rowid = (SELECT rowid FROM messages WHERE id = ?2)";
const SQLITE_TITLE_SNIPPET: &str = "SELECT highlight(chats_fts, 0, '«', '»') AS snippet FROM chats_fts \
     WHERE chats_fts MATCH ?1 AND rowid = (SELECT rowid FROM chats WHERE id = ?2)";
const POSTGRES_MESSAGE_SNIPPET: &str = "SELECT ts_headline('english', content, plainto_tsquery('english', $1), \
     'StartSel=«, StopSel=», MaxWords=30, MinWords=8, MaxFragments=1, FragmentDelimiter=…') AS snippet \
     FROM messages WHERE id = $2";
const POSTGRES_TITLE_SNIPPET: &str = "SELECT ts_headline('english', title, plainto_tsquery('english', $1), \
     'StartSel=«, StopSel=», HighlightAll=true') AS snippet FROM chats WHERE id = $2";

/// At most [`MAX_SNIPPET_CHARS`] characters.
fn bounded(snippet: String) -> String {
    if snippet.chars().count() <= MAX_SNIPPET_CHARS {
        return snippet;
    }
    let mut cut: String = snippet.chars().take(MAX_SNIPPET_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn snippet(conn: &mut AnyConn, query: &str, hit: &HitRow) -> Result<String, DbError> {
    let (sql, target) = match (&hit.message_id, &*conn) {
        (Some(message), AnyConn::Sqlite(_)) => (SQLITE_MESSAGE_SNIPPET, message.clone()),
        (None, AnyConn::Sqlite(_)) => (SQLITE_TITLE_SNIPPET, hit.chat_id.clone()),
        (Some(message), AnyConn::Postgres(_)) => (POSTGRES_MESSAGE_SNIPPET, message.clone()),
        (None, AnyConn::Postgres(_)) => (POSTGRES_TITLE_SNIPPET, hit.chat_id.clone()),
    };
    let q = diesel::sql_query(sql).bind::<Text, _>(query).bind::<Text, _>(target);
    let found: Option<Snippet> = match conn {
        AnyConn::Sqlite(c) => q.get_result(c).optional()?,
        AnyConn::Postgres(c) => q.get_result(c).optional()?,
    };
    Ok(bounded(found.map(|s| s.snippet).unwrap_or_default()))
}

fn summary(row: SummaryRow) -> Result<SessionSummary, DbError> {
    Ok(SessionSummary {
        id: id(&row.id, "chats.id")?,
        title: row.title,
        agent_id: id(&row.agent_id, "chats.agent_id")?,
        agent_name: row.agent_name,
        channel: row.channel,
        created_at: Timestamp(row.created_at),
        last_activity_at: Timestamp(row.updated_at),
        message_count: u64::try_from(row.message_count).unwrap_or(0),
        preview: row.preview,
    })
}

#[async_trait]
impl SessionArchive for Database {
    async fn list_sessions(
        &self,
        user: UserId,
        agent: Option<AgentId>,
        page: PageRequest,
    ) -> Result<Page<SessionSummary>, StoreError> {
        let (user, agent) = (user.to_string(), agent.map(|a| a.to_string()));
        self.run("sessions.list", move |conn| {
            let postgres = matches!(conn, AnyConn::Postgres(_));
            let (list, count) = (list_sql(postgres, agent.is_some()), count_sql(postgres, agent.is_some()));
            let (limit, offset) = (i64::from(page.limit), page.offset());
            let (rows, total): (Vec<SummaryRow>, Vec<Count>) = match &agent {
                Some(agent) => {
                    let rows = diesel::sql_query(list)
                        .bind::<Text, _>(&user)
                        .bind::<Text, _>(agent)
                        .bind::<BigInt, _>(limit)
                        .bind::<BigInt, _>(offset);
                    let count = diesel::sql_query(count).bind::<Text, _>(&user).bind::<Text, _>(agent);
                    match conn {
                        AnyConn::Sqlite(c) => (rows.load(c)?, count.load(c)?),
                        AnyConn::Postgres(c) => (rows.load(c)?, count.load(c)?),
                    }
                }
                None => {
                    let rows = diesel::sql_query(list)
                        .bind::<Text, _>(&user)
                        .bind::<BigInt, _>(limit)
                        .bind::<BigInt, _>(offset);
                    let count = diesel::sql_query(count).bind::<Text, _>(&user);
                    match conn {
                        AnyConn::Sqlite(c) => (rows.load(c)?, count.load(c)?),
                        AnyConn::Postgres(c) => (rows.load(c)?, count.load(c)?),
                    }
                }
            };
            let items = rows.into_iter().map(summary).collect::<Result<Vec<_>, _>>()?;
            Ok(Page { items, total: total.first().map_or(0, |c| c.n) })
        })
        .await
    }

    async fn search_sessions(&self, user: UserId, words: &[String], limit: u32) -> Result<Vec<SessionHit>, StoreError> {
        let user = user.to_string();
        // Words are letters and digits only (`sessions::search_words`): quoted, each is a plain
        // term for FTS5, and plain text for `plainto_tsquery`.
        let fts = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ");
        let in_content = words.iter().map(|w| format!("content : \"{w}\"")).collect::<Vec<_>>().join(" AND ");
        let owned = format!("{in_content} AND owner : \"u{}\"", user.replace('-', ""));
        let plain = words.join(" ");
        self.run("sessions.search", move |conn| {
            // A session found by its title and by messages is listed once, by its best hit.
            let fetch = i64::from(limit) * MESSAGE_HITS_PER_SESSION;
            let hits: Vec<HitRow> = match conn {
                AnyConn::Sqlite(c) => diesel::sql_query(SQLITE_SEARCH)
                    .bind::<Text, _>(&fts)
                    .bind::<Text, _>(&user)
                    .bind::<BigInt, _>(fetch)
                    .bind::<Text, _>(&owned)
                    .bind::<BigInt, _>(fetch)
                    .load(c)?,
                AnyConn::Postgres(c) => diesel::sql_query(POSTGRES_SEARCH)
                    .bind::<Text, _>(&plain)
                    .bind::<Text, _>(&user)
                    .bind::<BigInt, _>(fetch)
                    .bind::<BigInt, _>(fetch)
                    .load(c)?,
            };
            let query = if matches!(conn, AnyConn::Sqlite(_)) { &fts } else { &plain };
            let mut out: Vec<SessionHit> = Vec::new();
            for hit in hits {
                if out.len() == limit as usize {
                    break;
                }
                let chat_id: ChatId = id(&hit.chat_id, "chats.id")?;
                if out.iter().any(|h| h.id == chat_id) {
                    continue;
                }
                let (title, agent_id, updated_at): (String, String, i64) = chats::table
                    .find(&hit.chat_id)
                    .select((chats::title, chats::agent_id, chats::updated_at))
                    .first(conn)?;
                out.push(SessionHit {
                    id: chat_id,
                    title,
                    agent_id: id(&agent_id, "chats.agent_id")?,
                    last_activity_at: Timestamp(updated_at),
                    snippet: snippet(conn, query, &hit)?,
                    match_role: hit.role,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn session(&self, user: UserId, chat: ChatId) -> Result<Option<Session>, StoreError> {
        let (user, chat) = (user.to_string(), chat.to_string());
        self.run("sessions.get", move |conn| {
            let found: Option<(ChatRow, String, String)> = chats::table
                .inner_join(agents::table.on(agents::id.eq(chats::agent_id)))
                .filter(chats::id.eq(&chat))
                .filter(chats::user_id.eq(&user))
                .select((ChatRow::as_select(), chats::title, agents::name))
                .first(conn)
                .optional()?;
            found
                .map(|(row, title, agent_name)| Ok(Session { chat: Chat::try_from(row)?, title, agent_name }))
                .transpose()
        })
        .await
    }

    async fn rename_session(
        &self,
        user: UserId,
        chat: ChatId,
        title: &str,
        _now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (user, chat, title) = (user.to_string(), chat.to_string(), title.to_string());
        self.run_write("sessions.rename", move |conn| {
            let updated = diesel::update(chats::table.filter(chats::id.eq(&chat)).filter(chats::user_id.eq(&user)))
                .set((chats::title.eq(&title), chats::title_set_by_user.eq(true)))
                .execute(conn)?;
            Ok(updated > 0)
        })
        .await
    }

    async fn delete_session(&self, user: UserId, chat: ChatId) -> Result<bool, StoreError> {
        let (user, chat) = (user.to_string(), chat.to_string());
        self.run_write("sessions.delete", move |conn| {
            backend::write(conn, None, |conn| {
                let owned: bool = diesel::select(diesel::dsl::exists(
                    chats::table.filter(chats::id.eq(&chat)).filter(chats::user_id.eq(&user)),
                ))
                .get_result(conn)?;
                if !owned {
                    return Ok(false);
                }
                diesel::delete(messages::table.filter(messages::chat_id.eq(&chat))).execute(conn)?;
                diesel::delete(chats::table.find(&chat)).execute(conn)?;
                Ok(true)
            })
        })
        .await
    }

    async fn session_messages(&self, chat: ChatId, limit: u32) -> Result<Vec<Message>, StoreError> {
        let chat = chat.to_string();
        self.run("sessions.messages", move |conn| crate::conversations::recent(conn, &chat, limit)).await
    }
}
