//! The module order of docs/ARCHITECTURE.md, kept true: every module of
//! `src/` is in the documented list, imports only modules listed above it,
//! and the files of one module import each other without a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The documented order: module → its line (1 = the bottom).
fn documented() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/ARCHITECTURE.md")).unwrap();
    let start = text.find("<!-- module order").expect("ARCHITECTURE.md marks its module order");
    let end = text.find("<!-- end of module order -->").expect("and where it ends");
    let mut order = BTreeMap::new();
    for line in text[start..end].lines().skip(1) {
        let Some((number, names)) = line.split_once(". ") else { continue };
        let Ok(level) = number.trim().parse::<usize>() else { continue };
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            assert!(order.insert(name.to_owned(), level).is_none(), "{name} is listed twice");
        }
    }
    order
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The code of a file without comments and without its unit tests (which
/// may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file belongs to, and its path inside it.
fn module_of(path: &Path) -> (String, Vec<String>) {
    let rel = path.strip_prefix(Path::new(ROOT).join("src")).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    let top = parts.remove(0);
    (top, parts)
}

/// The names `prefix` is followed by in `code` (`crate::` → `op`, …).
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .filter(|(i, _)| *i == 0 || !code.as_bytes()[i - 1].is_ascii_alphanumeric())
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_module_imports_only_modules_below_it_in_the_documented_order() {
    let order = documented();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in rust_files(&Path::new(ROOT).join("src")) {
        let (module, _) = module_of(&file);
        if module == "lib" || module == "main" {
            continue;
        }
        seen.insert(module.clone());
        let Some(&level) = order.get(&module) else {
            problems.push(format!("src/{module} is not in docs/ARCHITECTURE.md's module order"));
            continue;
        };
        let code = code_of(&file);
        for used in paths_after(&code, "crate::").into_iter().collect::<BTreeSet<_>>() {
            match order.get(used) {
                Some(&other) if used == module || other < level => {}
                Some(&other) => problems.push(format!(
                    "{} imports crate::{used} (line {other}), which is not below {module} (line {level})",
                    file.display()
                )),
                None => problems.push(format!("{} imports crate::{used}, which is not listed", file.display())),
            }
        }
    }
    for listed in order.keys().filter(|m| !seen.contains(*m)) {
        problems.push(format!("docs/ARCHITECTURE.md lists {listed}, which is not in src/"));
    }
    assert!(problems.is_empty(), "against the documented order:\n{}", problems.join("\n"));
}

#[test]
fn the_files_of_one_module_import_each_other_without_a_cycle() {
    // File → the files of its own module it names (`super::x`, `crate::m::x`).
    let files = rust_files(&Path::new(ROOT).join("src"));
    let mut by_name: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for f in &files {
        let (module, inner) = module_of(f);
        if let Some(first) = inner.first() {
            by_name.insert((module, first.clone()), f.clone());
        }
    }
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in &files {
        let (module, inner) = module_of(f);
        let Some(me) = inner.first() else { continue };
        let code = code_of(f);
        let mut named: Vec<&str> = paths_after(&code, &format!("crate::{module}::"));
        if inner.len() == 1 {
            named.extend(paths_after(&code, "super::"));
        }
        for name in named.into_iter().filter(|n| n != me) {
            if let Some(target) = by_name.get(&(module.clone(), name.to_owned())) {
                edges.entry(f.clone()).or_default().insert(target.clone());
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        node: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        path: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            return Some(path[i..].to_vec());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        let cycle = visit(start, &edges, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "a cycle between files: {:?}", cycle.unwrap());
    }
}
