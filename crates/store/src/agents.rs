//! [`AgentStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_agents::visibility::Visibility;
use pincer_agents::{Agent, AgentStore};
use pincer_core::{AgentId, StoreError, Timestamp, UserId};

use crate::Database;
use crate::agent_rows::AgentRow;
use crate::backend;
use crate::conn::{AnyConn, on_backend};
use crate::error::{DbError, expect_one};
use crate::rows::{decode_all, id};
use crate::schema::{agent_groups, agents};

/// Fills in the groups of the restricted agents among `all` (one query, and none while no agent
/// is restricted: the catalogue is the hottest authenticated read).
fn with_groups(conn: &mut AnyConn, mut all: Vec<Agent>) -> Result<Vec<Agent>, DbError> {
    let restricted: Vec<String> =
        all.iter().filter(|a| a.visibility == Visibility::Restricted).map(|a| a.id.to_string()).collect();
    if restricted.is_empty() {
        return Ok(all);
    }
    let rows: Vec<(String, String)> = agent_groups::table
        .filter(agent_groups::agent_id.eq_any(&restricted))
        .order((agent_groups::agent_id, agent_groups::group_id))
        .select((agent_groups::agent_id, agent_groups::group_id))
        .load(conn)?;
    for (agent_id, group_id) in rows {
        let agent_id: AgentId = id(&agent_id, "agent_groups.agent_id")?;
        let group_id = id(&group_id, "agent_groups.group_id")?;
        if let Some(agent) = all.iter_mut().find(|a| a.id == agent_id) {
            agent.group_ids.push(group_id);
        }
    }
    for agent in &mut all {
        agent.group_ids.sort_unstable();
    }
    Ok(all)
}

/// Replaces an agent's groups (inside the caller's transaction).
fn replace_groups(conn: &mut AnyConn, agent: &str, groups: &[String]) -> Result<(), DbError> {
    diesel::delete(agent_groups::table.filter(agent_groups::agent_id.eq(agent))).execute(conn)?;
    for group in groups {
        // An unknown group fails here (foreign key) and rolls the whole update back.
        diesel::insert_into(agent_groups::table)
            .values((agent_groups::agent_id.eq(agent), agent_groups::group_id.eq(group)))
            .execute(conn)?;
    }
    Ok(())
}

#[async_trait]
impl AgentStore for Database {
    async fn insert(&self, agent: &Agent) -> Result<(), StoreError> {
        let row = AgentRow::from(agent);
        let groups: Vec<String> = agent.group_ids.iter().map(ToString::to_string).collect();
        self.run_write("agents.insert", move |conn| {
            if groups.is_empty() {
                diesel::insert_into(agents::table).values(&row).execute(conn)?;
                return Ok(());
            }
            backend::write(conn, None, |conn| {
                diesel::insert_into(agents::table).values(&row).execute(conn)?;
                replace_groups(conn, &row.id, &groups)
            })
        })
        .await
    }

    async fn get(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        let id = id.to_string();
        self.run("agents.get", move |conn| {
            let row: Option<AgentRow> = agents::table.find(&id).select(AgentRow::as_select()).first(conn).optional()?;
            let found: Vec<Agent> = row.map(Agent::try_from).transpose()?.into_iter().collect();
            Ok(with_groups(conn, found)?.pop())
        })
        .await
    }

    async fn list_live(&self, viewer: UserId) -> Result<Vec<Agent>, StoreError> {
        let user = viewer.to_string();
        self.run("agents.list_live", move |conn| {
            // Every agents page and chat message runs this: on the backend's own connection.
            let rows: Vec<AgentRow> = on_backend!(conn, |c| agents::table
                .filter(agents::deleted_at.is_null())
                .filter(agents::personal_owner.is_null().or(agents::personal_owner.eq(&user)))
                .order((agents::created_at.asc(), agents::id.asc()))
                .select(AgentRow::as_select())
                .load(c))?;
            with_groups(conn, decode_all(rows)?)
        })
        .await
    }

    async fn update(&self, agent: &Agent) -> Result<(), StoreError> {
        let row = AgentRow::from(agent);
        let groups: Vec<String> = agent.group_ids.iter().map(ToString::to_string).collect();
        self.run_write("agents.update", move |conn| {
            backend::write(conn, None, |conn| {
                let updated = diesel::update(agents::table.find(&row.id).filter(agents::deleted_at.is_null()))
                    .set((
                        agents::name.eq(&row.name),
                        agents::model.eq(&row.model),
                        agents::template_id.eq(&row.template_id),
                        agents::allowed_tools.eq(&row.allowed_tools),
                        agents::allowed_paths.eq(&row.allowed_paths),
                        agents::greeting.eq(&row.greeting),
                        agents::instructions.eq(&row.instructions),
                        agents::tagline.eq(&row.tagline),
                        agents::starter_prompts.eq(&row.starter_prompts),
                        agents::visibility.eq(&row.visibility),
                        agents::updated_at.eq(row.updated_at),
                    ))
                    .execute(conn)?;
                expect_one(updated)?;
                replace_groups(conn, &row.id, &groups)
            })
        })
        .await
    }

    async fn soft_delete(&self, id: AgentId, now: Timestamp) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run_write("agents.soft_delete", move |conn| {
            let updated = diesel::update(agents::table.find(&id).filter(agents::deleted_at.is_null()))
                .set((agents::deleted_at.eq(now.millis()), agents::updated_at.eq(now.millis())))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn assign_model_where_missing(&self, model: &str, now: Timestamp) -> Result<u64, StoreError> {
        let model = model.to_string();
        self.run_write("agents.assign_model_where_missing", move |conn| {
            let updated =
                diesel::update(agents::table.filter(agents::deleted_at.is_null()).filter(agents::model.is_null()))
                    .set((agents::model.eq(&model), agents::updated_at.eq(now.millis())))
                    .execute(conn)?;
            Ok(updated as u64)
        })
        .await
    }
}
