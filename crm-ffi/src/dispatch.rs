//! Turns a JSON request into a crm-core call and its result into a JSON response.
//!
//! The request and response shapes are those of `API.md`; the parameter types are crm-core's
//! own (serde, camelCase), so the Rust and JSON APIs cannot drift apart.

mod analytics;
mod audit;
mod files;
mod links;
mod quotes;
mod records;
mod search;
mod segments;
mod system;
mod tenancy;
mod timeline;
mod trash;
mod views;

use crm_core::error::{clip, clip_quotes};
use crm_core::ids::UserId;
use crm_core::{Crm, Error, Scope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A failed request: an error code, a message and, for `invalid_input`, the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// A `not_found` record merged into another: that one's id.
    pub merged_into: Option<i64>,
}

impl Failure {
    // Messages quote at most a little of a bad value (`clip_quotes`), so a huge one gives a
    // short error.
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: clip_quotes(&message.into()),
            field: None,
            merged_into: None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = clip(&field.into()).into_owned();
        let message = clip_quotes(&message.into());
        Failure {
            code: "invalid_input",
            message: format!("{field}: {message}"),
            field: Some(field),
            merged_into: None,
        }
    }

    /// The response object for this failure.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            error["field"] = Value::String(field.clone());
        }
        if let Some(into) = self.merged_into {
            error["mergedInto"] = Value::from(into);
        }
        json!({"ok": false, "error": error})
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            code: e.code(),
            message: clip_quotes(&e.to_string()),
            field: e.field().map(|f| clip(f).into_owned()),
            merged_into: e.merged_into(),
        }
    }
}

/// Runs one request (JSON text) against `crm` and returns the response (JSON text).
pub fn handle(crm: &Crm, request: &str) -> String {
    let response = match run(crm, request) {
        Ok(result) => json!({"ok": true, "result": result}),
        Err(failure) => failure.to_json(),
    };
    response.to_string()
}

/// The fields of a request envelope.
struct Request {
    method: String,
    tenant_id: Option<String>,
    actor_id: Option<UserId>,
    params: Value,
}

fn parse(request: &str) -> Result<Request, Failure> {
    let value: Value = serde_json::from_str(request).map_err(|e| {
        Failure::new(
            "invalid_request",
            format!("the request is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err(Failure::new(
            "invalid_request",
            "the request must be a JSON object",
        ));
    };
    let method = match object.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return Err(Failure::new("invalid_request", "method must be a string")),
        None => return Err(Failure::new("invalid_request", "method is required")),
    };
    let tenant_id = match object.remove("tenantId") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t),
        Some(_) => return Err(Failure::invalid("tenantId", "must be a string")),
    };
    let actor_id = match object.remove("actorId") {
        None | Some(Value::Null) => None,
        Some(v) => {
            Some(UserId(v.as_i64().ok_or_else(|| {
                Failure::invalid("actorId", "must be an integer")
            })?))
        }
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(Failure::invalid("params", "must be an object")),
    };
    if let Some(unknown) = object.keys().next() {
        return Err(Failure::new(
            "invalid_request",
            format!("unknown request field {unknown:?}"),
        ));
    }
    Ok(Request {
        method,
        tenant_id,
        actor_id,
        params,
    })
}

/// Deserializes `params` into `T`; a mismatch names the JSON path at fault.
pub(crate) fn params<T: DeserializeOwned>(params: Value) -> Result<T, Failure> {
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // A missing field is reported against the enclosing object; name the field itself.
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (missing, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), _) => format!("{path}.{name}"),
            (None, ".") => "params".to_owned(),
            (None, _) => path,
        };
        let message = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        Failure::invalid(field, message)
    })
}

pub(crate) fn ok<T: Serialize>(value: T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|e| Failure::new("internal", format!("cannot serialize the result: {e}")))
}

/// `{"id": n}` or `{"externalId": s}`: the record by either key.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Get {
    id: Option<i64>,
    external_id: Option<String>,
}

