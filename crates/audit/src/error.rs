//! Semantic errors of the audit routes.

use pincer_core::{Denied, Scope, StoreError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    #[error("{0}")]
    InvalidInput(String),
    #[error("storage unavailable")]
    Unavailable,
}

impl AuditError {
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
