//! The fake Bot API over real HTTP, as a Telegram client sees it: `getMe` knows its bots only,
//! a long poll wakes when a user writes and an offset confirms what was read, messages are sent
//! and edited (the same text again is refused like Telegram does), and 409 / 429 come on demand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pincer_testkit::FakeTelegram;
use serde_json::{Value, json};

const TOKEN: &str = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789";

fn client() -> reqwest::Client {
    pincer_outbound::client_builder().build().unwrap()
}

async fn call(fake: &FakeTelegram, token: &str, method: &str, params: Value) -> (u16, Value) {
    let url = format!("{}/bot{token}/{method}", fake.base_url());
    let res = client().post(url).json(&params).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fake_bot_api_polls_sends_edits_and_fails_like_telegram() {
    let fake = FakeTelegram::start();
    assert_eq!(fake.add_bot(TOKEN, "pincer_bot"), 123_456);
    let (status, me) = call(&fake, TOKEN, "getMe", json!({})).await;
    assert_eq!((status, &me["result"]["username"]), (200, &json!("pincer_bot")));
    let (status, refused) = call(&fake, "1:wrong", "getMe", json!({})).await;
    assert_eq!((status, &refused["ok"], &refused["error_code"]), (401, &json!(false), &json!(401)));

    // A long poll returns when a user writes.
    let poll = {
        let url = format!("{}/bot{TOKEN}/getUpdates?timeout=5", fake.base_url());
        tokio::spawn(async move { client().get(url).send().await.unwrap().json::<Value>().await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let update_id = fake.user_writes(TOKEN, 42, "Ada", "/start");
    let polled = poll.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "the poll woke when the update came");
    assert_eq!(polled["result"][0]["message"]["text"], "/start");
    assert_eq!(polled["result"][0]["message"]["chat"]["id"], 42);
    // Not confirmed yet: polled again; an offset past it confirms it.
    let (_, again) = call(&fake, TOKEN, "getUpdates", json!({"offset": update_id})).await;
    assert_eq!(again["result"].as_array().unwrap().len(), 1);
    let (_, after) = call(&fake, TOKEN, "getUpdates", json!({"offset": update_id + 1})).await;
    assert_eq!(after["result"], json!([]));
    assert_eq!(fake.pending_updates(TOKEN), 0);

    // Send, edit, and the refused no-op edit.
    let (_, sent) = call(&fake, TOKEN, "sendMessage", json!({"chat_id": 42, "text": "Thinking"})).await;
    let id = sent["result"]["message_id"].clone();
    let (status, _) =
        call(&fake, TOKEN, "editMessageText", json!({"chat_id": 42, "message_id": id, "text": "Done."})).await;
    assert_eq!(status, 200);
    let (status, same) =
        call(&fake, TOKEN, "editMessageText", json!({"chat_id": 42, "message_id": id, "text": "Done."})).await;
    assert_eq!((status, same["description"].as_str()), (400, Some("Bad Request: message is not modified")));
    assert_eq!(fake.chat_texts(TOKEN, 42), ["Done."]);
    let (status, typing) = call(&fake, TOKEN, "sendChatAction", json!({"chat_id": 42, "action": "typing"})).await;
    assert_eq!((status, &typing["result"]), (200, &json!(true)));

    // Flood control and another poller.
    fake.flood_next(TOKEN, "sendMessage", 3);
    let (status, flood) = call(&fake, TOKEN, "sendMessage", json!({"chat_id": 42, "text": "x"})).await;
    assert_eq!((status, &flood["parameters"]["retry_after"]), (429, &json!(3)));
    fake.set_conflict(TOKEN, true);
    let (status, conflict) = call(&fake, TOKEN, "getUpdates", json!({})).await;
    assert_eq!((status, &conflict["error_code"]), (409, &json!(409)));
    assert!(fake.calls().iter().any(|c| c.method == "editMessageText" && c.params["text"] == "Done."));
}
