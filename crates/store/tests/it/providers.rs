//! `ProviderStore`: the upsert (backend-specific SQL) inserts, replaces and keeps one default;
//! `remove` applies the domain's plan in one transaction: refusals and failures change nothing,
//! and exactly the agents of the removed provider move.

use pincer_agents::rules::plan_provider_removal;
use pincer_agents::{Agent, AgentStore, Provider, ProviderKind, ProviderStore, RemovalPlan, RemovalRefused};
use pincer_core::{AgentId, StoreError, Timestamp};

use crate::agents::agent;
use crate::support::{CatalogueStores, NOW, each_backend_with_url, each_catalogue_store, execute};

/// A provider created `ms` after `NOW`, with default model `<name>-model`.
fn provider(name: &str, ms: i64, is_default: bool) -> Provider {
    let at = NOW.plus_millis(ms);
    Provider {
        name: name.to_string(),
        kind: ProviderKind::parse(name).unwrap_or(ProviderKind::OpenaiCompatible),
        sealed_api_key: Some(format!("sealed:v1:{name}")),
        key_hint: "wxyz".into(),
        base_url: None,
        default_model: Some(format!("{name}-model")),
        is_default,
        created_at: at,
        updated_at: at,
    }
}

fn with_model(name: &str, ms: i64, model: Option<&str>) -> Agent {
    Agent { model: model.map(str::to_string), ..agent(name, ms) }
}

async fn get_agent(db: &dyn CatalogueStores, id: AgentId) -> Agent {
    AgentStore::get(db, id).await.unwrap().unwrap()
}

async fn all(db: &dyn CatalogueStores) -> Vec<Provider> {
    ProviderStore::list(db).await.unwrap()
}

