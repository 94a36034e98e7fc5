//! Segmented downloads: one file over several connections, each writing its
//! byte range in place into one preallocated `.part`.
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
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, HeaderMap, HeaderValue, IF_RANGE, RANGE};

use super::fetch::{self, ControlFile, Finish, Resume, Transfer};
use super::job::{Event, FetchError, Note};
use super::queue::Task;
use super::{EngineConfig, Permit, Reporter, Room};

/// A range is split only if at least this much of it is left: below that
/// a new request costs more than it saves.
const MIN_SPLIT: u64 = 1024 * 1024;
/// Each connection gathers this much before a positioned write.
const WRITE_BUFFER: usize = 256 * 1024;
const READ_BUFFER: usize = 64 * 1024;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How often the segment map on disk is brought up to date while running.
const CONTROL_EVERY: Duration = Duration::from_secs(1);

/// One range of the file: bytes `[done, end)` are still to be written;
/// `[done, reserved)` are in its connection's buffer.
#[derive(Clone, Debug)]
struct Seg {
    done: u64,
    reserved: u64,
    end: u64,
    owned: bool,
}

/// A range for a free connection: one nobody works on, else the back half
/// of the largest one left (whose owner's end moves in to the middle).
fn claim(segs: &mut Vec<Seg>) -> Option<(usize, u64, u64)> {
    if let Some(i) = segs.iter().position(|s| !s.owned && s.done < s.end) {
        let s = &mut segs[i];
        s.owned = true;
        s.reserved = s.done;
        return Some((i, s.done, s.end));
    }
    let (i, left) = segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.owned)
        .map(|(i, s)| (i, s.end - s.reserved))
        .max_by_key(|&(_, left)| left)?;
    if left < MIN_SPLIT {
        return None;
    }
    let s = &mut segs[i];
    let mid = s.reserved + left / 2;
    let end = s.end;
    s.end = mid;
    segs.push(Seg {
        done: mid,
        reserved: mid,
        end,
        owned: true,
    });
    Some((segs.len() - 1, mid, end))
}

/// Whether this transfer should fan out, and the extra connections it got
/// from the budget (none: it stays one stream).
pub(super) fn split(
    config: &EngineConfig,
    room: &Room,
    task: &Task,
    t: &Transfer<'_>,
    headers: &HeaderMap,
) -> Option<Vec<Permit>> {
    let ranges = headers
        .get(ACCEPT_RANGES)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|u| u.trim().eq_ignore_ascii_case("bytes")));
    let big = t
        .expected
        .is_some_and(|n| n >= config.segment_threshold.max(2 * MIN_SPLIT));
    if wanted(config, task) < 2
        || !ranges
        || !big
        || t.status != 200
        || t.received != 0
        || task.ctl.single.load(Ordering::SeqCst)
    {
        return None;
    }
    let extra = extra_connections(config, room, task);
    (!extra.is_empty()).then_some(extra)
}

/// Connections this task asks for: its own setting, else the engine's.
fn wanted(config: &EngineConfig, task: &Task) -> usize {
    task.segments
        .unwrap_or(config.segments)
        .clamp(1, EngineConfig::MAX_SEGMENTS)
}

/// The connections beyond its first that the task may open now: as many
/// as it wants and the budget has free.
fn extra_connections(config: &EngineConfig, room: &Room, task: &Task) -> Vec<Permit> {
    (1..wanted(config, task))
        .map_while(|_| room.try_permit())
        .collect()
}

/// What every connection of one segmented transfer shares.
struct Shared<'a> {
    reporter: &'a Reporter,
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
    control: ControlFile,
    /// The last retryable error, or the first one that ended it all.
    failure: Option<FetchError>,
    fatal: bool,
    /// The bytes on disk cannot be trusted (a wrong range, a changed file):
    /// start over, with this reason.
    restart: Option<String>,
}

impl Map {
    fn remaining(&self) -> u64 {
        self.segs.iter().map(|s| s.end - s.done).sum()
    }

