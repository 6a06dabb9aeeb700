//! One provider endpoint behind the SSRF guard: the base URL checked, the host resolved once and
//! every address it resolved to checked, then an HTTP client pinned to exactly those addresses (no
//! second lookup, so a DNS answer that changes between check and connect cannot reach a private
//! address), with redirects and proxies off (either could lead past the check).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use pincer_agents::{Endpoint, ProbeError};
use pincer_integrations::ssrf::{self, UrlError};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use reqwest::{Client, Url};
use serde::de::DeserializeOwned;

/// A larger answer is refused rather than buffered (the longest real model lists are ~1 MB).
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

const USER_AGENT: &str = concat!("pincer/", env!("CARGO_PKG_VERSION"));

/// How long an idle connection stays in a client's pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a checked base URL points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    /// An IP literal (in any form the URL standard accepts: `127.1`, `2130706433`, `[::1]`),
    /// already normalised by the URL parser; nothing to resolve.
    Ip(IpAddr),
    /// A name to resolve (punycode for international names).
    Domain(String),
}

/// A base URL that passed the syntactic checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Base {
    /// Normalised, without a trailing slash; paths are appended to it.
    pub(crate) url: String,
    pub(crate) host: Host,
    pub(crate) port: u16,
}

/// Why an endpoint cannot be reached safely: the guard's verdict, before any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GuardError {
    BadUrl(String),
    PrivateAddress,
    /// The host did not resolve, or the client could not be built.
    Unreachable,
}

impl From<GuardError> for ProbeError {
    fn from(e: GuardError) -> Self {
        match e {
            GuardError::BadUrl(why) => ProbeError::BadUrl(why),
            GuardError::PrivateAddress => ProbeError::PrivateAddress,
            GuardError::Unreachable => ProbeError::Unreachable,
        }
    }
}

/// Checks the base URL's syntax: `http(s)://host[:port][/path]`, no credentials, no query or
/// fragment. The host is taken from the same URL parser reqwest uses, so the address checked is
/// the address connected to.
pub(crate) fn parse_base(raw: &str) -> Result<Base, GuardError> {
    let raw = raw.trim().trim_end_matches('/');
    ssrf::parse_target(raw).map_err(|e| match e {
        UrlError::PrivateAddress => GuardError::PrivateAddress,
        other => GuardError::BadUrl(other.to_string()),
    })?;
    let url = Url::parse(raw).map_err(|e| GuardError::BadUrl(format!("URL cannot be parsed ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GuardError::BadUrl(UrlError::Scheme.to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GuardError::BadUrl(UrlError::Credentials.to_string()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(GuardError::BadUrl("URL must not contain a query or a fragment".to_string()));
    }
    let host =
        url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| GuardError::BadUrl(UrlError::NoHost.to_string()))?;
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host = match bare.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Domain(host.to_string()),
    };
    let port = url.port_or_known_default().ok_or_else(|| GuardError::BadUrl(UrlError::NoHost.to_string()))?;
    Ok(Base { url: url.as_str().trim_end_matches('/').to_string(), host, port })
}

/// A base URL that passed the guard, with the addresses its host resolved to (all checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) base: Base,
    /// Sorted, so equal answers compare equal whatever order the resolver gave them in.
    pub(crate) addrs: Vec<SocketAddr>,
}

impl Target {
    /// Checks the endpoint's URL, resolves its host once and checks every address against the
    /// SSRF policy.
    pub(crate) async fn resolve(endpoint: &Endpoint) -> Result<Target, GuardError> {
        let base = parse_base(&endpoint.base_url)?;
        let mut addrs: Vec<SocketAddr> = match &base.host {
            Host::Ip(ip) => vec![SocketAddr::new(*ip, base.port)],
            Host::Domain(name) => match tokio::net::lookup_host((name.as_str(), base.port)).await {
                Ok(found) => found.collect(),
                Err(e) => {
                    tracing::info!(host = %name, error = %e, "provider host did not resolve");
                    return Err(GuardError::Unreachable);
                }
            },
        };
        if addrs.is_empty() {
            return Err(GuardError::Unreachable);
        }
        addrs.sort_unstable();
        addrs.dedup();
        let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
        ssrf::check_addresses(&ips, endpoint.allow_private).map_err(|_| GuardError::PrivateAddress)?;
        Ok(Target { base, addrs })
    }

