//! A provider's stored key never follows a change of its base URL on its own: whoever points the
//! provider elsewhere must type the key again (security review M10), so a stolen admin session
//! cannot send the key to a host of its choosing. The change is audited.

use pincer_testkit::TestServer;
use pincer_testkit::fakes::{FakeKind, FakeProvider};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn moving_a_provider_to_another_url_needs_its_key_again() {
    let home = FakeProvider::start(FakeKind::OpenaiCompatible);
    let elsewhere = FakeProvider::start(FakeKind::OpenaiCompatible);
    let server = TestServer::builder().env("PINCER_ALLOW_PRIVATE_URLS", "1").start().await;
    let admin = server.setup_admin().await;
    let key = home.api_key().unwrap().to_string();
    let first = json!({"provider": "local", "apiKey": key, "baseUrl": home.base_url()});
    let (status, body) = admin.send_json("POST", "/api/settings/providers", first).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The same URL without the key keeps working (a change of the default flag, say).
    let same = json!({"provider": "local", "baseUrl": home.base_url(), "isDefault": true});
    let (status, body) = admin.send_json("POST", "/api/settings/providers", same).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    elsewhere.clear_requests();
    let moved = json!({"provider": "local", "baseUrl": elsewhere.base_url()});
    let refused = admin.send_json("POST", "/api/settings/providers", moved).await;
    assert_error(&refused, 400, "invalid_input");
    assert_eq!(elsewhere.request_count(), 0, "the stored key went nowhere");
    let (_, providers) = admin.send_json("GET", "/api/settings/providers", Value::Null).await;
    assert_eq!(providers[0]["baseUrl"], home.base_url(), "nothing changed");

    let with_key =
        json!({"provider": "local", "apiKey": elsewhere.api_key().unwrap(), "baseUrl": elsewhere.base_url()});
    let (status, body) = admin.send_json("POST", "/api/settings/providers", with_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=provider.updated", Value::Null).await;
    let moves: Vec<&Value> =
        page["entries"].as_array().unwrap().iter().filter(|e| e["detail"]["baseUrlChanged"] == true).collect();
    assert_eq!(moves.len(), 1, "{page}");
    assert_eq!(moves[0]["detail"]["baseUrl"], elsewhere.base_url());
}
