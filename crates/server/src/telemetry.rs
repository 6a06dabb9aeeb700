//! Tracing to stderr, as text or JSON, filtered by `PINCER_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(filter: &str, format: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("invalid PINCER_LOG filter: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in files or collectors.
        .with_ansi(std::io::stderr().is_terminal());
    let result = if format == "json" { builder.json().try_init() } else { builder.try_init() };
    result.map_err(|e| format!("cannot install the log subscriber: {e}"))
}
