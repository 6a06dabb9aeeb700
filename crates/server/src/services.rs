//! The domain services over one database, wired once: what the binary serves, and what a test or
//! an embedding Rust service builds without the binary. Wiring only — every rule lives in the
//! domain crates.

use pincer_agents::chat::sessions::{SessionDeps, Sessions};
use pincer_agents::memory::{MemoryDeps, MemoryService};
use pincer_agents::tools::MemoryToolProvider;
use std::path::PathBuf;
use std::sync::Arc;

use pincer_agents::catalogue::BaseUrls;
use pincer_agents::chat::service::node_lease;
use pincer_agents::chat::{ChatService, ChatServiceDeps, ContextBuilder, RunCoordinator, RunLimits, RunSpawner};
use pincer_agents::service::{AgentService, AgentServiceDeps, ProviderService, ProviderServiceDeps};
use pincer_agents::tools::{FileToolProvider, ToolProvider, ToolRegistry};
use pincer_audit::AuditService;
use pincer_channels::webhooks::{WebhookDeps, Webhooks};
use pincer_channels::{
    ChannelDeps, ChannelRuntime, ChannelTransport, Channels, Relay, RelayDeps, Supervisor, SupervisorDeps,
};
use pincer_connectors::{LocalDocumentFolders, LocalDocuments};
use pincer_core::crypto::Cipher;
use pincer_core::{HeldLease, Leases, SystemClock};
use pincer_http::{AppState, Connections, Draining, HttpConfig, Readiness};
use pincer_identity::domain_lock::DomainLock;
use pincer_identity::groups::{GroupDeps, Groups};
use pincer_identity::licence::{LicenceDeps, LicenceService, TrustedKeys};
use pincer_identity::pairing::Pairings;
use pincer_identity::{Identity, IdentityDeps, SettingsService};
use pincer_llm::{HttpModelClient, HttpModelLister};
use pincer_store::{BlockingPasswordHasher, Database};
use pincer_usage::budget::{BudgetDeps, Budgets};
use pincer_usage::{UsageReporter, UsageReporterDeps};

use pincer_security::{SecurityAudit, SecurityDeps};

use crate::head_file::HeadFile;
use crate::host_probe::{HostConfig, SystemHostProbe};

/// How long a provider may take to answer a credential check or a model list.
const PROVIDER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The operator's choices the services are built with.
pub struct ServiceConfig {
    /// Where the audit chain's head is anchored (`<data dir>/secrets`).
    pub secrets_dir: PathBuf,
    /// Encrypts secrets at rest (provider keys, settings).
    pub encryption_key: [u8; 32],
    /// Keys the audit chain and its pseudonyms.
    pub audit_key: [u8; 32],
    /// `PINCER_DOCUMENTS_DIR`: every folder an agent may be granted lies in it.
    pub documents_dir: PathBuf,
    pub base_urls: BaseUrls,
    pub allow_private_urls: bool,
    pub max_runs_per_user: usize,
    /// `PINCER_WEBHOOK_DELIVERIES_PER_MINUTE`: what one webhook slot accepts per minute.
    pub webhook_deliveries_per_minute: u32,
    /// The channel transports' adapters (the Telegram Bot API client).
    pub transports: Vec<Arc<dyn ChannelTransport>>,
    /// Tool families next to the file tools (an embedding service's own, a test's).
    pub extra_tools: Vec<Arc<dyn ToolProvider>>,
    /// `PINCER_LICENSE_KEYS`: the vendor keys a licence must be signed with.
    pub licence_keys: TrustedKeys,
    /// `PINCER_LICENSE` (or `_FILE`): the licence the environment manages, if any.
    pub licence_from_env: Option<String>,
    /// `PINCER_CLOUDFLARED`: the tunnel program; `None`: `cloudflared` on `PATH`.
    pub cloudflared: Option<PathBuf>,
    /// What the security self-audit reads of the host's configuration.
    pub host: HostConfig,
}

