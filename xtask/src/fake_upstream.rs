//! A fake upstream for the commands that drive the real binary (the chat benchmark's provider,
//! the fuzzer's model list): an actix server on its own thread and runtime, on a free loopback
//! port, stopped when dropped.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::{App, HttpServer, web};

pub struct FakeUpstream {
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeUpstream {
    /// Serves the routes `configure` registers, with `workers` worker threads.
    pub fn start<C>(name: &str, workers: usize, configure: C) -> Result<FakeUpstream, String>
    where
        C: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("{name}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("{name}: {e}"))?;
        let (ready, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().configure(configure.clone()))
                    .workers(workers)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        ready.send(Ok(server.handle())).ok();
                        server.await.ok();
                    }
                    Err(e) => {
                        ready.send(Err(e.to_string())).ok();
                    }
                }
            });
        });
        let handle = handle_rx.recv_timeout(Duration::from_secs(10)).map_err(|_| format!("{name} did not start"))??;
        Ok(FakeUpstream { addr, handle, thread: Some(thread) })
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}
