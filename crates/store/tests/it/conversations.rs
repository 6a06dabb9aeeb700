//! `ConversationStore`: get-or-create of chats (also under concurrent callers), messages that round
//! trip every field, one client message id per chat (a partial unique index, reported by name on
//! both backends), the exact order of a chat's messages (an explicit sequence, not times or ids),
//! updates of the mutable fields only, interruption of streaming messages, rolled-back failures,
//! and rows that do not decode.

use std::collections::BTreeSet;

use pincer_agents::AgentStore;
use pincer_agents::chat::{Chat, Message, MessageRole, MessageStatus, NewTurn, ToolStep};
use pincer_core::{AgentId, ChatId, MessageId, Role, RunId, StoreError, Timestamp, UserId};
use pincer_identity::{User, UserStore};
use serde_json::json;

use crate::agents::agent;
use crate::support::{ConversationStores, NOW, each_backend_with_url, each_conversation_store, execute, user};

pub async fn insert_user(db: &dyn ConversationStores, email: &str) -> User {
    let u = user(email, Role::Member);
    UserStore::insert(db, &u).await.unwrap();
    u
}

pub async fn insert_agent(db: &dyn ConversationStores, name: &str) -> AgentId {
    let a = agent(name, 0);
    AgentStore::insert(db, &a).await.unwrap();
    a.id
}

/// A user and an agent, and the chat "main" between them, created at `NOW`.
async fn setup(db: &dyn ConversationStores) -> Chat {
    let ada = insert_user(db, "ada@example.com").await;
    let agent = insert_agent(db, "Helper").await;
    db.chat(ada.id, agent, "main", NOW).await.unwrap()
}

/// A user message sent `ms` after `NOW`.
fn user_message(chat: &Chat, text: &str, client_message_id: Option<&str>, ms: i64) -> Message {
    let at = NOW.plus_millis(ms);
    Message {
        id: MessageId::new(),
        chat_id: chat.id,
        role: MessageRole::User,
        content: text.to_string(),
        status: MessageStatus::Complete,
        steps: vec![],
        client_message_id: client_message_id.map(str::to_string),
        run_id: Some(RunId::new()),
        error: None,
        created_at: at,
        updated_at: at,
    }
}

/// An assistant message started `ms` after `NOW`.
fn assistant(chat: &Chat, text: &str, status: MessageStatus, ms: i64) -> Message {
    Message { role: MessageRole::Assistant, status, client_message_id: None, ..user_message(chat, text, None, ms) }
}

fn step(call_id: &str, arguments: serde_json::Value) -> ToolStep {
    ToolStep {
        call_id: call_id.to_string(),
        name: "read".into(),
        arguments,
        result_preview: format!("result of {call_id}"),
        is_error: false,
        denied: false,
    }
}

async fn all(db: &dyn ConversationStores, chat: &Chat) -> Vec<Message> {
    db.recent_messages(chat.id, 10_000).await.unwrap()
}

async fn reload(db: &dyn ConversationStores, chat: &Chat) -> Chat {
    db.find_chat(chat.user_id, chat.agent_id, &chat.key).await.unwrap().unwrap()
}

