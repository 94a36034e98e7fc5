//! The window as the owner of the RPC server's downloads: it starts the
//! server as the settings say, answers its calls between frames (under a
//! time budget, so 10,000 `addUri` calls never stall a frame), tells its
//! WebSocket clients what the engine reports, and shows what arrived
//! when the user asked to see downloads from other programs first.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde_json::Value;

use super::actions::{add_row, cancel_row, pause_row, resume_row, set_rate_row};
use super::i18n::tr;
use super::model::{Model, TaskState};
use super::settings::{EngineChoice, RpcSettings, Settings};
use super::{FanoutApp, ServeRpc};
use crate::engine::{Engine, Event, Note, Place};
use crate::rpc::{Add, Call, Desk, Download, Global, GlobalChange, Host, Request, RpcError, Server, Status};
use crate::secrets::{Kept, RPC_SECRET, Secrets};
use crate::store::Writer;

/// How long one frame may spend answering calls.
pub(super) const RPC_BUDGET: Duration = Duration::from_millis(6);

/// One request being answered, perhaps over several frames.
struct Work {
    calls: VecDeque<Call>,
    results: Vec<Result<Value, RpcError>>,
    reply: tokio::sync::oneshot::Sender<Vec<Result<Value, RpcError>>>,
}

pub(super) struct Rpc {
    server: Option<Server>,
    /// Why it does not serve (the port is taken…), for settings and the
    /// status bar.
    pub(super) error: Option<String>,
    /// The settings it was started with; restarted when they change.
    running: Option<RpcSettings>,
    tx: Sender<Request>,
    rx: Receiver<Request>,
    work: Option<Work>,
    desk: Desk,
    pub(super) secret: Option<String>,
    /// Where the secret is kept (the keyring, or the file and why).
    pub(super) kept: Option<Kept>,
    /// The secret on its way from the keyring (which may ask the user to
    /// unlock it: never on the UI thread).
    fetching: Option<Receiver<std::io::Result<(String, Kept)>>>,
    /// Arrived held, for the user to start or remove (`Ask first`).
    pub(super) arrived: Vec<usize>,
}

impl Default for Rpc {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Rpc {
            server: None,
            error: None,
            running: None,
            tx,
            rx,
            work: None,
            desk: Desk::new(),
            secret: None,
            kept: None,
            fetching: None,
            arrived: Vec::new(),
        }
    }
}

/// The window's parts the RPC's calls read and change.
struct Owner<'a> {
    engine: Option<&'a Engine>,
    model: &'a mut Model,
    settings: &'a mut Settings,
    store: Option<&'a Writer>,
    arrived: &'a mut Vec<usize>,
}

impl FanoutApp {
    /// Starts, stops or restarts the server so it serves as the settings say.
    pub(super) fn sync_rpc(&mut self) {
        let mut wanted = Some(RpcSettings {
            ask: false,
            ..self.settings.rpc.clone()
        })
        .filter(|w| w.enabled);
        match self.options.serve_rpc {
            ServeRpc::Off => wanted = None,
            ServeRpc::AsSet => {}
            ServeRpc::OnPort(port) => {
                if let Some(w) = &mut wanted {
                    w.port = port;
                }
            }
        }
        if wanted == self.rpc.running {
            return;
        }
        self.rpc.server = None;
        self.rpc.error = None;
        self.rpc.running = wanted.clone();
        if wanted.is_none() {
            return;
        }
        match &self.rpc.secret {
            Some(_) => self.start_rpc_server(),
            // The server starts when the secret comes.
            None if self.rpc.fetching.is_none() => {
                let (tx, rx) = crossbeam_channel::bounded(1);
                let secrets = Secrets::in_dir(&self.options.config_dir, self.options.keyring);
                let ctx = self.ctx.clone();
                let spawned = std::thread::Builder::new()
                    .name("fanout-secret".into())
                    .spawn(move || {
                        let _ = tx.send(secrets.get_or_make(RPC_SECRET));
                        ctx.request_repaint();
                    });
                match spawned {
                    Ok(_) => self.rpc.fetching = Some(rx),
                    Err(e) => self.rpc.error = Some(tr!(RpcNoSecret, e = e)),
                }
            }
            None => {}
        }
    }

    /// The secret arrived from the keyring (or the file): serve.
    pub(super) fn poll_rpc_secret(&mut self) {
        let Some(rx) = &self.rpc.fetching else { return };
        let Ok(got) = rx.try_recv() else { return };
        self.rpc.fetching = None;
        match got {
            Ok((secret, kept)) => {
                self.rpc.secret = Some(secret);
                self.rpc.kept = Some(kept);
                self.start_rpc_server();
            }
            Err(e) => self.rpc.error = Some(tr!(RpcNoSecret, e = e)),
        }
    }

