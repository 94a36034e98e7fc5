//! The app's life: built from its saved settings and queue, fed by the
//! engine's events, changed by settings (each frame is `frame`'s).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::add;
use super::platform::{icon, install_fonts};
use super::vault::Vault;
use super::{ADD_CAP, AppOptions, FanoutApp, HIDDEN_WAKE_DELAY, Notice, WAKE_DELAY};
use crate::engine::Event;
use crate::i18n::{self, tr};
use crate::platform::instance::Instance;
use crate::platform::secrets::Secrets;
use crate::service::hub::{FrontEnd, Hub, Service};
use crate::service::model::{BatchEnd, TaskState};
use crate::service::{Downloads, Restored};
use crate::settings::Settings;

/// What the window adds to the service's thread: failed downloads, for
/// the login prompt (a site that answered 401).
struct WindowFrontEnd {
    failed: crossbeam_channel::Sender<crate::engine::TaskResult>,
}

impl FrontEnd for WindowFrontEnd {
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
        let hub = Hub::start(service, crossbeam_channel::never(), WindowFrontEnd { failed })
            .expect("a thread for the downloads service");
        let mut app = FanoutApp {
            link: super::ServiceLink {
                hub,
                failures,
                settings_seen: 0,
                kept: crossbeam_channel::unbounded(),
            },
            server: Default::default(),
            saved_settings: settings.clone(),
            settings,
            options,
            panels: Default::default(),
            pending: Default::default(),
            told: super::Told {
                title: "fanout".into(),
                last_notification: None,
                last_opened: None,
                frames: 0,
            },
            rpc: Default::default(),
            vault,
            desktop: super::unattended::Desktop::new(hidden),
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
            let (ctx, hidden) = (self.ctx.clone(), self.desktop.hidden.clone());
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
        self.link.hub.nudge();
        match started {
            Ok(restored) => {
                self.panels.status.engine_error = None;
                self.clear_engine_notice();
                self.say_restored(&restored);
            }
            Err(e) => self.panels.status.engine_error = Some(tr!(EngineDidNotStart, e = e)),
        }
    }

    /// An engine runs with the settings as they are: a notice that said
    /// otherwise is out of date.
    fn clear_engine_notice(&mut self) {
        if self.panels.status.notice.as_ref().is_some_and(|n| n.about_engine) {
            self.panels.status.notice = None;
        }
    }

    /// Makes this the one window: later starts hand their URLs to it.
    pub fn attach_instance(&mut self, instance: Instance) {
        let ctx = self.ctx.clone();
        instance.set_waker(std::sync::Arc::new(move || ctx.request_repaint()));
        self.desktop.instance = Some(instance);
    }

    /// URLs a later start handed over: the window comes to the front and
    /// queues them (into their folder, if one was given); lines that are
    /// not URLs open the add dialog, so nothing is lost.
    pub(super) fn take_handoffs(&mut self, ctx: &egui::Context) {
        let Some(instance) = &self.desktop.instance else {
            return;
        };
        let arrivals: Vec<_> = instance.handoffs().try_iter().collect();
        for crate::platform::instance::Arrival { handoff: h, kept } in arrivals {
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
                self.pending.metalinks.push(fetch);
            }
            if !urls.is_empty() {
                self.add_urls_into(urls, h.dir);
            }
            if !bad.trim().is_empty() {
                self.panels.add.open_with(Some(bad), None);
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
        &self.panels.add.text
    }

    pub(super) fn notify(&mut self, text: impl Into<String>) {
        self.panels.status.notice = Some(Notice {
            text: text.into(),
            at: Instant::now(),
            about_engine: false,
        });
    }

    pub(super) fn notify_engine(&mut self, text: String) {
        self.panels.status.notice = Some(Notice {
            text,
            at: Instant::now(),
            about_engine: true,
        });
    }

    /// Each pass, under one lock: the secrets the queue's store read go
    /// back to the engine, and downloads that arrived held (`Ask first`)
    /// and are no longer paused leave the question.
    pub(super) fn service_chores(&mut self) {
        let mut core = self.local();
        core.give_back_secrets();
        let Downloads { arrived, model, .. } = &mut *core;
        arrived.retain(|&i| model.rows.get(i).is_some_and(|r| r.state == TaskState::Paused));
    }

    /// Downloads that failed asking for a login, from the service's thread.
    pub(super) fn take_failures(&mut self) {
        let failed: Vec<_> = self.link.failures.try_iter().collect();
        for r in &failed {
            self.note_login_wanted(r);
        }
    }

    /// A call (`changeGlobalOption`) changed the settings on the service:
    /// the window shows them, saves them and runs as they say.
    pub(super) fn take_settings_from_calls(&mut self) {
        let taken = {
            let service = self.link.hub.lock();
            (service.settings_version != self.link.settings_seen)
                .then(|| (service.settings_version, service.settings.clone()))
        };
        if let Some((version, settings)) = taken {
            self.link.settings_seen = version;
            self.settings.take_global_options(&settings);
            self.settings_changed(false);
        }
    }

    /// The downloads the window shows (a server's, when it shows one),
    /// locked: hold it for as short as a layout.
    pub fn core(&self) -> parking_lot::MappedMutexGuard<'_, Downloads> {
        super::server::shown(&self.link.hub, &self.server)
    }

