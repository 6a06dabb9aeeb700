//! The packaging files (issue #20), checked as far as this machine allows: no container daemon or
//! base-image registry is reachable here, so the Dockerfile is not built; its promises are read
//! from it instead (the release profile it builds exists, dependencies locked, a non-root user, the
//! health check is `pincer healthcheck`, the data directory is a volume), the compose file's health
//! check is the same, and the systemd unit passes `systemd-analyze verify` (where systemd is
//! installed) with the built binary as its program; the server speaks its `Type=notify` protocol.

use std::path::Path;

use pincer_testkit::server::binary_path;

fn repository_file(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_dockerfile_builds_the_dist_profile_and_runs_unprivileged_with_a_health_check() {
    let dockerfile = repository_file("Dockerfile");
    let manifest = repository_file("Cargo.toml");
    assert!(dockerfile.contains("cargo build --profile dist --locked -p pincer-server"), "{dockerfile}");
    assert!(manifest.contains("[profile.dist]") && manifest.contains("lto = \"thin\""), "the profile the image builds");
    assert!(dockerfile.contains("target/dist/pincer"));
    let user = dockerfile.lines().rfind(|l| l.starts_with("USER ")).expect("a USER line");
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    assert!(dockerfile.contains(r#"HEALTHCHECK"#) && dockerfile.contains(r#"CMD ["pincer", "healthcheck"]"#));
    assert!(
        dockerfile.contains(r#"VOLUME ["/var/lib/pincer"]"#) && dockerfile.contains("PINCER_DATA_DIR=/var/lib/pincer")
    );
    // The documents root and the data directory must not overlap (the server refuses to start).
    assert!(dockerfile.contains("PINCER_DOCUMENTS_DIR=/srv/pincer-documents"));
    let compose = repository_file("compose.yaml");
    assert!(compose.contains(r#"test: ["CMD", "pincer", "healthcheck"]"#), "{compose}");
    assert!(compose.contains("127.0.0.1:7777:7777"), "published on loopback only: {compose}");
}

#[test]
fn the_systemd_unit_verifies() {
    let unit = repository_file("contrib/pincer.service");
    for hardening in [
        "Type=notify",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=pincer",
        "DynamicUser=yes",
        "UMask=0077",
    ] {
        assert!(unit.contains(hardening), "{hardening}");
    }
    assert!(!unit.contains("--audit-key") && !unit.contains("--encryption-key"), "no secret flags");
    let Ok(analyze) = which("systemd-analyze") else {
        println!("systemd-analyze is not installed: the unit's syntax is not verified");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("pincer.service");
    let binary = binary_path();
    std::fs::write(&local, unit.replace("/usr/local/bin/pincer", binary.to_str().unwrap())).unwrap();
    let out = std::process::Command::new(analyze).arg("verify").arg(&local).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && !said.contains("pincer.service:"), "{said}");
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

/// `Type=notify`: the server says `READY=1` on `NOTIFY_SOCKET` once it listens, and `STOPPING=1`
/// when SIGTERM begins the shutdown.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_tells_the_service_manager_when_it_is_ready_and_when_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut server =
        pincer_testkit::TestServer::builder().env("NOTIFY_SOCKET", socket_path.to_str().unwrap()).start().await;
    let receive = |socket: &std::os::unix::net::UnixDatagram| {
        let mut buffer = [0u8; 256];
        let n = socket.recv(&mut buffer).expect("a notification");
        String::from_utf8_lossy(&buffer[..n]).to_string()
    };
    let ready = receive(&socket);
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready}");
    let res = server.client().get(server.url("/api/health/ready")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK, "ready means it answers");
    assert!(server.stop().await.success());
    assert_eq!(receive(&socket), "STOPPING=1");
}
