//! [`AgentStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_agents::visibility::AgentScope;
use pincer_agents::{Agent, AgentStore};
use pincer_core::{AgentId, StoreError, Timestamp};

use crate::Database;
use crate::agent_rows::AgentRow;
use crate::conn::on_backend;
use crate::error::expect_one;
use crate::rows::decode_all;
use crate::schema::agents;

#[async_trait]
impl AgentStore for Database {
    async fn insert(&self, agent: &Agent) -> Result<(), StoreError> {
        let row = AgentRow::from(agent);
        self.run("agents.insert", move |conn| {
            diesel::insert_into(agents::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        let id = id.to_string();
        self.run("agents.get", move |conn| {
            let row: Option<AgentRow> = agents::table.find(&id).select(AgentRow::as_select()).first(conn).optional()?;
            row.map(Agent::try_from).transpose()
        })
        .await
    }

    async fn list_visible(&self, scope: &AgentScope) -> Result<Vec<Agent>, StoreError> {
        // The scope as SQL: live, and shared or the viewer's own (AgentScope::admits).
        let user = scope.viewer.to_string();
        self.run("agents.list_visible", move |conn| {
            // Every agents page and chat message runs this: on the backend's own connection.
            let rows: Vec<AgentRow> = on_backend!(conn, |c| agents::table
                .filter(agents::deleted_at.is_null())
                .filter(agents::personal_owner.is_null().or(agents::personal_owner.eq(&user)))
                .order((agents::created_at.asc(), agents::id.asc()))
                .select(AgentRow::as_select())
                .load(c))?;
            decode_all(rows)
        })
        .await
    }

    async fn update(&self, agent: &Agent) -> Result<(), StoreError> {
        let row = AgentRow::from(agent);
        self.run("agents.update", move |conn| {
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
                    agents::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn soft_delete(&self, id: AgentId, now: Timestamp) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run("agents.soft_delete", move |conn| {
            let updated = diesel::update(agents::table.find(&id).filter(agents::deleted_at.is_null()))
                .set((agents::deleted_at.eq(now.millis()), agents::updated_at.eq(now.millis())))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn assign_model_where_missing(&self, model: &str, now: Timestamp) -> Result<u64, StoreError> {
        let model = model.to_string();
        self.run("agents.assign_model_where_missing", move |conn| {
            let updated =
                diesel::update(agents::table.filter(agents::deleted_at.is_null()).filter(agents::model.is_null()))
                    .set((agents::model.eq(&model), agents::updated_at.eq(now.millis())))
                    .execute(conn)?;
            Ok(updated as u64)
        })
        .await
    }
}
