//! The downloads, apart from the window and the command line: the task
//! list (states, ranks, the results order), the engine that runs it, the
//! store that keeps it, and the RPC's state (gids). The window and
//! `fanout serve` each hold one [`Downloads`] and drive it the same way:
//! events in through [`Downloads::drain_events`], the user's or a
//! program's wishes through its methods (and the RPC's calls through
//! [`host::ServiceHost`]). No egui here.
//!
//! The modules: `after_batch` (what runs when a batch ends), `kind` (a
//! download's category), `history` (a download's log), `row` (one download
//! as shown and listed), `model` (all of them, built from engine events,
//! and the fan-in), `remove` (taking downloads off every list, with or
//! without their files), `reorder` (waiting downloads dropped elsewhere in
//! the queue), this file (the engine, the store and the RPC's state around
//! the model), `host` (the RPC's calls against it), `schedule` (the weekly
//! schedule and the speed limit in force), `hub` (the service on a thread
//! of its own, behind one lock, and what the window or `fanout serve` adds
//! to it), `serve` (`fanout serve`, the service without a window).

pub mod after_batch;
pub mod compare;
pub mod history;
pub mod host;
pub mod hub;
pub mod kind;
pub mod model;
pub mod remote;
pub mod remove;
pub mod reorder;
pub mod row;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod timeline;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use crate::engine::{Engine, EngineConfig, EngineError, Event, Job, Waker};
use crate::input::Options;
use crate::platform::secrets::Secrets;
use crate::rpc::RpcState;
use crate::service::store::{Op, QueueSecrets, Store, StoreError, StoredState, StoredTask, Writer};
use crate::settings::Settings;
use crate::settings::schedule::SpeedChoice;
use model::{Model, TaskState};

/// The downloads: what the window, `fanout serve` and the RPC show and
/// change.
pub struct Downloads {
    /// `None` while the engine the settings ask for could not start.
    pub engine: Option<Engine>,
    events: Receiver<Event>,
    pub store: Option<Writer>,
    pub model: Model,
    /// The RPC's state: gids of this run, results a client removed.
    pub rpc_state: RpcState,
    /// Arrived over RPC held (`Ask first`), for the user to start or remove.
    pub arrived: Vec<usize>,
    /// The queue is paused: nothing new starts.
    pub queue_paused: bool,
    /// A saved queue the current engine has not taken back yet (none
    /// started, or the one in settings failed): shown, and handed to the
    /// first engine that starts.
    unattached: Option<Vec<(usize, StoredTask)>>,
    /// The restored tasks' secrets, on their way from the keyring.
    queue_secrets: Option<Receiver<QueueSecrets>>,
    /// Restored tasks to resume once they have their secrets.
    resume_later: Vec<usize>,
    /// The speed limit in force (the setting, the alternative, none).
    pub speed: SpeedChoice,
    /// What the schedule last applied.
    pub schedule: schedule::ScheduleState,
    /// The torrents' engine settings this run has over the settings'
    /// (`fanout serve --no-dht`, an RPC client's upload limit).
    pub torrent: TorrentOverride,
    /// Removed with their files while they ran: the files go once each
    /// has stopped.
    delete_when_ended: Vec<usize>,
    /// This run's RPC options (`changeGlobalOption`): each new download's
    /// own speed limit when it sets none (`max-download-limit`), and where
    /// `saveSession` writes (`save-session`).
    pub rpc_options: RpcOptions,
}

/// What an RPC client set for this run over the settings (aria2 keeps
/// them for its run too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpcOptions {
    pub task_limit: Option<u64>,
    pub session_file: Option<PathBuf>,
}

/// Torrent settings of this run, over the settings': each one given
/// replaces the settings' value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TorrentOverride {
    pub port: Option<u16>,
    pub dht: Option<bool>,
    pub upload_limit: Option<Option<u64>>,
}

