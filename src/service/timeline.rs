//! A batch's timeline, from engine events: one lane per worker (a thread of
//! the pool, an async slot, the sequential loop), one bar per stretch a task
//! ran on it. No egui here: the window paints it, the engine comparison
//! counts peaks and completion order from it, and tests check it.
//!
//! Times are the engine's own (`Event::Started::at`, `TaskResult::finished`),
//! not when the window got round to reading the events, so a batch that
//! takes 0.2 s is drawn as the engine ran it.

use std::collections::HashMap;
use std::time::Duration;

use crate::engine::{Event, FetchError, Worker};

/// How a bar ended, or that it has not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BarState {
    Running,
    Done,
    Failed,
    Cancelled,
    Paused,
    /// It went back to the queue (its engine was replaced) and may run again.
    Requeued,
}

/// One stretch of one task on one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub index: usize,
    /// Into [`Timeline::lanes`].
    pub lane: usize,
    /// Since the first start of the timeline.
    pub start: Duration,
    /// `None` while it runs.
    pub end: Option<Duration>,
    pub state: BarState,
    /// Bytes received, once it ended.
    pub bytes: u64,
    /// Its place in the completion order, once it ended.
    pub rank: Option<usize>,
    /// A stream's piece: when it was written into the file, in playlist
    /// order (after its end when an earlier piece was still on its way).
    pub joined: Option<Duration>,
}

/// A lane: its worker, and which of that worker's lanes (1 for the first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lane {
    pub worker: Worker,
    pub k: usize,
}

impl std::fmt::Display for Lane {
    /// `thread-3`, or `aria2 #2` for a worker's second lane.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.k {
            1 => write!(f, "{}", self.worker),
            k => write!(f, "{} #{k}", self.worker),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// One per worker, and a second (third…) one when one worker runs
    /// several tasks at once (aria2 reports itself for all of its own).
    lanes: Vec<Lane>,
    bars: Vec<Bar>,
    /// Task index to its open bar.
    open: HashMap<usize, usize>,
    /// Engine time of the first start: the timeline's zero.
    origin: Option<Duration>,
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline::default()
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    pub fn bars(&self) -> &[Bar] {
        &self.bars
    }

    /// Engine time of the timeline's zero, once something started.
    pub fn origin(&self) -> Option<Duration> {
        self.origin
    }

