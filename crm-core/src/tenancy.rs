//! Tenants, users, teams, roles, and the [`Scope`] every operation runs in.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::{TeamId, UserId};
use crate::methods;
use crate::records::{self, ListRequest, Page, PageRequest, Record, table};
use crate::sql::Value;
use crate::sql::{Connection, OptionalExtension, Row, params};
use crate::store::{Crm, EntityType, Tx, WriteCtx};
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// A tenant: one company's CRM, isolated from every other tenant's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The tenant's key, chosen by the host (`acme`).
    pub tenant_id: String,
    /// The company's name.
    pub name: String,
    /// ISO 3166 alpha-2 region used to read phone numbers without a country code.
    pub default_region: String,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
    #[serde(skip)]
    pub(crate) row_id: i64,
}

/// What `tenants.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTenant {
    /// Lowercase letters, digits, `-` and `_`, 1 to 64 characters, starting with a letter or digit.
    pub tenant_id: String,
    /// The company's name (not empty).
    pub name: String,
    /// The region its phone numbers default to (`US`, `DE`), for numbers written without a country
    /// code.
    #[serde(default)]
    pub default_region: Option<String>,
    /// The tenant's first user, an admin.
    pub admin: NewAdmin,
}

/// The first admin of a new tenant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAdmin {
    /// The admin's name.
    pub name: String,
    /// The admin's email address.
    pub email: String,
}

/// What `tenants.create` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// Its first admin.
    pub admin: User,
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including user management and auto-linking.
    Admin,
    /// Reads and writes records.
    Manager,
    /// Reads and writes records.
    Agent,
    /// Reads only.
    Viewer,
}

impl Role {
    /// Every role's name.
    pub const NAMES: &'static [&'static str] = &["admin", "manager", "agent", "viewer"];

    /// The role as written in requests and answers (`admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "admin" => Role::Admin,
            "manager" => Role::Manager,
            "agent" => Role::Agent,
            "viewer" => Role::Viewer,
            _ => return None,
        })
    }
}

/// A user of a tenant: an agent, a rep, a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Its id, counted per tenant.
    pub id: UserId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The user's name.
    pub name: String,
    /// Their email address.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// The teams they belong to.
    pub team_ids: Vec<TeamId>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of a user, as filters and list columns read them (team membership is a list of
/// its own: `teams.*`).
pub const USER_FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::User),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    Field::new("email", "email", FieldType::Email, "Email").sortable(),
    Field::new("role", "role", FieldType::Enum, "Role")
        .sortable()
        .values(&["admin", "manager", "agent", "viewer"]),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

