//! Just enough of a URL for the checks: its scheme and host, and whether the host is this machine.

/// The lower-cased scheme and host of `url` (`https://user@Host:8080/x` → `("https", "host")`),
/// an IPv6 host without its brackets.
pub fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| (scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// Whether `host` names this machine: `localhost`, a loopback address, or a Unix socket path.
pub fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with('/')
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scheme_and_host() {
        let sh = |u| scheme_and_host(u).map(|(s, h)| format!("{s} {h}"));
        assert_eq!(sh("https://Pincer.Example.com/x").as_deref(), Some("https pincer.example.com"));
        assert_eq!(sh("http://user:pw@10.0.0.5:11434/api").as_deref(), Some("http 10.0.0.5"));
        assert_eq!(sh("http://[::1]:8080").as_deref(), Some("http ::1"));
        assert_eq!(sh("no scheme"), None);
        assert_eq!(sh("http:///path"), None);
    }

    #[test]
    fn knows_this_machine() {
        for local in ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]", "app.localhost", "/var/run/postgresql"] {
            assert!(is_local_host(local), "{local}");
        }
        for remote in ["10.0.0.5", "db.example.com", "0.0.0.0", "localhost.example.com"] {
            assert!(!is_local_host(remote), "{remote}");
        }
    }
}
