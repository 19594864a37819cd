//! Saved list views (API.md "Leads workspace, views and the board"): a name, the kind of
//! record listed, its `where`, its `sort` and the visible columns in order. A view is its
//! owner's alone unless shared with the tenant: another user's private view is `not_found`, a
//! shared one is changed only by its owner or an admin, and a viewer may keep private views
//! but not share them.

use crate::catalog::{Field, RecordKind};
use crate::criteria::Where;
use crate::error::{Error, Result};
use crate::ids::{UserId, ViewId};
use crate::methods;
use crate::records::{self, Order, Page, PageRequest, Record, Sort, table};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::{Role, Scope, User};
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// The most columns a view shows.
pub const MAX_COLUMNS: usize = 50;

/// The kinds of record a view may list: every list that takes `where` and `sort`.
pub const LISTED: &[RecordKind] = &[
    RecordKind::Customer,
    RecordKind::Lead,
    RecordKind::Deal,
    RecordKind::Ticket,
    RecordKind::Conversation,
    RecordKind::Call,
    RecordKind::Activity,
    RecordKind::Product,
    RecordKind::Quote,
];

/// A saved view of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// Its id, counted per tenant.
    pub id: ViewId,
    /// The view's name.
    pub name: String,
    /// The kind of list it shows.
    pub kind: RecordKind,
    /// The criteria over the kind's own fields, as `list` takes them.
    pub r#where: Option<serde_json::Value>,
    /// The order it sorts by, if it sets one.
    pub sort: Option<Sort>,
    /// The visible columns, in order (field names of the kind); empty means the client's
    /// default columns.
    pub columns: Vec<String>,
    /// Seen and used by every user of the tenant.
    pub shared: bool,
    /// Who made it: the only user who sees it while it is not shared.
    pub owner_id: UserId,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

impl Record for View {
    const ENTITY: EntityType = RecordKind::View;
    table!(
        "views",
        [
            "id",
            "owner_id",
            "name",
            "kind",
            "criteria",
            "sort",
            "columns",
            "shared",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        None
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(View {
            id: row.get(0)?,
            owner_id: row.get(1)?,
            name: row.get(2)?,
            kind: row.get(3)?,
            r#where: json(row, 4)?,
            sort: json(row, 5)?,
            columns: json(row, 6)?.unwrap_or_default(),
            shared: row.get(7)?,
            created_at: time::from_millis(row.get(8)?),
            updated_at: time::from_millis(row.get(9)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        let text = |v: &serde_json::Value| v.to_string();
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.owner_id,
            self.name,
            self.kind.as_str(),
            self.r#where.as_ref().map(text),
            self.sort
                .as_ref()
                .map(|s| serde_json::to_string(s).unwrap_or_default()),
            serde_json::to_string(&self.columns).unwrap_or_default(),
            self.shared,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// The JSON in column `i`, `None` when NULL.
fn json<T: serde::de::DeserializeOwned>(row: &Row<'_>, i: usize) -> Result<Option<T>> {
    row.get::<_, Option<String>>(i)?
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| crate::sql::bad_column(i, e))
}

/// What `views.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewView {
    /// The view's name (not empty).
    pub name: String,
    /// The kind of list it shows.
    pub kind: RecordKind,
    /// Criteria over the kind's own fields.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order it sorts by.
    #[serde(default)]
    pub sort: Option<Sort>,
    /// The columns shown, in order; the list's own when empty.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Whether the tenant's other users see it too.
    #[serde(default)]
    pub shared: bool,
}

/// What `views.update` takes: `id` and what changes (`null` clears `where` or `sort`). A
/// view's kind never changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewChanges {
    /// The view to change.
    pub id: Option<ViewId>,
    /// The new `name`; absent leaves it.
    pub name: Option<String>,
    /// The new `where`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub r#where: Option<Option<serde_json::Value>>,
    /// The new `sort`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub sort: Option<Option<Sort>>,
    /// The new `columns`; absent leaves it.
    pub columns: Option<Vec<String>>,
    /// The new `shared`; absent leaves it.
    pub shared: Option<bool>,
}

/// What `views.list` takes: the views of one kind, or of every kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewFilter {
    /// Only those whose `kind` is this.
    pub kind: Option<RecordKind>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// What `views.count` takes: a list's kind and its `where`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountRequest {
    /// The kind of list.
    pub kind: RecordKind,
    /// Criteria over the kind's own fields.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
}

/// How many records a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// How many records match.
    pub count: u64,
}

/// A view's name is unique among its owner's views of a kind, in any case.
fn name_taken(tx: &Tx<'_>, view: &View) -> Result<()> {
    let taken: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM views WHERE tenant_id = ?1 AND owner_id = ?2 AND kind = ?3
               AND name = ?4 COLLATE NOCASE AND id <> ?5",
        )?
        .query_row(
            params![
                tx.tenant,
                view.owner_id,
                view.kind.as_str(),
                view.name,
                view.id
            ],
            |r| r.get(0),
        )
        .ok();
    match taken {
        Some(id) => Err(Error::conflict_on(
            "name",
            format!(
                "view {id} of yours is called {:?} already",
                crate::error::clip(&view.name)
            ),
        )),
        None => Ok(()),
    }
}