/// Every service, sharing one database, one clock and one audit trail.
pub struct Services {
    pub database: Database,
    pub identity: Arc<Identity>,
    pub settings: Arc<SettingsService>,
    /// The domain lock (read once at start, then by the HTTP layer as it goes stale).
    pub domain_lock: Arc<DomainLock>,
    pub audit: Arc<AuditService>,
    pub usage: Arc<UsageReporter>,
    pub licence: Arc<LicenceService>,
    pub budgets: Arc<Budgets>,
    pub groups: Arc<Groups>,
    pub agents: Arc<AgentService>,
    pub providers: Arc<ProviderService>,
    pub chat: Arc<ChatService>,
    pub runs: Arc<RunCoordinator>,
    pub sessions: Arc<Sessions>,
    pub memory: Arc<MemoryService>,
    pub webhooks: Arc<Webhooks>,
    pub channels: Arc<Channels>,
    pub connections: Arc<Connections>,
    pub tools: Arc<ToolRegistry>,
    /// The audit head's file anchor; flushed at the end of a stop.
    pub anchor: Arc<HeadFile>,
    /// This node's id (recorded on the answers it streams).
    pub node: String,
    /// Leases, for the workers that run on one replica at a time.
    pub leases: Arc<dyn Leases>,
    /// The Cloudflare tunnel (remote access), stopped until an admin starts it.
    pub tunnel: Arc<pincer_connectors::cloudflared::Tunnel>,
    /// Security audits and the daily self-audit reports.
    pub security: Arc<SecurityAudit>,
    /// Set when shutdown begins (readiness turns 503).
    pub draining: Arc<Draining>,
    _node_lease: Box<dyn HeldLease>,
}

/// What every domain's wiring shares: the database as each store port, the clock, the audit sink.
struct Shared {
    store: Arc<Database>,
    clock: Arc<SystemClock>,
    audit: Arc<AuditService>,
}

impl Services {
    /// Builds the services on a migrated database, one domain after the other. Runs start on the
    /// Tokio runtime.
    pub async fn build(database: &Database, config: ServiceConfig) -> Result<Services, String> {
        let store = Arc::new(database.clone());
        let clock = Arc::new(SystemClock);
        let (audit, anchor) = audit_trail(&store, &clock, &config).await?;
        let shared = Shared { store, clock, audit: audit.clone() };
        // This node's id, and the lease that tells the other replicas it is alive: held for as
        // long as the services live.
        let node = uuid::Uuid::now_v7().to_string();
        let leases = database.leases();
        let node_lease = leases
            .try_acquire(&node_lease(&node))
            .await
            .map_err(|e| format!("cannot take this node's lease: {e}"))?
            .ok_or("this node's lease is taken")?;
        let cipher = Arc::new(Cipher::new(&config.encryption_key));
        let memory = Arc::new(MemoryService::new(MemoryDeps {
            store: shared.store.clone(),
            audit: shared.audit.clone(),
            clock: shared.clock.clone(),
        }));
        let bus = database.event_bus();
        let licence = licence(&shared, cipher.clone(), &config, bus.clone()).await?;
        bus.subscribe(licence.clone());
        let access = Access { licence: licence.clone(), bus: bus.clone(), memory: memory.clone() };
        let (tools, agents, providers) = catalogue(&shared, config.catalogue_config(), cipher.clone(), access)?;
        let budgets = Arc::new(Budgets::new(BudgetDeps {
            store: shared.store.clone(),
            reports: shared.store.clone(),
            groups: shared.store.clone(),
            entitlement: licence.clone(),
            audit: shared.audit.clone(),
            clock: shared.clock.clone(),
        }));
        let catalogue = (tools, agents, providers);
        let chat = chat(&shared, &catalogue, &node, &leases, budgets.clone(), memory.clone());
        let (tools, agents, providers) = catalogue;
        let runs = Arc::new(RunCoordinator::new(chat.clone(), Arc::new(TokioSpawner), config.max_runs_per_user));
        let connections = Arc::new(Connections::default());
        bus.subscribe(connections.clone());
        let identity = identity(&shared, agents.clone(), connections.clone(), bus.clone(), licence.clone());
        let groups = Arc::new(Groups::new(GroupDeps {
            store: shared.store.clone(),
            entitlement: licence.clone(),
            audit: shared.audit.clone(),
            clock: shared.clock.clone(),
            bus: bus.clone(),
        }));
        bus.subscribe(identity.clone());
        let Shared { store, clock, .. } = shared;
        let usage = Arc::new(UsageReporter::new(UsageReporterDeps {
            reports: store.clone(),
            entitlement: licence.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        }));
        let sessions = Arc::new(Sessions::new(SessionDeps {
            archive: store.clone(),
            runs: runs.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        }));
        let webhooks = Arc::new(Webhooks::new(WebhookDeps {
            store: store.clone(),
            cipher: cipher.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            users: store.clone(),
            agents: agents.clone(),
            runs: runs.clone(),
            sessions: sessions.clone(),
            spawner: Arc::new(TokioSpawner),
            deliveries_per_minute: config.webhook_deliveries_per_minute,
        }));
        let channels = channels(ChannelParts {
            store: &store,
            clock: &clock,
            audit: &audit,
            cipher: &cipher,
            leases: &leases,
            agents: &agents,
            runs: &runs,
            transports: config.transports.clone(),
        });
        let domain_lock = Arc::new(DomainLock::new(store.clone(), clock.clone(), audit.clone()));
        domain_lock.refresh().await.map_err(|e| format!("cannot read the domain lock: {e}"))?;
        let tunnel = Arc::new(pincer_connectors::cloudflared::Tunnel::new(config.cloudflared.clone()));
        let security = Arc::new(SecurityAudit::new(SecurityDeps {
            host: Arc::new(SystemHostProbe::new(config.host.clone(), domain_lock.clone(), tunnel.clone())),
            facts: store.clone(),
            reports: store.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        }));
        let settings = Arc::new(SettingsService::new(store, cipher, clock, audit.clone()));
        Ok(Services {
            tunnel,
            security,
            draining: Arc::new(Draining::default()),
            domain_lock,
            webhooks,
            channels,
            memory,
            database: database.clone(),
            identity,
            settings,
            audit,
            usage,
            licence,
            budgets,
            groups,
            agents,
            providers,
            chat,
            runs,
            sessions,
            connections,
            tools,
            anchor,
            node,
            leases,
            _node_lease: node_lease,
        })
    }

