//! Remote access to this server (a tunnel from the internet): the port the HTTP layer uses; the
//! `connectors` crate runs `cloudflared` behind it.

use std::time::SystemTime;

/// Where a tunnel stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelState {
    /// Not running.
    Stopped,
    /// Started, its public URL not known yet.
    Starting,
    /// Up, at its URL.
    Running,
    /// It died; it is started again after a pause.
    Restarting,
}

impl TunnelState {
    /// The state as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Restarting => "restarting",
        }
    }
}

/// What the status route shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TunnelStatus {
    /// Where it stands.
    pub state: TunnelState,
    /// The public URL (`https://….trycloudflare.com`), once known.
    pub url: Option<String>,
    /// Why it last stopped by itself.
    pub last_error: Option<String>,
    /// How often it was started again after dying, since the last start.
    pub restarts: u32,
    /// When the state last changed.
    pub since: Option<SystemTime>,
}

/// Why a tunnel cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TunnelError {
    /// No tunnel program (the message says what was looked for).
    #[error("cloudflared is not installed: {0}")]
    Unavailable(String),
    /// The server's own address is not known yet.
    #[error("the server is not listening yet")]
    NotListening,
}

/// A tunnel that makes this server reachable from the internet.
#[async_trait::async_trait]
pub trait RemoteAccess: Send + Sync + 'static {
    /// Where it stands now.
    fn status(&self) -> TunnelStatus;
    /// Starts it (a running one is left as it is).
    fn start(&self) -> Result<TunnelStatus, TunnelError>;
    /// Stops it and waits until it has ended.
    async fn stop(&self) -> TunnelStatus;
    /// Whether one is up or coming up: requests from loopback may then come from anyone.
    fn active(&self) -> bool {
        self.status().state != TunnelState::Stopped
    }
    /// Its public origin while it runs.
    fn public_origin(&self) -> Option<String> {
        let status = self.status();
        status.url.filter(|_| status.state == TunnelState::Running)
    }
}

/// No tunnel: what tests that build the HTTP state by hand use.
pub struct NoRemoteAccess;

#[async_trait::async_trait]
impl RemoteAccess for NoRemoteAccess {
    fn status(&self) -> TunnelStatus {
        TunnelStatus { state: TunnelState::Stopped, url: None, last_error: None, restarts: 0, since: None }
    }
    fn start(&self) -> Result<TunnelStatus, TunnelError> {
        Err(TunnelError::Unavailable("this server has no tunnel".into()))
    }
    async fn stop(&self) -> TunnelStatus {
        self.status()
    }
}
