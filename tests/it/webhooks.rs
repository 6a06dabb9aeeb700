//! Inbound webhooks through the binary: admins create slots (the secret shown once, masked after),
//! deliveries signed the Standard Webhooks way run the slot's agent and `wait=true` returns its
//! answer; replays are answered from the first delivery without a second model call; wrong,
//! missing, expired proofs and unknown slots get one 401; relaxed slots take the reference's two
//! proofs; deliveries without `wait` are read back later; the run is a session of the slot's
//! owner (`channel: "webhook"`) and its usage and audit events are recorded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pincer_channels::webhooks::proof::standard_signature;
use pincer_testkit::FakeReply;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::chat_errors::{WithProvider, shared_agent, with_openai};
use crate::support::assert_error;

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Posts `body` to a slot with these headers; the status and the JSON answer.
async fn deliver(p: &WithProvider, path: &str, headers: &[(&str, String)], body: &[u8]) -> (StatusCode, Value) {
    let mut req = p.server.client().post(p.server.url(path)).header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let res = req.body(body.to_vec()).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The Standard Webhooks headers for `body` sent as `id` at `timestamp`.
fn standard(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let signature = standard_signature(secret, id, &timestamp.to_string(), body).unwrap();
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
    ]
}

async fn add(p: &WithProvider, body: Value) -> (StatusCode, Value) {
    p.admin.send_json("POST", "/api/webhooks/add", body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_delivery_runs_the_agent_and_replays_and_bad_proofs_do_not() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;

    // Slots: admins only, names are URL slugs, one per name, agents that exist.
    let (_, member) = p.server.create_member(&p.admin, "m@example.com").await;
    let slot = json!({"name": "ci-alerts", "agentId": agent, "description": "CI"});
    assert_error(&member.send_json("POST", "/api/webhooks/add", slot.clone()).await, 403, "admin_required");
    assert_error(&add(&p, json!({"name": "CI Alerts", "agentId": agent})).await, 400, "invalid_input");
    let unknown = "01900000-0000-7000-8000-0000000000ff";
    assert_error(&add(&p, json!({"name": "x", "agentId": unknown})).await, 400, "unknown_agent");
    assert_error(&add(&p, json!({"name": "x", "agentId": agent, "syncTimeoutSeconds": 0})).await, 400, "invalid_input");
    let (status, created) = add(&p, slot.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["signature"], "standard");
    assert_error(&add(&p, slot).await, 409, "webhook_exists");
    let (_, listed) = p.admin.send_json("GET", "/api/webhooks", Value::Null).await;
    assert_eq!(listed[0]["name"], "ci-alerts");
    assert!(!listed.to_string().contains(&secret), "the secret is shown once: {listed}");

    // A signed delivery with wait=true: the agent's answer.
    p.fake.push_reply(FakeReply::text(&["The build ", "is green."]));
    let body = br#"{"message":"Is the build green?","sender":"ci","metadata":{"run":42}}"#;
    let headers = standard(&secret, "msg_1", now_secs(), body);
    let path = "/webhook/inbound/ci-alerts?wait=true";
    let (status, answered) = deliver(&p, path, &headers, body).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["answer"], "The build is green.");
    assert_eq!(answered["state"], "done");
    let asked = p.fake.chat_requests();
    assert_eq!(asked.len(), 1);
    assert!(String::from_utf8_lossy(&asked[0].body).contains("Is the build green?"), "the message reached the model");

    // The same delivery again (a sender's retry): the first one's answer, no second run.
    let (status, again) = deliver(&p, path, &headers, body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["requestId"], answered["requestId"]);
    assert_eq!(again["answer"], "The build is green.");
    assert_eq!(p.fake.chat_requests().len(), 1, "a replay is not run again");

    // Bad proofs and unknown slots: one answer.
    let other_body = br#"{"message":"Delete everything"}"#;
    let tampered = standard(&secret, "msg_2", now_secs(), body);
    let expired = standard(&secret, "msg_3", now_secs() - 6 * 60, other_body);
    let foreign = standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_4", now_secs(), other_body);
    let plain_secret = vec![("x-webhook-secret", secret.clone())];
    let cases: [(&str, &[(&str, String)]); 6] = [
        ("/webhook/inbound/ci-alerts", &tampered),
        ("/webhook/inbound/ci-alerts", &expired),
        ("/webhook/inbound/ci-alerts", &foreign),
        ("/webhook/inbound/ci-alerts", &[]),
        // A standard slot does not take the reference's weaker proofs.
        ("/webhook/inbound/ci-alerts", &plain_secret),
        ("/webhook/inbound/nobody-here", &standard(&secret, "msg_5", now_secs(), other_body)),
    ];
    for (path, headers) in cases {
        let got = deliver(&p, path, headers, other_body).await;
        assert_error(&got, 401, "unauthorized");
    }
    assert_eq!(p.fake.chat_requests().len(), 1, "nothing refused reached the model");

    // Too large: 413, before anything runs.
    let huge = format!(r#"{{"message":"{}"}}"#, "x".repeat(300 * 1024));
    let got = deliver(
        &p,
        "/webhook/inbound/ci-alerts",
        &standard(&secret, "msg_6", now_secs(), huge.as_bytes()),
        huge.as_bytes(),
    )
    .await;
    assert_error(&got, 413, "payload_too_large");
    let empty = br#"{"message":"  "}"#;
    let got = deliver(&p, "/webhook/inbound/ci-alerts", &standard(&secret, "msg_7", now_secs(), empty), empty).await;
    assert_error(&got, 400, "invalid_input");

    // The run is a session of the slot's owner, through the webhook channel.
    let (_, sessions) = p.admin.send_json("GET", "/api/sessions", Value::Null).await;
    let session = sessions["sessions"].as_array().unwrap().iter().find(|s| s["channel"] == "webhook").cloned();
    let session = session.unwrap_or_else(|| panic!("no webhook session: {sessions}"));
    assert_eq!(session["agentId"], agent.as_str());
    let (_, usage) = p.admin.send_json("GET", "/api/usage/summary?days=1", Value::Null).await;
    assert!(usage.to_string().contains(&agent), "the model call is accounted: {usage}");
    for (event, at_least) in [("webhook.created", 1), ("webhook.received", 1), ("webhook.rejected", 1)] {
        let (_, audit) = p.admin.send_json("GET", &format!("/api/audit?eventType={event}"), Value::Null).await;
        assert!(audit["total"].as_i64().unwrap() >= at_least, "{event}: {audit}");
        assert!(!audit.to_string().contains(&secret), "no secret in the audit log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn relaxed_slots_take_the_references_proofs_and_deliveries_are_read_back() {
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (status, created) = add(&p, json!({"name": "forms", "agentId": agent, "signature": "body"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let body = br#"{"message":"A form was filled in"}"#;

    // The body HMAC, hex, without waiting: 202 and the request to read later.
    let mac = {
        use ring::hmac;
        hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), body))
    };
    p.fake.push_reply(FakeReply::text(&["Noted."]));
    let (status, accepted) =
        deliver(&p, "/webhook/inbound/forms", &[("x-webhook-signature", format!("sha256={mac}"))], body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["requestId"].as_str().unwrap().to_string();
    let mut request = Value::Null;
    for _ in 0..100 {
        request = p.admin.send_json("GET", &format!("/api/webhooks/requests/{id}"), Value::Null).await.1;
        if request["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((request["state"].as_str(), request["answer"].as_str()), (Some("done"), Some("Noted.")), "{request}");
    let (_, listed) = p.admin.send_json("GET", "/api/webhooks", Value::Null).await;
    assert_eq!(listed[0]["recent"][0]["requestId"], id.as_str(), "recent deliveries are listed");

    // The plain secret header.
    let (status, _) = deliver(&p, "/webhook/inbound/forms", &[("x-webhook-secret", secret.clone())], body).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let wrong = deliver(&p, "/webhook/inbound/forms", &[("x-webhook-signature", "sha256=00".into())], body).await;
    assert_error(&wrong, 401, "unauthorized");

    // A new secret: the old one stops working at once.
    let (status, regenerated) = p.admin.send_json("POST", "/api/webhooks/regenerate", json!({"name": "forms"})).await;
    assert_eq!(status, StatusCode::OK, "{regenerated}");
    let fresh = regenerated["secret"].as_str().unwrap().to_string();
    assert_ne!(fresh, secret);
    let old = deliver(&p, "/webhook/inbound/forms", &[("x-webhook-secret", secret)], body).await;
    assert_error(&old, 401, "unauthorized");
    let (status, _) = deliver(&p, "/webhook/inbound/forms", &[("x-webhook-secret", fresh.clone())], body).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Removed: gone for senders too.
    let (status, _) = p.admin.send_json("POST", "/api/webhooks/remove", json!({"name": "forms"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &p.admin.send_json("POST", "/api/webhooks/remove", json!({"name": "forms"})).await,
        404,
        "webhook_not_found",
    );
    let gone = deliver(&p, "/webhook/inbound/forms", &[("x-webhook-secret", fresh)], body).await;
    assert_error(&gone, 401, "unauthorized");
    let missing = p.admin.send_json("GET", &format!("/api/webhooks/requests/{id}"), Value::Null).await;
    assert_error(&missing, 404, "webhook_request_not_found");
}

/// The Standard Webhooks specification's own Python library (`standardwebhooks` from PyPI,
/// pinned in `.ci/run`) signs the delivery: the server must accept what the published signer
/// produces, not only what ours does. CI requires it; elsewhere the test says how to run it.
#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_signed_by_the_specifications_library_is_accepted() {
    let Some(python) = std::env::var_os("PINCER_STANDARDWEBHOOKS_PYTHON") else {
        let required = std::env::var_os("PINCER_REQUIRE_STANDARDWEBHOOKS").is_some();
        assert!(!required, "PINCER_STANDARDWEBHOOKS_PYTHON must name a Python with the standardwebhooks package");
        eprintln!("skipped: set PINCER_STANDARDWEBHOOKS_PYTHON to a Python with `pip install standardwebhooks`");
        return;
    };
    let p = with_openai().await;
    let agent = shared_agent(&p, &[]).await;
    let (_, created) = add(&p, json!({"name": "library", "agentId": agent})).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let body = r#"{"message":"Signed by the specification's library"}"#;
    let script = "import sys, datetime\n\
                  from standardwebhooks.webhooks import Webhook\n\
                  secret, msg_id, body = sys.argv[1:4]\n\
                  now = datetime.datetime.now(tz=datetime.timezone.utc)\n\
                  print(int(now.timestamp()))\n\
                  print(Webhook(secret).sign(msg_id, now, body))\n";
    let out = std::process::Command::new(python).args(["-c", script, &secret, "msg_lib_1", body]).output().unwrap();
    assert!(out.status.success(), "the library failed: {}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    let (timestamp, signature) = printed.trim().split_once('\n').expect("a timestamp and a signature");
    assert!(signature.starts_with("v1,"), "{signature}");
    let headers = [
        ("webhook-id", "msg_lib_1".to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature.to_string()),
    ];

    p.fake.push_reply(FakeReply::text(&["Verified."]));
    let (status, answered) = deliver(&p, "/webhook/inbound/library?wait=true", &headers, body.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["answer"], "Verified.");
    let tampered = body.replace("library", "libraries");
    let got = deliver(&p, "/webhook/inbound/library", &headers, tampered.as_bytes()).await;
    assert_error(&got, 401, "unauthorized");
}