    /// What the HTTP layer serves these services with.
    pub fn app_state(&self, config: HttpConfig) -> AppState {
        AppState {
            identity: self.identity.clone(),
            settings: self.settings.clone(),
            audit: self.audit.clone(),
            usage: self.usage.clone(),
            licence: self.licence.clone(),
            budgets: self.budgets.clone(),
            groups: self.groups.clone(),
            agents: self.agents.clone(),
            providers: self.providers.clone(),
            chat: self.chat.clone(),
            runs: self.runs.clone(),
            sessions: self.sessions.clone(),
            memory: self.memory.clone(),
            webhooks: self.webhooks.clone(),
            channels: self.channels.clone(),
            connections: self.connections.clone(),
            remote: self.tunnel.clone(),
            security: self.security.clone(),
            readiness: Arc::new(DatabaseReadiness(self.database.clone())),
            draining: self.draining.clone(),
            config: HttpConfig { domain_lock: Some(self.domain_lock.clone()), ..config },
        }
    }
}

/// The audit trail, its chain anchored in the secrets folder; pseudonyms from before they were
/// sealed are sealed now.
async fn audit_trail(
    store: &Arc<Database>,
    clock: &Arc<SystemClock>,
    config: &ServiceConfig,
) -> Result<(Arc<AuditService>, Arc<HeadFile>), String> {
    let anchor = Arc::new(HeadFile::open(&config.secrets_dir)?);
    let audit =
        Arc::new(AuditService::new(store.clone(), &config.audit_key, clock.clone()).with_anchor(anchor.clone()));
    match audit.seal_legacy_pseudonyms().await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "sealed the audit pseudonyms from before they were sealed"),
        Err(e) => return Err(format!("cannot seal the audit pseudonyms: {e}")),
    }
    Ok((audit, anchor))
}

