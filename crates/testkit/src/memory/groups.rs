//! Groups in memory, in the same tables as the users their members are (a membership goes with
//! its group or its user; a replacement naming a missing row changes nothing).

use std::collections::BTreeMap;

use async_trait::async_trait;
use pincer_core::{GroupId, Rule, StoreError, UserId};
use pincer_identity::groups::{Group, GroupStore, GroupSummary};

use super::MemoryStores;

#[async_trait]
impl GroupStore for MemoryStores {
    async fn list_groups(&self) -> Result<Vec<GroupSummary>, StoreError> {
        let tables = self.tables();
        let mut all: Vec<GroupSummary> = tables
            .groups
            .iter()
            .map(|g| GroupSummary {
                group: g.clone(),
                member_count: tables.group_members.iter().filter(|(gid, _)| *gid == g.id).count() as u64,
            })
            .collect();
        all.sort_by(|a, b| a.group.name.cmp(&b.group.name));
        Ok(all)
    }

    async fn get_group(&self, id: GroupId) -> Result<Option<Group>, StoreError> {
        Ok(self.tables().groups.iter().find(|g| g.id == id).cloned())
    }

    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.groups.iter().any(|g| g.id == group.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        if tables.groups.iter().any(|g| g.name == group.name) {
            return Err(StoreError::Conflict(Rule::GroupName));
        }
        tables.groups.push(group.clone());
        Ok(())
    }

    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if tables.groups.iter().any(|g| g.id != group.id && g.name == group.name) {
            return Err(StoreError::Conflict(Rule::GroupName));
        }
        let found = tables.groups.iter_mut().find(|g| g.id == group.id).ok_or(StoreError::NotFound)?;
        found.name = group.name.clone();
        found.description = group.description.clone();
        found.updated_at = group.updated_at;
        Ok(())
    }

    async fn delete_group(&self, id: GroupId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let before = tables.groups.len();
        tables.groups.retain(|g| g.id != id);
        tables.group_members.retain(|(gid, _)| *gid != id);
        for invite in &mut tables.invites {
            invite.group_ids.retain(|g| *g != id);
        }
        for agent in &mut tables.agents {
            agent.group_ids.retain(|g| *g != id);
        }
        Ok(tables.groups.len() < before)
    }

    async fn group_members(&self, id: GroupId) -> Result<Vec<UserId>, StoreError> {
        let tables = self.tables();
        if !tables.groups.iter().any(|g| g.id == id) {
            return Err(StoreError::NotFound);
        }
        let mut members: Vec<UserId> =
            tables.group_members.iter().filter(|(gid, _)| *gid == id).map(|(_, u)| *u).collect();
        members.sort_by_key(|u| u.to_string());
        Ok(members)
    }

    async fn replace_group_members(&self, id: GroupId, users: &[UserId]) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if !tables.groups.iter().any(|g| g.id == id) {
            return Err(StoreError::NotFound);
        }
        if users.iter().any(|u| !tables.users.iter().any(|x| x.id == *u)) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        tables.group_members.retain(|(gid, _)| *gid != id);
        tables.group_members.extend(users.iter().map(|u| (id, *u)));
        Ok(())
    }

    async fn replace_user_groups(&self, user: UserId, groups: &[GroupId]) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if !tables.users.iter().any(|u| u.id == user) {
            return Err(StoreError::NotFound);
        }
        if groups.iter().any(|g| !tables.groups.iter().any(|x| x.id == *g)) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        tables.group_members.retain(|(_, u)| *u != user);
        tables.group_members.extend(groups.iter().map(|g| (*g, user)));
        Ok(())
    }

    async fn groups_of(&self, users: &[UserId]) -> Result<BTreeMap<UserId, Vec<(GroupId, String)>>, StoreError> {
        let tables = self.tables();
        let mut out: BTreeMap<UserId, Vec<(GroupId, String)>> = BTreeMap::new();
        for (gid, user) in tables.group_members.iter().filter(|(_, u)| users.contains(u)) {
            if let Some(g) = tables.groups.iter().find(|g| g.id == *gid) {
                out.entry(*user).or_default().push((g.id, g.name.clone()));
            }
        }
        for groups in out.values_mut() {
            groups.sort_by(|a, b| a.1.cmp(&b.1));
        }
        Ok(out)
    }
}

#[async_trait]
impl pincer_usage::budget::GroupMemberships for MemoryStores {
    async fn memberships(&self) -> Result<Vec<(GroupId, UserId)>, StoreError> {
        Ok(self.tables().group_members.clone())
    }

    async fn existing_groups(&self, groups: &[GroupId]) -> Result<Vec<GroupId>, StoreError> {
        let tables = self.tables();
        Ok(groups.iter().filter(|g| tables.groups.iter().any(|x| x.id == **g)).copied().collect())
    }
}
