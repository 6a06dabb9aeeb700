//! Semantic errors of the audit routes.

use pincer_core::{Denied, Scope, StoreError};

/// Why an audit request was refused; each has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    /// Reading the audit trail needs the admin role.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// A filter or range is malformed (the message says which).
    #[error("{0}")]
    InvalidInput(String),
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl AuditError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AdminRequired => "admin_required",
            Self::MissingScope(_) => "missing_scope",
            Self::InvalidInput(_) => "invalid_query",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for AuditError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

impl From<Denied> for AuditError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::AdminRequired => Self::AdminRequired,
            Denied::MissingScope(scope) => Self::MissingScope(scope),
        }
    }
}
