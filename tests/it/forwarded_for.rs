//! `X-Forwarded-For` behind a trusted proxy (issue #21, M5): every header line counts, and
//! `ip:port`, `[v6]:port` and `::ffff:a.b.c.d` entries name the address they carry. Seen in the
//! source recorded for failed logins.

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn every_forwarded_line_is_read_and_entries_are_normalised() {
    let server = TestServer::builder().env("PINCER_TRUSTED_PROXIES", "127.0.0.1").start().await;
    let admin = server.setup_admin().await;
    // (header lines sent, the source the server must record)
    let cases: [(&[&str], &str); 4] = [
        // The client forged the first line; the proxy appended the real address as a second one.
        (&["198.51.100.66", "203.0.113.7"], "203.0.113.7"),
        (&["198.51.100.66, 203.0.113.8:4711"], "203.0.113.8"),
        (&["198.51.100.66, [2001:db8::5]:4711"], "2001:db8::5"),
        (&["198.51.100.66, ::ffff:203.0.113.9"], "203.0.113.9"),
    ];
    for (n, (lines, _)) in cases.iter().enumerate() {
        let mut req = server
            .client()
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": format!("nobody{n}@example.com"), "password": "not the password"}));
        for line in *lines {
            req = req.header("X-Forwarded-For", *line);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{lines:?}");
    }
    let (status, page) = admin.send_json("GET", "/api/audit?limit=100&eventType=auth.failed", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut sources: Vec<&str> =
        page["entries"].as_array().unwrap().iter().map(|e| e["detail"]["source"].as_str().unwrap()).collect();
    sources.reverse();
    assert_eq!(sources, cases.iter().map(|(_, source)| *source).collect::<Vec<_>>());
}
