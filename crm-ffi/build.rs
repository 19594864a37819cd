//! The shared library's name inside it (its SONAME) carries the C ABI's version, as installed
//! libraries' do: a program linked with `-lcrm` then asks for `libcrm.so.1`, and a library of
//! another ABI version installed beside it is never picked up by mistake.

/// `CRM_ABI_VERSION` as src/lib.rs declares it (cbindgen needs it written there as a literal):
/// read from the one place, as the Makefile does.
fn abi_version() -> u32 {
    let lib = std::fs::read_to_string("src/lib.rs").expect("crm-ffi's src/lib.rs");
    lib.lines()
        .find_map(|l| l.strip_prefix("pub const CRM_ABI_VERSION: u32 = "))
        .and_then(|v| v.strip_suffix(';'))
        .and_then(|v| v.parse().ok())
        .expect("src/lib.rs declares `pub const CRM_ABI_VERSION: u32 = N;`")
}

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let abi = abi_version();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcrm.so.{abi}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/lib.rs");
}
