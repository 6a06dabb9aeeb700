//! What a fake provider answers a chat request with: a scripted [`FakeReply`] (text in pieces, tool
//! calls, token usage, a stop reason), which each kind renders in its own wire format.

use serde_json::Value;

/// Token usage as a test states it, normalised the way Pincer counts (`input` without the cached
/// tokens). Each kind reports it in its own terms: OpenAI and Gemini count the cached tokens inside
/// the prompt tokens and have no cache writes; Ollama has no cache at all. What a format cannot
/// express is left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FakeUsage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

/// Why the scripted answer stops. Without one, a reply with tool calls stops for the tools and
/// one without ends its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeStop {
    EndTurn,
    ToolUse,
    MaxTokens,
    /// The model declines: Anthropic `stop_reason: "refusal"`, Gemini `finishReason: "SAFETY"`
    /// (with its safety ratings), OpenAI `finish_reason: "content_filter"`; Ollama has no such
    /// stop and ends with `"stop"`.
    Refusal,
}

/// A tool call the fake model makes. The kinds whose format has ids (OpenAI, Anthropic) make one
/// up (`call_fake_<n>`, `toolu_fake_<n>`, counted per fake); Gemini and Ollama send none.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeToolCall {
    pub name: String,
    pub arguments: Value,
}

/// One scripted answer.
///
/// ```
/// use pincer_testkit::fakes::{FakeReply, FakeUsage};
/// use serde_json::json;
///
/// let text = FakeReply::text(&["Hel", "lo"]).usage(FakeUsage { input: 12, output: 5, cache_read: 3, cache_write: 2 });
/// let tools = FakeReply::tool_call("pinchy_ls", json!({"path": "/data/hr"}));
/// let both = FakeReply::text(&["Looking."]).with_tool_call("pinchy_read", json!({"path": "/data/hr/a.md"}));
/// assert_eq!(text.full_text(), "Hello");
/// assert_eq!(both.tool_calls.len(), 1);
/// # let _ = tools;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FakeReply {
    /// The text, in the pieces it is streamed in (one delta each).
    pub text: Vec<String>,
    /// Streamed after the text, in order.
    pub tool_calls: Vec<FakeToolCall>,
    pub usage: FakeUsage,
    /// `None`: derived from the tool calls (see [`FakeStop`]).
    pub stop: Option<FakeStop>,
    /// Reasoning streamed before the answer, in pieces: Anthropic `thinking` blocks (with
    /// `thinking_delta`s and a `signature_delta`), Gemini parts marked `thought: true`, Ollama's
    /// `message.thinking`. Never part of the answer; OpenAI streams none.
    pub thinking: Vec<String>,
    /// How many of `usage.output` are thinking tokens: Gemini reports them apart
    /// (`thoughtsTokenCount`, not in `candidatesTokenCount`), OpenAI as `reasoning_tokens`
    /// inside `completion_tokens`, Anthropic inside `output_tokens`.
    pub thinking_tokens: u64,
}

impl FakeReply {
    /// The usage of a reply that states none.
    pub const DEFAULT_USAGE: FakeUsage = FakeUsage { input: 10, output: 5, cache_read: 0, cache_write: 0 };

    /// An answer streamed as these text pieces.
    pub fn text(pieces: &[&str]) -> FakeReply {
        FakeReply {
            text: pieces.iter().map(|p| p.to_string()).collect(),
            tool_calls: Vec::new(),
            usage: Self::DEFAULT_USAGE,
            stop: None,
            thinking: Vec::new(),
            thinking_tokens: 0,
        }
    }

    /// An answer that is one tool call.
    pub fn tool_call(name: &str, arguments: Value) -> FakeReply {
        FakeReply::text(&[]).with_tool_call(name, arguments)
    }

    /// One more tool call, after the text and the calls so far.
    pub fn with_tool_call(mut self, name: &str, arguments: Value) -> FakeReply {
        self.tool_calls.push(FakeToolCall { name: name.to_string(), arguments });
        self
    }

    pub fn usage(mut self, usage: FakeUsage) -> FakeReply {
        self.usage = usage;
        self
    }

    pub fn stop(mut self, stop: FakeStop) -> FakeReply {
        self.stop = Some(stop);
        self
    }

    /// Reasoning streamed before the answer, in these pieces, `tokens` of the output tokens.
    pub fn thinking(mut self, pieces: &[&str], tokens: u64) -> FakeReply {
        self.thinking = pieces.iter().map(|p| p.to_string()).collect();
        self.thinking_tokens = tokens;
        self
    }

    /// The text pieces joined.
    pub fn full_text(&self) -> String {
        self.text.concat()
    }

    /// The stop reason the fake reports.
    pub fn stop_reason(&self) -> FakeStop {
        self.stop.unwrap_or(if self.tool_calls.is_empty() { FakeStop::EndTurn } else { FakeStop::ToolUse })
    }
}

/// What a fake answers when no reply is queued.
impl Default for FakeReply {
    fn default() -> Self {
        FakeReply::text(&["Hello", " from", " the fake", " model."])
    }
}

/// `text` in `parts` pieces of about equal length, cut at character boundaries (fewer pieces for
/// a short text; none for an empty one), so that clients have to put tool arguments together.
pub(super) fn fragments(text: &str, parts: usize) -> Vec<&str> {
    let chars = text.chars().count();
    if chars == 0 {
        return Vec::new();
    }
    let per_part = chars.div_ceil(parts.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    for (n, (index, _)) in text.char_indices().enumerate() {
        if n > 0 && n % per_part == 0 {
            out.push(&text[start..index]);
            start = index;
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fragments_cover_the_text() {
        let text = r#"{"path":"/data/hr/é"}"#;
        let pieces = fragments(text, 3);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), text);
        assert_eq!(fragments("ab", 3), ["a", "b"]);
        assert!(fragments("", 3).is_empty());
    }

    #[test]
    fn stop_follows_the_tool_calls_unless_told() {
        assert_eq!(FakeReply::text(&["a"]).stop_reason(), FakeStop::EndTurn);
        assert_eq!(FakeReply::tool_call("x", json!({})).stop_reason(), FakeStop::ToolUse);
        assert_eq!(FakeReply::text(&["a"]).stop(FakeStop::MaxTokens).stop_reason(), FakeStop::MaxTokens);
    }
}
