//! The architecture test (rust-analyzer's "tidy" idea): the rules ARCHITECTURE.md states between
//! modules are read from its "Module rules" table and checked against the source, so the
//! document and the code cannot drift apart silently.
//!
//! Checked, per top-level module of `src/`: which other modules it imports (`crate::x`), whether
//! it prints (or draws progress bars), reads files or writes files; that the allowed imports
//! form no circle; and that every source file opens with a module doc comment (`//!`).
//! Test code (`#[cfg(test)]` modules) is exempt: tests may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One row of the rules table.
#[derive(Debug)]
struct Rule {
    imports: BTreeSet<String>,
    prints: bool,
    reads: bool,
    writes: bool,
}

fn rules() -> BTreeMap<String, Rule> {
    let md = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md");
    let start = md
        .find("<!-- module-rules -->")
        .expect("ARCHITECTURE.md has a `<!-- module-rules -->` table");
    let mut out = BTreeMap::new();
    for line in md[start..].lines().skip(1) {
        let line = line.trim();
        if !line.starts_with('|') {
            if out.is_empty() {
                continue;
            }
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 5 || cells[0] == "module" || cells[0].starts_with("---") {
            continue;
        }
        let flag = |c: &str| match c {
            "yes" => true,
            "no" => false,
            other => panic!("ARCHITECTURE.md rules: `{other}` is neither yes nor no"),
        };
        let imports = cells[1]
            .split(',')
            .map(|s| s.trim().trim_matches('`').to_string())
            .filter(|s| !s.is_empty() && s != "—")
            .collect();
        out.insert(
            cells[0].trim_matches('`').to_string(),
            Rule {
                imports,
                prints: flag(cells[2]),
                reads: flag(cells[3]),
                writes: flag(cells[4]),
            },
        );
    }
    assert!(!out.is_empty(), "the module rules table is empty");
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments and without `#[cfg(test)]` items (the item's braces are
/// matched, so code after a test module is still checked).
fn code_of(text: &str) -> String {
    let uncommented: String = text
        .lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal ("http://") would cut the line; none of the
            // patterns checked live in strings, so cutting there is harmless.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = uncommented.as_str();
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(open) = after.find('{') else {
            rest = "";
            break;
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Top-level modules a piece of code names through `crate::`.
fn imports_of(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b}`: every first path segment inside the braces.
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

const PRINTS: &[&str] = &[
    "print!(",
    "println!(",
    "eprint!(",
    "eprintln!(",
    "io::stdout(",
    "io::stderr(",
    "indicatif::",
];
const READS: &[&str] = &["fs::read", "fs::metadata", "File::open", "read_dir("];
const WRITES: &[&str] = &[
    "fs::write",
    "File::create",
    "fs::create_dir",
    "fs::rename",
    "fs::remove",
    "OpenOptions",
];

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// Every violation of the rules in the tree under `src`.
fn violations(src: &Path, rules: &BTreeMap<String, Rule>) -> Vec<String> {
    let mut files = Vec::new();
    rs_files(src, &mut files);
    let mut out = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let shown = file.strip_prefix(src).unwrap_or(file).display().to_string();
        if !text.trim_start().starts_with("//!") {
            out.push(format!(
                "src/{shown}: does not open with a module doc comment (//!)"
            ));
        }
        let module = module_of(src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(rule) = rules.get(&module) else {
            out.push(format!(
                "src/{shown}: module `{module}` has no row in ARCHITECTURE.md's module rules"
            ));
            continue;
        };
        let code = code_of(&text);
        for m in imports_of(&code) {
            if m != module && rules.contains_key(&m) && !rule.imports.contains(&m) {
                out.push(format!(
                    "src/{shown}: `{module}` imports `{m}`, which ARCHITECTURE.md does not allow"
                ));
            }
        }
        for (allowed, pats, what) in [
            (rule.prints, PRINTS, "prints"),
            (rule.reads, READS, "reads files"),
            (rule.writes, WRITES, "writes files"),
        ] {
            if !allowed && let Some(p) = pats.iter().find(|p| code.contains(*p)) {
                out.push(format!(
                    "src/{shown}: `{module}` {what} (`{p}`), which ARCHITECTURE.md does not allow"
                ));
            }
        }
    }
    out
}

/// A circle in the allowed imports, if any (depth-first search).
fn circle(rules: &BTreeMap<String, Rule>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        rules: &BTreeMap<String, Rule>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut c = stack[i..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_string());
        if let Some(r) = rules.get(m) {
            for d in &r.imports {
                if let Some(c) = visit(d, rules, stack, done) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in rules.keys() {
        if let Some(c) = visit(m, rules, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_source_follows_the_module_rules_of_architecture_md() {
    let rules = rules();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let v = violations(&src, &rules);
    assert!(v.is_empty(), "architecture violations:\n{}", v.join("\n"));
}

#[test]
fn the_allowed_imports_form_no_circle() {
    let rules = rules();
    assert_eq!(
        circle(&rules),
        None,
        "modules may import each other in a circle"
    );
}

#[test]
fn the_checker_catches_each_kind_of_violation() {
    // A scratch tree with one module per broken rule: a forbidden import, a print, a file
    // write, and a file without a doc comment. Each must be reported.
    let dir = std::env::temp_dir().join(format!("hybridsim-arch-{}", std::process::id()));
    let src = dir.join("src");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(src.join("engine")).unwrap();
    std::fs::write(
        src.join("engine/mod.rs"),
        "//! e\nuse crate::model::Spec;\nfn f() { println!(\"x\"); }\n",
    )
    .unwrap();
    // The write sits after a test module: only the test module is exempt.
    std::fs::write(
        src.join("model.rs"),
        "pub struct Spec;\n#[cfg(test)]\nmod tests { fn t() { std::fs::write(\"x\", \"y\"); } }\n\
         fn g() { std::fs::write(\"a\", \"b\"); }\n",
    )
    .unwrap();
    let mut rules = BTreeMap::new();
    for m in ["engine", "model"] {
        rules.insert(
            m.to_string(),
            Rule {
                imports: BTreeSet::new(),
                prints: false,
                reads: false,
                writes: false,
            },
        );
    }
    let v = violations(&src, &rules);
    let _ = std::fs::remove_dir_all(&dir);
    let has = |s: &str| v.iter().any(|x| x.contains(s));
    assert!(has("`engine` imports `model`"), "{v:?}");
    assert!(has("`engine` prints"), "{v:?}");
    assert!(has("`model` writes files"), "{v:?}");
    assert!(
        has("src/model.rs: does not open with a module doc comment"),
        "{v:?}"
    );
    assert_eq!(v.len(), 4, "{v:?}");
    // And a circle in a rules table is found.
    rules
        .get_mut("engine")
        .unwrap()
        .imports
        .insert("model".into());
    rules
        .get_mut("model")
        .unwrap()
        .imports
        .insert("engine".into());
    assert!(circle(&rules).is_some());
}

/// Where the node arena is walked whole (`X.nodes.iter()`, however the call is split over
/// lines), outside `#[cfg(test)]` code, in the files of `dirs` under `src`.
fn node_arena_scans(src: &Path, dirs: &[&str]) -> Vec<String> {
    scans(
        src,
        dirs,
        &[".nodes.iter()", ".nodes.iter_mut()", ".nodes.into_iter()"],
    )
}

/// Where any of `pats` occurs (however the call is split over lines), outside
/// `#[cfg(test)]` code, in the files of `dirs` under `src`.
fn scans(src: &Path, dirs: &[&str], pats: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    for d in dirs {
        let p = src.join(d);
        if p.is_dir() {
            rs_files(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    let mut out = Vec::new();
    for f in files {
        let code = code_of(&std::fs::read_to_string(&f).expect("source"));
        let squeezed: String = code.split_whitespace().collect();
        for pat in pats {
            if squeezed.contains(pat) {
                out.push(format!("{}: {pat}", f.display()));
            }
        }
    }
    out
}

/// What `check` finds in a scratch source tree holding `text` as `x.rs`: shows that a scan
/// catches what it must.
fn scans_of_text(text: &str, check: impl Fn(&Path) -> Vec<String>) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "hybridsim-arch-{}-{:x}",
        std::process::id(),
        text.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.rs"), text).unwrap();
    let caught = check(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    caught
}

#[test]
fn no_component_walks_every_node_of_the_cluster() {
    // ARCHITECTURE.md, "Invariants across modules": node events go through the node list,
    // a pool's own nodes or a lookup by ordinal, never a walk over every node ever created
    // (which made a pool upgrade of N nodes cost O(N²): 26 s at 30,000 nodes). The
    // invariant checker (`simulation/invariants.rs`) is exempt: it is opt-in and checks
    // everything by design.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dirs = [
        "controllers",
        "scheduler",
        "autoscaler",
        "kubelet",
        "effect.rs",
        "simulation/mod.rs",
    ];
    let found = node_arena_scans(&src, &dirs);
    assert!(
        found.is_empty(),
        "per-event code walks every node: {found:?}"
    );
    // The check sees a walk split over lines.
    let caught = scans_of_text(
        "fn f(cl: &C) { cl.nodes\n    .iter()\n    .count(); }\n#[cfg(test)]\nmod t { fn g(c: &C) { c.nodes.iter(); } }\n",
        |dir| node_arena_scans(dir, &["x.rs"]),
    );
    assert_eq!(caught.len(), 1, "{caught:?}");
}

#[test]
fn no_controller_walks_the_node_list_per_event() {
    // A DaemonSet's sync visits only the nodes its index lists as uncovered
    // (`controllers/daemon_index.rs`); it walked every registered node, which made a pool
    // upgrade with a DaemonSet O(N²) (154 s at 30,000 nodes). The index itself walks the node
    // list once per DaemonSet creation, and its brute-force check does by design.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found: Vec<String> = scans(&src, &["controllers"], &[".registered.iter()"])
        .into_iter()
        .filter(|f| !f.contains("daemon_index.rs"))
        .collect();
    assert!(
        found.is_empty(),
        "a controller walks the node list: {found:?}"
    );
}

#[test]
fn node_sums_change_only_through_bind_and_release() {
    // ARCHITECTURE.md, "Invariants across modules": the scheduler skips blocks of the node
    // list whose room bound shows no node can fit the pod (`scheduler/block_room.rs`). A
    // bound stays an upper bound only while every change that gives a node room stamps its
    // block, which `Cluster::bind` and `Cluster::release` do (`note_sums_changed`). A write
    // to a node's `requested` sums anywhere else would let a skip hide a node that fits.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut pats = vec![".requested=".to_string()];
    for field in ["cpu_m", "mem", "pods"] {
        for op in ["+=", "-=", "="] {
            pats.push(format!(".requested.{field}{op}"));
        }
    }
    let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
    let found: Vec<String> = scans(&src, &["."], &pats)
        .into_iter()
        .filter(|f| !f.contains("model/cluster.rs"))
        .collect();
    assert!(
        found.is_empty(),
        "node sums written outside bind/release: {found:?}"
    );
    // The check sees a write split over lines, and a local variable named `requested` is
    // not a node's sums.
    let caught = scans_of_text(
        "fn f(n: &mut N, mut requested: R) { n.requested\n    .mem += 1; requested.mem += 1; }\n",
        |dir| scans(dir, &["x.rs"], &pats),
    );
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert!(caught[0].ends_with("x.rs: .requested.mem+="), "{caught:?}");
}
