//! Fake LLM providers: one [`FakeProvider`] per kind, speaking that provider's genuine wire format
//! (paths, auth headers, response and error shapes, pagination, streamed chat) on an ephemeral
//! port.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use pincer_testkit::fakes::{Behaviour, FakeKind, FakeModel, FakeProvider, FakeReply, FakeUsage};
//! use serde_json::json;
//!
//! # async fn example() {
//! let fake = FakeProvider::builder(FakeKind::Anthropic)
//!     .models(vec![FakeModel::new("claude-haiku-4-5-20251001").display_name("Claude Haiku 4.5")])
//!     .start();
//! // The next chat answers, in order (then the default reply):
//! fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"})));
//! fake.push_reply(FakeReply::text(&["Hel", "lo"]).usage(FakeUsage { input: 12, output: 5, cache_read: 3, cache_write: 2 }));
//! // Point the code under test at `fake.base_url()` with `fake.api_key()`, then:
//! let sent = fake.chat_requests();
//! assert_eq!(sent[0].header("x-api-key"), fake.api_key());
//! // Send two chunks, then keep the stream open until the client goes away:
//! fake.set_behaviour(Behaviour::HoldAfter(2));
//! // … start a run, abort it, then:
//! assert!(fake.wait_for_client_disconnects(1, Duration::from_secs(5)).await);
//! fake.set_behaviour(Behaviour::Status(529));
//! # }
//! ```
//!
//! Every request is recorded first, then the [`Behaviour`] switch applies, then the kind's routes
//! answer. Each kind lives in its own module (`anthropic`, `openai`, `google`, `ollama`) with
//! its auth check, its error shape, its model list and its streamed chat (Messages SSE, Chat
//! Completions SSE, `streamGenerateContent` SSE, `/api/chat` NDJSON), written from the providers'
//! documented formats. A chat request is checked the way the provider checks it (the key, the
//! model, the shape of the conversation: every tool call answered, in the right place) before a
//! reply is taken from the queue; the streaming itself (`stream`) is shared.

mod anthropic;
mod google;
mod ollama;
mod openai;
mod reply;
mod stream;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use tokio::sync::watch;

pub use self::reply::{FakeReply, FakeStop, FakeToolCall, FakeUsage};
use super::server::FakeServer;

/// Request bodies up to this size are accepted (chat requests carry whole conversations).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The provider kinds, named as Pincer names them (`ProviderKind::as_str`), so a test can map
/// one to the other without this crate knowing the domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FakeKind {
    Anthropic,
    Openai,
    Google,
    OllamaCloud,
    OllamaLocal,
    OpenaiCompatible,
}

