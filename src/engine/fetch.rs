//! One HTTP transfer: naming, the `.part` file, length validation.
//!
//! The blocking and the async backends differ only in how they pull chunks
//! off the socket; everything that decides whether a file is good lives in
//! [`Transfer`], so both are held to the same rules:
//! - bytes go to `NAME.part`, created with `create_new` (never truncating
//!   anything, never following a planted symlink);
//! - the file gets its real name only when the body is complete (its length
//!   matches `Content-Length` when one was sent), and never replaces an
//!   existing file: a taken name becomes `NAME (1).ext`;
//! - a failed transfer removes its `.part`, so nothing half-written remains.

use std::error::Error as StdError;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_DISPOSITION, CONTENT_RANGE, ETAG, HeaderMap, HeaderValue, IF_RANGE, LAST_MODIFIED, LOCATION,
    RANGE,
};
use url::Url;

use super::job::{Event, FetchError, Note, Saved, hex};
use super::queue::{Task, TaskCtl};
use super::{EngineConfig, EngineError, Reporter, Room, hash, naming, segment};

/// How often a running task reports its byte count.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Writes are batched up to this size: fewer syscalls per megabyte. Small
/// files get a buffer of their own size, so a swarm of them costs no large
/// allocations (which malloc would serve with mmap and munmap each time).
const WRITE_BUFFER: usize = 256 * 1024;
const MIN_WRITE_BUFFER: usize = 8 * 1024;
/// Read size for the blocking client.
const READ_BUFFER: usize = 64 * 1024;
const MAX_REDIRECTS: usize = 10;

/// Only absolute http(s) URLs with a host are downloadable.
pub fn parse_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw.trim()).map_err(|e| FetchError::InvalidUrl(format!("{e}: {raw:?}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::UnsupportedScheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(format!("no host in {raw:?}")));
    }
    Ok(url)
}

/// What one attempt at a task produced.
pub(crate) struct Attempt {
    pub outcome: Result<Saved, FetchError>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    /// What the next attempt may continue from (boxed: it holds a buffer).
    pub resume: Option<Box<Resume>>,
}

impl Attempt {
    pub(crate) fn failed(http_status: Option<u16>, bytes: u64, e: FetchError) -> Self {
        Attempt {
            outcome: Err(e),
            http_status,
            bytes,
            resume: None,
        }
    }

    /// Keeps `resume` for the next attempt (or a resume after a pause).
    fn with_resume(mut self, resume: Option<Box<Resume>>) -> Self {
        self.resume = resume;
        self
    }

    fn retryable(&self) -> bool {
        self.outcome.as_ref().err().is_some_and(FetchError::is_retryable)
    }
}

/// Follows up to ten redirects and only to http(s): a server must not be
/// able to bounce a download to `file://` or loop it forever.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme().to_string();
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if scheme != "http" && scheme != "https" {
            attempt.error(format!("redirect to a {scheme:?} URL"))
        } else {
            attempt.follow()
        }
    })
}

pub(crate) fn blocking_client(config: &EngineConfig) -> Result<reqwest::blocking::Client, EngineError> {
    reqwest::blocking::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(redirect_policy())
        .connect_timeout(config.connect_timeout)
        // The blocking client applies this to each read, not to the whole body.
        .timeout(config.read_timeout)
        .build()
        .map_err(|e| EngineError::Client(chain(&e)))
}

pub(crate) fn async_client(config: &EngineConfig) -> Result<reqwest::Client, EngineError> {
    reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(redirect_policy())
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .build()
        .map_err(|e| EngineError::Client(chain(&e)))
}

/// `outer: inner: root`, skipping causes whose text the parent already shows.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Turns a transport error (from sending or from reading the body) into a
/// reason a user can read.
pub(super) fn transport_error(err: &(dyn StdError + 'static)) -> FetchError {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(re) = e.downcast_ref::<reqwest::Error>() {
            // reqwest's own text repeats the URL, which the result already
            // carries: the causes say what went wrong.
            let text = re.source().map_or_else(|| chain(re), chain);
            if re.is_timeout() {
                return FetchError::Timeout(text);
            }
            if re.is_redirect() {
                return FetchError::Redirect(text);
            }
            if re.is_connect() {
                return FetchError::Connect(text);
            }
            return FetchError::Transport(text);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return FetchError::Timeout(chain(err));
            }
            // The blocking client's body reads wrap a reqwest::Error in an
            // io::Error, whose `source()` skips the wrapped error itself.
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
                continue;
            }
        }
        cur = e.source();
    }
    FetchError::Transport(chain(err))
}

/// What a later attempt of the same task continues from: the `.part` with
/// the bytes so far, and what says which file they belong to.
pub(crate) struct Resume {
    pub(super) part: PartFile,
    offset: u64,
    /// The whole file's size, when the server said.
    pub(super) total: Option<u64>,
    /// `ETag`, else `Last-Modified`: sent as `If-Range`, so a file that
    /// changed on the server comes back whole instead of spliced.
    pub(super) validator: Option<String>,
    /// A segmented download: the byte ranges `[from, to)` still missing
    /// (the part has the file's full size).
    pub(super) segments: Option<Vec<(u64, u64)>>,
}

