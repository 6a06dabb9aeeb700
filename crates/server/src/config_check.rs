//! `pincer config check`: the configuration `pincer serve` would run with — each setting's
//! effective value (secrets masked) and where it comes from — and every problem found, without
//! starting anything or writing a file. Problems are what would stop the server or make a setting
//! meaningless; warnings are the security self-audit's configuration checks that do not pass.

use std::net::ToSocketAddrs as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args as _};
use pincer_core::Clock as _;
use pincer_security::{Check, Status};
use pincer_store::{Database, redact_url};

use crate::cli::ServeArgs;

/// One setting as `serve` would see it.
#[derive(Debug)]
pub struct Setting {
    /// Its environment variable (or its flag when it has none).
    pub name: String,
    /// Its value, never a secret: keys are named, passwords in URLs masked.
    pub value: String,
    /// `flag`, `environment`, `configuration file`, `PINCER_…_FILE` or `default`.
    pub source: String,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Findings {
    /// `serve` would refuse to start, or a setting cannot work as given.
    pub problems: Vec<String>,
    /// The security self-audit's configuration checks that do not pass.
    pub warnings: Vec<String>,
    /// What happens at first start, and what was confirmed.
    pub notes: Vec<String>,
}

impl Findings {
    fn add(&mut self, outcome: Result<String, String>) {
        match outcome {
            Ok(note) => self.notes.push(note),
            Err(problem) => self.problems.push(problem),
        }
    }
}

/// Every visible setting of `serve`, in the order `--help` lists them. `matches` are the
/// command's own; `from_file` the settings the configuration file gave.
pub fn settings(args: &ServeArgs, matches: &ArgMatches, from_file: &[String]) -> Vec<Setting> {
    let definitions = ServeArgs::augment_args(clap::Command::new("serve"));
    definitions
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .map(|arg| {
            let id = arg.get_id().as_str();
            let variable = arg.get_env().map(|v| v.to_string_lossy().into_owned());
            let name = variable.clone().unwrap_or_else(|| format!("--{}", arg.get_long().unwrap_or(id)));
            Setting {
                name,
                value: value(id, args, matches),
                source: source(id, variable.as_deref(), matches, from_file),
            }
        })
        .collect()
}

/// Where a setting's value comes from.
fn source(id: &str, variable: Option<&str>, matches: &ArgMatches, from_file: &[String]) -> String {
    let secret_file = variable
        .filter(|v| crate::secrets::SECRETS.iter().any(|(_, secret)| secret == v))
        .map(|v| format!("{v}_FILE"))
        .filter(|file_variable| std::env::var_os(file_variable).is_some_and(|p| !p.is_empty()));
    match (matches.value_source(id), secret_file) {
        (Some(ValueSource::CommandLine), _) => "flag".into(),
        (Some(ValueSource::EnvVariable), _) => "environment".into(),
        (_, Some(file_variable)) => file_variable,
        (Some(ValueSource::DefaultValue), _) if from_file.iter().any(|key| key == id) => "configuration file".into(),
        _ => "default".into(),
    }
}

/// A setting's value as it may be shown.
fn value(id: &str, args: &ServeArgs, matches: &ArgMatches) -> String {
    let key = |set: bool, file: &str| {
        if set {
            "(set; not shown)".to_string()
        } else {
            format!("{} (in the data directory)", Path::new("secrets").join(file).display())
        }
    };
    match id {
        "database_url" => redact_url(&args.store.database_url()),
        "encryption_key" => key(args.store.encryption_key.is_some(), "encryption.key"),
        "audit_key" => key(args.store.audit_key.is_some(), "audit.key"),
        _ => match matches.get_raw(id) {
            Some(raw) => {
                let text = raw.map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>().join(",");
                // A URL may carry a password (a proxy's, an API's user info).
                match text {
                    text if text.is_empty() => "(empty)".into(),
                    text if text.contains("://") => redact_url(&text),
                    text => text,
                }
            }
            None => "(unset)".into(),
        },
    }
}

/// Everything that can be checked without the server: addresses, folders, keys, URLs, the
/// licence keys, the database (opened, never created or migrated) and the security self-audit's
/// configuration checks. Reads files and resolves names: run it off any async executor.
pub fn findings(args: &ServeArgs, secret_files: Result<(), String>) -> Findings {
    let mut found = Findings::default();
    if let Err(problem) = secret_files {
        found.problems.push(problem);
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&args.log) {
        found.problems.push(format!("PINCER_LOG: not a log filter: {e}"));
    }
    address(&mut found, "PINCER_BIND", &args.bind);
    if let Some(bind) = &args.metrics_bind {
        address(&mut found, "PINCER_METRICS_BIND", bind);
    }
    found.add(data_dir(&args.store.data_dir));
    if let Err(problem) = crate::refuse_overlap(&args.store.data_dir, &args.documents_dir) {
        found.problems.push(problem);
    }
    if let Some(problem) = crate::rotate_key::interrupted(&args.store.data_dir) {
        found.problems.push(problem);
    }
    for key in crate::keys::inspect(
        &args.store.data_dir,
        args.store.encryption_key.as_deref(),
        args.store.audit_key.as_deref(),
    ) {
        found.add(key);
    }
    urls(&mut found, args);
    if let Err(e) = pincer_identity::licence::TrustedKeys::parse(&args.license_keys) {
        found.problems.push(format!("PINCER_LICENSE_KEYS: {e}"));
    }
    if let Err(problem) = crate::keys::licence_from_env() {
        found.problems.push(problem);
    }
    found.add(cloudflared(args.cloudflared.as_deref()));
    database(&mut found, &args.store.database_url());
    let now = pincer_core::SystemClock.now();
    let facts = crate::host_config(args, &args.store.database_url()).facts();
    found.warnings.extend(
        pincer_security::checks::configuration(&facts, now).iter().filter(|c| c.status != Status::Pass).map(warning),
    );
    found
}

fn warning(check: &Check) -> String {
    format!("{}: {} (fix: {})", check.title, check.detail, check.fix)
}

/// The address resolves (a listener can be bound only by the server itself: it may be running).
fn address(found: &mut Findings, variable: &str, address: &str) {
    match address.to_socket_addrs() {
        Ok(resolved) if resolved.len() > 0 => {}
        Ok(_) => found.problems.push(format!("{variable}: {address} resolves to no address")),
        Err(e) => found.problems.push(format!("{variable}: {address} is not an address to listen on: {e}")),
    }
}

fn data_dir(dir: &Path) -> Result<String, String> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(format!("the data directory {} exists", dir.display())),
        Ok(_) => Err(format!("PINCER_DATA_DIR: {} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(format!("the data directory {} does not exist yet: it is created at first start", dir.display()))
        }
        Err(e) => Err(format!("PINCER_DATA_DIR: cannot read {}: {e}", dir.display())),
    }
}

