//! The downloads as the RPC's calls see them: [`ServiceHost`] gives the
//! list and the settings to [`crate::rpc::RpcState::answer`] through the
//! RPC's `Host`, on the service's thread (under the window and under
//! `fanout serve` alike).

use std::time::Instant;

use serde_json::Value;

use super::Downloads;
use super::model::TaskState;
use crate::engine::{Event, Note, Phase, Place};
use crate::rpc::{Add, AddError, Call, Download, ErrorObject, Global, GlobalChange, Host, Status};
use crate::settings::{EngineChoice, Settings};

/// How long `addUri` waits at most for a free connection to take its
/// download: a worker takes it within a millisecond or two, on a busy
/// machine later (the wait ends as soon as it has).
const START_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The parts of the service the RPC's calls read and change.
pub struct ServiceHost<'a> {
    pub downloads: &'a mut Downloads,
    pub settings: &'a mut Settings,
    /// A call (`changeGlobalOption`) changed the settings.
    pub settings_changed: bool,
}

impl ServiceHost<'_> {
    /// Answers one call, against the list as earlier calls left it.
    pub fn answer(&mut self, call: &Call) -> Result<Value, ErrorObject> {
        // The RPC's state is taken out of the downloads for the call (it
        // answers against them), and put back after it.
        let mut state = std::mem::replace(&mut self.downloads.rpc_state, crate::rpc::RpcState::placeholder());
        let answer = state.answer(self, call);
        self.downloads.rpc_state = state;
        answer
    }

    /// A download not ended in the list, as the engine has it the moment
    /// this is asked: a pause, resume or cancel a call just made shows in
    /// the next call's answer, as in aria2 (the list learns it from the
    /// engine's events a moment later).
    fn unended_status(&self, index: usize, state: &TaskState) -> Status {
        let phase = self.downloads.engine.as_ref().and_then(|e| e.phase(index));
        match (phase, state) {
            (Some(Phase::Waiting), _) => Status::Waiting,
            (Some(Phase::Held | Phase::Pausing), _) => Status::Paused,
            (Some(Phase::Cancelling | Phase::Ended { cancelled: true }), _) => Status::Removed,
            (Some(Phase::Running), _) => Status::Active,
            // Ended and not yet said so (or no engine): the list's word.
            (_, TaskState::Queued) => Status::Waiting,
            (_, TaskState::Paused | TaskState::Pausing) => Status::Paused,
            (_, TaskState::Cancelling) => Status::Removed,
            _ => Status::Active,
        }
    }

    /// A download just queued over the RPC starts before the call is
    /// answered when a connection is free, as aria2 starts it before it
    /// answers `addUri`: so the next call lists it as active, and a client
    /// reading `tellActive`, then `tellWaiting`, finds it in one of them.
    fn wait_for_start(&self, index: usize) {
        let Some(engine) = &self.downloads.engine else {
            return;
        };
        let deadline = Instant::now() + START_WAIT;
        while engine.phase(index) == Some(Phase::Waiting)
            && engine.starts_now(index)
            && Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }

    /// `changeGlobalOption`'s changes, in the settings the engine runs by.
    fn apply_global(&mut self, change: GlobalChange) {
        let s = &mut *self.settings;
        if let Some(dir) = change.dir {
            if s.engine == EngineChoice::Aria2 {
                s.aria2_dir = dir.display().to_string();
            } else {
                s.download_dir = dir;
            }
        }
        if let Some(n) = change.max_concurrent {
            s.set_workers(n);
        }
        if let Some(limit) = change.overall_limit {
            s.speed_limit_kib = limit.map_or(0, |b| b.div_ceil(1024));
        }
        if let Some(k) = change.split {
            s.segments = k;
        }
    }
}

