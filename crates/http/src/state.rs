//! What every handler can reach: the services and the HTTP-level configuration.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pincer_agents::chat::{ChatService, RunCoordinator};
use pincer_agents::service::{AgentService, ProviderService};
use pincer_audit::AuditService;
use pincer_identity::groups::Groups;
use pincer_identity::licence::LicenceService;
use pincer_identity::{Identity, SettingsService};
use pincer_usage::UsageReporter;
use pincer_usage::budget::Budgets;

/// Whether the dependencies the server needs are reachable (for `/api/health`).
#[async_trait]
pub trait Readiness: Send + Sync + 'static {
    async fn database_ok(&self) -> bool;
}

/// Set when shutdown begins: from then on `/api/health/ready` answers 503 while the listener still
/// serves, so load balancers stop sending requests before it closes.
#[derive(Debug, Default)]
pub struct Draining(std::sync::atomic::AtomicBool);

impl Draining {
    /// Shutdown has begun.
    pub fn begin(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// HTTP-level settings derived from the server configuration.
#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// `PINCER_PUBLIC_URL`, without a trailing slash: when set, the only own origin for CSRF
    /// checks, and the only host mutating requests may be sent to.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The one-time code printed at a start before setup: `POST /api/setup` from anywhere but
    /// this host's loopback must carry it, so a server reachable from the network cannot be
    /// claimed by whoever finds it first.
    pub setup_code: Option<String>,
    /// How long a chat socket may stay silent before it is closed with 4408; `None` is the
    /// documented 45 s. Only tests shorten it (the hidden `PINCER_WS_IDLE_TIMEOUT_MS`).
    pub ws_idle_limit: Option<Duration>,
    /// The domain lock (`domain.rs`); `None` in tests that build a config by hand.
    pub domain_lock: Option<Arc<pincer_identity::domain_lock::DomainLock>>,
}

impl HttpConfig {
    /// The session cookie is named `__Host-pincer_session` (and `Secure`) when the public URL is
    /// HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The hostname Pincer is locked to, as this process last read it.
    pub fn locked_domain(&self) -> Option<String> {
        self.domain_lock.as_ref().and_then(|lock| lock.cached())
    }

    /// Cookies get `Secure` under an HTTPS public URL and while a domain lock holds (the name
    /// stays, so locking does not sign anyone out).
    pub fn secure_attribute(&self) -> bool {
        self.secure_cookies() || self.locked_domain().is_some()
    }
}

pub struct AppState {
    pub identity: Arc<Identity>,
    pub settings: Arc<SettingsService>,
    pub audit: Arc<AuditService>,
    /// The usage reports admins read.
    pub usage: Arc<UsageReporter>,
    /// The enterprise licence.
    pub licence: Arc<LicenceService>,
    /// The monthly spend limits.
    pub budgets: Arc<Budgets>,
    /// Groups of users (enterprise).
    pub groups: Arc<Groups>,
    pub agents: Arc<AgentService>,
    pub providers: Arc<ProviderService>,
    pub chat: Arc<ChatService>,
    /// The callers' long-term memory.
    pub memory: Arc<pincer_agents::memory::MemoryService>,
    /// The callers' own conversations.
    pub sessions: Arc<pincer_agents::chat::sessions::Sessions>,
    /// Runs: started, followed and aborted through it by every frontend.
    pub runs: Arc<RunCoordinator>,
    /// Inbound webhook slots and deliveries.
    pub webhooks: Arc<pincer_channels::webhooks::Webhooks>,
    /// Channel bindings (Telegram bots), their receivers, and users' linked identities.
    pub channels: Arc<pincer_channels::Channels>,
    /// The chat sockets open on this node.
    pub connections: Arc<crate::ws::Connections>,
    /// The tunnel from the internet (`/api/remote/*`): while it is active, loopback is no proof
    /// of being on this machine.
    pub remote: Arc<dyn pincer_core::remote::RemoteAccess>,
    /// Security audits and the daily self-audit reports.
    pub security: Arc<pincer_security::SecurityAudit>,
    pub readiness: Arc<dyn Readiness>,
    /// Whether shutdown has begun (readiness turns 503).
    pub draining: Arc<Draining>,
    pub config: HttpConfig,
}
