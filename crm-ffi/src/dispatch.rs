//! Turns a JSON request into a crm-core call and its result into a JSON response.
//!
//! The request and response shapes are those of `API.md`; the parameter types are crm-core's
//! own (serde, camelCase), so the Rust and JSON APIs cannot drift apart.

use crm_core::ids::{ConversationId, CustomerId, DealId, LeadId, PipelineId, TicketId, UserId};
use crm_core::{Crm, Error, PageRequest, Scope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A failed request: an error code, a message and, for `invalid_input`, the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            field: None,
        }
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Failure {
            code: "invalid_input",
            message: format!("{field}: {message}"),
            field: Some(field),
        }
    }

    /// The response object for this failure.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            error["field"] = Value::String(field.clone());
        }
        json!({"ok": false, "error": error})
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            code: e.code(),
            message: e.to_string(),
            field: e.field().map(str::to_owned),
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
fn params<T: DeserializeOwned>(params: Value) -> Result<T, Failure> {
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

fn ok<T: Serialize>(value: T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|e| Failure::new("internal", format!("cannot serialize the result: {e}")))
}

/// `{"id": n}` or `{"externalId": s}`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Get {
    id: Option<i64>,
    external_id: Option<String>,
}

enum Key {
    Id(i64),
    External(String),
}