impl FakeKind {
    pub const ALL: [FakeKind; 6] =
        [Self::Anthropic, Self::Openai, Self::Google, Self::OllamaCloud, Self::OllamaLocal, Self::OpenaiCompatible];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::Openai => "openai",
            Self::Google => "google",
            Self::OllamaCloud => "ollama-cloud",
            Self::OllamaLocal => "ollama-local",
            Self::OpenaiCompatible => "openai-compatible",
        }
    }

    /// The variable that points the binary's provider of this kind elsewhere
    /// (`PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD`, DESIGN.md §7).
    pub fn base_url_variable(self) -> String {
        format!("PINCER_PROVIDER_BASEURL_{}", self.as_str().replace('-', "_").to_ascii_uppercase())
    }

    /// The key a fake of this kind accepts unless told otherwise; `None` for a local Ollama, which
    /// has no authentication.
    pub fn default_api_key(self) -> Option<&'static str> {
        match self {
            Self::Anthropic => Some("sk-ant-api03-fake-test-key-0001"),
            Self::Openai => Some("sk-proj-fake-test-key-0001"),
            Self::Google => Some("AIzaSyFake-test-key-0001"),
            Self::OllamaCloud => Some("ollama-fake-test-key-0001"),
            Self::OllamaLocal => None,
            Self::OpenaiCompatible => Some("sk-compat-fake-test-key-0001"),
        }
    }

    /// A real-looking model list for the kind, including models a chat agent cannot use
    /// (embeddings, speech, images), so filters get exercised.
    pub fn default_models(self) -> Vec<FakeModel> {
        match self {
            Self::Anthropic => vec![
                FakeModel::new("claude-sonnet-4-5-20250929").display_name("Claude Sonnet 4.5"),
                FakeModel::new("claude-haiku-4-5-20251001").display_name("Claude Haiku 4.5"),
                FakeModel::new("claude-opus-4-1-20250805").display_name("Claude Opus 4.1"),
                FakeModel::new("claude-3-5-haiku-20241022").display_name("Claude Haiku 3.5"),
            ],
            Self::Openai => vec![
                FakeModel::new("gpt-4.1-mini"),
                FakeModel::new("gpt-4.1"),
                FakeModel::new("gpt-4o-mini"),
                FakeModel::new("gpt-4o"),
                FakeModel::new("o4-mini"),
                FakeModel::new("text-embedding-3-small"),
                FakeModel::new("whisper-1"),
                FakeModel::new("dall-e-3"),
                FakeModel::new("tts-1"),
            ],
            Self::Google => vec![
                FakeModel::new("gemini-2.5-flash").display_name("Gemini 2.5 Flash"),
                FakeModel::new("gemini-2.5-pro").display_name("Gemini 2.5 Pro"),
                FakeModel::new("gemini-2.0-flash").display_name("Gemini 2.0 Flash"),
                FakeModel::new("text-embedding-004")
                    .display_name("Text Embedding 004")
                    .generation_methods(&["embedContent"]),
                FakeModel::new("imagen-4.0-generate-001").display_name("Imagen 4").generation_methods(&["predict"]),
            ],
            Self::OllamaCloud => {
                vec![
                    FakeModel::new("gpt-oss:120b"),
                    FakeModel::new("gpt-oss:20b"),
                    FakeModel::new("deepseek-v3.1:671b"),
                ]
            }
            Self::OllamaLocal => vec![
                FakeModel::new("llama3.1:8b"),
                FakeModel::new("qwen2.5:7b"),
                FakeModel::new("nomic-embed-text:latest"),
            ],
            Self::OpenaiCompatible => vec![
                FakeModel::new("llama-3.3-70b-versatile"),
                FakeModel::new("llama-3.1-8b-instant"),
                FakeModel::new("mixtral-8x7b-32768"),
            ],
        }
    }

    /// What [`FakeProvider::base_url`] adds to the origin: OpenAI-compatible endpoints are
    /// configured with their `/v1` included (routes still match the full path).
    fn base_path(self) -> &'static str {
        match self {
            Self::OpenaiCompatible => "/v1",
            _ => "",
        }
    }

    /// Whether a request to this path (relative to the origin) is the kind's chat endpoint.
    fn is_chat(self, method: &str, path: &str) -> bool {
        method == "POST"
            && match self {
                Self::Anthropic => path == "/v1/messages",
                Self::Openai | Self::OpenaiCompatible => path == "/v1/chat/completions",
                Self::Google => google::chat_model(path).is_some(),
                Self::OllamaCloud | Self::OllamaLocal => path == "/api/chat",
            }
    }
}

/// A model the fake lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeModel {
    /// The bare id (`gemini-2.5-flash`; the Google fake lists it as `models/gemini-2.5-flash`).
    pub id: String,
    /// Listed by the kinds that have one (Anthropic, Google).
    pub display_name: Option<String>,
    /// Google's `supportedGenerationMethods`; other kinds ignore it.
    pub generation_methods: Vec<String>,
}

impl FakeModel {
    /// A chat model: Google lists it with `generateContent` and `countTokens`.
    pub fn new(id: &str) -> FakeModel {
        FakeModel {
            id: id.to_string(),
            display_name: None,
            generation_methods: vec!["generateContent".to_string(), "countTokens".to_string()],
        }
    }

    pub fn display_name(mut self, name: &str) -> FakeModel {
        self.display_name = Some(name.to_string());
        self
    }

    pub fn generation_methods(mut self, methods: &[&str]) -> FakeModel {
        self.generation_methods = methods.iter().map(|m| m.to_string()).collect();
        self
    }
}

