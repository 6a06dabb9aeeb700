//! Sign-in by QR code through the binary (issue #19): only a signed-in session gets a code (SVG,
//! PNG or the link), the link points at the public URL or the request's origin, the phone that
//! opens it gets a session of that person's once, and the sign-in is audited with its user agent.

use pincer_testkit::TestServer;
use pincer_testkit::server::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

/// A fresh device (its own cookie jar) signs in with a code, saying what browser it is.
async fn sign_in_with(device: &Browser, code: &str) -> (StatusCode, Value) {
    let res = device
        .client()
        .post(device.url("/api/auth/qr"))
        .header("User-Agent", "PhoneBrowser/1.0 (test)")
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_person_shows_a_code_and_their_phone_signs_in_once() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    let anonymous = server.client().get(server.url("/api/qr")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "nobody gets a login for the asking");

    let svg = admin.get("/api/qr").await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(svg.headers()["cache-control"], "no-store");
    assert!(svg.text().await.unwrap().contains("<svg"));
    let png = admin.get("/api/qr?format=png").await;
    assert_eq!((png.status(), png.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "image/png"));
    assert_eq!(&png.bytes().await.unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    assert_error(&admin.send_json("GET", "/api/qr?format=bmp", Value::Null).await, 400, "invalid_input");
    let (_, token) = admin.send_json("POST", "/api/tokens", json!({"name": "t", "scopes": ["admin"]})).await;
    let by_token =
        server.client().get(server.url("/api/qr")).bearer_auth(token["token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(by_token.status(), StatusCode::FORBIDDEN, "a script's token does not become a browser login");

    let (status, link) = admin.send_json("GET", "/api/qr?format=json", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let url = link["url"].as_str().unwrap();
    let prefix = format!("{}/login/qr/", server.base_url());
    assert!(url.starts_with(&prefix), "{url} is under {prefix}");
    let code = &url[prefix.len()..];
    assert_eq!(code.len(), 9, "{code}");

    // The phone signs in as the admin, once.
    let device = server.browser();
    assert_error(&sign_in_with(&device, "ZZZZ-ZZZZ").await, 400, "invalid_token");
    let (status, signed_in) = sign_in_with(&device, &code.to_lowercase()).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    assert_eq!(signed_in["user"]["email"], "admin@example.com");
    let me = device.get("/api/auth/me").await;
    assert_eq!(me.status(), StatusCode::OK, "the phone has a session of its own");
    assert_error(&sign_in_with(&server.browser(), code).await, 400, "invalid_token");

    let (_, page) = admin.send_json("GET", "/api/audit?eventType=auth.qr_login", Value::Null).await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(entries[0]["detail"]["userAgent"], "PhoneBrowser/1.0 (test)");
    assert!(!page.to_string().contains(&code[..4]), "the code is not in the audit trail");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_uses_the_public_url_when_one_is_set() {
    let server = TestServer::builder().env("PINCER_PUBLIC_URL", "http://pincer.example.com").start().await;
    let admin = server.browser();
    let res = admin
        .client()
        .post(server.url("/api/setup"))
        .header("Host", "pincer.example.com")
        .header("Origin", "http://pincer.example.com")
        .json(&json!({"name": "Admin", "email": "admin@example.com", "password": pincer_testkit::server::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = admin.client().get(server.url("/api/qr?format=json")).header("Host", "pincer.example.com").send().await;
    let link: Value = res.unwrap().json().await.unwrap();
    assert!(link["url"].as_str().unwrap().starts_with("http://pincer.example.com/login/qr/"), "{link}");
}
