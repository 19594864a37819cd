//! Support tickets and their events.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::customers::{self, Customer};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, DealId, LeadId, TeamId, TicketEventId, TicketId, UserId};
use crate::methods;
use crate::records::{self, Page, PageRequest, Record, id_value, string_enum, table};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::{Scope, Team, User};
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a ticket stands.
    TicketStatus {
        /// Waiting for the team.
        Open = "open",
        /// Waiting for the customer.
        Pending = "pending",
        /// Answered.
        Solved = "solved",
        /// Done for good.
        Closed = "closed",
    }
}

string_enum! {
    /// How urgent a ticket is.
    Priority {
        /// Can wait.
        Low = "low",
        /// The usual.
        Normal = "normal",
        /// Soon.
        High = "high",
        /// Now.
        Urgent = "urgent",
    }
}

/// Where a ticket or conversation came in (declared with the other records' building blocks).
pub use crate::records::Channel;

string_enum! {
    /// What happened to a ticket.
    TicketEventKind {
        /// The ticket was opened.
        Created = "created",
        /// Its status changed.
        StatusChanged = "status_changed",
        /// Its priority changed.
        PriorityChanged = "priority_changed",
        /// It was given to someone (or taken back).
        Assigned = "assigned",
        /// A reply the customer sees.
        Comment = "comment",
        /// An internal note.
        Note = "note",
        /// It was linked to a lead or a deal.
        Linked = "linked",
        /// A link was removed.
        Unlinked = "unlinked",
    }
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Its id, counted per tenant.
    pub id: TicketId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The customer it belongs to, if any.
    pub customer_id: Option<CustomerId>,
    /// What it is about, in a line.
    pub subject: String,
    /// What the customer wrote.
    pub description: String,
    /// Where it stands.
    pub status: TicketStatus,
    /// How soon it needs an answer.
    pub priority: Priority,
    /// Where it came in.
    pub channel: Channel,
    /// The team it belongs to, if any.
    pub team_id: Option<TeamId>,
    /// The assigned user it belongs to, if any.
    pub assignee_id: Option<UserId>,
    /// The requester's email address, when no customer is set (links match it).
    pub requester_email: Option<String>,
    /// The requester's phone number, when no customer is set.
    pub requester_phone: Option<String>,
    /// The requester's company, when no customer is set.
    pub requester_company: Option<String>,
    /// Set through `links.*`.
    pub related_lead_id: Option<LeadId>,
    /// Set through `links.*`.
    pub related_deal_id: Option<DealId>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// This kind's search document (`search`'s columns: tenant, id, title, body, ticket status,
/// ticket priority, conversation status, channel, team), `x` being the row; kept beside the
/// record so that a new column is searchable by a change here alone.
pub(crate) const SEARCH_DOCUMENT: &str = "SELECT x.tenant_id, x.id, x.subject,
                        concat_ws(' ', x.description, x.requester_email, x.requester_phone,
                                  x.requester_company, x.status, x.priority, x.channel, t.name),
                        x.status, x.priority, NULL, x.channel, x.team_id
                   FROM tickets x
                   LEFT JOIN teams t ON t.tenant_id = x.tenant_id AND t.id = x.team_id";

/// The fields of a ticket, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Ticket),
    catalog::EXTERNAL_ID,
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("subject", "subject", FieldType::Text, "Subject").sortable(),
    Field::new("description", "description", FieldType::Text, "Description"),
    Field::new("status", "status", FieldType::Enum, "Status")
        .sortable()
        .values(TicketStatus::NAMES),
    Field::new("priority", "priority", FieldType::Enum, "Priority")
        .sortable()
        .values(Priority::NAMES),
    Field::new("channel", "channel", FieldType::Enum, "Channel")
        .sortable()
        .values(Channel::NAMES),
    Field::new("teamId", "team_id", FieldType::Id, "Team")
        .sortable()
        .refers(RecordKind::Team),
    Field::new("assigneeId", "assignee_id", FieldType::Id, "Assignee")
        .sortable()
        .refers(RecordKind::User),
    Field::new(
        "requesterEmail",
        "requester_email",
        FieldType::Email,
        "Requester email",
    ),
    Field::new(
        "requesterPhone",
        "requester_phone",
        FieldType::Phone,
        "Requester phone",
    ),
    Field::new(
        "requesterCompany",
        "requester_company",
        FieldType::Text,
        "Requester company",
    ),
    Field::new("relatedLeadId", "related_lead_id", FieldType::Id, "Lead").refers(RecordKind::Lead),
    Field::new("relatedDealId", "related_deal_id", FieldType::Id, "Deal").refers(RecordKind::Deal),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Ticket {
    const ENTITY: EntityType = EntityType::Ticket;
    table!(
        "tickets",
        [
            "id",
            "external_id",
            "customer_id",
            "subject",
            "description",
            "status",
            "priority",
            "channel",
            "team_id",
            "assignee_id",
            "requester_email",
            "requester_phone",
            "requester_company",
            "related_lead_id",
            "related_deal_id",
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
        Ok(Ticket {
            id: row.get(0)?,
            external_id: row.get(1)?,
            customer_id: row.get(2)?,
            subject: row.get(3)?,
            description: row.get(4)?,
            status: row.get(5)?,
            priority: row.get(6)?,
            channel: row.get(7)?,
            team_id: row.get(8)?,
            assignee_id: row.get(9)?,
            requester_email: row.get(10)?,
            requester_phone: row.get(11)?,
            requester_company: row.get(12)?,
            related_lead_id: row.get(13)?,
            related_deal_id: row.get(14)?,
            created_at: time::from_millis(row.get(15)?),
            updated_at: time::from_millis(row.get(16)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.customer_id,
            self.subject,
            self.description,
            self.status,
            self.priority,
            self.channel,
            self.team_id,
            self.assignee_id,
            self.requester_email,
            self.requester_phone,
            self.requester_company,
            self.related_lead_id,
            self.related_deal_id,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `tickets.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTicket {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The customer it belongs to (of this tenant), if any.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// What it is about, in a line (not empty).
    pub subject: String,
    /// What the customer wrote.
    #[serde(default)]
    pub description: String,
    /// `open` when absent.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// `normal` when absent.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Where it came in.
    pub channel: Channel,
    /// The team it belongs to (of this tenant), if any.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// The assigned user it belongs to (of this tenant), if any.
    #[serde(default)]
    pub assignee_id: Option<UserId>,
    /// The requester's email address, for a ticket without a customer.
    #[serde(default)]
    pub requester_email: Option<String>,
    /// The requester's phone number, for a ticket without a customer.
    #[serde(default)]
    pub requester_phone: Option<String>,
    /// The requester's company, for a ticket without a customer.
    #[serde(default)]
    pub requester_company: Option<String>,
    /// When it was created, for history brought in from elsewhere; the moment of the write when
    /// absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
}

impl NewTicket {
    /// A ticket with a subject and a channel and nothing else: no description, customer,
    /// requester, team or assignee; open, normal priority, created now. Set other fields with
    /// struct update syntax: `NewTicket { description, ..NewTicket::new(subject, channel) }`.
    pub fn new(subject: impl Into<String>, channel: Channel) -> Self {
        NewTicket {
            external_id: None,
            customer_id: None,
            subject: subject.into(),
            description: String::new(),
            status: None,
            priority: None,
            channel,
            team_id: None,
            assignee_id: None,
            requester_email: None,
            requester_phone: None,
            requester_company: None,
            created_at: None,
        }
    }
}

/// What `tickets.update` takes: `id` and the fields to change (`null` clears). Status, priority
/// and assignee changes add ticket events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketChanges {
    /// The ticket to change.
    pub id: Option<TicketId>,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `customerId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub customer_id: Option<Option<CustomerId>>,
    /// The new `subject`; absent leaves it.
    pub subject: Option<String>,
    /// The new `description`; absent leaves it.
    pub description: Option<String>,
    /// The new `status`; absent leaves it.
    pub status: Option<TicketStatus>,
    /// The new `priority`; absent leaves it.
    pub priority: Option<Priority>,
    /// The new `channel`; absent leaves it.
    pub channel: Option<Channel>,
    /// The new `teamId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub team_id: Option<Option<TeamId>>,
    /// The new `assigneeId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub assignee_id: Option<Option<UserId>>,
    /// The new `requesterEmail`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub requester_email: Option<Option<String>>,
    /// The new `requesterPhone`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub requester_phone: Option<Option<String>>,
    /// The new `requesterCompany`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub requester_company: Option<Option<String>>,
}

/// Filters of `tickets.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketFilter {
    /// Only those whose `status` is this.
    pub status: Option<TicketStatus>,
    /// Only those whose `priority` is this.
    pub priority: Option<Priority>,
    /// Only those whose `channel` is this.
    pub channel: Option<Channel>,
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
    /// Only those of this team.
    pub team_id: Option<TeamId>,
    /// Only those of this assigned user.
    pub assignee_id: Option<UserId>,
    /// Only those whose `relatedLeadId` is this.
    pub related_lead_id: Option<LeadId>,
    /// Only those whose `relatedDealId` is this.
    pub related_deal_id: Option<DealId>,
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

/// Something that happened to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketEvent {
    /// Its id, counted per tenant.
    pub id: TicketEventId,
    /// The ticket it belongs to.
    pub ticket_id: TicketId,
    /// What happened.
    pub kind: TicketEventKind,
    /// What was written, for comments and notes.
    pub body: Option<String>,
    /// The user who did it, if one did.
    pub actor_id: Option<UserId>,
    /// When it happened.
    #[serde(with = "time::rfc3339")]
    pub occurred_at: Timestamp,
}

impl Record for TicketEvent {
    const ENTITY: EntityType = EntityType::TicketEvent;
    table!(
        "ticket_events",
        ["id", "ticket_id", "kind", "body", "actor_id", "occurred_at"]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        None
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(TicketEvent {
            id: row.get(0)?,
            ticket_id: row.get(1)?,
            kind: row.get(2)?,
            body: row.get(3)?,
            actor_id: row.get(4)?,
            occurred_at: time::from_millis(row.get(5)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.ticket_id,
            self.kind,
            self.body,
            self.actor_id,
            time::to_millis(self.occurred_at)
        ])
    }
}

/// What `tickets.addEvent` takes. People add `comment` and `note` events; the other kinds are
/// written by the operations they describe, so they always match what happened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTicketEvent {
    /// The ticket it belongs to (of this tenant).
    pub ticket_id: TicketId,
    /// `comment` or `note`.
    pub kind: TicketEventKind,
    /// What is written.
    #[serde(default)]
    pub body: Option<String>,
    /// When it happened; the moment of the write when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub occurred_at: Option<Timestamp>,
}

/// What `tickets.listEvents` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketEventFilter {
    /// The ticket.
    pub ticket_id: TicketId,
    /// How many items a page holds: 50 when absent, at most 500.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    #[serde(default)]
    pub cursor: Option<String>,
}

fn check_refs(tx: &Tx<'_>, t: &Ticket) -> Result<()> {
    if let Some(id) = t.customer_id {
        tx.require::<Customer>("customerId", id.0)?;
    }
    if let Some(id) = t.team_id {
        tx.require::<Team>("teamId", id.0)?;
    }
    if let Some(id) = t.assignee_id {
        tx.require::<User>("assigneeId", id.0)?;
    }
    Ok(())
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewTicket) -> Result<Ticket> {
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let ticket = Ticket {
        id: TicketId(0),
        external_id: validate::external_id(new.external_id)?,
        customer_id: new.customer_id,
        subject: validate::name("subject", &new.subject)?,
        description: validate::body("description", new.description)?,
        status: new.status.unwrap_or(TicketStatus::Open),
        priority: new.priority.unwrap_or(Priority::Normal),
        channel: new.channel,
        team_id: new.team_id,
        assignee_id: new.assignee_id,
        requester_email: validate::opt_email("requesterEmail", new.requester_email.as_deref())?,
        requester_phone: validate::opt_short("requesterPhone", new.requester_phone)?,
        requester_company: validate::opt_short("requesterCompany", new.requester_company)?,
        related_lead_id: None,
        related_deal_id: None,
        created_at: at,
        updated_at: at,
    };
    check_refs(tx, &ticket)?;
    let ticket = Ticket {
        id: TicketId(tx.next_id(RecordKind::Ticket)?),
        ..ticket
    };
    tx.insert(methods::TICKETS_CREATE, &ticket)?;
    add_event(
        tx,
        &ticket,
        TicketEventKind::Created,
        Some(ticket.subject.clone()),
        at,
    )?;
    Ok(ticket)
}

/// Appends an event to a ticket (no audit entry of its own: the operation that caused it has one).
pub(crate) fn add_event(
    tx: &mut Tx<'_>,
    ticket: &Ticket,
    kind: TicketEventKind,
    body: Option<String>,
    at: Timestamp,
) -> Result<TicketEvent> {
    let event = TicketEvent {
        id: TicketEventId(tx.next_id(RecordKind::TicketEvent)?),
        ticket_id: ticket.id,
        kind,
        body,
        actor_id: tx.actor.map(UserId),
        occurred_at: at,
    };
    event.write(&mut tx.prepare_cached(TicketEvent::UPSERT)?, &tx.ctx())?;
    // Linking is bookkeeping on our side, not contact with the customer.
    let contact = !matches!(kind, TicketEventKind::Linked | TicketEventKind::Unlinked);
    if let Some(customer) = ticket.customer_id.filter(|_| contact) {
        customers::touch(tx, customer, at)?;
    }
    Ok(event)
}

pub(crate) fn update(tx: &mut Tx<'_>, changes: TicketChanges) -> Result<Ticket> {
    let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
    let before: Ticket = records::get(tx, tx.tenant, id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
    after.customer_id = validate::apply(after.customer_id, changes.customer_id);
    if let Some(v) = changes.subject {
        after.subject = validate::name("subject", &v)?;
    }
    if let Some(v) = changes.description {
        after.description = validate::body("description", v)?;
    }
    if let Some(v) = changes.status {
        after.status = v;
    }
    if let Some(v) = changes.priority {
        after.priority = v;
    }
    if let Some(v) = changes.channel {
        after.channel = v;
    }
    after.team_id = validate::apply(after.team_id, changes.team_id);
    after.assignee_id = validate::apply(after.assignee_id, changes.assignee_id);
    if let Some(v) = changes.requester_email {
        after.requester_email = validate::opt_email("requesterEmail", v.as_deref())?;
    }
    if let Some(v) = changes.requester_phone {
        after.requester_phone = validate::opt_short("requesterPhone", v)?;
    }
    if let Some(v) = changes.requester_company {
        after.requester_company = validate::opt_short("requesterCompany", v)?;
    }
    check_refs(tx, &after)?;
    after.updated_at = tx.now;
    tx.replace(methods::TICKETS_UPDATE, &before, &after)?;
    let now = tx.now;
    if after.status != before.status {
        let body = format!("{} → {}", before.status, after.status);
        add_event(tx, &after, TicketEventKind::StatusChanged, Some(body), now)?;
    }
    if after.priority != before.priority {
        let body = format!("{} → {}", before.priority, after.priority);
        add_event(
            tx,
            &after,
            TicketEventKind::PriorityChanged,
            Some(body),
            now,
        )?;
    }
    if after.assignee_id != before.assignee_id {
        let body = after.assignee_id.map_or_else(
            || "unassigned".to_owned(),
            |a| format!("assigned to user {a}"),
        );
        add_event(tx, &after, TicketEventKind::Assigned, Some(body), now)?;
    }
    Ok(after)
}

pub(crate) fn create_event(tx: &mut Tx<'_>, new: NewTicketEvent) -> Result<TicketEvent> {
    if !matches!(new.kind, TicketEventKind::Comment | TicketEventKind::Note) {
        return Err(Error::invalid(
            "kind",
            format!(
                "{} events are written by the operation they describe; add comment or note",
                new.kind
            ),
        ));
    }
    let ticket: Ticket = records::get(tx, tx.tenant, new.ticket_id.0)?;
    let body = validate::body("body", new.body.unwrap_or_default())?;
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "must not be empty"));
    }
    let at = time::given("occurredAt", new.occurred_at, tx.now)?;
    let event = add_event(tx, &ticket, new.kind, Some(body), at)?;
    tx.record_change(
        methods::TICKETS_ADD_EVENT,
        EntityType::TicketEvent,
        event.id.0,
        None,
        Some(&event),
    )?;
    Ok(event)
}

/// `tickets.*`.
#[derive(Debug, Clone, Copy)]
pub struct Tickets<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Tickets of this tenant.
    pub fn tickets(&self) -> Tickets<'_, 'c> {
        Tickets(self)
    }
}

impl Tickets<'_, '_> {
    /// Creates a ticket and its `created` event.
    pub fn create(&self, new: NewTicket) -> Result<Ticket> {
        self.0.write(|tx| create(tx, new))
    }

    /// The ticket with this id (`not_found` for another tenant's).
    pub fn get(&self, id: TicketId) -> Result<Ticket> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The ticket with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Ticket> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a ticket (`tickets.update`): only the fields given change; status, priority and
    /// assignee changes add events.
    pub fn update(&self, changes: TicketChanges) -> Result<Ticket> {
        self.0.write(|tx| update(tx, changes))
    }

    /// Adds a `comment` or `note` to a ticket.
    pub fn add_event(&self, new: NewTicketEvent) -> Result<TicketEvent> {
        self.0.write(|tx| create_event(tx, new))
    }

    /// A page of a ticket's events, newest first.
    pub fn list_events(&self, filter: &TicketEventFilter) -> Result<Page<TicketEvent>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        self.0.read(|c, t| {
            records::get::<Ticket>(c, t, filter.ticket_id.0)?;
            records::list(
                c,
                t,
                vec![("ticket_id", id_value(Some(filter.ticket_id)))],
                &page,
            )
        })
    }

    /// How many tickets the tenant has.
    pub fn count(&self) -> Result<u64> {
        self.0.read(|c, t| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM tickets WHERE tenant_id = ?1")?
                .query_row(params![t], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        })
    }

    /// A page of tickets, newest first.
    pub fn list(&self, filter: &TicketFilter) -> Result<Page<Ticket>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            ("status", filter.status.map(Value::from)),
            ("priority", filter.priority.map(Value::from)),
            ("channel", filter.channel.map(Value::from)),
            ("customer_id", id_value(filter.customer_id)),
            ("team_id", id_value(filter.team_id)),
            ("assignee_id", id_value(filter.assignee_id)),
            ("related_lead_id", id_value(filter.related_lead_id)),
            ("related_deal_id", id_value(filter.related_deal_id)),
        ];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "tickets")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}

/// A ticket event on the timelines of its ticket's customer, lead and deal.
pub(crate) const TIMELINE: records::TimelineSource = records::TimelineSource {
    sql: "SELECT e.id, e.kind, e.body, e.actor_id, e.ticket_id, t.subject, t.customer_id,
                 t.related_lead_id, t.related_deal_id, t.channel
            FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
           WHERE e.tenant_id = ?1 AND e.id IN rarray(?2)",
    read: |r| {
        let kind: String = r.get(1)?;
        let ticket: TicketId = r.get(4)?;
        let subject: String = r.get(5)?;
        Ok(records::TimelineItem {
            title: match kind.as_str() {
                "created" => format!("Ticket #{ticket} opened · {subject}"),
                "comment" => format!("Comment on ticket #{ticket} · {subject}"),
                "note" => format!("Internal note on ticket #{ticket} · {subject}"),
                other => format!("Ticket #{ticket} {} · {subject}", other.replace('_', " ")),
            },
            body: r.get(2)?,
            actor_id: r.get(3)?,
            ticket_id: Some(ticket),
            customer_id: r.get(6)?,
            lead_id: r.get(7)?,
            deal_id: r.get(8)?,
            channel: Some(r.get(9)?),
            conversation_id: None,
        })
    },
};
