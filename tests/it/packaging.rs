//! The packaging files (issue #20), checked as far as this machine allows: no container daemon or
//! base-image registry is reachable here, so the Dockerfile is not built; its promises are read
//! from it instead (the release profile it builds exists, dependencies locked, a non-root user, the
//! health check is `pincer healthcheck`, the data directory is a volume), the compose file's health
//! check is the same, and the systemd unit passes `systemd-analyze verify` (where systemd is
//! installed) with the built binary as its program.

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
    for hardening in
        ["NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectory=pincer", "DynamicUser=yes", "UMask=0077"]
    {
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
