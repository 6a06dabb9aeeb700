//! In-memory implementations of store ports, for fast unit-level tests of service rules. They
//! keep the contracts the SQLite and PostgreSQL stores keep — the same contract suites
//! (`crates/store/tests/it`) run against them — including the constraints a database would
//! enforce (unique emails and token hashes, a session's user must exist) and the atomicity of
//! the multi-step writes (one lock around each call, so a refused claim changes nothing).
//!
//! So far: the identity ports (`UserStore`, `SessionStore`, `InviteStore`, `SettingStore`) and
//! the catalogue's (`AgentStore`, `ProviderStore`) and the conversations (`ConversationStore`)
//! the audit trail (`AuditStore`, audit.rs) and the usage ledger (`UsageStore`, `UsageReports`,
//! usage.rs) as one [`MemoryStores`], sharing users, agents and chats the way the tables share
//! them.

mod api_tokens;
mod audit;
mod groups;
mod memories;
mod sessions;
mod usage;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use pincer_agents::chat::{Chat, ConversationStore, Message, MessageStatus, NewTurn, ToolStep};
use pincer_agents::visibility::AgentScope;
use pincer_agents::{Agent, AgentStore, Provider, ProviderStore, RemovalPlan, RemovalRefused, RemovalRule};
use pincer_core::{
    AgentId, ChatId, InviteId, MessageId, Page, PageRequest, PairingId, Role, Rule, SessionId, StoreError, Timestamp,
    UserId,
};
use pincer_identity::pairing::{Pairing, PairingStore};
use pincer_identity::{Invite, InviteKind, InviteStore, Session, SessionStore, Setting, SettingStore, User, UserStore};
use pincer_usage::UsageRecord;

#[derive(Default)]
struct Tables {
    users: Vec<User>,
    sessions: Vec<Session>,
    api_tokens: Vec<pincer_identity::ApiToken>,
    invites: Vec<Invite>,
    settings: HashMap<String, Setting>,
    agents: Vec<Agent>,
    providers: Vec<Provider>,
    pairings: Vec<Pairing>,
    chats: Vec<Chat>,
    memories: Vec<pincer_agents::memory::MemoryEntry>,
    memory_settings: HashMap<UserId, pincer_agents::memory::MemorySettings>,
    /// Chat titles (`chats.title`), set by the first turn or by the user.
    chat_titles: HashMap<ChatId, String>,
    /// The channel each chat came through (`chats.channel`), set by its first turn.
    chat_channels: HashMap<ChatId, &'static str>,
    /// Every message with its place in its chat and the node streaming it.
    messages: Vec<Stored>,
    audit: audit::AuditTables,
    /// The usage ledger, counts saturated as a BIGINT column keeps them.
    usage: Vec<UsageRecord>,
    budgets: Vec<pincer_usage::budget::Budget>,
    groups: Vec<pincer_identity::groups::Group>,
    group_members: Vec<(pincer_core::GroupId, UserId)>,
}

/// A message as the `messages` table keeps it.
#[derive(Clone)]
struct Stored {
    message: Message,
    seq: i64,
    node: Option<String>,
}

impl Tables {
    fn user_mut(&mut self, id: UserId) -> Result<&mut User, StoreError> {
        self.users.iter_mut().find(|u| u.id == id).ok_or(StoreError::NotFound)
    }

