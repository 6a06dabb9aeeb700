//! OpenAI's API and every OpenAI-compatible endpoint: `Authorization: Bearer <key>`;
//! `GET /models` answers `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`
//! (no display names, no pagination).

use pincer_agents::{ProbeError, RemoteModel};
use pincer_core::Secret;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;

use crate::upstream::{Upstream, secret_header};

/// `Authorization: Bearer <key>`, when there is a key (shared with Ollama Cloud).
pub(crate) fn bearer_headers(key: Option<&Secret<String>>) -> Result<HeaderMap, ProbeError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        headers.insert(AUTHORIZATION, secret_header(&format!("Bearer {}", key.expose()))?);
    }
    Ok(headers)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModelList {
    data: Vec<Model>,
}

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    id: Option<String>,
}

impl ModelList {
    pub(crate) fn into_models(self) -> Vec<RemoteModel> {
        self.data
            .into_iter()
            .filter_map(|m| m.id.filter(|id| !id.is_empty()))
            .map(|id| RemoteModel { id, display_name: None })
            .collect()
    }
}

/// `path` is `/v1/models` for OpenAI itself, `/models` for a compatible endpoint whose base URL
/// already ends in its version (`…/v1`, `…/openai/v1`).
pub(crate) async fn list_models(
    upstream: &Upstream,
    path: &str,
    key: Option<&Secret<String>>,
) -> Result<Vec<RemoteModel>, ProbeError> {
    let list: ModelList = upstream.get(path, &[], bearer_headers(key)?).await?.into_json()?;
    Ok(list.into_models())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list_shape() {
        let list: ModelList = serde_json::from_str(
            r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},
                {"id":"","object":"model"},{"id":"whisper-1","object":"model","created":1,"owned_by":"openai-internal"}]}"#,
        )
        .unwrap();
        let ids: Vec<_> = list.into_models().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["gpt-4o", "whisper-1"]);
    }

    #[test]
    fn an_error_body_is_not_a_list() {
        assert!(serde_json::from_str::<ModelList>(r#"{"error":{"message":"x"}}"#).is_err());
    }

    #[test]
    fn bearer_header_only_with_a_key() {
        let key = Secret::new("sk-1".to_string());
        let headers = bearer_headers(Some(&key)).unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer sk-1");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(bearer_headers(None).unwrap().is_empty());
    }
}
