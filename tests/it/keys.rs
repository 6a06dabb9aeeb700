//! Keys from the environment (docs/OPERATIONS.md): no key files are written, and a server started
//! with another `PINCER_ENCRYPTION_KEY` cannot open the stored provider key — the chat says
//! `secret_unreadable` and nothing is sent — until the right key is back.

use pincer_testkit::FakeReply;
use pincer_testkit::server::PASSWORD;
use serde_json::json;

use crate::chat_errors::{shared_agent, with_openai_env};
use crate::ws::{ChatSocket, chunk_text};

const KEY: &str = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988";
const AUDIT_KEY: &str = "a0b1c2d3e4f5a6b7a0b1c2d3e4f5a6b7a0b1c2d3e4f5a6b7a0b1c2d3e4f5a6b7";
const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_the_environment_write_no_files_and_a_wrong_one_opens_nothing() {
    let mut p = with_openai_env(&[("PINCER_ENCRYPTION_KEY", KEY), ("PINCER_AUDIT_KEY", AUDIT_KEY)]).await;
    let agent = shared_agent(&p, &[]).await;
    let secrets = p.server.data_dir().join("secrets");
    for file in ["encryption.key", "audit.key"] {
        assert!(!secrets.join(file).exists(), "{file} was written although the key came from the environment");
    }

    p.server.set_env("PINCER_ENCRYPTION_KEY", Some(OTHER_KEY));
    p.server.restart().await;
    p.fake.clear_requests();
    let admin = p.server.login("admin@example.com", PASSWORD).await;
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(&agent, "hello").await;
    let refused = ws.next().await;
    assert_eq!((refused["code"].clone(), refused["agentId"].clone()), (json!("secret_unreadable"), json!(agent)));
    assert!(p.fake.requests().is_empty(), "nothing was sent with a key that could not be opened");
    let logs = p.server.logs();
    assert!(!logs.contains(KEY) && !logs.contains(OTHER_KEY), "a key reached the log");

    p.server.set_env("PINCER_ENCRYPTION_KEY", Some(KEY));
    p.server.restart().await;
    let admin = p.server.login("admin@example.com", PASSWORD).await;
    let mut ws = ChatSocket::open(&admin).await;
    p.fake.push_reply(FakeReply::text(&["Back."]));
    ws.message(&agent, "hello again").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Back.");
}
