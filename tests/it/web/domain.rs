//! The domain lock on the settings page: reached through `localhost`, the page offers that name;
//! a lock to another name is refused with the server's reason, a lock to this one holds, and the
//! server then refuses requests addressed to any other host.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use serde_json::Value;

use super::browser::{Browser, axe};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_locks_pincer_to_the_domain_of_the_page() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    // The same server under a name rather than an address.
    let named = server.base_url().replace("127.0.0.1", "localhost");

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.client.goto(&format!("{named}/login")).await.unwrap();
    browser.wait_for("h1", "Sign in to Pincer").await;
    browser.fill("#email", "admin@example.com").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.wait_for("h1", "Agents").await;
    browser.client.goto(&format!("{named}/admin/settings")).await.unwrap();
    browser.wait_for("#domain-heading + p, section p", "Not locked").await;
    let offered = browser.client.execute("return document.getElementById('locked-domain').value;", vec![]).await;
    assert_eq!(offered.unwrap(), Value::from("localhost"), "the page offers the name it was reached through");

    browser.fill("#locked-domain", "pincer.example.com").await;
    browser.click_button("Lock to this domain").await;
    browser.wait_for("[role=alert]", "reached through (localhost)").await;
    browser.client.execute("document.getElementById('domain-heading').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("admin-settings-domain-desktop-light").await;
    let mut found = axe(&browser, "/admin/settings (light)").await;

    browser.fill("#locked-domain", "localhost").await;
    browser.click_button("Lock to this domain").await;
    browser.wait_for("[role=status]", "Locked to localhost").await;
    let (status, _) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(status.as_u16(), 421, "the address is refused now");
    browser.set_theme("dark").await;
    browser.wait_for("[role=status]", "Locked to localhost").await;
    browser.client.execute("document.getElementById('domain-heading').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("admin-settings-domain-desktop-dark").await;
    found.extend(axe(&browser, "/admin/settings locked (dark)").await);
    assert!(found.is_empty(), "{found:?}");
    browser.close().await;
}
