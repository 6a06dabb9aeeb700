//! The plumbing every wire format shares: the response body as chunks under the idle timeout, cut
//! into frames (SSE events or NDJSON lines), fed to the format's [`Decoder`], which turns them
//! into [`StreamEvent`]s and, at the end, exactly one `Finished`.
//!
//! The pipeline owns the `reqwest::Response`: dropping the returned stream drops the response,
//! and with it the connection (an unfinished HTTP/1.1 body is never reused), which is how a run is
//! cancelled upstream.

use std::collections::VecDeque;
use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource};
use futures::FutureExt;
use futures::stream::{self, BoxStream, Stream, StreamExt};
use pincer_agents::chat::{ModelError, ModelStream, StopReason, StreamEvent};
use pincer_usage::TokenCounts;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::upstream::ErrorChain;

/// A stream body larger than this is refused (a long answer is a few MB of SSE).
pub(crate) const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// One frame of a stream: an SSE event (its `event:` name, `message` when it had none, and its
/// `data:`), or one NDJSON line (no name).
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) event: String,
    pub(crate) data: String,
}

/// What a frame meant for the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    More,
    /// The format's own end marker (`[DONE]`, `message_stop`, `"done": true`).
    End,
}

/// One wire format's reading of a stream.
pub(crate) trait Decoder: Send + 'static {
    /// Reads one frame, pushing the events it carries, in order.
    fn frame(&mut self, frame: Frame, out: &mut VecDeque<StreamEvent>) -> Result<Flow, ModelError>;

    /// The stream ended (its end marker, or the end of the body): the stop reason and the tokens,
    /// or `BrokenStream` when what the format must send never came. Tool calls still held are
    /// pushed to `out` first.
    fn end(&mut self, out: &mut VecDeque<StreamEvent>) -> Result<(StopReason, TokenCounts), ModelError>;
}

/// Where a stream comes from, for logs: the provider kind and host (never a key or a body).
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    pub(crate) kind: &'static str,
    pub(crate) host: String,
}

/// The body's chunks, each awaited at most `idle`. A transport failure is `BrokenStream`, a body
/// past [`MAX_STREAM_BYTES`] `BadResponse`; the stream ends after its first error.
fn chunks(
    response: reqwest::Response,
    idle: Duration,
    origin: Origin,
) -> impl Stream<Item = Result<impl AsRef<[u8]> + Send + 'static, ModelError>> + Send + 'static {
    stream::unfold(Some((response, 0usize, origin)), move |state| async move {
        let (mut response, read, origin) = state?;
        match tokio::time::timeout(idle, response.chunk()).await {
            Err(_) => Some((Err(ModelError::Timeout), None)),
            Ok(Ok(Some(chunk))) => {
                let read = read + chunk.len();
                if read > MAX_STREAM_BYTES {
                    tracing::warn!(kind = origin.kind, host = %origin.host, "model stream too large");
                    return Some((Err(ModelError::BadResponse), None));
                }
                Some((Ok(chunk), Some((response, read, origin))))
            }
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                tracing::info!(kind = origin.kind, host = %origin.host, error = %ErrorChain(&e), "model stream cut off");
                Some((Err(ModelError::BrokenStream), None))
            }
        }
    })
}

/// Server-sent events, parsed by `eventsource-stream`.
pub(crate) fn sse_frames(
    response: reqwest::Response,
    idle: Duration,
    origin: Origin,
) -> BoxStream<'static, Result<Frame, ModelError>> {
    sse_events(chunks(response, idle, origin))
}

/// The SSE events of a body, however it is cut into chunks.
pub(crate) fn sse_events<S, B>(chunks: S) -> BoxStream<'static, Result<Frame, ModelError>>
where
    S: Stream<Item = Result<B, ModelError>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
{
    chunks
        .eventsource()
        .map(|event| match event {
            Ok(event) => Ok(Frame { event: event.event, data: event.data }),
            Err(EventStreamError::Transport(e)) => Err(e),
            Err(EventStreamError::Utf8(_) | EventStreamError::Parser(_)) => Err(ModelError::BadResponse),
        })
        .fuse()
        .boxed()
}

/// Newline-delimited JSON: one frame per non-blank line; a last line without its newline counts.
pub(crate) fn ndjson_frames(
    response: reqwest::Response,
    idle: Duration,
    origin: Origin,
) -> BoxStream<'static, Result<Frame, ModelError>> {
    ndjson_lines(chunks(response, idle, origin))
}

