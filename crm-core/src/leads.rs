//! Leads: people or companies that might buy; their assignment, and their scores
//! ([`scoring`]).

pub mod scoring;

use crate::activities::{ActivityEntity, ActivityKind, NewActivity};
use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::customers::Customer;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, LeadId, TeamId, UserId};
use crate::matching;
use crate::methods;
use crate::records::{self, Page, PageRequest, Record, id_value, string_enum, table};
use crate::sql::Value;
use crate::sql::{OptionalExtension, Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::{Role, Scope, User};
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a lead stands.
    LeadStatus {
        /// Not yet contacted.
        New = "new",
        /// Contacted, not yet qualified.
        Contacted = "contacted",
        /// Worth a deal.
        Qualified = "qualified",
        /// Not worth one.
        Unqualified = "unqualified",
        /// Turned into a customer and a deal.
        Converted = "converted",
    }
}

/// A lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    /// Its id, counted per tenant.
    pub id: LeadId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The customer it belongs to, if any.
    pub customer_id: Option<CustomerId>,
    /// The person's name.
    pub name: String,
    /// Their email address.
    pub email: Option<String>,
    /// Their phone number, as given (matched by its E.164 form).
    pub phone: Option<String>,
    /// The company they are with.
    pub company: Option<String>,
    /// Where the lead stands.
    pub status: LeadStatus,
    /// 0 to 100.
    pub score: u8,
    /// The owning user it belongs to, if any.
    pub owner_id: Option<UserId>,
    /// Where the lead came from (`web`, `referral`, …).
    pub source: Option<String>,
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
pub(crate) const SEARCH_DOCUMENT: &str =
    "SELECT x.tenant_id, x.id, x.name, concat_ws(' ', x.email, x.company, x.status),
                        NULL, NULL, NULL, NULL, NULL
                   FROM leads x";

/// The fields of a lead, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Lead),
    catalog::EXTERNAL_ID,
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    Field::new("email", "email", FieldType::Email, "Email").sortable(),
    Field::new("phone", "phone", FieldType::Phone, "Phone"),
    Field::new("company", "company", FieldType::Text, "Company").sortable(),
    Field::new("status", "status", FieldType::Enum, "Status")
        .sortable()
        .values(LeadStatus::NAMES),
    Field::new("score", "score", FieldType::Number, "Score").sortable(),
    Field::new("ownerId", "owner_id", FieldType::Id, "Owner")
        .sortable()
        .refers(RecordKind::User),
    Field::new("source", "source", FieldType::Text, "Source").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Lead {
    const ENTITY: EntityType = EntityType::Lead;
    table!(
        "leads",
        [
            "id",
            "external_id",
            "customer_id",
            "name",
            "email",
            "phone",
            "company",
            "status",
            "score",
            "owner_id",
            "source",
            "created_at",
            "updated_at",
            "email_key",
            "phone_key",
            "company_key",
            "keys_version"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Lead {
            id: row.get(0)?,
            external_id: row.get(1)?,
            customer_id: row.get(2)?,
            name: row.get(3)?,
            email: row.get(4)?,
            phone: row.get(5)?,
            company: row.get(6)?,
            status: row.get(7)?,
            score: row.get(8)?,
            owner_id: row.get(9)?,
            source: row.get(10)?,
            created_at: time::from_millis(row.get(11)?),
            updated_at: time::from_millis(row.get(12)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        let [email_key, phone_key, company_key] = matching::keys(
            self.email.as_deref(),
            self.phone.as_deref(),
            self.company.as_deref(),
            ctx.region,
        );
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.customer_id,
            self.name,
            self.email,
            self.phone,
            self.company,
            self.status,
            self.score,
            self.owner_id,
            self.source,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
            email_key,
            phone_key,
            company_key,
            matching::KEYS_VERSION,
        ])
    }
}

/// What `leads.create` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewLead {
    /// An id from another system, unique per tenant and kind.
    pub external_id: Option<String>,
    /// The customer it belongs to (of this tenant), if any.
    pub customer_id: Option<CustomerId>,
    /// The person's name (not empty).
    pub name: String,
    /// Their email address (checked).
    pub email: Option<String>,
    /// Their phone number (checked; matched by its E.164 form).
    pub phone: Option<String>,
    /// The company they are with.
    pub company: Option<String>,
    /// `new` when absent.
    pub status: Option<LeadStatus>,
    /// A score set by hand, 0 to 100; the tenant's rules score the lead when absent.
    pub score: Option<i64>,
    /// The owning user it belongs to (of this tenant), if any.
    pub owner_id: Option<UserId>,
    /// Where the lead came from.
    pub source: Option<String>,
    /// When it was created, for history brought in from elsewhere; the moment of the write when
    /// absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
}

