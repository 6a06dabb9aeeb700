//! Remote access through the binary (issue #19, the dashboard reference's Tunnel section),
//! against a stand-in `cloudflared` that prints what the real one prints for a quick tunnel: the
//! public URL is read from its output, a tunnel that dies is started again, its origin passes the
//! same-origin check only while it runs, stop and shutdown end the process; audited. Without the
//! program, 503 `tunnel_unavailable`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use pincer_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::assert_error;

pub const URL: &str = "https://quiet-lake-apple.trycloudflare.com";

/// Writes the stand-in: it notes its pid and arguments, prints the quick tunnel banner on
/// stderr, dies after a second the first time it runs, and then stays up.
pub fn fake_cloudflared(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("cloudflared");
    let script = format!(
        "#!/bin/sh\n\
         echo \"$$ $*\" >> \"$0.calls\"\n\
         echo '2026-12-04T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...' >&2\n\
         echo '2026-12-04T10:00:01Z INF |  {URL}                          |' >&2\n\
         if [ ! -e \"$0.died\" ]; then touch \"$0.died\"; sleep 1; exit 3; fi\n\
         exec sleep 600\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The pids the stand-in was started with, in order.
fn pids(fake: &Path) -> Vec<u32> {
    let calls = std::fs::read_to_string(fake.with_extension("calls")).unwrap_or_default();
    calls.lines().filter_map(|l| l.split_whitespace().next()?.parse().ok()).collect()
}

fn alive(pid: u32) -> bool {
    // A zombie has ended too: only its entry is left until the parent reaps it.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tunnel_starts_restarts_and_stops_with_its_url_read_from_cloudflared() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TestServer::builder().env("PINCER_CLOUDFLARED", "/nonexistent/cloudflared").start().await;
    let admin = missing.setup_admin().await;
    assert_error(&admin.send_json("POST", "/api/remote/start", Value::Null).await, 503, "tunnel_unavailable");

    let fake = fake_cloudflared(dir.path());
    let mut server = TestServer::builder().env("PINCER_CLOUDFLARED", fake.to_str().unwrap()).start().await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    assert_error(&member.send_json("POST", "/api/remote/start", Value::Null).await, 403, "admin_required");
    let (_, status) = admin.send_json("GET", "/api/remote/status", Value::Null).await;
    assert_eq!((&status["state"], &status["url"]), (&json!("stopped"), &Value::Null));

    let (status, started) = admin.send_json("POST", "/api/remote/start", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    // It dies once and is started again; the URL comes from its output.
    wait_until("the tunnel runs again after dying", async || {
        let (_, s) = admin.send_json("GET", "/api/remote/status", Value::Null).await;
        s["state"] == "running" && s["restarts"] == 1
    })
    .await;
    let (_, status) = admin.send_json("GET", "/api/remote/status", Value::Null).await;
    assert_eq!(status["url"], URL);
    assert!(status["lastError"].as_str().unwrap().contains("exited"), "{status}");
    let calls = std::fs::read_to_string(fake.with_extension("calls")).unwrap();
    let target = format!("tunnel --no-autoupdate --url {}", server.base_url());
    assert!(calls.lines().all(|l| l.ends_with(&target)), "{calls} forwards to {target}");

    // Its origin is ours while it runs.
    let from_tunnel = |origin: &'static str| {
        let request = admin.client().put(admin.url("/api/users/me/context")).header("Origin", origin);
        request.json(&json!({"content": "via the tunnel"})).send()
    };
    assert_eq!(from_tunnel(URL).await.unwrap().status(), StatusCode::OK);

    let (status, stopped) = admin.send_json("POST", "/api/remote/stop", Value::Null).await;
    assert_eq!((status, &stopped["state"]), (StatusCode::OK, &json!("stopped")), "{stopped}");
    let last = *pids(&fake).last().unwrap();
    assert!(!alive(last), "cloudflared ({last}) ended with the stop");
    assert_eq!(from_tunnel(URL).await.unwrap().status(), StatusCode::FORBIDDEN, "no tunnel, no such origin");

    // A tunnel running at shutdown ends with the server.
    let started_before = pids(&fake).len();
    let (status, again) = admin.send_json("POST", "/api/remote/start", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    wait_until("the tunnel runs", async || pids(&fake).len() > started_before).await;
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=remote.started", Value::Null).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2, "{page}");
    let (_, page) = admin.send_json("GET", "/api/audit?eventType=remote.stopped", Value::Null).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1, "{page}");
    let last = *pids(&fake).last().unwrap();
    assert!(alive(last));
    server.stop().await;
    assert!(!alive(last), "cloudflared ({last}) ended with the server");
}
