//! Project automation: `cargo xtask <command>` (the alias lives in `.cargo/config.toml`).

mod bench;
mod cargo;
mod db;
mod fake_upstream;
mod fuzz;
mod license;
mod openapi;
mod tidy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Pincer project automation")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The project's test command: builds the `pincer` binary, then runs every workspace test
    /// against it (SQLite; PostgreSQL too when PINCER_TEST_DATABASE_URL is set).
    Test {
        /// Extra arguments for `cargo test`, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Applies pending migrations, or reverts the newest one.
    Migrate {
        /// `sqlite://path`, a file path, or `postgres://…`.
        #[arg(long, env = "PINCER_DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// Revert the newest applied migration instead.
        #[arg(long)]
        revert: bool,
    },
    /// Creates demo accounts through the identity services (admin@pincer.local and members).
    Seed {
        #[arg(long, env = "PINCER_DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// Give every account this password instead of a random one each.
        #[arg(long)]
        password: Option<String>,
    },
    /// Checks the dependency rules of DESIGN.md §2 over `cargo metadata`.
    Tidy,
    /// Issues enterprise licences: a vendor key pair, and licences signed with it.
    #[command(subcommand)]
    License(license::License),
    /// Fuzzes the API with schemathesis against its own OpenAPI document (the release binary on
    /// a fresh database, as an admin). Needs `schemathesis` on PATH or `--schemathesis`.
    FuzzApi(fuzz::Args),
    /// Writes the OpenAPI document of the API (default: docs/openapi.json, committed for review).
    Openapi {
        /// Write here instead.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Benchmarks on a fresh database (docs/PERFORMANCE.md); builds and runs in release mode.
    Bench(bench::Args),
    /// What `bench` runs after building in release mode: the scenarios, in this process.
    #[command(hide = true)]
    BenchRun(bench::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Test { args } => test(&args),
        Cmd::Migrate { database_url, revert } => db::migrate(&database_url, revert),
        Cmd::Seed { database_url, password } => db::seed(&database_url, password.as_deref()),
        Cmd::Tidy => tidy(),
        Cmd::License(command) => license::run(command),
        Cmd::Openapi { out } => openapi::write(out),
        Cmd::FuzzApi(args) => fuzz::run(&args),
        Cmd::Bench(args) => bench::bench(&args),
        Cmd::BenchRun(args) => bench::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the binary the black-box tests spawn, then runs the whole workspace's tests and closes
/// with one `tests: N passed, M failed` line summed over every test binary.
fn test(extra: &[String]) -> Result<(), String> {
    cargo::run(cargo::command().args(["build", "-p", "pincer-server", "--bin", "pincer"]))?;
    let bin = cargo::target_dir()?.join("debug").join("pincer");
    if !bin.is_file() {
        return Err(format!("the build did not produce {}", bin.display()));
    }
    if database_url_set() {
        eprintln!("xtask: testing on SQLite and on PINCER_TEST_DATABASE_URL");
    } else {
        eprintln!("xtask: testing on SQLite (set PINCER_TEST_DATABASE_URL to add PostgreSQL)");
    }
    let mut cmd = cargo::command();
    cmd.args(["test", "--no-fail-fast"]);
    // `--workspace` would override a package selection given after `--`.
    if !selects_packages(extra) {
        cmd.arg("--workspace");
    }
    // Tests that need PostgreSQL record their skips here (cargo hides a passing test's output).
    let skip_log = cargo::target_dir()?.join("pincer-test-skips.log");
    match std::fs::remove_file(&skip_log) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", skip_log.display())),
    }
    cmd.args(extra).env("PINCER_BIN", &bin).env("PINCER_TEST_SKIP_LOG", &skip_log);
    let (result, summary) = cargo::run_counting_tests(&mut cmd);
    let skipped = skipped_tests(&skip_log);
    for line in &skipped {
        println!("{line}");
    }
    if !skipped.is_empty() {
        println!("xtask: {} test(s) skipped: they need PostgreSQL (set PINCER_TEST_DATABASE_URL)", skipped.len());
    }
    println!("tests: {} passed, {} failed", summary.passed, summary.failed);
    result?;
    // With PostgreSQL given a skip cannot happen (the helper returns the URL); if a line appears
    // anyway, something bypassed the helper's contract, and a green run would hide it.
    if database_url_set() && !skipped.is_empty() {
        return Err(format!("{} PostgreSQL test(s) skipped although PINCER_TEST_DATABASE_URL is set", skipped.len()));
    }
    Ok(())
}

fn database_url_set() -> bool {
    std::env::var("PINCER_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty())
}

/// The lines of the skip log (`SKIPPED-NEEDS-POSTGRES: <test>`), sorted; none when no test wrote one.
fn skipped_tests(log: &std::path::Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// Whether `cargo test` arguments name packages (`-p x`, `-px`, `--package x`, `--package=x`).
fn selects_packages(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| a.as_str() != "--")
        .any(|a| a == "-p" || a == "--package" || a.starts_with("--package=") || (a.starts_with("-p") && a.len() > 2))
}

fn tidy() -> Result<(), String> {
    let violations = tidy::violations(&cargo::metadata(false)?);
    if violations.is_empty() {
        println!("tidy: dependency rules hold");
        return Ok(());
    }
    for line in &violations {
        println!("{line}");
    }
    Err(format!("{} dependency rule violation(s)", violations.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_skip_log_is_read_sorted_and_a_missing_one_is_empty() {
        let path = std::env::temp_dir().join(format!("pincer-skips-{}.log", std::process::id()));
        assert!(skipped_tests(&path).is_empty());
        std::fs::write(&path, "SKIPPED-NEEDS-POSTGRES: b\n\nSKIPPED-NEEDS-POSTGRES: a\n").unwrap();
        assert_eq!(skipped_tests(&path), ["SKIPPED-NEEDS-POSTGRES: a", "SKIPPED-NEEDS-POSTGRES: b"]);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn package_selection_is_recognised_before_the_test_binary_arguments() {
        assert!(selects_packages(&args(&["-p", "pincer-identity"])));
        assert!(selects_packages(&args(&["-ppincer-identity"])));
        assert!(selects_packages(&args(&["--package=pincer-core"])));
        assert!(!selects_packages(&args(&["--", "-p"])));
        assert!(!selects_packages(&args(&["--release", "login"])));
    }
}
