//! What a download is, who runs it, what it can end as, and what the
//! engine reports about it.

use std::path::PathBuf;
use std::time::Duration;

use super::error::{FetchError, Note};
use super::headers::Headers;

/// One download as the user asked for it. The URL stays a string so a bad
/// one can be reported back as a failed task instead of being refused when it is
/// added: one bad line in a pasted list must not lose the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub url: String,
    /// Folder the file is saved into; created if missing.
    pub dir: PathBuf,
    /// The SHA-256 the file must have; a mismatch fails the task and keeps
    /// the bytes as `NAME.corrupt`.
    pub sha256: Option<[u8; 32]>,
    /// Connections for this file, instead of the engine's setting.
    pub segments: Option<usize>,
    /// Bytes per second for this file (besides the engine's global limit).
    pub rate_limit: Option<u64>,
    /// Headers every request of this download sends (cookies, referer,
    /// user agent); secrets in them stay out of `Debug`.
    pub headers: Headers,
    /// The file's name, instead of the server's or the URL's (already a
    /// safe name: see [`crate::naming::sanitize`]).
    pub name: Option<String>,
    /// What to take of a stream (a master's variant, how long to record).
    pub stream: StreamOptions,
    /// Other URLs of the same file, tried in turn when one fails for good.
    pub mirrors: Vec<String>,
    /// A cookies file (Netscape format) read into the engine's jar before
    /// the first request.
    pub cookies: Option<PathBuf>,
    /// What to take of a torrent and how long to seed it.
    pub torrent: TorrentOptions,
}

impl Job {
    pub fn new(url: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Job {
            url: url.into(),
            dir: dir.into(),
            sha256: None,
            segments: None,
            rate_limit: None,
            headers: Headers::default(),
            name: None,
            stream: StreamOptions::default(),
            mirrors: Vec::new(),
            cookies: None,
            torrent: TorrentOptions::default(),
        }
    }
}

/// What the user chose for a torrent (a `magnet:` link, a `.torrent` file
/// or a URL that serves one). The defaults take every file and stop at
/// completion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TorrentOptions {
    /// The files to write, 0-based in the torrent's order (`--select` is
    /// 1-based, as aria2's `--select-file`); `None`: all of them.
    pub select: Option<Vec<usize>>,
    /// Peers to dial besides what trackers and the DHT find.
    pub peers: Vec<std::net::SocketAddr>,
    /// Seeding after completion, as aria2's `--seed-ratio`/`--seed-time`.
    pub seed: SeedLimits,
    /// Trackers to announce to besides the torrent's own (aria2's
    /// `bt-tracker`).
    pub trackers: Vec<String>,
    /// Bytes per second to upload at most, instead of the engine's
    /// setting (aria2's `max-upload-limit`).
    pub upload_limit: Option<u64>,
    /// Pause once the metadata is known, before any file is written, so
    /// its files can be chosen (aria2's `pause-metadata`). A torrent
    /// resumed after that goes on.
    pub pause_metadata: bool,
}

/// When seeding ends, with aria2's meanings: a ratio of 0 is no ratio
/// limit, a time of 0 stops at completion, and when both are set the
/// first one reached ends it. Neither set: no seeding at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedLimits {
    /// Uploaded over the torrent's size, in thousandths (so the options
    /// compare exactly: 1.5 is 1500).
    pub ratio_milli: Option<u64>,
    pub time: Option<Duration>,
}

impl SeedLimits {
    /// Whether seeding goes on after `uploaded` bytes of a torrent of
    /// `size` bytes, seeded for `seeded`.
    pub fn keep_seeding(&self, uploaded: u64, size: u64, seeded: Duration) -> bool {
        let by_ratio = match self.ratio_milli {
            None => None,
            // No ratio limit.
            Some(0) => Some(true),
            Some(r) => Some(u128::from(uploaded) * 1000 < u128::from(r) * u128::from(size.max(1))),
        };
        let by_time = self.time.map(|t| seeded < t);
        match (by_ratio, by_time) {
            (None, None) => false,
            (Some(a), None) => a,
            (None, Some(b)) => b,
            // Whichever is reached first ends seeding; a ratio of 0 leaves
            // the time alone to decide.
            (Some(a), Some(b)) => match self.ratio_milli {
                Some(0) => b,
                _ => a && b,
            },
        }
    }
}

