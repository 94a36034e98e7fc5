//! A download's log, with wall-clock times: every event of its life (added,
//! started on a worker, its name and size, connections, retries, pauses,
//! notes, how it ended), for the details pane's Log tab. Typed, so the
//! window words each in its language; no egui here. What an event adds to
//! a row's log is judged where the row is ([`super::row::of_event`]).
//!
//! Kept in memory only: the saved queue stays as it was (old queue files
//! load, new ones load in older versions), and a restored row's log starts
//! with its coming back.

use std::time::SystemTime;

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
