//! The domain lock through the binary (issue #19, the agent-platform reference's
//! `/api/settings/domain`): an admin locks Pincer to the host their request came through (any
//! other is refused), then requests to other hosts get 421 (pages a redirect), the health probe
//! still answers, cookies are `Secure`, only the locked HTTPS origin passes the same-origin check,
//! an untrusted `X-Forwarded-Host` changes nothing; unlocking over the API and with
//! `pincer unlock-domain` on the server; all audited.

use std::time::Duration;

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, binary_path};
use reqwest::StatusCode;
use reqwest::header::{HOST, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::assert_error;

const DOMAIN: &str = "pincer.example.com";

/// A request from `browser` (its cookies) as if addressed to `host`, with `origin`.
async fn as_host(
    browser: &Browser,
    method: &str,
    path: &str,
    host: &str,
    origin: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = browser.client().request(method, browser.url(path)).header(HOST, host);
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    if !body.is_null() {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn json_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_server_answers_at_its_domain_only() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let https = format!("https://{DOMAIN}");

    let (status, lock) = admin.send_json("GET", "/api/settings/domain", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{lock}");
    assert_eq!(lock, json!({"lockedDomain": null, "insecureMode": false}), "loopback is not insecure");
    assert_error(&member.send_json("GET", "/api/settings/domain", Value::Null).await, 403, "admin_required");
    let elsewhere = admin.send_json("POST", "/api/settings/domain", json!({"lockedDomain": DOMAIN})).await;
    assert_error(&elsewhere, 400, "invalid_input");
    assert!(elsewhere.1["error"].as_str().unwrap().contains("127.0.0.1"), "{}", elsewhere.1);
    for bad in
        [json!({"lockedDomain": "https://x.com"}), json!({"lockedDomain": "x.com:443"}), json!({"lockedDomain": 3})]
    {
        assert_eq!(admin.send_json("POST", "/api/settings/domain", bad.clone()).await.0.as_u16(), 400, "{bad}");
    }

    // Locked through the domain itself (as the reverse proxy passes it on).
    let plain = format!("http://{DOMAIN}");
    let locked = json_of(
        as_host(
            &admin,
            "POST",
            "/api/settings/domain",
            DOMAIN,
            Some(&plain),
            json!({"lockedDomain": "Pincer.Example.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(locked, (StatusCode::OK, json!({"lockedDomain": DOMAIN, "insecureMode": true})));

    // Another host: the API says 421, pages redirect, the health probe answers.
    assert_error(&admin.send_json("GET", "/api/auth/me", Value::Null).await, 421, "misdirected_request");
    let no_redirects = pincer_outbound::client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = no_redirects.get(server.url("/agents?x=1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(page.headers()[LOCATION], format!("{https}/agents?x=1").as_str());
    assert_eq!(admin.get("/api/health").await.status(), StatusCode::OK);
    let forwarded =
        admin.client().get(admin.url("/api/auth/me")).header("X-Forwarded-Host", DOMAIN).send().await.unwrap();
    assert_eq!(
        forwarded.status(),
        StatusCode::MISDIRECTED_REQUEST,
        "an untrusted peer's X-Forwarded-Host counts for nothing"
    );

    // The domain: reads work; writes need the HTTPS origin; a sign-in's cookie is Secure.
    assert_eq!(as_host(&admin, "GET", "/api/auth/me", DOMAIN, None, Value::Null).await.status(), StatusCode::OK);
    let body = json!({"content": "From the locked domain"});
    let plain_origin = as_host(&admin, "PUT", "/api/users/me/context", DOMAIN, Some(&plain), body.clone()).await;
    assert_eq!(plain_origin.status(), StatusCode::FORBIDDEN, "only {https} is our origin now");
    assert_eq!(
        as_host(&admin, "PUT", "/api/users/me/context", DOMAIN, Some(&https), body).await.status(),
        StatusCode::OK
    );
    let login = json!({"email": "m@example.com", "password": pincer_testkit::server::PASSWORD});
    let signed_in = as_host(&server.browser(), "POST", "/api/auth/login", DOMAIN, Some(&https), login).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");

    // Unlocked over the API, then locked again and cleared on the server's command line.
    let unlocked = json_of(
        as_host(&admin, "POST", "/api/settings/domain", DOMAIN, Some(&https), json!({"lockedDomain": null})).await,
    )
    .await;
    assert_eq!(unlocked.1["lockedDomain"], Value::Null, "{}", unlocked.1);
    assert_eq!(admin.get("/api/auth/me").await.status(), StatusCode::OK);
    let relocked =
        as_host(&admin, "POST", "/api/settings/domain", DOMAIN, Some(&plain), json!({"lockedDomain": DOMAIN})).await;
    assert_eq!(relocked.status(), StatusCode::OK);
    assert_eq!(admin.get("/api/auth/me").await.status(), StatusCode::MISDIRECTED_REQUEST);
    let cleared = std::process::Command::new(binary_path())
        .arg("unlock-domain")
        .env("PINCER_DATA_DIR", server.data_dir())
        .env("PINCER_DATABASE_URL", server.database().url())
        .output()
        .unwrap();
    assert!(cleared.status.success(), "{}", String::from_utf8_lossy(&cleared.stderr));
    // The running server follows within its refresh interval (5 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while admin.get("/api/auth/me").await.status() != StatusCode::OK {
        assert!(tokio::time::Instant::now() < deadline, "the server still holds the lock the command cleared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (_, page) = admin.send_json("GET", "/api/audit?eventType=settings.domain_locked", Value::Null).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2, "{page}");
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=settings.domain_unlocked", Value::Null).await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{page}");
    assert!(entries.iter().any(|e| e["detail"]["by"] == "command line"), "{page}");
}
