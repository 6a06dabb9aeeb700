//! Secrets in the configuration: never from a flag (a process's arguments are readable by every
//! user in `ps`), from the environment or from the file a `<VARIABLE>_FILE` variable names (how
//! container secrets and credential stores hand them over).

use clap::ArgMatches;
use clap::parser::ValueSource;

/// The secret settings: the argument's id and its environment variable.
pub const SECRETS: [(&str, &str); 3] = [
    ("encryption_key", "PINCER_ENCRYPTION_KEY"),
    ("audit_key", "PINCER_AUDIT_KEY"),
    ("database_url", "PINCER_DATABASE_URL"),
];

/// Refuses a secret given as a flag, in any subcommand.
pub fn refuse_flags(matches: &ArgMatches) -> Result<(), String> {
    for id in matches.ids() {
        if let Some((_, variable)) = SECRETS.iter().find(|(secret, _)| id.as_str() == *secret)
            && matches.value_source(id.as_str()) == Some(ValueSource::CommandLine)
        {
            return Err(format!(
                "--{} is refused: the command line is readable by every user; set {variable} or {variable}_FILE",
                id.as_str().replace('_', "-")
            ));
        }
    }
    match matches.subcommand() {
        Some((_, sub)) => refuse_flags(sub),
        None => Ok(()),
    }
}

/// Fills `value` from the file `<variable>_FILE` names when the variable itself is unset (its
/// content, without the trailing newline); both set is a mistake worth refusing.
pub fn from_file(value: &mut Option<String>, variable: &str) -> Result<(), String> {
    let file_variable = format!("{variable}_FILE");
    let Some(path) = std::env::var_os(&file_variable).filter(|p| !p.is_empty()) else { return Ok(()) };
    if value.is_some() {
        return Err(format!("set {variable} or {file_variable}, not both"));
    }
    let content = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {file_variable} ({}): {e}", std::path::Path::new(&path).display()))?;
    *value = Some(content.trim_end_matches(['\n', '\r']).to_string());
    Ok(())
}

/// The files the environment names for secrets (`*_FILE`, and the licence's), for the security
/// self-audit's check of who may read them.
pub fn files_in_environment() -> Vec<std::path::PathBuf> {
    SECRETS
        .iter()
        .map(|(_, variable)| format!("{variable}_FILE"))
        .chain(std::iter::once("PINCER_LICENSE_FILE".to_string()))
        .filter_map(|name| std::env::var_os(name).filter(|p| !p.is_empty()).map(Into::into))
        .collect()
}
