//! Every failure maps to the right `ProbeError`, and none carries the key or the body.

use std::time::Duration;

use pincer_agents::{Endpoint, ModelLister, ProbeError, ProviderKind};
use pincer_llm::HttpModelLister;
use pincer_testkit::fakes::{Behaviour, ClosedPort, FakeKind, FakeProvider};

use crate::{endpoint, list, with_key};

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_rejected_by_every_kind_with_auth() {
    for kind in
        [FakeKind::Anthropic, FakeKind::Openai, FakeKind::Google, FakeKind::OllamaCloud, FakeKind::OpenaiCompatible]
    {
        let fake = FakeProvider::start(kind);
        let wrong = "wrong-key-123456";
        assert_eq!(list(&with_key(endpoint(&fake), Some(wrong))).await, Err(ProbeError::Rejected), "{kind:?}");
        let sent = fake.requests();
        assert_eq!(sent.len(), 1, "{kind:?}");
        let (header, value) = match kind {
            FakeKind::Anthropic => ("x-api-key", wrong.to_string()),
            FakeKind::Google => ("x-goog-api-key", wrong.to_string()),
            _ => ("authorization", format!("Bearer {wrong}")),
        };
        assert_eq!(sent[0].header(header), Some(value.as_str()), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_is_rejected() {
    for kind in [FakeKind::Anthropic, FakeKind::Openai, FakeKind::Google, FakeKind::OllamaCloud] {
        let fake = FakeProvider::start(kind);
        assert_eq!(list(&with_key(endpoint(&fake), None)).await, Err(ProbeError::Rejected), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_refusing_every_key_is_rejected() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::RejectEveryKey).start();
        assert_eq!(list(&endpoint(&fake)).await, Err(ProbeError::Rejected), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_cannot_be_a_header_is_rejected_without_a_request() {
    let fake = FakeProvider::start(FakeKind::Openai);
    assert_eq!(list(&with_key(endpoint(&fake), Some("sk-1\r\nX-Injected: 1"))).await, Err(ProbeError::Rejected));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_unreachable() {
    let fake = FakeProvider::start(FakeKind::Openai);
    let closed = ClosedPort::new();
    let endpoint = Endpoint { base_url: closed.origin(), ..endpoint(&fake) };
    assert_eq!(list(&endpoint).await, Err(ProbeError::Unreachable));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_never_answers_times_out() {
    let fake = FakeProvider::builder(FakeKind::Anthropic).behaviour(Behaviour::Hang).start();
    let lister = HttpModelLister::new(Duration::from_secs(1));
    assert_eq!(lister.list_models(&endpoint(&fake)).await, Err(ProbeError::Timeout));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_is_upstream_with_its_status() {
    for (kind, status) in
        [(FakeKind::Openai, 500), (FakeKind::Anthropic, 529), (FakeKind::Google, 503), (FakeKind::OllamaLocal, 502)]
    {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::Status(status)).start();
        assert_eq!(list(&endpoint(&fake)).await, Err(ProbeError::Upstream(status)), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_google_400_that_is_not_about_the_key_is_upstream() {
    let fake = FakeProvider::builder(FakeKind::Google).behaviour(Behaviour::Status(400)).start();
    assert_eq!(list(&endpoint(&fake)).await, Err(ProbeError::Upstream(400)));
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_is_a_bad_response() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::Garbage).start();
        assert_eq!(list(&endpoint(&fake)).await, Err(ProbeError::BadResponse), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_of_another_kind_is_upstream_404() {
    // An OpenAI-compatible endpoint pointed at an Ollama server, and the other way round.
    let ollama = FakeProvider::start(FakeKind::OllamaLocal);
    let endpoint_ = Endpoint { kind: ProviderKind::OpenaiCompatible, ..endpoint(&ollama) };
    assert_eq!(list(&endpoint_).await, Err(ProbeError::Upstream(404)));
    let openai = FakeProvider::builder(FakeKind::OpenaiCompatible).no_api_key().start();
    let endpoint_ = Endpoint { kind: ProviderKind::OllamaLocal, ..endpoint(&openai) };
    assert_eq!(list(&endpoint_).await, Err(ProbeError::Upstream(404)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed() {
    let elsewhere = FakeProvider::start(FakeKind::Openai);
    let fake = FakeProvider::builder(FakeKind::Openai)
        .behaviour(Behaviour::Redirect(format!("{}/v1/models", elsewhere.base_url())))
        .start();
    assert_eq!(list(&endpoint(&fake)).await, Err(ProbeError::Upstream(307)));
    assert_eq!(fake.request_count(), 1);
    assert_eq!(elsewhere.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_never_carry_the_key() {
    let fake = FakeProvider::builder(FakeKind::Openai).behaviour(Behaviour::Status(500)).start();
    let err = list(&endpoint(&fake)).await.unwrap_err();
    let key = fake.api_key().unwrap();
    assert!(!format!("{err} {err:?}").contains(key));
}
