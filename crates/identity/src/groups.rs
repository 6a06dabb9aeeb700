//! Groups of users (enterprise): named sets of people that restricted agents and group budgets
//! refer to. Admins manage them, and only under an active licence.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::events::ACCESS_CHANGED;
use pincer_core::{
    BusEvent, Capability, Clock, Entitlement, EventBus, GroupId, Principal, Rule, StoreError, Timestamp, UserId,
};
use serde_json::json;

use crate::IdentityError;

const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 500;
/// The most members one replacement may name.
pub const MAX_MEMBERS: usize = 10_000;

/// A group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Unique among groups.
    pub name: String,
    /// What it is for (may be empty).
    pub description: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A group with how many members it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group.
    pub group: Group,
    /// Its members.
    pub member_count: u64,
}

/// Where groups and their members are kept.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// Every group with its member count, by name.
    async fn list_groups(&self) -> Result<Vec<GroupSummary>, StoreError>;
    /// One group.
    async fn get_group(&self, id: GroupId) -> Result<Option<Group>, StoreError>;
    /// A new group; `Conflict(Rule::GroupName)` when the name is taken.
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError>;
    /// Saves a group's name and description; `NotFound`, or `Conflict(Rule::GroupName)`.
    async fn update_group(&self, group: &Group) -> Result<(), StoreError>;
    /// Removes a group and its memberships; whether it existed.
    async fn delete_group(&self, id: GroupId) -> Result<bool, StoreError>;
    /// The group's members; `NotFound` when there is no such group.
    async fn group_members(&self, id: GroupId) -> Result<Vec<UserId>, StoreError>;
    /// Replaces the group's members at once: `NotFound` for no such group,
    /// `Conflict(Rule::ForeignKey)` when a user does not exist (then nothing changes).
    async fn replace_group_members(&self, id: GroupId, users: &[UserId]) -> Result<(), StoreError>;
    /// Replaces a user's groups at once: `NotFound` for no such user,
    /// `Conflict(Rule::ForeignKey)` when a group does not exist (then nothing changes).
    async fn replace_user_groups(&self, user: UserId, groups: &[GroupId]) -> Result<(), StoreError>;
    /// The groups (id and name) of each of `users` that belongs to any, by name.
    async fn groups_of(&self, users: &[UserId]) -> Result<BTreeMap<UserId, Vec<(GroupId, String)>>, StoreError>;
}

/// A new group or the changes to one, as asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupInput {
    /// The name (required for a new group).
    pub name: Option<String>,
    /// The description.
    pub description: Option<String>,
}

