//! `AgentStore`: every field round trips, what `list_live` holds (live shared agents and the
//! viewer's own, oldest first; groups narrow them in the service, see `groups.rs`), one live personal agent per user (a partial unique index,
//! reported by name on both backends), updates and soft deletion of live agents only, and rows
//! that do not decode.

use pincer_agents::{Agent, AgentStore};
use pincer_core::{AgentId, Role, StoreError, Timestamp, UserId};
use pincer_identity::User;

use crate::support::{CatalogueStores, NOW, each_backend_with_url, each_catalogue_store, execute, user};

/// A shared agent created `ms` after `NOW`, with a model.
pub fn agent(name: &str, ms: i64) -> Agent {
    let at = NOW.plus_millis(ms);
    Agent {
        id: AgentId::new(),
        name: name.to_string(),
        model: Some("anthropic/claude-haiku".into()),
        template_id: "blank".into(),
        allowed_tools: vec!["ls".into()],
        allowed_paths: vec![],
        personal_owner: None,
        created_by: None,
        greeting: format!("Hello from {name}"),
        instructions: String::new(),
        tagline: String::new(),
        starter_prompts: vec![],
        visibility: Default::default(),
        group_ids: Vec::new(),
        deleted_at: None,
        created_at: at,
        updated_at: at,
    }
}

/// The personal agent of `owner`, created `ms` after `NOW`.
pub fn personal(owner: &User, ms: i64) -> Agent {
    Agent { personal_owner: Some(owner.id), created_by: Some(owner.id), ..agent("Smithers", ms) }
}

async fn insert_user(db: &dyn CatalogueStores, email: &str) -> User {
    let u = user(email, Role::Member);
    pincer_identity::UserStore::insert(db, &u).await.unwrap();
    u
}

