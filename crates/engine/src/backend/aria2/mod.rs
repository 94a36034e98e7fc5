//! A remote engine: an aria2 daemon driven over its JSON-RPC interface, so
//! the same queue, progress, completion order and ordered results work for
//! downloads that run on another machine (a home server, a NAS, a seedbox).
//!
//! Two threads: a dispatcher that hands the next task to aria2
//! (`aria2.addUri`, `aria2.addTorrent` for a `.torrent`, or
//! `aria2.unpause` for one paused there) when the
//! backend's budget has room, and a poller that asks for the state of every
//! download it handed over, a few times a second, in one `system.multicall`
//! of `aria2.tellStatus` with only the keys it needs. It maps aria2's states
//! and error codes to fanout's events and errors, and a pause or cancel to
//! `aria2.forcePause` / `aria2.forceRemove`. aria2 sends numbers as strings:
//! they are parsed strictly, and a bad one is an error, never a zero.
//!
//! When the daemon cannot be reached, nothing fails: the poller reports the
//! connection as lost ([`Event::Remote`]) and tries again every second; the
//! downloads go on there and their states come back with the connection.
//!
//! A magnet's metadata download, once complete, is followed by the
//! torrent's real download under a new gid (`followedBy`): the poller then
//! follows that gid for the task.

mod connect;
mod poll;
mod types;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

pub use self::connect::{client, probe};
use self::poll::Poller;
pub use self::types::StatusEvents;
use super::Backend;
use crate::attempt::{Attempt, settle};
use crate::config::{EngineConfig, EngineError, IfExists};
use crate::context::{ConnectionBudget, ConnectionPermit, WorkerContext};
use crate::error::FetchError;
use crate::job::Worker;
use crate::proxy::{ProxyChoice, ProxyConfig};
use crate::queue::Task;
use crate::sync;
use aria2_rpc::{CallError, Client};

/// How often the poller asks for the downloads' states.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// How long to wait before trying an unreachable daemon again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
const WORKER: Worker = Worker::Aria2;

/// A download handed to aria2.
pub(super) struct Entry {
    task: Task,
    started: Duration,
    /// The connection it holds of the backend's budget.
    _permit: ConnectionPermit,
    named: bool,
    /// A pause or cancel was sent for it.
    asked_to_stop: bool,
}

pub(crate) struct Aria2Backend {
    running: Arc<AtomicUsize>,
    budget: ConnectionBudget,
    stop: Arc<AtomicBool>,
    /// The proxy it asks aria2 to use, as shown.
    proxy: Option<String>,
}

impl Drop for Aria2Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

pub(super) type Tracked = Arc<Mutex<HashMap<String, Entry>>>;

