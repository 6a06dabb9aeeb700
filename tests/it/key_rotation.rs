//! `pincer rotate-encryption-key` (issue #20): refused while a server runs; an interrupted
//! rotation stops `serve` (and shows in `config check`) until the command runs again; afterwards
//! the provider key sealed before the rotation still reaches the provider, the key file holds a
//! new key (0600), and the rotation is in the audit trail as the system's doing. On the
//! configured backend.

use std::os::unix::fs::PermissionsExt as _;

use pincer_testkit::{FakeKind, FakeProvider, FakeReply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::commands::{pincer, said};
use crate::restart::with_provider;
use crate::ws::{ChatSocket, chunk_text};

#[tokio::test(flavor = "multi_thread")]
async fn the_encryption_key_rotates_and_the_sealed_secrets_follow() {
    let fake = FakeProvider::start(FakeKind::Anthropic);
    let (mut server, admin, agent) = with_provider(&fake).await;
    let (status, _) = admin
        .send_json("POST", "/api/settings", json!({"key": "openai_api_key", "value": "sk-other-0123456789"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let key_file = server.data_dir().join("secrets/encryption.key");
    let next_file = server.data_dir().join("secrets/encryption.key.next");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    let env = vec![
        ("PINCER_DATA_DIR".to_string(), server.data_dir().to_str().unwrap().to_string()),
        ("PINCER_DATABASE_URL".to_string(), server.database().url().to_string()),
        ("PINCER_BIND".to_string(), server.base_url().trim_start_matches("http://").to_string()),
    ];
    let run = |args: &'static [&'static str]| {
        let env = env.clone();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            pincer(args, &env)
        })
    };

    let refused = run(&["rotate-encryption-key"]).await.unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(said(&refused).contains("a server answers"), "{}", said(&refused));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), old_key, "nothing changed");

    server.stop().await;
    // A rotation stopped before its transaction: the new key written, the database untouched.
    std::fs::write(&next_file, "ab".repeat(32)).unwrap();
    let check = run(&["config", "check"]).await.unwrap();
    assert!(!check.status.success() && said(&check).contains("key rotation was interrupted"), "{}", said(&check));

    let rotated = run(&["rotate-encryption-key"]).await.unwrap();
    assert!(rotated.status.success(), "{}", said(&rotated));
    let text = said(&rotated);
    assert!(text.contains("starting it over") && text.contains("re-sealed 2 secrets"), "{text}");
    assert!(text.contains("1 settings, 1 provider keys"), "{text}");
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert!(new_key != old_key && new_key != "ab".repeat(32) && new_key.len() == 64, "{new_key}");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!next_file.exists());

    // The provider key sealed under the old key opens with the new one: the fake (which refuses
    // any other key) answers.
    server.start_again().await;
    let admin = server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    fake.clear_requests();
    fake.push_reply(FakeReply::text(&["Still ", "here."]));
    let mut ws = ChatSocket::open(&admin).await;
    ws.message(&agent, "are you there?").await;
    assert_eq!(chunk_text(&ws.until("complete").await), "Still here.");
    assert_eq!(fake.chat_requests()[0].header("x-api-key"), fake.api_key());

    let (_, events) = admin.send_json("GET", "/api/audit?eventType=settings.encryption_key_rotated", Value::Null).await;
    let entry = &events["entries"][0];
    assert_eq!(entry["actorType"], "system", "{events}");
    assert_eq!((entry["detail"]["providers"].as_i64(), entry["detail"]["settings"].as_i64()), (Some(1), Some(1)));
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(report["valid"], true, "{report}");
}
