//! Running unattended, in the window with real downloads: the weekly
//! schedule on a clock of the test's own, closing to the tray (asked once),
//! `Start at login`, and clipboard watching on a real X clipboard (Xvfb and
//! xclip; skipped without them, except in CI). The tray icon itself, and
//! the hidden window drawing nothing, are tested with the binary in
//! `tray`.

use crate::support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use fanout::gui::{FanoutApp, TrayChoice};
use fanout::service::model::TaskState;
use fanout::settings::OnClose;
use fanout::settings::schedule::{Clock, Days, Rule, RuleKind, WeekTime};
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, close_preferences, open_preferences, settle, step_until};

/// A clock the test sets.
#[derive(Debug, Default)]
struct FakeClock(AtomicU32);

impl FakeClock {
    fn set(&self, day: u32, h: u32, m: u32) {
        let t = WeekTime::new(day, h * 60 + m);
        self.0.store(t.day() * 24 * 60 + t.minute(), Ordering::Relaxed);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> WeekTime {
        let n = self.0.load(Ordering::Relaxed);
        WeekTime::new(n / (24 * 60), n % (24 * 60))
    }
}

const MON: u32 = 0;
const TUE: u32 = 1;
const WED: u32 = 2;

fn status_shows(harness: &egui_kittest::Harness<'_, FanoutApp>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

/// Steps until the status bar shows `text`.
fn step_until_shown(harness: &mut egui_kittest::Harness<'_, FanoutApp>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        harness.step();
        if status_shows(harness, text) {
            return;
        }
        assert!(Instant::now() < deadline, "never shown: {text:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn rows_in(app: &FanoutApp, f: fn(&TaskState) -> bool) -> usize {
    app.core().model.rows.iter().filter(|r| f(&r.state)).count()
}

#[test]
fn the_schedule_starts_pauses_and_limits_at_its_edges_and_after_a_restart() {
    let server = TestServer::start();
    let setup = Setup::new();
    let hm = |h: u32, m: u32| h * 60 + m;
    setup.change_settings(|settings| {
        settings.schedule.rules = vec![
            Rule {
                kind: RuleKind::Pause,
                days: Days::WORKDAYS,
                at: hm(9, 0),
                until: 0,
            },
            Rule {
                kind: RuleKind::Start,
                days: Days::WORKDAYS,
                at: hm(18, 0),
                until: 0,
            },
            Rule {
                kind: RuleKind::AltLimit,
                days: Days::ALL,
                at: hm(22, 0),
                until: hm(6, 0),
            },
        ];
        settings.alt_speed_limit_kib = 64;
    });
    let clock = Arc::new(FakeClock::default());
    clock.set(MON, 8, 59);
    let c = clock.clone();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), move |o| o.clock = c);

    // Monday 08:59: Friday 18:00's start holds; downloads run.
    step_until_shown(&mut harness, "Schedule: running since Fri 18:00");
    assert!(status_shows(&harness, "next: pause Mon 09:00"));
    // 2 MiB at a 16 KiB chunk every 100 ms: 12 s each, unless paused.
    let urls: Vec<String> = (0..3)
        .map(|i| server.url(&format!("/sch/{i}.bin?size=2097152&pace=100")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "downloads running", |app| {
        rows_in(app, |s| matches!(s, TaskState::Running)) == 3
    });

    // 09:00: everything pauses.
    clock.set(MON, 9, 0);
    step_until(&mut harness, "the 09:00 pause", |app| {
        app.queue_paused() && rows_in(app, |s| matches!(s, TaskState::Paused)) == 3
    });
    step_until_shown(&mut harness, "Schedule: paused since Mon 09:00");
    assert!(status_shows(&harness, "next: start Mon 18:00"));

    // 18:00: everything goes on.
    clock.set(MON, 18, 0);
    step_until(&mut harness, "the 18:00 start", |app| {
        !app.queue_paused() && rows_in(app, |s| matches!(s, TaskState::Running)) == 3
    });

    // 22:00: the alternative limit, across midnight into Tuesday.
    clock.set(MON, 22, 0);
    step_until_shown(&mut harness, "Limit: 64.0 KiB/s");
    assert!(status_shows(&harness, "alternative limit until Tue 06:00"));
    assert_eq!(
        harness.state().speed(),
        fanout::settings::schedule::SpeedChoice::Alternative
    );
    clock.set(TUE, 0, 30);
    step_until_shown(&mut harness, "next: usual limit Tue 06:00");
    assert!(status_shows(&harness, "Limit: 64.0 KiB/s"));
    clock.set(TUE, 6, 0);
    step_until(&mut harness, "the limit's end", |app| {
        app.speed() == fanout::settings::schedule::SpeedChoice::Setting
    });
    assert!(!status_shows(&harness, "Limit:"));

    // A change of day: Tuesday 09:00 pauses again (a workday).
    clock.set(TUE, 9, 0);
    step_until(&mut harness, "Tuesday's pause", |app| app.queue_paused());

    // Rules edited while the limit runs: gone, the limit goes with them.
    clock.set(TUE, 23, 0);
    step_until(&mut harness, "the night's limit", |app| {
        app.speed() == fanout::settings::schedule::SpeedChoice::Alternative
    });
    harness.state_mut().settings_mut().schedule.rules.truncate(2);
    step_until(&mut harness, "the edit applied", |app| {
        app.speed() == fanout::settings::schedule::SpeedChoice::Setting
    });
    harness.state_mut().settings_mut().schedule.rules.clear();
    settle(&mut harness);
    drop(harness);

    // After a restart, the rules in force apply at once: Wednesday 10:00
    // is in a paused time.
    setup.change_settings(|settings| {
        assert!(settings.schedule.rules.is_empty(), "the edit was saved");
        settings.schedule.rules = vec![Rule {
            kind: RuleKind::Pause,
            days: Days(1 << WED),
            at: hm(9, 30),
            until: 0,
        }];
    });
    clock.set(WED, 10, 0);
    let c = clock.clone();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), move |o| o.clock = c);
    step_until_shown(&mut harness, "Schedule: paused since Wed 09:30");
    assert!(harness.state().queue_paused());
    assert!(status_shows(&harness, "next: pause Wed 09:30"));
}

