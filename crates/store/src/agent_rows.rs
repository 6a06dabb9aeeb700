//! Rows of the agents domain (agents, providers) and their conversion to and from the records.
//! Lists are JSON arrays in TEXT. Decoding fails with [`DbError::Corrupt`] naming the column.

use diesel::prelude::*;
use pincer_agents::visibility::Visibility;
use pincer_agents::{Agent, Provider, ProviderKind};
use pincer_core::Timestamp;

use crate::error::DbError;
use crate::rows::id;
use crate::schema::{agents, providers};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = agents, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
// `None` is written as NULL, not as SQL DEFAULT (which SQLite does not accept in VALUES).
#[diesel(treat_none_as_default_value = false)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub model: Option<String>,
    pub template_id: String,
    pub allowed_tools: String,
    pub allowed_paths: String,
    pub personal_owner: Option<String>,
    pub created_by: Option<String>,
    pub greeting: String,
    pub instructions: String,
    pub tagline: String,
    pub starter_prompts: String,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub visibility: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = providers, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
pub struct ProviderRow {
    pub name: String,
    pub kind: String,
    pub sealed_api_key: Option<String>,
    pub key_hint: String,
    pub base_url: Option<String>,
    pub default_model: Option<String>,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A list of strings as a JSON array (serialising strings cannot fail).
fn to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn from_json(s: &str, column: &'static str) -> Result<Vec<String>, DbError> {
    serde_json::from_str(s).map_err(|_| DbError::Corrupt(column))
}

impl From<&Agent> for AgentRow {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            model: a.model.clone(),
            template_id: a.template_id.clone(),
            allowed_tools: to_json(&a.allowed_tools),
            allowed_paths: to_json(&a.allowed_paths),
            personal_owner: a.personal_owner.map(|u| u.to_string()),
            created_by: a.created_by.map(|u| u.to_string()),
            greeting: a.greeting.clone(),
            instructions: a.instructions.clone(),
            tagline: a.tagline.clone(),
            starter_prompts: to_json(&a.starter_prompts),
            deleted_at: a.deleted_at.map(Timestamp::millis),
            created_at: a.created_at.millis(),
            updated_at: a.updated_at.millis(),
            visibility: a.visibility.as_str().to_string(),
        }
    }
}

impl TryFrom<AgentRow> for Agent {
    type Error = DbError;

    fn try_from(r: AgentRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "agents.id")?,
            name: r.name,
            model: r.model,
            template_id: r.template_id,
            allowed_tools: from_json(&r.allowed_tools, "agents.allowed_tools")?,
            allowed_paths: from_json(&r.allowed_paths, "agents.allowed_paths")?,
            personal_owner: r.personal_owner.as_deref().map(|u| id(u, "agents.personal_owner")).transpose()?,
            created_by: r.created_by.as_deref().map(|u| id(u, "agents.created_by")).transpose()?,
            greeting: r.greeting,
            instructions: r.instructions,
            tagline: r.tagline,
            starter_prompts: from_json(&r.starter_prompts, "agents.starter_prompts")?,
            visibility: Visibility::parse(&r.visibility).ok_or(DbError::Corrupt("agents.visibility"))?,
            // Kept in `agent_groups`; the store fills them in.
            group_ids: Vec::new(),
            deleted_at: r.deleted_at.map(Timestamp),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

impl From<&Provider> for ProviderRow {
    fn from(p: &Provider) -> Self {
        Self {
            name: p.name.clone(),
            kind: p.kind.as_str().to_string(),
            sealed_api_key: p.sealed_api_key.clone(),
            key_hint: p.key_hint.clone(),
            base_url: p.base_url.clone(),
            default_model: p.default_model.clone(),
            is_default: p.is_default,
            created_at: p.created_at.millis(),
            updated_at: p.updated_at.millis(),
        }
    }
}

impl TryFrom<ProviderRow> for Provider {
    type Error = DbError;

    fn try_from(r: ProviderRow) -> Result<Self, DbError> {
        Ok(Self {
            kind: ProviderKind::parse(&r.kind).ok_or(DbError::Corrupt("providers.kind"))?,
            name: r.name,
            sealed_api_key: r.sealed_api_key,
            key_hint: r.key_hint,
            base_url: r.base_url,
            default_model: r.default_model,
            is_default: r.is_default,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use pincer_core::{AgentId, UserId};

    use super::*;

    fn agent() -> Agent {
        let owner = UserId::new();
        Agent {
            id: AgentId::new(),
            name: "Smithers".into(),
            model: Some("anthropic/claude".into()),
            template_id: "personal".into(),
            allowed_tools: vec!["ls".into(), "read".into()],
            allowed_paths: vec!["/data/hr \"quoted\"".into()],
            personal_owner: Some(owner),
            created_by: Some(owner),
            greeting: "Hi".into(),
            instructions: "# Be brief".into(),
            tagline: "yours".into(),
            starter_prompts: vec![],
            visibility: Visibility::Restricted,
            group_ids: Vec::new(),
            deleted_at: Some(Timestamp(9)),
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        }
    }

    fn provider() -> Provider {
        Provider {
            name: "groq".into(),
            kind: ProviderKind::OpenaiCompatible,
            sealed_api_key: Some("sealed".into()),
            key_hint: "abcd".into(),
            base_url: Some("https://api.groq.com/openai/v1".into()),
            default_model: None,
            is_default: true,
            created_at: Timestamp(3),
            updated_at: Timestamp(4),
        }
    }

    #[test]
    fn records_round_trip_through_rows() {
        let a = agent();
        let row = AgentRow::from(&a);
        assert_eq!(row.allowed_tools, r#"["ls","read"]"#);
        assert_eq!(row.starter_prompts, "[]");
        assert_eq!(Agent::try_from(row).unwrap(), a);
        let shared = Agent { model: None, personal_owner: None, created_by: None, deleted_at: None, ..agent() };
        assert_eq!(Agent::try_from(AgentRow::from(&shared)).unwrap(), shared);

        let p = provider();
        assert_eq!(Provider::try_from(ProviderRow::from(&p)).unwrap(), p);
    }

    #[test]
    fn corrupt_values_name_the_column() {
        let corrupt = |edit: fn(&mut AgentRow)| {
            let mut row = AgentRow::from(&agent());
            edit(&mut row);
            match Agent::try_from(row) {
                Err(DbError::Corrupt(column)) => column,
                _ => panic!("expected a corrupt column"),
            }
        };
        assert_eq!(corrupt(|r| r.id = "nope".into()), "agents.id");
        assert_eq!(corrupt(|r| r.personal_owner = Some("nope".into())), "agents.personal_owner");
        assert_eq!(corrupt(|r| r.created_by = Some(String::new())), "agents.created_by");
        assert_eq!(corrupt(|r| r.allowed_tools = "ls,read".into()), "agents.allowed_tools");
        assert_eq!(corrupt(|r| r.allowed_paths = "[1]".into()), "agents.allowed_paths");
        assert_eq!(corrupt(|r| r.starter_prompts = "{}".into()), "agents.starter_prompts");

        let mut row = ProviderRow::from(&provider());
        row.kind = "OpenAI".into();
        assert!(matches!(Provider::try_from(row), Err(DbError::Corrupt("providers.kind"))));
    }
}
