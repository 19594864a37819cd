//! Segments: saved criteria over a tenant's customers (API.md "Segments"). Counts and members
//! are evaluated by one SQL statement at the moment of the call, never cached; memberships —
//! who entered and left, and when — follow the change feed (`members`).
//!
//! A segment's criteria may use the customer's own fields and its related records: "has at
//! least one deal / ticket / lead with …" (`deal.status`, `ticket.status`, `lead.score`, …),
//! counts of them with options (`ticket.count` with `withinDays` and `status`), and days since
//! a time (`ticket.lastCreatedDays`, `activity.lastContactDays`).

mod members;

pub(crate) use members::leave_all;
pub use members::{HistoryEntry, HistoryRequest, MembershipChange, RefreshReport, RefreshRequest};

use crate::catalog::{Field, FieldType, RecordKind};
use crate::criteria::sql::Compiler;
use crate::criteria::{self, CountOption, Criteria, FieldDef, Read, Related};
use crate::customers::{self, Customer};
use crate::deals::DealStatus;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, SegmentId};
use crate::leads::LeadStatus;
use crate::methods;
use crate::records::{self, Page, PageRequest, Record, Unique, table};
use crate::sql::Value;
use crate::sql::{Connection, Row, params};
use crate::store::WriteCtx;
use crate::tenancy::Scope;
use crate::tickets::TicketStatus;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const DEALS: Related = Related {
    table: "deals",
    key: "customer_id",
    via: "id",
    column: "",
    created: "created_at",
};
const TICKETS: Related = Related {
    table: "tickets",
    key: "customer_id",
    via: "id",
    column: "",
    created: "created_at",
};
const LEADS: Related = Related {
    table: "leads",
    key: "customer_id",
    via: "id",
    column: "",
    created: "created_at",
};

const fn related(base: Related, column: &'static str) -> Related {
    Related { column, ..base }
}

/// The related-record fields of a segment, beside the customer's own.
const RELATED: &[FieldDef] = &[
    FieldDef {
        field: Field::new(
            "deal.stageId",
            "stage_id",
            FieldType::Id,
            "Has a deal in stage",
        )
        .refers(RecordKind::Stage),
        read: Read::Related(related(DEALS, "stage_id")),
        options: &[],
    },
    FieldDef {
        field: Field::new(
            "deal.status",
            "status",
            FieldType::Enum,
            "Has a deal that is",
        )
        .values(DealStatus::NAMES),
        read: Read::Related(related(DEALS, "status")),
        options: &[],
    },
    FieldDef {
        field: Field::new("deal.count", "", FieldType::Number, "Number of deals"),
        read: Read::Count(DEALS),
        options: &[
            CountOption::Status(DealStatus::NAMES),
            CountOption::PipelineId,
            CountOption::StageId,
            CountOption::WithinDays,
        ],
    },
    FieldDef {
        field: Field::new(
            "ticket.status",
            "status",
            FieldType::Enum,
            "Has a ticket that is",
        )
        .values(TicketStatus::NAMES),
        read: Read::Related(related(TICKETS, "status")),
        options: &[],
    },
    FieldDef {
        field: Field::new("ticket.count", "", FieldType::Number, "Number of tickets"),
        read: Read::Count(TICKETS),
        options: &[
            CountOption::Status(TicketStatus::NAMES),
            CountOption::WithinDays,
        ],
    },
    FieldDef {
        field: Field::new(
            "ticket.lastCreatedDays",
            "",
            FieldType::Number,
            "Days since the newest ticket",
        ),
        read: Read::DaysSinceNewest(related(TICKETS, "created_at")),
        options: &[],
    },
    FieldDef {
        field: Field::new(
            "lead.status",
            "status",
            FieldType::Enum,
            "Has a lead that is",
        )
        .values(LeadStatus::NAMES),
        read: Read::Related(related(LEADS, "status")),
        options: &[],
    },
    FieldDef {
        field: Field::new(
            "lead.score",
            "score",
            FieldType::Number,
            "Has a lead scoring",
        ),
        read: Read::Related(related(LEADS, "score")),
        options: &[],
    },
    FieldDef {
        field: Field::new(
            "activity.lastContactDays",
            "last_contact_at",
            FieldType::Number,
            "Days since the last contact",
        ),
        read: Read::DaysSince,
        options: &[],
    },
];

