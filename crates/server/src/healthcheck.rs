//! `pincer healthcheck`: asks a running server's readiness probe, for container health checks
//! (images without curl). Plain HTTP/1.1 over a TCP socket: the probe listens on the server's own
//! address, never through TLS.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long the whole probe may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The address a probe reaches a server bound to `bind` at: a wildcard bind is reached on
/// loopback.
pub fn probe_address(bind: &str) -> Result<SocketAddr, String> {
    let addr = bind
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {bind}: {e}"))?
        .next()
        .ok_or_else(|| format!("{bind} names no address"))?;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, addr.port()))
}

/// `GET /api/health/ready` at `addr`: `Ok` when it answers 200, else why not.
pub fn check(addr: SocketAddr) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let request = format!("GET /api/health/ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| format!("cannot send to {addr}: {e}"))?;
    // The status line is all that matters; the body is small.
    let mut answer = Vec::new();
    stream.take(4096).read_to_end(&mut answer).map_err(|e| format!("no answer from {addr}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => {
            let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).trim();
            Err(format!("not ready: {code} {body}"))
        }
        None => Err(format!("{addr} did not answer HTTP")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_probed_on_loopback() {
        assert_eq!(probe_address("0.0.0.0:7777").unwrap(), "127.0.0.1:7777".parse().unwrap());
        assert_eq!(probe_address("[::]:80").unwrap(), "[::1]:80".parse().unwrap());
        assert_eq!(probe_address("10.1.2.3:8080").unwrap(), "10.1.2.3:8080".parse().unwrap());
        assert!(probe_address("no-port").is_err());
    }
}
