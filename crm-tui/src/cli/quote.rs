//! `crm quote render|refresh`: a quote as a printable document on standard output (`crm quote
//! render 12 --format html > quote.html`), and writing down the expiry of lapsed quotes.

use super::common::Output;
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use crm_core::Crm;
use crm_core::ids::QuoteId;
use crm_core::quotes::render::{Format, RenderRequest};
use std::io::Write;

/// How a quote is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// Plain text, for a terminal or a mail body.
    Text,
    /// One self-contained HTML page, to print or attach.
    Html,
    /// The quote with its lines and totals, as `quotes.get` answers.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum QuoteCommand {
    /// Write a quote as a complete document: seller, customer, lines, tax per rate, totals,
    /// terms. A sent quote is written as it was sent.
    Render {
        /// The quote (id).
        id: i64,
        #[arg(long, value_enum, default_value_t = DocumentFormat::Text)]
        format: DocumentFormat,
        /// The tenant (its key); the first when absent.
        #[arg(long)]
        tenant_id: Option<String>,
    },
    /// Write `expired` on sent quotes whose validity has passed (they read expired anyway;
    /// this puts it in the audit log, the change feed and the timelines), for one tenant or all.
    Refresh {
        /// Only this tenant (its key); every tenant when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Output,
    },
}

impl QuoteCommand {
    pub(super) fn output(&self) -> Output {
        match self {
            QuoteCommand::Render {
                format: DocumentFormat::Json,
                ..
            } => Output::Json,
            QuoteCommand::Render { .. } => Output::Text,
            QuoteCommand::Refresh { format, .. } => *format,
        }
    }
}

pub fn run(crm: &Crm, command: QuoteCommand, out: &mut impl Write) -> Result<()> {
    match command {
        QuoteCommand::Render {
            id,
            format,
            tenant_id,
        } => {
            let tenant = super::common::tenant_keys(crm, tenant_id.as_deref())?
                .into_iter()
                .next()
                .ok_or_else(|| super::common::missing("the database has no tenant yet"))?;
            let scope = crm.scope(&tenant, None)?;
            let quotes = scope.quotes();
            let format = match format {
                DocumentFormat::Text => Format::Text,
                DocumentFormat::Html => Format::Html,
                DocumentFormat::Json => {
                    return super::common::json_line(out, &quotes.get(QuoteId(id))?);
                }
            };
            let rendered = quotes.render(&RenderRequest {
                id: QuoteId(id),
                format,
            })?;
            out.write_all(rendered.content.as_bytes())?;
            Ok(())
        }
        QuoteCommand::Refresh { tenant_id, format } => {
            for key in super::common::tenant_keys(crm, tenant_id.as_deref())? {
                let admin = crm
                    .first_admin(&key)?
                    .with_context(|| format!("tenant {key:?} has no admin to refresh as"))?;
                let done = crm.scope(&key, Some(admin))?.quotes().refresh()?;
                if format == Output::Json {
                    super::common::json_line(
                        out,
                        &serde_json::json!({"tenantId": key, "expired": done.expired}),
                    )?;
                } else {
                    writeln!(out, "{key}: {} quotes expired", done.expired)?;
                }
            }
            Ok(())
        }
    }
}
