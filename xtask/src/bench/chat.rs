//! `chat`: the WebSocket chat against a fake OpenAI-compatible provider (in this process, on
//! 127.0.0.1) that streams a fixed answer at once. Three phases:
//!
//! 1. `chat:latency` — chats one after another on one socket: the time from sending a `message` to
//!    the first `chunk` (p50/p99), and the platform's *added* latency, from the instant the fake
//!    starts its response body to the instant the client reads the first `chunk` (the `added`
//!    note; both instants come from this process's monotonic clock). The user chatting holds
//!    1,000 long-term memory entries that every message matches, so each turn is given five.
//! 2. `chat:idle-sockets` — N sockets opened and left idle: the server's RSS growth per socket
//!    (the memory table's `per idle WebSocket`).
//! 3. `chat:concurrent` — the same N sockets each send one message at once; every chat must end
//!    with `complete` and no `error`: chats/s over the phase, time to first chunk p50/p99.
//!
//! The fake speaks the genuine Chat Completions streaming format (SSE `data:` deltas, a usage
//! chunk, `[DONE]`), so the server's real adapter parses it; its model list answers the live
//! credential check when the provider is configured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use futures::{SinkExt, StreamExt};
use reqwest::header::{COOKIE, ORIGIN};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::seed::{self, Plan};
use super::server::BenchServer;
use super::{Context, Measurement, Scenario, memory, percentile, server};
use crate::fake_upstream::FakeUpstream;

pub const NAME: &str = "chat";
/// The answer the fake streams, one SSE event per piece.
const ANSWER: [&str; 8] = ["Pincer ", "streams ", "this ", "answer ", "to ", "every ", "chat ", "quickly."];
/// Sockets per seeded member: the server allows 16 per user.
const SOCKETS_PER_USER: usize = 16;
/// How long one chat may take before it counts as an error.
const CHAT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Chat;

impl Scenario for Chat {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "WebSocket chats against an instant fake provider: first-chunk latency and the platform's added \
         latency, RSS per idle socket, 1,000 concurrent chats"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let fake = FakeProvider::start()?;
        // Each member holds 16 sockets (the per-user cap) that all chat at once in the concurrent
        // phase, so the runs-per-user cap (default 4) is lifted to match: the phase measures the
        // platform under 1,000 runs, not the cap refusing most of them.
        let env = vec![
            ("PINCER_ALLOW_PRIVATE_URLS", "1".to_string()),
            ("PINCER_TRUSTED_PROXIES", "127.0.0.1".to_string()),
            ("PINCER_MAX_RUNS_PER_USER", SOCKETS_PER_USER.to_string()),
        ];
        let server = ctx.start_server(env)?;
        let sockets: usize = ctx.size(200, 1_000);
        let sequential: usize = ctx.size(100, 500);
        let measured = ctx.block_on(async {
            let members = sockets.div_ceil(SOCKETS_PER_USER);
            let plan = Plan { admins: 1, members, log_in_members: true, shared_agents: 1 };
            let seeded = seed::seed(&server, plan).await?;
            let admin = seeded.admins[0].cookie.clone().ok_or("the admin is not logged in")?;
            let agent = configure(&server, &admin, &fake).await?;
            let cookies: Vec<String> = seeded
                .members
                .iter()
                .filter_map(|m| m.cookie.as_ref().and_then(|c| c.to_str().ok()).map(str::to_string))
                .collect();
            if cookies.len() < members {
                return Err(format!("seeding logged in {} of {members} members", cookies.len()));
            }
            remember(&server, &cookies[0], MEMORIES).await?;
            let deadline = Instant::now() + ctx.time_limit();

            let latency = latency_phase(&server, &cookies[0], &agent, &fake, sequential, deadline).await?;

            let before = server.memory()?.0;
            let mut idle = Vec::with_capacity(sockets);
            for i in 0..sockets {
                idle.push(open(&server, &cookies[i / SOCKETS_PER_USER]).await?);
            }
            // Let the server settle the upgrades before reading its RSS.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = server.memory()?.0;
            let per_socket = after.saturating_sub(before) / sockets as u64;
            ctx.record_memory(
                memory::PER_IDLE_WEBSOCKET,
                per_socket,
                None,
                Some(format!("({} − {}) / {sockets} sockets", after, before)),
            );
            let concurrent = concurrent_phase(idle, &agent).await;
            Ok::<_, String>(vec![
                latency.measurement(ctx.backend(), "chat:latency", 1),
                concurrent.measurement(ctx.backend(), "chat:concurrent", sockets),
            ])
        });
        let measured = measured.map_err(|e| format!("{e}\nserver output:\n{}", server.tail()))?;
        ctx.finish_server(server, measured)
    }
}

/// Long-term memory entries of the user whose chats `chat:latency` times: every message of that
/// phase (`seq-<n>`) shares a word with all of them, so each turn looks its memory up and is
/// given the most relevant (5 by default) — the cost of memory injection is in the figure.
const MEMORIES: usize = 1_000;

