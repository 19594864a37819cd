//! `schema.fields`: the record catalog as hosts and the client read it — each kind's fields,
//! their types, labels, operators and whether lists sort by them.

use crate::catalog::{Field, FieldType, Operator, RecordKind};
use crate::error::{Error, Result};
use crate::tenancy::Scope;
use serde::{Deserialize, Serialize};

/// The kinds whose fields are described, and where each declares them.
const DESCRIBED: &[(RecordKind, &[Field])] = &[
    (RecordKind::User, crate::tenancy::USER_FIELDS),
    (RecordKind::Team, crate::tenancy::TEAM_FIELDS),
    (RecordKind::Customer, crate::customers::FIELDS),
    (RecordKind::Lead, crate::leads::FIELDS),
    (RecordKind::Pipeline, crate::deals::PIPELINE_FIELDS),
    (RecordKind::Deal, crate::deals::FIELDS),
    (RecordKind::Ticket, crate::tickets::FIELDS),
    (RecordKind::Conversation, crate::conversations::FIELDS),
    (RecordKind::Message, crate::conversations::MESSAGE_FIELDS),
    (RecordKind::Call, crate::calls::FIELDS),
    (RecordKind::Activity, crate::activities::FIELDS),
    (RecordKind::Product, crate::products::FIELDS),
    (RecordKind::Quote, crate::quotes::FIELDS),
    (RecordKind::QuoteTemplate, crate::quotes::templates::FIELDS),
];

/// The fields `kind` declares, or `None` for a kind without a description.
pub fn fields(kind: RecordKind) -> Option<&'static [Field]> {
    DESCRIBED
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, fields)| *fields)
}

/// What `schema.fields` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldsRequest {
    /// The kind whose fields are asked for.
    pub kind: RecordKind,
}

/// One field as `schema.fields` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldInfo {
    /// The field's name, as criteria, sorts and columns name it.
    pub name: &'static str,
    /// The field's type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// A label for people.
    pub label: &'static str,
    /// The operators criteria may use on it.
    pub operators: &'static [Operator],
    /// Whether a list may be sorted by it.
    pub sortable: bool,
    /// The values of an enumeration field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<&'static [&'static str]>,
    /// The options a count condition on it takes (`withinDays`, `status`, …), for `segment`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<&'static str>,
}

impl FieldInfo {
    fn of(f: &Field) -> FieldInfo {
        FieldInfo {
            name: f.name,
            ty: f.ty,
            label: f.label,
            operators: f.ty.operators(),
            sortable: f.sortable,
            values: (f.ty == FieldType::Enum).then_some(f.values),
            options: Vec::new(),
        }
    }
}

/// A kind's fields, as `schema.fields` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindFields {
    /// The kind.
    pub kind: RecordKind,
    /// Its fields, in catalog order.
    pub fields: Vec<FieldInfo>,
}

