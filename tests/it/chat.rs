//! Chat over the WebSocket against fake providers that stream each genuine wire format: answers
//! arrive as chunks and are stored, tool-calling turns run end to end, file tools stay inside
//! their grant, provider failures end cleanly, abort stops the upstream request, runs survive
//! reconnects and fan out to every socket, and usage rows carry the exact token counts.

use std::path::PathBuf;

use pincer_testkit::server::Browser;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, FakeUsage, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text};
use crate::ws::{ChatSocket, chunk_text, refused_status, types, upgrade_request};

/// A documents root with a granted folder `hr`, a sibling sharing its prefix (`hr2`), a hidden
/// folder, a file outside the grant and a symlink inside the grant pointing out of it.
struct Docs {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Docs {
    fn new() -> Docs {
        let dir = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for folder in ["hr/handbook", "hr/.git", "hr2", "outside"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        std::fs::write(root.join("hr/policy.md"), "# Leave\n\nEveryone gets 25 days of paid leave.").unwrap();
        std::fs::write(root.join("hr/handbook/onboarding.md"), "Welcome aboard.").unwrap();
        std::fs::write(root.join("hr/.git/config"), "[core] SECRET-GIT-CONFIG").unwrap();
        std::fs::write(root.join("hr2/salaries.md"), "SECRET-SALARIES").unwrap();
        std::fs::write(root.join("outside/secret.txt"), "SECRET-OUTSIDE").unwrap();
        std::os::unix::fs::symlink(root.join("outside/secret.txt"), root.join("hr/escape.md")).unwrap();
        std::os::unix::fs::symlink(root.join("outside"), root.join("hr/outside-link")).unwrap();
        Docs { _dir: dir, root }
    }

    fn path(&self, rel: &str) -> String {
        self.root.join(rel).to_string_lossy().into_owned()
    }
}

struct Chat {
    server: TestServer,
    admin: Browser,
    fake: FakeProvider,
    agent: String,
    docs: Docs,
}

/// The provider name and configure body for a fake of this kind.
fn provider_body(fake: &FakeProvider) -> (String, Value) {
    let kind = fake.kind();
    let key = fake.api_key().map(str::to_string);
    match kind {
        FakeKind::OpenaiCompatible => {
            ("compat".into(), json!({"provider": "compat", "apiKey": key, "baseUrl": fake.base_url()}))
        }
        FakeKind::OllamaLocal => {
            ("ollama-local".into(), json!({"provider": "ollama-local", "baseUrl": fake.base_url()}))
        }
        other => (other.as_str().into(), json!({"provider": other.as_str(), "apiKey": key})),
    }
}

/// A server with one provider (a fake of `kind`) and a knowledge-base agent granted `hr` with
/// the given tools.
async fn chat(kind: FakeKind, tools: &[&str]) -> Chat {
    let fake = FakeProvider::start(kind);
    let docs = Docs::new();
    let server = TestServer::builder()
        .env(&kind.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_DOCUMENTS_DIR", docs.root.to_str().unwrap())
        .start()
        .await;
    let admin = server.setup_admin().await;
    let (_, body) = provider_body(&fake);
    let (status, saved) = admin.send_json("POST", "/api/settings/providers", body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, agent) =
        admin.send_json("POST", "/api/agents", json!({"name": "HR", "templateId": "knowledge-base"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_string();
    let (status, body) = admin
        .send_json(
            "PATCH",
            &format!("/api/agents/{agent}"),
            json!({"allowedTools": tools, "pluginConfig": {"allowed_paths": [docs.path("hr")]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fake.clear_requests();
    Chat { server, admin, fake, agent, docs }
}

/// The bodies of the chat requests the fake received (not the model lists).
fn chat_requests(fake: &FakeProvider) -> Vec<Value> {
    fake.chat_requests().iter().filter_map(|r| r.body_json()).collect()
}

async fn round_trip(kind: FakeKind) {
    let c = chat(kind, &["pinchy_ls", "pinchy_read"]).await;
    let mut ws = ChatSocket::open(&c.admin).await;

    // A streamed answer arrives as chunks, in order, and is stored.
    c.fake.push_reply(FakeReply::text(&["Hello", ", wor", "ld!"]).usage(FakeUsage {
        input: 21,
        output: 7,
        cache_read: 0,
        cache_write: 0,
    }));
    ws.send(json!({"type": "message", "agentId": c.agent, "content": "Hi there", "clientMessageId": "m-1"})).await;
    let frames = ws.until("complete").await;
    let ack = &frames[0];
    assert_eq!((ack["type"].clone(), ack["clientMessageId"].clone()), (json!("ack"), json!("m-1")), "{frames:?}");
    let message_id = ack["messageId"].as_str().unwrap().to_string();
    assert_eq!(chunk_text(&frames), "Hello, world!", "{kind:?}: {frames:?}");
    let chunks: Vec<&Value> = frames.iter().filter(|f| f["type"] == "chunk").collect();
    assert!(chunks.len() >= 2, "streamed in pieces, not at once: {frames:?}");
    assert!(chunks.iter().all(|f| f["messageId"] == message_id.as_str() && f["agentId"] == c.agent.as_str()));
    let done = frames.iter().find(|f| f["type"] == "done").unwrap();
    assert_eq!(done["status"], "complete");
    assert!(!types(&frames).contains(&"error".to_string()), "{frames:?}");

    // A tool-calling turn: list the folder, read the file, then answer.
    c.fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": c.docs.path("hr")})).usage(FakeUsage {
        input: 100,
        output: 10,
        cache_read: 40,
        cache_write: 8,
    }));
    c.fake.push_reply(
        FakeReply::tool_call("pinchy_read", json!({"path": c.docs.path("hr/policy.md")})).usage(FakeUsage {
            input: 150,
            output: 12,
            cache_read: 60,
            cache_write: 0,
        }),
    );
    c.fake.push_reply(FakeReply::text(&["You get ", "25 days."]).usage(FakeUsage {
        input: 200,
        output: 6,
        cache_read: 90,
        cache_write: 0,
    }));
    ws.message(&c.agent, "How much leave do I get?").await;
    let frames = ws.until("complete").await;
    let tools: Vec<&str> =
        frames.iter().filter(|f| f["type"] == "thinking").filter_map(|f| f["tool"].as_str()).collect();
    assert_eq!(tools, ["pinchy_ls", "pinchy_read"], "{kind:?}: {frames:?}");
    assert_eq!(chunk_text(&frames), "You get 25 days.");
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "complete", "{frames:?}");

    // The tool results went back to the model in the format's own shape.
    let requests = chat_requests(&c.fake);
    assert_eq!(requests.len(), 4, "one model call per step: {kind:?}");
    let second = requests[2].to_string();
    assert!(second.contains("policy.md") && second.contains("handbook/"), "the listing reached the model: {second}");
    let third = requests[3].to_string();
    assert!(third.contains("Everyone gets 25 days of paid leave."), "the file reached the model: {third}");
    assert!(!third.contains(".git"), "hidden entries are not listed");
    assert!(requests[1].to_string().contains("Hello, world!"), "the earlier answer is history");

    // Stored: a new socket's history has both turns with their tool steps.
    let mut other = ChatSocket::open(&c.admin).await;
    other.history(&c.agent).await;
    let history = other.next().await;
    assert_eq!(history["type"], "history", "{history}");
    assert_eq!(history["activeRun"], Value::Null);
    let messages = history["messages"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = messages
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().into(),
                m["content"].as_str().unwrap().into(),
                m["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("user".into(), "Hi there".into(), "complete".into()),
            ("assistant".into(), "Hello, world!".into(), "complete".into()),
            ("user".into(), "How much leave do I get?".into(), "complete".into()),
            ("assistant".into(), "You get 25 days.".into(), "complete".into()),
        ]
    );
    let steps = messages[3]["steps"].as_array().unwrap();
    assert_eq!(steps.iter().map(|s| s["name"].as_str().unwrap()).collect::<Vec<_>>(), ["pinchy_ls", "pinchy_read"]);
    assert!(steps.iter().all(|s| s["isError"] == false && s["denied"] == false), "{steps:?}");
    assert_eq!(messages[0]["clientMessageId"], "m-1");

    // Usage: one row per model call with the exact counts the fake reported.
    let rows = query_text(
        c.server.database(),
        "SELECT CAST(input_tokens AS TEXT) || '/' || CAST(output_tokens AS TEXT) || '/' || CAST(cache_read_tokens AS TEXT) || '/' || CAST(cache_write_tokens AS TEXT) AS value FROM usage_records ORDER BY created_at, step",
    );
    let has_cache_write = matches!(kind, FakeKind::Anthropic);
    let has_cache_read =
        matches!(kind, FakeKind::Anthropic | FakeKind::Openai | FakeKind::OpenaiCompatible | FakeKind::Google);
    let expect = |i: u64, o: u64, r: u64, w: u64| {
        format!("{i}/{o}/{}/{}", if has_cache_read { r } else { 0 }, if has_cache_write { w } else { 0 })
    };
    assert_eq!(
        rows,
        [expect(21, 7, 0, 0), expect(100, 10, 40, 8), expect(150, 12, 60, 0), expect(200, 6, 90, 0)],
        "{kind:?}"
    );
    let sources = query_text(c.server.database(), "SELECT DISTINCT source AS value FROM usage_records");
    assert_eq!(sources, ["chat"]);
    // The first call's estimated cost, in nano-dollars, from the price catalogue: 21 input and 7
    // output tokens of the provider's default model (none for an endpoint without a price).
    let cost = query_text(
        c.server.database(),
        "SELECT COALESCE(CAST(cost_nanos AS TEXT), 'none') AS value FROM usage_records ORDER BY created_at, step LIMIT 1",
    );
    let expected_cost = match kind {
        FakeKind::Anthropic => "56000", // claude-haiku-4-5: $1 / $5 per million
        FakeKind::Openai => "19600",    // gpt-4.1-mini: $0.40 / $1.60
        FakeKind::Google => "23800",    // gemini-2.5-flash: $0.30 / $2.50
        FakeKind::OllamaLocal => "0",   // local models are free
        _ => "none",
    };
    assert_eq!(cost, [expected_cost], "{kind:?}");

    // Executed tool calls are audited with the path, never the chat text.
    let (_, audit) = c.admin.send_json("GET", "/api/audit?eventType=tool.pinchy_read", Value::Null).await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(audit["entries"][0]["detail"]["arguments"]["path"], c.docs.path("hr/policy.md"));
    let (_, everything) = c.admin.send_json("GET", "/api/audit?limit=100", Value::Null).await;
    assert!(!everything.to_string().contains("How much leave"), "chat text must not be audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_messages_stream_and_call_tools() {
    round_trip(FakeKind::Anthropic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_chat_completions_stream_and_call_tools() {
    round_trip(FakeKind::Openai).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_stream_generate_content_streams_and_calls_tools() {
    round_trip(FakeKind::Google).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ollama_chat_streams_ndjson_and_calls_tools() {
    round_trip(FakeKind::OllamaLocal).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_compatible_endpoints_stream_and_call_tools() {
    round_trip(FakeKind::OpenaiCompatible).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn file_tools_never_leave_their_grant() {
    let c = chat(FakeKind::Openai, &["pinchy_ls", "pinchy_read"]).await;
    let mut ws = ChatSocket::open(&c.admin).await;
    let escapes = [
        c.docs.path("hr/../outside/secret.txt"),
        format!("{}/../outside/secret.txt", c.docs.path("hr")),
        c.docs.path("outside/secret.txt"),
        c.docs.path("hr/escape.md"),
        c.docs.path("hr/outside-link/secret.txt"),
        c.docs.path("hr/.git/config"),
        c.docs.path("hr2/salaries.md"),
        "../outside/secret.txt".to_string(),
        "/etc/passwd".to_string(),
    ];
    for path in &escapes {
        c.fake.push_reply(FakeReply::tool_call("pinchy_read", json!({"path": path})));
        c.fake.push_reply(FakeReply::text(&["ok"]));
        ws.message(&c.agent, "read it").await;
        let frames = ws.until("complete").await;
        assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "complete", "{path}: {frames:?}");
    }
    c.fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": c.docs.path("hr2")})));
    c.fake.push_reply(FakeReply::text(&["ok"]));
    ws.message(&c.agent, "list it").await;
    ws.until("complete").await;

    let requests = chat_requests(&c.fake);
    let all = serde_json::to_string(&requests).unwrap();
    for secret in ["SECRET-OUTSIDE", "SECRET-GIT-CONFIG", "SECRET-SALARIES", "root:x:0:0"] {
        assert!(!all.contains(secret), "{secret} reached the model");
    }
    // Every attempt came back to the model as a refusal.
    let refusals = requests.iter().filter(|r| r.to_string().contains("access denied")).count();
    assert!(refusals >= escapes.len(), "{refusals} refusals for {} escapes", escapes.len());
    let (_, audit) = c.admin.send_json("GET", "/api/audit?eventType=tool.pinchy_read&limit=100", Value::Null).await;
    let failed = audit["entries"].as_array().unwrap().iter().filter(|e| e["outcome"] == "failure").count();
    assert_eq!(failed, escapes.len(), "each refused read is audited as a failure: {audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_not_granted_are_refused_and_audited() {
    let c = chat(FakeKind::Anthropic, &["pinchy_ls"]).await;
    let mut ws = ChatSocket::open(&c.admin).await;
    c.fake.push_reply(FakeReply::tool_call("pinchy_read", json!({"path": c.docs.path("hr/policy.md")})));
    c.fake.push_reply(FakeReply::tool_call("shell_exec", json!({"cmd": "cat /etc/shadow"})));
    c.fake.push_reply(FakeReply::text(&["I cannot read files."]));
    ws.message(&c.agent, "read the policy").await;
    let frames = ws.until("complete").await;
    assert_eq!(chunk_text(&frames), "I cannot read files.");

    let requests = chat_requests(&c.fake);
    assert!(!serde_json::to_string(&requests).unwrap().contains("25 days of paid leave"), "an ungranted tool ran");
    // Anthropic's request lists the tools by name: only the granted one is offered.
    let offered: Vec<&str> =
        requests[0]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(offered, ["pinchy_ls"], "only granted tools are offered");
    let (_, denied) = c.admin.send_json("GET", "/api/audit?eventType=tool.denied", Value::Null).await;
    let names: Vec<&str> =
        denied["entries"].as_array().unwrap().iter().map(|e| e["detail"]["tool"].as_str().unwrap()).collect();
    assert_eq!(names, ["shell_exec", "pinchy_read"], "newest first: {denied}");
    assert!(denied["entries"].as_array().unwrap().iter().all(|e| e["outcome"] == "failure"));

    let mut other = ChatSocket::open(&c.admin).await;
    other.history(&c.agent).await;
    let history = other.next().await;
    let steps = history["messages"][1]["steps"].as_array().unwrap().clone();
    assert_eq!(steps.iter().filter(|s| s["denied"] == true).count(), 2, "{steps:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_failures_end_in_an_error_frame_and_the_socket_stays_usable() {
    let c = chat(FakeKind::Openai, &[]).await;
    let mut ws = ChatSocket::open(&c.admin).await;
    let mut partials = Vec::new();
    for (behaviour, code) in [
        (Behaviour::Status(401), "provider_unauthorized"),
        (Behaviour::RateLimited { retry_after_secs: 7 }, "provider_rate_limited"),
        (Behaviour::Status(500), "provider_error"),
        (Behaviour::CutAfter(3), "provider_stream_broken"),
    ] {
        // Refused requests take no queued reply; the cut one streams this.
        if matches!(behaviour, Behaviour::CutAfter(_)) {
            c.fake.push_reply(FakeReply::text(&["Partial ", "answer ", "that ", "never ", "ends"]));
        }
        c.fake.set_behaviour(behaviour);
        ws.message(&c.agent, "hello").await;
        let frames = ws.until("complete").await;
        let error = frames
            .iter()
            .find(|f| f["type"] == "error")
            .unwrap_or_else(|| panic!("{code}: no error frame: {frames:?}"));
        assert_eq!(error["code"], code, "{frames:?}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty() && !m.contains("sk-")), "{error}");
        assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "failed");
        partials.push(chunk_text(&frames));
    }
    assert!(
        !partials[3].is_empty() && partials[3].len() < "Partial answer that never ends".len(),
        "cut mid-way: {partials:?}"
    );
    // The same socket goes on working.
    c.fake.set_behaviour(Behaviour::Normal);
    c.fake.push_reply(FakeReply::text(&["Back ", "again."]));
    ws.message(&c.agent, "still there?").await;
    let frames = ws.until("complete").await;
    assert_eq!(chunk_text(&frames), "Back again.");

    // The conversation stays consistent: every question has its (failed) answer, in order.
    ws.history(&c.agent).await;
    let history = ws.next().await;
    let messages = history["messages"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> =
        messages.iter().map(|m| (m["role"].as_str().unwrap(), m["status"].as_str().unwrap())).collect();
    let mut expected = [("user", "complete"), ("assistant", "failed")].repeat(4);
    expected.extend([("user", "complete"), ("assistant", "complete")]);
    assert_eq!(statuses, expected);
    assert_eq!(messages[1]["error"], "provider_unauthorized");
    assert_eq!(messages[3]["error"], "provider_rate_limited");
    assert_eq!(messages[7]["content"], partials[3].as_str(), "the text before the cut is kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_stops_the_upstream_request() {
    let c = chat(FakeKind::Openai, &[]).await;
    let mut ws = ChatSocket::open(&c.admin).await;
    c.fake.set_behaviour(Behaviour::HoldAfter(3));
    c.fake.push_reply(FakeReply::text(&["One ", "two ", "three ", "four ", "five"]));
    ws.message(&c.agent, "count").await;
    let mut seen = String::new();
    while seen.is_empty() {
        let frame = ws.next().await;
        if frame["type"] == "chunk" {
            seen.push_str(frame["content"].as_str().unwrap());
        }
    }
    // Let the held stream deliver what it sends before holding.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    ws.send(json!({"type": "abort", "agentId": c.agent})).await;
    let frames = ws.until("complete").await;
    seen.push_str(&chunk_text(&frames));
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "aborted", "{frames:?}");
    assert!(
        c.fake.wait_for_client_disconnects(1, std::time::Duration::from_secs(10)).await,
        "the upstream request was not dropped"
    );
    assert!(!seen.contains("five"), "{seen}");
    ws.history(&c.agent).await;
    let history = ws.next().await;
    assert_eq!(history["messages"][1]["status"], "aborted");
    assert_eq!(history["messages"][1]["content"], seen.as_str(), "the text before the abort is kept");
    assert_eq!(history["activeRun"], Value::Null);

    // A new message on the chat supersedes a running one the same way.
    c.fake.push_reply(FakeReply::text(&["Slow ", "answer ", "here"]));
    ws.message(&c.agent, "first").await;
    loop {
        if ws.next().await["type"] == "chunk" {
            break;
        }
    }
    c.fake.set_behaviour(Behaviour::Normal);
    c.fake.push_reply(FakeReply::text(&["Second."]));
    ws.message(&c.agent, "second").await;
    // Frames of both runs, until the second one is complete.
    let mut frames = Vec::new();
    let mut second_id = None;
    loop {
        let frame = ws.next().await;
        if frame["type"] == "ack" {
            second_id = frame["messageId"].as_str().map(str::to_string);
        }
        let finished =
            frame["type"] == "complete" && second_id.is_some() && frame["messageId"].as_str() == second_id.as_deref();
        frames.push(frame);
        if finished {
            break;
        }
    }
    let second_id = second_id.unwrap();
    let mut statuses: Vec<(bool, &str)> = frames
        .iter()
        .filter(|f| f["type"] == "done")
        .map(|f| (f["messageId"] == second_id.as_str(), f["status"].as_str().unwrap()))
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [(false, "aborted"), (true, "complete")], "the first run was superseded: {frames:?}");
    let second: Vec<Value> = frames.iter().filter(|f| f["messageId"] == second_id.as_str()).cloned().collect();
    assert_eq!(chunk_text(&second), "Second.");
    assert!(c.fake.wait_for_client_disconnects(2, std::time::Duration::from_secs(10)).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_survives_a_reconnect_and_reaches_every_socket() {
    let c = chat(FakeKind::Openai, &[]).await;
    let words: Vec<String> = (0..12).map(|i| format!("w{i} ")).collect();
    let parts: Vec<&str> = words.iter().map(String::as_str).collect();
    let full: String = words.concat();
    c.fake.set_behaviour(Behaviour::ChunkDelay(std::time::Duration::from_millis(150)));
    c.fake.push_reply(FakeReply::text(&parts));

    let mut watcher = ChatSocket::open(&c.admin).await;
    watcher.history(&c.agent).await;
    assert_eq!(watcher.next().await["messages"], json!([]));
    let mut tab = ChatSocket::open(&c.admin).await;
    tab.message(&c.agent, "talk slowly").await;
    let ack = tab.next().await;
    assert_eq!(ack["type"], "ack");
    // The tab leaves after two chunks.
    let mut before = String::new();
    while before.matches(' ').count() < 2 {
        let frame = tab.next().await;
        if frame["type"] == "chunk" {
            before.push_str(frame["content"].as_str().unwrap());
        }
    }
    tab.drop_connection().await;

    // A new tab gets the text so far and the rest live.
    let mut again = ChatSocket::open(&c.admin).await;
    again.history(&c.agent).await;
    let history = again.next().await;
    let active = &history["activeRun"];
    assert_eq!(active["messageId"], ack["messageId"], "{history}");
    let partial = active["content"].as_str().unwrap().to_string();
    assert!(partial.starts_with(&before), "{partial:?} vs {before:?}");
    let rest = again.until("complete").await;
    assert_eq!(format!("{partial}{}", chunk_text(&rest)), full, "nothing lost, nothing twice");

    // The socket that only watched saw the whole answer.
    let watched = watcher.until("complete").await;
    assert_eq!(chunk_text(&watched), full);
    assert_eq!(c.fake.client_disconnects(), 0, "leaving the tab does not stop the run");
    let stored = query_text(c.server.database(), "SELECT content AS value FROM messages WHERE role = 'assistant'");
    assert_eq!(stored, [full]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_socket_is_authenticated_same_origin_and_scoped_to_visible_agents() {
    let c = chat(FakeKind::Openai, &[]).await;
    let (_, member) = c.server.create_member(&c.admin, "m@example.com").await;
    let anonymous = c.server.browser();
    assert_eq!(refused_status(upgrade_request(&anonymous, Some(c.server.base_url()))).await, 401);
    assert_eq!(refused_status(upgrade_request(&member, Some("https://evil.example"))).await, 403);
    assert_eq!(refused_status(upgrade_request(&member, None)).await, 403, "a cookie without an origin is refused");

    // The admin's personal agent is invisible to the member: the same answer as an unknown id.
    let (_, agents) = c.admin.send_json("GET", "/api/agents", Value::Null).await;
    let admins_own = agents.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = ChatSocket::open(&member).await;
    for agent in [admins_own.as_str(), "01890a5d-ac96-774b-bcce-b302099a8057", "not-a-uuid"] {
        ws.message(agent, "hi").await;
        let frame = ws.next().await;
        assert_eq!(
            (frame["type"].clone(), frame["message"].clone(), frame["code"].clone()),
            (json!("error"), json!("Agent not found"), json!("agent_not_found")),
            "{agent}"
        );
        ws.history(agent).await;
        assert_eq!(ws.next().await["code"], "agent_not_found");
    }
    // Malformed frames are refused and the socket stays.
    ws.send_raw("not json").await;
    assert_eq!(ws.next().await["code"], "invalid_frame");
    ws.send(json!({"type": "message", "agentId": c.agent, "content": "   "})).await;
    assert_eq!(ws.next().await["code"], "invalid_input");
    ws.send(json!({"type": "message", "agentId": c.agent, "content": "hi", "chatId": "bad id!"})).await;
    assert_eq!(ws.next().await["code"], "invalid_input");
    c.fake.push_reply(FakeReply::text(&["Hi ", "member."]));
    ws.send(json!({"type": "message", "agentId": c.agent, "content": "hi", "clientMessageId": "x1"})).await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Hi member.");
    ws.send(json!({"type": "message", "agentId": c.agent, "content": "hi", "clientMessageId": "x1"})).await;
    assert_eq!(ws.next().await["code"], "duplicate_message", "a resend is not asked twice");
    assert_eq!(chat_requests(&c.fake).len(), 1);

    // Chats are per user: the admin's history of the same agent is empty.
    let mut admin_ws = ChatSocket::open(&c.admin).await;
    admin_ws.history(&c.agent).await;
    assert_eq!(admin_ws.next().await["messages"], json!([]));

    // A deactivated member's open socket is closed at once, without waiting for its next frame.
    let (_, me) = member.send_json("GET", "/api/auth/me", Value::Null).await;
    let id = me["id"].as_str().unwrap();
    let (status, _) = c.admin.send_json("DELETE", &format!("/api/users/{id}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ws.next().await["code"], "not_authenticated");
    assert_eq!(ws.closed().await.map(|(code, _)| code), Some(4401));
    assert_error(&member.send_json("GET", "/api/agents", Value::Null).await, 401, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread")]
async fn conversations_survive_a_restart_and_a_run_cut_by_shutdown_is_stored_as_aborted() {
    let mut c = chat(FakeKind::Anthropic, &[]).await;
    let mut ws = ChatSocket::open(&c.admin).await;
    c.fake.push_reply(FakeReply::text(&["Kept ", "across ", "restarts."]));
    ws.message(&c.agent, "remember this").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Kept across restarts.");

    // A run still going at SIGTERM ends as aborted, with its text so far, and the socket is told.
    c.fake.set_behaviour(Behaviour::HoldAfter(4));
    c.fake.push_reply(FakeReply::text(&["Half ", "an ", "answer ", "and ", "more"]));
    ws.message(&c.agent, "a long one").await;
    let mut seen = String::new();
    while seen.is_empty() {
        let frame = ws.next().await;
        if frame["type"] == "chunk" {
            seen.push_str(frame["content"].as_str().unwrap());
        }
    }
    c.server.restart().await;
    assert!(c.fake.wait_for_client_disconnects(1, std::time::Duration::from_secs(10)).await);

    let admin = c.server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.history(&c.agent).await;
    let history = ws.next().await;
    let messages = history["messages"].as_array().unwrap();
    let summary: Vec<(&str, &str)> =
        messages.iter().map(|m| (m["content"].as_str().unwrap(), m["status"].as_str().unwrap())).collect();
    assert_eq!(summary.len(), 4, "{history}");
    assert_eq!(summary[0], ("remember this", "complete"));
    assert_eq!(summary[1], ("Kept across restarts.", "complete"));
    assert_eq!(summary[2], ("a long one", "complete"));
    assert_eq!(summary[3].1, "aborted", "{history}");
    assert!(summary[3].0.starts_with(seen.as_str()) && !summary[3].0.contains("more"), "{history}");
    assert_eq!(history["activeRun"], Value::Null);
}
