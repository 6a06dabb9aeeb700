//! Settings: admin only; secret keys sealed at rest, masked in responses, absent from logs.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text};

const SECRET: &str = "sk-test-4f7b9c1e2d3a5b6c7d8e9f00";

#[tokio::test(flavor = "multi_thread")]
async fn secret_settings_are_encrypted_masked_and_never_logged() {
    let mut server = TestServer::builder().env("PINCER_LOG", "trace").start().await;
    let admin = server.setup_admin().await;
    let (status, body) =
        admin.send_json("POST", "/api/settings", json!({"key": "anthropic_api_key", "value": SECRET})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    admin.send_json("POST", "/api/settings", json!({"key": "default_provider", "value": "anthropic"})).await;

    let (_, list) = admin.send_json("GET", "/api/settings", Value::Null).await;
    assert_eq!(
        list,
        json!([
            {"key": "anthropic_api_key", "value": "••••••••", "encrypted": true},
            {"key": "default_provider", "value": "anthropic", "encrypted": false},
        ])
    );

    let stored = query_text(server.database(), "SELECT value AS value FROM settings WHERE key = 'anthropic_api_key'");
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(SECRET) && !stored[0].contains("4f7b9c1e"), "stored in plaintext: {}", stored[0]);
    assert!(stored[0].starts_with("v1:"));

    // Read once the process has stopped and its log writer has flushed every line.
    server.stop().await;
    assert!(!server.logs().contains("4f7b9c1e"), "the secret appeared in the log output");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_admin_only_and_validated() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    assert_error(&member.send_json("GET", "/api/settings", Value::Null).await, 403, "admin_required");
    assert_error(
        &member.send_json("POST", "/api/settings", json!({"key": "default_provider", "value": "x"})).await,
        403,
        "admin_required",
    );
    assert_error(&server.browser().send_json("GET", "/api/settings", Value::Null).await, 401, "not_authenticated");
    assert_error(
        &admin.send_json("POST", "/api/settings", json!({"key": "Bad Key", "value": "x"})).await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin.send_json("POST", "/api/settings", json!({"key": "k", "value": 5})).await,
        400,
        "invalid_input",
    );
    let (_, list) = admin.send_json("GET", "/api/settings", Value::Null).await;
    assert_eq!(list, json!([]), "refused writes change nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_secret_word_seals_the_value_and_a_second_write_replaces_the_first() {
    let mut server = TestServer::builder().env("PINCER_LOG", "trace").start().await;
    let admin = server.setup_admin().await;
    for (key, value) in [
        ("webhook_secret", "plain-webhook-9d41"),
        ("telegram_bot_token", "plain-bot-7c22"),
        ("smtp_password", "plain-smtp-5e83"),
        ("default_provider", "anthropic"),
        ("default_provider", "openai"),
    ] {
        let (status, body) = admin.send_json("POST", "/api/settings", json!({"key": key, "value": value})).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"success": true})), "{key}");
    }
    let (_, list) = admin.send_json("GET", "/api/settings", Value::Null).await;
    let mut list = list.as_array().unwrap_or_else(|| panic!("not an array: {list}")).clone();
    list.sort_by_key(|s| s["key"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        Value::Array(list),
        json!([
            {"key": "default_provider", "value": "openai", "encrypted": false},
            {"key": "smtp_password", "value": "••••••••", "encrypted": true},
            {"key": "telegram_bot_token", "value": "••••••••", "encrypted": true},
            {"key": "webhook_secret", "value": "••••••••", "encrypted": true},
        ])
    );
    let stored = query_text(server.database(), "SELECT value AS value FROM settings ORDER BY key");
    assert_eq!(stored.len(), 4, "{stored:?}");
    for plain in ["plain-webhook-9d41", "plain-bot-7c22", "plain-smtp-5e83"] {
        assert!(!stored.iter().any(|v| v.contains(plain)), "{plain} stored in plaintext: {stored:?}");
    }
    // Read once the process has stopped and its log writer has flushed every line.
    server.stop().await;
    for plain in ["plain-webhook-9d41", "plain-bot-7c22", "plain-smtp-5e83"] {
        assert!(!server.logs().contains(plain), "{plain} appeared in the log output");
    }
}
