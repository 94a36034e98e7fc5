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

/// aria2's protocol is a crate of its own that the engine, the RPC server
/// and the remote view share: it depends on neither the engine nor the
/// window.
#[test]
fn the_aria2_protocol_depends_on_no_engine_and_no_window() {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-p", "aria2-rpc", "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.lines().any(|l| l.starts_with("serde_json ")), "{tree}");
    for line in tree.lines() {
        let name = line.split(' ').next().unwrap_or("");
        for other in ["fanout", "fanout-engine", "egui", "eframe", "winit", "wgpu"] {
            assert!(name != other, "aria2-rpc depends on {line}");
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

/// A module's path in the crate, from its file: `src/rpc/bt.rs` and
/// `src/rpc/bt/mod.rs` are `["rpc", "bt"]`, `src/lib.rs` is `[]`.
fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Every path a piece of code names from `crate::`, `super::` or `self::`,
/// resolved to a path from the crate's root (`base` is the module the code
/// is in). Use trees are expanded: `crate::{a::X, b}` names `a::X` and `b`.
fn named_paths(code: &str, base: &[String]) -> Vec<Vec<String>> {
    fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let (mut depth, mut cur) = (0, String::new());
            for c in inner.chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&cur, prefix, out);
                        cur.clear();
                        continue;
                    }
                    _ => {}
                }
                cur.push(c);
            }
            return;
        }
        match tree.split_once("::") {
            Some((head, rest)) => {
                let mut p = prefix.to_vec();
                p.push(head.trim().to_string());
                expand(rest, &p, out);
            }
            None => {
                let mut p = prefix.to_vec();
                p.push(tree.to_string());
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(['c', 's']) {
        let before = rest[..at].chars().last();
        rest = &rest[at..];
        let word_start = !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        let (mut start, mut up) = (None, 0);
        if word_start {
            if let Some(r) = rest.strip_prefix("crate::") {
                start = Some((Vec::new(), r));
            } else if rest.starts_with("super::") || rest.starts_with("self::") {
                let mut r = rest;
                while let Some(t) = r.strip_prefix("super::") {
                    up += 1;
                    r = t;
                }
                let r = r.strip_prefix("self::").unwrap_or(r);
                let keep = base.len().saturating_sub(up);
                start = Some((base[..keep].to_vec(), r));
            }
        }
        let Some((prefix, r)) = start else {
            rest = &rest[1..];
            continue;
        };
        // The path or use tree that follows: names, `::` and balanced braces.
        let mut depth = 0;
        let end = r
            .char_indices()
            .find(|&(_, c)| match c {
                '{' => {
                    depth += 1;
                    false
                }
                '}' if depth > 0 => {
                    depth -= 1;
                    false
                }
                c if depth > 0 => c == ';',
                c => !(c.is_alphanumeric() || c == '_' || c == ':'),
            })
            .map_or(r.len(), |(i, _)| i);
        expand(r[..end].trim_end_matches(':'), &prefix, &mut out);
        rest = &r[end..];
    }
    out
}

/// A file's code without its comments and without its `mod tests`: a
/// module's tests may drive it from above (through the model that uses
/// it, say), and what they name is not what the module uses.
fn own_code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let code: String = text
        .lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    code.split_once("mod tests {")
        .map_or(code.clone(), |(outer, _)| outer.to_string())
}

/// The modules of the crate under `root` that import each other in a
/// circle: a module counts as one with everything inside it, and what it
/// names of a sibling (or of something inside the sibling) is an edge
/// between the two; a module naming its own parent or children is not,
/// and neither is what its `mod tests` names.
fn circles(root: &Path) -> Vec<String> {
    let files = rust_files(root);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(root, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let from = module_path(root, file);
        for path in named_paths(&own_code(file), &from) {
            let Some(to) = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            let (a, b) = (from[..=common].to_vec(), to[..=common].to_vec());
            edges.entry(a).or_default().insert(b);
        }
    }
    // Depth-first search; each circle found is told once.
    fn visit(
        n: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        found: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == n) {
            let names: Vec<String> = path[at..].iter().chain([n]).map(|m| m.join("::")).collect();
            found.push(names.join(" -> "));
            return;
        }
        if done.contains(n) {
            return;
        }
        path.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, path, done, found);
        }
        path.pop();
        done.insert(n.clone());
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn no_two_modules_import_each_other() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut roots = vec![src()];
    for entry in std::fs::read_dir(crates).unwrap() {
        roots.push(entry.unwrap().path().join("src"));
    }
    // Circles in the window that came with its narrow panels: the
    // window's owner breaks them and empties this list. Any other fails.
    for root in roots {
        let found = circles(&root);
        assert!(
            found.is_empty(),
            "import circles in {}:\n{}",
            root.display(),
            found.join("\n")
        );
    }
}

#[test]
fn the_circle_check_sees_circles() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "//! x\npub mod a;\npub mod b;\npub mod c;\n");
    write("a.rs", "//! x\nuse crate::{b::B, c};\n");
    write("b/mod.rs", "//! x\nmod inner;\n");
    write("b/inner.rs", "//! x\nfn f() { super::super::a::g(); }\n");
    write(
        "c.rs",
        "//! x\n// crate::a::A is only a comment\n#[cfg(test)]\nmod tests {\n    use super::super::a;\n}\n",
    );
    assert_eq!(circles(dir.path()), ["a -> b -> a"]);
}

/// The app's floors, top to bottom (src/lib.rs says what each holds): a
/// module imports from its own floor or lower ones, and the two front
/// ends never import each other.
#[test]
fn each_floor_imports_only_its_own_and_those_below() {
    const FLOORS: [(&str, u8); 8] = [
        ("gui", 5),
        ("cli", 5),
        ("service", 4),
        ("settings", 4),
        ("rpc", 3),
        ("input", 2),
        ("i18n", 2),
        ("platform", 1),
    ];
    let floor = |m: &str| FLOORS.iter().find(|(n, _)| *n == m).map(|(_, f)| *f);
    let mut wrong = Vec::new();
    for file in rust_files(&src()) {
        let from = module_path(&src(), &file);
        let Some(top) = from.first() else { continue };
        let Some(own) = floor(top) else {
            continue; // lib.rs and main.rs sit above every floor.
        };
        for path in named_paths(&own_code(&file), &from) {
            let Some(named) = path.first() else { continue };
            let Some(theirs) = floor(named) else { continue };
            let front_ends = own == 5 && theirs == 5 && named != top;
            if theirs > own || front_ends {
                let rel = file.strip_prefix(src()).unwrap();
                wrong.push(format!("{} ({top}) imports {named}", rel.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the floors:\n{}",
        wrong.join("\n")
    );
}
