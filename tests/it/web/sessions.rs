//! The conversations panel of the chat page: a member searches their conversations, opens the
//! one found (its messages replace the shown ones), starts a new conversation, and deletes one —
//! the server agrees at each step.

use fantoccini::Locator;
use serde_json::{Value, json};

use super::browser::{Browser, axe};
use crate::chat_errors::{shared_agent, with_openai};
use crate::ws::ChatSocket;

#[tokio::test(flavor = "multi_thread")]
async fn a_member_searches_opens_starts_and_deletes_conversations() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (_, member) = p.server.create_member(&p.admin, "grace@example.com").await;
    let mut ws = ChatSocket::open(&member).await;
    for (chat, text) in [("q3", "Draft the quarterly report for Acme"), ("trip", "Plan my holiday in August")] {
        ws.send(json!({"type": "message", "agentId": agent, "chatId": chat, "content": text})).await;
        ws.until("complete").await;
    }

    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("grace@example.com").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("summary", "Conversations (2)").await;
    browser.fill("#session-search", "reports").await;
    browser.click_button("Search").await;
    browser.wait_for(".session-hits mark", "report").await;
    browser.screenshot("chat-sessions-search-desktop-light").await;
    let found = "//ul[contains(@class,'session-hits')]//button[contains(., 'quarterly report')]";
    browser.client.find(Locator::XPath(found)).await.unwrap().click().await.unwrap();
    browser.wait_for(".msg.user", "Draft the quarterly report for Acme").await;
    let shown = browser.client.find_all(Locator::Css(".msg.user")).await.unwrap();
    assert_eq!(shown.len(), 1, "only the opened conversation's messages");
    let mut found = axe(&browser, "/chat with sessions (light)").await;

    // A new conversation: empty, and the first message opens a third session.
    browser.click_button("New conversation").await;
    browser.wait_gone(".msg.user").await;
    browser.fill("#message", "Something new").await;
    browser.click_button("Send").await;
    browser.wait_for("summary", "Conversations (3)").await;
    let (_, listed) = member.send_json("GET", "/api/sessions", Value::Null).await;
    assert_eq!(listed["total"], 3, "{listed}");
    assert_eq!(listed["sessions"][0]["title"], "Something new", "{listed}");

    // Delete the holiday conversation (confirmed).
    browser.client.execute("window.confirm = () => true;", vec![]).await.unwrap();
    browser.click_button("Delete Plan my holiday in August").await;
    browser.wait_for("summary", "Conversations (2)").await;
    let (_, listed) = member.send_json("GET", "/api/sessions", Value::Null).await;
    let titles: Vec<&str> =
        listed["sessions"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert!(!titles.contains(&"Plan my holiday in August"), "{listed}");
    browser.set_theme("dark").await;
    browser.wait_for("summary", "Conversations (2)").await;
    found.extend(axe(&browser, "/chat with sessions (dark)").await);
    browser.screenshot("chat-sessions-desktop-dark").await;
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
    browser.close().await;

    let Some(phone) = Browser::open(&p.server, 390).await else { return };
    phone.sign_in("grace@example.com").await;
    phone.goto(&format!("/chat/{agent}")).await;
    phone.wait_for("summary", "Conversations (2)").await;
    phone.screenshot("chat-sessions-phone-light").await;
    phone.close().await;
}
