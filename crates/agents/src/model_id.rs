//! Model ids are `provider/model` strings (`anthropic/claude-haiku-4-5`), as in the reference.

use crate::provider::ProviderKind;

/// A parsed `provider/model` id. For OpenAI-compatible endpoints the provider part is the
/// endpoint's configured name, so it is kept as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelId {
    /// The provider's name.
    pub provider: String,
    /// The provider's own model id.
    pub model: String,
}

/// A model id that is not `provider/model`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("model must look like provider/model")]
pub struct BadModelId;

impl ModelId {
    /// Splits `provider/model` at its first slash; both parts non-empty, without spaces.
    pub fn parse(raw: &str) -> Result<Self, BadModelId> {
        let (provider, model) = raw.split_once('/').ok_or(BadModelId)?;
        let ok = |s: &str| !s.is_empty() && s.len() <= 200 && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok(provider) || !ok(model) {
            return Err(BadModelId);
        }
        Ok(Self { provider: provider.to_string(), model: model.to_string() })
    }

    /// The provider kind, when the provider part names a built-in one.
    pub fn kind(&self) -> Option<ProviderKind> {
        ProviderKind::parse(&self.provider)
    }
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provider_and_model_keeping_later_slashes() {
        let id = ModelId::parse("ollama-local/library/llama3:8b").unwrap();
        assert_eq!((id.provider.as_str(), id.model.as_str()), ("ollama-local", "library/llama3:8b"));
        assert_eq!(id.kind(), Some(ProviderKind::OllamaLocal));
        assert_eq!(id.to_string(), "ollama-local/library/llama3:8b");
        for bad in ["claude", "/x", "anthropic/", "a b/c", ""] {
            assert_eq!(ModelId::parse(bad), Err(BadModelId), "{bad}");
        }
    }
}
