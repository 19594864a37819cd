//! What each kind's import fills (`TARGETS`: its fields, how each cell is read, the header names
//! that suggest it), the mapping a request gives or the header suggests, and a row's cells
//! read through it into the kind's create request.

use super::resolve::Resolver;
use super::values::{self, DateOrder, squash};
use super::{DedupeKey, time_value};
use crate::catalog::RecordKind;
use crate::error::{Error, Result};
use crate::sql::params;
use crate::store::Tx;
use crate::{customers, deals, leads, products, records, tenancy, tickets};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// How a field's cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value {
    Text,
    Email,
    Whole,
    Time,
    Enum(&'static [&'static str]),
    Tags,
    /// An amount in major units of the row's `currency`, stored in minor units.
    Money,
    Currency,
    /// `true`/`false`, `yes`/`no`, `1`/`0`, `active`/`inactive`.
    Bool,
    /// The id of the record of this kind the cell names.
    Ref(RecordKind),
}

impl Value {
    fn name(self) -> &'static str {
        match self {
            Value::Text => "text",
            Value::Email => "email",
            Value::Whole => "number",
            Value::Time => "time",
            Value::Enum(_) => "enum",
            Value::Tags => "tags",
            Value::Money => "money",
            Value::Currency => "currency",
            Value::Bool => "yes or no",
            Value::Ref(_) => "reference",
        }
    }
}

/// A field an import can fill.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub read: Value,
    pub required: bool,
    /// Set when a record is made, never by an update (a stage changes by `deals.moveStage`).
    pub create_only: bool,
    /// Header names (letters and digits, lower case) that suggest this field.
    pub synonyms: &'static [&'static str],
}

