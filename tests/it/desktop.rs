//! The desktop entry `fanout --install-desktop-entry` writes: it puts
//! fanout in the application menu with this very binary and its icon, and
//! it opens what a download manager is handed (URL lists, a browser's
//! magnet links, double-clicked `.torrent` files), as the desktop's own
//! checker (desktop-file-validate, where installed) agrees.

use crate::support;

use std::process::{Command, Output};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `fanout --install-desktop-entry` into a home of its own: the home (kept
/// while it is used) and its data folder.
fn install() -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .arg("--install-desktop-entry")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (home, data)
}

#[test]
fn install_desktop_entry_puts_fanout_in_the_menu_with_this_binary() {
    let (_home, data) = install();
    let entry = std::fs::read_to_string(data.join("applications/fanout.desktop")).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_fanout")).unwrap();
    assert!(entry.contains(&format!("Exec={} %U\n", exe.display())), "{entry}");
    assert!(entry.contains("StartupWMClass=fanout\n"));
    let icon = data.join("icons/hicolor/256x256/apps/fanout.png");
    assert!(entry.contains(&format!("Icon={}\n", icon.display())));
    assert!(std::fs::read(&icon).unwrap().starts_with(b"\x89PNG"));
}

/// A browser's magnet link and a double-clicked `.torrent` reach fanout:
/// the entry says it opens both, and the desktop's own checker takes it.
#[test]
fn the_desktop_entry_opens_magnet_links_and_torrent_files() {
    let (_home, data) = install();
    let path = data.join("applications/fanout.desktop");
    let entry = std::fs::read_to_string(&path).unwrap();
    let mime = entry
        .lines()
        .find_map(|l| l.strip_prefix("MimeType="))
        .expect("a MimeType line");
    let types: Vec<&str> = mime.split(';').filter(|t| !t.is_empty()).collect();
    for wanted in [
        "x-scheme-handler/magnet",
        "application/x-bittorrent",
        "text/uri-list",
    ] {
        assert!(types.contains(&wanted), "{wanted} missing from {mime}");
    }
    // `%U`: the links and files come as URLs, several at once.
    assert!(
        entry
            .lines()
            .any(|l| l.starts_with("Exec=") && l.ends_with(" %U")),
        "{entry}"
    );
    if support::programs::require(&[("desktop-file-validate", "desktop-file-utils")]) {
        let check = Command::new("desktop-file-validate").arg(&path).output().unwrap();
        assert!(
            check.status.success() && check.stdout.is_empty(),
            "{}{}",
            String::from_utf8_lossy(&check.stdout),
            stderr(&check)
        );
    }
}
