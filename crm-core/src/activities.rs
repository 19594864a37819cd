//! Activities: notes, emails, calls, meetings, tasks and changes recorded on a lead or a deal.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::{ActivityId, UserId};
use crate::methods;
use crate::records::{
    self, Page, PageRequest, Record, TimelineItem, TimelineSource, capitalised, string_enum, table,
};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// What an activity is attached to.
    ActivityEntity {
        /// Activity on a lead.
        Lead = "lead",
        /// Activity on a deal.
        Deal = "deal",
    }
}

string_enum! {
    /// What kind of activity it was.
    ActivityKind {
        /// A note written down.
        Note = "note",
        /// An email sent or received.
        Email = "email",
        /// A call made or taken.
        Call = "call",
        /// A meeting held.
        Meeting = "meeting",
        /// A task to do.
        Task = "task",
        /// Written by `deals.moveStage`.
        StageChange = "stage_change",
        /// Written when a lead's or deal's status changes.
        StatusChange = "status_change",
        /// Written by `leads.assign`.
        Assignment = "assignment",
    }
}

/// An activity on a lead or a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Its id, counted per tenant.
    pub id: ActivityId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// What kind of record the activity is on.
    pub entity_type: ActivityEntity,
    /// The lead's or deal's id.
    pub entity_id: i64,
    /// What kind of activity it was.
    pub kind: ActivityKind,
    /// What was said or done, in words.
    pub body: Option<String>,
    /// The user who recorded it, if one did.
    pub actor_id: Option<UserId>,
    /// When it happened.
    #[serde(with = "time::rfc3339")]
    pub occurred_at: Timestamp,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of an activity, as filters and list columns read them. (Its `entityId` is
/// stored as `lead_id` or `deal_id`, so it filters through `entityType` and those lists.)
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Activity),
    catalog::EXTERNAL_ID,
    Field::new("entityType", "entity_type", FieldType::Enum, "On a")
        .sortable()
        .values(ActivityEntity::NAMES),
    Field::new("kind", "kind", FieldType::Enum, "Kind")
        .sortable()
        .values(ActivityKind::NAMES),
    Field::new("body", "body", FieldType::Text, "Note"),
    Field::new("actorId", "actor_id", FieldType::Id, "By").refers(RecordKind::User),
    Field::new("occurredAt", "occurred_at", FieldType::Time, "When").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Activity {
    const ENTITY: EntityType = EntityType::Activity;
    table!(
        "activities",
        [
            "id",
            "external_id",
            "entity_type",
            "lead_id",
            "deal_id",
            "kind",
            "body",
            "actor_id",
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
        let entity_type: ActivityEntity = row.get(2)?;
        let entity_id: i64 = match entity_type {
            ActivityEntity::Lead => row.get(3)?,
            ActivityEntity::Deal => row.get(4)?,
        };
        Ok(Activity {
            id: row.get(0)?,
            external_id: row.get(1)?,
            entity_type,
            entity_id,
            kind: row.get(5)?,
            body: row.get(6)?,
            actor_id: row.get(7)?,
            occurred_at: time::from_millis(row.get(8)?),
            created_at: time::from_millis(row.get(9)?),
            updated_at: time::from_millis(row.get(10)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        let (lead, deal) = match self.entity_type {
            ActivityEntity::Lead => (Some(self.entity_id), None),
            ActivityEntity::Deal => (None, Some(self.entity_id)),
        };
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.entity_type,
            lead,
            deal,
            self.kind,
            self.body,
            self.actor_id,
            time::to_millis(self.occurred_at),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `activities.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewActivity {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// What kind of record the activity is on.
    pub entity_type: ActivityEntity,
    /// The lead's or deal's id (of this tenant).
    pub entity_id: i64,
    /// What kind of activity it is.
    pub kind: ActivityKind,
    /// What was said or done, in words.
    #[serde(default)]
    pub body: Option<String>,
    /// When it happened; the moment of the write when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub occurred_at: Option<Timestamp>,
}

/// Filters of `activities.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityFilter {
    /// Only those whose `entityType` is this.
    pub entity_type: Option<ActivityEntity>,
    /// Needs `entityType`.
    pub entity_id: Option<i64>,
    /// Only those whose `kind` is this.
    pub kind: Option<ActivityKind>,
    /// Only the activities these criteria hold for, over an activity's own fields.
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

pub(crate) fn create(tx: &mut Tx<'_>, new: NewActivity) -> Result<Activity> {
    match new.entity_type {
        ActivityEntity::Lead => tx.require_kind("entityId", RecordKind::Lead, new.entity_id)?,
        ActivityEntity::Deal => tx.require_kind("entityId", RecordKind::Deal, new.entity_id)?,
    }
    let at = time::given("occurredAt", new.occurred_at, tx.now)?;
    let activity = Activity {
        id: ActivityId(0),
        external_id: validate::external_id(new.external_id)?,
        entity_type: new.entity_type,
        entity_id: new.entity_id,
        kind: new.kind,
        body: validate::opt_body("body", new.body)?,
        actor_id: tx.actor.map(UserId),
        occurred_at: at,
        created_at: tx.now,
        updated_at: tx.now,
    };
    let activity = Activity {
        id: ActivityId(tx.next_id(RecordKind::Activity)?),
        ..activity
    };
    tx.insert(methods::ACTIVITIES_CREATE, &activity)?;
    Ok(activity)
}

/// `activities.*`.
#[derive(Debug, Clone, Copy)]
pub struct Activities<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Activities on leads and deals of this tenant.
    pub fn activities(&self) -> Activities<'_, 'c> {
        Activities(self)
    }
}

impl Activities<'_, '_> {
    /// Records an activity (`activities.create`) on a lead or deal of this tenant, audited and in
    /// the change feed.
    pub fn create(&self, new: NewActivity) -> Result<Activity> {
        self.0.write(|tx| create(tx, new))
    }

    /// A page of activities, newest first.
    pub fn list(&self, filter: &ActivityFilter) -> Result<Page<Activity>> {
        let entity_column = match (filter.entity_type, filter.entity_id) {
            (_, None) => None,
            (Some(ActivityEntity::Lead), Some(id)) => Some(("lead_id", id)),
            (Some(ActivityEntity::Deal), Some(id)) => Some(("deal_id", id)),
            (None, Some(_)) => return Err(Error::invalid("entityType", "required with entityId")),
        };
        let mut filters = vec![
            ("entity_type", filter.entity_type.map(Value::from)),
            ("kind", filter.kind.map(Value::from)),
        ];
        if let Some((column, id)) = entity_column {
            filters.push((column, Some(Value::Integer(id))));
        }
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "activities")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}

/// A lead's activity on the timelines of the lead and its customer.
pub(crate) const LEAD_TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT a.id, a.kind, a.body, a.actor_id, a.lead_id, l.name, l.customer_id
            FROM activities a JOIN leads l ON l.tenant_id = a.tenant_id AND l.id = a.lead_id
           WHERE a.tenant_id = ?1 AND a.id IN rarray(?2)",
    read: |r| {
        let kind: String = r.get(1)?;
        let name: String = r.get(5)?;
        Ok(TimelineItem {
            title: format!("{} · lead {name}", capitalised(&kind.replace('_', " "))),
            body: r.get(2)?,
            actor_id: r.get(3)?,
            lead_id: Some(r.get(4)?),
            customer_id: r.get(6)?,
            ..TimelineItem::default()
        })
    },
};

/// A deal's activity (stage changes included) on the timelines of the deal, its lead and
/// its customer.
pub(crate) const DEAL_TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT a.id, a.kind, a.body, a.actor_id, a.deal_id, d.title, d.customer_id, d.lead_id
            FROM activities a JOIN deals d ON d.tenant_id = a.tenant_id AND d.id = a.deal_id
           WHERE a.tenant_id = ?1 AND a.id IN rarray(?2)",
    read: |r| {
        let kind: String = r.get(1)?;
        let title: String = r.get(5)?;
        Ok(TimelineItem {
            title: format!("{} · deal {title}", capitalised(&kind.replace('_', " "))),
            body: r.get(2)?,
            actor_id: r.get(3)?,
            deal_id: Some(r.get(4)?),
            customer_id: r.get(6)?,
            lead_id: r.get(7)?,
            ..TimelineItem::default()
        })
    },
};
