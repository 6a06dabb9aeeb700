//! `GET /api/providers/models` names, in `unavailable`, a provider that cannot be asked right now
//! and has no last known list (here: after a restart emptied the cache), and serves the others.

use pincer_testkit::server::PASSWORD;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `(unavailable, providers of the listed models)` as a member sees them.
async fn catalogue(member: &pincer_testkit::server::Browser) -> (Value, Vec<String>) {
    let (status, body) = member.send_json("GET", "/api/providers/models", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut providers: Vec<String> =
        body["models"].as_array().unwrap().iter().map(|m| m["provider"].as_str().unwrap().to_string()).collect();
    providers.dedup();
    (body["unavailable"].clone(), providers)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_cannot_be_asked_is_named_unavailable_and_the_others_still_list() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let openai = FakeProvider::start(FakeKind::Openai);
    let mut server = TestServer::builder()
        .env(&FakeKind::Anthropic.base_url_variable(), &anthropic.origin())
        .env(&FakeKind::Openai.base_url_variable(), &openai.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .start()
        .await;
    let admin = server.setup_admin().await;
    for (name, fake) in [("anthropic", &anthropic), ("openai", &openai)] {
        let (status, body) = admin
            .send_json("POST", "/api/settings/providers", json!({"provider": name, "apiKey": fake.api_key()}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    server.create_member(&admin, "m@example.com").await;
    let (unavailable, providers) = catalogue(&server.login("m@example.com", PASSWORD).await).await;
    assert_eq!((unavailable, providers), (json!([]), vec!["anthropic".to_string(), "openai".to_string()]));

    // After a restart nothing is cached; OpenAI now fails its model list.
    server.restart().await;
    openai.set_behaviour(Behaviour::Status(500));
    let member = server.login("m@example.com", PASSWORD).await;
    let (unavailable, providers) = catalogue(&member).await;
    assert_eq!(unavailable, json!(["openai"]));
    assert_eq!(providers, ["anthropic"], "the provider that answered is still listed");

    // A rejected key is unavailable too; once it answers again, it is listed again.
    openai.set_behaviour(Behaviour::RejectEveryKey);
    assert_eq!(catalogue(&member).await.0, json!(["openai"]));
    openai.set_behaviour(Behaviour::Normal);
    let (unavailable, providers) = catalogue(&member).await;
    assert_eq!((unavailable, providers), (json!([]), vec!["anthropic".to_string(), "openai".to_string()]));
}
