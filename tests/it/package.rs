//! What the installed package gives a user besides the binary (issue 28):
//! shell completions and a manual page made from the same clap definitions
//! as the command line, `fanout --version` naming the commit, the desktop
//! entry and AppStream metadata the desktop's own checkers accept, and a
//! Debian package description whose every file exists (icons at the size
//! their folder says). `packaging/deb.sh` and `.ci/run` build and install
//! the real package.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::programs::{have, require};

fn fanout(args: &[&str]) -> Output {
    let out = support::programs::fanout(args, None, &[]);
    assert!(out.status.success(), "fanout {args:?}: {}", stderr(&out));
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Tab in bash after `fanout ` offers `get`; after `fanout get -`, its
/// flags. Every shell's script knows `get`'s `--engine` and its values.
#[test]
fn completions_offer_the_subcommands_and_get_s_flags() {
    let bash = stdout(&fanout(&["completions", "bash"]));
    for word in ["get", "serve", "--engine", "--segments", "--ordered"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    for shell in ["zsh", "fish"] {
        let script = stdout(&fanout(&["completions", shell]));
        for word in ["get", "engine", "sequential", "threads"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // `fanout completions` is itself in --help, as `man` is.
    let help = stdout(&fanout(&["--help"]));
    assert!(help.contains("completions") && help.contains("man"), "{help}");

    // What bash does with it: load it, then complete `fanout get --en`.
    if have("bash") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fanout.bash");
        std::fs::write(&file, &bash).unwrap();
        let script = format!(
            "source {}; COMP_WORDS=(fanout get --en); COMP_CWORD=2; \
             _fanout fanout --en get; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "--engine", "{}", stderr(&out));
    }
}

/// `fanout man > fanout.1` is a roff page that documents every subcommand
/// with its options, and `man -l` reads it without a complaint.
#[test]
fn the_man_page_documents_every_subcommand_and_man_reads_it() {
    let page = stdout(&fanout(&["man"]));
    let th = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap();
    assert!(th.starts_with(".TH fanout 1 "), "{th}");
    for section in [
        "FANOUT GET",
        "FANOUT SERVE",
        "FANOUT COMPLETIONS",
        "FANOUT MAN",
        "FANOUT DESKTOP-ENTRY",
        "EXIT STATUS",
    ] {
        assert!(page.contains(section), "no {section} section");
    }
    // roff escapes the dashes of a flag.
    assert!(page.contains(r"\-\-engine") && page.contains(r"\-\-rpc\-listen"));

    if !require(&[("man", "man-db")]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fanout.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "man complains: {}", stderr(&out));
    let text = stdout(&out);
    for words in [
        "fanout get",
        "--engine",
        "--seed-ratio",
        "fanout serve",
        "--rpc-listen",
    ] {
        assert!(text.contains(words), "the rendered page lacks {words}:\n{text}");
    }
}

/// The page is plain ASCII roff: groff reads a page's bytes as Latin-1, so
/// one `…` in an example became three garbage characters and a warning
/// (`invalid input character code 128`) under lintian's `groff -ww`.
#[test]
fn the_man_page_is_ascii_and_groff_reads_it_without_a_warning() {
    let page = stdout(&fanout(&["man"]));
    if let Some((n, line)) = page.lines().enumerate().find(|(_, l)| !l.is_ascii()) {
        panic!("line {} of the page is not ASCII: {line}", n + 1);
    }
    if !require(&[("groff", "groff-base")]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fanout.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "groff warns: {}", stderr(&out));
}

/// `git` in this package's folder; `None` where it fails (no git, or a
/// crate tarball, not a checkout).
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(root()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `fanout --version` says the version and the commit the binary was built
/// from, so a bug report names its code; `-dirty` when the sources differ
/// from that commit.
#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = stdout(&fanout(&["--version"]));
    let rest = out
        .trim()
        .strip_prefix(concat!("fanout ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `fanout VERSION (COMMIT)`: {out}"));
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    let Some(head) = git(&["rev-parse", "HEAD"]) else {
        assert!(!in_ci, "in CI: the tests run in a git checkout");
        eprintln!("skipped: not a git checkout; the commit is {rest}");
        return;
    };
    let (commit, dirty) = match rest.strip_suffix("-dirty") {
        Some(c) => (c, true),
        None => (rest, false),
    };
    let short = git(&["rev-parse", "--short", "HEAD"]).unwrap();
    assert_eq!(
        git(&["rev-parse", commit]).as_deref(),
        Some(head.as_str()),
        "built from {commit}, HEAD is {short}"
    );
    // build.rs marks changes to all of these, and reruns on changes to
    // the first three (and on commits): a clean build has none there.
    let inputs = ["src", "build.rs", "Cargo.lock", "Cargo.toml", "assets", "vendor"];
    let changes = |paths: &[&str]| {
        let mut args = vec!["status", "--porcelain", "--"];
        args.extend(paths);
        git(&args).unwrap()
    };
    if dirty {
        assert!(
            !changes(&inputs).is_empty(),
            "-dirty, but the sources are as committed"
        );
    } else {
        let changed = changes(&inputs[..3]);
        assert!(changed.is_empty(), "not -dirty, but changed:\n{changed}");
    }
}

/// The entry the package installs: fanout from the PATH with the URLs it
/// is handed, the themed icon, the magnet and torrent types; the desktop's
/// checker accepts it. The metadata names it as its launchable, and
/// appstreamcli accepts the metadata offline.
#[test]
fn the_packaged_desktop_entry_and_metainfo_pass_the_desktop_s_checkers() {
    let entry = stdout(&fanout(&["desktop-entry"]));
    for line in ["Exec=fanout %U", "Icon=fanout", "Type=Application"] {
        assert!(entry.lines().any(|l| l == line), "no {line} in\n{entry}");
    }
    let mime = entry.lines().find_map(|l| l.strip_prefix("MimeType=")).unwrap();
    for wanted in ["x-scheme-handler/magnet", "application/x-bittorrent"] {
        assert!(
            mime.split(';').any(|t| t == wanted),
            "{wanted} missing from {mime}"
        );
    }
    let meta = std::fs::read_to_string(root().join(METAINFO)).unwrap();
    assert!(meta.contains("<launchable type=\"desktop-id\">fanout.desktop</launchable>"));
    assert!(meta.contains("<content_rating type=\"oars-1.1\"/>"));

    if require(&[("desktop-file-validate", "desktop-file-utils")]) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fanout.desktop");
        std::fs::write(&file, &entry).unwrap();
        let check = Command::new("desktop-file-validate").arg(&file).output().unwrap();
        assert!(
            check.status.success() && check.stdout.is_empty(),
            "{}",
            stdout(&check)
        );
    }
    if require(&[("appstreamcli", "appstream")]) {
        let check = Command::new("appstreamcli")
            .args(["validate", "--no-net"])
            .arg(root().join(METAINFO))
            .output()
            .unwrap();
        assert!(check.status.success(), "{}{}", stdout(&check), stderr(&check));
    }
}

const METAINFO: &str = "assets/org.fanout.fanout.metainfo.xml";

/// `[package.metadata.deb]`'s assets as (source, destination).
fn deb_assets() -> Vec<(String, String)> {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_array().unwrap();
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// Every file the package lists is there (or made by packaging/deb.sh),
/// the icon theme gets fanout at every size from 16 to 512 px, each PNG the
/// size its folder says, and the metainfo goes where software centres look,
/// under its component id.
#[test]
fn the_package_lists_files_that_exist_and_icons_of_every_size() {
    let assets = deb_assets();
    let script = std::fs::read_to_string(root().join("packaging/deb.sh")).unwrap();
    for (source, dest) in &assets {
        if let Some(made) = source.strip_prefix("target/package/") {
            assert!(
                script.contains(&format!("$out/{made}\"")),
                "deb.sh does not make {source}"
            );
        } else if !source.starts_with("target/release/") {
            assert!(root().join(source).is_file(), "{source} (for {dest}) is missing");
        }
    }
    for size in [16, 24, 32, 48, 64, 128, 256, 512] {
        let dest = format!("usr/share/icons/hicolor/{size}x{size}/apps/fanout.png");
        let (source, _) = assets
            .iter()
            .find(|(_, d)| *d == dest)
            .unwrap_or_else(|| panic!("no {dest}"));
        let png = std::fs::read(root().join(source)).unwrap();
        assert_eq!(png_size(&png), (size, size), "{source}");
    }
    let meta = std::fs::read_to_string(root().join(METAINFO)).unwrap();
    let id = meta
        .split("<id>")
        .nth(1)
        .and_then(|r| r.split("</id>").next())
        .unwrap();
    let installed = format!("usr/share/metainfo/{id}.metainfo.xml");
    assert!(
        assets.iter().any(|(s, d)| s == METAINFO && *d == installed),
        "{installed}"
    );
    for dest in [
        "usr/bin/",
        "usr/share/applications/fanout.desktop",
        "usr/share/man/man1/fanout.1",
        "usr/share/bash-completion/completions/fanout",
        "usr/share/zsh/vendor-completions/_fanout",
        "usr/share/fish/vendor_completions.d/fanout.fish",
        "usr/lib/systemd/user/fanout.service",
    ] {
        assert!(assets.iter().any(|(_, d)| d == dest), "nothing goes to {dest}");
    }
}
