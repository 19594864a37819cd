//! `crm delete` and `crm trash list|restore|purge`: the trash for scripts.

use super::common::Output;
use super::files::{kind_of, tenant_of};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use crm_core::Crm;
use crm_core::trash::{DeleteRequest, PurgeRequest, RestoreRequest, TrashRequest};
use std::io::Write;

#[derive(Debug, Args)]
pub(super) struct DeleteArgs {
    /// The kind of record: customer, lead, deal, ticket, conversation, message, call,
    /// activity, product, `quote_template` or quote.
    kind: String,
    id: i64,
    /// Take the records that depend on it (a customer's leads, deals, tickets,
    /// conversations and calls; a deal's quotes; a conversation's messages) along.
    #[arg(long)]
    cascade: bool,
    /// Say what would go to the trash; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The tenant (its key); the first tenant when absent.
    #[arg(long)]
    tenant_id: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Debug, Subcommand)]
pub(super) enum TrashCommand {
    /// The groups in the trash, newest first.
    List {
        /// Only groups whose deleted record is of this kind.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Bring back a deleted record and everything deleted with it.
    Restore {
        kind: String,
        id: i64,
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
    /// Remove for good what was deleted at least DAYS days ago (as each tenant's first
    /// admin; every tenant when --tenant-id is absent).
    Purge {
        #[arg(long = "older-than", value_name = "DAYS")]
        older_than: u32,
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        format: Output,
    },
}

fn scope<'c>(crm: &'c Crm, user: Option<i64>, tenant: Option<&str>) -> Result<crm_core::Scope<'c>> {
    let key = tenant_of(crm, tenant)?;
    let actor = match user {
        Some(id) => crm_core::ids::UserId(id),
        None => crm
            .first_admin(&key)?
            .with_context(|| format!("tenant {key:?} has no admin to act as; pass --user"))?,
    };
    Ok(crm.scope(&key, Some(actor))?)
}

impl DeleteArgs {
    pub(super) fn output(&self) -> Output {
        self.format
    }
}

impl EraseArgs {
    pub(super) fn output(&self) -> Output {
        self.format
    }
}

impl TrashCommand {
    pub(super) fn output(&self) -> Output {
        match self {
            TrashCommand::List { format, .. }
            | TrashCommand::Restore { format, .. }
            | TrashCommand::Purge { format, .. } => *format,
        }
    }
}

/// Records by kind in words (`1 activity, 2 deals and 3 tickets`), as the client says them.
fn counts(records: &std::collections::BTreeMap<String, u64>) -> String {
    crate::client::format::group(records, "")
}

