//! Rows of conversations (chats, messages) and their conversion to and from the records. Tool
//! steps are a JSON array in TEXT. Decoding fails with [`DbError::Corrupt`] naming the column.

use diesel::prelude::*;
use pincer_agents::chat::{Chat, Message, MessageRole, MessageStatus, ToolStep};
use pincer_core::Timestamp;

use crate::error::DbError;
use crate::rows::id;
use crate::schema::{chats, messages};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = chats, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ChatRow {
    pub id: String,
    pub user_id: String,
    pub agent_id: String,
    pub key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = messages, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
// `None` is written as NULL, not as SQL DEFAULT (which SQLite does not accept in VALUES).
#[diesel(treat_none_as_default_value = false)]
pub struct MessageRow {
    pub id: String,
    pub chat_id: String,
    /// Not part of the record: the store assigns it inside the insert's transaction.
    pub seq: i64,
    pub role: String,
    pub content: String,
    pub status: String,
    pub steps: String,
    pub client_message_id: Option<String>,
    pub run_id: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Not part of the record: the node a streaming answer belongs to (`open_turn` sets it).
    pub node_id: Option<String>,
}

/// The steps as a JSON array. Serialising them cannot fail in practice (strings, booleans and
/// JSON values with string keys); should it ever, the write is refused rather than the steps lost.
pub fn steps_to_json(steps: &[ToolStep]) -> Result<String, DbError> {
    serde_json::to_string(steps).map_err(|_| DbError::Corrupt("messages.steps"))
}

fn steps_from_json(s: &str) -> Result<Vec<ToolStep>, DbError> {
    serde_json::from_str(s).map_err(|_| DbError::Corrupt("messages.steps"))
}

impl From<&Chat> for ChatRow {
    fn from(c: &Chat) -> Self {
        Self {
            id: c.id.to_string(),
            user_id: c.user_id.to_string(),
            agent_id: c.agent_id.to_string(),
            key: c.key.clone(),
            created_at: c.created_at.millis(),
            updated_at: c.updated_at.millis(),
        }
    }
}

impl TryFrom<ChatRow> for Chat {
    type Error = DbError;

    fn try_from(r: ChatRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "chats.id")?,
            user_id: id(&r.user_id, "chats.user_id")?,
            agent_id: id(&r.agent_id, "chats.agent_id")?,
            key: r.key,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

impl MessageRow {
    /// The row of `m`, with `seq` still to be assigned.
    pub fn encode(m: &Message) -> Result<Self, DbError> {
        Ok(Self {
            id: m.id.to_string(),
            chat_id: m.chat_id.to_string(),
            seq: 0,
            role: m.role.as_str().to_string(),
            content: m.content.clone(),
            status: m.status.as_str().to_string(),
            steps: steps_to_json(&m.steps)?,
            client_message_id: m.client_message_id.clone(),
            run_id: m.run_id.map(|r| r.to_string()),
            error: m.error.clone(),
            created_at: m.created_at.millis(),
            updated_at: m.updated_at.millis(),
            node_id: None,
        })
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = DbError;

    fn try_from(r: MessageRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "messages.id")?,
            chat_id: id(&r.chat_id, "messages.chat_id")?,
            role: MessageRole::parse(&r.role).ok_or(DbError::Corrupt("messages.role"))?,
            content: r.content,
            status: MessageStatus::parse(&r.status).ok_or(DbError::Corrupt("messages.status"))?,
            steps: steps_from_json(&r.steps)?,
            client_message_id: r.client_message_id,
            run_id: r.run_id.as_deref().map(|run| id(run, "messages.run_id")).transpose()?,
            error: r.error,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use pincer_core::{AgentId, ChatId, MessageId, RunId, UserId};
    use serde_json::json;

    use super::*;

    fn message() -> Message {
        Message {
            id: MessageId::new(),
            chat_id: ChatId::new(),
            role: MessageRole::Assistant,
            content: "Hello ✓".into(),
            status: MessageStatus::Failed,
            steps: vec![ToolStep {
                call_id: "call_1".into(),
                name: "read".into(),
                arguments: json!({"path": "/data/a", "opts": {"n": [1, 2]}}),
                result_preview: "…".into(),
                is_error: true,
                denied: false,
            }],
            client_message_id: None,
            run_id: Some(RunId::new()),
            error: Some("provider_timeout".into()),
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        }
    }

    #[test]
    fn records_round_trip_through_rows() {
        let chat = Chat {
            id: ChatId::new(),
            user_id: UserId::new(),
            agent_id: AgentId::new(),
            key: "main".into(),
            created_at: Timestamp(-1),
            updated_at: Timestamp(i64::MAX),
        };
        assert_eq!(Chat::try_from(ChatRow::from(&chat)).unwrap(), chat);

        let m = message();
        let row = MessageRow::encode(&m).unwrap();
        // The wire names of the steps, as the web client reads them back.
        assert!(row.steps.starts_with(r#"[{"callId":"call_1","name":"read","arguments":"#), "{}", row.steps);
        assert!(row.steps.contains(r#""resultPreview":"…","isError":true,"denied":false"#), "{}", row.steps);
        assert_eq!(Message::try_from(row).unwrap(), m);
        let bare = Message {
            role: MessageRole::User,
            status: MessageStatus::Complete,
            steps: vec![],
            client_message_id: Some("c-1".into()),
            run_id: None,
            error: None,
            ..message()
        };
        let row = MessageRow::encode(&bare).unwrap();
        assert_eq!(row.steps, "[]");
        assert_eq!(Message::try_from(row).unwrap(), bare);
    }

    #[test]
    fn corrupt_values_name_the_column() {
        let corrupt = |edit: fn(&mut MessageRow)| {
            let mut row = MessageRow::encode(&message()).unwrap();
            edit(&mut row);
            match Message::try_from(row) {
                Err(DbError::Corrupt(column)) => column,
                _ => panic!("expected a corrupt column"),
            }
        };
        assert_eq!(corrupt(|r| r.id = "nope".into()), "messages.id");
        assert_eq!(corrupt(|r| r.chat_id = String::new()), "messages.chat_id");
        assert_eq!(corrupt(|r| r.role = "system".into()), "messages.role");
        assert_eq!(corrupt(|r| r.status = "Complete".into()), "messages.status");
        assert_eq!(corrupt(|r| r.steps = "[{}]".into()), "messages.steps");
        assert_eq!(corrupt(|r| r.steps = "{".into()), "messages.steps");
        assert_eq!(corrupt(|r| r.run_id = Some("run".into())), "messages.run_id");

        let corrupt_chat = |edit: fn(&mut ChatRow)| {
            let mut row = ChatRow {
                id: ChatId::new().to_string(),
                user_id: UserId::new().to_string(),
                agent_id: AgentId::new().to_string(),
                key: "main".into(),
                created_at: 0,
                updated_at: 0,
            };
            edit(&mut row);
            match Chat::try_from(row) {
                Err(DbError::Corrupt(column)) => column,
                _ => panic!("expected a corrupt column"),
            }
        };
        assert_eq!(corrupt_chat(|r| r.id = "x".into()), "chats.id");
        assert_eq!(corrupt_chat(|r| r.user_id = "x".into()), "chats.user_id");
        assert_eq!(corrupt_chat(|r| r.agent_id = "x".into()), "chats.agent_id");
    }
}
