//! One row of the table: a task's state, bytes, speed and ETA, as the
//! model keeps them from engine events.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::{FetchError, Note, Worker, naming};
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

    /// In the line of those waiting to start (queued, or paused where it
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
    pub history: Vec<super::history::Logged>,
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
    kind: super::kind::Kind,
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
            kind: super::kind::Kind::Other,
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
    pub fn kind(&self) -> super::kind::Kind {
        self.kind
    }

    /// After its name, metadata or pieces changed.
    pub(super) fn refresh_kind(&mut self) {
        self.kind = super::kind::Kind::of(self);
    }

    /// The notes of its log (a file changed on the server, an option not
    /// used…), oldest first.
    pub fn notes(&self) -> impl DoubleEndedIterator<Item = &Note> {
        self.history.iter().filter_map(|l| match &l.what {
            super::history::Happened::Note(n) => Some(n),
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

    #[test]
    fn a_torrent_s_row_is_named_before_its_metadata_arrives() {
        let row = |url: &str| Row::new(url.into(), "/d".into()).name;
        assert_eq!(row("magnet:?xt=urn:btih:0123&dn=Big%20Set"), "Big Set");
        assert_eq!(row("/tmp/a/ubuntu.iso.torrent"), "ubuntu.iso.torrent");
        assert_eq!(row("magnet:?xt=urn:btih:0123"), "magnet:?xt=urn:btih:0123");
        assert_eq!(row("https://h/a.bin"), "a.bin");
    }
}