impl Resume {
    /// A part an earlier run left for this task, found by its control file.
    pub(crate) fn find(task: &Task) -> Option<Box<Resume>> {
        let (part, offset, validator, total, segments) = PartFile::find(&task.dir, &task.raw_url)?;
        let offset = match (&segments, total) {
            (Some(missing), Some(total)) => {
                total.saturating_sub(missing.iter().map(|(a, b)| b.saturating_sub(*a)).sum())
            }
            (Some(_), None) => 0, // a segment map needs the size: start over
            (None, _) => offset,
        };
        if offset == 0 {
            let mut part = part;
            part.keep = false; // nothing worth keeping
            return None;
        }
        tracing::debug!(
            index = task.index,
            offset,
            "continuing a part left by an earlier run"
        );
        Some(Box::new(Resume {
            part,
            offset,
            total,
            validator,
            segments,
        }))
    }

    /// A segmented download that stopped: continued by the same, ranges
    /// and all.
    pub(super) fn segmented(
        part: PartFile,
        total: u64,
        validator: Option<String>,
        missing: Vec<(u64, u64)>,
    ) -> Box<Resume> {
        let offset = total - missing.iter().map(|(a, b)| b - a).sum::<u64>();
        Box::new(Resume {
            part,
            offset,
            total: Some(total),
            validator,
            segments: Some(missing),
        })
    }

    pub(super) fn is_segmented(&self) -> bool {
        self.segments.is_some()
    }

    /// The task is over: remove the part and its control file.
    pub(crate) fn discard(mut self: Box<Self>) {
        self.part.keep = false;
    }
}

