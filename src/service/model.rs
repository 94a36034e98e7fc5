//! What the window shows, built from engine events. No egui here: the model
//! is plain data, updated by [`super::Downloads::drain_events`] on the
//! service's thread and read by the window's panels.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::row::SPEED_WINDOW;
pub use super::row::{LOG_LINES, Row, TaskState};
use crate::engine::{Event, FanIn, FetchError, Order, Saved, TaskResult, Worker};
use crate::input::Options;
use crate::service::store::{StoredState, StoredTask, TaskSecret};
use crate::service::timeline::Timeline;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: usize,
    pub running: usize,
    /// Torrents done and uploading to others.
    pub seeding: usize,
    pub paused: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
}

/// One line of the `Results` panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    pub index: usize,
    pub rank: usize,
    pub ok: bool,
}

/// The tasks added (or queued again) since the window was last idle: what
/// the timeline draws, the title counts and the notification sums up.
#[derive(Default)]
pub struct Batch {
    pub tasks: BTreeSet<usize>,
    pub timeline: Timeline,
    /// Its end was reported (see [`Model::take_batch_end`]).
    reported: bool,
}

/// How a batch ended, for the notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEnd {
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Paused tasks wait for the user; the batch does not wait for them.
    pub paused: usize,
    /// From its first start to its last end.
    pub span: Duration,
}

pub struct Model {
    pub rows: Vec<Row>,
    pub batch: Batch,
    /// Every result in the order tasks finished (a retried task twice).
    finished: Vec<TaskResult>,
    fan_in: FanIn,
    /// Results as the fan-in released them, for the `Results` panel.
    pub released: Vec<Released>,
    running: BTreeSet<usize>,
    order: Order,
    /// The remote engine's connection: reachable or not, and what was said.
    pub remote: Option<(bool, String)>,
    /// Each stream's own timeline: its pieces on its lanes.
    pub streams: std::collections::HashMap<usize, crate::service::timeline::Timeline>,
}

impl Model {
    pub fn new(order: Order) -> Model {
        Model {
            rows: Vec::new(),
            batch: Batch::default(),
            finished: Vec::new(),
            fan_in: FanIn::new(order),
            released: Vec::new(),
            running: BTreeSet::new(),
            order,
            remote: None,
            streams: std::collections::HashMap::new(),
        }
    }

    /// A task the engine was given as `index` (always the next one).
    pub fn add(&mut self, index: usize, url: String, dir: PathBuf, options: Options) {
        debug_assert_eq!(index, self.rows.len());
        let mut row = Row::new(url, dir);
        row.options = options;
        super::row::push(&mut row, super::history::Happened::Added);
        self.rows.push(row);
        self.join_batch(index);
    }

    /// Whether the task waits for or runs on a worker.
    fn pending(&self, index: usize) -> bool {
        matches!(
            self.rows[index].state,
            TaskState::Queued
                | TaskState::Running
                | TaskState::Seeding
                | TaskState::Retrying { .. }
                | TaskState::Pausing
                | TaskState::Cancelling
        )
    }

    /// A task is added or queued again: it joins the running batch, or
    /// starts a new one when nothing else is pending.
    fn join_batch(&mut self, index: usize) {
        let over = !self.batch.tasks.iter().any(|&i| i != index && self.pending(i));
        if over && !self.batch.tasks.contains(&index) {
            self.batch = Batch::default();
        }
        self.batch.tasks.insert(index);
        self.batch.reported = false;
    }

    /// (ended, total) of the batch: done, failed or cancelled, of all.
    pub fn batch_progress(&self) -> (usize, usize) {
        let ended = self
            .batch
            .tasks
            .iter()
            .filter(|&&i| {
                matches!(
                    self.rows[i].state,
                    TaskState::Done | TaskState::Failed(_) | TaskState::Cancelled
                )
            })
            .count();
        (ended, self.batch.tasks.len())
    }

