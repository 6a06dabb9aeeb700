//! `PINCER_PUBLIC_URL` and `PINCER_TRUSTED_PROXIES` as docs/SECURITY.md describes them: an
//! `https://` public URL makes the session cookie `Secure` and is the only allowed origin for the
//! CSRF check (requests must then be addressed to its host); without an `Origin` the `Referer` decides; `X-Forwarded-For` is believed only from a
//! trusted proxy (seen in the source address of failed logins, and in their throttling).

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::ws::refused_status;

const PUBLIC: &str = "https://pincer.example.com";

/// The `Host` a request must carry when `PINCER_PUBLIC_URL` is set (any other is refused).
fn public_host(public_url: Option<&str>) -> Option<&str> {
    public_url.map(|u| u.split_once("://").unwrap().1.trim_end_matches('/'))
}

/// A plain client request, addressed to `host` when given.
fn request(server: &TestServer, method: reqwest::Method, path: &str, host: Option<&str>) -> reqwest::RequestBuilder {
    let req = server.client().request(method, server.url(path));
    match host {
        Some(host) => req.header("Host", host),
        None => req,
    }
}

/// Completes setup from the public origin (addressed to its host).
async fn setup_admin(server: &TestServer, public_url: Option<&str>) {
    let mut req = request(server, reqwest::Method::POST, "/api/setup", public_host(public_url))
        .json(&json!({"name": "Admin", "email": "admin@example.com", "password": PASSWORD}));
    if let Some(origin) = public_url {
        req = req.header("Origin", origin.trim_end_matches('/'));
    }
    assert_eq!(req.send().await.unwrap().status(), StatusCode::CREATED);
}

/// The session cookie's name: `__Host-` prefixed when the public URL is https.
fn cookie_name(public_url: Option<&str>) -> &'static str {
    if public_url.is_some_and(|u| u.starts_with("https://")) { "__Host-pincer_session" } else { "pincer_session" }
}

