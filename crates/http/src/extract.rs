//! The body and query extractors every handler uses: actix's, plus one rule of ours — **no NUL
//! character in text that arrives over HTTP**. PostgreSQL cannot store U+0000 in a `TEXT`
//! column (SQLite can), so without this a name, a context or even an audit filter carrying
//! `\u0000` or `%00` was a 503 on one backend and stored on the other. Refused at the edge, it is
//! a 400 on both, and no domain rule has to remember it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{self, ApiError};

/// How long a whole request body may take to arrive (1 MiB in 30 s is 35 KB/s).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A JSON body, like `web::Json` (1 MiB, `application/json`), whose text holds no NUL.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json_type);
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(error::json_error(JsonPayloadError::ContentType, &req));
            }
            // A client that opens a body and then trickles (or stops) must not hold a worker's
            // connection and buffer for ever (slow-loris).
            let Ok(body) = tokio::time::timeout(BODY_TIMEOUT, body).await else {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    "the request body did not arrive in time",
                )
                .into());
            };
            let bytes = body.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => error::json_error(JsonPayloadError::Overflow { limit: 0 }, &req),
                _ => ApiError::bad_request("invalid_json", "request body could not be read").into(),
            })?;
            if has_escaped_nul(&bytes) {
                return Err(nul_refused().into());
            }
            serde_json::from_slice(&bytes)
                .map(Json)
                .map_err(|e| error::json_error(JsonPayloadError::Deserialize(e), &req))
        })
    }
}

/// Query parameters, like `web::Query`, holding no NUL (`%00`).
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let qs = req.query_string();
        std::future::ready(if qs.contains("%00") {
            Err(ApiError::bad_request("invalid_query", "query parameters must not contain NUL characters"))
        } else {
            web::Query::<T>::from_query(qs)
                .map(|q| Query(q.into_inner()))
                .map_err(|_| ApiError::bad_request("invalid_query", "query parameters are invalid"))
        })
    }
}

fn nul_refused() -> ApiError {
    ApiError::bad_request("invalid_input", "text must not contain NUL characters")
}

/// Whether JSON text escapes a NUL (`\u0000`). A raw NUL cannot stand in valid JSON, and an
/// escaped backslash (`\\u0000`) is the text "\u0000", not a NUL: escapes are read in pairs.
pub fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// `application/json` and the `+json` types, as actix's own JSON extractor accepts them.
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Anything {}

    /// A body that starts and never ends is answered 408 once the timeout has passed (the clock
    /// is paused: the test takes no real time).
    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_arrives_times_out_with_408() {
        let (req, _) = actix_web::test::TestRequest::post()
            .insert_header((CONTENT_TYPE, "application/json"))
            .insert_header(("Content-Length", "100"))
            .to_http_parts();
        let never = futures::stream::pending::<Result<web::Bytes, PayloadError>>();
        let mut payload: Payload = Payload::Stream { payload: Box::pin(never) };
        let extracted = Json::<Anything>::from_request(&req, &mut payload);
        let started = tokio::time::Instant::now();
        let Err(error) = extracted.await else { panic!("a body that never came was accepted") };
        assert!(started.elapsed() >= BODY_TIMEOUT);
        assert_eq!(error.as_response_error().status_code(), StatusCode::REQUEST_TIMEOUT);
    }

    #[test]
    fn escaped_nuls_are_found_and_escaped_backslashes_are_not_nuls() {
        assert!(has_escaped_nul(br#"{"name":"a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"name":"\\\u0000"}"#), "a backslash, then a NUL");
        assert!(!has_escaped_nul(br#"{"name":"\\u0000"}"#), "the text backslash-u0000");
        assert!(!has_escaped_nul(br#"{"name":"\u0001 \n \\"}"#));
        assert!(!has_escaped_nul(br#"{"name":"trailing\"#), "a lone backslash at the end");
    }

    #[test]
    fn json_types_are_those_actix_accepts() {
        let json = is_json_type;
        assert!(
            json("application/json") && json("Application/JSON; charset=utf-8") && json("application/merge-patch+json")
        );
        assert!(!json("text/plain") && !json("application/x-www-form-urlencoded") && !json("json"));
    }
}