/// The fields of a team.
pub const TEAM_FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Team),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for User {
    const ENTITY: EntityType = EntityType::User;
    table!(
        "users",
        [
            "id",
            "external_id",
            "name",
            "email",
            "role",
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
        let role: String = row.get(4)?;
        Ok(User {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            email: row.get(3)?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            team_ids: Vec::new(),
            created_at: time::from_millis(row.get(5)?),
            updated_at: time::from_millis(row.get(6)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            self.email,
            self.role.as_str(),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `users.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The user's name (not empty).
    pub name: String,
    /// Their email address.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// The teams they belong to (of this tenant).
    #[serde(default)]
    pub team_ids: Vec<TeamId>,
}

/// What `users.update` takes: `id` and the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserChanges {
    /// The user to change.
    pub id: Option<UserId>,
    /// The new `name`; absent leaves it.
    pub name: Option<String>,
    /// The new `email`; absent leaves it.
    pub email: Option<String>,
    /// The new `role`; absent leaves it.
    pub role: Option<Role>,
}

/// Filters of `users.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFilter {
    /// Only those whose `role` is this.
    pub role: Option<Role>,
    /// Only the users these criteria hold for, over a user's own fields.
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

/// A team of users (support tier, sales region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// Its id, counted per tenant.
    pub id: TeamId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The team's name.
    pub name: String,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

impl Record for Team {
    const ENTITY: EntityType = EntityType::Team;
    table!(
        "teams",
        ["id", "external_id", "name", "created_at", "updated_at"]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Team {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            created_at: time::from_millis(row.get(3)?),
            updated_at: time::from_millis(row.get(4)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at)
        ])
    }
}

/// What `teams.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTeam {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The team's name (not empty).
    pub name: String,
}

/// A tenant and an actor: the context every CRM operation runs in.
///
/// Reads work without an actor; writes need one whose role allows them. Records of other
/// tenants are invisible through a scope: asking for one is `not_found`.
#[derive(Debug)]
pub struct Scope<'c> {
    pub(crate) crm: &'c Crm,
    tenant: Tenant,
    actor: Option<User>,
}

impl Crm {
    /// The scope of `tenant` (its key), acting as `actor` (a user of that tenant), if any.
    pub fn scope(&self, tenant: &str, actor: Option<UserId>) -> Result<Scope<'_>> {
        let (tenant, actor) = self.read(|c| {
            let tenant =
                tenant_by_key(c, tenant)?.ok_or_else(|| Error::not_found("tenant", tenant))?;
            let actor = actor
                .map(|id| user_with_teams(c, tenant.row_id, id))
                .transpose()?;
            Ok((tenant, actor))
        })?;
        Ok(Scope {
            crm: self,
            tenant,
            actor,
        })
    }

    /// Creates a tenant and its first admin user.
    pub fn create_tenant(&self, new: NewTenant) -> Result<CreatedTenant> {
        let key = tenant_key(new.tenant_id)?;
        let name = validate::name("name", &new.name)?;
        let default_region = region(new.default_region.as_deref())?;
        let admin_name = validate::name("admin.name", &new.admin.name)?;
        let admin_email = validate::email("admin.email", &new.admin.email)?;
        self.write(0, &default_region.clone(), None, |tx| {
            let exists = tx.prepare_cached("SELECT 1 FROM tenants WHERE key = ?1")?.exists(params![&key])?;
            if exists {
                return Err(Error::conflict_on(
                    "tenantId",
                    format!("tenant {key:?} already exists"),
                ));
            }
            let now = tx.now;
            let tenant = tx.prepare_cached(
                "INSERT INTO tenants (key, name, default_region, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 RETURNING id",
            )?
            .query_row(params![key, name, default_region, time::to_millis(now)], |r| r.get(0))?;
            tx.tenant = tenant;
            let tenant = Tenant { tenant_id: key, name, default_region, created_at: now, updated_at: now, row_id: tx.tenant };
            tx.record_change(methods::TENANTS_CREATE, EntityType::Tenant, tx.tenant, None, Some(&tenant))?;
            let admin = User {
                id: UserId(tx.next_id(RecordKind::User)?),
                external_id: None,
                name: admin_name,
                email: admin_email,
                role: Role::Admin,
                team_ids: Vec::new(),
                created_at: now,
                updated_at: now,
            };
            tx.insert(methods::TENANTS_CREATE, &admin)?;
            Ok(CreatedTenant { tenant, admin })
        })
    }

    /// The tenant's first admin (the user batch jobs act as), if it has one.
    pub fn first_admin(&self, tenant: &str) -> Result<Option<UserId>> {
        self.read(|c| {
            let t = tenant_by_key(c, tenant)?.ok_or_else(|| Error::not_found("tenant", tenant))?;
            Ok(c.prepare_cached(
                "SELECT MIN(id) FROM users WHERE tenant_id = ?1 AND role = 'admin'",
            )?
            .query_row(params![t.row_id], |r| r.get::<_, Option<i64>>(0))?
            .map(UserId))
        })
    }

    /// Every tenant, in the order they were created.
    pub fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("{TENANT_SELECT} ORDER BY id"))?;
            stmt.query_map(params![], tenant_from_row)?
                .collect::<Result<_, _>>()
        })
    }
}

const TENANT_SELECT: &str =
    "SELECT id, key, name, default_region, created_at, updated_at FROM tenants";

fn tenant_from_row(row: &Row<'_>) -> Result<Tenant> {
    Ok(Tenant {
        row_id: row.get(0)?,
        tenant_id: row.get(1)?,
        name: row.get(2)?,
        default_region: row.get(3)?,
        created_at: time::from_millis(row.get(4)?),
        updated_at: time::from_millis(row.get(5)?),
    })
}

fn tenant_by_key(c: &Connection, key: &str) -> Result<Option<Tenant>> {
    c.prepare_cached(&format!("{TENANT_SELECT} WHERE key = ?1"))?
        .query_row(params![key], tenant_from_row)
        .optional()
}

fn tenant_key(key: String) -> Result<String> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && key.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(key)
    } else {
        Err(Error::invalid(
            "tenantId",
            format!(
                "{key:?} is not a tenant key (1-64 of a-z, 0-9, '-', '_', starting with a letter or digit)"
            ),
        ))
    }
}

fn region(region: Option<&str>) -> Result<String> {
    match region {
        None => Ok("US".to_owned()),
        Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(r.to_ascii_uppercase())
        }
        Some(r) => Err(Error::invalid(
            "defaultRegion",
            format!(
                "not an ISO 3166 alpha-2 region: {:?}",
                crate::error::clip(r)
            ),
        )),
    }
}

