//! `ChannelStore` on both backends: one binding per target (a replacement takes the old one's
//! threads along, a refused one changes nothing), a credential bound once per transport, the
//! agent must exist; toggling, a cursor that only moves forward, the last error set and cleared;
//! removal with counts; one link per user and per identity on a transport; threads upserted per
//! binding, conversation and user.

use pincer_channels::{Binding, ChannelStore, Link, Target, Transport};
use pincer_core::{AgentId, ChannelBindingId, Rule, StoreError, UserId};

use crate::conversations::{insert_agent, insert_user};
use crate::support::{NOW, each_backend, each_backend_with_url, execute};

const TELEGRAM: Transport = Transport::Telegram;

/// A Telegram binding of `target` whose token digest is `digest`, bound `ms` after `NOW`.
fn binding(target: Target, digest: &str, by: UserId, ms: i64) -> Binding {
    let at = NOW.plus_millis(ms);
    Binding {
        id: ChannelBindingId::new(),
        transport: TELEGRAM,
        target,
        account_id: format!("bot-of-{digest}"),
        account_name: format!("{digest}_bot"),
        secret_sealed: format!("sealed-{digest}"),
        secret_hint: "wxyz".into(),
        secret_digest: digest.into(),
        enabled: true,
        cursor: 0,
        last_error: None,
        last_error_at: None,
        created_by: by,
        created_at: at,
        updated_at: at,
    }
}

