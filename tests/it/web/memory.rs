//! The memory page: a member sees what is remembered about them, searches it, adds an entry,
//! forgets one and changes a setting — and the server agrees at each step.

use pincer_testkit::TestServer;
use serde_json::{Value, json};

use super::browser::{Browser, axe};

#[tokio::test(flavor = "multi_thread")]
async fn a_member_searches_adds_and_forgets_memories() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "grace@example.com").await;
    for content in ["Grace has a dog called Rex", "Grace prefers green tea"] {
        member.send_json("POST", "/api/memory/long_term", json!({"content": content, "tags": ["home"]})).await;
    }

    let Some(browser) = Browser::open(&server, 1280).await else { return };
    browser.sign_in("grace@example.com").await;
    browser.goto("/memory").await;
    browser.wait_for(".memory-list p", "Grace prefers green tea").await;
    browser.fill("#memory-search", "dogs").await;
    browser.click_button("Search").await;
    browser.wait_gone(".memory-list li:nth-child(2)").await;
    browser.wait_for(".memory-list p", "Grace has a dog called Rex").await;
    browser.goto("/memory").await;
    browser.wait_for(".memory-list p", "Grace prefers green tea").await;

    browser.fill("#memory-content", "Grace lives in Lisbon").await;
    browser.fill("#memory-tags", "Places").await;
    browser.click_button("Remember this").await;
    browser.wait_for(".memory-list p", "Grace lives in Lisbon").await;
    let mut found = axe(&browser, "/memory (light)").await;
    browser.screenshot("memory-desktop-light").await;

    browser.client.execute("window.confirm = () => true;", vec![]).await.unwrap();
    browser.click_button("Forget Grace has a dog").await;
    browser.wait_for("[role=status]", "2 entries").await;
    let (_, listed) = member.send_json("GET", "/api/memory/long_term", Value::Null).await;
    let contents: Vec<&str> =
        listed["memories"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["Grace lives in Lisbon", "Grace prefers green tea"], "{listed}");
    assert_eq!(listed["memories"][0]["tags"], json!(["places"]));

    let inject = "//label[contains(., 'relevant to each message')]/input";
    browser.client.find(fantoccini::Locator::XPath(inject)).await.unwrap().click().await.unwrap();
    browser.click_button("Save the settings").await;
    browser.wait_for("[role=status]", "Saved.").await;
    let (_, settings) = member.send_json("GET", "/api/memory/settings", Value::Null).await;
    assert_eq!(settings["autoInject"], false, "{settings}");
    browser.set_theme("dark").await;
    browser.wait_for(".memory-list p", "Grace lives in Lisbon").await;
    found.extend(axe(&browser, "/memory (dark)").await);
    browser.screenshot("memory-desktop-dark").await;
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
    browser.close().await;

    let Some(phone) = Browser::open(&server, 390).await else { return };
    phone.sign_in("grace@example.com").await;
    phone.goto("/memory").await;
    phone.wait_for(".memory-list p", "Grace lives in Lisbon").await;
    phone.screenshot("memory-phone-light").await;
    phone.close().await;
}
