//! The webhook service: admins manage slots (audited; a secret is shown once), and deliveries are
//! checked, deduplicated, rate limited and turned into runs whose outcome is kept.

use std::sync::Arc;

use futures::StreamExt;
use futures::channel::oneshot;
use pincer_agents::AgentError;
use pincer_agents::chat::runs::{Delivery as FollowDelivery, RunUpdate};
use pincer_agents::chat::sessions::Sessions;
use pincer_agents::chat::{MessageRole, MessageStatus, RunCoordinator, RunSpawner, StartError, TurnRequest};
use pincer_agents::service::AgentService;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::crypto::Cipher;
use pincer_core::secret::hint;
use pincer_core::{
    AgentId, Capability, Clock, Credential, Denied, Principal, Rule, StoreError, WebhookId, WebhookRequestId,
};
use pincer_identity::UserStore;
use pincer_identity::rate_limit::RateLimiter;
use serde_json::{Value, json};

use super::proof::{ProofError, ProofHeaders, Verified, new_secret, verify};
use super::{
    CHANNEL, DEFAULT_SYNC_TIMEOUT_SECS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, RequestOutcome, RequestState,
    SYNC_TIMEOUT_SECS, SignatureMode, WebhookRequest, WebhookSlot, WebhookStore,
};

/// The most characters of a delivered message.
const MAX_MESSAGE_CHARS: usize = 32_000;
/// What a delivery to an unknown slot is checked against (never a real slot's secret: real ones
/// are random).
const UNKNOWN_SLOT_SECRET: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
/// The most characters of a sender name.
const MAX_SENDER_CHARS: usize = 200;

/// Why a webhook action was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    /// A field is malformed (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// Not an admin (or a token without the scope).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No slot of that name.
    #[error("webhook not found")]
    NotFound,
    /// No request of that id.
    #[error("webhook request not found")]
    RequestNotFound,
    /// The name is taken.
    #[error("a webhook with this name exists")]
    NameTaken,
    /// The agent is unknown or not one the admin may use.
    #[error("agentId must be an agent you can use")]
    UnknownAgent,
    /// Unknown slot or a proof that does not hold: one answer for both, so slots cannot be listed.
    #[error("the webhook does not exist or the request is not signed with its secret")]
    Unauthorized(ProofError),
    /// The slot took its deliveries for this minute.
    #[error("too many deliveries to this webhook; retry later")]
    RateLimited(u64),
    /// The run was refused (the agent has no model, a budget is spent, too many runs…).
    #[error("{message}")]
    Refused {
        /// The chat's stable code.
        code: &'static str,
        /// What went wrong, safe to show.
        message: String,
    },
    /// The admin who created the slot is gone or deactivated.
    #[error("the webhook's owner can no longer act; recreate the webhook")]
    OwnerInactive,
    /// The store could not be reached, or the secret could not be opened.
    #[error("storage unavailable")]
    Unavailable,
}

impl WebhookError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::Denied(Denied::AdminRequired) => "admin_required",
            Self::Denied(Denied::MissingScope(_)) => "missing_scope",
            Self::NotFound => "webhook_not_found",
            Self::RequestNotFound => "webhook_request_not_found",
            Self::NameTaken => "webhook_exists",
            Self::UnknownAgent => "unknown_agent",
            Self::Unauthorized(_) => "unauthorized",
            Self::RateLimited(_) => "rate_limited",
            Self::Refused { code, .. } => code,
            Self::OwnerInactive => "webhook_owner_inactive",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for WebhookError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

/// A slot to create.
#[derive(Clone, Debug)]
pub struct NewSlot {
    /// The URL slug.
    pub name: String,
    /// The agent its deliveries run.
    pub agent_id: AgentId,
    /// What it is for.
    pub description: String,
    /// How long `?wait=true` waits (default [`DEFAULT_SYNC_TIMEOUT_SECS`]).
    pub sync_timeout_secs: Option<u32>,
    /// Which proofs it accepts (default standard).
    pub signature: Option<SignatureMode>,
}