    /// Once, when nothing of the batch is queued or running any more.
    pub fn take_batch_end(&mut self) -> Option<BatchEnd> {
        if self.batch.reported || self.batch.timeline.is_empty() {
            return None;
        }
        if self.batch.tasks.iter().any(|&i| self.pending(i)) {
            return None;
        }
        self.batch.reported = true;
        let mut end = BatchEnd {
            done: 0,
            failed: 0,
            cancelled: 0,
            paused: 0,
            span: self.batch.timeline.span(None),
        };
        for &i in &self.batch.tasks {
            match self.rows[i].state {
                TaskState::Done => end.done += 1,
                TaskState::Failed(_) => end.failed += 1,
                TaskState::Cancelled => end.cancelled += 1,
                _ => end.paused += 1,
            }
        }
        Some(end)
    }

    /// A task's own speed limit changed.
    pub fn set_rate_limit(&mut self, index: usize, rate: Option<u64>) {
        if let Some(row) = self.rows.get_mut(index) {
            row.options.rate_limit = rate;
        }
    }

    pub fn order(&self) -> Order {
        self.order
    }

    /// Rows from a saved queue, given the indices the engine restored them
    /// at. Unfinished tasks come back paused; finished ones come back as they
    /// ended, and their results go to the Results panel in their old order.
    pub fn restore(&mut self, tasks: &[(usize, StoredTask)]) {
        let mut results = Vec::new();
        for (index, t) in tasks {
            debug_assert_eq!(*index, self.rows.len());
            let mut row = Row::new(t.url.clone(), t.dir.clone());
            if let Some(name) = &t.name {
                row.name = name.clone();
                row.refresh_kind();
            }
            row.bytes = t.bytes;
            row.total = t.total;
            row.rank = t.rank;
            row.worker = t.worker.as_deref().and_then(|w| w.parse().ok());
            row.path = t.path.clone();
            row.validator = t.validator.clone();
            row.options = Options::from_words(&t.options).unwrap_or_default();
            row.forgotten = t.forgotten;
            row.removed = t.removed;
            super::row::push(&mut row, super::history::Happened::Restored);
            row.retryable = row.worker.is_none_or(|w| w.ran()) || t.state == StoredState::Cancelled;
            let outcome = match t.state {
                StoredState::Unfinished => {
                    // Its bytes (if any) wait in a `.part` beside the file.
                    row.state = TaskState::Paused;
                    row.rank = None;
                    None
                }
                StoredState::Done => {
                    row.state = TaskState::Done;
                    t.path.clone().map(|path| {
                        Ok(Saved {
                            path,
                            bytes: t.bytes,
                            skipped: false,
                            files: Vec::new(),
                        })
                    })
                }
                StoredState::Failed => {
                    // Kept as the words it failed with (in English).
                    let why = FetchError::Transport(t.error.clone().unwrap_or_else(|| "failed".into()));
                    row.state = TaskState::Failed(why.clone());
                    Some(Err(why))
                }
                StoredState::Cancelled => {
                    row.state = TaskState::Cancelled;
                    Some(Err(FetchError::Cancelled))
                }
            };
            if let (Some(outcome), Some(rank)) = (outcome, t.rank) {
                results.push(TaskResult {
                    index: *index,
                    url: t.url.clone(),
                    outcome,
                    http_status: None,
                    bytes: t.bytes,
                    rank,
                    worker: row.worker.unwrap_or(Worker::Rejected),
                    started: Duration::ZERO,
                    finished: Duration::ZERO,
                    rule: None,
                });
            }
            self.rows.push(row);
        }
        results.sort_by_key(|r| r.rank);
        for r in results {
            self.finished.push(r.clone());
            self.release(r);
        }
    }