    /// Takes in one engine event; events about other things are ignored.
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::Started { index, worker, at } => {
                self.close(*index, *at, BarState::Requeued, None);
                let origin = *self.origin.get_or_insert(*at);
                let start = at.saturating_sub(origin);
                let lane = self.free_lane(*worker);
                self.open.insert(*index, self.bars.len());
                self.bars.push(Bar {
                    index: *index,
                    lane,
                    start,
                    end: None,
                    state: BarState::Running,
                    bytes: 0,
                    rank: None,
                    joined: None,
                });
            }
            Event::Paused { index, at } => self.close(*index, *at, BarState::Paused, None),
            Event::Queued { index, at } => self.close(*index, *at, BarState::Requeued, None),
            Event::Finished(r) => {
                let state = match &r.outcome {
                    Ok(_) => BarState::Done,
                    Err(FetchError::Cancelled) => BarState::Cancelled,
                    Err(_) => BarState::Failed,
                };
                self.close(r.index, r.finished, state, Some((r.bytes, r.rank)));
            }
            _ => {}
        }
    }

    /// A stream's piece `number`, fetched on `lane` from `started` to
    /// `finished` and joined at `joined` (engine times): one bar of a
    /// stream's own timeline, whose "tasks" are its pieces.
    pub fn piece(
        &mut self,
        number: usize,
        lane: Worker,
        started: Duration,
        finished: Duration,
        joined: Duration,
    ) {
        let origin = *self.origin.get_or_insert(started);
        let lane = match self.lanes.iter().position(|l| l.worker == lane) {
            Some(i) => i,
            None => {
                self.lanes.push(Lane { worker: lane, k: 1 });
                self.lanes.len() - 1
            }
        };
        self.bars.push(Bar {
            index: number,
            lane,
            start: started.saturating_sub(origin),
            end: Some(finished.saturating_sub(origin)),
            state: BarState::Done,
            bytes: 0,
            rank: None,
            joined: Some(joined.saturating_sub(origin)),
        });
    }

    fn close(&mut self, index: usize, at: Duration, state: BarState, result: Option<(u64, usize)>) {
        let (Some(bar), Some(origin)) = (self.open.remove(&index), self.origin) else {
            return;
        };
        let bar = &mut self.bars[bar];
        bar.end = Some(at.saturating_sub(origin).max(bar.start));
        bar.state = state;
        if let Some((bytes, rank)) = result {
            bar.bytes = bytes;
            bar.rank = Some(rank);
        }
    }

    /// The first lane of this worker with nothing running on it.
    fn free_lane(&mut self, worker: Worker) -> usize {
        let busy: Vec<usize> = self.open.values().map(|&b| self.bars[b].lane).collect();
        for k in 1.. {
            let name = Lane { worker, k };
            match self.lanes.iter().position(|l| *l == name) {
                Some(lane) if busy.contains(&lane) => continue,
                Some(lane) => return lane,
                None => {
                    self.lanes.push(name);
                    return self.lanes.len() - 1;
                }
            }
        }
        unreachable!()
    }

    /// Lanes in reading order: `thread-2` before `thread-10`.
    pub fn lane_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.lanes.len()).collect();
        order.sort_by_key(|&l| self.lanes[l]);
        order
    }

    /// The lanes' names, as the chart labels them.
    pub fn lane_names(&self) -> Vec<String> {
        self.lanes.iter().map(ToString::to_string).collect()
    }

    /// From the first start to the last end; `now` (engine time) stands for
    /// the end of bars still running.
    pub fn span(&self, now: Option<Duration>) -> Duration {
        let now = now.zip(self.origin).map(|(n, o)| n.saturating_sub(o));
        self.bars
            .iter()
            .filter_map(|b| b.end.or(now))
            .max()
            .unwrap_or_default()
    }

    /// The most bars that ran at the same moment.
    pub fn peak_in_flight(&self) -> usize {
        // Ends sort before starts at the same instant: back-to-back tasks
        // on one worker are not counted as overlapping.
        let mut edges: Vec<(Duration, i32)> = Vec::with_capacity(self.bars.len() * 2);
        for b in &self.bars {
            edges.push((b.start, 1));
            edges.push((b.end.unwrap_or(Duration::MAX), -1));
        }
        edges.sort();
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            peak = peak.max(now);
        }
        peak as usize
    }

    /// Task indices in the order they finished (done, failed or cancelled).
    pub fn completion_order(&self) -> Vec<usize> {
        let mut ended: Vec<&Bar> = self.bars.iter().filter(|b| b.rank.is_some()).collect();
        ended.sort_by_key(|b| b.rank);
        ended.iter().map(|b| b.index).collect()
    }

    /// Bytes of every ended bar.
    pub fn bytes(&self) -> u64 {
        self.bars.iter().map(|b| b.bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Saved, TaskResult};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn started(index: usize, worker: &str, at: u64) -> Event {
        Event::Started {
            index,
            worker: worker.parse().unwrap(),
            at: ms(at),
        }
    }

    fn finished(index: usize, at: u64, rank: usize, ok: bool) -> Event {
        Event::Finished(TaskResult {
            index,
            url: String::new(),
            outcome: if ok {
                Ok(Saved {
                    path: "f".into(),
                    bytes: 10,
                    skipped: false,
                    files: Vec::new(),
                })
            } else {
                Err(FetchError::Http {
                    status: 404,
                    reason: "Not Found".into(),
                })
            },
            http_status: None,
            bytes: 10,
            rank,
            worker: Worker::Rejected,
            started: Duration::ZERO,
            finished: ms(at),
            rule: None,
        })
    }

    #[test]
    fn bars_are_relative_to_the_first_start_and_lanes_follow_workers() {
        let mut t = Timeline::new();
        for e in [
            started(0, "thread-1", 1000),
            started(1, "thread-10", 1010),
            started(2, "thread-2", 1020),
            finished(1, 1100, 1, false),
            started(3, "thread-10", 1100),
            finished(0, 1200, 2, true),
        ] {
            t.record(&e);
        }
        assert_eq!(t.lane_names(), ["thread-1", "thread-10", "thread-2"]);
        let names: Vec<String> = t.lane_order().iter().map(|&l| t.lanes()[l].to_string()).collect();
        assert_eq!(names, ["thread-1", "thread-2", "thread-10"]);
        assert_eq!(t.bars()[0].start, Duration::ZERO);
        assert_eq!(t.bars()[0].end, Some(ms(200)));
        assert_eq!(t.bars()[1].state, BarState::Failed);
        assert_eq!(t.bars()[3].lane, t.bars()[1].lane);
        assert_eq!(t.completion_order(), [1, 0]);
        // Back to back on thread-10 is not an overlap: three at once.
        assert_eq!(t.peak_in_flight(), 3);
        assert_eq!(t.span(Some(ms(1500))), ms(500));
        assert_eq!(t.span(None), ms(200));
    }

    #[test]
    fn one_worker_name_running_two_tasks_gets_a_second_lane() {
        let mut t = Timeline::new();
        t.record(&started(0, "aria2", 0));
        t.record(&started(1, "aria2", 5));
        t.record(&finished(0, 10, 1, true));
        t.record(&started(2, "aria2", 12));
        assert_eq!(t.lane_names(), ["aria2", "aria2 #2"]);
        assert_eq!(t.bars()[2].lane, 0, "the free first lane is reused");
    }

    #[test]
    fn a_pause_ends_the_bar_and_a_resume_opens_another() {
        let mut t = Timeline::new();
        t.record(&started(0, "task-0", 0));
        t.record(&Event::Paused { index: 0, at: ms(50) });
        t.record(&started(0, "task-3", 80));
        t.record(&finished(0, 90, 1, true));
        assert_eq!(t.bars().len(), 2);
        assert_eq!(t.bars()[0].state, BarState::Paused);
        assert_eq!(t.bars()[0].end, Some(ms(50)));
        assert_eq!(t.bars()[1].state, BarState::Done);
        assert_eq!(t.completion_order(), [0]);
    }
}
