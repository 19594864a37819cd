//! Phone calls with customers, leads and deals.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::conversations::Direction;
use crate::customers::{self, Customer};
use crate::deals::Deal;
use crate::error::{Error, Result};
use crate::ids::{CallId, CustomerId, DealId, LeadId};
use crate::leads::Lead;
use crate::methods;
use crate::records::{
    self, Channel, Page, PageRequest, Record, TimelineItem, TimelineSource, capitalised, id_value,
    table,
};
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// A phone call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// Its id, counted per tenant.
    pub id: CallId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The customer it belongs to, if any.
    pub customer_id: Option<CustomerId>,
    /// The lead it belongs to, if any.
    pub lead_id: Option<LeadId>,
    /// The deal it belongs to, if any.
    pub deal_id: Option<DealId>,
    /// Whether the call came in or went out.
    pub direction: Direction,
    /// How long it lasted, in seconds.
    pub duration_seconds: i64,
    /// How it ended, in words (`resolved`, `voicemail`).
    pub outcome: Option<String>,
    /// What was said.
    pub notes: Option<String>,
    /// When it took place.
    #[serde(with = "time::rfc3339")]
    pub occurred_at: Timestamp,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of a call, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Call),
    catalog::EXTERNAL_ID,
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("leadId", "lead_id", FieldType::Id, "Lead").refers(RecordKind::Lead),
    Field::new("dealId", "deal_id", FieldType::Id, "Deal").refers(RecordKind::Deal),
    Field::new("direction", "direction", FieldType::Enum, "Direction")
        .sortable()
        .values(Direction::NAMES),
    Field::new(
        "durationSeconds",
        "duration_seconds",
        FieldType::Number,
        "Duration (s)",
    )
    .sortable(),
    Field::new("outcome", "outcome", FieldType::Text, "Outcome").sortable(),
    Field::new("notes", "notes", FieldType::Text, "Notes"),
    Field::new("occurredAt", "occurred_at", FieldType::Time, "When").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Call {
    const ENTITY: EntityType = EntityType::Call;
    table!(
        "calls",
        [
            "id",
            "external_id",
            "customer_id",
            "lead_id",
            "deal_id",
            "direction",
            "duration_seconds",
            "outcome",
            "notes",
            "occurred_at",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Call {
            id: row.get(0)?,
            external_id: row.get(1)?,
            customer_id: row.get(2)?,
            lead_id: row.get(3)?,
            deal_id: row.get(4)?,
            direction: row.get(5)?,
            duration_seconds: row.get(6)?,
            outcome: row.get(7)?,
            notes: row.get(8)?,
            occurred_at: time::from_millis(row.get(9)?),
            created_at: time::from_millis(row.get(10)?),
            updated_at: time::from_millis(row.get(11)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.customer_id,
            self.lead_id,
            self.deal_id,
            self.direction,
            self.duration_seconds,
            self.outcome,
            self.notes,
            time::to_millis(self.occurred_at),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `calls.create` takes: at least one of `customerId`, `leadId`, `dealId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCall {
    /// An id from another system, unique per tenant and kind.
    pub external_id: Option<String>,
    /// The customer it belongs to (of this tenant), if any.
    pub customer_id: Option<CustomerId>,
    /// The lead it belongs to (of this tenant), if any.
    pub lead_id: Option<LeadId>,
    /// The deal it belongs to (of this tenant), if any.
    pub deal_id: Option<DealId>,
    /// Whether the call came in or went out; `outbound` when absent.
    pub direction: Option<Direction>,
    /// How long it lasted, in seconds (0 or more).
    pub duration_seconds: i64,
    /// How it ended, in words.
    pub outcome: Option<String>,
    /// What was said.
    pub notes: Option<String>,
    /// When it took place; the moment of the write when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub occurred_at: Option<Timestamp>,
}

/// Filters of `calls.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallFilter {
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
    /// Only those of this lead.
    pub lead_id: Option<LeadId>,
    /// Only those of this deal.
    pub deal_id: Option<DealId>,
    /// Only the records these criteria hold for, over the kind's own fields (API.md
    /// "Criteria"; `schema.fields` lists them).
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// A day: longer calls are a clock or import error.
const MAX_CALL_SECONDS: i64 = 86_400;

pub(crate) fn create(tx: &mut Tx<'_>, new: NewCall) -> Result<Call> {
    if new.customer_id.is_none() && new.lead_id.is_none() && new.deal_id.is_none() {
        return Err(Error::invalid(
            "customerId",
            "a call needs a customerId, leadId or dealId",
        ));
    }
    if !(0..=MAX_CALL_SECONDS).contains(&new.duration_seconds) {
        return Err(Error::invalid(
            "durationSeconds",
            format!(
                "must be between 0 and {MAX_CALL_SECONDS}, got {}",
                new.duration_seconds
            ),
        ));
    }
    if let Some(id) = new.customer_id {
        tx.require::<Customer>("customerId", id.0)?;
    }
    if let Some(id) = new.lead_id {
        tx.require::<Lead>("leadId", id.0)?;
    }
    if let Some(id) = new.deal_id {
        tx.require::<Deal>("dealId", id.0)?;
    }
    let at = time::given("occurredAt", new.occurred_at, tx.now)?;
    let call = Call {
        id: CallId(0),
        external_id: validate::external_id(new.external_id)?,
        customer_id: new.customer_id,
        lead_id: new.lead_id,
        deal_id: new.deal_id,
        direction: new.direction.unwrap_or(Direction::Outbound),
        duration_seconds: new.duration_seconds,
        outcome: validate::opt_short("outcome", new.outcome)?,
        notes: validate::opt_body("notes", new.notes)?,
        occurred_at: at,
        created_at: tx.now,
        updated_at: tx.now,
    };
    let call = Call {
        id: CallId(tx.next_id(RecordKind::Call)?),
        ..call
    };
    tx.insert(methods::CALLS_CREATE, &call)?;
    if let Some(customer) = call.customer_id {
        customers::touch(tx, customer, at)?;
    }
    Ok(call)
}

/// `calls.*`.
#[derive(Debug, Clone, Copy)]
pub struct Calls<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Calls of this tenant.
    pub fn calls(&self) -> Calls<'_, 'c> {
        Calls(self)
    }
}

impl Calls<'_, '_> {
    /// Records a call (`calls.create`), audited, in the change feed and on the timelines of the
    /// records it is for.
    pub fn create(&self, new: NewCall) -> Result<Call> {
        self.0.write(|tx| create(tx, new))
    }

    /// One call, by id.
    pub fn get(&self, id: CallId) -> Result<Call> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// A page of calls, newest first.
    pub fn list(&self, filter: &CallFilter) -> Result<Page<Call>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            ("customer_id", id_value(filter.customer_id)),
            ("lead_id", id_value(filter.lead_id)),
            ("deal_id", id_value(filter.deal_id)),
        ];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "calls")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}

/// A call on the timelines of its customer, lead and deal.
pub(crate) const TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT id, direction, duration_seconds, outcome, notes, customer_id, lead_id, deal_id
            FROM calls WHERE tenant_id = ?1 AND id IN rarray(?2)",
    read: |r| {
        let direction: String = r.get(1)?;
        let seconds: i64 = r.get(2)?;
        let outcome: Option<String> = r.get(3)?;
        let mut title = format!(
            "{} call, {}:{:02}",
            capitalised(&direction),
            seconds / 60,
            seconds % 60
        );
        if let Some(o) = outcome {
            title.push_str(" · ");
            title.push_str(&o);
        }
        Ok(TimelineItem {
            title,
            body: r.get(4)?,
            customer_id: r.get(5)?,
            lead_id: r.get(6)?,
            deal_id: r.get(7)?,
            channel: Some(Channel::Phone),
            ..TimelineItem::default()
        })
    },
};
