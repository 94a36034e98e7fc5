//! The rules that keep the code easy to change, checked on the source and
//! the build: the engine's modules import each other in one direction
//! only, the engine's dependency tree has no window library, every file
//! says what it holds, and none grows past what one can read in a sitting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The engine crate's sources.
fn engine_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/engine/src")
}

/// Every crate's sources: the app's and each of `crates/`.
fn all_sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut out = rust_files(&src());
    for entry in std::fs::read_dir(crates).unwrap() {
        out.extend(rust_files(&entry.unwrap().path().join("src")));
    }
    out
}

/// The engine's top-level modules: `NAME.rs` or `NAME/` in its `src/`.
fn engine_modules() -> BTreeSet<String> {
    std::fs::read_dir(engine_src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "lib")
        .collect()
}

/// Which module a file belongs to, and how many `super::` reach the
/// engine's root.
fn module_of(file: &Path) -> Option<(String, usize)> {
    let rel = file.strip_prefix(engine_src()).ok()?;
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [f] if f == "lib.rs" => None,
        [f] => Some((f.trim_end_matches(".rs").to_string(), 1)),
        [d, f] if f == "mod.rs" => Some((d.clone(), 1)),
        [d, _] => Some((d.clone(), 2)),
        [d, _, f] if f == "mod.rs" => Some((d.clone(), 2)),
        [d, ..] => Some((d.clone(), parts.len())),
        [] => None,
    }
}

/// The first name of every path in a `use` tree after its prefix:
/// `{config::X, error::{A, B}, job}` gives config, error, job.
fn heads(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return vec![tree.split("::").next().unwrap_or("").trim().to_string()];
    };
    let (mut out, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.extend(heads(&cur));
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.extend(heads(&cur));
    }
    out
}

/// The engine modules a file refers to: by `use` and by inline paths.
fn references(file: &Path, text: &str, depth: usize) -> BTreeSet<String> {
    let up = "super::".repeat(depth);
    let mut out = BTreeSet::new();
    // Join `use` statements spread over lines.
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    for prefix in ["crate::", up.as_str()] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            // `super::super::x` seen from a deeper prefix is handled there.
            if prefix == up && (before == Some(':') || rest.starts_with("super::")) {
                continue;
            }
            let tree = if rest.starts_with('{') {
                let mut depth = 0;
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(rest.len(), |(i, _)| i + 1);
                &rest[..end]
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            };
            for h in heads(tree) {
                if !h.is_empty() {
                    out.insert(h);
                }
            }
        }
    }
    let _ = file;
    out
}

#[test]
fn the_engine_s_modules_import_each_other_in_one_direction_only() {
    let modules = engine_modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&engine_src()) {
        let Some((module, depth)) = module_of(&file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for target in references(&file, &text, depth) {
            if target == module || target == "self" {
                continue;
            }
            // Anything not a module is an item of the engine's own handle
            // (`super::EngineConfig` re-exported there): name its module.
            assert!(
                modules.contains(&target),
                "{} names {target:?} from the engine's lib.rs; import it from the module that defines it",
                file.display()
            );
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    // Depth-first search for a cycle, printing it when found.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == n) {
            panic!("import cycle: {} -> {n}", path[at..].join(" -> "));
        }
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, path, done);
        }
        path.pop();
        done.insert(n.to_string());
    }
    let mut done = BTreeSet::new();
    for module in &modules {
        visit(module, &edges, &mut Vec::new(), &mut done);
    }
    // The test sees the imports it should: the transfer uses the part.
    assert!(edges["transfer"].contains("part"), "{edges:?}");
}

/// The engine is a crate of its own, so it cannot name the window's
/// modules; this keeps the window's libraries out of its dependency tree
/// too (what `cargo tree` prints from Cargo.lock, offline).
#[test]
fn the_engine_s_dependency_tree_has_no_window_library() {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-p", "fanout-engine", "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    // The engine's own deps are listed, so the tree is the real one.
    assert!(tree.lines().any(|l| l.starts_with("reqwest ")), "{tree}");
    for line in tree.lines() {
        let name = line.split(' ').next().unwrap_or("");
        for window in ["egui", "eframe", "winit", "wgpu", "glow", "rfd"] {
            assert!(
                name != window
                    && !name.starts_with(&format!("{window}-"))
                    && !name.starts_with(&format!("{window}_")),
                "the engine depends on {line}"
            );
        }
    }
}

#[test]
fn every_test_and_example_says_what_it_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests", "examples"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("//!"),
                "{} does not open with a `//!` line",
                file.display()
            );
        }
    }
}

#[test]
fn every_file_says_what_it_holds_and_stays_readable() {
    const MOST_LINES: usize = 650;
    for file in all_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not open with a `//!` line saying what it holds",
            file.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= MOST_LINES,
            "{} has {lines} lines; split it along its seams",
            file.display()
        );
    }
}