const fn field(name: &'static str, read: Value, synonyms: &'static [&'static str]) -> Field {
    Field {
        name,
        read,
        required: false,
        create_only: false,
        synonyms,
    }
}

impl Field {
    const fn required(self) -> Field {
        Field {
            required: true,
            ..self
        }
    }
    const fn create_only(self) -> Field {
        Field {
            create_only: true,
            ..self
        }
    }
}

type Create = fn(&mut Tx<'_>, Map<String, Json>) -> Result<i64>;
type Update = fn(&mut Tx<'_>, i64, Map<String, Json>) -> Result<()>;
type Current = fn(&Tx<'_>, i64) -> Result<Map<String, Json>>;

/// What one kind's import fills and how it writes.
pub(crate) struct Target {
    pub kind: RecordKind,
    /// In the order cells are read: `currency` before `value`, `pipelineId` before `stageId`.
    pub fields: &'static [Field],
    /// Words a header may start with that name the kind itself (`Ticket Subject`).
    prefixes: &'static [&'static str],
    keys: &'static [DedupeKey],
    pub create: Create,
    pub update: Update,
    pub current: Current,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Target {
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub(crate) fn matches_by(&self, key: DedupeKey) -> bool {
        self.keys.contains(&key)
    }
}

const EXTERNAL_ID: Field = field(
    "externalId",
    Value::Text,
    &["externalid", "id", "recordid", "uid", "key"],
);
const CREATED_AT: Field = field(
    "createdAt",
    Value::Time,
    &[
        "createdat",
        "created",
        "createddate",
        "datecreated",
        "createdon",
        "creationdate",
    ],
)
.create_only();
const EMAIL: Field = field(
    "email",
    Value::Email,
    &["email", "emailaddress", "mail", "email1"],
);
const PHONE: Field = field(
    "phone",
    Value::Text,
    &[
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "mobilephone",
        "cellphone",
    ],
);
const COMPANY: Field = field(
    "company",
    Value::Text,
    &[
        "company",
        "companyname",
        "organization",
        "organisation",
        "employer",
        "business",
    ],
);
const OWNER: Field = field(
    "ownerId",
    Value::Ref(RecordKind::User),
    &[
        "owner",
        "ownerid",
        "salesagent",
        "salesrep",
        "rep",
        "agent",
        "assignedto",
        "ownername",
        "ownedby",
    ],
);

/// Every kind an import can fill.
pub static TARGETS: &[Target] = &[
    Target {
        kind: RecordKind::Customer,
        fields: &[
            EXTERNAL_ID,
            field(
                "name",
                Value::Text,
                &[
                    "name",
                    "fullname",
                    "contactname",
                    "displayname",
                    "account",
                    "accountname",
                    "clientname",
                ],
            )
            .required(),
            EMAIL,
            PHONE,
            COMPANY,
            field("tags", Value::Tags, &["tags", "tag", "labels"]),
            field("churnRisk", Value::Whole, &["churnrisk", "churn"]),
            CREATED_AT,
        ],
        prefixes: &["customer", "contact", "client"],
        keys: &[DedupeKey::ExternalId, DedupeKey::Email, DedupeKey::Phone],
        create: |tx, m| customers::create(tx, from_map(m)?).map(|r| r.id.0),
        update: |tx, id, m| customers::update(tx, from_map(with_id(m, id))?).map(drop),
        current: |tx, id| to_map(&records::get::<customers::Customer>(tx, tx.tenant, id)?),
    },
    Target {
        kind: RecordKind::Lead,
        fields: &[
            EXTERNAL_ID,
            field(
                "name",
                Value::Text,
                &["name", "fullname", "contactname", "leadname"],
            )
            .required(),
            EMAIL,
            PHONE,
            COMPANY,
            field(
                "status",
                Value::Enum(leads::LeadStatus::NAMES),
                &["status", "leadstatus"],
            ),
            field("score", Value::Whole, &["score", "leadscore", "rating"]),
            OWNER,
            field(
                "source",
                Value::Text,
                &["source", "leadsource", "origin", "channel"],
            ),
            field(
                "customerId",
                Value::Ref(RecordKind::Customer),
                &["customer", "customerid", "account", "accountname"],
            ),
            CREATED_AT,
        ],
        prefixes: &["lead"],
        keys: &[DedupeKey::ExternalId, DedupeKey::Email, DedupeKey::Phone],
        create: |tx, m| leads::create(tx, from_map(m)?).map(|r| r.id.0),
        update: |tx, id, m| leads::update(tx, from_map(with_id(m, id))?).map(drop),
        current: |tx, id| to_map(&records::get::<leads::Lead>(tx, tx.tenant, id)?),
    },
    Target {
        kind: RecordKind::Deal,
        fields: &[
            field(
                "externalId",
                Value::Text,
                &["externalid", "id", "opportunityid", "oppid", "recordid"],
            ),
            field(
                "title",
                Value::Text,
                &[
                    "title",
                    "name",
                    "dealname",
                    "opportunityname",
                    "opportunity",
                    "subject",
                ],
            )
            .required(),
            field("currency", Value::Currency, &["currency", "currencycode"]).required(),
            field(
                "value",
                Value::Money,
                &["value", "amount", "dealvalue", "closevalue", "dealamount"],
            ),
            field(
                "pipelineId",
                Value::Ref(RecordKind::Pipeline),
                &["pipeline", "pipelinename"],
            )
            .create_only(),
            field(
                "stageId",
                Value::Ref(RecordKind::Stage),
                &["stage", "dealstage", "pipelinestage", "stagename"],
            )
            .create_only(),
            field(
                "customerId",
                Value::Ref(RecordKind::Customer),
                &[
                    "customer",
                    "account",
                    "accountname",
                    "company",
                    "companyname",
                    "client",
                ],
            ),
            field("leadId", Value::Ref(RecordKind::Lead), &["lead", "leadid"]),
            OWNER,
            field(
                "expectedCloseAt",
                Value::Time,
                &[
                    "expectedclose",
                    "expectedclosedate",
                    "expectedcloseat",
                    "forecastclose",
                ],
            ),
            field(
                "createdAt",
                Value::Time,
                &[
                    "createdat",
                    "created",
                    "createddate",
                    "engagedate",
                    "opendate",
                    "startdate",
                ],
            )
            .create_only(),
            field(
                "closedAt",
                Value::Time,
                &["closedat", "closedate", "closed", "closeddate"],
            )
            .create_only(),
        ],
        prefixes: &["deal", "opportunity"],
        keys: &[DedupeKey::ExternalId],
        create: |tx, mut m| {
            m.entry("value").or_insert(Json::from(0));
            deals::create_deal(tx, from_map(m)?).map(|r| r.id.0)
        },
        update: |tx, id, m| deals::update_deal(tx, from_map(with_id(m, id))?).map(drop),
        current: |tx, id| to_map(&records::get::<deals::Deal>(tx, tx.tenant, id)?),
    },
    Target {
        kind: RecordKind::Ticket,
        fields: &[
            field(
                "externalId",
                Value::Text,
                &[
                    "externalid",
                    "id",
                    "ticketid",
                    "ticketnumber",
                    "number",
                    "recordid",
                ],
            ),
            field(
                "subject",
                Value::Text,
                &["subject", "title", "summary", "topic"],
            )
            .required(),
            field(
                "description",
                Value::Text,
                &[
                    "description",
                    "body",
                    "details",
                    "message",
                    "text",
                    "content",
                ],
            ),
            field(
                "status",
                Value::Enum(tickets::TicketStatus::NAMES),
                &["status", "state"],
            ),
            field(
                "priority",
                Value::Enum(tickets::Priority::NAMES),
                &["priority", "severity", "urgency"],
            ),
            field(
                "channel",
                Value::Enum(crate::records::Channel::NAMES),
                &["channel", "source", "via", "medium"],
            )
            .required(),
            field(
                "customerId",
                Value::Ref(RecordKind::Customer),
                &[
                    "customer",
                    "customerid",
                    "customeremail",
                    "requester",
                    "contact",
                ],
            ),
            field(
                "teamId",
                Value::Ref(RecordKind::Team),
                &["team", "group", "queue"],
            ),
            field(
                "assigneeId",
                Value::Ref(RecordKind::User),
                &["assignee", "assignedto", "agent", "owner"],
            ),
            field(
                "requesterEmail",
                Value::Email,
                &["requesteremail", "email", "emailaddress"],
            ),
            field(
                "requesterPhone",
                Value::Text,
                &["requesterphone", "phone", "phonenumber"],
            ),
            field(
                "requesterCompany",
                Value::Text,
                &["requestercompany", "company"],
            ),
            CREATED_AT,
        ],
        prefixes: &["ticket"],
        keys: &[DedupeKey::ExternalId],
        create: |tx, m| tickets::create(tx, from_map(m)?).map(|r| r.id.0),
        update: |tx, id, m| tickets::update(tx, from_map(with_id(m, id))?).map(drop),
        current: |tx, id| to_map(&records::get::<tickets::Ticket>(tx, tx.tenant, id)?),
    },
    Target {
        kind: RecordKind::Product,
        fields: &[
            EXTERNAL_ID,
            field(
                "name",
                Value::Text,
                &["name", "product", "productname", "item", "title"],
            )
            .required(),
            field(
                "sku",
                Value::Text,
                &["sku", "code", "productcode", "partnumber", "itemnumber"],
            ),
            field("currency", Value::Currency, &["currency", "currencycode"]).required(),
            field(
                "unitPrice",
                Value::Money,
                &["unitprice", "price", "salesprice", "listprice", "saleprice"],
            )
            .required(),
            field("taxRateBp", Value::Whole, &["taxratebp", "taxbp"]),
            field("active", Value::Bool, &["active", "enabled", "onsale"]),
        ],
        prefixes: &["product"],
        keys: &[DedupeKey::ExternalId],
        create: |tx, m| products::create(tx, from_map(price_object(m))?).map(|r| r.id.0),
        update: |tx, id, mut m| {
            // A changed price keeps the product's currency unless the row changes it too.
            if m.contains_key("unitPrice") && !m.contains_key("currency") {
                let current = records::get::<products::Product>(tx, tx.tenant, id)?;
                m.insert(
                    "currency".into(),
                    Json::from(current.unit_price.currency.code()),
                );
            }
            products::update(tx, from_map(with_id(price_object(m), id))?).map(drop)
        },
        current: |tx, id| {
            // As the row holds it: the price in minor units, the currency beside it.
            let mut m = to_map(&records::get::<products::Product>(tx, tx.tenant, id)?)?;
            if let Some(Json::Object(price)) = m.remove("unitPrice") {
                m.insert(
                    "unitPrice".into(),
                    price.get("amount").cloned().unwrap_or_default(),
                );
                m.insert(
                    "currency".into(),
                    price.get("currency").cloned().unwrap_or_default(),
                );
            }
            Ok(m)
        },
    },
    Target {
        kind: RecordKind::Team,
        fields: &[
            field(
                "externalId",
                Value::Text,
                &["externalid", "id", "teamid", "key"],
            ),
            field(
                "name",
                Value::Text,
                &[
                    "name",
                    "team",
                    "teamname",
                    "group",
                    "manager",
                    "office",
                    "regionaloffice",
                ],
            )
            .required(),
        ],
        prefixes: &["team"],
        keys: &[DedupeKey::ExternalId],
        create: |tx, m| tenancy::create_team(tx, from_map(m)?).map(|r| r.id.0),
        update: |_, _, _| {
            Err(Error::conflict(
                "a team is not changed by an import: skip duplicates (onDuplicate: skip)",
            ))
        },
        current: |tx, id| to_map(&records::get::<tenancy::Team>(tx, tx.tenant, id)?),
    },
    Target {
        kind: RecordKind::User,
        fields: &[
            field(
                "externalId",
                Value::Text,
                &["externalid", "id", "userid", "employeeid"],
            ),
            field(
                "name",
                Value::Text,
                &[
                    "name",
                    "fullname",
                    "username",
                    "salesagent",
                    "agent",
                    "rep",
                    "salesrep",
                ],
            )
            .required(),
            EMAIL.required(),
            field(
                "role",
                Value::Enum(tenancy::Role::NAMES),
                &["role", "userrole", "access"],
            ),
            field(
                "teamIds",
                Value::Ref(RecordKind::Team),
                &["team", "teamid", "teamname", "group", "manager"],
            )
            .create_only(),
        ],
        prefixes: &["user"],
        keys: &[DedupeKey::ExternalId],
        create: |tx, mut m| {
            // An agent unless the row says otherwise; a team named becomes the user's team.
            m.entry("role").or_insert(Json::from("agent"));
            if let Some(team) = m.remove("teamIds") {
                m.insert("teamIds".into(), Json::Array(vec![team]));
            }
            tenancy::create_user(tx, from_map(m)?).map(|r| r.id.0)
        },
        update: |tx, id, m| tenancy::update_user(tx, from_map(with_id(m, id))?).map(drop),
        current: |tx, id| to_map(&records::get::<tenancy::User>(tx, tx.tenant, id)?),
    },
];

/// A product's price as its requests take it: `{amount, currency}` from a row's minor units
/// and currency (a currency without a price changes nothing).
fn price_object(mut m: Map<String, Json>) -> Map<String, Json> {
    let currency = m.remove("currency");
    if let (Some(amount), Some(currency)) = (m.remove("unitPrice"), currency) {
        m.insert(
            "unitPrice".into(),
            serde_json::json!({"amount": amount, "currency": currency}),
        );
    }
    m
}

fn from_map<T: serde::de::DeserializeOwned>(m: Map<String, Json>) -> Result<T> {
    // The map is built here with values of the right types: a failure is a bug.
    serde_json::from_value(Json::Object(m))
        .map_err(|e| Error::Internal(format!("an imported row did not fit its request: {e}")))
}

fn with_id(mut m: Map<String, Json>, id: i64) -> Map<String, Json> {
    m.insert("id".into(), Json::from(id));
    m
}

fn to_map<T: Serialize>(record: &T) -> Result<Map<String, Json>> {
    match serde_json::to_value(record) {
        Ok(Json::Object(m)) => Ok(m),
        _ => Err(Error::Internal("a record is not a JSON object".into())),
    }
}

/// The kind's import, or `invalid_input` naming the kinds there are.
pub(crate) fn targets(kind: RecordKind) -> Result<&'static Target> {
    TARGETS.iter().find(|t| t.kind == kind).ok_or_else(|| {
        Error::invalid(
            "kind",
            format!(
                "{} cannot be imported; one of {}",
                kind.as_str(),
                TARGETS
                    .iter()
                    .map(|t| t.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// A field an import of a kind can fill, as `import.fields` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportField {
    /// The field's name, as a mapping names it.
    pub field: &'static str,
    /// `text`, `email`, `number`, `time`, `enum`, `tags`, `money`, `currency` or `reference`.
    pub r#type: &'static str,
    /// The values an enumeration field takes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<&'static str>,
    /// The kind a reference names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refers: Option<RecordKind>,
    /// Whether every created record needs it.
    pub required: bool,
    /// Whether only a create sets it (an update leaves it).
    pub create_only: bool,
}

/// The fields an import of `kind` can fill, in order.
pub fn fields(kind: RecordKind) -> Result<Vec<ImportField>> {
    Ok(targets(kind)?
        .fields
        .iter()
        .map(|f| ImportField {
            field: f.name,
            r#type: f.read.name(),
            values: match f.read {
                Value::Enum(names) => names.to_vec(),
                _ => Vec::new(),
            },
            refers: match f.read {
                Value::Ref(kind) => Some(kind),
                _ => None,
            },
            required: f.required,
            create_only: f.create_only,
        })
        .collect())
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A column (by its header name, in any case); dates with `/` read by `dateOrder`.
    Column {
        /// The column, by its header name (any case).
        column: String,
        /// How a date with `/` in it is read; month first when absent.
        date_order: Option<DateOrder>,
    },
    /// The same value on every row.
    Value(String),
    /// Columns and text: `{product} for {account}`.
    Template(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Column(String),
    Spec(Spec),
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Spec {
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_order: Option<DateOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        match RawSource::deserialize(d).map_err(|_| {
            D::Error::custom(
                "expected a column's name, {\"column\", \"dateOrder\"?}, {\"value\"} or {\"template\"}",
            )
        })? {
            RawSource::Column(column) => Ok(Source::Column {
                column,
                date_order: None,
            }),
            RawSource::Spec(Spec {
                column: Some(column),
                date_order,
                value: None,
                template: None,
            }) => Ok(Source::Column { column, date_order }),
            RawSource::Spec(Spec {
                column: None,
                date_order: None,
                value: Some(value),
                template: None,
            }) => Ok(Source::Value(value)),
            RawSource::Spec(Spec {
                column: None,
                date_order: None,
                value: None,
                template: Some(template),
            }) => Ok(Source::Template(template)),
            RawSource::Spec(_) => Err(D::Error::custom(
                "give exactly one of column, value and template (dateOrder goes with a column)",
            )),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let spec = |column, date_order, value, template| Spec {
            column,
            date_order,
            value,
            template,
        };
        match self {
            Source::Column {
                column,
                date_order: None,
            } => s.serialize_str(column),
            Source::Column { column, date_order } => {
                spec(Some(column.clone()), *date_order, None, None).serialize(s)
            }
            Source::Value(v) => spec(None, None, Some(v.clone()), None).serialize(s),
            Source::Template(t) => spec(None, None, None, Some(t.clone())).serialize(s),
        }
    }
}

/// Each field filled and where from: `{"email": "E-mail", "currency": {"value": "USD"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mapping(pub BTreeMap<String, Source>);

impl Mapping {
    /// What the header suggests: each column, in order, fills the first field not yet filled
    /// whose name, label or synonym it is (in any case and spacing, with or without the kind's
    /// name before it: `Ticket Subject`, `E-mail`, `Deal Stage`).
    pub(crate) fn suggest(target: &Target, columns: &[String]) -> Mapping {
        let mut mapping = BTreeMap::new();
        let mut taken = vec![false; columns.len()];
        // A column named exactly as a field (an export's header) first, then synonyms.
        for exact in [true, false] {
            for (i, column) in columns.iter().enumerate() {
                if taken[i] {
                    continue;
                }
                let whole = squash(column);
                let bare = target
                    .prefixes
                    .iter()
                    .find_map(|p| whole.strip_prefix(p).filter(|rest| !rest.is_empty()))
                    .unwrap_or(&whole);
                let found = target.fields.iter().find(|f| {
                    !mapping.contains_key(f.name)
                        && if exact {
                            whole == squash(f.name)
                        } else {
                            [whole.as_str(), bare]
                                .iter()
                                .any(|h| *h == squash(f.name) || f.synonyms.contains(h))
                        }
                });
                if let Some(f) = found {
                    taken[i] = true;
                    mapping.insert(
                        f.name.to_owned(),
                        Source::Column {
                            column: column.clone(),
                            date_order: None,
                        },
                    );
                }
            }
        }
        Mapping(mapping)
    }

    /// Checks that every field the kind requires is filled.
    pub(crate) fn require(&self, target: &Target) -> Result<()> {
        for f in target.fields.iter().filter(|f| f.required) {
            if !self.0.contains_key(f.name) {
                return Err(Error::invalid(
                    format!("mapping.{}", f.name),
                    format!(
                        "{}s need {}: map a column to it, or give {{\"value\": …}}",
                        target.kind.as_str(),
                        f.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks the mapping against the kind and the file's columns (not whether it fills every
    /// required field: [`Mapping::require`] does, so a mapping can be made a field at a time).
    pub(crate) fn bind(&self, target: &'static Target, columns: &[String]) -> Result<Bound> {
        let column = |path: &str, name: &str| {
            columns
                .iter()
                .position(|c| c == name)
                .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
                .ok_or_else(|| {
                    Error::invalid(
                        path,
                        format!(
                            "the file has no column {name:?}; it has {}",
                            quoted(columns)
                        ),
                    )
                })
        };
        for name in self.0.keys() {
            if target.field(name).is_none() {
                return Err(Error::invalid(
                    format!("mapping.{name}"),
                    format!(
                        "{}s have no field {name:?} to import; they have {}",
                        target.kind.as_str(),
                        target
                            .fields
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let mut fields = Vec::new();
        for f in target.fields {
            let Some(source) = self.0.get(f.name) else {
                continue;
            };
            let path = format!("mapping.{}", f.name);
            let bound = match source {
                Source::Column {
                    column: name,
                    date_order,
                } => Bound1::Column(column(&path, name)?, date_order.unwrap_or_default()),
                Source::Value(v) => Bound1::Value(v.clone()),
                Source::Template(t) => Bound1::Template(template(&path, t, &column)?),
            };
            fields.push((f, bound));
        }
        Ok(Bound {
            target,
            columns: columns.to_vec(),
            fields,
        })
    }
}

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Column(usize),
}

fn template(
    path: &str,
    text: &str,
    column: &dyn Fn(&str, &str) -> Result<usize>,
) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        parts.push(Part::Text(rest[..open].to_owned()));
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| Error::invalid(path, "a { is never closed"))?;
        parts.push(Part::Column(column(path, &rest[open + 1..open + close])?));
        rest = &rest[open + close + 1..];
    }
    parts.push(Part::Text(rest.to_owned()));
    Ok(parts)
}

#[derive(Debug, Clone)]
enum Bound1 {
    Column(usize, DateOrder),
    Value(String),
    Template(Vec<Part>),
}

/// A mapping checked against a file: each field with its column's position.
#[derive(Debug)]
pub(crate) struct Bound {
    target: &'static Target,
    pub columns: Vec<String>,
    fields: Vec<(&'static Field, Bound1)>,
}

/// Why one field of a row cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: String,
    pub message: String,
}

impl Bound {
    pub(crate) fn maps(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f.name == field)
    }

    /// The column a field is read from (a template's first).
    pub(crate) fn column_of(&self, field: &str) -> Option<usize> {
        self.fields
            .iter()
            .find(|(f, _)| f.name == field)
            .and_then(|(_, b)| match b {
                Bound1::Column(c, _) => Some(*c),
                Bound1::Template(parts) => parts.iter().find_map(|p| match p {
                    Part::Column(c) => Some(*c),
                    Part::Text(_) => None,
                }),
                Bound1::Value(_) => None,
            })
    }

    pub(crate) fn cell(cells: &[String], column: usize) -> Option<&str> {
        cells.get(column).map(String::as_str)
    }

    /// The row's values as the kind's create request takes them (empty cells left out), and
    /// what cannot be read.
    pub(crate) fn convert(
        &self,
        cells: &[String],
        resolver: &mut Resolver,
        tx: &Tx<'_>,
    ) -> Result<(Map<String, Json>, Vec<Problem>)> {
        let mut out = Map::new();
        let mut problems = Vec::new();
        let mut pipeline: Option<i64> = None;
        // A stage is read in its deal's pipeline, which may be known only after the loop.
        let mut stage: Option<String> = None;
        for (f, source) in &self.fields {
            let (text, order) = match source {
                Bound1::Column(c, order) => (undefuse(&cells[*c]).to_owned(), *order),
                Bound1::Value(v) => (v.clone(), DateOrder::default()),
                Bound1::Template(parts) => (
                    parts
                        .iter()
                        .map(|p| match p {
                            Part::Text(t) => t.as_str(),
                            Part::Column(c) => undefuse(&cells[*c]),
                        })
                        .collect::<String>(),
                    DateOrder::default(),
                ),
            };
            // Multi-line text keeps its lines; everything else is read trimmed.
            let text = if f.name == "description" {
                text
            } else {
                text.trim().to_owned()
            };
            if text.is_empty() {
                if f.required {
                    problems.push(problem(f.name, "required, and the cell is empty"));
                }
                continue;
            }
            let value = match f.read {
                Value::Text | Value::Email => Ok(Json::String(text)),
                Value::Whole => values::whole(&text).map(Json::from),
                Value::Time => values::time(&text, order).map(time_value),
                Value::Enum(names) => values::enumeration(&text, names).map(Json::from),
                Value::Tags => Ok(Json::from(values::tags(&text))),
                Value::Currency => crate::money::Currency::parse(f.name, &text)
                    .map(|c| Json::from(c.code()))
                    .map_err(|e| message_of(&e)),
                Value::Money => money(&out, &text),
                Value::Bool => values::boolean(&text).map(Json::from),
                Value::Ref(RecordKind::Stage) => {
                    let Some(p) = pipeline else {
                        stage = Some(text);
                        continue;
                    };
                    resolver
                        .find(tx, RecordKind::Stage, p, &text)?
                        .map(Json::from)
                }
                Value::Ref(kind) => resolver.find(tx, kind, 0, &text)?.map(Json::from),
            };
            match value {
                Ok(v) => {
                    if f.name == "pipelineId" {
                        pipeline = v.as_i64();
                    }
                    out.insert(f.name.to_owned(), v);
                }
                Err(message) => problems.push(Problem {
                    field: f.name.to_owned(),
                    message,
                }),
            }
        }
        if self.target.kind == RecordKind::Deal {
            Bound::place_deal(tx, resolver, stage, &mut out, &mut problems)?;
        }
        Ok((out, problems))
    }

    /// A deal without a pipeline (none mapped, or its cell empty) goes to the tenant's first;
    /// a stage not read yet is read in the deal's pipeline.
    fn place_deal(
        tx: &Tx<'_>,
        resolver: &mut Resolver,
        stage: Option<String>,
        out: &mut Map<String, Json>,
        problems: &mut Vec<Problem>,
    ) -> Result<()> {
        if problems.iter().any(|p| p.field == "pipelineId") {
            return Ok(());
        }
        if !out.contains_key("pipelineId") {
            let first: Option<i64> = tx
                .prepare_cached("SELECT min(id) FROM pipelines WHERE tenant_id = ?1")?
                .query_row(params![tx.tenant], |r| r.get(0))?;
            let Some(first) = first else {
                problems.push(problem("pipelineId", "the tenant has no pipeline"));
                return Ok(());
            };
            out.insert("pipelineId".into(), Json::from(first));
        }
        let (Some(text), Some(pipeline)) = (stage, out.get("pipelineId").and_then(Json::as_i64))
        else {
            return Ok(());
        };
        match resolver.find(tx, RecordKind::Stage, pipeline, &text)? {
            Ok(id) => {
                out.insert("stageId".into(), Json::from(id));
            }
            Err(message) => problems.push(Problem {
                field: "stageId".into(),
                message,
            }),
        }
        Ok(())
    }
}

fn problem(field: &str, message: &str) -> Problem {
    Problem {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn message_of(e: &Error) -> String {
    match e {
        Error::InvalidInput { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// An amount in major units of the row's currency, as minor units.
fn money(out: &Map<String, Json>, text: &str) -> std::result::Result<Json, String> {
    let code = out
        .get("currency")
        .and_then(Json::as_str)
        .ok_or("needs the row's currency to be read")?;
    let currency = crate::money::Currency::parse("currency", code).map_err(|e| message_of(&e))?;
    let cleaned: String = text
        .trim()
        .trim_start_matches(code)
        .trim_start_matches(['$', '€', '£', '¥'])
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '_' | '\''))
        .collect();
    crate::money::Money::parse("amount", &cleaned, currency)
        .map(|m| Json::from(m.amount))
        .map_err(|e| message_of(&e))
}

/// A cell a spreadsheet would run as a formula (beginning with `=` `+` `-` `@` a tab or a
/// carriage return), with a `'` before it; a cell beginning with `'` gets one more, so that
/// [`undefuse`] gives back exactly what was defused.
pub fn defuse(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// A cell an export defused (`'=1+2`) read back as it was (`=1+2`): a leading `'` before
/// `=` `+` `-` `@` a tab, a carriage return or another `'` is dropped.
pub fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
        _ => cell,
    }
}
