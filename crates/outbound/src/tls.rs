//! The TLS every Pincer HTTP client speaks: rustls on the ring provider.
//!
//! reqwest is built without a crypto provider (`rustls-no-provider`: its default would bring
//! aws-lc-rs, a second provider beside the ring the audit chain and sessions already use, and the
//! platform verifier). A reqwest client built without a configuration from here panics, so every
//! client in the workspace starts from [`client_builder`] or [`Tls::builder`].

use std::sync::{Arc, LazyLock};

use reqwest::ClientBuilder;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::GuardError;

/// A TLS client configuration: which certificate authorities are trusted, on ring.
#[derive(Clone, Debug)]
pub struct Tls {
    config: ClientConfig,
}

/// Built once: parsing the root store is the costly part, a clone shares it.
static PUBLIC: LazyLock<Tls> = LazyLock::new(|| {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    Tls::over(roots)
});

impl Tls {
    /// Mozilla's root certificates (compiled in, so no system CA bundle is needed): what every
    /// connection to a provider, a messenger or an integration is verified against.
    pub fn public() -> Tls {
        PUBLIC.clone()
    }

    /// Only these authorities (DER-encoded certificates): a private CA, or a test's own.
    pub fn trusting(authorities: impl IntoIterator<Item = Vec<u8>>) -> Result<Tls, GuardError> {
        let mut roots = RootCertStore::empty();
        for der in authorities {
            roots
                .add(CertificateDer::from(der))
                .map_err(|e| GuardError::BadUrl(format!("certificate authority cannot be used ({e})")))?;
        }
        Ok(Tls::over(roots))
    }

    fn over(roots: RootCertStore) -> Tls {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // ring implements every safe default version; this cannot fail.
            .unwrap_or_else(|e| unreachable!("ring lacks a default TLS version: {e}"))
            .with_root_certificates(roots)
            .with_no_client_auth();
        // reqwest speaks HTTP/1.1 here (no `http2` feature); say so in the handshake as reqwest
        // would for a configuration of its own.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Tls { config }
    }

    /// A reqwest client builder speaking this TLS.
    pub fn builder(&self) -> ClientBuilder {
        reqwest::Client::builder().tls_backend_preconfigured(self.config.clone())
    }
}

/// A reqwest client builder on ring with Mozilla's roots: where every client of the workspace
/// starts (test and benchmark clients included), since reqwest has no provider of its own.
pub fn client_builder() -> ClientBuilder {
    Tls::public().builder()
}
