//! docs/OPERATIONS.md: `PINCER_LOG_FORMAT=json` writes one JSON object per line, and every request
//! gets one line with its method, path (without the query string), status and latency in
//! microseconds.

use std::time::{Duration, Instant};

use pincer_testkit::TestServer;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_object_per_line_with_a_line_per_request() {
    let server = TestServer::builder().env("PINCER_LOG_FORMAT", "json").start().await;
    let res = server.client().get(server.url("/api/health?probe=lb-7")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let request_line = |logs: &str| -> Option<Value> {
        logs.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v.to_string().contains("/api/health"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        if let Some(line) = request_line(&server.logs()) {
            break line;
        }
        assert!(Instant::now() < deadline, "no request line:\n{}", server.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let fields = &line["fields"];
    assert_eq!(
        (&fields["method"], &fields["path"], &fields["status"]),
        (&"GET".into(), &"/api/health".into(), &200.into()),
        "{line}"
    );
    assert!(fields["micros"].as_u64().is_some(), "latency in microseconds: {line}");
    assert!(!server.logs().contains("lb-7"), "the query string was logged");
    // Every line on stderr is JSON (the address and the setup code go to stdout, as text).
    let stdout = |l: &&str| l.starts_with("pincer listening on ") || l.starts_with("pincer setup code: ");
    for l in server.logs().lines().filter(|l| !stdout(l)) {
        assert!(serde_json::from_str::<Value>(l).is_ok(), "not JSON: {l}");
    }
}
