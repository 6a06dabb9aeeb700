//! The real `pincer` binary as a child process on an ephemeral port, with its own data directory
//! and database, and HTTP clients that behave like a browser on the same origin.
//!
//! Setup failures panic with the reason: a test cannot go on without its server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::TestDatabase;

const READY_LINE: &str = "pincer listening on ";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// A hung server fails the test instead of hanging it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The password every helper-created account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Where the binary under test is: `PINCER_BIN`, else next to the test executable's `deps/`.
pub fn binary_path() -> PathBuf {
    if let Some(bin) = std::env::var_os("PINCER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("cannot locate the test executable: {e}"));
    let candidate = exe.parent().and_then(Path::parent).map(|dir| dir.join("pincer"));
    match candidate {
        Some(path) if path.is_file() => path,
        _ => panic!("the pincer binary was not found: run `cargo build -p pincer-server` (or `cargo xtask test`)"),
    }
}

/// Options for a server: extra environment, or an existing data directory and database (restart).
#[derive(Default)]
pub struct TestServerBuilder {
    env: Vec<(String, String)>,
    data_dir: Option<Arc<tempfile::TempDir>>,
    database: Option<Arc<TestDatabase>>,
}

impl TestServerBuilder {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Another replica of `server`: the same database, its own data directory (give both the
    /// same `PINCER_ENCRYPTION_KEY` and `PINCER_AUDIT_KEY`, as replicas share their keys).
    pub fn replica_of(mut self, server: &TestServer) -> Self {
        self.database = Some(server.database.clone());
        self
    }

    pub async fn start(self) -> TestServer {
        let data_dir = self.data_dir.unwrap_or_else(|| {
            Arc::new(
                tempfile::Builder::new()
                    .prefix("pincer-data-")
                    .tempdir()
                    .unwrap_or_else(|e| panic!("cannot create a data directory: {e}")),
            )
        });
        let database = self.database.unwrap_or_else(|| Arc::new(TestDatabase::from_env()));
        let mut server = TestServer {
            child: None,
            readers: Vec::new(),
            base: String::new(),
            logs: Arc::default(),
            data_dir,
            database,
            env: self.env,
        };
        server.spawn().await;
        server
    }
}

/// A running `pincer serve`. Dropping it kills the process.
pub struct TestServer {
    child: Option<Child>,
    /// The threads copying the child's stdout and stderr into `logs`; they end at its exit.
    readers: Vec<std::thread::JoinHandle<()>>,
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
    data_dir: Arc<tempfile::TempDir>,
    database: Arc<TestDatabase>,
    env: Vec<(String, String)>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::builder().start().await
    }

    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    async fn spawn(&mut self) {
        let mut cmd = Command::new(binary_path());
        // The child sees only the configuration given here, never the caller's PINCER_* variables.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PINCER_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg("serve")
            .env("PINCER_BIND", "127.0.0.1:0")
            .env("PINCER_DATA_DIR", self.data_dir.path())
            .env("PINCER_DATABASE_URL", self.database.url())
            .env("PINCER_LOG", "info")
            .env("PINCER_LOG_FORMAT", "text")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start pincer: {e}"));
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let logs = self.logs.clone();
            let ready_tx = ready_tx.clone();
            self.readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix(READY_LINE) {
                        ready_tx.send(url.trim().to_string()).ok();
                    }
                    if let Ok(mut logs) = logs.lock() {
                        logs.push(line);
                    }
                }
            }));
        }
        drop(ready_tx);
        self.child = Some(child);
        let waited = tokio::task::spawn_blocking(move || ready_rx.recv_timeout(START_TIMEOUT)).await;
        match waited {
            Ok(Ok(url)) => self.base = url,
            _ => panic!("pincer did not start within {START_TIMEOUT:?}; output:\n{}", self.logs()),
        }
    }

    /// The server process's id, while it runs (to signal it without waiting).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap_or_else(|| panic!("the server is not running"));
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "could not send SIGTERM to {pid}");
        let waited = tokio::task::spawn_blocking(move || {
            let deadline = std::time::Instant::now() + STOP_TIMEOUT;
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => return Some(status),
                    Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                    _ => {
                        child.kill().ok();
                        return None;
                    }
                }
            }
        })
        .await;
        match waited {
            Ok(Some(status)) => {
                // The pipes are closed now: wait for the last lines (e.g. "stopped") to reach `logs`.
                for reader in self.readers.drain(..) {
                    reader.join().ok();
                }
                status
            }
            _ => panic!("pincer did not stop within {STOP_TIMEOUT:?} of SIGTERM"),
        }
    }

    /// Stops the server and starts it again on the same data directory and database.
    pub async fn restart(&mut self) {
        let status = self.stop().await;
        assert!(status.success(), "pincer exited with {status} on SIGTERM; output:\n{}", self.logs());
        self.spawn().await;
    }

    /// Starts the server again after [`TestServer::stop`], on the same data directory and
    /// database (a test may change files in between, as an operator would).
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.spawn().await;
    }

    /// Sets (or, with `None`, removes) a variable of the server's environment from the next
    /// (re)start on: a restart with another configuration.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.env.push((key.to_string(), value.to_string()));
        }
    }

    /// Kills the process without warning (SIGKILL, like a crash or a power cut: nothing is
    /// flushed or marked) and leaves it stopped.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().unwrap_or_else(|| panic!("the server is not running"));
        let readers: Vec<_> = self.readers.drain(..).collect();
        tokio::task::spawn_blocking(move || {
            child.kill().ok();
            child.wait().ok();
            for reader in readers {
                reader.join().ok();
            }
        })
        .await
        .ok();
    }

    /// Kills the process without warning (SIGKILL, like a crash or a power cut: nothing is
    /// flushed or marked) and starts it again on the same data directory and database.
    pub async fn crash_and_restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Everything the process printed so far (stdout and stderr).
    pub fn logs(&self) -> String {
        self.logs.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// A client with no cookie store and no Origin header: a script, not a browser.
    pub fn client(&self) -> reqwest::Client {
        pincer_outbound::client_builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("cannot build a client: {e}"))
    }

    /// A fresh browser on this server's origin, logged in as nobody.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Completes setup and returns the admin's browser (email `admin@example.com`).
    pub async fn setup_admin(&self) -> Browser {
        let browser = self.browser();
        let res = browser
            .post("/api/setup", json!({"name": "Admin", "email": "admin@example.com", "password": PASSWORD}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "setup failed: {}", res.text().await.unwrap_or_default());
        browser
    }

    /// Logs in with email and password; panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str) -> Browser {
        let browser = self.browser();
        let res = browser.post("/api/auth/login", json!({"email": email, "password": password})).await;
        assert_eq!(res.status(), StatusCode::OK, "login failed: {}", res.text().await.unwrap_or_default());
        browser
    }

    /// Invites `email` with `role`, claims the invite and logs the new account in.
    pub async fn create_user(&self, admin: &Browser, email: &str, role: &str) -> (String, Browser) {
        let (status, invite) =
            admin.send_json("POST", "/api/users/invite", json!({"role": role, "email": email})).await;
        assert_eq!(status, StatusCode::CREATED, "invite failed: {invite}");
        let token = invite["token"].as_str().unwrap_or_default();
        let (status, body) = self
            .browser()
            .send_json("POST", "/api/invite/claim", json!({"token": token, "name": email, "password": PASSWORD}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "claim failed: {body}");
        let browser = self.login(email, PASSWORD).await;
        let (_, me) = browser.send_json("GET", "/api/auth/me", Value::Null).await;
        (me["id"].as_str().unwrap_or_default().to_string(), browser)
    }

    /// A member account, logged in.
    pub async fn create_member(&self, admin: &Browser, email: &str) -> (String, Browser) {
        self.create_user(admin, email, "member").await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// A cookie-keeping client that sends `Origin: <server>` like a same-origin page would.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut headers = HeaderMap::new();
        if let Ok(origin) = HeaderValue::from_str(base) {
            headers.insert("Origin", origin);
        }
        let client = pincer_outbound::client_builder()
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("cannot build a client: {e}"));
        Browser { client, jar, base: base.to_string() }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The value of the `pincer_session` cookie, if logged in.
    pub fn session_token(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix("pincer_session=").map(str::to_string))
            .filter(|v| !v.is_empty())
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client.post(self.url(path)).json(&body).send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Sends `body` as JSON (none for `Value::Null`) and returns the status and the parsed body
    /// (`Value::Null` when it is not JSON).
    pub async fn send_json(&self, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("bad method: {e}"));
        let mut req = self.client.request(method.clone(), self.url(path));
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
