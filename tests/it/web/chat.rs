//! Chat in the browser: streaming, safe Markdown, reloads, stop, a second browser, errors.

use std::time::Duration;

use fantoccini::Locator;
use pincer_testkit::{Behaviour, FakeReply, TestServer};
use serde_json::Value;

use super::browser::Browser;

/// Chat in the browser: a streamed answer rendered as Markdown, with everything dangerous in it
/// inert — raw HTML shown as text (no `<img>` or `<script>` element, nothing run), a
/// `javascript:` link without a target — and the stored history shown again after a reload.
#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_safe_markdown_and_the_history_comes_back() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.wait_for(".agents h2", "HR").await;

    p.fake.push_reply(FakeReply::text(&[
        "Hello **world**.\n\n",
        "<img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script>\n\n",
        "[click me](javascript:window.__pwned=3) and [docs](https://example.com/docs)",
    ]));
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("h1", "HR").await;
    browser.fill("#message", "Say hello").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant strong", "world").await;
    browser.wait_for(".msg.assistant a", "docs").await;
    browser.screenshot("chat-desktop-light").await;

    let inert = browser
        .client
        .execute(
            "const m = document.querySelector('.messages');
             const link = [...m.querySelectorAll('a')].find(a => a.textContent === 'click me');
             return {
               pwned: window.__pwned ?? null,
               img: m.querySelectorAll('img').length,
               script: m.querySelectorAll('script').length,
               shownAsText: m.textContent.includes('<img src=x'),
               jsHref: link ? link.getAttribute('href') : 'no link',
               docsRel: m.querySelector('a[href=\"https://example.com/docs\"]')?.getAttribute('rel'),
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inert["pwned"], Value::Null, "no script ran: {inert}");
    assert_eq!((inert["img"].as_u64(), inert["script"].as_u64()), (Some(0), Some(0)), "{inert}");
    assert_eq!(inert["shownAsText"], true, "raw HTML is shown as text: {inert}");
    assert!(inert["jsHref"].is_null() || inert["jsHref"] == "no link", "a javascript: link has no target: {inert}");
    assert_eq!(inert["docsRel"], "noopener noreferrer", "{inert}");

    // A reload shows the stored conversation.
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for(".msg.user", "Say hello").await;
    browser.wait_for(".msg.assistant strong", "world").await;
    browser.close().await;
}

/// A reload in the middle of a streamed answer: the page comes back with the text so far and the
/// rest streams in (the server resumes the run for the new socket). Then a run that hangs is
/// stopped with the Stop button and shows as stopped.
#[tokio::test(flavor = "multi_thread")]
async fn a_reload_mid_stream_resumes_and_stop_ends_a_run() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("h1", "HR").await;

    let words: Vec<String> = (1..=12).map(|n| format!("w{n} ")).collect();
    let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
    p.fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(300)));
    p.fake.push_reply(FakeReply::text(&pieces));
    browser.fill("#message", "Count slowly").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant", "w2").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for(".msg.user", "Count slowly").await;
    browser.wait_for(".msg.assistant", "w12").await;
    browser.wait_for("button", "Send").await;
    let text = browser.client.find(Locator::Css(".msg.assistant:last-child")).await.unwrap().text().await.unwrap();
    assert_eq!(text.trim(), words.concat().trim(), "every piece once, in order, across the reload");

    p.fake.set_behaviour(Behaviour::HoldAfter(2));
    p.fake.push_reply(FakeReply::text(&["Half ", "an answer"]));
    browser.fill("#message", "Take forever").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant:last-child", "Half").await;
    browser.click_button("Stop").await;
    browser.wait_for(".msg.assistant:last-child .meta", "Stopped.").await;
    browser.wait_for("button", "Send").await;
    browser.screenshot("chat-stopped-desktop-light").await;
    browser.close().await;
}

/// A second browser of the same user, opened on the chat while an answer streams, follows the
/// same run to its end.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_browser_follows_the_same_run() {
    let p = crate::chat_errors::with_openai().await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(first) = Browser::open(&p.server, 1280).await else { return };
    let Some(second) = Browser::open(&p.server, 390).await else { return };
    for browser in [&first, &second] {
        browser.sign_in("admin@example.com").await;
    }
    first.goto(&format!("/chat/{agent}")).await;
    first.wait_for("h1", "HR").await;
    p.fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(250)));
    p.fake.push_reply(FakeReply::text(&["one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight"]));
    first.fill("#message", "Count").await;
    first.click_button("Send").await;
    first.wait_for(".msg.assistant", "one").await;

    second.goto(&format!("/chat/{agent}")).await;
    second.wait_for(".msg.user", "Count").await;
    second.wait_for(".msg.assistant", "eight").await;
    first.wait_for(".msg.assistant", "eight").await;
    second.wait_for("button", "Send").await;
    second.screenshot("chat-second-tab-phone-light").await;
    first.close().await;
    second.close().await;
}

/// What went wrong, said clearly: a provider that fails (the alert and the failed answer say so),
/// and a lost connection — the server stops — shown while it lasts; the page reconnects by
/// itself when the server is back, and the next message is answered.
#[tokio::test(flavor = "multi_thread")]
async fn chat_says_when_the_provider_fails_and_reconnects_after_a_lost_connection() {
    let bind = format!("127.0.0.1:{}", super::browser::free_port());
    let mut p = crate::chat_errors::with_openai_env(&[("PINCER_BIND", &bind)]).await;
    let agent = crate::chat_errors::shared_agent(&p, &[]).await;
    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("main.chat[data-connection=open]", "").await;

    p.fake.set_behaviour(Behaviour::Status(500));
    browser.fill("#message", "Hello?").await;
    browser.click_button("Send").await;
    browser.wait_for("[role=alert]", "The provider failed").await;
    browser.wait_for(".msg.assistant:last-child .meta", "The answer failed: the provider failed.").await;
    browser.wait_for("button", "Send").await;
    browser.screenshot("chat-provider-failed-desktop-light").await;
    p.fake.set_behaviour(Behaviour::Normal);

    p.server.stop().await;
    browser.wait_for("[role=status]", "Connection lost").await;
    browser.screenshot("chat-connection-lost-desktop-light").await;
    p.server.start_again().await;
    browser.wait_for("main.chat[data-connection=open]", "").await;
    browser.wait_gone(".chat-head [role=status]").await;
    p.fake.push_reply(FakeReply::text(&["Back again."]));
    browser.fill("#message", "Are you there?").await;
    browser.click_button("Send").await;
    browser.wait_for(".msg.assistant:last-child", "Back again.").await;
    browser.close().await;
}

/// An agent without a model: the refusal is shown and the message typed comes back to the
/// composer (it was not stored, and the list does not pretend it was sent).
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_without_a_model_says_so_and_keeps_the_message() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let agent = crate::chat_errors::personal_agent(&admin).await;
    let Some(browser) = Browser::open(&server, 390).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto(&format!("/chat/{agent}")).await;
    browser.wait_for("main.chat[data-connection=open]", "").await;
    browser.fill("#message", "Anyone home?").await;
    browser.click_button("Send").await;
    browser.wait_for("[role=alert]", "This agent has no model yet").await;
    let draft = browser.client.find(Locator::Css("#message")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("Anyone home?"), "the refused message is given back");
    browser.wait_gone(".msg.user").await;
    browser.screenshot("chat-no-model-phone-light").await;
}
