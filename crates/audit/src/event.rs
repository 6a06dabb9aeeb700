//! Events as services report them, and the sink port they report to.

use std::borrow::Cow;

use async_trait::async_trait;
use pincer_core::{Credential, Principal};
use serde::Serialize;
use serde_json::Value;

/// Who performed an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "actorType", content = "actorId", rename_all = "snake_case")]
pub enum Actor {
    /// A person, by user id (stored pseudonymised).
    User(String),
    /// An agent, by id.
    Agent(String),
    /// The platform itself (workers, startup).
    System,
    /// An API token, by id.
    ApiKey(String),
}

impl Actor {
    /// Who a caller's action is recorded as: the API token when they came with one (the token
    /// names its owner in its own row), otherwise the person.
    pub fn of(principal: &Principal) -> Actor {
        match &principal.credential {
            Credential::ApiToken { id, .. } => Actor::ApiKey(id.to_string()),
            Credential::Session(_) | Credential::Channel | Credential::Internal => {
                Actor::User(principal.user_id.to_string())
            }
        }
    }
}

/// Whether the audited action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused or failed.
    Failure,
}

/// One thing that happened, as services report it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Who did it.
    pub actor: Actor,
    /// Dotted name, e.g. `auth.login`; a tool provider's events are named at run time
    /// (`tool.mcp:github/create_issue`), hence not only `'static`.
    pub event_type: Cow<'static, str>,
    /// `kind:id`, e.g. `user:0190…`.
    pub resource: Option<String>,
    /// Details (secrets are redacted before the row is written).
    pub detail: Value,
    /// Whether it succeeded.
    pub outcome: Outcome,
}

impl AuditEvent {
    /// An event of this type by this actor, succeeded, with no resource or detail yet.
    pub fn new(actor: Actor, event_type: impl Into<Cow<'static, str>>) -> Self {
        Self {
            actor,
            event_type: event_type.into(),
            resource: None,
            detail: Value::Object(Default::default()),
            outcome: Outcome::Success,
        }
    }

    /// What it concerns (`kind:id`).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Its details.
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    /// Marks it failed.
    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }
}

/// Where services send audit events. Recording never fails the caller's action: an
/// implementation that cannot persist an event must report that itself (log, metric).
#[async_trait]
pub trait AuditSink: Send + Sync + 'static {
    /// Records one event.
    async fn record(&self, event: AuditEvent);
}

/// A sink that keeps events in memory; used by unit tests of the services that emit them.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: std::sync::Mutex<Vec<AuditEvent>>,
}

impl MemorySink {
    /// The events recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl AuditSink for MemorySink {
    async fn record(&self, event: AuditEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}