/// `Range` and `If-Range` for an attempt that continues `resume`; none for
/// a fresh one. (The validator came from a response header, so it is a valid
/// header value.)
fn resume_headers(resume: &Option<Box<Resume>>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(r) = resume {
        if let Ok(range) = HeaderValue::from_str(&format!("bytes={}-", r.offset)) {
            headers.insert(RANGE, range);
        }
        if let Some(v) = r.validator.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(IF_RANGE, v);
        }
    }
    headers
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`).
pub(super) fn content_range(headers: &HeaderMap) -> Option<(u64, u64, Option<u64>)> {
    let v = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = v.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some((a.parse().ok()?, b.parse().ok()?, total))
}

pub(super) fn validator(headers: &HeaderMap) -> Option<String> {
    headers
        .get(ETAG)
        .or_else(|| headers.get(LAST_MODIFIED))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A body being written to its `.part` file.
pub(crate) struct Transfer<'a> {
    pub(super) reporter: &'a Reporter,
    pub(super) ctl: &'a TaskCtl,
    pub(super) url: &'a str,
    pub(super) index: usize,
    pub(super) status: u16,
    /// The size the finished file must have, when known.
    pub(super) expected: Option<u64>,
    pub(super) received: u64,
    last_report: Instant,
    pub(super) part: PartFile,
    pub(super) validator: Option<String>,
    /// The SHA-256 the file must have.
    sha256: Option<[u8; 32]>,
    /// The running hash, for a body written from its first byte in order.
    hash: Option<hash::Stream>,
}

impl<'a> Transfer<'a> {
    /// Checks the response head and opens (or continues) the `.part` file.
    /// An HTTP error status fails here, before any file exists.
    pub(crate) fn begin(
        reporter: &'a Reporter,
        task: &'a Task,
        status: StatusCode,
        headers: &HeaderMap,
        content_length: Option<u64>,
        resume: Option<Box<Resume>>,
    ) -> Result<Self, Attempt> {
        let code = status.as_u16();
        if code == 416
            && let Some(r) = resume
        {
            // Nothing left to send: complete if we know the file is whole.
            let total = content_range(headers).and_then(|(_, _, t)| t).or(r.total);
            return Err(if total == Some(r.offset) {
                let bytes = r.offset;
                match r.part.commit() {
                    Ok(path) => Attempt {
                        outcome: Ok(Saved { path, bytes }),
                        http_status: Some(code),
                        bytes,
                        resume: None,
                    },
                    Err(e) => Attempt::failed(Some(code), bytes, e),
                }
            } else {
                let offset = r.offset;
                r.discard();
                Attempt::failed(
                    Some(code),
                    0,
                    FetchError::BadRange(format!(
                        "the server refused the range from byte {offset} (416); starting over"
                    )),
                )
            });
        }
        if status.is_redirection() {
            if let Some(r) = resume {
                r.discard();
            }
            // The client follows every redirect it may; one left over points
            // somewhere it must not go (another scheme) or nowhere.
            let to = headers
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let reason = match to {
                Some(to) => format!("HTTP {code} to {to:?}, which is not an http(s) URL"),
                None => format!("HTTP {code} without a Location"),
            };
            return Err(Attempt::failed(Some(code), 0, FetchError::Redirect(reason)));
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or("").to_string();
            // An error page is never written; the bytes so far stay for the
            // next attempt.
            let bytes = resume.as_ref().map_or(0, |r| r.offset);
            let mut a = Attempt::failed(Some(code), bytes, FetchError::Http { status: code, reason });
            a.resume = resume;
            return Err(a);
        }
        let validator = validator(headers);
        let (part, received, expected) = match (code, resume) {
            (206, Some(r)) => {
                let asked = r.offset;
                match content_range(headers) {
                    Some((a, b, total))
                        if a == asked
                            && content_length.is_none_or(|n| {
                                b.checked_add(1).and_then(|end| end.checked_sub(a)) == Some(n)
                            })
                            && (r.total.is_none() || total.is_none() || r.total == total) =>
                    {
                        let expected = total.or(r.total).or(content_length.map(|n| a + n));
                        (r.part, asked, expected)
                    }
                    other => {
                        let got = headers.get(CONTENT_RANGE).map_or("none".to_string(), |v| {
                            String::from_utf8_lossy(v.as_bytes()).into_owned()
                        });
                        tracing::warn!(
                            index = task.index,
                            asked,
                            ?other,
                            "wrong Content-Range; starting over"
                        );
                        r.discard();
                        return Err(Attempt::failed(
                            Some(code),
                            0,
                            FetchError::BadRange(format!(
                                "asked for the bytes from {asked} on, got Content-Range {got}; starting over"
                            )),
                        ));
                    }
                }
            }
            (206, None) => {
                return Err(Attempt::failed(
                    Some(code),
                    0,
                    FetchError::BadRange("206 to a request without a range".into()),
                ));
            }
            (_, Some(mut r)) => {
                // A whole body to a range request: the server ignored the
                // range, or the file changed (If-Range did not match).
                let note = if r.validator.is_some() && validator != r.validator {
                    Note::FileChanged {
                        before: r.validator.clone().unwrap_or_default(),
                        after: validator.clone().unwrap_or_else(|| "no validator".into()),
                    }
                } else {
                    Note::RangeIgnored { offset: r.offset }
                };
                tracing::info!(index = task.index, "{note}");
                reporter.emit(Event::Note {
                    index: task.index,
                    note,
                });
                if let Err(e) = r.part.truncate() {
                    return Err(Attempt::failed(Some(code), 0, e));
                }
                (r.part, 0, content_length)
            }
            (_, None) => {
                // Raw UTF-8 is common in `filename="…"` although RFC 6266
                // says ASCII; decode it rather than lose the name.
                let disposition = headers
                    .get(CONTENT_DISPOSITION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let name = naming::file_name(&task.url, disposition.as_deref());
                let buffer = content_length.map_or(WRITE_BUFFER, |n| {
                    usize::try_from(n)
                        .unwrap_or(WRITE_BUFFER)
                        .clamp(MIN_WRITE_BUFFER, WRITE_BUFFER)
                });
                let part = PartFile::create(&task.dir, &name, buffer)
                    .map_err(|e| Attempt::failed(Some(code), 0, e))?;
                (part, 0, content_length)
            }
        };
        reporter.emit(Event::Receiving {
            index: task.index,
            name: part.name.clone(),
            total: expected,
            validator: validator.clone(),
        });
        Ok(Transfer {
            reporter,
            ctl: &task.ctl,
            url: &task.raw_url,
            index: task.index,
            status: code,
            expected,
            received,
            last_report: Instant::now(),
            part,
            validator,
            sha256: task.sha256,
            hash: (task.sha256.is_some() && received == 0).then(hash::Stream::new),
        })
    }

    /// A transfer continuing a segmented part, with no response of its own.
    pub(super) fn resumed(
        reporter: &'a Reporter,
        task: &'a Task,
        part: PartFile,
        total: u64,
        validator: Option<String>,
    ) -> Self {
        reporter.emit(Event::Receiving {
            index: task.index,
            name: part.name.clone(),
            total: Some(total),
            validator: validator.clone(),
        });
        Transfer {
            reporter,
            ctl: &task.ctl,
            url: &task.raw_url,
            index: task.index,
            status: 206,
            expected: Some(total),
            received: 0,
            last_report: Instant::now(),
            part,
            validator,
            sha256: task.sha256,
            hash: None,
        }
    }

    /// The body will not come through [`Transfer::write`] in order (it is
    /// being split): check the assembled file instead.
    pub(super) fn hash_when_assembled(&mut self) {
        self.hash = None;
    }

    /// How long to wait before reading more, after `n` bytes: the global
    /// limit and the task's own.
    pub(crate) fn pace(&self, n: usize) -> Duration {
        pace(self.reporter, self.ctl, n)
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        if self.reporter.stopping.load(Ordering::Relaxed) || self.ctl.halted() {
            return Err(FetchError::Cancelled);
        }
        self.received += chunk.len() as u64;
        if let Some(expected) = self.expected
            && self.received > expected
        {
            return Err(FetchError::LongBody { expected });
        }
        if let Err(e) = self.part.file.write_all(chunk) {
            return Err(self.part.io_error(&e));
        }
        if let Some(h) = &self.hash
            && !h.update(bytes::Bytes::copy_from_slice(chunk))
        {
            // Hashing fell behind the network: check the finished file.
            self.hash = None;
        }
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            // Running long enough to be worth resuming after a crash.
            self.part.write_control(self.url, &self.validator, self.expected);
            self.reporter.emit(Event::Progress {
                index: self.index,
                bytes: self.received,
                total: self.expected,
            });
        }
        Ok(())
    }

    /// The body ended early with a transport error.
    pub(crate) fn interrupted(self, err: &(dyn StdError + 'static)) -> Attempt {
        let cause = transport_error(err);
        let e = match cause {
            FetchError::Timeout(_) => cause,
            other => FetchError::Interrupted {
                received: self.received,
                expected: self
                    .expected
                    .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string()),
                detail: other.to_string(),
            },
        };
        self.fail(e)
    }

    /// Ends the attempt with `e`. When another attempt may help, the bytes
    /// so far are kept for it, provided the server can tell us later that
    /// they still belong to the same file (a validator or a known size).
    pub(crate) fn fail(mut self, e: FetchError) -> Attempt {
        let (status, received) = (Some(self.status), self.received);
        let mut a = Attempt::failed(status, received, e);
        // Paused, or the engine closing: the bytes stay for the next run.
        let stopped = self.ctl.paused() || self.reporter.stopping.load(Ordering::Relaxed);
        let again = a.outcome.as_ref().err().is_some_and(FetchError::is_retryable)
            || (matches!(a.outcome, Err(FetchError::Cancelled)) && stopped);
        let resumable = again && received > 0 && (self.validator.is_some() || self.expected.is_some());
        if resumable && self.part.file.flush().is_ok() {
            self.part.write_control(self.url, &self.validator, self.expected);
            a.resume = Some(Box::new(Resume {
                part: self.part,
                offset: received,
                total: self.expected,
                validator: self.validator,
                segments: None,
            }));
        } else {
            self.part.keep = false; // the task is over: no part stays
        }
        a
    }

    /// The body ended cleanly: check its length, then its checksum (when
    /// one was given), and give the file its name.
    pub(crate) fn finish(mut self) -> Finish<'a> {
        if let Some(expected) = self.expected
            && self.received != expected
        {
            let received = self.received;
            return Finish::Done(self.fail(FetchError::ShortBody { received, expected }));
        }
        if self.sha256.is_none() {
            return Finish::Done(self.commit());
        }
        let pending = match self.hash.take() {
            Some(stream) => stream.finish(),
            None => {
                // Resumed or segmented: hash the assembled file.
                if let Err(e) = self.part.file.flush() {
                    let e = self.part.io_error(&e);
                    return Finish::Done(self.fail(e));
                }
                hash::file(self.part.path.clone())
            }
        };
        Finish::Verify(Box::new(self), pending)
    }

    /// The file's digest is in: name the file if it matches, else keep the
    /// bytes as `NAME.corrupt` and fail.
    fn verified(mut self, digest: Result<[u8; 32], String>) -> Attempt {
        let (Some(expected), status, bytes) = (self.sha256, Some(self.status), self.received) else {
            return self.commit();
        };
        match digest {
            Ok(got) if got == expected => {
                self.reporter.emit(Event::Note {
                    index: self.index,
                    note: Note::Verified { sha256: hex(&got) },
                });
                self.commit()
            }
            Ok(got) => {
                self.part.keep = false;
                let kept = match self.part.keep_as_corrupt() {
                    Ok(path) => path.display().to_string(),
                    Err(e) => return Attempt::failed(status, bytes, e),
                };
                Attempt::failed(
                    status,
                    bytes,
                    FetchError::Checksum {
                        expected: hex(&expected),
                        got: hex(&got),
                        kept,
                    },
                )
            }
            Err(detail) => {
                self.part.keep = false;
                let path = self.part.path.display().to_string();
                Attempt::failed(status, bytes, FetchError::Io { path, detail })
            }
        }
    }

    fn commit(self) -> Attempt {
        let (status, bytes) = (self.status, self.received);
        match self.part.commit() {
            Ok(path) => Attempt {
                outcome: Ok(Saved { path, bytes }),
                http_status: Some(status),
                bytes,
                resume: None,
            },
            Err(e) => Attempt::failed(Some(status), bytes, e),
        }
    }
}

/// A finished body on its way to its name: its checksum may still be
/// being computed on the hashing pool.
pub(crate) enum Finish<'a> {
    Done(Attempt),
    Verify(Box<Transfer<'a>>, hash::Pending),
}

impl Finish<'_> {
    /// Waits for the checksum on this (blocking) thread.
    pub(crate) fn wait_blocking(self) -> Attempt {
        match self {
            Finish::Done(a) => a,
            Finish::Verify(t, pending) => {
                let digest = pending
                    .blocking_recv()
                    .unwrap_or_else(|_| Err("the hashing pool stopped".into()));
                t.verified(digest)
            }
        }
    }

    pub(crate) async fn wait(self) -> Attempt {
        match self {
            Finish::Done(a) => a,
            Finish::Verify(t, pending) => {
                let digest = pending
                    .await
                    .unwrap_or_else(|_| Err("the hashing pool stopped".into()));
                t.verified(digest)
            }
        }
    }
}

/// How long to wait after `n` bytes: the longer of the global limit's and
/// the task's own.
pub(super) fn pace(reporter: &Reporter, ctl: &TaskCtl, n: usize) -> Duration {
    reporter.limit.take(n).max(ctl.limit.take(n))
}

/// Sleeps `d` on a blocking thread, in slices, so a pause or cancel (or an
/// engine closing, which pauses its running tasks) ends the wait.
pub(super) fn sleep_blocking(ctl: &TaskCtl, d: Duration) {
    let until = Instant::now() + d;
    while !ctl.halted() {
        let now = Instant::now();
        if now >= until {
            break;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

/// Sleeps `d` in an async transfer; a pause or cancel ends the wait.
pub(super) async fn sleep_async(ctl: &TaskCtl, d: Duration) {
    if d.is_zero() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        () = ctl.wake.notified() => {}
    }
}

/// `NAME.part` while the body arrives. Removed on drop unless committed or
/// kept for a later resume (see [`Resume`]).
pub(super) struct PartFile {
    pub(super) file: BufWriter<File>,
    dir: PathBuf,
    /// The final name this part is meant to get: candidate `k` of `base`.
    pub(super) name: String,
    /// The name as the server or URL gave it, before collision suffixes.
    base: String,
    k: usize,
    pub(super) path: PathBuf,
    committed: bool,
    /// Left on disk when dropped, with its control file, for a resume by
    /// this run or the next one (a paused task, a closed window).
    pub(super) keep: bool,
    /// `.fanout-HASH.json` beside the part, once written.
    control: Option<PathBuf>,
}

/// Takes the `.part`'s exclusive lock, without waiting: a part in use by
/// another transfer is never continued by a second one. The lock goes with
/// the file handle. True where locks are not supported.
fn lock(file: &File) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FlockOperation, flock};
        !matches!(
            flock(file, FlockOperation::NonBlockingLockExclusive),
            Err(rustix::io::Errno::WOULDBLOCK)
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        true
    }
}

/// What a `.part` left on disk belongs to: written beside it as
/// `.fanout-HASH.json` (HASH of the URL), so a later run with the same URL
/// and folder finds it with one lookup and continues it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Control {
    url: String,
    name: String,
    base: String,
    k: usize,
    validator: Option<String>,
    total: Option<u64>,
    /// A segmented download's missing ranges `[from, to)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segments: Option<Vec<(u64, u64)>>,
}

