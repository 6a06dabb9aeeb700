//! Who may see an agent, decided once: the domain builds an [`AgentScope`] for a viewer, which
//! answers for any agent ([`AgentScope::admits`]). The store hands out the live agents that are
//! shared or the viewer's own (`AgentStore::list_live`), each with its groups; the service
//! narrows restricted ones with the scope. An agent the caller may not see is reported exactly
//! like an unknown one.

use pincer_core::{GroupId, Principal, Role, UserId};

/// Who among the members sees a shared agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Every member.
    #[default]
    All,
    /// Admins and the members of the agent's groups (with an enterprise licence; without one it
    /// acts as [`Visibility::All`], and the setting is kept for when a licence returns).
    Restricted,
}

impl Visibility {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Restricted => "restricted",
        }
    }

    /// The visibility with this name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Self::All),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
}

/// The facts about an agent that decide its visibility.
#[derive(Clone, Copy, Debug)]
pub struct AgentAccess<'a> {
    /// A personal assistant belongs to one user; shared agents belong to the organisation.
    pub personal_owner: Option<UserId>,
    /// Whether it was deleted.
    pub deleted: bool,
    /// For a restricted agent, the groups whose members see it.
    pub restricted_to: Option<&'a [GroupId]>,
}

/// What a viewer may see: live shared agents — restricted ones only as admin, without a licence,
/// or through one of the agent's groups — and their own personal agent. Personal agents are
/// private, even to admins; deleted agents nobody sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentScope {
    /// Whose personal agent is included.
    pub viewer: UserId,
    /// Whether restricted agents are seen regardless of groups (admins; everyone without a
    /// licence).
    pub every_shared: bool,
    /// The viewer's groups (consulted only when `every_shared` is false).
    pub groups: Vec<GroupId>,
}

impl AgentScope {
    /// The scope of a viewer who sees every shared agent: an admin, anyone without a licence,
    /// or a lookup of one's own personal agent.
    pub fn unrestricted(viewer: UserId) -> AgentScope {
        AgentScope { viewer, every_shared: true, groups: Vec::new() }
    }

    /// The scope of `principal`, who belongs to `groups`, with or without a licence.
    pub fn of(principal: &Principal, licensed: bool, groups: Vec<GroupId>) -> AgentScope {
        let every_shared = principal.role == Role::Admin || !licensed;
        AgentScope { viewer: principal.user_id, every_shared, groups }
    }

    /// Whether an agent lies in the scope.
    pub fn admits(&self, agent: AgentAccess<'_>) -> bool {
        if agent.deleted {
            return false;
        }
        match (agent.personal_owner, agent.restricted_to) {
            (Some(owner), _) => owner == self.viewer,
            (None, None) => true,
            (None, Some(groups)) => self.every_shared || groups.iter().any(|g| self.groups.contains(g)),
        }
    }
}

impl crate::Agent {
    /// The facts about this agent that decide who sees it.
    pub fn access(&self) -> AgentAccess<'_> {
        AgentAccess {
            personal_owner: self.personal_owner,
            deleted: self.deleted_at.is_some(),
            restricted_to: (self.visibility == Visibility::Restricted).then_some(self.group_ids.as_slice()),
        }
    }

    /// Whether seeing it may depend on the viewer's groups.
    pub fn is_restricted(&self) -> bool {
        self.personal_owner.is_none() && self.visibility == Visibility::Restricted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::{Credential, Role};

    fn who(role: Role) -> Principal {
        Principal { user_id: UserId::new(), role, name: "x".into(), credential: Credential::Internal }
    }

    fn can_see(principal: &Principal, licensed: bool, groups: &[GroupId], agent: AgentAccess<'_>) -> bool {
        AgentScope::of(principal, licensed, groups.to_vec()).admits(agent)
    }

    #[test]
    fn the_visibility_matrix() {
        let admin = who(Role::Admin);
        let member = who(Role::Member);
        let shared = AgentAccess { personal_owner: None, deleted: false, restricted_to: None };
        let members_own = AgentAccess { personal_owner: Some(member.user_id), ..shared };
        let deleted = AgentAccess { deleted: true, ..shared };
        for licensed in [false, true] {
            assert!(can_see(&admin, licensed, &[], shared) && can_see(&member, licensed, &[], shared));
            assert!(can_see(&member, licensed, &[], members_own));
            assert!(!can_see(&admin, licensed, &[], members_own), "personal agents are private, even to admins");
            assert!(!can_see(&who(Role::Member), licensed, &[], members_own));
            assert!(!can_see(&admin, licensed, &[], deleted) && !can_see(&member, licensed, &[], deleted));
        }
    }

    #[test]
    fn restricted_agents_are_for_admins_and_their_groups_while_licensed() {
        let (ours, theirs) = (GroupId::new(), GroupId::new());
        let ours_only = [ours];
        let restricted = AgentAccess { personal_owner: None, deleted: false, restricted_to: Some(&ours_only) };
        let nobody = AgentAccess { restricted_to: Some(&[]), ..restricted };
        let (admin, member) = (who(Role::Admin), who(Role::Member));
        assert!(can_see(&admin, true, &[], restricted), "admins see every shared agent");
        assert!(can_see(&admin, true, &[], nobody));
        assert!(can_see(&member, true, &[theirs, ours], restricted), "a member of one of its groups");
        assert!(!can_see(&member, true, &[theirs], restricted), "a member outside its groups");
        assert!(!can_see(&member, true, &[theirs], nobody));
        assert!(can_see(&member, false, &[], restricted), "without a licence restricted acts as all");
        let deleted = AgentAccess { deleted: true, ..restricted };
        assert!(!can_see(&member, true, &[ours], deleted) && !can_see(&admin, false, &[], deleted));
    }

    #[test]
    fn visibility_names_round_trip() {
        for v in [Visibility::All, Visibility::Restricted] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        assert_eq!(Visibility::parse("private"), None);
    }
}
