//! The WebSocket chat protocol (DESIGN.md §5): client frames `message`, `history`, `abort`;
//! server frames `ack`, `thinking`, `chunk`, `done`, `complete`, `error`, `history`. Every server
//! frame about a chat names its `agentId` and `chatId`, so one socket can follow several chats.

use pincer_agents::chat::{ActiveRun, Message, RunUpdate, ToolStep};
use pincer_core::MessageId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A frame the client sends (JSON text): `message` starts a run (in the chat `chatId`, `main`
/// without one; in a new session with `"sessionId": null`, in that session with its id),
/// `history` asks for a chat's (or a session's) messages and its run in progress, `abort` stops
/// the run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum ClientFrame {
    Message {
        agent_id: String,
        content: String,
        chat_id: Option<String>,
        client_message_id: Option<String>,
        /// Absent: `chatId` decides; `null`: a new session; an id: that session.
        #[serde(default, deserialize_with = "present")]
        #[schema(value_type = Option<String>)]
        session_id: Option<Option<String>>,
    },
    History {
        agent_id: String,
        chat_id: Option<String>,
        session_id: Option<String>,
    },
    Abort {
        agent_id: String,
        chat_id: Option<String>,
    },
}

/// A field that is present, even as `null` (`Some(None)`), told apart from an absent one
/// (`None`, by `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A message as the `history` frame lists it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageDto {
    pub id: String,
    pub role: &'static str,
    pub content: String,
    pub status: &'static str,
    /// The tool calls of the run: `{callId, name, arguments, resultPreview, isError, denied}`.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<ToolStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: String,
}

impl From<&Message> for MessageDto {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            role: m.role.as_str(),
            content: m.content.clone(),
            status: m.status.as_str(),
            steps: m.steps.clone(),
            client_message_id: m.client_message_id.clone(),
            error: m.error.clone(),
            created_at: m.created_at.to_rfc3339(),
        }
    }
}

/// The run going on in a chat, as a (re)connecting client needs it: the text so far arrives here,
/// the rest as `chunk` frames.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiveRunDto {
    pub message_id: String,
    pub content: String,
}

/// A frame the server sends (JSON text). Every frame about a chat names its `agentId` and `chatId`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum ServerFrame {
    /// The user message is stored and a run answers it in `messageId`.
    Ack {
        agent_id: String,
        chat_id: String,
        /// The session the message is in (its id, for `sessionId` and the sessions routes).
        session_id: String,
        client_message_id: Option<String>,
        user_message_id: String,
        message_id: String,
    },
    /// The model is being asked, or a tool runs.
    Thinking {
        agent_id: String,
        chat_id: String,
        message_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        tool: Option<String>,
    },
    /// The next piece of the answer. Written by [`ChunkWriter`] (which a test holds to the
    /// same text); the variant documents the frame in the schema.
    #[allow(dead_code)]
    Chunk {
        agent_id: String,
        chat_id: String,
        message_id: String,
        content: String,
    },
    /// The assistant message is final (`status`: complete, aborted or failed).
    Done {
        agent_id: String,
        chat_id: String,
        message_id: String,
        status: &'static str,
    },
    /// The run is over; the chat accepts the next message.
    Complete {
        agent_id: String,
        chat_id: String,
        message_id: String,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        agent_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        chat_id: Option<String>,
        message: String,
        code: &'static str,
    },
    History {
        agent_id: String,
        chat_id: String,
        messages: Vec<MessageDto>,
        active_run: Option<ActiveRunDto>,
    },
}

impl ServerFrame {
    pub fn error(
        agent_id: Option<&str>,
        chat_id: Option<&str>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Error {
            agent_id: agent_id.map(str::to_string),
            chat_id: chat_id.map(str::to_string),
            message: message.into(),
            code,
        }
    }

    /// The JSON text of the frame. Serialising these plain structs cannot fail; should it ever,
    /// the client gets a generic error frame rather than nothing.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| r#"{"type":"error","message":"internal error","code":"internal"}"#.to_string())
    }
}

impl From<ActiveRun> for ActiveRunDto {
    fn from(run: ActiveRun) -> Self {
        Self { message_id: run.message_id.to_string(), content: run.content }
    }
}

/// Turns the updates of one followed chat into frames: chunks through a [`ChunkWriter`] kept for
/// the answer being written, the rest through [`ServerFrame`].
pub struct UpdateFrames {
    agent_id: String,
    chat_id: String,
    chunks: Option<(MessageId, ChunkWriter)>,
}

impl UpdateFrames {
    pub fn new(agent_id: String, chat_id: String) -> Self {
        Self { agent_id, chat_id, chunks: None }
    }