/// Every field a segment's criteria may use: the customer's own, then the related ones.
pub fn fields() -> &'static [FieldDef] {
    static FIELDS: OnceLock<Vec<FieldDef>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let mut defs = criteria::own_fields(customers::FIELDS);
        defs.extend_from_slice(RELATED);
        defs
    })
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// Its id, counted per tenant.
    pub id: SegmentId,
    /// The segment's name.
    pub name: String,
    /// What it is for, in words.
    pub description: Option<String>,
    /// The criteria tree (API.md "Criteria").
    pub criteria: serde_json::Value,
    /// The same criteria in the text form.
    pub text: String,
    /// How many customers match now (counted at the moment of the call).
    pub member_count: u64,
    /// When the memberships were last brought up to date with the clock (`segments.refresh`).
    #[serde(with = "time::rfc3339::option")]
    pub refreshed_at: Option<Timestamp>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// A segment as stored (without its live count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    pub id: SegmentId,
    pub external_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub criteria: serde_json::Value,
    #[serde(with = "time::rfc3339::option")]
    pub refreshed_at: Option<Timestamp>,
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

impl Record for Stored {
    const ENTITY: RecordKind = RecordKind::Segment;
    table!(
        "segments",
        [
            "id",
            "external_id",
            "name",
            "description",
            "criteria",
            "refreshed_at",
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
        let criteria: String = row.get(4)?;
        Ok(Stored {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            description: row.get(3)?,
            criteria: serde_json::from_str(&criteria).map_err(|e| crate::sql::bad_column(4, e))?,
            refreshed_at: row.get::<_, Option<i64>>(5)?.map(time::from_millis),
            created_at: time::from_millis(row.get(6)?),
            updated_at: time::from_millis(row.get(7)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            self.description,
            self.criteria.to_string(),
            self.refreshed_at.map(time::to_millis),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

impl Stored {
    /// Its criteria, checked again (as stored by this or an earlier version).
    pub(crate) fn criteria(&self) -> Result<Criteria> {
        Criteria::from_json(&self.criteria, fields(), "criteria").map_err(|e| {
            Error::Internal(format!(
                "segment {} holds criteria this version cannot read: {e}",
                self.id
            ))
        })
    }
}

/// What `segments.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSegment {
    /// The segment's name (not empty).
    pub name: String,
    /// The criteria tree a member matches.
    pub criteria: serde_json::Value,
    /// What it is for, in words.
    #[serde(default)]
    pub description: Option<String>,
}

/// What `segments.update` takes: the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentChanges {
    /// The segment to change.
    pub id: SegmentId,
    /// The new `name`; absent leaves it.
    #[serde(default)]
    pub name: Option<String>,
    /// The new `criteria`; absent leaves it.
    #[serde(default)]
    pub criteria: Option<serde_json::Value>,
    /// Absent keeps it, `null` clears it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub description: Option<Option<String>>,
}

/// `{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentRef {
    /// The segment.
    pub id: SegmentId,
}

/// What `segments.preview` takes: unsaved criteria.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    /// The criteria tree.
    pub criteria: serde_json::Value,
    /// How many members to show: 0 to 500, 20 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A preview: how many customers match, and the first of them (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// How many customers match.
    pub count: u64,
    /// The first of them, newest first.
    pub items: Vec<Customer>,
}

/// What `segments.members` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembersRequest {
    /// The segment.
    pub id: SegmentId,
    /// How many items a page holds: 50 when absent, at most 500.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// What `segments.explain` takes: a saved segment or criteria, and a customer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExplainRequest {
    /// A saved segment; `criteria` when absent.
    #[serde(default)]
    pub id: Option<SegmentId>,
    /// Criteria not saved.
    #[serde(default)]
    pub criteria: Option<serde_json::Value>,
    /// The customer.
    pub customer_id: CustomerId,
}

/// Why a customer is in or out: the tree with each node's result, and for each condition the
/// value(s) it saw (`seen`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Whether the customer matches.
    pub member: bool,
    /// The tree with each node's result and what each condition saw.
    pub why: serde_json::Value,
}

/// What `segments.parse` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParseRequest {
    /// The criteria as text (`churnRisk >= 50 and tags contains vip`).
    pub text: String,
}

/// What `segments.format` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormatRequest {
    /// The criteria tree.
    pub criteria: serde_json::Value,
}

/// Criteria in both forms: the tree and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BothForms {
    /// The tree.
    pub criteria: serde_json::Value,
    /// Its text.
    pub text: String,
}

/// The default number of members a preview shows.
const PREVIEW_ROWS: u32 = 20;

