//! First start, sign-in, invites and the profile in the browser; members and admin pages.

use fantoccini::Locator;
use pincer_testkit::server::PASSWORD;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::browser::Browser;

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
