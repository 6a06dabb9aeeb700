//! [`HttpModelClient`]: the agents domain's `ModelClient` port, one streamed call per model step,
//! over each provider's genuine wire format (one module each): Chat Completions SSE (OpenAI and
//! compatible endpoints), Messages SSE (Anthropic), `streamGenerateContent` SSE (Gemini) and
//! `/api/chat` NDJSON (Ollama).
//!
//! Each call passes the same SSRF guard as the model lister: the base URL is checked, its host
//! resolved once and every address checked, and the request goes only to those addresses, with
//! redirects and proxies off. Clients are kept per checked host and address set, so the steps of
//! a run can reuse a connection; a host that resolves differently gets a new client.
//!
//! The domain has no timers, so the timeouts live here ([`ClientTimeouts`]): connecting, then the
//! answer's status and headers, then every gap between two pieces of the stream.

mod anthropic;
mod google;
mod ollama;
mod openai;
mod stream;
#[cfg(test)]
mod stream_props;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use pincer_agents::ProviderKind;
use pincer_agents::chat::{ModelClient, ModelError, ModelRequest, ModelStream};
use pincer_outbound::Retry;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Client, Response};

use self::stream::{Origin, drive, ndjson_frames, sse_frames};
use crate::openai::bearer_headers;
use crate::upstream::{ErrorChain, GuardError, Host, Reply, Target};

/// How long a model call may wait, at each stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// Establishing the connection (TCP and TLS).
    pub connect: Duration,
    /// From the start of the call to the answer's status and headers (the lookup and the
    /// connection included): a model can take long to start answering.
    pub first_byte: Duration,
    /// Between two pieces of the stream, once it runs (a provider that pings resets it).
    pub idle: Duration,
}

impl ClientTimeouts {
    /// What production uses: 10 s to connect, 60 s to the first byte, 60 s of silence at most.
    pub const PRODUCTION: ClientTimeouts = ClientTimeouts {
        connect: Duration::from_secs(10),
        first_byte: Duration::from_secs(60),
        idle: Duration::from_secs(60),
    };
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// At most this many clients are kept; past it the cache starts over.
const MAX_CLIENTS: usize = 32;

/// An error answer's body is read (Google's key and retry details) up to this size.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Streams model calls over HTTP(S), behind the SSRF guard. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct HttpModelClient {
    timeouts: ClientTimeouts,
    /// Clients pinned to a checked host's addresses.
    clients: Mutex<HashMap<(Host, Vec<SocketAddr>), Client>>,
}

impl HttpModelClient {
    pub fn new(timeouts: ClientTimeouts) -> HttpModelClient {
        HttpModelClient { timeouts, clients: Mutex::new(HashMap::new()) }
    }

    pub fn timeouts(&self) -> ClientTimeouts {
        self.timeouts
    }

    /// A client that connects only to the target's checked addresses.
    fn client(&self, target: &Target) -> Result<Client, ModelError> {
        let key = (target.base.host.clone(), target.addrs.clone());
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = target.client(self.timeouts.connect, None).map_err(guard_error)?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Everything up to the answer's headers: the guard, the request, the status.
    async fn open(&self, request: &ModelRequest) -> Result<ModelStream, ModelError> {
        let kind = request.endpoint.kind;
        let target =
            Target::resolve(&request.endpoint.base_url, request.endpoint.allow_private).await.map_err(guard_error)?;
        let origin = Origin { kind: kind.as_str(), host: target.host() };
        let wire = wire(request)?;
        let client = self.client(&target)?;
        let url = format!("{}{}", target.base.url, wire.path);
        // Shared, not copied, by each attempt.
        let body = bytes::Bytes::from(wire.body);
        // Before its answer begins a call is asked again when the provider was overloaded or could
        // not be reached (within the first-byte timeout around this); a stream is never repeated.
        let response = Retry::BEFORE_FIRST_BYTE
            .send(|| {
                client
                    .post(&url)
                    .headers(wire.headers.clone())
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .header(ACCEPT, HeaderValue::from_static(wire.framing.content_type()))
                    .body(body.clone())
            })
            .await
            .map_err(|e| send_failed(&e, &origin))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let error = refusal(kind, response).await;
            tracing::info!(kind = origin.kind, host = %origin.host, status, error = %error, "model call refused");
            return Err(error);
        }
        let stream_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with(wire.framing.content_type()));
        let idle = self.timeouts.idle;
        Ok(match (kind, wire.framing) {
            (_, Framing::Ndjson) => drive(
                ndjson_frames(response, idle, origin.clone()),
                ollama::ChatDecoder::default(),
                stream_type,
                origin,
            ),
            (ProviderKind::Anthropic, Framing::Sse) => drive(
                sse_frames(response, idle, origin.clone()),
                anthropic::MessagesDecoder::default(),
                stream_type,
                origin,
            ),
            (ProviderKind::Google, Framing::Sse) => drive(
                sse_frames(response, idle, origin.clone()),
                google::GenerateDecoder::default(),
                stream_type,
                origin,
            ),
            (_, Framing::Sse) => drive(
                sse_frames(response, idle, origin.clone()),
                // OpenAI always sends the usage it is asked for; a compatible server may not.
                openai::ChatDecoder::new(kind == ProviderKind::Openai),
                stream_type,
                origin,
            ),
        })
    }
}

