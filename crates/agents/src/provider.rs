//! The kinds of LLM provider Pincer connects to.

use serde::{Deserialize, Serialize};

/// The APIs Pincer speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// Anthropic's Messages API.
    Anthropic,
    /// OpenAI's Chat Completions API.
    Openai,
    /// Google's Gemini API.
    Google,
    /// Ollama's cloud.
    OllamaCloud,
    /// A local Ollama.
    OllamaLocal,
    /// Any endpoint speaking the OpenAI Chat Completions API.
    OpenaiCompatible,
}

impl ProviderKind {
    /// Every kind.
    pub const ALL: [ProviderKind; 6] =
        [Self::Anthropic, Self::Openai, Self::Google, Self::OllamaCloud, Self::OllamaLocal, Self::OpenaiCompatible];

    /// The kind as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::Openai => "openai",
            Self::Google => "google",
            Self::OllamaCloud => "ollama-cloud",
            Self::OllamaLocal => "ollama-local",
            Self::OpenaiCompatible => "openai-compatible",
        }
    }

    /// The kind with this name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Cloud providers authenticate with an API key.
    pub fn needs_api_key(self) -> bool {
        matches!(self, Self::Anthropic | Self::Openai | Self::Google | Self::OllamaCloud)
    }

    /// Providers configured by URL rather than by a fixed public endpoint.
    pub fn needs_base_url(self) -> bool {
        matches!(self, Self::OllamaLocal | Self::OpenaiCompatible)
    }

    /// A local model server lives on a private address by design, so the SSRF guard exempts it.
    pub fn may_use_private_address(self) -> bool {
        self == Self::OllamaLocal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_requirements() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("Anthropic"), None);
        assert!(ProviderKind::Anthropic.needs_api_key() && !ProviderKind::Anthropic.needs_base_url());
        assert!(ProviderKind::OllamaLocal.needs_base_url() && !ProviderKind::OllamaLocal.needs_api_key());
        assert!(ProviderKind::OllamaLocal.may_use_private_address());
        assert!(!ProviderKind::OpenaiCompatible.may_use_private_address());
    }
}
