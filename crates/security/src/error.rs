//! The semantic errors of the security routes.

use pincer_core::{Denied, Scope, StoreError};

/// Why a security request was refused; each has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecurityError {
    /// Security audits are for admins.
    #[error("admin role required")]
    AdminRequired,
    /// The credential (an API token) lacks the scope the action needs.
    #[error("this credential lacks the scope {}", .0.as_str())]
    MissingScope(Scope),
    /// A report's date is not `YYYY-MM-DD` naming a real day.
    #[error("date must be a real day written YYYY-MM-DD")]
    InvalidDate,
    /// No report was stored that day.
    #[error("no self-audit report for that day")]
    ReportNotFound,
    /// The store could not be reached.
    #[error("storage unavailable")]
    Unavailable,
}

impl SecurityError {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AdminRequired => "admin_required",
            Self::MissingScope(_) => "missing_scope",
            Self::InvalidDate => "invalid_date",
            Self::ReportNotFound => "report_not_found",
            Self::Unavailable => "storage_unavailable",
        }
    }
}

impl From<StoreError> for SecurityError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

impl From<Denied> for SecurityError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::AdminRequired => Self::AdminRequired,
            Denied::MissingScope(scope) => Self::MissingScope(scope),
        }
    }
}