    fn missing(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = self
            .segs
            .iter()
            .filter(|s| s.done < s.end)
            .map(|s| (s.done, s.end))
            .collect();
        out.sort_unstable();
        out
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
        reporter: &'a Reporter,
        task: &'a Task,
        t: &'a mut Transfer<'_>,
        segs: Vec<Seg>,
        total: u64,
    ) -> Self {
        let missing: Vec<(u64, u64)> = segs.iter().map(|s| (s.done, s.end)).collect();
        // A crash from here on keeps the part, with its map.
        let control = t.part.control_file(t.url, &t.validator, total, missing);
        Shared {
            reporter,
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
                control,
                failure: None,
                fatal: false,
                restart: None,
            }),
            abort: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
            || self.task.ctl.halted()
            || self.reporter.stopping.load(Ordering::Relaxed)
    }

    fn connected(&self, delta: isize) {
        let mut m = self.lock();
        m.connections = m.connections.saturating_add_signed(delta);
        let count = m.connections;
        drop(m);
        self.reporter.emit(Event::Connections {
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

    /// `Range` (and `If-Range`) for `[from, to)`.
    fn range_headers(&self, from: u64, to: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("bytes={from}-{}", to - 1)) {
            h.insert(RANGE, v);
        }
        if let Some(v) = self
            .validator
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            h.insert(IF_RANGE, v);
        }
        h
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
        if code == 206 {
            let got = fetch::content_range(headers);
            if got == Some((from, to - 1, Some(self.total))) && len.is_none_or(|n| n == to - from) {
                return Ok(());
            }
            let shown = headers
                .get(reqwest::header::CONTENT_RANGE)
                .map_or("none".to_string(), |v| {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                });
            return Err(self.lied(format!(
                "asked for bytes {from}-{} of {}, got Content-Range {shown}",
                to - 1,
                self.total
            )));
        }
        if status.is_success() {
            let now = fetch::validator(headers);
            if self.validator.is_some() && now != self.validator {
                let reason = format!(
                    "the file changed on the server ({} became {}); starting over",
                    self.validator.as_deref().unwrap_or("?"),
                    now.as_deref().unwrap_or("no validator")
                );
                self.lock().restart = Some(reason.clone());
                return Err(FetchError::BadRange(reason));
            }
            return Err(self.lied(format!(
                "asked for bytes {from}-{}, got the whole file ({code})",
                to - 1
            )));
        }
        let reason = status.canonical_reason().unwrap_or("").to_string();
        Err(FetchError::Http { status: code, reason })
    }

    /// The server does not do ranges as it claims: this task goes on over
    /// one connection, from the start.
    fn lied(&self, what: String) -> FetchError {
        self.task.ctl.single.store(true, Ordering::SeqCst);
        let reason = format!("{what}; downloading over one connection instead");
        self.reporter.emit(Event::Note {
            index: self.task.index,
            note: Note::RangeLied { what },
        });
        self.lock().restart = Some(reason.clone());
        FetchError::BadRange(reason)
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
        write_all_at(self.file, &buf.data, buf.at).map_err(|e| FetchError::Io {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        })?;
        let len = buf.data.len() as u64;
        buf.data.clear();
        let mut m = self.lock();
        m.segs[buf.seg].done += len;
        if m.last_report.elapsed() >= PROGRESS_EVERY {
            m.last_report = Instant::now();
            self.reporter.emit(Event::Progress {
                index: self.task.index,
                bytes: self.total - m.remaining(),
                total: Some(self.total),
            });
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
        fetch::pace(self.reporter, &self.task.ctl, n)
    }

    /// Why a connection's body ended before its range did: a stall is a
    /// timeout, anything else (or a clean end) an interruption.
    fn ended_early(&self, seg: usize, err: Option<&(dyn std::error::Error + 'static)>) -> FetchError {
        if let Some(e) = err
            && let timeout @ FetchError::Timeout(_) = fetch::transport_error(e)
        {
            return timeout;
        }
        let m = self.lock();
        let s = &m.segs[seg];
        let detail = err.map_or_else(|| "the server closed it".to_string(), |e| e.to_string());
        FetchError::Interrupted {
            received: s.done,
            expected: s.end.to_string(),
            detail: format!("a connection for the bytes up to {} ended early: {detail}", s.end),
        }
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, data: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, at)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut data: &[u8], mut at: u64) -> io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, at)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
        at += n as u64;
    }
    Ok(())
}

/// The ranges of a new segmented transfer: `n` equal ones; the first is
/// the first connection's, already reading from byte 0.
fn fresh(total: u64, n: usize) -> Vec<Seg> {
    let n = n as u64;
    (0..n)
        .map(|i| Seg {
            done: total * i / n,
            reserved: total * i / n,
            end: total * (i + 1) / n,
            owned: i == 0,
        })
        .collect()
}

fn resumed(missing: &[(u64, u64)]) -> Vec<Seg> {
    missing
        .iter()
        .filter(|(a, b)| a < b)
        .map(|&(a, b)| Seg {
            done: a,
            reserved: a,
            end: b,
            owned: false,
        })
        .collect()
}

/// A segmented part to continue, or why it cannot be: the caller then
/// runs the attempt as a fresh one.
fn continued<'a>(
    reporter: &'a Reporter,
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
    let t = Transfer::resumed(reporter, task, part, total, validator);
    Some((t, resumed(&missing)))
}

