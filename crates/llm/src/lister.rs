//! [`HttpModelLister`]: the `ModelLister` port over each provider's own model-list endpoint.

use std::time::Duration;

use async_trait::async_trait;
use pincer_agents::{Endpoint, ModelLister, ProbeError, ProviderKind, RemoteModel};

use crate::upstream::Upstream;
use crate::{anthropic, google, ollama, openai};

/// What production waits for a provider's model list.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Paginated lists (Anthropic, Google) are followed for at most this many pages; what came so far
/// is returned past it.
pub const MAX_PAGES: usize = 10;

/// Lists a provider's models over HTTP(S), behind the SSRF guard.
///
/// Each call checks the endpoint's URL, resolves its host once, refuses private addresses unless
/// the endpoint allows them, and connects only to the checked addresses, with redirects and
/// proxies off. `timeout` bounds the whole call: the lookup and every page. A fresh client per
/// call (it is pinned to the addresses just checked); listing models is not a hot path.
#[derive(Clone, Debug)]
pub struct HttpModelLister {
    timeout: Duration,
}

impl HttpModelLister {
    pub fn new(timeout: Duration) -> HttpModelLister {
        HttpModelLister { timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn list(&self, endpoint: &Endpoint) -> Result<Vec<RemoteModel>, ProbeError> {
        let upstream = Upstream::connect(endpoint, self.timeout).await?;
        let key = endpoint.api_key.as_ref();
        match endpoint.kind {
            ProviderKind::Anthropic => anthropic::list_models(&upstream, key, MAX_PAGES).await,
            ProviderKind::Openai => openai::list_models(&upstream, "/v1/models", key).await,
            ProviderKind::OpenaiCompatible => openai::list_models(&upstream, "/models", key).await,
            ProviderKind::Google => google::list_models(&upstream, key, MAX_PAGES).await,
            ProviderKind::OllamaCloud => ollama::list_models(&upstream, key).await,
            // A local server has no authentication: a key configured anyway is not sent.
            ProviderKind::OllamaLocal => ollama::list_models(&upstream, None).await,
        }
    }
}

impl Default for HttpModelLister {
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT)
    }
}

#[async_trait]
impl ModelLister for HttpModelLister {
    async fn list_models(&self, endpoint: &Endpoint) -> Result<Vec<RemoteModel>, ProbeError> {
        let result = match tokio::time::timeout(self.timeout, self.list(endpoint)).await {
            Ok(result) => result,
            Err(_) => Err(ProbeError::Timeout),
        };
        match &result {
            Ok(models) => {
                tracing::debug!(kind = endpoint.kind.as_str(), count = models.len(), "listed provider models")
            }
            Err(e) => tracing::info!(kind = endpoint.kind.as_str(), error = %e, "listing provider models failed"),
        }
        result
    }
}
