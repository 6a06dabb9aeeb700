//! The whole first day of a team in the browser, as issue #14 lists it, in one flow against the
//! real binary and a fake provider: the wizard, signing in as the new admin, a knowledge-base
//! agent granted a folder, a chat with a tool call, a reload in the middle of an answer, a
//! stopped run, the audit log and its integrity check, and a member invited into a fresh
//! browser who sees the chat and no admin screens.

use std::time::Duration;

use fantoccini::Locator;
use pincer_testkit::server::PASSWORD;
use pincer_testkit::{Behaviour, FakeKind, FakeProvider, FakeReply, TestServer};
use serde_json::{Value, json};

use super::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn a_team_sets_up_chats_audits_and_invites_in_the_browser() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let docs = tempfile::Builder::new().prefix("pincer-docs-").tempdir().unwrap();
    let root = std::fs::canonicalize(docs.path()).unwrap();
    std::fs::create_dir_all(root.join("hr")).unwrap();
    std::fs::write(root.join("hr/policy.md"), "25 days of leave.").unwrap();
    let hr = root.join("hr").to_string_lossy().into_owned();
    let server = TestServer::builder()
        .env(&FakeKind::Anthropic.base_url_variable(), &fake.origin())
        .env("PINCER_ALLOW_PRIVATE_URLS", "1")
        .env("PINCER_DOCUMENTS_DIR", root.to_str().unwrap())
        .start()
        .await;
    let Some(admin) = Browser::open(&server, 1280).await else { return };

    // First start: the wizard, then signing in as the new admin.
    admin.goto("/").await;
    admin.wait_for("h1", "Set up Pincer").await;
    admin.fill("#name", "Ada Admin").await;
    admin.fill("#email", "ada@example.com").await;
    admin.fill("#password", PASSWORD).await;
    admin.click_button("Create the admin account").await;
    admin.wait_for("h2", "A model provider").await;
    admin.fill("#api-key", fake.api_key().unwrap()).await;
    admin.click_button("Check and save").await;
    admin.wait_for("h2", "Your first agent").await;
    admin.wait_for("label.choice", "Knowledge Base").await;
    admin.fill("#agent-name", "HR Helper").await;
    admin.click_button("Create the agent").await;
    admin.wait_for(".agents h2", "HR Helper").await;
    admin.click_button("Sign out").await;
    admin.sign_in("ada@example.com").await;

    // The knowledge-base agent is granted the folder `hr` on the admin page.
    let api = server.login("ada@example.com", PASSWORD).await;
    let (_, agents) = api.send_json("GET", "/api/agents", Value::Null).await;
    let agent = agents.as_array().unwrap().iter().find(|a| a["name"] == "HR Helper").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin.goto("/admin/agents").await;
    admin.wait_for(".agent-editor h2", "HR Helper").await;
    let form = format!("//form[@aria-labelledby='agent-{agent}-title']");
    let folder = format!("{form}//label[contains(., '{hr}')]/input");
    admin.client.find(Locator::XPath(&folder)).await.unwrap().click().await.unwrap();
    admin.client.find(Locator::XPath(&format!("{form}//button[@type='submit']"))).await.unwrap().click().await.unwrap();
    admin.wait_for(&format!("form[aria-labelledby='agent-{agent}-title'] [role=status]"), "Saved.").await;
    let (_, stored) = api.send_json("GET", &format!("/api/agents/{agent}"), Value::Null).await;
    assert_eq!(stored["pluginConfig"]["allowed_paths"], json!([hr]), "{stored}");

    // A chat answer that lists the folder first: the tool call is shown, then the answer.
    fake.push_reply(FakeReply::tool_call("pinchy_ls", json!({"path": hr})));
    fake.push_reply(FakeReply::text(&["The folder holds **policy.md**."]));
    admin.goto(&format!("/chat/{agent}")).await;
    admin.wait_for("h1", "HR Helper").await;
    admin.fill("#message", "What is in the HR folder?").await;
    admin.click_button("Send").await;
    admin.wait_for(".msg.assistant strong", "policy.md").await;
    admin.wait_for(".msg.assistant .steps-used li", "Listing a folder").await;
    admin.wait_for(".msg.assistant .steps-used li", "— done").await;
    let tool_results: Vec<String> = fake
        .chat_requests()
        .iter()
        .filter_map(|r| r.body_json())
        .map(|body| body.to_string())
        .filter(|body| body.contains("tool_result"))
        .collect();
    assert!(tool_results.iter().any(|b| b.contains("policy.md")), "the model got the listing: {tool_results:?}");
    admin.screenshot("journey-chat-tool-desktop-light").await;

    // A reload in the middle of an answer: the answer completes, every piece once.
    let words: Vec<String> = (1..=10).map(|n| format!("w{n} ")).collect();
    let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
    fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(300)));
    fake.push_reply(FakeReply::text(&pieces));
    admin.fill("#message", "Count slowly").await;
    admin.click_button("Send").await;
    admin.wait_for(".msg.assistant:last-child", "w2").await;
    admin.goto(&format!("/chat/{agent}")).await;
    admin.wait_for(".msg.assistant:last-child", "w10").await;
    admin.wait_for("button", "Send").await;
    let text = admin.client.find(Locator::Css(".msg.assistant:last-child .md")).await.unwrap().text().await.unwrap();
    assert_eq!(text.trim(), words.concat().trim());

    // A second run that hangs is stopped.
    // Anthropic streams `message_start` and `content_block_start` before the first text.
    fake.set_behaviour(Behaviour::HoldAfter(4));
    fake.push_reply(FakeReply::text(&["Half ", "an answer"]));
    admin.fill("#message", "Take forever").await;
    admin.click_button("Send").await;
    admin.wait_for(".msg.assistant:last-child", "Half").await;
    admin.click_button("Stop").await;
    admin.wait_for(".msg.assistant:last-child .meta", "Stopped.").await;
    fake.set_behaviour(Behaviour::Normal);

    // The audit page lists what happened, and the integrity check says the log is intact.
    admin.goto("/admin/audit").await;
    admin.wait_for("td", "tool.pinchy_ls").await;
    admin.wait_for("td", "agent.updated").await;
    admin.click_button("Check integrity").await;
    admin.wait_for("[role=status]", "The log is intact").await;
    admin.screenshot("journey-audit-desktop-light").await;

    // A member is invited; the link is claimed in a fresh browser.
    admin.goto("/admin/users").await;
    admin.wait_for("td", "ada@example.com").await;
    admin.fill("#invite-email", "kim@example.com").await;
    admin.click_button("Create the invite link").await;
    admin.wait_for("[role=status]", "shown only now").await;
    let link = admin.client.find(Locator::Css("#one-time-link")).await.unwrap().prop("value").await.unwrap().unwrap();
    let Some(member) = Browser::open(&server, 390).await else { return };
    member.client.goto(&link).await.unwrap();
    member.wait_for("h1", "Join Pincer").await;
    member.fill("#name", "Kim").await;
    member.fill("#password", PASSWORD).await;
    member.click_button("Save").await;
    member.wait_for("h1", "You are all set").await;
    member.sign_in("kim@example.com").await;

    // The member sees the agent and can chat, but no admin screen.
    member.wait_for(".agents h2", "HR Helper").await;
    let nav = member.client.find(Locator::Css("nav[aria-label=Main]")).await.unwrap().text().await.unwrap();
    for admin_link in ["Manage agents", "Providers", "Users", "Settings", "Audit"] {
        assert!(!nav.contains(admin_link), "a member's navigation has no {admin_link:?}: {nav}");
    }
    fake.push_reply(FakeReply::text(&["Hello Kim."]));
    member.goto(&format!("/chat/{agent}")).await;
    member.wait_for("h1", "HR Helper").await;
    member.fill("#message", "Hi").await;
    member.click_button("Send").await;
    member.wait_for(".msg.assistant", "Hello Kim.").await;
    let shown = member.client.find(Locator::Css(".messages")).await.unwrap().text().await.unwrap();
    assert!(!shown.contains("Count slowly"), "another user's conversation is not shown: {shown}");
    member.screenshot("journey-member-chat-phone-light").await;
    for page in ["/admin/agents", "/admin/audit", "/admin/users"] {
        member.goto(page).await;
        member.wait_for("h1", "Not allowed").await;
    }
    member.close().await;
    admin.close().await;
}
