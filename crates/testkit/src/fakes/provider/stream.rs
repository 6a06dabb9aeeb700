//! The streamed body of a chat answer: the kind's frames (SSE events or NDJSON lines, one chunk
//! each), sent as the [`Behaviour`] says (all of them, with a delay, cut, ended early, broken
//! off by the kind's in-stream error event, or held open), and a guard that counts the streams the client closed before they finished.

use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, rt};

use super::{Behaviour, Shared};

/// How a cut connection is made to break: the chunks before it are given this long to leave.
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    All,
    /// Then drop the connection.
    Cut(usize),
    /// Then end the body as if it were complete.
    End(usize),
    /// Then send the kind's in-stream error event and end the body.
    Error(usize),
    /// Then send nothing more, until the client goes away.
    Hold(usize),
}

impl Mode {
    fn limit(self) -> usize {
        match self {
            Mode::All => usize::MAX,
            Mode::Cut(n) | Mode::End(n) | Mode::Error(n) | Mode::Hold(n) => n,
        }
    }
}

/// Counts a client disconnect when dropped before the body was over.
struct Guard {
    shared: web::Data<Shared>,
    over: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.over {
            self.shared.disconnects.send_modify(|n| *n += 1);
        }
    }
}

struct State {
    frames: std::vec::IntoIter<Bytes>,
    sent: usize,
    mode: Mode,
    delay: Option<Duration>,
    /// The kind's in-stream error event, for [`Mode::Error`].
    error: Option<Bytes>,
    guard: Guard,
}

/// `200 OK` with this content type, streaming `frames` as the current behaviour says.
pub(super) fn respond(shared: &web::Data<Shared>, content_type: &'static str, frames: Vec<Bytes>) -> HttpResponse {
    let (mode, delay) = match shared.behaviour() {
        Behaviour::CutAfter(n) => (Mode::Cut(n), None),
        Behaviour::EndAfter(n) => (Mode::End(n), None),
        Behaviour::ErrorAfter(n) => (Mode::Error(n), None),
        Behaviour::HoldAfter(n) => (Mode::Hold(n), None),
        Behaviour::ChunkDelay(delay) => (Mode::All, Some(delay)),
        _ => (Mode::All, None),
    };
    let state = State {
        frames: frames.into_iter(),
        sent: 0,
        mode,
        delay,
        error: Some(super::mid_stream_error(shared.kind)),
        guard: Guard { shared: shared.clone(), over: false },
    };
    let body = futures::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        if state.sent < state.mode.limit()
            && let Some(frame) = state.frames.next()
        {
            if state.sent > 0
                && let Some(delay) = state.delay
            {
                rt::time::sleep(delay).await;
            }
            state.sent += 1;
            return Some((Ok(frame), Some(state)));
        }
        match state.mode {
            Mode::Cut(_) => {
                rt::time::sleep(FLUSH_BEFORE_CUT).await;
                state.guard.over = true;
                // An error from the body makes the server drop the connection mid-body.
                Some((Err(std::io::Error::other("the fake provider cut the stream")), None))
            }
            Mode::Hold(_) => {
                // Dropped (with the guard, which counts it) when the client goes away.
                std::future::pending::<()>().await;
                None
            }
            Mode::Error(_) if state.error.is_some() => {
                let error = state.error.take();
                state.guard.over = true;
                error.map(|frame| (Ok(frame), None))
            }
            Mode::All | Mode::End(_) | Mode::Error(_) => {
                state.guard.over = true;
                None
            }
        }
    });
    HttpResponse::Ok().content_type(content_type).insert_header(("cache-control", "no-cache")).streaming(body)
}

/// One SSE event: `event: <name>` (when given) and one `data:` line, then the blank line, with
/// this line end (`\n`, or Google's `\r\n`).
pub(super) fn sse(event: Option<&str>, data: &str, newline: &str) -> Bytes {
    let mut frame = String::with_capacity(data.len() + 32);
    if let Some(event) = event {
        frame.push_str("event: ");
        frame.push_str(event);
        frame.push_str(newline);
    }
    frame.push_str("data: ");
    frame.push_str(data);
    frame.push_str(newline);
    frame.push_str(newline);
    Bytes::from(frame)
}