    pub fn frame(&mut self, update: &RunUpdate) -> String {
        let (agent_id, chat_id) = (self.agent_id.clone(), self.chat_id.clone());
        let frame = match update {
            RunUpdate::Chunk { message_id, text } => {
                let writer = match &mut self.chunks {
                    Some((id, writer)) if id == message_id => writer,
                    chunks => {
                        let writer = ChunkWriter::new(&self.agent_id, &self.chat_id, &message_id.to_string());
                        &mut chunks.insert((*message_id, writer)).1
                    }
                };
                return writer.frame(text);
            }
            RunUpdate::Thinking { message_id, tool } => {
                ServerFrame::Thinking { agent_id, chat_id, message_id: message_id.to_string(), tool: tool.clone() }
            }
            RunUpdate::Failed { failure, .. } => {
                ServerFrame::error(Some(&agent_id), Some(&chat_id), failure.code, failure.message.clone())
            }
            RunUpdate::Done { message_id, status } => {
                ServerFrame::Done { agent_id, chat_id, message_id: message_id.to_string(), status: status.as_str() }
            }
            RunUpdate::Complete { message_id } => {
                ServerFrame::Complete { agent_id, chat_id, message_id: message_id.to_string() }
            }
        };
        frame.to_text()
    }
}

/// Serialises `chunk` frames of one assistant message without building a [`ServerFrame`] per
/// chunk: the fixed part is written once, each chunk only escapes its text.
#[derive(Debug)]
pub struct ChunkWriter {
    prefix: String,
}

impl ChunkWriter {
    pub fn new(agent_id: &str, chat_id: &str, message_id: &str) -> Self {
        let field = |v: &str| serde_json::to_string(v).unwrap_or_else(|_| "\"\"".to_string());
        let prefix = format!(
            r#"{{"type":"chunk","agentId":{},"chatId":{},"messageId":{},"content":"#,
            field(agent_id),
            field(chat_id),
            field(message_id)
        );
        Self { prefix }
    }

    /// The frame's JSON text, identical to `ServerFrame::Chunk { .. }.to_text()`.
    pub fn frame(&self, content: &str) -> String {
        let mut out = String::with_capacity(self.prefix.len() + content.len() + 8);
        out.push_str(&self.prefix);
        out.push_str(&serde_json::to_string(content).unwrap_or_else(|_| "\"\"".to_string()));
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_strictly() {
        let frame: ClientFrame = serde_json::from_str(
            r#"{"type":"message","agentId":"a","content":"hi","chatId":"c","clientMessageId":"m1"}"#,
        )
        .unwrap();
        assert!(matches!(frame, ClientFrame::Message { ref chat_id, .. } if chat_id.as_deref() == Some("c")));
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"history","agentId":"a"}"#).is_ok());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shell","cmd":"ls"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"abort","agentId":"a","extra":1}"#).is_err());
    }

    #[test]
    fn a_null_session_id_is_told_apart_from_an_absent_one() {
        let session = |text: &str| match serde_json::from_str::<ClientFrame>(text).unwrap() {
            ClientFrame::Message { session_id, .. } => session_id,
            other => panic!("{other:?}"),
        };
        assert_eq!(session(r#"{"type":"message","agentId":"a","content":"x"}"#), None);
        assert_eq!(session(r#"{"type":"message","agentId":"a","content":"x","sessionId":null}"#), Some(None));
        assert_eq!(
            session(r#"{"type":"message","agentId":"a","content":"x","sessionId":"s"}"#),
            Some(Some("s".into()))
        );
        let bad = r#"{"type":"message","agentId":"a","content":"x","sessionId":7}"#;
        assert!(serde_json::from_str::<ClientFrame>(bad).is_err());
    }

    #[test]
    fn the_chunk_writer_writes_what_serde_writes() {
        let writer = ChunkWriter::new("a\"1", "main", "m-1");
        for content in ["plain", "quote \" and \\ backslash", "line\nbreak\ttab", "ünïcödé ✓", ""] {
            let frame = ServerFrame::Chunk {
                agent_id: "a\"1".into(),
                chat_id: "main".into(),
                message_id: "m-1".into(),
                content: content.into(),
            };
            assert_eq!(writer.frame(content), frame.to_text());
        }
    }

    #[test]
    fn server_frames_are_tagged_camel_case() {
        let frame = ServerFrame::Chunk {
            agent_id: "a".into(),
            chat_id: "c".into(),
            message_id: "m".into(),
            content: "x".into(),
        };
        assert_eq!(frame.to_text(), r#"{"type":"chunk","agentId":"a","chatId":"c","messageId":"m","content":"x"}"#);
        let error = ServerFrame::error(Some("a"), None, "agent_not_found", "Agent not found");
        assert_eq!(
            error.to_text(),
            r#"{"type":"error","agentId":"a","message":"Agent not found","code":"agent_not_found"}"#
        );
    }
}
