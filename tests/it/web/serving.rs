//! The app shell and its files, as the binary serves them.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn app_paths_serve_the_shell_under_a_strict_policy_and_api_paths_stay_json() {
    let server = TestServer::start().await;
    let client = server.client();
    for path in ["/", "/login", "/setup", "/chat/abc", "/admin/users", "/invite/xyz", "/profile"] {
        let res = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8", "{path}");
        let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{path}: {csp}");
        assert!(res.text().await.unwrap().contains(r#"<script type="module" src="/app/app.js">"#), "{path}");
    }
    let res = client.get(server.url("/api/no-such-thing")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "route_not_found");
    let res = client.get(server.url("/app/missing.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a missing file is not the shell");

    // A module: its type, an ETag the browser revalidates, gzip when asked for.
    let res = client.get(server.url("/app/app.js")).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()[ETAG].clone();
    let again = client.get(server.url("/app/app.js")).header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
