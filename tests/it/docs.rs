//! The README and the manual in `docs/` stay true: every relative link and
//! anchor resolves, and every `fanout` flag they document is one that
//! `fanout … --help` lists.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The text outside fenced code blocks (links in code are not links).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The code of a page: each fenced block's lines and each inline span.
fn code(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push(line.to_string());
        } else {
            out.extend(line.split('`').skip(1).step_by(2).map(str::to_string));
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors a page's headings make (a repeated heading gets `-1`, `-2`).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for line in prose(text).lines() {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading);
        let n = seen.entry(base.clone()).or_default();
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The targets of a page's Markdown links and images: `](target)`.
fn links(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for link in links(&text) {
            let link = link.split_whitespace().next().unwrap_or_default();
            if link.is_empty() || link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let name = page.strip_prefix(root()).unwrap().display().to_string();
            if !target.exists() {
                broken.push(format!("{name}: {link} (no such file)"));
                continue;
            }
            if !anchor.is_empty() {
                let body = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&body).contains(anchor) {
                    broken.push(format!("{name}: {link} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
    assert!(checked > 40, "only {checked} links found: is the reader right?");
}

/// The flags (`--long` and `-s`) a `fanout` help text lists.
fn flags_of(help: &str) -> BTreeSet<String> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[' || c == ']')
        .filter(|w| is_flag(w))
        .map(str::to_string)
        .collect()
}

fn is_flag(word: &str) -> bool {
    let long = word.len() > 2
        && word.starts_with("--")
        && word[2..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let short = word.len() == 2 && word.starts_with('-') && word.as_bytes()[1].is_ascii_alphabetic();
    long || short
}

fn help(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "fanout {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// What follows `fanout` in a piece of code, up to where its command ends
/// (a pipe, `;`, `&&`, a comment), with the subcommand it names.
fn invocations(code: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let words: Vec<&str> = code.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let program = w.trim_start_matches('(');
        // A command starts a line or follows a separator (not `-u fanout`,
        // nor a script's argument such as `benches/x.py target/release/fanout`).
        let starts = i == 0
            || matches!(
                words[i - 1],
                "|" | ";" | "&&" | "||" | "sudo" | "exec" | "time" | "$"
            );
        if !(program == "fanout" || program.ends_with("/fanout")) || !starts {
            continue;
        }
        // `fanout get: …` is a message fanout prints, not a command.
        if words.get(i + 1).is_some_and(|w| w.ends_with(':')) {
            continue;
        }
        let rest: Vec<&str> = words[i + 1..]
            .iter()
            .copied()
            .take_while(|w| !matches!(*w, "|" | ";" | "&&" | "||" | "#" | "&"))
            .collect();
        let sub = match rest.first().copied() {
            Some(s @ ("get" | "serve" | "completions" | "man")) => s.to_string(),
            _ => String::new(),
        };
        let flags = rest
            .iter()
            .map(|w| w.split('=').next().unwrap_or(w).trim_end_matches([',', '.', ')']))
            .filter(|w| is_flag(w))
            .map(str::to_string)
            .collect();
        out.push((sub, flags));
    }
    out
}

#[test]
fn every_fanout_flag_the_docs_show_is_in_its_help() {
    let helps: HashMap<&str, BTreeSet<String>> = [
        ("", flags_of(&help(&[]))),
        ("get", flags_of(&help(&["get"]))),
        ("serve", flags_of(&help(&["serve"]))),
    ]
    .into_iter()
    .collect();
    assert!(helps["get"].contains("--engine") && helps["serve"].contains("--rpc-listen"));
    let mut unknown = BTreeSet::new();
    let mut checked = 0;
    let mut check = |page: &Path, sub: &str, flag: &str| {
        checked += 1;
        let known = helps.get(sub).unwrap_or(&helps[""]);
        // `-h`/`--help`/`--version` are clap's own, on every command.
        if !known.contains(flag) && !matches!(flag, "-h" | "--help" | "-V" | "--version") {
            let name = page.file_name().unwrap().to_string_lossy().into_owned();
            unknown.insert(format!("{name}: fanout {sub} {flag}"));
        }
    };
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for piece in code(&text) {
            for (sub, flags) in invocations(&piece) {
                for flag in flags {
                    check(&page, &sub, &flag);
                }
            }
        }
        // The reference pages' option tables: a row whose first cell is
        // a flag documents one of that page's command.
        let sub = match page.file_name().unwrap().to_str().unwrap() {
            "get.md" => "get",
            "serve.md" => "serve",
            _ => continue,
        };
        for line in prose(&text).lines() {
            let Some(cell) = line.strip_prefix("| `") else {
                continue;
            };
            let first = cell.split('|').next().unwrap_or_default();
            for span in first.split('`').step_by(2) {
                let flag = span.split_whitespace().next().unwrap_or_default();
                if is_flag(flag) {
                    check(&page, sub, flag);
                }
            }
        }
    }
    assert!(unknown.is_empty(), "documented but not in --help: {unknown:#?}");
    assert!(checked > 30, "only {checked} flags found: is the reader right?");
}

#[test]
fn the_readers_of_this_test_read_markdown_as_github_does() {
    assert_eq!(slug("`fanout get` reference"), "fanout-get-reference");
    assert_eq!(
        slug("Where things are kept, and the status bar"),
        "where-things-are-kept-and-the-status-bar"
    );
    let a = anchors("# A\n## Two words\n```\n# not a heading\n```\n## Two words\n");
    assert_eq!(
        a.into_iter().collect::<Vec<_>>(),
        ["a", "two-words", "two-words-1"]
    );
    assert_eq!(
        links("see [x](a.md#b) and ![i](../p.png)"),
        ["a.md#b", "../p.png"]
    );
    assert!(invocations("journalctl --user -u fanout -f").is_empty());
    assert!(invocations("python3 benches/streams.py target/release/fanout 3 --with-seq").is_empty());
    assert!(invocations("fanout get: -j 4 is not used").is_empty());
    let calls = invocations("seq 1 64 | fanout get -i - --json -j 8 && fanout serve --no-dht");
    assert_eq!(
        calls,
        [
            (
                "get".to_string(),
                vec!["-i".to_string(), "--json".into(), "-j".into()]
            ),
            ("serve".to_string(), vec!["--no-dht".to_string()]),
        ]
    );
}
