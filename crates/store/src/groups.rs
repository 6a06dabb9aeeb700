//! [`GroupStore`] on [`Database`]: groups (`user_groups`) and their members, replaced in one
//! transaction each, so a refused replacement changes nothing.

use std::collections::BTreeMap;

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{GroupId, StoreError, Timestamp, UserId};
use pincer_identity::groups::{Group, GroupStore, GroupSummary};

use crate::Database;
use crate::backend;
use crate::error::DbError;
use crate::rows::id;
use crate::schema::{group_members, user_groups, users};

type GroupRow = (String, String, String, i64, i64);

fn group(row: GroupRow) -> Result<Group, DbError> {
    let (group_id, name, description, created_at, updated_at) = row;
    Ok(Group {
        id: id(&group_id, "user_groups.id")?,
        name,
        description,
        created_at: Timestamp(created_at),
        updated_at: Timestamp(updated_at),
    })
}

fn group_columns()
-> (user_groups::id, user_groups::name, user_groups::description, user_groups::created_at, user_groups::updated_at) {
    (user_groups::id, user_groups::name, user_groups::description, user_groups::created_at, user_groups::updated_at)
}

fn group_exists(conn: &mut crate::conn::AnyConn, group: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(user_groups::table.find(group))).get_result(conn)
}

