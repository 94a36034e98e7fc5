//! The app's life: built from its saved settings and queue, fed by the
//! engine's events, changed by settings, and drawn a frame at a time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::add::{self, AddDialog, AddOutcome};
use super::compare::ComparePanel;
use super::i18n::{self, tr};
use super::model::Model;
use super::platform::{icon, install_fonts};
use super::settings::Settings;
use super::table::{self, Selection};
use super::vault::Vault;
use super::{ADD_CAP, Action, AppOptions, FanoutApp, HIDDEN_WAKE_DELAY, Notice, TICK, Tab, WAKE_DELAY};
use crate::engine::{Engine, Event, Job};
use crate::input::Options;
use crate::instance::Instance;
use crate::secrets::Secrets;
use crate::store::{Op, Store, StoredState, StoredTask, Writer};

/// How long `logic()` may spend applying events before it yields the
/// frame, so a flood of them never stalls one.
const EVENT_BUDGET: Duration = Duration::from_millis(4);

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
        let mut settings = Settings::load(&options.settings_path());
        settings.rules = std::fs::read_to_string(options.rules_path()).unwrap_or_default();
        i18n::set(settings.lang());
        let vault = Vault::start(
            Secrets::in_dir(&options.config_dir, options.keyring),
            Some(settings.aria2_secret.0.clone()),
            ctx.clone(),
        );
        // Started with --hidden: hidden from the first pass (see `unattended`).
        let hidden = Arc::new(AtomicBool::new(options.start_hidden));
        let mut app = FanoutApp {
            model: Model::new(settings.order()),
            saved_settings: settings.clone(),
            settings,
            options,
            engine: None,
            engine_error: None,
            events: crossbeam_channel::never(),
            unattached: None,
            store: None,
            add: AddDialog::default(),
            selection: Selection::default(),
            queue_paused: false,
            folder_pick: None,
            dropped: None,
            notice: None,
            tab: Tab::default(),
            compare: ComparePanel::default(),
            title: "fanout".into(),
            last_notification: None,
            last_opened: None,
            rpc: Default::default(),
            vault,
            login: Default::default(),
            keys: Default::default(),
            countdown: None,
            logind: None,
            queue_secrets: None,
            resume_later: Vec::new(),
            instance: None,
            speed: Default::default(),
            schedule: Default::default(),
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

    /// Takes back the saved queue: finished tasks as they ended, unfinished
    /// ones paused. They are shown at once, engine or not; the engine takes
    /// them back now, or when one first starts. Then keeps the store up to
    /// date from a writer thread.
    pub(super) fn restore_queue(&mut self) {
        let path = self.options.queue_path();
        let store = match Store::open(&path) {
            Ok(store) => store,
            Err(e) => {
                self.notify(tr!(QueueNotSaved, e = e));
                return;
            }
        };
        let tasks = store.load().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "saved queue unreadable");
            Vec::new()
        });
        let secrets = Secrets::in_dir(&self.options.config_dir, self.options.keyring);
        let (writer, kept) = Writer::with_secrets(store, secrets);
        self.queue_secrets = Some(kept);
        // Indices are places in the list: a fresh engine gives the same
        // ones as it takes the tasks back in this order.
        let restored: Vec<(usize, StoredTask)> = tasks.into_iter().enumerate().collect();
        // Ids in the store are the indices from here on (a damaged or older
        // store may have had gaps).
        let renumbered = restored.iter().any(|(i, t)| *i != t.id);
        self.model.restore(&restored);
        if renumbered {
            writer.send(Op::Clear);
            for (i, _) in &restored {
                writer.send(Op::Put(self.model.stored(*i)));
            }
        } else {
            // A store from before secrets were kept apart holds them in
            // its rows: written again, they move to the keyring.
            for (i, _) in &restored {
                let stored = self.model.stored(*i);
                if stored.secret.is_some() {
                    writer.send(Op::Put(stored));
                }
            }
        }
        self.store = Some(writer);
        self.unattached = Some(restored);
        self.attach_queue();
    }

    /// Hands the restored queue to the engine, once one runs.
    fn attach_queue(&mut self) {
        let Some(engine) = &self.engine else { return };
        let Some(restored) = self.unattached.take() else {
            return;
        };
        for (i, t) in &restored {
            let paused = t.state == StoredState::Unfinished;
            let options = Options::from_words(&t.options).unwrap_or_default();
            let index = engine.restore(options.apply(Job::new(t.url.clone(), &t.dir)), paused);
            debug_assert_eq!(
                index, *i,
                "a fresh engine numbers restored tasks as the list does"
            );
        }
        engine.continue_ranks_after(restored.iter().filter_map(|(_, t)| t.rank).max().unwrap_or(0));
        let unfinished: Vec<usize> = restored
            .iter()
            .filter(|(_, t)| t.state == StoredState::Unfinished)
            .map(|(i, _)| *i)
            .collect();
        if self.settings.resume_on_start {
            // They go on once they have their secrets back (a password, a
            // cookie), or they would be sent without them.
            self.resume_later = unfinished;
            self.give_back_secrets();
        } else if !unfinished.is_empty() {
            self.notify(tr!(UnfinishedBack, n = unfinished.len()));
        }
    }

    /// Gives the restored tasks their secrets once the store's thread has
    /// read them from the keyring and the engine has the tasks; then
    /// resumes those waiting for them.
    pub(super) fn give_back_secrets(&mut self) {
        let (Some(engine), None) = (&self.engine, &self.unattached) else {
            return;
        };
        let Some(rx) = &self.queue_secrets else { return };
        let kept = match rx.try_recv() {
            Ok(kept) => kept,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            // The store's thread is gone: there is nothing to give back.
            Err(crossbeam_channel::TryRecvError::Disconnected) => Default::default(),
        };
        self.queue_secrets = None;
        for (id, secret) in kept {
            if let Some(row) = self.model.rows.get_mut(id) {
                secret.restore(&mut row.url, &mut row.options);
                engine.give_secrets(id, &row.url, &row.options.headers);
            }
        }
        for i in std::mem::take(&mut self.resume_later) {
            engine.resume(i);
        }
    }

    /// Starts an engine with the settings as they are (when the window opens,
    /// when the list is cleared, or when the one in settings could not
    /// start and the settings changed). The restored queue goes to it.
    pub(super) fn start_engine(&mut self) {
        let (engine, events, error) = start_engine(&self.settings, &self.ctx, &self.hidden);
        if engine.is_some() {
            self.clear_engine_notice();
        }
        self.engine = engine;
        self.events = events;
        self.engine_error = error;
        if let Some(e) = &self.engine {
            e.set_paused(self.queue_paused);
            e.set_rate_limit(self.rate_limit());
        }
        self.attach_queue();
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
        let handoffs: Vec<_> = instance.handoffs().try_iter().collect();
        for h in handoffs {
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
            let (urls, kept) = add::take_valid(&h.lines.join("\n"), ADD_CAP);
            if !urls.is_empty() {
                let dir = h.dir.unwrap_or_else(|| self.settings.target_dir());
                self.add_urls_into(urls, dir);
            }
            if !kept.trim().is_empty() {
                self.add.open_with(Some(kept), None);
            }
        }
    }

    /// What the add dialog's `URLs` field holds now.
    pub fn add_dialog_text(&self) -> &str {
        &self.add.text
    }

    /// Writes a row's current state to the store (off this thread).
    pub(super) fn save_row(&self, index: usize) {
        super::actions::save(self.store.as_ref(), &self.model, index);
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

    /// Drains engine events for at most `budget`; true if some are left.
    pub fn drain_events(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        while let Ok(event) = self.events.try_recv() {
            // The store keeps what survives a restart: not the progress.
            let changed = match &event {
                Event::Finished(r) => Some(r.index),
                Event::Queued { index, .. } | Event::Paused { index, .. } => Some(*index),
                _ => None,
            };
            self.tell_rpc(&event);
            if let Event::Finished(r) = &event {
                self.note_login_wanted(r);
            }
            self.model.apply(event, Instant::now());
            if let Some(index) = changed {
                self.save_row(index);
            }
            if start.elapsed() >= budget {
                return !self.events.is_empty();
            }
        }
        false
    }

    /// Applies changed settings: the engine for tasks not yet started, the
    /// fan-in order, and the file on disk.
    pub(super) fn settings_changed(&mut self, dragging: bool) {
        if self.settings == self.saved_settings {
            return;
        }
        if self.settings.language != self.saved_settings.language {
            // This frame was laid out half in the old language.
            i18n::set(self.settings.lang());
            self.ctx.request_repaint();
        }
        self.model.set_order(self.settings.order());
        if let Some(engine) = &self.engine {
            // Running transfers follow it from their next chunk.
            engine.set_rate_limit(self.rate_limit());
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
        match &mut self.engine {
            Some(engine) => {
                let config = self.settings.engine_config();
                // Unchanged (a refused choice taken back) or changed:
                // either way the engine now runs as the settings say.
                match engine.reconfigure(config) {
                    Ok(()) => self.clear_engine_notice(),
                    Err(e) => self.notify_engine(tr!(EngineNotChanged, e = e)),
                }
            }
            // The last try failed: these settings may work.
            None => self.start_engine(),
        }
    }

    /// Results of background helpers (folder dialog, dropped files).
    pub(super) fn poll_helpers(&mut self) {
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
        let (ended, total) = self.model.batch_progress();
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

impl eframe::App for FanoutApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        i18n::set(self.settings.lang());
        // Before anything is drawn: at start, and in the frame after a click.
        let theme = self.settings.theme.preference();
        if ctx.options(|o| o.theme_preference) != theme {
            ctx.set_theme(theme);
        }
        if self.drain_events(EVENT_BUDGET) {
            ctx.request_repaint(); // more waiting: next frame goes on
        }
        if self.answer_rpc(super::rpc::RPC_BUDGET) {
            ctx.request_repaint();
        }
        self.poll_helpers();
        self.poll_rpc_secret();
        self.poll_vault();
        self.give_back_secrets();
        self.poll_logind();
        self.take_handoffs(ctx);
        self.unattended_logic(ctx);
        if let Some(text) = self.compare.poll() {
            self.notify(text);
        }
        if let Some(end) = self.model.take_batch_end() {
            self.batch_ended(&end);
        }
        self.update_title(ctx);
        let busy = self.model.in_flight() > 0 || self.folder_pick.is_some() || self.dropped.is_some();
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
        let counts = self.model.counts();
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            self.top_bar(ui, counts, &mut actions);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, counts));
        let mut dragging = false;
        egui::Panel::left("settings")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    dragging = self.settings_panel(ui, &mut actions);
                });
            });
        egui::Panel::right("results")
            .resizable(true)
            .default_size(215.0)
            .show(ui, |ui| self.results_panel(ui));
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
                Tab::Downloads => {
                    egui::ScrollArea::horizontal().show(ui, |ui| {
                        let shown = super::keys::shown(&self.model, &self.keys.filter);
                        table::show(ui, &self.model, &shown, &mut self.selection, &mut actions);
                    });
                }
                Tab::Timeline => self.timeline_tab(ui),
                Tab::Compare => {
                    let (urls, busy) = (self.model.rows.len(), self.model.in_flight() > 0);
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
        self.countdown_window(ui.ctx());
        self.close_question_window(ui.ctx());
        self.clipboard_notice(ui.ctx(), &mut actions);
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

/// A new engine for `settings`, with the channel its events come on.
fn start_engine(
    settings: &Settings,
    ctx: &egui::Context,
    hidden: &Arc<AtomicBool>,
) -> (Option<Engine>, Receiver<Event>, Option<String>) {
    let (tx, events) = crossbeam_channel::unbounded();
    let waker = {
        let (ctx, hidden) = (ctx.clone(), hidden.clone());
        Arc::new(move || {
            let delay = if hidden.load(Ordering::Relaxed) {
                HIDDEN_WAKE_DELAY
            } else {
                WAKE_DELAY
            };
            ctx.request_repaint_after(delay)
        })
    };
    match Engine::new(settings.engine_config(), tx, waker) {
        Ok(e) => (Some(e), events, None),
        Err(e) => (None, events, Some(tr!(EngineDidNotStart, e = e))),
    }
}
