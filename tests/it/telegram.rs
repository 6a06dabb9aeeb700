//! Telegram through the binary, against the fake Bot API: admins connect the main bot first and
//! then agents' bots (tokens checked with `getMe`, one agent per bot); a Telegram user who is not
//! linked gets a pairing code and no model call; entering it links the signed-in user, whose
//! messages then reach their own personal agent and come back as a message edited up to the full
//! answer; a member who may not see an agent is refused through its bot; a restart neither loses
//! nor repeats a message; another poller (409) shows as `error` in the channel status.

use std::time::Duration;

use pincer_testkit::server::{Browser, PASSWORD};
use pincer_testkit::{Behaviour, FakeReply, FakeTelegram, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{WithProvider, personal_agent, shared_agent, with_openai_env};
use crate::support::assert_error;

const MAIN: &str = "111:main-bot-token";
const SUPPORT: &str = "222:support-bot-token";

/// Waits up to 15 s for `check` to hold.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..300 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn with_telegram() -> (WithProvider, FakeTelegram) {
    let telegram = FakeTelegram::start();
    telegram.add_bot(MAIN, "pincer_main_bot");
    telegram.add_bot(SUPPORT, "pincer_support_bot");
    let url = telegram.base_url();
    let p = with_openai_env(&[("PINCER_TELEGRAM_API_URL", url.as_str()), ("PINCER_TELEGRAM_POLL_SECONDS", "1")]).await;
    (p, telegram)
}

fn connect_path(agent: &str) -> String {
    format!("/api/agents/{agent}/channels/telegram")
}

/// The pairing code in the bot's last message to `chat`.
fn code_in(telegram: &FakeTelegram, token: &str, chat: i64) -> Option<String> {
    let texts = telegram.chat_texts(token, chat);
    let last = texts.last()?;
    let at = last.find("<code>")? + "<code>".len();
    Some(last[at..at + 9].to_string())
}