fn control_path(dir: &Path, url: &str) -> PathBuf {
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    dir.join(format!(".fanout-{hash:016x}.json"))
}

impl PartFile {
    /// Finds the first candidate `NAME (k)` whose final file does not exist
    /// and whose `.part` we could create exclusively.
    fn create(dir: &Path, base: &str, buffer: usize) -> Result<Self, FetchError> {
        let io_err = |p: &Path, e: io::Error| FetchError::Io {
            path: p.display().to_string(),
            detail: e.to_string(),
        };
        let mut made_dir = false;
        let mut k = 0;
        while k < 10_000 {
            let name = naming::candidate(base, k);
            if dir.join(&name).symlink_metadata().is_ok() {
                k += 1;
                continue;
            }
            let path = dir.join(format!("{name}.part"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    lock(&file);
                    return Ok(PartFile {
                        file: BufWriter::with_capacity(buffer, file),
                        dir: dir.to_path_buf(),
                        name,
                        base: base.to_string(),
                        k,
                        path,
                        committed: false,
                        keep: false,
                        control: None,
                    });
                }
                // The folder is made on first use rather than checked for
                // every task: creating files is what costs on a busy batch.
                Err(e) if e.kind() == io::ErrorKind::NotFound && !made_dir => {
                    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                    made_dir = true;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => k += 1,
                Err(e) => return Err(io_err(&path, e)),
            }
        }
        Err(io_err(
            dir,
            io::Error::other(format!("no free name left for {base:?}")),
        ))
    }

    /// Empties the part to start the body over.
    fn truncate(&mut self) -> Result<(), FetchError> {
        use std::io::Seek;
        let r = self.file.flush().and_then(|()| {
            let f = self.file.get_mut();
            f.set_len(0)?;
            f.seek(io::SeekFrom::Start(0)).map(|_| ())
        });
        r.map_err(|e| self.io_error(&e))
    }

    /// Gives the part the file's full size up front, so a full disk shows
    /// now rather than in the middle, and positioned writes fill it in.
    pub(super) fn preallocate(&mut self, size: u64) -> Result<(), FetchError> {
        let file = self.file.get_ref();
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{FallocateFlags, fallocate};
            match fallocate(file, FallocateFlags::empty(), 0, size) {
                Ok(()) => return Ok(()),
                // A file system without it (some network mounts): a sparse file.
                Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => {}
                Err(e) => return Err(self.io_error(&e.into())),
            }
        }
        file.set_len(size).map_err(|e| self.io_error(&e))
    }