    /// A client that connects only to the checked addresses, with redirects and proxies off.
    /// `total` bounds each whole request (`None`: no bound, for streams that time themselves).
    pub(crate) fn client(&self, connect: Duration, total: Option<Duration>) -> Result<Client, GuardError> {
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(connect)
            // Below the keep-alive timeouts of common servers and load balancers (60 s and up), so
            // that a pooled connection is not reused just as the other side closes it.
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .user_agent(USER_AGENT);
        if let Some(total) = total {
            builder = builder.timeout(total);
        }
        if let Host::Domain(name) = &self.base.host {
            builder = builder.resolve_to_addrs(name, &self.addrs);
        }
        builder.build().map_err(|e| {
            tracing::error!(error = %e, "cannot build the HTTP client");
            GuardError::Unreachable
        })
    }

    /// The host, for logs (a base URL never carries a secret: keys travel in headers).
    pub(crate) fn host(&self) -> String {
        self.base.host()
    }
}

impl Base {
    pub(crate) fn host(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Domain(name) => name.clone(),
        }
    }
}

/// A checked endpoint and a client that can only reach its checked addresses.
pub(crate) struct Upstream {
    base: Base,
    client: Client,
}

/// An answer: its status and its body (at most [`MAX_BODY_BYTES`]).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A 2xx body parsed as `T`; 401 and 403 are a rejected key; any other status is an upstream
    /// failure. The body is never part of the error.
    pub(crate) fn into_json<T: DeserializeOwned>(self) -> Result<T, ProbeError> {
        match self.status {
            200..=299 => serde_json::from_slice(&self.body).map_err(|e| {
                // The message of a serde error can quote the body: log only where and what kind.
                tracing::info!(category = ?e.classify(), line = e.line(), column = e.column(), "provider answer is not the expected JSON");
                ProbeError::BadResponse
            }),
            401 | 403 => Err(ProbeError::Rejected),
            status => Err(ProbeError::Upstream(status)),
        }
    }
}

impl Upstream {
    /// Checks the endpoint's URL, resolves its host and checks every address against the SSRF
    /// policy, then builds a client pinned to those addresses. `timeout` bounds each request.
    pub(crate) async fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<Upstream, ProbeError> {
        let target = Target::resolve(endpoint).await?;
        let client = target.client(timeout, Some(timeout))?;
        Ok(Upstream { base: target.base, client })
    }

    /// `GET <base><path>?<query>` with these extra headers; reads the whole answer.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        headers: HeaderMap,
    ) -> Result<Reply, ProbeError> {
        let url = format!("{}{path}", self.base.url);
        let mut request =
            self.client.get(url).header(ACCEPT, HeaderValue::from_static("application/json")).headers(headers);
        if !query.is_empty() {
            request = request.query(query);
        }
        let mut response = request.send().await.map_err(|e| self.failed(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        tracing::warn!(host = %self.host(), "provider answer too large");
                        return Err(ProbeError::BadResponse);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(ProbeError::Timeout),
                Err(e) => {
                    tracing::info!(host = %self.host(), error = %ErrorChain(&e), "provider answer cut off");
                    return Err(ProbeError::BadResponse);
                }
            }
        }
        Ok(Reply { status, body })
    }

    /// The host, for logs (a base URL never carries a secret: keys travel in headers).
    pub(crate) fn host(&self) -> String {
        self.base.host()
    }

    fn failed(&self, e: &reqwest::Error) -> ProbeError {
        let error = if e.is_timeout() {
            ProbeError::Timeout
        } else if e.is_builder() {
            ProbeError::BadUrl("URL cannot be requested".to_string())
        } else {
            ProbeError::Unreachable
        };
        tracing::info!(host = %self.host(), error = %ErrorChain(e), "provider request failed");
        error
    }
}