fn link(user: UserId, external_id: &str, ms: i64) -> Link {
    Link { transport: TELEGRAM, external_id: external_id.into(), user_id: user, created_at: NOW.plus_millis(ms) }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_binding_per_target_and_a_replacement_takes_the_old_threads() {
    each_backend(|db| async move {
        let admin = insert_user(&db, "admin@example.com").await.id;
        let ada = insert_user(&db, "ada@example.com").await.id;
        let helper = insert_agent(&db, "Helper").await;

        // Stored later but bound earlier: the list is oldest first, not in insertion order.
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 5);
        db.put_binding(&shared).await.unwrap();
        let main = binding(Target::Personal, "digest-main", admin, 0);
        db.put_binding(&main).await.unwrap();
        assert_eq!(db.bindings().await.unwrap(), [main.clone(), shared.clone()]);
        assert_eq!(db.binding_for(TELEGRAM, Target::Personal).await.unwrap(), Some(main.clone()));
        assert_eq!(db.binding_for(TELEGRAM, Target::Agent(helper)).await.unwrap(), Some(shared.clone()));
        assert_eq!(db.binding_for(TELEGRAM, Target::Agent(AgentId::new())).await.unwrap(), None);
        assert_eq!(db.binding(main.id).await.unwrap(), Some(main.clone()));
        assert_eq!(db.binding(ChannelBindingId::new()).await.unwrap(), None);

        // Every field round trips, the optional ones included.
        let errored = Binding {
            cursor: 42,
            enabled: false,
            last_error: Some("409 Conflict".into()),
            last_error_at: Some(NOW.plus_millis(3)),
            ..binding(Target::Personal, "digest-errored", admin, 1)
        };
        db.put_binding(&errored).await.unwrap();
        assert_eq!(db.binding_for(TELEGRAM, Target::Personal).await.unwrap(), Some(errored.clone()));
        assert_eq!(db.binding(main.id).await.unwrap(), None, "the target's earlier binding was replaced");
        db.put_binding(&main).await.unwrap();

        db.set_thread(main.id, "chat-1", ada, "key-main", NOW).await.unwrap();
        db.set_thread(shared.id, "chat-1", ada, "key-shared", NOW).await.unwrap();

        // A new token for the main bot: a new row replaces the old one, and its threads go along.
        let rebound = binding(Target::Personal, "digest-main-2", admin, 10);
        db.put_binding(&rebound).await.unwrap();
        assert_eq!(db.binding(main.id).await.unwrap(), None);
        assert_eq!(db.binding_for(TELEGRAM, Target::Personal).await.unwrap(), Some(rebound.clone()));
        assert_eq!(db.thread(main.id, "chat-1", ada).await.unwrap(), None, "the old binding's threads went");
        assert_eq!(db.thread(rebound.id, "chat-1", ada).await.unwrap(), None);
        assert_eq!(db.thread(shared.id, "chat-1", ada).await.unwrap().as_deref(), Some("key-shared"));
        assert_eq!(db.bindings().await.unwrap(), [shared.clone(), rebound.clone()]);

        // The same token bound again to the same target is a replacement, not a clash.
        let again = binding(Target::Personal, "digest-main-2", admin, 11);
        db.put_binding(&again).await.unwrap();
        assert_eq!(db.binding_for(TELEGRAM, Target::Personal).await.unwrap(), Some(again));
        assert_eq!(db.binding(rebound.id).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_is_bound_once_and_the_agent_must_exist() {
    each_backend(|db| async move {
        let admin = insert_user(&db, "admin@example.com").await.id;
        let ada = insert_user(&db, "ada@example.com").await.id;
        let helper = insert_agent(&db, "Helper").await;
        let other = insert_agent(&db, "Other").await;
        let main = binding(Target::Personal, "digest-main", admin, 0);
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 1);
        db.put_binding(&main).await.unwrap();
        db.put_binding(&shared).await.unwrap();
        db.set_thread(main.id, "chat-1", ada, "key-main", NOW).await.unwrap();

        // The main bot's token for another agent.
        let stolen = binding(Target::Agent(other), "digest-main", admin, 2);
        assert_eq!(db.put_binding(&stolen).await, Err(StoreError::Conflict(Rule::Unique)));
        assert_eq!(db.binding_for(TELEGRAM, Target::Agent(other)).await.unwrap(), None);

        // A replacement of the main bot with the helper's token: refused, and the transaction's
        // removal of the main bot is rolled back with it.
        let clash = binding(Target::Personal, "digest-helper", admin, 3);
        assert_eq!(db.put_binding(&clash).await, Err(StoreError::Conflict(Rule::Unique)));
        assert_eq!(db.binding_for(TELEGRAM, Target::Personal).await.unwrap(), Some(main.clone()));
        assert_eq!(db.binding(clash.id).await.unwrap(), None);
        assert_eq!(db.thread(main.id, "chat-1", ada).await.unwrap().as_deref(), Some("key-main"));
        assert_eq!(db.bindings().await.unwrap(), [main.clone(), shared.clone()]);

        // An agent that does not exist, and an admin who does not.
        let orphan = binding(Target::Agent(AgentId::new()), "digest-orphan", admin, 4);
        assert_eq!(db.put_binding(&orphan).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        let nobody = binding(Target::Agent(other), "digest-nobody", UserId::new(), 5);
        assert_eq!(db.put_binding(&nobody).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        assert_eq!(db.bindings().await.unwrap(), [main, shared]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bindings_toggle_keep_their_cursor_forward_and_their_last_error() {
    each_backend(|db| async move {
        let admin = insert_user(&db, "admin@example.com").await.id;
        let main = binding(Target::Personal, "digest-main", admin, 0);
        db.put_binding(&main).await.unwrap();
        let get = |id| {
            let db = db.clone();
            async move { db.binding(id).await.unwrap().unwrap() }
        };

        assert!(db.set_enabled(main.id, false, NOW.plus_millis(10)).await.unwrap());
        let off = get(main.id).await;
        assert_eq!((off.enabled, off.updated_at, off.created_at), (false, NOW.plus_millis(10), NOW));
        assert!(db.set_enabled(main.id, true, NOW.plus_millis(20)).await.unwrap());
        let on = get(main.id).await;
        assert_eq!((on.enabled, on.updated_at), (true, NOW.plus_millis(20)));
        assert!(!db.set_enabled(ChannelBindingId::new(), false, NOW).await.unwrap());

        let mut seen = Vec::new();
        for cursor in [100, 50, 100, 101, -1, 0] {
            db.advance_cursor(main.id, cursor).await.unwrap();
            seen.push(get(main.id).await.cursor);
        }
        assert_eq!(seen, [100, 100, 100, 101, 101, 101], "the cursor never goes back");
        db.advance_cursor(ChannelBindingId::new(), 5).await.unwrap();

        db.set_last_error(main.id, Some("401 Unauthorized"), Some(NOW.plus_millis(30))).await.unwrap();
        let failed = get(main.id).await;
        assert_eq!(failed.last_error.as_deref(), Some("401 Unauthorized"));
        assert_eq!(failed.last_error_at, Some(NOW.plus_millis(30)));
        db.set_last_error(main.id, Some("409 Conflict"), Some(NOW.plus_millis(40))).await.unwrap();
        let again = get(main.id).await;
        assert_eq!(
            (again.last_error.as_deref(), again.last_error_at),
            (Some("409 Conflict"), Some(NOW.plus_millis(40)))
        );
        db.set_last_error(main.id, None, None).await.unwrap();
        let cleared = get(main.id).await;
        assert_eq!((cleared.last_error, cleared.last_error_at), (None, None));

        // Neither the cursor nor the errors count as a change of the binding.
        assert_eq!((cleared.cursor, cleared.enabled, cleared.updated_at), (101, true, NOW.plus_millis(20)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_bindings_counts_them_and_takes_their_threads() {
    each_backend_with_url(|db, url| async move {
        let admin = insert_user(&db, "admin@example.com").await.id;
        let ada = insert_user(&db, "ada@example.com").await.id;
        let helper = insert_agent(&db, "Helper").await;
        let main = binding(Target::Personal, "digest-main", admin, 0);
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 1);
        db.put_binding(&main).await.unwrap();
        db.put_binding(&shared).await.unwrap();
        db.set_thread(shared.id, "chat-1", ada, "key-shared", NOW).await.unwrap();

        assert!(db.delete_binding(shared.id).await.unwrap());
        assert!(!db.delete_binding(shared.id).await.unwrap());
        assert_eq!(db.binding(shared.id).await.unwrap(), None);
        assert_eq!(db.thread(shared.id, "chat-1", ada).await.unwrap(), None);
        assert_eq!(db.bindings().await.unwrap(), std::slice::from_ref(&main));

        // The token is free again once its binding is gone.
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 2);
        db.put_binding(&shared).await.unwrap();
        db.set_thread(main.id, "chat-1", ada, "key-main", NOW).await.unwrap();
        assert_eq!(db.delete_bindings(TELEGRAM).await.unwrap(), 2);
        assert!(db.bindings().await.unwrap().is_empty());
        assert_eq!(db.thread(main.id, "chat-1", ada).await.unwrap(), None);
        assert_eq!(db.delete_bindings(TELEGRAM).await.unwrap(), 0);

        // An agent removed for good (behind the port's back) takes its binding and threads along.
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 3);
        db.put_binding(&shared).await.unwrap();
        db.set_thread(shared.id, "chat-1", ada, "key-shared", NOW).await.unwrap();
        execute(&url, &format!("DELETE FROM agents WHERE id = '{helper}'")).await;
        assert_eq!(db.binding(shared.id).await.unwrap(), None);
        assert_eq!(db.thread(shared.id, "chat-1", ada).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_has_one_link_and_an_identity_one_user() {
    each_backend(|db| async move {
        let ada = insert_user(&db, "ada@example.com").await.id;
        let bob = insert_user(&db, "bob@example.com").await.id;

        let first = link(ada, "111", 0);
        db.link(&first).await.unwrap();
        assert_eq!(db.link_of_user(TELEGRAM, ada).await.unwrap(), Some(first.clone()));
        assert_eq!(db.link_of_identity(TELEGRAM, "111").await.unwrap(), Some(first.clone()));
        assert_eq!(db.link_of_user(TELEGRAM, bob).await.unwrap(), None);
        assert_eq!(db.link_of_identity(TELEGRAM, "999").await.unwrap(), None);

        // Ada links another identity: it replaces her first one.
        let second = link(ada, "222", 1);
        db.link(&second).await.unwrap();
        assert_eq!(db.link_of_user(TELEGRAM, ada).await.unwrap(), Some(second.clone()));
        assert_eq!(db.link_of_identity(TELEGRAM, "111").await.unwrap(), None);

        // Bob proves he holds "222": the identity moves to him, and Ada has no link left.
        let stolen = link(bob, "222", 2);
        db.link(&stolen).await.unwrap();
        assert_eq!(db.link_of_identity(TELEGRAM, "222").await.unwrap(), Some(stolen.clone()));
        assert_eq!(db.link_of_user(TELEGRAM, bob).await.unwrap(), Some(stolen.clone()));
        assert_eq!(db.link_of_user(TELEGRAM, ada).await.unwrap(), None);

        // Relinking the same pair keeps one row, with the new time.
        let relinked = link(bob, "222", 3);
        db.link(&relinked).await.unwrap();
        assert_eq!(db.link_of_user(TELEGRAM, bob).await.unwrap(), Some(relinked.clone()));

        db.link(&link(ada, "111", 4)).await.unwrap();
        assert!(db.unlink(TELEGRAM, ada).await.unwrap());
        assert!(!db.unlink(TELEGRAM, ada).await.unwrap());
        assert_eq!(db.link_of_user(TELEGRAM, ada).await.unwrap(), None);
        assert_eq!(db.link_of_identity(TELEGRAM, "111").await.unwrap(), None);
        assert_eq!(db.link_of_user(TELEGRAM, bob).await.unwrap(), Some(relinked), "Bob's link is untouched");

        assert_eq!(db.link(&link(UserId::new(), "333", 5)).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        assert_eq!(db.link_of_identity(TELEGRAM, "333").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn threads_are_upserted_per_binding_conversation_and_user() {
    each_backend(|db| async move {
        let admin = insert_user(&db, "admin@example.com").await.id;
        let ada = insert_user(&db, "ada@example.com").await.id;
        let bob = insert_user(&db, "bob@example.com").await.id;
        let helper = insert_agent(&db, "Helper").await;
        let main = binding(Target::Personal, "digest-main", admin, 0);
        let shared = binding(Target::Agent(helper), "digest-helper", admin, 1);
        db.put_binding(&main).await.unwrap();
        db.put_binding(&shared).await.unwrap();

        assert_eq!(db.thread(shared.id, "group-7", ada).await.unwrap(), None);
        db.set_thread(shared.id, "group-7", ada, "tg-1", NOW).await.unwrap();
        assert_eq!(db.thread(shared.id, "group-7", ada).await.unwrap().as_deref(), Some("tg-1"));

        // `/new`: the same conversation continues in a new chat.
        db.set_thread(shared.id, "group-7", ada, "tg-2", NOW.plus_millis(1)).await.unwrap();
        assert_eq!(db.thread(shared.id, "group-7", ada).await.unwrap().as_deref(), Some("tg-2"));

        // Each part of the key on its own.
        db.set_thread(shared.id, "group-7", bob, "tg-bob", NOW).await.unwrap();
        db.set_thread(shared.id, "dm-ada", ada, "tg-dm", NOW).await.unwrap();
        db.set_thread(main.id, "group-7", ada, "tg-main", NOW).await.unwrap();
        let keys = [
            db.thread(shared.id, "group-7", ada).await.unwrap(),
            db.thread(shared.id, "group-7", bob).await.unwrap(),
            db.thread(shared.id, "dm-ada", ada).await.unwrap(),
            db.thread(main.id, "group-7", ada).await.unwrap(),
            db.thread(main.id, "dm-ada", ada).await.unwrap(),
        ];
        let keys: Vec<Option<&str>> = keys.iter().map(Option::as_deref).collect();
        assert_eq!(keys, [Some("tg-2"), Some("tg-bob"), Some("tg-dm"), Some("tg-main"), None]);

        let unknown = ChannelBindingId::new();
        assert_eq!(
            db.set_thread(unknown, "group-7", ada, "tg-x", NOW).await,
            Err(StoreError::Conflict(Rule::ForeignKey))
        );
        assert_eq!(
            db.set_thread(shared.id, "group-7", UserId::new(), "tg-x", NOW).await,
            Err(StoreError::Conflict(Rule::ForeignKey))
        );
    })
    .await;
}
