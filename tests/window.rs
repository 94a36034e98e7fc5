//! The real binary in a real X server: start `fanout` under Xvfb, wait for
//! its window, photograph it, check the picture is a drawn window and not a
//! blank one, and close it the way a window manager does (WM_DELETE_WINDOW),
//! expecting a clean exit.
//!
//! Needs `Xvfb` (and Mesa for the renderer). Without it the test is skipped
//! with a message, except in CI (`CI=true`), where that is a failure.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, ImageFormat, MapState, Window,
};
use x11rb::rust_connection::RustConnection;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Starts Xvfb on a display number it picks itself (`-displayfd`), so tests
/// running side by side never share or race for one.
fn start_xvfb() -> (Killed, String) {
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

/// The visible top-level window with this title. (A window that a failed
/// renderer made and dropped may linger unmapped: it does not count.)
fn window_named(conn: &RustConnection, root: Window, name: &[u8]) -> Option<Window> {
    let tree = conn.query_tree(root).ok()?.reply().ok()?;
    tree.children.into_iter().find(|&w| {
        let titled = conn
            .get_property(false, w, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 256)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|p| p.value == name);
        let visible = conn
            .get_window_attributes(w)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        titled && visible
    })
}

/// The window's pixels as RGB, with its size; `None` until it is mapped.
fn photograph(conn: &RustConnection, window: Window) -> Option<(u32, u32, Vec<u8>)> {
    let geo = conn.get_geometry(window).ok()?.reply().ok()?;
    let img = conn
        .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, geo.width, geo.height, !0)
        .ok()?
        .reply()
        .ok()?;
    // Depth 24 comes as 32-bit BGRX.
    let rgb = img
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    Some((u32::from(geo.width), u32::from(geo.height), rgb))
}

fn distinct_colours(rgb: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for p in rgb.chunks_exact(3) {
        seen.insert((p[0], p[1], p[2]));
    }
    seen.len()
}

#[test]
fn the_window_opens_draws_and_closes_cleanly() {
    open_photograph_close("window-smoke", &[]);
}

/// A machine where wgpu finds no surface (forced here by asking for Metal on
/// Linux) still gets the window, drawn with glow.
#[test]
fn without_a_wgpu_surface_the_window_falls_back_to_glow() {
    open_photograph_close("window-glow", &[("WGPU_BACKEND", "metal")]);
}

fn open_photograph_close(name: &str, env: &[(&str, &str)]) {
    if !have("Xvfb") {
        let why = "Xvfb is not installed (apt-get install xvfb)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "in CI: {why}");
        eprintln!("skipped: {why}");
        return;
    }
    let (_xvfb, display) = start_xvfb();
    let home = tempfile::tempdir().unwrap();
    let app = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fanout starts");
    let mut app = Killed(app);

    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let root = conn.setup().roots[screen].root;
    let deadline = Instant::now() + Duration::from_secs(60);
    let window = loop {
        if let Some(w) = window_named(&conn, root, b"fanout") {
            break w;
        }
        if let Some(status) = app.0.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            let _ = app.0.stderr.take().unwrap().read_to_string(&mut err);
            panic!("fanout exited with {status} before its window appeared:\n{err}");
        }
        assert!(Instant::now() < deadline, "no window titled fanout within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    };

    // The first frames take a moment on a software renderer: wait until
    // the window shows a drawn interface (text, buttons, panels).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut window = window;
    let (w, h, rgb) = loop {
        window = window_named(&conn, root, b"fanout").unwrap_or(window);
        let shot = photograph(&conn, window);
        match shot {
            Some(shot) if distinct_colours(&shot.2) >= 16 || Instant::now() > deadline => break shot,
            None => assert!(Instant::now() < deadline, "the window never became visible"),
            Some(_) => {}
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    image::RgbImage::from_raw(w, h, rgb.clone())
        .unwrap()
        .save(&out)
        .unwrap();
    let colours = distinct_colours(&rgb);
    assert!(
        colours >= 16,
        "the window looks blank ({colours} colours); see {}",
        out.display()
    );
    assert!(w >= 700 && h >= 400, "window is {w}x{h}");

    // Close it as a window manager would.
    let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
    let msg = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
    conn.send_event(false, window, EventMask::NO_EVENT, msg).unwrap();
    conn.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "fanout did not exit after its window was closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "fanout exited with {status}");
}
