//! fanout's download engine: everything that downloads, and nothing of
//! a window. HTTP(S) with resume and several connections a file, HLS and
//! DASH streams, torrents and magnet links, Metalink mirrors, proxies,
//! per-site rules, and an aria2 daemon as a backend. The window,
//! `fanout get` and `fanout serve` all drive it through one [`Engine`].
//!
//! Data flows one way: [`Engine::submit`] queues a [`Job`]; a backend's
//! workers (one thread, a pool of threads, tasks on an async runtime, or
//! an aria2 daemon) run it; [`Event`]s come back on the channel given to
//! [`Engine::new`], and the [`Waker`] is called after them so a sleeping
//! listener can look. A [`FanIn`] releases results in submission order
//! where the caller wants `executor.map`'s order rather than
//! `as_completed`'s.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use fanout_engine::{BackendKind, Engine, EngineConfig, Event, Job};
//!
//! // A server on loopback that answers one request with 5 bytes.
//! let server = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("http://{}/hello.txt", server.local_addr()?);
//! std::thread::spawn(move || {
//!     let (mut socket, _) = server.accept().unwrap();
//!     let mut request = [0; 1024];
//!     let _ = socket.read(&mut request).unwrap();
//!     socket
//!         .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
//!         .unwrap();
//! });
//!
//! let folder = tempfile::tempdir()?;
//! let config = EngineConfig::new(BackendKind::Async { limit: 4 });
//! let (events, received) = crossbeam_channel::unbounded();
//! let engine = Engine::new(config, events, Arc::new(|| {}))?;
//! engine.submit(Job::new(url, folder.path()));
//! // Events arrive in the order they happen; a task ends with `Finished`.
//! let result = loop {
//!     if let Event::Finished(result) = received.recv()? {
//!         break result;
//!     }
//! };
//! let saved = result.outcome?;
//! assert_eq!(std::fs::read(&saved.path)?, b"hello");
//! assert_eq!(saved.path.file_name().unwrap(), "hello.txt");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The public API is what this file exports: the [`Engine`] handle, the
//! types of jobs, events and results, configuration, errors, and the few
//! modules whose functions the app calls by name (`auth`, `metalink`,
//! `naming`, `netrc`, `rules`, `sort`, and the lock helpers `sync`), and
//! an aria2 client made as the aria2 backend makes its own
//! ([`aria2_client`]). The rest is private.
//!
//! The modules, each importing only those above it in this list (a test
//! checks there is no cycle): `netrc` → `auth` → `proxy` → `rules`, `sort` →
//! `config`, `cookies`, `error`, `headers`, `bt`, `job`, `limit`,
//! `naming`, `hash`, `sync` (leaves), `metalink` (after `job`) → `http` →
//! `part` (part file, control file, resume lookup) → `queue` (tasks and
//! their controls) → `context` (what every worker shares: the listener,
//! the clock, the connection budget, the cookie jar) → `attempt` (what a
//! try produced, settled into the queue) → `event_loop` (the shared
//! runtime) → `transfer` (the one download loop: attempts, retries,
//! mirrors, segments) → `backend` (who runs transfers: threads, tokio
//! tasks, aria2) → this handle.

mod attempt;
pub mod auth;
mod backend;
mod bt;
mod config;
mod context;
mod cookies;
mod error;
mod event_loop;
mod fan_in;
mod hash;
mod headers;
mod http;
mod job;
mod limit;
pub mod metalink;
pub mod naming;
mod net;
pub mod netrc;
mod part;
mod proxy;
mod queue;
pub mod rules;
pub mod sort;
mod swarm;
pub mod sync;
mod transfer;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Sender;

