//! Secrets that cannot leak through `Debug`, logs or error messages by accident.

/// The fixed mask shown instead of a secret value.
pub const MASK: &str = "••••••••";

/// A value that must never be printed. `Debug` shows a mask; read it with [`Secret::expose`].
/// Its memory is overwritten when it is dropped, so a freed secret does not linger in the heap.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T: zeroize::Zeroize>(T);

impl<T: zeroize::Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: zeroize::Zeroize> Secret<T> {
    /// Wraps a value so it never shows in logs.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The only way to read the value: greppable, so every use can be reviewed.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: zeroize::Zeroize> std::fmt::Debug for Secret<T> {
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
    fn a_dropped_secret_is_overwritten() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Probe(Arc<AtomicBool>);
        impl zeroize::Zeroize for Probe {
            fn zeroize(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let wiped = Arc::new(AtomicBool::new(false));
        let secret = Secret::new(Probe(wiped.clone()));
        assert!(!wiped.load(Ordering::SeqCst));
        drop(secret);
        assert!(wiped.load(Ordering::SeqCst), "dropping zeroised the value");
    }

    #[test]
    fn hint_is_last_four_of_long_secrets_only() {
        assert_eq!(hint("123456:ABCDEFGH8a2f"), "8a2f");
        assert_eq!(hint("short"), "");
    }
}