fn user_with_teams(c: &Connection, tenant: i64, id: UserId) -> Result<User> {
    let mut user: User = records::get(c, tenant, id.0)?;
    fill_team_ids(c, tenant, &mut user)?;
    Ok(user)
}

fn fill_team_ids(c: &Connection, tenant: i64, user: &mut User) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT team_id FROM team_members WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY team_id",
    )?;
    user.team_ids = stmt
        .query_map(params![tenant, user.id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(())
}

impl<'c> Scope<'c> {
    /// The tenant of this scope.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The acting user, if any.
    pub fn actor(&self) -> Option<&User> {
        self.actor.as_ref()
    }

    /// The tenant's internal row id (what `tenant_id` columns hold).
    pub(crate) fn tenant_row_id(&self) -> i64 {
        self.tenant.row_id
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection, i64) -> Result<T>) -> Result<T> {
        let tenant = self.tenant.row_id;
        self.crm.read(|c| f(c, tenant))
    }

    /// Runs `f` in one write transaction as this scope's actor, who must be allowed to write.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let actor = self.writer()?;
        self.crm.write(
            self.tenant.row_id,
            &self.tenant.default_region,
            Some(actor.id.0),
            f,
        )
    }

    /// Runs `f` as [`Scope::write`] does, then rolls everything back: a dry run that answers
    /// exactly what the write would (the same checks, the same code) and keeps nothing.
    pub(crate) fn write_rolled_back<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let actor = self.writer()?;
        self.crm.write_rolled_back(
            self.tenant.row_id,
            &self.tenant.default_region,
            Some(actor.id.0),
            f,
        )
    }

    /// Runs `f` in one write transaction that keeps derived data current (segment memberships
    /// following the change feed), whatever the actor may do: reading them brings them up to
    /// date first, so a viewer's read may write.
    pub(crate) fn maintain<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.crm.write(
            self.tenant.row_id,
            &self.tenant.default_region,
            self.actor.as_ref().map(|a| a.id.0),
            f,
        )
    }

    /// Like [`Scope::write`], for operations only admins may run.
    pub(crate) fn write_as_admin<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let actor = self.admin(what)?;
        self.crm.write(
            self.tenant.row_id,
            &self.tenant.default_region,
            Some(actor.id.0),
            f,
        )
    }

    /// The actor, if and only if it may run admin-only `what`.
    pub(crate) fn admin(&self, what: &str) -> Result<&User> {
        let actor = self.writer()?;
        if actor.role != Role::Admin {
            return Err(Error::Forbidden(format!(
                "{what} needs the admin role; user {} is {}",
                actor.id,
                actor.role.as_str()
            )));
        }
        Ok(actor)
    }

    fn writer(&self) -> Result<&User> {
        let actor = self
            .actor
            .as_ref()
            .ok_or_else(|| Error::invalid("actorId", "required for writes"))?;
        if actor.role == Role::Viewer {
            return Err(Error::Forbidden(format!(
                "user {} is a viewer and cannot write",
                actor.id
            )));
        }
        Ok(actor)
    }

    /// Users of this tenant.
    pub fn users(&self) -> Users<'_, 'c> {
        Users(self)
    }

    /// Teams of this tenant.
    pub fn teams(&self) -> Teams<'_, 'c> {
        Teams(self)
    }
}

/// `users.*`: managing users needs the admin role.
#[derive(Debug, Clone, Copy)]
pub struct Users<'s, 'c>(&'s Scope<'c>);

impl Users<'_, '_> {
    /// Creates a user (`users.create`; admins only).
    pub fn create(&self, new: NewUser) -> Result<User> {
        self.0
            .write_as_admin(methods::USERS_CREATE, |tx| create_user(tx, new))
    }

    /// The user with this id (`not_found` for another tenant's).
    pub fn get(&self, id: UserId) -> Result<User> {
        self.0.read(|c, t| user_with_teams(c, t, id))
    }

    /// The user with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<User> {
        self.0.read(|c, t| {
            let mut user: User = records::get_by_external_id(c, t, external_id)?;
            fill_team_ids(c, t, &mut user)?;
            Ok(user)
        })
    }

    /// Changes a user (`users.update`; admins only): only the fields given change.
    pub fn update(&self, changes: UserChanges) -> Result<User> {
        self.0
            .write_as_admin(methods::USERS_UPDATE, |tx| update_user(tx, changes))
    }

    /// A page of users, oldest first.
    pub fn list(&self, filter: &UserFilter) -> Result<Page<User>> {
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), USER_FIELDS, "users")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), USER_FIELDS)?;
        self.0.read(|c, t| {
            let page = PageRequest {
                limit: filter.limit,
                cursor: filter.cursor.clone(),
            };
            let mut page: Page<User> = records::list_where(
                c,
                t,
                vec![("role", filter.role.map(|r| Value::Text(r.as_str().into())))],
                &order,
                &page,
                |p| test.sql(p),
            )?;
            for user in &mut page.items {
                fill_team_ids(c, t, user)?;
            }
            Ok(page)
        })
    }
}

