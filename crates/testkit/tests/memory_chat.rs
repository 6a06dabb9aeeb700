//! The chat runtime on the in-memory stores: no database and no binary, yet the real HTTP model
//! client against a fake OpenAI server speaking the genuine stream. A run answers, its file tool
//! is granted and called, its model calls are accounted, and the conversation is stored —
//! what a unit-level test of a service's rules looks like now that the stores come in memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pincer_agents::ProviderKind;
use pincer_agents::catalogue::BaseUrls;
use pincer_agents::chat::{
    ChatService, ChatServiceDeps, ContextBuilder, FinishedRun, MessageStatus, RunEvent, RunHook, RunLimits, RunSink,
    TurnRequest,
};
use pincer_agents::service::{
    AgentChanges, AgentService, AgentServiceDeps, NewAgent, ProviderInput, ProviderService, ProviderServiceDeps,
};
use pincer_agents::tools::{FileToolProvider, ToolRegistry};
use pincer_audit::MemorySink;
use pincer_connectors::{LocalDocumentFolders, LocalDocuments};
use pincer_core::crypto::Cipher;
use pincer_core::{Credential, LocalLeases, Principal, Role, Secret, SystemClock, Timestamp, UserId};
use pincer_identity::{User, UserStore};
use pincer_llm::{HttpModelClient, HttpModelLister};
use pincer_testkit::memory::MemoryStores;
use pincer_testkit::{FakeKind, FakeProvider, FakeReply};
use pincer_usage::UsageStore;
use serde_json::json;

/// A hook that keeps the runs it was told of (memory, channels and notifications will be hooks).
#[derive(Default)]
struct Finished(Mutex<Vec<FinishedRun>>);

#[async_trait]
impl RunHook for Finished {
    async fn run_finished(&self, run: &FinishedRun) {
        self.0.lock().unwrap().push(run.clone());
    }
}

/// The events of one run, in order.
#[derive(Default)]
struct Collected(Mutex<Vec<RunEvent>>);

