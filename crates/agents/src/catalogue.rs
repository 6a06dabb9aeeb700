//! What Pincer knows about providers' models without asking them: default endpoints, which model
//! a new agent gets, which listed models can chat and which can call tools.

use std::collections::HashMap;

use crate::model::{ModelInfo, RemoteModel};
use crate::provider::ProviderKind;

/// Cloud model lists are cached this long; local Ollama is always asked live.
pub const MODEL_CACHE_TTL_MS: i64 = 60 * 60 * 1000;

/// The public endpoint of each kind (OpenAI-compatible endpoints have none: the admin gives it).
pub fn default_base_url(kind: ProviderKind) -> Option<&'static str> {
    match kind {
        ProviderKind::Anthropic => Some("https://api.anthropic.com"),
        ProviderKind::Openai => Some("https://api.openai.com"),
        ProviderKind::Google => Some("https://generativelanguage.googleapis.com"),
        ProviderKind::OllamaCloud => Some("https://ollama.com"),
        ProviderKind::OllamaLocal => Some("http://127.0.0.1:11434"),
        ProviderKind::OpenaiCompatible => None,
    }
}

/// The name of the variable that overrides a kind's base URL (`PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD`).
pub fn base_url_variable(kind: ProviderKind) -> String {
    format!("PINCER_PROVIDER_BASEURL_{}", kind.as_str().replace('-', "_").to_ascii_uppercase())
}

/// Base URLs per kind: the built-in defaults with the operator's overrides on top.
#[derive(Clone, Debug, Default)]
pub struct BaseUrls {
    overrides: HashMap<ProviderKind, String>,
}

impl BaseUrls {
    /// These URLs with `kind`'s replaced by `url` (the operator's override).
    pub fn with_override(mut self, kind: ProviderKind, url: &str) -> Self {
        self.overrides.insert(kind, url.trim().trim_end_matches('/').to_string());
        self
    }

    /// The base URL of `kind`: the override, else the built-in one (none for kinds without).
    pub fn get(&self, kind: ProviderKind) -> Option<String> {
        self.overrides.get(&kind).cloned().or_else(|| default_base_url(kind).map(str::to_string))
    }
}

/// Models preferred as the default of a new agent, per kind, in order: fast, capable, tool-using.
fn preferred(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::Anthropic => &["claude-haiku-4-5", "claude-sonnet-4-5", "claude-3-5-haiku"],
        ProviderKind::Openai => &["gpt-4.1-mini", "gpt-4o-mini", "gpt-4.1", "gpt-4o"],
        ProviderKind::Google => &["gemini-2.5-flash", "gemini-2.0-flash", "gemini-1.5-flash"],
        ProviderKind::OllamaCloud => &["gpt-oss:120b", "gpt-oss:20b"],
        ProviderKind::OllamaLocal | ProviderKind::OpenaiCompatible => &[],
    }
}

/// The default model for a provider from its live list: the first preferred model it offers (a
/// listed id may carry a date suffix), else its first tool-capable chat model, else its first
/// chat model.
pub fn choose_default_model(kind: ProviderKind, models: &[RemoteModel]) -> Option<String> {
    let chat: Vec<&RemoteModel> = models.iter().filter(|m| is_chat_model(kind, &m.id)).collect();
    for wanted in preferred(kind) {
        if let Some(found) = chat.iter().find(|m| m.id == *wanted || m.id.starts_with(&format!("{wanted}-"))) {
            return Some(found.id.clone());
        }
    }
    chat.iter().find(|m| supports_tools(kind, &m.id)).or(chat.first()).map(|m| m.id.clone())
}

/// Whether a listed model is one an agent can chat with (not an embedding, speech, image or
/// moderation model).
pub fn is_chat_model(kind: ProviderKind, id: &str) -> bool {
    let id = id.to_ascii_lowercase();
    const NOT_CHAT: [&str; 10] =
        ["embed", "whisper", "tts", "dall-e", "moderation", "davinci", "babbage", "transcribe", "imagen", "aqa"];
    if NOT_CHAT.iter().any(|marker| id.contains(marker)) {
        return false;
    }
    match kind {
        ProviderKind::Openai => {
            id.starts_with("gpt-")
                || id.starts_with("chatgpt-")
                || id.starts_with('o') && id[1..].starts_with(char::is_numeric)
        }
        ProviderKind::Google => id.starts_with("gemini") || id.starts_with("gemma"),
        _ => true,
    }
}

