//! The [`ChannelTransport`] port (what a messaging service's adapter does: check a credential,
//! receive, send, edit, show typing) and the inbound/outbound message model; the
//! [`ChannelRuntime`] port gives the receivers their tasks and timers without the domain
//! depending on an async runtime.

use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;

use crate::bindings::Transport;

/// The account a credential belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its id at the transport (a bot's numeric id).
    pub id: String,
    /// Its name there (a bot's username).
    pub name: String,
}

/// A message someone sent to a bound account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The binding's cursor once this message is handled (Telegram: its update id + 1).
    pub next_cursor: i64,
    /// The conversation to answer in (a Telegram chat id).
    pub conversation: String,
    /// Whether the conversation is one to one (bots answer only there).
    pub private: bool,
    /// Who sent it (a Telegram user id).
    pub sender: String,
    /// The message's id in the conversation (deduplicates a message received twice).
    pub message_id: String,
    /// Its text (`None` for a photo, a sticker, …).
    pub text: Option<String>,
}

/// A batch received: the messages, and the cursor after everything looked at (updates that are
/// not messages move it too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// The messages, oldest first.
    pub messages: Vec<Inbound>,
    /// The cursor after the batch.
    pub next_cursor: Option<i64>,
}

/// Why a transport call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The credential is not (or no longer) valid.
    #[error("the transport refused the credential: {0}")]
    InvalidCredential(String),
    /// Another process receives for this account.
    #[error("{0}")]
    Conflict(String),
    /// Slow down: retry after this many seconds.
    #[error("rate limited; retry after {0} s")]
    RateLimited(u64),
    /// The transport refused this call (an edit that changes nothing, a chat that is gone).
    #[error("refused: {0}")]
    Refused(String),
    /// The transport could not be reached or answered garbage.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A messaging service's adapter. It keeps no credential: each call brings the binding's.
#[async_trait]
pub trait ChannelTransport: Send + Sync + 'static {
    /// Which transport it speaks.
    fn transport(&self) -> Transport;
    /// The most characters one message may have.
    fn max_message_chars(&self) -> usize;
    /// The account a credential belongs to (Telegram: `getMe`).
    async fn verify(&self, secret: &str) -> Result<Account, TransportError>;
    /// Waits (up to the transport's long-poll time) for messages from `cursor` on.
    async fn receive(&self, secret: &str, cursor: i64) -> Result<Received, TransportError>;
    /// Sends a Markdown text (the adapter converts and escapes it); the new message's id.
    async fn send(&self, secret: &str, conversation: &str, text: &str) -> Result<String, TransportError>;
    /// Replaces the text of a message the account sent.
    async fn edit(&self, secret: &str, conversation: &str, message_id: &str, text: &str) -> Result<(), TransportError>;
    /// Shows "typing…" in a conversation for a few seconds.
    async fn typing(&self, secret: &str, conversation: &str) -> Result<(), TransportError>;
}

/// Tasks and timers for the receivers; the server gives the async runtime's.
pub trait ChannelRuntime: Send + Sync + 'static {
    /// Runs `task` to its end, apart from the caller.
    fn spawn(&self, task: BoxFuture<'static, ()>);
    /// Resolves after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}
