//! `cargo xtask openapi`: writes the server's OpenAPI document to a file (by default the
//! committed `docs/openapi.json`, so a change to the contract shows in review as a diff). The
//! document comes from the `pincer` binary itself (`pincer openapi`), the one source of truth.

use std::path::PathBuf;

use crate::cargo;

pub fn write(out: Option<PathBuf>) -> Result<(), String> {
    let out = out.unwrap_or_else(|| cargo::workspace_root().join("docs").join("openapi.json"));
    let mut cmd = cargo::command();
    cmd.args(["run", "--quiet", "-p", "pincer-server", "--bin", "pincer", "--", "openapi"]);
    let output = cmd.output().map_err(|e| format!("cannot run {}: {e}", cargo::cargo()))?;
    if !output.status.success() {
        return Err(format!("pincer openapi failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr)));
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("pincer openapi printed no JSON: {e}"))?;
    let mut pretty = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    pretty.push('\n');
    std::fs::write(&out, pretty).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("openapi: wrote {}", out.display());
    Ok(())
}
