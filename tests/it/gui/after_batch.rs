//! After a batch: a command of the user's runs with the batch's counts and
//! folder in its environment, and `Only if nothing failed` holds it back
//! after a batch with a failure. Suspend and power off go to a logind of
//! the test's own on a private bus after the countdown, and not at all
//! when it is cancelled. Needs `dbus-daemon` for those (skipped without
//! it, except in CI).

use crate::support;

use std::time::{Duration, Instant};

use fanout::gui::after_batch::AfterBatch;
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, step_until};

/// Waits for `path` to be written (the command runs off the UI thread).
fn read_when_there(path: &std::path::Path) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return Some(text);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn a_command_runs_after_a_batch_with_its_counts_and_folder() {
    let server = TestServer::start();
    let setup = Setup::new();
    let out = setup.config.path().join("after.txt");
    setup.change_settings(|settings| {
        settings.after_batch = AfterBatch::RunCommand;
        settings.after_command = format!(
            "printf '%s %s %s %s\\n' \"$FANOUT_DONE\" \"$FANOUT_FAILED\" \"$FANOUT_CANCELLED\" \"$FANOUT_FOLDER\" >> '{}'",
            out.display()
        );
        settings.after_only_if_ok = true;
    });
    let mut harness = setup.harness();
    // A batch with a failure: held back.
    add_urls(
        &mut harness,
        &[server.url("/ab/a.bin"), server.url("/ab/gone.bin?status=404")].join("\n"),
    );
    step_until(&mut harness, "the first batch", all_done(2));
    step_until(&mut harness, "its end", |app| app.last_notification().is_some());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!out.exists(), "ran after a batch with a failure");
    // A clean batch: it runs, with the counts and the folder.
    add_urls(
        &mut harness,
        &[server.url("/ab/b.bin"), server.url("/ab/c.bin")].join("\n"),
    );
    step_until(&mut harness, "the second batch", all_done(4));
    let folder = setup.downloads.path().display().to_string();
    assert_eq!(
        read_when_there(&out).as_deref(),
        Some(format!("2 0 0 {folder}\n").as_str())
    );
}

/// systemd-logind's Manager, as far as fanout asks it: what it was asked.
struct Logind(std::sync::mpsc::Sender<String>);

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Logind {
    fn suspend(&self, interactive: bool) {
        let _ = self.0.send(format!("Suspend({interactive})"));
    }

    fn power_off(&self, interactive: bool) {
        let _ = self.0.send(format!("PowerOff({interactive})"));
    }
}

/// A window whose system bus is `bus`, set to `after` a batch with a
/// countdown of `countdown`, which has run one download (`url`) to its end
/// and started counting down. The setup holds the window's folders.
fn counting_down(
    bus: &str,
    after: AfterBatch,
    countdown: Duration,
    url: &str,
) -> (Setup, egui_kittest::Harness<'static, fanout::gui::FanoutApp>) {
    let setup = Setup::new();
    setup.change_settings(|settings| settings.after_batch = after);
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), |options| {
        options.system_bus = Some(bus.to_string());
        options.countdown = countdown;
    });
    add_urls(&mut harness, url);
    step_until(&mut harness, "the batch", all_done(1));
    step_until(&mut harness, "the countdown", |app| {
        app.last_notification().is_some()
    });
    (setup, harness)
}

#[test]
fn suspend_and_power_off_go_to_logind_after_a_countdown_that_can_be_cancelled() {
    use egui_kittest::kittest::Queryable;
    if !support::programs::require(&[("dbus-daemon", "dbus-daemon")]) {
        return;
    }
    let server = TestServer::start();
    let (_bus, address) = support::programs::private_bus();
    let (tx, asked) = std::sync::mpsc::channel();
    let _logind = support::programs::serve_on_bus(
        &address,
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        Logind(tx),
    );

    // Suspend, after a countdown of 1 s (60 s for users).
    let (_setup, mut harness) = counting_down(
        &address,
        AfterBatch::Suspend,
        Duration::from_secs(1),
        &server.url("/ab/s.bin"),
    );
    harness.get_by_label_contains("this computer suspends in");
    assert!(asked.try_recv().is_err(), "asked before the countdown ran out");
    let deadline = Instant::now() + Duration::from_secs(10);
    let call = loop {
        harness.step();
        if let Ok(call) = asked.try_recv() {
            break call;
        }
        assert!(Instant::now() < deadline, "logind was never asked");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(call, "Suspend(false)");
    drop(harness);

    // Power off, cancelled during its countdown: logind hears nothing.
    let (_setup, mut harness) = counting_down(
        &address,
        AfterBatch::PowerOff,
        Duration::from_secs(2),
        &server.url("/ab/p.bin"),
    );
    harness.get_by_label_contains("this computer powers off in");
    harness.get_by_label("Not now").click();
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(asked.try_recv().is_err(), "logind was asked after a cancel");
    assert!(harness.query_by_label_contains("powers off in").is_none());
}
