//! A headless Chromium session driven over WebDriver (fantoccini and chromedriver), and the
//! steps the browser tests are written in.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use serde_json::json;

/// How long a page may take to show what a step waits for.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Chromium and chromedriver, or `None` (after saying why) when the tests may skip.
pub fn browser_binaries() -> Option<(String, String)> {
    let chromium = std::env::var("PINCER_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = std::env::var("PINCER_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    if std::path::Path::new(&chromium).is_file() && std::path::Path::new(&driver).is_file() {
        return Some((chromium, driver));
    }
    let message = format!(
        "browser tests need Chromium at {chromium} and chromedriver at {driver}: \
         apt-get install chromium chromium-driver (or set PINCER_CHROMIUM / PINCER_CHROMEDRIVER)"
    );
    assert!(std::env::var("PINCER_REQUIRE_BROWSER").is_err(), "{message}");
    eprintln!("skipped: {message}");
    None
}

/// A headless Chromium session driven through its own chromedriver.
pub struct Browser {
    pub client: Client,
    _driver: tokio::process::Child,
    base: String,
}

impl Browser {
    pub async fn open(server: &TestServer, width: u32) -> Option<Browser> {
        let (chromium, driver) = browser_binaries()?;
        let port = free_port();
        let child = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},900"), "--hide-scrollbars"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver did not accept a session");
        Some(Browser { client, _driver: child, base: server.base_url().to_string() })
    }

    /// Signs in through the sign-in page with the test password and waits for the agents page.
    pub async fn sign_in(&self, email: &str) {
        self.goto("/login").await;
        self.wait_for("h1", "Sign in to Pincer").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click_button("Sign in").await;
        self.wait_for("h1", "Agents").await;
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits until an element matching `css` shows `text` (or exists, for an empty `text`).
    pub async fn wait_for(&self, css: &str, text: &str) {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for element in elements {
                    if element.text().await.is_ok_and(|t| t.contains(text)) {
                        return;
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "no {css} showing {text:?} on {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        while self.client.find_all(Locator::Css(css)).await.map_or(true, |found| !found.is_empty()) {
            assert!(tokio::time::Instant::now() < deadline, "{css} is still shown on {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[contains(normalize-space(.), '{text}')]");
        self.client.find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
    }

    /// Saves a screenshot as `<target>/web-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn set_theme(&self, theme: &str) {
        self.client
            .execute(&format!("localStorage.setItem('pincer.theme', '{theme}'); location.reload();"), vec![])
            .await
            .unwrap();
    }

    pub async fn close(self) {
        self.client.close().await.ok();
    }
}

pub fn screenshot_dir() -> std::path::PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    std::path::PathBuf::from(target).join("web-screenshots")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs axe-core on the page; returns each serious or critical violation as a line.
pub async fn axe(browser: &Browser, page: &str) -> Vec<String> {
    const AXE: &str = include_str!("../../assets/axe-core/axe.min.js");
    browser.client.execute(AXE, vec![]).await.unwrap();
    let result = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    result.as_array().unwrap().iter().map(|v| format!("{page}: {}", v.as_str().unwrap_or_default())).collect()
}
