//! A host's view of the C ABI, shared by the ABI tests: a handle that calls with JSON values.
#![allow(dead_code, unsafe_code)] // each test file uses its own part

use crm::{CRM_OK, CrmHandle, crm_call, crm_close, crm_open, crm_string_free};
use serde_json::{Value, json};
use std::ffi::{CStr, CString, c_char};
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

pub fn setup() -> (Handle, i64) {
    let h = Handle::open(":memory:");
    let created = h.ok(&json!({"method": "tenants.create", "params": {
        "tenantId": "acme", "name": "Acme", "admin": {"name": "Ada", "email": "ada@acme.test"}}}));
    (h, created["admin"]["id"].as_i64().unwrap())
}

pub fn invalid(code: &(String, Option<String>), field: &str) {
    assert_eq!(*code, ("invalid_input".to_owned(), Some(field.to_owned())));
}
