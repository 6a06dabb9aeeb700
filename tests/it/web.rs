//! The web app (issue #14): served by the binary under a strict policy, and its flows driven in
//! real Chromium over WebDriver (chromedriver), against the real binary. Screenshots go to
//! `<target>/web-screenshots/`.
//!
//! The browser tests need Debian's `chromium` and `chromium-driver`. Without them they print that
//! they were skipped and how to install them — unless `PINCER_REQUIRE_BROWSER=1` (CI sets it),
//! which makes a missing browser a failure.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use pincer_testkit::server::PASSWORD;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, TestServer};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};

/// How long a page may take to show what a step waits for.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn app_paths_serve_the_shell_under_a_strict_policy_and_api_paths_stay_json() {
    let server = TestServer::start().await;
    let client = server.client();
    for path in ["/", "/login", "/setup", "/chat/abc", "/admin/users", "/invite/xyz", "/profile"] {
        let res = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8", "{path}");
        let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{path}: {csp}");
        assert!(res.text().await.unwrap().contains(r#"<script type="module" src="/app/app.js">"#), "{path}");
    }
    let res = client.get(server.url("/api/no-such-thing")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "route_not_found");
    let res = client.get(server.url("/app/missing.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a missing file is not the shell");

    // A module: its type, an ETag the browser revalidates, gzip when asked for.
    let res = client.get(server.url("/app/app.js")).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()[ETAG].clone();
    let again = client.get(server.url("/app/app.js")).header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

/// Chromium and chromedriver, or `None` (after saying why) when the tests may skip.
fn browser_binaries() -> Option<(String, String)> {
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
struct Browser {
    client: Client,
    _driver: tokio::process::Child,
    base: String,
}

impl Browser {
    async fn open(server: &TestServer, width: u32) -> Option<Browser> {
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
    async fn sign_in(&self, email: &str) {
        self.goto("/login").await;
        self.wait_for("h1", "Sign in to Pincer").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click_button("Sign in").await;
        self.wait_for("h1", "Agents").await;
    }

    async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits until an element matching `css` shows `text` (or exists, for an empty `text`).
    async fn wait_for(&self, css: &str, text: &str) {
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

    async fn url(&self) -> String {
        self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default()
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn click_button(&self, text: &str) {
        let xpath = format!("//button[contains(normalize-space(.), '{text}')]");
        self.client.find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
    }

    /// Saves a screenshot as `<target>/web-screenshots/<name>.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn set_theme(&self, theme: &str) {
        self.client
            .execute(&format!("localStorage.setItem('pincer.theme', '{theme}'); location.reload();"), vec![])
            .await
            .unwrap();
    }

    async fn close(self) {
        self.client.close().await.ok();
    }
}

fn screenshot_dir() -> std::path::PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    std::path::PathBuf::from(target).join("web-screenshots")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// First start in a browser: the wizard creates the admin (signed in at once), checks the
/// provider live (the provider's refusal shown, then its key accepted), creates the first agent
/// from a template with the provider's model, and lands on the agents page; sign-out and sign-in
/// work; `/setup` afterwards goes to the app.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_wizard_then_sign_out_and_in() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let server = TestServer::builder()
        .env(&FakeKind::Anthropic.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .start()
        .await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.goto("/").await;
    browser.wait_for("h1", "Set up Pincer").await;
    assert!(browser.url().await.ends_with("/setup"), "a fresh server sends everyone to the wizard");
    browser.screenshot("setup-admin-desktop-light").await;

    // A weak password: the server's own message, and nothing typed is lost.
    browser.fill("#name", "Ada Admin").await;
    browser.fill("#email", "ada@example.com").await;
    browser.fill("#password", "password").await;
    browser.click_button("Create the admin account").await;
    browser.wait_for("[role=alert]", "").await;
    let name = browser.client.find(Locator::Css("#name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("Ada Admin"), "the form keeps what was typed");

    browser.fill("#password", PASSWORD).await;
    browser.click_button("Create the admin account").await;
    browser.wait_for("h2", "A model provider").await;
    // The provider refuses the key: its refusal is shown, nothing is stored, the key stays typed.
    fake.set_behaviour(Behaviour::RejectEveryKey);
    browser.fill("#api-key", fake.api_key().unwrap()).await;
    browser.click_button("Check and save").await;
    browser.wait_for("[role=alert]", "").await;
    browser.screenshot("setup-provider-refused-desktop-light").await;
    fake.set_behaviour(Behaviour::Normal);
    browser.click_button("Check and save").await;
    browser.wait_for("h2", "Your first agent").await;
    browser.wait_for("label.choice", "Knowledge Base").await;
    browser.fill("#agent-name", "HR Helper").await;
    browser.click_button("Create the agent").await;
    browser.wait_for("h1", "Agents").await;
    browser.wait_for(".agents h2", "HR Helper").await;
    browser.wait_for(".agents .meta", "Model: anthropic/").await;
    browser.screenshot("agents-desktop-light").await;

    // The server agrees: the admin exists and the agent was created by them.
    let admin = server.login("ada@example.com", PASSWORD).await;
    let (_, agents) = admin.send_json("GET", "/api/agents", Value::Null).await;
    assert!(agents.as_array().unwrap().iter().any(|a| a["name"] == "HR Helper"), "{agents}");

    browser.click_button("Sign out").await;
    browser.wait_for("h1", "Sign in to Pincer").await;
    browser.fill("#email", "ada@example.com").await;
    browser.fill("#password", "not the password").await;
    browser.click_button("Sign in").await;
    browser.wait_for("[role=alert]", "").await;
    browser.screenshot("login-error-desktop-light").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for(".agents h2", "HR Helper").await;

    browser.goto("/setup").await;
    browser.wait_for("h1", "Agents").await;
    assert!(!browser.url().await.ends_with("/setup"), "after setup, /setup leads to the app");

    browser.set_theme("dark").await;
    browser.wait_for("h1", "Agents").await;
    browser.screenshot("agents-desktop-dark").await;
    browser.close().await;
}

/// A member sees the agents but no admin screens; a direct `/admin/...` URL shows a not-allowed
/// page. On a phone-sized window.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_is_not_allowed_on_admin_pages() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    server.create_member(&admin, "m@example.com").await;
    let Some(browser) = Browser::open(&server, 390).await else { return };
    browser.goto("/admin/users").await;
    browser.wait_for("h1", "Sign in to Pincer").await;
    browser.screenshot("login-phone-light").await;
    browser.fill("#email", "m@example.com").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for("h1", "Agents").await;
    browser.goto("/admin/users").await;
    browser.wait_for("h1", "Not allowed").await;
    browser.screenshot("not-allowed-phone-light").await;
    browser.set_theme("dark").await;
    browser.wait_for("h1", "Not allowed").await;
    browser.screenshot("not-allowed-phone-dark").await;
    browser.close().await;
}

/// An invite link opened in a fresh browser: a bogus link is refused with a clear message; the
/// real one creates the account; the new member signs in and renames themselves on the profile
/// page, and the server agrees.
#[tokio::test(flavor = "multi_thread")]
async fn an_invite_is_claimed_in_the_browser_and_the_profile_saves() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (status, invite) =
        admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": "kim@example.com"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let token = invite["token"].as_str().unwrap();
    let Some(browser) = Browser::open(&server, 1280).await else { return };

    browser.goto("/invite/not-a-real-token").await;
    browser.wait_for("h1", "Join Pincer").await;
    browser.fill("#name", "Kim").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Save").await;
    browser.wait_for("[role=alert]", "unknown, has expired or was already used").await;

    browser.goto(&format!("/invite/{token}")).await;
    browser.wait_for("h1", "Join Pincer").await;
    browser.fill("#name", "Kim").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Save").await;
    browser.wait_for("h1", "You are all set").await;
    browser.click_button("Sign in").await;
    browser.wait_for("h1", "Sign in to Pincer").await;
    browser.fill("#email", "kim@example.com").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for("h1", "Agents").await;

    browser.goto("/profile").await;
    browser.wait_for("h1", "Your profile").await;
    browser.wait_for(".who", "Kim").await;
    browser.fill("#profile-name", "Kim Lee").await;
    browser.click_button("Save the name").await;
    browser.wait_for("[role=status]", "Saved.").await;
    browser.wait_for(".who", "Kim Lee").await;
    browser.screenshot("profile-desktop-light").await;
    let kim = server.login("kim@example.com", PASSWORD).await;
    let (_, me) = kim.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(me["name"], "Kim Lee");
    browser.close().await;
}

/// Chat in the browser: a streamed answer rendered as Markdown, with everything dangerous in it
/// inert — raw HTML shown as text (no `<img>` or `<script>` element, nothing run), a
/// `javascript:` link without a target — and the stored history shown again after a reload.
#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_safe_markdown_and_the_history_comes_back() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.wait_for(".agents h2", "HR").await;

    p.fake.push_reply(FakeReply::text(&[
        "Hello **world**.\n\n",
        "<img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script>\n\n",
        "[click me](javascript:window.__pwned=3) and [docs](https://example.com/docs)",
    ]));
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("h1", "HR").await;
    browser.fill("#message", "Say hello").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant strong", "world").await;
    browser.wait_for(".msg.assistant a", "docs").await;
    browser.screenshot("chat-desktop-light").await;

    let inert = browser
        .client
        .execute(
            "const m = document.querySelector('.messages');
             const link = [...m.querySelectorAll('a')].find(a => a.textContent === 'click me');
             return {
               pwned: window.__pwned ?? null,
               img: m.querySelectorAll('img').length,
               script: m.querySelectorAll('script').length,
               shownAsText: m.textContent.includes('<img src=x'),
               jsHref: link ? link.getAttribute('href') : 'no link',
               docsRel: m.querySelector('a[href=\"https://example.com/docs\"]')?.getAttribute('rel'),
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inert["pwned"], Value::Null, "no script ran: {inert}");
    assert_eq!((inert["img"].as_u64(), inert["script"].as_u64()), (Some(0), Some(0)), "{inert}");
    assert_eq!(inert["shownAsText"], true, "raw HTML is shown as text: {inert}");
    assert!(inert["jsHref"].is_null() || inert["jsHref"] == "no link", "a javascript: link has no target: {inert}");
    assert_eq!(inert["docsRel"], "noopener noreferrer", "{inert}");

    // A reload shows the stored conversation.
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for(".msg.user", "Say hello").await;
    browser.wait_for(".msg.assistant strong", "world").await;
    browser.close().await;
}

/// Admin pages: invite someone (the link shown once), change a member's role (the server
/// agrees), then the audit log lists what happened, its integrity check says intact, and after a
/// row is edited behind the application's back it says broken and names the row.
#[tokio::test(flavor = "multi_thread")]
async fn admins_manage_users_and_check_the_audit_log() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/users").await;
    browser.wait_for("td", "m@example.com").await;
    browser.fill("#invite-email", "new@example.com").await;
    browser.click_button("Create the invite link").await;
    browser.wait_for("[role=status]", "shown only now").await;
    let link = browser.client.find(Locator::Css("#one-time-link")).await.unwrap().prop("value").await.unwrap();
    assert!(link.is_some_and(|l| l.contains("/invite/")), "the invite link is shown");
    browser.wait_for("li", "new@example.com").await;
    let role = browser.client.find(Locator::Css(&format!("#role-{member_id}"))).await.unwrap();
    role.select_by_value("admin").await.unwrap();
    let mut promoted = false;
    for _ in 0..100 {
        let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
        if users["users"].as_array().unwrap().iter().any(|u| u["id"] == member_id.as_str() && u["role"] == "admin") {
            promoted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(promoted, "the role change reached the server");
    browser.screenshot("admin-users-desktop-light").await;

    browser.goto("/admin/audit").await;
    browser.wait_for("td", "user.role_updated").await;
    browser.click_button("Check integrity").await;
    browser.wait_for("[role=status]", "The log is intact").await;
    browser.screenshot("admin-audit-desktop-light").await;

    crate::support::execute(server.database(), "UPDATE audit_log SET detail = '{}' WHERE id = 2");
    browser.click_button("Check integrity").await;
    browser.wait_for("[role=alert]", "Edited entries: 2").await;
    browser.set_theme("dark").await;
    browser.wait_for("td", "user.role_updated").await;
    browser.screenshot("admin-audit-desktop-dark").await;
    browser.close().await;
}

/// Admin pages for agents and providers: the provider configured is listed as the default; a new
/// agent is created from a template, given a model and a granted folder in the browser, and the
/// server stores exactly that.
#[tokio::test(flavor = "multi_thread")]
async fn admins_create_and_configure_an_agent_in_the_browser() {
    let p = crate::chat_errors::with_openai().await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/providers").await;
    browser.wait_for(".agents h2", "openai").await;
    browser.wait_for(".agents .tag", "default").await;

    browser.goto("/admin/agents").await;
    browser.wait_for("h2", "New agent").await;
    browser.fill("#new-agent-name", "Payroll").await;
    browser.click_button("Create the agent").await;
    browser.wait_for(".agent-editor h2", "Payroll").await;
    let (_, agents) = p.admin.send_json("GET", "/api/agents", Value::Null).await;
    let id =
        agents.as_array().unwrap().iter().find(|a| a["name"] == "Payroll").unwrap()["id"].as_str().unwrap().to_string();

    let form = format!("form[aria-labelledby='agent-{id}-title']");
    let folder = browser
        .client
        .find(Locator::XPath(&format!("//form[@aria-labelledby='agent-{id}-title']//label[contains(., 'hr')]/input")))
        .await
        .unwrap();
    folder.click().await.unwrap();
    browser.fill(&format!("#agent-{id}-tagline"), "Salaries and payslips").await;
    browser.client.find(Locator::Css(&format!("{form} button[type=submit]"))).await.unwrap().click().await.unwrap();
    browser.wait_for(&format!("{form} [role=status]"), "Saved.").await;
    browser.screenshot("admin-agents-desktop-light").await;

    let (_, agent) = p.admin.send_json("GET", &format!("/api/agents/{id}"), Value::Null).await;
    assert_eq!(agent["tagline"], "Salaries and payslips", "{agent}");
    assert_eq!(agent["pluginConfig"]["allowed_paths"], json!([p.hr]), "{agent}");
    assert!(agent["model"].as_str().is_some_and(|m| m.starts_with("openai/")), "{agent}");
    browser.close().await;
}

/// Accessibility: axe-core finds no serious or critical violation on the setup, sign-in, agents,
/// chat and audit pages, in the light and the dark theme.
#[tokio::test(flavor = "multi_thread")]
async fn axe_finds_no_serious_violations_on_the_main_pages() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let fresh = TestServer::start().await;
    let Some(browser) = Browser::open(&fresh, 1280).await else { return };
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        browser.goto("/setup").await;
        browser.set_theme(theme).await;
        browser.wait_for("h1", "Set up Pincer").await;
        found.extend(axe(&browser, &format!("setup ({theme})")).await);
    }
    browser.close().await;

    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.goto("/login").await;
    for theme in ["light", "dark"] {
        browser.set_theme(theme).await;
        browser.wait_for("h1", "Sign in to Pincer").await;
        found.extend(axe(&browser, &format!("login ({theme})")).await);
    }
    browser.fill("#email", "admin@example.com").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for("h1", "Agents").await;
    let pages = [("/", "h1", "Agents"), (&*format!("/chat/{agent}"), "h1", "HR"), ("/admin/audit", "td", "auth.login")];
    for theme in ["light", "dark"] {
        for (path, css, text) in pages {
            browser.goto(path).await;
            browser.set_theme(theme).await;
            browser.wait_for(css, text).await;
            found.extend(axe(&browser, &format!("{path} ({theme})")).await);
        }
    }
    browser.close().await;
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
}

/// Runs axe-core on the page; returns each serious or critical violation as a line.
async fn axe(browser: &Browser, page: &str) -> Vec<String> {
    const AXE: &str = include_str!("../assets/axe-core/axe.min.js");
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

/// Admin settings: the organisation context saves, and a secret setting is shown masked after it
/// is stored — the browser never gets it back.
#[tokio::test(flavor = "multi_thread")]
async fn admins_edit_the_organisation_context_and_secrets_stay_masked() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;

    browser.goto("/admin/settings").await;
    browser.wait_for("h2", "About the organisation").await;
    browser.fill("#org-context", "Acme makes anvils.").await;
    browser.click_button("Save").await;
    browser.wait_for("[role=status]", "Saved.").await;
    let (_, context) = admin.send_json("GET", "/api/settings/context", Value::Null).await;
    assert_eq!(context["content"], "Acme makes anvils.");

    browser.fill("#setting-key", "webhook_token").await;
    browser.fill("#setting-value", "very-secret-value").await;
    browser.click_button("Save the setting").await;
    browser.wait_for("li", "webhook_token").await;
    let page = browser.client.source().await.unwrap();
    assert!(!page.contains("very-secret-value"), "a secret never comes back to the browser");
    browser.screenshot("admin-settings-desktop-light").await;
    browser.close().await;
}

/// A reload in the middle of a streamed answer: the page comes back with the text so far and the
/// rest streams in (the server resumes the run for the new socket). Then a run that hangs is
/// stopped with the Stop button and shows as stopped.
#[tokio::test(flavor = "multi_thread")]
async fn a_reload_mid_stream_resumes_and_stop_ends_a_run() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("h1", "HR").await;

    let words: Vec<String> = (1..=12).map(|n| format!("w{n} ")).collect();
    let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
    p.fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(300)));
    p.fake.push_reply(FakeReply::text(&pieces));
    browser.fill("#message", "Count slowly").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant", "w2").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for(".msg.user", "Count slowly").await;
    browser.wait_for(".msg.assistant", "w12").await;
    browser.wait_for("button", "Send").await;
    let text = browser.client.find(Locator::Css(".msg.assistant:last-child")).await.unwrap().text().await.unwrap();
    assert_eq!(text.trim(), words.concat().trim(), "every piece once, in order, across the reload");

    p.fake.set_behaviour(Behaviour::HoldAfter(2));
    p.fake.push_reply(FakeReply::text(&["Half ", "an answer"]));
    browser.fill("#message", "Take forever").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant:last-child", "Half").await;
    browser.click_button("Stop").await;
    browser.wait_for(".msg.assistant:last-child .meta", "Stopped.").await;
    browser.wait_for("button", "Send").await;
    browser.screenshot("chat-stopped-desktop-light").await;
    browser.close().await;
}

/// A second browser of the same user, opened on the chat while an answer streams, follows the
/// same run to its end.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_browser_follows_the_same_run() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(first) = Browser::open(&p.server, 1280).await else { return };
    let Some(second) = Browser::open(&p.server, 390).await else { return };
    for browser in [&first, &second] {
        browser.sign_in("admin@example.com").await;
    }
    first.goto(&format!("/chat/{agent}")).await;
    first.wait_for("h1", "HR").await;
    p.fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(250)));
    p.fake.push_reply(FakeReply::text(&["one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight"]));
    first.fill("#message", "Count").await;
    first.click_button("Send").await;
    first.wait_for(".msg.assistant", "one").await;

    second.goto(&format!("/chat/{agent}")).await;
    second.wait_for(".msg.user", "Count").await;
    second.wait_for(".msg.assistant", "eight").await;
    first.wait_for(".msg.assistant", "eight").await;
    second.wait_for("button", "Send").await;
    second.screenshot("chat-second-tab-phone-light").await;
    first.close().await;
    second.close().await;
}