/// What `leads.update` takes: `id` and the fields to change (`null` clears).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadChanges {
    /// The lead to change.
    pub id: Option<LeadId>,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `customerId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub customer_id: Option<Option<CustomerId>>,
    /// The new `name`; absent leaves it.
    pub name: Option<String>,
    /// The new `email`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub email: Option<Option<String>>,
    /// The new `phone`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub phone: Option<Option<String>>,
    /// The new `company`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub company: Option<Option<String>>,
    /// The new `status`; absent leaves it.
    pub status: Option<LeadStatus>,
    /// The new `score`; absent leaves it.
    pub score: Option<i64>,
    /// The new `ownerId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub owner_id: Option<Option<UserId>>,
    /// The new `source`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub source: Option<Option<String>>,
}

/// Filters of `leads.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadFilter {
    /// Only those whose `status` is this.
    pub status: Option<LeadStatus>,
    /// Only those of this owning user.
    pub owner_id: Option<UserId>,
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
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

fn check_refs(tx: &Tx<'_>, lead: &Lead) -> Result<()> {
    if let Some(id) = lead.customer_id {
        tx.require::<Customer>("customerId", id.0)?;
    }
    if let Some(id) = lead.owner_id {
        tx.require::<User>("ownerId", id.0)?;
    }
    Ok(())
}

/// Marks a lead's score as set by hand: scoring leaves it alone until the lead is rescored.
fn set_by_hand(tx: &Tx<'_>, id: LeadId) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO lead_scores_by_hand (tenant_id, lead_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![tx.tenant, id])?;
    Ok(())
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewLead) -> Result<Lead> {
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let lead = Lead {
        id: LeadId(0),
        external_id: validate::external_id(new.external_id)?,
        customer_id: new.customer_id,
        name: validate::name("name", &new.name)?,
        email: validate::opt_email("email", new.email.as_deref())?,
        phone: validate::opt_short("phone", new.phone)?,
        company: validate::opt_short("company", new.company)?,
        status: new.status.unwrap_or(LeadStatus::New),
        score: validate::percent("score", new.score.unwrap_or(0))?,
        owner_id: new.owner_id,
        source: validate::opt_short("source", new.source)?,
        created_at: at,
        updated_at: at,
    };
    check_refs(tx, &lead)?;
    let lead = Lead {
        id: LeadId(tx.next_id(RecordKind::Lead)?),
        ..lead
    };
    tx.insert(methods::LEADS_CREATE, &lead)?;
    if new.score.is_some() {
        set_by_hand(tx, lead.id)?;
    }
    Ok(lead)
}