/// Logs the admin in with a plain client; returns the session token and the `Set-Cookie` header.
async fn login(server: &TestServer, public_url: Option<&str>) -> (String, String) {
    let res = request(server, reqwest::Method::POST, "/api/auth/login", public_host(public_url))
        .json(&json!({"email": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let name = cookie_name(public_url);
    let token = cookie.strip_prefix(&format!("{name}=")).unwrap().split(';').next().unwrap().to_string();
    (token, cookie)
}

/// The attributes of a `Set-Cookie` header after the value, lower-cased and sorted.
fn attributes(set_cookie: &str) -> Vec<String> {
    let mut attrs: Vec<String> = set_cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    attrs.retain(|a| !a.starts_with("max-age") && !a.starts_with("expires"));
    attrs.sort_unstable();
    attrs
}

/// A CSRF case: its name, the headers sent, and the expected status and error code.
type Case = (&'static str, Vec<(&'static str, String)>, (u16, Value));

/// A cookie-authenticated rename with these headers; returns the status and the error code.
async fn rename(server: &TestServer, token: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = request(server, reqwest::Method::PATCH, "/api/users/me", public_host(Some(PUBLIC)))
        .header("Cookie", format!("__Host-pincer_session={token}"))
        .json(&json!({"name": "Renamed"}));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json::<Value>().await.unwrap_or(Value::Null)["code"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_public_url_makes_the_session_cookie_secure() {
    for (public_url, secure) in [(Some(PUBLIC), true), (Some("http://pincer.internal:7777"), false), (None, false)] {
        let mut builder = TestServer::builder();
        if let Some(url) = public_url {
            builder = builder.env("PINCER_PUBLIC_URL", url);
        }
        let server = builder.start().await;
        setup_admin(&server, public_url).await;
        let (token, cookie) = login(&server, public_url).await;
        let mut expected = vec!["httponly", "path=/", "samesite=lax"];
        if secure {
            expected.push("secure");
        }
        expected.sort_unstable();
        assert_eq!(attributes(&cookie), expected, "{public_url:?}: {cookie}");
        assert!(cookie.contains("Max-Age=1209600"), "14 days: {cookie}");

        // Logging out clears the cookie with the same attributes (a browser drops a Secure
        // cookie only through a Secure removal).
        let res = request(&server, reqwest::Method::POST, "/api/auth/logout", public_host(public_url))
            .header("Cookie", format!("{}={token}", cookie_name(public_url)))
            .header("Origin", public_url.unwrap_or(server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{public_url:?}");
        let cleared = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cleared.starts_with(&format!("{}=;", cookie_name(public_url))), "{cleared}");
        assert_eq!(cleared.to_ascii_lowercase().contains("; secure"), secure, "{public_url:?}: {cleared}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_url_is_our_only_origin_and_a_referer_stands_in_for_a_missing_origin() {
    // A trailing slash in the configuration changes nothing.
    let server = TestServer::builder().env("PINCER_PUBLIC_URL", &format!("{PUBLIC}/")).start().await;
    setup_admin(&server, Some(PUBLIC)).await;
    let (token, _) = login(&server, Some(PUBLIC)).await;
    let host = server.base_url().to_string();
    let ok = (200, Value::Null);
    let refused = (403, json!("csrf_rejected"));

    let cases: Vec<Case> = vec![
        ("Origin: the public URL", vec![("Origin", PUBLIC.into())], ok.clone()),
        ("Origin: the public URL, other case", vec![("Origin", PUBLIC.to_uppercase())], ok.clone()),
        // The public URL is the only own origin: a DNS-rebinding page's origin names the Host it
        // sent (issue #21, M9; tests/it/origins_rebinding.rs).
        ("Origin: the server's address", vec![("Origin", host.clone())], refused.clone()),
        ("Origin: foreign", vec![("Origin", "https://evil.example".into())], refused.clone()),
        (
            "Origin: the public host, other scheme",
            vec![("Origin", "http://pincer.example.com".into())],
            refused.clone(),
        ),
        (
            "Origin: a look-alike host",
            vec![("Origin", "https://pincer.example.com.evil.example".into())],
            refused.clone(),
        ),
        ("Referer: a page of the public URL", vec![("Referer", format!("{PUBLIC}/admin/users?x=1"))], ok.clone()),
        ("Referer: a page of the server's address", vec![("Referer", format!("{host}/chat"))], refused.clone()),
        ("Referer: foreign", vec![("Referer", "https://evil.example/pincer.example.com".into())], refused.clone()),
        (
            "Referer: a look-alike host",
            vec![("Referer", "https://pincer.example.com.evil.example/".into())],
            refused.clone(),
        ),
        (
            "Origin wins over Referer",
            vec![("Origin", "https://evil.example".into()), ("Referer", format!("{PUBLIC}/"))],
            refused.clone(),
        ),
        ("neither", vec![], refused.clone()),
    ];
    for (name, headers, expected) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let (status, code) = rename(&server, &token, &headers).await;
        let code = if status == 200 { Value::Null } else { code };
        assert_eq!((status, code), expected, "{name}");
    }

    // Without any cookie, a foreign page still cannot log its visitor in (login CSRF).
    let res = request(&server, reqwest::Method::POST, "/api/auth/login", public_host(Some(PUBLIC)))
        .header("Origin", "https://evil.example")
        .json(&json!({"email": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none(), "no session for a cross-site login");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "csrf_rejected");

    // The chat socket's upgrade applies the same rule.
    let ws = |origin: &str| {
        let mut request = server.url("/api/ws").replacen("http://", "ws://", 1).into_client_request().unwrap();
        request.headers_mut().insert("Host", public_host(Some(PUBLIC)).unwrap().parse().unwrap());
        request.headers_mut().insert("Cookie", format!("__Host-pincer_session={token}").parse().unwrap());
        request.headers_mut().insert("Origin", origin.parse().unwrap());
        request
    };
    let (socket, _) = tokio_tungstenite::connect_async(ws(PUBLIC)).await.expect("the public origin may open a socket");
    drop(socket);
    assert_eq!(refused_status(ws("https://evil.example")).await, 403);
}

/// Fails a login for a fresh unknown account, sending `forwarded` as `X-Forwarded-For`.
async fn fail_login(server: &TestServer, n: usize, forwarded: &str) -> u16 {
    let res = server
        .client()
        .post(server.url("/api/auth/login"))
        .header("X-Forwarded-For", forwarded)
        .json(&json!({"email": format!("nobody{n}@example.com"), "password": "not the password"}))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

/// The `detail.source` of every `auth.failed` row, oldest first.
async fn failure_sources(admin: &Browser) -> Vec<String> {
    let (status, page) = admin.send_json("GET", "/api/audit?limit=100&eventType=auth.failed", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut sources: Vec<String> =
        page["entries"].as_array().unwrap().iter().map(|e| e["detail"]["source"].as_str().unwrap().into()).collect();
    sources.reverse();
    sources
}

#[tokio::test(flavor = "multi_thread")]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    // Behind a trusted proxy: the nearest address that is not a trusted proxy is the source.
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    let admin = server.setup_admin().await;
    assert_eq!(fail_login(&server, 0, "198.51.100.1, 203.0.113.9").await, 401);
    assert_eq!(fail_login(&server, 1, "198.51.100.2, 127.0.0.1").await, 401);
    assert_eq!(failure_sources(&admin).await, ["203.0.113.9", "198.51.100.2"]);
    // The per-address limit (20 a minute) follows that source, not the proxy's address.
    for n in 2..22 {
        assert_eq!(fail_login(&server, n, "192.0.2.50").await, 401, "attempt {n}");
    }
    assert_eq!(fail_login(&server, 22, "192.0.2.51").await, 401, "another client behind the proxy");
    assert_eq!(fail_login(&server, 23, "192.0.2.50").await, 429, "the 21st from one client");

    // From an untrusted peer the header is ignored: rotating it does not escape the limit.
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    for n in 0..20 {
        assert_eq!(fail_login(&server, n, &format!("192.0.2.{n}")).await, 401, "attempt {n}");
    }
    assert_eq!(fail_login(&server, 20, "192.0.2.200").await, 429);
    let sources = failure_sources(&admin).await;
    assert!(!sources.is_empty() && sources.iter().all(|s| s == "127.0.0.1"), "{sources:?}");
}
