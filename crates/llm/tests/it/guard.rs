//! The SSRF guard: private addresses are refused before any connection, unless allowed.

use pincer_agents::{Endpoint, ProbeError};
use pincer_testkit::fakes::{FakeKind, FakeProvider};

use crate::{endpoint, ids, list};

fn refused_private(fake: &FakeProvider, base_url: String) -> Endpoint {
    Endpoint { base_url, allow_private: false, ..endpoint(fake) }
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_is_refused_and_nothing_is_sent() {
    let fake = FakeProvider::start(FakeKind::Openai);
    let port = fake.port();
    for base in [
        fake.base_url(),
        format!("http://localhost:{port}"),
        // Other spellings of 127.0.0.1 that URL parsers accept.
        format!("http://2130706433:{port}"),
        format!("http://127.1:{port}"),
        format!("http://0x7f.0.0.1:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://[::1]:{port}"),
        format!("https://127.0.0.1:{port}"),
    ] {
        assert_eq!(list(&refused_private(&fake, base.clone())).await, Err(ProbeError::PrivateAddress), "{base}");
    }
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_name_is_resolved_once_and_connected_to() {
    let fake = FakeProvider::start(FakeKind::OllamaLocal);
    let endpoint = Endpoint { base_url: format!("http://localhost:{}", fake.port()), ..endpoint(&fake) };
    let models = list(&endpoint).await.unwrap();
    assert_eq!(ids(&models), ["llama3.1:8b", "qwen2.5:7b", "nomic-embed-text:latest"]);
    assert_eq!(fake.requests()[0].header("host"), Some(format!("localhost:{}", fake.port()).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_urls_are_refused() {
    let fake = FakeProvider::start(FakeKind::OpenaiCompatible);
    for base in [
        "ftp://example.com".to_string(),
        "example.com/v1".to_string(),
        format!("http://user:secret@127.0.0.1:{}/v1", fake.port()),
        format!("{}?api_key=x", fake.base_url()),
        "https://".to_string(),
    ] {
        let endpoint = Endpoint { base_url: base.clone(), ..endpoint(&fake) };
        assert!(matches!(list(&endpoint).await, Err(ProbeError::BadUrl(_))), "{base}");
    }
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn https_goes_through_rustls() {
    // The fake speaks plain HTTP: the TLS handshake fails, before any HTTP request is made.
    let fake = FakeProvider::start(FakeKind::Openai);
    let endpoint = Endpoint { base_url: format!("https://127.0.0.1:{}", fake.port()), ..endpoint(&fake) };
    assert_eq!(list(&endpoint).await, Err(ProbeError::Unreachable));
    assert_eq!(fake.request_count(), 0);
}
