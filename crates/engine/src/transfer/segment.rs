//! Segmented downloads: one file over several connections, each writing its
//! byte range in place into one preallocated `.part`. The connections are
//! futures of the one transfer, whichever engine runs it.
//!
//! A download starts as a plain GET. When the answer is a 200 with a
//! `Content-Length` of at least the threshold and `Accept-Ranges: bytes`,
//! and the backend's budget has connections free, that first connection
//! keeps reading from byte 0 and the others ask for equal ranges after it.
//! Every 206 is checked against the range it was asked for (start, end and
//! total size); a server that answers a range wrongly has its task go on
//! over one connection from scratch, since its bytes cannot be trusted.
//!
//! When a connection finishes its range it takes over half of the largest
//! range still left to another connection (whose end moves in), so all
//! connections stay busy to the end. The missing ranges are written to the
//! part's control file about once a second and whenever the transfer stops,
//! so a pause, a crash or a restart continues every range where it stood.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, HeaderMap};

use super::PROGRESS_EVERY;
use super::body::{Finish, Transfer};
use super::ranges::{self, MIN_SPLIT, Seg, claim, fresh, resumed};
use crate::attempt::Attempt;
use crate::config::EngineConfig;
use crate::context::{ConnectionBudget, ConnectionPermit, WorkerContext};
use crate::error::{FetchError, Note, RangeError};
use crate::http;
use crate::job::Event;
use crate::net::Clients;
use crate::part::control::ControlFile;
use crate::part::resume::Resume;
use crate::part::{WRITE_BUFFER, write_all_at};
use crate::queue::Task;
use crate::sync;

/// How often the segment map on disk is brought up to date while running.
const CONTROL_EVERY: Duration = Duration::from_secs(1);

/// How often the parts are reported to the window while running: a map
/// redrawn five times a second looks live, and costs a vector each time.
const MAP_EVERY: Duration = Duration::from_millis(200);

/// Whether this transfer should fan out, and the extra connections it got
/// from the budget (none: it stays one stream).
pub(super) fn split(
    config: &EngineConfig,
    budget: &ConnectionBudget,
    task: &Task,
    t: &Transfer<'_>,
    headers: &HeaderMap,
) -> Option<Vec<ConnectionPermit>> {
    let ranges = headers
        .get(ACCEPT_RANGES)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|u| u.trim().eq_ignore_ascii_case("bytes")));
    let big = big_enough(config, t.expected);
    if wanted(config, task) < 2
        || !ranges
        || !big
        || t.status != 200
        || t.received != 0
        || task.ctl.single.load(Ordering::SeqCst)
    {
        return None;
    }
    let extra = extra_connections(config, budget, task);
    (!extra.is_empty()).then_some(extra)
}

/// Whether a body of `len` bytes is big enough to be split.
pub(super) fn big_enough(config: &EngineConfig, len: Option<u64>) -> bool {
    len.is_some_and(|n| n >= config.segment_threshold.max(2 * MIN_SPLIT))
}

/// Connections this task asks for: its own setting, else the engine's.
fn wanted(config: &EngineConfig, task: &Task) -> usize {
    task.segments
        .unwrap_or(config.segments)
        .clamp(1, EngineConfig::MAX_SEGMENTS)
}

/// The connections beyond its first that the task may open now: as many
/// as it wants and the budget has free.
fn extra_connections(config: &EngineConfig, budget: &ConnectionBudget, task: &Task) -> Vec<ConnectionPermit> {
    (1..wanted(config, task))
        .map_while(|_| budget.try_permit())
        .collect()
}

/// What every connection of one segmented transfer shares.
struct Shared<'a> {
    context: &'a WorkerContext,
    task: &'a Task,
    file: &'a File,
    path: &'a Path,
    total: u64,
    validator: Option<String>,
    map: Mutex<Map>,
    /// Set when one connection failed in a way the others cannot fix: they
    /// stop at their next chunk.
    abort: AtomicBool,
}

struct Map {
    segs: Vec<Seg>,
    connections: usize,
    last_report: Instant,
    last_control: Instant,
    last_map: Instant,
    control: ControlFile,
    /// The last retryable error, or the first one that ended it all.
    failure: Option<FetchError>,
    fatal: bool,
    /// The bytes on disk cannot be trusted (a wrong range, a changed file):
    /// start over, with this reason.
    restart: Option<RangeError>,
}

impl Map {
    fn remaining(&self) -> u64 {
        ranges::remaining(&self.segs)
    }

    fn missing(&self) -> Vec<(u64, u64)> {
        ranges::missing(&self.segs)
    }
}

/// A connection's bytes not yet written: contiguous, from `at` in `seg`,
/// gathered since `since`.
struct ConnBuf {
    data: Vec<u8>,
    at: u64,
    seg: usize,
    since: Instant,
}