    /// Starts the server as `running` says, with the secret at hand.
    fn start_rpc_server(&mut self) {
        let (Some(wanted), Some(secret)) = (self.rpc.running.clone(), self.rpc.secret.clone()) else {
            return;
        };
        let listen = match wanted.listen() {
            Ok(l) => l,
            Err(bad) => {
                self.rpc.error = Some(tr!(RpcBadAddress, addr = bad));
                return;
            }
        };
        let ctx = self.ctx.clone();
        let wake = std::sync::Arc::new(move || ctx.request_repaint());
        let session = self.rpc.desk.gids.session();
        match Server::start(&listen, &secret, session, self.rpc.tx.clone(), wake) {
            Ok(server) => self.rpc.server = Some(server),
            Err(e) => {
                tracing::warn!(%e, "RPC server not started");
                self.rpc.error = Some(tr!(RpcNotServing, e = e));
            }
        }
    }

    /// Whether the server is still on its way (the secret is being fetched).
    pub fn rpc_starting(&self) -> bool {
        self.rpc.fetching.is_some()
    }

    /// The port the server listens on, when it does.
    pub fn rpc_port(&self) -> Option<u16> {
        self.rpc.server.as_ref().map(Server::port)
    }

    /// The token other programs must give.
    pub fn rpc_secret(&self) -> Option<&str> {
        self.rpc.secret.as_deref()
    }

    /// The list was cleared: indices, and so gids, start again.
    pub(super) fn reset_rpc_books(&mut self) {
        self.rpc.desk.reset();
        self.rpc.arrived.clear();
    }

    /// Tells WebSocket clients what an engine event means to them; called
    /// before the model takes the event (it needs the state before).
    pub(super) fn tell_rpc(&self, event: &Event) {
        let Some(server) = &self.rpc.server else { return };
        let was_paused = match event {
            Event::Finished(r) => self
                .model
                .rows
                .get(r.index)
                .is_some_and(|row| row.state == TaskState::Paused),
            _ => false,
        };
        if let Some((method, gid)) = self.rpc.desk.notification(event, was_paused) {
            server.notify(method, &gid);
        }
    }

    /// Answers the RPC's calls for at most `budget`; true if some are left.
    pub fn answer_rpc(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        let FanoutApp {
            engine,
            model,
            settings,
            store,
            rpc,
            ..
        } = self;
        let mut owner = Owner {
            engine: engine.as_ref(),
            model,
            settings,
            store: store.as_ref(),
            arrived: &mut rpc.arrived,
        };
        loop {
            if rpc.work.is_none() {
                let Ok(req) = rpc.rx.try_recv() else { return false };
                rpc.work = Some(Work {
                    results: Vec::with_capacity(req.calls.len()),
                    calls: req.calls.into(),
                    reply: req.reply,
                });
            }
            let Some(work) = rpc.work.as_mut() else {
                return false;
            };
            while let Some(call) = work.calls.pop_front() {
                work.results.push(rpc.desk.answer(&mut owner, &call));
                if start.elapsed() >= budget && !work.calls.is_empty() {
                    return true;
                }
            }
            if let Some(done) = rpc.work.take() {
                let _ = done.reply.send(done.results);
            }
            if start.elapsed() >= budget {
                return !rpc.rx.is_empty();
            }
        }
    }

    /// Downloads that arrived held (`Ask first`): start them or remove them.
    pub(super) fn arrived_window(&mut self, ctx: &egui::Context) {
        self.rpc.arrived.retain(|&i| {
            self.model
                .rows
                .get(i)
                .is_some_and(|r| r.state == TaskState::Paused)
        });
        if self.rpc.arrived.is_empty() {
            return;
        }
        let mut start = false;
        let mut remove = false;
        // A notice above the status bar, not over the toolbar: the window
        // stays usable while it waits for an answer.
        egui::Window::new(tr!(ArrivedTitle))
            .collapsible(false)
            .resizable(false)
            .default_width(520.0)
            .anchor(egui::Align2::RIGHT_BOTTOM, [-16.0, -40.0])
            .show(ctx, |ui| {
                ui.label(tr!(ArrivedBody, n = self.rpc.arrived.len()));
                egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                    for &i in &self.rpc.arrived {
                        let row = &self.model.rows[i];
                        ui.label(format!("{}  →  {}", row.shown_url, row.dir.display()));
                    }
                });
                ui.horizontal(|ui| {
                    start = ui.button(tr!(ArrivedStart)).clicked();
                    remove = ui.button(tr!(ArrivedRemove)).clicked();
                });
            });
        if start || remove {
            let rows = std::mem::take(&mut self.rpc.arrived);
            self.apply(if start {
                super::Action::Resume(rows)
            } else {
                super::Action::Cancel(rows)
            });
        }
    }

    /// What the status bar says of the server: where it serves, or why not.
    pub fn rpc_status(&self) -> Option<(String, bool)> {
        if let Some(e) = &self.rpc.error {
            return Some((e.clone(), true));
        }
        if self.rpc_starting() {
            // A locked keyring may be asking the user for its password.
            return Some((tr!(RpcWaitingForSecret).to_string(), false));
        }
        let port = self.rpc_port()?;
        Some((tr!(RpcServing, port = port), false))
    }
}