/// The NDJSON lines of a body, however it is cut into chunks (a line is cut at its `\n` only,
/// so a character or a `\r\n` split between two chunks is put back together).
pub(crate) fn ndjson_lines<S, B>(chunks: S) -> BoxStream<'static, Result<Frame, ModelError>>
where
    S: Stream<Item = Result<B, ModelError>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
{
    let source = chunks.boxed();
    stream::unfold(Some((source, Vec::<u8>::new())), |state| async move {
        let (mut source, mut buf) = state?;
        loop {
            if let Some(end) = buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((line_frame(line), Some((source, buf))));
            }
            match source.next().await {
                Some(Ok(chunk)) => buf.extend_from_slice(chunk.as_ref()),
                Some(Err(e)) => return Some((Err(e), None)),
                None if buf.iter().all(u8::is_ascii_whitespace) => return None,
                None => return Some((line_frame(std::mem::take(&mut buf)), None)),
            }
        }
    })
    .fuse()
    .boxed()
}

fn line_frame(line: Vec<u8>) -> Result<Frame, ModelError> {
    match String::from_utf8(line) {
        Ok(data) => Ok(Frame { event: String::new(), data }),
        Err(_) => Err(ModelError::BadResponse),
    }
}

struct Driver<D> {
    frames: BoxStream<'static, Result<Frame, ModelError>>,
    decoder: D,
    out: VecDeque<StreamEvent>,
    /// Frames read so far.
    seen: usize,
    /// Whether the response said it is a stream (`text/event-stream`, NDJSON): a body without
    /// a single frame is then a stream that broke off, otherwise an answer of another kind.
    stream_type: bool,
    origin: Origin,
    /// Set once the stream is over: after the queued events, this error (or nothing, when the
    /// queue ends with `Finished`).
    done: Option<Option<ModelError>>,
}

/// The events of one model call, read from `frames` by `decoder`.
pub(crate) fn drive<D: Decoder>(
    frames: BoxStream<'static, Result<Frame, ModelError>>,
    decoder: D,
    stream_type: bool,
    origin: Origin,
) -> ModelStream {
    let driver = Driver { frames, decoder, out: VecDeque::new(), seen: 0, stream_type, origin, done: None };
    stream::unfold(Some(driver), |state| async move {
        let mut d = state?;
        loop {
            if let Some(event) = d.out.pop_front() {
                let last = d.out.is_empty() && matches!(d.done, Some(None));
                return Some((Ok(event), (!last).then_some(d)));
            }
            if let Some(error) = d.done.take() {
                // The queue is empty: what is left is the error, if any.
                let error = error?;
                tracing::info!(kind = d.origin.kind, host = %d.origin.host, error = %error, "model stream failed");
                count_error(d.origin.kind, &error);
                return Some((Err(error), None));
            }
            let flow = match d.frames.next().await {
                Some(Ok(frame)) => {
                    d.seen += 1;
                    let flow = d.decoder.frame(frame, &mut d.out);
                    if flow == Ok(Flow::End) {
                        // The end marker: read the end of the body if it is already there, so
                        // that the connection can serve the next call; never wait for it.
                        drop(d.frames.next().now_or_never());
                    }
                    flow
                }
                Some(Err(e)) => Err(e),
                None if d.seen == 0 && !d.stream_type => Err(ModelError::BadResponse),
                None => Ok(Flow::End),
            };
            match flow {
                Ok(Flow::More) => {}
                Ok(Flow::End) => {
                    d.done = Some(match d.decoder.end(&mut d.out) {
                        Ok((stop, tokens)) => {
                            tracing::debug!(kind = d.origin.kind, host = %d.origin.host, ?stop, ?tokens, "model stream finished");
                            d.out.push_back(StreamEvent::Finished { stop, tokens });
                            None
                        }
                        Err(e) => Some(e),
                    });
                }
                Err(e) => d.done = Some(Some(e)),
            }
        }
    })
    .boxed()
}

/// `pincer_model_errors_total{provider, error}`: a failed model call, before its answer began or
/// in the middle of it (a no-op without the metrics endpoint).
pub(crate) fn count_error(provider: &'static str, error: &ModelError) {
    metrics::counter!("pincer_model_errors_total", "provider" => provider, "error" => error.code()).increment(1);
}

/// A frame's JSON as `T`. The message of a serde error can quote the input: only where and what
/// kind of error is logged.
pub(crate) fn parse<'a, T: Deserialize<'a>>(data: &'a str) -> Result<T, ModelError> {
    serde_json::from_str(data).map_err(|e| {
        tracing::info!(category = ?e.classify(), line = e.line(), column = e.column(), "model stream frame is not the expected JSON");
        ModelError::BadResponse
    })
}

