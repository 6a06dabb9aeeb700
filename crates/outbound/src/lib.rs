//! The one way Pincer calls out over HTTP (model providers today; Telegram, Odoo, MCP and
//! outbound callbacks next): a base URL checked, its host resolved once and every address it
//! resolved to checked against the SSRF policy, then a client pinned to exactly those addresses
//! (no second lookup, so a DNS answer that changes between check and connect cannot reach a
//! private address), with redirects and proxies off (either could lead past the check).
//!
//! An adapter library: adapters depend on it, it depends on no adapter (`cargo xtask tidy`).

mod retry;
pub mod tls;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use pincer_integrations::ssrf::{self, UrlError};
use reqwest::header::HeaderValue;
use reqwest::{Client, Url};

pub use retry::Retry;
pub use tls::{Tls, client_builder};

const USER_AGENT: &str = concat!("pincer/", env!("CARGO_PKG_VERSION"));

/// How long an idle connection stays in a client's pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a checked base URL points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal (in any form the URL standard accepts: `127.1`, `2130706433`, `[::1]`),
    /// already normalised by the URL parser; nothing to resolve.
    Ip(IpAddr),
    /// A name to resolve (punycode for international names).
    Domain(String),
}

/// A base URL that passed the syntactic checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    /// Normalised, without a trailing slash; paths are appended to it.
    pub url: String,
    pub host: Host,
    pub port: u16,
}

/// Why a base URL cannot be reached safely: the guard's verdict, before any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuardError {
    BadUrl(String),
    PrivateAddress,
    /// The host did not resolve, or the client could not be built.
    Unreachable,
}

/// Checks the base URL's syntax: `http(s)://host[:port][/path]`, no credentials, no query or
/// fragment. The host is taken from the same URL parser reqwest uses, so the address checked is
/// the address connected to.
pub fn parse_base(raw: &str) -> Result<Base, GuardError> {
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
pub struct Target {
    pub base: Base,
    /// Sorted, so equal answers compare equal whatever order the resolver gave them in.
    pub addrs: Vec<SocketAddr>,
}

impl Target {
    /// Checks the endpoint's URL, resolves its host once and checks every address against the
    /// SSRF policy.
    pub async fn resolve(base_url: &str, allow_private: bool) -> Result<Target, GuardError> {
        let base = parse_base(base_url)?;
        let mut addrs: Vec<SocketAddr> = match &base.host {
            Host::Ip(ip) => vec![SocketAddr::new(*ip, base.port)],
            Host::Domain(name) => match tokio::net::lookup_host((name.as_str(), base.port)).await {
                Ok(found) => found.collect(),
                Err(e) => {
                    tracing::info!(host = %name, error = %e, "host did not resolve");
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
        ssrf::check_addresses(&ips, allow_private).map_err(|_| GuardError::PrivateAddress)?;
        Ok(Target { base, addrs })
    }

    /// A client that connects only to the checked addresses, with redirects and proxies off.
    /// `total` bounds each whole request (`None`: no bound, for streams that time themselves).
    pub fn client(&self, connect: Duration, total: Option<Duration>) -> Result<Client, GuardError> {
        self.client_with(&Tls::public(), connect, total)
    }

    /// [`Target::client`] trusting the authorities of `tls` instead of Mozilla's roots.
    pub fn client_with(&self, tls: &Tls, connect: Duration, total: Option<Duration>) -> Result<Client, GuardError> {
        let mut builder = tls
            .builder()
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
    pub fn host(&self) -> String {
        self.base.host()
    }
}

impl Base {
    pub fn host(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Domain(name) => name.clone(),
        }
    }
}

/// A reqwest error with its sources, without the URL.
pub struct ErrorChain<'a>(pub &'a reqwest::Error);

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

/// A header value holding a secret (a key, a token): marked sensitive so the HTTP stack never
/// prints it. `None` when the text cannot be a header value.
pub fn secret_header(value: &str) -> Option<HeaderValue> {
    let mut header = HeaderValue::from_str(value).ok()?;
    header.set_sensitive(true);
    Some(header)
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

    #[tokio::test]
    async fn clients_build_for_http_and_https() {
        for base_url in ["https://127.0.0.1:9", "http://127.0.0.1:9", "https://localhost:9/v1"] {
            let target = Target::resolve(base_url, true).await.unwrap();
            assert!(target.client(Duration::from_secs(1), Some(Duration::from_secs(1))).is_ok(), "{base_url}");
        }
    }

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        assert_eq!(Target::resolve("http://127.0.0.1:9", false).await, Err(GuardError::PrivateAddress));
        let allowed = Target::resolve("http://127.0.0.1:9", true).await.unwrap();
        assert_eq!(allowed.addrs, ["127.0.0.1:9".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    fn secrets_are_sensitive_headers() {
        assert!(secret_header("sk-abc").unwrap().is_sensitive());
        assert_eq!(secret_header("bad\nkey"), None);
    }
}