fn name(raw: &str) -> Result<String, IdentityError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(IdentityError::InvalidInput(format!("name must be 1-{MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_string())
}

fn description(raw: &str) -> Result<String, IdentityError> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(IdentityError::InvalidInput(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(text.to_string())
}

/// The distinct ids of a list, in order (a repeated id counts once).
fn distinct<T: Ord + Copy>(ids: &[T]) -> Vec<T> {
    let mut seen = std::collections::BTreeSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// What the group service needs.
pub struct GroupDeps {
    /// The groups.
    pub store: Arc<dyn GroupStore>,
    /// Whether the licence allows groups.
    pub entitlement: Arc<dyn Entitlement>,
    /// Where changes are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where changes of membership are announced (who sees a restricted agent follows them).
    pub bus: Arc<dyn EventBus>,
}

/// Groups and their members (admins, under an active licence).
pub struct Groups {
    deps: GroupDeps,
}

impl Groups {
    /// The service over these ports.
    pub fn new(deps: GroupDeps) -> Self {
        Self { deps }
    }

    async fn allowed(&self, principal: &Principal) -> Result<(), IdentityError> {
        principal.require(Capability::ManageUsers)?;
        if self.deps.entitlement.enterprise().await { Ok(()) } else { Err(IdentityError::EnterpriseRequired) }
    }

    /// Membership changed: who sees a restricted agent may have changed with it.
    fn access_changed(&self) {
        self.deps.bus.publish(BusEvent { topic: ACCESS_CHANGED.into(), body: "{}".into() });
    }

    async fn record(&self, principal: &Principal, event: &'static str, id: GroupId, detail: serde_json::Value) {
        let event = AuditEvent::new(Actor::of(principal), event).resource(format!("group:{id}")).detail(detail);
        self.deps.audit.record(event).await;
    }

    /// Every group with its member count.
    pub async fn list(&self, principal: &Principal) -> Result<Vec<GroupSummary>, IdentityError> {
        self.allowed(principal).await?;
        Ok(self.deps.store.list_groups().await?)
    }

    /// Creates a group.
    pub async fn create(&self, principal: &Principal, input: GroupInput) -> Result<Group, IdentityError> {
        self.allowed(principal).await?;
        let now = self.deps.clock.now();
        let group = Group {
            id: GroupId::new(),
            name: name(input.name.as_deref().unwrap_or_default())?,
            description: description(input.description.as_deref().unwrap_or_default())?,
            created_at: now,
            updated_at: now,
        };
        self.deps.store.insert_group(&group).await?;
        self.record(principal, "group.created", group.id, json!({"name": group.name})).await;
        Ok(group)
    }

    /// Renames or re-describes a group.
    pub async fn update(&self, principal: &Principal, id: GroupId, input: GroupInput) -> Result<Group, IdentityError> {
        self.allowed(principal).await?;
        let mut group = self.deps.store.get_group(id).await?.ok_or(IdentityError::GroupNotFound)?;
        if input.name.is_none() && input.description.is_none() {
            return Err(IdentityError::InvalidInput("nothing to change: give name or description".into()));
        }
        if let Some(raw) = &input.name {
            group.name = name(raw)?;
        }
        if let Some(raw) = &input.description {
            group.description = description(raw)?;
        }
        group.updated_at = self.deps.clock.now();
        self.deps.store.update_group(&group).await.map_err(not_found_is_the_group)?;
        self.record(principal, "group.updated", id, json!({"name": group.name})).await;
        Ok(group)
    }

    /// Deletes a group (its memberships go with it).
    pub async fn delete(&self, principal: &Principal, id: GroupId) -> Result<(), IdentityError> {
        self.allowed(principal).await?;
        if !self.deps.store.delete_group(id).await? {
            return Err(IdentityError::GroupNotFound);
        }
        self.record(principal, "group.deleted", id, json!({})).await;
        self.access_changed();
        Ok(())
    }

    /// The group's members.
    pub async fn members(&self, principal: &Principal, id: GroupId) -> Result<Vec<UserId>, IdentityError> {
        self.allowed(principal).await?;
        self.deps.store.group_members(id).await.map_err(not_found_is_the_group)
    }

    /// Replaces the group's members at once; an unknown user changes nothing.
    pub async fn set_members(&self, principal: &Principal, id: GroupId, users: &[UserId]) -> Result<(), IdentityError> {
        self.allowed(principal).await?;
        let users = distinct(users);
        if users.len() > MAX_MEMBERS {
            return Err(IdentityError::InvalidInput(format!("at most {MAX_MEMBERS} members")));
        }
        match self.deps.store.replace_group_members(id, &users).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(IdentityError::GroupNotFound),
            Err(StoreError::Conflict(Rule::ForeignKey)) => {
                return Err(IdentityError::InvalidInput("userIds names a user that does not exist".into()));
            }
            Err(e) => return Err(e.into()),
        }
        let detail = json!({"userIds": users.iter().map(UserId::to_string).collect::<Vec<_>>()});
        self.record(principal, "group.members_updated", id, detail).await;
        self.access_changed();
        Ok(())
    }

    /// Replaces one user's groups at once; an unknown group changes nothing.
    pub async fn set_user_groups(
        &self,
        principal: &Principal,
        user: UserId,
        groups: &[GroupId],
    ) -> Result<(), IdentityError> {
        self.allowed(principal).await?;
        let groups = distinct(groups);
        match self.deps.store.replace_user_groups(user, &groups).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(IdentityError::UserNotFound),
            Err(StoreError::Conflict(Rule::ForeignKey)) => return Err(IdentityError::UnknownGroup),
            Err(e) => return Err(e.into()),
        }
        let detail =
            json!({"userId": user.to_string(), "groupIds": groups.iter().map(GroupId::to_string).collect::<Vec<_>>()});
        let event = AuditEvent::new(Actor::of(principal), "group.members_updated")
            .resource(format!("user:{user}"))
            .detail(detail);
        self.deps.audit.record(event).await;
        self.access_changed();
        Ok(())
    }

    /// The groups of each of `users` (for the users list; empty without a licence, so no
    /// enterprise data shows when the features are off).
    pub async fn of_users(&self, users: &[UserId]) -> Result<BTreeMap<UserId, Vec<(GroupId, String)>>, IdentityError> {
        if !self.deps.entitlement.enterprise().await {
            return Ok(BTreeMap::new());
        }
        Ok(self.deps.store.groups_of(users).await?)
    }
}

impl Groups {
    /// Every group's name by id, to show the groups that records (invites, agents) refer to;
    /// empty without a licence, like [`Groups::of_users`].
    pub async fn names(&self) -> Result<BTreeMap<GroupId, String>, IdentityError> {
        if !self.deps.entitlement.enterprise().await {
            return Ok(BTreeMap::new());
        }
        Ok(self.deps.store.list_groups().await?.into_iter().map(|s| (s.group.id, s.group.name)).collect())
    }
}

fn not_found_is_the_group(e: StoreError) -> IdentityError {
    match e {
        StoreError::NotFound => IdentityError::GroupNotFound,
        other => other.into(),
    }
}