/// `crm delete`.
pub(super) fn delete(
    crm: &Crm,
    user: Option<i64>,
    args: &DeleteArgs,
    out: &mut impl Write,
) -> Result<()> {
    let scope = scope(crm, user, args.tenant_id.as_deref())?;
    let kind = kind_of(&args.kind)?;
    let deleted = scope.trash().delete(
        kind,
        &DeleteRequest {
            id: args.id,
            cascade: args.cascade,
            dry_run: args.dry_run,
        },
    )?;
    if args.format == Output::Json {
        writeln!(out, "{}", serde_json::to_string(&deleted)?)?;
    } else {
        writeln!(
            out,
            "{} {kind} {} {:?} ({}){}",
            if deleted.dry_run {
                "would move to the trash:"
            } else {
                "moved to the trash:"
            },
            deleted.id,
            deleted.title,
            counts(&deleted.records),
            if deleted.detached > 0 {
                format!("; {} references cleared", deleted.detached)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// `crm trash …`.
pub(super) fn run(
    crm: &Crm,
    user: Option<i64>,
    command: &TrashCommand,
    out: &mut impl Write,
) -> Result<()> {
    match command {
        TrashCommand::List {
            kind,
            tenant_id,
            format,
        } => {
            let scope = scope(crm, user, tenant_id.as_deref())?;
            let kind = kind.as_deref().map(kind_of).transpose()?;
            let mut cursor = None;
            loop {
                let page = scope.trash().list(&TrashRequest {
                    kind,
                    limit: Some(500),
                    cursor,
                })?;
                for item in &page.items {
                    if *format == Output::Json {
                        writeln!(out, "{}", serde_json::to_string(item)?)?;
                    } else {
                        writeln!(
                            out,
                            "{}  {:<14} {:>8}  {:<40} {} record{}",
                            item.deleted_at.format("%Y-%m-%d %H:%M"),
                            item.kind.as_str(),
                            item.id,
                            item.title,
                            item.group_size,
                            if item.group_size == 1 { "" } else { "s" }
                        )?;
                    }
                }
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            Ok(())
        }
        TrashCommand::Restore {
            kind,
            id,
            tenant_id,
            format,
        } => {
            let scope = scope(crm, user, tenant_id.as_deref())?;
            let restored = scope.trash().restore(&RestoreRequest {
                kind: kind_of(kind)?,
                id: *id,
            })?;
            if *format == Output::Json {
                writeln!(out, "{}", serde_json::to_string(&restored)?)?;
            } else {
                writeln!(
                    out,
                    "restored {} {} ({})",
                    restored.kind.as_str(),
                    restored.id,
                    counts(&restored.records)
                )?;
            }
            Ok(())
        }
        TrashCommand::Purge {
            older_than,
            tenant_id,
            format,
        } => {
            for key in super::common::tenant_keys(crm, tenant_id.as_deref())? {
                let scope = scope(crm, user, Some(&key))?;
                let purged = scope.trash().purge(&PurgeRequest {
                    older_than_days: *older_than,
                })?;
                if *format == Output::Json {
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"tenantId": key, "purged": purged.purged, "records": purged.records})
                    )?;
                } else {
                    writeln!(
                        out,
                        "{key}: purged {} deleted group(s), {} record(s)",
                        purged.purged, purged.records
                    )?;
                }
            }
            Ok(())
        }
    }
}

#[derive(Debug, Args)]
pub(super) struct EraseArgs {
    /// The customer to erase.
    #[arg(long)]
    customer: i64,
    /// Their email (or their name, when they have none), as a confirmation.
    #[arg(long)]
    confirm: String,
    #[arg(long)]
    tenant_id: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Debug, Args)]
pub(super) struct ExportDataArgs {
    /// The customer whose data is exported.
    #[arg(long)]
    customer: i64,
    #[arg(long)]
    tenant_id: Option<String>,
}

/// `crm erase`: the right to erasure; prints the receipt.
pub(super) fn erase(
    crm: &Crm,
    user: Option<i64>,
    args: &EraseArgs,
    out: &mut impl Write,
) -> Result<()> {
    let scope = scope(crm, user, args.tenant_id.as_deref())?;
    let erased = scope.erasure().erase(&crm_core::erasure::EraseRequest {
        id: crm_core::ids::CustomerId(args.customer),
        confirm: args.confirm.clone(),
    })?;
    if args.format == Output::Json {
        writeln!(out, "{}", serde_json::to_string(&erased)?)?;
    } else {
        writeln!(
            out,
            "erased customer {}: {}",
            erased.id,
            counts(&erased.erased)
        )?;
        if !erased.anonymized.is_empty() {
            writeln!(
                out,
                "kept without them, for the figures: {}",
                counts(&erased.anonymized)
            )?;
        }
        if erased.trash_groups > 0 {
            writeln!(
                out,
                "removed from the trash: {} group(s)",
                erased.trash_groups
            )?;
        }
        writeln!(
            out,
            "the database file, its log and the search index hold nothing of them; backups \
             taken before now still do"
        )?;
    }
    Ok(())
}

/// `crm export-data`: the right of access, as one JSON document on standard output.
pub(super) fn export_data(
    crm: &Crm,
    user: Option<i64>,
    args: &ExportDataArgs,
    out: &mut impl Write,
) -> Result<()> {
    let scope = scope(crm, user, args.tenant_id.as_deref())?;
    let data = scope
        .erasure()
        .export_data(&crm_core::erasure::ExportDataRequest {
            id: crm_core::ids::CustomerId(args.customer),
        })?;
    writeln!(out, "{}", serde_json::to_string_pretty(&data)?)?;
    Ok(())
}
