//! The service manager's readiness protocol (`sd_notify`): under systemd with `Type=notify`,
//! `NOTIFY_SOCKET` names a datagram socket; `READY=1` once the listener accepts connections (units
//! ordered after Pincer wait for it, and `systemctl start` returns only then), `STOPPING=1` when
//! the shutdown begins. Without the variable nothing is sent. A failure to notify is logged, never
//! fatal: the server works the same.

use std::os::unix::net::UnixDatagram;

/// Tells the service manager the server is ready.
pub fn ready() {
    send("READY=1\nSTATUS=listening");
}

/// Tells the service manager the server is stopping.
pub fn stopping() {
    send("STOPPING=1");
}

fn send(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET").filter(|p| !p.is_empty()) else { return };
    let path = path.to_string_lossy().into_owned();
    let sent = UnixDatagram::unbound().and_then(|socket| match path.strip_prefix('@') {
        // A name in Linux's abstract namespace (systemd uses these in containers).
        Some(name) => {
            use std::os::linux::net::SocketAddrExt as _;
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            socket.send_to_addr(state.as_bytes(), &address)
        }
        None => socket.send_to(state.as_bytes(), &path),
    });
    if let Err(e) = sent {
        tracing::warn!(error = %e, socket = %path, "cannot notify the service manager");
    }
}
