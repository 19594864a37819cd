//! The C ABI of the crm engine: open a handle, send JSON requests, free the returned strings.
//!
//! Every entry point checks its pointers, runs inside a panic boundary and answers bad input
//! with an error response; nothing unwinds into the caller. The request contract is `API.md`.
#![allow(unsafe_code)] // The C boundary is the one place crm needs it.

pub mod dispatch;

use crm_core::Crm;
use crm_core::store::OpenOptions;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The crate version, as `crm_version` returns it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The version of this C ABI, which `crm_abi_version` returns at run time and the shared
/// library's name carries (`libcrm.so.1`). It goes up when a function's signature or meaning
/// changes in a way a host built against the old header would misuse; new functions and new
/// request methods keep it. A host compares `crm_abi_version()` with `CRM_ABI_VERSION` from
/// the header it was built with.
pub const CRM_ABI_VERSION: u32 = 1;

/// An open crm database. Opaque to C; share it between threads freely.
#[derive(Debug)]
pub struct CrmHandle {
    crm: Crm,
}

/// `crm_open` succeeded.
pub const CRM_OK: i32 = 0;
/// `crm_open` was given a NULL or non-UTF-8 path, or bad options.
pub const CRM_ERR_INVALID: i32 = 1;
/// `crm_open` could not open, create or migrate the database.
pub const CRM_ERR_STORAGE: i32 = 2;
/// `crm_open` hit a bug (a caught panic).
pub const CRM_ERR_INTERNAL: i32 = 3;

fn into_c_string(s: String) -> *mut c_char {
    // serde_json escapes NUL, so a response never holds one; be safe anyway.
    CString::new(s).unwrap_or_else(|_| c"{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"response held a NUL byte\"}}".to_owned()).into_raw()
}

fn error_json(code: &str, message: &str) -> String {
    serde_json::json!({"ok": false, "error": {"code": code, "message": message}}).to_string()
}

/// Reads a NUL-terminated UTF-8 string, or says what is wrong with it.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string valid for reads.
unsafe fn read_str<'a>(s: *const c_char, what: &str) -> Result<&'a str, String> {
    if s.is_null() {
        return Err(format!("{what} is NULL"));
    }
    // SAFETY: the caller guarantees a NUL-terminated string.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| format!("{what} is not valid UTF-8"))
}

/// The options of `crm_open` (`{"poolSize": n}`), or the JSON error response saying what is
/// wrong with them.
fn open_options(text: &str) -> Result<OpenOptions, String> {
    let Ok(serde_json::Value::Object(given)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Err(error_json(
            "invalid_request",
            "options_json must be a JSON object",
        ));
    };
    let mut options = OpenOptions::default();
    for (key, value) in given {
        match key.as_str() {
            "poolSize" => {
                options.pool_size = value
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| invalid(&key, format!("must be a whole number, got {value}")))?;
            }
            _ => return Err(invalid(&key, "unknown option".to_owned())),
        }
    }
    Ok(options)
}

/// An `invalid_input` error response naming `field`.
fn invalid(field: &str, message: String) -> String {
    dispatch::Failure::from(crm_core::Error::InvalidInput {
        field: field.to_owned(),
        message,
    })
    .to_json()
    .to_string()
}

