//! Every failure of a chat call maps to the right `ModelError`, before or during the stream;
//! timeouts fire; dropping a stream closes the upstream request; the SSRF guard holds.

use std::time::Duration;

use pincer_agents::Endpoint;
use pincer_agents::chat::{ModelClient, ModelError, StreamEvent};
use pincer_llm::{ClientTimeouts, HttpModelClient};
use pincer_testkit::fakes::{Behaviour, ClosedPort, FakeKind, FakeProvider, FakeReply};

use crate::{chat, chat_client, chat_request, drain, with_key};

/// The error of a call, whether the call refused to start or its stream failed.
async fn failure(client: &HttpModelClient, fake: &FakeProvider) -> ModelError {
    match client.stream(chat_request(fake)).await {
        Err(e) => e,
        Ok(stream) => {
            let items = drain(stream).await;
            match items.last() {
                Some(Err(e)) => e.clone(),
                _ => panic!("{:?}: the stream did not fail: {items:?}", fake.kind()),
            }
        }
    }
}

/// The error of a call that must be refused before any stream.
async fn refusal(fake: &FakeProvider) -> ModelError {
    match chat(chat_request(fake)).await {
        Err(e) => e,
        Ok(items) => panic!("{:?}: the call started: {items:?}", fake.kind()),
    }
}

fn quick(idle: Duration) -> HttpModelClient {
    HttpModelClient::new(ClientTimeouts { connect: Duration::from_secs(5), first_byte: Duration::from_secs(5), idle })
}

#[tokio::test(flavor = "multi_thread")]
async fn error_statuses_map_before_the_stream() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        fake.push_reply(FakeReply::text(&["never sent"]));
        for (behaviour, expected) in [
            (Behaviour::Status(401), ModelError::Unauthorized),
            (Behaviour::Status(403), ModelError::Unauthorized),
            (Behaviour::Status(404), ModelError::ModelNotFound),
            (Behaviour::Status(429), ModelError::RateLimited { retry_after_secs: None }),
            (Behaviour::RateLimited { retry_after_secs: 7 }, ModelError::RateLimited { retry_after_secs: Some(7) }),
            (Behaviour::Status(500), ModelError::Upstream(500)),
            (Behaviour::Status(503), ModelError::Upstream(503)),
            (Behaviour::Status(529), ModelError::Upstream(529)),
        ] {
            fake.set_behaviour(behaviour.clone());
            assert_eq!(refusal(&fake).await, expected, "{kind:?} {behaviour:?}");
        }
        // A refused request takes no reply.
        assert_eq!(fake.pending_replies(), 1, "{kind:?}");
    }
}

