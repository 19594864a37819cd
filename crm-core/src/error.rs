//! The crate's one error type, with a stable machine code per variant.

use std::fmt;

/// A crm-core result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in crm-core.
///
/// [`Error::code`] is stable and is what hosts match on; messages are for people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not acceptable; `field` is the JSON path of the value at fault.
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The record does not exist in the caller's tenant (records of other tenants included).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// The request conflicts with the current state (duplicate external id, invalid state change).
    #[error("{0}")]
    Conflict(String),
    /// The actor's role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// Applying schema migrations failed.
    #[error("storage: migration failed: {0}")]
    Migration(#[from] refinery::Error),
    /// The search index failed (it is rebuilt from SQLite when it cannot be read).
    #[error("search: {0}")]
    Search(String),
    /// A bug: an invariant did not hold.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// The stable machine code of this error: `invalid_input`, `not_found`, `conflict`,
    /// `forbidden`, `storage`, `search` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound { .. } => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Forbidden(_) => "forbidden",
            Error::Storage(_) | Error::Migration(_) => "storage",
            Error::Search(_) => "search",
            Error::Internal(_) => "internal",
        }
    }

    /// The JSON path of the value at fault, for `invalid_input`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::InvalidInput {
            field: field.into(),
            message: message.to_string(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}
