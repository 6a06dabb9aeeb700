//! Request ids (issue #20): every response carries `X-Request-Id`, every error body the same id as
//! `requestId` (refusals by the middlewares too), and the log line names it; a trusted proxy's id
//! is kept when it is a plain token, anyone else's is replaced.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn send(client: &reqwest::Client, req: reqwest::RequestBuilder) -> (StatusCode, String, Value) {
    let res = client.execute(req.build().unwrap()).await.unwrap();
    let id = res.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (res.status(), id, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_names_its_request_and_errors_carry_the_id() {
    let server = TestServer::start().await;
    let client = server.client();

    let (status, id, _) = send(&client, client.get(server.url("/api/health"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(id.len(), 16, "a generated id: {id:?}");

    let (status, id, body) = send(&client, client.get(server.url("/api/users"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["requestId"], id.as_str(), "{body}");
    // The log is written by a background writer: the line arrives shortly after the answer.
    let line = format!("request_id={id}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.logs().contains(&line) {
        assert!(std::time::Instant::now() < deadline, "no log line names {id}:\n{}", server.logs());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A refusal by a middleware (the same-origin check) carries it too.
    let admin = server.setup_admin().await;
    let res = admin
        .client()
        .post(admin.url("/api/users/invite"))
        .header("Origin", "https://evil.example")
        .json(&json!({"email": "x@example.com"}))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "csrf_rejected", "{body}");
    assert_eq!(body["requestId"], id.as_str(), "{body}");

    // Not from a trusted proxy: a client's own id is replaced.
    let (_, id, _) = send(&client, client.get(server.url("/api/health")).header("X-Request-Id", "abc-123")).await;
    assert_ne!(id, "abc-123");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trusted_proxys_plain_id_is_kept() {
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    let client = server.client();
    let (_, id, body) = send(&client, client.get(server.url("/api/users")).header("X-Request-Id", "lb-7f3a.2")).await;
    assert_eq!((id.as_str(), &body["requestId"]), ("lb-7f3a.2", &json!("lb-7f3a.2")), "{body}");
    for forged in ["has space", "line\tbreak", &"x".repeat(65)] {
        let (_, id, _) = send(&client, client.get(server.url("/api/health")).header("X-Request-Id", forged)).await;
        assert_ne!(id, forged);
        assert_eq!(id.len(), 16);
    }
}

/// The configuration file (issue #20): a setting from `PINCER_CONFIG`'s TOML applies (here the
/// trusted proxy, seen through the request id it lets through), the environment wins over it, and
/// an unknown setting stops the start with the file and the key named.
#[tokio::test(flavor = "multi_thread")]
async fn settings_come_from_the_configuration_file_below_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pincer.toml");
    std::fs::write(&file, "trusted_proxies = [\"127.0.0.1\"]\nlog = \"info\"\n").unwrap();
    let server = TestServer::builder().env("PINCER_CONFIG", file.to_str().unwrap()).start().await;
    let client = server.client();
    let (_, id, _) = send(&client, client.get(server.url("/api/health")).header("X-Request-Id", "from-proxy")).await;
    assert_eq!(id, "from-proxy", "the file's trusted proxy applies");

    let overridden = TestServer::builder()
        .env("PINCER_CONFIG", file.to_str().unwrap())
        .env("PINCER_TRUSTED_PROXIES", "10.9.9.9")
        .start()
        .await;
    let client = overridden.client();
    let (_, id, _) =
        send(&client, client.get(overridden.url("/api/health")).header("X-Request-Id", "from-proxy")).await;
    assert_ne!(id, "from-proxy", "the environment wins over the file");

    std::fs::write(&file, "bnd = \"0.0.0.0:1\"\n").unwrap();
    let out = std::process::Command::new(pincer_testkit::server::binary_path())
        .args(["serve"])
        .env("PINCER_CONFIG", &file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown setting `bnd`") && stderr.contains("pincer.toml"), "{stderr}");
}
