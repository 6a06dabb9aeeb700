//! `SessionArchive`: a user's sessions listed by recent activity with counts and previews,
//! searched by words in any form the full-text index matches (messages and titles, one best hit
//! per session, the hit marked), renamed (a title that later turns never overwrite) and deleted
//! with their messages — always confined to the user's own chats.

use pincer_core::{AgentId, ChatId, PageRequest, UserId};

use crate::conversations::{insert_agent, insert_user, new_turn};
use crate::support::{ConversationStores, each_conversation_store};

/// Opens a turn with `text` on `key` (`ms` after NOW); the chat's id.
async fn say(db: &dyn ConversationStores, user: UserId, agent: AgentId, key: &str, text: &str, ms: i64) -> ChatId {
    let mut turn = new_turn(user, agent, key, text, None, ms);
    let (chat, _) = db.open_turn(&mut turn, 10).await.unwrap();
    chat.id
}

const PAGE: PageRequest = PageRequest { page: 1, limit: 20 };

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_listed_searched_renamed_and_deleted_for_their_user_only() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await.id;
        let bob = insert_user(&*db, "bob@example.com").await.id;
        let (helper, planner) = (insert_agent(&*db, "Helper").await, insert_agent(&*db, "Planner").await);
        let report = say(&*db, ada, helper, "a", "Quarterly report for Acme", 0).await;
        say(&*db, ada, helper, "a", "And the costs?", 10).await;
        let holiday = say(&*db, ada, planner, "b", "Holiday plans for August", 20).await;
        let bobs = say(&*db, bob, helper, "c", "My own report", 30).await;

        let listed = db.list_sessions(ada, None, PAGE).await.unwrap();
        assert_eq!(listed.total, 2);
        let ids: Vec<ChatId> = listed.items.iter().map(|s| s.id).collect();
        assert_eq!(ids, [holiday, report], "most recent activity first");
        let first = &listed.items[1];
        assert_eq!(first.title, "Quarterly report for Acme", "named after its first message");
        assert_eq!((first.message_count, first.agent_name.as_str()), (4, "Helper"), "two turns, four messages");
        assert_eq!(first.preview, "And the costs?", "the newest message with text (not the empty placeholder)");
        assert_eq!(first.channel, "web");
        let only = db.list_sessions(ada, Some(planner), PAGE).await.unwrap();
        assert_eq!((only.total, only.items[0].id), (1, holiday));

        // Words in another form and case; another user's sessions never appear.
        let hits = db.search_sessions(ada, &["reports".into()], 10).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [report], "{hits:?}");
        assert!(hits[0].snippet.to_lowercase().contains("«report»"), "the hit is marked: {hits:?}");
        assert!(hits[0].snippet.chars().count() <= 200);
        assert!(["title", "user"].contains(&hits[0].match_role.as_str()), "{hits:?}");
        let both = db.search_sessions(ada, &["quarterly".into(), "acme".into()], 10).await.unwrap();
        assert_eq!(both.len(), 1, "every word must match");
        assert!(db.search_sessions(ada, &["quarterly".into(), "holiday".into()], 10).await.unwrap().is_empty());
        assert!(db.search_sessions(bob, &["quarterly".into()], 10).await.unwrap().is_empty());

        // A title the user set is found, and never replaced by a later turn's.
        assert!(db.rename_session(ada, holiday, "Budget planning", crate::support::NOW).await.unwrap());
        assert!(!db.rename_session(bob, holiday, "Mine now", crate::support::NOW).await.unwrap());
        say(&*db, ada, planner, "b", "Something else entirely", 40).await;
        let session = db.session(ada, holiday).await.unwrap().unwrap();
        assert_eq!((session.title.as_str(), session.agent_name.as_str()), ("Budget planning", "Planner"));
        let hits = db.search_sessions(ada, &["budgets".into()], 10).await.unwrap();
        assert_eq!((hits.len(), hits[0].id, hits[0].match_role.as_str()), (1, holiday, "title"), "{hits:?}");
        assert!(db.session(bob, holiday).await.unwrap().is_none(), "another user's session is not found");

        // Deleting takes the messages along, for the owner only.
        assert!(!db.delete_session(bob, report).await.unwrap());
        assert!(db.delete_session(ada, report).await.unwrap());
        assert!(db.session_messages(report, 10).await.unwrap().is_empty());
        assert!(db.search_sessions(ada, &["acme".into()], 10).await.unwrap().is_empty(), "gone from the index");
        assert_eq!(db.list_sessions(ada, None, PAGE).await.unwrap().total, 1);
        assert_eq!(db.list_sessions(bob, None, PAGE).await.unwrap().items[0].id, bobs);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_beyond_what_an_index_holds_is_stored_and_found_by_its_start() {
    each_conversation_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await.id;
        let helper = insert_agent(&*db, "Helper").await;
        let mut turn = new_turn(ada, helper, "long", "Tell me everything", None, 0);
        let (chat, _) = db.open_turn(&mut turn, 10).await.unwrap();
        // 1.2 MB of distinct long words: more than a PostgreSQL tsvector may hold (1 MB).
        let words: Vec<String> = (0..1_200).map(|i| format!("{i:05}{}", "y".repeat(995))).collect();
        let long = format!("needle {}", words.join(" "));
        db.update_message(
            turn.assistant.id,
            &long,
            pincer_agents::chat::MessageStatus::Complete,
            &[],
            None,
            crate::support::NOW,
        )
        .await
        .unwrap();
        let hits = db.search_sessions(ada, &["needle".into()], 10).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [chat.id]);
        assert_eq!(hits[0].match_role, "assistant");
        assert!(hits[0].snippet.chars().count() <= 200, "{}", hits[0].snippet.len());
    })
    .await;
}