impl Default for ConnBuf {
    fn default() -> Self {
        ConnBuf {
            data: Vec::new(),
            at: 0,
            seg: 0,
            since: Instant::now(),
        }
    }
}

impl<'a> Shared<'a> {
    fn new(
        context: &'a WorkerContext,
        task: &'a Task,
        t: &'a mut Transfer<'_>,
        segs: Vec<Seg>,
        total: u64,
    ) -> Self {
        let missing: Vec<(u64, u64)> = segs.iter().map(|s| (s.done, s.end)).collect();
        // A crash from here on keeps the part, with its map.
        let control = t.part.control_file(t.url, &t.validator, total, missing);
        Shared {
            context,
            task,
            file: t.part.file.get_ref(),
            path: &t.part.path,
            total,
            validator: t.validator.clone(),
            map: Mutex::new(Map {
                segs,
                connections: 0,
                last_report: Instant::now(),
                last_control: Instant::now(),
                last_map: Instant::now(),
                control,
                failure: None,
                fatal: false,
                restart: None,
            }),
            abort: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        sync::lock(&self.map)
    }

    /// Tells the listener how far each part got.
    fn report_map(&self, m: &mut Map) {
        m.last_map = Instant::now();
        self.context.emit(Event::Segments {
            index: self.task.index,
            map: std::sync::Arc::new(ranges::map(&m.segs, self.total)),
        });
    }

    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed) || self.task.ctl.halted() || self.context.stopping()
    }

    fn connected(&self, delta: isize) {
        let mut m = self.lock();
        m.connections = m.connections.saturating_add_signed(delta);
        let count = m.connections;
        drop(m);
        self.context.emit(Event::Connections {
            index: self.task.index,
            count,
        });
    }

    fn claim(&self) -> Option<(usize, u64, u64)> {
        claim(&mut self.lock().segs)
    }

    /// A connection leaves its range (its buffer written) for another.
    fn disown(&self, seg: usize) {
        let mut m = self.lock();
        let s = &mut m.segs[seg];
        s.owned = false;
        s.reserved = s.done;
    }

    /// Checks the answer to a range request: a 206 for exactly `[from, to)`
    /// of a file of the same size.
    fn check_head(
        &self,
        from: u64,
        to: u64,
        status: StatusCode,
        headers: &HeaderMap,
        len: Option<u64>,
    ) -> Result<(), FetchError> {
        let code = status.as_u16();
        let last = to - 1;
        if code == 206 {
            let want = http::ContentRange {
                first: from,
                last,
                total: Some(self.total),
            };
            if http::content_range(headers) == Some(want) && len.is_none_or(|n| n == to - from) {
                return Ok(());
            }
            return Err(self.lied(RangeError::Segment {
                from,
                last,
                total: self.total,
                got: http::content_range_text(headers),
            }));
        }
        if status.is_success() {
            let now = http::validator(headers);
            if let Some(before) = &self.validator
                && now.as_ref() != Some(before)
            {
                let changed = RangeError::Changed {
                    before: before.clone(),
                    after: now,
                };
                self.lock().restart = Some(changed.clone());
                return Err(changed.into());
            }
            return Err(self.lied(RangeError::WholeBody {
                from,
                last,
                status: code,
            }));
        }
        let reason = status.canonical_reason().unwrap_or("").to_string();
        Err(FetchError::Http { status: code, reason })
    }

    /// The server does not do ranges as it claims: this task goes on over
    /// one connection, from the start.
    fn lied(&self, what: RangeError) -> FetchError {
        self.task.ctl.single.store(true, Ordering::SeqCst);
        self.context.emit(Event::Note {
            index: self.task.index,
            note: Note::RangeLied(what.clone()),
        });
        self.lock().restart = Some(what.clone());
        what.into()
    }

    /// Records why a connection ended. One the others cannot get past (a
    /// 404, a full disk, a lying server) stops them all.
    fn fail(&self, e: FetchError) {
        if matches!(e, FetchError::Cancelled) {
            return;
        }
        let mut m = self.lock();
        let fatal = !e.is_retryable() || m.restart.is_some();
        if !m.fatal {
            m.failure = Some(e);
            m.fatal = fatal;
        }
        drop(m);
        if fatal {
            self.abort.store(true, Ordering::SeqCst);
            self.task.ctl.wake.notify_waiters();
        }
    }

    /// Counts a chunk into `seg` and buffers what fits in it. True when the
    /// range is complete (the rest of the chunk, if any, is another's).
    fn accept(&self, buf: &mut ConnBuf, seg: usize, chunk: &[u8]) -> Result<bool, FetchError> {
        let (at, n, complete) = {
            let mut m = self.lock();
            let s = &mut m.segs[seg];
            let n = (chunk.len() as u64).min(s.end - s.reserved);
            let at = s.reserved;
            s.reserved += n;
            (at, n as usize, s.reserved == s.end)
        };
        if !buf.data.is_empty() && (buf.seg != seg || buf.at + buf.data.len() as u64 != at) {
            self.flush(buf)?;
        }
        if buf.data.is_empty() {
            buf.at = at;
            buf.seg = seg;
            buf.since = Instant::now();
            buf.data.reserve(WRITE_BUFFER);
        }
        buf.data.extend_from_slice(&chunk[..n]);
        // Written when full, and at least as often as progress is shown, so
        // a slow (or speed-limited) connection's bytes still show as they come.
        if buf.data.len() >= WRITE_BUFFER || complete || buf.since.elapsed() >= PROGRESS_EVERY {
            self.flush(buf)?;
        }
        Ok(complete)
    }

    /// Writes a connection's buffer at its place and counts it as done.
    fn flush(&self, buf: &mut ConnBuf) -> Result<(), FetchError> {
        if buf.data.is_empty() {
            return Ok(());
        }
        write_all_at(self.file, &buf.data, buf.at).map_err(|e| FetchError::io(self.path, &e))?;
        let len = buf.data.len() as u64;
        buf.data.clear();
        let mut m = self.lock();
        m.segs[buf.seg].done += len;
        if m.last_report.elapsed() >= PROGRESS_EVERY {
            m.last_report = Instant::now();
            self.context.emit(Event::Progress {
                index: self.task.index,
                bytes: self.total - m.remaining(),
                total: Some(self.total),
            });
        }
        if m.last_map.elapsed() >= MAP_EVERY {
            self.report_map(&mut m);
        }
        if m.last_control.elapsed() >= CONTROL_EVERY {
            m.last_control = Instant::now();
            let missing = m.missing();
            m.control.write(missing);
        }
        Ok(())
    }

    /// A connection stops: what it holds is written, its range freed.
    fn stop(&self, buf: &mut ConnBuf, seg: usize, e: FetchError) {
        let e = match self.flush(buf) {
            Ok(()) => e,
            Err(io) => io,
        };
        self.disown(seg);
        self.fail(e);
    }

    fn pace(&self, n: usize) -> Duration {
        super::pace(self.context, &self.task.ctl, n)
    }

    /// Why a connection's body ended before its range did: a stall is a
    /// timeout, anything else (or a clean end) an interruption.
    fn ended_early(&self, seg: usize, err: Option<&(dyn std::error::Error + 'static)>) -> FetchError {
        if let Some(e) = err
            && let timeout @ FetchError::Timeout(_) = http::transport_error(e)
        {
            return timeout;
        }
        let m = self.lock();
        let s = &m.segs[seg];
        // The range's own numbers: it ended at `done` of the bytes up to `end`.
        FetchError::Interrupted {
            received: s.done,
            expected: Some(s.end),
            cause: err.map(ToString::to_string),
        }
    }
}