use attempt::Attempt;
use backend::Backend;
pub use bt::{
    PeerNow, SwarmNow, TorrentFile, TorrentMeta, minutes_text, parse_minutes, parse_peer, parse_ratio,
    parse_select, ratio_text, select_text,
};
pub use config::{Aria2Remote, BackendKind, EngineConfig, EngineError, IfExists, TorrentConfig};
pub use cookies::parse as parse_cookies;
pub use error::{FetchError, Note, RangeError, RedirectError, Refusal, StreamError, TorrentError};
pub use fan_in::{FanIn, Order};
pub use headers::{Header, HeaderError, Headers};
pub use http::{crypto_provider, parse_url};
pub use job::{
    Event, Job, Part, Saved, SavedFile, SeedLimits, SegmentMap, StreamOptions, TaskResult, TorrentOptions,
    Worker, hex, parse_sha256,
};
pub use limit::{parse_duration, parse_rate};
pub use proxy::{ProxyChoice, ProxyConfig, ProxyServer};
pub use queue::{Phase, Place};

/// What an unfinished download of `url` left in `dir` to continue from:
/// its `.part` and control file (none if it left nothing).
pub fn left_behind(dir: &std::path::Path, url: &str) -> Vec<std::path::PathBuf> {
    part::left_behind::left_behind(dir, url)
}
pub use context::Waker;
use context::WorkerContext;
use queue::{Cancel, Pause, Task};
pub use transfer::stream::plan::Variant as StreamVariant;
pub use transfer::stream::probe::variants as stream_variants;

/// A count of files at once for each rule that sets a most.
fn slots(config: &EngineConfig) -> Vec<Option<Arc<rules::RuleSlot>>> {
    config
        .rules
        .0
        .iter()
        .map(|r| r.max_files.map(rules::RuleSlot::new))
        .collect()
}

/// Whether bytes are a whole `.torrent` file (a bencoded dictionary with
/// `info`): what `aria2.addTorrent` checks before it writes one.
pub fn is_torrent(bytes: &[u8]) -> bool {
    transfer::torrent::is_torrent(bytes)
}

/// The URL of a task: an http(s) URL, or a torrent (a `magnet:` link, the
/// path of a `.torrent` file). The add dialog checks its lines with it.
pub fn task_url(text: &str) -> Result<url::Url, FetchError> {
    http::parse_url(text).or_else(|e| transfer::torrent::source_url(text).ok_or(e))
}

/// Whether `text` is a `magnet:` link.
pub fn is_magnet(text: &str) -> bool {
    transfer::torrent::is_magnet(text)
}

/// Whether `text` names a torrent known as one before any request: a
/// `magnet:` link or a `.torrent` file on this machine (an http(s) URL
/// that serves one is known only once fetched).
pub fn is_torrent_source(text: &str) -> bool {
    transfer::torrent::source_url(text).is_some()
}

/// A client of an aria2 daemon, built as the engine's aria2 backend builds
/// its own (user agent, timeouts, TLS); the protocol is `aria2-rpc`'s.
pub fn aria2_client(remote: &Aria2Remote, config: &EngineConfig) -> Result<aria2_rpc::Client, EngineError> {
    backend::aria2_client(remote, config)
}

/// An aria2 download's status in the engine's terms: its events and how
/// it ended (the window's remote view reads a daemon's downloads so).
pub use backend::Aria2StatusEvents;

/// Checks that an aria2 daemon answers and takes the secret; its version.
pub fn probe_aria2(remote: &Aria2Remote, config: &EngineConfig) -> Result<String, EngineError> {
    backend::probe_aria2(remote, config)
}

/// The handle the front ends hold. Every call returns at once; everything
/// else arrives as [`Event`]s on the channel given to [`Engine::new`].
pub struct Engine {
    context: Arc<WorkerContext>,
    /// The I/O loop every local backend's transfers run on.
    event_loop: event_loop::EventLoop,
    config: EngineConfig,
    /// Per-site rules' counts of files at once, by rule (for those with a
    /// most).
    slots: Vec<Option<Arc<rules::RuleSlot>>>,
    backend: Box<dyn Backend>,
    /// Replaced backends whose workers still finish a transfer.
    retired: Mutex<Vec<Box<dyn Backend>>>,
    next_index: AtomicUsize,
}

