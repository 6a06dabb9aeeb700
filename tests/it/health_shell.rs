//! The HTTP shell: health, error shapes, body limits, unknown routes, CSRF and security headers.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_the_database_and_sets_security_headers() {
    let server = TestServer::start().await;
    let res = server.client().get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers().contains_key("referrer-policy"));
    assert!(res.headers().contains_key("content-security-policy"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "database": "ok", "auditEventsLost": 0, "version": env!("CARGO_PKG_VERSION")})
    );
}

/// Auditing never fails the audited action (issue #21, low): when the audit store refuses
/// writes, the action still succeeds, and health counts the lost events and says `degraded`.
#[tokio::test(flavor = "multi_thread")]
async fn audit_events_the_store_refuses_are_counted_on_health() {
    let server = TestServer::start().await;
    server.setup_admin().await;
    let refuse = if server.database().is_postgres() {
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
    } else {
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused'); END;"
    };
    crate::support::execute(server.database(), refuse);

    // Two audited actions: both succeed.
    let admin = server.login("admin@example.com", pincer_testkit::server::PASSWORD).await;
    let (status, _) = admin.send_json("PATCH", "/api/users/me", json!({"name": "Still Works"})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = server.browser().send_json("GET", "/api/health", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the server still serves: {body}");
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["auditEventsLost"], 2, "auth.login and user.updated: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_503_when_the_database_is_gone() {
    // PostgreSQL only: an embedded SQLite file cannot go away.
    let Some(admin_url) = pincer_testkit::db::postgres_or_skip("it::health_is_503_when_the_database_is_gone") else {
        return;
    };
    let server = TestServer::start().await;
    let name = server.database().url().rsplit('/').next().unwrap().to_string();
    crate::support::execute_on(&admin_url, &format!("DROP DATABASE \"{name}\" WITH (FORCE)"));
    let (status, body) = server.browser().send_json("GET", "/api/health", Value::Null).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "database_unreachable");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_wrong_methods_and_bad_bodies_get_json_errors() {
    let server = TestServer::start().await;
    let b = server.browser();
    assert_error(&b.send_json("GET", "/api/does-not-exist", Value::Null).await, 404, "route_not_found");
    assert_error(&b.send_json("DELETE", "/api/health", Value::Null).await, 405, "method_not_allowed");

    let raw = |body: &'static str, content_type: &'static str| {
        let client = server.client();
        let url = server.url("/api/setup");
        async move {
            let res = client.post(url).header("Content-Type", content_type).body(body).send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_error(&raw("{not json", "application/json").await, 400, "invalid_json");
    assert_error(&raw("{\"name\":\"A\"}", "application/json").await, 400, "invalid_input");
    assert_error(&raw("{\"name\":\"A\"}", "text/plain").await, 415, "unsupported_media_type");
    let huge = format!("{{\"name\":\"{}\",\"email\":\"a@b.co\",\"password\":\"x\"}}", "a".repeat(2 * 1024 * 1024));
    let res = server
        .client()
        .post(server.url("/api/setup"))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "payload_too_large");

    // None of the refused requests created anything.
    let (_, status) = b.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(status, json!({"setupComplete": false, "providerConfigured": false}));
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_mutations_from_another_origin_are_refused_and_bearer_is_exempt() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let token = admin.session_token().expect("session cookie");

    let cross_site = admin
        .client()
        .post(server.url("/api/settings"))
        .header("Origin", "https://evil.example")
        .json(&json!({"key": "default_provider", "value": "evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(cross_site.json::<Value>().await.unwrap()["code"], "csrf_rejected");

    // A cookie without any Origin or Referer is refused too (deny by default).
    let no_origin = server
        .client()
        .post(server.url("/api/settings"))
        .header("Cookie", format!("pincer_session={token}"))
        .json(&json!({"key": "default_provider", "value": "evil"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);

    let (_, settings) = admin.send_json("GET", "/api/settings", Value::Null).await;
    assert_eq!(settings, json!([]), "nothing may have changed");

    let bearer = server
        .client()
        .post(server.url("/api/settings"))
        .bearer_auth(&token)
        .json(&json!({"key": "default_provider", "value": "anthropic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let read = server.client().get(server.url("/api/settings")).bearer_auth(&token).send().await.unwrap();
    let settings: Value = read.json().await.unwrap();
    assert_eq!(settings, json!([{"key": "default_provider", "value": "anthropic", "encrypted": false}]));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_gracefully() {
    let mut server = TestServer::start().await;
    let status = server.stop().await;
    assert!(status.success(), "exit status {status}");
    assert!(server.logs().contains("stopped"));
}

#[tokio::test(flavor = "multi_thread")]
async fn security_headers_are_on_every_response_including_refusals() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let client = server.client();
    let responses = [
        ("404 route", client.get(server.url("/api/does-not-exist")).send().await.unwrap()),
        ("405 method", client.delete(server.url("/api/health")).send().await.unwrap()),
        ("401 anonymous", client.get(server.url("/api/auth/me")).send().await.unwrap()),
        (
            "400 bad json",
            client
                .post(server.url("/api/auth/login"))
                .header("Content-Type", "application/json")
                .body("{")
                .send()
                .await
                .unwrap(),
        ),
        (
            "403 csrf",
            admin
                .client()
                .post(server.url("/api/settings"))
                .header("Origin", "https://evil.example")
                .json(&json!({"key": "default_provider", "value": "evil"}))
                .send()
                .await
                .unwrap(),
        ),
        ("200 me", admin.get("/api/auth/me").await),
    ];
    for (what, res) in responses {
        let headers = res.headers();
        let missing: Vec<&str> = ["x-content-type-options", "x-frame-options", "referrer-policy"]
            .into_iter()
            .filter(|h| !headers.contains_key(*h))
            .collect();
        assert!(missing.is_empty(), "{what} ({}) lacks {missing:?}; headers: {headers:?}", res.status());
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_credential_is_reported_before_a_bad_body() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    let path = format!("/api/users/{}", me["id"].as_str().unwrap());
    let forged = "f".repeat(64);
    let res = server.client().patch(server.url(&path)).bearer_auth(&forged).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_authenticated");
    let res = server
        .client()
        .patch(server.url(&path))
        .bearer_auth(&forged)
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "auth comes before the content type");
}