/// Before its answer begins, a call is asked again when the provider was overloaded or a gateway
/// failed — 250 ms, then 500 ms later, three attempts in all — and only then; a stream that
/// began is never repeated, and a refusal that is the caller's business is not retried.
#[tokio::test(flavor = "multi_thread")]
async fn an_overloaded_provider_is_asked_again_before_its_answer_begins() {
    for kind in [FakeKind::Anthropic, FakeKind::Openai, FakeKind::Google, FakeKind::OllamaLocal] {
        let fake = FakeProvider::start(kind);
        let chats = |fake: &FakeProvider| fake.chat_requests().len();

        // Recovers after two refusals: the third attempt streams the answer.
        fake.push_reply(FakeReply::text(&["Back ", "again"]));
        fake.set_behaviour(Behaviour::StatusTimes {
            status: if kind == FakeKind::Anthropic { 529 } else { 503 },
            times: 2,
        });
        let events = crate::chat_ok(chat_request(&fake)).await;
        assert!(events.contains(&StreamEvent::Text("again".into())), "{kind:?}: {events:?}");
        assert_eq!(chats(&fake), 3, "{kind:?}");

        // Still overloaded after three attempts: the last refusal is the answer.
        fake.clear_requests();
        fake.set_behaviour(Behaviour::StatusTimes { status: 502, times: 10 });
        assert_eq!(refusal(&fake).await, ModelError::Upstream(502), "{kind:?}");
        assert_eq!(chats(&fake), 3, "{kind:?}: three attempts, no more");

        // The caller's business is answered at once.
        for (status, expected) in
            [(500, ModelError::Upstream(500)), (429, ModelError::RateLimited { retry_after_secs: None })]
        {
            fake.clear_requests();
            fake.set_behaviour(Behaviour::Status(status));
            assert_eq!(refusal(&fake).await, expected, "{kind:?}");
            assert_eq!(chats(&fake), 1, "{kind:?}: {status} is not retried");
        }

        // A stream that broke after it began is not asked again.
        fake.clear_requests();
        fake.set_behaviour(Behaviour::CutAfter(1));
        fake.push_reply(FakeReply::text(&["Half ", "an ", "answer"]));
        let mut stream = chat_client().stream(chat_request(&fake)).await.unwrap();
        while let Some(item) = futures::StreamExt::next(&mut stream).await {
            if item.is_err() {
                break;
            }
        }
        assert_eq!(chats(&fake), 1, "{kind:?}: a broken stream is not repeated");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_unauthorized() {
    for kind in
        [FakeKind::Anthropic, FakeKind::Openai, FakeKind::Google, FakeKind::OllamaCloud, FakeKind::OpenaiCompatible]
    {
        let fake = FakeProvider::start(kind);
        let mut request = chat_request(&fake);
        request.endpoint = with_key(request.endpoint, Some("wrong-key-123456"));
        // Google answers a wrong key with 400 API_KEY_INVALID.
        assert_eq!(chat(request.clone()).await.unwrap_err(), ModelError::Unauthorized, "{kind:?}");
        request.endpoint = with_key(request.endpoint, None);
        assert_eq!(chat(request).await.unwrap_err(), ModelError::Unauthorized, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_google_400_that_is_not_about_the_key_is_upstream() {
    let fake = FakeProvider::builder(FakeKind::Google).behaviour(Behaviour::Status(400)).start();
    assert_eq!(refusal(&fake).await, ModelError::Upstream(400));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_model_is_model_not_found() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        let mut request = chat_request(&fake);
        request.model = "no-such-model".to_string();
        assert_eq!(chat(request).await.unwrap_err(), ModelError::ModelNotFound, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_cannot_be_a_header_is_refused_without_a_request() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let mut request = chat_request(&fake);
    request.endpoint = with_key(request.endpoint, Some("sk-1\r\nX-Injected: 1"));
    assert_eq!(chat(request).await.unwrap_err(), ModelError::Unauthorized);
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_cut_off_is_broken() {
    // Five chunks of eight text pieces: the final events never come, in any format.
    for behaviour in [Behaviour::CutAfter(5), Behaviour::EndAfter(5)] {
        for kind in FakeKind::ALL {
            let fake = FakeProvider::builder(kind).behaviour(behaviour.clone()).start();
            fake.push_reply(FakeReply::text(&["1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "7 ", "8"]));
            let items = chat(chat_request(&fake)).await.unwrap();
            assert_eq!(items.last(), Some(&Err(ModelError::BrokenStream)), "{kind:?} {behaviour:?}: {items:?}");
            // What came before the cut came through, and no `Finished`.
            assert!(items.iter().any(|i| matches!(i, Ok(StreamEvent::Text(_)))), "{kind:?} {behaviour:?}: {items:?}");
            assert!(!items.iter().any(|i| matches!(i, Ok(StreamEvent::Finished { .. }))), "{kind:?} {behaviour:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_call_cut_in_the_middle_is_broken() {
    for kind in [FakeKind::Openai, FakeKind::Anthropic] {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::CutAfter(4)).start();
        fake.push_reply(FakeReply::tool_call("pinchy_read", serde_json::json!({"path": "/data/hr/handbook.md"})));
        let items = chat(chat_request(&fake)).await.unwrap();
        assert_eq!(items, vec![Err(ModelError::BrokenStream)], "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_is_a_bad_response() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::Garbage).start();
        assert_eq!(failure(&chat_client(), &fake).await, ModelError::BadResponse, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn silence_in_the_stream_times_out() {
    for behaviour in [Behaviour::HoldAfter(3), Behaviour::ChunkDelay(Duration::from_secs(3))] {
        for kind in FakeKind::ALL {
            let fake = FakeProvider::builder(kind).behaviour(behaviour.clone()).start();
            let client = quick(Duration::from_millis(300));
            assert_eq!(failure(&client, &fake).await, ModelError::Timeout, "{kind:?} {behaviour:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_answer_times_out_at_the_first_byte() {
    let fake = FakeProvider::builder(FakeKind::Openai).behaviour(Behaviour::Hang).start();
    let client = HttpModelClient::new(ClientTimeouts {
        connect: Duration::from_secs(5),
        first_byte: Duration::from_millis(300),
        idle: Duration::from_secs(60),
    });
    let started = std::time::Instant::now();
    assert_eq!(client.stream(chat_request(&fake)).await.err(), Some(ModelError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_stream_closes_the_upstream_request() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::builder(kind).behaviour(Behaviour::HoldAfter(4)).start();
        fake.push_reply(FakeReply::text(&["a", "b", "c", "d", "e", "f"]));
        let mut stream = chat_client().stream(chat_request(&fake)).await.unwrap();
        let first = futures::StreamExt::next(&mut stream).await;
        assert!(matches!(first, Some(Ok(StreamEvent::Text(_)))), "{kind:?}: {first:?}");
        assert_eq!(fake.client_disconnects(), 0, "{kind:?}");
        drop(stream);
        assert!(
            fake.wait_for_client_disconnects(1, Duration::from_secs(5)).await,
            "{kind:?}: the fake saw no disconnect"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_stream_is_not_a_disconnect() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        for _ in 0..3 {
            let items = chat(chat_request(&fake)).await.unwrap();
            assert!(matches!(items.last(), Some(Ok(StreamEvent::Finished { .. }))), "{kind:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(fake.client_disconnects(), 0, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_address_is_refused_without_a_request() {
    for kind in FakeKind::ALL {
        let fake = FakeProvider::start(kind);
        let port = fake.port();
        for base_url in [fake.base_url(), format!("http://localhost:{port}"), format!("http://[::1]:{port}")] {
            let mut request = chat_request(&fake);
            request.endpoint = Endpoint { base_url: base_url.clone(), allow_private: false, ..request.endpoint };
            assert_eq!(chat(request).await.unwrap_err(), ModelError::PrivateAddress, "{kind:?} {base_url}");
        }
        assert_eq!(fake.request_count(), 0, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_name_is_resolved_and_connected_to() {
    let fake = FakeProvider::start(FakeKind::OllamaLocal);
    let mut request = chat_request(&fake);
    request.endpoint.base_url = format!("http://localhost:{}", fake.port());
    let items = chat(request).await.unwrap();
    assert!(matches!(items.last(), Some(Ok(StreamEvent::Finished { .. }))));
    assert_eq!(fake.requests()[0].header("host"), Some(format!("localhost:{}", fake.port()).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_unreachable() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let closed = ClosedPort::new();
    let mut request = chat_request(&fake);
    request.endpoint.base_url = closed.origin();
    assert_eq!(chat(request).await.unwrap_err(), ModelError::Unreachable);
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed() {
    let elsewhere = FakeProvider::start(FakeKind::Openai);
    let fake = FakeProvider::builder(FakeKind::Openai)
        .behaviour(Behaviour::Redirect(format!("{}/v1/chat/completions", elsewhere.base_url())))
        .start();
    assert_eq!(refusal(&fake).await, ModelError::Upstream(307));
    assert_eq!(elsewhere.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_never_carry_the_key() {
    let fake = FakeProvider::builder(FakeKind::Google).behaviour(Behaviour::Status(500)).start();
    let err = refusal(&fake).await;
    let key = fake.api_key().unwrap();
    assert!(!format!("{err} {err:?}").contains(key));
}