fn key(value: Value) -> Result<Key, Failure> {
    match params::<Get>(value)? {
        Get {
            id: Some(id),
            external_id: None,
        } => Ok(Key::Id(id)),
        Get {
            id: None,
            external_id: Some(e),
        } => Ok(Key::External(e)),
        _ => Err(Failure::invalid(
            "id",
            "give exactly one of id and externalId",
        )),
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DealRef {
    deal_id: DealId,
}

fn run(crm: &Crm, request: &str) -> Result<Value, Failure> {
    let request = parse(request)?;
    let p = request.params;
    match request.method.as_str() {
        "system.version" => return ok(json!({"version": crate::VERSION})),
        "tenants.create" => return ok(crm.create_tenant(params(p)?)?),
        "tenants.list" => {
            params::<Map<String, Value>>(p.clone())?
                .keys()
                .next()
                .map_or(Ok(()), |k| {
                    Err(Failure::invalid(
                        k.clone(),
                        "tenants.list takes no parameters",
                    ))
                })?;
            return ok(json!({"items": crm.list_tenants()?}));
        }
        _ => {}
    }
    let (tenant, actor) = (request.tenant_id, request.actor_id);
    // The scope is resolved only for a known method, so a misspelt method is `unknown_method`
    // whatever else the request holds.
    let scope = || -> Result<Scope<'_>, Failure> {
        let tenant = tenant
            .as_deref()
            .ok_or_else(|| Failure::invalid("tenantId", "required"))?;
        Ok(crm.scope(tenant, actor)?)
    };
    scoped(scope, &request.method, p)
}

fn scoped<'c>(
    s: impl Fn() -> Result<Scope<'c>, Failure>,
    method: &str,
    p: Value,
) -> Result<Value, Failure> {
    match method {
        "users.create" => ok(s()?.users().create(params(p)?)?),
        "users.get" => match key(p)? {
            Key::Id(id) => ok(s()?.users().get(UserId(id))?),
            Key::External(e) => ok(s()?.users().get_by_external_id(&e)?),
        },
        "users.list" => ok(s()?.users().list(&params(p)?)?),
        "users.update" => ok(s()?.users().update(params(p)?)?),
        "teams.create" => ok(s()?.teams().create(params(p)?)?),
        "teams.list" => ok(s()?.teams().list(&params::<PageRequest>(p)?)?),
        "teams.addMember" => ok(s()?.teams().add_member(&params(p)?)?),
        "customers.create" => ok(s()?.customers().create(params(p)?)?),
        "customers.get" => match key(p)? {
            Key::Id(id) => ok(s()?.customers().get(CustomerId(id))?),
            Key::External(e) => ok(s()?.customers().get_by_external_id(&e)?),
        },
        "customers.update" => ok(s()?.customers().update(params(p)?)?),
        "customers.list" => ok(s()?.customers().list(&params(p)?)?),
        "leads.create" => ok(s()?.leads().create(params(p)?)?),
        "leads.get" => match key(p)? {
            Key::Id(id) => ok(s()?.leads().get(LeadId(id))?),
            Key::External(e) => ok(s()?.leads().get_by_external_id(&e)?),
        },
        "leads.update" => ok(s()?.leads().update(params(p)?)?),
        "leads.list" => ok(s()?.leads().list(&params(p)?)?),
        "pipelines.create" => ok(s()?.pipelines().create(params(p)?)?),
        "pipelines.get" => match key(p)? {
            Key::Id(id) => ok(s()?.pipelines().get(PipelineId(id))?),
            Key::External(e) => ok(s()?.pipelines().get_by_external_id(&e)?),
        },
        "pipelines.list" => ok(s()?.pipelines().list(&params::<PageRequest>(p)?)?),
        "deals.create" => ok(s()?.deals().create(params(p)?)?),
        "deals.get" => match key(p)? {
            Key::Id(id) => ok(s()?.deals().get(DealId(id))?),
            Key::External(e) => ok(s()?.deals().get_by_external_id(&e)?),
        },
        "deals.update" => ok(s()?.deals().update(params(p)?)?),
        "deals.list" => ok(s()?.deals().list(&params(p)?)?),
        "deals.moveStage" => ok(s()?.deals().move_stage(params(p)?)?),
        "deals.stageHistory" => {
            ok(json!({"items": s()?.deals().stage_history(params::<DealRef>(p)?.deal_id)?}))
        }
        "tickets.create" => ok(s()?.tickets().create(params(p)?)?),
        "tickets.get" => match key(p)? {
            Key::Id(id) => ok(s()?.tickets().get(TicketId(id))?),
            Key::External(e) => ok(s()?.tickets().get_by_external_id(&e)?),
        },
        "tickets.update" => ok(s()?.tickets().update(params(p)?)?),
        "tickets.list" => ok(s()?.tickets().list(&params(p)?)?),
        "tickets.addEvent" => ok(s()?.tickets().add_event(params(p)?)?),
        "tickets.listEvents" => ok(s()?.tickets().list_events(&params(p)?)?),
        "conversations.create" => ok(s()?.conversations().create(params(p)?)?),
        "conversations.get" => match key(p)? {
            Key::Id(id) => ok(s()?.conversations().get(ConversationId(id))?),
            Key::External(e) => ok(s()?.conversations().get_by_external_id(&e)?),
        },
        "conversations.list" => ok(s()?.conversations().list(&params(p)?)?),
        "messages.create" => ok(s()?.messages().create(params(p)?)?),
        "messages.list" => ok(s()?.messages().list(&params(p)?)?),
        "calls.create" => ok(s()?.calls().create(params(p)?)?),
        "calls.list" => ok(s()?.calls().list(&params(p)?)?),
        "activities.create" => ok(s()?.activities().create(params(p)?)?),
        "activities.list" => ok(s()?.activities().list(&params(p)?)?),
        "audit.list" => ok(s()?.audit().list(&params(p)?)?),
        "links.linkTicketToLead" => ok(s()?.links().link_ticket_to_lead(params(p)?)?),
        "links.unlinkTicketFromLead" => ok(s()?.links().unlink_ticket_from_lead(params(p)?)?),
        "links.linkTicketToDeal" => ok(s()?.links().link_ticket_to_deal(params(p)?)?),
        "links.unlinkTicketFromDeal" => ok(s()?.links().unlink_ticket_from_deal(params(p)?)?),
        "links.getTicketLinks" => ok(s()?.links().ticket_links(params(p)?)?),
        "links.getLeadTickets" => ok(s()?.links().lead_tickets(&params(p)?)?),
        "links.getDealTickets" => ok(s()?.links().deal_tickets(&params(p)?)?),
        "links.autoLink" => ok(s()?.links().auto_link(&params(p)?)?),
        "timeline.get" => ok(s()?.timeline().get(&params(p)?)?),
        "search.query" => ok(s()?.search().query(&params(p)?)?),
        "search.rebuild" => ok(json!({"indexed": s()?.search().rebuild()?})),
        other => Err(Failure::new(
            "unknown_method",
            format!("unknown method {other:?}"),
        )),
    }
}