impl Default for HttpModelClient {
    fn default() -> Self {
        Self::new(ClientTimeouts::PRODUCTION)
    }
}

#[async_trait]
impl ModelClient for HttpModelClient {
    async fn stream(&self, request: ModelRequest) -> Result<ModelStream, ModelError> {
        let kind = request.endpoint.kind.as_str();
        let opened = match tokio::time::timeout(self.timeouts.first_byte, self.open(&request)).await {
            Ok(result) => result,
            Err(_) => {
                tracing::info!(kind, "model call timed out before its answer");
                Err(ModelError::Timeout)
            }
        };
        if let Err(error) = &opened {
            stream::count_error(kind, error);
        }
        opened
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Sse,
    Ndjson,
}

impl Framing {
    fn content_type(self) -> &'static str {
        match self {
            Framing::Sse => "text/event-stream",
            Framing::Ndjson => "application/x-ndjson",
        }
    }
}

/// One call as the kind's API wants it.
struct Wire {
    /// Appended to the base URL.
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    framing: Framing,
}

fn wire(request: &ModelRequest) -> Result<Wire, ModelError> {
    let key = request.endpoint.api_key.as_ref();
    // A key that cannot be a header value cannot be valid either.
    let rejected = |_| ModelError::Unauthorized;
    let (path, headers, body, framing) = match request.endpoint.kind {
        ProviderKind::Anthropic => (
            "/v1/messages".to_string(),
            crate::anthropic::headers(key).map_err(rejected)?,
            anthropic::body(request),
            Framing::Sse,
        ),
        ProviderKind::Openai => (
            "/v1/chat/completions".to_string(),
            bearer_headers(key).map_err(rejected)?,
            openai::body(request, false),
            Framing::Sse,
        ),
        // The base URL of a compatible endpoint already ends in its version.
        ProviderKind::OpenaiCompatible => (
            "/chat/completions".to_string(),
            bearer_headers(key).map_err(rejected)?,
            openai::body(request, true),
            Framing::Sse,
        ),
        ProviderKind::Google => (
            google::path(&request.model),
            crate::google::headers(key).map_err(rejected)?,
            google::body(request),
            Framing::Sse,
        ),
        ProviderKind::OllamaCloud => {
            ("/api/chat".to_string(), bearer_headers(key).map_err(rejected)?, ollama::body(request), Framing::Ndjson)
        }
        // A local server has no authentication: a key configured anyway is not sent.
        ProviderKind::OllamaLocal => {
            ("/api/chat".to_string(), HeaderMap::new(), ollama::body(request), Framing::Ndjson)
        }
    };
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "cannot encode the model request");
        ModelError::BadResponse
    })?;
    Ok(Wire { path, headers, body, framing })
}

fn guard_error(e: GuardError) -> ModelError {
    match e {
        GuardError::PrivateAddress => ModelError::PrivateAddress,
        // The URL was checked when the provider was saved; one that fails now cannot be reached.
        GuardError::BadUrl(_) | GuardError::Unreachable => ModelError::Unreachable,
    }
}

fn send_failed(e: &reqwest::Error, origin: &Origin) -> ModelError {
    let error = if e.is_timeout() { ModelError::Timeout } else { ModelError::Unreachable };
    tracing::info!(kind = origin.kind, host = %origin.host, error = %ErrorChain(e), "model call failed");
    error
}

/// The error an answer with a failure status stands for.
async fn refusal(kind: ProviderKind, mut response: Response) -> ModelError {
    let status = response.status().as_u16();
    match status {
        401 | 403 => ModelError::Unauthorized,
        404 => ModelError::ModelNotFound,
        429 => {
            let mut retry_after_secs = retry_after(response.headers());
            if retry_after_secs.is_none() && kind == ProviderKind::Google {
                retry_after_secs = google::retry_delay(&read_limited(&mut response).await);
            }
            ModelError::RateLimited { retry_after_secs }
        }
        400 if kind == ProviderKind::Google => {
            let reply = Reply { status, body: read_limited(&mut response).await };
            if crate::google::rejects_key(&reply) { ModelError::Unauthorized } else { ModelError::Upstream(status) }
        }
        _ => ModelError::Upstream(status),
    }
}

/// `Retry-After` in seconds (a fraction rounds up); an HTTP date is not used by the providers.
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().or_else(|| {
        value.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9).map(|s| s.ceil() as u64)
    })
}

/// The start of an error answer's body (what fits in [`MAX_ERROR_BODY`]; a failure reads as
/// what came so far).
async fn read_limited(response: &mut Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            headers
        };
        assert_eq!(retry_after(&headers("30")), Some(30));
        assert_eq!(retry_after(&headers(" 7 ")), Some(7));
        assert_eq!(retry_after(&headers("1.2")), Some(2));
        assert_eq!(retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&headers("-1")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn production_timeouts() {
        let t = ClientTimeouts::default();
        assert_eq!(
            (t.connect, t.first_byte, t.idle),
            (Duration::from_secs(10), Duration::from_secs(60), Duration::from_secs(60))
        );
    }
}
