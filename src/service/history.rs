//! A download's log, with wall-clock times: every event of its life (added,
//! started on a worker, its name and size, connections, retries, pauses,
//! notes, how it ended), for the details pane's Log tab. Typed, so the
//! window words each in its language; no egui here.
//!
//! Kept in memory only: the saved queue stays as it was (old queue files
//! load, new ones load in older versions), and a restored row's log starts
//! with its coming back.

use std::time::SystemTime;

use super::row::{Row, TaskState};
use crate::engine::{Event, FetchError, Note, Worker};

/// Lines of a row's log that are kept; the oldest go first.
pub const HISTORY_LINES: usize = 200;

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub at: SystemTime,
    pub what: Happened,
}

/// What happened to a download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happened {
    Added,
    /// Taken back from the saved queue at start.
    Restored,
    Started(Worker),
    /// The server's answer named it and (maybe) sized it.
    Receiving {
        name: String,
        total: Option<u64>,
    },
    Connections(usize),
    Retrying {
        attempt: usize,
        error: FetchError,
    },
    Paused,
    /// Queued again after a pause.
    Resumed,
    /// Queued again after it ended (a retry) or its engine changed.
    Requeued,
    Note(Note),
    /// A torrent became whole and uploads to others.
    Seeding,
    Done {
        bytes: u64,
    },
    Failed(FetchError),
    Cancelled,
}

/// What `event` adds to its row's log, judged before the model applies it
/// (a resume is told from a retry by the state it leaves).
pub fn of_event(row: &Row, event: &Event) -> Option<Happened> {
    Some(match event {
        Event::Started { worker, .. } => Happened::Started(*worker),
        Event::Receiving { name, total, .. } => Happened::Receiving {
            name: name.clone(),
            total: *total,
        },
        Event::Connections { count, .. } if *count != row.connections => Happened::Connections(*count),
        Event::Retrying { attempt, error, .. } => Happened::Retrying {
            attempt: *attempt,
            error: error.clone(),
        },
        Event::Paused { .. } => Happened::Paused,
        Event::Queued { .. } => match row.state {
            TaskState::Paused | TaskState::Pausing => Happened::Resumed,
            _ => Happened::Requeued,
        },
        Event::Note { note, .. } => Happened::Note(note.clone()),
        Event::Swarm { swarm, .. } if swarm.seeding && row.state == TaskState::Running => Happened::Seeding,
        Event::Finished(r) => match &r.outcome {
            Ok(saved) => Happened::Done { bytes: saved.bytes },
            Err(FetchError::Cancelled) => Happened::Cancelled,
            Err(e) => Happened::Failed(e.clone()),
        },
        _ => return None,
    })
}

/// Logs `event` on its row (before the model applies it).
pub fn record(rows: &mut [Row], event: &Event) {
    if let Some(row) = index_of(event).and_then(|i| rows.get_mut(i))
        && let Some(what) = of_event(row, event)
    {
        push(row, what);
    }
}

/// Adds a line now, dropping the oldest past [`HISTORY_LINES`].
pub fn push(row: &mut Row, what: Happened) {
    // A segmented download opens its connections one after another: one
    // line says how many it holds now, not one line each.
    if let (Happened::Connections(_), Some(last)) = (&what, row.history.last_mut())
        && matches!(last.what, Happened::Connections(_))
    {
        last.what = what;
        return;
    }
    if row.history.len() >= HISTORY_LINES {
        row.history.remove(0);
    }
    row.history.push(Logged {
        at: SystemTime::now(),
        what,
    });
}

