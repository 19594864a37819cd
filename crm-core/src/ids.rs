//! Typed record ids. Ids are assigned per tenant by crm-core.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl crate::sql::ToSql for $name {
            fn to_sql(&self) -> crate::sql::ToSqlOutput<'_> {
                crate::sql::ToSql::to_sql(&self.0)
            }
        }

        impl crate::sql::FromSql for $name {
            fn from_sql(value: crate::sql::ValueRef<'_>) -> std::result::Result<Self, String> {
                <i64 as crate::sql::FromSql>::from_sql(value).map($name)
            }
        }
    )*};
}

typed_id! {
    /// A user of a tenant.
    UserId;
    /// A team of a tenant.
    TeamId;
    /// A customer.
    CustomerId;
    /// A lead.
    LeadId;
    /// A sales pipeline.
    PipelineId;
    /// A stage of a pipeline.
    StageId;
    /// A deal.
    DealId;
    /// A support ticket.
    TicketId;
    /// An event on a ticket.
    TicketEventId;
    /// A conversation.
    ConversationId;
    /// A message of a conversation.
    MessageId;
    /// A call.
    CallId;
    /// An activity on a lead or deal.
    ActivityId;
    /// An audit log entry.
    AuditId;
    /// A saved segment of customers.
    SegmentId;
    /// A product quotes may name.
    ProductId;
    /// One revision of a quote.
    QuoteId;
    /// A template quotes may start from.
    QuoteTemplateId;
    /// A step of a quote's life on the timelines.
    QuoteActivityId;
    /// A saved list view.
    ViewId;
}
