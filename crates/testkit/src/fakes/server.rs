//! The scaffolding every fake upstream runs on: an actix-web server bound to `127.0.0.1:0`, on its
//! own thread with its own actix `System`, stopped when dropped.
//!
//! Why actix-web rather than hyper: it is already a workspace dependency (no new crate), it parses
//! HTTP for us, and it streams response bodies (`HttpResponse::streaming`), which the provider
//! fakes need for SSE and NDJSON chat. Why its own thread and `System`: the fake then works from
//! any test, `#[test]` or `#[tokio::test]` of either flavour, and keeps answering while the test's
//! runtime is blocked (or is being torn down).

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running fake server. Dropping it stops the server without waiting for open requests (a fake
/// that hangs on purpose must not hang the test's teardown) and waits for its thread to end.
pub struct FakeServer {
    addr: SocketAddr,
    handle: ServerHandle,
    stopped: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Binds `127.0.0.1:0` and serves the routes `configure` sets up, with one worker. Returns
    /// once the port is bound, so requests sent afterwards are answered. Panics with the reason
    /// when the server cannot start.
    pub fn start<F>(name: &str, configure: F) -> FakeServer
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener =
            TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("fake {name}: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("fake {name}: no local address: {e}"));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<ServerHandle, String>>();
        let (stopped_tx, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("fake-{name}"))
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    let server = HttpServer::new(move || App::new().configure(configure.clone()))
                        .workers(1)
                        .disable_signals()
                        .shutdown_timeout(0)
                        // A client that closes its side is gone: drop what is being streamed to
                        // it (streaming fakes count those disconnects).
                        .h1_allow_half_closed(false)
                        .listen(listener);
                    let server = match server {
                        Ok(server) => server.run(),
                        Err(e) => {
                            ready_tx.send(Err(e.to_string())).ok();
                            return;
                        }
                    };
                    ready_tx.send(Ok(server.handle())).ok();
                    server.await.ok();
                });
                stopped_tx.send(()).ok();
            })
            .unwrap_or_else(|e| panic!("fake {name}: cannot spawn its thread: {e}"));
        let handle = match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => panic!("fake {name}: cannot start: {e}"),
            Err(_) => panic!("fake {name}: did not start within {START_TIMEOUT:?}"),
        };
        FakeServer { addr, handle, stopped, thread: Some(thread) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only reports completion.
        drop(self.handle.stop(false));
        // Never panic here (it may run during unwinding); a server that does not stop in time is
        // left to end with the test process.
        if self.stopped.recv_timeout(STOP_TIMEOUT).is_ok() {
            if let Some(thread) = self.thread.take() {
                thread.join().ok();
            }
        } else {
            eprintln!("warning: fake server on {} did not stop within {STOP_TIMEOUT:?}", self.addr);
        }
    }
}
