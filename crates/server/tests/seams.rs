//! The seams of issue #15, shown on the services as an embedding Rust program builds them
//! (`Services::build`), served in-process over real HTTP and a real WebSocket, on SQLite, with a
//! fake OpenAI upstream speaking the genuine streaming format:
//! - a run started through the `RunCoordinator` by a caller that is not the WebSocket streams to
//!   a WebSocket client following the same chat;
//! - a tool provider registered next to the file tools is granted (and an unknown tool of it
//!   refused), offered, called with the run's context, and audited under its own event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web;
use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use pincer_agents::ProviderKind;
use pincer_agents::catalogue::BaseUrls;
use pincer_agents::chat::{ToolSpec, TurnRequest};
use pincer_agents::tools::{OfferedTool, ToolContext, ToolFailure, ToolId, ToolProvider};
use pincer_core::{AgentId, UserId};
use pincer_http::HttpConfig;
use pincer_server::host_probe::HostConfig;
use pincer_server::services::{ServiceConfig, Services};
use pincer_store::Database;
use pincer_testkit::server::Browser;
use pincer_testkit::{FakeKind, FakeProvider, FakeReply};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A tool family an embedding service might add: `echo:shout` upper-cases a text.
#[derive(Default)]
struct EchoTools {
    /// (user, agent, text) of every call.
    calls: Mutex<Vec<(UserId, AgentId, String)>>,
}

#[async_trait]
impl ToolProvider for EchoTools {
    fn namespace(&self) -> &str {
        "echo"
    }

    async fn has_tool(&self, name: &str) -> bool {
        name == "shout"
    }

    async fn offer(&self, _ctx: &ToolContext<'_>, granted: &[&ToolId]) -> Vec<OfferedTool> {
        granted
            .iter()
            .map(|id| OfferedTool {
                id: (*id).clone(),
                spec: ToolSpec {
                    name: "echo_shout".into(),
                    description: "Repeats a text in capitals.".into(),
                    parameters: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
                },
            })
            .collect()
    }

    async fn call(&self, ctx: &ToolContext<'_>, _tool: &ToolId, arguments: &Value) -> Result<String, ToolFailure> {
        let text = arguments["text"].as_str().ok_or_else(|| ToolFailure("text is required".into()))?;
        self.calls.lock().unwrap().push((ctx.user, ctx.agent.id, text.to_string()));
        Ok(text.to_uppercase())
    }

    fn recorded_arguments(&self, _tool: &ToolId, arguments: &Value) -> Value {
        json!({"text": arguments["text"]})
    }
}

struct InProcess {
    services: Services,
    base: String,
    fake: FakeProvider,
    _data: tempfile::TempDir,
    _docs: tempfile::TempDir,
}

/// The services on a fresh SQLite database, served on an ephemeral loopback port.
async fn serve(extra: Arc<EchoTools>) -> InProcess {
    let data = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("secrets")).unwrap();
    std::fs::create_dir_all(docs.path().join("hr")).unwrap();
    let db = Database::open(&format!("sqlite://{}", data.path().join("pincer.db").display())).await.unwrap();
    db.migrate().await.unwrap();
    let fake = FakeProvider::start(FakeKind::Openai);
    let services = Services::build(
        &db,
        ServiceConfig {
            secrets_dir: data.path().join("secrets"),
            encryption_key: [7; 32],
            audit_key: [9; 32],
            documents_dir: std::fs::canonicalize(docs.path()).unwrap(),
            base_urls: BaseUrls::default().with_override(ProviderKind::Openai, &fake.origin()),
            allow_private_urls: true,
            max_runs_per_user: 4,
            webhook_deliveries_per_minute: pincer_channels::webhooks::DEFAULT_DELIVERIES_PER_MINUTE,
            transports: Vec::new(),
            extra_tools: vec![extra],
            licence_keys: Default::default(),
            licence_from_env: None,
            cloudflared: None,
            host: HostConfig {
                data_dir: data.path().to_path_buf(),
                database_url: format!("sqlite://{}", data.path().join("pincer.db").display()),
                encryption_key_from_env: true,
                audit_key_from_env: true,
                secret_files: Vec::new(),
                bind: "127.0.0.1:0".into(),
                public_url: None,
                behind_proxy: false,
                backup_dir: data.path().join("backups"),
            },
        },
    )
    .await
    .unwrap();
    let state = web::Data::new(services.app_state(HttpConfig {
        public_url: None,
        trusted_proxies: Vec::new(),
        setup_code: None,
        ws_idle_limit: None,
        domain_lock: None,
    }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = pincer_http::server(state, listener, pincer_web::configure).unwrap();
    actix_web::rt::spawn(server);
    InProcess { services, base, fake, _data: data, _docs: docs }
}

/// The next JSON frame of a socket (pings skipped), within 30 s.
async fn next_frame<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("no frame within 30 s")
            .expect("the socket closed")
            .expect("socket error");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame: {other:?}"),
        }
    }
}