    /// The checks an insert into `users` meets: the primary key, then the unique email.
    fn check_new_user(&self, user: &User) -> Result<(), StoreError> {
        if self.users.iter().any(|u| u.id == user.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        if self.users.iter().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict(Rule::Email));
        }
        Ok(())
    }

    /// Whether an admin who is not banned remains besides `except`.
    fn another_active_admin(&self, except: UserId) -> bool {
        self.users.iter().any(|u| u.id != except && u.role == Role::Admin && !u.banned)
    }

    fn find_chat(&self, user: UserId, agent: AgentId, key: &str) -> Option<Chat> {
        self.chats.iter().find(|c| c.user_id == user && c.agent_id == agent && c.key == key).cloned()
    }

    /// The chat of this key, inserted if it does not exist (its user and agent must).
    fn chat(&mut self, user: UserId, agent: AgentId, key: &str, now: Timestamp) -> Result<Chat, StoreError> {
        if let Some(chat) = self.find_chat(user, agent, key) {
            return Ok(chat);
        }
        if !self.users.iter().any(|u| u.id == user) || !self.agents.iter().any(|a| a.id == agent) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        let chat = Chat {
            id: ChatId::new(),
            user_id: user,
            agent_id: agent,
            key: key.to_string(),
            created_at: now,
            updated_at: now,
        };
        self.chats.push(chat.clone());
        Ok(chat)
    }

    /// Whether `message` could be appended: a new id, a known chat, an unused client id.
    fn check_append(&self, message: &Message) -> Result<(), StoreError> {
        if self.messages.iter().any(|m| m.message.id == message.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        if !self.chats.iter().any(|c| c.id == message.chat_id) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        let reused = message.client_message_id.is_some()
            && self.messages.iter().any(|m| {
                m.message.chat_id == message.chat_id && m.message.client_message_id == message.client_message_id
            });
        if reused {
            return Err(StoreError::Conflict(Rule::ClientMessageId));
        }
        Ok(())
    }

    /// Appends a checked message at the end of its chat and bumps the chat.
    fn append(&mut self, message: Message, node: Option<String>) {
        let seq = self.messages.iter().filter(|m| m.message.chat_id == message.chat_id).map(|m| m.seq).max();
        if let Some(chat) = self.chats.iter_mut().find(|c| c.id == message.chat_id) {
            chat.updated_at = message.created_at;
        }
        self.messages.push(Stored { seq: seq.unwrap_or(0) + 1, message, node });
    }

    /// The newest `limit` messages of a chat, oldest first.
    fn recent(&self, chat: ChatId, limit: u32) -> Vec<Message> {
        let mut theirs: Vec<&Stored> = self.messages.iter().filter(|m| m.message.chat_id == chat).collect();
        theirs.sort_by_key(|m| std::cmp::Reverse(m.seq));
        theirs.truncate(limit as usize);
        theirs.into_iter().rev().map(|m| m.message.clone()).collect()
    }

    /// The unused, unexpired link of this kind, or `Conflict(Rule::InviteUsed)`.
    fn claimable(&mut self, id: InviteId, kind: InviteKind, now: Timestamp) -> Result<&mut Invite, StoreError> {
        self.invites
            .iter_mut()
            .find(|i| i.id == id && i.kind == kind && i.used_at.is_none() && i.expires_at > now)
            .ok_or(StoreError::Conflict(Rule::InviteUsed))
    }
}

/// The identity and catalogue stores in memory.
#[derive(Default)]
pub struct MemoryStores {
    tables: Mutex<Tables>,
}

impl MemoryStores {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A test that panicked while holding the lock has failed already; go on with the data.
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl UserStore for MemoryStores {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.check_new_user(user)?;
        tables.users.push(user.clone());
        Ok(())
    }

