//! Driving the window in tests: a temp config and download folder, the
//! harness, and the steps every GUI test takes (add URLs, wait in real time
//! for downloads, type into a labelled field).

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fanout::gui::{AppOptions, FanoutApp};
use fanout::i18n::Lang;
use fanout::settings::Settings;

pub struct Setup {
    pub config: tempfile::TempDir,
    pub downloads: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        let setup = Setup {
            config: tempfile::tempdir().unwrap(),
            downloads: tempfile::tempdir().unwrap(),
        };
        let settings = Settings {
            download_dir: setup.downloads.path().to_path_buf(),
            // The labels below are English whatever this machine's locale.
            language: Some(Lang::En),
            ..Settings::default()
        };
        settings.save(&setup.options().settings_path()).unwrap();
        setup
    }

    /// A window for torrents on loopback that end when complete: no DHT,
    /// a free port, files taken as they are, no seeding.
    pub fn for_torrents() -> Setup {
        let setup = Setup::new();
        setup.change_settings(|s| {
            s.torrent.dht = false;
            s.torrent.port = super::programs::free_port();
            s.torrent.choose_files = false;
            s.torrent.seed_ratio = 0.0;
            s.torrent.seed_minutes = 0;
        });
        setup
    }

    /// A window that shows the server at `url` (`fanout serve` or aria2c)
    /// instead of this computer's downloads, its secret kept where the
    /// window keeps secrets.
    pub fn showing_server(url: &str, secret: &str) -> Setup {
        let setup = Setup::new();
        setup.change_settings(|s| {
            s.server.connect = true;
            s.server.url = url.to_string();
        });
        fanout::platform::secrets::Secrets::in_dir(setup.config.path(), false)
            .set(fanout::platform::secrets::SERVER_SECRET, Some(secret))
            .unwrap();
        setup
    }

    /// The saved settings, changed by `change` and saved again (before a
    /// window opens, as a user's earlier run would have left them).
    pub fn change_settings(&self, change: impl FnOnce(&mut Settings)) {
        let path = self.options().settings_path();
        let mut settings = Settings::load(&path);
        change(&mut settings);
        settings.save(&path).unwrap();
    }

    /// The settings as saved now.
    pub fn settings(&self) -> Settings {
        Settings::load(&self.options().settings_path())
    }

    pub fn options(&self) -> AppOptions {
        AppOptions::in_dir(self.config.path())
    }

    pub fn harness(&self) -> Harness<'static, FanoutApp> {
        self.harness_of(egui::vec2(1360.0, 800.0))
    }

    /// A window of the test's size (taller: Preferences' longest sections
    /// show without scrolling).
    pub fn harness_of(&self, size: egui::Vec2) -> Harness<'static, FanoutApp> {
        self.harness_with(size, |_| {})
    }

    /// A window with options of the test's own (a clock, a bus, a display).
    pub fn harness_with(
        &self,
        size: egui::Vec2,
        tune: impl FnOnce(&mut AppOptions),
    ) -> Harness<'static, FanoutApp> {
        let mut options = self.options();
        tune(&mut options);
        Harness::builder()
            .with_size(size)
            // Enough frames for a window to fade in; downloads are waited
            // for in real time by `step_until`, not by running frames.
            .with_max_steps(12)
            .build_eframe(move |cc| FanoutApp::new(cc, options.clone()))
    }
}

/// Runs frames until the app asks for no more (animations done), or for a
/// bounded number while downloads keep it busy.
pub fn settle(harness: &mut Harness<'_, FanoutApp>) {
    let _ = harness.try_run();
}

/// Steps the app in real time (downloads run on real threads) until `done`.
pub fn step_until(harness: &mut Harness<'_, FanoutApp>, what: &str, done: impl Fn(&FanoutApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if done(harness.state()) {
            harness.step();
            return;
        }
        if Instant::now() > deadline {
            let app = harness.state();
            let rows: Vec<_> = app
                .core()
                .model
                .rows
                .iter()
                .map(|r| (r.state.clone(), r.rank, r.worker))
                .collect();
            panic!("timed out waiting for {what}; rows: {rows:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn all_done(n: usize) -> impl Fn(&FanoutApp) -> bool {
    move |app| {
        let c = app.core().model.counts();
        app.core().model.rows.len() == n && c.done + c.failed + c.cancelled == n
    }
}

/// Opens the dialog, types `text` into `URLs`, and presses `Add to queue`.
pub fn add_urls(harness: &mut Harness<'_, FanoutApp>, text: &str) {
    harness.get_by_label("Add URLs").click();
    settle(harness);
    let field = harness.get_by_label("URLs");
    field.focus();
    settle(harness);
    harness.get_by_label("URLs").type_text(text);
    settle(harness);
    harness.get_by_label("Add to queue").click();
    // Two frames: the click, then the queued rows. Downloads start now;
    // callers wait for them in real time.
    harness.step();
    harness.step();
}

pub fn set_engine(harness: &mut Harness<'_, FanoutApp>, engine: &str, workers: Option<f64>) {
    harness.get_by_label(engine).click();
    settle(harness);
    if let Some(n) = workers {
        harness.get_by_label("Workers").set_value_accesskit(n);
        settle(harness);
    }
}

/// Opens Preferences from the toolbar (unless it is open) at `section`,
/// as a user would: the settings moved there from the first screen.
pub fn open_preferences(harness: &mut Harness<'_, FanoutApp>, section: &str) {
    open_preferences_as(harness, "Preferences", section);
}

/// The same in the window's language: `title` is Preferences' name in it.
pub fn open_preferences_as(harness: &mut Harness<'_, FanoutApp>, title: &str, section: &str) {
    if !harness.state().preferences_open() {
        harness.get_by_role_and_label(egui::Role::Button, title).click();
        settle(harness);
    }
    // Within the window: a section's name may be a label elsewhere too
    // (the toolbar, a category of the list).
    harness
        .get_by_role_and_label(egui::Role::Window, title)
        .get_by_role_and_label(egui::Role::Button, section)
        .click();
    settle(harness);
}

/// Closes Preferences with Esc, as a user would.
pub fn close_preferences(harness: &mut Harness<'_, FanoutApp>) {
    harness.key_press(egui::Key::Escape);
    settle(harness);
    assert!(!harness.state().preferences_open(), "Esc closes Preferences");
}

/// Types `folder` into the first screen's `Download folder` and leaves
/// the field (Enter), as a user does.
pub fn type_folder(harness: &mut Harness<'_, FanoutApp>, folder: &std::path::Path) {
    harness.get_by_label("Download folder").focus();
    settle(harness);
    harness
        .get_by_label("Download folder")
        .set_text_value_accesskit(&folder.to_string_lossy());
    settle(harness);
    harness.key_press(egui::Key::Enter);
    settle(harness);
}

/// The text the last frame put on the clipboard, if it put any.
pub fn copied(harness: &Harness<'_, FanoutApp>) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
}

/// Types `text` into the field labelled `label` (replacing nothing: the
/// field is expected empty or to take `text` at its end).
pub fn type_into(harness: &mut Harness<'_, FanoutApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    settle(harness);
    harness.get_by_label(label).type_text(text);
    settle(harness);
}
