//! The app's life: built from its saved settings and queue, fed by the
//! engine's events, changed by settings, and drawn a frame at a time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::add::{self, AddDialog, AddOutcome};
use super::compare::ComparePanel;
use super::platform::{icon, install_fonts};
use super::table::{self, Selection};
use super::vault::Vault;
use super::{ADD_CAP, Action, AppOptions, FanoutApp, HIDDEN_WAKE_DELAY, Notice, TICK, Tab, WAKE_DELAY};
use crate::engine::Event;
use crate::i18n::{self, tr};
use crate::instance::Instance;
use crate::secrets::Secrets;
use crate::service::hub::{FrontEnd, Hub, Service};
use crate::service::{Downloads, Restored};
use crate::settings::Settings;

/// What the window adds to the service's thread: failed downloads, for
/// the login prompt (a site that answered 401).
struct WindowFace {
    failed: crossbeam_channel::Sender<crate::engine::TaskResult>,
}

impl FrontEnd for WindowFace {
    fn on_event(&mut self, event: &Event, _: &Downloads) {
        if let Event::Finished(r) = event
            && r.outcome.is_err()
        {
            let _ = self.failed.send(r.clone());
        }
    }
}

impl FanoutApp {
    /// Builds the app for eframe (or for a test harness).
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> FanoutApp {
        Self::with_context(cc.egui_ctx.clone(), options)
    }

