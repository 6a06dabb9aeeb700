//! Every kind lists its models from its genuine endpoint with its genuine auth header.

use pincer_agents::RemoteModel;
use pincer_testkit::fakes::{FakeKind, FakeModel, FakeProvider};

use crate::{endpoint, ids, list, with_key};

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_lists_models_with_display_names() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(models.len(), fake.models().len());
    assert_eq!(
        models[0],
        RemoteModel { id: "claude-sonnet-4-5-20250929".into(), display_name: Some("Claude Sonnet 4.5".into()) }
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path_only(), "/v1/models");
    assert_eq!(sent[0].query("limit").as_deref(), Some("1000"));
    assert_eq!(sent[0].header("x-api-key"), fake.api_key());
    assert_eq!(sent[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent[0].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_follows_pages_with_after_id() {
    let all: Vec<FakeModel> = (1..=5).map(|i| FakeModel::new(&format!("claude-test-{i}"))).collect();
    let fake = FakeProvider::builder(FakeKind::Anthropic).models(all).page_size(2).start();
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(ids(&models), ["claude-test-1", "claude-test-2", "claude-test-3", "claude-test-4", "claude-test-5"]);
    let cursors: Vec<Option<String>> = fake.requests().iter().map(|r| r.query("after_id")).collect();
    assert_eq!(cursors, [None, Some("claude-test-2".into()), Some("claude-test-4".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_is_bounded() {
    let all: Vec<FakeModel> = (1..=25).map(|i| FakeModel::new(&format!("claude-test-{i:02}"))).collect();
    let fake = FakeProvider::builder(FakeKind::Anthropic).models(all).page_size(1).start();
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(models.len(), pincer_llm::MAX_PAGES);
    assert_eq!(fake.request_count(), pincer_llm::MAX_PAGES);
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_lists_models_with_a_bearer_key() {
    let fake = FakeProvider::start(FakeKind::Openai);
    let models = list(&endpoint(&fake)).await.unwrap();
    let expected: Vec<String> = fake.models().into_iter().map(|m| m.id).collect();
    assert_eq!(ids(&models), expected);
    assert!(models.iter().all(|m| m.display_name.is_none()));
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v1/models");
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {}", fake.api_key().unwrap()).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn google_lists_chat_models_without_the_prefix() {
    let fake = FakeProvider::start(FakeKind::Google);
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(ids(&models), ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"]);
    assert_eq!(models[0].display_name.as_deref(), Some("Gemini 2.5 Flash"));
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path_only(), "/v1beta/models");
    assert_eq!(sent[0].header("x-goog-api-key"), fake.api_key());
    // The key never travels in the URL, which gets logged.
    assert_eq!(sent[0].query("key"), None);
    assert!(!sent[0].path.contains(fake.api_key().unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn google_follows_page_tokens() {
    let fake = FakeProvider::builder(FakeKind::Google).page_size(2).start();
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(ids(&models), ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"]);
    let sent = fake.requests();
    // Five models, two per page: three pages; the tokens (with `/`, `+`, `=`) arrive intact.
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].query("pageToken"), None);
    assert_eq!(sent[1].query("pageToken").as_deref(), Some("Cg/models+2=="));
    assert_eq!(sent[2].query("pageToken").as_deref(), Some("Cg/models+4=="));
}

#[tokio::test(flavor = "multi_thread")]
async fn ollama_local_lists_tags_without_auth() {
    let fake = FakeProvider::start(FakeKind::OllamaLocal);
    // A key configured for a local server anyway is not sent.
    let models = list(&with_key(endpoint(&fake), Some("stray-key"))).await.unwrap();
    assert_eq!(ids(&models), ["llama3.1:8b", "qwen2.5:7b", "nomic-embed-text:latest"]);
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/api/tags");
    assert_eq!(sent[0].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn ollama_cloud_lists_tags_with_a_bearer_key() {
    let fake = FakeProvider::start(FakeKind::OllamaCloud);
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(ids(&models), ["gpt-oss:120b", "gpt-oss:20b", "deepseek-v3.1:671b"]);
    let sent = fake.requests();
    assert_eq!(sent[0].path, "/api/tags");
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {}", fake.api_key().unwrap()).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_compatible_lists_models_under_its_own_base() {
    let fake = FakeProvider::start(FakeKind::OpenaiCompatible);
    assert!(fake.base_url().ends_with("/v1"));
    // A trailing slash on the configured base changes nothing.
    let mut endpoint = endpoint(&fake);
    endpoint.base_url.push('/');
    let models = list(&endpoint).await.unwrap();
    assert_eq!(ids(&models), ["llama-3.3-70b-versatile", "llama-3.1-8b-instant", "mixtral-8x7b-32768"]);
    let sent = fake.requests();
    assert_eq!(sent[0].path, "/v1/models");
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {}", fake.api_key().unwrap()).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_compatible_without_a_key_sends_no_auth() {
    let fake = FakeProvider::builder(FakeKind::OpenaiCompatible).no_api_key().start();
    let models = list(&endpoint(&fake)).await.unwrap();
    assert_eq!(models.len(), 3);
    assert_eq!(fake.requests()[0].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_list_is_fine() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::builder(kind).models(Vec::new()).start();
        assert_eq!(list(&endpoint(&fake)).await, Ok(Vec::new()), "{kind:?}");
    }
}
