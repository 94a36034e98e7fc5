//! The real binary in a real X server: start `fanout` under Xvfb, wait for
//! its window, photograph it, check the picture is a drawn window and not a
//! blank one, and close it the way a window manager does (WM_DELETE_WINDOW),
//! expecting a clean exit.
//!
//! Needs `Xvfb` (and Mesa for the renderer). Without it the test is skipped
//! with a message, except in CI (`CI=true`), where that is a failure.

use crate::support;

use support::programs::{Killed, private_bus, require, serve_on_bus, wait_for_exit};
use support::x11::{start_xvfb, window_named};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, ImageFormat, Window};
use x11rb::rust_connection::RustConnection;

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
    if !require(&[("Xvfb", "xvfb")]) {
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
        // Never the user's own session bus (and keyring).
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
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
    let status = wait_for_exit(&mut app, "after its window was closed");
    assert!(status.success(), "fanout exited with {status}");
}

/// What a desktop's notification server gets: `Notify` calls, as
/// (app name, summary, body).
struct Notifications(std::sync::mpsc::Sender<(String, String, String)>);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<&str>,
        _hints: std::collections::HashMap<&str, zbus::zvariant::Value<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        let _ = self.0.send((app_name.into(), summary.into(), body.into()));
        1
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("test".into(), "fanout".into(), "1".into(), "1.2".into())
    }
}

/// The title of a window (`_NET_WM_NAME`, UTF-8, else `WM_NAME`).
fn title_of(conn: &RustConnection, window: Window) -> String {
    let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
    let (net_name, utf8) = (atom(b"_NET_WM_NAME"), atom(b"UTF8_STRING"));
    for (prop, kind) in [(net_name, utf8), (AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())] {
        if let Ok(Ok(reply)) = conn
            .get_property(false, window, prop, kind, 0, 256)
            .map(|c| c.reply())
            && !reply.value.is_empty()
        {
            return String::from_utf8_lossy(&reply.value).into_owned();
        }
    }
    String::new()
}

/// The top-level windows' titles.
fn titles(conn: &RustConnection, root: Window) -> Vec<(Window, String)> {
    let Ok(Ok(tree)) = conn.query_tree(root).map(|c| c.reply()) else {
        return Vec::new();
    };
    tree.children
        .into_iter()
        .map(|w| (w, title_of(conn, w)))
        .collect()
}