#[async_trait]
impl GroupStore for Database {
    async fn list_groups(&self) -> Result<Vec<GroupSummary>, StoreError> {
        self.run("groups.list", |conn| {
            let rows: Vec<GroupRow> = user_groups::table.order(user_groups::name).select(group_columns()).load(conn)?;
            let counts: Vec<(String, i64)> = group_members::table
                .group_by(group_members::group_id)
                .select((group_members::group_id, diesel::dsl::count_star()))
                .load(conn)?;
            let counts: BTreeMap<String, i64> = counts.into_iter().collect();
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let member_count = counts.get(&row.0).copied().unwrap_or(0).max(0) as u64;
                out.push(GroupSummary { group: group(row)?, member_count });
            }
            Ok(out)
        })
        .await
    }

    async fn get_group(&self, group_id: GroupId) -> Result<Option<Group>, StoreError> {
        let group_id = group_id.to_string();
        self.run("groups.get", move |conn| {
            let row: Option<GroupRow> =
                user_groups::table.find(&group_id).select(group_columns()).first(conn).optional()?;
            row.map(group).transpose()
        })
        .await
    }

    async fn insert_group(&self, g: &Group) -> Result<(), StoreError> {
        let row =
            (g.id.to_string(), g.name.clone(), g.description.clone(), g.created_at.millis(), g.updated_at.millis());
        self.run_write("groups.insert", move |conn| {
            diesel::insert_into(user_groups::table)
                .values((
                    user_groups::id.eq(&row.0),
                    user_groups::name.eq(&row.1),
                    user_groups::description.eq(&row.2),
                    user_groups::created_at.eq(row.3),
                    user_groups::updated_at.eq(row.4),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn update_group(&self, g: &Group) -> Result<(), StoreError> {
        let (group_id, name, description, at) =
            (g.id.to_string(), g.name.clone(), g.description.clone(), g.updated_at.millis());
        self.run_write("groups.update", move |conn| {
            let updated = diesel::update(user_groups::table.find(&group_id))
                .set((
                    user_groups::name.eq(&name),
                    user_groups::description.eq(&description),
                    user_groups::updated_at.eq(at),
                ))
                .execute(conn)?;
            if updated == 0 { Err(DbError::from(StoreError::NotFound)) } else { Ok(()) }
        })
        .await
    }

    async fn delete_group(&self, group_id: GroupId) -> Result<bool, StoreError> {
        let group_id = group_id.to_string();
        self.run_write("groups.delete", move |conn| {
            backend::write(conn, None, |conn| {
                // Explicitly, not only by the cascade: SQLite enforces it per connection setting.
                diesel::delete(group_members::table.filter(group_members::group_id.eq(&group_id))).execute(conn)?;
                Ok(diesel::delete(user_groups::table.find(&group_id)).execute(conn)? == 1)
            })
        })
        .await
    }

    async fn group_members(&self, group_id: GroupId) -> Result<Vec<UserId>, StoreError> {
        let group_id = group_id.to_string();
        self.run("groups.members", move |conn| {
            if !group_exists(conn, &group_id)? {
                return Err(DbError::from(StoreError::NotFound));
            }
            let ids: Vec<String> = group_members::table
                .filter(group_members::group_id.eq(&group_id))
                .order(group_members::user_id)
                .select(group_members::user_id)
                .load(conn)?;
            ids.iter().map(|u| id(u, "group_members.user_id")).collect()
        })
        .await
    }

    async fn replace_group_members(&self, group_id: GroupId, members: &[UserId]) -> Result<(), StoreError> {
        let group_id = group_id.to_string();
        let members: Vec<String> = members.iter().map(UserId::to_string).collect();
        self.run_write("groups.replace_members", move |conn| {
            backend::write(conn, None, |conn| {
                if !group_exists(conn, &group_id)? {
                    return Err(DbError::from(StoreError::NotFound));
                }
                diesel::delete(group_members::table.filter(group_members::group_id.eq(&group_id))).execute(conn)?;
                for user in &members {
                    diesel::insert_into(group_members::table)
                        .values((group_members::group_id.eq(&group_id), group_members::user_id.eq(user)))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn replace_user_groups(&self, user: UserId, groups: &[GroupId]) -> Result<(), StoreError> {
        let user = user.to_string();
        let groups: Vec<String> = groups.iter().map(GroupId::to_string).collect();
        self.run_write("groups.replace_user_groups", move |conn| {
            backend::write(conn, None, |conn| {
                let exists: bool = diesel::select(diesel::dsl::exists(users::table.find(&user))).get_result(conn)?;
                if !exists {
                    return Err(DbError::from(StoreError::NotFound));
                }
                diesel::delete(group_members::table.filter(group_members::user_id.eq(&user))).execute(conn)?;
                for group in &groups {
                    diesel::insert_into(group_members::table)
                        .values((group_members::group_id.eq(group), group_members::user_id.eq(&user)))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn groups_of(&self, members: &[UserId]) -> Result<BTreeMap<UserId, Vec<(GroupId, String)>>, StoreError> {
        let members: Vec<String> = members.iter().map(UserId::to_string).collect();
        self.run("groups.of_users", move |conn| {
            let rows: Vec<(String, String, String)> = group_members::table
                .inner_join(user_groups::table)
                .filter(group_members::user_id.eq_any(&members))
                .order((group_members::user_id, user_groups::name))
                .select((group_members::user_id, user_groups::id, user_groups::name))
                .load(conn)?;
            let mut out: BTreeMap<UserId, Vec<(GroupId, String)>> = BTreeMap::new();
            for (user, group, name) in rows {
                out.entry(id(&user, "group_members.user_id")?).or_default().push((id(&group, "user_groups.id")?, name));
            }
            Ok(out)
        })
        .await
    }
}

/// Group budgets read who is in which group (every membership, once per spend snapshot).
#[async_trait]
impl pincer_usage::budget::GroupMemberships for Database {
    async fn memberships(&self) -> Result<Vec<(GroupId, UserId)>, StoreError> {
        self.run("groups.memberships", |conn| {
            let rows: Vec<(String, String)> =
                group_members::table.select((group_members::group_id, group_members::user_id)).load(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for (group_id, user_id) in rows {
                out.push((id(&group_id, "group_members.group_id")?, id(&user_id, "group_members.user_id")?));
            }
            Ok(out)
        })
        .await
    }

    async fn existing_groups(&self, groups: &[GroupId]) -> Result<Vec<GroupId>, StoreError> {
        let wanted: Vec<String> = groups.iter().map(ToString::to_string).collect();
        self.run("groups.existing", move |conn| {
            let found: Vec<String> =
                user_groups::table.filter(user_groups::id.eq_any(&wanted)).select(user_groups::id).load(conn)?;
            found.iter().map(|g| id(g, "user_groups.id")).collect()
        })
        .await
    }
}