/// What taking the saved queue back found, for the window or `fanout serve` to say.
#[derive(Debug, Default)]
pub struct Restored {
    /// Unfinished downloads that came back paused (not resumed at start).
    pub unfinished_paused: usize,
}

impl Downloads {
    pub fn new(settings: &Settings) -> Downloads {
        Downloads {
            engine: None,
            events: crossbeam_channel::never(),
            store: None,
            model: Model::new(settings.order()),
            rpc_state: RpcState::new(),
            arrived: Vec::new(),
            queue_paused: false,
            unattached: None,
            queue_secrets: None,
            resume_later: Vec::new(),
            speed: SpeedChoice::default(),
            schedule: Default::default(),
            torrent: TorrentOverride::default(),
            delete_when_ended: Vec::new(),
            rpc_options: RpcOptions::default(),
        }
    }

    /// The engine's settings: the settings', with this run's torrent
    /// settings over them.
    pub fn engine_config(&self, settings: &Settings) -> EngineConfig {
        let mut config = settings.engine_config();
        let t = &self.torrent;
        config.torrent.port = t.port.or(config.torrent.port);
        config.torrent.dht = t.dht.unwrap_or(config.torrent.dht);
        config.torrent.upload_limit = t.upload_limit.unwrap_or(config.torrent.upload_limit);
        config
    }

    /// A paused torrent's choices, replaced (see
    /// [`Engine::set_torrent_options`]); false when no engine holds it.
    pub fn set_torrent_options(&mut self, i: usize, options: crate::engine::TorrentOptions) -> bool {
        let ok = self
            .engine
            .as_ref()
            .is_some_and(|e| e.set_torrent_options(i, options.clone()));
        if ok && let Some(row) = self.model.rows.get_mut(i) {
            row.options.torrent = options;
            self.save(i);
        }
        ok
    }

    /// Chooses a torrent's files anew (0-based; `None`: all), in the
    /// engine and its row (kept with the queue), as the RPC's
    /// `changeOption select-file` does: a paused torrent stays paused.
    /// False when no engine has the task.
    pub fn select_files(&mut self, i: usize, files: Option<Vec<usize>>) -> bool {
        let ok = self
            .engine
            .as_ref()
            .is_some_and(|e| e.select_files(i, files.clone()));
        if ok && let Some(row) = self.model.rows.get_mut(i) {
            row.options.torrent.select = files;
            self.save(i);
        }
        ok
    }

    /// The window's file list applied: the files chosen, and a torrent
    /// that waited for them (`pause_metadata`) goes on.
    pub fn choose_files(&mut self, i: usize, files: Vec<usize>) -> bool {
        if !self.select_files(i, Some(files)) {
            return false;
        }
        let waited = self
            .model
            .rows
            .get_mut(i)
            .is_some_and(|row| std::mem::take(&mut row.options.torrent.pause_metadata));
        if waited {
            self.save(i);
            if self.model.rows[i].state.can_resume() {
                self.resume(i);
            }
        }
        true
    }

    /// Starts an engine with the settings as they are (at start, when the
    /// list is cleared, or when the one in settings could not start and
    /// the settings changed). The restored queue goes to it. When it does
    /// not start, none runs (not the one before).
    pub fn start_engine(&mut self, settings: &Settings, waker: Waker) -> Result<Restored, EngineError> {
        let (tx, events) = crossbeam_channel::unbounded();
        self.engine = None;
        self.events = crossbeam_channel::never();
        let engine = Engine::new(self.engine_config(settings), tx, waker)?;
        engine.set_paused(self.queue_paused);
        engine.set_rate_limit(self.rate_limit(settings));
        self.engine = Some(engine);
        self.events = events;
        Ok(self.attach_queue(settings.resume_on_start))
    }