    /// The row as the store keeps it.
    pub fn stored(&self, index: usize) -> StoredTask {
        let row = &self.rows[index];
        // The password and secret headers go to the keyring, not the store.
        let (url, options, secret) = TaskSecret::split(&row.url, &row.options);
        let mut t = StoredTask::new(index, url, row.dir.clone());
        t.secret = secret;
        t.forgotten = row.forgotten;
        t.removed = row.removed;
        t.state = match row.state {
            TaskState::Done => StoredState::Done,
            TaskState::Failed(_) => StoredState::Failed,
            TaskState::Cancelled => StoredState::Cancelled,
            _ => StoredState::Unfinished,
        };
        t.name = Some(row.name.clone());
        t.path = row.path.clone();
        t.bytes = row.bytes;
        t.total = row.total;
        t.error = match &row.state {
            TaskState::Failed(why) => Some(why.to_string()),
            _ => None,
        };
        t.rank = row.rank;
        t.worker = row.worker.map(|w| w.to_string());
        t.validator = row.validator.clone();
        t.options = options.to_words();
        t
    }

    /// Changes the fan-in policy and releases everything finished so far
    /// again under it, so the panel shows the whole batch in the new order.
    pub fn set_order(&mut self, order: Order) {
        if order == self.order {
            return;
        }
        self.order = order;
        self.fan_in = FanIn::new(order);
        self.released.clear();
        for r in self.finished.clone() {
            self.release(r);
        }
    }

    pub fn held_back(&self) -> usize {
        self.fan_in.held_back()
    }

    fn release(&mut self, r: TaskResult) {
        for out in self.fan_in.push(r) {
            self.released.push(Released {
                index: out.index,
                rank: out.rank,
                ok: out.is_ok(),
            });
        }
    }

    /// The user asked for a pause or cancel; the engine confirms later.
    pub fn mark(&mut self, index: usize, state: TaskState) {
        if let Some(row) = self.rows.get_mut(index) {
            row.state = state;
        }
    }

