//! `MemoryStore`: a user's entries listed newest first (by agent, by every word in any form),
//! the relevant ones for some words (any word, best first), deleted and counted — always only the
//! user's own — with stats and settings that round trip.

use pincer_agents::memory::{MemoryEntry, MemorySettings, MemorySource, RELEVANCE_CANDIDATES};
use pincer_core::{AgentId, MemoryId, PageRequest, Timestamp, UserId};

use crate::conversations::{insert_agent, insert_user};
use crate::support::{NOW, each_memory_store};

fn entry(user: UserId, agent: Option<AgentId>, content: &str, tags: &[&str], ms: i64) -> MemoryEntry {
    MemoryEntry {
        id: MemoryId::new(),
        user_id: user,
        agent_id: agent,
        content: content.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        source: if agent.is_some() { MemorySource::Agent } else { MemorySource::User },
        created_at: NOW.plus_millis(ms),
        updated_at: NOW.plus_millis(ms),
    }
}

const PAGE: PageRequest = PageRequest { page: 1, limit: 50 };

#[tokio::test(flavor = "multi_thread")]
async fn a_users_memory_is_theirs_to_list_search_and_forget() {
    each_memory_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await.id;
        let bob = insert_user(&*db, "bob@example.com").await.id;
        let helper = insert_agent(&*db, "Helper").await;
        let dog = entry(ada, Some(helper), "Ada's dog is called Rex", &["pets"], 0);
        let coffee = entry(ada, None, "Ada takes her coffee black", &["drinks"], 10);
        let trip = entry(ada, Some(helper), "Ada travels to Lisbon in May", &["travel", "plans"], 20);
        let bobs = entry(bob, Some(helper), "Bob's dog is called Max", &["pets"], 30);
        for e in [&dog, &coffee, &trip, &bobs] {
            db.insert_memory(e).await.unwrap();
        }
        let listed = db.list_memories(ada, None, &[], PAGE).await.unwrap();
        assert_eq!(listed.total, 3);
        assert_eq!(listed.items.iter().map(|e| e.id).collect::<Vec<_>>(), [trip.id, coffee.id, dog.id]);
        assert_eq!(listed.items[2], dog, "every field round trips");
        let by_agent = db.list_memories(ada, Some(helper), &[], PAGE).await.unwrap();
        assert_eq!(by_agent.total, 2);
        let dogs = db.list_memories(ada, None, &["dogs".into()], PAGE).await.unwrap();
        assert_eq!((dogs.total, dogs.items[0].id), (1, dog.id), "a word in another form, the user's only");
        let tagged = db.list_memories(ada, None, &["plans".into(), "lisbon".into()], PAGE).await.unwrap();
        assert_eq!(tagged.items.iter().map(|e| e.id).collect::<Vec<_>>(), [trip.id], "tags are searched too");

        let relevant = db.relevant_memories(ada, &["dog".into(), "coffee".into(), "zebra".into()], 10).await.unwrap();
        let mut ids: Vec<MemoryId> = relevant.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        let mut want = vec![dog.id, coffee.id];
        want.sort_unstable();
        assert_eq!(ids, want, "any word; never another user's");
        assert_eq!(db.relevant_memories(ada, &["dog".into(), "coffee".into()], 1).await.unwrap().len(), 1);

        assert!(!db.delete_memory(bob, dog.id).await.unwrap(), "another user's entry is not theirs to delete");
        assert!(db.delete_memory(ada, dog.id).await.unwrap());
        assert!(db.relevant_memories(ada, &["rex".into()], 10).await.unwrap().is_empty(), "gone from the index");
        assert_eq!(db.count_memories(ada).await.unwrap(), 2);

        let stats = db.memory_stats(ada).await.unwrap();
        assert_eq!(
            (stats.total, stats.oldest, stats.newest),
            (2, Some(NOW.plus_millis(10)), Some(NOW.plus_millis(20)))
        );
        let chars = (coffee.content.chars().count() + trip.content.chars().count()) as u64;
        assert_eq!(stats.total_chars, chars);
        let mut sources = stats.per_source.clone();
        sources.sort_by_key(|(s, _)| s.as_str());
        assert_eq!(sources, [(MemorySource::Agent, 1), (MemorySource::User, 1)]);

        assert_eq!(db.memory_settings(ada).await.unwrap(), None);
        let settings = MemorySettings { enabled: true, auto_inject: false, max_injected: 7, max_entry_chars: 300 };
        db.save_memory_settings(ada, &settings, NOW).await.unwrap();
        let again = MemorySettings { max_injected: 9, ..settings };
        db.save_memory_settings(ada, &again, Timestamp(NOW.millis() + 1)).await.unwrap();
        assert_eq!(db.memory_settings(ada).await.unwrap(), Some(again));
        assert_eq!(db.memory_settings(bob).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn relevance_ranks_the_users_own_newest_matches() {
    each_memory_store(|db| async move {
        let ada = insert_user(&*db, "ada@example.com").await.id;
        let bob = insert_user(&*db, "bob@example.com").await.id;
        // Ada's best entry is her oldest; 99 newer ones share one word with the message.
        let best = entry(ada, None, "alpha beta gamma", &[], 0);
        db.insert_memory(&best).await.unwrap();
        for n in 1..RELEVANCE_CANDIDATES {
            db.insert_memory(&entry(ada, None, &format!("alpha filler {n}"), &[], i64::from(n))).await.unwrap();
        }
        // Bob's newer entries match better: the candidate window is counted per user.
        for n in 0..150 {
            db.insert_memory(&entry(bob, None, "alpha beta gamma", &[], 1_000 + n)).await.unwrap();
        }
        let words = ["alpha".to_string(), "beta".into(), "gamma".into()];
        let found = db.relevant_memories(ada, &words, 3).await.unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].id, best.id, "the best of Ada's newest candidates first");
        assert!(found.iter().all(|e| e.user_id == ada), "never another user's");
    })
    .await;
}
