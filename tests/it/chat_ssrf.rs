//! The SSRF guard holds at chat time too (docs/SECURITY.md: every provider URL is resolved and
//! refused when private): a provider saved while private URLs were allowed is not called once
//! the operator lifts that permission; the run fails with `private_url`.

use pincer_testkit::FakeReply;
use pincer_testkit::server::PASSWORD;
use serde_json::json;

use crate::chat_errors::{shared_agent, with_openai};
use crate::ws::{ChatSocket, chunk_text};

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_on_a_private_address_is_not_called_once_private_urls_are_refused() {
    let mut p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    p.fake.push_reply(FakeReply::text(&["Allowed."]));
    let mut ws = ChatSocket::open(&p.admin).await;
    ws.message(&agent, "hello").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Allowed.", "the fake on 127.0.0.1 answers while allowed");

    p.server.set_env("PINCER_ALLOW_PRIVATE_URLS", None);
    p.server.restart().await;
    p.fake.clear_requests();
    let admin = p.server.login("admin@example.com", PASSWORD).await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(&agent, "hello again").await;
    let frames = ws.until("complete").await;
    let error = frames.iter().find(|f| f["type"] == "error").unwrap_or_else(|| panic!("no error: {frames:?}"));
    assert_eq!((error["code"].clone(), error["agentId"].clone()), (json!("private_url"), json!(agent)));
    assert_eq!(frames.iter().find(|f| f["type"] == "done").unwrap()["status"], "failed");
    assert!(p.fake.requests().is_empty(), "the private address was contacted");
}