/// What [`catalogue`] takes of the configuration.
struct CatalogueConfig {
    documents_dir: PathBuf,
    base_urls: BaseUrls,
    allow_private_urls: bool,
    extra_tools: Vec<Arc<dyn ToolProvider>>,
}

impl ServiceConfig {
    fn catalogue_config(&self) -> CatalogueConfig {
        CatalogueConfig {
            documents_dir: self.documents_dir.clone(),
            base_urls: self.base_urls.clone(),
            allow_private_urls: self.allow_private_urls,
            extra_tools: self.extra_tools.clone(),
        }
    }
}

/// The tools, the agents and the providers.
type Catalogue = (Arc<ToolRegistry>, Arc<AgentService>, Arc<ProviderService>);

/// What decides who sees a restricted agent, and where changes to it are announced.
struct Access {
    licence: Arc<LicenceService>,
    bus: Arc<dyn pincer_core::EventBus>,
    /// Long-term memory: its tools join the registry.
    memory: Arc<MemoryService>,
}

/// The catalogue's services: the tools (the file tools first), the agents, the providers.
fn catalogue(
    shared: &Shared,
    config: CatalogueConfig,
    cipher: Arc<Cipher>,
    access: Access,
) -> Result<Catalogue, String> {
    let Shared { store, clock, audit } = shared;
    let files = FileToolProvider::new(Arc::new(LocalDocuments), config.documents_dir.clone());
    let memory = MemoryToolProvider::new(access.memory.clone());
    let mut families: Vec<Arc<dyn ToolProvider>> = vec![Arc::new(files), Arc::new(memory)];
    families.extend(config.extra_tools);
    let tools = Arc::new(ToolRegistry::new(families)?);
    let agents = Arc::new(AgentService::new(AgentServiceDeps {
        agents: store.clone(),
        providers: store.clone(),
        settings: store.clone(),
        folders: Arc::new(LocalDocumentFolders),
        clock: clock.clone(),
        audit: audit.clone(),
        documents_root: config.documents_dir,
        tools: tools.clone(),
        groups: store.clone(),
        entitlement: access.licence,
        bus: access.bus,
    }));
    let providers = Arc::new(ProviderService::new(ProviderServiceDeps {
        providers: store.clone(),
        agents: store.clone(),
        lister: Arc::new(HttpModelLister::new(PROVIDER_TIMEOUT)),
        cipher,
        clock: clock.clone(),
        audit: audit.clone(),
        base_urls: config.base_urls,
        allow_private_urls: config.allow_private_urls,
    }));
    Ok((tools, agents, providers))
}

/// The chat runtime.
fn chat(
    shared: &Shared,
    catalogue: &Catalogue,
    node: &str,
    leases: &Arc<dyn Leases>,
    budget: Arc<Budgets>,
    memory: Arc<MemoryService>,
) -> Arc<ChatService> {
    let Shared { store, clock, audit } = shared;
    let (tools, agents, providers) = catalogue;
    Arc::new(ChatService::new(ChatServiceDeps {
        agents: agents.clone(),
        providers: providers.clone(),
        conversations: store.clone(),
        usage: store.clone(),
        model: Arc::new(HttpModelClient::default()),
        tools: tools.clone(),
        context: ContextBuilder::new(store.clone(), store.clone()).with_memory(memory),
        hooks: Vec::new(),
        clock: clock.clone(),
        audit: audit.clone(),
        limits: RunLimits::default(),
        node: node.to_string(),
        leases: leases.clone(),
        budget,
    }))
}

/// The licence in force: the environment's or the installed one, read now (a key that is there but
/// refused is logged, and the server runs as the community edition).
async fn licence(
    shared: &Shared,
    cipher: Arc<Cipher>,
    config: &ServiceConfig,
    bus: Arc<dyn pincer_core::EventBus>,
) -> Result<Arc<LicenceService>, String> {
    let Shared { store, clock, audit } = shared;
    let licence = Arc::new(LicenceService::new(LicenceDeps {
        settings: store.clone(),
        users: store.clone(),
        invites: store.clone(),
        cipher,
        keys: config.licence_keys.clone(),
        from_env: config.licence_from_env.clone(),
        clock: clock.clone(),
        audit: audit.clone(),
        bus,
    }));
    match licence.load().await {
        Ok(None) => {}
        Ok(Some(refused)) => {
            tracing::warn!(reason = %refused, "the licence key is not accepted; enterprise features are off")
        }
        Err(e) => return Err(format!("cannot read the licence: {e}")),
    }
    Ok(licence)
}