    async fn insert_first_admin(&self, user: &User) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.users.iter().any(|u| u.role == Role::Admin) {
            return Err(StoreError::Conflict(Rule::SetupComplete));
        }
        tables.check_new_user(user)?;
        tables.users.push(user.clone());
        Ok(())
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.tables().users.iter().find(|u| u.id == id).cloned())
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(self.tables().users.iter().find(|u| u.email == email).cloned())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>, StoreError> {
        let mut users = self.tables().users.clone();
        users.sort_by_key(|u| (u.created_at, u.id));
        let total = i64::try_from(users.len()).unwrap_or(i64::MAX);
        let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let items = users.into_iter().skip(offset).take(page.limit as usize).collect();
        Ok(Page { items, total })
    }

    async fn any_admin(&self) -> Result<bool, StoreError> {
        Ok(self.tables().users.iter().any(|u| u.role == Role::Admin))
    }

    async fn count_active(&self) -> Result<u64, StoreError> {
        Ok(self.tables().users.iter().filter(|u| !u.banned).count() as u64)
    }

    async fn set_role(&self, id: UserId, role: Role, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let user = tables.user_mut(id)?;
        let demotes_an_active_admin = user.role == Role::Admin && !user.banned && role != Role::Admin;
        if demotes_an_active_admin && !tables.another_active_admin(id) {
            return Err(StoreError::Conflict(Rule::LastAdmin));
        }
        let user = tables.user_mut(id)?;
        user.role = role;
        user.updated_at = now;
        Ok(())
    }

    async fn set_banned(&self, id: UserId, banned: bool, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let user = tables.user_mut(id)?;
        let bans_an_active_admin = banned && user.role == Role::Admin && !user.banned;
        if bans_an_active_admin && !tables.another_active_admin(id) {
            return Err(StoreError::Conflict(Rule::LastAdmin));
        }
        let user = tables.user_mut(id)?;
        user.banned = banned;
        user.updated_at = now;
        Ok(())
    }

    async fn set_name(&self, id: UserId, name: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let user = tables.user_mut(id)?;
        user.name = name.to_string();
        user.updated_at = now;
        Ok(())
    }

    async fn set_context(&self, id: UserId, context: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let user = tables.user_mut(id)?;
        user.context = context.to_string();
        user.updated_at = now;
        Ok(())
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let user = tables.user_mut(id)?;
        user.password_hash = hash.to_string();
        user.updated_at = now;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for MemoryStores {
    async fn insert(&self, session: &Session) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.sessions.iter().any(|s| s.token_hash == session.token_hash) {
            return Err(StoreError::Conflict(Rule::TokenHash));
        }
        if !tables.users.iter().any(|u| u.id == session.user_id) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        tables.sessions.push(session.clone());
        Ok(())
    }

    async fn find_active(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>, StoreError> {
        let tables = self.tables();
        let Some(session) = tables.sessions.iter().find(|s| s.token_hash == token_hash && s.expires_at > now) else {
            return Ok(None);
        };
        Ok(tables.users.iter().find(|u| u.id == session.user_id).map(|u| (session.clone(), u.clone())))
    }

    async fn delete(&self, id: SessionId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let before = tables.sessions.len();
        tables.sessions.retain(|s| s.id != id);
        Ok(tables.sessions.len() < before)
    }

    async fn trim_for_user(&self, user_id: UserId, keep_newest: usize) -> Result<Vec<SessionId>, StoreError> {
        let mut tables = self.tables();
        let mut theirs: Vec<(Timestamp, SessionId)> =
            tables.sessions.iter().filter(|s| s.user_id == user_id).map(|s| (s.created_at, s.id)).collect();
        // Newest first; the ones past `keep_newest` go.
        theirs.sort_by(|a, b| b.cmp(a));
        let evicted: Vec<SessionId> = theirs.into_iter().skip(keep_newest).map(|(_, id)| id).collect();
        tables.sessions.retain(|s| !evicted.contains(&s.id));
        Ok(evicted)
    }

    async fn delete_for_user(&self, user_id: UserId, keep: Option<SessionId>) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let before = tables.sessions.len();
        tables.sessions.retain(|s| s.user_id != user_id || Some(s.id) == keep);
        Ok((before - tables.sessions.len()) as u64)
    }

    async fn delete_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let before = tables.sessions.len();
        tables.sessions.retain(|s| s.expires_at > now);
        Ok((before - tables.sessions.len()) as u64)
    }
}

