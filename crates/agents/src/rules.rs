//! Pure rules of the catalogue: limits, name checks, and what a provider's removal does.

use crate::model::Provider;
use crate::ports::{RemovalPlan, RemovalRefused};
use crate::provider::ProviderKind;

/// Agent names are short: they label chat tabs and channel messages.
pub const MAX_NAME_CHARS: usize = 30;
/// Instructions and contexts (Markdown).
pub const MAX_MARKDOWN_CHARS: usize = 16_000;
/// The longest greeting, in characters.
pub const MAX_GREETING_CHARS: usize = 1_000;
/// The longest tagline, in characters.
pub const MAX_TAGLINE_CHARS: usize = 120;
/// The most starter prompts.
pub const MAX_STARTER_PROMPTS: usize = 6;
/// The longest starter prompt, in characters.
pub const MAX_STARTER_PROMPT_CHARS: usize = 200;
/// The most folders one agent may be granted.
pub const MAX_ALLOWED_PATHS: usize = 50;
/// Longest accepted provider slug and base URL.
pub const MAX_PROVIDER_NAME_CHARS: usize = 40;
/// The longest provider URL.
pub const MAX_URL_CHARS: usize = 2_000;
/// The longest API key.
pub const MAX_API_KEY_CHARS: usize = 1_000;

/// The personal assistant every account gets.
pub const PERSONAL_AGENT_NAME: &str = "Smithers";
/// The greeting of every personal assistant.
pub const PERSONAL_AGENT_GREETING: &str = "Hi! I'm your personal assistant. What can I do for you?";
/// The instructions of every personal assistant.
pub const PERSONAL_AGENT_INSTRUCTIONS: &str = "You are the personal assistant of the user you are talking to. Use \
     what you know about them from their personal context, keep answers short and concrete, and ask when a \
     request is ambiguous.";

/// A trimmed agent name of 1 to [`MAX_NAME_CHARS`] characters without control characters.
pub fn agent_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS {
        return Err(format!("name must be 1-{MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(name.to_string())
}

/// Checks a free-text field's length in characters (not bytes).
pub fn bounded(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max { Err(format!("{field} must be at most {max} characters")) } else { Ok(()) }
}

/// Resolves the `provider` of a request to its name and kind: a built-in kind by its own name,
/// or any other slug (`a-z`, `0-9`, `-`, starting with a letter) as an OpenAI-compatible endpoint.
pub fn provider_name(raw: &str) -> Result<(String, ProviderKind), String> {
    let name = raw.trim();
    if let Some(kind) = ProviderKind::parse(name) {
        return Ok((name.to_string(), kind));
    }
    let slug = !name.is_empty()
        && name.len() <= MAX_PROVIDER_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if slug {
        Ok((name.to_string(), ProviderKind::OpenaiCompatible))
    } else {
        Err(format!(
            "provider must be anthropic, openai, google, ollama-cloud, ollama-local, or a name of 1-{MAX_PROVIDER_NAME_CHARS} \
             characters a-z, 0-9 and '-' for an OpenAI-compatible endpoint"
        ))
    }
}

/// What removing `removed` does, given the providers that remain: the last provider is never
/// removed; the default role passes to the oldest remaining provider; agents move to the
/// default's model (the new default, or the existing one when the removed provider was not it).
pub fn plan_provider_removal(removed: &Provider, remaining: &[Provider]) -> Result<RemovalPlan, RemovalRefused> {
    let Some(oldest) = remaining.iter().min_by_key(|p| (p.created_at, p.name.clone())) else {
        return Err(RemovalRefused::LastProvider);
    };
    let current_default = remaining.iter().find(|p| p.is_default);
    let (new_default, target) = match current_default {
        Some(default) if !removed.is_default => (None, default),
        _ => (Some(oldest.name.clone()), oldest),
    };
    Ok(RemovalPlan { new_default, replacement_model: target.default_model_id() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::Timestamp;

    fn provider(name: &str, created: i64, is_default: bool) -> Provider {
        Provider {
            name: name.into(),
            kind: ProviderKind::parse(name).unwrap_or(ProviderKind::OpenaiCompatible),
            sealed_api_key: None,
            key_hint: String::new(),
            base_url: None,
            default_model: Some(format!("{name}-model")),
            is_default,
            created_at: Timestamp(created),
            updated_at: Timestamp(created),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(agent_name("  HR Bot "), Ok("HR Bot".to_string()));
        assert!(agent_name("").is_err() && agent_name("   ").is_err());
        assert!(agent_name(&"x".repeat(31)).is_err());
        assert_eq!(agent_name(&"é".repeat(30)).map(|n| n.chars().count()), Ok(30));
        assert!(agent_name("a\u{7}b").is_err());
    }

    #[test]
    fn provider_names_map_to_kinds() {
        assert_eq!(provider_name("anthropic"), Ok(("anthropic".into(), ProviderKind::Anthropic)));
        assert_eq!(provider_name("ollama-local"), Ok(("ollama-local".into(), ProviderKind::OllamaLocal)));
        assert_eq!(provider_name("groq"), Ok(("groq".into(), ProviderKind::OpenaiCompatible)));
        for bad in ["", "Groq", "9lives", "a b", "x/y", &"a".repeat(41)] {
            assert!(provider_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn removal_keeps_one_provider_and_moves_agents_to_the_default() {
        let anthropic = provider("anthropic", 1, true);
        let openai = provider("openai", 2, false);
        let groq = provider("groq", 3, false);
        assert_eq!(plan_provider_removal(&anthropic, &[]), Err(RemovalRefused::LastProvider));
        // Removing the default: the oldest remaining takes over and receives the agents.
        assert_eq!(
            plan_provider_removal(&anthropic, &[groq.clone(), openai.clone()]),
            Ok(RemovalPlan {
                new_default: Some("openai".into()),
                replacement_model: Some("openai/openai-model".into())
            })
        );
        // Removing another: the default stays and receives the agents.
        assert_eq!(
            plan_provider_removal(&groq, &[anthropic.clone(), openai]),
            Ok(RemovalPlan { new_default: None, replacement_model: Some("anthropic/anthropic-model".into()) })
        );
    }
}
