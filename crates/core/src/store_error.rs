//! The error every storage port returns. It carries no driver message to callers: the adapter logs
//! the cause, and the HTTP layer turns these into statuses without detail.

/// A storage failure, by meaning.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or integrity rule refused the write; names the rule, never the value.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database could not be reached or failed; the cause was logged by the adapter.
    #[error("storage unavailable")]
    Unavailable,
}
