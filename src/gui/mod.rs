//! The window: an eframe app over the same [`Engine`] as `fanout get`.
//!
//! Data flows one way. Widgets collect [`Action`]s while the frame is laid
//! out; the actions are applied after the panels are drawn. Engine events
//! arrive on a channel and are drained in `logic()` under a time budget; the
//! engine's waker asks for a repaint a little later, so a burst of events
//! becomes one frame, and an idle window does not repaint at all.

pub mod add;
pub mod compare;
pub mod i18n;
pub mod model;
pub mod settings;
pub mod table;
pub mod timeline;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use egui::RichText;

use crate::cli::human_bytes;
use crate::engine::{Engine, EngineConfig, Event, Job, Order};
use crate::input::Options;
use crate::store::{Op, Store, StoredState, StoredTask, Writer};
use add::{AddDialog, AddOutcome};
use compare::{CompareAction, ComparePanel};
use i18n::{Lang, tr};
use model::{Counts, Model, TaskState};
use settings::{EngineChoice, Settings};
use table::Selection;

/// The most URLs one add may expand to.
pub const ADD_CAP: usize = crate::pattern::DEFAULT_CAP;

/// How long `logic()` may spend applying events before it yields the frame.
const EVENT_BUDGET: Duration = Duration::from_millis(4);

/// A waker asks for a frame this much later, so bursts coalesce: progress
/// comes ten times a second per task, and so do frames while it runs.
const WAKE_DELAY: Duration = Duration::from_millis(100);

/// While transfers run, speeds and ETAs are redrawn this often even without
/// events (a stalled transfer must show its speed falling).
const TICK: Duration = Duration::from_millis(500);

/// Where the app keeps its files, and what it may touch on this machine.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Folder of `settings.json`.
    pub config_dir: PathBuf,
    /// Folder of the queue store, `queue.sqlite3`.
    pub data_dir: PathBuf,
    /// Read the system clipboard when the add dialog opens.
    pub use_clipboard: bool,
    /// Send desktop notifications (when the settings ask for them).
    pub notifications: bool,
    /// Where an engine comparison's scratch folders go (and are removed).
    pub scratch_dir: PathBuf,
}

impl AppOptions {
    /// The user's config folder (`~/.config/fanout` on Linux).
    /// The user's config and data folders (`~/.config/fanout` and
    /// `~/.local/share/fanout` on Linux).
    pub fn from_system() -> AppOptions {
        let config_dir = dirs::config_dir()
            .map(|d| d.join("fanout"))
            .unwrap_or_else(|| PathBuf::from(".fanout"));
        let data_dir = dirs::data_dir()
            .map(|d| d.join("fanout"))
            .unwrap_or_else(|| config_dir.clone());
        AppOptions {
            config_dir,
            data_dir,
            use_clipboard: true,
            notifications: true,
            scratch_dir: std::env::temp_dir(),
        }
    }

    /// Both folders in one (tests, portable use).
    pub fn in_dir(dir: &Path) -> AppOptions {
        AppOptions {
            config_dir: dir.to_path_buf(),
            data_dir: dir.to_path_buf(),
            use_clipboard: false,
            notifications: false,
            scratch_dir: dir.join("scratch"),
        }
    }

    pub fn settings_path(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    pub fn queue_path(&self) -> PathBuf {
        self.data_dir.join("queue.sqlite3")
    }
}

/// What the user asked for during a frame, applied after it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenAdd(Option<String>),
    Add(Vec<(String, Options)>),
    Pause(Vec<usize>),
    Resume(Vec<usize>),
    Cancel(Vec<usize>),
    Retry(Vec<usize>),
    ClearList,
    OpenFile(usize),
    OpenFolder(usize),
    QueuePaused(bool),
    ChooseFolder,
    ReadDropped(Vec<PathBuf>),
    /// A task's own speed limit (bytes per second; `None` lifts it).
    SetRate(usize, Option<u64>),
    Compare(CompareAction),
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Downloads,
    Timeline,
    Compare,
}

/// The native folder dialog, run off the UI thread.
struct FolderPick {
    rx: mpsc::Receiver<Option<PathBuf>>,
    since: Instant,
}