/// A header value holding a key: marked sensitive so the HTTP stack never prints it. A key that
/// cannot be a header value cannot be valid either.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, ProbeError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| ProbeError::Rejected)?;
    header.set_sensitive(true);
    Ok(header)
}

/// A reqwest error with its sources, without the URL.
pub(crate) struct ErrorChain<'a>(pub(crate) &'a reqwest::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::error::Error;
        // The top-level message names the URL: print the kind of failure and the causes instead.
        let kind = if self.0.is_timeout() {
            "timed out"
        } else if self.0.is_connect() {
            "connect failed"
        } else if self.0.is_request() {
            "request failed"
        } else {
            "failed"
        };
        f.write_str(kind)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_url(raw: &str) -> bool {
        matches!(parse_base(raw), Err(GuardError::BadUrl(_)))
    }

    #[test]
    fn bases_are_normalised() {
        let base = parse_base("https://API.Example.com/v1/").unwrap();
        assert_eq!(base.url, "https://api.example.com/v1");
        assert_eq!(base.host, Host::Domain("api.example.com".into()));
        assert_eq!(base.port, 443);
        let base = parse_base("http://127.0.0.1:11434").unwrap();
        assert_eq!((base.url.as_str(), base.port), ("http://127.0.0.1:11434", 11434));
        assert_eq!(parse_base("http://[::1]:8080").unwrap().host, Host::Ip("::1".parse().unwrap()));
    }

    #[test]
    fn odd_ip_spellings_are_seen_as_the_ip_they_are() {
        let loopback = Host::Ip("127.0.0.1".parse().unwrap());
        assert_eq!(parse_base("http://2130706433:80").unwrap().host, loopback);
        assert_eq!(parse_base("http://127.1").unwrap().host, loopback);
        assert_eq!(parse_base("http://0x7f.0.0.1").unwrap().host, loopback);
        assert_eq!(
            parse_base("http://[::ffff:127.0.0.1]").unwrap().host,
            Host::Ip("::ffff:127.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn bad_bases_are_refused() {
        assert!(bad_url("ftp://example.com"));
        assert!(bad_url("example.com"));
        assert!(bad_url("https://user:pw@example.com"));
        assert!(bad_url("https://example.com/v1?key=x"));
        assert!(bad_url("https://example.com/#frag"));
        assert!(bad_url("https://"));
        assert!(bad_url("https://host:notaport"));
        assert!(bad_url("http://exa mple.com"));
    }

    #[test]
    fn statuses_map_to_errors() {
        let reply = |status: u16, body: &str| Reply { status, body: body.as_bytes().to_vec() };
        assert_eq!(reply(200, "[1]").into_json::<Vec<u8>>(), Ok(vec![1]));
        assert_eq!(reply(200, "<html>").into_json::<Vec<u8>>(), Err(ProbeError::BadResponse));
        assert_eq!(reply(401, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Rejected));
        assert_eq!(reply(403, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Rejected));
        assert_eq!(reply(500, "{}").into_json::<Vec<u8>>(), Err(ProbeError::Upstream(500)));
        assert_eq!(reply(307, "").into_json::<Vec<u8>>(), Err(ProbeError::Upstream(307)));
    }

    #[tokio::test]
    async fn clients_build_for_http_and_https() {
        for base_url in ["https://127.0.0.1:9", "http://127.0.0.1:9", "https://localhost:9/v1"] {
            let endpoint = Endpoint {
                kind: pincer_agents::ProviderKind::Openai,
                base_url: base_url.to_string(),
                api_key: None,
                allow_private: true,
            };
            assert!(Upstream::connect(&endpoint, Duration::from_secs(1)).await.is_ok(), "{base_url}");
        }
    }

    #[test]
    fn keys_are_sensitive_headers() {
        assert!(secret_header("sk-abc").unwrap().is_sensitive());
        assert_eq!(secret_header("bad\nkey"), Err(ProbeError::Rejected));
    }
}