    /// A file that failed its checksum is kept for inspection as
    /// `NAME.corrupt` (or `NAME (1).corrupt`…), never replacing anything.
    fn keep_as_corrupt(&mut self) -> Result<PathBuf, FetchError> {
        self.file.flush().map_err(|e| self.io_error(&e))?;
        let base = format!("{}.corrupt", self.name);
        for k in 0..10_000 {
            let target = self.dir.join(naming::candidate(&base, k));
            match rename_noreplace(&self.path, &target) {
                Ok(()) => {
                    self.committed = true;
                    self.keep = false;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io_error(&e)),
            }
        }
        Err(self.io_error(&io::Error::other("no free name left")))
    }

    pub(super) fn io_error(&self, e: &io::Error) -> FetchError {
        FetchError::Io {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        }
    }

    /// Moves the finished part to the first free final name without ever
    /// replacing a file created meanwhile (a plain rename would).
    fn commit(mut self) -> Result<PathBuf, FetchError> {
        self.file.flush().map_err(|e| self.io_error(&e))?;
        for k in self.k..self.k + 10_000 {
            let name = naming::candidate(&self.base, k);
            // Leave names that another running download has reserved.
            if k != self.k && self.dir.join(format!("{name}.part")).symlink_metadata().is_ok() {
                continue;
            }
            let target = self.dir.join(name);
            match rename_noreplace(&self.path, &target) {
                Ok(()) => {
                    self.committed = true;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io_error(&e)),
            }
        }
        Err(self.io_error(&io::Error::other("no free name left")))
    }
}