pub struct FanoutApp {
    options: AppOptions,
    pub settings: Settings,
    saved_settings: Settings,
    engine: Option<Engine>,
    engine_error: Option<String>,
    events: Receiver<Event>,
    store: Option<Writer>,
    pub model: Model,
    add: AddDialog,
    selection: Selection,
    queue_paused: bool,
    folder_pick: Option<FolderPick>,
    dropped: Option<mpsc::Receiver<String>>,
    /// A message for the status bar, with when it was set.
    notice: Option<(String, Instant)>,
    pub tab: Tab,
    pub compare: ComparePanel,
    /// The window title last sent (`fanout — 37/64`).
    pub title: String,
    /// The last batch-end notification's text (sent or not).
    pub last_notification: Option<(String, String)>,
    ctx: egui::Context,
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
        let settings = Settings::load(&options.settings_path());
        i18n::set(settings.lang());
        let (engine, events, engine_error) = start_engine(&settings, &ctx);
        let mut app = FanoutApp {
            model: Model::new(settings.order()),
            saved_settings: settings.clone(),
            settings,
            options,
            engine,
            engine_error,
            events,
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
            ctx,
        };
        app.restore_queue();
        app
    }

    /// Takes back the saved queue: finished tasks as they ended, unfinished
    /// ones paused. Then keeps the store up to date from a writer thread.
    fn restore_queue(&mut self) {
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
        let writer = Writer::new(store);
        if let Some(engine) = &self.engine {
            let restored: Vec<(usize, StoredTask)> = tasks
                .into_iter()
                .map(|t| {
                    let paused = t.state == StoredState::Unfinished;
                    let options = Options::parse(t.options.split_whitespace()).unwrap_or_default();
                    let index = engine.restore(options.apply(Job::new(t.url.clone(), &t.dir)), paused);
                    (index, t)
                })
                .collect();
            engine.continue_ranks_after(restored.iter().filter_map(|(_, t)| t.rank).max().unwrap_or(0));
            // Ids in the store are the indices from here on (a damaged or
            // older store may have had gaps).
            let renumbered = restored.iter().any(|(i, t)| *i != t.id);
            self.model.restore(&restored);
            if renumbered {
                writer.send(Op::Clear);
                for (i, _) in &restored {
                    writer.send(Op::Put(self.model.stored(*i)));
                }
            }
            let unfinished: Vec<usize> = restored
                .iter()
                .filter(|(_, t)| t.state == StoredState::Unfinished)
                .map(|(i, _)| *i)
                .collect();
            if self.settings.resume_on_start {
                for &i in &unfinished {
                    engine.resume(i);
                }
            } else if !unfinished.is_empty() {
                self.notify(tr!(UnfinishedBack, n = unfinished.len()));
            }
        }
        self.store = Some(writer);
    }

    /// Writes a row's current state to the store (off this thread).
    fn save_row(&self, index: usize) {
        if let Some(store) = &self.store {
            store.send(Op::Put(self.model.stored(index)));
        }
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), Instant::now()));
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
    fn settings_changed(&mut self, dragging: bool) {
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
            engine.set_rate_limit(self.settings.rate_limit());
        }
        // Rebuilding a pool on every step of a drag would spawn threads for
        // nothing: wait for the release.
        if !dragging && let Some(engine) = &mut self.engine {
            let config = self.settings.engine_config();
            if config != *engine.config()
                && let Err(e) = engine.reconfigure(config)
            {
                self.notice = Some((tr!(EngineNotChanged, e = e), Instant::now()));
            }
        }
        if dragging {
            return;
        }
        if let Err(e) = self.settings.save(&self.options.settings_path()) {
            self.notify(tr!(
                SettingsNotSaved,
                path = self.options.settings_path().display(),
                e = e
            ));
        }
        self.saved_settings = self.settings.clone();
    }

    fn apply(&mut self, action: Action) {
        let Some(engine) = &self.engine else {
            return;
        };
        match action {
            Action::OpenAdd(text) => {
                let clipboard = (text.is_none() && self.options.use_clipboard).then(read_clipboard);
                self.add.open_with(text, clipboard);
            }
            Action::Add(urls) => {
                let dir = self.settings.target_dir();
                for (url, options) in urls {
                    let index = engine.submit(options.apply(Job::new(url.clone(), &dir)));
                    self.model.add(index, url, dir.clone(), options);
                    self.save_row(index);
                }
            }
            Action::Compare(CompareAction::Run) => {
                let urls = self.model.rows.iter().map(|r| r.url.clone()).collect();
                self.compare
                    .start(urls, &self.settings, &self.options.scratch_dir, &self.ctx);
            }
            Action::Compare(CompareAction::Stop) => self.compare.stop(),
            Action::Compare(CompareAction::SaveCsv) => {
                let text = self.compare.save_csv(&self.settings.download_dir);
                self.notify(text);
            }
            Action::Compare(CompareAction::SavePng) => {
                self.compare.save_png(&self.settings.download_dir, &self.ctx);
            }
            Action::SetRate(index, rate) => {
                if engine.set_task_rate_limit(index, rate) {
                    self.model.set_rate_limit(index, rate);
                    self.save_row(index);
                }
            }
            Action::Pause(rows) => {
                for i in rows {
                    if engine.pause(i) && self.model.rows[i].state.is_active() {
                        self.model.mark(i, TaskState::Pausing);
                    }
                }
            }
            Action::Resume(rows) => {
                for i in rows {
                    // A pause the transfer had not yet seen is simply undone.
                    if engine.resume(i) && self.model.rows[i].state == TaskState::Pausing {
                        self.model.mark(i, TaskState::Running);
                    }
                }
            }
            Action::Cancel(rows) => {
                for i in rows {
                    if engine.cancel(i) && self.model.rows[i].state.is_active() {
                        self.model.mark(i, TaskState::Cancelling);
                    }
                }
            }
            Action::Retry(rows) => {
                for i in rows {
                    engine.retry(i);
                }
            }
            Action::ClearList => {
                // Only offered when every task has ended: a new engine and an
                // empty store, so indices and ranks start again at 0 and 1.
                let (engine, events, error) = start_engine(&self.settings, &self.ctx);
                self.engine = engine;
                self.events = events;
                self.engine_error = error;
                self.model = Model::new(self.settings.order());
                self.selection = Selection::default();
                if let Some(store) = &self.store {
                    store.send(Op::Clear);
                }
                if self.queue_paused
                    && let Some(e) = &self.engine
                {
                    e.set_paused(true);
                }
            }
            Action::OpenFile(i) => {
                if let Some(path) = self.model.rows[i].path.clone() {
                    self.open_path(&path);
                }
            }
            Action::OpenFolder(i) => {
                let dir = self.model.rows[i]
                    .path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(Path::to_path_buf);
                if let Some(dir) = dir {
                    self.open_path(&dir);
                }
            }
            Action::QueuePaused(paused) => {
                self.queue_paused = paused;
                engine.set_paused(paused);
            }
            Action::ChooseFolder => {
                if self.folder_pick.is_none() {
                    self.folder_pick = Some(pick_folder(&self.settings.download_dir, &self.ctx));
                }
            }
            Action::ReadDropped(paths) => {
                let (tx, rx) = mpsc::channel();
                let ctx = self.ctx.clone();
                std::thread::spawn(move || {
                    let mut text = String::new();
                    for p in paths {
                        // Lists of URLs are small; refuse to slurp a video.
                        if std::fs::metadata(&p).is_ok_and(|m| m.len() <= 4 << 20)
                            && let Ok(t) = std::fs::read_to_string(&p)
                        {
                            text.push_str(&t);
                            text.push('\n');
                        }
                    }
                    let _ = tx.send(text);
                    ctx.request_repaint();
                });
                self.dropped = Some(rx);
            }
        }
    }

    fn open_path(&mut self, path: &Path) {
        if let Err(e) = open_in_desktop(path) {
            self.notify(tr!(CouldNotOpen, path = path.display(), e = e));
        }
    }

    /// Results of background helpers (folder dialog, dropped files).
    fn poll_helpers(&mut self) {
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

    /// The current batch's timeline, live while it runs.
    fn timeline_tab(&self, ui: &mut egui::Ui) {
        let t = &self.model.batch.timeline;
        if t.is_empty() {
            ui.weak(tr!(TimelineEmpty));
            return;
        }
        let now = self.engine.as_ref().map(Engine::elapsed);
        ui.horizontal(|ui| {
            ui.label(tr!(
                TimelineSummary,
                tasks = self.model.batch.tasks.len(),
                lanes = t.lanes().len(),
                secs = format!("{:.2}", t.span(now).as_secs_f64()),
                peak = t.peak_in_flight()
            ));
            ui.separator();
            timeline::legend(ui);
        });
        let rows = &self.model.rows;
        let name = |i: usize| rows.get(i).map_or_else(String::new, |r| r.name.clone());
        egui::ScrollArea::vertical().show(ui, |ui| {
            timeline::show(ui, t, now, &name, 120.0);
        });
    }

    /// The batch ended: a desktop notification, if the settings ask for one.
    fn batch_ended(&mut self, end: &model::BatchEnd) {
        let title = tr!(NotifyTitle).to_string();
        let secs = format!("{:.1}", end.span.as_secs_f64());
        let body = if end.paused > 0 {
            tr!(
                NotifyBodyPaused,
                done = end.done,
                failed = end.failed,
                cancelled = end.cancelled,
                paused = end.paused,
                secs = secs
            )
        } else {
            tr!(
                NotifyBody,
                done = end.done,
                failed = end.failed,
                cancelled = end.cancelled,
                secs = secs
            )
        };
        if self.settings.notify && self.options.notifications {
            let (summary, text) = (title.clone(), body.clone());
            // D-Bus may take a moment (or not answer): never on this thread.
            std::thread::spawn(move || {
                if let Err(e) = notify_rust::Notification::new()
                    .appname("fanout")
                    .summary(&summary)
                    .body(&text)
                    .show()
                {
                    tracing::info!(error = %e, "no desktop notification");
                }
            });
        }
        self.last_notification = Some((title, body));
    }

    /// `fanout — 37/64` while a batch runs and after it, `fanout` without one.
    fn update_title(&mut self, ctx: &egui::Context) {
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

    fn top_bar(&mut self, ui: &mut egui::Ui, c: Counts, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            if ui.button(tr!(AddUrls)).on_hover_text(tr!(AddUrlsHint)).clicked() {
                actions.push(Action::OpenAdd(None));
            }
            let mut paused = self.queue_paused;
            if ui
                .toggle_value(&mut paused, tr!(PauseQueue))
                .on_hover_text(tr!(PauseQueueHint))
                .changed()
            {
                actions.push(Action::QueuePaused(paused));
            }
            ui.separator();
            let sel: Vec<usize> = self.selection.rows.iter().copied().collect();
            let any = |f: fn(&TaskState) -> bool| sel.iter().any(|&i| f(&self.model.rows[i].state));
            ui.label(tr!(NSelected, n = sel.len()));
            if ui
                .add_enabled(any(TaskState::can_pause), egui::Button::new(tr!(PauseSelected)))
                .clicked()
            {
                actions.push(Action::Pause(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_resume), egui::Button::new(tr!(ResumeSelected)))
                .clicked()
            {
                actions.push(Action::Resume(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_cancel), egui::Button::new(tr!(CancelSelected)))
                .clicked()
            {
                actions.push(Action::Cancel(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_retry), egui::Button::new(tr!(RetrySelected)))
                .clicked()
            {
                actions.push(Action::Retry(sel.clone()));
            }
            if ui.button(tr!(SelectAll)).clicked() {
                self.selection.rows = (0..self.model.rows.len()).collect();
            }
            let all_ended = !self.model.rows.is_empty() && c.queued + c.running + c.paused == 0;
            if ui
                .add_enabled(all_ended, egui::Button::new(tr!(ClearList)))
                .on_hover_text(tr!(ClearListHint))
                .on_disabled_hover_text(tr!(ClearListDisabled))
                .clicked()
            {
                actions.push(Action::ClearList);
            }
        });
    }

    /// System, English or 简体中文; each in its own language.
    fn language_choice(&mut self, ui: &mut egui::Ui) {
        let label = ui.label(tr!(Language));
        ui.horizontal_wrapped(|ui| {
            let system = tr!(LangSystem, lang = Lang::from_system().name());
            ui.selectable_value(&mut self.settings.language, None, system)
                .labelled_by(label.id);
            for lang in Lang::ALL {
                ui.selectable_value(&mut self.settings.language, Some(lang), lang.name());
            }
        });
    }

    fn settings_panel(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
        let mut dragging = false;
        ui.heading(tr!(Settings));
        ui.add_space(4.0);
        ui.label(tr!(Engine));
        // Wrapped, so a fourth engine does not widen the panel (and push the
        // table's last column under the Results panel).
        ui.horizontal_wrapped(|ui| {
            for choice in EngineChoice::ALL {
                ui.selectable_value(&mut self.settings.engine, choice, choice.label())
                    .on_hover_text(choice.help());
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label(tr!(Workers));
            let r = match self.settings.engine {
                EngineChoice::Sequential => {
                    let mut one = 1usize;
                    ui.add_enabled(false, egui::DragValue::new(&mut one))
                }
                EngineChoice::Threads => {
                    ui.add(egui::DragValue::new(&mut self.settings.threads).range(1..=512))
                }
                EngineChoice::Async => ui
                    .add(egui::DragValue::new(&mut self.settings.async_limit).range(0..=100_000))
                    .on_hover_text(tr!(ZeroNoLimit)),
                EngineChoice::Aria2 => {
                    ui.add(egui::DragValue::new(&mut self.settings.aria2_limit).range(1..=1000))
                }
            };
            dragging |= r.dragged();
            r.labelled_by(label.id);
        });
        ui.weak(self.settings.engine.help());
        ui.add_space(6.0);
        ui.checkbox(&mut self.settings.keep_order, tr!(KeepOrder))
            .on_hover_text(tr!(KeepOrderHint));
        ui.add_space(6.0);
        if self.settings.engine == EngineChoice::Aria2 {
            dragging |= aria2_fields(ui, &mut self.settings);
        } else {
            dragging |= self.folder_fields(ui, actions);
        }
        ui.add_space(6.0);
        egui::Grid::new("timeouts").num_columns(2).show(ui, |ui| {
            let l = ui.label(tr!(ConnectTimeout));
            let r = ui.add(egui::DragValue::new(&mut self.settings.connect_timeout_secs).range(1..=600));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(StallTimeout));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.idle_timeout_secs).range(1..=3600))
                .on_hover_text(tr!(StallTimeoutHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(ConnectionsPerFile));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.segments).range(1..=EngineConfig::MAX_SEGMENTS))
                .on_hover_text(tr!(ConnectionsPerFileHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(SpeedLimit));
            let r = ui
                .add(
                    egui::DragValue::new(&mut self.settings.speed_limit_kib)
                        .range(0..=10_000_000)
                        .speed(16.0),
                )
                .on_hover_text(tr!(SpeedLimitHint));
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(Retries));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.retries).range(0..=100))
                .on_hover_text(tr!(RetriesHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
        });
        ui.checkbox(&mut self.settings.resume_on_start, tr!(ResumeOnStart));
        ui.checkbox(&mut self.settings.notify, tr!(NotifyOnFinish))
            .on_hover_text(tr!(NotifyOnFinishHint));
        ui.add_space(6.0);
        self.language_choice(ui);
        ui.add_space(8.0);
        ui.separator();
        ui.weak(tr!(EngineChangeNote));
        if self.engine.as_ref().is_some_and(Engine::running_on_old_backends) {
            ui.label(RichText::new(tr!(OldEngineStillRuns)).color(ui.visuals().warn_fg_color));
        }
        dragging
    }

    /// The local download folder: typed, or chosen with the native dialog.
    fn folder_fields(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
        let mut dragging = false;
        let folder_label = ui.label(tr!(DownloadFolder));
        let mut dir = self.settings.download_dir.to_string_lossy().into_owned();
        let r = ui
            .add(egui::TextEdit::singleline(&mut dir).desired_width(f32::INFINITY))
            .labelled_by(folder_label.id);
        if r.changed() {
            self.settings.download_dir = PathBuf::from(dir);
        }
        // Typing is saved when the field loses focus, not on every key.
        dragging |= r.has_focus();
        ui.horizontal(|ui| {
            if self.folder_pick.is_some() {
                ui.spinner();
                ui.label(tr!(WaitingFolderDialog));
            } else if ui.button(tr!(Choose)).clicked() {
                actions.push(Action::ChooseFolder);
            }
        });
        dragging
    }

    fn results_panel(&self, ui: &mut egui::Ui) {
        ui.heading(tr!(Results));
        let keep = self.model.order() == Order::Submission;
        ui.label(if keep {
            tr!(InSubmissionOrder)
        } else {
            tr!(InCompletionOrder)
        });
        let held = self.model.held_back();
        ui.label(RichText::new(tr!(HeldBack, n = held)).color(if held > 0 {
            ui.visuals().warn_fg_color
        } else {
            ui.visuals().weak_text_color()
        }));
        ui.separator();
        let released = &self.model.released;
        egui::Grid::new("results head")
            .num_columns(3)
            .min_col_width(44.0)
            .show(ui, |ui| {
                ui.strong(tr!(DoneNo));
                ui.strong(tr!(TaskNo));
                ui.strong(tr!(Name));
            });
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::vertical()
            .id_salt("results")
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show_rows(ui, row_h, released.len(), |ui, range| {
                for r in &released[range] {
                    ui.horizontal(|ui| {
                        let color = if r.ok {
                            ui.visuals().text_color()
                        } else {
                            ui.visuals().error_fg_color
                        };
                        ui.add_sized(
                            [44.0, row_h - 4.0],
                            egui::Label::new(RichText::new(r.rank.to_string()).color(color)),
                        );
                        ui.add_sized(
                            [44.0, row_h - 4.0],
                            egui::Label::new(RichText::new(r.index.to_string()).color(color)),
                        );
                        let name = &self.model.rows[r.index].name;
                        ui.add(egui::Label::new(RichText::new(name).color(color)).truncate());
                    });
                }
            });
    }

    fn status_bar(&self, ui: &mut egui::Ui, c: Counts) {
        let now = Instant::now();
        ui.horizontal(|ui| {
            ui.label(tr!(
                TaskTotals,
                total = self.model.rows.len(),
                done = c.done,
                failed = c.failed,
                running = c.running,
                queued = c.queued,
                paused = c.paused,
                cancelled = c.cancelled
            ));
            ui.separator();
            let limit = self
                .engine
                .as_ref()
                .and_then(|e| e.config().backend.limit())
                .map_or(tr!(NoLimit).to_string(), |l| l.to_string());
            // The limit counts connections: a segmented file holds several.
            let connections = self.engine.as_ref().map_or(0, Engine::connections);
            ui.label(tr!(
                InFlight,
                n = self.model.in_flight(),
                connections = connections,
                limit = limit
            ))
            .on_hover_text(tr!(InFlightHint));
            ui.separator();
            ui.label(format!("{}/s", human_bytes(self.model.speed(now) as u64)));
            ui.separator();
            match (
                &self.settings.engine,
                self.engine.as_ref().and_then(|e| e.config().aria2.as_ref()),
            ) {
                (EngineChoice::Aria2, Some(remote)) => {
                    let host = url::Url::parse(&remote.url)
                        .ok()
                        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
                        .unwrap_or_else(|| remote.url.clone());
                    ui.label(tr!(EngineAria2At, host = host));
                    match &self.model.remote {
                        // No spinner: it would draw frames for as long as
                        // the daemon is away; the engine says when it is back.
                        Some((false, detail)) => {
                            ui.label(RichText::new(tr!(Reconnecting)).color(ui.visuals().warn_fg_color))
                                .on_hover_text(detail);
                        }
                        _ => {
                            ui.label(tr!(Connected));
                        }
                    }
                }
                _ => {
                    ui.label(tr!(EngineIs, engine = self.settings.engine.label()));
                }
            }
            if self.queue_paused {
                ui.separator();
                ui.label(RichText::new(tr!(QueuePausedNote)).color(ui.visuals().warn_fg_color));
            }
            if let Some((text, _)) = &self.notice {
                ui.separator();
                ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
            }
        });
    }
}