pub(crate) fn create_user(tx: &mut Tx<'_>, new: NewUser) -> Result<User> {
    let mut user = User {
        id: UserId(0),
        external_id: validate::external_id(new.external_id)?,
        name: validate::name("name", &new.name)?,
        email: validate::email("email", &new.email)?,
        role: new.role,
        team_ids: new.team_ids,
        created_at: tx.now,
        updated_at: tx.now,
    };
    for (i, team) in user.team_ids.iter().enumerate() {
        tx.require::<Team>(&format!("teamIds[{i}]"), team.0)?;
    }
    user.team_ids.sort_unstable();
    user.team_ids.dedup();
    user.id = UserId(tx.next_id(RecordKind::User)?);
    tx.insert(methods::USERS_CREATE, &user)?;
    for team in &user.team_ids {
        add_member_row(tx, *team, user.id)?;
    }
    Ok(user)
}

fn add_member_row(tx: &Tx<'_>, team: TeamId, user: UserId) -> Result<bool> {
    let added = tx
        .prepare_cached(
            "INSERT INTO team_members (tenant_id, team_id, user_id, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![tx.tenant, team, user, time::to_millis(tx.now)])?;
    Ok(added == 1)
}

/// `teams.*`: creating teams and adding members needs the admin role.
#[derive(Debug, Clone, Copy)]
pub struct Teams<'s, 'c>(&'s Scope<'c>);

/// What `teams.addMember` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamMember {
    /// The team it belongs to.
    pub team_id: TeamId,
    /// The user it belongs to.
    pub user_id: UserId,
}

impl Teams<'_, '_> {
    /// Creates a team (`teams.create`; admins only).
    pub fn create(&self, new: NewTeam) -> Result<Team> {
        self.0
            .write_as_admin(methods::TEAMS_CREATE, |tx| create_team(tx, new))
    }

    /// A page of teams: a `ListRequest` (with `where`) or a plain `PageRequest`.
    pub fn list(&self, request: impl Into<ListRequest>) -> Result<Page<Team>> {
        let request = request.into();
        let test = crate::criteria::Where::read(request.r#where.as_ref(), TEAM_FIELDS, "teams")?;
        let order = crate::records::Order::read(request.sort.as_ref(), TEAM_FIELDS)?;
        self.0.read(|c, t| {
            records::list_where(c, t, Vec::new(), &order, &request.page(), |p| test.sql(p))
        })
    }

    /// Adds a user to a team; adding a member twice changes nothing. Returns the user.
    pub fn add_member(&self, member: &TeamMember) -> Result<User> {
        self.0.write_as_admin(methods::TEAMS_ADD_MEMBER, |tx| {
            records::get::<Team>(tx, tx.tenant, member.team_id.0)?;
            let before = user_with_teams(tx, tx.tenant, member.user_id)?;
            if add_member_row(tx, member.team_id, member.user_id)? {
                let mut after = before.clone();
                after.team_ids.push(member.team_id);
                after.team_ids.sort_unstable();
                tx.record_change(
                    methods::TEAMS_ADD_MEMBER,
                    EntityType::User,
                    after.id.0,
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            } else {
                Ok(before)
            }
        })
    }
}

/// `users.update` in `tx` (the caller checks the actor is an admin).
pub(crate) fn update_user(tx: &mut Tx<'_>, changes: UserChanges) -> Result<User> {
    let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
    let before = user_with_teams(tx, tx.tenant, id)?;
    let mut after = before.clone();
    if let Some(name) = changes.name {
        after.name = validate::name("name", &name)?;
    }
    if let Some(email) = changes.email {
        after.email = validate::email("email", &email)?;
    }
    if let Some(role) = changes.role {
        after.role = role;
    }
    after.updated_at = tx.now;
    tx.replace(methods::USERS_UPDATE, &before, &after)?;
    Ok(after)
}

pub(crate) fn create_team(tx: &mut Tx<'_>, new: NewTeam) -> Result<Team> {
    let team = Team {
        id: TeamId(tx.next_id(RecordKind::Team)?),
        external_id: validate::external_id(new.external_id)?,
        name: validate::name("name", &new.name)?,
        created_at: tx.now,
        updated_at: tx.now,
    };
    tx.insert(methods::TEAMS_CREATE, &team)?;
    Ok(team)
}