/// A delivery as it arrived.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The slot's name from the URL.
    pub name: String,
    /// Its proof headers.
    pub headers: ProofHeaders,
    /// The raw body (what was signed).
    pub body: Vec<u8>,
    /// Where it came from (the client address), for the audit log.
    pub source: String,
}

/// A delivery accepted (or one seen before).
pub struct Received {
    /// Its request, as stored now.
    pub request: WebhookRequest,
    /// The slot's sync timeout.
    pub sync_timeout_secs: u32,
    /// Resolves with the finished request when its run ends (`None` for a delivery seen before).
    pub finished: Option<oneshot::Receiver<WebhookRequest>>,
}

/// What the service needs.
pub struct WebhookDeps {
    /// Slots and requests.
    pub store: Arc<dyn WebhookStore>,
    /// Seals secrets.
    pub cipher: Arc<Cipher>,
    /// Where actions are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The slots' owners.
    pub users: Arc<dyn UserStore>,
    /// Which agents an admin may use.
    pub agents: Arc<AgentService>,
    /// Starts and follows runs.
    pub runs: Arc<RunCoordinator>,
    /// Reads the stored answer.
    pub sessions: Arc<Sessions>,
    /// Runs the task that waits for a run's end.
    pub spawner: Arc<dyn RunSpawner>,
    /// What one slot accepts per minute (on this server).
    pub deliveries_per_minute: u32,
}

/// Inbound webhooks (see the module notes).
pub struct Webhooks {
    deps: WebhookDeps,
    per_slot: RateLimiter,
}

/// A slot name: 1–64 of `a-z 0-9 -`.
fn check_name(name: &str) -> Result<(), WebhookError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(WebhookError::InvalidInput(format!("name must be 1-{MAX_NAME_CHARS} of a-z, 0-9 and '-'")))
    }
}

/// The delivered message as the agent reads it: the text, with the sender and metadata named.
fn turn_text(body: &[u8]) -> Result<String, WebhookError> {
    let invalid = |m: &str| WebhookError::InvalidInput(m.to_string());
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid("the body must be a JSON object"))?;
    let object = value.as_object().ok_or_else(|| invalid("the body must be a JSON object"))?;
    let message = match object.get("message") {
        Some(Value::String(m)) if !m.trim().is_empty() && m.chars().count() <= MAX_MESSAGE_CHARS => m.trim(),
        _ => return Err(invalid("message must be a string of 1-32000 characters")),
    };
    let sender = match object.get("sender") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= MAX_SENDER_CHARS => Some(s.trim()).filter(|s| !s.is_empty()),
        _ => return Err(invalid("sender must be a string of at most 200 characters")),
    };
    let metadata = match object.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(m.to_string()),
        _ => return Err(invalid("metadata must be an object")),
    };
    let mut text = message.to_string();
    if let Some(sender) = sender {
        text = format!("{text}\n\n(sent by {sender})");
    }
    if let Some(metadata) = metadata {
        text = format!("{text}\n\nmetadata: {metadata}");
    }
    Ok(text)
}

impl Webhooks {
    /// The service over its dependencies.
    pub fn new(deps: WebhookDeps) -> Self {
        let per_slot = RateLimiter::new(deps.deliveries_per_minute.max(1), 60_000);
        Self { deps, per_slot }
    }

    async fn record(&self, actor: Actor, event: &'static str, name: &str, detail: Value) {
        let event = AuditEvent::new(actor, event).resource(format!("webhook:{name}")).detail(detail);
        self.deps.audit.record(event).await;
    }

    fn secret_of(&self, slot: &WebhookSlot) -> Result<String, WebhookError> {
        let bytes = self
            .deps
            .cipher
            .open(&slot.secret_sealed, &WebhookSlot::seal_context(slot.id))
            .map_err(|_| WebhookError::Unavailable)?;
        String::from_utf8(bytes).map_err(|_| WebhookError::Unavailable)
    }

    /// Every slot (admin).
    pub async fn list(&self, principal: &Principal) -> Result<Vec<WebhookSlot>, WebhookError> {
        principal.require(Capability::ManageSettings)?;
        Ok(self.deps.store.slots().await?)
    }

