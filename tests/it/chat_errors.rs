//! How a chat refuses or ends a run, as docs/API.md lists it: `agent_has_no_model`,
//! `provider_not_configured`, `step_limit_reached` (more than 8 model calls) and `interrupted`
//! (the server died during the run); and what the model is told: the organisation context for
//! shared agents, the user's own context for their personal agent.

use pincer_testkit::server::{Browser, PASSWORD};
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{execute, query_text};
use crate::ws::{ChatSocket, chunk_text};

/// docs/API.md: "up to 8 model calls per run".
const MAX_MODEL_CALLS: usize = 8;

/// A server whose one provider is a fake OpenAI, and a documents root with a folder `hr`.
pub struct WithProvider {
    pub server: TestServer,
    pub admin: Browser,
    pub fake: FakeProvider,
    _docs: tempfile::TempDir,
    pub hr: String,
}

pub async fn with_openai() -> WithProvider {
    with_openai_env(&[]).await
}

/// [`with_openai`] with more environment for the server.
pub async fn with_openai_env(env: &[(&str, &str)]) -> WithProvider {
    let fake = FakeProvider::start(FakeKind::Openai);
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    std::fs::create_dir_all(root.join("hr")).unwrap();
    std::fs::write(root.join("hr/policy.md"), "25 days of leave.").unwrap();
    let mut builder = TestServer::builder()
        .env(&FakeKind::Openai.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_DOCUMENTS_DIR", root.to_str().unwrap());
    for (key, value) in env {
        builder = builder.env(key, value);
    }
    let server = builder.start().await;
    let admin = server.setup_admin().await;
    let (status, body) = admin
        .send_json("POST", "/api/settings/providers", json!({"provider": "openai", "apiKey": fake.api_key()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fake.clear_requests();
    let hr = root.join("hr").to_string_lossy().into_owned();
    WithProvider { server, admin, fake, _docs: docs, hr }
}

/// A shared agent granted `tools` on the folder `hr`.
pub async fn shared_agent(p: &WithProvider, tools: &[&str]) -> String {
    let (status, agent) =
        p.admin.send_json("POST", "/api/agents", json!({"name": "HR", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let id = agent["id"].as_str().unwrap().to_string();
    let (status, body) = p
        .admin
        .send_json(
            "PATCH",
            &format!("/api/agents/{id}"),
            json!({"allowedTools": tools, "pluginConfig": {"allowed_paths": [p.hr]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

pub async fn personal_agent(browser: &Browser) -> String {
    let (status, agents) = browser.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    agents.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"].as_str().unwrap().to_string()
}

/// The system prompt of each chat request the fake received (OpenAI: the first message).
pub fn system_prompts(fake: &FakeProvider) -> Vec<String> {
    fake.chat_requests()
        .iter()
        .map(|r| {
            let body = r.body_json().unwrap();
            assert_eq!(body["messages"][0]["role"], "system", "{body}");
            body["messages"][0]["content"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn history(browser: &Browser, agent: &str) -> Value {
    let mut ws = ChatSocket::open(browser).await;
    ws.history(agent).await;
    let history = ws.next().await;
    assert_eq!(history["type"], "history", "{history}");
    history
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_that_never_stops_calling_tools_ends_at_the_step_limit() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &["pinchy_ls"]).await;
    p.fake.set_default_reply(FakeReply::tool_call("pinchy_ls", json!({"path": p.hr})));
    let mut ws = ChatSocket::open(&p.admin).await;
    ws.message(&agent, "list forever").await;
    let frames = ws.until("complete").await;
    let error = frames.iter().find(|f| f["type"] == "error").unwrap_or_else(|| panic!("no error: {frames:?}"));
    assert_eq!((error["code"].clone(), error["agentId"].clone()), (json!("step_limit_reached"), json!(agent)));
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "failed");

    // Exactly the documented number of model calls, each tool call run, each call metered.
    assert_eq!(p.fake.chat_requests().len(), MAX_MODEL_CALLS);
    let history = history(&p.admin, &agent).await;
    let answer = &history["messages"][1];
    assert_eq!((answer["status"].clone(), answer["error"].clone()), (json!("failed"), json!("step_limit_reached")));
    assert_eq!(answer["steps"].as_array().unwrap().len(), MAX_MODEL_CALLS, "{answer}");
    let usage = query_text(p.server.database(), "SELECT CAST(COUNT(*) AS TEXT) AS value FROM usage_records");
    assert_eq!(usage, [MAX_MODEL_CALLS.to_string()]);

    // The chat is not stuck: the next message is answered.
    p.fake.set_default_reply(FakeReply::text(&["Done."]));
    ws.message(&agent, "stop now").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Done.");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_without_a_model_is_refused_before_anything_is_stored() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = personal_agent(&admin).await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(&agent, "hello?").await;
    let refused = ws.next().await;
    assert_eq!(
        (refused["type"].clone(), refused["code"].clone(), refused["agentId"].clone()),
        (json!("error"), json!("agent_has_no_model"), json!(agent)),
        "{refused}"
    );
    ws.history(&agent).await;
    assert_eq!(ws.next().await["messages"], json!([]), "the refused message was not stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_whose_provider_is_gone_is_refused_with_provider_not_configured() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    // Removing a provider moves its agents to another one, so only a row restored from an older
    // backup (or edited by hand) can name a provider that is not configured.
    execute(p.server.database(), &format!("UPDATE agents SET model = 'groq/llama-3.3-70b' WHERE id = '{agent}'"));
    let mut ws = ChatSocket::open(&p.admin).await;
    ws.message(&agent, "hello?").await;
    let refused = ws.next().await;
    assert_eq!((refused["code"].clone(), refused["agentId"].clone()), (json!("provider_not_configured"), json!(agent)));
    assert!(p.fake.chat_requests().is_empty());
    ws.history(&agent).await;
    assert_eq!(ws.next().await["messages"], json!([]), "the refused message was not stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_agents_get_the_organisation_context_and_personal_agents_the_users_own() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &["pinchy_ls"]).await;
    const ORG: &str = "Acme Corp sells anvils to coyotes.";
    const MINE: &str = "I work nights and prefer short answers.";
    const ADMINS: &str = "The admin's private notes.";
    let (status, _) = p.admin.send_json("PUT", "/api/settings/context", json!({"content": ORG})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = p.admin.send_json("PUT", "/api/users/me/context", json!({"content": ADMINS})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let (status, _) = member.send_json("PUT", "/api/users/me/context", json!({"content": MINE})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = member.send_json("PATCH", "/api/users/me", json!({"name": "Morgan"})).await;
    assert_eq!(status, StatusCode::OK);

    let mut ws = ChatSocket::open(&member).await;
    ws.message(&agent, "what do we sell?").await;
    ws.until("complete").await;
    ws.message(&personal_agent(&member).await, "how do I like answers?").await;
    ws.until("complete").await;

    let prompts = system_prompts(&p.fake);
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    let (shared, personal) = (&prompts[0], &prompts[1]);
    assert!(shared.contains(&format!("## About the organisation\n\n{ORG}")), "{shared}");
    assert!(shared.contains("You are talking to Morgan."), "{shared}");
    assert!(shared.contains(&p.hr), "the granted folder is named: {shared}");
    assert!(!shared.contains(MINE), "a user's context stays out of shared agents: {shared}");
    assert!(personal.contains(&format!("## About the user\n\n{MINE}")), "{personal}");
    assert!(personal.contains("You are talking to Morgan."), "{personal}");
    assert!(!personal.contains(ORG), "{personal}");
    assert!(prompts.iter().all(|p| !p.contains(ADMINS)), "another user's context never leaks: {prompts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_cut_by_a_crash_shows_as_interrupted_after_the_restart() {
    let mut p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    p.fake.set_behaviour(Behaviour::HoldAfter(2));
    p.fake.push_reply(FakeReply::text(&["Half ", "an ", "answer ", "never ", "finished"]));
    let mut ws = ChatSocket::open(&p.admin).await;
    ws.message(&agent, "a long one").await;
    loop {
        if ws.next().await["type"] == "chunk" {
            break;
        }
    }
    // No graceful stop: the process dies with the answer still streaming.
    p.server.crash_and_restart().await;
    p.fake.set_behaviour(Behaviour::Normal);

    let admin = p.server.login("admin@example.com", PASSWORD).await;
    let history = history(&admin, &agent).await;
    let messages = history["messages"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> =
        messages.iter().map(|m| (m["role"].as_str().unwrap(), m["status"].as_str().unwrap())).collect();
    assert_eq!(statuses, [("user", "complete"), ("assistant", "interrupted")], "{history}");
    assert!("Half an answer ".starts_with(messages[1]["content"].as_str().unwrap()), "{history}");
    assert_eq!(history["activeRun"], Value::Null);

    // The chat goes on.
    let mut ws = ChatSocket::open(&admin).await;
    p.fake.push_reply(FakeReply::text(&["Back."]));
    ws.message(&agent, "again").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Back.");
}
