//! The shared library's name inside it (its SONAME) carries the C ABI's version, as installed
//! libraries' do: a program linked with `-lcrm` then asks for `libcrm.so.1`, and a library of
//! another ABI version installed beside it is never picked up by mistake.

/// `CRM_ABI_VERSION` in src/lib.rs (a test checks they agree).
const ABI_VERSION: u32 = 1;

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcrm.so.{ABI_VERSION}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
