//! What a download is, what it can end as, and what the engine reports about it.

use std::path::PathBuf;
use std::time::Duration;

/// One download as the user asked for it. The URL stays a string so a bad
/// one can be reported back as a failed task instead of being refused at the
/// door: one bad line in a pasted list must not lose the rest.
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
}

impl Job {
    pub fn new(url: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Job {
            url: url.into(),
            dir: dir.into(),
            sha256: None,
            segments: None,
            rate_limit: None,
        }
    }
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
}

/// Why a task failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    #[error("unsupported URL scheme {0:?}: only http and https can be downloaded")]
    UnsupportedScheme(String),
    #[error("HTTP {status} {reason}")]
    Http { status: u16, reason: String },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("redirect refused: {0}")]
    Redirect(String),
    #[error("connection lost after {received} of {expected} bytes: {detail}")]
    Interrupted {
        received: u64,
        expected: String,
        detail: String,
    },
    #[error("body too short: the server promised {expected} bytes and sent {received}")]
    ShortBody { received: u64, expected: u64 },
    #[error("body too long: the server promised {expected} bytes and sent more")]
    LongBody { expected: u64 },
    #[error("{0}")]
    Transport(String),
    #[error("cannot write {path}: {detail}")]
    Io { path: String, detail: String },
    #[error("bad answer to a range request: {0}")]
    BadRange(String),
    #[error("SHA-256 mismatch: expected {expected}, got {got}; the bytes are kept as {kept}")]
    Checksum {
        expected: String,
        got: String,
        kept: String,
    },
    /// What a remote engine reported that fanout has no closer word for.
    #[error("{0}")]
    Remote(String),
    #[error("cancelled")]
    Cancelled,
}

impl FetchError {
    /// Whether another attempt may succeed: a lost or stalled connection, a
    /// short body, a server error. Not a 404, a bad URL or a full disk.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Connect(_)
            | FetchError::Timeout(_)
            | FetchError::Interrupted { .. }
            | FetchError::ShortBody { .. }
            | FetchError::Transport(_)
            | FetchError::BadRange(_) => true,
            FetchError::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }
}

/// Something that happened to a task without ending it, for its log. Typed,
/// so each front end can put it in its own words (and language); `Display`
/// is the English the CLI prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// An attempt failed; the next one starts after `delay`.
    Retry {
        attempt: usize,
        error: FetchError,
        delay: Duration,
    },
    /// The file's validator changed between two attempts: starting over.
    FileChanged { before: String, after: String },
    /// A whole body came back to a resume: starting over.
    RangeIgnored { offset: u64 },
    /// A segmented download got a wrong answer to a range request and goes
    /// on over one connection.
    RangeLied { what: String },
    /// The expected SHA-256 matched.
    Verified { sha256: String },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Retry {
                attempt,
                error,
                delay,
            } => write!(
                f,
                "attempt {attempt} failed: {error}; trying again in {:.1} s",
                delay.as_secs_f64()
            ),
            Note::FileChanged { before, after } => {
                write!(
                    f,
                    "the file changed on the server ({before} became {after}); starting over"
                )
            }
            Note::RangeIgnored { offset } => {
                write!(
                    f,
                    "the server ignored the range from byte {offset}; starting over"
                )
            }
            Note::RangeLied { what } => write!(
                f,
                "the server answered a range request wrongly: {what}; downloading over one connection instead"
            ),
            Note::Verified { sha256 } => write!(f, "SHA-256 verified: {sha256}"),
        }
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
    /// Who ran it: a thread name (`thread-3`, `sequential`) or an async slot
    /// (`task-7`); `-` for a task rejected before it reached a worker.
    pub worker: String,
    /// When a worker picked it up, since the engine started.
    pub started: Duration,
    /// When it ended, since the engine started.
    pub finished: Duration,
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
        worker: String,
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
    /// (Until resume from `.part` lands, a paused transfer starts over.)
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
    /// A paused, failed or cancelled task is queued again.
    Queued { index: usize, at: Duration },
    /// The task ended, in completion order (see `fan_in` for submission order).
    Finished(TaskResult),
}
