//! A user's memory settings, checked as a whole: a body with a wrong type, a value out of range or
//! an unknown key is refused naming the field, and nothing changes.

use serde_json::{Map, Value};

/// The most entries put in an agent's context per turn.
pub const MAX_INJECTED: u32 = 50;
/// The range of `maxEntryChars`.
pub const ENTRY_CHARS: (u32, u32) = (50, 4_000);

/// Whether memory is on for a user, and how much of it a turn gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySettings {
    /// Agents may save and search entries.
    pub enabled: bool,
    /// The entries relevant to a message are put in the agent's context.
    pub auto_inject: bool,
    /// At most this many entries per turn (0–50).
    pub max_injected: u32,
    /// An entry is at most this many characters (50–4,000).
    pub max_entry_chars: u32,
}

impl Default for MemorySettings {
    fn default() -> Self {
        Self { enabled: true, auto_inject: true, max_injected: 5, max_entry_chars: 1_000 }
    }
}

impl MemorySettings {
    /// `self` with the fields of `body` (camelCase, any subset) applied; an error naming the
    /// first bad field.
    pub fn with(self, body: &Map<String, Value>) -> Result<MemorySettings, String> {
        let mut next = self;
        for (key, value) in body {
            match key.as_str() {
                "enabled" => next.enabled = flag(key, value)?,
                "autoInject" => next.auto_inject = flag(key, value)?,
                "maxInjected" => next.max_injected = number(key, value, 0, MAX_INJECTED)?,
                "maxEntryChars" => next.max_entry_chars = number(key, value, ENTRY_CHARS.0, ENTRY_CHARS.1)?,
                other => return Err(format!("unknown setting {other:?}")),
            }
        }
        Ok(next)
    }
}

fn flag(key: &str, value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| format!("{key} must be true or false"))
}

fn number(key: &str, value: &Value, min: u32, max: u32) -> Result<u32, String> {
    value
        .as_u64()
        .filter(|n| (u64::from(min)..=u64::from(max)).contains(n))
        .map(|n| n as u32)
        .ok_or_else(|| format!("{key} must be a whole number from {min} to {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn settings_change_as_a_whole_or_not_at_all() {
        let base = MemorySettings::default();
        let next = base.with(&body(json!({"autoInject": false, "maxInjected": 0}))).unwrap();
        assert_eq!((next.auto_inject, next.max_injected, next.enabled), (false, 0, true));
        for (bad, field) in [
            (json!({"enabled": "yes"}), "enabled"),
            (json!({"maxInjected": 51}), "maxInjected"),
            (json!({"maxInjected": -1}), "maxInjected"),
            (json!({"maxInjected": 2.5}), "maxInjected"),
            (json!({"maxEntryChars": 49}), "maxEntryChars"),
            (json!({"maxEntryChars": 4001}), "maxEntryChars"),
            (json!({"autoInject": false, "colour": "red"}), "colour"),
        ] {
            let error = base.with(&body(bad.clone())).unwrap_err();
            assert!(error.contains(field), "{bad}: {error}");
        }
    }
}