/// The public URL and the upstream URLs are http(s) URLs with a host; the Telegram client
/// accepts its base URL.
fn urls(found: &mut Findings, args: &ServeArgs) {
    let given = [
        ("PINCER_PUBLIC_URL", &args.public_url),
        ("PINCER_PROVIDER_BASEURL_ANTHROPIC", &args.provider_baseurl_anthropic),
        ("PINCER_PROVIDER_BASEURL_OPENAI", &args.provider_baseurl_openai),
        ("PINCER_PROVIDER_BASEURL_GOOGLE", &args.provider_baseurl_google),
        ("PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD", &args.provider_baseurl_ollama_cloud),
        ("PINCER_PROVIDER_BASEURL_OLLAMA_LOCAL", &args.provider_baseurl_ollama_local),
    ];
    for (variable, url) in given {
        if let Some(url) = url.as_deref().filter(|u| !u.trim().is_empty())
            && !is_http_url(url)
        {
            found
                .problems
                .push(format!("{variable}: {} is not an http:// or https:// URL with a host", redact_url(url)));
        }
    }
    if let Err(e) = pincer_connectors::telegram::TelegramBotApi::new(&args.telegram_api_url) {
        found.problems.push(format!("PINCER_TELEGRAM_API_URL: {e}"));
    }
}

fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.and_then(|rest| rest.split(['/', '?', '#']).next())
        .is_some_and(|authority| !authority.is_empty() && !authority.contains(char::is_whitespace))
}

/// The program remote access runs: the configured one must be an executable file; none
/// configured is fine (remote access is then unavailable unless it is on the PATH).
fn cloudflared(configured: Option<&Path>) -> Result<String, String> {
    let executable =
        |path: &Path| std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    match configured {
        Some(path) if executable(path) => Ok(format!("remote access runs {}", path.display())),
        Some(path) => Err(format!("PINCER_CLOUDFLARED: {} is not an executable file", path.display())),
        None => {
            let on_path = std::env::var_os("PATH")
                .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join("cloudflared")).collect::<Vec<PathBuf>>())
                .and_then(|candidates| candidates.into_iter().find(|p| executable(p)));
            Ok(match on_path {
                Some(path) => format!("remote access runs {}", path.display()),
                None => "cloudflared is not on the PATH: remote access (/api/remote/start) is unavailable".into(),
            })
        }
    }
}

/// Opens the database (a SQLite file only when it exists: the check creates nothing) and reads
/// which migrations are pending and whether the embedded SQLite has its build options.
fn database(found: &mut Findings, url: &str) {
    if let Some(file) = pincer_store::sqlite_file(url)
        && !file.exists()
    {
        found.notes.push(format!("the database {} does not exist yet: it is created at first start", file.display()));
        return;
    }
    let outcome = actix_web::rt::System::new().block_on(async {
        let db = Database::open(url).await.map_err(|e| format!("cannot open the database: {e}"))?;
        let pending = db.pending_migrations().await.map_err(|e| format!("cannot read the migrations: {e}"));
        let missing = db.missing_sqlite_options().await.unwrap_or_default();
        db.close(Duration::from_secs(5)).await;
        Ok::<_, String>((pending?, missing))
    });
    match outcome {
        Ok((pending, missing)) => {
            found.notes.push(match pending.len() {
                0 => format!("the database {} is reachable and its schema is current", redact_url(url)),
                n => format!("the database {} is reachable; {n} migrations are applied at start", redact_url(url)),
            });
            if !missing.is_empty() {
                found.warnings.push(format!(
                    "the embedded SQLite lacks build options the store relies on for speed ({}): build with the \
                     workspace's .cargo/config.toml",
                    missing.join(", ")
                ));
            }
        }
        Err(problem) => found.problems.push(problem),
    }
}

/// The report as printed: settings, then problems, warnings and notes.
pub fn render(file: Option<&Path>, settings: &[Setting], found: &Findings) -> String {
    let mut out = format!("pincer {}: effective configuration", crate::cli::VERSION);
    match file {
        Some(file) => out.push_str(&format!(" (configuration file {})\n", file.display())),
        None => out.push_str(" (no configuration file)\n"),
    }
    let name_width = settings.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let value_width = settings.iter().map(|s| s.value.len()).max().unwrap_or(0).min(48);
    for setting in settings {
        out.push_str(&format!(
            "  {:name_width$}  {:value_width$}  [{}]\n",
            setting.name, setting.value, setting.source
        ));
    }
    for (heading, lines) in [("problems", &found.problems), ("warnings", &found.warnings), ("notes", &found.notes)] {
        if !lines.is_empty() {
            out.push_str(&format!("\n{heading}:\n"));
            for line in lines {
                out.push_str(&format!("  - {line}\n"));
            }
        }
    }
    out.push('\n');
    out.push_str(&match found.problems.len() {
        0 => "no problems: `pincer serve` can start with this configuration\n".to_string(),
        1 => "1 problem: `pincer serve` would not start, or a setting cannot work as given\n".to_string(),
        n => format!("{n} problems: `pincer serve` would not start, or settings cannot work as given\n"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert!(is_http_url("https://pincer.example.com") && is_http_url("http://10.0.0.2:8080/v1"));
        assert!(!is_http_url("pincer.example.com") && !is_http_url("https://") && !is_http_url("ftp://x"));
        assert!(!is_http_url("https://two words"));
    }
}