#[actix_web::test]
async fn a_run_started_outside_the_websocket_streams_to_a_follower_and_a_registered_tool_is_granted_called_and_audited()
{
    let echo = Arc::new(EchoTools::default());
    let app = serve(echo.clone()).await;
    let admin = Browser::new(&app.base);
    let res = admin
        .post("/api/setup", json!({"name": "Admin", "email": "admin@example.com", "password": "correct horse 42"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (status, body) = admin
        .send_json("POST", "/api/settings/providers", json!({"provider": "openai", "apiKey": app.fake.api_key()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Granted under its namespace, next to a file tool; a tool the provider lacks is refused.
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "Echo", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_id = agent["id"].as_str().unwrap().to_string();
    let path = format!("/api/agents/{agent_id}");
    let (status, body) = admin.send_json("PATCH", &path, json!({"allowedTools": ["echo:whisper"]})).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_input")), "{body}");
    let (status, body) =
        admin.send_json("PATCH", &path, json!({"allowedTools": ["files:read", "echo:shout", "echo:shout"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["allowedTools"], json!(["pinchy_read", "echo:shout"]), "shown as the reference names them");

    // A WebSocket client follows the chat...
    let ws_url = format!("{}/api/ws", app.base.replacen("http://", "ws://", 1));
    let mut request = ws_url.into_client_request().unwrap();
    let token = admin.session_token().unwrap();
    request.headers_mut().insert("Cookie", format!("pincer_session={token}").parse().unwrap());
    request.headers_mut().insert("Origin", app.base.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::text(json!({"type": "history", "agentId": agent_id, "chatId": "seams"}).to_string()))
        .await
        .unwrap();
    let history = next_frame(&mut ws).await;
    assert_eq!((&history["type"], &history["messages"]), (&json!("history"), &json!([])), "{history}");

    // ...and a caller that is not the WebSocket starts a run through the coordinator.
    app.fake.push_reply(FakeReply::tool_call("echo_shout", json!({"text": "hello"})));
    app.fake.push_reply(FakeReply::text(&["It says ", "HELLO."]));
    let principal = app.services.identity.authenticate(&token).await.unwrap();
    let agent: AgentId = agent_id.parse().unwrap();
    let request = TurnRequest {
        agent_id: agent,
        chat_key: Some("seams".into()),
        content: "Shout hello".into(),
        client_message_id: None,
        channel: None,
    };
    let accepted = app.services.runs.start(&principal, request).await.unwrap();
    let message_id = accepted.message_id.to_string();
    accepted.launch();

    let mut frames = Vec::new();
    loop {
        let frame = next_frame(&mut ws).await;
        assert_eq!(frame["chatId"], "seams", "{frame}");
        let end = frame["type"] == "complete";
        frames.push(frame);
        if end {
            break;
        }
    }
    let text: String = frames.iter().filter(|f| f["type"] == "chunk").map(|f| f["content"].as_str().unwrap()).collect();
    assert_eq!(text, "It says HELLO.", "{frames:?}");
    assert!(frames.iter().any(|f| f["type"] == "thinking" && f["tool"] == "echo_shout"), "{frames:?}");
    let done = frames.iter().find(|f| f["type"] == "done").unwrap();
    assert_eq!((&done["status"], &done["messageId"]), (&json!("complete"), &json!(message_id)), "{done}");

    // The provider ran once, in the run's context, and the model got its result back.
    assert_eq!(*echo.calls.lock().unwrap(), [(principal.user_id, agent, "hello".to_string())]);
    let requests = app.fake.chat_requests();
    let follow_up = requests.last().unwrap().body_json().unwrap();
    let offered = requests[0].body_json().unwrap()["tools"].clone();
    let tool_names: Vec<&str> =
        offered.as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(tool_names, ["pinchy_read", "echo_shout"], "offered: the file tool and the registered one");
    let result = follow_up["messages"].as_array().unwrap().iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(result["content"], "HELLO");

    // Audited under the provider's event, with what it allows to be recorded.
    let (status, page) = admin.send_json("GET", "/api/audit?eventType=tool.echo:shout", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(entries[0]["outcome"], "success");
    assert_eq!(entries[0]["resource"], format!("agent:{agent_id}"));
    assert_eq!(entries[0]["detail"]["arguments"], json!({"text": "hello"}), "{page}");
}
