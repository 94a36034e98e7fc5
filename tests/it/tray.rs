//! The tray icon and the hidden window, with the real binary: Xvfb, a
//! private `dbus-daemon --session`, and a StatusNotifierWatcher of the
//! test's own on it (what a desktop's tray host runs). The test reads the
//! item's tooltip and its menu (com.canonical.dbusmenu `GetLayout`) and
//! clicks menu entries with `Event`, as a tray host does.
//!
//! Needs `Xvfb` and `dbus-daemon`: skipped without them, except in CI.

use crate::support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::programs::{Killed, private_bus, require, serve_on_bus, wait_for_exit};
use support::x11::{start_xvfb, window_named};
use x11rb::connection::Connection;
use zbus::zvariant::{OwnedValue, Value};

/// What a tray host's watcher does: takes items' registrations.
struct Watcher(mpsc::Sender<String>);

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        // An item gives its well-known name (or its object path).
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let name = if service.starts_with('/') {
            sender
        } else {
            service.to_string()
        };
        let _ = self.0.send(name);
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// One entry of the menu: its id, label, and children.
#[derive(Debug)]
struct Entry {
    id: i32,
    label: String,
    toggled: bool,
    children: Vec<Entry>,
}

impl Entry {
    fn find(&self, label: &str) -> Option<&Entry> {
        if self.label == label {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(label))
    }

    fn labels(&self) -> Vec<String> {
        let mut out = vec![self.label.clone()];
        for c in &self.children {
            out.extend(c.labels());
        }
        out.retain(|l| !l.is_empty());
        out
    }
}

/// `(ia{sv}av)`, as GetLayout nests it.
fn entry(value: &Value<'_>) -> Entry {
    let value = match value {
        Value::Value(inner) => inner.as_ref(),
        v => v,
    };
    let Value::Structure(s) = value else {
        panic!("a layout entry is a structure: {value:?}")
    };
    let fields = s.fields();
    let Value::I32(id) = fields[0] else {
        panic!("an id")
    };
    let Value::Dict(props) = &fields[1] else {
        panic!("properties")
    };
    let label: Option<String> = props.get::<&str, String>(&"label").unwrap();
    let toggled: Option<i32> = props.get::<&str, i32>(&"toggle-state").unwrap();
    let Value::Array(children) = &fields[2] else {
        panic!("children")
    };
    Entry {
        id,
        label: label.unwrap_or_default(),
        toggled: toggled == Some(1),
        children: children.iter().map(entry).collect(),
    }
}

struct Item {
    conn: zbus::blocking::Connection,
    name: String,
}

impl Item {
    fn property(&self, name: &str) -> OwnedValue {
        let proxy = zbus::blocking::Proxy::new(
            &self.conn,
            self.name.as_str(),
            "/StatusNotifierItem",
            "org.kde.StatusNotifierItem",
        )
        .unwrap();
        proxy.get_property::<OwnedValue>(name).unwrap()
    }

    /// The tooltip's title and text.
    fn tooltip(&self) -> (String, String) {
        let tip = self.property("ToolTip");
        // (icon name, pixmaps (width, height, ARGB), title, text)
        type ToolTip = (String, Vec<(i32, i32, Vec<u8>)>, String, String);
        let (_icon, _pixmaps, title, text): ToolTip = tip.try_into().unwrap();
        (title, text)
    }

    fn menu_path(&self) -> String {
        let path: zbus::zvariant::OwnedObjectPath = self.property("Menu").try_into().unwrap();
        path.to_string()
    }

