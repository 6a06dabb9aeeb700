//! Who sees which shared agent: restricting an agent to groups (admins, enterprise), and
//! narrowing what a member sees to the agents of their groups. The viewer's groups are read only
//! when a restricted agent is in question, so the catalogue and the chat path cost nothing more
//! while no agent is restricted.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::{BusEvent, GroupId, Principal, Role, events::ACCESS_CHANGED};
use serde_json::json;

use super::AgentService;
use crate::visibility::{AgentScope, Visibility};
use crate::{Agent, AgentError};

/// The most groups one agent may be restricted to.
pub const MAX_AGENT_GROUPS: usize = 100;

impl AgentService {
    /// What `principal` sees: admins and everyone without a licence see every shared agent;
    /// a member with a licence, the restricted ones of their groups.
    async fn scope(&self, principal: &Principal) -> Result<AgentScope, AgentError> {
        if principal.role == Role::Admin || !self.deps.entitlement.enterprise().await {
            return Ok(AgentScope::unrestricted(principal.user_id));
        }
        let mut groups = self.deps.groups.groups_of(&[principal.user_id]).await?;
        let groups = groups.remove(&principal.user_id).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
        Ok(AgentScope::of(principal, true, groups))
    }

    /// Whether `principal` may see `agent`.
    pub(super) async fn may_see(&self, principal: &Principal, agent: &Agent) -> Result<bool, AgentError> {
        let unrestricted = AgentScope::unrestricted(principal.user_id);
        if !unrestricted.admits(agent.access()) || !agent.is_restricted() || principal.role == Role::Admin {
            return Ok(unrestricted.admits(agent.access()));
        }
        Ok(self.scope(principal).await?.admits(agent.access()))
    }

    /// Drops from the live agents those `principal` may not see.
    pub(super) async fn narrow(&self, principal: &Principal, agents: &mut Vec<Agent>) -> Result<(), AgentError> {
        if principal.role == Role::Admin || !agents.iter().any(Agent::is_restricted) {
            return Ok(());
        }
        let scope = self.scope(principal).await?;
        agents.retain(|a| scope.admits(a.access()));
        Ok(())
    }

    /// Applies `visibility` and `groupIds` of a change to a shared agent; whether they changed.
    /// Restricting needs the licence; opening an agent to all again never does.
    pub(super) async fn apply_visibility(
        &self,
        agent: &mut Agent,
        changes: &super::AgentChanges,
    ) -> Result<bool, AgentError> {
        if changes.visibility.is_none() && changes.group_ids.is_none() {
            return Ok(false);
        }
        if agent.is_personal() {
            return Err(AgentError::InvalidInput("a personal agent is always its owner's alone".into()));
        }
        let visibility = match changes.visibility.as_deref() {
            None => agent.visibility,
            Some(raw) => Visibility::parse(raw.trim())
                .ok_or_else(|| AgentError::InvalidInput("visibility must be all or restricted".into()))?,
        };
        let group_ids = match &changes.group_ids {
            None => agent.group_ids.clone(),
            Some(raw) => group_ids(raw)?,
        };
        let restricts = visibility == Visibility::Restricted || !group_ids.is_empty();
        if restricts && !self.deps.entitlement.enterprise().await {
            return Err(AgentError::EnterpriseRequired);
        }
        let changed = visibility != agent.visibility || group_ids != agent.group_ids;
        agent.visibility = visibility;
        agent.group_ids = group_ids;
        Ok(changed)
    }

    /// Records a change of who sees `agent` and tells every node, so open sockets of members
    /// who lost it stop receiving its frames.
    pub(super) async fn visibility_changed(&self, principal: &Principal, agent: &Agent) {
        let groups: Vec<String> = agent.group_ids.iter().map(ToString::to_string).collect();
        let event = AuditEvent::new(Actor::of(principal), "agent.visibility_changed")
            .resource(format!("agent:{}", agent.id))
            .detail(json!({"visibility": agent.visibility.as_str(), "groupIds": groups}));
        self.deps.audit.record(event).await;
        let body = json!({"agent": agent.id.to_string()}).to_string();
        self.deps.bus.publish(BusEvent { topic: ACCESS_CHANGED.into(), body });
    }
}

/// Distinct, well-formed group ids (malformed ones are unknown groups), at most
/// [`MAX_AGENT_GROUPS`].
fn group_ids(raw: &[String]) -> Result<Vec<GroupId>, AgentError> {
    let mut ids: Vec<GroupId> = Vec::with_capacity(raw.len().min(MAX_AGENT_GROUPS));
    for id in raw {
        let id: GroupId = id.trim().parse().map_err(|_| AgentError::UnknownGroup)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_AGENT_GROUPS {
        return Err(AgentError::InvalidInput(format!("at most {MAX_AGENT_GROUPS} groups per agent")));
    }
    // The store hands them back in this order, so an unchanged list compares equal.
    ids.sort_unstable();
    Ok(ids)
}
