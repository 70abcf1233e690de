//! Modules depend one way, in both crates: no import cycle between sibling modules at any level.
//!
//! Every `crate::`, `super::` and `self::` path in a source file (outside comments) is an edge from
//! the file's module to the deepest module the path names. An edge between a module and one of its
//! own ancestors or descendants is the normal parent/child relation and is left out; any other edge
//! is lifted to the two siblings below the modules' lowest common ancestor (`bgp::codec::error` ->
//! `bgp::fsm::table` is `codec -> fsm` under `bgp`). Each set of siblings must then form a graph
//! without a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under `dir`, with the module path it defines.
fn modules(dir: &Path) -> Vec<(Module, PathBuf)> {
    fn walk(dir: &Path, prefix: &Module, out: &mut Vec<(Module, PathBuf)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if path.is_dir() {
                let mut child = prefix.clone();
                child.push(name);
                walk(&path, &child, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                let mut module = prefix.clone();
                if !matches!(stem, "mod" | "lib" | "main") {
                    module.push(stem.to_string());
                }
                out.push((module, path));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &Vec::new(), &mut out);
    out
}

/// The source without line comments (doc links are not dependencies) and without string contents.
fn code(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `a::b::{c, d::e}` starting at `text`, appending every full path to `out`.
fn paths(prefix: &[String], text: &str, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
            at += 1;
        }
        if at > start {
            path.push(text[start..at].to_string());
        }
        let group = if text[at..].starts_with("::{") {
            3
        } else if at == 0 && text.starts_with('{') {
            1
        } else {
            0
        };
        if group > 0 {
            at += group;
            loop {
                while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                    at += 1;
                }
                if at >= bytes.len() || bytes[at] == b'}' {
                    return at + 1;
                }
                at += paths(&path, &text[at..], out);
                while at < bytes.len() && bytes[at] != b',' && bytes[at] != b'}' {
                    at += 1;
                }
                if at < bytes.len() && bytes[at] == b',' {
                    at += 1;
                }
            }
        } else if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The module each path in `file` (module `module`) refers to, resolved against `known`.
fn references(module: &Module, source: &str, known: &BTreeSet<Module>) -> Vec<Module> {
    let source = code(source);
    // `super` is one module up, whether the file is a `mod.rs` or not.
    let mut found = Vec::new();
    for keyword in ["crate::", "super::", "self::"] {
        let mut rest = source.as_str();
        while let Some(at) = rest.find(keyword) {
            let boundary = rest[..at]
                .chars()
                .last()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let mut after = &rest[at + keyword.len()..];
            let base: Module = match keyword {
                "crate::" => Vec::new(),
                "self::" => module.clone(),
                _ => {
                    let mut up = 1;
                    while let Some(tail) = after.strip_prefix("super::") {
                        up += 1;
                        after = tail;
                    }
                    module[..module.len().saturating_sub(up)].to_vec()
                }
            };
            if boundary {
                let mut out = Vec::new();
                paths(&base, after, &mut out);
                found.extend(out);
            }
            rest = after;
        }
    }
    found
        .into_iter()
        .filter_map(|path| {
            (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| known.contains(prefix))
        })
        .collect()
}

/// A cycle in `edges`, if there is one, as the list of nodes on it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut found = stack[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(_) => {}
                None => {
                    if let Some(found) = visit(next, edges, state, stack) {
                        return Some(found);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            if let Some(found) = visit(node, edges, &mut state, &mut Vec::new()) {
                return Some(found);
            }
        }
    }
    None
}

/// Every sibling-level cycle in the crate whose sources are in `dir`, one line each.
fn cycles(dir: &Path) -> Vec<String> {
    let files = modules(dir);
    let known: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    // Sibling graphs, keyed by their common parent module.
    let mut graphs: BTreeMap<Module, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let source = fs::read_to_string(path).unwrap_or_default();
        for target in references(module, &source, &known) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue;
            }
            graphs
                .entry(module[..common].to_vec())
                .or_default()
                .entry(module[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    graphs
        .iter()
        .filter_map(|(parent, edges)| {
            cycle(edges).map(|c| format!("in `{}`: {}", parent.join("::"), c.join(" -> ")))
        })
        .collect()
}

#[test]
fn the_core_crate_has_no_import_cycle() {
    let found = cycles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        found.is_empty(),
        "import cycles in src/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_actor_crate_has_no_import_cycle() {
    let found = cycles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("actors/src"));
    assert!(
        found.is_empty(),
        "import cycles in actors/src/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_and_resolves_grouped_paths() {
    let dir = std::env::temp_dir().join(format!("anycastd-module-graph-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    };
    write("lib.rs", "mod a;\nmod b;\n");
    write("a/mod.rs", "mod x;\n");
    write(
        "a/x.rs",
        "use crate::{b::y::Thing, a};\n// use crate::c::Z; a comment is no edge\n",
    );
    write("b/mod.rs", "mod y;\n");
    write("b/y.rs", "fn f() { super::super::a::x::g() }\n");
    let found = cycles(&dir);
    let one_way = {
        write("b/y.rs", "fn f() {}\n");
        cycles(&dir)
    };
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(found, vec!["in ``: a -> b -> a".to_string()]);
    assert!(one_way.is_empty(), "{one_way:?}");
}