#[async_trait]
impl InviteStore for MemoryStores {
    async fn insert(&self, invite: &Invite) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.invites.iter().any(|i| i.token_hash == invite.token_hash) {
            return Err(StoreError::Conflict(Rule::TokenHash));
        }
        if invite.group_ids.iter().any(|g| !tables.groups.iter().any(|x| x.id == *g)) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        tables.invites.push(invite.clone());
        Ok(())
    }

    async fn list(&self) -> Result<Vec<Invite>, StoreError> {
        let mut invites = self.tables().invites.clone();
        invites.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
        Ok(invites)
    }

    async fn find_by_token_hash(&self, token_hash: &str) -> Result<Option<Invite>, StoreError> {
        Ok(self.tables().invites.iter().find(|i| i.token_hash == token_hash).cloned())
    }

    async fn delete(&self, id: InviteId) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let position =
            tables.invites.iter().position(|i| i.id == id && i.used_at.is_none()).ok_or(StoreError::NotFound)?;
        tables.invites.remove(position);
        Ok(())
    }

    async fn claim_for_new_user(&self, id: InviteId, now: Timestamp, user: &User) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.claimable(id, InviteKind::Invite, now)?;
        tables.check_new_user(user)?;
        let invite = tables.claimable(id, InviteKind::Invite, now)?;
        invite.used_at = Some(now);
        let groups = invite.group_ids.clone();
        tables.users.push(user.clone());
        tables.group_members.extend(groups.into_iter().map(|g| (g, user.id)));
        Ok(())
    }

    async fn claim_for_reset(
        &self,
        id: InviteId,
        now: Timestamp,
        user_id: UserId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.claimable(id, InviteKind::Reset, now)?;
        tables.user_mut(user_id)?;
        tables.claimable(id, InviteKind::Reset, now)?.used_at = Some(now);
        let user = tables.user_mut(user_id)?;
        user.password_hash = hash.to_string();
        user.updated_at = now;
        tables.sessions.retain(|s| s.user_id != user_id);
        Ok(())
    }
}

#[async_trait]
impl SettingStore for MemoryStores {
    async fn list(&self) -> Result<Vec<Setting>, StoreError> {
        let mut settings: Vec<Setting> = self.tables().settings.values().cloned().collect();
        settings.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(settings)
    }

    async fn get(&self, key: &str) -> Result<Option<Setting>, StoreError> {
        Ok(self.tables().settings.get(key).cloned())
    }

    async fn upsert(&self, setting: &Setting) -> Result<(), StoreError> {
        self.tables().settings.insert(setting.key.clone(), setting.clone());
        Ok(())
    }
}

#[async_trait]
impl AgentStore for MemoryStores {
    async fn insert(&self, agent: &Agent) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.agents.iter().any(|a| a.id == agent.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        for user in [agent.personal_owner, agent.created_by].into_iter().flatten() {
            if !tables.users.iter().any(|u| u.id == user) {
                return Err(StoreError::Conflict(Rule::ForeignKey));
            }
        }
        // One live personal agent per owner (an agent inserted deleted is not live).
        if let (Some(owner), None) = (agent.personal_owner, agent.deleted_at)
            && tables.agents.iter().any(|a| a.personal_owner == Some(owner) && a.deleted_at.is_none())
        {
            return Err(StoreError::Conflict(Rule::PersonalAgent));
        }
        tables.agents.push(agent.clone());
        Ok(())
    }

    async fn get(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        Ok(self.tables().agents.iter().find(|a| a.id == id).cloned())
    }

    async fn list_live(&self, viewer: UserId) -> Result<Vec<Agent>, StoreError> {
        let scope = AgentScope::unrestricted(viewer);
        let mut visible: Vec<Agent> =
            self.tables().agents.iter().filter(|a| scope.admits(a.access())).cloned().collect();
        visible.sort_by_key(|a| (a.created_at, a.id));
        Ok(visible)
    }

    async fn update(&self, agent: &Agent) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let groups_exist = agent.group_ids.iter().all(|g| tables.groups.iter().any(|x| x.id == *g));
        let live = tables
            .agents
            .iter_mut()
            .find(|a| a.id == agent.id && a.deleted_at.is_none())
            .ok_or(StoreError::NotFound)?;
        if !groups_exist {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        // Owner, creator, creation and deletion are not changed by an update.
        *live = Agent {
            personal_owner: live.personal_owner,
            created_by: live.created_by,
            created_at: live.created_at,
            deleted_at: None,
            ..agent.clone()
        };
        Ok(())
    }

