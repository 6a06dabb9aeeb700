//! `HttpModelLister` and `HttpModelClient` against the testkit's fake providers over real HTTP on
//! 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chat_encoding;
mod chat_failures;
mod chat_providers;
mod chat_streaming;
mod failures;
mod guard;
mod listing;

use std::time::Duration;

use futures::StreamExt;
use pincer_agents::chat::{ModelClient, ModelError, ModelRequest, ModelStream, StreamEvent, ToolSpec, Turn};
use pincer_agents::{Endpoint, ModelLister, ProbeError, ProviderKind, RemoteModel};
use pincer_core::Secret;
use pincer_llm::{ClientTimeouts, HttpModelClient, HttpModelLister};
use pincer_testkit::fakes::{FakeKind, FakeProvider};
use serde_json::json;

/// Generous for a fake on loopback; the timeout test uses its own short one.
const TIMEOUT: Duration = Duration::from_secs(10);

fn kind(fake: FakeKind) -> ProviderKind {
    ProviderKind::parse(fake.as_str()).unwrap()
}

/// The endpoint the service would hand over for this fake: its base URL and key, private
/// addresses allowed (the fake lives on 127.0.0.1).
fn endpoint(fake: &FakeProvider) -> Endpoint {
    Endpoint {
        kind: kind(fake.kind()),
        base_url: fake.base_url(),
        api_key: fake.api_key().map(|k| Secret::new(k.to_string())),
        allow_private: true,
    }
}

fn with_key(mut endpoint: Endpoint, key: Option<&str>) -> Endpoint {
    endpoint.api_key = key.map(|k| Secret::new(k.to_string()));
    endpoint
}

async fn list(endpoint: &Endpoint) -> Result<Vec<RemoteModel>, ProbeError> {
    HttpModelLister::new(TIMEOUT).list_models(endpoint).await
}

fn ids(models: &[RemoteModel]) -> Vec<&str> {
    models.iter().map(|m| m.id.as_str()).collect()
}

/// Generous for a fake on loopback; the timeout tests use their own short ones.
const CHAT_TIMEOUTS: ClientTimeouts = ClientTimeouts {
    connect: Duration::from_secs(5),
    first_byte: Duration::from_secs(10),
    idle: Duration::from_secs(10),
};

fn chat_client() -> HttpModelClient {
    HttpModelClient::new(CHAT_TIMEOUTS)
}

/// A one-question request to the fake's first model, with the file tools.
fn chat_request(fake: &FakeProvider) -> ModelRequest {
    ModelRequest {
        endpoint: endpoint(fake),
        model: fake.models()[0].id.clone(),
        system: "You are Pinchy, a careful assistant.".to_string(),
        turns: vec![Turn::User { text: "What is in /data/hr?".to_string() }],
        tools: vec![
            ToolSpec {
                name: "pinchy_ls".to_string(),
                description: "List a folder".to_string(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            },
            ToolSpec {
                name: "pinchy_read".to_string(),
                description: "Read a file".to_string(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
            },
        ],
        max_output_tokens: 1024,
    }
}

/// Every item of a stream, up to and including the first error.
async fn drain(mut stream: ModelStream) -> Vec<Result<StreamEvent, ModelError>> {
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        let failed = item.is_err();
        items.push(item);
        if failed {
            break;
        }
    }
    items
}

/// Streams the request to the end with the default test client.
async fn chat(request: ModelRequest) -> Result<Vec<Result<StreamEvent, ModelError>>, ModelError> {
    Ok(drain(chat_client().stream(request).await?).await)
}

/// The events of a stream that must succeed.
async fn chat_ok(request: ModelRequest) -> Vec<StreamEvent> {
    chat(request).await.expect("the call starts").into_iter().map(|e| e.expect("no stream error")).collect()
}

/// The text deltas of a list of events, in order.
fn texts(events: &[StreamEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}
