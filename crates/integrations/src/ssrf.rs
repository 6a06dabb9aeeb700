//! Server-side request forgery guard. A URL an admin types (a provider endpoint, an Odoo server)
//! must not let Pincer reach its own host or the private network behind it, unless the operator
//! allows private URLs (`PINCER_ALLOW_PRIVATE_URLS`). The caller resolves the host name and checks
//! every address it resolves to, then connects to one of the checked addresses (no second lookup).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an outbound URL is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not http or https.
    #[error("URL must start with http:// or https://")]
    Scheme,
    /// No host.
    #[error("URL has no host")]
    NoHost,
    /// User name or password in the URL.
    #[error("URL must not contain credentials")]
    Credentials,
    /// A private, loopback or link-local address without the operator allowing it, or cloud metadata.
    #[error("URL points to a private, loopback or link-local address")]
    PrivateAddress,
}

/// The parts of a URL the guard needs: scheme, host (without brackets) and port.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// Whether the scheme is https.
    pub https: bool,
    /// The host as written (lower-cased).
    pub host: String,
    /// The port, the scheme's default when none is given.
    pub port: u16,
}

/// Splits `http(s)://host[:port][/…]` without a URL library; refuses user-info (`user@host`).
pub fn parse_target(url: &str) -> Result<Target, UrlError> {
    let url = url.trim();
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(UrlError::Scheme);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(UrlError::Credentials);
    }
    let default_port = if https { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(UrlError::NoHost)?;
        let port = after.strip_prefix(':').map(str::parse).transpose().map_err(|_| UrlError::NoHost)?;
        (host.to_string(), port.unwrap_or(default_port))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), port.parse().map_err(|_| UrlError::NoHost)?),
            None => (authority.to_string(), default_port),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    Ok(Target { https, host: host.to_ascii_lowercase(), port })
}

/// Whether an address is one a user-supplied URL must not reach.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(v4),
            None => is_private_v6(v6),
        },
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 224 // multicast and reserved
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || ip.to_ipv4().is_some_and(is_private_v4) // IPv4-compatible
        || embedded_v4(ip).iter().any(|v4| is_private_v4(*v4))
        || ip.segments()[..3] == [0x64, 0xff9b, 0x0001] // local-use NAT64 (64:ff9b:1::/48)
}

/// The IPv4 addresses an IPv6 address carries by a translation scheme, which reach the IPv4
/// host they name: NAT64 (64:ff9b::/96, the last 32 bits), 6to4 (2002::/16, bits 16–48) and
/// Teredo (2001::/32: the server in bits 32–64, the client inverted in the last 32 bits).
fn embedded_v4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let o = ip.octets();
    let v4 = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
    match ip.segments() {
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => vec![v4(&o[12..16])],
        [0x2002, ..] => vec![v4(&o[2..6])],
        [0x2001, 0, ..] => vec![v4(&o[4..8]), v4(&[!o[12], !o[13], !o[14], !o[15]])],
        _ => Vec::new(),
    }
}

/// Cloud metadata services (instance credentials live there): never reachable, whatever the
/// operator allows and whatever the provider kind — a local Ollama may live on the LAN, never
/// at these addresses. IPv4 link-local (169.254.0.0/16: AWS, GCP, Azure, ECS task metadata),
/// Alibaba's 100.100.100.200 and AWS's IPv6 fd00:ec2::254, in any form that reaches them.
pub fn is_metadata(ip: IpAddr) -> bool {
    let v4_metadata = |v4: Ipv4Addr| v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200);
    match ip {
        IpAddr::V4(v4) => v4_metadata(v4),
        IpAddr::V6(v6) => {
            v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
                || v6.to_ipv4_mapped().is_some_and(v4_metadata)
                || embedded_v4(v6).into_iter().any(v4_metadata)
        }
    }
}

/// Checks every address a host resolved to; one private address is enough to refuse, and a
/// metadata address is refused even where private ones are allowed.
pub fn check_addresses(addresses: &[IpAddr], allow_private: bool) -> Result<(), UrlError> {
    let refused = |ip: &IpAddr| is_metadata(*ip) || (!allow_private && is_private(*ip));
    if addresses.iter().any(refused) { Err(UrlError::PrivateAddress) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_public_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(is_private(ip(private)), "{private}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"] {
            assert!(!is_private(ip(public)), "{public}");
        }
    }

    #[test]
    fn translated_forms_of_private_addresses_are_private() {
        // NAT64 of 10.0.0.1 and 127.0.0.1, 6to4 of 192.168.1.1, Teredo with client 10.0.0.1
        // (inverted: f5ff:fffe) and with server 127.0.0.1, local-use NAT64.
        for private in [
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "2001:0:7f00:1::1",
            "64:ff9b:1::8.8.8.8",
        ] {
            assert!(is_private(ip(private)), "{private}");
        }
        // The same schemes carrying public addresses stay public.
        for public in ["64:ff9b::808:808", "2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7"] {
            assert!(!is_private(ip(public)), "{public}");
        }
    }

    #[test]
    fn metadata_addresses_are_refused_even_where_private_ones_are_allowed() {
        for metadata in [
            "169.254.169.254",
            "169.254.170.2",
            "100.100.100.200",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert_eq!(check_addresses(&[ip(metadata)], true), Err(UrlError::PrivateAddress), "{metadata}");
        }
        // The LAN and loopback stay reachable where allowed (a local Ollama).
        assert_eq!(check_addresses(&[ip("192.168.1.20"), ip("127.0.0.1")], true), Ok(()));
    }

    #[test]
    fn one_private_address_refuses_unless_allowed() {
        let mixed = [ip("8.8.8.8"), ip("10.0.0.1")];
        assert_eq!(check_addresses(&mixed, false), Err(UrlError::PrivateAddress));
        assert_eq!(check_addresses(&mixed, true), Ok(()));
        assert_eq!(check_addresses(&[ip("8.8.8.8")], false), Ok(()));
    }

    #[test]
    fn parses_targets() {
        assert_eq!(
            parse_target("https://API.example.com/v1/models"),
            Ok(Target { https: true, host: "api.example.com".into(), port: 443 })
        );
        assert_eq!(
            parse_target("http://[::1]:11434/api"),
            Ok(Target { https: false, host: "::1".into(), port: 11434 })
        );
        assert_eq!(
            parse_target("http://127.0.0.1:8080"),
            Ok(Target { https: false, host: "127.0.0.1".into(), port: 8080 })
        );
        assert_eq!(parse_target("ftp://x"), Err(UrlError::Scheme));
        assert_eq!(parse_target("https://user:pw@evil.example"), Err(UrlError::Credentials));
        assert_eq!(parse_target("https:///path"), Err(UrlError::NoHost));
        assert_eq!(parse_target("https://host:notaport"), Err(UrlError::NoHost));
    }
}