/// One file of a finished torrent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// What the user chose for a stream: the variant of a master and how long
/// to record a live one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamOptions {
    /// A master's variant: its number as listed (1-based), a height
    /// (`720p`) or a bandwidth; the highest bandwidth when unset.
    pub variant: Option<String>,
    /// A live recording stops after this much media; else when stopped.
    pub duration: Option<std::time::Duration>,
}

/// 64 hex digits, as `sha256sum` prints them.
pub fn parse_sha256(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not a SHA-256: expected 64 hex digits"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file that was downloaded completely and moved to its final name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub bytes: u64,
    /// The file was there already and was kept: no body was fetched
    /// (`--if-exists skip`, or `update` and the server said it had not
    /// changed).
    pub skipped: bool,
    /// A torrent's files as written (its selected ones); empty for any
    /// other download, whose file is `path`.
    pub files: Vec<SavedFile>,
}

/// Who runs a task: what the table's `Worker` column and the timeline's
/// lanes show. `Display` gives the names users see (`thread-3`, `task-7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Worker {
    /// Refused before it reached a worker (a bad URL, cancelled while queued).
    Rejected,
    /// The sequential engine's one thread.
    Sequential,
    /// A thread of the pool, numbered from 0.
    Thread(usize),
    /// An async slot: the lowest number free when the task started.
    Slot(usize),
    /// An aria2 daemon.
    Aria2,
}

impl Worker {
    /// Whether the task reached a worker at all (retrying a rejected one
    /// cannot help).
    pub fn ran(&self) -> bool {
        *self != Worker::Rejected
    }
}

impl std::fmt::Display for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Worker::Rejected => f.write_str("-"),
            Worker::Sequential => f.write_str("sequential"),
            Worker::Thread(n) => write!(f, "thread-{n}"),
            Worker::Slot(n) => write!(f, "task-{n}"),
            Worker::Aria2 => f.write_str("aria2"),
        }
    }
}

impl std::str::FromStr for Worker {
    type Err = String;

    /// The names [`Display`](std::fmt::Display) writes (the saved queue keeps them).
    fn from_str(s: &str) -> Result<Self, String> {
        let numbered = |prefix: &str| s.strip_prefix(prefix).and_then(|n| n.parse().ok());
        match s {
            "-" => Ok(Worker::Rejected),
            "sequential" => Ok(Worker::Sequential),
            "aria2" => Ok(Worker::Aria2),
            _ => numbered("thread-")
                .map(Worker::Thread)
                .or_else(|| numbered("task-").map(Worker::Slot))
                .ok_or_else(|| format!("not a worker name: {s:?}")),
        }
    }
}

/// A segmented download's parts, as its connections work on them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentMap {
    /// The file's size.
    pub total: u64,
    /// In file order. Bytes of the file in no part were written before
    /// (a resumed download's map holds only what was missing).
    pub parts: Vec<Part>,
}

/// One part of a segmented download: `[start, end)` of the file, of which
/// `[start, done)` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub end: u64,
    pub done: u64,
}

impl Part {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    pub fn written(&self) -> u64 {
        self.done - self.start
    }
}

/// The final word on one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskResult {
    /// 0-based order of submission to the engine.
    pub index: usize,
    pub url: String,
    pub outcome: Result<Saved, FetchError>,
    /// The status of the last response, when one came at all.
    pub http_status: Option<u16>,
    /// Bytes received, also for a failed task.
    pub bytes: u64,
    /// 1-based place in the order tasks finished, across the whole engine.
    pub rank: usize,
    /// Who ran it.
    pub worker: Worker,
    /// When a worker picked it up, since the engine started.
    pub started: Duration,
    /// When it ended, since the engine started.
    pub finished: Duration,
    /// The host pattern of the per-site rule that applied, if one did.
    pub rule: Option<String>,
}

