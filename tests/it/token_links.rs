//! `?token=` (docs/API.md): the session token in the query string authenticates the chat
//! socket's upgrade and nothing else (a URL leaks into history, proxy logs and Referer headers),
//! and never reaches the request log, which records paths without their query string.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ws::ChatSocket;

#[tokio::test(flavor = "multi_thread")]
async fn a_token_in_the_query_authenticates_links_and_never_reaches_the_log() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let token = admin.session_token().unwrap();

    let res = server.client().get(server.url(&format!("/api/auth/me?token={token}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a token in the URL of an API route is ignored");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_authenticated");
    let url = server.url(&format!("/api/ws?token={token}")).replacen("http://", "ws://", 1);
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str().into_client_request().unwrap())
        .await
        .expect("a link's token opens the socket");
    ChatSocket::from_stream(ws).drop_connection().await;
    let res = server.client().get(server.url("/api/auth/me?token=not-a-token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The requests are logged (their lines arrive a moment later), without the query string.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.logs().matches("/api/auth/me").count() < 2 || !server.logs().contains("/api/ws") {
        assert!(Instant::now() < deadline, "the requests were not logged:\n{}", server.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = server.logs();
    assert!(!logs.contains(&token), "the token reached the log");
    assert!(!logs.contains("token="), "a query string reached the log:\n{logs}");
}