    async fn soft_delete(&self, id: AgentId, now: Timestamp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let live =
            tables.agents.iter_mut().find(|a| a.id == id && a.deleted_at.is_none()).ok_or(StoreError::NotFound)?;
        live.deleted_at = Some(now);
        live.updated_at = now;
        Ok(())
    }

    async fn assign_model_where_missing(&self, model: &str, now: Timestamp) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let mut changed = 0;
        for agent in tables.agents.iter_mut().filter(|a| a.deleted_at.is_none() && a.model.is_none()) {
            agent.model = Some(model.to_string());
            agent.updated_at = now;
            changed += 1;
        }
        Ok(changed)
    }
}

#[async_trait]
impl ProviderStore for MemoryStores {
    async fn list(&self) -> Result<Vec<Provider>, StoreError> {
        let mut providers = self.tables().providers.clone();
        providers.sort_by(|a, b| (a.created_at, &a.name).cmp(&(b.created_at, &b.name)));
        Ok(providers)
    }

    async fn get(&self, name: &str) -> Result<Option<Provider>, StoreError> {
        Ok(self.tables().providers.iter().find(|p| p.name == name).cloned())
    }

    async fn upsert(&self, provider: &Provider) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if provider.is_default {
            for other in tables.providers.iter_mut() {
                other.is_default = false;
            }
        }
        match tables.providers.iter_mut().find(|p| p.name == provider.name) {
            Some(existing) => *existing = Provider { created_at: existing.created_at, ..provider.clone() },
            None => tables.providers.push(provider.clone()),
        }
        Ok(())
    }

    async fn remove(&self, name: &str, now: Timestamp, rule: RemovalRule) -> Result<(RemovalPlan, u64), StoreError> {
        let mut tables = self.tables();
        let mut remaining = tables.providers.clone();
        remaining.sort_by(|a, b| (a.created_at, &a.name).cmp(&(b.created_at, &b.name)));
        let position = remaining.iter().position(|p| p.name == name).ok_or(StoreError::NotFound)?;
        let removed = remaining.remove(position);
        let plan = rule(&removed, &remaining).map_err(|refused| match refused {
            RemovalRefused::LastProvider => StoreError::Conflict(Rule::LastProvider),
        })?;
        tables.providers.retain(|p| p.name != name);
        if let Some(new_default) = &plan.new_default {
            for provider in tables.providers.iter_mut() {
                provider.is_default = provider.name == *new_default;
            }
        }
        let prefix = format!("{name}/");
        let mut moved = 0;
        for agent in tables.agents.iter_mut().filter(|a| a.deleted_at.is_none()) {
            if agent.model.as_deref().is_some_and(|m| m.starts_with(&prefix)) {
                agent.model = plan.replacement_model.clone();
                agent.updated_at = now;
                moved += 1;
            }
        }
        Ok((plan, moved))
    }
}

#[async_trait]
impl ConversationStore for MemoryStores {
    async fn chat(&self, user: UserId, agent: AgentId, key: &str, now: Timestamp) -> Result<Chat, StoreError> {
        self.tables().chat(user, agent, key, now)
    }

    async fn open_turn(&self, turn: &mut NewTurn, history_limit: u32) -> Result<(Chat, Vec<Message>), StoreError> {
        let mut tables = self.tables();
        let existed = tables.find_chat(turn.user, turn.agent, &turn.key).is_some();
        let chat = tables.chat(turn.user, turn.agent, &turn.key, turn.now)?;
        turn.user_message.chat_id = chat.id;
        turn.assistant.chat_id = chat.id;
        // All or nothing: a refused message leaves no chat behind either.
        let checked = tables.check_append(&turn.user_message).and_then(|()| {
            if turn.assistant.id == turn.user_message.id {
                return Err(StoreError::Conflict(Rule::Id));
            }
            tables.check_append(&turn.assistant)
        });
        if let Err(e) = checked {
            if !existed {
                tables.chats.retain(|c| c.id != chat.id);
            }
            return Err(e);
        }
        let history = tables.recent(chat.id, history_limit);
        if history.is_empty() {
            let title = tables.chat_titles.entry(chat.id).or_default();
            if title.is_empty() {
                title.clone_from(&turn.title);
            }
            tables.chat_channels.insert(chat.id, turn.channel);
        }
        tables.append(turn.user_message.clone(), None);
        tables.append(turn.assistant.clone(), Some(turn.node.clone()));
        let chat = tables.find_chat(turn.user, turn.agent, &turn.key).unwrap_or(chat);
        Ok((chat, history))
    }