/// How the fake answers, switchable while it runs. Requests are recorded whatever the behaviour.
/// The chat variants (`CutAfter`, `EndAfter`, `ErrorAfter`, `HoldAfter`, `ChunkDelay`) change only how a chat
/// answer is streamed; other requests are answered normally under them. A chunk is one SSE event
/// (OpenAI's `data: [DONE]` included) or one NDJSON line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Speak the protocol: check the key, answer the routes.
    #[default]
    Normal,
    /// Refuse every key (even the configured one) the way the provider refuses a wrong key.
    RejectEveryKey,
    /// Answer every request with this status and the kind's error body (before any stream).
    Status(u16),
    /// Answer the next `times` requests like [`Behaviour::Status`], then behave normally again
    /// (an overloaded server that recovers, for retries).
    StatusTimes { status: u16, times: usize },
    /// Answer every request `429 Too Many Requests` with the kind's error body and
    /// `Retry-After: <secs>` (Google: a `google.rpc.RetryInfo` detail in the body instead, as the
    /// Gemini API does).
    RateLimited { retry_after_secs: u64 },
    /// Accept the request and never answer (until the fake is dropped).
    Hang,
    /// Answer `200 OK` with a body that is not what was asked for: for the model list, a body that
    /// is not JSON under `Content-Type: application/json`; for chat, the kind's stream content
    /// type with frames that are not JSON.
    Garbage,
    /// Answer `307 Temporary Redirect` to this URL.
    Redirect(String),
    /// Chat: send the first `n` chunks, then drop the connection in the middle of the body.
    CutAfter(usize),
    /// Chat: send the first `n` chunks, then end the body cleanly, without the final events.
    EndAfter(usize),
    /// Chat: send the first `n` chunks, then the error the kind's servers send in the middle of a
    /// stream that already answered `200 OK`, and end the body: OpenAI a `data: {"error": …}`
    /// event, Anthropic `event: error` with an `overloaded_error`, Gemini a chunk that is an error
    /// object (`UNAVAILABLE`, 503), Ollama an `{"error": …}` line.
    ErrorAfter(usize),
    /// Chat: send the first `n` chunks (all, if there are fewer), then keep the connection open,
    /// sending nothing, until the client goes away.
    HoldAfter(usize),
    /// Chat: wait this long before every chunk after the first.
    ChunkDelay(Duration),
}

/// A way a real server's wire format differs from the documented default, switched on per fake
/// (they combine, and hold alongside any [`Behaviour`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quirk {
    /// OpenAI-compatible servers that ignore `stream_options.include_usage`: no final usage
    /// chunk (and no `"usage": null` on the others).
    NoUsageChunk,
    /// OpenAI-compatible servers that send tool-call deltas without `index`: each call's first
    /// fragment has its id and name, the following ones only arguments.
    NoToolCallIndex,
}

/// A request as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path and query as sent (`/v1/models?limit=1000&after_id=x`), relative to the origin.
    pub path: String,
    /// Every header, names lower-case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split_once('?').map_or(self.path.as_str(), |(path, _)| path)
    }

    /// The raw query string (`""` when there is none).
    pub fn query_string(&self) -> &str {
        self.path.split_once('?').map_or("", |(_, query)| query)
    }

    /// A query parameter, percent-decoded; `None` when absent or the query is malformed.
    pub fn query(&self, name: &str) -> Option<String> {
        web::Query::<HashMap<String, String>>::from_query(self.query_string()).ok()?.get(name).cloned()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    fn from_actix(req: &HttpRequest, body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: req.method().to_string(),
            path: req.uri().path_and_query().map_or_else(|| req.path().to_string(), |pq| pq.as_str().to_string()),
            headers: req
                .headers()
                .iter()
                .map(|(name, value)| {
                    (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned())
                })
                .collect(),
            body: body.to_vec(),
        }
    }
}

/// The state the routes of every kind share.
struct Shared {
    kind: FakeKind,
    api_key: Option<String>,
    /// The most items one page holds (the kinds that paginate cap the client's page size to it).
    page_size: usize,
    models: Mutex<Vec<FakeModel>>,
    behaviour: Mutex<Behaviour>,
    log: Mutex<Vec<RecordedRequest>>,
    /// The chat replies still to give, in order.
    replies: Mutex<VecDeque<FakeReply>>,
    /// What a chat request gets when the queue is empty.
    default_reply: Mutex<FakeReply>,
    /// Ids handed out so far (messages, tool calls), so that each is unique within the fake.
    ids: AtomicUsize,
    quirks: Mutex<HashSet<Quirk>>,
    /// Google: the `thoughtSignature` issued with each function call, by the call (its name and
    /// arguments as JSON text), so that a follow-up that drops one can be refused.
    signatures: Mutex<HashMap<String, HashSet<String>>>,
    /// Chat streams the client closed before they were over.
    disconnects: watch::Sender<usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn models(&self) -> Vec<FakeModel> {
        lock(&self.models).clone()
    }

