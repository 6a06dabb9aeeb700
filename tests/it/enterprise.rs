//! The enterprise licence through the binary: a key signed by a trusted vendor key is installed
//! (sealed at rest, audited, kept across a restart); forged, expired, featureless and malformed
//! keys are refused with their own codes and nothing is stored; `PINCER_LICENSE` manages it
//! instead (409 on install); invites stay within the seats (20 % tolerance).

use pincer_testkit::TestServer;
use pincer_testkit::licence::TestVendor;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text};

fn stored_licences(server: &TestServer) -> Vec<String> {
    query_text(server.database(), "SELECT value FROM settings WHERE key = 'enterprise.license'")
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_key_a_trusted_vendor_signed_is_installed() {
    let vendor = TestVendor::new();
    let mut server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;

    let (status, before) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        before,
        json!({"enterprise": false, "state": "community", "type": null, "org": null, "expiresAt": null,
               "daysRemaining": null, "maxUsers": null, "seatsUsed": 2, "managedByEnv": false})
    );

    let stranger = TestVendor::new();
    let refused = [
        (stranger.licence("Acme", "paid", 30, 0), "license_signature_invalid"),
        (vendor.licence("Acme", "paid", -1, 0), "license_expired"),
        (
            vendor.sign(&json!({"sub": "Acme", "type": "paid", "features": ["sso"], "exp": 4_102_444_800_i64})),
            "license_not_enterprise",
        ),
        ("not a licence".to_string(), "invalid_license"),
        ("a.b.c".to_string(), "invalid_license"),
    ];
    for (key, code) in refused {
        assert_error(&admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await, 400, code);
    }
    assert!(stored_licences(&server).is_empty(), "a refused key is not stored");
    assert_eq!(admin.send_json("GET", "/api/enterprise/status", Value::Null).await.1, before);

    let key = vendor.licence("Acme Corp", "paid", 30, 50);
    assert_error(&member.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await, 403, "admin_required");
    assert_error(&member.send_json("GET", "/api/enterprise/status", Value::Null).await, 403, "admin_required");
    let (status, installed) = admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await;
    assert_eq!(status, StatusCode::OK, "{installed}");
    assert_eq!(
        (&installed["enterprise"], &installed["state"], &installed["type"], &installed["org"], &installed["maxUsers"]),
        (&json!(true), &json!("paid"), &json!("paid"), &json!("Acme Corp"), &json!(50))
    );
    assert!(matches!(installed["daysRemaining"].as_i64(), Some(29 | 30)), "{installed}");
    let stored = stored_licences(&server);
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&key[..20]), "the key is sealed at rest");

    // The settings routes neither show nor write the reserved key.
    let (_, settings) = admin.send_json("GET", "/api/settings", Value::Null).await;
    assert!(!settings.to_string().contains("enterprise.license"), "{settings}");
    let overwrite = admin.send_json("POST", "/api/settings", json!({"key": "enterprise.license", "value": "x"})).await;
    assert_error(&overwrite, 400, "invalid_input");

    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=enterprise.key_updated", Value::Null).await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(audit["entries"][0]["detail"]["org"], "Acme Corp");

    server.restart().await;
    let admin = server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let (_, after) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!((&after["state"], &after["org"]), (&json!("paid"), &json!("Acme Corp")), "kept across a restart");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_environment_can_manage_the_licence() {
    let vendor = TestVendor::new();
    let server = TestServer::builder()
        .env("PINCER_LICENSE_KEYS", &vendor.public_hex())
        .env("PINCER_LICENSE", &vendor.licence("Env Org", "trial", 10, 0))
        .start()
        .await;
    let admin = server.setup_admin().await;
    let (_, status) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!(
        (&status["enterprise"], &status["state"], &status["org"], &status["managedByEnv"]),
        (&json!(true), &json!("trial"), &json!("Env Org"), &json!(true)),
        "{status}"
    );
    let other = vendor.licence("Other Org", "paid", 10, 0);
    let put = admin.send_json("PUT", "/api/enterprise/key", json!({"key": other})).await;
    assert_error(&put, 409, "license_managed_by_env");
    assert!(stored_licences(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn invites_stay_within_the_seats_the_licence_covers() {
    let vendor = TestVendor::new();
    let server = TestServer::builder().env("PINCER_LICENSE_KEYS", &vendor.public_hex()).start().await;
    let admin = server.setup_admin().await;
    // Without a licence, no seat limit.
    for n in 0..3 {
        let invite = json!({"role": "member", "email": format!("early{n}@example.com")});
        assert_eq!(admin.send_json("POST", "/api/users/invite", invite).await.0, StatusCode::CREATED);
    }
    // Five seats, 20 % tolerance: six in all. One admin and three pending invites use four.
    let key = vendor.licence("Small Co", "paid", 30, 5);
    assert_eq!(admin.send_json("PUT", "/api/enterprise/key", json!({"key": key})).await.0, StatusCode::OK);
    for n in 0..2 {
        let invite = json!({"role": "member", "email": format!("fits{n}@example.com")});
        assert_eq!(admin.send_json("POST", "/api/users/invite", invite).await.0, StatusCode::CREATED);
    }
    let over =
        admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": "over@example.com"})).await;
    assert_error(&over, 403, "seat_limit_reached");
    let (_, status) = admin.send_json("GET", "/api/enterprise/status", Value::Null).await;
    assert_eq!(status["seatsUsed"], 6, "{status}");
    let (_, invites) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert!(!invites.to_string().contains("over@example.com"), "the refused invite was not created");
}