impl TaskResult {
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// What the engine tells its listener. Progress is throttled per task (about
/// ten times a second) so a fast transfer cannot flood a GUI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A worker picked the task up.
    Started {
        index: usize,
        worker: Worker,
        at: Duration,
    },
    /// The response headers arrived: the file's name and size are known.
    Receiving {
        index: usize,
        name: String,
        total: Option<u64>,
        /// `ETag` or `Last-Modified`: what a resume checks the file by.
        validator: Option<String>,
    },
    Progress {
        index: usize,
        bytes: u64,
        total: Option<u64>,
    },
    /// The task was paused; it keeps its place and waits for a resume.
    /// Its `.part` stays for the resume.
    Paused { index: usize, at: Duration },
    /// An attempt failed and the task will try again after a pause
    /// (`attempt` counts from 1); the bytes so far are kept when the server
    /// can resume them.
    Retrying {
        index: usize,
        attempt: usize,
        error: FetchError,
    },
    /// Something the user may want to know about a task that did not stop
    /// it (for its log): the file changed on the server, say.
    Note { index: usize, note: Note },
    /// The remote engine (aria2) became unreachable, or reachable again.
    /// Its downloads are not failed meanwhile: they wait for it.
    Remote { connected: bool, detail: String },
    /// How many connections a task's transfer uses now (segmented
    /// downloads open several, and give them back as their parts finish).
    Connections { index: usize, count: usize },
    /// A segmented download's parts: where each starts and ends and how
    /// far it got, at most about five times a second (and once more when
    /// the transfer stops), for the details pane's map.
    Segments {
        index: usize,
        map: std::sync::Arc<SegmentMap>,
    },
    /// A stream's pieces (segments, init sections) joined so far, of
    /// `total` (`None` while a live one records).
    Pieces {
        index: usize,
        done: usize,
        total: Option<usize>,
    },
    /// One piece of a stream was joined into its file: fetched on `lane`
    /// from `started` to `finished`, written at `joined` (later, when an
    /// earlier piece was still on its way: the reorder buffer's wait).
    Piece {
        index: usize,
        /// Its place in the stream (0 is the first piece of the first track).
        number: usize,
        lane: Worker,
        started: Duration,
        finished: Duration,
        joined: Duration,
    },
    /// A torrent's metadata is known (for a magnet, its peers sent it),
    /// and where each file goes; again when its files are chosen anew.
    Torrent {
        index: usize,
        meta: std::sync::Arc<crate::bt::TorrentMeta>,
    },
    /// A running torrent's swarm, every second.
    Swarm {
        index: usize,
        swarm: std::sync::Arc<crate::bt::SwarmNow>,
    },
    /// A paused, failed or cancelled task is queued again.
    Queued { index: usize, at: Duration },
    /// The task ended, in completion order (see `fan_in` for submission order).
    Finished(TaskResult),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_ends_as_aria2s_would() {
        let min = Duration::from_secs(60);
        let limits = |ratio_milli, time| SeedLimits { ratio_milli, time };
        // Neither given: no seeding.
        assert!(!limits(None, None).keep_seeding(0, 100, Duration::ZERO));
        // A ratio alone: until uploaded/size reaches it.
        assert!(limits(Some(1000), None).keep_seeding(99, 100, min));
        assert!(!limits(Some(1000), None).keep_seeding(100, 100, min));
        // 0.0 is no ratio limit: forever, or until the time.
        assert!(limits(Some(0), None).keep_seeding(10_000, 100, 100 * min));
        assert!(!limits(Some(0), Some(min)).keep_seeding(0, 100, min));
        // 0 minutes stops at completion.
        assert!(!limits(None, Some(Duration::ZERO)).keep_seeding(0, 100, Duration::ZERO));
        // Both: the first reached ends it.
        assert!(!limits(Some(2000), Some(min)).keep_seeding(0, 100, min));
        assert!(!limits(Some(2000), Some(min)).keep_seeding(200, 100, Duration::ZERO));
        assert!(limits(Some(2000), Some(min)).keep_seeding(199, 100, min / 2));
    }

    #[test]
    fn worker_names_read_back_as_written() {
        for w in [
            Worker::Rejected,
            Worker::Sequential,
            Worker::Thread(12),
            Worker::Slot(0),
            Worker::Aria2,
        ] {
            assert_eq!(w.to_string().parse::<Worker>(), Ok(w));
        }
        assert!("thread-x".parse::<Worker>().is_err());
        // Lanes sort as numbers: thread-2 before thread-10.
        assert!(Worker::Thread(2) < Worker::Thread(10));
    }
}
