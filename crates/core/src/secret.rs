//! Secrets that cannot leak through `Debug`, logs or error messages by accident.

/// The fixed mask shown instead of a secret value.
pub const MASK: &str = "••••••••";

/// A value that must never be printed. `Debug` shows a mask; read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value so it never shows in logs.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The only way to read the value: greppable, so every use can be reviewed.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Secret<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// The last four characters of a secret, for visual verification (`8a2f`); empty for secrets too
/// short to reveal anything safely.
pub fn hint(secret: &str) -> String {
    let count = secret.chars().count();
    if count < 12 {
        return String::new();
    }
    secret.chars().skip(count - 4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("sk-very-secret".to_string());
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(s.expose(), "sk-very-secret");
    }

    #[test]
    fn hint_is_last_four_of_long_secrets_only() {
        assert_eq!(hint("123456:ABCDEFGH8a2f"), "8a2f");
        assert_eq!(hint("short"), "");
    }
}
