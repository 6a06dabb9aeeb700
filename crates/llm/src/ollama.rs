//! Ollama's API, on a local server (no authentication) or on ollama.com (`Authorization: Bearer`):
//! `GET /api/tags` answers `{"models":[{"name","model","modified_at","size","digest","details"}]}`.

use pincer_agents::{ProbeError, RemoteModel};
use pincer_core::Secret;
use serde::Deserialize;

use crate::openai::bearer_headers;
use crate::upstream::Upstream;

#[derive(Debug, Deserialize)]
pub(crate) struct Tags {
    models: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
struct Tag {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

impl Tags {
    /// The models by name (`llama3.1:8b`, the id `/api/chat` takes), or by `model` when a server
    /// sends no name.
    pub(crate) fn into_models(self) -> Vec<RemoteModel> {
        self.models
            .into_iter()
            .filter_map(|t| t.name.filter(|n| !n.is_empty()).or(t.model.filter(|m| !m.is_empty())))
            .map(|id| RemoteModel { id, display_name: None })
            .collect()
    }
}

/// `key` is `None` for a local server.
pub(crate) async fn list_models(
    upstream: &Upstream,
    key: Option<&Secret<String>>,
) -> Result<Vec<RemoteModel>, ProbeError> {
    let tags: Tags = upstream.get("/api/tags", &[], bearer_headers(key)?).await?.into_json()?;
    Ok(tags.into_models())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        let tags: Tags = serde_json::from_str(
            r#"{"models":[{"name":"llama3.1:8b","model":"llama3.1:8b","modified_at":"2025-10-02T17:37:44.7+02:00",
                "size":4920753328,"digest":"abc","details":{"format":"gguf","family":"llama"}},
                {"model":"qwen2.5:7b"},{"name":""}]}"#,
        )
        .unwrap();
        let ids: Vec<_> = tags.into_models().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["llama3.1:8b", "qwen2.5:7b"]);
    }

    #[test]
    fn a_body_without_models_is_not_ollama() {
        assert!(serde_json::from_str::<Tags>("{}").is_err());
    }
}