    /// This computer's downloads, locked, whichever the window shows.
    pub fn local(&self) -> parking_lot::MappedMutexGuard<'_, Downloads> {
        parking_lot::MutexGuard::map(self.link.hub.lock(), |s| &mut s.downloads)
    }

    /// Applies changed settings: the engine for tasks not yet started, the
    /// fan-in order, and the file on disk.
    pub(super) fn settings_changed(&mut self, dragging: bool) {
        if self.settings == self.saved_settings {
            return;
        }
        // The RPC's calls read them on the service's thread.
        self.link.hub.lock().settings = self.settings.clone();
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
            && let Err(e) = crate::platform::private::write_atomically(
                &self.options.rules_path(),
                self.settings.rules.as_bytes(),
            )
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
        self.pending.metalinks.retain(|rx| match rx.try_recv() {
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
        if let Some(pick) = &self.pending.folder_pick
            && let Ok(choice) = pick.rx.try_recv()
        {
            let quick = pick.since.elapsed() < Duration::from_millis(300);
            self.pending.folder_pick = None;
            match choice {
                Some(dir) => self.settings.download_dir = dir,
                // rfd answers None at once where it cannot show a dialog.
                None if quick => self.notify(tr!(NoFolderDialog)),
                None => {}
            }
        }
        if let Some(rx) = &self.pending.dropped
            && let Ok(text) = rx.try_recv()
        {
            self.pending.dropped = None;
            if add::has_urls(&text) {
                self.panels.add.open_with(Some(text), None);
            } else {
                self.notify(tr!(DroppedNoUrls));
            }
        }
    }

    /// Under one lock: the end of this computer's batch, if it just
    /// ended; the shown batch's progress (ended, total); how many of the
    /// shown downloads are in flight.
    pub(super) fn batch_state(&self) -> (Option<BatchEnd>, (usize, usize), usize) {
        let mut service = self.link.hub.lock();
        let end = service.downloads.model.take_batch_end();
        let read = |d: &Downloads| (d.model.batch_progress(), d.model.in_flight());
        let (progress, in_flight) = match &self.server.remote {
            Some(remote) => {
                drop(service);
                read(&remote.view().downloads)
            }
            None => read(&service.downloads),
        };
        (end, progress, in_flight)
    }

    /// `fanout — 37/64` while a batch runs and after it (`progress`: ended
    /// and total), `fanout` without one.
    pub(super) fn update_title(&mut self, ctx: &egui::Context, (ended, total): (usize, usize)) {
        let title = if total == 0 {
            "fanout".to_string()
        } else {
            format!("fanout — {ended}/{total}")
        };
        if title != self.told.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.told.title = title;
        }
    }
}
