//! DNS rebinding (issue #21, M9): with `PINCER_PUBLIC_URL` set, the public URL is the only own
//! origin, and a mutating request or WebSocket upgrade addressed to another `Host` is refused. A
//! rebinding page reaches the server under its own name, so its `Origin` names the `Host` it sent:
//! that pair used to be accepted.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ws::refused_status;

const PUBLIC_HOST: &str = "pincer.example.com:8443";
const PUBLIC: &str = "http://pincer.example.com:8443";

/// Sends `method path` with these `Host` and `Origin` headers (and the session cookie when
/// given); returns the status and the error code.
async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    host: &str,
    origin: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req =
        server.client().request(method, server.url(path)).header("Host", host).header("Origin", origin).json(&body);
    if let Some(token) = token {
        req = req.header("Cookie", format!("pincer_session={token}"));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json::<Value>().await.unwrap_or(Value::Null)["code"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_public_url_another_host_cannot_act_or_open_a_socket() {
    let server = TestServer::builder().env("PINCER_PUBLIC_URL", PUBLIC).start().await;
    let post = reqwest::Method::POST;
    let login = json!({"email": "admin@example.com", "password": PASSWORD});
    let admin = json!({"name": "Admin", "email": "admin@example.com", "password": PASSWORD});
    let refused = (StatusCode::FORBIDDEN, json!("csrf_rejected"));

    // The rebinding page sends its own name as Host and Origin: it cannot claim the server.
    let rebound = server.base_url().replace("127.0.0.1", "evil.example");
    let rebound_host = rebound.trim_start_matches("http://");
    assert_eq!(send(&server, post.clone(), "/api/setup", rebound_host, &rebound, None, admin.clone()).await, refused);
    // Nor can a request sent to the bare address, even claiming the public origin.
    let bare_host = server.base_url().trim_start_matches("http://").to_string();
    assert_eq!(send(&server, post.clone(), "/api/setup", &bare_host, PUBLIC, None, admin.clone()).await, refused);
    // Addressed to the public host from the public origin, it works.
    let (status, _) = send(&server, post.clone(), "/api/setup", PUBLIC_HOST, PUBLIC, None, admin).await;
    assert_eq!(status, StatusCode::CREATED);

    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .header("Host", PUBLIC_HOST)
        .header("Origin", PUBLIC)
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = cookie.strip_prefix("pincer_session=").unwrap().split(';').next().unwrap().to_string();

    // Login CSRF and cookie-carrying mutations from the rebound name are refused.
    assert_eq!(send(&server, post, "/api/auth/login", rebound_host, &rebound, None, login).await, refused);
    let patch = reqwest::Method::PATCH;
    let rename = json!({"name": "Renamed"});
    assert_eq!(
        send(&server, patch.clone(), "/api/users/me", rebound_host, &rebound, Some(&token), rename.clone()).await,
        refused
    );
    let (status, _) = send(&server, patch, "/api/users/me", PUBLIC_HOST, PUBLIC, Some(&token), rename).await;
    assert_eq!(status, StatusCode::OK);

    // The chat socket's upgrade applies the same rule.
    let ws = |host: &str, origin: &str| {
        let mut request = server.url("/api/ws").replacen("http://", "ws://", 1).into_client_request().unwrap();
        request.headers_mut().insert("Host", host.parse().unwrap());
        request.headers_mut().insert("Cookie", format!("pincer_session={token}").parse().unwrap());
        request.headers_mut().insert("Origin", origin.parse().unwrap());
        request
    };
    assert_eq!(refused_status(ws(rebound_host, &rebound)).await, 403);
    assert_eq!(refused_status(ws(&bare_host, PUBLIC)).await, 403);
    let (socket, _) =
        tokio_tungstenite::connect_async(ws(PUBLIC_HOST, PUBLIC)).await.expect("the public host may open a socket");
    drop(socket);
}
