//! No loopback bypass: `PINCER_LOOPBACK_TRUST` is gone (docs/SECURITY.md says why), so setting
//! it changes nothing, and the flag is refused.

use pincer_testkit::TestServer;
use serde_json::Value;

use crate::support::assert_error;

#[tokio::test(flavor = "multi_thread")]
async fn a_loopback_caller_without_a_session_is_not_an_admin() {
    let server = TestServer::builder().env("PINCER_LOOPBACK_TRUST", "1").start().await;
    server.setup_admin().await;
    // The test client connects from 127.0.0.1.
    for path in ["/api/users", "/api/settings", "/api/audit"] {
        assert_error(&server.browser().send_json("GET", path, Value::Null).await, 401, "not_authenticated");
    }
}

#[test]
fn the_loopback_trust_flag_is_refused() {
    // Arguments are parsed in order: an unknown flag fails before `--help` would print and exit 0.
    let out = std::process::Command::new(pincer_testkit::server::binary_path())
        .args(["serve", "--loopback-trust", "--help"])
        .env_remove("PINCER_LOOPBACK_TRUST")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--loopback-trust"), "{out:?}");
    let help =
        std::process::Command::new(pincer_testkit::server::binary_path()).args(["serve", "--help"]).output().unwrap();
    assert!(help.status.success());
    assert!(!String::from_utf8_lossy(&help.stdout).contains("LOOPBACK_TRUST"), "{help:?}");
}