#[test]
fn a_finished_batch_shows_in_the_title_and_as_a_desktop_notification() {
    if !require(&[("Xvfb", "xvfb"), ("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let server = support::TestServer::start();
    let (_xvfb, display) = start_xvfb();

    // A private session bus with a notification server of our own on it.
    let (_bus, address) = private_bus();
    let (tx, notified) = std::sync::mpsc::channel();
    let _server = serve_on_bus(
        &address,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        Notifications(tx),
    );

    // Three unfinished downloads in the saved queue, resumed at start.
    let home = tempfile::tempdir().unwrap();
    let downloads = home.path().join("downloads");
    let (config, data) = (home.path().join("config"), home.path().join("data"));
    let settings = fanout::settings::Settings {
        download_dir: downloads.clone(),
        resume_on_start: true,
        notify: true,
        language: Some(fanout::i18n::Lang::En),
        ..Default::default()
    };
    settings.save(&config.join("fanout/settings.json")).unwrap();
    std::fs::create_dir_all(data.join("fanout")).unwrap();
    let mut store = fanout::service::store::Store::open(&data.join("fanout/queue.sqlite3")).unwrap();
    let ops: Vec<_> = (0..3)
        .map(|i| {
            let url = server.url(&format!("/nb/{i}.jpg?size=1000&latency={}", 1500 + 700 * i));
            fanout::service::store::Op::Put(fanout::service::store::StoredTask::new(i, url, &downloads))
        })
        .collect();
    store.apply(&ops).unwrap();
    drop(store);

    let app = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", &data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fanout starts");
    let _app = Killed(app);

    // The title counts the batch as it runs, then says it is all done.
    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let root = conn.setup().roots[screen].root;
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|t: &String| t == "fanout — 3/3") {
        for (_, title) in titles(&conn, root) {
            if title.starts_with("fanout") && !seen.contains(&title) {
                seen.push(title);
            }
        }
        assert!(Instant::now() < deadline, "titles seen: {seen:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        seen.iter().any(|t| t == "fanout — 1/3" || t == "fanout — 2/3"),
        "no title in between: {seen:?}"
    );

    let (app_name, summary, body) = notified
        .recv_timeout(Duration::from_secs(20))
        .expect("a desktop notification when the batch ended");
    assert_eq!(app_name, "fanout");
    assert_eq!(summary, "fanout: downloads finished");
    assert!(body.starts_with("3 saved, 0 failed, 0 cancelled, in "), "{body}");
    assert_eq!(std::fs::read_dir(&downloads).unwrap().count(), 3);
    assert!(
        notified.recv_timeout(Duration::from_millis(500)).is_err(),
        "one notification per batch"
    );
}

/// `fanout …` with this test's home, display and runtime folder.
fn fanout_in(home: &Path, display: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fanout"));
    c.env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        // Never the user's own session bus (and keyring).
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("RUST_LOG", "warn");
    c
}

/// Waits for `path` to hold `want`.
fn wait_for_file(path: &Path, want: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read(path).ok().as_deref() != Some(want) {
        assert!(Instant::now() < deadline, "{} never arrived", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_start_hands_its_urls_to_the_window_and_a_killed_one_leaves_no_lock() {
    if !require(&[("Xvfb", "xvfb")]) {
        return;
    }
    let server = support::TestServer::start();
    let (_xvfb, display) = start_xvfb();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    std::fs::create_dir_all(home.join("run")).unwrap();
    let downloads = home.join("downloads");
    // Downloads from other programs off: the hand-over is not the RPC.
    let mut settings = fanout::settings::Settings {
        download_dir: downloads.clone(),
        language: Some(fanout::i18n::Lang::En),
        ..Default::default()
    };
    settings.rpc.enabled = false;
    settings.save(&home.join("config/fanout/settings.json")).unwrap();

    let first = fanout_in(home, &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fanout starts");
    let mut first = Killed(first);
    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let root = conn.setup().roots[screen].root;
    let deadline = Instant::now() + Duration::from_secs(60);
    while window_named(&conn, root, b"fanout").is_none() {
        assert!(Instant::now() < deadline, "no window");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A second start with a URL and a folder hands them over and exits.
    let elsewhere = home.join("elsewhere");
    let began = Instant::now();
    let out = fanout_in(home, &display)
        .arg(server.url("/one/a.bin?size=1234"))
        .arg("-o")
        .arg(&elsewhere)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "the second start lingered"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 URLs handed"));
    wait_for_file(&elsewhere.join("a.bin"), &support::body_for("/one/a.bin", 1234));
    // A file:// URL is a list of URLs.
    let list = home.join("list.txt");
    std::fs::write(&list, format!("{}\n", server.url("/one/b.bin?size=99"))).unwrap();
    let out = fanout_in(home, &display)
        .arg(format!("file://{}", list.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    wait_for_file(&downloads.join("b.bin"), &support::body_for("/one/b.bin", 99));
    // Still one window.
    let windows = titles(&conn, root)
        .into_iter()
        .filter(|(_, t)| t.starts_with("fanout"))
        .count();
    assert_eq!(windows, 1);

    // Killed: no lock is left behind; the next start is the window, and
    // takes its own URL.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let next = fanout_in(home, &display)
        .arg(server.url("/one/c.bin?size=77"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _next = Killed(next);
    wait_for_file(&downloads.join("c.bin"), &support::body_for("/one/c.bin", 77));
    let out = fanout_in(home, &display).output().unwrap();
    assert!(
        out.status.success(),
        "a bare second start raises the window and exits"
    );
}

/// Waits until the window's RPC answers on `port`.
fn wait_for_rpc(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the RPC never served on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_secret_lives_in_the_system_keyring_where_there_is_one() {
    if !require(&[
        ("Xvfb", "xvfb"),
        ("dbus-daemon", "dbus-daemon"),
        ("gnome-keyring-daemon", "gnome-keyring"),
        ("secret-tool", "libsecret-tools"),
    ]) {
        return;
    }
    let (_xvfb, display) = start_xvfb();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    std::fs::create_dir_all(home.join("run")).unwrap();
    // A private session bus, and a GNOME Keyring on it, unlocked.
    let (_bus, address) = private_bus();
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets", "--foreground"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("XDG_DATA_HOME", home.join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon starts");
    {
        use std::io::Write;
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-password").unwrap();
    } // closing stdin ends the password
    let _keyring = Killed(keyring);
    let lookup_key = |key: &str| {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "fanout", "username", key])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // A secret from before (when there was no keyring) must stay the same:
    // the programs given it go on working.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = home.join("config/fanout");
    let mut settings = fanout::settings::Settings::default();
    settings.rpc.port = port;
    settings.save(&config.join("settings.json")).unwrap();
    // An older settings.json held the aria2 engine's secret itself.
    let path = config.join("settings.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["aria2_secret"] = "legacy-aria2-token".into();
    std::fs::write(&path, json.to_string()).unwrap();
    let before = "0123456789abcdef0123456789abcdef";
    std::fs::write(
        config.join("secrets.json"),
        format!("{{\"rpc-secret\": \"{before}\", \"proxy-password\": \"px-pass\"}}"),
    )
    .unwrap();
    let app = fanout_in(home, &display)
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fanout starts");
    let _app = Killed(app);
    wait_for_rpc(port);
    assert_eq!(
        lookup_key("rpc-secret"),
        before,
        "the secret moved to the keyring"
    );
    // Every secret does: the proxy's password from the file, the aria2
    // secret from settings.json, which no longer holds it.
    // They move one at a time: wait for the last of them.
    let deadline = Instant::now() + Duration::from_secs(20);
    while ["aria2-secret", "proxy-password"]
        .iter()
        .any(|k| lookup_key(k).is_empty())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(lookup_key("aria2-secret"), "legacy-aria2-token");
    assert_eq!(lookup_key("proxy-password"), "px-pass");
    // The file is rewritten once they are kept in the keyring.
    let kept_in_file = || {
        let file = std::fs::read_to_string(config.join("secrets.json")).unwrap_or_default();
        (file.contains(before) || file.contains("px-pass")).then_some(file)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while kept_in_file().is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(kept_in_file(), None, "still in the file");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&path)
        .unwrap()
        .contains("legacy-aria2-token")
    {
        assert!(
            Instant::now() < deadline,
            "settings.json still holds the aria2 secret"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // And it is the one the server takes.
    let answer = support::http_client()
        .post(format!("http://127.0.0.1:{port}/jsonrpc"))
        .body(format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"aria2.getGlobalStat","params":["token:{before}"]}}"#
        ))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// The window answers an RPC call once the queue has it: `kill -9` right
/// after a multicall of adds, with a slow disk (each write of the queue
/// takes 300 ms), loses none of them.
#[test]
fn adds_the_window_acknowledged_survive_kill_9() {
    if !require(&[("Xvfb", "xvfb")]) {
        return;
    }
    let server = support::TestServer::start();
    let (_xvfb, display) = start_xvfb();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    std::fs::create_dir_all(home.join("run")).unwrap();
    let port = support::programs::free_port();
    let mut settings = fanout::settings::Settings {
        download_dir: home.join("downloads"),
        language: Some(fanout::i18n::Lang::En),
        ..Default::default()
    };
    settings.rpc.port = port;
    settings.save(&home.join("config/fanout/settings.json")).unwrap();
    let mut app = support::programs::Killed(
        fanout_in(home, &display)
            .env("FANOUT_TEST_SLOW_STORE_MS", "300")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_rpc(port);
    // No keyring on this bus-less machine: the secret is in the file.
    let secrets = home.join("config/fanout/secrets.json");
    let secret = loop {
        let text = std::fs::read_to_string(&secrets).unwrap_or_default();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(s) = v["rpc-secret"].as_str()
        {
            break s.to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let n = 500;
    let calls: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let url = server.url(&format!("/k/{i}.bin?size=1000"));
            serde_json::json!({"methodName": "aria2.addUri", "params": [format!("token:{secret}"), [url], {"pause": "true"}]})
        })
        .collect();
    let reply = support::serve::post(
        &format!("http://127.0.0.1:{port}/jsonrpc"),
        &serde_json::json!({"jsonrpc": "2.0", "id": "m", "method": "system.multicall", "params": [calls]}),
    );
    app.0.kill().unwrap();
    assert_eq!(reply["result"].as_array().map(Vec::len), Some(n), "{reply}");
    app.0.wait().unwrap();
    let kept = fanout::service::store::Store::open(&home.join("data/fanout/queue.sqlite3"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(kept.len(), n, "every acknowledged add is in the queue");
}

/// Started from a menu while `fanout serve` keeps the data folder, the
/// window does not open a second owner of the queue, and says why where
/// the user sees it: a desktop notification.
#[test]
fn a_window_started_beside_fanout_serve_says_so_in_a_notification() {
    if !require(&[("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let service = support::serve::Serve::start_in(home.path(), &[]);
    let (_bus, address) = private_bus();
    let (tx, rx) = std::sync::mpsc::channel();
    let _server = serve_on_bus(
        &address,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        Notifications(tx),
    );
    let mut window = Command::new(env!("CARGO_BIN_EXE_fanout"));
    support::serve::hermetic(&mut window, home.path());
    let out = window.env("DBUS_SESSION_BUS_ADDRESS", &address).output().unwrap();
    assert!(!out.status.success());
    let (app, summary, body) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!((app.as_str(), summary.as_str()), ("fanout", "fanout"));
    assert!(
        body.contains(&format!("`fanout serve` (RPC on port {})", service.port))
            && body.contains("no window opens"),
        "{body}"
    );
}