pub(crate) fn update(tx: &mut Tx<'_>, changes: LeadChanges) -> Result<Lead> {
    let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
    let before: Lead = records::get(tx, tx.tenant, id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
    after.customer_id = validate::apply(after.customer_id, changes.customer_id);
    if let Some(v) = changes.name {
        after.name = validate::name("name", &v)?;
    }
    if let Some(v) = changes.email {
        after.email = validate::opt_email("email", v.as_deref())?;
    }
    if let Some(v) = changes.phone {
        after.phone = validate::opt_short("phone", v)?;
    }
    if let Some(v) = changes.company {
        after.company = validate::opt_short("company", v)?;
    }
    if let Some(v) = changes.status {
        after.status = v;
    }
    if let Some(v) = changes.score {
        after.score = validate::percent("score", v)?;
        set_by_hand(tx, id)?;
    }
    after.owner_id = validate::apply(after.owner_id, changes.owner_id);
    if let Some(v) = changes.source {
        after.source = validate::opt_short("source", v)?;
    }
    check_refs(tx, &after)?;
    after.updated_at = tx.now;
    tx.replace(methods::LEADS_UPDATE, &before, &after)?;
    Ok(after)
}

string_enum! {
    /// How `leads.assign` spreads leads over a team.
    AssignMode {
        /// Each active member in turn (by user id), continuing where the team's last
        /// round-robin stopped.
        RoundRobin = "roundRobin",
    }
}

/// The most leads one `leads.assign` takes.
pub const MAX_ASSIGN: usize = 5_000;

/// What `leads.assign` takes: the leads, and either one owner or a team to go round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Assign {
    /// The leads to assign (of this tenant).
    pub lead_ids: Vec<LeadId>,
    /// The user all of them go to.
    pub owner_id: Option<UserId>,
    /// A team whose members take them in turn.
    pub team_id: Option<TeamId>,
    /// Required with `teamId`.
    pub mode: Option<AssignMode>,
}

/// One lead and the owner it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The lead.
    pub lead_id: LeadId,
    /// The user it was given to.
    pub owner_id: UserId,
}

/// What `leads.assign` answers: every lead with its owner, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assigned {
    /// Every lead with its owner, in the order asked.
    pub assignments: Vec<Assignment>,
}