/// After every connection ended: the finished file, or what the next
/// attempt continues from.
fn settle<'a>(mut t: Transfer<'a>, map: Map) -> Finish<'a> {
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
        return Finish::Done(fetch::Attempt::failed(status, 0, FetchError::BadRange(reason)));
    }
    let e = map.failure.unwrap_or(FetchError::Cancelled);
    let stopped = t.ctl.paused() || t.reporter.stopping.load(Ordering::Relaxed);
    let again = e.is_retryable() || (matches!(e, FetchError::Cancelled) && stopped);
    let mut a = fetch::Attempt::failed(status, done, e);
    if again {
        let mut control = map.control;
        control.write(missing.clone());
        a.resume = Some(Resume::segmented(t.part, total, t.validator, missing));
    } else {
        t.part.keep = false; // the task is over: no part stays
    }
    Finish::Done(a)
}

// ---- blocking connections (sequential and threads backends) ----

/// Runs a segmented transfer on blocking connections: this thread is the
/// first one, each extra one gets a thread of its own (holding one of the
/// pool's connections, so the pool's size bounds them all).
pub(super) fn run_blocking<'a>(
    client: &reqwest::blocking::Client,
    room: &'a Room,
    task: &'a Task,
    mut t: Transfer<'a>,
    first: Option<reqwest::blocking::Response>,
    extra: Vec<Permit>,
) -> fetch::Attempt {
    let total = t.expected.unwrap_or(0);
    t.hash_when_assembled();
    if let Err(e) = t.part.preallocate(total) {
        return t.fail(e);
    }
    let segs = fresh(total, 1 + extra.len());
    drive_blocking(client, room, task, t, segs, first, extra)
}

/// Continues a segmented part with as many connections as the budget gives.
pub(super) fn resume_blocking<'a>(
    client: &reqwest::blocking::Client,
    config: &EngineConfig,
    room: &'a Room,
    task: &'a Task,
    resume: Box<Resume>,
) -> Option<fetch::Attempt> {
    let (t, segs) = continued(&room.reporter, task, resume)?;
    let extra = extra_connections(config, room, task);
    Some(drive_blocking(client, room, task, t, segs, None, extra))
}

fn drive_blocking<'a>(
    client: &reqwest::blocking::Client,
    room: &'a Room,
    task: &'a Task,
    mut t: Transfer<'a>,
    segs: Vec<Seg>,
    first: Option<reqwest::blocking::Response>,
    extra: Vec<Permit>,
) -> fetch::Attempt {
    let total = t.expected.unwrap_or(0);
    let map = {
        let shared = Shared::new(&room.reporter, task, &mut t, segs, total);
        let sh = &shared;
        std::thread::scope(|scope| {
            for (i, permit) in extra.into_iter().enumerate() {
                let spawned = std::thread::Builder::new()
                    .name(format!("fanout-seg-{}-{}", task.index, i + 1))
                    .spawn_scoped(scope, move || {
                        let _permit = permit;
                        connection_blocking(sh, client, None);
                    });
                if let Err(e) = spawned {
                    tracing::debug!(error = %e, "one connection fewer: no thread for it");
                }
            }
            connection_blocking(sh, client, first.map(|r| (0, r)));
        });
        shared.map.into_inner().unwrap_or_else(|p| p.into_inner())
    };
    settle(t, map).wait_blocking()
}

fn connection_blocking(
    sh: &Shared<'_>,
    client: &reqwest::blocking::Client,
    first: Option<(usize, reqwest::blocking::Response)>,
) {
    sh.connected(1);
    let mut first = first;
    let mut buf = ConnBuf::default();
    let mut read = vec![0u8; READ_BUFFER];
    'ranges: loop {
        let (seg, mut resp) = match first.take() {
            Some(open) => open,
            None => {
                if sh.stopped() {
                    break;
                }
                let Some((seg, from, to)) = sh.claim() else { break };
                let req = client
                    .get(sh.task.url.clone())
                    .headers(sh.range_headers(from, to));
                let checked = req.send().map_err(|e| fetch::transport_error(&e)).and_then(|r| {
                    sh.check_head(from, to, r.status(), r.headers(), r.content_length())
                        .map(|()| r)
                });
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
            if sh.stopped() {
                sh.stop(&mut buf, seg, FetchError::Cancelled);
                break 'ranges;
            }
            match resp.read(&mut read) {
                Ok(0) => {
                    let e = sh.ended_early(seg, None);
                    sh.stop(&mut buf, seg, e);
                    break 'ranges;
                }
                Ok(n) => match sh.accept(&mut buf, seg, &read[..n]) {
                    Ok(true) => continue 'ranges,
                    Ok(false) => {
                        let d = sh.pace(n);
                        if !d.is_zero() {
                            fetch::sleep_blocking(&sh.task.ctl, d);
                        }
                    }
                    Err(e) => {
                        sh.stop(&mut buf, seg, e);
                        break 'ranges;
                    }
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let e = sh.ended_early(seg, Some(&e));
                    sh.stop(&mut buf, seg, e);
                    break 'ranges;
                }
            }
        }
    }
    sh.connected(-1);
}

