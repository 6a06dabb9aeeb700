//! The agent catalogue: who sees which agent, who may change what, and the personal assistant
//! every account comes with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use pincer_audit::{AuditEvent, AuditSink};
use pincer_core::{AgentId, Capability, Clock, Entitlement, EventBus, Principal, StoreError, UserId};
use pincer_identity::groups::GroupStore;
use pincer_identity::{AccountHook, Setting, SettingStore, User};
use serde_json::json;

use crate::model::{Agent, DataDirectory};
use crate::model_id::ModelId;
use crate::ports::{AgentStore, DocumentFolders, ProviderStore};
use crate::rules;
use crate::tools::ToolRegistry;
use crate::visibility::Visibility;
use crate::{AgentError, paths, template};
use pincer_audit::Actor;

/// The settings key of the organisation context (Markdown shared agents carry).
pub const ORG_CONTEXT_KEY: &str = "org_context";

/// What the agent service is built from.
pub struct AgentServiceDeps {
    /// The agents.
    pub agents: Arc<dyn AgentStore>,
    /// The providers (for the default model).
    pub providers: Arc<dyn ProviderStore>,
    /// Settings (the organisation context).
    pub settings: Arc<dyn SettingStore>,
    /// The folders that can be granted.
    pub folders: Arc<dyn DocumentFolders>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where every change is recorded.
    pub audit: Arc<dyn AuditSink>,
    /// The root of every folder an agent may be granted (`PINCER_DOCUMENTS_DIR`).
    pub documents_root: PathBuf,
    /// The tools an agent may be granted; a grant of anything else is refused.
    pub tools: Arc<ToolRegistry>,
    /// Users' groups (who sees a restricted agent).
    pub groups: Arc<dyn GroupStore>,
    /// Whether restrictions apply (the enterprise licence).
    pub entitlement: Arc<dyn Entitlement>,
    /// Where a change of who may see an agent is announced (open sockets re-check).
    pub bus: Arc<dyn EventBus>,
}

/// What an admin asks for when creating an agent; the template fills what is not given.
#[derive(Debug, Default)]
pub struct NewAgent {
    /// The name.
    pub name: String,
    /// The template it starts from.
    pub template_id: String,
    /// Its model (`provider/model`); the default provider's when absent.
    pub model: Option<String>,
    /// Its greeting; the template's when absent.
    pub greeting: Option<String>,
    /// Its instructions; the template's when absent.
    pub instructions: Option<String>,
    /// Its tagline.
    pub tagline: Option<String>,
    /// Its starter prompts.
    pub starter_prompts: Option<Vec<String>>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AgentChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new model.
    pub model: Option<String>,
    /// The tools it is granted (admins).
    pub allowed_tools: Option<Vec<String>>,
    /// `pluginConfig.allowed_paths`.
    pub allowed_paths: Option<Vec<String>>,
    /// A new greeting.
    pub greeting: Option<String>,
    /// New instructions.
    pub instructions: Option<String>,
    /// A new tagline.
    pub tagline: Option<String>,
    /// New starter prompts.
    pub starter_prompts: Option<Vec<String>>,
    /// `all` or `restricted` (admins, shared agents, enterprise).
    pub visibility: Option<String>,
    /// The groups that see it when restricted (admins, shared agents, enterprise).
    pub group_ids: Option<Vec<String>>,
}

impl AgentChanges {
    fn touches_permissions(&self) -> bool {
        self.allowed_tools.is_some() || self.allowed_paths.is_some()
    }

    fn touches_visibility(&self) -> bool {
        self.visibility.is_some() || self.group_ids.is_some()
    }

