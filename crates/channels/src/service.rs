//! The channels service: admins bind transport accounts to agents (a credential checked with the
//! transport, sealed, one binding per account), turn receivers on and off and see their state;
//! every user links their own identity on a transport with a pairing code the bot gave them.

use std::sync::Arc;

use pincer_agents::AgentError;
use pincer_agents::service::AgentService;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::crypto::{Cipher, sha256_hex};
use pincer_core::secret::hint;
use pincer_core::{AgentId, Capability, ChannelBindingId, Clock, Denied, Principal, Rule, StoreError};
use pincer_identity::pairing::{PairingError, Pairings};
use pincer_identity::rate_limit::RateLimiter;
use serde_json::{Value, json};

use crate::bindings::{Binding, ChannelStore, Link, Target, Transport};
use crate::supervisor::{Health, Supervisor};
use crate::transport::{Account, ChannelTransport, TransportError};

/// Link attempts (codes entered) one user gets per window.
const LINK_ATTEMPTS: u32 = 5;
/// The window of [`LINK_ATTEMPTS`].
const LINK_WINDOW_MS: i64 = 10 * 60_000;
/// The longest credential accepted (Telegram's tokens are about 46 characters).
const MAX_SECRET_CHARS: usize = 200;

/// Why a channel action was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelError {
    /// A field is malformed (the message names it).
    #[error("{0}")]
    InvalidInput(String),
    /// The transport refused the credential.
    #[error("the bot token does not work: {0}")]
    InvalidCredential(String),
    /// Not an admin (or a token without the scope).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No such agent (or not one the caller may see).
    #[error("agent not found")]
    AgentNotFound,
    /// The main bot must come first.
    #[error("connect the main bot (a personal agent's) before any other agent's")]
    MainBotMissing,
    /// The credential is bound to another agent.
    #[error("this bot is already connected to another agent")]
    AccountTaken,
    /// The main bot serves everyone's personal agent: it is removed for everyone or not at all.
    #[error("the main bot serves every personal agent; remove Telegram for everyone instead")]
    MainBotShared,
    /// Nothing is bound there.
    #[error("no bot is connected to this agent")]
    NotConnected,
    /// Wrong, expired or used pairing code.
    #[error("invalid or expired pairing code")]
    InvalidCode,
    /// Too many codes tried.
    #[error("too many pairing attempts; retry later")]
    RateLimited(u64),
    /// The user has no link.
    #[error("no linked account")]
    NotLinked,
    /// The transport could not be reached.
    #[error("the messaging service cannot be reached; try again")]
    TransportUnavailable,
    /// The store could not be reached, or a credential could not be opened.
    #[error("storage unavailable")]
    Unavailable,
}

impl ChannelError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::InvalidCredential(_) => "invalid_token",
            Self::Denied(Denied::AdminRequired) => "admin_required",
            Self::Denied(Denied::MissingScope(_)) => "missing_scope",
            Self::AgentNotFound => "agent_not_found",
            Self::MainBotMissing => "telegram_not_configured",
            Self::AccountTaken => "bot_in_use",
            Self::MainBotShared => "main_bot_shared",
            Self::NotConnected => "not_connected",
            Self::InvalidCode => "invalid_code",
            Self::RateLimited(_) => "rate_limited",
            Self::NotLinked => "not_linked",
            Self::TransportUnavailable => "transport_unavailable",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for ChannelError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

impl From<AgentError> for ChannelError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::AgentNotFound => Self::AgentNotFound,
            AgentError::AdminRequired => Self::Denied(Denied::AdminRequired),
            _ => Self::Unavailable,
        }
    }
}

/// A target's bot as the agent's settings show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotConfig {
    /// The target's binding, if any.
    pub binding: Option<Binding>,
    /// Whether the main bot exists.
    pub main_configured: bool,
}

/// A binding with its receiver's state, for the status list.
#[derive(Clone, Debug)]
pub struct BindingStatus {
    /// The binding.
    pub binding: Binding,
    /// Its agent's name (`None` for the main bot).
    pub agent_name: Option<String>,
    /// Its receiver, as this server sees it.
    pub health: Health,
}

/// What the service needs.
pub struct ChannelDeps {
    /// Bindings, links, threads.
    pub store: Arc<dyn ChannelStore>,
    /// The transports' adapters.
    pub transports: Vec<Arc<dyn ChannelTransport>>,
    /// Pairing codes.
    pub pairings: Arc<Pairings>,
    /// Seals credentials.
    pub cipher: Arc<Cipher>,
    /// Where actions are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Which agents exist and who may see them.
    pub agents: Arc<AgentService>,
    /// The receivers.
    pub supervisor: Arc<Supervisor>,
}

/// Channels (see the module notes).
pub struct Channels {
    deps: ChannelDeps,
    link_attempts: RateLimiter,
}

impl Channels {
    /// The service over its dependencies.
    pub fn new(deps: ChannelDeps) -> Self {
        Self { deps, link_attempts: RateLimiter::new(LINK_ATTEMPTS, LINK_WINDOW_MS) }
    }