/// The window manager's close button, and two frames.
fn request_close(harness: &mut egui_kittest::Harness<'_, FanoutApp>) {
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    harness.step();
    harness.step();
}

#[test]
fn closing_while_downloading_asks_once_then_keeps_downloading_hidden() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), |o| o.tray = TrayChoice::Pretend);
    let urls: Vec<String> = (0..2)
        .map(|i| server.url(&format!("/close/{i}.bin?size=262144&pace=100")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    request_close(&mut harness);
    harness.get_by_label("Keep downloading in the tray?");
    assert!(!harness.state().hidden());
    harness.get_by_label("Keep in the tray").click();
    harness.step();
    assert!(harness.state().hidden());
    let drawn = harness.state().frames();
    step_until(&mut harness, "the batch, hidden", all_done(2));
    assert_eq!(harness.state().frames(), drawn, "frames drawn while hidden");
    // The answer is kept.
    let saved = setup.settings();
    assert_eq!(saved.on_close, OnClose::Tray);

    // Shown again; closing now hides at once, without asking.
    let ctx = harness.ctx.clone();
    harness.state_mut().set_hidden(false, &ctx);
    harness.step();
    add_urls(&mut harness, &server.url("/close/2.bin?size=262144&pace=100"));
    request_close(&mut harness);
    assert!(harness.state().hidden());
    assert!(!harness.state().close_question());
}

#[test]
fn without_a_tray_closing_closes_as_before() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    add_urls(&mut harness, &server.url("/close/x.bin?size=262144&pace=100"));
    request_close(&mut harness);
    assert!(!harness.state().hidden());
    assert!(!harness.state().close_question());
    assert!(harness.query_by_label("Keep downloading in the tray?").is_none());
}

