//! The layers of crm-tui, checked: each part imports only parts below it, so no two parts
//! import each other (ARCHITECTURE.md, "A key press through the client", explains them). The
//! batch subcommands (`cli`) sit on top and reach the client only through `client::app` (to
//! run it) and `client::format`; nothing in the client imports them. Test code is left out.

use std::collections::BTreeMap;
use std::path::Path;

/// From the bottom up; a part may import parts of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["client::worker", "client::field"],
    &[
        "client::format",
        "client::ui",
        "client::keys",
        "client::remembered",
    ],
    &["client::screens"],
    &["client::app"],
    &["cli"],
];

fn layer(part: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&part))
}

/// The part a file belongs to: `cli` for everything under it, `client::x` under the client.
fn part_of(relative: &str) -> Option<String> {
    let module = relative.trim_end_matches(".rs").replace('/', "::");
    let mut it = module.split("::");
    match (it.next(), it.next()) {
        (Some("cli"), _) => Some("cli".into()),
        (Some("client"), Some(second)) => Some(format!("client::{second}")),
        _ => None,
    }
}

/// The parts a file's code (not its comments, not its tests) names.
fn imports(text: &str) -> Vec<String> {
    let code = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    let mut found = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name = |s: &str| -> String {
                s.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            };
            let first = name(rest);
            if first == "client" {
                let second = name(&rest["client::".len().min(rest.len())..]);
                found.push(format!("client::{second}"));
            } else if first == "cli" {
                found.push("cli".into());
            }
        }
    }
    found
}

#[test]
fn each_part_imports_only_parts_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut graph: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // Test code: the screens' test files and the harness they share.
            if relative.ends_with("tests.rs") || relative.ends_with("testing.rs") {
                continue;
            }
            let Some(part) = part_of(&relative) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            for import in imports(&text) {
                graph
                    .entry(part.clone())
                    .or_default()
                    .push((import, relative.clone()));
            }
        }
    }
    assert!(graph.contains_key("client::app"), "no client found");
    let mut wrong = Vec::new();
    for (part, imports) in &graph {
        let Some(mine) = layer(part) else {
            wrong.push(format!("{part} is in no layer: place it in LAYERS"));
            continue;
        };
        for (import, file) in imports {
            if import == part {
                continue;
            }
            match layer(import) {
                None => wrong.push(format!("{file}: {import} is in no layer")),
                Some(theirs) if theirs >= mine => {
                    wrong.push(format!("{file} ({part}) imports {import}, not below it"));
                }
                Some(_) => {}
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