/// `schema.*`.
#[derive(Debug, Clone, Copy)]
pub struct Schema<'s, 'c>(#[allow(dead_code)] &'s Scope<'c>);

impl<'c> Scope<'c> {
    /// The record catalog.
    pub fn schema(&self) -> Schema<'_, 'c> {
        Schema(self)
    }
}

impl Schema<'_, '_> {
    /// The fields of a kind of record; for `segment`, the fields a segment's criteria may use
    /// (the customer's own and its related records').
    pub fn fields(&self, request: &FieldsRequest) -> Result<KindFields> {
        if request.kind == RecordKind::Segment {
            return Ok(KindFields {
                kind: request.kind,
                fields: crate::segments::fields()
                    .iter()
                    .map(|d| FieldInfo {
                        sortable: d.field.sortable && d.read == crate::criteria::Read::Column,
                        options: d.options.iter().map(|o| o.name()).collect(),
                        ..FieldInfo::of(&d.field)
                    })
                    .collect(),
            });
        }
        let fields = fields(request.kind).ok_or_else(|| {
            let known: Vec<&str> = DESCRIBED.iter().map(|(k, _)| k.as_str()).collect();
            Error::invalid(
                "kind",
                format!(
                    "no fields are described for {}; one of {}, segment",
                    request.kind,
                    known.join(", ")
                ),
            )
        })?;
        Ok(KindFields {
            kind: request.kind,
            fields: fields.iter().map(FieldInfo::of).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_names_a_column_of_its_kinds_table_once() {
        let crm = crate::Crm::open_in_memory().unwrap();
        crm.read(|conn| {
            for (kind, fields) in DESCRIBED {
                let columns = conn.columns(kind.table())?;
                let mut names = std::collections::HashSet::new();
                for field in *fields {
                    assert!(
                        columns.iter().any(|c| c == field.column),
                        "{kind}.{}",
                        field.name
                    );
                    assert!(names.insert(field.name), "{kind}.{} twice", field.name);
                    assert_eq!(
                        field.ty == FieldType::Enum,
                        !field.values.is_empty(),
                        "{kind}.{}",
                        field.name
                    );
                    assert_eq!(
                        field.ty == FieldType::Id,
                        field.refers.is_some(),
                        "{kind}.{}",
                        field.name
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    }

    use crate::records::{Bound, Direction, Listing, Order, Sort};
    use crate::sql::Connection;
    use crate::sql::Value;
    use crate::store::Crm;

    /// The sorts the README calls index-backed: every part of the list, either way, is one
    /// index range (no sort of the rows in a temporary b-tree).
    const INDEX_BACKED: &[(RecordKind, &[&str])] = &[
        (
            RecordKind::Customer,
            &[
                "id",
                "name",
                "churnRisk",
                "lastContactAt",
                "createdAt",
                "updatedAt",
            ],
        ),
        (
            RecordKind::Lead,
            &[
                "id",
                "name",
                "status",
                "score",
                "ownerId",
                "createdAt",
                "updatedAt",
            ],
        ),
        (
            RecordKind::Deal,
            &[
                "id",
                "title",
                "value",
                "ownerId",
                "status",
                "expectedCloseAt",
                "closedAt",
                "createdAt",
                "updatedAt",
            ],
        ),
        (
            RecordKind::Ticket,
            &["id", "status", "priority", "createdAt", "updatedAt"],
        ),
        (
            RecordKind::Quote,
            &["id", "number", "total", "validUntil", "createdAt"],
        ),
        (RecordKind::Product, &["id", "active"]),
    ];

    fn nullable(conn: &Connection, table: &str, column: &str) -> Result<bool> {
        conn.nullable(table, column)
    }

    #[test]
    fn the_index_backed_sorts_are_the_ones_the_readme_names() {
        let crm = Crm::open_in_memory().unwrap();
        let kinds = [
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
        crm.with_writer(|conn| {
            for kind in kinds {
                let fields = fields(kind).unwrap();
                let listing = Listing {
                    columns: "id",
                    from: kind.table(),
                    name: kind.plural(),
                };
                let mut backed = Vec::new();
                for field in fields.iter().filter(|f| f.sortable) {
                    let mut uses_index = true;
                    for direction in [Direction::Asc, Direction::Desc] {
                        let order =
                            Order::read(Some(&Sort::new(field.name, direction)), fields).unwrap();
                        let key = serde_json::Value::from(5);
                        let steps = [
                            (0, Bound::None),
                            (0, Bound::SameKey(key.clone(), 7)),
                            (0, Bound::KeyBeyond(key)),
                            (1, Bound::Id(7)),
                            (1, Bound::None),
                        ];
                        for (part, bound) in steps {
                            if !order.is_sorted() && part == 0 && bound != Bound::None {
                                continue;
                            }
                            for desc in [false, true] {
                                let mut args = vec![Value::Integer(1)];
                                let sql = listing.part_sql(
                                    " WHERE tenant_id = ?1",
                                    &order,
                                    part,
                                    &bound,
                                    desc,
                                    &mut args,
                                );
                                let plan: Vec<String> = conn
                                    .prepare(&format!("EXPLAIN QUERY PLAN {sql} LIMIT 51"))?
                                    .query_map(&args, |r| r.get::<_, String>(3))?
                                    .collect::<Result<_, _>>()?;
                                let plan = plan.join("; ");
                                // A bounded step must start its range in the index, past the
                                // tenant; an unbounded one must only be read in index order.
                                // The rows without a key are found by the key's index
                                // too, unless the column is never NULL (SQLite then
                                // knows the part is empty).
                                let ranged = if part == 1 {
                                    !nullable(conn, kind.table(), field.column)?
                                        || plan.contains(&format!(" {}=?", field.column))
                                        || plan.contains("<expr>=?")
                                } else {
                                    bound == Bound::None
                                        || plan.contains("(tenant_id=? AND ")
                                        || !order.is_sorted()
                                };
                                if plan.contains("TEMP B-TREE") || !ranged {
                                    uses_index = false;
                                }
                            }
                        }
                    }
                    if uses_index {
                        backed.push(field.name);
                    }
                }
                let expected = INDEX_BACKED
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map_or(&["id"][..], |(_, f)| *f);
                assert_eq!(backed, expected, "{kind}");
            }
            Ok(())
        })
        .unwrap();
    }
}