/// Opens (creating and migrating if needed) the database at `path`; `":memory:"` opens a private
/// in-memory database, and a `postgresql://user@host/db` URL a PostgreSQL database (its schema
/// as `search_path` names it; a password in the URL never appears in an error). `options_json`
/// may be NULL or a JSON object: `{"poolSize": n}` caps the connections the handle uses at
/// once besides its writer (1 to 1,000; 8 when absent).
///
/// On success stores a new handle in `*out` and returns `CRM_OK`. On failure returns
/// `CRM_ERR_*`, leaves `*out` untouched and, if `error_out` is not NULL, stores a JSON error
/// response in `*error_out`, which the caller frees with `crm_string_free`.
///
/// # Safety
/// `path` and `options_json` are NULL or NUL-terminated strings; `out` and `error_out` are NULL
/// or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_open(
    path: *const c_char,
    options_json: *const c_char,
    out: *mut *mut CrmHandle,
    error_out: *mut *mut c_char,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(
        || -> Result<Box<CrmHandle>, (i32, String)> {
            if out.is_null() {
                return Err((
                    CRM_ERR_INVALID,
                    error_json("invalid_request", "out is NULL"),
                ));
            }
            // SAFETY: forwarded from the caller.
            let path = unsafe { read_str(path, "path") }
                .map_err(|m| (CRM_ERR_INVALID, error_json("invalid_request", &m)))?;
            let mut options = OpenOptions::default();
            if !options_json.is_null() {
                // SAFETY: forwarded from the caller.
                let text = unsafe { read_str(options_json, "options_json") }
                    .map_err(|m| (CRM_ERR_INVALID, error_json("invalid_request", &m)))?;
                options = open_options(text).map_err(|e| (CRM_ERR_INVALID, e))?;
            }
            let crm = if path == ":memory:" {
                options.check().and_then(|()| Crm::open_in_memory())
            } else {
                Crm::open_with(path, options)
            };
            crm.map(|crm| Box::new(CrmHandle { crm })).map_err(|e| {
                // A URL that does not parse is the caller's to fix, like a bad option.
                let code = if e.code() == "invalid_input" {
                    CRM_ERR_INVALID
                } else {
                    CRM_ERR_STORAGE
                };
                (code, dispatch::Failure::from(e).to_json().to_string())
            })
        },
    ));
    let (code, error) = match result {
        Ok(Ok(handle)) => {
            // SAFETY: checked non-NULL above; the caller guarantees it is writable.
            unsafe { *out = Box::into_raw(handle) };
            return CRM_OK;
        }
        Ok(Err(failure)) => failure,
        Err(_) => (
            CRM_ERR_INTERNAL,
            error_json("internal", "crm_open panicked"),
        ),
    };
    if !error_out.is_null() {
        // SAFETY: the caller guarantees `error_out` is writable when not NULL.
        unsafe { *error_out = into_c_string(error) };
    }
    code
}

/// Runs one request (a JSON object, UTF-8, NUL-terminated) and returns the response: always a
/// JSON string, never NULL, owned by the caller, who frees it with `crm_string_free`. Safe to
/// call from several threads at once on the same handle.
///
/// # Safety
/// `handle` is NULL or a handle from `crm_open` not yet closed; `request_json` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_call(
    handle: *mut CrmHandle,
    request_json: *const c_char,
) -> *mut c_char {
    let response = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `handle` is NULL or live.
        let Some(handle) = (unsafe { handle.as_ref() }) else {
            return error_json("invalid_request", "handle is NULL");
        };
        // SAFETY: forwarded from the caller.
        match unsafe { read_str(request_json, "request_json") } {
            Ok(request) => dispatch::handle(&handle.crm, request),
            Err(message) => error_json("invalid_request", &message),
        }
    }))
    .unwrap_or_else(|_| error_json("internal", "the request panicked; nothing was changed"));
    into_c_string(response)
}

/// Frees a string returned by `crm_call` or `crm_open`. NULL is allowed.
///
/// # Safety
/// `s` is NULL or a string from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller guarantees `s` came from `CString::into_raw` here.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Closes a handle. NULL is allowed. No call may use the handle afterwards.
///
/// # Safety
/// `handle` is NULL or a handle from `crm_open` not yet closed, with no call running on it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_close(handle: *mut CrmHandle) {
    if !handle.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller guarantees `handle` came from `crm_open` and is not in use.
            drop(unsafe { Box::from_raw(handle) });
        }));
    }
}

/// The version of the C ABI the library speaks (`CRM_ABI_VERSION` of its header).
#[unsafe(no_mangle)]
pub extern "C" fn crm_abi_version() -> u32 {
    CRM_ABI_VERSION
}

/// The library version: a static NUL-terminated string; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn crm_version() -> *const c_char {
    const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    V.as_ptr().cast()
}
