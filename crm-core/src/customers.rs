//! Customers: the people and companies the tenant serves and sells to.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::matching;
use crate::methods;
use crate::records::{self, Page, PageRequest, Record, table};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// Most tags a customer may carry.
pub const MAX_TAGS: usize = 50;

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Its id, counted per tenant.
    pub id: CustomerId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The person's or company's name.
    pub name: String,
    /// Their email address.
    pub email: Option<String>,
    /// Their phone number, as given (matched by its E.164 form).
    pub phone: Option<String>,
    /// The company they are with.
    pub company: Option<String>,
    /// Labels, in the order given.
    pub tags: Vec<String>,
    /// 0 (safe) to 100 (about to leave).
    pub churn_risk: u8,
    /// Derived: the latest message, call or ticket event of this customer.
    #[serde(with = "time::rfc3339::option")]
    pub last_contact_at: Option<Timestamp>,
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
pub(crate) const SEARCH_DOCUMENT: &str = "SELECT x.tenant_id, x.id, x.name,
                        concat_ws(' ', x.email, x.phone, x.company,
                                  (SELECT string_agg(value, ' ') FROM json_each(x.tags))),
                        NULL, NULL, NULL, NULL, NULL
                   FROM customers x";

/// The fields of a customer, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Customer),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    Field::new("email", "email", FieldType::Email, "Email").sortable(),
    Field::new("phone", "phone", FieldType::Phone, "Phone"),
    Field::new("company", "company", FieldType::Text, "Company").sortable(),
    Field::new("tags", "tags", FieldType::Tags, "Tags"),
    Field::new("churnRisk", "churn_risk", FieldType::Number, "Churn risk").sortable(),
    Field::new(
        "lastContactAt",
        "last_contact_at",
        FieldType::Time,
        "Last contact",
    )
    .sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Customer {
    const ENTITY: EntityType = EntityType::Customer;
    table!(
        "customers",
        [
            "id",
            "external_id",
            "name",
            "email",
            "phone",
            "company",
            "tags",
            "churn_risk",
            "last_contact_at",
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
        let tags: String = row.get(6)?;
        Ok(Customer {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            email: row.get(3)?,
            phone: row.get(4)?,
            company: row.get(5)?,
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            churn_risk: row.get(7)?,
            last_contact_at: row.get::<_, Option<i64>>(8)?.map(time::from_millis),
            created_at: time::from_millis(row.get(9)?),
            updated_at: time::from_millis(row.get(10)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        let tags = serde_json::to_string(&self.tags).unwrap_or_else(|_| "[]".into());
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
            self.name,
            self.email,
            self.phone,
            self.company,
            tags,
            self.churn_risk,
            self.last_contact_at.map(time::to_millis),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
            email_key,
            phone_key,
            company_key,
            matching::KEYS_VERSION,
        ])
    }
}

/// What `customers.create` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomer {
    /// An id from another system, unique per tenant and kind.
    pub external_id: Option<String>,
    /// The person's or company's name (not empty).
    pub name: String,
    /// Their email address (checked).
    pub email: Option<String>,
    /// Their phone number (checked; matched by its E.164 form).
    pub phone: Option<String>,
    /// The company they are with.
    pub company: Option<String>,
    /// Labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How likely they are to leave, 0 to 100.
    pub churn_risk: Option<i64>,
    /// When it was created, for history brought in from elsewhere; the moment of the write when
    /// absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
}

/// What `customers.update` takes: `id` and the fields to change (`null` clears).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerChanges {
    /// The customer to change.
    pub id: Option<CustomerId>,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
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
    /// The new `tags`; absent leaves it.
    pub tags: Option<Vec<String>>,
    /// The new `churnRisk`; absent leaves it.
    pub churn_risk: Option<i64>,
}

/// Filters of `customers.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerFilter {
    /// Only those whose `email` is this.
    pub email: Option<String>,
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

