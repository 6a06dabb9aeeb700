//! A restart keeps users, sessions and settings (file-backed SQLite, or the same PostgreSQL).

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn users_sessions_and_settings_survive_a_restart() {
    let mut server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let token = admin.session_token().unwrap();
    admin.send_json("POST", "/api/settings", json!({"key": "openai_api_key", "value": "sk-persist-0123456789"})).await;
    admin.send_json("PUT", "/api/users/me/context", json!({"content": "I run ops."})).await;

    server.restart().await;

    // The old session still works, against the new process (new port, same data).
    let res = server.client().get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let again = server.login("admin@example.com", PASSWORD).await;
    let (_, settings) = again.send_json("GET", "/api/settings", Value::Null).await;
    assert_eq!(settings, json!([{"key": "openai_api_key", "value": "••••••••", "encrypted": true}]));
    let (_, context) = again.send_json("GET", "/api/users/me/context", Value::Null).await;
    assert_eq!(context, json!({"content": "I run ops."}));
    // The same generated keys were read back: the sealed value still opens and re-seals.
    let (status, _) =
        again.send_json("POST", "/api/settings", json!({"key": "openai_api_key", "value": "sk-new-0123456789"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(server.data_dir().join("secrets/encryption.key").is_file());
}
