//! Remote access through a Cloudflare quick tunnel: `cloudflared tunnel --url <our address>` run
//! as a child process, its public URL read from what it prints, its output drained for as long
//! as it runs, restarted (with a growing pause) when it dies, and stopped on request and at
//! shutdown. The HTTP layer reads [`Tunnel::active`] and [`Tunnel::public_origin`]: while a tunnel
//! runs, requests arriving from loopback may come from anyone on the internet.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

pub use pincer_core::remote::{RemoteAccess, TunnelError, TunnelState, TunnelStatus};

/// One tunnel per server.
pub struct Tunnel {
    /// `PINCER_CLOUDFLARED`, else `cloudflared` looked up on `PATH` at start.
    configured: Option<PathBuf>,
    /// `http://<the bound address>`.
    target: Mutex<Option<String>>,
    status: Arc<Mutex<TunnelStatus>>,
    /// Sending `true` stops the running supervisor.
    stop: Mutex<Option<watch::Sender<bool>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

const MAX_PAUSE: Duration = Duration::from_secs(30);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The quick tunnel's URL in a line of `cloudflared`'s output, if there is one.
pub fn url_in(line: &str) -> Option<String> {
    let start = line.find("https://")?;
    let url: String = line[start..].chars().take_while(|c| !c.is_whitespace() && *c != '|').collect();
    url.ends_with(".trycloudflare.com").then_some(url)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
}

impl Tunnel {
    /// A tunnel run with `binary` (`PINCER_CLOUDFLARED`) or the `cloudflared` on `PATH`.
    pub fn new(binary: Option<PathBuf>) -> Self {
        let status =
            TunnelStatus { state: TunnelState::Stopped, url: None, last_error: None, restarts: 0, since: None };
        Self {
            configured: binary,
            target: Mutex::new(None),
            status: Arc::new(Mutex::new(status)),
            stop: Mutex::new(None),
            task: Mutex::new(None),
        }
    }

    /// The address the tunnel forwards to: `http://<the bound address>`.
    pub fn set_target(&self, target: String) {
        *lock(&self.target) = Some(target);
    }

    fn binary(&self) -> Result<PathBuf, TunnelError> {
        match &self.configured {
            Some(path) if path.is_file() => Ok(path.clone()),
            Some(path) => Err(TunnelError::Unavailable(format!("{} does not exist", path.display()))),
            None => on_path("cloudflared")
                .ok_or_else(|| TunnelError::Unavailable("no cloudflared on PATH (or set PINCER_CLOUDFLARED)".into())),
        }
    }
}

#[async_trait::async_trait]
impl RemoteAccess for Tunnel {
    fn status(&self) -> TunnelStatus {
        lock(&self.status).clone()
    }

    /// Starts the tunnel (a running one is left as it is).
    fn start(&self) -> Result<TunnelStatus, TunnelError> {
        let binary = self.binary()?;
        let target = lock(&self.target).clone().ok_or(TunnelError::NotListening)?;
        let mut stop = lock(&self.stop);
        if stop.is_some() {
            return Ok(self.status());
        }
        let (tx, rx) = watch::channel(false);
        *stop = Some(tx);
        set(&self.status, TunnelState::Starting, None, None);
        lock(&self.status).restarts = 0;
        let task = tokio::spawn(supervise(binary, target, self.status.clone(), rx));
        *lock(&self.task) = Some(task);
        Ok(self.status())
    }

    /// Stops the tunnel and waits for `cloudflared` to end.
    async fn stop(&self) -> TunnelStatus {
        if let Some(stop) = lock(&self.stop).take() {
            let _ = stop.send(true);
        }
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        set(&self.status, TunnelState::Stopped, None, None);
        self.status()
    }
}

fn set(status: &Mutex<TunnelStatus>, state: TunnelState, url: Option<String>, error: Option<String>) {
    let mut s = lock(status);
    s.state = state;
    s.url = url;
    if error.is_some() {
        s.last_error = error;
    }
    s.since = Some(SystemTime::now());
}

/// Reads a stream of `cloudflared`'s output to its end, noting the URL when it appears.
async fn drain(stream: impl AsyncRead + Unpin, status: Arc<Mutex<TunnelStatus>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = url_in(&line) {
            set(&status, TunnelState::Running, Some(url), None);
        }
    }
}

/// Runs `cloudflared` until told to stop, starting it again whenever it dies.
async fn supervise(binary: PathBuf, target: String, status: Arc<Mutex<TunnelStatus>>, mut stop: watch::Receiver<bool>) {
    let mut pause = Duration::from_secs(1);
    loop {
        let spawned = Command::new(&binary)
            .args(["tunnel", "--no-autoupdate", "--url", &target])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let why = match spawned {
            Err(e) => format!("cannot run {}: {e}", binary.display()),
            Ok(mut child) => {
                let out = child.stdout.take().map(|s| tokio::spawn(drain(s, status.clone())));
                let err = child.stderr.take().map(|s| tokio::spawn(drain(s, status.clone())));
                let ended = tokio::select! {
                    ended = child.wait() => Some(ended),
                    _ = stop.wait_for(|stop| *stop) => None,
                };
                let why = match ended {
                    None => {
                        let _ = child.kill().await;
                        None
                    }
                    Some(Ok(code)) => Some(format!("cloudflared exited ({code})")),
                    Some(Err(e)) => Some(format!("cloudflared failed: {e}")),
                };
                for drained in [out, err].into_iter().flatten() {
                    let _ = drained.await;
                }
                match why {
                    None => return,
                    Some(why) => why,
                }
            }
        };
        tracing::warn!(reason = %why, pause_secs = pause.as_secs(), "the tunnel stopped; starting it again");
        set(&status, TunnelState::Restarting, None, Some(why));
        lock(&status).restarts += 1;
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        pause = (pause * 2).min(MAX_PAUSE);
        set(&status, TunnelState::Starting, None, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_found_in_cloudflareds_banner() {
        let line = "2026-12-04T10:00:00Z INF |  https://quiet-lake-apple.trycloudflare.com                 |";
        assert_eq!(url_in(line).as_deref(), Some("https://quiet-lake-apple.trycloudflare.com"));
        assert_eq!(url_in("INF Requesting new quick Tunnel on trycloudflare.com..."), None);
        assert_eq!(url_in("see https://developers.cloudflare.com/ for more"), None);
    }
}