fn tags(tags: Vec<String>) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags, got {}", tags.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.into_iter().enumerate() {
        let tag = validate::name(&format!("tags[{i}]"), &tag)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewCustomer) -> Result<Customer> {
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let customer = Customer {
        id: CustomerId(0),
        external_id: validate::external_id(new.external_id)?,
        name: validate::name("name", &new.name)?,
        email: validate::opt_email("email", new.email.as_deref())?,
        phone: validate::opt_short("phone", new.phone)?,
        company: validate::opt_short("company", new.company)?,
        tags: tags(new.tags)?,
        churn_risk: validate::percent("churnRisk", new.churn_risk.unwrap_or(0))?,
        last_contact_at: None,
        created_at: at,
        updated_at: at,
    };
    let customer = Customer {
        id: CustomerId(tx.next_id(RecordKind::Customer)?),
        ..customer
    };
    tx.insert(methods::CUSTOMERS_CREATE, &customer)?;
    Ok(customer)
}

pub(crate) fn update(tx: &mut Tx<'_>, changes: CustomerChanges) -> Result<Customer> {
    let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
    let before: Customer = records::get(tx, tx.tenant, id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
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
    if let Some(v) = changes.tags {
        after.tags = tags(v)?;
    }
    if let Some(v) = changes.churn_risk {
        after.churn_risk = validate::percent("churnRisk", v)?;
    }
    after.updated_at = tx.now;
    tx.replace(methods::CUSTOMERS_UPDATE, &before, &after)?;
    Ok(after)
}

/// Moves a customer's `lastContactAt` forward to `at` (never backward).
pub(crate) fn touch(tx: &Tx<'_>, id: CustomerId, at: Timestamp) -> Result<()> {
    tx.prepare_cached(
        "UPDATE customers SET last_contact_at = CASE WHEN last_contact_at > ?3 THEN last_contact_at ELSE ?3 END
         WHERE tenant_id = ?1 AND id = ?2",
    )?
    .execute(params![tx.tenant, id, time::to_millis(at)])?;
    Ok(())
}

/// `customers.*`.
#[derive(Debug, Clone, Copy)]
pub struct Customers<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Customers of this tenant.
    pub fn customers(&self) -> Customers<'_, 'c> {
        Customers(self)
    }
}

impl Customers<'_, '_> {
    /// Creates a customer (`customers.create`), validated, audited and in the change feed in one
    /// transaction.
    pub fn create(&self, new: NewCustomer) -> Result<Customer> {
        self.0.write(|tx| create(tx, new))
    }

    /// The customer with this id (`not_found` for another tenant's).
    pub fn get(&self, id: CustomerId) -> Result<Customer> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The customer with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Customer> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a customer (`customers.update`): only the fields given change.
    pub fn update(&self, changes: CustomerChanges) -> Result<Customer> {
        self.0.write(|tx| update(tx, changes))
    }

    /// A page of customers, newest first; `where` keeps those its criteria match, `sort`
    /// orders them by a sortable field.
    ///
    /// ```
    /// # use crm_core::{Crm, tenancy::{NewAdmin, NewTenant}};
    /// # let crm = Crm::open_in_memory()?;
    /// # let acme = crm.create_tenant(NewTenant { tenant_id: "acme".into(), name: "Acme".into(),
    /// #     default_region: None, admin: NewAdmin { name: "Ada".into(), email: "ada@acme.test".into() } })?;
    /// let scope = crm.scope("acme", Some(acme.admin.id))?;
    /// use crm_core::customers::{CustomerFilter, NewCustomer};
    /// for (name, risk) in [("Ann", 80), ("Bob", 20), ("Cleo", 65)] {
    ///     scope.customers().create(NewCustomer { name: name.into(), churn_risk: Some(risk), ..Default::default() })?;
    /// }
    /// let at_risk = scope.customers().list(&CustomerFilter {
    ///     r#where: Some(serde_json::json!({"field": "churnRisk", "op": "gte", "value": 50})),
    ///     sort: Some(serde_json::from_value(serde_json::json!({"field": "name"}))?),
    ///     ..Default::default()
    /// })?;
    /// let names: Vec<_> = at_risk.items.iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["Ann", "Cleo"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self, filter: &CustomerFilter) -> Result<Page<Customer>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "customers")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0.read(|c, t| {
            records::list_where(
                c,
                t,
                vec![("email", filter.email.clone().map(Value::Text))],
                &order,
                &page,
                |p| test.sql(p),
            )
        })
    }
}
