//! Remote access on the settings page: an admin starts a tunnel (a stand-in `cloudflared`), the
//! page shows its public address once it is known, and stops it.

use pincer_testkit::TestServer;
use serde_json::Value;

use super::browser::{Browser, axe};
use crate::remote::{URL, fake_cloudflared};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_starts_and_stops_a_tunnel_in_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_cloudflared(dir.path());
    let server = TestServer::builder().env("PINCER_CLOUDFLARED", fake.to_str().unwrap()).start().await;
    let admin = server.setup_admin().await;

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/settings").await;
    browser.wait_for("[role=status]", "Tunnel: stopped").await;
    browser.click_button("Start a tunnel").await;
    // The stand-in dies once and is started again; the page keeps asking until it runs.
    browser.wait_for("[role=status]", URL).await;
    browser.wait_for("[role=status]", "running").await;
    browser.client.execute("document.getElementById('remote-heading').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("admin-settings-remote-desktop-light").await;
    let mut found = axe(&browser, "/admin/settings with a tunnel (light)").await;
    browser.set_theme("dark").await;
    browser.wait_for("[role=status]", URL).await;
    browser.client.execute("document.getElementById('remote-heading').scrollIntoView();", vec![]).await.unwrap();
    browser.screenshot("admin-settings-remote-desktop-dark").await;
    found.extend(axe(&browser, "/admin/settings with a tunnel (dark)").await);
    assert!(found.is_empty(), "{found:?}");

    browser.click_button("Stop the tunnel").await;
    browser.wait_for("[role=status]", "Tunnel: stopped").await;
    let (_, status) = admin.send_json("GET", "/api/remote/status", Value::Null).await;
    assert_eq!(status["state"], "stopped");
    browser.close().await;
}
