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
    InvalidInput {
        /// The JSON path of the value at fault (`criteria.all[2].op`).
        field: String,
        /// What is wrong with it, for people.
        message: String,
    },
    /// The record does not exist in the caller's tenant (records of other tenants included);
    /// `merged_into` names the record it was merged into, when it was.
    #[error("{entity} {id} not found{}", merged_into.map(|m| format!(" (merged into {entity} {m})")).unwrap_or_default())]
    NotFound {
        /// The kind of record (`customer`).
        entity: &'static str,
        /// The id (or external id) asked for.
        id: String,
        /// The record it was merged into, when it was.
        merged_into: Option<i64>,
    },
    /// The request conflicts with the current state (duplicate external id, invalid state
    /// change); `field` is the JSON path of the value that conflicts, when one does.
    #[error("{}{message}", field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
    Conflict {
        /// The JSON path of the value that conflicts, when one does.
        field: Option<String>,
        /// What conflicts, for people.
        message: String,
    },
    /// The actor's role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(StorageError),
    /// Applying schema migrations failed.
    #[error("storage: migration failed: {0}")]
    Migration(#[from] refinery::Error),
    /// The search index failed (it is rebuilt from SQLite when it cannot be read).
    #[error("search: {0}")]
    Search(#[from] tantivy::TantivyError),
    /// A bug: an invariant did not hold.
    #[error("internal: {0}")]
    Internal(String),
}

/// What the database said when it failed, whichever engine it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    kind: StorageKind,
    message: String,
}

/// The kinds of database failure the crate tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageKind {
    /// A statement that must return a row returned none.
    NoRows,
    /// A constraint (unique, foreign key, check, a trigger's guard) refused a write.
    Constraint,
    /// Another connection held the database longer than the wait allows.
    Busy,
    /// Anything else: a broken file, a full disk, a bug in a statement.
    Other,
}

impl StorageError {
    pub(crate) fn new(kind: StorageKind, message: impl Into<String>) -> StorageError {
        StorageError {
            kind,
            message: message.into(),
        }
    }

    /// Which kind of failure it is.
    pub fn kind(&self) -> StorageKind {
        self.kind
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StorageError {}

impl Error {
    /// The stable machine code of this error: `invalid_input`, `not_found`, `conflict`,
    /// `forbidden`, `storage`, `search` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound { .. } => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::Forbidden(_) => "forbidden",
            Error::Storage(_) | Error::Migration(_) => "storage",
            Error::Search(_) => "search",
            Error::Internal(_) => "internal",
        }
    }

    /// The JSON path of the value at fault: always for `invalid_input`, and for a `conflict`
    /// over one value (an `externalId` already taken).
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } => Some(field),
            Error::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// For a `not_found` record that was merged: the record it went into.
    pub fn merged_into(&self) -> Option<i64> {
        match self {
            Error::NotFound { merged_into, .. } => *merged_into,
            _ => None,
        }
    }

    /// A `conflict` over the value of `field`.
    pub(crate) fn conflict_on(field: &str, message: impl fmt::Display) -> Self {
        Error::Conflict {
            field: Some(field.to_owned()),
            message: clip_quotes(&message.to_string()),
        }
    }

    /// A `conflict` with the state of things, not one value.
    pub(crate) fn conflict(message: impl fmt::Display) -> Self {
        Error::Conflict {
            field: None,
            message: clip_quotes(&message.to_string()),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::InvalidInput {
            field: clip(&field.into()).into_owned(),
            message: clip_quotes(&message.to_string()),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Error::NotFound {
            entity,
            id: clip(&id.to_string()).into_owned(),
            merged_into: None,
        }
    }
}

/// The most characters of a caller's value an error message quotes; the rest is cut with `…`,
/// so a huge bad value gives a short error, quickly.
pub const QUOTE_CHARS: usize = 100;
/// The most characters of an error message, whatever it quotes.
const MESSAGE_CHARS: usize = 1_000;

/// `value`, cut to [`QUOTE_CHARS`] characters with `…` when longer.
pub fn clip(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(QUOTE_CHARS) {
        None => value.into(),
        Some((end, _)) => format!("{}…", &value[..end]).into(),
    }
}

/// `message` with every quoted run (`"…"`, with backslash escapes, or `` `…` ``) longer than
/// [`QUOTE_CHARS`] characters cut with `…`, and the whole cut to `MESSAGE_CHARS`: messages
/// of other libraries (serde's `invalid type: string "…"`) quote a bad value whole.
pub fn clip_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MESSAGE_CHARS + 8));
    let mut chars = message.chars();
    let mut written = 0;
    while let Some(c) = chars.next() {
        if written >= MESSAGE_CHARS {
            out.push('…');
            return out;
        }
        out.push(c);
        written += 1;
        if c != '"' && c != '`' {
            continue;
        }
        // Inside a quote: keep QUOTE_CHARS characters, skip to the closing quote.
        let mut kept = 0;
        let mut escaped = false;
        let mut closed = false;
        for q in chars.by_ref() {
            if q == c && !escaped {
                closed = true;
                break;
            }
            escaped = c == '"' && q == '\\' && !escaped;
            kept += 1;
            if kept <= QUOTE_CHARS {
                out.push(q);
                written += 1;
            }
        }
        if kept > QUOTE_CHARS {
            out.push('…');
        }
        if closed {
            out.push(c);
            written += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut_short_ones_kept() {
        let long = "é".repeat(5_000);
        let cut = clip_quotes(&format!("invalid type: string \"{long}\", expected i64"));
        assert_eq!(
            cut,
            format!(
                "invalid type: string \"{}…\", expected i64",
                "é".repeat(QUOTE_CHARS)
            )
        );
        let cut = clip_quotes(&format!("unknown field `{long}`, expected `id`"));
        assert_eq!(
            cut,
            format!(
                "unknown field `{}…`, expected `id`",
                "é".repeat(QUOTE_CHARS)
            )
        );
        let short = r#"not a valid email address: "a\"b", expected `x`"#;
        assert_eq!(clip_quotes(short), short);
        // An escaped quote does not end a quote; an unterminated one is cut all the same.
        let escaped = format!(r#""{}\"{}""#, "a".repeat(50), "b".repeat(200));
        assert_eq!(
            clip_quotes(&escaped),
            format!(r#""{}\"{}…""#, "a".repeat(50), "b".repeat(QUOTE_CHARS - 52))
        );
        assert!(clip_quotes(&format!("\"{long}")).chars().count() <= QUOTE_CHARS + 2);
        assert!(clip_quotes(&"x".repeat(1 << 20)).chars().count() <= MESSAGE_CHARS + 1);
        assert_eq!(clip(&"x".repeat(101)), format!("{}…", "x".repeat(100)));
        assert_eq!(clip("short"), "short");
    }
}