/// A segmented part to continue, or why it cannot be: the caller then
/// runs the attempt as a fresh one.
fn continued<'a>(
    context: &'a WorkerContext,
    task: &'a Task,
    resume: Box<Resume>,
) -> Option<(Transfer<'a>, Vec<Seg>)> {
    let Resume {
        part,
        total,
        validator,
        segments,
        ..
    } = *resume;
    let mut part = part;
    let (Some(total), Some(missing)) = (total, segments) else {
        part.keep = false;
        return None;
    };
    if missing.iter().any(|&(a, b)| a > b || b > total) {
        part.keep = false;
        return None;
    }
    let t = Transfer::resumed(context, task, part, total, validator);
    Some((t, resumed(&missing)))
}

/// After every connection ended: the finished file, or what the next
/// attempt continues from.
fn conclude<'a>(mut t: Transfer<'a>, map: Map) -> Finish<'a> {
    let total = t.expected.unwrap_or(0);
    let missing = map.missing();
    if missing.is_empty() {
        t.received = total;
        return t.finish();
    }
    let done = total - map.remaining();
    let status = Some(t.status);
    if let Some(reason) = map.restart {
        t.part.keep = false;
        return Finish::Done(Attempt::failed(status, 0, reason.into()));
    }
    let e = map.failure.unwrap_or(FetchError::Cancelled);
    let again = t.keeps_bytes_after(&e);
    let mut a = Attempt::failed(status, done, e);
    if again {
        let mut control = map.control;
        control.write(missing.clone());
        a.resume = Some(Resume::segmented(t.part, total, t.validator, missing));
    } else {
        t.part.keep = false; // the task is over: no part stays
    }
    Finish::Done(a)
}