/// The SQL over `customers` (as `r`) for `criteria` at `now`: the condition and its values.
fn compile(criteria: &Criteria, now: Timestamp, params: &mut Vec<Value>) -> Result<String> {
    Compiler::new(fields(), "r", now, params).node(&criteria.root)
}

/// How many of the tenant's customers match.
pub(crate) fn count(
    conn: &Connection,
    tenant: i64,
    criteria: &Criteria,
    now: Timestamp,
) -> Result<u64> {
    let mut params = vec![Value::Integer(tenant)];
    let test = compile(criteria, now, &mut params)?;
    let sql = format!("SELECT COUNT(*) FROM customers r WHERE r.tenant_id = ?1 AND {test}");
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(&params, |r| r.get(0))?;
    Ok(n.unsigned_abs())
}

/// A page of matching customers, newest first, by keyset on id.
fn page(
    conn: &Connection,
    tenant: i64,
    criteria: &Criteria,
    now: Timestamp,
    request: &PageRequest,
) -> Result<Page<Customer>> {
    records::list_where::<Customer>(
        conn,
        tenant,
        Vec::new(),
        &records::Order::newest(),
        request,
        |params| Compiler::new(fields(), "customers", now, params).node(&criteria.root),
    )
}

/// `segments.*`.
#[derive(Debug, Clone, Copy)]
pub struct Segments<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Segments of this tenant's customers.
    pub fn segments(&self) -> Segments<'_, 'c> {
        Segments(self)
    }
}