impl eframe::App for FanoutApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        i18n::set(self.settings.lang());
        if self.drain_events(EVENT_BUDGET) {
            ctx.request_repaint(); // more waiting: next frame goes on
        }
        self.poll_helpers();
        if let Some(text) = self.compare.poll() {
            self.notify(text);
        }
        if let Some(end) = self.model.take_batch_end() {
            self.batch_ended(&end);
        }
        self.update_title(ctx);
        if self.model.in_flight() > 0 || self.folder_pick.is_some() || self.dropped.is_some() {
            // The timeline's running bars grow with the clock, not with events.
            let tick = if self.tab == Tab::Timeline {
                WAKE_DELAY
            } else {
                TICK
            };
            ctx.request_repaint_after(tick);
        }
        if let Some((_, at)) = self.notice
            && at.elapsed() > Duration::from_secs(10)
        {
            self.notice = None;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        i18n::set(self.settings.lang());
        let mut actions = Vec::new();
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
                        table::show(ui, &self.model, &mut self.selection, &mut actions);
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

/// The aria2 engine's settings: where the daemon is, its secret, and the
/// folder on its machine (typed: a native dialog would show this machine's
/// folders). True while a field is being edited (applied when it is left).
fn aria2_fields(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    // A labelled one-line field; true while it has the focus.
    let field = |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, password: bool| {
        let l = ui.label(label);
        ui.add(
            egui::TextEdit::singleline(text)
                .password(password)
                .desired_width(f32::INFINITY)
                .hint_text(hint),
        )
        .labelled_by(l.id)
        .has_focus()
    };
    let mut editing = field(
        ui,
        tr!(Aria2Url),
        &mut settings.aria2_url,
        "http://HOST:6800/jsonrpc",
        false,
    );
    editing |= field(
        ui,
        tr!(Aria2Secret),
        &mut settings.aria2_secret.0,
        tr!(Aria2SecretHint),
        true,
    );
    editing |= field(
        ui,
        tr!(RemoteFolder),
        &mut settings.aria2_dir,
        tr!(RemoteFolderHint),
        false,
    );
    editing
}

/// A new engine for `settings`, with the channel its events come on.
fn start_engine(
    settings: &Settings,
    ctx: &egui::Context,
) -> (Option<Engine>, Receiver<Event>, Option<String>) {
    let (tx, events) = crossbeam_channel::unbounded();
    let waker = {
        let ctx = ctx.clone();
        Arc::new(move || ctx.request_repaint_after(WAKE_DELAY))
    };
    match Engine::new(settings.engine_config(), tx, waker) {
        Ok(e) => {
            e.set_rate_limit(settings.rate_limit());
            (Some(e), events, None)
        }
        Err(e) => (None, events, Some(tr!(EngineDidNotStart, e = e))),
    }
}

/// Registers the bundled CJK font as a fallback after egui's own fonts, so
/// Chinese names render the same on every machine.
fn install_fonts(ctx: &egui::Context) {
    const CJK: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");
    let mut fonts = egui::FontDefinitions::default();
    fonts
        .font_data
        .insert("noto-sans-sc".into(), Arc::new(egui::FontData::from_static(CJK)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("noto-sans-sc".into());
    }
    ctx.set_fonts(fonts);
}

pub fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).ok()
}