/// The index of the row `event` is about, when it has one.
pub fn index_of(event: &Event) -> Option<usize> {
    Some(match event {
        Event::Started { index, .. }
        | Event::Receiving { index, .. }
        | Event::Progress { index, .. }
        | Event::Paused { index, .. }
        | Event::Retrying { index, .. }
        | Event::Note { index, .. }
        | Event::Connections { index, .. }
        | Event::Segments { index, .. }
        | Event::Pieces { index, .. }
        | Event::Piece { index, .. }
        | Event::Torrent { index, .. }
        | Event::Swarm { index, .. }
        | Event::Queued { index, .. } => *index,
        Event::Finished(r) => r.index,
        Event::Remote { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_queued_event_is_a_resume_after_a_pause_and_a_requeue_otherwise() {
        let mut row = Row::new("http://h/a".into(), "/d".into());
        let queued = Event::Queued {
            index: 0,
            at: Duration::ZERO,
        };
        row.state = TaskState::Paused;
        assert_eq!(of_event(&row, &queued), Some(Happened::Resumed));
        row.state = TaskState::Failed(FetchError::Cancelled);
        assert_eq!(of_event(&row, &queued), Some(Happened::Requeued));
        // Progress is not worth a line; the same count of connections twice
        // is one line.
        let progress = Event::Progress {
            index: 0,
            bytes: 1,
            total: None,
        };
        assert_eq!(of_event(&row, &progress), None);
        row.connections = 2;
        let two = Event::Connections { index: 0, count: 2 };
        assert_eq!(of_event(&row, &two), None);
    }

    #[test]
    fn the_model_logs_a_task_s_life_and_keeps_its_map() {
        use crate::engine::{Order, SegmentMap, Worker};
        use crate::service::model::Model;
        let mut m = Model::new(Order::Completion);
        m.add(0, "http://h/a".into(), "/d".into(), Default::default());
        let now = std::time::Instant::now();
        let at = Duration::ZERO;
        m.apply(
            Event::Started {
                index: 0,
                worker: Worker::Thread(1),
                at,
            },
            now,
        );
        m.apply(Event::Connections { index: 0, count: 2 }, now);
        let map = std::sync::Arc::new(SegmentMap {
            total: 10,
            parts: Vec::new(),
        });
        m.apply(
            Event::Segments {
                index: 0,
                map: map.clone(),
            },
            now,
        );
        assert_eq!(m.rows[0].segments, Some(map));
        m.apply(Event::Paused { index: 0, at }, now);
        m.apply(Event::Queued { index: 0, at }, now);
        let whats: Vec<_> = m.rows[0].history.iter().map(|l| l.what.clone()).collect();
        assert_eq!(
            whats,
            [
                Happened::Added,
                Happened::Started(Worker::Thread(1)),
                Happened::Connections(2),
                Happened::Paused,
                Happened::Resumed,
            ]
        );
        // A task back in the queue has no map until its next transfer splits.
        assert_eq!(m.rows[0].segments, None);
    }

    #[test]
    fn the_log_keeps_its_newest_lines() {
        let mut row = Row::new("http://h/a".into(), "/d".into());
        for n in 0..HISTORY_LINES + 5 {
            push(
                &mut row,
                Happened::Retrying {
                    attempt: n,
                    error: FetchError::Connect("refused".into()),
                },
            );
        }
        assert_eq!(row.history.len(), HISTORY_LINES);
        assert!(matches!(
            row.history[0].what,
            Happened::Retrying { attempt: 5, .. }
        ));
        assert!(row.history.windows(2).all(|w| w[0].at <= w[1].at), "newest last");
    }

    #[test]
    fn connections_opened_one_after_another_are_one_line() {
        let mut row = Row::new("http://h/a".into(), "/d".into());
        push(&mut row, Happened::Paused);
        for n in 1..=8 {
            push(&mut row, Happened::Connections(n));
        }
        push(&mut row, Happened::Resumed);
        push(&mut row, Happened::Connections(3));
        let what: Vec<_> = row.history.iter().map(|l| l.what.clone()).collect();
        assert_eq!(
            what,
            [
                Happened::Paused,
                Happened::Connections(8),
                Happened::Resumed,
                Happened::Connections(3)
            ]
        );
    }
}