    pub fn apply(&mut self, event: Event, now: Instant) {
        super::row::record(&mut self.rows, &event);
        if let Event::Queued { index, .. } = event {
            self.join_batch(index);
        }
        let of_batch = match &event {
            Event::Started { index, .. } | Event::Paused { index, .. } | Event::Queued { index, .. } => {
                Some(*index)
            }
            Event::Finished(r) => Some(r.index),
            _ => None,
        };
        if of_batch.is_some_and(|i| self.batch.tasks.contains(&i)) {
            self.batch.timeline.record(&event);
        }
        match event {
            Event::Started { index, worker, .. } => {
                let row = &mut self.rows[index];
                row.worker = Some(worker);
                row.reset_transfer();
                row.sample = Some((now, 0));
                row.rank = None;
                row.state = match row.state {
                    TaskState::Pausing | TaskState::Cancelling => row.state.clone(),
                    _ => TaskState::Running,
                };
                self.running.insert(index);
            }
            Event::Receiving {
                index,
                name,
                total,
                validator,
            } => {
                let row = &mut self.rows[index];
                row.name = name;
                row.refresh_kind();
                row.total = total;
                row.validator = validator;
            }
            Event::Progress { index, bytes, total } => {
                let row = &mut self.rows[index];
                // Events arrive in batches (one per frame), so two of them
                // may be applied microseconds apart: measure over a window.
                match row.sample {
                    Some((at, before)) => {
                        let dt = now.duration_since(at);
                        if dt >= SPEED_WINDOW {
                            let rate = bytes.saturating_sub(before) as f64 / dt.as_secs_f64();
                            row.speed = if row.speed == 0.0 {
                                rate
                            } else {
                                0.5 * row.speed + 0.5 * rate
                            };
                            row.sample = Some((now, bytes));
                        }
                    }
                    None => row.sample = Some((now, bytes)),
                }
                row.bytes = bytes;
                row.total = total;
            }
            Event::Connections { index, count } => self.rows[index].connections = count,
            Event::Segments { index, map } => self.rows[index].segments = Some(map),
            Event::Pieces { index, done, total } => {
                let row = &mut self.rows[index];
                let first = row.pieces.is_none();
                row.pieces = Some((done, total));
                if first {
                    row.refresh_kind();
                }
            }
            Event::Torrent { index, meta } => self.rows[index].set_torrent(meta),
            Event::Swarm { index, swarm } => {
                let row = &mut self.rows[index];
                if swarm.seeding && row.state == TaskState::Running {
                    row.state = TaskState::Seeding;
                }
                row.swarm = Some(swarm);
            }
            Event::Piece {
                index,
                number,
                lane,
                started,
                finished,
                joined,
            } => self
                .streams
                .entry(index)
                .or_default()
                .piece(number, lane, started, finished, joined),
            Event::Remote { connected, detail } => self.remote = Some((connected, detail)),
            // In the row's history (`row::record`, above).
            Event::Note { .. } => {}
            Event::Retrying {
                index,
                attempt,
                error,
            } => {
                let row = &mut self.rows[index];
                row.speed = 0.0;
                row.state = match row.state {
                    TaskState::Pausing | TaskState::Cancelling => row.state.clone(),
                    _ => TaskState::Retrying { attempt, error },
                };
            }
            Event::Paused { index, .. } => {
                self.running.remove(&index);
                let row = &mut self.rows[index];
                // The bytes stay in the `.part`; speed does not.
                row.speed = 0.0;
                row.sample = None;
                row.state = TaskState::Paused;
            }
            Event::Queued { index, .. } => {
                self.running.remove(&index);
                let row = &mut self.rows[index];
                row.reset_transfer();
                row.state = TaskState::Queued;
                row.rank = None;
            }
            Event::Finished(r) => {
                self.running.remove(&r.index);
                let row = &mut self.rows[r.index];
                row.rank = Some(r.rank);
                row.bytes = r.bytes;
                if r.rule.is_some() {
                    row.rule.clone_from(&r.rule);
                }
                row.speed = 0.0;
                row.worker = Some(r.worker);
                row.state = match &r.outcome {
                    Ok(saved) => {
                        row.path = Some(saved.path.clone());
                        if let Some(name) = saved.path.file_name() {
                            row.name = name.to_string_lossy().into_owned();
                            row.refresh_kind();
                        }
                        row.total = Some(saved.bytes);
                        TaskState::Done
                    }
                    Err(FetchError::Cancelled) => TaskState::Cancelled,
                    Err(e) => TaskState::Failed(e.clone()),
                };
                // Rejected before any worker: retrying cannot help.
                row.retryable = r.worker.ran() || matches!(r.outcome, Err(FetchError::Cancelled));
                self.finished.push(r.clone());
                self.release(r);
            }
        }
    }

