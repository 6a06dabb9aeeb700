//! Who acted is sealed (issue #21, M7): entries name user actors by pseudonym, and the table
//! resolving pseudonyms to users lives outside the chain. Each mapping now carries the audit
//! key's MAC, so swapping two users' pseudonyms — making one user's actions appear as another's —
//! is reported by verification, and the altered entries show no user instead of the wrong one.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{execute, query_text};

#[tokio::test(flavor = "multi_thread")]
async fn swapping_two_users_pseudonyms_is_detected_and_misattributes_nothing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (ada_id, ada) = server.create_member(&admin, "ada@example.com").await;
    let (bob_id, _bob) = server.create_member(&admin, "bob@example.com").await;
    let (status, _) = ada.send_json("PATCH", "/api/users/me", json!({"name": "Ada"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!((&report["valid"], &report["invalidPseudonyms"]), (&json!(true), &json!([])), "{report}");

    // Ada's rename now appears to be Bob's: the two mappings trade pseudonyms.
    let pseudonym = |user: &str| {
        query_text(
            server.database(),
            &format!("SELECT pseudonym AS value FROM audit_pseudonyms WHERE user_id = '{user}'"),
        )
        .remove(0)
    };
    let (ada_p, bob_p) = (pseudonym(&ada_id), pseudonym(&bob_id));
    execute(
        server.database(),
        &format!(
            "UPDATE audit_pseudonyms SET pseudonym = 'swap' WHERE user_id = '{ada_id}';
             UPDATE audit_pseudonyms SET pseudonym = '{ada_p}' WHERE user_id = '{bob_id}';
             UPDATE audit_pseudonyms SET pseudonym = '{bob_p}' WHERE user_id = '{ada_id}';"
        ),
    );

    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(report["valid"], false, "{report}");
    let mut invalid: Vec<&str> =
        report["invalidPseudonyms"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    invalid.sort_unstable();
    let mut expected = vec![ada_p.as_str(), bob_p.as_str()];
    expected.sort_unstable();
    assert_eq!(invalid, expected, "{report}");

    // The rename is not shown as Bob's; nor is any entry attributed through a swapped mapping.
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=user.updated", Value::Null).await;
    let rename = &page["entries"][0];
    assert_ne!(rename["actorId"], json!(bob_id), "{rename}");
    assert_eq!(rename["actorDeleted"], true, "an unverifiable mapping names nobody: {rename}");
    let (_, by_bob) = admin.send_json("GET", &format!("/api/audit?actorId={bob_id}"), Value::Null).await;
    assert_eq!(by_bob["total"], 0, "filtering by Bob finds nothing through a broken mapping: {by_bob}");
}

/// A log from before mappings were sealed (every MAC empty) is sealed once at the next start;
/// afterwards one unsealed mapping is an altered one, and a restart does not bless it.
#[tokio::test(flavor = "multi_thread")]
async fn mappings_from_before_sealing_are_sealed_once_at_start_and_only_then() {
    let mut server = TestServer::start().await;
    server.setup_admin().await;
    execute(server.database(), "UPDATE audit_pseudonyms SET mac = NULL");
    server.restart().await;
    let admin = server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!((&report["valid"], &report["invalidPseudonyms"]), (&json!(true), &json!([])), "{report}");

    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    execute(server.database(), &format!("UPDATE audit_pseudonyms SET mac = NULL WHERE user_id = '{member_id}'"));
    server.restart().await;
    let admin = server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let (_, report) = admin.send_json("GET", "/api/audit/verify", Value::Null).await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["invalidPseudonyms"].as_array().map(Vec::len), Some(1), "{report}");
}