// ---- async connections (async backend) ----

/// [`run_blocking`] for the async backend: the connections are futures of
/// the task's own, polled together.
pub(super) async fn run_async<'a>(
    client: &reqwest::Client,
    room: &'a Room,
    task: &'a Task,
    mut t: Transfer<'a>,
    first: Option<reqwest::Response>,
    extra: Vec<Permit>,
) -> fetch::Attempt {
    let total = t.expected.unwrap_or(0);
    t.hash_when_assembled();
    if let Err(e) = t.part.preallocate(total) {
        return t.fail(e);
    }
    let segs = fresh(total, 1 + extra.len());
    drive_async(client, room, task, t, segs, first, extra).await
}

pub(super) async fn resume_async<'a>(
    client: &reqwest::Client,
    config: &EngineConfig,
    room: &'a Room,
    task: &'a Task,
    resume: Box<Resume>,
) -> Option<fetch::Attempt> {
    let (t, segs) = continued(&room.reporter, task, resume)?;
    let extra = extra_connections(config, room, task);
    Some(drive_async(client, room, task, t, segs, None, extra).await)
}

async fn drive_async<'a>(
    client: &reqwest::Client,
    room: &'a Room,
    task: &'a Task,
    mut t: Transfer<'a>,
    segs: Vec<Seg>,
    first: Option<reqwest::Response>,
    extra: Vec<Permit>,
) -> fetch::Attempt {
    let total = t.expected.unwrap_or(0);
    let map = {
        let shared = Shared::new(&room.reporter, task, &mut t, segs, total);
        let sh = &shared;
        let mut conns = vec![Box::pin(connection_async(
            sh,
            client,
            first.map(|r| (0, r)),
            None,
        ))];
        for permit in extra {
            conns.push(Box::pin(connection_async(sh, client, None, Some(permit))));
        }
        futures_util::future::join_all(conns).await;
        shared.map.into_inner().unwrap_or_else(|p| p.into_inner())
    };
    settle(t, map).wait().await
}

async fn connection_async(
    sh: &Shared<'_>,
    client: &reqwest::Client,
    first: Option<(usize, reqwest::Response)>,
    permit: Option<Permit>,
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
                let send = client
                    .get(sh.task.url.clone())
                    .headers(sh.range_headers(from, to))
                    .send();
                tokio::pin!(send);
                let sent = loop {
                    tokio::select! {
                        r = &mut send => break Some(r),
                        () = sh.task.ctl.wake.notified() => if sh.stopped() { break None },
                    }
                };
                let checked = match sent {
                    None => Err(FetchError::Cancelled),
                    Some(r) => r.map_err(|e| fetch::transport_error(&e)).and_then(|r| {
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
                    Ok(true) => continue 'ranges,
                    Ok(false) => fetch::sleep_async(&sh.task.ctl, sh.pace(chunk.len())).await,
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
    drop(permit);
    sh.connected(-1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ranges_cover_the_file_once() {
        for (total, n) in [(100u64, 3usize), (16 << 20, 8), (7, 7)] {
            let segs = fresh(total, n);
            assert_eq!(segs.len(), n);
            assert_eq!(segs[0].done, 0);
            assert_eq!(segs[n - 1].end, total);
            for w in segs.windows(2) {
                assert_eq!(w[0].end, w[1].done);
            }
            assert!(segs[0].owned && segs[1..].iter().all(|s| !s.owned));
        }
    }

    #[test]
    fn a_free_connection_takes_unowned_ranges_then_half_of_the_largest() {
        let mb = 1024 * 1024;
        let mut segs = fresh(8 * mb, 2);
        // The second range is nobody's yet: it goes first.
        assert_eq!(claim(&mut segs), Some((1, 4 * mb, 8 * mb)));
        // Both owned; the first has 3 MB left, the second 1 MB.
        segs[0].reserved = mb;
        segs[1].reserved = 7 * mb;
        let mid = mb + 3 * mb / 2;
        assert_eq!(claim(&mut segs), Some((2, mid, 4 * mb)));
        assert_eq!(segs[0].end, mid);
        // Everything left is under the split size: nothing to take.
        segs[0].reserved = mid - 10;
        segs[1].reserved = 8 * mb - 10;
        segs[2].reserved = 4 * mb - 10;
        assert_eq!(claim(&mut segs), None);
        // A range given up (its connection failed) is taken again from
        // what was written.
        segs[2].owned = false;
        segs[2].done = 3 * mb;
        assert_eq!(claim(&mut segs), Some((2, 3 * mb, 4 * mb)));
    }
}
