//! The view of a server: what it lists, turned into the engine events an
//! engine of fanout's own would have sent, applied to a [`Model`] so the
//! window's table draws it as it draws the local list. No network here:
//! [`View::apply`] takes one answer of the three lists, so tests can feed
//! it by hand.
//!
//! Rows are numbered by gid in the order first seen (a row keeps its index
//! for as long as the view lives). The model has no order of its own but
//! the index, so the view keeps the server's besides: [`View::listed`]
//! (every download the server lists: active, then waiting, then stopped,
//! each in the server's order) and [`View::waiting`] (its queue, head
//! first). A download the server no longer lists at all (removed there, or
//! the server restarted without it) is marked `forgotten` and leaves
//! `listed`; if it had not ended it ends as cancelled first, so nothing
//! stays "running" in the counts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::RemoteStatus;
use super::bt::Bt;
use crate::engine::Aria2StatusEvents;
use crate::engine::{Event, FetchError, TaskResult, Worker};
use crate::input::Options;
use crate::service::Downloads;
use crate::service::model::TaskState;
use aria2_rpc::types::{DownloadStatus, Status};

/// One answer of `tellActive`, `tellWaiting` and `tellStopped`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Listing {
    pub active: Vec<Status>,
    pub waiting: Vec<Status>,
    pub stopped: Vec<Status>,
    /// Neither paged list was cut short: what is not in it is not on the
    /// server.
    pub whole: bool,
    /// The torrents' own fields, by gid (a torrent whose metadata is known).
    pub torrents: HashMap<String, Bt>,
}

/// What the view last knew of one row's download.
#[derive(Clone, Debug)]
struct Seen {
    gid: String,
    /// `None` once the server stopped listing it.
    status: Option<DownloadStatus>,
    /// Its name was told (`Event::Receiving`).
    named: bool,
    /// When it last started, since the view began.
    started: Duration,
}

/// A server's downloads as the window draws them.
pub struct View {
    /// The model (`downloads.model`) mirrors the server; no engine, no
    /// store: the server keeps its own.
    pub downloads: Downloads,
    pub status: RemoteStatus,
    /// The WebSocket for the server's notifications is open (otherwise
    /// the view only polls).
    pub notifications: bool,
    /// Every row the server lists, in its order: active, then waiting
    /// (its queue), then stopped (in the order they stopped).
    pub listed: Vec<usize>,
    /// The server's queue, head first: queued and paused downloads where
    /// it will start them.
    pub waiting: Vec<usize>,
    /// The last command the server refused, and its words.
    pub refused: Option<String>,
    seen: Vec<Seen>,
    rows: HashMap<String, usize>,
    /// The completion rank the next download to stop gets.
    next_rank: usize,
    /// The first listing was applied.
    synced: bool,
    origin: Instant,
}

impl View {
    pub(super) fn new(downloads: Downloads) -> View {
        View {
            downloads,
            status: RemoteStatus::Connecting,
            notifications: false,
            listed: Vec::new(),
            waiting: Vec::new(),
            refused: None,
            seen: Vec::new(),
            rows: HashMap::new(),
            next_rank: 1,
            synced: false,
            origin: Instant::now(),
        }
    }

    /// The server's gid of a row.
    pub fn gid(&self, index: usize) -> Option<&str> {
        self.seen.get(index).map(|s| s.gid.as_str())
    }

    /// The row of a gid, once the view has seen it.
    pub fn index_of(&self, gid: &str) -> Option<usize> {
        self.rows.get(gid).copied()
    }

    /// Whether the server lists the row among its stopped downloads.
    pub(super) fn stopped(&self, index: usize) -> bool {
        self.seen
            .get(index)
            .and_then(|s| s.status)
            .is_some_and(|s| s.stopped())
    }

    /// Whether the server has the row paused (a torrent waiting for its
    /// files among them).
    pub(super) fn paused(&self, index: usize) -> bool {
        self.seen
            .get(index)
            .is_some_and(|s| s.status == Some(DownloadStatus::Paused))
    }

    /// Sets the connection's state, and tells the model as an aria2
    /// engine's would be told (`Event::Remote`).
    pub(super) fn set_status(&mut self, status: RemoteStatus) {
        if self.status == status {
            return;
        }
        let connected = matches!(status, RemoteStatus::Connected { .. });
        let detail = status.to_string();
        self.status = status;
        self.apply_event(Event::Remote { connected, detail }, Instant::now());
    }

    fn apply_event(&mut self, event: Event, now: Instant) {
        self.downloads.model.apply(event, now);
    }

