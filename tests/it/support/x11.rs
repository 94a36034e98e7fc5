//! The X server of the window tests: Xvfb on a display of its own, and
//! finding a program's visible window.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, MapState, Window};
use x11rb::rust_connection::RustConnection;

use super::programs::Killed;

/// Starts Xvfb on a display number it picks itself (`-displayfd`), so tests
/// running side by side never share or race for one.
pub fn start_xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1360x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let n: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb gave no display number: {line:?}"));
    (Killed(child), format!(":{n}"))
}

/// The visible top-level window whose title starts with `name` (`fanout`,
/// `fanout — 2/3`). (A window that a failed
/// renderer made and dropped may linger unmapped: it does not count.)
pub fn window_named(conn: &RustConnection, root: Window, name: &[u8]) -> Option<Window> {
    let tree = conn.query_tree(root).ok()?.reply().ok()?;
    tree.children.into_iter().find(|&w| {
        let titled = conn
            .get_property(false, w, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 256)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|p| p.value.starts_with(name));
        let visible = conn
            .get_window_attributes(w)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        titled && visible
    })
}