/// Runs a segmented transfer: the first connection goes on reading from
/// byte 0, each extra one (holding one of the backend's connections, so
/// the worker limit bounds them all) takes a range. The connections are
/// futures of the task's own, polled together.
pub(super) async fn run<'a>(
    client: &Clients,
    budget: &'a ConnectionBudget,
    task: &'a Task,
    mut t: Transfer<'a>,
    first: reqwest::Response,
    extra: Vec<ConnectionPermit>,
) -> Attempt {
    let total = t.expected.unwrap_or(0);
    t.hash_when_assembled();
    if let Err(e) = t.part.preallocate(total) {
        return t.fail(e);
    }
    let segs = fresh(total, 1 + extra.len());
    drive(client, budget, task, t, segs, Some(first), extra).await
}

/// Continues a segmented part with as many connections as the budget gives.
pub(super) async fn resume<'a>(
    client: &Clients,
    config: &EngineConfig,
    budget: &'a ConnectionBudget,
    task: &'a Task,
    resume: Box<Resume>,
) -> Option<Attempt> {
    let (t, segs) = continued(&budget.context, task, resume)?;
    let extra = extra_connections(config, budget, task);
    Some(drive(client, budget, task, t, segs, None, extra).await)
}

async fn drive<'a>(
    client: &Clients,
    budget: &'a ConnectionBudget,
    task: &'a Task,
    mut t: Transfer<'a>,
    segs: Vec<Seg>,
    first: Option<reqwest::Response>,
    extra: Vec<ConnectionPermit>,
) -> Attempt {
    let total = t.expected.unwrap_or(0);
    let map = {
        let shared = Shared::new(&budget.context, task, &mut t, segs, total);
        let sh = &shared;
        sh.report_map(&mut sh.lock());
        let mut conns = vec![Box::pin(connection(sh, client, first.map(|r| (0, r)), None))];
        for permit in extra {
            conns.push(Box::pin(connection(sh, client, None, Some(permit))));
        }
        futures_util::future::join_all(conns).await;
        // Where every part stopped (all whole, or where a resume goes on).
        sh.report_map(&mut sh.lock());
        sync::into_inner(shared.map)
    };
    conclude(t, map).wait().await
}

async fn connection(
    sh: &Shared<'_>,
    client: &Clients,
    first: Option<(usize, reqwest::Response)>,
    permit: Option<ConnectionPermit>,
) {
    sh.connected(1);
    let mut first = first;
    let mut buf = ConnBuf::default();
    'ranges: loop {
        let (seg, mut resp) = match first.take() {
            Some(open) => open,
            None => {
                if sh.stopped() {
                    break;
                }
                let Some((seg, from, to)) = sh.claim() else { break };
                let headers = http::range_headers(from, Some(to), sh.validator.as_deref());
                let send = client
                    .segment(&sh.task.url, super::headers(sh.task, headers))
                    .send();
                let checked = match super::until_halted(&sh.task.ctl, send).await {
                    None => Err(FetchError::Cancelled),
                    Some(r) => r.map_err(|e| http::transport_error(&e)).and_then(|r| {
                        sh.check_head(from, to, r.status(), r.headers(), r.content_length())
                            .map(|()| r)
                    }),
                };
                match checked {
                    Ok(r) => (seg, r),
                    Err(e) => {
                        sh.stop(&mut buf, seg, e);
                        break;
                    }
                }
            }
        };
        loop {
            let chunk = tokio::select! {
                c = resp.chunk() => c,
                () = sh.task.ctl.wake.notified() => {
                    if sh.stopped() {
                        sh.stop(&mut buf, seg, FetchError::Cancelled);
                        break 'ranges;
                    }
                    continue;
                }
            };
            if sh.stopped() {
                sh.stop(&mut buf, seg, FetchError::Cancelled);
                break 'ranges;
            }
            match chunk {
                Ok(Some(chunk)) => match sh.accept(&mut buf, seg, &chunk) {
                    // A range's last chunk counts against the limit too
                    // (it was let through, so a segmented download ran
                    // about 10 % over its limit).
                    Ok(true) => {
                        super::sleep(&sh.task.ctl, sh.pace(chunk.len())).await;
                        continue 'ranges;
                    }
                    Ok(false) => super::sleep(&sh.task.ctl, sh.pace(chunk.len())).await,
                    Err(e) => {
                        sh.stop(&mut buf, seg, e);
                        break 'ranges;
                    }
                },
                Ok(None) => {
                    let e = sh.ended_early(seg, None);
                    sh.stop(&mut buf, seg, e);
                    break 'ranges;
                }
                Err(e) => {
                    let e = sh.ended_early(seg, Some(&e));
                    sh.stop(&mut buf, seg, e);
                    break 'ranges;
                }
            }
        }
    }
    // A response dropped mid-body has its connection closed by a task of
    // the loop: let it run before the connection is given back, or the next
    // request opens one while this one is still open (one over the limit).
    tokio::task::yield_now().await;
    drop(permit);
    sh.connected(-1);
}