/// The users a request assigns to, in turn order, and the team whose rotation it continues.
fn assignees(tx: &Tx<'_>, request: &Assign) -> Result<(Vec<UserId>, Option<TeamId>)> {
    let can_own = |field: &str, user: &User| {
        if user.role == Role::Viewer {
            Err(Error::invalid(
                field,
                format!("user {} is a viewer and cannot own leads", user.id),
            ))
        } else {
            Ok(user.id)
        }
    };
    match (request.owner_id, request.team_id, request.mode) {
        (Some(owner), None, None) => {
            let user = tx.require::<User>("ownerId", owner.0)?;
            Ok((vec![can_own("ownerId", &user)?], None))
        }
        (None, Some(team), Some(AssignMode::RoundRobin)) => {
            tx.require_kind("teamId", RecordKind::Team, team.0)?;
            let members: Vec<UserId> = tx
                .prepare_cached(
                    "SELECT u.id FROM team_members m
                       JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
                      WHERE m.tenant_id = ?1 AND m.team_id = ?2 AND u.role <> 'viewer'
                      ORDER BY u.id",
                )?
                .query_map(params![tx.tenant, team], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if members.is_empty() {
                return Err(Error::invalid(
                    "teamId",
                    format!("team {team} has no members who can own leads"),
                ));
            }
            Ok((members, Some(team)))
        }
        (Some(_), Some(_), _) => Err(Error::invalid("teamId", "give ownerId or teamId, not both")),
        (None, Some(_), None) => Err(Error::invalid("mode", "required with teamId: roundRobin")),
        (Some(_), None, Some(_)) => Err(Error::invalid("mode", "only with teamId")),
        (None, None, _) => Err(Error::invalid(
            "ownerId",
            "required (or teamId with mode roundRobin)",
        )),
    }
}

fn assign(tx: &mut Tx<'_>, request: &Assign) -> Result<Assigned> {
    if request.lead_ids.is_empty() || request.lead_ids.len() > MAX_ASSIGN {
        return Err(Error::invalid(
            "leadIds",
            format!("1 to {MAX_ASSIGN} leads, got {}", request.lead_ids.len()),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, id) in request.lead_ids.iter().enumerate() {
        if !seen.insert(*id) {
            return Err(Error::invalid(
                format!("leadIds[{i}]"),
                format!("lead {id} is listed twice"),
            ));
        }
    }
    let (owners, team) = assignees(tx, request)?;
    // The rotation goes on after the member who got the team's last lead.
    let start = match team {
        None => 0,
        Some(team) => {
            let last: Option<i64> = tx
                .prepare_cached(
                    "SELECT last_user_id FROM round_robin WHERE tenant_id = ?1 AND team_id = ?2",
                )?
                .query_row(params![tx.tenant, team], |r| r.get(0))
                .optional()?;
            last.and_then(|last| owners.iter().position(|u| u.0 > last))
                .unwrap_or(0)
        }
    };
    let mut names = std::collections::HashMap::new();
    let mut assignments = Vec::with_capacity(request.lead_ids.len());
    for (i, id) in request.lead_ids.iter().enumerate() {
        let owner = owners[(start + i) % owners.len()];
        let before: Lead = tx.require(&format!("leadIds[{i}]"), id.0)?;
        assignments.push(Assignment {
            lead_id: *id,
            owner_id: owner,
        });
        if before.owner_id == Some(owner) {
            continue;
        }
        let mut after = before.clone();
        after.owner_id = Some(owner);
        after.updated_at = tx.now;
        tx.replace(methods::LEADS_ASSIGN, &before, &after)?;
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(owner) {
            entry.insert(records::get::<User>(tx, tx.tenant, owner.0)?.name);
        }
        let name = &names[&owner];
        crate::activities::create(
            tx,
            NewActivity {
                external_id: None,
                entity_type: ActivityEntity::Lead,
                entity_id: id.0,
                kind: ActivityKind::Assignment,
                body: Some(format!("Assigned to {name}")),
                occurred_at: None,
            },
        )?;
    }
    if let (Some(team), Some(last)) = (team, assignments.last()) {
        tx.prepare_cached(
            "INSERT INTO round_robin (tenant_id, team_id, last_user_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, team_id) DO UPDATE SET last_user_id = excluded.last_user_id",
        )?
        .execute(params![tx.tenant, team, last.owner_id])?;
    }
    Ok(Assigned { assignments })
}

/// `leads.*`.
#[derive(Debug, Clone, Copy)]
pub struct Leads<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Leads of this tenant.
    pub fn leads(&self) -> Leads<'_, 'c> {
        Leads(self)
    }
}

impl Leads<'_, '_> {
    /// Creates a lead (`leads.create`), scored by the tenant's rules unless a score is given.
    pub fn create(&self, new: NewLead) -> Result<Lead> {
        self.0.write(|tx| create(tx, new))
    }

    /// A lead, its score current with every committed change.
    pub fn get(&self, id: LeadId) -> Result<Lead> {
        self.current(|c, t| records::get(c, t, id.0))
    }

    /// The lead with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Lead> {
        self.current(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a lead (`leads.update`): only the fields given change.
    pub fn update(&self, changes: LeadChanges) -> Result<Lead> {
        self.0.write(|tx| update(tx, changes))
    }

    /// Gives leads to one owner, or round-robin over a team's members who may own leads; each
    /// change is audited, on the feed and an `assignment` activity on the lead's timeline.
    pub fn assign(&self, request: &Assign) -> Result<Assigned> {
        self.0.write(|tx| assign(tx, request))
    }

    /// How many leads this tenant has.
    pub fn count(&self) -> Result<u64> {
        self.0.read(|c, t| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM leads WHERE tenant_id = ?1")?
                .query_row(params![t], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        })
    }

    /// Up to `limit` leads whose name, email or company contains `text`, newest first.
    pub fn containing(&self, text: &str, limit: u32) -> Result<Vec<Lead>> {
        self.0
            .read(|c, t| records::containing(c, t, &["name", "email", "company"], text, limit))
    }

    /// A page of leads (newest first unless sorted), scores current with every committed
    /// change.
    pub fn list(&self, filter: &LeadFilter) -> Result<Page<Lead>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            ("status", filter.status.map(Value::from)),
            ("owner_id", id_value(filter.owner_id)),
            ("customer_id", id_value(filter.customer_id)),
        ];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "leads")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.current(|c, t| {
            records::list_where(c, t, filters.clone(), &order, &page, |p| test.sql(p))
        })
    }
}
