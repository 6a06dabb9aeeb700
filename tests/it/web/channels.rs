//! The channels page and the profile's Telegram section, against the fake Bot API: an admin reads
//! how to make the main bot, a refused token shows Telegram's refusal, the main bot connects and
//! its receiver shows as running; a shared agent's bot waits for it and then connects too; a
//! receiver is stopped and started again, and one that another program polls shows its error. A
//! Telegram user gets a pairing code from the bot and the admin enters it on their profile, which
//! then shows the link; finally "Remove Telegram for everyone" (after its confirm step) removes
//! every bot. axe finds nothing serious on either page in either theme.

use std::time::Duration;

use fantoccini::Locator;
use pincer_testkit::FakeTelegram;
use serde_json::{Value, json};

use super::browser::{Browser, axe};
use crate::chat_errors::{shared_agent, with_openai_env};

const MAIN: &str = "111:main-bot-token";
const SUPPORT: &str = "222:support-bot-token";

/// The pairing code in the bot's last message to `chat` (`<code>ABCD-EFGH</code>`).
fn code_in(telegram: &FakeTelegram, token: &str, chat: i64) -> Option<String> {
    let texts = telegram.chat_texts(token, chat);
    let last = texts.last()?;
    let at = last.find("<code>")? + "<code>".len();
    let end = at + last[at..].find("</code>")?;
    Some(last[at..end].to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_connects_the_main_bot_and_links_their_telegram_on_the_profile() {
    let telegram = FakeTelegram::start();
    telegram.add_bot(MAIN, "pincer_main_bot");
    telegram.add_bot(SUPPORT, "pincer_support_bot");
    let url = telegram.base_url();
    let p = with_openai_env(&[("PINCER_TELEGRAM_API_URL", url.as_str()), ("PINCER_TELEGRAM_POLL_SECONDS", "1")]).await;
    let agent = shared_agent(&p, &[]).await;

    let Some(browser) = Browser::open(&p.server, 1280).await else { return };
    browser.sign_in("admin@example.com").await;
    browser.goto("/admin/channels").await;
    browser.wait_for("h1", "Channels").await;
    browser.wait_for("li", "@BotFather").await;
    browser.wait_for("p", "No bot is connected yet").await;
    browser.wait_for("p", "Connect the main bot first").await;
    browser.wait_for("#agent-token:disabled", "").await;
    browser.screenshot("admin-channels-empty-desktop-light").await;

    // A token Telegram refuses is refused with its reason; the right one connects the main bot.
    browser.fill("#main-token", "999:not-a-bot").await;
    browser.click_button("Connect the main bot").await;
    browser.wait_for("[role=alert]", "the bot token does not work").await;
    browser.fill("#main-token", MAIN).await;
    browser.click_button("Connect the main bot").await;
    browser.wait_for("td", "Main bot (personal assistants)").await;
    browser.wait_for("td", "@pincer_main_bot").await;
    browser.wait_for("p", "Connected: @pincer_main_bot").await;
    // The page refreshes the status by itself until the receiver runs.
    browser.wait_for(".badge.running", "running").await;
    let (_, bots) = p.admin.send_json("GET", "/api/settings/telegram/bots", Value::Null).await;
    assert_eq!(
        (&bots["channels"][0]["main"], &bots["channels"][0]["account"]),
        (&json!(true), &json!("pincer_main_bot"))
    );

    // Now a shared agent gets a bot of its own.
    browser.client.find(Locator::Css("#agent-bot-agent")).await.unwrap().select_by_value(&agent).await.unwrap();
    browser.fill("#agent-token", SUPPORT).await;
    browser.click_button("Connect the bot to the agent").await;
    browser.wait_for("td", "@pincer_support_bot").await;
    let (_, config) = p.admin.send_json("GET", &format!("/api/agents/{agent}/channels/telegram"), Value::Null).await;
    assert_eq!((&config["configured"], &config["botUsername"]), (&json!(true), &json!("pincer_support_bot")));

    // Stop and start the support bot's receiver.
    browser.click_button("Stop @pincer_support_bot").await;
    browser.wait_for(".badge.stopped", "stopped").await;
    browser.click_button("Start @pincer_support_bot").await;
    wait_for_button(&browser, "Stop @pincer_support_bot").await;
    let (_, status) = p.admin.send_json("GET", "/api/channels/status", Value::Null).await;
    let support = status["channels"].as_array().unwrap().iter().find(|c| c["agentId"] == agent.as_str()).unwrap();
    assert_eq!(support["enabled"], true, "{support}");
    browser.wait_for(".badge.running", "running").await;

    // Another program polls the support bot: its row turns to error with Telegram's words, on the
    // page's own refresh.
    telegram.set_conflict(SUPPORT, true);
    browser.wait_for(".badge.error", "error").await;
    browser.wait_for(".error-detail", "").await;

    // A Telegram user writes to the main bot and is given a pairing code.
    telegram.user_writes(MAIN, 5001, "Mia", "hi");
    let mut code = None;
    for _ in 0..200 {
        code = code_in(&telegram, MAIN, 5001);
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let code = code.expect("the bot sent a pairing code");

    browser.goto("/admin/channels").await;
    browser.wait_for("td", "1 in").await;
    browser.screenshot("admin-channels-desktop-light").await;
    let mut found = axe(&browser, "/admin/channels (light)").await;
    browser.set_theme("dark").await;
    browser.wait_for(".badge.running", "running").await;
    browser.screenshot("admin-channels-desktop-dark").await;
    scroll_to(&browser, "#agent-bot-heading").await;
    browser.screenshot("admin-channels-lower-desktop-dark").await;
    found.extend(axe(&browser, "/admin/channels (dark)").await);

    // The profile: the steps, then the code links this account.
    browser.goto("/profile").await;
    browser.wait_for("h2", "Telegram").await;
    browser.wait_for("li", "send it any message").await;
    found.extend(axe(&browser, "/profile, not linked (dark)").await);
    scroll_to(&browser, "#telegram-heading").await;
    browser.screenshot("profile-telegram-unlinked-desktop-dark").await;
    browser.fill("#telegram-code", "AAAA-AAAA").await;
    browser.click_button("Link Telegram").await;
    browser.wait_for("[role=alert]", "invalid or expired pairing code").await;
    browser.fill("#telegram-code", &code).await;
    browser.click_button("Link Telegram").await;
    browser.wait_for("[role=status]", "Linked to Telegram user 5001").await;
    let (_, link) = p.admin.send_json("GET", "/api/settings/telegram", Value::Null).await;
    assert_eq!(link, json!({"linked": true, "channelUserId": "5001"}));
    scroll_to(&browser, "#telegram-heading").await;
    browser.screenshot("profile-telegram-desktop-dark").await;
    found.extend(axe(&browser, "/profile (dark)").await);
    browser.set_theme("light").await;
    browser.wait_for("[role=status]", "Linked to Telegram user 5001").await;
    scroll_to(&browser, "#telegram-heading").await;
    browser.screenshot("profile-telegram-desktop-light").await;
    found.extend(axe(&browser, "/profile (light)").await);
    assert!(found.is_empty(), "{found:?}");
    browser.close().await;

    // At phone width, in both themes.
    let Some(phone) = Browser::open(&p.server, 390).await else { return };
    phone.sign_in("admin@example.com").await;
    phone.goto("/admin/channels").await;
    phone.wait_for(".badge.running", "running").await;
    phone.screenshot("admin-channels-phone-light").await;
    scroll_to(&phone, "#bots-heading").await;
    phone.screenshot("admin-channels-bots-phone-light").await;
    phone.goto("/profile").await;
    phone.wait_for("[role=status]", "Linked to Telegram user 5001").await;
    scroll_to(&phone, "#telegram-heading").await;
    phone.screenshot("profile-telegram-phone-light").await;
    phone.set_theme("dark").await;
    phone.wait_for("[role=status]", "Linked to Telegram user 5001").await;
    scroll_to(&phone, "#telegram-heading").await;
    phone.screenshot("profile-telegram-phone-dark").await;

    // Unlinking shows the code form again.
    phone.click_button("Unlink Telegram").await;
    phone.wait_for("label", "Pairing code").await;
    let (_, link) = p.admin.send_json("GET", "/api/settings/telegram", Value::Null).await;
    assert_eq!(link, json!({"linked": false}));

    // "Remove Telegram for everyone" asks first, then removes every bot.
    phone.goto("/admin/channels").await;
    phone.wait_for(".badge.running", "running").await;
    phone.screenshot("admin-channels-phone-dark").await;
    phone.click_button("Remove Telegram for everyone").await;
    phone.wait_for("p", "Remove all 2 bots?").await;
    phone.click_button("Cancel").await;
    phone.wait_for("button", "Remove Telegram for everyone").await;
    let (_, bots) = p.admin.send_json("GET", "/api/settings/telegram/bots", Value::Null).await;
    assert_eq!(bots["channels"].as_array().unwrap().len(), 2, "cancel removes nothing");
    phone.click_button("Remove Telegram for everyone").await;
    scroll_to(&phone, "#remove-heading").await;
    phone.screenshot("admin-channels-confirm-phone-dark").await;
    phone.click_button("Yes, remove every bot").await;
    phone.wait_for("p", "No bot is connected yet").await;
    phone.wait_for("li", "@BotFather").await;
    let (_, bots) = p.admin.send_json("GET", "/api/settings/telegram/bots", Value::Null).await;
    assert_eq!(bots, json!({"channels": []}));
    phone.close().await;
}

/// Waits until a button named `name` (visible text and hidden suffix together) exists.
async fn wait_for_button(browser: &Browser, name: &str) {
    let xpath = format!("//button[normalize-space(.) = '{name}']");
    for _ in 0..200 {
        if browser.client.find(Locator::XPath(&xpath)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no button {name:?} on {}", browser.url().await);
}

async fn scroll_to(browser: &Browser, css: &str) {
    browser
        .client
        .execute("document.querySelector(arguments[0]).scrollIntoView({block: 'start'});", vec![json!(css)])
        .await
        .unwrap();
}