    /// The receivers.
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.deps.supervisor
    }

    fn transport(&self, transport: Transport) -> Result<&Arc<dyn ChannelTransport>, ChannelError> {
        self.deps
            .transports
            .iter()
            .find(|t| t.transport() == transport)
            .ok_or_else(|| ChannelError::InvalidInput(format!("transport {} is not available", transport.as_str())))
    }

    async fn record(&self, principal: &Principal, event: &'static str, resource: String, detail: Value) {
        let event = AuditEvent::new(Actor::of(principal), event).resource(resource).detail(detail);
        self.deps.audit.record(event).await;
    }

    /// The target an agent id names: a personal agent means the main bot.
    async fn target_of(&self, principal: &Principal, agent: AgentId) -> Result<Target, ChannelError> {
        let agent = self.deps.agents.get(principal, agent).await?;
        Ok(if agent.personal_owner.is_some() { Target::Personal } else { Target::Agent(agent.id) })
    }

    /// An agent's bot on a transport (admin).
    pub async fn bot(
        &self,
        principal: &Principal,
        transport: Transport,
        agent: AgentId,
    ) -> Result<BotConfig, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let target = self.target_of(principal, agent).await?;
        let binding = self.deps.store.binding_for(transport, target).await?;
        let main_configured = match target {
            Target::Personal => binding.is_some(),
            Target::Agent(_) => self.deps.store.binding_for(transport, Target::Personal).await?.is_some(),
        };
        Ok(BotConfig { binding, main_configured })
    }

    /// Binds an account to an agent, replacing the agent's earlier one: the credential is
    /// checked with the transport first. The main bot comes first. Audited.
    pub async fn connect(
        &self,
        principal: &Principal,
        transport: Transport,
        agent: AgentId,
        secret: &str,
    ) -> Result<Account, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let target = self.target_of(principal, agent).await?;
        self.bind(principal, transport, target, secret).await
    }

    async fn bind(
        &self,
        principal: &Principal,
        transport: Transport,
        target: Target,
        secret: &str,
    ) -> Result<Account, ChannelError> {
        let secret = secret.trim();
        if secret.is_empty() || secret.chars().count() > MAX_SECRET_CHARS || secret.chars().any(char::is_whitespace) {
            return Err(ChannelError::InvalidInput("botToken must be the token @BotFather gave".into()));
        }
        if target != Target::Personal && self.deps.store.binding_for(transport, Target::Personal).await?.is_none() {
            return Err(ChannelError::MainBotMissing);
        }
        let digest = sha256_hex(secret.as_bytes());
        let existing = self.deps.store.bindings().await?;
        let slot = Binding::slot(transport, target);
        if existing.iter().any(|b| b.secret_digest == digest && Binding::slot(b.transport, b.target) != slot) {
            return Err(ChannelError::AccountTaken);
        }
        let account = match self.transport(transport)?.verify(secret).await {
            Ok(account) => account,
            Err(TransportError::InvalidCredential(why)) => return Err(ChannelError::InvalidCredential(why)),
            Err(TransportError::Refused(why)) => return Err(ChannelError::InvalidCredential(why)),
            Err(_) => return Err(ChannelError::TransportUnavailable),
        };
        let (id, now) = (ChannelBindingId::new(), self.deps.clock.now());
        let binding = Binding {
            id,
            transport,
            target,
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            secret_sealed: self.deps.cipher.seal(secret.as_bytes(), &Binding::seal_context(id)),
            secret_hint: hint(secret),
            secret_digest: digest,
            enabled: true,
            cursor: 0,
            last_error: None,
            last_error_at: None,
            created_by: principal.user_id,
            created_at: now,
            updated_at: now,
        };
        self.deps.store.put_binding(&binding).await.map_err(|e| match e {
            StoreError::Conflict(Rule::Unique) => ChannelError::AccountTaken,
            StoreError::Conflict(Rule::ForeignKey) => ChannelError::AgentNotFound,
            _ => ChannelError::Unavailable,
        })?;
        let detail = json!({
            "transport": transport.as_str(),
            "agentId": target.agent().map(|a| a.to_string()),
            "main": target == Target::Personal,
            "account": account.name,
        });
        self.record(principal, "channel.connected", format!("channel:{slot}"), detail).await;
        self.deps.supervisor.reconcile().await;
        Ok(account)
    }

    /// Unbinds an agent's account. The main bot is removed only with everything else. Audited.
    pub async fn disconnect(
        &self,
        principal: &Principal,
        transport: Transport,
        agent: AgentId,
    ) -> Result<(), ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let target = self.target_of(principal, agent).await?;
        if target == Target::Personal {
            return Err(ChannelError::MainBotShared);
        }
        let binding = self.deps.store.binding_for(transport, target).await?.ok_or(ChannelError::NotConnected)?;
        self.deps.store.delete_binding(binding.id).await?;
        let detail = json!({"transport": transport.as_str(), "agentId": target.agent().map(|a| a.to_string())});
        self.record(principal, "channel.disconnected", format!("channel:{}", Binding::slot(transport, target)), detail)
            .await;
        self.deps.supervisor.reconcile().await;
        Ok(())
    }

    /// Every binding with its agent's name and receiver state (admin).
    pub async fn status(&self, principal: &Principal) -> Result<Vec<BindingStatus>, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let bindings = self.deps.store.bindings().await?;
        let mut out = Vec::with_capacity(bindings.len());
        for binding in bindings {
            let agent_name = match binding.target {
                Target::Personal => None,
                Target::Agent(id) => match self.deps.agents.get(principal, id).await {
                    Ok(agent) => Some(agent.name),
                    Err(AgentError::AgentNotFound) => Some("(deleted agent)".to_string()),
                    Err(e) => return Err(e.into()),
                },
            };
            let health = self.deps.supervisor.health(&binding);
            out.push(BindingStatus { binding, agent_name, health });
        }
        Ok(out)
    }

    /// Removes every binding of a transport (the main bot included); how many. Audited.
    pub async fn remove_all(&self, principal: &Principal, transport: Transport) -> Result<u64, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let removed = self.deps.store.delete_bindings(transport).await?;
        let detail = json!({"transport": transport.as_str(), "removed": removed});
        self.record(principal, "channel.removed_all", format!("channel:{}", transport.as_str()), detail).await;
        self.deps.supervisor.reconcile().await;
        Ok(removed)
    }

    /// `POST /api/channels/save`: binds (or rebinds) a target from a transport's config
    /// object (Telegram: `{botToken}`). Audited like a connect.
    pub async fn save(
        &self,
        principal: &Principal,
        transport: Transport,
        agent: Option<AgentId>,
        config: &Value,
    ) -> Result<Account, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let target = match agent {
            None => Target::Personal,
            Some(agent) => self.target_of(principal, agent).await?,
        };
        let token = match config.get("botToken") {
            Some(Value::String(token)) => token,
            _ => return Err(ChannelError::InvalidInput("config.botToken must be the token @BotFather gave".into())),
        };
        self.bind(principal, transport, target, token).await
    }

    /// `POST /api/channels/toggle`: starts or stops a binding's receiver. Audited.
    pub async fn toggle(
        &self,
        principal: &Principal,
        transport: Transport,
        agent: Option<AgentId>,
        enabled: bool,
    ) -> Result<Binding, ChannelError> {
        principal.require(Capability::ManageSettings)?;
        let target = match agent {
            None => Target::Personal,
            Some(agent) => self.target_of(principal, agent).await?,
        };
        let binding = self.deps.store.binding_for(transport, target).await?.ok_or(ChannelError::NotConnected)?;
        let now = self.deps.clock.now();
        if !self.deps.store.set_enabled(binding.id, enabled, now).await? {
            return Err(ChannelError::NotConnected);
        }
        let detail = json!({"transport": transport.as_str(), "enabled": enabled});
        let event = if enabled { "channel.started" } else { "channel.stopped" };
        self.record(principal, event, format!("channel:{}", Binding::slot(transport, target)), detail).await;
        self.deps.supervisor.reconcile().await;
        Ok(Binding { enabled, updated_at: now, ..binding })
    }

    /// The caller's link on a transport.
    pub async fn link_of(&self, principal: &Principal, transport: Transport) -> Result<Option<Link>, ChannelError> {
        principal.require(Capability::Chat)?;
        Ok(self.deps.store.link_of_user(transport, principal.user_id).await?)
    }

    /// Links the caller to the identity that was given `code` (5 tries per 10 minutes).
    /// Audited.
    pub async fn link(&self, principal: &Principal, transport: Transport, code: &str) -> Result<Link, ChannelError> {
        principal.require(Capability::Chat)?;
        let now = self.deps.clock.now();
        self.link_attempts
            .acquire(self.link_attempts.key((transport.as_str(), principal.user_id)), true, now)
            .map_err(ChannelError::RateLimited)?;
        let pairing =
            match self.deps.pairings.claim(transport.pairing_purpose(), code, &principal.user_id.to_string()).await {
                Ok(pairing) => pairing,
                Err(PairingError::InvalidCode) => return Err(ChannelError::InvalidCode),
                Err(PairingError::Unavailable) => return Err(ChannelError::Unavailable),
            };
        let link = Link { transport, external_id: pairing.issued_for, user_id: principal.user_id, created_at: now };
        self.deps.store.link(&link).await?;
        let detail = json!({"transport": transport.as_str()});
        self.record(principal, "channel.linked", format!("user:{}", principal.user_id), detail).await;
        Ok(link)
    }

    /// Removes the caller's link. Audited.
    pub async fn unlink(&self, principal: &Principal, transport: Transport) -> Result<(), ChannelError> {
        principal.require(Capability::Chat)?;
        if !self.deps.store.unlink(transport, principal.user_id).await? {
            return Err(ChannelError::NotLinked);
        }
        let detail = json!({"transport": transport.as_str()});
        self.record(principal, "channel.unlinked", format!("user:{}", principal.user_id), detail).await;
        Ok(())
    }
}