    /// Tasks running now, by index.
    pub fn running(&self) -> impl Iterator<Item = usize> + '_ {
        self.running.iter().copied()
    }

    pub fn in_flight(&self) -> usize {
        self.running.len()
    }

    pub fn speed(&self, now: Instant) -> f64 {
        self.running.iter().map(|&i| self.rows[i].speed(now)).sum()
    }

    pub fn counts(&self) -> Counts {
        self.counts_of(0..self.rows.len())
    }

    /// The rows the lists show: all but those the user removed.
    pub fn listed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.rows.len()).filter(|&i| !self.rows[i].removed)
    }

    /// The same over some rows (those a server still lists); removed
    /// rows count nowhere.
    pub fn counts_of(&self, rows: impl IntoIterator<Item = usize>) -> Counts {
        let mut c = Counts::default();
        let rows = rows.into_iter().filter_map(|i| self.rows.get(i));
        for row in rows.filter(|r| !r.removed) {
            match row.state {
                TaskState::Queued => c.queued += 1,
                TaskState::Running
                | TaskState::Retrying { .. }
                | TaskState::Pausing
                | TaskState::Cancelling => c.running += 1,
                TaskState::Seeding => c.seeding += 1,
                TaskState::Paused => c.paused += 1,
                TaskState::Done => c.done += 1,
                TaskState::Failed(_) => c.failed += 1,
                TaskState::Cancelled => c.cancelled += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(bytes: u64) -> Event {
        Event::Progress {
            index: 0,
            bytes,
            total: Some(10_000_000),
        }
    }

    fn started(index: usize, at_ms: u64) -> Event {
        Event::Started {
            index,
            worker: Worker::Thread(index),
            at: Duration::from_millis(at_ms),
        }
    }

    fn finished(index: usize, rank: usize, at_ms: u64) -> Event {
        Event::Finished(TaskResult {
            index,
            url: String::new(),
            outcome: Ok(Saved {
                path: format!("/tmp/{index}").into(),
                bytes: 1,
                skipped: false,
                files: Vec::new(),
            }),
            http_status: Some(200),
            bytes: 1,
            rank,
            worker: Worker::Thread(index),
            started: Duration::ZERO,
            finished: Duration::from_millis(at_ms),
            rule: None,
        })
    }

    #[test]
    fn a_batch_ends_once_when_nothing_is_pending_and_the_next_add_starts_another() {
        let mut m = Model::new(Order::Completion);
        let now = Instant::now();
        for i in 0..3 {
            m.add(i, format!("http://h/{i}"), "/tmp".into(), Options::default());
        }
        assert_eq!(m.batch_progress(), (0, 3));
        m.apply(started(0, 10), now);
        m.apply(started(1, 10), now);
        m.apply(finished(0, 1, 50), now);
        assert_eq!(m.batch_progress(), (1, 3));
        assert_eq!(m.take_batch_end(), None, "two still pending");
        m.apply(
            Event::Paused {
                index: 1,
                at: Duration::from_millis(60),
            },
            now,
        );
        m.apply(started(2, 60), now);
        m.apply(finished(2, 2, 110), now);
        // The paused task waits for the user, not the batch.
        let end = m.take_batch_end().expect("the batch ended");
        assert_eq!((end.done, end.paused), (2, 1));
        assert_eq!(end.span, Duration::from_millis(100));
        assert_eq!(m.take_batch_end(), None, "reported once");
        // Resuming the paused one continues this batch.
        m.apply(
            Event::Queued {
                index: 1,
                at: Duration::from_millis(200),
            },
            now,
        );
        assert_eq!(m.batch.tasks.len(), 3);
        m.apply(started(1, 210), now);
        m.apply(finished(1, 3, 260), now);
        assert_eq!(m.take_batch_end().map(|e| e.done), Some(3));
        assert_eq!(m.batch.timeline.bars().len(), 4, "task 1 ran twice");
        // A new add after the end is a new batch with a new timeline.
        m.add(3, "http://h/3".into(), "/tmp".into(), Options::default());
        assert_eq!(m.batch_progress(), (0, 1));
        assert!(m.batch.timeline.is_empty());
    }

    #[test]
    fn speed_is_measured_over_time_not_between_events_of_one_batch() {
        let mut m = Model::new(Order::Completion);
        m.add(0, "http://h/a.bin".into(), "/tmp".into(), Options::default());
        let t0 = Instant::now();
        let us = Duration::from_micros(1);
        m.apply(
            Event::Started {
                index: 0,
                worker: Worker::Thread(0),
                at: Duration::ZERO,
            },
            t0,
        );
        // Two events applied in the same frame, microseconds apart.
        m.apply(progress(100_000), t0 + us);
        m.apply(progress(200_000), t0 + us * 2);
        assert_eq!(m.rows[0].speed(t0 + us * 2), 0.0);
        m.apply(progress(1_000_000), t0 + Duration::from_secs(1));
        let speed = m.rows[0].speed(t0 + Duration::from_secs(1));
        assert!((speed - 1_000_000.0).abs() < 1.0, "{speed}");
        assert_eq!(
            m.rows[0].eta(t0 + Duration::from_secs(1)),
            Some(Duration::from_secs(9))
        );
        assert_eq!(m.speed(t0 + Duration::from_secs(1)).round(), 1_000_000.0);
        // No news for a while: stalled, not still fast.
        assert_eq!(m.rows[0].speed(t0 + Duration::from_secs(5)), 0.0);
        assert_eq!(m.rows[0].fraction(), Some(0.1));
    }
}
