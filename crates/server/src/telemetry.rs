//! Tracing to stderr, as text or JSON, filtered by `PINCER_LOG`.
//!
//! Lines are written by a dedicated thread (tracing-appender), so a request never waits for a
//! write to stderr (a pipe or a terminal that may be slow). The queue holds [`QUEUED_LINES`]
//! lines and then makes loggers wait rather than drop lines: an operator's log is not lossy.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines queued for the writer thread. The queue is allocated up front: the crate's default of
/// 128,000 lines added 4 MiB to the idle server; bursts beyond this wait for the writer.
const QUEUED_LINES: usize = 16_384;

/// Keeps the writer thread; dropping it flushes the queued lines and stops the thread.
#[must_use = "the log writer stops when this is dropped"]
pub struct LogWriter {
    _flush_on_drop: WorkerGuard,
}

pub fn init(filter: &str, format: &str) -> Result<LogWriter, String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("invalid PINCER_LOG filter: {e}"))?;
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        .lossy(false)
        .thread_name("pincer-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colour codes only for a person at a terminal, never in files or collectors.
        .with_ansi(std::io::stderr().is_terminal());
    let result = if format == "json" { builder.json().try_init() } else { builder.try_init() };
    result.map_err(|e| format!("cannot install the log subscriber: {e}"))?;
    Ok(LogWriter { _flush_on_drop: guard })
}