/// Users, sessions and invites; new accounts get their personal agent from `accounts`, invites
/// stay within the licence's seats (and name groups only with it).
fn identity(
    shared: &Shared,
    accounts: Arc<AgentService>,
    connections: Arc<Connections>,
    bus: Arc<dyn pincer_core::EventBus>,
    licence: Arc<LicenceService>,
) -> Arc<Identity> {
    let Shared { store, clock, audit } = shared;
    Arc::new(Identity::new(IdentityDeps {
        users: store.clone(),
        sessions: store.clone(),
        tokens: store.clone(),
        pairings: store.clone(),
        invites: store.clone(),
        hasher: Arc::new(BlockingPasswordHasher),
        clock: clock.clone(),
        audit: audit.clone(),
        accounts,
        session_watch: connections,
        bus,
        seats: licence.clone(),
        entitlement: licence,
    }))
}

/// Runs live on the async runtime's tasks, apart from whoever started them.
struct TokioSpawner;

impl RunSpawner for TokioSpawner {
    fn spawn(&self, run: pincer_agents::chat::BoxedRun) {
        tokio::spawn(run);
    }
}

/// What the channels are built from.
struct ChannelParts<'a> {
    store: &'a Arc<Database>,
    clock: &'a Arc<SystemClock>,
    audit: &'a Arc<AuditService>,
    cipher: &'a Arc<Cipher>,
    leases: &'a Arc<dyn Leases>,
    agents: &'a Arc<AgentService>,
    runs: &'a Arc<RunCoordinator>,
    transports: Vec<Arc<dyn ChannelTransport>>,
}

/// The channels: pairing codes, the relay, the receivers' supervisor (started by the server), and
/// the service over them.
fn channels(parts: ChannelParts<'_>) -> Arc<Channels> {
    let runtime: Arc<dyn ChannelRuntime> = Arc::new(TokioRuntime);
    let pairings = Arc::new(Pairings::new(parts.store.clone(), parts.clock.clone()));
    let relay = Arc::new(Relay::new(RelayDeps {
        store: parts.store.clone(),
        users: parts.store.clone(),
        agents: parts.agents.clone(),
        runs: parts.runs.clone(),
        pairings: pairings.clone(),
        clock: parts.clock.clone(),
        runtime: runtime.clone(),
    }));
    let supervisor = Arc::new(Supervisor::new(SupervisorDeps {
        store: parts.store.clone(),
        transports: parts.transports.clone(),
        cipher: parts.cipher.clone(),
        leases: parts.leases.clone(),
        runtime,
        relay,
        audit: parts.audit.clone(),
        clock: parts.clock.clone(),
    }));
    Arc::new(Channels::new(ChannelDeps {
        store: parts.store.clone(),
        transports: parts.transports,
        pairings,
        cipher: parts.cipher.clone(),
        audit: parts.audit.clone(),
        clock: parts.clock.clone(),
        agents: parts.agents.clone(),
        supervisor,
    }))
}

/// Channel receivers' tasks and timers on Tokio.
struct TokioRuntime;

impl ChannelRuntime for TokioRuntime {
    fn spawn(&self, task: pincer_agents::chat::BoxedRun) {
        tokio::spawn(task);
    }

    fn sleep(&self, duration: std::time::Duration) -> pincer_agents::chat::BoxedRun {
        Box::pin(tokio::time::sleep(duration))
    }
}

struct DatabaseReadiness(Database);

#[async_trait::async_trait]
impl Readiness for DatabaseReadiness {
    async fn database_ok(&self) -> bool {
        self.0.ping().await.is_ok()
    }
}