    /// A slot's newest requests (admin).
    pub async fn recent(
        &self,
        principal: &Principal,
        name: &str,
        limit: u32,
    ) -> Result<Vec<WebhookRequest>, WebhookError> {
        principal.require(Capability::ManageSettings)?;
        let slot = self.deps.store.slot_by_name(name).await?.ok_or(WebhookError::NotFound)?;
        Ok(self.deps.store.recent_requests(slot.id, limit).await?)
    }

    /// Creates a slot; returns it with its secret (shown this once). Audited.
    pub async fn add(&self, principal: &Principal, new: NewSlot) -> Result<(WebhookSlot, String), WebhookError> {
        principal.require(Capability::ManageSettings)?;
        let name = new.name.trim().to_string();
        check_name(&name)?;
        let description = new.description.trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(WebhookError::InvalidInput(format!(
                "description must be at most {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        let timeout = new.sync_timeout_secs.unwrap_or(DEFAULT_SYNC_TIMEOUT_SECS);
        if !(SYNC_TIMEOUT_SECS.0..=SYNC_TIMEOUT_SECS.1).contains(&timeout) {
            return Err(WebhookError::InvalidInput(format!(
                "syncTimeoutSeconds must be {}-{}",
                SYNC_TIMEOUT_SECS.0, SYNC_TIMEOUT_SECS.1
            )));
        }
        match self.deps.agents.get(principal, new.agent_id).await {
            Ok(_) => {}
            Err(AgentError::AgentNotFound) => return Err(WebhookError::UnknownAgent),
            Err(_) => return Err(WebhookError::Unavailable),
        }
        let (id, now, secret) = (WebhookId::new(), self.deps.clock.now(), new_secret());
        let slot = WebhookSlot {
            id,
            name,
            agent_id: new.agent_id,
            description,
            sync_timeout_secs: timeout,
            signature: new.signature.unwrap_or(SignatureMode::Standard),
            secret_sealed: self.deps.cipher.seal(secret.as_bytes(), &WebhookSlot::seal_context(id)),
            secret_hint: hint(&secret),
            owner: principal.user_id,
            created_at: now,
            updated_at: now,
        };
        self.deps.store.insert_slot(&slot).await.map_err(|e| match e {
            StoreError::Conflict(Rule::Unique) => WebhookError::NameTaken,
            StoreError::Conflict(Rule::ForeignKey) => WebhookError::UnknownAgent,
            _ => WebhookError::Unavailable,
        })?;
        let detail = json!({"agentId": slot.agent_id.to_string(), "signature": slot.signature.as_str()});
        self.record(Actor::of(principal), "webhook.created", &slot.name, detail).await;
        Ok((slot, secret))
    }

    /// Removes a slot and its requests. Audited.
    pub async fn remove(&self, principal: &Principal, name: &str) -> Result<(), WebhookError> {
        principal.require(Capability::ManageSettings)?;
        if !self.deps.store.delete_slot(name.trim()).await? {
            return Err(WebhookError::NotFound);
        }
        self.record(Actor::of(principal), "webhook.removed", name.trim(), json!({})).await;
        Ok(())
    }

    /// Gives a slot a new secret (the old one stops working at once); returns it, shown once.
    /// Audited.
    pub async fn regenerate(&self, principal: &Principal, name: &str) -> Result<(WebhookSlot, String), WebhookError> {
        principal.require(Capability::ManageSettings)?;
        let mut slot = self.deps.store.slot_by_name(name.trim()).await?.ok_or(WebhookError::NotFound)?;
        let secret = new_secret();
        slot.secret_sealed = self.deps.cipher.seal(secret.as_bytes(), &WebhookSlot::seal_context(slot.id));
        slot.secret_hint = hint(&secret);
        slot.updated_at = self.deps.clock.now();
        if !self.deps.store.set_slot_secret(slot.id, &slot.secret_sealed, &slot.secret_hint, slot.updated_at).await? {
            return Err(WebhookError::NotFound);
        }
        self.record(Actor::of(principal), "webhook.regenerated", &slot.name, json!({})).await;
        Ok((slot, secret))
    }

    /// A request by id (admin).
    pub async fn request(&self, principal: &Principal, id: WebhookRequestId) -> Result<WebhookRequest, WebhookError> {
        principal.require(Capability::ManageSettings)?;
        self.deps.store.request(id).await?.ok_or(WebhookError::RequestNotFound)
    }

    async fn reject(&self, delivery: &Delivery, why: ProofError) -> WebhookError {
        let detail = json!({"source": delivery.source, "reason": why.reason()});
        self.record(Actor::System, "webhook.rejected", &delivery.name, detail).await;
        WebhookError::Unauthorized(why)
    }

    /// Checks a delivery and starts its run (see the module notes). A delivery whose
    /// `webhook-id` the slot has seen is answered from the first one and not run again.
    pub async fn receive(&self, delivery: Delivery) -> Result<Received, WebhookError> {
        let now = self.deps.clock.now();
        let Some(slot) = self.deps.store.slot_by_name(&delivery.name).await? else {
            // The same work as a wrong proof, so the time taken does not tell which slots exist.
            let _ = verify(
                SignatureMode::Standard,
                UNKNOWN_SLOT_SECRET,
                &delivery.headers,
                &delivery.body,
                now.millis() / 1000,
            );
            return Err(self.reject(&delivery, ProofError::Mismatch).await);
        };
        let secret = self.secret_of(&slot)?;
        let verified = match verify(slot.signature, &secret, &delivery.headers, &delivery.body, now.millis() / 1000) {
            Ok(verified) => verified,
            Err(why) => return Err(self.reject(&delivery, why).await),
        };
        let delivery_id = match verified {
            Verified::Standard { id } => Some(id),
            Verified::Body => None,
        };
        if let Some(id) = &delivery_id
            && let Some(seen) = self.deps.store.request_by_delivery(slot.id, id).await?
        {
            return Ok(Received { request: seen, sync_timeout_secs: slot.sync_timeout_secs, finished: None });
        }
        self.per_slot.acquire(self.per_slot.key(slot.id), true, now).map_err(WebhookError::RateLimited)?;
        let text = turn_text(&delivery.body)?;
        let owner = match self.deps.users.get(slot.owner).await? {
            Some(user) if !user.banned => user,
            _ => return Err(WebhookError::OwnerInactive),
        };
        let principal =
            Principal { user_id: owner.id, role: owner.role, name: owner.name, credential: Credential::Internal };

        let request = WebhookRequest {
            id: WebhookRequestId::new(),
            slot_id: slot.id,
            delivery_id: delivery_id.clone(),
            state: RequestState::Running,
            answer: None,
            error: None,
            session_id: None,
            created_at: now,
            finished_at: None,
        };
        match self.deps.store.insert_request(&request).await {
            Ok(()) => {}
            // The same delivery, sent twice at once: the other one runs it.
            Err(StoreError::Conflict(Rule::Unique)) => {
                let id = delivery_id.as_deref().unwrap_or_default();
                let seen = self.deps.store.request_by_delivery(slot.id, id).await?.ok_or(WebhookError::Unavailable)?;
                return Ok(Received { request: seen, sync_timeout_secs: slot.sync_timeout_secs, finished: None });
            }
            Err(e) => return Err(e.into()),
        }
        let turn = TurnRequest {
            agent_id: slot.agent_id,
            chat_key: Some(format!("s-{}", request.id)),
            content: text,
            client_message_id: None,
            channel: Some(CHANNEL),
        };
        let accepted = match self.deps.runs.start(&principal, turn).await {
            Ok(accepted) => accepted,
            Err(refused) => {
                let (code, message) = (refused.code(), refused.to_string());
                let outcome = RequestOutcome {
                    state: RequestState::Failed,
                    answer: None,
                    error: Some(code.to_string()),
                    finished_at: self.deps.clock.now(),
                };
                self.deps.store.finish_request(request.id, &outcome).await?;
                let detail = json!({"requestId": request.id.to_string(), "refused": code});
                self.record(Actor::System, "webhook.received", &slot.name, detail).await;
                return Err(match refused {
                    StartError::TooManyRuns(_) => WebhookError::RateLimited(5),
                    StartError::Chat(_) => WebhookError::Refused { code, message },
                });
            }
        };
        let session = accepted.session_id;
        let follow = self.deps.runs.follow(&accepted.chat);
        accepted.launch();
        let detail = json!({
            "requestId": request.id.to_string(),
            "agentId": slot.agent_id.to_string(),
            "sessionId": session.to_string(),
            "proof": if delivery_id.is_some() { "standard" } else { "body" },
        });
        // Side by side: two commits (on PostgreSQL, two flushes of its log) waited for at once
        // rather than one after the other, on the path that answers the sender.
        let (kept, ()) = futures::join!(
            self.deps.store.set_request_session(request.id, session),
            self.record(Actor::System, "webhook.received", &slot.name, detail)
        );
        kept?;

        let (tell, finished) = oneshot::channel();
        let watcher = Watcher {
            store: self.deps.store.clone(),
            sessions: self.deps.sessions.clone(),
            clock: self.deps.clock.clone(),
            principal,
            request: WebhookRequest { session_id: Some(session), ..request.clone() },
        };
        self.deps.spawner.spawn(Box::pin(watcher.watch(follow.updates, tell)));
        let request = WebhookRequest { session_id: Some(session), ..request };
        Ok(Received { request, sync_timeout_secs: slot.sync_timeout_secs, finished: Some(finished) })
    }
}

/// Waits for a delivery's run to end and keeps its outcome.
struct Watcher {
    store: Arc<dyn WebhookStore>,
    sessions: Arc<Sessions>,
    clock: Arc<dyn Clock>,
    principal: Principal,
    request: WebhookRequest,
}

impl Watcher {
    async fn watch(self, mut updates: pincer_agents::chat::runs::Updates, tell: oneshot::Sender<WebhookRequest>) {
        let (mut status, mut error) = (None, None);
        while let Some(delivery) = updates.next().await {
            let FollowDelivery::Update(update) = delivery else { continue };
            match update.as_ref() {
                RunUpdate::Failed { failure, .. } => error = Some(failure.code.to_string()),
                RunUpdate::Done { status: done, .. } => status = Some(*done),
                RunUpdate::Complete { .. } => break,
                _ => {}
            }
        }
        // The stored answer, not the chunks seen: a follower may have lagged.
        let session = self.request.session_id.unwrap_or_default();
        let answer = match self.sessions.messages(&self.principal, session, 1).await {
            Ok(messages) => messages.into_iter().rev().find(|m| m.role == MessageRole::Assistant).map(|m| m.content),
            Err(_) => None,
        };
        let done = status == Some(MessageStatus::Complete);
        let outcome = RequestOutcome {
            state: if done { RequestState::Done } else { RequestState::Failed },
            answer,
            error: if done { None } else { Some(error.unwrap_or_else(|| "aborted".into())) },
            finished_at: self.clock.now(),
        };
        // A slot removed meanwhile took its request along: nothing to keep.
        let _ = self.store.finish_request(self.request.id, &outcome).await;
        let finished = WebhookRequest {
            state: outcome.state,
            answer: outcome.answer,
            error: outcome.error,
            finished_at: Some(outcome.finished_at),
            ..self.request
        };
        let _ = tell.send(finished);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_url_slugs() {
        for ok in ["a", "github-push", "x9", &"a".repeat(64)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Caps", "under_score", "dot.ted", "spa ce", &"a".repeat(65), "ünï"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_turn_names_the_sender_and_metadata() {
        let text = turn_text(br#"{"message":" Build failed ","sender":"ci","metadata":{"run":7}}"#).unwrap();
        assert_eq!(text, "Build failed\n\n(sent by ci)\n\nmetadata: {\"run\":7}");
        assert_eq!(turn_text(br#"{"message":"hi"}"#).unwrap(), "hi");
        for bad in
            [&br#"{"message":""}"#[..], br#"{"message":3}"#, br#"[1]"#, b"not json", br#"{"message":"x","metadata":1}"#]
        {
            assert!(turn_text(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