    async fn find_chat(&self, user: UserId, agent: AgentId, key: &str) -> Result<Option<Chat>, StoreError> {
        Ok(self.tables().find_chat(user, agent, key))
    }

    async fn insert_message(&self, message: &Message) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.check_append(message)?;
        tables.append(message.clone(), None);
        Ok(())
    }

    async fn update_message(
        &self,
        id: MessageId,
        content: &str,
        status: MessageStatus,
        steps: &[ToolStep],
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let stored = tables.messages.iter_mut().find(|m| m.message.id == id).ok_or(StoreError::NotFound)?;
        let message = &mut stored.message;
        message.content = content.to_string();
        message.status = status;
        message.steps = steps.to_vec();
        message.error = error.map(str::to_string);
        message.updated_at = now;
        Ok(())
    }

    async fn recent_messages(&self, chat: ChatId, limit: u32) -> Result<Vec<Message>, StoreError> {
        Ok(self.tables().recent(chat, limit))
    }

    async fn streaming_nodes(&self) -> Result<Vec<Option<String>>, StoreError> {
        let mut nodes: Vec<Option<String>> = Vec::new();
        for stored in self.tables().messages.iter().filter(|m| m.message.status == MessageStatus::Streaming) {
            if !nodes.contains(&stored.node) {
                nodes.push(stored.node.clone());
            }
        }
        Ok(nodes)
    }

    async fn interrupt_streaming(&self, node: Option<&str>, now: Timestamp) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let mut interrupted = 0;
        for stored in tables.messages.iter_mut() {
            if stored.message.status == MessageStatus::Streaming && stored.node.as_deref() == node {
                stored.message.status = MessageStatus::Interrupted;
                stored.message.updated_at = now;
                interrupted += 1;
            }
        }
        Ok(interrupted)
    }
}

#[async_trait]
impl PairingStore for MemoryStores {
    async fn insert(&self, pairing: &Pairing) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.pairings.iter().any(|p| p.id == pairing.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        if tables.pairings.iter().any(|p| p.code_hash == pairing.code_hash) {
            return Err(StoreError::Conflict(Rule::TokenHash));
        }
        tables.pairings.push(pairing.clone());
        Ok(())
    }

    async fn claim(&self, code_hash: &str, purpose: &str, by: &str, now: Timestamp) -> Result<Pairing, StoreError> {
        let mut tables = self.tables();
        let pairing = tables
            .pairings
            .iter_mut()
            .find(|p| p.code_hash == code_hash && p.purpose == purpose && p.claimed_by.is_none() && p.expires_at > now)
            .ok_or(StoreError::Conflict(Rule::PairingUsed))?;
        pairing.claimed_by = Some(by.to_string());
        pairing.claimed_at = Some(now);
        Ok(pairing.clone())
    }

    async fn get(&self, id: PairingId) -> Result<Option<Pairing>, StoreError> {
        Ok(self.tables().pairings.iter().find(|p| p.id == id).cloned())
    }

    async fn collect(&self, id: PairingId, now: Timestamp) -> Result<Pairing, StoreError> {
        let mut tables = self.tables();
        let pairing = tables
            .pairings
            .iter_mut()
            .find(|p| p.id == id && p.claimed_by.is_some() && p.collected_at.is_none())
            .ok_or(StoreError::Conflict(Rule::PairingUsed))?;
        pairing.collected_at = Some(now);
        Ok(pairing.clone())
    }
}