    /// The behaviour for the request at hand; a [`Behaviour::StatusTimes`] counts it down.
    fn behaviour(&self) -> Behaviour {
        let mut behaviour = lock(&self.behaviour);
        if let Behaviour::StatusTimes { status, times } = *behaviour {
            *behaviour =
                if times > 1 { Behaviour::StatusTimes { status, times: times - 1 } } else { Behaviour::Normal };
            return Behaviour::Status(status);
        }
        behaviour.clone()
    }

    /// Whether the model is listed (Google: and can generate content).
    fn has_chat_model(&self, id: &str) -> bool {
        lock(&self.models).iter().any(|m| {
            m.id == id && (self.kind != FakeKind::Google || m.generation_methods.iter().any(|g| g == "generateContent"))
        })
    }

    /// The next reply: the first queued one, or the default.
    fn next_reply(&self) -> FakeReply {
        lock(&self.replies).pop_front().unwrap_or_else(|| lock(&self.default_reply).clone())
    }

    /// A fresh number for an id.
    fn next_id(&self) -> usize {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn has_quirk(&self, quirk: Quirk) -> bool {
        lock(&self.quirks).contains(&quirk)
    }

    fn rejects_every_key(&self) -> bool {
        *lock(&self.behaviour) == Behaviour::RejectEveryKey
    }

    /// What a presented key amounts to, given the configured key and the behaviour.
    fn check_key(&self, presented: Option<&str>) -> KeyCheck {
        match (&self.api_key, presented) {
            _ if self.rejects_every_key() => match presented {
                Some(_) => KeyCheck::Wrong,
                None => KeyCheck::Missing,
            },
            (None, _) => KeyCheck::Valid,
            (Some(_), None) => KeyCheck::Missing,
            (Some(expected), Some(presented)) if expected == presented => KeyCheck::Valid,
            (Some(_), Some(_)) => KeyCheck::Wrong,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyCheck {
    Valid,
    Missing,
    Wrong,
}

/// The key in `Authorization: Bearer <key>`, if that is how the header reads.
fn bearer(req: &RecordedRequest) -> Option<&str> {
    req.header("authorization").and_then(|v| v.strip_prefix("Bearer "))
}

/// A JSON response with this status.
fn json(status: u16, body: Value) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)).json(body)
}

/// One fake provider on its own port. Dropping it stops the server.
pub struct FakeProvider {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProvider").field("kind", &self.shared.kind).field("base_url", &self.base_url()).finish()
    }
}

/// Options for a [`FakeProvider`]; every one has a default for the kind.
#[derive(Debug)]
pub struct FakeProviderBuilder {
    kind: FakeKind,
    api_key: Option<String>,
    models: Vec<FakeModel>,
    page_size: usize,
    behaviour: Behaviour,
    replies: Vec<FakeReply>,
    default_reply: FakeReply,
    quirks: HashSet<Quirk>,
}

impl FakeProviderBuilder {
    /// Speak with this quirk of real servers.
    pub fn quirk(mut self, quirk: Quirk) -> Self {
        self.quirks.insert(quirk);
        self
    }

    /// The key the fake accepts (and requires).
    pub fn api_key(mut self, key: &str) -> Self {
        self.api_key = Some(key.to_string());
        self
    }

    /// Accept requests without any key (a local Ollama's default).
    pub fn no_api_key(mut self) -> Self {
        self.api_key = None;
        self
    }

    pub fn models(mut self, models: Vec<FakeModel>) -> Self {
        self.models = models;
        self
    }

    /// The most items one page of a paginated list holds (Anthropic, Google), whatever page size
    /// the client asks for; default 1000, the providers' own maximum.
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    pub fn behaviour(mut self, behaviour: Behaviour) -> Self {
        self.behaviour = behaviour;
        self
    }

    /// Chat replies to give first, in order.
    pub fn replies(mut self, replies: Vec<FakeReply>) -> Self {
        self.replies = replies;
        self
    }

    /// The reply when none is queued (default: [`FakeReply::default`]).
    pub fn default_reply(mut self, reply: FakeReply) -> Self {
        self.default_reply = reply;
        self
    }

