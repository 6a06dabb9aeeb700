//! The Gemini API: the key in `x-goog-api-key` (never in the URL: URLs get logged);
//! `GET /v1beta/models` pages through `{"models":[{"name":"models/…","displayName",
//! "supportedGenerationMethods"}],"nextPageToken"}` with `pageToken`. Only models that can
//! `generateContent` are listed, by their id without the `models/` prefix.
//!
//! A wrong key is answered `400 INVALID_ARGUMENT` with reason `API_KEY_INVALID` (a missing one
//! `403`), so a 400 is read for that reason before it counts as an upstream failure.

use pincer_agents::{ProbeError, RemoteModel};
use pincer_core::Secret;
use reqwest::header::{HeaderMap, HeaderName};
use serde::Deserialize;

use crate::upstream::{Reply, Upstream, secret_header};

/// The API's largest page.
const PAGE_SIZE: &str = "1000";

pub(crate) fn headers(key: Option<&Secret<String>>) -> Result<HeaderMap, ProbeError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        headers.insert(HeaderName::from_static("x-goog-api-key"), secret_header(key.expose())?);
    }
    Ok(headers)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelPage {
    /// Omitted by the API when empty (proto3 JSON).
    #[serde(default)]
    models: Vec<Model>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Model {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    supported_generation_methods: Vec<String>,
}

impl ModelPage {
    /// The chat models of this page and the token of the next one, if there is more.
    pub(crate) fn split(self) -> (Vec<RemoteModel>, Option<String>) {
        let models = self
            .models
            .into_iter()
            .filter(|m| m.supported_generation_methods.iter().any(|g| g == "generateContent"))
            .filter_map(|m| {
                let name = m.name?;
                let id = name.strip_prefix("models/").unwrap_or(&name).to_string();
                (!id.is_empty()).then(|| RemoteModel { id, display_name: m.display_name.filter(|n| !n.is_empty()) })
            })
            .collect();
        (models, self.next_page_token.filter(|t| !t.is_empty()))
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorStatus,
}

#[derive(Debug, Deserialize)]
struct ErrorStatus {
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    reason: Option<String>,
}

/// Whether an answer is Google's way of refusing the key (`400` with reason `API_KEY_INVALID`).
pub(crate) fn rejects_key(reply: &Reply) -> bool {
    reply.status == 400
        && serde_json::from_slice::<ErrorBody>(&reply.body)
            .is_ok_and(|b| b.error.details.iter().any(|d| d.reason.as_deref() == Some("API_KEY_INVALID")))
}

pub(crate) async fn list_models(
    upstream: &Upstream,
    key: Option<&Secret<String>>,
    max_pages: usize,
) -> Result<Vec<RemoteModel>, ProbeError> {
    let headers = headers(key)?;
    let mut models = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let mut query = vec![("pageSize", PAGE_SIZE)];
        if let Some(token) = &token {
            query.push(("pageToken", token.as_str()));
        }
        let reply = upstream.get("/v1beta/models", &query, headers.clone()).await?;
        if rejects_key(&reply) {
            return Err(ProbeError::Rejected);
        }
        let page: ModelPage = reply.into_json()?;
        let (found, next) = page.split();
        models.extend(found);
        match next {
            Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
            _ => return Ok(models),
        }
    }
    tracing::warn!(host = %upstream.host(), max_pages, "google model list truncated at the page bound");
    Ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_generate_content_models_without_the_prefix() {
        let page: ModelPage = serde_json::from_str(
            r#"{"models":[
                {"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash",
                 "supportedGenerationMethods":["generateContent","countTokens"]},
                {"name":"models/text-embedding-004","displayName":"Text Embedding 004",
                 "supportedGenerationMethods":["embedContent"]},
                {"name":"models/no-methods"},
                {"name":"models/","supportedGenerationMethods":["generateContent"]}
               ],"nextPageToken":"Cg/x+1=="}"#,
        )
        .unwrap();
        let (models, next) = page.split();
        assert_eq!(
            models,
            vec![RemoteModel { id: "gemini-2.5-flash".into(), display_name: Some("Gemini 2.5 Flash".into()) },]
        );
        assert_eq!(next.as_deref(), Some("Cg/x+1=="));
    }

    #[test]
    fn an_empty_answer_is_an_empty_last_page() {
        let (models, next) = serde_json::from_str::<ModelPage>("{}").unwrap().split();
        assert!(models.is_empty() && next.is_none());
    }

    #[test]
    fn recognises_the_invalid_key_answer() {
        let invalid = br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",
            "status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
            "reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#;
        assert!(rejects_key(&Reply { status: 400, body: invalid.to_vec() }));
        let other = br#"{"error":{"code":400,"message":"Invalid page token.","status":"INVALID_ARGUMENT"}}"#;
        assert!(!rejects_key(&Reply { status: 400, body: other.to_vec() }));
        assert!(!rejects_key(&Reply { status: 500, body: invalid.to_vec() }));
        assert!(!rejects_key(&Reply { status: 400, body: b"<html>".to_vec() }));
    }

    #[test]
    fn key_travels_in_a_sensitive_header() {
        let key = Secret::new("AIza-1".to_string());
        let headers = headers(Some(&key)).unwrap();
        assert_eq!(headers["x-goog-api-key"], "AIza-1");
        assert!(headers["x-goog-api-key"].is_sensitive());
    }
}