impl Aria2Backend {
    pub(crate) fn new(
        config: &EngineConfig,
        context: Arc<WorkerContext>,
        generation: u64,
        limit: usize,
    ) -> Result<Self, EngineError> {
        let remote = config
            .aria2
            .as_ref()
            .ok_or_else(|| EngineError::Config("the aria2 engine needs the daemon's RPC address".into()))?;
        // No network here: this runs on the caller's thread (the window's,
        // when the engine is switched). The poller checks the daemon first.
        let rpc = Arc::new(client(remote, config)?);
        let budget = ConnectionBudget::new(context.clone(), Some(limit.max(1)));
        let running = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let tracked: Tracked = Arc::default();
        let (discard_tx, discard_rx) = crossbeam_channel::unbounded::<String>();
        let options = AddOptions::new(config)?;

        {
            let (rpc, budget, tracked, running) =
                (rpc.clone(), budget.clone(), tracked.clone(), running.clone());
            let context = context.clone();
            std::thread::Builder::new()
                .name("fanout-aria2-add".into())
                .spawn(move || {
                    while let Some((mut task, permit)) = budget.pop(generation) {
                        running.fetch_add(1, Ordering::SeqCst);
                        let started = context.started(task.index, WORKER);
                        let replaced = || context.queue.generation() > generation;
                        match hand_over(&rpc, &mut task, &options, replaced) {
                            Ok(gid) => {
                                let entry = Entry {
                                    task,
                                    started,
                                    _permit: permit,
                                    named: false,
                                    asked_to_stop: false,
                                };
                                sync::lock(&tracked).insert(gid, entry);
                            }
                            Err(e) => {
                                // None: requeued (a halted transfer whose
                                // task still runs goes back in line).
                                let e = e.unwrap_or(FetchError::Cancelled);
                                settle(&context, task, WORKER, started, Attempt::failed(None, 0, e));
                                drop(permit);
                                running.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                    }
                })?;
        }
        {
            let (rpc, tracked, running, stop) = (rpc, tracked, running.clone(), stop.clone());
            let url = remote.url.clone();
            std::thread::Builder::new()
                .name("fanout-aria2-poll".into())
                .spawn(move || {
                    let mut poller = Poller {
                        rpc,
                        context,
                        tracked,
                        running,
                        discard: discard_tx,
                        // Unknown until the first answer, which is reported
                        // either way (a window may show a previous daemon's).
                        connected: None,
                        url,
                    };
                    poller.hello();
                    while !stop.load(Ordering::SeqCst) {
                        for gid in discard_rx.try_iter() {
                            let _ = poller.rpc.call("aria2.forceRemove", vec![json!(gid)]);
                            let _ = poller.rpc.call("aria2.removeDownloadResult", vec![json!(gid)]);
                        }
                        let wait = poller.poll();
                        std::thread::sleep(wait);
                    }
                })?;
        }
        let proxy = match &config.proxy.choice {
            ProxyChoice::Manual(p) => Some(p.shown()),
            ProxyChoice::System | ProxyChoice::Direct => None,
        };
        Ok(Aria2Backend {
            running,
            budget,
            stop,
            proxy,
        })
    }
}

/// The options fanout maps onto `aria2.addUri`.
#[derive(Clone)]
struct AddOptions {
    split: usize,
    /// Sorting: aria2 is given the category's folder when the URL's name
    /// says it (aria2 moves nothing after the fact).
    sort: Option<std::sync::Arc<crate::sort::Categories>>,
    /// Options every download gets: the proxy (none: the daemon's own)
    /// and what to do with a file that is there.
    common: serde_json::Map<String, Value>,
}

impl AddOptions {
    fn new(config: &EngineConfig) -> Result<Self, EngineError> {
        let mut common = proxy_options(&config.proxy)?;
        match config.if_exists {
            IfExists::Rename => {}
            // aria2's own conditional GET: If-Modified-Since from the file's
            // date, and the file replaced when the server's is newer.
            IfExists::Update => {
                common.insert("conditional-get".into(), json!("true"));
                common.insert("allow-overwrite".into(), json!("true"));
            }
            IfExists::Skip => {
                return Err(EngineError::Config(
                    "aria2 cannot skip files that exist (it fails them): choose rename or update".into(),
                ));
            }
        }
        Ok(AddOptions {
            split: config.segments.clamp(1, 16),
            sort: config.sort.clone(),
            common,
        })
    }

    fn for_task(&self, task: &Task) -> Value {
        // aria2 allows at most 16 connections to one server.
        let split = task.segments.unwrap_or(self.split).clamp(1, 16);
        let mut o = self.common.clone();
        // A folder on the remote machine, as typed; none (or `.`) leaves it
        // to the daemon's own --dir.
        let name = task
            .name
            .clone()
            .or_else(|| crate::naming::name_from_url(&task.url));
        // Only under a folder fanout names: the daemon's own --dir is not
        // known here.
        let own_dir = task.dir.as_os_str().is_empty() || task.dir == std::path::Path::new(".");
        let into = self
            .sort
            .as_ref()
            .filter(|_| !own_dir)
            .zip(name)
            .and_then(|(c, n)| c.by_extension(&n).map(str::to_string));
        let dir = match into {
            Some(sub) => task.dir.join(sub),
            None => task.dir.clone(),
        };
        let dir = dir.to_string_lossy();
        if !dir.is_empty() && dir != "." {
            o.insert("dir".into(), json!(dir));
        }
        o.insert("split".into(), json!(split.to_string()));
        o.insert("max-connection-per-server".into(), json!(split.to_string()));
        if let Some(rate) = task.ctl.limit.get() {
            o.insert("max-download-limit".into(), json!(rate.to_string()));
        }
        if let Some(digest) = task.sha256 {
            o.insert(
                "checksum".into(),
                json!(format!("sha-256={}", crate::job::hex(&digest))),
            );
        }
        if let Some(name) = &task.name {
            o.insert("out".into(), json!(name));
        }
        // A path on this machine; right for a daemon on it.
        if let Some(file) = &task.cookies {
            o.insert("load-cookies".into(), json!(file.to_string_lossy()));
        }
        // The download's own headers, as aria2's `header` list (aria2
        // sends them with every request of the download).
        let headers: Vec<String> = task
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if !headers.is_empty() {
            o.insert("header".into(), json!(headers));
        }
        torrent_options(&task.torrent, &mut o);
        Value::Object(o)
    }
}

/// A torrent's choices as aria2's options. Seeding as fanout means it:
/// neither limit set stops at completion (aria2 would seed to a ratio of
/// 1.0), a time alone is not cut short by aria2's default ratio. Peers
/// given by hand are not passed: aria2 takes none.
fn torrent_options(t: &crate::job::TorrentOptions, o: &mut serde_json::Map<String, Value>) {
    use crate::bt::{minutes_text, ratio_text, select_text};
    if let Some(select) = &t.select {
        o.insert("select-file".into(), json!(select_text(select)));
    }
    let (ratio, time) = match (t.seed.ratio_milli, t.seed.time) {
        (None, None) => (None, Some(std::time::Duration::ZERO)),
        (None, Some(time)) => (Some(0), Some(time)),
        (ratio, time) => (ratio, time),
    };
    if let Some(r) = ratio {
        o.insert("seed-ratio".into(), json!(ratio_text(r)));
    }
    if let Some(time) = time {
        o.insert("seed-time".into(), json!(minutes_text(time)));
    }
    if !t.trackers.is_empty() {
        o.insert("bt-tracker".into(), json!(t.trackers.join(",")));
    }
    if let Some(limit) = t.upload_limit {
        o.insert("max-upload-limit".into(), json!(limit.to_string()));
    }
    if t.pause_metadata {
        o.insert("pause-metadata".into(), json!("true"));
    }
}

/// How a task goes to aria2: a `.torrent` on this machine as its bytes
/// (`aria2.addTorrent`), anything else by URI (a magnet too).
fn add_call(task: &Task, options: &AddOptions) -> Result<(&'static str, Vec<Value>), FetchError> {
    use base64::Engine as _;
    if task.url.scheme() == "file" {
        let path = task
            .url
            .to_file_path()
            .map_err(|()| FetchError::InvalidUrl(task.raw_url.clone()))?;
        let bytes = std::fs::read(&path).map_err(|e| FetchError::io(&path, &e))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        return Ok((
            "aria2.addTorrent",
            vec![json!(b64), json!([]), options.for_task(task)],
        ));
    }
    // Its mirrors too: aria2 takes several URIs as one file's.
    let uris: Vec<&str> = std::iter::once(task.url.as_str())
        .chain(task.mirrors.iter().map(String::as_str))
        .collect();
    Ok(("aria2.addUri", vec![json!(uris), options.for_task(task)]))
}

/// The proxy settings as aria2 takes them with each download. `System`
/// leaves the daemon's own (it runs with its own environment, maybe on
/// another machine); `Direct` overrides them with an empty `all-proxy`, as
/// aria2's manual says. aria2 speaks no SOCKS.
fn proxy_options(proxy: &ProxyConfig) -> Result<serde_json::Map<String, Value>, EngineError> {
    let mut o = serde_json::Map::new();
    match &proxy.choice {
        ProxyChoice::System => return Ok(o),
        ProxyChoice::Direct => {
            o.insert("all-proxy".into(), json!(""));
        }
        ProxyChoice::Manual(p) => {
            let url = p.url();
            if !matches!(url.scheme(), "http" | "https") {
                return Err(EngineError::Config(format!(
                    "aria2 cannot use the proxy {}: it speaks only HTTP proxies",
                    p.shown()
                )));
            }
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let mut bare = url.clone();
            let _ = bare.set_username("");
            let _ = bare.set_password(None);
            o.insert("all-proxy".into(), json!(bare.as_str()));
            if !url.username().is_empty() {
                o.insert("all-proxy-user".into(), json!(decode(url.username())));
                o.insert(
                    "all-proxy-passwd".into(),
                    json!(decode(url.password().unwrap_or(""))),
                );
            }
        }
    }
    if let Some(list) = &proxy.no_proxy {
        o.insert("no-proxy".into(), json!(list));
    }
    Ok(o)
}

/// Gives a task to aria2: its paused download again, or a new one.
/// `Err(None)`: the backend was replaced while the daemon was out of reach;
/// the task goes back to the queue for the new one.
fn hand_over(
    rpc: &Client,
    task: &mut Task,
    options: &AddOptions,
    replaced: impl Fn() -> bool,
) -> Result<String, Option<FetchError>> {
    loop {
        let result = match task.remote.take() {
            Some(r) => match rpc.call("aria2.unpause", vec![json!(r.gid)]) {
                Ok(_) => Ok(r.gid),
                // Gone from the daemon meanwhile (restarted): add it anew.
                Err(CallError::Fault { .. }) => continue,
                Err(e) => {
                    task.remote = Some(r);
                    Err(e)
                }
            },
            None => {
                let (method, params) = add_call(task, options).map_err(Some)?;
                rpc.call_as::<String>(method, params)
            }
        };
        match result {
            Ok(gid) => return Ok(gid),
            Err(CallError::Unreachable(_)) if replaced() => return Err(None),
            // Not reachable: the download waits for the daemon, unless the
            // user stops it meanwhile.
            Err(CallError::Unreachable(_)) if !task.ctl.halted() => std::thread::sleep(RECONNECT_EVERY),
            Err(CallError::Unreachable(why)) => return Err(Some(FetchError::Remote(why))),
            Err(CallError::Unauthorized) => {
                return Err(Some(FetchError::Remote(
                    "aria2 refused the secret token: check the secret".into(),
                )));
            }
            Err(e) => return Err(Some(FetchError::Remote(e.to_string()))),
        }
    }
}

impl Backend for Aria2Backend {
    fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    fn proxy(&self) -> Option<String> {
        self.proxy.clone()
    }

    fn connections(&self) -> usize {
        self.budget.count.used()
    }
}
