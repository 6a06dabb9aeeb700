//! Over HTTPS the session cookie is `__Host-pincer_session` (issue #21, low): the browser then
//! takes it only with `Secure`, `Path=/` and no `Domain`, and the server reads no other name, so a
//! cookie planted under the plain name by a sibling subdomain signs nobody in.

use pincer_testkit::TestServer;
use pincer_testkit::server::PASSWORD;
use reqwest::StatusCode;
use serde_json::json;

const PUBLIC_HOST: &str = "pincer.example.com";
const PUBLIC: &str = "https://pincer.example.com";

async fn me(server: &TestServer, cookie: &str) -> StatusCode {
    let res = server.client().get(server.url("/api/auth/me")).header("Host", PUBLIC_HOST).header("Cookie", cookie);
    res.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_session_cookie_is_host_prefixed_and_the_only_one_read() {
    let server = TestServer::builder().env("PINCER_PUBLIC_URL", PUBLIC).start().await;
    let res = server
        .client()
        .post(server.url("/api/setup"))
        .header("Host", PUBLIC_HOST)
        .header("Origin", PUBLIC)
        .json(&json!({"name": "Admin", "email": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let set_cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    let token = set_cookie
        .strip_prefix("__Host-pincer_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("not a __Host- cookie: {set_cookie}"));
    let attributes: Vec<&str> = set_cookie.split("; ").skip(1).collect();
    assert!(attributes.contains(&"Secure") && attributes.contains(&"Path=/"), "{set_cookie}");
    assert!(!attributes.iter().any(|a| a.starts_with("Domain")), "{set_cookie}");

    assert_eq!(me(&server, &format!("__Host-pincer_session={token}")).await, StatusCode::OK);
    assert_eq!(me(&server, &format!("pincer_session={token}")).await, StatusCode::UNAUTHORIZED, "the plain name");

    // Logout clears the prefixed cookie.
    let res = server
        .client()
        .post(server.url("/api/auth/logout"))
        .header("Host", PUBLIC_HOST)
        .header("Origin", PUBLIC)
        .header("Cookie", format!("__Host-pincer_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cleared = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cleared.starts_with("__Host-pincer_session=;"), "{cleared}");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_plain_http_the_cookie_keeps_its_plain_name() {
    let server = TestServer::start().await;
    let browser = server.setup_admin().await;
    assert!(browser.session_token().is_some(), "pincer_session is set");
}