    pub fn start(self) -> FakeProvider {
        let shared = Arc::new(Shared {
            kind: self.kind,
            api_key: self.api_key,
            page_size: self.page_size,
            models: Mutex::new(self.models),
            behaviour: Mutex::new(self.behaviour),
            log: Mutex::new(Vec::new()),
            replies: Mutex::new(self.replies.into()),
            default_reply: Mutex::new(self.default_reply),
            ids: AtomicUsize::new(0),
            quirks: Mutex::new(self.quirks),
            signatures: Mutex::new(HashMap::new()),
            disconnects: watch::Sender::new(0),
        });
        let data = web::Data::from(shared.clone());
        let server = FakeServer::start(self.kind.as_str(), move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .default_service(web::to(handle));
        });
        FakeProvider { server, shared }
    }
}

impl FakeProvider {
    /// A fake of this kind with its default key and models.
    pub fn start(kind: FakeKind) -> FakeProvider {
        Self::builder(kind).start()
    }

    pub fn builder(kind: FakeKind) -> FakeProviderBuilder {
        FakeProviderBuilder {
            kind,
            api_key: kind.default_api_key().map(str::to_string),
            models: kind.default_models(),
            page_size: 1000,
            behaviour: Behaviour::Normal,
            replies: Vec::new(),
            default_reply: FakeReply::default(),
            quirks: HashSet::new(),
        }
    }

    pub fn kind(&self) -> FakeKind {
        self.shared.kind
    }

    /// The URL to configure as the provider's base URL: the origin, plus `/v1` for an
    /// OpenAI-compatible endpoint. No trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.origin(), self.shared.kind.base_path())
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        self.server.origin()
    }

    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The key the fake accepts, if it requires one.
    pub fn api_key(&self) -> Option<&str> {
        self.shared.api_key.as_deref()
    }

    pub fn models(&self) -> Vec<FakeModel> {
        self.shared.models()
    }

    pub fn set_models(&self, models: Vec<FakeModel>) {
        *lock(&self.shared.models) = models;
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *lock(&self.shared.behaviour) = behaviour;
    }

    /// Switches a quirk on or off.
    pub fn set_quirk(&self, quirk: Quirk, on: bool) {
        let mut quirks = lock(&self.shared.quirks);
        if on {
            quirks.insert(quirk);
        } else {
            quirks.remove(&quirk);
        }
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Queues a chat reply: chat requests take queued replies in order, then the default one. A
    /// request the fake refuses (wrong key, unknown model, malformed conversation, an error
    /// behaviour) takes none.
    pub fn push_reply(&self, reply: FakeReply) {
        lock(&self.shared.replies).push_back(reply);
    }

    /// The reply chat requests get when the queue is empty.
    pub fn set_default_reply(&self, reply: FakeReply) {
        *lock(&self.shared.default_reply) = reply;
    }

    /// Drops every queued reply (the default one stays).
    pub fn clear_replies(&self) {
        lock(&self.shared.replies).clear();
    }

    /// How many queued replies are still to be given.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.replies).len()
    }

    /// The chat requests received so far (the kind's chat endpoint only), oldest first.
    pub fn chat_requests(&self) -> Vec<RecordedRequest> {
        let kind = self.shared.kind;
        lock(&self.shared.log).iter().filter(|r| kind.is_chat(&r.method, r.path_only())).cloned().collect()
    }

    /// How many chat streams the client closed before they were over (a cancelled run, a
    /// dropped stream). Streams the fake cut or ended itself do not count.
    pub fn client_disconnects(&self) -> usize {
        *self.shared.disconnects.borrow()
    }

    /// Waits until at least `count` chat streams were closed by the client; `false` if that did
    /// not happen within `timeout`. Needs a Tokio runtime with timers.
    pub async fn wait_for_client_disconnects(&self, count: usize, timeout: Duration) -> bool {
        let mut seen = self.shared.disconnects.subscribe();
        matches!(tokio::time::timeout(timeout, seen.wait_for(|n| *n >= count)).await, Ok(Ok(_)))
    }
}

