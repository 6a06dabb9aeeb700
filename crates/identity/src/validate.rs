//! Input rules shared by the identity services.

use crate::IdentityError;

/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest personal or organisation context, in characters.
pub const MAX_CONTEXT_CHARS: usize = 16_000;
const MAX_EMAIL_CHARS: usize = 254;

/// Trims and checks a display name.
pub fn name(raw: &str) -> Result<String, IdentityError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(IdentityError::InvalidInput("name must not be empty".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(IdentityError::InvalidInput(format!("name must be at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(IdentityError::InvalidInput("name must not contain control characters".into()));
    }
    Ok(name.to_string())
}

/// Trims, lower-cases and checks the shape of an email address.
pub fn email(raw: &str) -> Result<String, IdentityError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
    if valid { Ok(email) } else { Err(IdentityError::InvalidInput("email is not a valid address".into())) }
}

/// Checks a Markdown context document.
pub fn context(raw: &str) -> Result<(), IdentityError> {
    if raw.chars().count() > MAX_CONTEXT_CHARS {
        return Err(IdentityError::InvalidInput(format!("content must be at most {MAX_CONTEXT_CHARS} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("  Alice  ").unwrap(), "Alice");
        assert!(name("   ").is_err());
        assert!(name(&"a".repeat(101)).is_err());
        assert!(name("a\u{0}b").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["", "alice", "@example.com", "alice@", "alice@example", "a b@example.com", "a@b@c.com", "a@.com"] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn contexts() {
        assert!(context(&"x".repeat(16_000)).is_ok());
        assert!(context(&"x".repeat(16_001)).is_err());
    }
}
