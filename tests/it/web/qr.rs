//! Sign-in by QR code in the browser: the profile shows the code, and another device that opens
//! the link signs in with one button and lands in the app as that person.

use fantoccini::Locator;
use pincer_testkit::TestServer;
use serde_json::Value;

use super::browser::{Browser, axe};

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_opens_the_link_and_is_signed_in() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    let Some(desk) = Browser::open(&server, 1280).await else { return };
    desk.sign_in("admin@example.com").await;
    desk.goto("/profile").await;
    desk.wait_for("h2", "Sign in on your phone").await;
    desk.click_button("Show a sign-in QR code").await;
    let drawn = "const img = document.querySelector('img.qr'); return !!img && img.complete && img.naturalWidth > 0;";
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while desk.client.execute(drawn, vec![]).await.unwrap() != Value::Bool(true) {
        assert!(tokio::time::Instant::now() < deadline, "the QR code was not drawn");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    desk.client.execute("document.getElementById('qr-heading').scrollIntoView();", vec![]).await.unwrap();
    desk.screenshot("profile-qr-desktop-light").await;
    let found = axe(&desk, "/profile with a QR code").await;
    assert!(found.is_empty(), "{found:?}");
    desk.close().await;

    // The link the code holds, as another device opens it.
    let (_, link) = admin.send_json("GET", "/api/qr?format=json", Value::Null).await;
    let url = link["url"].as_str().unwrap();
    let path = &url[server.base_url().len()..];
    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.goto(path).await;
    phone.wait_for("h1", "Sign in on this device").await;
    phone.screenshot("login-qr-phone-light").await;
    let found = axe(&phone, "/login/qr").await;
    assert!(found.is_empty(), "{found:?}");
    phone.set_theme("dark").await;
    phone.wait_for("h1", "Sign in on this device").await;
    phone.screenshot("login-qr-phone-dark").await;
    phone.click_button("Sign in on this device").await;
    phone.wait_for("h1", "Agents").await;
    let me = phone.client.find(Locator::Css("header")).await.unwrap().text().await.unwrap();
    assert!(me.contains("Admin"), "signed in as the admin: {me}");

    // Used once: opening it again does not sign anyone in.
    let Some(other) = Browser::open(&server, 390).await else { return };
    other.goto(path).await;
    other.wait_for("h1", "Sign in on this device").await;
    other.click_button("Sign in on this device").await;
    other.wait_for("[role=alert]", "invalid or expired").await;
    other.close().await;
    phone.close().await;
}