/// Every request lands here: record it, apply the behaviour, then route it by kind.
async fn handle(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let request = RecordedRequest::from_actix(&req, &body);
    lock(&shared.log).push(request.clone());
    let kind = shared.kind;
    let path = request.path_only().to_string();
    let chat = kind.is_chat(&request.method, &path);
    match shared.behaviour() {
        Behaviour::Normal
        | Behaviour::RejectEveryKey
        | Behaviour::CutAfter(_)
        | Behaviour::EndAfter(_)
        | Behaviour::ErrorAfter(_)
        | Behaviour::HoldAfter(_)
        | Behaviour::ChunkDelay(_) => {}
        Behaviour::Hang => return std::future::pending().await,
        Behaviour::Status(status) => return error(kind, status, "the fake provider was told to fail"),
        // Turned into `Status` (or `Normal`) by `Shared::behaviour`.
        Behaviour::StatusTimes { .. } => {}
        Behaviour::RateLimited { retry_after_secs } => return rate_limited(kind, retry_after_secs),
        Behaviour::Garbage if chat => return chat_garbage(kind),
        Behaviour::Garbage => {
            return HttpResponse::Ok().content_type("application/json").body("<html><body>Bad gateway</body></html>");
        }
        Behaviour::Redirect(location) => {
            return HttpResponse::TemporaryRedirect().insert_header(("Location", location)).finish();
        }
    }
    match kind {
        FakeKind::Anthropic => anthropic::route(&request, &path, &shared),
        FakeKind::Openai | FakeKind::OpenaiCompatible => openai::route(&request, &path, &shared),
        FakeKind::Google => google::route(&request, &path, &shared),
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => ollama::route(&request, &path, &shared),
    }
}

/// The kind's error body for this status.
fn error(kind: FakeKind, status: u16, message: &str) -> HttpResponse {
    match kind {
        FakeKind::Anthropic => anthropic::error(status, message),
        FakeKind::Openai | FakeKind::OpenaiCompatible => openai::error(status, message, None),
        FakeKind::Google => google::error(status, message),
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => ollama::error(status, message),
    }
}

/// The kind's `429`, with when to retry.
fn rate_limited(kind: FakeKind, retry_after_secs: u64) -> HttpResponse {
    let retry_after = ("retry-after", retry_after_secs.to_string());
    match kind {
        FakeKind::Anthropic => {
            let mut response =
                anthropic::error(429, "Number of request tokens has exceeded your per-minute rate limit");
            insert_header(&mut response, retry_after);
            response
        }
        FakeKind::Openai | FakeKind::OpenaiCompatible => {
            let mut response = openai::rate_limited();
            insert_header(&mut response, retry_after);
            response
        }
        FakeKind::Google => google::rate_limited(retry_after_secs),
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => {
            let mut response = ollama::error(429, "too many requests, please slow down");
            insert_header(&mut response, retry_after);
            response
        }
    }
}

fn insert_header(response: &mut HttpResponse, (name, value): (&'static str, String)) {
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&value) {
        response.headers_mut().insert(actix_web::http::header::HeaderName::from_static(name), value);
    }
}

/// The error event a server of this kind sends in the middle of a stream ([`Behaviour::ErrorAfter`]).
fn mid_stream_error(kind: FakeKind) -> web::Bytes {
    match kind {
        FakeKind::Anthropic => anthropic::mid_stream_error(),
        FakeKind::Openai | FakeKind::OpenaiCompatible => openai::mid_stream_error(),
        FakeKind::Google => google::mid_stream_error(),
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => ollama::mid_stream_error(),
    }
}

/// A chat answer in the kind's stream content type whose frames are not JSON.
fn chat_garbage(kind: FakeKind) -> HttpResponse {
    let (content_type, body) = match kind {
        FakeKind::Anthropic => {
            ("text/event-stream; charset=utf-8", "event: message_start\ndata: {this is not json\n\n")
        }
        FakeKind::Openai | FakeKind::OpenaiCompatible => {
            ("text/event-stream; charset=utf-8", "data: {this is not json\n\n")
        }
        FakeKind::Google => ("text/event-stream", "data: {this is not json\r\n\r\n"),
        FakeKind::OllamaCloud | FakeKind::OllamaLocal => ("application/x-ndjson", "{this is not json\n"),
    };
    HttpResponse::Ok().content_type(content_type).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        let req = RecordedRequest {
            method: "GET".into(),
            path: "/v1beta/models?pageSize=2&pageToken=a%2Fb%2B%3D".into(),
            headers: vec![("x-goog-api-key".into(), "k".into())],
            body: Vec::new(),
        };
        assert_eq!(req.path_only(), "/v1beta/models");
        assert_eq!(req.query("pageToken").as_deref(), Some("a/b+="));
        assert_eq!(req.query("missing"), None);
        assert_eq!(req.header("X-Goog-Api-Key"), Some("k"));
    }

    #[test]
    fn variables_follow_the_kind_names() {
        assert_eq!(FakeKind::OllamaCloud.base_url_variable(), "PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD");
        assert_eq!(FakeKind::OllamaLocal.default_api_key(), None);
    }
}
