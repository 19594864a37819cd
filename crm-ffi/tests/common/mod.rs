//! A host's view of the C ABI, shared by the ABI tests: a handle that calls with JSON values.
#![allow(dead_code, unsafe_code)] // each test file uses its own part
#![allow(clippy::many_single_char_names)] // records named by their initial (c, l, d, t)

use crm::{CRM_OK, CrmHandle, crm_call, crm_close, crm_open, crm_string_free};
use serde_json::{Value, json};
use std::ffi::{CStr, CString, c_char};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::ptr;

pub struct Handle(pub *mut CrmHandle);

// The handle is documented as safe to share between threads.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Handle {
    pub fn open(path: &str) -> Handle {
        let path = CString::new(path).unwrap();
        let mut out = ptr::null_mut();
        let code = unsafe { crm_open(path.as_ptr(), ptr::null(), &raw mut out, ptr::null_mut()) };
        assert_eq!(code, CRM_OK);
        Handle(out)
    }

    pub fn raw(&self, request: &[u8]) -> Value {
        let request = CString::new(request).unwrap();
        unsafe { take(crm_call(self.0, request.as_ptr())) }
    }

    pub fn call(&self, request: &Value) -> Value {
        self.raw(request.to_string().as_bytes())
    }

    /// Calls and expects success; returns the result.
    pub fn ok(&self, request: &Value) -> Value {
        let response = self.call(request);
        assert_eq!(response["ok"], true, "{request} -> {response}");
        response["result"].clone()
    }

    /// Calls and expects failure; returns (code, field).
    pub fn err(&self, request: &Value) -> (String, Option<String>) {
        let response = self.call(request);
        assert_eq!(response["ok"], false, "{request} -> {response}");
        let e = &response["error"];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        (
            e["code"].as_str().unwrap().to_owned(),
            e["field"].as_str().map(str::to_owned),
        )
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { crm_close(self.0) };
    }
}

pub unsafe fn take(s: *mut c_char) -> Value {
    assert!(!s.is_null(), "crm_call returned NULL");
    let text = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    unsafe { crm_string_free(s) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"))
}

pub fn req(method: &str, tenant: &str, actor: i64, params: Value) -> Value {
    let mut request = json!({"method": method, "tenantId": tenant, "actorId": actor});
    request["params"] = params;
    request
}

/// A new database's path for `crm_open`: `:memory:`, or — when `CRM_TEST_BACKEND=postgres` —
/// the URL of a new schema on the server `CRM_TEST_POSTGRES` names, so that the same checks
/// run through the C ABI against either backend.
pub fn target() -> String {
    if std::env::var("CRM_TEST_BACKEND").as_deref() != Ok("postgres") {
        return ":memory:".into();
    }
    let url = std::env::var("CRM_TEST_POSTGRES")
        .expect("CRM_TEST_BACKEND=postgres needs CRM_TEST_POSTGRES, a server's URL");
    crm_core::store::fresh_schema(&url, "abi").expect("the test server accepts connections")
}

pub fn setup() -> (Handle, i64) {
    let h = Handle::open(&target());
    let created = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}));
    (h, created["admin"]["id"].as_i64().unwrap())
}

pub fn invalid(code: &(String, Option<String>), field: &str) {
    assert_eq!(*code, ("invalid_input".to_owned(), Some(field.to_owned())));
}

/// A database holding one of every record, in a file (so a second connection can look at it).
pub struct World {
    pub _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub h: Handle,
    pub admin: i64,
    pub ids: serde_json::Map<String, Value>,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let h = Handle::open(path.to_str().unwrap());
        let admin = h.ok(&json!({"method": "tenants.create", "params": {
            "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}))
            ["admin"]["id"]
            .as_i64()
            .unwrap();
        h.ok(&json!({"method": "tenants.create", "params": {
            "tenantId": "other", "name": "Other", "admin": {"name": "Oz", "email": "oz@other.test"}}}));
        let mut w = World {
            _dir: dir,
            path,
            h,
            admin,
            ids: serde_json::Map::new(),
        };
        let c = w.id(
            "customers.create",
            json!({"name": "Cy", "email": "cy@x.test", "tags": ["vip"]}),
        );
        w.ids.insert("customerId".into(), c.into());
        let l = w.id("leads.create", json!({"name": "Lee", "customerId": c}));
        w.ids.insert("leadId".into(), l.into());
        let p = w.ok(
            "pipelines.create",
            json!({"name": "Sales", "stages": [
                {"name": "New", "probability": 10, "kind": "open"},
                {"name": "Won", "probability": 100, "kind": "won"}]}),
        );
        w.ids.insert("pipelineId".into(), p["id"].clone());
        w.ids
            .insert("openStageId".into(), p["stages"][0]["id"].clone());
        w.ids.insert("stageId".into(), p["stages"][1]["id"].clone());
        let d = w.id(
            "deals.create",
            json!({"pipelineId": p["id"], "title": "Big", "value": 100, "currency": "USD", "customerId": c}),
        );
        w.ids.insert("dealId".into(), d.into());
        let t = w.id(
            "tickets.create",
            json!({"subject": "Broken", "channel": "email", "customerId": c}),
        );
        w.ids.insert("ticketId".into(), t.into());
        let conv = w.id(
            "conversations.create",
            json!({"customerId": c, "channel": "chat"}),
        );
        w.ids.insert("conversationId".into(), conv.into());
        w.ok(
            "messages.create",
            json!({"conversationId": conv, "direction": "inbound", "body": "hi"}),
        );
        w.ok(
            "calls.create",
            json!({"customerId": c, "durationSeconds": 30}),
        );
        w.ok(
            "activities.create",
            json!({"entityType": "lead", "entityId": l, "kind": "note"}),
        );
        w
    }

    pub fn ok(&self, method: &str, params: Value) -> Value {
        self.h.ok(&req(method, "acme", self.admin, params))
    }

    pub fn id(&self, method: &str, params: Value) -> i64 {
        self.ok(method, params)["id"].as_i64().unwrap()
    }

    pub fn get(&self, name: &str) -> Value {
        self.ids[name].clone()
    }

    /// A digest of every row of every table, read through a connection of its own.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.path)
    }
}

pub fn fingerprint(path: &Path) -> u64 {
    let conn = crm_core::store::raw_connection(path).unwrap();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in tables {
        table.hash(&mut hasher);
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                format!("{:?}", row.get_ref(i).unwrap()).hash(&mut hasher);
            }
        }
    }
    hasher.finish()
}
