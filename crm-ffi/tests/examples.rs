//! The C and Python examples are built and run against the library this test run built.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/deps`: where this test binary lives, and where cargo put the `libcrm.so`
/// built for this very run (it copies it up to `target/<profile>` only on `cargo build`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().to_path_buf();
    assert!(
        dir.join("libcrm.so").exists(),
        "no libcrm.so in {}",
        dir.display()
    );
    dir
}

/// The library's name inside it (its SONAME), as `readelf -d` reads it.
fn soname(library: &Path) -> String {
    let dynamic = run(Command::new("readelf").arg("-d").arg(library));
    let line = dynamic
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .unwrap_or_else(|| panic!("{} has no SONAME:\n{dynamic}", library.display()));
    line.rsplit('[')
        .next()
        .and_then(|s| s.strip_suffix(']'))
        .unwrap()
        .to_owned()
}

/// A folder where `libcrm.so.1` (the name a program linked with `-lcrm` asks for) is the
/// library of this run, as an installation has it.
fn runtime_dir(target: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = soname(&target.join("libcrm.so"));
    std::os::unix::fs::symlink(target.join("libcrm.so"), dir.path().join(name)).unwrap();
    dir
}

#[test]
fn the_library_is_named_for_its_abi_version() {
    assert_eq!(
        soname(&lib_dir().join("libcrm.so")),
        format!("libcrm.so.{}", crm::CRM_ABI_VERSION)
    );
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn c_example_builds_with_warnings_as_errors_and_sanitizers_and_runs() {
    let target = lib_dir();
    let exe = tempfile::tempdir().unwrap();
    let binary = exe.path().join("demo");
    run(Command::new("cc")
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=address,undefined",
            "-g",
        ])
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("examples/c/demo.c"))
        .arg("-L")
        .arg(&target)
        .args(["-lcrm", "-o"])
        .arg(&binary));
    let db = exe.path().join("c.db");
    let runtime = runtime_dir(&target);
    let out = run(Command::new(&binary)
        .arg(&db)
        .env("LD_LIBRARY_PATH", runtime.path())
        // Rust's runtime keeps a few allocations for the life of the process.
        .env("ASAN_OPTIONS", "detect_leaks=0"));
    assert!(out.ends_with("ok\n"), "{out}");
    assert!(out.contains("Moth in relay 70"));
}

#[test]
fn python_example_runs() {
    let lib = lib_dir().join("libcrm.so");
    let out = run(Command::new("python3")
        .arg(crate_dir().join("examples/python/demo.py"))
        .arg(&lib));
    assert!(out.ends_with("ok\n"), "{out}");
    assert!(out.contains("Zoë Ångström"), "{out}");
    assert!(
        out.contains("call Outbound call, 1:35 · resolved")
            && out.contains("ticket_event Ticket #1 opened · Ça ne marche pas"),
        "{out}"
    );
}