    /// Applies one answer of the server's lists as of `now`.
    pub(super) fn apply(&mut self, listing: &Listing, now: Instant) {
        let at = now.duration_since(self.origin);
        let mut present = vec![false; self.seen.len()];
        let mut listed =
            Vec::with_capacity(listing.active.len() + listing.waiting.len() + listing.stopped.len());
        let mut waiting = Vec::with_capacity(listing.waiting.len());
        let lists = [&listing.active, &listing.waiting, &listing.stopped];
        for (n, list) in lists.into_iter().enumerate() {
            for status in list {
                let index = self.row_for(status);
                present.resize(self.seen.len(), false);
                // A server answering its lists one by one may show a
                // download that moved in two of them: the first counts.
                if std::mem::replace(&mut present[index], true) {
                    continue;
                }
                listed.push(index);
                if n == 1 {
                    waiting.push(index);
                }
                let torrent = listing.torrents.get(&status.gid);
                self.update(index, status, torrent, now, at);
            }
        }
        if listing.whole {
            for (index, here) in present.into_iter().enumerate() {
                if !here && self.seen[index].status.is_some() {
                    self.vanish(index, now, at);
                }
            }
        }
        self.listed = listed;
        self.waiting = waiting;
        if !self.synced {
            // What ended before the view connected is no batch of this
            // window's: the batch (its timeline, its notification) is
            // what is still to do.
            self.synced = true;
            let rows = &self.downloads.model.rows;
            self.downloads.model.batch.tasks.retain(|&i| {
                !matches!(
                    rows[i].state,
                    TaskState::Done | TaskState::Failed(_) | TaskState::Cancelled
                )
            });
        }
    }

    /// The row of a download, given one when it is new.
    fn row_for(&mut self, status: &Status) -> usize {
        if let Some(&index) = self.rows.get(&status.gid) {
            return index;
        }
        let index = self.seen.len();
        // A download with no URI (a torrent's) goes by its file or gid.
        let url = status
            .url()
            .or_else(|| status.path())
            .unwrap_or(&status.gid)
            .to_string();
        let dir = status.dir.clone().unwrap_or_default();
        self.downloads
            .model
            .add(index, url, dir.into(), Options::default());
        self.rows.insert(status.gid.clone(), index);
        self.seen.push(Seen {
            gid: status.gid.clone(),
            status: None,
            named: false,
            started: Duration::ZERO,
        });
        index
    }

    /// The events that take the row from what it was to `status`.
    fn update(&mut self, index: usize, status: &Status, torrent: Option<&Bt>, now: Instant, at: Duration) {
        let before = self.seen[index].status;
        if !self.seen[index].named
            && let Some(name) = status.name()
        {
            self.seen[index].named = true;
            let total = Some(status.total_length);
            self.apply_event(
                Event::Receiving {
                    index,
                    name,
                    total,
                    validator: None,
                },
                now,
            );
        }
        let ended = before.is_some_and(DownloadStatus::stopped);
        if let Some(outcome) = status.outcome() {
            // An ended download does not change on the server: it ends here
            // once, with the next completion rank.
            if !ended {
                self.finish(index, outcome, status.completed_length, now, at);
            }
        } else {
            match status.status {
                DownloadStatus::Active if before != Some(DownloadStatus::Active) => {
                    self.apply_event(
                        Event::Started {
                            index,
                            worker: Worker::Aria2,
                            at,
                        },
                        now,
                    );
                    self.seen[index].started = at;
                    // Speed is measured from the bytes it has now, not
                    // from zero: it may have run long before the view saw it.
                    self.downloads.model.rows[index].sample = None;
                }
                DownloadStatus::Waiting if before.is_some() && before != Some(DownloadStatus::Waiting) => {
                    self.apply_event(Event::Queued { index, at }, now);
                }
                DownloadStatus::Paused if before != Some(DownloadStatus::Paused) => {
                    self.apply_event(Event::Paused { index, at }, now);
                }
                _ => {}
            }
            for event in status.progress(index) {
                self.apply_event(event, now);
            }
        }
        if let Some(torrent) = torrent {
            self.torrent(index, status, torrent, now);
        }
        self.seen[index].status = Some(status.status);
    }

    /// A torrent's files and swarm, told only when they changed: the
    /// window redraws what a new `Arc` holds.
    fn torrent(&mut self, index: usize, status: &Status, torrent: &Bt, now: Instant) {
        let Some(meta) = torrent.meta(status) else {
            return;
        };
        if self.downloads.model.rows[index].torrent.as_deref() != Some(&meta) {
            let meta = Arc::new(meta);
            self.apply_event(Event::Torrent { index, meta }, now);
        }
        let swarm = torrent.swarm(status);
        let row = &self.downloads.model.rows[index];
        let swarm = match &row.swarm {
            // The same, unless a seeding torrent started again shows
            // running: the event makes it seeding.
            Some(old) if **old == swarm => {
                if !(swarm.seeding && row.state == TaskState::Running) {
                    return;
                }
                old.clone()
            }
            _ => Arc::new(swarm),
        };
        self.apply_event(Event::Swarm { index, swarm }, now);
    }

    fn finish(
        &mut self,
        index: usize,
        outcome: Result<crate::engine::Saved, FetchError>,
        bytes: u64,
        now: Instant,
        at: Duration,
    ) {
        let rank = self.next_rank;
        self.next_rank += 1;
        let result = TaskResult {
            index,
            url: self.downloads.model.rows[index].url.clone(),
            outcome,
            http_status: None,
            bytes,
            rank,
            worker: Worker::Aria2,
            started: self.seen[index].started,
            finished: at,
            rule: None,
        };
        self.apply_event(Event::Finished(result), now);
    }

    /// The server no longer lists the download.
    fn vanish(&mut self, index: usize, now: Instant, at: Duration) {
        if !self.stopped(index) {
            let bytes = self.downloads.model.rows[index].bytes;
            self.finish(index, Err(FetchError::Cancelled), bytes, now, at);
        }
        self.seen[index].status = None;
        self.downloads.model.rows[index].forgotten = true;
    }
}

#[cfg(test)]
mod tests;
