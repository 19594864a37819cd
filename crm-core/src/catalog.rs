//! The record catalog: every kind of record named once ([`RecordKind`]), and the vocabulary
//! each kind declares its fields with ([`Field`], [`FieldType`], [`Operator`]) — what filters,
//! sorts, list columns, segments and imports read. Each record module declares its own fields
//! (`customers::FIELDS`); [`crate::schema`] gathers them.

use serde::{Deserialize, Serialize};

/// A kind of record: its name in the audit log, the change feed and errors, its table, and the
/// name of its id sequence and list cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RecordKind {
    Tenant,
    User,
    Team,
    Customer,
    Lead,
    Pipeline,
    Stage,
    StageChange,
    Deal,
    Ticket,
    TicketEvent,
    Conversation,
    Message,
    Call,
    Activity,
    AuditEntry,
    Segment,
    /// A customer entering or leaving a segment (change-feed entries only).
    SegmentMembership,
    Product,
    Quote,
    QuoteTemplate,
    QuoteActivity,
    /// A saved list view.
    View,
    /// A tenant's lead scoring rules (one set per tenant, id 1).
    ScoringRules,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: &'static [RecordKind] = &[
        RecordKind::Tenant,
        RecordKind::User,
        RecordKind::Team,
        RecordKind::Customer,
        RecordKind::Lead,
        RecordKind::Pipeline,
        RecordKind::Stage,
        RecordKind::StageChange,
        RecordKind::Deal,
        RecordKind::Ticket,
        RecordKind::TicketEvent,
        RecordKind::Conversation,
        RecordKind::Message,
        RecordKind::Call,
        RecordKind::Activity,
        RecordKind::AuditEntry,
        RecordKind::Segment,
        RecordKind::SegmentMembership,
        RecordKind::Product,
        RecordKind::Quote,
        RecordKind::QuoteTemplate,
        RecordKind::QuoteActivity,
        RecordKind::View,
        RecordKind::ScoringRules,
    ];

    /// The `snake_case` name used in the audit log, the change feed, JSON and errors.
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// The table holding this kind's rows.
    pub fn table(self) -> &'static str {
        self.names().1
    }

    /// The name of this kind's per-tenant id sequence and of its list cursors. Stored in
    /// `id_sequences`, so it never changes.
    pub fn plural(self) -> &'static str {
        self.names().2
    }

    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RecordKind::Tenant => ("tenant", "tenants", "tenants"),
            RecordKind::User => ("user", "users", "users"),
            RecordKind::Team => ("team", "teams", "teams"),
            RecordKind::Customer => ("customer", "customers", "customers"),
            RecordKind::Lead => ("lead", "leads", "leads"),
            RecordKind::Pipeline => ("pipeline", "pipelines", "pipelines"),
            RecordKind::Stage => ("stage", "stages", "stages"),
            RecordKind::StageChange => ("stage_change", "deal_stage_history", "deal_stage_history"),
            RecordKind::Deal => ("deal", "deals", "deals"),
            RecordKind::Ticket => ("ticket", "tickets", "tickets"),
            RecordKind::TicketEvent => ("ticket_event", "ticket_events", "ticket_events"),
            RecordKind::Conversation => ("conversation", "conversations", "conversations"),
            RecordKind::Message => ("message", "messages", "messages"),
            RecordKind::Call => ("call", "calls", "calls"),
            RecordKind::Activity => ("activity", "activities", "activities"),
            RecordKind::AuditEntry => ("audit_entry", "audit_log", "audit"),
            RecordKind::Segment => ("segment", "segments", "segments"),
            RecordKind::SegmentMembership => {
                ("segment_membership", "segment_history", "segment_history")
            }
            RecordKind::Product => ("product", "products", "products"),
            RecordKind::Quote => ("quote", "quotes", "quotes"),
            RecordKind::QuoteTemplate => ("quote_template", "quote_templates", "quote_templates"),
            RecordKind::QuoteActivity => ("quote_activity", "quote_activities", "quote_activities"),
            RecordKind::View => ("view", "views", "views"),
            RecordKind::ScoringRules => ("scoring_rules", "scoring_rules", "scoring_rules"),
        }
    }
}