fn defaults(providers: &[Provider]) -> Vec<&str> {
    providers.iter().filter(|p| p.is_default).map(|p| p.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_store() {
    each_catalogue_store(|db| async move {
        assert_eq!(all(&*db).await, vec![]);
        assert_eq!(ProviderStore::get(&*db, "anthropic").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upsert_round_trips_every_field_and_lists_oldest_first() {
    each_catalogue_store(|db| async move {
        let local = Provider {
            name: "ollama-local".into(),
            kind: ProviderKind::OllamaLocal,
            sealed_api_key: None,
            key_hint: String::new(),
            base_url: Some("http://127.0.0.1:11434".into()),
            default_model: None,
            is_default: false,
            created_at: NOW.plus_millis(30),
            updated_at: NOW.plus_millis(40),
        };
        let anthropic = provider("anthropic", 10, true);
        // Same creation time as "anthropic": the name breaks the tie.
        let groq = Provider { base_url: Some("https://api.groq.com/openai/v1".into()), ..provider("groq", 10, false) };
        for p in [&local, &anthropic, &groq] {
            db.upsert(p).await.unwrap();
        }

        assert_eq!(ProviderStore::get(&*db, "ollama-local").await.unwrap(), Some(local.clone()));
        assert_eq!(ProviderStore::get(&*db, "groq").await.unwrap(), Some(groq.clone()));
        assert_eq!(ProviderStore::get(&*db, "Groq").await.unwrap(), None);
        assert_eq!(all(&*db).await, vec![anthropic, groq, local]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upsert_replaces_by_name_and_keeps_created_at() {
    each_catalogue_store(|db| async move {
        let original = provider("groq", 0, false);
        db.upsert(&original).await.unwrap();
        db.upsert(&provider("openai", 1, true)).await.unwrap();

        let replacement = Provider {
            name: "groq".into(),
            kind: ProviderKind::OpenaiCompatible,
            sealed_api_key: None,
            key_hint: String::new(),
            base_url: Some("https://groq.example/v1".into()),
            default_model: None,
            is_default: false,
            created_at: NOW.plus_millis(500),
            updated_at: NOW.plus_millis(600),
        };
        db.upsert(&replacement).await.unwrap();
        let expected = Provider { created_at: original.created_at, ..replacement };
        assert_eq!(ProviderStore::get(&*db, "groq").await.unwrap(), Some(expected.clone()));
        // Still one row per name, and the oldest first by the kept creation time.
        let names: Vec<String> = all(&*db).await.into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["groq", "openai"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_default_upsert_makes_it_the_only_default() {
    each_catalogue_store(|db| async move {
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 1, false)).await.unwrap();
        assert_eq!(defaults(&all(&*db).await), ["anthropic"]);

        // A new default provider takes the role.
        db.upsert(&provider("groq", 2, true)).await.unwrap();
        assert_eq!(defaults(&all(&*db).await), ["groq"]);
        // An existing one takes it back on replace.
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        assert_eq!(defaults(&all(&*db).await), ["anthropic"]);
        // Replacing the default as the default, or another one as not the default, changes no role.
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 1, false)).await.unwrap();
        assert_eq!(defaults(&all(&*db).await), ["anthropic"]);
        // The other rows are otherwise untouched.
        assert_eq!(ProviderStore::get(&*db, "groq").await.unwrap(), Some(provider("groq", 2, false)));
        // A replace may also drop the role, leaving no default.
        db.upsert(&provider("anthropic", 0, false)).await.unwrap();
        assert_eq!(defaults(&all(&*db).await), Vec::<&str>::new());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_default_upserts_leave_exactly_one_default() {
    each_catalogue_store(|db| async move {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { db.upsert(&provider(&format!("p{i}"), i, true)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let providers = all(&*db).await;
        assert_eq!(providers.len(), 8);
        assert_eq!(defaults(&providers).len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_provider_moves_exactly_its_agents_to_the_default() {
    each_catalogue_store(|db| async move {
        db.upsert(&provider("openai", 0, true)).await.unwrap();
        db.upsert(&provider("open", 1, false)).await.unwrap();
        db.upsert(&provider("groq", 2, false)).await.unwrap();

        let moves = with_model("Moves", 0, Some("open/llama-3"));
        let moves_too = with_model("Moves too", 1, Some("open/a/b"));
        let deleted = Agent { deleted_at: Some(NOW), ..with_model("Deleted", 2, Some("open/llama-3")) };
        let prefix_named = with_model("Prefix named", 3, Some("openai/gpt-4.1"));
        let other_case = with_model("Other case", 4, Some("OPEN/llama-3"));
        let no_slash = with_model("No slash", 5, Some("open"));
        let elsewhere = with_model("Elsewhere", 6, Some("groq/mixtral"));
        let model_less = with_model("Model-less", 7, None);
        let wildcard = with_model("Wildcard", 8, Some("op%n/x"));
        let stay = [&deleted, &prefix_named, &other_case, &no_slash, &elsewhere, &model_less, &wildcard];
        for a in [&moves, &moves_too].into_iter().chain(stay) {
            AgentStore::insert(&*db, a).await.unwrap();
        }

        let now = NOW.plus_millis(1_000);
        let (plan, moved) = db.remove("open", now, plan_provider_removal).await.unwrap();
        // Not the default: the default stays and receives the agents.
        assert_eq!(plan, RemovalPlan { new_default: None, replacement_model: Some("openai/openai-model".into()) });
        assert_eq!(moved, 2);
        for a in [&moves, &moves_too] {
            let expected = Agent { model: Some("openai/openai-model".into()), updated_at: now, ..(*a).clone() };
            assert_eq!(get_agent(&*db, a.id).await, expected);
        }
        for a in stay {
            assert_eq!(&get_agent(&*db, a.id).await, a, "{} must not move", a.name);
        }
        assert_eq!(all(&*db).await, vec![provider("openai", 0, true), provider("groq", 2, false)]);
        assert_eq!(ProviderStore::get(&*db, "open").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_default_hands_the_role_to_the_oldest_remaining() {
    each_catalogue_store(|db| async move {
        db.upsert(&provider("groq", 20, false)).await.unwrap();
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 10, false)).await.unwrap();
        let claude = with_model("Claude", 0, Some("anthropic/claude-haiku"));
        let gpt = with_model("GPT", 1, Some("openai/gpt-4.1"));
        AgentStore::insert(&*db, &claude).await.unwrap();
        AgentStore::insert(&*db, &gpt).await.unwrap();

        let now = NOW.plus_millis(1_000);
        let (plan, moved) = db.remove("anthropic", now, plan_provider_removal).await.unwrap();
        assert_eq!(
            plan,
            RemovalPlan { new_default: Some("openai".into()), replacement_model: Some("openai/openai-model".into()) }
        );
        assert_eq!(moved, 1);
        assert_eq!(all(&*db).await, vec![provider("openai", 10, true), provider("groq", 20, false)]);
        let moved_claude = Agent { model: Some("openai/openai-model".into()), updated_at: now, ..claude.clone() };
        assert_eq!(get_agent(&*db, claude.id).await, moved_claude);
        assert_eq!(get_agent(&*db, gpt.id).await, gpt);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_are_left_without_a_model_when_the_target_has_none() {
    each_catalogue_store(|db| async move {
        db.upsert(&Provider { default_model: None, ..provider("ollama-local", 0, true) }).await.unwrap();
        db.upsert(&provider("groq", 1, false)).await.unwrap();
        let a = with_model("Groq user", 0, Some("groq/mixtral"));
        AgentStore::insert(&*db, &a).await.unwrap();

        let now = NOW.plus_millis(7);
        let (plan, moved) = db.remove("groq", now, plan_provider_removal).await.unwrap();
        assert_eq!(plan, RemovalPlan { new_default: None, replacement_model: None });
        assert_eq!(moved, 1);
        assert_eq!(get_agent(&*db, a.id).await, Agent { model: None, updated_at: now, ..a });
        // Such agents are then found by `assign_model_where_missing`.
        assert_eq!(db.assign_model_where_missing("ollama-local/llama3.1:8b", now).await, Ok(1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_provider_is_refused_and_nothing_changes() {
    each_catalogue_store(|db| async move {
        let only = provider("anthropic", 0, true);
        db.upsert(&only).await.unwrap();
        let a = with_model("Claude", 0, Some("anthropic/claude-haiku"));
        AgentStore::insert(&*db, &a).await.unwrap();

        let refused = db.remove("anthropic", NOW.plus_millis(5), plan_provider_removal).await;
        assert_eq!(refused, Err(StoreError::Conflict(pincer_core::Rule::LastProvider)));
        assert_eq!(all(&*db).await, vec![only]);
        assert_eq!(get_agent(&*db, a.id).await, a);
    })
    .await;
}

/// Refuses every removal, after checking what the store handed over.
fn refuse_after_checking(removed: &Provider, remaining: &[Provider]) -> Result<RemovalPlan, RemovalRefused> {
    assert_eq!(removed, &provider("groq", 5, false));
    let names: Vec<&str> = remaining.iter().map(|p| p.name.as_str()).collect();
    // Oldest first, without the removed one.
    assert_eq!(names, ["anthropic", "openai"]);
    Err(RemovalRefused::LastProvider)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_by_the_rule_changes_nothing() {
    each_catalogue_store(|db| async move {
        for p in [provider("openai", 10, false), provider("groq", 5, false), provider("anthropic", 0, true)] {
            db.upsert(&p).await.unwrap();
        }
        let a = with_model("Groq user", 0, Some("groq/mixtral"));
        AgentStore::insert(&*db, &a).await.unwrap();
        let before = all(&*db).await;

        let refused = db.remove("groq", NOW.plus_millis(5), refuse_after_checking).await;
        assert_eq!(refused, Err(StoreError::Conflict(pincer_core::Rule::LastProvider)));
        assert_eq!(all(&*db).await, before);
        assert_eq!(get_agent(&*db, a.id).await, a);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_an_unknown_provider_is_not_found() {
    each_catalogue_store(|db| async move {
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 1, false)).await.unwrap();
        let before = all(&*db).await;
        assert_eq!(db.remove("groq", NOW, plan_provider_removal).await, Err(StoreError::NotFound));
        assert_eq!(db.remove("Anthropic", NOW, plan_provider_removal).await, Err(StoreError::NotFound));
        assert_eq!(all(&*db).await, before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remove_that_fails_midway_is_rolled_back() {
    each_backend_with_url(|db, url| async move {
        let db: std::sync::Arc<dyn CatalogueStores> = std::sync::Arc::new(db);
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 1, false)).await.unwrap();
        let a = with_model("Claude", 0, Some("anthropic/claude-haiku"));
        AgentStore::insert(&*db, &a).await.unwrap();
        let before = all(&*db).await;

        // Moving the agents (the last step, after the delete and the new default) fails.
        if url.starts_with("postgres") {
            execute(
                &url,
                "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'refused'; END $$; \
                 CREATE TRIGGER refuse_agent_updates BEFORE UPDATE ON agents \
                 FOR EACH ROW EXECUTE FUNCTION refuse_update();",
            )
            .await;
        } else {
            execute(
                &url,
                "CREATE TRIGGER refuse_agent_updates BEFORE UPDATE ON agents \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .await;
        }
        let failed = db.remove("anthropic", NOW.plus_millis(5), plan_provider_removal).await;
        assert_eq!(failed, Err(StoreError::Unavailable));
        assert_eq!(all(&*db).await, before);
        assert_eq!(get_agent(&*db, a.id).await, a);

        // Without the trigger the same removal goes through.
        let drop = if url.starts_with("postgres") {
            "DROP TRIGGER refuse_agent_updates ON agents"
        } else {
            "DROP TRIGGER refuse_agent_updates"
        };
        execute(&url, drop).await;
        let (plan, moved) = db.remove("anthropic", NOW.plus_millis(5), plan_provider_removal).await.unwrap();
        assert_eq!((plan.new_default.as_deref(), moved), (Some("openai"), 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_removals_keep_one_provider() {
    each_catalogue_store(|db| async move {
        for (i, name) in ["anthropic", "openai", "groq", "google"].into_iter().enumerate() {
            db.upsert(&provider(name, i as i64, i == 0)).await.unwrap();
        }
        let tasks: Vec<_> = ["anthropic", "openai", "groq", "google"]
            .into_iter()
            .map(|name| {
                let db = db.clone();
                tokio::spawn(async move { db.remove(name, NOW.plus_millis(9), plan_provider_removal).await })
            })
            .collect();
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e, StoreError::Conflict(pincer_core::Rule::LastProvider));
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 1);
        let left = all(&*db).await;
        assert_eq!(left.len(), 1);
        assert!(left[0].is_default, "the survivor is the default: {left:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_that_do_not_decode_are_reported_not_panicked_on() {
    each_backend_with_url(|db, url| async move {
        let db: std::sync::Arc<dyn CatalogueStores> = std::sync::Arc::new(db);
        db.upsert(&provider("anthropic", 0, true)).await.unwrap();
        db.upsert(&provider("openai", 1, false)).await.unwrap();
        execute(&url, "UPDATE providers SET kind = 'mystery' WHERE name = 'openai'").await;

        assert_eq!(ProviderStore::get(&*db, "anthropic").await.unwrap(), Some(provider("anthropic", 0, true)));
        assert_eq!(ProviderStore::get(&*db, "openai").await, Err(StoreError::Unavailable));
        assert_eq!(ProviderStore::list(&*db).await, Err(StoreError::Unavailable));
        // The removal plan is never made from rows that do not decode.
        assert_eq!(db.remove("anthropic", NOW, plan_provider_removal).await, Err(StoreError::Unavailable));
        execute(&url, "UPDATE providers SET kind = 'openai' WHERE name = 'openai'").await;
        assert_eq!(all(&*db).await, vec![provider("anthropic", 0, true), provider("openai", 1, false)]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn timestamps_are_stored_exactly() {
    each_catalogue_store(|db| async move {
        let p = Provider { created_at: Timestamp(-5), updated_at: Timestamp(i64::MAX), ..provider("groq", 0, false) };
        db.upsert(&p).await.unwrap();
        assert_eq!(ProviderStore::get(&*db, "groq").await.unwrap(), Some(p));
    })
    .await;
}
