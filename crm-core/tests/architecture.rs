//! The layers of crm-core, checked: a module imports only modules of its own layer or lower
//! ones, and no chain of imports comes back to where it started. The table below is the
//! architecture (ARCHITECTURE.md explains it); a new module fails this test until it is placed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers from the bottom up. A `foo.rs` beside `foo/` is one module with its folder.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "error", "sql", "ids", "time", "validate", "money", "matching", "catalog", "criteria",
            "methods", "store", "follow", "records",
        ],
    ),
    (
        "records",
        &[
            "tenancy",
            "customers",
            "leads",
            "deals",
            "tickets",
            "conversations",
            "calls",
            "activities",
            "audit",
            "batch",
            "quotes",
            "products",
        ],
    ),
    (
        "capabilities",
        &[
            "feed",
            "links",
            "timeline",
            "search",
            "segments",
            "changes",
            "analytics",
            "schema",
            "views",
            "maintenance",
            "demo",
            "import",
            "export",
            "trash",
            "merge",
            "erasure",
        ],
    ),
    ("faces", &["lib"]),
];

/// Items the crate root re-exports, by the module that defines them.
const REEXPORTS: &[(&str, &str)] = &[
    ("Crm", "store"),
    ("Scope", "tenancy"),
    ("Error", "error"),
    ("Result", "error"),
    ("Page", "records"),
    ("PageRequest", "records"),
    ("ListRequest", "records"),
    ("Batch", "batch"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The modules each module of `src/` refers to with `crate::…`, comments left out.
/// Every `.rs` file of `src/`: its path below `src/` (with `/`) and its text.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&src).unwrap().to_string_lossy();
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((relative.replace('\\', "/"), text));
            }
        }
    }
    files
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (relative, text) in sources() {
        let module = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        let refs = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let target = REEXPORTS
                    .iter()
                    .find(|(item, _)| *item == name)
                    .map_or(name.clone(), |(_, m)| (*m).to_owned());
                if !target.is_empty() && target != module {
                    refs.insert(target);
                }
            }
            // `use crate::{a, b::C}` brings several modules at once.
            if let Some(rest) = code.trim_start().strip_prefix("use crate::{") {
                for part in rest.split([',', '}', ' ']) {
                    let name = part.split("::").next().unwrap_or("").trim();
                    if !name.is_empty() && name != module && name != "self" {
                        refs.insert(name.to_owned());
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn every_module_is_placed_in_a_layer() {
    let unplaced: Vec<String> = imports()
        .keys()
        .filter(|m| layer_of(m).is_none())
        .cloned()
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules in no layer of tests/architecture.rs: {unplaced:?}"
    );
}

#[test]
fn no_module_imports_a_higher_layer() {
    let mut faults = Vec::new();
    for (module, targets) in imports() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for target in targets {
            if let Some(theirs) = layer_of(&target)
                && theirs > own
            {
                faults.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[own].0, LAYERS[theirs].0
                ));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "imports against the layers:\n{}",
        faults.join("\n")
    );
}

#[test]
fn no_module_imports_itself_through_others() {
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let graph = imports();
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            panic!("an import cycle: {}", cycle.join(" -> "));
        }
    }
}

/// The dialect seam: only `sql` (statements, values, rows, errors, PostgreSQL's translation) and
/// `store` (opening files, migrations, pragmas, backups, the partitioned shape) speak to a database driver; every other module goes through
/// `crate::sql`, so a second engine changes those two and nothing else.
#[test]
fn only_the_seam_names_the_driver() {
    let mut offenders = Vec::new();
    for (relative, text) in sources() {
        if relative == "sql.rs"
            || relative.starts_with("sql/")
            || relative == "store.rs"
            || relative.starts_with("store/")
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // The postgres crate at the start of a path (not crm's own `sql::postgres`).
            let postgres = code
                .match_indices("postgres::")
                .any(|(i, _)| !code[..i].ends_with("::"));
            if code.contains("rusqlite") || postgres {
                offenders.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "modules naming a database driver outside sql and store:\n{}",
        offenders.join("\n")
    );
}