fn contents(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_is_got_or_created_per_user_agent_and_key() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let bob = insert_user(&*db, "bob@example.com").await;
        let helper = insert_agent(&*db, "Helper").await;
        let other = insert_agent(&*db, "Other").await;

        assert_eq!(db.find_chat(ada.id, helper, "main").await.unwrap(), None);
        let main = db.chat(ada.id, helper, "main", NOW).await.unwrap();
        assert_eq!((main.user_id, main.agent_id, main.key.as_str()), (ada.id, helper, "main"));
        assert_eq!((main.created_at, main.updated_at), (NOW, NOW));

        // The same key later is the same chat, as it was created.
        assert_eq!(db.chat(ada.id, helper, "main", NOW.plus_millis(500)).await.unwrap(), main);
        assert_eq!(db.find_chat(ada.id, helper, "main").await.unwrap(), Some(main.clone()));

        // Any part of the key differing is another chat (keys are case-sensitive).
        let mut ids = BTreeSet::from([main.id]);
        for (user, agent, key) in
            [(ada.id, helper, "Main"), (ada.id, helper, "other"), (ada.id, other, "main"), (bob.id, helper, "main")]
        {
            assert_eq!(db.find_chat(user, agent, key).await.unwrap(), None, "{key}");
            let chat = db.chat(user, agent, key, NOW.plus_millis(9)).await.unwrap();
            assert_eq!((chat.user_id, chat.agent_id, chat.key.as_str()), (user, agent, key));
            assert_eq!(chat.created_at, NOW.plus_millis(9));
            assert!(ids.insert(chat.id), "a new chat for {key}");
            assert_eq!(db.find_chat(user, agent, key).await.unwrap(), Some(chat));
        }
        // Looking does not create.
        assert_eq!(db.find_chat(bob.id, other, "main").await.unwrap(), None);
        assert_eq!(db.find_chat(bob.id, other, "main").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_get_the_same_chat() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let helper = insert_agent(&*db, "Helper").await;
        for round in 0..5 {
            let key = format!("key-{round}");
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let (db, key) = (db.clone(), key.clone());
                    tokio::spawn(async move { db.chat(ada.id, helper, &key, NOW.plus_millis(i)).await })
                })
                .collect();
            let mut chats = Vec::new();
            for task in tasks {
                chats.push(task.await.unwrap().unwrap());
            }
            let ids: BTreeSet<ChatId> = chats.iter().map(|c| c.id).collect();
            assert_eq!(ids.len(), 1, "round {round}: {chats:?}");
            // Every caller got the stored chat, whoever created it.
            let stored = db.find_chat(ada.id, helper, &key).await.unwrap().unwrap();
            assert!(chats.iter().all(|c| *c == stored), "round {round}: {chats:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_needs_a_known_user_and_agent() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let helper = insert_agent(&*db, "Helper").await;
        let (ghost_user, ghost_agent) = (UserId::new(), AgentId::new());
        assert_eq!(
            db.chat(ghost_user, helper, "main", NOW).await,
            Err(StoreError::Conflict(pincer_core::Rule::ForeignKey))
        );
        assert_eq!(
            db.chat(ada.id, ghost_agent, "main", NOW).await,
            Err(StoreError::Conflict(pincer_core::Rule::ForeignKey))
        );
        assert_eq!(db.find_chat(ghost_user, helper, "main").await.unwrap(), None);
        assert_eq!(db.find_chat(ada.id, ghost_agent, "main").await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_round_trip_every_field() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let question = Message {
            content: "Wie viele Urlaubstage? 🏖️ \"quoted\"\nline two".into(),
            client_message_id: Some("client-ü-1".into()),
            created_at: Timestamp(-1),
            updated_at: Timestamp(-1),
            ..user_message(&chat, "", None, 0)
        };
        let answer = Message {
            steps: vec![
                step("call_1", json!({"path": "/data/hr", "options": {"depth": [1, 2, {"x": null}]}, "ü": true})),
                ToolStep { is_error: true, denied: true, result_preview: String::new(), ..step("call_2", json!({})) },
            ],
            error: Some("provider_timeout".into()),
            updated_at: Timestamp(i64::MAX),
            ..assistant(&chat, "Partial answer ✓", MessageStatus::Failed, 1)
        };
        // Everything optional left out.
        let bare =
            Message { run_id: None, content: String::new(), ..assistant(&chat, "", MessageStatus::Streaming, 2) };
        for m in [&question, &answer, &bare] {
            db.insert_message(m).await.unwrap();
        }
        assert_eq!(all(&*db, &chat).await, vec![question, answer, bare]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inserting_a_message_bumps_its_chat_only() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let other = db.chat(chat.user_id, chat.agent_id, "other", NOW).await.unwrap();

        db.insert_message(&user_message(&chat, "hi", Some("c-1"), 700)).await.unwrap();
        let bumped = Chat { updated_at: NOW.plus_millis(700), ..chat.clone() };
        assert_eq!(reload(&*db, &chat).await, bumped);
        // `chat` returns the bumped row too, not a new one.
        assert_eq!(db.chat(chat.user_id, chat.agent_id, "main", NOW.plus_millis(800)).await.unwrap(), bumped);
        assert_eq!(reload(&*db, &other).await, other);

        db.insert_message(&assistant(&chat, "hello", MessageStatus::Streaming, 900)).await.unwrap();
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW.plus_millis(900));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_message_id_is_used_once_per_chat() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let other = db.chat(chat.user_id, chat.agent_id, "other", NOW).await.unwrap();
        let first = user_message(&chat, "first", Some("c-1"), 1);
        db.insert_message(&first).await.unwrap();

        // A resend: refused, and nothing of it is written (the chat is not bumped either).
        let resend = user_message(&chat, "resend", Some("c-1"), 2);
        assert_eq!(db.insert_message(&resend).await, Err(StoreError::Conflict(pincer_core::Rule::ClientMessageId)));
        assert_eq!(all(&*db, &chat).await, vec![first.clone()]);
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW.plus_millis(1));

        // The same id in another chat, another id, and messages without one are fine.
        let elsewhere = user_message(&other, "elsewhere", Some("c-1"), 3);
        db.insert_message(&elsewhere).await.unwrap();
        let second = user_message(&chat, "second", Some("c-2"), 4);
        db.insert_message(&second).await.unwrap();
        let answers: Vec<Message> =
            (0..3).map(|i| assistant(&chat, &format!("answer {i}"), MessageStatus::Complete, 5 + i)).collect();
        for a in &answers {
            db.insert_message(a).await.unwrap();
        }
        let no_id = user_message(&chat, "no id", None, 9);
        db.insert_message(&no_id).await.unwrap();
        db.insert_message(&Message { id: MessageId::new(), ..no_id.clone() }).await.unwrap();

        assert_eq!(
            contents(&all(&*db, &chat).await),
            ["first", "second", "answer 0", "answer 1", "answer 2", "no id", "no id"]
        );
        assert_eq!(all(&*db, &other).await, vec![elsewhere]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_resends_store_one_message() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                let m = user_message(&chat, &format!("try {i}"), Some("c-1"), i);
                tokio::spawn(async move { db.insert_message(&m).await })
            })
            .collect();
        let mut stored = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => stored += 1,
                Err(e) => assert_eq!(e, StoreError::Conflict(pincer_core::Rule::ClientMessageId)),
            }
        }
        assert_eq!(stored, 1);
        assert_eq!(all(&*db, &chat).await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_insert_changes_nothing() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let original = user_message(&chat, "original", Some("c-1"), 1);
        db.insert_message(&original).await.unwrap();

        // The same id again, even into another chat: refused, the original kept, no chat bumped.
        let other = db.chat(chat.user_id, chat.agent_id, "other", NOW).await.unwrap();
        let same_id = Message { id: original.id, ..user_message(&other, "copy", None, 50) };
        assert_eq!(db.insert_message(&same_id).await, Err(StoreError::Conflict(pincer_core::Rule::Id)));
        assert_eq!(all(&*db, &chat).await, vec![original.clone()]);
        assert_eq!(all(&*db, &other).await, vec![]);
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW.plus_millis(1));
        assert_eq!(reload(&*db, &other).await, other);

        // A chat that does not exist.
        let ghost = Chat { id: ChatId::new(), ..chat.clone() };
        let lost = user_message(&ghost, "lost", None, 60);
        assert_eq!(db.insert_message(&lost).await, Err(StoreError::Conflict(pincer_core::Rule::ForeignKey)));
        assert_eq!(db.recent_messages(ghost.id, 10).await.unwrap(), vec![]);
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW.plus_millis(1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recent_messages_are_the_newest_oldest_first_even_within_one_millisecond() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let other = db.chat(chat.user_id, chat.agent_id, "other", NOW).await.unwrap();
        // Ids made in order, used in reverse: neither the ids nor the (equal) times give the order.
        let mut ids: Vec<MessageId> = (0..30).map(|_| MessageId::new()).collect();
        ids.sort();
        ids.reverse();
        let mut expected = Vec::new();
        for (i, id) in ids.into_iter().enumerate() {
            let m = Message { id, ..assistant(&chat, &format!("m{i}"), MessageStatus::Complete, 0) };
            db.insert_message(&m).await.unwrap();
            expected.push(m);
            // Interleaved messages of another chat do not count.
            db.insert_message(&assistant(&other, &format!("o{i}"), MessageStatus::Complete, 0)).await.unwrap();
        }

        assert_eq!(db.recent_messages(chat.id, 10).await.unwrap(), expected[20..].to_vec());
        assert_eq!(db.recent_messages(chat.id, 1).await.unwrap(), expected[29..].to_vec());
        assert_eq!(db.recent_messages(chat.id, 30).await.unwrap(), expected);
        assert_eq!(db.recent_messages(chat.id, u32::MAX).await.unwrap(), expected);
        assert_eq!(db.recent_messages(chat.id, 0).await.unwrap(), vec![]);
        assert_eq!(contents(&db.recent_messages(other.id, 2).await.unwrap()), ["o28", "o29"]);
        assert_eq!(db.recent_messages(ChatId::new(), 10).await.unwrap(), vec![]);

        // Times do not reorder either: a message stamped earlier but inserted later is newer.
        let late = assistant(&chat, "stamped early", MessageStatus::Complete, -5_000);
        db.insert_message(&late).await.unwrap();
        assert_eq!(contents(&db.recent_messages(chat.id, 2).await.unwrap()), ["m29", "stamped early"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_inserts_into_one_chat_keep_every_message() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                let m = user_message(&chat, &format!("m{i}"), Some(&format!("c-{i}")), 0);
                tokio::spawn(async move { db.insert_message(&m).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let stored: BTreeSet<String> = all(&*db, &chat).await.into_iter().map(|m| m.content).collect();
        assert_eq!(stored, (0..8).map(|i| format!("m{i}")).collect());
        // The next one is the newest.
        db.insert_message(&assistant(&chat, "last", MessageStatus::Complete, 0)).await.unwrap();
        assert_eq!(contents(&db.recent_messages(chat.id, 1).await.unwrap()), ["last"]);
        assert_eq!(all(&*db, &chat).await.len(), 9);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_message_replaces_the_mutable_fields_only() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let question = user_message(&chat, "question", Some("c-1"), 0);
        let streaming = Message {
            steps: vec![step("call_1", json!({"path": "/a"}))],
            error: Some("old".into()),
            ..assistant(&chat, "Partial", MessageStatus::Streaming, 1)
        };
        let after = assistant(&chat, "after", MessageStatus::Complete, 2);
        for m in [&question, &streaming, &after] {
            db.insert_message(m).await.unwrap();
        }
        let bumped = reload(&*db, &chat).await;

        let steps = vec![step("call_1", json!({"path": "/a"})), step("call_2", json!({"nested": {"list": [1, "二"]}}))];
        let later = NOW.plus_millis(5_000);
        db.update_message(
            streaming.id,
            "Full answer ✓",
            MessageStatus::Failed,
            &steps,
            Some("provider_timeout"),
            later,
        )
        .await
        .unwrap();
        let failed = Message {
            content: "Full answer ✓".into(),
            status: MessageStatus::Failed,
            steps,
            error: Some("provider_timeout".into()),
            updated_at: later,
            ..streaming.clone()
        };
        // Same place in the chat, the other messages and the chat itself untouched.
        assert_eq!(all(&*db, &chat).await, vec![question.clone(), failed.clone(), after.clone()]);
        assert_eq!(reload(&*db, &chat).await, bumped);

        // Steps and error can be emptied again.
        db.update_message(streaming.id, "", MessageStatus::Complete, &[], None, later.plus_millis(1)).await.unwrap();
        let cleared = Message {
            content: String::new(),
            status: MessageStatus::Complete,
            steps: vec![],
            error: None,
            updated_at: later.plus_millis(1),
            ..failed
        };
        assert_eq!(all(&*db, &chat).await, vec![question.clone(), cleared.clone(), after.clone()]);

        // Role, client message id, run and creation time stay (here of a user message).
        let edited_at = later.plus_millis(2);
        db.update_message(question.id, "edited", MessageStatus::Aborted, &[], Some("x"), edited_at).await.unwrap();
        let edited = Message {
            content: "edited".into(),
            status: MessageStatus::Aborted,
            error: Some("x".into()),
            updated_at: edited_at,
            ..question
        };
        assert_eq!(all(&*db, &chat).await, vec![edited, cleared, after]);

        let unknown = db.update_message(MessageId::new(), "x", MessageStatus::Complete, &[], None, later).await;
        assert_eq!(unknown, Err(StoreError::NotFound));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_streaming_touches_streaming_messages_only() {
    each_conversation_store(|db| async move {
        let chat = setup(&*db).await;
        let other = db.chat(chat.user_id, chat.agent_id, "other", NOW).await.unwrap();
        let question = user_message(&chat, "question", Some("c-1"), 0);
        let streaming_a = assistant(&chat, "a", MessageStatus::Streaming, 1);
        let complete = assistant(&chat, "complete", MessageStatus::Complete, 2);
        let aborted = assistant(&chat, "aborted", MessageStatus::Aborted, 3);
        let failed =
            Message { error: Some("provider_error".into()), ..assistant(&chat, "failed", MessageStatus::Failed, 4) };
        let interrupted = assistant(&chat, "interrupted", MessageStatus::Interrupted, 5);
        let streaming_b = assistant(&chat, "b", MessageStatus::Streaming, 6);
        let streaming_other = assistant(&other, "c", MessageStatus::Streaming, 7);
        for m in [&question, &streaming_a, &complete, &aborted, &failed, &interrupted, &streaming_b, &streaming_other] {
            db.insert_message(m).await.unwrap();
        }

        let now = NOW.plus_millis(60_000);
        assert_eq!(db.streaming_nodes().await, Ok(vec![None]), "inserted messages belong to no node");
        assert_eq!(db.interrupt_streaming(None, now).await, Ok(3));
        let stopped = |m: &Message| Message { status: MessageStatus::Interrupted, updated_at: now, ..m.clone() };
        assert_eq!(
            all(&*db, &chat).await,
            vec![question, stopped(&streaming_a), complete, aborted, failed, interrupted, stopped(&streaming_b)]
        );
        assert_eq!(all(&*db, &other).await, vec![stopped(&streaming_other)]);
        assert_eq!(db.interrupt_streaming(None, now.plus_millis(1)).await, Ok(0));
        assert_eq!(all(&*db, &other).await, vec![stopped(&streaming_other)]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_that_do_not_decode_are_reported_not_panicked_on() {
    each_backend_with_url(|db, url| async move {
        let db: std::sync::Arc<dyn ConversationStores> = std::sync::Arc::new(db);
        let chat = setup(&*db).await;
        let m = assistant(&chat, "answer", MessageStatus::Complete, 0);
        db.insert_message(&m).await.unwrap();
        let set = |assignment: &str| format!("UPDATE messages SET {assignment} WHERE id = '{}'", m.id);
        for bad in
            ["role = 'system'", "status = 'Complete'", "steps = '[{\"callId\": 1}]'", "steps = ''", "run_id = 'x'"]
        {
            execute(&url, &set(bad)).await;
            assert_eq!(db.recent_messages(chat.id, 10).await, Err(StoreError::Unavailable), "{bad}");
            execute(
                &url,
                &set(&format!(
                    "role = 'assistant', status = 'complete', steps = '[]', run_id = '{}'",
                    m.run_id.unwrap()
                )),
            )
            .await;
            assert_eq!(all(&*db, &chat).await, vec![m.clone()], "repaired after {bad}");
        }

        let empty = db.chat(chat.user_id, chat.agent_id, "empty", NOW).await.unwrap();
        execute(&url, &format!("UPDATE chats SET id = 'not-a-uuid' WHERE id = '{}'", empty.id)).await;
        assert_eq!(db.find_chat(chat.user_id, chat.agent_id, "empty").await, Err(StoreError::Unavailable));
        assert_eq!(db.chat(chat.user_id, chat.agent_id, "empty", NOW).await, Err(StoreError::Unavailable));
        assert_eq!(reload(&*db, &chat).await.id, chat.id);
    })
    .await;
}

/// A turn for `user` and `agent` on `key`: a user message and its placeholder, `ms` after `NOW`.
pub fn new_turn(
    user: UserId,
    agent: AgentId,
    key: &str,
    text: &str,
    client_message_id: Option<&str>,
    ms: i64,
) -> NewTurn {
    // The chat id is the store's to set; a made-up one here must not survive.
    let nowhere =
        Chat { id: ChatId::new(), user_id: user, agent_id: agent, key: key.into(), created_at: NOW, updated_at: NOW };
    NewTurn {
        user,
        agent,
        key: key.into(),
        now: NOW.plus_millis(ms),
        user_message: user_message(&nowhere, text, client_message_id, ms),
        assistant: assistant(&nowhere, "", MessageStatus::Streaming, ms),
        node: "node-1".into(),
        title: pincer_agents::chat::sessions::default_title(text),
        channel: "web",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn streaming_answers_belong_to_the_node_that_opened_the_turn() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let agent = insert_agent(&*db, "Helper").await;
        let mut first = new_turn(ada.id, agent, "a", "one", None, 0);
        let mut second = NewTurn { node: "node-2".into(), ..new_turn(ada.id, agent, "b", "two", None, 1) };
        db.open_turn(&mut first, 10).await.unwrap();
        db.open_turn(&mut second, 10).await.unwrap();
        let mut nodes = db.streaming_nodes().await.unwrap();
        nodes.sort();
        assert_eq!(nodes, [Some("node-1".to_string()), Some("node-2".to_string())], "user messages are no node's");

        let now = NOW.plus_millis(60_000);
        assert_eq!(db.interrupt_streaming(Some("node-1"), now).await, Ok(1));
        assert_eq!(db.interrupt_streaming(None, now).await, Ok(0), "no answer without a node is streaming");
        assert_eq!(db.streaming_nodes().await, Ok(vec![Some("node-2".to_string())]));
        let chat = db.find_chat(ada.id, agent, "b").await.unwrap().unwrap();
        let still = db.recent_messages(chat.id, 10).await.unwrap();
        assert_eq!(still[1].status, MessageStatus::Streaming, "the other node's answer is left alone");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_turn_opens_its_chat_reads_the_history_and_stores_both_messages() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let agent = insert_agent(&*db, "Helper").await;

        let mut first = new_turn(ada.id, agent, "main", "hello", Some("c1"), 0);
        let (chat, history) = db.open_turn(&mut first, 40).await.unwrap();
        assert!(history.is_empty(), "a new chat has no history");
        assert_eq!((chat.user_id, chat.agent_id, chat.key.as_str()), (ada.id, agent, "main"));
        assert_eq!((first.user_message.chat_id, first.assistant.chat_id), (chat.id, chat.id));
        assert_eq!(db.find_chat(ada.id, agent, "main").await.unwrap().map(|c| c.id), Some(chat.id));

        let mut second = new_turn(ada.id, agent, "main", "again", None, 5);
        let (same, history) = db.open_turn(&mut second, 40).await.unwrap();
        assert_eq!(same.id, chat.id);
        assert_eq!(contents(&history), ["hello", ""], "the history before the turn, oldest first");
        assert_eq!(contents(&all(&*db, &chat).await), ["hello", "", "again", ""]);
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW.plus_millis(5));

        let mut limited = new_turn(ada.id, agent, "main", "third", None, 9);
        let (_, history) = db.open_turn(&mut limited, 1).await.unwrap();
        assert_eq!(contents(&history), [""], "the newest one");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_turn_stores_nothing_not_even_its_chat() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await;
        let agent = insert_agent(&*db, "Helper").await;
        let mut first = new_turn(ada.id, agent, "main", "hello", Some("c1"), 0);
        let (chat, _) = db.open_turn(&mut first, 40).await.unwrap();

        let mut resend = new_turn(ada.id, agent, "main", "hello", Some("c1"), 5);
        assert_eq!(
            db.open_turn(&mut resend, 40).await.map(|_| ()),
            Err(StoreError::Conflict(pincer_core::Rule::ClientMessageId))
        );
        assert_eq!(contents(&all(&*db, &chat).await), ["hello", ""], "no placeholder without its message");
        assert_eq!(reload(&*db, &chat).await.updated_at, NOW);

        // An unknown agent: the chat cannot be created, and nothing is left behind.
        let mut orphan = new_turn(ada.id, AgentId::new(), "main", "hi", None, 7);
        assert!(db.open_turn(&mut orphan, 40).await.is_err());
        assert_eq!(db.find_chat(ada.id, orphan.agent, "main").await.unwrap(), None);
    })
    .await;
}
