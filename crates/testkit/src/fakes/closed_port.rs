//! A port on 127.0.0.1 where nothing listens, for "the provider cannot be reached" tests.
//!
//! Why not bind a listener, note its port and drop it: the port is free again at once, and a test
//! running in parallel (its fake, its `pincer`) may be given it before the connection is tried;
//! the test then reaches that server instead of being refused. This socket keeps the port bound
//! (without `SO_REUSEADDR`, so no other socket can bind it) but never listens, so a connection to
//! it is refused for as long as the value lives.

use std::net::{Ipv4Addr, SocketAddr};

pub struct ClosedPort {
    // Held, never used: its existence reserves the port.
    _socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl std::fmt::Debug for ClosedPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClosedPort").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ClosedPort {
    /// Reserves a free port on 127.0.0.1 without listening on it. Panics when no socket can be
    /// bound. Needs no runtime.
    pub fn new() -> ClosedPort {
        let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("cannot create a socket: {e}"));
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
        let addr = socket.local_addr().unwrap_or_else(|e| panic!("no local address: {e}"));
        ClosedPort { _socket: socket, addr }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_refused_and_the_port_stays_taken() {
        let closed = ClosedPort::new();
        let refused = std::net::TcpStream::connect(("127.0.0.1", closed.port()));
        assert_eq!(refused.map_err(|e| e.kind()).err(), Some(std::io::ErrorKind::ConnectionRefused));
        // A listener (std sets SO_REUSEADDR) cannot take the port while it is held.
        assert!(std::net::TcpListener::bind(("127.0.0.1", closed.port())).is_err());
        assert_eq!(closed.origin(), format!("http://127.0.0.1:{}", closed.port()));
    }
}