async fn channel_state(admin: &Browser, main: bool) -> Value {
    let (status, all) = admin.send_json("GET", "/api/channels/status", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    all["channels"].as_array().unwrap().iter().find(|c| c["main"] == main).cloned().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn bots_pair_users_and_answer_as_their_agents() {
    let (mut p, telegram) = with_telegram().await;
    let mut admin = p.admin.clone();
    let personal = personal_agent(&admin).await;
    let support = shared_agent(&p, &[]).await;
    let (_, mut member) = p.server.create_member(&admin, "m@example.com").await;

    // Connecting: admins only, the main bot first, tokens Telegram accepts, one agent per bot.
    let token = |t: &str| json!({"botToken": t});
    assert_error(&member.send_json("POST", &connect_path(&personal), token(MAIN)).await, 403, "admin_required");
    let early = admin.send_json("POST", &connect_path(&support), token(SUPPORT)).await;
    assert_error(&early, 409, "telegram_not_configured");
    let (_, before) = admin.send_json("GET", &connect_path(&support), Value::Null).await;
    assert_eq!(before, json!({"configured": false, "mainBotConfigured": false}));
    let bad = admin.send_json("POST", &connect_path(&personal), token("999:not-a-bot")).await;
    assert_error(&bad, 400, "invalid_token");
    let (status, main) = admin.send_json("POST", &connect_path(&personal), token(MAIN)).await;
    assert_eq!(status, StatusCode::OK, "{main}");
    assert_eq!(main, json!({"botUsername": "pincer_main_bot", "botId": "111"}));
    assert_error(&admin.send_json("POST", &connect_path(&support), token(MAIN)).await, 409, "bot_in_use");
    let (status, _) = admin.send_json("POST", &connect_path(&support), token(SUPPORT)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, config) = admin.send_json("GET", &connect_path(&support), Value::Null).await;
    assert_eq!(config["configured"], true);
    assert_eq!(config["hint"], "oken");
    assert_eq!(config["mainBotConfigured"], true);
    assert!(!config.to_string().contains("support-bot-token"), "{config}");
    assert_error(&admin.send_json("DELETE", &connect_path(&personal), Value::Null).await, 409, "main_bot_shared");
    eventually("the receivers to run", async || {
        let main = channel_state(&admin, true).await;
        (main["state"] == "running").then_some(())
    })
    .await;

    // An unlinked Telegram user gets a pairing code; nothing reaches a model.
    telegram.user_writes(MAIN, 5001, "Mia", "hello?");
    let code = eventually("a pairing code", async || code_in(&telegram, MAIN, 5001)).await;
    assert!(p.fake.chat_requests().is_empty(), "an unlinked sender reached the model");

    // The member enters it: a wrong code is refused, the right one links them, once.
    assert_error(
        &member.send_json("POST", "/api/settings/telegram", json!({"code": "AAAA-AAAA"})).await,
        400,
        "invalid_code",
    );
    let (status, linked) =
        member.send_json("POST", "/api/settings/telegram", json!({"code": code.to_lowercase()})).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked, json!({"linked": true, "channelUserId": "5001", "telegramUserId": "5001"}));
    let (_, shown) = member.send_json("GET", "/api/settings/telegram", Value::Null).await;
    assert_eq!(shown, json!({"linked": true, "channelUserId": "5001"}));
    let again = member.send_json("POST", "/api/settings/telegram", json!({"code": code})).await;
    assert_error(&again, 400, "invalid_code");

    // Their message reaches their own personal agent; the answer is one message edited to the end.
    p.fake.set_behaviour(Behaviour::ChunkDelay(Duration::from_millis(700)));
    p.fake.push_reply(FakeReply::text(&["Hello ", "Mia, ", "how can I **help**?"]));
    telegram.user_writes(MAIN, 5001, "Mia", "Hi there");
    let full = "Hello Mia, how can I <b>help</b>?";
    eventually("the whole answer", async || {
        (telegram.chat_texts(MAIN, 5001).last().map(String::as_str) == Some(full)).then_some(())
    })
    .await;
    let calls = telegram.calls();
    let sends = calls.iter().filter(|c| c.method == "sendMessage" && c.params["chat_id"] == 5001).count();
    let edits = calls.iter().filter(|c| c.method == "editMessageText" && c.params["chat_id"] == 5001).count();
    assert_eq!(sends, 2, "the code, then one message for the answer");
    assert!(edits >= 1, "the answer grew by edits: {calls:?}");
    assert!(calls.iter().any(|c| c.method == "sendChatAction"), "typing was shown");
    let (_, sessions) = member.send_json("GET", "/api/sessions", Value::Null).await;
    let sessions = sessions["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["channel"], "telegram");
    let member_personal = personal_agent(&member).await;
    assert_eq!(sessions[0]["agentId"], member_personal);

    // Through the support agent's bot the same member talks to that shared agent.
    p.fake.set_behaviour(Behaviour::Normal);
    p.fake.push_reply(FakeReply::text(&["Support here."]));
    telegram.user_writes(SUPPORT, 5001, "Mia", "Is the VPN down?");
    eventually("the support agent's answer", async || {
        (telegram.chat_texts(SUPPORT, 5001).last().map(String::as_str) == Some("Support here.")).then_some(())
    })
    .await;
    let (_, sessions) = member.send_json("GET", &format!("/api/sessions?agentId={support}"), Value::Null).await;
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 1, "{sessions}");
    assert_eq!(sessions["sessions"][0]["channel"], "telegram");

    // A member the support agent is hidden from is refused through its bot: it was deleted.
    let (status, _) = admin.send_json("DELETE", &format!("/api/agents/{support}"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let asked = p.fake.chat_requests().len();
    telegram.user_writes(SUPPORT, 5001, "Mia", "Can you see me?");
    eventually("the refusal", async || {
        let texts = telegram.chat_texts(SUPPORT, 5001);
        texts.last().filter(|t| t.contains("do not have access")).map(|_| ())
    })
    .await;
    assert_eq!(p.fake.chat_requests().len(), asked, "a refused sender reached the model");

    // A restart loses and repeats nothing: a message written while the server is down is answered
    // once after it, and the earlier one is not answered again.
    p.fake.set_behaviour(Behaviour::Normal);
    p.server.stop().await;
    telegram.user_writes(MAIN, 5001, "Mia", "Still there?");
    p.fake.push_reply(FakeReply::text(&["Yes, still here."]));
    p.server.start_again().await;
    eventually("the answer after the restart", async || {
        let texts = telegram.chat_texts(MAIN, 5001);
        (texts.last().map(String::as_str) == Some("Yes, still here.")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The restarted server listens on another port: sign in again.
    admin = p.server.login("admin@example.com", PASSWORD).await;
    member = p.server.login("m@example.com", PASSWORD).await;
    assert_eq!(p.fake.chat_requests().len(), asked + 1, "one model call for the one new message");
    assert_eq!(telegram.chat_texts(MAIN, 5001).len(), 3, "code, first answer, second answer");

    // Another poller: the main bot's receiver goes to `error` with a clear message, audited.
    telegram.set_conflict(MAIN, true);
    let failing = eventually("the conflict to show", async || {
        let main = channel_state(&admin, true).await;
        (main["state"] == "error").then_some(main)
    })
    .await;
    assert!(failing["lastError"].as_str().unwrap().contains("409"), "{failing}");
    eventually("the error in the audit trail", async || {
        let (_, audit) = admin.send_json("GET", "/api/audit?eventType=channel.error", Value::Null).await;
        (audit["total"] == 1).then_some(())
    })
    .await;
    telegram.set_conflict(MAIN, false);
    eventually("the receiver to recover", async || {
        let main = channel_state(&admin, true).await;
        (main["state"] == "running").then_some(())
    })
    .await;

    // Toggling and removing: stopped, then every bot gone; the links stay.
    let off = json!({"transport": "telegram", "agentId": null, "enabled": false});
    let (status, toggled) = admin.send_json("POST", "/api/channels/toggle", off).await;
    assert_eq!(status, StatusCode::OK, "{toggled}");
    assert_eq!(channel_state(&admin, true).await["state"], "stopped");
    let (status, removed) = admin.send_json("DELETE", "/api/settings/telegram/bots", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"], 2);
    let (_, all) = admin.send_json("GET", "/api/channels/status", Value::Null).await;
    assert_eq!(all["channels"], json!([]));
    let (status, _) = member.send_json("DELETE", "/api/settings/telegram", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(&member.send_json("DELETE", "/api/settings/telegram", Value::Null).await, 404, "not_linked");
}

#[tokio::test(flavor = "multi_thread")]
async fn pairing_codes_are_rate_limited_and_commands_work() {
    let (p, telegram) = with_telegram().await;
    let admin = p.admin.clone();
    let personal = personal_agent(&admin).await;
    let (status, _) = admin.send_json("POST", &connect_path(&personal), json!({"botToken": MAIN})).await;
    assert_eq!(status, StatusCode::OK);

    // Five wrong codes, then 429 even for a right one.
    for _ in 0..5 {
        let wrong = admin.send_json("POST", "/api/settings/telegram", json!({"code": "ZZZZ-ZZZZ"})).await;
        assert_error(&wrong, 400, "invalid_code");
    }
    telegram.user_writes(MAIN, 7001, "Ada", "hi");
    let code = eventually("a pairing code", async || code_in(&telegram, MAIN, 7001)).await;
    let limited = admin.send_json("POST", "/api/settings/telegram", json!({"code": code})).await;
    assert_error(&limited, 429, "rate_limited");

    // Another user links with it; /stop stops an answer being written, /new starts a session.
    let (_, member) = p.server.create_member(&admin, "n@example.com").await;
    let (status, _) = member.send_json("POST", "/api/settings/telegram", json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK);
    p.fake.set_behaviour(Behaviour::HoldAfter(2));
    p.fake.push_reply(FakeReply::text(&["Thinking about ", "it forever"]));
    telegram.user_writes(MAIN, 7001, "Ada", "Tell me everything");
    eventually("the answer to start", async || {
        telegram.chat_texts(MAIN, 7001).last().filter(|t| t.starts_with("Thinking about")).map(|_| ())
    })
    .await;
    telegram.user_writes(MAIN, 7001, "Ada", "/stop");
    eventually("the answer to stop", async || {
        let texts = telegram.chat_texts(MAIN, 7001);
        texts.iter().any(|t| t == "Stopped.").then_some(())
    })
    .await;
    p.fake.set_behaviour(Behaviour::Normal);
    telegram.user_writes(MAIN, 7001, "Ada", "/new");
    eventually("a new conversation", async || {
        telegram.chat_texts(MAIN, 7001).last().filter(|t| t.contains("new conversation")).map(|_| ())
    })
    .await;
    // Telegram asks to slow down: the answer waits as long as asked, then goes out.
    telegram.flood_next(MAIN, "sendMessage", 1);
    p.fake.push_reply(FakeReply::text(&["Fresh start."]));
    telegram.user_writes(MAIN, 7001, "Ada", "Hello again");
    eventually("the answer in the new session", async || {
        (telegram.chat_texts(MAIN, 7001).last().map(String::as_str) == Some("Fresh start.")).then_some(())
    })
    .await;
    let tries: Vec<_> = telegram
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.params["text"] == "Fresh start.")
        .map(|c| c.at)
        .collect();
    assert_eq!(tries.len(), 2, "refused with retry_after, then sent");
    assert!(
        tries[1] - tries[0] >= Duration::from_millis(950),
        "retry_after (1 s) was not waited: {:?}",
        tries[1] - tries[0]
    );
    let (_, sessions) = member.send_json("GET", "/api/sessions", Value::Null).await;
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2, "{sessions}");
}

/// Replicas share their keys.
const KEYS: [(&str, &str); 2] = [
    ("PINCER_ENCRYPTION_KEY", "1111111111111111111111111111111111111111111111111111111111111111"),
    ("PINCER_AUDIT_KEY", "2222222222222222222222222222222222222222222222222222222222222222"),
];

#[tokio::test(flavor = "multi_thread")]
async fn one_replica_receives_for_a_bot_and_another_takes_over_when_it_dies() {
    if pincer_testkit::db::postgres_or_skip("it::telegram::one_replica_receives_for_a_bot").is_none() {
        return;
    }
    let telegram = FakeTelegram::start();
    telegram.add_bot(MAIN, "pincer_main_bot");
    let fake = pincer_testkit::FakeProvider::start(pincer_testkit::FakeKind::Openai);
    let (url, origin) = (telegram.base_url(), fake.origin());
    let env = [
        ("PINCER_TELEGRAM_API_URL", url.as_str()),
        ("PINCER_TELEGRAM_POLL_SECONDS", "1"),
        ("PINCER_ALLOW_PRIVATE_URLS", "1"),
    ];
    let base_url = pincer_testkit::FakeKind::Openai.base_url_variable();
    let mut builder = TestServer::builder().env(&base_url, &origin);
    for (key, value) in KEYS.iter().chain(&env) {
        builder = builder.env(key, value);
    }
    let a = builder.start().await;
    let mut builder = TestServer::builder().replica_of(&a).env(&base_url, &origin);
    for (key, value) in KEYS.iter().chain(&env) {
        builder = builder.env(key, value);
    }
    let b = builder.start().await;

    let admin = a.setup_admin().await;
    let provider = json!({"provider": "openai", "apiKey": fake.api_key()});
    assert_eq!(admin.send_json("POST", "/api/settings/providers", provider).await.0, StatusCode::OK);
    let personal = personal_agent(&admin).await;
    let (status, _) = admin.send_json("POST", &connect_path(&personal), json!({"botToken": MAIN})).await;
    assert_eq!(status, StatusCode::OK);
    telegram.user_writes(MAIN, 9001, "Ops", "hello");
    let code = eventually("a pairing code", async || code_in(&telegram, MAIN, 9001)).await;
    assert_eq!(admin.send_json("POST", "/api/settings/telegram", json!({"code": code})).await.0, StatusCode::OK);

    // Exactly one replica receives: one says `running`, the other `standby`.
    let admin_b = b.login("admin@example.com", PASSWORD).await;
    let (holder_is_a, _) = eventually("one replica to run the receiver", async || {
        let (on_a, on_b) = (channel_state(&admin, true).await, channel_state(&admin_b, true).await);
        match (on_a["state"].as_str(), on_b["state"].as_str()) {
            (Some("running"), Some("standby")) => Some((true, ())),
            (Some("standby"), Some("running")) => Some((false, ())),
            _ => None,
        }
    })
    .await;

    // Five messages, each answered once.
    for i in 0..5 {
        fake.push_reply(FakeReply::text(&[&format!("Answer {i}.")]));
        telegram.user_writes(MAIN, 9001, "Ops", &format!("Question {i}"));
        let expected = format!("Answer {i}.");
        eventually("the answer", async || (telegram.chat_texts(MAIN, 9001).last() == Some(&expected)).then_some(()))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.chat_requests().len(), 5, "each message ran once");
    assert_eq!(telegram.chat_texts(MAIN, 9001).len(), 6, "the code and five answers, none twice");

    // The holder dies without a word; the other replica takes the bot over within seconds, from
    // where the holder left off.
    let (mut holder, other_admin) = if holder_is_a { (a, admin_b) } else { (b, admin) };
    holder.kill().await;
    fake.push_reply(FakeReply::text(&["Still here."]));
    telegram.user_writes(MAIN, 9001, "Ops", "Anyone?");
    eventually("the other replica's answer", async || {
        (telegram.chat_texts(MAIN, 9001).last().map(String::as_str) == Some("Still here.")).then_some(())
    })
    .await;
    assert_eq!(fake.chat_requests().len(), 6);
    assert_eq!(channel_state(&other_admin, true).await["state"], "running");
}
