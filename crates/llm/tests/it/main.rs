//! `HttpModelLister` against the testkit's fake providers over real HTTP on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod failures;
mod guard;
mod listing;

use std::time::Duration;

use pincer_agents::{Endpoint, ModelLister, ProbeError, ProviderKind, RemoteModel};
use pincer_core::Secret;
use pincer_llm::HttpModelLister;
use pincer_testkit::fakes::{FakeKind, FakeProvider};

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