/// Gives the user of `cookie` `count` memory entries, through the API.
async fn remember(server: &BenchServer, cookie: &str, count: usize) -> Result<(), String> {
    let client = server::client()?;
    for i in 0..count {
        let entry = json!({"content": format!("Fact {i}: the seq project uses the w{i} setting"), "tags": ["bench"]});
        let res = client
            .post(server.url("/api/memory/long_term"))
            .header(COOKIE, cookie)
            .header(ORIGIN, server.base_url())
            .json(&entry)
            .send()
            .await
            .map_err(|e| format!("adding a memory: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("adding a memory: {} {}", res.status(), res.text().await.unwrap_or_default()));
        }
    }
    Ok(())
}

/// Adds the fake as an OpenAI-compatible provider (the default), sets budgets, and returns the
/// shared agent, which got its model from it.
pub(super) async fn configure(
    server: &BenchServer,
    admin: &reqwest::header::HeaderValue,
    fake: &FakeProvider,
) -> Result<String, String> {
    let client = server::client()?;
    let post = client
        .post(server.url("/api/settings/providers"))
        .header(COOKIE, admin.clone())
        .header(ORIGIN, server.base_url())
        .json(&json!({"provider": "benchfake", "apiKey": "bench-key", "baseUrl": fake.base_url()}))
        .send()
        .await
        .map_err(|e| format!("configuring the provider: {e}"))?;
    if !post.status().is_success() {
        return Err(format!("configuring the provider: {} {}", post.status(), post.text().await.unwrap_or_default()));
    }
    let agents: Value = client
        .get(server.url("/api/agents"))
        .header(COOKIE, admin.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let agent = agents
        .as_array()
        .and_then(|list| list.iter().find(|a| a["isPersonal"] == false && a["model"].is_string()))
        .and_then(|a| a["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("no shared agent with a model: {agents}"))?;
    // Budgets for the organisation and the agent, far above what the run spends: every turn goes
    // through the budget gate with limits to check, as a governed deployment's would.
    let budgets = json!({"budgets": [
        {"scope": "org", "limit": "1000000"},
        {"scope": "agent", "targetId": agent, "limit": "1000000"},
    ]});
    let put = client
        .put(server.url("/api/usage/budgets"))
        .header(COOKIE, admin.clone())
        .header(ORIGIN, server.base_url())
        .json(&budgets)
        .send()
        .await
        .map_err(|e| format!("setting budgets: {e}"))?;
    if !put.status().is_success() {
        return Err(format!("setting budgets: {} {}", put.status(), put.text().await.unwrap_or_default()));
    }
    Ok(agent)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(server: &BenchServer, cookie: &str) -> Result<Socket, String> {
    let url = server.url("/api/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    headers.insert("Cookie", cookie.parse().map_err(|_| "bad cookie")?);
    headers.insert("Origin", server.base_url().parse().map_err(|_| "bad origin")?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| format!("WebSocket upgrade: {e}"))?;
    Ok(socket)
}

/// What one chat took, as the client saw it.
struct ChatTiming {
    first_chunk: Duration,
    /// From the fake's first byte to the client's first chunk.
    added: Option<Duration>,
}

/// Sends one message with a tag the fake can see, and reads frames until `complete`.
async fn one_chat(
    socket: &mut Socket,
    agent: &str,
    tag: &str,
    fake: Option<&FakeProvider>,
) -> Result<ChatTiming, String> {
    let frame = json!({"type": "message", "agentId": agent, "content": tag, "chatId": tag_chat(tag)});
    let sent = Instant::now();
    socket.send(Message::text(frame.to_string())).await.map_err(|e| e.to_string())?;
    let mut first: Option<Instant> = None;
    let mut text = String::new();
    loop {
        let next = tokio::time::timeout(CHAT_TIMEOUT, socket.next()).await.map_err(|_| "a chat timed out")?;
        let message = next.ok_or("the socket closed")?.map_err(|e| e.to_string())?;
        let Message::Text(raw) = message else { continue };
        let frame: Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
        match frame["type"].as_str() {
            Some("chunk") => {
                first.get_or_insert_with(Instant::now);
                text.push_str(frame["content"].as_str().unwrap_or_default());
            }
            Some("error") => return Err(format!("error frame: {frame}")),
            Some("complete") => break,
            _ => {}
        }
    }
    if text != ANSWER.concat() {
        return Err(format!("the answer arrived as {text:?}"));
    }
    let first = first.ok_or("no chunk arrived")?;
    let added = fake.and_then(|f| f.first_byte(tag)).map(|at| first.saturating_duration_since(at));
    Ok(ChatTiming { first_chunk: first - sent, added })
}

/// Each chat in its own chat key, so history stays short and runs never supersede each other.
fn tag_chat(tag: &str) -> String {
    tag.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
}

#[derive(Default)]
struct Phase {
    first_chunks: Vec<Duration>,
    added: Vec<Duration>,
    errors: u64,
    chats: u64,
    elapsed: Duration,
    first_error: Option<String>,
}

impl Phase {
    fn record(&mut self, result: Result<ChatTiming, String>) {
        self.chats += 1;
        match result {
            Ok(timing) => {
                self.first_chunks.push(timing.first_chunk);
                self.added.extend(timing.added);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    fn measurement(mut self, backend: &'static str, scenario: &str, concurrency: usize) -> Measurement {
        self.first_chunks.sort_unstable();
        self.added.sort_unstable();
        let mut notes = Vec::new();
        if !self.added.is_empty() {
            notes.push(format!(
                "added latency (fake's first byte → client's first chunk) p50 {:.3} ms, p99 {:.3} ms",
                ms(percentile(&self.added, 50.0)),
                ms(percentile(&self.added, 99.0))
            ));
        }
        notes.push("p50/p99: message sent → first chunk".to_string());
        if let Some(e) = self.first_error {
            notes.push(format!("first error: {e}"));
        }
        Measurement {
            scenario: scenario.to_string(),
            backend,
            concurrency,
            ops: self.chats,
            elapsed: self.elapsed,
            p50: percentile(&self.first_chunks, 50.0),
            p99: percentile(&self.first_chunks, 99.0),
            errors: self.errors,
            per_second: true,
            note: Some(notes.join("; ")),
        }
    }
}

fn ms(d: Option<Duration>) -> f64 {
    d.map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
}

async fn latency_phase(
    server: &BenchServer,
    cookie: &str,
    agent: &str,
    fake: &FakeProvider,
    count: usize,
    deadline: Instant,
) -> Result<Phase, String> {
    let mut socket = open(server, cookie).await?;
    let mut phase = Phase::default();
    // A few chats to warm connections and caches, not measured.
    for i in 0..5 {
        one_chat(&mut socket, agent, &format!("warm-{i}"), None).await?;
    }
    let started = Instant::now();
    for i in 0..count {
        if Instant::now() >= deadline {
            break;
        }
        // A socket follows at most MAX_FOLLOWS_PER_SOCKET (32) chats: a fresh one before that,
        // opened outside the measured span (message sent → first chunk).
        if i % FOLLOWS_PER_SOCKET == 0 {
            socket = open(server, cookie).await?;
        }
        let result = one_chat(&mut socket, agent, &format!("seq-{i}"), Some(fake)).await;
        phase.record(result);
    }
    phase.elapsed = started.elapsed();
    Ok(phase)
}

/// Chats one benchmark socket takes before it is replaced (the server's cap is 32 per socket).
const FOLLOWS_PER_SOCKET: usize = 25;

async fn concurrent_phase(sockets: Vec<Socket>, agent: &str) -> Phase {
    let started = Instant::now();
    let chats = sockets.into_iter().enumerate().map(|(i, mut socket)| {
        let agent = agent.to_string();
        tokio::spawn(async move { one_chat(&mut socket, &agent, &format!("par-{i}"), None).await })
    });
    let results = futures::future::join_all(chats).await;
    let mut phase = Phase { elapsed: started.elapsed(), ..Phase::default() };
    for result in results {
        phase.record(result.unwrap_or_else(|e| Err(format!("a chat task failed: {e}"))));
    }
    phase
}

/// A fake OpenAI-compatible provider: the model list for the credential check, and chat
/// completions streamed at once. It notes when each tagged chat's body started.
pub(super) struct FakeProvider {
    base: String,
    first_bytes: Arc<Mutex<HashMap<String, Instant>>>,
    _server: FakeUpstream,
}

impl FakeProvider {
    pub(super) fn start() -> Result<FakeProvider, String> {
        let first_bytes: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let shared = web::Data::new(first_bytes.clone());
        let server = FakeUpstream::start("the fake provider", 2, move |cfg| {
            cfg.app_data(shared.clone())
                .app_data(web::JsonConfig::default().limit(16 * 1024 * 1024))
                .route("/v1/models", web::get().to(models))
                .route("/v1/chat/completions", web::post().to(completions));
        })?;
        Ok(FakeProvider { base: format!("http://{}/v1", server.addr), first_bytes, _server: server })
    }

    fn base_url(&self) -> &str {
        &self.base
    }

    fn first_byte(&self, tag: &str) -> Option<Instant> {
        self.first_bytes.lock().ok()?.get(tag).copied()
    }
}

async fn models() -> HttpResponse {
    HttpResponse::Ok().json(json!({"object": "list", "data": [{"id": "bench-model", "object": "model", "created": 0, "owned_by": "bench"}]}))
}

async fn completions(
    body: web::Json<Value>,
    first_bytes: web::Data<Arc<Mutex<HashMap<String, Instant>>>>,
) -> HttpResponse {
    // The tag is the last user message.
    let tag = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut events = String::new();
    for (i, piece) in ANSWER.iter().enumerate() {
        let delta = if i == 0 { json!({"role": "assistant", "content": piece}) } else { json!({"content": piece}) };
        let chunk = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": null}]});
        events.push_str(&format!("data: {chunk}\n\n"));
    }
    let stop = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    let usage = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench-model",
        "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}});
    events.push_str(&format!("data: {stop}\n\ndata: {usage}\n\ndata: [DONE]\n\n"));
    if let Ok(mut map) = first_bytes.lock() {
        map.insert(tag, Instant::now());
    }
    HttpResponse::Ok().content_type("text/event-stream").insert_header(("Cache-Control", "no-cache")).body(events)
}
