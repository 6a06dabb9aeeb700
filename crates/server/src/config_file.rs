//! The configuration file (`--config` or `PINCER_CONFIG`, TOML): each top-level key is a setting
//! by its flag's name with underscores (`bind = "0.0.0.0:7777"`, `trusted_proxies = ["10.0.0.2"]`),
//! and becomes that setting's default — so flags win over the environment, the environment over
//! the file, the file over the built-in defaults. Secrets may be written here (a file is not the
//! world-readable command line; keep it 0600, which the security self-audit does not check).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Command;

/// The file the arguments or the environment name, if any.
fn path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let arg = arg.to_string_lossy();
        if arg == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("PINCER_CONFIG").filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// The command line's definition with a configuration file's settings in it.
pub struct Configured {
    pub command: Command,
    /// The file read, if any, and the settings it gave (by argument id).
    pub file: Option<PathBuf>,
    pub settings: Vec<String>,
}

/// `cmd` with the file's settings as defaults; `Err` names the file and what is wrong in it.
pub fn apply(cmd: Command, args: &[OsString]) -> Result<Configured, String> {
    let Some(path) = path(args) else { return Ok(Configured { command: cmd, file: None, settings: Vec::new() }) };
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read the configuration {}: {e}", path.display()))?;
    let table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
    let serve = cmd.find_subcommand("serve").ok_or("no serve command")?.clone();
    let mut settings = Vec::new();
    for (key, value) in table {
        let known = key != "config" && serve.get_arguments().any(|a| a.get_id().as_str() == key);
        if !known {
            return Err(format!(
                "{}: unknown setting `{key}` (settings are `pincer serve` flags, with underscores)",
                path.display()
            ));
        }
        settings.push((
            key.clone(),
            text_of(&value).ok_or_else(|| {
                format!("{}: `{key}` must be a string, number, boolean or list of them", path.display())
            })?,
        ));
    }
    let command = with_defaults(cmd, &settings);
    Ok(Configured { command, file: Some(path), settings: settings.into_iter().map(|(key, _)| key).collect() })
}

/// A TOML value as the command line would spell it (lists comma-separated).
fn text_of(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Array(items) => items.iter().map(text_of).collect::<Option<Vec<_>>>().map(|v| v.join(",")),
        toml::Value::Datetime(_) | toml::Value::Table(_) => None,
    }
}

/// Sets the settings as defaults on every (sub)command that has them, hidden from `--help`
/// (they may be secrets).
fn with_defaults(mut cmd: Command, settings: &[(String, String)]) -> Command {
    for (key, value) in settings {
        if cmd.get_arguments().any(|a| a.get_id().as_str() == key) {
            // clap keeps defaults as `&'static str`; a configuration is read once per process.
            let value: &'static str = Box::leak(value.clone().into_boxed_str());
            cmd = cmd.mut_arg(key.as_str(), |arg| arg.default_value(value).hide_default_value(true));
        }
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| with_defaults(sub, settings));
    }
    cmd
}
