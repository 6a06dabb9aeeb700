//! `WebhookStore` on both backends: a slot's name is unique, its fields round trip, a new secret
//! replaces the old; a delivery id is stored once per slot (several deliveries without one are
//! fine), a request records its session and outcome, the newest come first, and removing a slot
//! takes its requests along.

use pincer_channels::webhooks::{
    RequestOutcome, RequestState, SignatureMode, WebhookRequest, WebhookSlot, WebhookStore,
};
use pincer_core::{ChatId, Rule, StoreError, WebhookId, WebhookRequestId};

use crate::conversations::{insert_agent, insert_user};
use crate::support::{NOW, each_backend};

fn slot(name: &str, agent: pincer_core::AgentId, owner: pincer_core::UserId) -> WebhookSlot {
    WebhookSlot {
        id: WebhookId::new(),
        name: name.into(),
        agent_id: agent,
        description: "CI alerts".into(),
        sync_timeout_secs: 30,
        signature: SignatureMode::Body,
        secret_sealed: "sealed".into(),
        secret_hint: "abcd".into(),
        owner,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn request(slot: WebhookId, delivery: Option<&str>, ms: i64) -> WebhookRequest {
    WebhookRequest {
        id: WebhookRequestId::new(),
        slot_id: slot,
        delivery_id: delivery.map(str::to_string),
        state: RequestState::Running,
        answer: None,
        error: None,
        session_id: None,
        created_at: NOW.plus_millis(ms),
        finished_at: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn slots_and_their_requests_round_trip_and_go_together() {
    each_backend(|db| async move {
        let owner = insert_user(&db, "ada@example.com").await.id;
        let agent = insert_agent(&db, "Helper").await;
        let ci = slot("ci", agent, owner);
        db.insert_slot(&ci).await.unwrap();
        assert_eq!(db.insert_slot(&slot("ci", agent, owner)).await, Err(StoreError::Conflict(Rule::Unique)));
        let orphan = slot("orphan", pincer_core::AgentId::new(), owner);
        assert_eq!(db.insert_slot(&orphan).await, Err(StoreError::Conflict(Rule::ForeignKey)));
        assert_eq!(db.slot_by_name("ci").await.unwrap(), Some(ci.clone()));
        assert!(db.set_slot_secret(ci.id, "resealed", "wxyz", NOW.plus_millis(5)).await.unwrap());
        let changed = db.slot_by_name("ci").await.unwrap().unwrap();
        assert_eq!((changed.secret_sealed.as_str(), changed.secret_hint.as_str()), ("resealed", "wxyz"));
        assert_eq!(db.slots().await.unwrap().len(), 1);

        let first = request(ci.id, Some("msg_1"), 0);
        db.insert_request(&first).await.unwrap();
        let again = request(ci.id, Some("msg_1"), 1);
        assert_eq!(db.insert_request(&again).await, Err(StoreError::Conflict(Rule::Unique)), "one per delivery id");
        for ms in [2, 3] {
            db.insert_request(&request(ci.id, None, ms)).await.unwrap();
        }
        assert_eq!(db.request_by_delivery(ci.id, "msg_1").await.unwrap(), Some(first.clone()));
        let session = ChatId::new();
        db.set_request_session(first.id, session).await.unwrap();
        let outcome = RequestOutcome {
            state: RequestState::Done,
            answer: Some("Green.".into()),
            error: None,
            finished_at: NOW.plus_millis(9),
        };
        db.finish_request(first.id, &outcome).await.unwrap();
        let done = db.request(first.id).await.unwrap().unwrap();
        assert_eq!(
            (done.state, done.answer.as_deref(), done.session_id),
            (RequestState::Done, Some("Green."), Some(session))
        );
        assert_eq!(done.finished_at, Some(NOW.plus_millis(9)));
        let recent = db.recent_requests(ci.id, 2).await.unwrap();
        assert_eq!(recent.iter().map(|r| r.created_at).collect::<Vec<_>>(), [NOW.plus_millis(3), NOW.plus_millis(2)]);

        assert!(db.delete_slot("ci").await.unwrap());
        assert!(!db.delete_slot("ci").await.unwrap());
        assert_eq!(db.request(first.id).await.unwrap(), None, "the requests went with the slot");
    })
    .await;
}