    fn layout(&self) -> Entry {
        let reply = self
            .conn
            .call_method(
                Some(self.name.as_str()),
                self.menu_path().as_str(),
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, Vec::<&str>::new()),
            )
            .unwrap();
        type Layout = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);
        let (_revision, (id, props, children)): (u32, Layout) = reply.body().deserialize().unwrap();
        Entry {
            id,
            label: props
                .get("label")
                .map(|v| String::try_from(v.clone()).unwrap())
                .unwrap_or_default(),
            toggled: false,
            children: children.iter().map(|c| entry(c)).collect(),
        }
    }

    /// Clicks the entry labelled `label`, as a tray host does.
    fn click(&self, label: &str) {
        let layout = self.layout();
        let id = layout
            .find(label)
            .unwrap_or_else(|| panic!("no {label:?} in the menu: {:?}", layout.labels()))
            .id;
        self.conn
            .call_method(
                Some(self.name.as_str()),
                self.menu_path().as_str(),
                Some("com.canonical.dbusmenu"),
                "Event",
                &(id, "clicked", Value::I32(0), 0u32),
            )
            .unwrap();
    }

    /// Waits until the menu has an entry labelled `label`.
    fn wait_for_entry(&self, label: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.layout().find(label).is_none() {
            assert!(
                Instant::now() < deadline,
                "no {label:?}: {:?}",
                self.layout().labels()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn frames(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

fn part_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn wait(what: &str, secs: u64, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `fanout --hidden URL…` in `home` (English, downloads into
/// `home/downloads`, the frame count into `home/frames`) on `display`, with
/// `bus` as its session bus.
fn start_hidden(home: &Path, display: &str, bus: &str, urls: &[String]) -> Killed {
    let mut settings = fanout::settings::Settings {
        download_dir: home.join("downloads"),
        language: Some(fanout::i18n::Lang::En),
        notify: false,
        ..Default::default()
    };
    settings.rpc.enabled = false;
    settings.save(&home.join("config/fanout/settings.json")).unwrap();
    std::fs::create_dir_all(home.join("run")).unwrap();
    let app = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .arg("--hidden")
        .args(urls)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("FANOUT_FRAME_LOG", home.join("frames"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fanout starts");
    Killed(app)
}

#[test]
fn started_hidden_where_there_is_no_tray_the_window_shows_itself() {
    if !require(&[("Xvfb", "xvfb"), ("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let (_xvfb, display) = start_xvfb();
    // A session bus with no StatusNotifierWatcher on it.
    let (_bus, address) = private_bus();
    let home = tempfile::tempdir().unwrap();
    let _app = start_hidden(home.path(), &display, &address, &[]);
    let (conn, screen) = x11rb::connect(Some(&display)).unwrap();
    let root = conn.setup().roots[screen].root;
    wait("the window shown", 60, || {
        window_named(&conn, root, b"fanout").is_some()
    });
    wait("frames drawn", 30, || frames(&home.path().join("frames")) > 0);
}

#[test]
fn the_tray_shows_progress_pauses_hides_and_shows_the_window_that_draws_nothing_hidden() {
    if !require(&[("Xvfb", "xvfb"), ("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let server = support::TestServer::start();
    let (_xvfb, display) = start_xvfb();
    let (_bus, address) = private_bus();
    let (tx, registered) = mpsc::channel();
    let watcher = serve_on_bus(
        &address,
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        Watcher(tx),
    );

    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let downloads = home.join("downloads");
    let frame_log = home.join("frames");
    // 256 KiB in 16 chunks a quarter of a second apart: 4 s each.
    let urls: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/tray/{i}.bin?size=262144&pace=250")))
        .collect();
    let mut app = start_hidden(home, &display, &address, &urls);

    let name = registered
        .recv_timeout(Duration::from_secs(60))
        .expect("the item registered with the watcher");
    assert!(name.starts_with("org.kde.StatusNotifierItem-"), "{name}");
    let item = Item {
        conn: zbus::blocking::connection::Builder::address(address.as_str())
            .unwrap()
            .build()
            .unwrap(),
        name,
    };

    // Hidden from the start: no window mapped, the downloads run.
    let (conn, screen) = x11rb::connect(Some(&display)).unwrap();
    let root = conn.setup().roots[screen].root;
    wait("downloads under way", 30, || part_bytes(&downloads) > 0);
    let (title, text) = item.tooltip();
    assert!(title.starts_with("fanout"), "{title}");
    assert!(text.contains("/3 done") && text.contains("running"), "{text}");
    let layout = item.layout();
    for label in [
        "Show fanout",
        "Add URLs from clipboard",
        "Pause all",
        "Speed limit",
        "No limit",
        "Alternative (512 KiB/s)",
        "The setting (no limit)",
        "Quit",
    ] {
        assert!(
            layout.find(label).is_some(),
            "no {label:?} in {:?}",
            layout.labels()
        );
    }
    assert!(layout.find("The setting (no limit)").unwrap().toggled);
    assert!(
        window_named(&conn, root, b"fanout").is_none(),
        "the window is shown"
    );
    assert_eq!(frames(&frame_log), 0, "frames drawn while hidden");

    // Pause all: the menu offers Resume all and no byte arrives.
    item.click("Pause all");
    item.wait_for_entry("Resume all");
    std::thread::sleep(Duration::from_millis(500));
    let before = part_bytes(&downloads);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(part_bytes(&downloads), before, "bytes arrived while paused");

    // The alternative limit, chosen in the tray.
    item.click("Alternative (512 KiB/s)");
    wait("the alternative limit checked", 20, || {
        item.layout().find("Alternative (512 KiB/s)").unwrap().toggled
    });

    // Show fanout: the window appears and draws.
    item.click("Show fanout");
    wait("the window shown", 60, || {
        window_named(&conn, root, b"fanout").is_some()
    });
    wait("frames drawn", 30, || frames(&frame_log) > 0);
    item.wait_for_entry("Hide");

    // Resume, then hide mid-batch: the batch finishes with no frame drawn.
    item.click("No limit");
    item.click("Resume all");
    item.wait_for_entry("Pause all");
    item.click("Hide");
    wait("the window hidden", 20, || {
        window_named(&conn, root, b"fanout").is_none()
    });
    std::thread::sleep(Duration::from_millis(500));
    let drawn = frames(&frame_log);
    wait("the batch done", 60, || item.tooltip().1.starts_with("3/3 done"));
    for (i, _) in urls.iter().enumerate() {
        let bytes = std::fs::read(downloads.join(format!("{i}.bin"))).unwrap();
        assert_eq!(bytes, support::body_for(&format!("/tray/{i}.bin"), 262144));
    }
    assert_eq!(frames(&frame_log), drawn, "frames drawn while hidden");

    // The tray host goes away: with no icon to come back by, the window
    // comes back itself.
    drop(watcher);
    wait("the window back with the tray gone", 30, || {
        window_named(&conn, root, b"fanout").is_some()
    });

    // Quit from the tray: a clean exit.
    item.click("Quit");
    let status = wait_for_exit(&mut app, "after Quit");
    assert!(status.success(), "{status}");
}
