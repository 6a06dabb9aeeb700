//! A socket whose session ends is closed at once with 4401 (issue #21, low): a password change
//! closes the user's other sessions' sockets and keeps the one that changed it; the other
//! sockets are told before their next frame.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ws::ChatSocket;

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_closes_the_other_sessions_sockets_only() {
    let server = TestServer::start().await;
    let here = server.setup_admin().await;
    let elsewhere = server.login("admin@example.com", PASSWORD).await;
    let (_, agents) = here.send_json("GET", "/api/agents", Value::Null).await;
    let agent = agents[0]["id"].as_str().unwrap().to_string();
    let mut kept = ChatSocket::open(&here).await;
    let mut ended = ChatSocket::open(&elsewhere).await;

    let (status, body) = here
        .send_json(
            "POST",
            "/api/users/me/password",
            json!({"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Told without sending anything.
    assert_eq!(ended.next().await["code"], "not_authenticated");
    assert_eq!(ended.closed().await.map(|(code, _)| code), Some(4401));
    // The changing session's socket goes on.
    kept.history(&agent).await;
    assert_eq!(kept.next().await["type"], "history");
}
