//! The Telegram Bot API adapter against the fake Bot API over real HTTP: the token checked and
//! its bot named, messages received with their cursors, Markdown sent as Telegram's HTML (plain
//! text when Telegram cannot parse it), edits, typing, and Telegram's failures as the port's
//! errors, none of which ever carries the token.

use std::time::{Duration, Instant};

use pincer_channels::{Account, ChannelTransport, Inbound, Transport, TransportError};
use pincer_connectors::{DEFAULT_TELEGRAM_API_URL, TelegramBotApi};
use pincer_testkit::{ClosedPort, FakeTelegram};
use serde_json::json;

const TOKEN: &str = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789";

fn api(fake: &FakeTelegram) -> TelegramBotApi {
    TelegramBotApi::new(&fake.base_url()).unwrap().with_poll_timeout(Duration::from_secs(1))
}

fn bot() -> (FakeTelegram, TelegramBotApi) {
    let fake = FakeTelegram::start();
    fake.add_bot(TOKEN, "pincer_bot");
    let api = api(&fake);
    (fake, api)
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_bot_and_refuses_unknown_tokens() {
    let (fake, api) = bot();
    assert_eq!((api.transport(), api.max_message_chars()), (Transport::Telegram, 4096));
    assert_eq!(api.verify(TOKEN).await, Ok(Account { id: "123456".into(), name: "pincer_bot".into() }));
    let unknown = api.verify("654321:unknown").await;
    assert!(matches!(&unknown, Err(TransportError::InvalidCredential(why)) if why == "Unauthorized"), "{unknown:?}");
    let calls = fake.calls();
    assert_eq!(calls.iter().map(|c| c.method.as_str()).collect::<Vec<_>>(), ["getMe", "getMe"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_tokens_are_refused_without_a_request() {
    let (fake, api) = bot();
    for token in ["", "123456", "abc:def", "123:abc/../../evil", "123:abc?x=1", "123:a b", "123:abc#"] {
        assert!(matches!(api.verify(token).await, Err(TransportError::InvalidCredential(_))), "{token:?}");
        assert!(matches!(api.receive(token, 0).await, Err(TransportError::InvalidCredential(_))), "{token:?}");
        assert!(matches!(api.send(token, "42", "hi").await, Err(TransportError::InvalidCredential(_))), "{token:?}");
    }
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}

#[tokio::test(flavor = "multi_thread")]
async fn receive_returns_messages_with_cursors_and_confirms_them() {
    let (fake, api) = bot();
    let first = fake.user_writes(TOKEN, 42, "Ada", "/start");
    let second = fake.user_writes(TOKEN, 42, "Ada", "hello");
    let batch = api.receive(TOKEN, 0).await.unwrap();
    assert_eq!(
        batch.messages,
        [
            Inbound {
                next_cursor: first + 1,
                conversation: "42".into(),
                private: true,
                sender: "42".into(),
                message_id: "1".into(),
                text: Some("/start".into()),
            },
            Inbound {
                next_cursor: second + 1,
                conversation: "42".into(),
                private: true,
                sender: "42".into(),
                message_id: "2".into(),
                text: Some("hello".into()),
            },
        ]
    );
    assert_eq!(batch.next_cursor, Some(second + 1));

    // The next poll from the new cursor confirms them and waits the poll time for nothing.
    let started = Instant::now();
    let next = api.receive(TOKEN, second + 1).await.unwrap();
    assert!(next.messages.is_empty() && next.next_cursor.is_none(), "{next:?}");
    assert!(started.elapsed() >= Duration::from_millis(900), "it long-polled");
    assert_eq!(fake.pending_updates(TOKEN), 0);

    let polls: Vec<_> = fake.calls().into_iter().filter(|c| c.method == "getUpdates").collect();
    assert_eq!(polls[0].params.get("offset"), None, "no offset from cursor 0");
    assert_eq!(polls[0].params["timeout"], json!(1));
    assert_eq!(polls[0].params["allowed_updates"], json!(["message"]));
    assert_eq!(polls[1].params["offset"], json!(second + 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_poll_wakes_when_a_user_writes() {
    let fake = FakeTelegram::start();
    fake.add_bot(TOKEN, "pincer_bot");
    let api = TelegramBotApi::new(&fake.base_url()).unwrap().with_poll_timeout(Duration::from_secs(5));
    assert_eq!(api.poll_timeout(), Duration::from_secs(5));
    let poll = tokio::spawn(async move { api.receive(TOKEN, 0).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    fake.user_writes(TOKEN, 7, "Grace", "ping");
    let batch = poll.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(batch.messages.iter().map(|m| m.text.as_deref()).collect::<Vec<_>>(), [Some("ping")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicts_floods_and_unreachable_apis_map_to_the_ports_errors() {
    let (fake, api) = bot();
    fake.set_conflict(TOKEN, true);
    let conflict = api.receive(TOKEN, 0).await;
    assert!(matches!(&conflict, Err(TransportError::Conflict(why)) if why.starts_with("Conflict:")), "{conflict:?}");
    fake.set_conflict(TOKEN, false);

    fake.flood_next(TOKEN, "getUpdates", 7);
    assert_eq!(api.receive(TOKEN, 0).await, Err(TransportError::RateLimited(7)));
    fake.flood_next(TOKEN, "sendMessage", 3);
    assert_eq!(api.send(TOKEN, "42", "hi").await, Err(TransportError::RateLimited(3)));

    fake.fail_next(TOKEN, "sendMessage", 403, "Forbidden: bot was blocked by the user");
    assert_eq!(
        api.send(TOKEN, "42", "hi").await,
        Err(TransportError::Refused("Forbidden: bot was blocked by the user".into()))
    );
    fake.fail_next(TOKEN, "getUpdates", 502, "Bad Gateway");
    let gateway = api.receive(TOKEN, 0).await;
    assert!(matches!(&gateway, Err(TransportError::Unavailable(why)) if why.contains("502")), "{gateway:?}");

    // Nothing listens: unavailable, and the error names neither the URL nor the token.
    let closed = ClosedPort::new();
    let api = TelegramBotApi::new(&closed.origin()).unwrap();
    let unreachable = api.verify(TOKEN).await;
    let Err(TransportError::Unavailable(why)) = &unreachable else { panic!("{unreachable:?}") };
    assert!(!why.contains(TOKEN) && !why.contains("ABCdef") && !why.contains("127.0.0.1"), "{why}");
    assert!(TelegramBotApi::new(DEFAULT_TELEGRAM_API_URL).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn send_converts_markdown_edit_replaces_and_typing_shows() {
    let (fake, api) = bot();
    let id = api.send(TOKEN, "42", "**bold** <x>").await.unwrap();
    assert_eq!(fake.chat_texts(TOKEN, 42), ["<b>bold</b> &lt;x&gt;"]);
    let sent = fake.calls().into_iter().find(|c| c.method == "sendMessage").unwrap();
    assert_eq!(sent.params["chat_id"], json!(42));
    assert_eq!(sent.params["parse_mode"], json!("HTML"));
    assert_eq!(sent.params["link_preview_options"], json!({"is_disabled": true}));

    api.edit(TOKEN, "42", &id, "Done _now_").await.unwrap();
    assert_eq!(fake.chat_texts(TOKEN, 42), ["Done <i>now</i>"]);
    let same = api.edit(TOKEN, "42", &id, "Done _now_").await;
    assert_eq!(same, Err(TransportError::Refused("Bad Request: message is not modified".into())));
    let gone = api.edit(TOKEN, "42", "999", "x").await;
    assert!(matches!(gone, Err(TransportError::Refused(_))), "{gone:?}");
    assert!(matches!(api.edit(TOKEN, "42", "not-a-number", "x").await, Err(TransportError::Refused(_))));

    api.typing(TOKEN, "42").await.unwrap();
    let typing = fake.calls().into_iter().find(|c| c.method == "sendChatAction").unwrap();
    assert_eq!(typing.params, json!({"chat_id": 42, "action": "typing"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn html_telegram_cannot_parse_is_sent_again_as_plain_text() {
    let (fake, api) = bot();
    let entities = "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0";
    fake.fail_next(TOKEN, "sendMessage", 400, entities);
    let id = api.send(TOKEN, "42", "**bold** <x>").await.unwrap();
    assert_eq!(fake.chat_texts(TOKEN, 42), ["**bold** <x>"]);
    let sends: Vec<_> = fake.calls().into_iter().filter(|c| c.method == "sendMessage").collect();
    assert_eq!(sends.len(), 2, "once as HTML, once as plain text");
    assert_eq!(sends[1].params.get("parse_mode"), None);

    fake.fail_next(TOKEN, "editMessageText", 400, entities);
    api.edit(TOKEN, "42", &id, "*new*").await.unwrap();
    assert_eq!(fake.chat_texts(TOKEN, 42), ["*new*"]);

    // Only once: a second refusal is the answer.
    fake.fail_next(TOKEN, "sendMessage", 400, "Bad Request: chat not found");
    assert_eq!(api.send(TOKEN, "43", "hi").await, Err(TransportError::Refused("Bad Request: chat not found".into())));
}
