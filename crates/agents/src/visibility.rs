//! Who may see an agent, decided once: the domain builds an [`AgentScope`] for a viewer, which
//! both answers for one agent ([`AgentScope::admits`]) and is what a store turns into its query
//! for a list (`AgentStore::list_visible`). A contract test in the store checks that its query
//! and `admits` agree on a fixture set. An agent the caller may not see is reported exactly like
//! an unknown one.

use pincer_core::{Principal, UserId};

/// The facts about an agent that decide its visibility.
#[derive(Clone, Copy, Debug)]
pub struct AgentAccess {
    /// A personal assistant belongs to one user; shared agents belong to the organisation.
    pub personal_owner: Option<UserId>,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// What a viewer may see: live shared agents and their own personal agent. Admins see no more
/// (personal agents are private, even to them); deleted agents nobody sees. Group-restricted
/// agents will narrow the shared part here, and only here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentScope {
    /// Whose personal agent is included.
    pub viewer: UserId,
}

impl AgentScope {
    /// The scope of what `principal` sees.
    pub fn of(principal: &Principal) -> AgentScope {
        AgentScope { viewer: principal.user_id }
    }

    /// Whether an agent lies in the scope.
    pub fn admits(&self, agent: AgentAccess) -> bool {
        if agent.deleted {
            return false;
        }
        match agent.personal_owner {
            Some(owner) => owner == self.viewer,
            None => true,
        }
    }
}

impl crate::Agent {
    /// The facts about this agent that decide who sees it.
    pub fn access(&self) -> AgentAccess {
        AgentAccess { personal_owner: self.personal_owner, deleted: self.deleted_at.is_some() }
    }
}

/// Whether `principal` may see the agent.
pub fn can_see(principal: &Principal, agent: AgentAccess) -> bool {
    AgentScope::of(principal).admits(agent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::{Credential, Role};

    fn who(role: Role) -> Principal {
        Principal { user_id: UserId::new(), role, name: "x".into(), credential: Credential::Internal }
    }

    #[test]
    fn the_visibility_matrix() {
        let admin = who(Role::Admin);
        let member = who(Role::Member);
        let shared = AgentAccess { personal_owner: None, deleted: false };
        let members_own = AgentAccess { personal_owner: Some(member.user_id), deleted: false };
        let deleted = AgentAccess { personal_owner: None, deleted: true };
        assert!(can_see(&admin, shared) && can_see(&member, shared));
        assert!(can_see(&member, members_own));
        assert!(!can_see(&admin, members_own), "personal agents are private, even to admins");
        assert!(!can_see(&who(Role::Member), members_own));
        assert!(!can_see(&admin, deleted) && !can_see(&member, deleted));
    }
}