#[test]
fn start_at_login_writes_the_autostart_entry_and_removes_it() {
    let setup = Setup::new();
    let autostart = setup.config.path().join("autostart-here");
    let dir = autostart.clone();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), move |o| {
        o.autostart_dir = dir;
        o.exe = Some("/opt/fanout/bin/fanout".into());
    });
    settle(&mut harness);
    open_preferences(&mut harness, "Schedule and unattended");
    let entry = autostart.join("fanout.desktop");
    harness.get_by_label("Start at login (hidden)").click();
    settle(&mut harness);
    let text = std::fs::read_to_string(&entry).expect("the autostart entry");
    assert!(
        text.contains("\nExec=/opt/fanout/bin/fanout --hidden\n"),
        "{text}"
    );
    harness.get_by_label("Start at login (hidden)").click();
    settle(&mut harness);
    assert!(!entry.exists(), "the entry is still there");
}

/// Puts `text` on the X clipboard of `display` with xclip, which serves one
/// request for it and exits.
fn copy(display: &str, text: &str) -> std::process::Child {
    use std::io::Write;
    let mut child = Command::new("xclip")
        .args([
            "-display",
            display,
            "-selection",
            "clipboard",
            "-loops",
            "1",
            "-quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xclip starts");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    child
}

#[test]
fn copied_urls_are_offered_and_add_queues_only_the_new_ones() {
    if !support::programs::require(&[("Xvfb", "xvfb"), ("xclip", "xclip")]) {
        return;
    }
    let server = TestServer::start();
    let (_xvfb, display) = support::x11::start_xvfb();
    let setup = Setup::new();
    setup.change_settings(|settings| {
        settings.watch_clipboard = true;
    });
    let d = display.clone();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), move |o| o.display = Some(d));
    add_urls(&mut harness, &server.url("/clip/a.bin"));
    step_until(&mut harness, "the first download", all_done(1));
    // Preferences says how the clipboard is watched.
    open_preferences(&mut harness, "Browser and other programs");
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness
        .query_by_label("Watching the clipboard by X11 selection events.")
        .is_none()
    {
        harness.step();
        assert!(Instant::now() < deadline, "not watching by selection events");
        std::thread::sleep(Duration::from_millis(20));
    }
    close_preferences(&mut harness);

    // a.bin is queued already; b and c are new; the last line is no URL.
    let list = [
        server.url("/clip/a.bin"),
        server.url("/clip/b.bin"),
        server.url("/clip/c.bin"),
        "see you at five".to_string(),
    ]
    .join("\n");
    let mut xclip = support::programs::Killed(copy(&display, &list));
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("Add 2 URLs?").is_none() {
        harness.step();
        assert!(Instant::now() < deadline, "no notice for 2 URLs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = xclip.0.wait();
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the copied downloads", all_done(3));
    let urls: Vec<String> = harness
        .state()
        .core()
        .model
        .rows
        .iter()
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(
        urls,
        [
            server.url("/clip/a.bin"),
            server.url("/clip/b.bin"),
            server.url("/clip/c.bin")
        ]
    );
    assert!(harness.query_by_label("Copied URLs").is_none());

    // The same list again: all queued, nothing offered.
    let mut xclip = support::programs::Killed(copy(&display, &list));
    let _ = xclip.0.wait();
    let until = Instant::now() + Duration::from_millis(800);
    while Instant::now() < until {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(harness.query_by_label("Copied URLs").is_none(), "offered again");

    // A magnet link is offered as a URL is (and ignored here).
    let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=set";
    let mut xclip = support::programs::Killed(copy(&display, magnet));
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("Add 1 URL?").is_none() {
        harness.step();
        assert!(Instant::now() < deadline, "no notice for a magnet link");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = xclip.0.wait();
    harness.get_by_label("Ignore").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Copied URLs").is_none());

    // A new one, reviewed in the add dialog first.
    let _xclip = support::programs::Killed(copy(&display, &server.url("/clip/d.bin")));
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("Add 1 URL?").is_none() {
        harness.step();
        assert!(Instant::now() < deadline, "no notice for d.bin");
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.get_by_label("Review…").click();
    settle(&mut harness);
    assert_eq!(harness.state().add_dialog_text(), server.url("/clip/d.bin"));
    assert_eq!(
        harness.state().core().model.rows.len(),
        3,
        "queued before the review"
    );
}
