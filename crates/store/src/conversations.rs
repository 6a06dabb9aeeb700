//! [`ConversationStore`] on [`Database`].
//!
//! - `chat` is get-or-create without a guard: a read first (the common case, no write lock), then
//!   an insert that skips an existing `(user, agent, key)` and a read of whichever row won.
//! - `insert_message` bumps the chat's `updated_at` first: on PostgreSQL that row lock serialises
//!   the inserts into one chat, so `seq` = max + 1 never collides (SQLite's `BEGIN IMMEDIATE`
//!   serialises every writer anyway); inserts into different chats do not wait for each other.
//! - `open_turn` does a chat turn's writes in one transaction and one trip to the store thread:
//!   get-or-create the chat, read its history, insert the user message and the placeholder.

use async_trait::async_trait;
use diesel::dsl::max;
use diesel::prelude::*;
use pincer_agents::chat::{Chat, ConversationStore, Message, MessageStatus, NewTurn, ToolStep};
use pincer_core::{AgentId, ChatId, MessageId, StoreError, Timestamp, UserId};

use crate::Database;
use crate::backend;
use crate::chat_rows::{ChatRow, MessageRow, steps_to_json};
use crate::conn::AnyConn;
use crate::error::{DbError, expect_one};
use crate::rows::decode_all;
use crate::schema::{chats, messages};

fn find(conn: &mut AnyConn, user: &str, agent: &str, key: &str) -> Result<Option<Chat>, DbError> {
    let row: Option<ChatRow> = chats::table
        .filter(chats::user_id.eq(user))
        .filter(chats::agent_id.eq(agent))
        .filter(chats::key.eq(key))
        .select(ChatRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Chat::try_from).transpose()
}

/// Inserts a message at the end of its chat (see the module notes); call inside a write
/// transaction.
fn append(conn: &mut AnyConn, row: &mut MessageRow) -> Result<(), DbError> {
    diesel::update(chats::table.find(&row.chat_id)).set(chats::updated_at.eq(row.created_at)).execute(conn)?;
    let last: Option<i64> =
        messages::table.filter(messages::chat_id.eq(&row.chat_id)).select(max(messages::seq)).first(conn)?;
    row.seq = last.unwrap_or(0) + 1;
    // An unknown chat fails here (foreign key), a reused client message id too.
    diesel::insert_into(messages::table).values(&*row).execute(conn)?;
    Ok(())
}

/// The newest `limit` messages of a chat, oldest first.
pub(crate) fn recent(conn: &mut AnyConn, chat: &str, limit: u32) -> Result<Vec<Message>, DbError> {
    let mut rows: Vec<MessageRow> = messages::table
        .filter(messages::chat_id.eq(chat))
        .order(messages::seq.desc())
        .limit(i64::from(limit))
        .select(MessageRow::as_select())
        .load(conn)?;
    rows.reverse();
    decode_all(rows)
}

#[async_trait]
impl ConversationStore for Database {
    async fn open_turn(&self, turn: &mut NewTurn, history_limit: u32) -> Result<(Chat, Vec<Message>), StoreError> {
        let candidate = ChatRow {
            id: ChatId::new().to_string(),
            user_id: turn.user.to_string(),
            agent_id: turn.agent.to_string(),
            key: turn.key.clone(),
            created_at: turn.now.millis(),
            updated_at: turn.now.millis(),
        };
        let (user_message, assistant) = (turn.user_message.clone(), turn.assistant.clone());
        let node = turn.node.clone();
        let (title, channel) = (turn.title.clone(), turn.channel);
        let (chat, history) = self
            .run_write("chats.open_turn", move |conn| {
                backend::write(conn, None, |conn| {
                    let chat = match find(conn, &candidate.user_id, &candidate.agent_id, &candidate.key)? {
                        Some(chat) => chat,
                        None => {
                            backend::insert_chat_if_absent(conn, &candidate)?;
                            find(conn, &candidate.user_id, &candidate.agent_id, &candidate.key)?
                                .ok_or(DbError::Store(StoreError::NotFound))?
                        }
                    };
                    let history = recent(conn, &chat.id.to_string(), history_limit)?;
                    if history.is_empty() {
                        // Its first turn: the chat is named after it (unless someone named it).
                        diesel::update(chats::table.find(chat.id.to_string()).filter(chats::title.eq("")))
                            .set(chats::title.eq(&title))
                            .execute(conn)?;
                        diesel::update(chats::table.find(chat.id.to_string()))
                            .set(chats::channel.eq(channel))
                            .execute(conn)?;
                    }
                    for (mut message, node) in [(user_message, None), (assistant, Some(node))] {
                        message.chat_id = chat.id;
                        let mut row = MessageRow::encode(&message)?;
                        row.node_id = node;
                        append(conn, &mut row)?;
                    }
                    Ok((chat, history))
                })
            })
            .await?;
        turn.user_message.chat_id = chat.id;
        turn.assistant.chat_id = chat.id;
        Ok((chat, history))
    }

