//! Who may see an agent. An agent the caller may not see is reported exactly like an unknown one.

use pincer_core::{Principal, UserId};

/// The facts about an agent that decide its visibility.
#[derive(Clone, Copy, Debug)]
pub struct AgentAccess {
    /// A personal assistant belongs to one user; shared agents belong to the organisation.
    pub personal_owner: Option<UserId>,
    pub deleted: bool,
}

/// Admins see every shared agent; everyone sees shared agents and their own personal agent; a
/// personal agent is visible to its owner only (admins included); deleted agents to nobody.
pub fn can_see(principal: &Principal, agent: AgentAccess) -> bool {
    if agent.deleted {
        return false;
    }
    match agent.personal_owner {
        Some(owner) => owner == principal.user_id,
        None => true,
    }
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