    /// Takes back the saved queue at `path`: finished tasks as they ended,
    /// unfinished ones paused. They are listed at once, engine or not; the
    /// engine takes them back now, or when one first starts. Then keeps
    /// the store up to date from a writer thread.
    pub fn restore_queue(
        &mut self,
        path: &Path,
        secrets: Secrets,
        resume_on_start: bool,
    ) -> Result<Restored, StoreError> {
        let store = Store::open(path)?;
        let tasks = store.load().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "saved queue unreadable");
            Vec::new()
        });
        let (writer, kept) = Writer::with_secrets(store, secrets);
        self.queue_secrets = Some(kept);
        // Indices are places in the list: a fresh engine gives the same
        // ones as it takes the tasks back in this order.
        let restored: Vec<(usize, StoredTask)> = tasks.into_iter().enumerate().collect();
        // Ids in the store are the indices from here on (a damaged or older
        // store may have had gaps).
        let renumbered = restored.iter().any(|(i, t)| *i != t.id);
        self.model.restore(&restored);
        self.rpc_state
            .forget(restored.iter().filter(|(_, t)| t.forgotten).map(|(i, _)| *i));
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
        Ok(self.attach_queue(resume_on_start))
    }

    /// Hands the restored queue to the engine, once one runs.
    fn attach_queue(&mut self, resume_on_start: bool) -> Restored {
        let Some(engine) = &self.engine else {
            return Restored::default();
        };
        let Some(restored) = self.unattached.take() else {
            return Restored::default();
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
        // A removed one (its cancel not kept before the program ended)
        // stays put.
        let unfinished: Vec<usize> = restored
            .iter()
            .filter(|(_, t)| t.state == StoredState::Unfinished && !t.removed)
            .map(|(i, _)| *i)
            .collect();
        if resume_on_start {
            // They go on once they have their secrets back (a password, a
            // cookie), or they would be sent without them.
            self.resume_later = unfinished;
            self.give_back_secrets();
            Restored::default()
        } else {
            Restored {
                unfinished_paused: unfinished.len(),
            }
        }
    }

    /// Gives the restored tasks their secrets once the store's thread has
    /// read them from the keyring and the engine has the tasks; then
    /// resumes those waiting for them. Called until it has (cheap).
    pub fn give_back_secrets(&mut self) {
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

    /// The engine's events: whether one is waiting.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Applies engine events for at most `budget`; true if some are left.
    /// `before` sees each event with the list as it was before it (the
    /// RPC's notifications need the state before).
    pub fn drain_events(&mut self, budget: Duration, mut before: impl FnMut(&Event, &Downloads)) -> bool {
        let start = Instant::now();
        while let Ok(event) = self.events.try_recv() {
            // The store keeps what survives a restart: not the progress.
            let changed = match &event {
                Event::Finished(r) => Some(r.index),
                Event::Queued { index, .. } | Event::Paused { index, .. } => Some(*index),
                _ => None,
            };
            let finished = matches!(&event, Event::Finished(_));
            before(&event, self);
            self.model.apply(event, Instant::now());
            if let Some(index) = changed {
                self.save(index);
                if finished {
                    self.drop_added_torrent(index);
                    self.removed_ended(index);
                }
            }
            if start.elapsed() >= budget {
                return !self.events.is_empty();
            }
        }
        false
    }

    /// The `.torrent` that `aria2.addTorrent` wrote for a task goes once
    /// the task is done or removed (kept while it may resume or retry).
    fn drop_added_torrent(&self, index: usize) {
        let Some(row) = self.model.rows.get(index) else {
            return;
        };
        if matches!(row.state, TaskState::Done | TaskState::Cancelled)
            && let Some(path) = crate::rpc::add_torrent::added_file(&row.url)
        {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Tells the RPC's WebSocket clients what an event means to them
    /// (`aria2.onDownloadStart`…); called with the list as it is before
    /// the event.
    pub fn tell(&self, server: &crate::rpc::Server, event: &Event) {
        for (method, gid) in self.notifications(event) {
            server.notify(method, &gid);
        }
    }

    fn notifications(&self, event: &Event) -> Vec<(&'static str, String)> {
        let index = match event {
            Event::Started { index, .. }
            | Event::Paused { index, .. }
            | Event::Torrent { index, .. }
            | Event::Swarm { index, .. } => *index,
            Event::Finished(r) => r.index,
            _ => return Vec::new(),
        };
        let before = self
            .model
            .rows
            .get(index)
            .map(|row| crate::rpc::Before {
                paused: row.state == TaskState::Paused,
                magnet: crate::rpc::bt::is_magnet(&row.url),
                torrent: row.torrent.is_some(),
                seeding: row.state == TaskState::Seeding,
            })
            .unwrap_or_default();
        self.rpc_state.notifications(event, before)
    }

    /// Empties the list (only offered when every task has ended): an empty
    /// store, and indices, ranks and gids start again.
    pub fn clear(&mut self, settings: &Settings) {
        self.model = Model::new(settings.order());
        self.rpc_state.reset();
        self.arrived.clear();
        self.unattached = None;
        if let Some(store) = &self.store {
            store.send(Op::Clear);
        }
    }

    /// Pauses or lets go the whole queue.
    pub fn set_queue_paused(&mut self, paused: bool) {
        self.queue_paused = paused;
        if let Some(e) = &self.engine {
            e.set_paused(paused);
        }
    }

    /// Queues one download and gives it its row (saved to the store): the
    /// add dialog's way and the RPC's. `held`: it waits paused for a
    /// resume. `None` when no engine runs.
    pub fn add(&mut self, url: String, dir: PathBuf, options: Options, held: bool) -> Option<usize> {
        let engine = self.engine.as_ref()?;
        // A bad URL is not held: it fails now, with its reason.
        let held = held && crate::engine::parse_url(&url).is_ok();
        let job = options.apply(Job::new(url.clone(), &dir));
        let index = if held {
            engine.restore(job, true)
        } else {
            engine.submit(job)
        };
        // The row shows where the file goes: a site rule's folder, if its
        // rule has one (the engine applies it the same way).
        let rule = engine.rule_for(&url);
        let dir = rule.and_then(|r| r.folder.clone()).unwrap_or(dir);
        let rule = rule.map(|r| r.hosts.clone());
        self.model.add(index, url, dir, options);
        self.model.rows[index].rule = rule;
        if held {
            self.model.mark(index, TaskState::Paused);
        }
        self.save(index);
        Some(index)
    }

    /// Writes a row's current state to the store (off this thread).
    pub fn save(&self, index: usize) {
        if let Some(store) = &self.store {
            store.send(Op::Put(self.model.stored(index)));
        }
    }

    /// Returns once everything sent to the store so far is committed: what
    /// was acknowledged after this survives a killed process.
    pub fn commit(&self) {
        if let Some(store) = &self.store {
            store.flush();
        }
    }

    /// A task's own speed limit, in the engine, its row and the store.
    pub fn set_rate(&mut self, i: usize, rate: Option<u64>) {
        if let Some(engine) = &self.engine
            && engine.set_task_rate_limit(i, rate)
        {
            self.model.set_rate_limit(i, rate);
            self.save(i);
        }
    }

    /// Pauses a row's task; true if the engine had it to pause.
    pub fn pause(&mut self, i: usize) -> bool {
        let ok = self.engine.as_ref().is_some_and(|e| e.pause(i));
        if ok && self.model.rows[i].state.is_active() {
            self.model.mark(i, TaskState::Pausing);
        }
        ok
    }

    pub fn resume(&mut self, i: usize) -> bool {
        let ok = self.engine.as_ref().is_some_and(|e| e.resume(i));
        // A pause the transfer had not yet seen is simply undone.
        if ok && self.model.rows[i].state == TaskState::Pausing {
            self.model.mark(i, TaskState::Running);
        }
        ok
    }

    pub fn cancel(&mut self, i: usize) -> bool {
        let ok = self.engine.as_ref().is_some_and(|e| e.cancel(i));
        if ok && self.model.rows[i].state.is_active() {
            self.model.mark(i, TaskState::Cancelling);
        }
        ok
    }
}