impl Segments<'_, '_> {
    /// A new segment; its memberships start with the customers matching now, and follow
    /// every later write.
    ///
    /// ```
    /// # use crm_core::{Crm, tenancy::{NewAdmin, NewTenant}};
    /// # let crm = Crm::open_in_memory()?;
    /// # let acme = crm.create_tenant(NewTenant { tenant_id: "acme".into(), name: "Acme".into(),
    /// #     default_region: None, admin: NewAdmin { name: "Ada".into(), email: "ada@acme.test".into() } })?;
    /// let scope = crm.scope("acme", Some(acme.admin.id))?;
    /// use crm_core::{customers::NewCustomer, segments::{MembersRequest, NewSegment}};
    /// scope.customers().create(NewCustomer { name: "Ann".into(), tags: vec!["vip".into()], ..Default::default() })?;
    /// scope.customers().create(NewCustomer { name: "Bob".into(), ..Default::default() })?;
    /// let vips = scope.segments().create(NewSegment {
    ///     name: "VIPs".into(),
    ///     criteria: serde_json::json!({"field": "tags", "op": "equals", "value": "vip"}),
    ///     description: None,
    /// })?;
    /// let members = scope.segments().members(&MembersRequest { id: vips.id, limit: None, cursor: None })?;
    /// assert_eq!(members.items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Ann"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(&self, new: NewSegment) -> Result<Segment> {
        let criteria = Criteria::from_json(&new.criteria, fields(), "criteria")?;
        let name = validate::name("name", &new.name)?;
        let description = validate::opt_body("description", new.description)?;
        let stored = self.0.write(|tx| {
            tx.ensure_unique(&NAME, &name, None)?;
            // Before the segment exists: with no segment the follower only moves forward.
            members::catch_up(tx)?;
            let stored = Stored {
                id: SegmentId(tx.next_id(RecordKind::Segment)?),
                external_id: None,
                name,
                description,
                criteria: criteria.to_json(),
                refreshed_at: Some(tx.now),
                created_at: tx.now,
                updated_at: tx.now,
            };
            tx.insert(methods::SEGMENTS_CREATE, &stored)?;
            members::reevaluate(tx, &stored, &criteria)?;
            Ok(stored)
        })?;
        self.show(stored)
    }

    /// A segment, with its member count now.
    pub fn get(&self, id: SegmentId) -> Result<Segment> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        let stored = self.0.read(|c, t| records::get::<Stored>(c, t, id.0))?;
        self.show(stored)
    }

    /// The tenant's segments, newest first, each with its member count now.
    pub fn list(&self, request: &PageRequest) -> Result<Page<Segment>> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        let page = self
            .0
            .read(|c, t| records::list::<Stored>(c, t, Vec::new(), request))?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|s| self.show(s))
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
            prev_cursor: page.prev_cursor,
        })
    }

    /// Changes a segment's name, description or criteria; new criteria re-evaluate every
    /// customer (entries and exits recorded now).
    pub fn update(&self, changes: &SegmentChanges) -> Result<Segment> {
        let criteria = changes
            .criteria
            .as_ref()
            .map(|c| Criteria::from_json(c, fields(), "criteria"))
            .transpose()?;
        let name = changes
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let description = changes
            .description
            .clone()
            .map(|d| validate::opt_body("description", d))
            .transpose()?;
        let stored = self.0.write(|tx| {
            let before = records::get::<Stored>(tx, tx.tenant, changes.id.0)?;
            if let Some(name) = &name {
                tx.ensure_unique(&NAME, name, Some(before.id.0))?;
            }
            let mut after = before.clone();
            if let Some(name) = name {
                after.name = name;
            }
            if let Some(description) = description {
                after.description = description;
            }
            if let Some(criteria) = &criteria {
                after.criteria = criteria.to_json();
                after.refreshed_at = Some(tx.now);
            }
            after.updated_at = tx.now;
            tx.replace(methods::SEGMENTS_UPDATE, &before, &after)?;
            if let Some(criteria) = &criteria {
                members::catch_up(tx)?;
                members::reevaluate(tx, &after, criteria)?;
            }
            Ok(after)
        })?;
        self.show(stored)
    }

    /// Deletes a segment with its memberships and their history.
    pub fn delete(&self, id: SegmentId) -> Result<SegmentRef> {
        self.0.write(|tx| {
            let before = records::get::<Stored>(tx, tx.tenant, id.0)?;
            members::forget(tx, before.id)?;
            tx.prepare_cached("DELETE FROM segments WHERE tenant_id = ?1 AND id = ?2")?
                .execute(params![tx.tenant, id])?;
            tx.record_change(
                methods::SEGMENTS_DELETE,
                RecordKind::Segment,
                id.0,
                Some(&before),
                None,
            )?;
            Ok(SegmentRef { id })
        })
    }

    /// How many customers match unsaved criteria now, and the first of them.
    pub fn preview(&self, request: &PreviewRequest) -> Result<Preview> {
        self.preview_at(request, time::now())
    }

    /// [`Segments::preview`] as of `now` (what `lastNDays` and day counts count back from).
    pub fn preview_at(&self, request: &PreviewRequest, now: Timestamp) -> Result<Preview> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        let criteria = Criteria::from_json(&request.criteria, fields(), "criteria")?;
        let limit = match request.limit {
            None => PREVIEW_ROWS,
            Some(n) if n <= records::MAX_LIMIT => n,
            Some(n) => {
                return Err(Error::invalid(
                    "limit",
                    format!("must be 0 to {}, got {n}", records::MAX_LIMIT),
                ));
            }
        };
        self.0.read(|c, t| {
            let count = count(c, t, &criteria, now)?;
            let items = if limit == 0 {
                Vec::new()
            } else {
                page(
                    c,
                    t,
                    &criteria,
                    now,
                    &PageRequest {
                        limit: Some(limit),
                        cursor: None,
                    },
                )?
                .items
            };
            Ok(Preview { count, items })
        })
    }

    /// A page of a segment's members now, newest customer first.
    pub fn members(&self, request: &MembersRequest) -> Result<Page<Customer>> {
        self.members_at(request, time::now())
    }

    /// [`Segments::members`] as of `now`.
    pub fn members_at(&self, request: &MembersRequest, now: Timestamp) -> Result<Page<Customer>> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        self.0.read(|c, t| {
            let stored = records::get::<Stored>(c, t, request.id.0)?;
            let criteria = stored.criteria()?;
            page(
                c,
                t,
                &criteria,
                now,
                &PageRequest {
                    limit: request.limit,
                    cursor: request.cursor.clone(),
                },
            )
        })
    }

    /// How many customers a segment has now.
    pub fn count_at(&self, id: SegmentId, now: Timestamp) -> Result<u64> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        self.0.read(|c, t| {
            let stored = records::get::<Stored>(c, t, id.0)?;
            count(c, t, &stored.criteria()?, now)
        })
    }

    /// Why a customer is in a segment or out of it.
    pub fn explain(&self, request: &ExplainRequest) -> Result<Explanation> {
        self.explain_at(request, time::now())
    }

    /// [`Segments::explain`] as of `now`.
    pub fn explain_at(&self, request: &ExplainRequest, now: Timestamp) -> Result<Explanation> {
        // `lead.score` reads scores: current ones.
        self.0.leads().settle()?;
        let given = match (&request.id, &request.criteria) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "criteria",
                    "give either id (a saved segment) or criteria, not both",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "id",
                    "give id (a saved segment) or criteria",
                ));
            }
            (None, Some(c)) => Some(Criteria::from_json(c, fields(), "criteria")?),
            (Some(_), None) => None,
        };
        self.0.read(|c, t| {
            let criteria = match (given, request.id) {
                (Some(criteria), _) => criteria,
                (None, Some(id)) => records::get::<Stored>(c, t, id.0)?.criteria()?,
                (None, None) => unreachable!("checked above"),
            };
            if records::find::<Customer>(c, t, request.customer_id.0)?.is_none() {
                return Err(Error::not_found("customer", request.customer_id));
            }
            members::explain(c, t, &criteria, request.customer_id, now)
        })
    }

    /// A page of a segment's history: who entered and left, and when, newest first.
    pub fn history(&self, request: &HistoryRequest) -> Result<Page<HistoryEntry>> {
        self.0
            .read(|c, t| records::get::<Stored>(c, t, request.id.0).map(drop))?;
        catch_up(self.0)?;
        self.0.read(|c, t| members::history(c, t, request))
    }

    /// Evaluates every customer again for one segment or all of them (for criteria that
    /// depend on the clock), recording who entered and left.
    pub fn refresh(&self, request: &RefreshRequest) -> Result<RefreshReport> {
        self.refresh_with(request, |_, _| {})
    }

    /// [`Segments::refresh`], telling `progress` (segments done, segments in all) as it goes.
    pub fn refresh_with(
        &self,
        request: &RefreshRequest,
        progress: impl FnMut(u64, u64),
    ) -> Result<RefreshReport> {
        self.0
            .write(|tx| members::refresh(tx, request.id, progress))
    }

    /// Brings memberships up to date with every committed change now (reading them does it
    /// anyway; a host may call it to hear of entries and exits sooner).
    pub fn catch_up(&self) -> Result<()> {
        catch_up(self.0)
    }

    /// Reads the text form (`segments.parse`).
    pub fn parse(&self, request: &ParseRequest) -> Result<BothForms> {
        let criteria = criteria::text::parse(&request.text, fields(), "text")?;
        Ok(BothForms {
            text: criteria::text::format(&criteria),
            criteria: criteria.to_json(),
        })
    }

    /// Writes criteria in the text form (`segments.format`).
    pub fn format(&self, request: &FormatRequest) -> Result<BothForms> {
        let criteria = Criteria::from_json(&request.criteria, fields(), "criteria")?;
        Ok(BothForms {
            text: criteria::text::format(&criteria),
            criteria: criteria.to_json(),
        })
    }

    fn show(self, stored: Stored) -> Result<Segment> {
        let criteria = stored.criteria()?;
        let member_count = self.0.read(|c, t| count(c, t, &criteria, time::now()))?;
        Ok(Segment {
            id: stored.id,
            name: stored.name,
            description: stored.description,
            text: criteria::text::format(&criteria),
            criteria: criteria.to_json(),
            member_count,
            refreshed_at: stored.refreshed_at,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }
}

/// Segment names are unique within a tenant (as written: the index is case-sensitive).
const NAME: Unique = Unique {
    kind: RecordKind::Segment,
    column: "name",
    field: "name",
    any_case: false,
};

/// Brings memberships up to date with the change feed, if any segment exists and the feed
/// moved since (a read first, so that a quiet database is not written).
pub(crate) fn catch_up(scope: &Scope<'_>) -> Result<()> {
    // Memberships read `lead.score`: scores follow the same changes first.
    scope.leads().settle()?;
    let behind: bool = scope.read(|c, tenant| {
        // Without a position yet, the first catch-up sets one (cheaply when the tenant has no
        // segment), so that a segment made later does not apply the tenant's whole feed.
        c.prepare_cached(
            "SELECT p.applied IS NULL
                 OR (EXISTS (SELECT 1 FROM segments WHERE tenant_id = ?1)
                     AND p.applied < (SELECT COALESCE(MAX(seq), 0) FROM change_feed WHERE tenant_id = ?1))
               FROM (SELECT 1) one
               LEFT JOIN feed_positions p ON p.tenant_id = ?1 AND p.follower = 'segments'",
        )?
        .query_row(params![tenant], |r| r.get(0))
    })?;
    if behind {
        scope.maintain(members::catch_up)?;
    }
    Ok(())
}
