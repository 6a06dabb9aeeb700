//! One provider endpoint behind the guarded outbound client (`pincer_outbound`): the model
//! lister's requests, with the answer's size bounded and its status mapped to `ProbeError`.

use std::time::Duration;

use pincer_agents::{Endpoint, ProbeError};
use pincer_outbound::Base;
pub(crate) use pincer_outbound::{ErrorChain, GuardError, Host, Target};
use reqwest::Client;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

/// A larger answer is refused rather than buffered (the longest real model lists are ~1 MB).
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The guard's verdict as the lister reports it.
pub(crate) fn probe_error(e: GuardError) -> ProbeError {
    match e {
        GuardError::BadUrl(why) => ProbeError::BadUrl(why),
        GuardError::PrivateAddress => ProbeError::PrivateAddress,
        GuardError::Unreachable => ProbeError::Unreachable,
    }
}

/// A checked endpoint and a client that can only reach its checked addresses.
pub(crate) struct Upstream {
    base: Base,
    client: Client,
}

/// An answer: its status and its body (at most [`MAX_BODY_BYTES`]).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A 2xx body parsed as `T`; 401 and 403 are a rejected key; any other status is an upstream
    /// failure. The body is never part of the error.
    pub(crate) fn into_json<T: DeserializeOwned>(self) -> Result<T, ProbeError> {
        match self.status {
            200..=299 => serde_json::from_slice(&self.body).map_err(|e| {
                // The message of a serde error can quote the body: log only where and what kind.
                tracing::info!(category = ?e.classify(), line = e.line(), column = e.column(), "provider answer is not the expected JSON");
                ProbeError::BadResponse
            }),
            401 | 403 => Err(ProbeError::Rejected),
            status => Err(ProbeError::Upstream(status)),
        }
    }
}

impl Upstream {
    /// Checks the endpoint's URL, resolves its host and checks every address against the SSRF
    /// policy, then builds a client pinned to those addresses. `timeout` bounds each request.
    pub(crate) async fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<Upstream, ProbeError> {
        let target = Target::resolve(&endpoint.base_url, endpoint.allow_private).await.map_err(probe_error)?;
        let client = target.client(timeout, Some(timeout)).map_err(probe_error)?;
        Ok(Upstream { base: target.base, client })
    }

    /// `GET <base><path>?<query>` with these extra headers; reads the whole answer.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        headers: HeaderMap,
    ) -> Result<Reply, ProbeError> {
        let url = format!("{}{path}", self.base.url);
        let mut request =
            self.client.get(url).header(ACCEPT, HeaderValue::from_static("application/json")).headers(headers);
        if !query.is_empty() {
            request = request.query(query);
        }
        let mut response = request.send().await.map_err(|e| self.failed(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        tracing::warn!(host = %self.host(), "provider answer too large");
                        return Err(ProbeError::BadResponse);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(ProbeError::Timeout),
                Err(e) => {
                    tracing::info!(host = %self.host(), error = %ErrorChain(&e), "provider answer cut off");
                    return Err(ProbeError::BadResponse);
                }
            }
        }
        Ok(Reply { status, body })
    }

    /// The host, for logs (a base URL never carries a secret: keys travel in headers).
    pub(crate) fn host(&self) -> String {
        self.base.host()
    }

    fn failed(&self, e: &reqwest::Error) -> ProbeError {
        let error = if e.is_timeout() {
            ProbeError::Timeout
        } else if e.is_builder() {
            ProbeError::BadUrl("URL cannot be requested".to_string())
        } else {
            ProbeError::Unreachable
        };
        tracing::info!(host = %self.host(), error = %ErrorChain(e), "provider request failed");
        error
    }
}

/// A header value holding a key: marked sensitive so the HTTP stack never prints it. A key that
/// cannot be a header value cannot be valid either.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, ProbeError> {
    pincer_outbound::secret_header(value).ok_or(ProbeError::Rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_errors() {
        let reply = |status: u16, body: &str| Reply { status, body: body.as_bytes().to_vec() };
        assert_eq!(reply(200, "[1]").into_json::<Vec<u8>>(), Ok(vec![1]));
        assert_eq!(reply(200, "<html>").into_json::<Vec<u8>>(), Err(ProbeError::BadResponse));
        assert_eq!(reply(401, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Rejected));
        assert_eq!(reply(403, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Rejected));
        assert_eq!(reply(500, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Upstream(500)));
        assert_eq!(reply(307, "").into_json::<Vec<u8>>(), Err(ProbeError::Upstream(307)));
    }

    #[tokio::test]
    async fn clients_build_for_http_and_https() {
        for base_url in ["https://127.0.0.1:9", "http://127.0.0.1:9", "https://localhost:9/v1"] {
            let endpoint = Endpoint {
                kind: pincer_agents::ProviderKind::Openai,
                base_url: base_url.to_string(),
                api_key: None,
                allow_private: true,
            };
            assert!(Upstream::connect(&endpoint, Duration::from_secs(1)).await.is_ok(), "{base_url}");
        }
    }

    #[test]
    fn keys_are_sensitive_headers() {
        assert!(secret_header("sk-abc").unwrap().is_sensitive());
        assert_eq!(secret_header("bad\nkey"), Err(ProbeError::Rejected));
    }
}
