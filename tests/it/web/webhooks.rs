//! The webhooks page: an admin creates a webhook for an agent, sees its secret once with a
//! signed example, a sender's delivery shows up with the agent's answer, and a new secret and the
//! removal are the server's too.

use std::time::{SystemTime, UNIX_EPOCH};

use fantoccini::Locator;
use pincer_channels::webhooks::proof::standard_signature;
use pincer_testkit::FakeReply;
use serde_json::Value;

use super::browser::{Browser, axe};
use crate::chat_errors::{shared_agent, with_openai};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_creates_a_webhook_and_sees_its_deliveries() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;

    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/webhooks").await;
    browser.wait_for("p", "No webhook yet").await;
    browser.fill("#webhook-name", "build-bot").await;
    browser.client.find(Locator::Css("#webhook-agent")).await.unwrap().select_by_value(&agent).await.unwrap();
    browser.fill("#webhook-description", "Tells us about builds").await;
    browser.click_button("Create webhook").await;
    browser.wait_for("[role=status]", "Secret of build-bot").await;
    let secret = browser.client.find(Locator::Css("#webhook-secret")).await.unwrap().prop("value").await.unwrap();
    let secret = secret.expect("the secret is shown");
    assert!(secret.starts_with("whsec_"), "{secret}");
    browser.wait_for("pre.example", "webhook-signature: v1,").await;
    let (_, slots) = p.admin.send_json("GET", "/api/webhooks", Value::Null).await;
    assert_eq!((&slots[0]["name"], &slots[0]["agentId"]), (&Value::from("build-bot"), &Value::from(agent.as_str())));

    // A sender delivers; the page shows the delivery with the agent's answer.
    p.fake.push_reply(FakeReply::text(&["Build 7 ", "passed."]));
    let body = br#"{"message":"Build 7 finished"}"#;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    let signature = standard_signature(&secret, "msg_build_7", &now, body).unwrap();
    let res = p
        .server
        .client()
        .post(p.server.url("/webhook/inbound/build-bot?wait=true"))
        .header("webhook-id", "msg_build_7")
        .header("webhook-timestamp", &now)
        .header("webhook-signature", format!("v1,{signature}"))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    browser.goto("/admin/webhooks").await;
    browser.wait_for("td", "Build 7 passed.").await;
    browser.wait_for("td", "done").await;
    browser.screenshot("admin-webhooks-desktop-light").await;
    let mut found = axe(&browser, "/admin/webhooks (light)").await;
    browser.set_theme("dark").await;
    browser.wait_for("td", "Build 7 passed.").await;
    browser.screenshot("admin-webhooks-desktop-dark").await;
    found.extend(axe(&browser, "/admin/webhooks (dark)").await);
    assert!(found.is_empty(), "{found:?}");

    // A new secret (confirmed), then the removal.
    browser.client.execute("window.confirm = () => true;", vec![]).await.unwrap();
    browser.click_button("New secret for build-bot").await;
    browser.wait_for("[role=status]", "Secret of build-bot").await;
    let fresh = browser.client.find(Locator::Css("#webhook-secret")).await.unwrap().prop("value").await.unwrap();
    assert_ne!(fresh.as_deref(), Some(secret.as_str()), "a new secret is shown");
    browser.click_button("Remove build-bot").await;
    browser.wait_for("p", "No webhook yet").await;
    let (_, slots) = p.admin.send_json("GET", "/api/webhooks", Value::Null).await;
    assert_eq!(slots, serde_json::json!([]));
    browser.close().await;

    let Some(phone) = Browser::open(&p.server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/webhooks").await;
    phone.wait_for("h2", "New webhook").await;
    phone.screenshot("admin-webhooks-phone-light").await;
    phone.close().await;
}