    async fn chat(&self, user: UserId, agent: AgentId, key: &str, now: Timestamp) -> Result<Chat, StoreError> {
        let row = ChatRow {
            id: ChatId::new().to_string(),
            user_id: user.to_string(),
            agent_id: agent.to_string(),
            key: key.to_string(),
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        self.run_write("chats.chat", move |conn| {
            if let Some(chat) = find(conn, &row.user_id, &row.agent_id, &row.key)? {
                return Ok(chat);
            }
            backend::write(conn, None, |conn| {
                backend::insert_chat_if_absent(conn, &row)?;
                // Ours, or the one a concurrent caller inserted first.
                find(conn, &row.user_id, &row.agent_id, &row.key)?.ok_or(DbError::Store(StoreError::NotFound))
            })
        })
        .await
    }

    async fn find_chat(&self, user: UserId, agent: AgentId, key: &str) -> Result<Option<Chat>, StoreError> {
        let (user, agent, key) = (user.to_string(), agent.to_string(), key.to_string());
        self.run("chats.find_chat", move |conn| find(conn, &user, &agent, &key)).await
    }

    async fn insert_message(&self, message: &Message) -> Result<(), StoreError> {
        let row = MessageRow::encode(message);
        self.run_write("messages.insert", move |conn| {
            let mut row = row?;
            backend::write(conn, None, |conn| append(conn, &mut row))
        })
        .await
    }

    async fn update_message(
        &self,
        id: MessageId,
        content: &str,
        status: MessageStatus,
        steps: &[ToolStep],
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let content = content.to_string();
        let steps = steps_to_json(steps);
        let error = error.map(str::to_string);
        self.run_write("messages.update", move |conn| {
            let updated = diesel::update(messages::table.find(&id))
                .set((
                    messages::content.eq(&content),
                    messages::status.eq(status.as_str()),
                    messages::steps.eq(steps?),
                    messages::error.eq(&error),
                    messages::updated_at.eq(now.millis()),
                ))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn recent_messages(&self, chat: ChatId, limit: u32) -> Result<Vec<Message>, StoreError> {
        let chat = chat.to_string();
        self.run("messages.recent", move |conn| recent(conn, &chat, limit)).await
    }

    async fn streaming_nodes(&self) -> Result<Vec<Option<String>>, StoreError> {
        self.run("messages.streaming_nodes", move |conn| {
            Ok(messages::table
                .filter(messages::status.eq(MessageStatus::Streaming.as_str()))
                .select(messages::node_id)
                .distinct()
                .load::<Option<String>>(conn)?)
        })
        .await
    }

    async fn interrupt_streaming(&self, node: Option<&str>, now: Timestamp) -> Result<u64, StoreError> {
        let node = node.map(str::to_string);
        self.run_write("messages.interrupt_streaming", move |conn| {
            let streaming = messages::table.filter(messages::status.eq(MessageStatus::Streaming.as_str()));
            let set = (messages::status.eq(MessageStatus::Interrupted.as_str()), messages::updated_at.eq(now.millis()));
            let updated = match &node {
                Some(node) => diesel::update(streaming.filter(messages::node_id.eq(node))).set(set).execute(conn)?,
                None => diesel::update(streaming.filter(messages::node_id.is_null())).set(set).execute(conn)?,
            };
            Ok(updated as u64)
        })
        .await
    }
}
