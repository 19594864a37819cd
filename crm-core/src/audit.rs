//! The audit log: who changed what, with the record before and after.

use crate::error::{Error, Result};
use crate::ids::{AuditId, UserId};
use crate::records::{self, Page, PageRequest, Record, table};
use crate::sql::Row;
use crate::sql::Value;
use crate::store::{EntityType, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// One audited change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Its id, counted per tenant.
    pub id: AuditId,
    /// `None` for changes made without a user (creating a tenant).
    pub actor_id: Option<UserId>,
    /// The method that made the change, e.g. `deals.moveStage`.
    pub action: String,
    /// What kind of record changed.
    pub entity_type: EntityType,
    /// The record's id.
    pub entity_id: i64,
    /// The record before the change; `None` when it was created.
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    pub after: Option<serde_json::Value>,
    /// When the change was committed.
    #[serde(with = "time::rfc3339")]
    pub at: Timestamp,
    /// Why, where the records do not say (how an auto-link matched, and its evidence).
    pub note: Option<String>,
}

fn json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl Record for AuditEntry {
    const ENTITY: EntityType = EntityType::Tenant;
    table!(
        "audit_log",
        [
            "id",
            "actor_id",
            "action",
            "entity_type",
            "entity_id",
            "before",
            "after",
            "at",
            "note"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        None
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let entity: String = row.get(3)?;
        Ok(AuditEntry {
            id: row.get(0)?,
            actor_id: row.get(1)?,
            action: row.get(2)?,
            entity_type: serde_json::from_value(serde_json::Value::String(entity))
                .map_err(|e| crate::sql::bad_column(3, e))?,
            entity_id: row.get(4)?,
            before: json(row.get(5)?),
            after: json(row.get(6)?),
            at: time::from_millis(row.get(7)?),
            note: row.get(8)?,
        })
    }
    fn write(&self, _: &mut crate::sql::Statement<'_>, _: &WriteCtx<'_>) -> Result<usize> {
        // Audit entries are written only by `Tx::record_change`.
        Err(Error::Internal(
            "audit entries are written by record_change only".into(),
        ))
    }
}

/// Filters of `audit.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditFilter {
    /// Only those whose `entityType` is this.
    pub entity_type: Option<EntityType>,
    /// Needs `entityType`.
    pub entity_id: Option<i64>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// `audit.*`.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// The audit log of this tenant.
    pub fn audit(&self) -> Audit<'_, 'c> {
        Audit(self)
    }
}

impl Audit<'_, '_> {
    /// A page of audit entries, newest first.
    pub fn list(&self, filter: &AuditFilter) -> Result<Page<AuditEntry>> {
        if filter.entity_id.is_some() && filter.entity_type.is_none() {
            return Err(Error::invalid("entityType", "required with entityId"));
        }
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            (
                "entity_type",
                filter
                    .entity_type
                    .map(|e| Value::Text(e.as_str().to_owned())),
            ),
            ("entity_id", filter.entity_id.map(Value::Integer)),
        ];
        self.0.read(|c, t| records::list(c, t, filters, &page))
    }
}