/// Renames `from` to `to` unless `to` exists, in one atomic step where the
/// system can (`renameat2` with `RENAME_NOREPLACE` on Linux).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // A file system without the flag: the portable way below.
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    link_then_unlink(from, to)
}

/// A hard link fails if the target exists, where a rename would replace it.
/// Where links are not supported either (FAT, some network mounts): a
/// rename, checked just before.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            let _ = std::fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if to.symlink_metadata().is_err() => std::fs::rename(from, to),
        Err(_) => Err(io::ErrorKind::AlreadyExists.into()),
    }
}

impl PartFile {
    /// Records what this part belongs to, so it can be resumed after the
    /// program stops. Written once a transfer has run a while (small files
    /// finish first and never pay for it) or when it stops early.
    fn write_control(&mut self, url: &str, validator: &Option<String>, total: Option<u64>) {
        if self.control.is_some() {
            return;
        }
        self.write_segments(url, validator, total, None);
    }

    /// What [`PartFile::write_control`] writes, plus a segment map; written
    /// again each time it is called.
    pub(super) fn write_segments(
        &mut self,
        url: &str,
        validator: &Option<String>,
        total: Option<u64>,
        segments: Option<Vec<(u64, u64)>>,
    ) {
        let path = control_path(&self.dir, url);
        let control = Control {
            url: url.to_string(),
            name: self.name.clone(),
            base: self.base.clone(),
            k: self.k,
            validator: validator.clone(),
            total,
            segments,
        };
        match write_atomically(&path, &control) {
            Ok(()) => {
                self.control = Some(path);
                self.keep = true;
            }
            Err(e) => tracing::debug!(error = %e, "no control file; this part cannot be resumed later"),
        }
    }

    /// The control file for a segment map, written now with `missing` and
    /// later with [`ControlFile::write`] by whichever connection is at hand.
    /// From here on the part is kept (with it) unless the task ends.
    pub(super) fn control_file(
        &mut self,
        url: &str,
        validator: &Option<String>,
        total: u64,
        missing: Vec<(u64, u64)>,
    ) -> ControlFile {
        let path = control_path(&self.dir, url);
        self.control = Some(path.clone());
        self.keep = true;
        let mut file = ControlFile {
            path,
            control: Control {
                url: url.to_string(),
                name: self.name.clone(),
                base: self.base.clone(),
                k: self.k,
                validator: validator.clone(),
                total: Some(total),
                segments: None,
            },
        };
        file.write(missing);
        file
    }

    /// The part a previous attempt or run left for `url` in `dir`, if any.
    #[allow(clippy::type_complexity)]
    fn find(
        dir: &Path,
        url: &str,
    ) -> Option<(
        PartFile,
        u64,
        Option<String>,
        Option<u64>,
        Option<Vec<(u64, u64)>>,
    )> {
        let control_file = control_path(dir, url);
        let control: Control = serde_json::from_slice(&std::fs::read(&control_file).ok()?).ok()?;
        if control.url != url || control.name.contains(['/', '\\']) {
            return None;
        }
        let path = dir.join(format!("{}.part", control.name));
        // Not O_APPEND: a segmented part is written at its segments' offsets
        // (and Linux's pwrite ignores the offset under O_APPEND).
        let mut open = OpenOptions::new();
        open.write(true);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Never follow a link planted where the part was.
            open.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let mut file = match open.open(&path) {
            Ok(f) => f,
            Err(_) => {
                let _ = std::fs::remove_file(&control_file);
                return None;
            }
        };
        // Another transfer (this run's or another program's) is writing it.
        if !lock(&file) {
            return None;
        }
        // A single stream goes on where the bytes end.
        let offset = std::io::Seek::seek(&mut file, io::SeekFrom::End(0)).ok()?;
        let part = PartFile {
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            dir: dir.to_path_buf(),
            name: control.name,
            base: control.base,
            k: control.k,
            path,
            committed: false,
            keep: true,
            control: Some(control_file),
        };
        Some((part, offset, control.validator, control.total, control.segments))
    }
}

/// Writes `control` to a temporary file and renames it over `path`, so a
/// crash leaves the old map or the new one, never half of one.
fn write_atomically(path: &Path, control: &Control) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let body = serde_json::to_vec(control).map_err(io::Error::other)?;
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

/// A segmented part's control file, rewritten as its segments advance.
pub(super) struct ControlFile {
    path: PathBuf,
    control: Control,
}

impl ControlFile {
    pub(super) fn write(&mut self, missing: Vec<(u64, u64)>) {
        self.control.segments = Some(missing);
        if let Err(e) = write_atomically(&self.path, &self.control) {
            tracing::debug!(error = %e, "cannot update the segment map");
        }
    }
}

impl Drop for PartFile {
    /// A part with a control file is kept unless the task is over (`keep`
    /// cleared): a transfer cut off by the program ending, or by its runtime
    /// shutting down, stays resumable.
    fn drop(&mut self) {
        if !self.committed && self.keep && self.control.is_some() {
            let _ = self.file.flush();
            return;
        }
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(control) = &self.control {
            let _ = std::fs::remove_file(control);
        }
    }
}

/// How failed attempts are tried again: exponential backoff with jitter
/// (backon), from `retry_delay` up to 30 s, at most `retries` times.
fn backoff(config: &EngineConfig) -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_min_delay(config.retry_delay)
        .with_max_delay(Duration::from_secs(30).max(config.retry_delay))
        .with_max_times(config.retries)
        .with_jitter()
}