impl std::str::FromStr for RecordKind {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> crate::error::Result<Self> {
        RecordKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                crate::error::Error::invalid("kind", format!("unknown kind of record {s:?}"))
            })
    }
}

impl crate::sql::FromSql for RecordKind {
    fn from_sql(value: crate::sql::ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            crate::sql::ValueRef::Text(t) => {
                t.parse().map_err(|e: crate::error::Error| e.to_string())
            }
            _ => Err("expected the text of a kind of record".to_owned()),
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a field holds, which decides the operators a criteria condition may use on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FieldType {
    Text,
    Email,
    Phone,
    Number,
    /// Minor units; the record's currency is another field.
    Money,
    Time,
    Enum,
    Tags,
    Id,
    Bool,
}

/// A comparison of a criteria condition (API.md "Criteria").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Operator {
    Equals,
    NotEquals,
    In,
    NotIn,
    Contains,
    EndsWith,
    Gte,
    Lte,
    Between,
    After,
    Before,
    LastNDays,
}

impl FieldType {
    /// The operators a condition on a field of this type may use.
    pub fn operators(self) -> &'static [Operator] {
        use Operator::{
            After, Before, Between, Contains, EndsWith, Equals, Gte, In, LastNDays, Lte, NotEquals,
            NotIn,
        };
        match self {
            FieldType::Text | FieldType::Email | FieldType::Phone => {
                &[Equals, NotEquals, In, NotIn, Contains, EndsWith]
            }
            FieldType::Number | FieldType::Money => {
                &[Equals, NotEquals, In, NotIn, Gte, Lte, Between]
            }
            FieldType::Time => &[After, Before, Between, LastNDays],
            FieldType::Enum | FieldType::Id => &[Equals, NotEquals, In, NotIn],
            FieldType::Tags => &[Equals, In, NotIn],
            FieldType::Bool => &[Equals, NotEquals],
        }
    }
}

/// One field of a kind of record, declared once beside the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The JSON name (`churnRisk`).
    pub name: &'static str,
    /// The column holding it in the kind's table (`churn_risk`).
    pub column: &'static str,
    /// The field's type, which decides its operators and how values are read.
    pub ty: FieldType,
    /// What a person calls it (a column header, a picker entry).
    pub label: &'static str,
    /// Lists may sort by it.
    pub sortable: bool,
    /// An enumeration's values, in their declared order (which is also their sort order).
    pub values: &'static [&'static str],
    /// For an id: the kind of record it refers to.
    pub refers: Option<RecordKind>,
}

impl Field {
    /// A field stored in `column`, not sortable, filterable with its type's operators.
    pub const fn new(
        name: &'static str,
        column: &'static str,
        ty: FieldType,
        label: &'static str,
    ) -> Field {
        Field {
            name,
            column,
            ty,
            label,
            sortable: false,
            values: &[],
            refers: None,
        }
    }

    /// The same field, sortable.
    #[must_use]
    pub const fn sortable(mut self) -> Field {
        self.sortable = true;
        self
    }

    /// The same field, an enumeration of `values`.
    #[must_use]
    pub const fn values(mut self, values: &'static [&'static str]) -> Field {
        self.values = values;
        self
    }

    /// The same field, an id of a `kind` record.
    #[must_use]
    pub const fn refers(mut self, kind: RecordKind) -> Field {
        self.refers = Some(kind);
        self
    }
}

/// The fields every stored record has: `id`, `externalId`, `createdAt`, `updatedAt`.
pub const fn id_field(kind: RecordKind) -> Field {
    Field::new("id", "id", FieldType::Id, "ID")
        .sortable()
        .refers(kind)
}

/// `externalId`.
pub const EXTERNAL_ID: Field =
    Field::new("externalId", "external_id", FieldType::Text, "External ID");
/// `createdAt`.
pub const CREATED_AT: Field =
    Field::new("createdAt", "created_at", FieldType::Time, "Created").sortable();
/// `updatedAt`.
pub const UPDATED_AT: Field =
    Field::new("updatedAt", "updated_at", FieldType::Time, "Updated").sortable();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_serde_agrees_with_as_str() {
        let mut seen = std::collections::HashSet::new();
        for kind in RecordKind::ALL {
            assert!(seen.insert(kind.as_str()), "{kind}");
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
        assert_eq!(seen.len(), RecordKind::ALL.len());
    }
}