impl Host for Owner<'_> {
    fn indices(&self) -> Vec<usize> {
        (0..self.model.rows.len()).collect()
    }

    fn download(&self, index: usize) -> Option<Download> {
        let row = self.model.rows.get(index)?;
        let (status, error) = match &row.state {
            TaskState::Queued => (Status::Waiting, None),
            TaskState::Running | TaskState::Retrying { .. } | TaskState::Pausing | TaskState::Cancelling => {
                (Status::Active, None)
            }
            TaskState::Paused => (Status::Paused, None),
            TaskState::Done => (Status::Complete, None),
            TaskState::Failed(e) => (Status::Error, Some(e.clone())),
            TaskState::Cancelled => (Status::Removed, None),
        };
        Some(Download {
            index,
            url: row.url.clone(),
            dir: row.dir.clone(),
            status,
            total: row.total,
            done: row.bytes,
            speed: row.speed(Instant::now()) as u64,
            connections: row.connections,
            path: Some(row.destination()),
            error,
            options: row.options.clone(),
            rank: row.rank,
        })
    }

    fn waiting(&self) -> Vec<usize> {
        self.engine.map(Engine::waiting).unwrap_or_default()
    }

    fn global(&self) -> Global {
        let s = &*self.settings;
        Global {
            dir: s.target_dir(),
            max_concurrent: match s.engine {
                EngineChoice::Sequential => 1,
                EngineChoice::Threads => s.threads,
                EngineChoice::Async => s.async_limit,
                EngineChoice::Aria2 => s.aria2_limit,
            },
            overall_limit: s.rate_limit(),
            split: s.segments,
        }
    }

    fn add(&mut self, add: Add) -> Result<usize, String> {
        let engine = self.engine.ok_or_else(|| tr!(NoEngine).to_string())?;
        let ask = self.settings.rpc.ask;
        let index = add_row(
            engine,
            self.model,
            self.store,
            add.url,
            add.dir,
            add.options,
            add.paused || ask,
        );
        if !add.ignored.is_empty() {
            let note = Note::Ignored { options: add.ignored };
            tracing::info!(index, %note, "addUri");
            self.model.apply(Event::Note { index, note }, Instant::now());
        }
        if ask && !add.paused && self.model.rows[index].state == TaskState::Paused {
            self.arrived.push(index);
        }
        Ok(index)
    }

    fn pause(&mut self, index: usize) -> bool {
        self.engine.is_some_and(|e| pause_row(e, self.model, index))
    }

    fn resume(&mut self, index: usize) -> bool {
        self.engine.is_some_and(|e| resume_row(e, self.model, index))
    }

    fn cancel(&mut self, index: usize) -> bool {
        self.engine.is_some_and(|e| cancel_row(e, self.model, index))
    }

    fn move_to(&mut self, index: usize, place: Place) -> Option<usize> {
        self.engine?.move_to(index, place)
    }

    fn set_rate(&mut self, index: usize, rate: Option<u64>) {
        if let Some(e) = self.engine {
            set_rate_row(e, self.model, self.store, index, rate);
        }
    }

    fn set_global(&mut self, change: GlobalChange) -> Result<(), String> {
        let s = &mut *self.settings;
        if let Some(dir) = change.dir {
            if s.engine == EngineChoice::Aria2 {
                s.aria2_dir = dir.display().to_string();
            } else {
                s.download_dir = dir;
            }
        }
        if let Some(n) = change.max_concurrent {
            match s.engine {
                EngineChoice::Sequential => {}
                EngineChoice::Threads => s.threads = n.min(512),
                EngineChoice::Async => s.async_limit = n,
                EngineChoice::Aria2 => s.aria2_limit = n.min(1000),
            }
        }
        if let Some(limit) = change.overall_limit {
            s.speed_limit_kib = limit.map_or(0, |b| b.div_ceil(1024));
        }
        if let Some(k) = change.split {
            s.segments = k;
        }
        Ok(())
    }
}
