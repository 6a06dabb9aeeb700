//! The guarded client speaks TLS on ring against a real TLS listener: it verifies the chain and
//! the name it was given, sends that name (SNI) although it connects to a pinned address, and
//! trusts only the authorities it was built with.

// Test code: a failed setup step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pincer_outbound::{ErrorChain, Target, Tls};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const SECOND: Duration = Duration::from_secs(1);

/// A loopback HTTPS server with a certificate for `localhost` issued by its own authority.
struct TlsFake {
    port: u16,
    /// The authority's certificate (DER), for clients that should trust it.
    authority: Vec<u8>,
    /// The server name each completed handshake asked for.
    names: Arc<Mutex<Vec<Option<String>>>>,
}

impl TlsFake {
    async fn start() -> TlsFake {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&leaf_key, &ca).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let names = Arc::new(Mutex::new(Vec::new()));
        let seen = names.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                tokio::spawn(async move {
                    // A refused handshake is the client's verdict; nothing to answer.
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    seen.lock().unwrap().push(tls.get_ref().1.server_name().map(str::to_string));
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
                    let _ = tls.write_all(answer).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        TlsFake { port, authority: ca.der().to_vec(), names }
    }

    fn trusted(&self) -> Tls {
        Tls::trusting([self.authority.clone()]).unwrap()
    }

    fn handshakes(&self) -> Vec<Option<String>> {
        self.names.lock().unwrap().clone()
    }
}

async fn target(url: &str) -> Target {
    // The fake listens on loopback: private addresses allowed, as for a self-hosted model server.
    Target::resolve(url, true).await.unwrap()
}

#[tokio::test]
async fn a_pinned_client_verifies_the_chain_and_sends_the_name_it_was_given() {
    let fake = TlsFake::start().await;
    let target = target(&format!("https://localhost:{}", fake.port)).await;
    assert!(target.addrs.iter().all(|a: &SocketAddr| a.ip().is_loopback()), "{:?}", target.addrs);

    let client = target.client_with(&fake.trusted(), SECOND, Some(5 * SECOND)).unwrap();
    let res = client.get(format!("{}/v1/models", target.base.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "hello");
    assert_eq!(fake.handshakes(), [Some("localhost".to_string())], "SNI names the host, not the pinned address");
}

#[tokio::test]
async fn a_server_whose_authority_is_not_trusted_is_refused() {
    let fake = TlsFake::start().await;
    let target = target(&format!("https://localhost:{}", fake.port)).await;
    // Mozilla's roots: the fake's own authority is not among them.
    let client = target.client(SECOND, Some(5 * SECOND)).unwrap();
    let err = client.get(format!("{}/v1/models", target.base.url)).send().await.unwrap_err();
    let chain = ErrorChain(&err).to_string();
    assert!(err.is_connect(), "{chain}");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
    assert!(fake.handshakes().is_empty(), "no request reached the server");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let fake = TlsFake::start().await;
    // The certificate names `localhost` only; the URL names the address.
    let target = target(&format!("https://127.0.0.1:{}", fake.port)).await;
    let client = target.client_with(&fake.trusted(), SECOND, Some(5 * SECOND)).unwrap();
    let err = client.get(format!("{}/v1/models", target.base.url)).send().await.unwrap_err();
    let chain = ErrorChain(&err).to_string();
    assert!(chain.contains("not valid for name"), "{chain}");
    assert!(fake.handshakes().is_empty());
}

#[test]
fn what_is_not_a_certificate_is_not_trusted() {
    assert!(Tls::trusting([b"not a certificate".to_vec()]).is_err());
}
