//! What the subcommands share: opening an existing file, the tenants a command runs over, the
//! progress bars' look, text or JSON output.

use anyhow::{Context, Result};
use clap::ValueEnum;
use crm_core::Crm;
use std::io::Write;
use std::path::Path;

/// How a subcommand writes what it has to say on standard output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Sentences and aligned columns, for a person.
    #[default]
    Text,
    /// One JSON document per line (the engine's types, as the C ABI answers), for scripts.
    Json,
}

/// Standard output, which remembers its reader going away: a write to a closed pipe fails,
/// and what the failing code makes of that error (an export's `invalid_input`, a CSV error)
/// must not turn `crm … | head` into a failure. Not locked for good: the client draws on it.
#[derive(Debug)]
pub(crate) struct Stdout {
    inner: std::io::Stdout,
    /// A write failed because nobody reads any more.
    pub(crate) closed: bool,
}

impl Default for Stdout {
    fn default() -> Self {
        Stdout {
            inner: std::io::stdout(),
            closed: false,
        }
    }
}

impl Stdout {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.closed = true;
        }
        result
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let result = self.inner.write_all(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

/// A command refused before the engine was asked, classified like the engine's errors (the
/// exit code and `--format json`'s error follow `code`).
#[derive(Debug)]
pub(crate) struct Refused {
    /// One of the engine's error codes: `invalid_input`, `not_found`, ….
    pub(crate) code: &'static str,
    /// The argument or flag at fault, for `invalid_input`.
    pub(crate) field: Option<&'static str>,
    pub(crate) message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As the engine's `invalid_input` reads: the field first.
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Refused {}

/// Bad input on the command line: `field` names the argument or flag.
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> anyhow::Error {
    Refused {
        code: "invalid_input",
        field: Some(field),
        message: message.into(),
    }
    .into()
}

/// Something the command needs does not exist.
pub(crate) fn missing(message: impl Into<String>) -> anyhow::Error {
    Refused {
        code: "not_found",
        field: None,
        message: message.into(),
    }
    .into()
}

/// Writes `value` as one line of JSON.
pub(super) fn json_line(
    out: &mut (impl Write + ?Sized),
    value: &impl serde::Serialize,
) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

pub(super) fn open_existing(db: &Path) -> Result<Crm> {
    if !crm_core::store::is_server_path(db) && !db.exists() {
        return Err(missing(format!(
            "{} does not exist; create one with `crm demo --db {}`",
            crm_core::store::shown(db),
            crm_core::store::shown(db)
        )));
    }
    Crm::open(db).with_context(|| format!("opening {}", crm_core::store::shown(db)))
}

/// `tenant`, or every tenant of the database, the first created first.
pub(super) fn tenant_keys(crm: &Crm, tenant: Option<&str>) -> Result<Vec<String>> {
    Ok(match tenant {
        Some(t) => vec![t.to_owned()],
        None => crm
            .list_tenants()?
            .into_iter()
            .map(|t| t.tenant_id)
            .collect(),
    })
}

/// The progress bars' look: `template` (indicatif's) drawn with `=>` (the plain default if the
/// template does not parse).
pub(super) fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}