    pub fn with_context(ctx: egui::Context, options: AppOptions) -> FanoutApp {
        install_fonts(&ctx);
        if let Some(icon) = icon() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Icon(Some(Arc::new(icon))));
        }
        let settings = Settings::load_in(&options.config_dir);
        i18n::set(settings.lang());
        let vault = Vault::start(
            Secrets::in_dir(&options.config_dir, options.keyring),
            Some(settings.aria2_secret.0.clone()),
            ctx.clone(),
        );
        // Started with --hidden: hidden from the first pass (see `unattended`).
        let hidden = Arc::new(AtomicBool::new(options.start_hidden));
        let (failed, failures) = crossbeam_channel::unbounded();
        let service = Service::new(Downloads::new(&settings), settings.clone());
        // Hand-overs stay with the window: they raise it, and lines that
        // are not URLs open the add dialog.
        let hub = Hub::start(service, crossbeam_channel::never(), WindowFace { failed })
            .expect("a thread for the downloads service");
        let mut app = FanoutApp {
            hub,
            failures,
            settings_seen: 0,
            server: Default::default(),
            kept: crossbeam_channel::unbounded(),
            saved_settings: settings.clone(),
            settings,
            options,
            engine_error: None,
            add: AddDialog::default(),
            files: Default::default(),
            selection: Selection::default(),
            folder_pick: None,
            dropped: None,
            metalinks: Vec::new(),
            notice: None,
            tab: Tab::default(),
            filter: Default::default(),
            compare: ComparePanel::default(),
            title: "fanout".into(),
            last_notification: None,
            last_opened: None,
            rpc: Default::default(),
            vault,
            login: Default::default(),
            keys: Default::default(),
            prefs: Default::default(),
            countdown: None,
            logind: None,
            instance: None,
            tray: Default::default(),
            hidden,
            started: false,
            quitting: false,
            close_question: false,
            clipboard: None,
            clip_offer: None,
            frames: 0,
            ctx,
        };
        app.start_engine();
        app.sync_tray();
        app.restore_queue();
        app.sync_rpc();
        app
    }

    /// Takes back the saved queue (see [`Downloads::restore_queue`]).
    pub(super) fn restore_queue(&mut self) {
        let secrets = Secrets::in_dir(&self.options.config_dir, self.options.keyring);
        let restored =
            self.local()
                .restore_queue(&self.options.queue_path(), secrets, self.settings.resume_on_start);
        match restored {
            Ok(r) => self.say_restored(&r),
            Err(e) => self.notify(tr!(QueueNotSaved, e = e)),
        }
    }

    /// Unfinished downloads that came back paused are worth a word.
    fn say_restored(&mut self, restored: &Restored) {
        if restored.unfinished_paused > 0 {
            self.notify(tr!(UnfinishedBack, n = restored.unfinished_paused));
        }
    }

    /// Starts an engine with the settings as they are (when the window opens,
    /// when the list is cleared, or when the one in settings could not
    /// start and the settings changed). The restored queue goes to it.
    pub(super) fn start_engine(&mut self) {
        let waker = {
            let (ctx, hidden) = (self.ctx.clone(), self.hidden.clone());
            Arc::new(move || {
                let delay = if hidden.load(Ordering::Relaxed) {
                    HIDDEN_WAKE_DELAY
                } else {
                    WAKE_DELAY
                };
                ctx.request_repaint_after(delay)
            })
        };
        let started = self.local().start_engine(&self.settings, waker);
        // The service's thread waits on the new engine's events from now.
        self.hub.nudge();
        match started {
            Ok(restored) => {
                self.engine_error = None;
                self.clear_engine_notice();
                self.say_restored(&restored);
            }
            Err(e) => self.engine_error = Some(tr!(EngineDidNotStart, e = e)),
        }
    }

    /// An engine runs with the settings as they are: a notice that said
    /// otherwise is out of date.
    fn clear_engine_notice(&mut self) {
        if self.notice.as_ref().is_some_and(|n| n.about_engine) {
            self.notice = None;
        }
    }

    /// Makes this the one window: later starts hand their URLs to it.
    pub fn attach_instance(&mut self, instance: Instance) {
        let ctx = self.ctx.clone();
        instance.set_waker(std::sync::Arc::new(move || ctx.request_repaint()));
        self.instance = Some(instance);
    }

    /// URLs a later start handed over: the window comes to the front and
    /// queues them (into their folder, if one was given); lines that are
    /// not URLs open the add dialog, so nothing is lost.
    fn take_handoffs(&mut self, ctx: &egui::Context) {
        let Some(instance) = &self.instance else { return };
        let arrivals: Vec<_> = instance.handoffs().try_iter().collect();
        for crate::instance::Arrival { handoff: h, kept } in arrivals {
            if !h.hidden {
                self.set_hidden(false, ctx);
                if h.activation_token.is_some() {
                    // egui cannot hand winit another program's token: the
                    // compositor may show "fanout is ready" instead of raising.
                    ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                        egui::UserAttentionType::Informational,
                    ));
                }
            }
            let (mut urls, bad) = add::take_valid(&h.lines.join("\n"), ADD_CAP);
            let remote = super::metalinks::take_remote(&mut urls);
            if !remote.is_empty() {
                let fetch = super::metalinks::fetch(remote, h.dir.clone(), self.ctx.clone());
                self.metalinks.push(fetch);
            }
            if !urls.is_empty() {
                self.add_urls_into(urls, h.dir);
            }
            if !bad.trim().is_empty() {
                self.add.open_with(Some(bad), None);
            }
            // The later start hears `ok` once the store has them.
            if let Some(store) = &self.local().store {
                store.when_committed(move || {
                    let _ = kept.send(());
                });
            }
        }
    }

    /// What the add dialog's `URLs` field holds now.
    pub fn add_dialog_text(&self) -> &str {
        &self.add.text
    }

    pub(super) fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            at: Instant::now(),
            about_engine: false,
        });
    }

    pub(super) fn notify_engine(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            at: Instant::now(),
            about_engine: true,
        });
    }

    /// Downloads that failed asking for a login, from the service's thread.
    fn take_failures(&mut self) {
        let failed: Vec<_> = self.failures.try_iter().collect();
        for r in &failed {
            self.note_login_wanted(r);
        }
    }

    /// A call (`changeGlobalOption`) changed the settings on the service:
    /// the window shows them, saves them and runs as they say.
    fn take_settings_from_calls(&mut self) {
        let taken = {
            let service = self.hub.lock();
            (service.settings_version != self.settings_seen)
                .then(|| (service.settings_version, service.settings.clone()))
        };
        if let Some((version, settings)) = taken {
            self.settings_seen = version;
            self.settings.take_global_options(&settings);
            self.settings_changed(false);
        }
    }

    /// The downloads the window shows (a server's, when it shows one),
    /// locked: hold it for as short as a layout.
    pub fn core(&self) -> parking_lot::MappedMutexGuard<'_, Downloads> {
        super::server::shown(&self.hub, &self.server)
    }

    /// This computer's downloads, locked, whichever the window shows.
    pub fn local(&self) -> parking_lot::MappedMutexGuard<'_, Downloads> {
        parking_lot::MutexGuard::map(self.hub.lock(), |s| &mut s.downloads)
    }

    /// Applies changed settings: the engine for tasks not yet started, the
    /// fan-in order, and the file on disk.
    pub(super) fn settings_changed(&mut self, dragging: bool) {
        if self.settings == self.saved_settings {
            return;
        }
        // The RPC's calls read them on the service's thread.
        self.hub.lock().settings = self.settings.clone();
        if self.settings.language != self.saved_settings.language {
            // This frame was laid out half in the old language.
            i18n::set(self.settings.lang());
            self.ctx.request_repaint();
        }
        // Both lists release their results as the setting says.
        self.local().model.set_order(self.settings.order());
        if self.shows_server() {
            self.core().model.set_order(self.settings.order());
        }
        let limit = self.rate_limit();
        if let Some(engine) = &self.local().engine {
            // Running transfers follow it from their next chunk.
            engine.set_rate_limit(limit);
        }
        // Rebuilding a pool on every step of a drag would spawn threads for
        // nothing: wait for the release.
        if dragging {
            return;
        }
        self.apply_engine_config();
        self.sync_rpc();
        self.unattended_settings_changed();
        if let Err(e) = self.settings.save(&self.options.settings_path()) {
            self.notify(tr!(
                SettingsNotSaved,
                path = self.options.settings_path().display(),
                e = e
            ));
        }
        self.vault.save_changes(&self.saved_settings, &self.settings);
        if self.settings.rules != self.saved_settings.rules
            && let Err(e) =
                crate::private::write_atomically(&self.options.rules_path(), self.settings.rules.as_bytes())
        {
            self.notify(tr!(
                SettingsNotSaved,
                path = self.options.rules_path().display(),
                e = e
            ));
        }
        self.saved_settings = self.settings.clone();
    }

    /// Runs the engine as the settings say now.
    pub(super) fn apply_engine_config(&mut self) {
        // With this run's torrent settings over them (an RPC client's
        // `max-overall-upload-limit`).
        let config = self.local().engine_config(&self.settings);
        // Unchanged (a refused choice taken back) or changed: either way
        // the engine now runs as the settings say.
        let changed = self.local().engine.as_mut().map(|e| e.reconfigure(config));
        match changed {
            Some(Ok(())) => self.clear_engine_notice(),
            Some(Err(e)) => self.notify_engine(tr!(EngineNotChanged, e = e)),
            // The last try failed: these settings may work.
            None => self.start_engine(),
        }
    }

    /// Results of background helpers (folder dialog, dropped files,
    /// metalinks fetched).
    pub(super) fn poll_helpers(&mut self) {
        let mut fetched = Vec::new();
        self.metalinks.retain(|rx| match rx.try_recv() {
            Ok(f) => {
                fetched.push(f);
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
        });
        for f in fetched {
            if let Some(e) = f.errors.first() {
                self.notify(crate::i18n::metalink_error(e));
            }
            match f.dir {
                Some(dir) if !f.urls.is_empty() => self.add_urls_into(f.urls, Some(dir)),
                _ if !f.urls.is_empty() => self.add_urls(f.urls),
                _ => {}
            }
        }
        if let Some(pick) = &self.folder_pick
            && let Ok(choice) = pick.rx.try_recv()
        {
            let quick = pick.since.elapsed() < Duration::from_millis(300);
            self.folder_pick = None;
            match choice {
                Some(dir) => self.settings.download_dir = dir,
                // rfd answers None at once where it cannot show a dialog.
                None if quick => self.notify(tr!(NoFolderDialog)),
                None => {}
            }
        }
        if let Some(rx) = &self.dropped
            && let Ok(text) = rx.try_recv()
        {
            self.dropped = None;
            if add::has_urls(&text) {
                self.add.open_with(Some(text), None);
            } else {
                self.notify(tr!(DroppedNoUrls));
            }
        }
    }

    /// `fanout — 37/64` while a batch runs and after it, `fanout` without one.
    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let (ended, total) = self.core().model.batch_progress();
        let title = if total == 0 {
            "fanout".to_string()
        } else {
            format!("fanout — {ended}/{total}")
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}

impl FanoutApp {
    /// The list, the first-run guide when there is nothing in it, or a
    /// word when the sidebar's choice lets nothing through.
    fn downloads_tab(&mut self, ui: &mut egui::Ui, listed: Option<&[usize]>, actions: &mut Vec<Action>) {
        let empty = self.core().model.rows.is_empty();
        if empty && !self.shows_server() {
            return self.first_run(ui, actions);
        }
        egui::ScrollArea::horizontal().show(ui, |ui| {
            // Locked for the layout only, not while it is painted.
            let core = super::server::shown(&self.hub, &self.server);
            let shown = super::filter::shown(&core.model, &self.filter, listed);
            if shown.is_empty() && !empty {
                ui.add_space(24.0);
                ui.vertical_centered(|ui| {
                    ui.label(tr!(NoneMatch));
                    if ui.button(tr!(ShowEvery)).clicked() {
                        self.filter = Default::default();
                    }
                });
                return;
            }
            let remote = self.server.remote.is_some();
            table::show(ui, &core.model, &shown, &mut self.selection, actions, remote);
        });
    }
}

impl eframe::App for FanoutApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        i18n::set(self.settings.lang());
        // Before anything is drawn: at start, and in the frame after a click.
        let theme = theme_preference(self.settings.theme);
        if ctx.options(|o| o.theme_preference) != theme {
            ctx.set_theme(theme);
        }
        self.take_failures();
        self.take_settings_from_calls();
        self.say_kept();
        self.poll_helpers();
        self.poll_rpc_secret();
        self.poll_vault();
        self.local().give_back_secrets();
        self.sync_server();
        self.poll_logind();
        self.take_handoffs(ctx);
        self.unattended_logic(ctx);
        if let Some(text) = self.compare.poll() {
            self.notify(text);
        }
        let end = self.local().model.take_batch_end();
        if let Some(end) = end {
            self.batch_ended(&end);
        }
        self.update_title(ctx);
        let busy = self.core().model.in_flight() > 0
            || self.folder_pick.is_some()
            || self.dropped.is_some()
            || !self.metalinks.is_empty();
        if busy && !self.hidden() {
            // The timeline's running bars grow with the clock, not with events.
            let tick = if self.tab == Tab::Timeline {
                WAKE_DELAY
            } else {
                TICK
            };
            ctx.request_repaint_after(tick);
        }
        if let Some(n) = &self.notice
            && !n.about_engine
            && n.at.elapsed() > Duration::from_secs(10)
        {
            self.notice = None;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // Hidden, nothing is laid out. (eframe 0.37 skips `ui` itself only
        // for a minimized or occluded window; an unmapped X11 window is
        // neither, so it still asks, on each wake-up.)
        if self.hidden() {
            return;
        }
        i18n::set(self.settings.lang());
        self.count_frame();
        let mut actions = Vec::new();
        // Before any widget sees the keys (see `keys`).
        self.shortcuts(ui.ctx(), &mut actions);
        // Ctrl+V outside a text field, or files dropped on the window.
        let (pasted, dropped) = ui.input(|i| {
            let pasted = i.events.iter().find_map(|e| match e {
                egui::Event::Paste(t) => Some(t.clone()),
                _ => None,
            });
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            (pasted, dropped)
        });
        if let Some(text) = pasted
            && !self.add.open
            && ui.memory(|m| m.focused().is_none())
            && add::has_urls(&text)
        {
            actions.push(Action::OpenAdd(Some(text)));
        }
        if !dropped.is_empty() {
            actions.push(Action::ReadDropped(dropped));
        }
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Q)) {
            // Quits, tray or not.
            self.quitting = true;
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }

        // Counted once a frame: the toolbar and the status bar both need them.
        // A server's rows it no longer lists are not shown, nor counted.
        let listed = self.listed();
        let counts = match &listed {
            Some(rows) => self.core().model.counts_of(rows.iter().copied()),
            None => self.core().model.counts(),
        };
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar(ui, counts, &mut actions);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, counts));
        let kinds = {
            let core = self.core();
            super::filter::kind_counts(&core.model, listed.as_deref())
        };
        let mut dragging = self.quick_bar(ui, &mut actions);
        egui::Panel::left("sidebar")
            .resizable(true)
            .default_size(170.0)
            .min_size(140.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.sidebar(ui, counts, &kinds));
            });
        if self.settings.view.results {
            egui::Panel::right("results")
                .resizable(true)
                .default_size(215.0)
                .show(ui, |ui| self.results_panel(ui));
        }
        // Under the list only, as qBittorrent's: the side panels keep their height.
        self.details_pane(ui);
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(e) = &self.engine_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.tab, Tab::Downloads, tr!(TabDownloads));
                ui.selectable_value(&mut self.tab, Tab::Timeline, tr!(TabTimeline));
                ui.selectable_value(&mut self.tab, Tab::Compare, tr!(TabCompare));
            });
            ui.separator();
            match self.tab {
                Tab::Downloads => self.downloads_tab(ui, listed.as_deref(), &mut actions),
                Tab::Timeline => self.timeline_tab(ui),
                Tab::Compare => {
                    let (urls, busy) = {
                        let core = self.core();
                        (core.model.rows.len(), core.model.in_flight() > 0)
                    };
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if let Some(a) = self.compare.show(ui, urls, busy, &mut self.settings) {
                            actions.push(Action::Compare(a));
                        }
                    });
                }
            }
        });
        self.arrived_window(ui.ctx());
        self.login_window(ui.ctx());
        self.key_windows(ui.ctx(), &mut actions);
        dragging |= self.preferences_window(ui.ctx(), &mut actions);
        self.countdown_window(ui.ctx());
        self.close_question_window(ui.ctx());
        self.clipboard_notice(ui.ctx(), &mut actions);
        self.files_window(ui.ctx(), &mut actions);
        if let AddOutcome::Add(urls) = self.add.show(ui.ctx(), ADD_CAP) {
            actions.push(Action::Add(urls));
        }
        for action in actions {
            self.apply(action);
        }
        self.settings_changed(dragging);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if self.settings != self.saved_settings {
            let _ = self.settings.save(&self.options.settings_path());
        }
    }
}

/// What egui is told: it follows the desktop itself for `System`.
fn theme_preference(theme: crate::settings::Theme) -> egui::ThemePreference {
    use crate::settings::Theme;
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}