    /// The wire names of the fields this update sets, for the audit trail.
    fn field_names(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("model", self.model.is_some()),
            ("allowedTools", self.allowed_tools.is_some()),
            ("pluginConfig", self.allowed_paths.is_some()),
            ("greeting", self.greeting.is_some()),
            ("instructions", self.instructions.is_some()),
            ("tagline", self.tagline.is_some()),
            ("starterPrompts", self.starter_prompts.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// Agents: the catalogue's rules (see the module notes).
pub struct AgentService {
    pub(super) deps: AgentServiceDeps,
}

fn invalid(message: impl Into<String>) -> AgentError {
    AgentError::InvalidInput(message.into())
}

impl AgentService {
    /// The service over its dependencies.
    pub fn new(deps: AgentServiceDeps) -> Self {
        Self { deps }
    }

    /// The agents the caller may see, oldest first. A caller whose personal agent is missing (an
    /// account older than agents, or a failed provisioning) gets it here.
    pub async fn list(&self, principal: &Principal) -> Result<Vec<Agent>, AgentError> {
        let mut agents = self.deps.agents.list_live(principal.user_id).await?;
        self.narrow(principal, &mut agents).await?;
        if !agents.iter().any(|a| a.personal_owner == Some(principal.user_id)) {
            agents.push(self.ensure_personal(principal.user_id).await?);
        }
        Ok(agents)
    }

    /// One agent, if the caller may see it; otherwise `AgentNotFound`, exactly like an unknown id.
    pub async fn get(&self, principal: &Principal, id: AgentId) -> Result<Agent, AgentError> {
        match self.deps.agents.get(id).await? {
            Some(agent) if self.may_see(principal, &agent).await? => Ok(agent),
            _ => Err(AgentError::AgentNotFound),
        }
    }

    /// Creates a shared agent from a template (admins only).
    pub async fn create(&self, principal: &Principal, req: NewAgent) -> Result<Agent, AgentError> {
        principal.require(Capability::ManageAgents)?;
        let name = rules::agent_name(&req.name).map_err(invalid)?;
        let template = template::find(req.template_id.trim())
            .ok_or_else(|| invalid("templateId must be one of knowledge-base, custom"))?;
        let model = match req.model {
            Some(model) => Some(self.checked_model(&model).await?),
            None => self.default_model().await?,
        };
        let now = self.deps.clock.now();
        let mut agent = Agent {
            id: AgentId::new(),
            name,
            model,
            template_id: template.id.to_string(),
            allowed_tools: template.default_tools.iter().map(|t| t.to_string()).collect(),
            allowed_paths: Vec::new(),
            personal_owner: None,
            created_by: Some(principal.user_id),
            greeting: template.greeting.to_string(),
            instructions: template.instructions.to_string(),
            tagline: template.description.to_string(),
            starter_prompts: Vec::new(),
            visibility: Visibility::All,
            group_ids: Vec::new(),
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        apply_texts(
            &mut agent,
            AgentChanges {
                greeting: req.greeting,
                instructions: req.instructions,
                tagline: req.tagline,
                starter_prompts: req.starter_prompts,
                ..AgentChanges::default()
            },
        )?;
        self.deps.agents.insert(&agent).await?;
        self.deps
            .audit
            .record(
                AuditEvent::new(Actor::of(principal), "agent.created")
                    .resource(format!("agent:{}", agent.id))
                    .detail(json!({"name": agent.name, "templateId": agent.template_id, "model": agent.model})),
            )
            .await;
        Ok(agent)
    }

    /// Applies a partial update. Only admins change permissions (`allowedTools`, `pluginConfig`)
    /// and shared agents; a personal agent's permissions never change; its owner may change the
    /// rest of it.
    pub async fn update(&self, principal: &Principal, id: AgentId, changes: AgentChanges) -> Result<Agent, AgentError> {
        let mut agent = self.get(principal, id).await?;
        if changes.touches_permissions() || changes.touches_visibility() || !agent.is_personal() {
            principal.require(Capability::ManageAgents)?;
        }
        if agent.is_personal() && changes.touches_permissions() {
            return Err(AgentError::PersonalAgentPermissions);
        }
        let fields = changes.field_names();
        if fields.is_empty() && !changes.touches_visibility() {
            return Ok(agent);
        }
        let visibility_changed = self.apply_visibility(&mut agent, &changes).await?;
        let mut detail = json!({"fields": fields});
        if let Some(name) = &changes.name {
            agent.name = rules::agent_name(name).map_err(invalid)?;
        }
        if let Some(model) = &changes.model {
            agent.model = Some(self.checked_model(model).await?);
            detail["model"] = json!(agent.model);
        }
        if let Some(tools) = &changes.allowed_tools {
            agent.allowed_tools = self.deps.tools.checked_grants(tools).await.map_err(invalid)?;
            detail["allowedTools"] = json!(agent.allowed_tools);
        }
        if let Some(raw_paths) = &changes.allowed_paths {
            agent.allowed_paths = self.checked_paths(raw_paths)?;
            self.refuse_folders_leading_outside(&agent.allowed_paths).await?;
            detail["allowedPaths"] = json!(agent.allowed_paths);
        }
        apply_texts(&mut agent, changes)?;
        agent.updated_at = self.deps.clock.now();
        self.deps.agents.update(&agent).await.map_err(|e| match e {
            // A group deleted since it was named.
            StoreError::Conflict(pincer_core::Rule::ForeignKey) => AgentError::UnknownGroup,
            other => other.into(),
        })?;
        if !fields.is_empty() {
            let event = AuditEvent::new(Actor::of(principal), "agent.updated").resource(format!("agent:{id}"));
            self.deps.audit.record(event.detail(detail)).await;
        }
        if visibility_changed {
            self.visibility_changed(principal, &agent).await;
        }
        Ok(agent)
    }

    /// Soft-deletes a shared agent (admins only).
    pub async fn delete(&self, principal: &Principal, id: AgentId) -> Result<(), AgentError> {
        principal.require(Capability::ManageAgents)?;
        let agent = self.get(principal, id).await?;
        if agent.is_personal() {
            return Err(AgentError::PersonalAgentDelete);
        }
        self.deps.agents.soft_delete(id, self.deps.clock.now()).await?;
        self.deps
            .audit
            .record(
                AuditEvent::new(Actor::of(principal), "agent.deleted")
                    .resource(format!("agent:{id}"))
                    .detail(json!({"name": agent.name})),
            )
            .await;
        Ok(())
    }

    /// The user's personal agent, created if it does not exist yet (idempotent, race-safe: the
    /// store allows one live personal agent per user).
    pub async fn ensure_personal(&self, user: UserId) -> Result<Agent, AgentError> {
        if let Some(existing) = self.personal_of(user).await? {
            return Ok(existing);
        }
        let now = self.deps.clock.now();
        let agent = Agent {
            id: AgentId::new(),
            name: rules::PERSONAL_AGENT_NAME.to_string(),
            model: self.default_model().await?,
            template_id: "custom".to_string(),
            allowed_tools: Vec::new(),
            allowed_paths: Vec::new(),
            personal_owner: Some(user),
            created_by: Some(user),
            greeting: rules::PERSONAL_AGENT_GREETING.to_string(),
            instructions: rules::PERSONAL_AGENT_INSTRUCTIONS.to_string(),
            tagline: "Your personal assistant".to_string(),
            starter_prompts: Vec::new(),
            visibility: Visibility::All,
            group_ids: Vec::new(),
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        match self.deps.agents.insert(&agent).await {
            Ok(()) => {
                self.deps
                    .audit
                    .record(
                        AuditEvent::new(pincer_audit::Actor::System, "agent.created")
                            .resource(format!("agent:{}", agent.id))
                            .detail(json!({"name": agent.name, "personal": true, "owner": user.to_string()})),
                    )
                    .await;
                Ok(agent)
            }
            // A concurrent request created it first.
            Err(StoreError::Conflict(pincer_core::Rule::PersonalAgent)) => {
                self.personal_of(user).await?.ok_or(AgentError::Unavailable)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn personal_of(&self, user: UserId) -> Result<Option<Agent>, AgentError> {
        Ok(self.deps.agents.list_live(user).await?.into_iter().find(|a| a.personal_owner == Some(user)))
    }

    /// The organisation context (admins only); empty when never set.
    pub async fn org_context(&self, principal: &Principal) -> Result<String, AgentError> {
        principal.require(Capability::ManageAgents)?;
        Ok(self.deps.settings.get(ORG_CONTEXT_KEY).await?.map(|s| s.value).unwrap_or_default())
    }

    /// Replaces the organisation context every shared agent gets (admins).
    pub async fn set_org_context(&self, principal: &Principal, content: &str) -> Result<(), AgentError> {
        principal.require(Capability::ManageAgents)?;
        rules::bounded("content", content, rules::MAX_MARKDOWN_CHARS).map_err(invalid)?;
        let setting = Setting {
            key: ORG_CONTEXT_KEY.to_string(),
            value: content.to_string(),
            encrypted: false,
            updated_at: self.deps.clock.now(),
        };
        self.deps.settings.upsert(&setting).await?;
        self.deps
            .audit
            .record(
                AuditEvent::new(Actor::of(principal), "settings.updated")
                    .resource(format!("setting:{ORG_CONTEXT_KEY}"))
                    .detail(json!({"key": ORG_CONTEXT_KEY, "chars": content.chars().count()})),
            )
            .await;
        Ok(())
    }

    /// The folders under the documents root an admin can grant (hidden ones excluded).
    pub async fn data_directories(&self, principal: &Principal) -> Result<Vec<DataDirectory>, AgentError> {
        principal.require(Capability::ManageAgents)?;
        let root = &self.deps.documents_root;
        let mut names = self.deps.folders.folder_names(root).await?;
        names.retain(|n| !n.starts_with('.'));
        names.sort();
        Ok(names
            .into_iter()
            .map(|name| DataDirectory { path: root.join(&name).to_string_lossy().into_owned(), name })
            .collect())
    }

    /// The default provider's default model, as new agents get it; `None` without providers.
    async fn default_model(&self) -> Result<Option<String>, AgentError> {
        let providers = self.deps.providers.list().await?;
        Ok(providers.iter().find(|p| p.is_default).or(providers.first()).and_then(|p| p.default_model_id()))
    }

    /// A `provider/model` id whose provider is configured.
    async fn checked_model(&self, raw: &str) -> Result<String, AgentError> {
        let id = ModelId::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
        if self.deps.providers.get(&id.provider).await?.is_none() {
            return Err(invalid(format!("provider {} is not configured", id.provider)));
        }
        Ok(id.to_string())
    }

    /// A folder under the root that is a symlink to elsewhere (`/data/hr` → `/etc`) would give
    /// the agent that elsewhere: refused at grant time (the tools check again at use time).
    async fn refuse_folders_leading_outside(&self, folders: &[String]) -> Result<(), AgentError> {
        for folder in folders {
            if self.deps.folders.leads_outside(&self.deps.documents_root, Path::new(folder)).await? {
                return Err(invalid(format!("allowed_paths: {folder} leads outside the documents root")));
            }
        }
        Ok(())
    }

    fn checked_paths(&self, raw: &[String]) -> Result<Vec<String>, AgentError> {
        if raw.len() > rules::MAX_ALLOWED_PATHS {
            return Err(invalid(format!("at most {} folders can be granted", rules::MAX_ALLOWED_PATHS)));
        }
        let mut out: Vec<String> = Vec::with_capacity(raw.len());
        for path in raw {
            let normal = paths::grantable_folder(&self.deps.documents_root, path)
                .map_err(|e| invalid(format!("allowed_paths: {e}")))?;
            let normal = normal.to_string_lossy().into_owned();
            if !out.contains(&normal) {
                out.push(normal);
            }
        }
        Ok(out)
    }
}

/// Checks and applies the free-text fields of a change.
fn apply_texts(agent: &mut Agent, changes: AgentChanges) -> Result<(), AgentError> {
    if let Some(greeting) = changes.greeting {
        rules::bounded("greeting", &greeting, rules::MAX_GREETING_CHARS).map_err(invalid)?;
        agent.greeting = greeting;
    }
    if let Some(instructions) = changes.instructions {
        rules::bounded("instructions", &instructions, rules::MAX_MARKDOWN_CHARS).map_err(invalid)?;
        agent.instructions = instructions;
    }
    if let Some(tagline) = changes.tagline {
        rules::bounded("tagline", &tagline, rules::MAX_TAGLINE_CHARS).map_err(invalid)?;
        agent.tagline = tagline.trim().to_string();
    }
    if let Some(prompts) = changes.starter_prompts {
        if prompts.len() > rules::MAX_STARTER_PROMPTS {
            return Err(invalid(format!("at most {} starter prompts", rules::MAX_STARTER_PROMPTS)));
        }
        for prompt in &prompts {
            if prompt.trim().is_empty() {
                return Err(invalid("starter prompts must not be empty"));
            }
            rules::bounded("a starter prompt", prompt, rules::MAX_STARTER_PROMPT_CHARS).map_err(invalid)?;
        }
        agent.starter_prompts = prompts.into_iter().map(|p| p.trim().to_string()).collect();
    }
    Ok(())
}

/// New accounts get their personal agent at once. A failure here is repaired by [`AgentService::list`].
#[async_trait]
impl AccountHook for AgentService {
    async fn account_created(&self, user: &User) {
        let _ = self.ensure_personal(user.id).await;
    }
}