/// Reports a retry to the listener.
fn retrying(reporter: &Reporter, task: &Task, attempt: &Attempt, delay: Duration, n: usize) {
    let error = match &attempt.outcome {
        Err(e) => e.clone(),
        Ok(_) => return,
    };
    tracing::debug!(index = task.index, n, ?delay, %error, "retrying");
    reporter.emit(Event::Note {
        index: task.index,
        note: Note::Retry {
            attempt: n,
            error: error.clone(),
            delay,
        },
    });
    reporter.emit(Event::Retrying {
        index: task.index,
        attempt: n,
        error,
    });
}

/// One download with the blocking client (sequential and threads backends):
/// attempts until one succeeds, fails for good, or the retries run out.
pub(crate) fn run_blocking(
    client: &reqwest::blocking::Client,
    config: &EngineConfig,
    room: &Room,
    task: &mut Task,
) -> Attempt {
    use backon::BlockingRetryable;
    let reporter = &*room.reporter;
    let initial = task.resume.take().or_else(|| Resume::find(task));
    let state = std::cell::RefCell::new(initial);
    let task = &*task;
    let n = std::cell::Cell::new(0);
    let once = || {
        let mut a = attempt_blocking(client, config, room, task, state.borrow_mut().take());
        if a.outcome.is_ok() {
            Ok(a)
        } else {
            *state.borrow_mut() = a.resume.take();
            Err(a)
        }
    };
    // Closing the engine cancels every running task, so the task's own
    // state says all: the sleeper checks it in slices, so a pause or cancel
    // ends the wait.
    let result = once
        .retry(backoff(config))
        .sleep({
            let ctl = task.ctl.clone();
            move |d: Duration| sleep_blocking(&ctl, d)
        })
        .when(|a: &Attempt| a.retryable() && !task.ctl.halted())
        .notify(|a: &Attempt, d| {
            n.set(n.get() + 1);
            retrying(reporter, task, a, d, n.get());
        })
        .call();
    match result {
        Ok(a) => a,
        // The bytes of the last attempt stay with it (a pause resumes them).
        Err(a) => a.with_resume(state.into_inner()),
    }
}

fn attempt_blocking(
    client: &reqwest::blocking::Client,
    config: &EngineConfig,
    room: &Room,
    task: &Task,
    mut resume: Option<Box<Resume>>,
) -> Attempt {
    let reporter = &*room.reporter;
    if let Some(a) = halted_before(reporter, task, &resume) {
        return a.with_resume(resume);
    }
    if let Some(r) = resume.take_if(|r| r.is_segmented())
        && let Some(a) = segment::resume_blocking(client, config, room, task, r)
    {
        return a;
    }
    let req = client.get(task.url.clone()).headers(resume_headers(&resume));
    let mut resp = match req.send() {
        Ok(r) => r,
        Err(e) => return Attempt::failed(None, 0, transport_error(&e)).with_resume(resume),
    };
    let len = resp.content_length();
    let mut t = match Transfer::begin(reporter, task, resp.status(), resp.headers(), len, resume) {
        Ok(t) => t,
        Err(a) => return a,
    };
    if let Some(extra) = segment::split(config, room, task, &t, resp.headers()) {
        return segment::run_blocking(client, room, task, t, Some(resp), extra);
    }
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        match resp.read(&mut buf) {
            Ok(0) => return t.finish().wait_blocking(),
            Ok(n) => {
                if let Err(e) = t.write(&buf[..n]) {
                    return t.fail(e);
                }
                let d = t.pace(n);
                if !d.is_zero() {
                    sleep_blocking(&task.ctl, d);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return t.interrupted(&e),
        }
    }
}

/// One download with the async client (async backend), retried as
/// [`run_blocking`] is.
pub(crate) async fn run_async(
    client: &reqwest::Client,
    config: &EngineConfig,
    room: &Room,
    task: &mut Task,
) -> Attempt {
    use backon::Retryable;
    let reporter = &*room.reporter;
    let initial = task.resume.take().or_else(|| Resume::find(task));
    let state = std::sync::Mutex::new(initial);
    let task = &*task;
    let n = std::sync::atomic::AtomicUsize::new(0);
    let state = &state;
    let once = || async move {
        let resume = state.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut a = attempt_async(client, config, room, task, resume).await;
        if a.outcome.is_ok() {
            Ok(a)
        } else {
            *state.lock().unwrap_or_else(|p| p.into_inner()) = a.resume.take();
            Err(a)
        }
    };
    let result = once
        .retry(backoff(config))
        // A pause or cancel ends the wait.
        .sleep({
            let ctl = task.ctl.clone();
            move |d: Duration| {
                let ctl = ctl.clone();
                async move { sleep_async(&ctl, d).await }
            }
        })
        .when(|a: &Attempt| a.retryable() && !reporter.stopping.load(Ordering::Relaxed) && !task.ctl.halted())
        .notify(|a: &Attempt, d| {
            let k = n.fetch_add(1, Ordering::Relaxed) + 1;
            retrying(reporter, task, a, d, k);
        })
        .await;
    match result {
        Ok(a) => a,
        Err(a) => a.with_resume(state.lock().unwrap_or_else(|p| p.into_inner()).take()),
    }
}

async fn attempt_async(
    client: &reqwest::Client,
    config: &EngineConfig,
    room: &Room,
    task: &Task,
    mut resume: Option<Box<Resume>>,
) -> Attempt {
    let reporter = &*room.reporter;
    if let Some(a) = halted_before(reporter, task, &resume) {
        return a.with_resume(resume);
    }
    if let Some(r) = resume.take_if(|r| r.is_segmented())
        && let Some(a) = segment::resume_async(client, config, room, task, r).await
    {
        return a;
    }
    let req = client.get(task.url.clone()).headers(resume_headers(&resume));
    // Waiting for the head or for a byte, a pause or cancel (the task's
    // `wake`) takes effect at once; a blocking transfer sees it at its next
    // chunk.
    let send = req.send();
    tokio::pin!(send);
    let sent = loop {
        tokio::select! {
            r = &mut send => break r,
            () = task.ctl.wake.notified() => if task.ctl.halted() {
                return Attempt::failed(None, 0, FetchError::Cancelled).with_resume(resume);
            }
        }
    };
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => return Attempt::failed(None, 0, transport_error(&e)).with_resume(resume),
    };
    let len = resp.content_length();
    let mut t = match Transfer::begin(reporter, task, resp.status(), resp.headers(), len, resume) {
        Ok(t) => t,
        Err(a) => return a,
    };
    if let Some(extra) = segment::split(config, room, task, &t, resp.headers()) {
        return segment::run_async(client, room, task, t, Some(resp), extra).await;
    }
    loop {
        let chunk = tokio::select! {
            c = resp.chunk() => c,
            () = task.ctl.wake.notified() => {
                if task.ctl.halted() {
                    return t.fail(FetchError::Cancelled);
                }
                continue;
            }
        };
        match chunk {
            Ok(Some(chunk)) => {
                if let Err(e) = t.write(&chunk) {
                    return t.fail(e);
                }
                sleep_async(&task.ctl, t.pace(chunk.len())).await;
            }
            Ok(None) => return t.finish().wait().await,
            Err(e) => return t.interrupted(&e),
        }
    }
}