/// The fields of a kind a view may list.
fn fields_of(kind: RecordKind) -> Result<&'static [Field]> {
    LISTED
        .contains(&kind)
        .then(|| crate::schema::fields(kind))
        .flatten()
        .ok_or_else(|| {
            Error::invalid(
                "kind",
                format!(
                    "{kind} has no list a view can keep; views list: {}",
                    LISTED
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// Checks a view's parts against its kind's fields, naming the path at fault.
fn check(view: &mut View) -> Result<()> {
    let fields = fields_of(view.kind)?;
    view.name = validate::name("name", &view.name)?;
    Where::read(view.r#where.as_ref(), fields, view.kind.table())?;
    Order::read(view.sort.as_ref(), fields)?;
    if view.columns.len() > MAX_COLUMNS {
        return Err(Error::invalid(
            "columns",
            format!("at most {MAX_COLUMNS} columns, got {}", view.columns.len()),
        ));
    }
    for (i, column) in view.columns.iter().enumerate() {
        if !fields.iter().any(|f| f.name == column) {
            return Err(Error::invalid(
                format!("columns[{i}]"),
                format!(
                    "{:?} is not a field of {}; its fields are: {}",
                    crate::error::clip(column),
                    view.kind,
                    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if view.columns[..i].contains(column) {
            return Err(Error::invalid(
                format!("columns[{i}]"),
                format!("{column} is shown already"),
            ));
        }
    }
    Ok(())
}

/// `views.*`.
#[derive(Debug, Clone, Copy)]
pub struct Views<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Saved list views: the actor's own and the tenant's shared ones.
    pub fn views(&self) -> Views<'_, 'c> {
        Views(self)
    }
}

impl Views<'_, '_> {
    /// The acting user: views belong to one.
    fn actor(&self) -> Result<&User> {
        self.0
            .actor()
            .ok_or_else(|| Error::invalid("actorId", "views belong to a user: required"))
    }

    /// Runs a write of views: any user may keep private views; sharing one needs a user
    /// who may write.
    fn write<T>(self, shared: bool, f: impl FnOnce(&mut Tx<'_>, &User) -> Result<T>) -> Result<T> {
        let actor = self.actor()?.clone();
        if shared && actor.role == Role::Viewer {
            return Err(Error::Forbidden(format!(
                "user {} is a viewer and cannot share views",
                actor.id
            )));
        }
        self.0.maintain(|tx| f(tx, &actor))
    }

    /// Saves a view owned by the actor.
    pub fn create(&self, new: NewView) -> Result<View> {
        self.write(new.shared, |tx, actor| {
            let mut view = View {
                id: ViewId(0),
                name: new.name,
                kind: new.kind,
                r#where: new.r#where,
                sort: new.sort,
                columns: new.columns,
                shared: new.shared,
                owner_id: actor.id,
                created_at: tx.now,
                updated_at: tx.now,
            };
            check(&mut view)?;
            name_taken(tx, &view)?;
            view.id = ViewId(tx.next_id(RecordKind::View)?);
            tx.insert(methods::VIEWS_CREATE, &view)?;
            Ok(view)
        })
    }

    /// A view the actor may see: their own, or a shared one; any other is `not_found`.
    pub fn get(&self, id: ViewId) -> Result<View> {
        let actor = self.actor()?.id;
        let view: View = self.0.read(|c, t| records::get(c, t, id.0))?;
        if view.owner_id != actor && !view.shared {
            return Err(Error::not_found("view", id.0));
        }
        Ok(view)
    }

    /// Changes a view: the owner's own, or a shared one by its owner or an admin.
    pub fn update(&self, changes: ViewChanges) -> Result<View> {
        let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
        let before = self.get(id)?;
        let shared = changes.shared.unwrap_or(before.shared);
        self.write(shared || before.shared, |tx, actor| {
            if before.owner_id != actor.id && actor.role != Role::Admin {
                return Err(Error::Forbidden(format!(
                    "view {id} is shared by user {}; only they or an admin change it",
                    before.owner_id
                )));
            }
            let mut after = before.clone();
            if let Some(name) = changes.name {
                after.name = name;
            }
            if let Some(criteria) = changes.r#where {
                after.r#where = criteria;
            }
            if let Some(sort) = changes.sort {
                after.sort = sort;
            }
            if let Some(columns) = changes.columns {
                after.columns = columns;
            }
            after.shared = shared;
            check(&mut after)?;
            name_taken(tx, &after)?;
            after.updated_at = tx.now;
            tx.replace(methods::VIEWS_UPDATE, &before, &after)?;
            Ok(after)
        })
    }

    /// Deletes a view: the owner's own, or a shared one by its owner or an admin.
    pub fn delete(&self, id: ViewId) -> Result<View> {
        let view = self.get(id)?;
        self.write(view.shared, |tx, actor| {
            if view.owner_id != actor.id && actor.role != Role::Admin {
                return Err(Error::Forbidden(format!(
                    "view {id} is shared by user {}; only they or an admin delete it",
                    view.owner_id
                )));
            }
            tx.execute(
                "DELETE FROM views WHERE tenant_id = ?1 AND id = ?2",
                params![tx.tenant, id],
            )?;
            tx.record_change(
                methods::VIEWS_DELETE,
                RecordKind::View,
                id.0,
                Some(&view),
                None::<&View>,
            )?;
            Ok(view)
        })
    }

    /// How many records of `kind` the `where` keeps (every one without it), as of now: what a
    /// list of that kind and criteria pages through.
    pub fn count(&self, request: &CountRequest) -> Result<Count> {
        let fields = fields_of(request.kind)?;
        let table = request.kind.table();
        let test = match request.kind {
            RecordKind::Quote => Where::read_defs(
                request.r#where.as_ref(),
                crate::quotes::criteria_fields(),
                table,
            )?,
            _ => Where::read(request.r#where.as_ref(), fields, table)?,
        };
        let count = |c: &crate::sql::Connection, t: i64| -> Result<Count> {
            let mut params = vec![Value::Integer(t)];
            let test = test.sql(&mut params)?;
            let n: i64 = c
                .prepare_cached(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE tenant_id = ?1 AND {test}"
                ))?
                .query_row(&params, |r| r.get(0))?;
            Ok(Count {
                count: n.unsigned_abs(),
            })
        };
        if request.kind == RecordKind::Lead {
            // Scores may be in the criteria: current ones.
            return self.0.leads().current(count);
        }
        self.0.read(count)
    }

    /// The views the actor sees (their own and the shared ones), of one kind or all, by name.
    pub fn list(&self, filter: &ViewFilter) -> Result<Page<View>> {
        let actor = self.actor()?.id;
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let order = Order::read(Some(&Sort::new("name", records::Direction::Asc)), FIELDS)?;
        let kind = filter.kind.map(|k| Value::Text(k.as_str().to_owned()));
        self.0.read(|c, t| {
            records::list_where(c, t, vec![("kind", kind)], &order, &page, |params| {
                params.push(Value::Integer(actor.0));
                Ok(format!("(owner_id = ?{} OR shared = 1)", params.len()))
            })
        })
    }
}

/// The fields of a view that its list sorts on.
const FIELDS: &[Field] = &[
    crate::catalog::id_field(RecordKind::View),
    Field::new("name", "name", crate::catalog::FieldType::Text, "Name").sortable(),
];