async fn get(db: &dyn CatalogueStores, id: AgentId) -> Agent {
    AgentStore::get(db, id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_then_get_round_trips_every_field() {
    each_catalogue_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let admin = insert_user(&*db, "admin@example.com").await;
        let full = Agent {
            id: AgentId::new(),
            name: "HR Policy Assistant ✓".into(),
            model: Some("openai/gpt-4.1".into()),
            template_id: "documents".into(),
            allowed_tools: vec!["ls".into(), "read".into()],
            allowed_paths: vec!["/data/hr policies".into(), "/data/\"quoted\"/ünïcode".into()],
            personal_owner: Some(ada.id),
            created_by: Some(admin.id),
            greeting: "Hi!\nHow can I help?".into(),
            instructions: "# Rules\n- be brief".into(),
            tagline: "Ask about leave".into(),
            starter_prompts: vec!["How many days off?".into(), String::new(), "[not json]".into()],
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: Some(NOW.plus_millis(99)),
            created_at: NOW,
            updated_at: NOW.plus_millis(5),
        };
        // Everything optional left out, every list empty.
        let bare = Agent {
            model: None,
            allowed_tools: vec![],
            personal_owner: None,
            created_by: None,
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: None,
            ..agent("Bare", 1)
        };
        AgentStore::insert(&*db, &full).await.unwrap();
        AgentStore::insert(&*db, &bare).await.unwrap();

        // `get` returns deleted agents too.
        assert_eq!(get(&*db, full.id).await, full);
        assert_eq!(get(&*db, bare.id).await, bare);
        assert_eq!(AgentStore::get(&*db, AgentId::new()).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_id_and_unknown_owner_conflict() {
    each_catalogue_store(|db| async move {
        let first = agent("First", 0);
        AgentStore::insert(&*db, &first).await.unwrap();
        let again = Agent { name: "Again".into(), ..first.clone() };
        assert_eq!(AgentStore::insert(&*db, &again).await, Err(StoreError::Conflict(pincer_core::Rule::Id)));
        assert_eq!(get(&*db, first.id).await, first);

        let ghost = User { id: UserId::new(), ..user("ghost@example.com", Role::Member) };
        let orphan = personal(&ghost, 1);
        assert_eq!(AgentStore::insert(&*db, &orphan).await, Err(StoreError::Conflict(pincer_core::Rule::ForeignKey)));
        assert_eq!(AgentStore::get(&*db, orphan.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_live_personal_agent_per_user() {
    each_catalogue_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let bob = insert_user(&*db, "bob@example.com").await;
        let first = personal(&ada, 0);
        AgentStore::insert(&*db, &first).await.unwrap();

        let second = personal(&ada, 1);
        assert_eq!(
            AgentStore::insert(&*db, &second).await,
            Err(StoreError::Conflict(pincer_core::Rule::PersonalAgent))
        );
        assert_eq!(AgentStore::get(&*db, second.id).await.unwrap(), None);

        // Another user may have one, and shared agents are not limited.
        AgentStore::insert(&*db, &personal(&bob, 2)).await.unwrap();
        AgentStore::insert(&*db, &agent("Shared A", 3)).await.unwrap();
        AgentStore::insert(&*db, &agent("Shared B", 4)).await.unwrap();
        // A personal agent created by someone else still counts for its owner.
        let by_admin = Agent { created_by: Some(bob.id), ..personal(&ada, 5) };
        assert_eq!(
            AgentStore::insert(&*db, &by_admin).await,
            Err(StoreError::Conflict(pincer_core::Rule::PersonalAgent))
        );

        // Once the first is deleted, the user may get a new one; deleted ones do not count.
        db.soft_delete(first.id, NOW.plus_millis(10)).await.unwrap();
        AgentStore::insert(&*db, &second).await.unwrap();
        let third = personal(&ada, 6);
        assert_eq!(AgentStore::insert(&*db, &third).await, Err(StoreError::Conflict(pincer_core::Rule::PersonalAgent)));
        db.soft_delete(second.id, NOW.plus_millis(11)).await.unwrap();
        AgentStore::insert(&*db, &third).await.unwrap();
        // An agent inserted already deleted is not live either.
        AgentStore::insert(&*db, &Agent { deleted_at: Some(NOW), ..personal(&ada, 7) }).await.unwrap();

        let ada_sees: Vec<String> = db.list_live(ada.id).await.unwrap().into_iter().map(|a| a.name).collect();
        assert_eq!(ada_sees, ["Shared A", "Shared B", "Smithers"]);
        assert_eq!(db.list_live(ada.id).await.unwrap()[2].id, third.id);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_live_shows_live_shared_and_own_personal_agents_oldest_first() {
    each_catalogue_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let bob = insert_user(&*db, "bob@example.com").await;
        let carol = insert_user(&*db, "carol@example.com").await;

        let late = agent("Late", 50);
        let ada_own = personal(&ada, 20);
        let bob_own = personal(&bob, 10);
        let early = agent("Early", 0);
        // Same creation time: the id breaks the tie.
        let tie_a = agent("Tie A", 30);
        let tie_b = agent("Tie B", 30);
        let deleted_shared = Agent { deleted_at: Some(NOW.plus_millis(60)), ..agent("Gone", 5) };
        let carol_deleted = Agent { deleted_at: Some(NOW.plus_millis(60)), ..personal(&carol, 15) };
        for a in [&late, &ada_own, &bob_own, &early, &tie_a, &tie_b, &deleted_shared, &carol_deleted] {
            AgentStore::insert(&*db, a).await.unwrap();
        }

        let mut shared = vec![early.clone(), tie_a.clone(), tie_b.clone(), late.clone()];
        shared.sort_by_key(|a| (a.created_at, a.id));
        let mut ada_expected = shared.clone();
        ada_expected.push(ada_own.clone());
        ada_expected.sort_by_key(|a| (a.created_at, a.id));
        let mut bob_expected = shared.clone();
        bob_expected.push(bob_own.clone());
        bob_expected.sort_by_key(|a| (a.created_at, a.id));

        assert_eq!(db.list_live(ada.id).await.unwrap(), ada_expected);
        assert_eq!(db.list_live(bob.id).await.unwrap(), bob_expected);
        // Carol's personal agent is deleted; an unknown user sees shared agents only.
        assert_eq!(db.list_live(carol.id).await.unwrap(), shared);
        assert_eq!(db.list_live(UserId::new()).await.unwrap(), shared);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_replaces_the_mutable_fields_only() {
    each_catalogue_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let bob = insert_user(&*db, "bob@example.com").await;
        let original = Agent { instructions: "old".into(), starter_prompts: vec!["old?".into()], ..personal(&ada, 0) };
        AgentStore::insert(&*db, &original).await.unwrap();
        let untouched = agent("Untouched", 1);
        AgentStore::insert(&*db, &untouched).await.unwrap();

        let later = NOW.plus_millis(1_000);
        let edited = Agent {
            name: "Renamed".into(),
            model: None,
            template_id: "documents".into(),
            allowed_tools: vec!["ls".into(), "read".into()],
            allowed_paths: vec!["/data/a".into()],
            greeting: "New greeting".into(),
            instructions: "new".into(),
            tagline: "new tagline".into(),
            starter_prompts: vec![],
            updated_at: later,
            // Not mutable through `update`:
            personal_owner: Some(bob.id),
            created_by: None,
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: Some(later),
            created_at: later,
            ..original.clone()
        };
        db.update(&edited).await.unwrap();

        let expected = Agent {
            personal_owner: original.personal_owner,
            created_by: original.created_by,
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: None,
            created_at: original.created_at,
            ..edited
        };
        assert_eq!(get(&*db, original.id).await, expected);
        assert_eq!(get(&*db, untouched.id).await, untouched);
        // Still Ada's, and still live.
        assert_eq!(db.list_live(ada.id).await.unwrap().len(), 2);
        assert_eq!(db.list_live(bob.id).await.unwrap(), vec![untouched]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_and_soft_delete_need_a_live_agent() {
    each_catalogue_store(|db| async move {
        let unknown = agent("Unknown", 0);
        assert_eq!(db.update(&unknown).await, Err(StoreError::NotFound));
        assert_eq!(db.soft_delete(unknown.id, NOW).await, Err(StoreError::NotFound));
        assert_eq!(AgentStore::get(&*db, unknown.id).await.unwrap(), None);

        let doomed = agent("Doomed", 0);
        AgentStore::insert(&*db, &doomed).await.unwrap();
        let deleted_at = NOW.plus_millis(100);
        db.soft_delete(doomed.id, deleted_at).await.unwrap();
        let deleted = Agent { deleted_at: Some(deleted_at), updated_at: deleted_at, ..doomed.clone() };
        assert_eq!(get(&*db, doomed.id).await, deleted);

        // A deleted agent can be neither deleted again (the first time is kept) nor edited.
        assert_eq!(db.soft_delete(doomed.id, NOW.plus_millis(200)).await, Err(StoreError::NotFound));
        let edit = Agent { name: "Back".into(), updated_at: NOW.plus_millis(300), ..doomed.clone() };
        assert_eq!(db.update(&edit).await, Err(StoreError::NotFound));
        assert_eq!(get(&*db, doomed.id).await, deleted);
        assert_eq!(db.list_live(UserId::new()).await.unwrap(), vec![]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn assign_model_where_missing_touches_model_less_live_agents_only() {
    each_catalogue_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let missing = Agent { model: None, ..agent("Missing", 0) };
        let missing_personal = Agent { model: None, ..personal(&ada, 1) };
        let has_model = agent("Has model", 2);
        let deleted = Agent { model: None, deleted_at: Some(NOW), ..agent("Deleted", 3) };
        for a in [&missing, &missing_personal, &has_model, &deleted] {
            AgentStore::insert(&*db, a).await.unwrap();
        }

        let now = NOW.plus_millis(500);
        assert_eq!(db.assign_model_where_missing("openai/gpt-4.1", now).await, Ok(2));
        let given = |a: &Agent| Agent { model: Some("openai/gpt-4.1".into()), updated_at: now, ..a.clone() };
        assert_eq!(get(&*db, missing.id).await, given(&missing));
        assert_eq!(get(&*db, missing_personal.id).await, given(&missing_personal));
        assert_eq!(get(&*db, has_model.id).await, has_model);
        assert_eq!(get(&*db, deleted.id).await, deleted);

        assert_eq!(db.assign_model_where_missing("google/gemini", NOW.plus_millis(600)).await, Ok(0));
        assert_eq!(get(&*db, missing.id).await, given(&missing));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_that_do_not_decode_are_reported_not_panicked_on() {
    each_backend_with_url(|db, url| async move {
        let db: std::sync::Arc<dyn CatalogueStores> = std::sync::Arc::new(db);
        let good = agent("Good", 0);
        let bad_json = agent("Bad JSON", 1);
        let bad_id = agent("Bad id", 2);
        for a in [&good, &bad_json, &bad_id] {
            AgentStore::insert(&*db, a).await.unwrap();
        }
        execute(&url, &format!("UPDATE agents SET allowed_paths = '[\"a\", 1' WHERE id = '{}'", bad_json.id)).await;
        execute(&url, &format!("UPDATE agents SET created_by = 'not-a-uuid' WHERE id = '{}'", bad_id.id)).await;

        assert_eq!(get(&*db, good.id).await, good);
        assert_eq!(AgentStore::get(&*db, bad_json.id).await, Err(StoreError::Unavailable));
        assert_eq!(AgentStore::get(&*db, bad_id.id).await, Err(StoreError::Unavailable));
        assert_eq!(db.list_live(UserId::new()).await, Err(StoreError::Unavailable));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn timestamps_are_stored_exactly() {
    each_catalogue_store(|db| async move {
        // Beyond 32 bits and negative: BIGINT milliseconds on both backends.
        let a = Agent {
            created_at: Timestamp(-1),
            updated_at: Timestamp(i64::MAX),
            visibility: Default::default(),
            group_ids: Vec::new(),
            deleted_at: Some(Timestamp(i64::MIN)),
            ..agent("Times", 0)
        };
        AgentStore::insert(&*db, &a).await.unwrap();
        assert_eq!(get(&*db, a.id).await, a);
    })
    .await;
}
