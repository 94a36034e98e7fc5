//! One row of the table: a task's state, bytes, speed and ETA, as the
//! model keeps them from engine events; its kind ([`Kind::of`]) and what
//! each event adds to its log ([`of_event`]).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use super::history::{self, HISTORY_LINES, Happened, Logged};
use super::kind::Kind;
use crate::engine::{Event, FetchError, Note, Worker, naming};
use crate::i18n::{self, tr};
use crate::input::Options;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskState {
    Queued,
    Running,
    /// A torrent downloaded whole and uploaded to others, until its
    /// seeding limits are reached.
    Seeding,
    /// An attempt failed; the task tries again after a pause.
    Retrying {
        attempt: usize,
        error: FetchError,
    },
    /// Pause asked; the transfer stops at its next chunk.
    Pausing,
    Paused,
    /// Cancel asked; the transfer stops at its next chunk.
    Cancelling,
    Done,
    Failed(FetchError),
    Cancelled,
}

impl TaskState {
    /// In the window's language.
    pub fn label(&self) -> String {
        match self {
            TaskState::Queued => tr!(StQueued).into(),
            TaskState::Running => tr!(StRunning).into(),
            TaskState::Seeding => tr!(StSeeding).into(),
            TaskState::Retrying { attempt, error } => {
                tr!(StRetry, attempt = attempt, reason = i18n::error(error))
            }
            TaskState::Pausing => tr!(StPausing).into(),
            TaskState::Paused => tr!(StPaused).into(),
            TaskState::Cancelling => tr!(StCancelling).into(),
            TaskState::Done => tr!(StDone).into(),
            TaskState::Failed(why) => tr!(StFailed, reason = i18n::error(why)),
            TaskState::Cancelled => tr!(StCancelled).into(),
        }
    }

