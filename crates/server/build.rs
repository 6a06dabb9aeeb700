//! Records the commit the binary is built from, for `pincer --version`: `PINCER_BUILD_COMMIT` when
//! a packager sets it (a source tarball has no repository), else `git rev-parse`, else `unknown`.
//! Reads only the local repository; downloads nothing.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PINCER_BUILD_COMMIT");
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.git");
    // Watched only when they exist: a missing path would rebuild on every build.
    for watched in ["HEAD", "refs/heads", "packed-refs"] {
        let path = git.join(watched);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = std::env::var("PINCER_BUILD_COMMIT").ok().filter(|c| !c.trim().is_empty()).or_else(|| {
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    println!("cargo:rustc-env=PINCER_COMMIT={}", commit.unwrap_or_else(|| "unknown".into()));
}
