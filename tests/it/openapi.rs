//! The contract served by the binary: the OpenAPI document, its agreement with the routes the
//! server really serves, the committed copy in docs/, and the readable reference at /api/docs.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::assert_error;

async fn served_document(server: &TestServer) -> Value {
    let res = server.client().get(server.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the document is public");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_is_openapi_3_1_and_matches_the_committed_copy() {
    let server = TestServer::start().await;
    let doc = served_document(&server).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&committed).unwrap()).unwrap();
    assert!(committed == doc, "docs/openapi.json is stale: run `cargo xtask openapi` and commit the result");
}

/// Every documented operation reaches a handler of the real server: none answers as an unknown
/// route or a wrong method. (The other direction — every registered route is documented — is
/// the route-table test in crates/http/src/routes/mod.rs.)
#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_served() {
    let server = TestServer::start().await;
    let doc = served_document(&server).await;
    let client = server.client();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "0190f5b2-0000-7000-8000-000000000000").replace("{file}", "init.js");
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            if path == "/api/ws" {
                continue; // an upgrade; its refusals are checked in ws.rs
            }
            let res = client.request(method.clone(), server.url(&concrete)).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(
                body["code"] != "route_not_found" && body["code"] != "method_not_allowed",
                "{method} {path} is documented but answers {status} {body}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations checked");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_api_paths_stay_json_404s_and_wrong_methods_405s() {
    let server = TestServer::start().await;
    let b = server.browser();
    for path in ["/api", "/api/nope", "/api/users/me/nope", "/api/agents/x/y/z", "/api/docs/nope/deeper"] {
        assert_error(&b.send_json("GET", path, Value::Null).await, 404, "route_not_found");
    }
    assert_error(&b.send_json("GET", "/api/docs/missing.js", Value::Null).await, 404, "route_not_found");
    assert_error(&b.send_json("PUT", "/api/health", Value::Null).await, 405, "method_not_allowed");
    assert_error(&b.send_json("GET", "/api/users/me", Value::Null).await, 405, "method_not_allowed");
    // `/api/users/me` is the profile, not a user id: a literal segment wins over `{id}`.
    let admin = server.setup_admin().await;
    let (status, body) = admin.send_json("PATCH", "/api/users/me", serde_json::json!({"name": "Renamed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, me) = admin.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(me["name"], "Renamed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_reference_is_served_from_the_binary_under_a_strict_policy() {
    let server = TestServer::start().await;
    let client = server.client();
    let page = client.get(server.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    for src in ["/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/api/docs/init.js"] {
        assert!(html.contains(src), "the page loads {src}");
        let res = client.get(server.url(src)).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{src}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{src}");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "{src} is gzip");
    }
    let plain = client.get(server.url("/api/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(plain.bytes().await.unwrap().len() > 1_000_000, "the whole bundle");
}

/// The reference renders in a real browser that cannot reach anything but this server: every
/// script and style it needs comes from the binary, and the page's policy lets them run.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_reference_renders_in_chromium_without_network_access() {
    let server = TestServer::start().await;
    let chromium = std::env::var("PINCER_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "browser tests need Chromium at {chromium} (apt-get install chromium, or set PINCER_CHROMIUM)"
    );
    let profile = tempfile::tempdir().unwrap();
    let url = server.url("/api/docs");
    let output = tokio::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Every host name but the server's address fails to resolve: no CDN could serve a file.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&url)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(90), output).await.unwrap().unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    // Swagger UI built one block per operation from the served document.
    assert!(dom.contains(r#"data-path="/api/agents""#), "the page did not render: {dom:.2000}");
    assert!(dom.contains(r#"data-path="/api/audit/verify""#), "not every operation rendered");
    assert!(dom.contains("Pincer API"), "the document's title");
}
