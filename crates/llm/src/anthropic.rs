//! Anthropic's API: `x-api-key` and `anthropic-version` headers; `GET /v1/models` pages through
//! `{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}`
//! with `after_id`.

use pincer_agents::{ProbeError, RemoteModel};
use pincer_core::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::upstream::{Upstream, secret_header};

pub(crate) const API_VERSION: &str = "2023-06-01";
/// The API's largest page.
const PAGE_LIMIT: &str = "1000";

pub(crate) fn headers(key: Option<&Secret<String>>) -> Result<HeaderMap, ProbeError> {
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static("anthropic-version"), HeaderValue::from_static(API_VERSION));
    if let Some(key) = key {
        headers.insert(HeaderName::from_static("x-api-key"), secret_header(key.expose())?);
    }
    Ok(headers)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModelPage {
    data: Vec<Model>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

impl ModelPage {
    /// The models of this page and the cursor of the next one, if there is more.
    pub(crate) fn split(self) -> (Vec<RemoteModel>, Option<String>) {
        let models = self
            .data
            .into_iter()
            .filter_map(|m| {
                let id = m.id.filter(|id| !id.is_empty())?;
                Some(RemoteModel { id, display_name: m.display_name.filter(|n| !n.is_empty()) })
            })
            .collect();
        let next = if self.has_more { self.last_id.filter(|id| !id.is_empty()) } else { None };
        (models, next)
    }
}

pub(crate) async fn list_models(
    upstream: &Upstream,
    key: Option<&Secret<String>>,
    max_pages: usize,
) -> Result<Vec<RemoteModel>, ProbeError> {
    let headers = headers(key)?;
    let mut models = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..max_pages {
        let mut query = vec![("limit", PAGE_LIMIT)];
        if let Some(after) = &after {
            query.push(("after_id", after.as_str()));
        }
        let page: ModelPage = upstream.get("/v1/models", &query, headers.clone()).await?.into_json()?;
        let (found, next) = page.split();
        models.extend(found);
        match next {
            // A cursor that does not move would loop until the page bound: stop at once.
            Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
            _ => return Ok(models),
        }
    }
    tracing::warn!(host = %upstream.host(), max_pages, "anthropic model list truncated at the page bound");
    Ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> ModelPage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn parses_a_page_and_its_cursor() {
        let (models, next) = page(
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5",
                "created_at":"2025-09-29T00:00:00Z"},{"type":"model","id":"claude-3-5-haiku-20241022"}],
                "has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-3-5-haiku-20241022"}"#,
        )
        .split();
        assert_eq!(
            models,
            vec![
                RemoteModel { id: "claude-sonnet-4-5-20250929".into(), display_name: Some("Claude Sonnet 4.5".into()) },
                RemoteModel { id: "claude-3-5-haiku-20241022".into(), display_name: None },
            ]
        );
        assert_eq!(next.as_deref(), Some("claude-3-5-haiku-20241022"));
    }

    #[test]
    fn last_page_and_empty_page_have_no_cursor() {
        let (_, next) = page(r#"{"data":[{"id":"a"}],"has_more":false,"first_id":"a","last_id":"a"}"#).split();
        assert_eq!(next, None);
        let (models, next) = page(r#"{"data":[],"has_more":true,"first_id":null,"last_id":null}"#).split();
        assert!(models.is_empty());
        assert_eq!(next, None);
    }

    #[test]
    fn a_body_without_data_is_not_a_model_list() {
        assert!(serde_json::from_str::<ModelPage>(r#"{"type":"error"}"#).is_err());
    }

    #[test]
    fn headers_carry_the_version_and_a_sensitive_key() {
        let key = Secret::new("sk-ant-x".to_string());
        let headers = headers(Some(&key)).unwrap();
        assert_eq!(headers["anthropic-version"], "2023-06-01");
        assert_eq!(headers["x-api-key"], "sk-ant-x");
        assert!(headers["x-api-key"].is_sensitive());
        assert!(!super::headers(None).unwrap().contains_key("x-api-key"));
    }
}
