//! Inbound webhooks: named slots an outside system posts messages to. Each slot runs one agent;
//! a delivery proves itself with the slot's secret ([`proof`]), starts a run in a new session of
//! the admin who created the slot (their role, budgets and the agent's grants apply, and the
//! session is theirs to read, `channel: "webhook"`), and is kept as a request whose state and
//! answer can be read later.

pub mod proof;
mod service;

use async_trait::async_trait;
use pincer_core::{AgentId, ChatId, StoreError, Timestamp, UserId, WebhookId, WebhookRequestId};

pub use service::{Delivery, NewSlot, Received, WebhookDeps, WebhookError, Webhooks};

/// The channel name of webhook sessions.
pub const CHANNEL: &str = "webhook";
/// The most characters of a slot name (the URL slug).
pub const MAX_NAME_CHARS: usize = 64;
/// The most characters of a slot's description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// The range of a slot's sync timeout, in seconds (how long `?wait=true` waits for the answer).
pub const SYNC_TIMEOUT_SECS: (u32, u32) = (1, 300);
/// The sync timeout of a slot that names none.
pub const DEFAULT_SYNC_TIMEOUT_SECS: u32 = 30;
/// The largest body a delivery may have.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Deliveries one slot accepts per minute (on each replica) unless the operator says otherwise
/// (`PINCER_WEBHOOK_DELIVERIES_PER_MINUTE`).
pub const DEFAULT_DELIVERIES_PER_MINUTE: u32 = 120;

/// Which proofs a slot accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureMode {
    /// Only the Standard Webhooks form (replay-safe). The default.
    Standard,
    /// Also the reference's `X-Webhook-Signature` (body HMAC) and `X-Webhook-Secret`.
    Body,
}

impl SignatureMode {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Body => "body",
        }
    }

    /// From its stored or sent form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "standard" => Some(Self::Standard),
            "body" => Some(Self::Body),
            _ => None,
        }
    }
}

/// A slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSlot {
    /// Its id.
    pub id: WebhookId,
    /// The URL slug: 1–64 of `a-z 0-9 -`, unique.
    pub name: String,
    /// The agent a delivery runs.
    pub agent_id: AgentId,
    /// What it is for.
    pub description: String,
    /// How long `?wait=true` waits for the answer.
    pub sync_timeout_secs: u32,
    /// Which proofs it accepts.
    pub signature: SignatureMode,
    /// The secret, sealed (context [`WebhookSlot::seal_context`]).
    pub secret_sealed: String,
    /// Its last 4 characters, to tell secrets apart.
    pub secret_hint: String,
    /// The admin who created it: its runs act as them.
    pub owner: UserId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed (a new secret).
    pub updated_at: Timestamp,
}

impl WebhookSlot {
    /// What a slot's secret is sealed with (bound to the slot, so sealed values cannot be swapped).
    pub fn seal_context(id: WebhookId) -> String {
        format!("webhook:{id}")
    }
}

/// Where a delivery's run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// The run is going.
    Running,
    /// The answer is in.
    Done,
    /// The run failed or was stopped.
    Failed,
}

impl RequestState {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// From its stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One accepted delivery and its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Its id (the `requestId` the sender gets).
    pub id: WebhookRequestId,
    /// The slot it came to.
    pub slot_id: WebhookId,
    /// The sender's `webhook-id`, when it sent the standard form (deliveries are deduplicated by it).
    pub delivery_id: Option<String>,
    /// Where the run is.
    pub state: RequestState,
    /// The agent's answer, once done.
    pub answer: Option<String>,
    /// Why it failed (a stable code).
    pub error: Option<String>,
    /// The session the run is in.
    pub session_id: Option<ChatId>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// When its run ended.
    pub finished_at: Option<Timestamp>,
}

/// How a run ended, for its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestOutcome {
    /// `Done` or `Failed`.
    pub state: RequestState,
    /// The answer (what there was of it when it failed).
    pub answer: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When.
    pub finished_at: Timestamp,
}

/// Slots and their requests.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Stores a slot; `Conflict(Rule::Unique)` when the name is taken, `Conflict(Rule::ForeignKey)`
    /// for an unknown agent or owner.
    async fn insert_slot(&self, slot: &WebhookSlot) -> Result<(), StoreError>;
    /// Every slot, by name.
    async fn slots(&self) -> Result<Vec<WebhookSlot>, StoreError>;
    /// The slot of this name.
    async fn slot_by_name(&self, name: &str) -> Result<Option<WebhookSlot>, StoreError>;
    /// Deletes a slot with its requests; whether it existed.
    async fn delete_slot(&self, name: &str) -> Result<bool, StoreError>;
    /// Replaces a slot's secret; whether it existed.
    async fn set_slot_secret(
        &self,
        id: WebhookId,
        sealed: &str,
        hint: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Stores a request; `Conflict(Rule::Unique)` when its slot has one with its delivery id.
    async fn insert_request(&self, request: &WebhookRequest) -> Result<(), StoreError>;
    /// The request of a slot with this delivery id.
    async fn request_by_delivery(
        &self,
        slot: WebhookId,
        delivery_id: &str,
    ) -> Result<Option<WebhookRequest>, StoreError>;
    /// A request by id.
    async fn request(&self, id: WebhookRequestId) -> Result<Option<WebhookRequest>, StoreError>;
    /// Records where a request's run is (its session, once the turn was accepted).
    async fn set_request_session(&self, id: WebhookRequestId, session: ChatId) -> Result<(), StoreError>;
    /// Records how a request's run ended.
    async fn finish_request(&self, id: WebhookRequestId, outcome: &RequestOutcome) -> Result<(), StoreError>;
    /// A slot's newest requests, newest first.
    async fn recent_requests(&self, slot: WebhookId, limit: u32) -> Result<Vec<WebhookRequest>, StoreError>;
}