#[async_trait]
impl RunSink for &Collected {
    async fn emit(&mut self, event: RunEvent) {
        self.0.lock().unwrap().push(event);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_answers_uses_its_granted_tool_and_is_accounted_on_memory_stores() {
    // Not a hidden temporary name: the tools refuse paths with hidden segments.
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    std::fs::create_dir(root.join("hr")).unwrap();
    std::fs::write(root.join("hr/leave.md"), "25 days of leave a year.").unwrap();
    let fake = FakeProvider::start(FakeKind::Openai);

    let stores = Arc::new(MemoryStores::default());
    let finished = Arc::new(Finished::default());
    let usage = Arc::new(MemoryStores::default());
    let audit = Arc::new(MemorySink::default());
    let clock = Arc::new(SystemClock);
    let admin = User {
        id: UserId::new(),
        email: "ada@example.com".into(),
        name: "Ada".into(),
        role: Role::Admin,
        banned: false,
        password_hash: String::new(),
        context: String::new(),
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    };
    UserStore::insert(&*stores, &admin).await.unwrap();
    let principal =
        Principal { user_id: admin.id, role: Role::Admin, name: admin.name.clone(), credential: Credential::Internal };

    let tools = Arc::new(
        ToolRegistry::new(vec![Arc::new(FileToolProvider::new(Arc::new(LocalDocuments), root.clone()))]).unwrap(),
    );
    let agents = Arc::new(AgentService::new(AgentServiceDeps {
        agents: stores.clone(),
        providers: stores.clone(),
        settings: stores.clone(),
        folders: Arc::new(LocalDocumentFolders),
        clock: clock.clone(),
        audit: audit.clone(),
        documents_root: root.clone(),
        tools: tools.clone(),
        groups: stores.clone(),
        entitlement: Arc::new(pincer_core::Community),
        bus: Arc::new(pincer_core::LocalEventBus::default()),
    }));
    let providers = Arc::new(ProviderService::new(ProviderServiceDeps {
        providers: stores.clone(),
        agents: stores.clone(),
        lister: Arc::new(HttpModelLister::new(std::time::Duration::from_secs(5))),
        cipher: Arc::new(Cipher::new(&[3; 32])),
        clock: clock.clone(),
        audit: audit.clone(),
        base_urls: BaseUrls::default().with_override(ProviderKind::Openai, &fake.origin()),
        allow_private_urls: true,
    }));
    let chat = ChatService::new(ChatServiceDeps {
        agents: agents.clone(),
        providers: providers.clone(),
        conversations: stores.clone(),
        usage: usage.clone(),
        model: Arc::new(HttpModelClient::default()),
        tools,
        context: ContextBuilder::new(stores.clone(), stores.clone()),
        hooks: vec![finished.clone()],
        clock,
        audit: audit.clone(),
        limits: RunLimits::default(),
        node: "node-1".into(),
        leases: Arc::new(LocalLeases),
        budget: Arc::new(pincer_usage::budget::NoBudgets),
    });

    let input = ProviderInput {
        provider: "openai".into(),
        api_key: fake.api_key().map(|k| Secret::new(k.to_string())),
        base_url: None,
        is_default: Some(true),
    };
    providers.configure(&principal, input).await.unwrap();
    let agent = agents
        .create(&principal, NewAgent { name: "HR".into(), template_id: "knowledge-base".into(), ..NewAgent::default() })
        .await
        .unwrap();
    let grant = AgentChanges {
        allowed_tools: Some(vec!["files:read".into()]),
        allowed_paths: Some(vec![root.join("hr").to_string_lossy().into_owned()]),
        ..AgentChanges::default()
    };
    agents.update(&principal, agent.id, grant).await.unwrap();

    fake.push_reply(FakeReply::tool_call("pinchy_read", json!({"path": root.join("hr/leave.md")})));
    fake.push_reply(FakeReply::text(&["You get ", "25 days."]));
    let request = TurnRequest { agent_id: agent.id, content: "How much leave?".into(), ..TurnRequest::default() };
    let run = chat.start(&principal, request).await.unwrap();
    let (run_id, chat_id) = (run.run_id, run.chat.id);
    let events = Collected::default();
    let status = chat.run(run, &mut &events, std::future::pending()).await;
    assert_eq!(status, MessageStatus::Complete);

    let events = events.0.into_inner().unwrap();
    let text: String =
        events.iter().filter_map(|e| if let RunEvent::Chunk(t) = e { Some(t.as_str()) } else { None }).collect();
    assert_eq!(text, "You get 25 days.");
    let step = events.iter().find_map(|e| if let RunEvent::Step(s) = e { Some(s.clone()) } else { None }).unwrap();
    assert_eq!((step.name.as_str(), step.is_error), ("pinchy_read", false));
    assert!(step.result_preview.contains("25 days of leave"), "{step:?}");

    // Two model calls, each accounted; the conversation kept; the tool call audited.
    let records = usage.for_run(run_id).await.unwrap();
    assert_eq!(records.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 1]);
    let stored = pincer_agents::chat::ConversationStore::recent_messages(&*stores, chat_id, 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!((stored[1].content.as_str(), stored[1].status), ("You get 25 days.", MessageStatus::Complete));
    assert!(audit.events().iter().any(|e| e.event_type == "tool.pinchy_read"), "{:?}", audit.events());

    // The run hook was told once, after the answer was stored.
    let told = finished.0.lock().unwrap().clone();
    assert_eq!(told.len(), 1);
    assert_eq!((told[0].run_id, told[0].chat, told[0].message_id), (run_id, chat_id, stored[1].id));
    assert_eq!(
        (told[0].status, told[0].text.as_str(), told[0].user),
        (MessageStatus::Complete, "You get 25 days.", admin.id)
    );
}