impl Engine {
    pub fn new(config: EngineConfig, events: Sender<Event>, waker: Waker) -> Result<Self, EngineError> {
        let context = Arc::new(WorkerContext::new(events, waker));
        let event_loop = event_loop::EventLoop::start()?;
        let backend = backend::build(&config, context.clone(), &event_loop, context.queue.generation())?;
        Ok(Engine {
            context,
            event_loop,
            slots: slots(&config),
            config,
            backend,
            retired: Mutex::new(Vec::new()),
            next_index: AtomicUsize::new(0),
        })
    }

    /// Time since the engine started: the clock of its events' `at`.
    pub fn elapsed(&self) -> Duration {
        self.context.now()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The proxy downloads go through now, as it may be shown (`None`:
    /// direct). With the desktop's settings, the last one it named.
    pub fn proxy(&self) -> Option<String> {
        self.backend.proxy()
    }

    /// Switches to another backend or other settings. Tasks that have not
    /// started go to the new workers; running ones finish where they are.
    /// On an error the old settings stay in force.
    pub fn reconfigure(&mut self, config: EngineConfig) -> Result<(), EngineError> {
        if config == self.config {
            return Ok(());
        }
        // Build first, so a refused setting changes nothing; the new workers
        // wait on a generation that starts only below.
        let next = self.context.queue.generation() + 1;
        let backend = backend::build(&config, self.context.clone(), &self.event_loop, next)?;
        let generation = self.context.queue.next_generation();
        debug_assert_eq!(generation, next);
        let old = std::mem::replace(&mut self.backend, backend);
        let mut retired = sync::lock(&self.retired);
        retired.retain(|b| b.busy());
        retired.push(old);
        drop(retired);
        self.slots = slots(&config);
        // Over all torrents, at once (the session's own limit).
        self.context.swarm.set_upload_limit(config.torrent.upload_limit);
        self.config = config;
        Ok(())
    }

    /// Whether a replaced backend still runs a transfer (the GUI says so).
    pub fn running_on_old_backends(&self) -> bool {
        let mut retired = sync::lock(&self.retired);
        retired.retain(|b| b.busy());
        !retired.is_empty()
    }

    /// Queues a download and returns its submission index. A URL that is not
    /// http(s) fails its task right here, with a reason, without a worker.
    pub fn submit(&self, job: Job) -> usize {
        let index = self.next_index.fetch_add(1, Ordering::SeqCst);
        match task_url(&job.url) {
            Ok(url) => match auth::plain_auth_refused(&url, self.config.allow_plain_auth) {
                Some(host) => self.reject(index, &job.url, FetchError::PlainAuth { host }),
                None => self.context.queue.push(self.task(index, url, job)),
            },
            Err(e) => self.reject(index, &job.url, e),
        }
        index
    }

    /// Takes back a task from a saved queue without running it, at the next
    /// index (as `submit` would give): `paused` ones wait for
    /// [`Engine::resume`], the others (finished before) can be retried. No
    /// events are sent: the caller knows what it restored.
    pub fn restore(&self, job: Job, paused: bool) -> usize {
        let index = self.next_index.fetch_add(1, Ordering::SeqCst);
        if let Ok(url) = task_url(&job.url) {
            self.context.queue.restore(self.task(index, url, job), paused);
        }
        index
    }

    /// Completion ranks continue after `rank` (the last one of a restored
    /// queue), so `Done #` never repeats.
    pub fn continue_ranks_after(&self, rank: usize) {
        self.context.continue_ranks_after(rank);
    }

    /// The per-site rule that applies to `url`, by its host pattern.
    pub fn rule_for(&self, url: &str) -> Option<&rules::SiteRule> {
        let url = http::parse_url(url).ok()?;
        Some(self.config.rules.for_host(url.host_str()?)?.1)
    }

    /// A task for `job`, with the per-site rule of its host applied: what
    /// the job does not set itself (connections, a speed limit), the
    /// rule's folder, its headers under the job's own, and its count of
    /// files at once.
    fn task(&self, index: usize, url: url::Url, job: Job) -> Task {
        let mut task = Task::new(index, url, job);
        let Some((i, rule)) = task.url.host_str().and_then(|h| self.config.rules.for_host(h)) else {
            return task;
        };
        task.rule = Some(rule.hosts.clone());
        task.segments = task
            .segments
            .or(rule.connections.map(|n| n.min(EngineConfig::MAX_SEGMENTS)));
        if task.ctl.limit.get().is_none() {
            task.ctl.limit.set(rule.limit);
        }
        if let Some(folder) = &rule.folder {
            task.dir = folder.clone();
        }
        let mut headers = rule.headers.to_map();
        headers.extend(std::mem::take(&mut task.headers));
        task.headers = headers;
        task.slot = self.slots.get(i).cloned().flatten();
        task
    }

    fn reject(&self, index: usize, url: &str, e: FetchError) {
        let now = self.context.now();
        let result = Attempt::failed(None, 0, e).result(index, &auth::redact(url), Worker::Rejected, now);
        self.context.finished(result);
    }

    /// Gives a restored task (paused or ended) the URL and headers that
    /// were kept apart from the saved queue (its password, its cookies):
    /// see the app's `service::store::TaskSecret`. False if the task is not there
    /// or the URL is not one.
    pub fn give_secrets(&self, index: usize, url: &str, headers: &Headers) -> bool {
        let Ok(url) = http::parse_url(url) else {
            return false;
        };
        self.context.queue.amend(index, |task| {
            task.url = url;
            task.headers = headers.to_map();
        })
    }

    /// While paused, no task starts; running ones go on.
    pub fn set_paused(&self, paused: bool) {
        self.context.queue.set_paused(paused);
    }

    /// Pauses a queued or running task. A running one stops at once (its
    /// waits are woken), keeps its `.part` and reports [`Event::Paused`]; on
    /// resume it continues from the `.part` where the server allows.
    pub fn pause(&self, index: usize) -> bool {
        let paused = || {
            let at = self.context.now();
            self.context.emit(Event::Paused { index, at })
        };
        match self.context.queue.pause(index, paused) {
            Pause::Held => true,
            Pause::Stopping => true,
            Pause::No => false,
        }
    }

    /// Moves a queued or paused task in the start order of both (aria2's
    /// `changePosition` on its waiting list); its place now (0 is the
    /// head), or `None` if it is running or ended. A paused task keeps the
    /// place it is moved to, and starts from there once resumed.
    pub fn move_to(&self, index: usize, place: Place) -> Option<usize> {
        self.context.queue.move_to(index, place)
    }

    /// The queued and paused tasks in one line, the head first, as aria2
    /// lists its waiting ones: queued tasks start in this order, a paused
    /// one stands where it will start once resumed (one paused while it
    /// ran goes to the head).
    pub fn waiting(&self) -> Vec<usize> {
        self.context.queue.waiting()
    }

    /// Where a task is now, as the queue knows it the moment it is asked
    /// (ahead of the events that will say so); `None` once it is done.
    pub fn phase(&self, index: usize) -> Option<Phase> {
        self.context.queue.phase(index)
    }

    /// Whether a queued task starts now: it is the next in line (the
    /// queue is not paused, no rule holds it back) and the backend has a
    /// connection free.
    pub fn starts_now(&self, index: usize) -> bool {
        self.context.queue.is_next(index)
            && self
                .config
                .backend
                .limit()
                .is_none_or(|limit| self.backend.connections() < limit)
    }

    /// Queues a paused task again, in its place in the start order.
    pub fn resume(&self, index: usize) -> bool {
        // A running task whose pause it had not seen yet just goes on; a
        // held one is reported queued before a worker can pick it up.
        let queued = || {
            let at = self.context.now();
            self.context.emit(Event::Queued { index, at })
        };
        self.context.queue.resume(index, queued)
    }

    /// Cancels a queued, paused or running task; it ends as
    /// [`FetchError::Cancelled`] and leaves no `.part`.
    pub fn cancel(&self, index: usize) -> bool {
        match self.context.queue.cancel(index) {
            Cancel::NotStarted(url) => {
                self.reject(index, &url, FetchError::Cancelled);
                true
            }
            Cancel::Stopping => true,
            Cancel::No => false,
        }
    }

    /// Chooses a torrent's files anew (0-based; `None`: all). A running
    /// torrent is added again with them at its next look (within a
    /// second), keeping the pieces it verified; a paused or ended one
    /// takes them when it starts again, a queued one at its first look.
    /// False if the task is not there.
    pub fn select_files(&self, index: usize, files: Option<Vec<usize>>) -> bool {
        let held = self.context.queue.amend(index, |task| {
            task.torrent.select = files.clone();
            // Chosen: a torrent that waited for this (`pause_metadata`)
            // goes on when resumed.
            task.torrent.pause_metadata = false;
        });
        held || self.tell_transfer(index, |ctl| *sync::lock(&ctl.reselect) = Some(files))
    }

    /// Replaces a torrent's choices: its seeding limits, trackers, upload
    /// limit, files. A paused (or ended) one takes them when it starts
    /// again; a running one at its next look (within a second): seeding
    /// limits as they are, the rest by adding it again with them (its
    /// verified pieces kept). False if the task is not there.
    pub fn set_torrent_options(&self, index: usize, options: TorrentOptions) -> bool {
        if self
            .context
            .queue
            .amend(index, |task| task.torrent = options.clone())
        {
            return true;
        }
        // Running, or queued: its transfer takes them at its next look
        // (seeding limits at once, the rest by adding it again).
        self.tell_transfer(index, |ctl| *sync::lock(&ctl.retorrent) = Some(options))
    }

    /// Leaves a change for a running (or queued) task's transfer with
    /// `leave`, and wakes it to look; false if the task is not there.
    fn tell_transfer(&self, index: usize, leave: impl FnOnce(&queue::TaskCtl)) -> bool {
        match self.context.queue.ctl(index) {
            Some(ctl) => {
                leave(&ctl);
                ctl.wake.notify_one();
                true
            }
            None => false,
        }
    }

    /// Queues a task that failed or was cancelled once more. Its new result
    /// gets a new completion rank.
    pub fn retry(&self, index: usize) -> bool {
        let queued = || {
            let at = self.context.now();
            self.context.emit(Event::Queued { index, at })
        };
        self.context.queue.retry(index, queued)
    }

    /// Tasks waiting to start, paused, and running.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.context.queue.counts()
    }

    /// Connections open now, over the current backend and any replaced one
    /// still finishing: a segmented download counts each of its own.
    pub fn connections(&self) -> usize {
        let retired = sync::lock(&self.retired);
        self.backend.connections() + retired.iter().map(|b| b.connections()).sum::<usize>()
    }

    /// The speed limit over all downloads, in bytes per second; `None`
    /// lifts it. Running transfers follow it from their next chunk.
    pub fn set_rate_limit(&self, rate: Option<u64>) {
        self.context.limit.set(rate);
    }

    pub fn rate_limit(&self) -> Option<u64> {
        self.context.limit.get()
    }

    /// A speed limit for one task (besides the global one), also while it
    /// runs. False if there is no such task.
    pub fn set_task_rate_limit(&self, index: usize, rate: Option<u64>) -> bool {
        match self.context.queue.ctl(index) {
            Some(ctl) => {
                ctl.limit.set(rate);
                true
            }
            None => false,
        }
    }
}

impl Drop for Engine {
    /// Running transfers stop as if paused, so a `.part` with a control file
    /// stays for the next run to continue; queued ones are dropped. Nothing
    /// here waits on the network.
    fn drop(&mut self) {
        self.context.stopping.store(true, Ordering::SeqCst);
        self.context.queue.close();
    }
}