/// Answers a `get` by `{id}` or `{externalId}`: the key is read first (a bad one is
/// `invalid_input` whatever else is wrong), then `by_id` or `by_external` looks the record up.
pub(crate) fn by_key<T: Serialize>(
    p: Value,
    by_id: impl FnOnce(i64) -> Result<T, Failure>,
    by_external: impl FnOnce(&str) -> Result<T, Failure>,
) -> Result<Value, Failure> {
    match params::<Get>(p)? {
        Get {
            id: Some(id),
            external_id: None,
        } => ok(by_id(id)?),
        Get {
            id: None,
            external_id: Some(e),
        } => ok(by_external(&e)?),
        _ => Err(Failure::invalid(
            "id",
            "give exactly one of id and externalId",
        )),
    }
}

/// `{id}` or `{externalId}` of the `$accessor()` records of the call's scope, `$id` the typed
/// id: the key is read before the scope is resolved, as `by_key` does.
macro_rules! get_by_key {
    ($c:ident, $p:ident, $accessor:ident, $id:ident) => {
        $crate::dispatch::by_key(
            $p,
            |id| Ok($c.scope()?.$accessor().get($id(id))?),
            |e| Ok($c.scope()?.$accessor().get_by_external_id(e)?),
        )
    };
}
pub(crate) use get_by_key;

/// A request on its way to its handler: the database, and the tenant and actor it names.
pub(crate) struct Call<'c> {
    crm: &'c Crm,
    tenant: Option<String>,
    actor: Option<UserId>,
}

impl<'c> Call<'c> {
    /// The database, for host-level methods (`system.*`, `tenants.*`).
    pub(crate) fn crm(&self) -> &'c Crm {
        self.crm
    }

    /// The request's tenant and actor; resolved by the handler, so that a misspelt method is
    /// `unknown_method` whatever else the request holds.
    pub(crate) fn scope(&self) -> Result<Scope<'c>, Failure> {
        let tenant = self
            .tenant
            .as_deref()
            .ok_or_else(|| Failure::invalid("tenantId", "required"))?;
        Ok(self.crm.scope(tenant, self.actor)?)
    }
}

/// Runs one method: the call and its `params`.
pub(crate) type Handler = fn(&Call<'_>, Value) -> Result<Value, Failure>;

/// Each capability's table of method name → handler.
const TABLES: &[&[(&str, Handler)]] = &[
    system::METHODS,
    tenancy::METHODS,
    records::METHODS,
    records::SCHEMA,
    records::CHANGES,
    audit::METHODS,
    links::METHODS,
    timeline::METHODS,
    search::METHODS,
    segments::METHODS,
    analytics::METHODS,
    quotes::METHODS,
    views::METHODS,
    files::METHODS,
    trash::METHODS,
];

/// Every method, by name.
static METHODS: LazyLock<HashMap<&'static str, Handler>> = LazyLock::new(|| {
    TABLES
        .iter()
        .flat_map(|table| table.iter())
        .map(|(name, handler)| (*name, *handler))
        .collect()
});

/// The name of every method the C ABI answers.
pub fn methods() -> impl Iterator<Item = &'static str> {
    METHODS.keys().copied()
}

fn run(crm: &Crm, request: &str) -> Result<Value, Failure> {
    let request = parse(request)?;
    let Some(handler) = METHODS.get(request.method.as_str()) else {
        return Err(Failure::new(
            "unknown_method",
            format!("unknown method {:?}", request.method),
        ));
    };
    let call = Call {
        crm,
        tenant: request.tenant_id,
        actor: request.actor_id,
    };
    handler(&call, request.params)
}

#[cfg(test)]
mod tests {
    #[test]
    fn method_names_are_unique_across_capabilities() {
        let total: usize = super::TABLES.iter().map(|t| t.len()).sum();
        assert_eq!(super::methods().count(), total);
    }

    #[test]
    fn every_method_of_the_contract_is_answered_and_nothing_else() {
        let mut answered: Vec<&str> = super::methods().collect();
        answered.sort_unstable();
        assert_eq!(answered, crm_core::methods::ALL);
    }
}
