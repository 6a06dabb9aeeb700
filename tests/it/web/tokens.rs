//! API tokens on the profile page: a person creates a scoped token, sees it once, a script uses
//! it (and the page then shows when), and revoking it in the page refuses the script at once.

use fantoccini::Locator;
use pincer_testkit::TestServer;
use serde_json::Value;

use super::browser::{Browser, axe};

/// Brings the tokens section into view, for the screenshot.
async fn show_tokens(browser: &Browser) {
    let script = "document.getElementById('tokens-heading').scrollIntoView();";
    browser.client.execute(script, vec![]).await.unwrap();
}

async fn agents_with(server: &TestServer, token: &str) -> u16 {
    let res = server.client().get(server.url("/api/agents")).bearer_auth(token).send().await.unwrap();
    res.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_creates_uses_and_revokes_a_token_in_the_page() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/profile").await;
    browser.wait_for("section p", "No token yet").await;
    browser.fill("#token-name", "ci").await;
    browser.fill("#token-days", "30").await;
    browser.click_button("Create the token").await;
    browser.wait_for("[role=status]", "Token ci").await;
    let token = browser.client.find(Locator::Css("#token-value")).await.unwrap().prop("value").await.unwrap();
    let token = token.expect("the token is shown");
    assert!(token.starts_with("pcr_"), "{token}");
    browser.wait_for("pre.example", "Authorization: Bearer pcr_").await;
    let (_, listed) = admin.send_json("GET", "/api/tokens", Value::Null).await;
    assert_eq!(
        (&listed[0]["name"], &listed[0]["scopes"]),
        (&Value::from("ci"), &serde_json::json!(["chat", "agents:read"]))
    );

    // A script uses it; the page says it was used.
    assert_eq!(agents_with(&server, &token).await, 200);
    browser.goto("/profile").await;
    browser.wait_for(".token-list li", "ci").await;
    browser.wait_for(".token-list li", "chat, agents:read").await;
    let (_, listed) = admin.send_json("GET", "/api/tokens", Value::Null).await;
    assert!(listed[0]["lastUsedAt"].is_string(), "{listed}");
    let shown = browser.client.find(Locator::Css(".token-list li")).await.unwrap().text().await.unwrap();
    assert!(!shown.contains("last used never"), "the page shows the use: {shown}");
    show_tokens(&browser).await;
    browser.screenshot("profile-tokens-desktop-light").await;
    let mut found = axe(&browser, "/profile with tokens (light)").await;
    browser.set_theme("dark").await;
    browser.wait_for(".token-list li", "chat, agents:read").await;
    show_tokens(&browser).await;
    browser.screenshot("profile-tokens-desktop-dark").await;
    found.extend(axe(&browser, "/profile with tokens (dark)").await);
    assert!(found.is_empty(), "{found:?}");

    // Revoked in the page: the script is refused from the next request on.
    browser.client.execute("window.confirm = () => true;", vec![]).await.unwrap();
    browser.click_button("Revoke ci").await;
    browser.wait_for("section p", "No token yet").await;
    assert_eq!(agents_with(&server, &token).await, 401);
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/profile").await;
    phone.wait_for("h2", "API tokens").await;
    show_tokens(&phone).await;
    phone.screenshot("profile-tokens-phone-light").await;
    phone.set_theme("dark").await;
    phone.wait_for("h2", "API tokens").await;
    show_tokens(&phone).await;
    phone.screenshot("profile-tokens-phone-dark").await;
    phone.close().await;
}