/// Whether a model can call tools. Cloud chat models all can; for open models (Ollama,
/// OpenAI-compatible servers) only the families trained for it.
pub fn supports_tools(kind: ProviderKind, id: &str) -> bool {
    match kind {
        ProviderKind::Anthropic | ProviderKind::Openai | ProviderKind::Google => true,
        ProviderKind::OllamaCloud | ProviderKind::OllamaLocal | ProviderKind::OpenaiCompatible => {
            let id = id.to_ascii_lowercase();
            const TOOL_FAMILIES: [&str; 12] = [
                "llama3.1",
                "llama3.2",
                "llama3.3",
                "llama-3.1",
                "llama-3.3",
                "qwen2.5",
                "qwen3",
                "mistral",
                "mixtral",
                "gpt-oss",
                "command-r",
                "deepseek-v3",
            ];
            TOOL_FAMILIES.iter().any(|family| id.contains(family)) || id.contains("tool")
        }
    }
}

/// Describes a listed model for `GET /api/providers/models`; `None` for models agents cannot use.
pub fn describe(kind: ProviderKind, provider: &str, model: &RemoteModel) -> Option<ModelInfo> {
    if !is_chat_model(kind, &model.id) {
        return None;
    }
    let display_name = model.display_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| model.id.clone());
    Some(ModelInfo {
        id: model.id.clone(),
        provider: provider.to_string(),
        display_name,
        tool_use: supports_tools(kind, &model.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(ids: &[&str]) -> Vec<RemoteModel> {
        ids.iter().map(|id| RemoteModel { id: id.to_string(), display_name: None }).collect()
    }

    #[test]
    fn defaults_prefer_known_models_and_skip_non_chat_ones() {
        let anthropic = remote(&["claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"]);
        assert_eq!(
            choose_default_model(ProviderKind::Anthropic, &anthropic).as_deref(),
            Some("claude-haiku-4-5-20251001")
        );
        let openai = remote(&["text-embedding-3-small", "whisper-1", "gpt-4o-mini", "o3"]);
        assert_eq!(choose_default_model(ProviderKind::Openai, &openai).as_deref(), Some("gpt-4o-mini"));
        let ollama = remote(&["nomic-embed-text:latest", "phi3:mini", "llama3.1:8b"]);
        assert_eq!(choose_default_model(ProviderKind::OllamaLocal, &ollama).as_deref(), Some("llama3.1:8b"));
        assert_eq!(
            choose_default_model(ProviderKind::OllamaLocal, &remote(&["phi3:mini"])).as_deref(),
            Some("phi3:mini")
        );
        assert_eq!(choose_default_model(ProviderKind::OllamaLocal, &remote(&["nomic-embed-text"])), None);
    }

    #[test]
    fn describes_chat_models_with_tool_use() {
        let m = RemoteModel { id: "claude-sonnet-4-6".into(), display_name: Some("Claude Sonnet 4.6".into()) };
        assert_eq!(
            describe(ProviderKind::Anthropic, "anthropic", &m),
            Some(ModelInfo {
                id: "claude-sonnet-4-6".into(),
                provider: "anthropic".into(),
                display_name: "Claude Sonnet 4.6".into(),
                tool_use: true
            })
        );
        let phi = RemoteModel { id: "phi3:mini".into(), display_name: None };
        assert_eq!(
            describe(ProviderKind::OllamaLocal, "ollama-local", &phi).map(|i| (i.display_name, i.tool_use)),
            Some(("phi3:mini".into(), false))
        );
        let embed = RemoteModel { id: "text-embedding-3-large".into(), display_name: None };
        assert_eq!(describe(ProviderKind::Openai, "openai", &embed), None);
    }

    #[test]
    fn base_urls_take_overrides() {
        let urls = BaseUrls::default().with_override(ProviderKind::Anthropic, "http://127.0.0.1:9/");
        assert_eq!(urls.get(ProviderKind::Anthropic).as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(urls.get(ProviderKind::Openai).as_deref(), Some("https://api.openai.com"));
        assert_eq!(urls.get(ProviderKind::OpenaiCompatible), None);
        assert_eq!(base_url_variable(ProviderKind::OllamaCloud), "PINCER_PROVIDER_BASEURL_OLLAMA_CLOUD");
    }
}