/// A task paused or cancelled (or an engine closing) before an attempt.
fn halted_before(reporter: &Reporter, task: &Task, resume: &Option<Box<Resume>>) -> Option<Attempt> {
    (reporter.stopping.load(Ordering::Relaxed) || task.ctl.halted()).then(|| {
        Attempt::failed(
            None,
            resume.as_ref().map_or(0, |r| r.offset),
            FetchError::Cancelled,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_read_strictly() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(CONTENT_RANGE, v.parse().unwrap());
            m
        };
        assert_eq!(
            content_range(&h("bytes 100-199/200")),
            Some((100, 199, Some(200)))
        );
        assert_eq!(content_range(&h("bytes 0-9/*")), Some((0, 9, None)));
        // An inverted range parses; the caller's length check refuses it
        // without overflowing.
        assert_eq!(content_range(&h("bytes 9-0/10")), Some((9, 0, Some(10))));
        for bad in ["bytes */200", "bytes 5-x/10", "items 0-1/2", "bytes 0-1"] {
            assert_eq!(content_range(&h(bad)), None, "{bad}");
        }
    }

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        assert!(parse_url("http://example.com/a.jpg").is_ok());
        assert!(parse_url("  https://example.com/a.jpg  ").is_ok());
        assert!(
            matches!(parse_url("ftp://example.com/a"), Err(FetchError::UnsupportedScheme(s)) if s == "ftp")
        );
        assert!(matches!(
            parse_url("file:///etc/passwd"),
            Err(FetchError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            parse_url("example.com/a.jpg"),
            Err(FetchError::InvalidUrl(_))
        ));
        assert!(matches!(parse_url("http://"), Err(FetchError::InvalidUrl(_))));
        assert!(matches!(parse_url("not a url"), Err(FetchError::InvalidUrl(_))));
    }

    #[test]
    fn part_files_never_replace_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"old").unwrap();
        let mut first = PartFile::create(dir.path(), "a.txt", 64).unwrap();
        let mut second = PartFile::create(dir.path(), "a.txt", 64).unwrap();
        assert_eq!(first.name, "a (1).txt");
        assert_eq!(second.name, "a (2).txt");
        first.file.write_all(b"first").unwrap();
        second.file.write_all(b"second").unwrap();
        // Someone creates the first one's target meanwhile: it moves on.
        std::fs::write(dir.path().join("a (1).txt"), b"squatter").unwrap();
        let p1 = first.commit().unwrap();
        let p2 = second.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"old");
        assert_eq!(std::fs::read(dir.path().join("a (1).txt")).unwrap(), b"squatter");
        assert_eq!(std::fs::read(&p2).unwrap(), b"second");
        assert_eq!(p2, dir.path().join("a (2).txt"));
        assert_eq!(std::fs::read(&p1).unwrap(), b"first");
        assert_eq!(p1, dir.path().join("a (3).txt"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn an_abandoned_part_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let part = PartFile::create(dir.path(), "x.bin", 64).unwrap();
        assert!(dir.path().join("x.bin.part").exists());
        drop(part);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_portable_rename_never_replaces_either() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, b"new").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let err = link_then_unlink(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        link_then_unlink(&a, &c).unwrap();
        assert_eq!(std::fs::read(&c).unwrap(), b"new");
        assert!(!a.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin.part")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin")).unwrap();
        let part = PartFile::create(dir.path(), "f.bin", 64).unwrap();
        assert_eq!(part.name, "f (1).bin");
        assert!(!victim.exists());
    }
}