impl Host for ServiceHost<'_> {
    fn indices(&self) -> Vec<usize> {
        (0..self.downloads.model.rows.len()).collect()
    }

    fn download(&self, index: usize) -> Option<Download> {
        let row = self.downloads.model.rows.get(index)?;
        let (status, error) = match &row.state {
            TaskState::Done => (Status::Complete, None),
            TaskState::Failed(e) => (Status::Error, Some(e.clone())),
            TaskState::Cancelled => (Status::Removed, None),
            state => (self.unended_status(index, state), None),
        };
        let started = row.worker.is_some() || row.bytes > 0 || row.path.is_some() || status.stopped();
        Some(Download {
            index,
            url: row.url.clone(),
            dir: row.dir.clone(),
            status,
            total: row.total,
            done: row.bytes,
            speed: row.speed(Instant::now()) as u64,
            connections: row.connections,
            // Before it starts, aria2 knows a file's name only when the
            // client gave one (`out`).
            path: (started || row.options.name.is_some()).then(|| row.destination()),
            error,
            options: row.options.clone(),
            rank: row.rank,
            torrent: row.torrent.clone(),
            swarm: row.swarm.clone(),
            part: crate::rpc::status::Part::Task,
            started,
        })
    }

    /// The engine's queue, after the downloads told to pause while they
    /// ran and not stopped yet: they are paused for the RPC already, and
    /// the engine puts them at the head of the queue once they stop.
    fn waiting(&self) -> Vec<usize> {
        let Some(engine) = &self.downloads.engine else {
            return Vec::new();
        };
        let rows = &self.downloads.model.rows;
        let mut line: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                !matches!(
                    rows[i].state,
                    TaskState::Done | TaskState::Failed(_) | TaskState::Cancelled
                )
            })
            .filter(|&i| engine.phase(i) == Some(Phase::Pausing))
            .collect();
        line.extend(engine.waiting());
        line
    }

    fn global(&self) -> Global {
        let s = &*self.settings;
        let torrent = self.downloads.engine_config(s).torrent;
        Global {
            dir: s.target_dir(),
            max_concurrent: s.workers(),
            overall_limit: s.rate_limit(),
            split: s.segments,
            upload_limit: torrent.upload_limit,
            bt_port: torrent.port,
            dht: torrent.dht,
            task_limit: self.downloads.rpc_options.task_limit,
            session_file: self.downloads.rpc_options.session_file.clone(),
        }
    }

    fn add(&mut self, mut add: Add) -> Result<usize, AddError> {
        let ask = self.settings.rpc.ask;
        if add.options.rate_limit.is_none() {
            add.options.rate_limit = self.downloads.rpc_options.task_limit;
        }
        let index = self
            .downloads
            .add(add.url, add.dir, add.options, add.paused || ask)
            .ok_or(AddError::NoEngine)?;
        let d = &mut *self.downloads;
        if !add.ignored.is_empty() {
            let note = Note::Ignored { options: add.ignored };
            tracing::info!(index, %note, "addUri");
            d.model.apply(Event::Note { index, note }, Instant::now());
        }
        if ask && !add.paused && d.model.rows[index].state == TaskState::Paused {
            d.arrived.push(index);
        }
        self.wait_for_start(index);
        Ok(index)
    }

    fn pause(&mut self, index: usize) -> bool {
        self.downloads.pause(index)
    }

    fn resume(&mut self, index: usize) -> bool {
        self.downloads.resume(index)
    }

    fn cancel(&mut self, index: usize) -> bool {
        self.downloads.cancel(index)
    }

    fn move_to(&mut self, index: usize, place: Place) -> Option<usize> {
        self.downloads.engine.as_ref()?.move_to(index, place)
    }

    fn set_rate(&mut self, index: usize, rate: Option<u64>) {
        self.downloads.set_rate(index, rate);
    }

    fn forget(&mut self, index: usize) {
        if let Some(row) = self.downloads.model.rows.get_mut(index) {
            row.forgotten = true;
            self.downloads.save(index);
        }
    }

    fn set_global(&mut self, change: GlobalChange) {
        let before = self.settings.clone();
        let torrent = self.downloads.torrent.clone();
        if let Some(limit) = change.upload_limit {
            self.downloads.torrent.upload_limit = Some(limit);
        }
        let run = &mut self.downloads.rpc_options;
        if let Some(limit) = change.task_limit {
            run.task_limit = limit;
        }
        if let Some(path) = change.session_file.clone() {
            run.session_file = Some(path);
        }
        self.apply_global(change);
        // The engine follows (see `hub`), with the torrents' part too.
        self.settings_changed |= *self.settings != before || self.downloads.torrent != torrent;
    }

    fn select_files(&mut self, index: usize, files: Option<Vec<usize>>) -> bool {
        self.downloads.select_files(index, files)
    }

    fn set_torrent_options(&mut self, index: usize, options: crate::engine::TorrentOptions) -> bool {
        self.downloads.set_torrent_options(index, options)
    }
}
