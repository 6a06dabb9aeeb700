//! Semantic errors of the audit routes.

use pincer_core::StoreError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    #[error("admin role required")]
    AdminRequired,
    #[error("{0}")]
    InvalidInput(String),
    #[error("storage unavailable")]
    Unavailable,
}

impl AuditError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::AdminRequired => "admin_required",
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