/// Tool-call arguments sent as JSON text: the object, or `{}` when there is none or it is not an
/// object.
pub(crate) fn arguments_from_text(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return empty_object();
    }
    serde_json::from_str(raw).map_or_else(|_| empty_object(), object_or_empty)
}

/// Tool-call arguments sent as JSON: the object, or `{}` when it is not one.
pub(crate) fn object_or_empty(value: Value) -> Value {
    match value {
        Value::Object(_) => value,
        // Some servers send the arguments as a JSON string holding the object.
        Value::String(text) => arguments_from_text(&text),
        _ => empty_object(),
    }
}

pub(crate) fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// Ids for the tool calls of a format that has none (Gemini, Ollama, some OpenAI-compatible
/// servers): `call_<random>_<n>`. The random part is drawn per stream, so the ids of one step
/// never repeat those of an earlier step, run or conversation (a plain `call_1` would be reused
/// by every step, and a tool result could be matched to the wrong call).
#[derive(Clone, Debug)]
pub(crate) struct CallIds {
    prefix: String,
    issued: usize,
}

impl CallIds {
    /// Ids under this prefix (tests use a fixed one).
    pub(crate) fn with_prefix(prefix: &str) -> CallIds {
        CallIds { prefix: prefix.to_string(), issued: 0 }
    }

    /// The next id.
    pub(crate) fn next_id(&mut self) -> String {
        self.issued += 1;
        format!("{}_{}", self.prefix, self.issued)
    }
}

impl Default for CallIds {
    fn default() -> Self {
        let random: String = pincer_core::crypto::random_bytes::<6>().iter().map(|b| format!("{b:02x}")).collect();
        CallIds::with_prefix(&format!("call_{random}"))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs a decoder over a recorded body, cut into chunks of every size, without HTTP.

    use super::*;

    /// The events (or the error) a decoder yields for `body` cut into `chunk`-byte pieces.
    pub(crate) fn decode_sse<D: Decoder>(body: &str, chunk: usize, decoder: D) -> Vec<Result<StreamEvent, ModelError>> {
        let pieces: Vec<Result<Vec<u8>, ModelError>> =
            body.as_bytes().chunks(chunk.max(1)).map(|c| Ok(c.to_vec())).collect();
        collect(sse_events(stream::iter(pieces)), decoder, true)
    }

    pub(crate) fn decode_ndjson<D: Decoder>(body: &str, decoder: D) -> Vec<Result<StreamEvent, ModelError>> {
        let pieces: Vec<Result<Vec<u8>, ModelError>> = vec![Ok(body.as_bytes().to_vec())];
        collect(ndjson_lines(stream::iter(pieces)), decoder, true)
    }

    fn collect<D: Decoder>(
        frames: BoxStream<'static, Result<Frame, ModelError>>,
        decoder: D,
        stream_type: bool,
    ) -> Vec<Result<StreamEvent, ModelError>> {
        let origin = Origin { kind: "test", host: "test".to_string() };
        futures::executor::block_on(drive(frames, decoder, stream_type, origin).collect())
    }

    /// Every chunk size from 1 byte to the whole body gives the same events.
    pub(crate) fn decode_sse_every_way<D: Decoder + Clone>(
        body: &str,
        decoder: D,
    ) -> Vec<Result<StreamEvent, ModelError>> {
        let whole = decode_sse(body, body.len(), decoder.clone());
        for size in [1, 2, 3, 7, 16, 61] {
            assert_eq!(decode_sse(body, size, decoder.clone()), whole, "chunks of {size} bytes");
        }
        whole
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn arguments_are_objects() {
        assert_eq!(arguments_from_text(r#"{"path":"/data"}"#), json!({"path": "/data"}));
        assert_eq!(arguments_from_text(""), json!({}));
        assert_eq!(arguments_from_text("  "), json!({}));
        assert_eq!(arguments_from_text(r#"{"path":"/da"#), json!({}));
        assert_eq!(arguments_from_text("[1,2]"), json!({}));
        assert_eq!(object_or_empty(json!({"a": 1})), json!({"a": 1}));
        assert_eq!(object_or_empty(json!(r#"{"a":1}"#)), json!({"a": 1}));
        assert_eq!(object_or_empty(Value::Null), json!({}));
    }
}
