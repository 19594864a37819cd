//! The builder's value input: what a person types for a condition's value (and a count's
//! options after `;`), read and checked against the field's type as they type.

use super::tree::Condition;
use crm_core::catalog::{FieldType, Operator};
use crm_core::schema::FieldInfo;
use serde_json::{Map, Value};

pub(super) fn op_name(op: Operator) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A condition's value as the value input shows it (`3; withinDays: 30`).
pub(super) fn value_text(c: &Condition) -> String {
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut text = match &c.value {
        Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join(", "),
        other => one(other),
    };
    if !c.options.is_empty() {
        let options: Vec<String> = c
            .options
            .iter()
            .map(|(k, v)| format!("{k}: {}", one(v)))
            .collect();
        text.push_str("; ");
        text.push_str(&options.join(", "));
    }
    text
}

/// Reads the value input for `field` and `op` into a condition, or says what is wrong. Lists
/// (`in`, `notIn`) and ranges (`between`) are comma-separated; a count's options follow a `;`.
pub(super) fn condition(field: &FieldInfo, op: Operator, input: &str) -> Result<Condition, String> {
    let (value_part, options_part) = match input.split_once(';') {
        Some((v, o)) => (v, Some(o)),
        None => (input, None),
    };
    let parts: Vec<&str> = value_part.split(',').map(str::trim).collect();
    let value = match op {
        Operator::In | Operator::NotIn => Value::Array(
            parts
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| scalar(field, p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Operator::Between => match parts.as_slice() {
            [a, b] => Value::Array(vec![scalar(field, a)?, scalar(field, b)?]),
            _ => return Err("two values: low, high".into()),
        },
        Operator::LastNDays => Value::from(days(value_part.trim())?),
        _ => scalar(field, value_part.trim())?,
    };
    if matches!(&value, Value::Array(items) if items.is_empty()) {
        return Err("at least one value".into());
    }
    let mut options = Map::new();
    if let Some(text) = options_part {
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, v) = pair
                .split_once(':')
                .ok_or_else(|| format!("an option is `name: value`, got {pair:?}"))?;
            let name = name.trim();
            if !field.options.contains(&name) {
                return Err(if field.options.is_empty() {
                    format!("{} takes no options", field.name)
                } else {
                    format!("{name:?} is not an option; {}", field.options.join(", "))
                });
            }
            let v = v.trim();
            options.insert(
                name.to_owned(),
                if name == "status" {
                    Value::String(v.to_owned())
                } else {
                    Value::from(days(v)?)
                },
            );
        }
    }
    Ok(Condition {
        field: field.name.to_owned(),
        op: op_name(op),
        value,
        options,
    })
}

fn days(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("a whole number of 1 or more, got {text:?}")),
    }
}

/// One value of `field`'s type.
fn scalar(field: &FieldInfo, text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Err("a value".into());
    }
    match field.ty {
        FieldType::Number | FieldType::Money | FieldType::Id => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("a whole number, got {text:?}")),
        FieldType::Bool => match text {
            "true" | "yes" => Ok(Value::Bool(true)),
            "false" | "no" => Ok(Value::Bool(false)),
            _ => Err("true or false".into()),
        },
        FieldType::Time => chrono::DateTime::parse_from_rfc3339(text)
            .map(|_| Value::String(text.to_owned()))
            .map_err(|_| "a time such as 2026-01-31T00:00:00Z".into()),
        FieldType::Enum => {
            let values = field.values.unwrap_or(&[]);
            values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(text))
                .map(|v| Value::String((*v).to_owned()))
                .ok_or_else(|| format!("one of: {}", values.join(", ")))
        }
        FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Tags => {
            Ok(Value::String(text.to_owned()))
        }
    }
}