    /// Why it failed or is retrying, in full (the state column's hover).
    pub fn reason(&self) -> Option<String> {
        match self {
            TaskState::Failed(e) | TaskState::Retrying { error: e, .. } => Some(i18n::error(e)),
            _ => None,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(
            self,
            TaskState::Running | TaskState::Seeding | TaskState::Pausing | TaskState::Cancelling
        )
    }

    pub fn can_pause(&self) -> bool {
        matches!(self, TaskState::Queued | TaskState::Running | TaskState::Seeding)
    }

    pub fn can_resume(&self) -> bool {
        matches!(self, TaskState::Paused | TaskState::Pausing)
    }

    pub fn can_cancel(&self) -> bool {
        matches!(
            self,
            TaskState::Queued
                | TaskState::Running
                | TaskState::Seeding
                | TaskState::Paused
                | TaskState::Pausing
        )
    }

    /// In the queue of those waiting to start (queued, or paused where it
    /// will start once resumed): what can be moved in it.
    pub fn is_waiting(&self) -> bool {
        matches!(self, TaskState::Queued | TaskState::Paused)
    }

    pub fn can_retry(&self) -> bool {
        matches!(self, TaskState::Failed(_) | TaskState::Cancelled)
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub url: String,
    /// The URL as the window shows it: its password hidden (made once; the
    /// filter reads it every frame).
    pub shown_url: String,
    /// The folder it was added for (the setting may change later).
    pub dir: PathBuf,
    pub name: String,
    pub state: TaskState,
    pub bytes: u64,
    pub total: Option<u64>,
    /// Place in the order tasks finished (`Done #`).
    pub rank: Option<usize>,
    /// Who runs or ran it; `None` before a worker took it.
    pub worker: Option<Worker>,
    /// Connections its transfer holds now (more than one when segmented).
    pub connections: usize,
    /// A stream's pieces joined, of how many (`None`: a live recording).
    pub pieces: Option<(usize, Option<usize>)>,
    /// A torrent's metadata, once known: its files and where they go.
    pub torrent: Option<std::sync::Arc<crate::engine::TorrentMeta>>,
    /// A running torrent's swarm, as last reported.
    pub swarm: Option<std::sync::Arc<crate::engine::SwarmNow>>,
    /// What its line asked besides the URL (checksum, connections, limit).
    pub options: Options,
    pub path: Option<PathBuf>,
    /// What the server identified the file by (for the store).
    pub validator: Option<String>,
    /// Everything that happened to it, with times, newest last (the
    /// details pane's Log; see [`super::history`]).
    pub history: Vec<Logged>,
    /// A segmented download's parts, as last reported.
    pub segments: Option<std::sync::Arc<crate::engine::SegmentMap>>,
    /// A task rejected before reaching a worker (a bad URL) cannot be retried.
    pub retryable: bool,
    /// The host pattern of the per-site rule that applies, if one does.
    pub rule: Option<String>,
    /// Taken off the RPC's results (`removeDownloadResult`): the row
    /// stays in the window; a restart keeps it off the RPC's lists.
    pub forgotten: bool,
    /// What kind of download it is, as of its name, metadata and pieces
    /// (see [`Row::kind`]).
    kind: Kind,
    /// Removed by the user: off every list (the window's and the RPC's)
    /// and kept so in the store; the row stays in the `Vec` because a
    /// task's index is its place there.
    pub removed: bool,
    pub(super) speed: f64,
    pub(super) sample: Option<(Instant, u64)>,
}

/// The newest notes the state's hover lists.
pub const LOG_LINES: usize = 20;

/// Speeds are measured over at least this long.
pub(super) const SPEED_WINDOW: Duration = Duration::from_millis(500);

/// A speed with no new sample for this long is shown as 0 (stalled).
const STALE: Duration = Duration::from_secs(3);

impl Row {
    pub(super) fn new(url: String, dir: PathBuf) -> Row {
        let name = crate::engine::parse_url(&url)
            .map(|u| naming::file_name(&u, None))
            .unwrap_or_else(|_| torrent_name(&url).unwrap_or_else(|| url.clone()));
        Row {
            shown_url: crate::engine::auth::redact(&url),
            url,
            dir,
            name,
            state: TaskState::Queued,
            bytes: 0,
            total: None,
            rank: None,
            worker: None,
            connections: 0,
            pieces: None,
            torrent: None,
            swarm: None,
            options: Options::default(),
            path: None,
            validator: None,
            history: Vec::new(),
            segments: None,
            retryable: true,
            rule: None,
            forgotten: false,
            kind: Kind::Other,
            removed: false,
            speed: 0.0,
            sample: None,
        }
        .with_kind()
    }

    fn with_kind(mut self) -> Row {
        self.refresh_kind();
        self
    }

    /// Its kind (the sidebar's category, the list's icon).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// After its name, metadata or pieces changed.
    pub(super) fn refresh_kind(&mut self) {
        self.kind = Kind::of(self);
    }

    /// The notes of its log (a file changed on the server, an option not
    /// used…), oldest first.
    pub fn notes(&self) -> impl DoubleEndedIterator<Item = &Note> {
        self.history.iter().filter_map(|l| match &l.what {
            Happened::Note(n) => Some(n),
            _ => None,
        })
    }

    /// Where the file is (once saved) or goes: its folder and its name so far.
    pub fn destination(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(|| self.dir.join(&self.name))
    }

    /// Bytes per second, smoothed; 0 when stalled or not running.
    pub fn speed(&self, now: Instant) -> f64 {
        match self.sample {
            Some((at, _)) if self.state.is_active() && now.duration_since(at) < STALE => self.speed,
            _ => 0.0,
        }
    }

    /// Fraction done, when the size is known.
    pub fn fraction(&self) -> Option<f32> {
        match (self.state == TaskState::Done, self.total) {
            (true, _) => Some(1.0),
            (false, Some(0)) => Some(0.0),
            (false, Some(t)) => Some((self.bytes as f64 / t as f64).min(1.0) as f32),
            (false, None) => None,
        }
    }

    pub fn eta(&self, now: Instant) -> Option<Duration> {
        let speed = self.speed(now);
        let total = self.total?;
        (speed > 0.0).then(|| Duration::from_secs_f64(total.saturating_sub(self.bytes) as f64 / speed))
    }

    /// A torrent's metadata: its files, and its name (a magnet's or a
    /// `.torrent` path's row is named by it before a byte arrives).
    pub(super) fn set_torrent(&mut self, meta: std::sync::Arc<crate::engine::TorrentMeta>) {
        if !meta.name.is_empty() {
            self.name.clone_from(&meta.name);
        }
        self.torrent = Some(meta);
        self.refresh_kind();
    }

    pub(super) fn reset_transfer(&mut self) {
        self.connections = 0;
        self.pieces = None;
        self.segments = None;
        self.bytes = 0;
        self.speed = 0.0;
        self.sample = None;
    }
}

impl Kind {
    /// A row's kind: a torrent (or magnet, before its metadata; a
    /// `.torrent` file by its name) or a stream (once its playlist is
    /// known), else its file name's. Rows keep theirs ([`Row::kind`]):
    /// the sidebar counts 10,000 of them a frame.
    pub fn of(row: &Row) -> Kind {
        if row.torrent.is_some() || crate::engine::is_magnet(&row.url) {
            Kind::Torrents
        } else if row.pieces.is_some() {
            Kind::Streams
        } else {
            Kind::of_name(&row.name)
        }
    }
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
    if let Some(row) = history::index_of(event).and_then(|i| rows.get_mut(i))
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

/// What a torrent is called before its metadata names it: a magnet's
/// `dn=`, a `.torrent` file's name.
fn torrent_name(text: &str) -> Option<String> {
    if let Ok(u) = url::Url::parse(text)
        && u.scheme() == "magnet"
    {
        return u
            .query_pairs()
            .find(|(k, _)| k == "dn")
            .map(|(_, v)| v.into_owned());
    }
    let path = std::path::Path::new(text.trim());
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("torrent"))
        .then(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_torrent_s_row_is_named_before_its_metadata_arrives() {
        let row = |url: &str| Row::new(url.into(), "/d".into()).name;
        assert_eq!(row("magnet:?xt=urn:btih:0123&dn=Big%20Set"), "Big Set");
        assert_eq!(row("/tmp/a/ubuntu.iso.torrent"), "ubuntu.iso.torrent");
        assert_eq!(row("magnet:?xt=urn:btih:0123"), "magnet:?xt=urn:btih:0123");
        assert_eq!(row("https://h/a.bin"), "a.bin");
    }

    #[test]
    fn a_row_s_kind_is_a_torrent_s_a_stream_s_or_its_name_s() {
        let row = |url: &str| Row::new(url.into(), "/d".into());
        assert_eq!(
            Kind::of(&row("magnet:?xt=urn:btih:0123&dn=a.mkv")),
            Kind::Torrents
        );
        assert_eq!(Kind::of(&row("/tmp/x.torrent")), Kind::Torrents);
        let mut stream = row("https://h/live.m3u8");
        stream.pieces = Some((1, None));
        assert_eq!(Kind::of(&stream), Kind::Streams);
        assert_eq!(Kind::of(&row("https://h/a.png")), Kind::Images);
    }

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