/// Reads the clipboard's text on a helper thread (X11 clipboards answer
/// through the event loop of another program and may take a while).
fn read_clipboard() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        if let Ok(text) = arboard::Clipboard::new().and_then(|mut c| c.get_text()) {
            let _ = tx.send(text);
        }
    });
    rx
}

/// Opens the native folder dialog on a helper thread and reports the choice.
fn pick_folder(start: &Path, ctx: &egui::Context) -> FolderPick {
    let (tx, rx) = mpsc::channel();
    let start = start.to_path_buf();
    let ctx = ctx.clone();
    // The language is the UI thread's: take the title from here.
    let title = tr!(DownloadFolder);
    std::thread::spawn(move || {
        let mut dialog = rfd::AsyncFileDialog::new().set_title(title);
        if start.is_dir() {
            dialog = dialog.set_directory(&start);
        }
        let choice = pollster::block_on(dialog.pick_folder()).map(|h| h.path().to_path_buf());
        let _ = tx.send(choice);
        ctx.request_repaint();
    });
    FolderPick {
        rx,
        since: Instant::now(),
    }
}

/// Opens a file or folder with the desktop's default program, without
/// waiting for it.
fn open_in_desktop(path: &Path) -> std::io::Result<()> {
    let program = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(program)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    // Reap it whenever it ends, off the UI thread.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// Opens the window; returns when it is closed. wgpu first (eframe's
/// default); if no wgpu surface can be made, the same window with glow.
pub fn run() -> eframe::Result<()> {
    let options = |renderer| eframe::NativeOptions {
        renderer,
        viewport: {
            let mut v = egui::ViewportBuilder::default()
                .with_title("fanout")
                .with_app_id("fanout")
                .with_inner_size([1360.0, 800.0])
                .with_min_inner_size([720.0, 400.0]);
            if let Some(icon) = icon() {
                v = v.with_icon(icon);
            }
            v
        },
        ..Default::default()
    };
    let creator = || -> eframe::AppCreator<'static> {
        Box::new(|cc| Ok(Box::new(FanoutApp::new(cc, AppOptions::from_system()))))
    };
    match eframe::run_native("fanout", options(eframe::Renderer::Wgpu), creator()) {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "wgpu renderer failed; falling back to glow");
            eframe::run_native("fanout", options(eframe::Renderer::Glow), creator())
        }
    }
}
