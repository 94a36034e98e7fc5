//! A remote engine: an aria2 daemon driven over its JSON-RPC interface, so
//! the same queue, progress, completion order and ordered results work for
//! downloads that run on another machine (a home server, a NAS, a seedbox).
//!
//! Two threads: a dispatcher that hands the next task to aria2
//! (`aria2.addUri`, or `aria2.unpause` for one paused there) when the
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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::Backend;
use crate::engine::fetch::Attempt;
use crate::engine::job::{Event, FetchError, Saved};
use crate::engine::queue::{RemoteGid, Task};
use crate::engine::{Aria2Remote, EngineConfig, EngineError, Permit, Reporter, Room};

/// How often the poller asks for the downloads' states.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// How long to wait before trying an unreachable daemon again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
const WORKER: &str = "aria2";
/// What the poller asks about each download.
const KEYS: [&str; 8] = [
    "gid",
    "status",
    "totalLength",
    "completedLength",
    "errorCode",
    "errorMessage",
    "files",
    "connections",
];

/// Why a call did not get a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RpcError {
    /// No answer (connection refused, timeout, not JSON-RPC): try again.
    Unreachable(String),
    /// The daemon refused the secret token.
    Unauthorized,
    /// The daemon answered the call with an error.
    Fault { code: i64, message: String },
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Unreachable(why) => write!(f, "cannot reach aria2: {why}"),
            RpcError::Unauthorized => write!(f, "aria2 refused the secret token (Unauthorized)"),
            RpcError::Fault { code, message } => write!(f, "aria2 error {code}: {message}"),
        }
    }
}

/// A JSON-RPC client for one daemon. The token goes first in every call's
/// parameters, as aria2 wants; it is never logged.
pub(crate) struct Rpc {
    client: reqwest::blocking::Client,
    url: String,
    token: Option<String>,
}

impl Rpc {
    pub(crate) fn new(remote: &Aria2Remote, config: &EngineConfig) -> Result<Rpc, EngineError> {
        let url = reqwest::Url::parse(&remote.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                EngineError::Config(format!(
                    "{:?} is not an aria2 RPC address: expected http://HOST:6800/jsonrpc",
                    remote.url
                ))
            })?;
        let client = reqwest::blocking::Client::builder()
            .user_agent(&config.user_agent)
            .connect_timeout(config.connect_timeout.min(Duration::from_secs(10)))
            // A daemon that stops answering counts as lost after this long.
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| EngineError::Client(e.to_string()))?;
        Ok(Rpc {
            client,
            url: url.to_string(),
            token: remote.secret.as_ref().map(|s| format!("token:{s}")),
        })
    }

    /// The parameters of a call, with the token in front.
    fn params(&self, params: Vec<Value>) -> Vec<Value> {
        let mut out = Vec::with_capacity(params.len() + 1);
        if let Some(token) = &self.token {
            out.push(Value::String(token.clone()));
        }
        out.extend(params);
        out
    }

    fn post(&self, body: &Value) -> Result<Value, RpcError> {
        let resp = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(|e| RpcError::Unreachable(crate::engine::fetch::transport_error(&e).to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .map_err(|e| RpcError::Unreachable(crate::engine::fetch::transport_error(&e).to_string()))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| RpcError::Unreachable(format!("HTTP {status} without a JSON-RPC answer")))
    }

    pub(crate) fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": "fanout", "method": method, "params": self.params(params)});
        answer(self.post(&body)?)
    }

    /// Several calls in one request; each gets its own result.
    fn multicall(&self, calls: &[(&str, Vec<Value>)]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(m, p)| json!({"methodName": m, "params": self.params(p.clone())}))
            .collect();
        // The token goes inside each call, not on the multicall itself.
        let body = json!({"jsonrpc": "2.0", "id": "fanout", "method": "system.multicall", "params": [calls]});
        let results = answer(self.post(&body)?)?;
        let results = results
            .as_array()
            .ok_or_else(|| RpcError::Unreachable("system.multicall did not answer a list".into()))?;
        Ok(results
            .iter()
            .map(|r| match r {
                // A result comes wrapped in a one-element list; a fault as an object.
                Value::Array(v) if v.len() == 1 => Ok(v[0].clone()),
                Value::Object(_) => Err(fault(r)),
                other => Err(RpcError::Unreachable(format!(
                    "unexpected multicall answer {other}"
                ))),
            })
            .collect())
    }
}

fn fault(e: &Value) -> RpcError {
    let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = e
        .get("message")
        .or_else(|| e.get("faultString"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if message == "Unauthorized" {
        RpcError::Unauthorized
    } else {
        RpcError::Fault { code, message }
    }
}

fn answer(v: Value) -> Result<Value, RpcError> {
    if let Some(e) = v.get("error") {
        return Err(fault(e));
    }
    v.get("result")
        .cloned()
        .ok_or_else(|| RpcError::Unreachable("an answer without a result".into()))
}

/// A number aria2 sent as a string, strictly: digits only.
fn number(v: &Value, key: &str) -> Result<u64, String> {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("aria2 sent no {key}"))?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("aria2 sent {key} = {s:?}, not a number"));
    }
    s.parse()
        .map_err(|_| format!("aria2 sent {key} = {s:?}, out of range"))
}

/// aria2's exit codes (its manual, "EXIT STATUS") in fanout's words.
fn error_of(code: &str, message: &str) -> FetchError {
    let message = message.to_string();
    match code {
        "3" => FetchError::Http {
            status: 404,
            reason: "Not Found".into(),
        },
        "24" => FetchError::Http {
            status: 401,
            reason: "Unauthorized".into(),
        },
        "2" | "5" => FetchError::Timeout(message),
        "6" => FetchError::Transport(message),
        "19" => FetchError::Connect(message),
        "9" => FetchError::Io {
            path: "the remote folder".into(),
            detail: message,
        },
        "13" => FetchError::Io {
            path: "the remote folder".into(),
            detail: message,
        },
        _ => FetchError::Remote(format!("aria2 error {code}: {message}")),
    }
}

/// Asks the daemon for its version: `Ok(version)`, or why it cannot be
/// used (unreachable, or the secret refused).
pub(crate) fn probe(remote: &Aria2Remote, config: &EngineConfig) -> Result<String, EngineError> {
    let rpc = Rpc::new(remote, config)?;
    match rpc.call("aria2.getVersion", vec![]) {
        Ok(v) => Ok(v
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()),
        Err(RpcError::Unauthorized) => Err(EngineError::Remote(format!(
            "aria2 at {} refused the secret token: check the secret",
            remote.url
        ))),
        Err(e) => Err(EngineError::Remote(format!("aria2 at {}: {e}", remote.url))),
    }
}

/// A download handed to aria2.
struct Entry {
    task: Task,
    started: Duration,
    /// The connection it holds of the backend's budget.
    _permit: Permit,
    named: bool,
    /// A pause or cancel was sent for it.
    asked_to_stop: bool,
}

pub(crate) struct Aria2Backend {
    running: Arc<AtomicUsize>,
    room: Room,
    stop: Arc<AtomicBool>,
}

impl Drop for Aria2Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

type Tracked = Arc<Mutex<HashMap<String, Entry>>>;

impl Aria2Backend {
    pub(crate) fn new(
        config: &EngineConfig,
        reporter: Arc<Reporter>,
        generation: u64,
        limit: usize,
    ) -> Result<Self, EngineError> {
        let remote = config
            .aria2
            .as_ref()
            .ok_or_else(|| EngineError::Config("the aria2 engine needs the daemon's RPC address".into()))?;
        // No network here: this runs on the caller's thread (the window's,
        // when the engine is switched). The poller checks the daemon first.
        let rpc = Arc::new(Rpc::new(remote, config)?);
        let room = Room::new(reporter.clone(), Some(limit.max(1)));
        let running = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let tracked: Tracked = Arc::default();
        let (discard_tx, discard_rx) = crossbeam_channel::unbounded::<String>();
        let options = AddOptions::new(config);

        {
            let (rpc, room, tracked, running) = (rpc.clone(), room.clone(), tracked.clone(), running.clone());
            let reporter = reporter.clone();
            std::thread::Builder::new()
                .name("fanout-aria2-add".into())
                .spawn(move || {
                    while let Some((mut task, permit)) = room.pop(generation) {
                        running.fetch_add(1, Ordering::SeqCst);
                        let started = reporter.started(task.index, WORKER);
                        let replaced = || reporter.queue.generation() > generation;
                        match hand_over(&rpc, &mut task, &options, replaced) {
                            Ok(gid) => {
                                let entry = Entry {
                                    task,
                                    started,
                                    _permit: permit,
                                    named: false,
                                    asked_to_stop: false,
                                };
                                tracked
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .insert(gid, entry);
                            }
                            Err(e) => {
                                // None: requeued (a halted transfer whose
                                // task still runs goes back in line).
                                let e = e.unwrap_or(FetchError::Cancelled);
                                reporter.settle(task, WORKER, started, Attempt::failed(None, 0, e));
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
                        reporter,
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
        Ok(Aria2Backend { running, room, stop })
    }
}

/// The options fanout maps onto `aria2.addUri`.
#[derive(Clone)]
struct AddOptions {
    split: usize,
}

impl AddOptions {
    fn new(config: &EngineConfig) -> Self {
        AddOptions {
            split: config.segments.clamp(1, 16),
        }
    }

    fn for_task(&self, task: &Task) -> Value {
        // aria2 allows at most 16 connections to one server.
        let split = task.segments.unwrap_or(self.split).clamp(1, 16);
        let mut o = serde_json::Map::new();
        // A folder on the remote machine, as typed; none (or `.`) leaves it
        // to the daemon's own --dir.
        let dir = task.dir.to_string_lossy();
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
                json!(format!("sha-256={}", crate::engine::hex(&digest))),
            );
        }
        Value::Object(o)
    }
}

/// Gives a task to aria2: its paused download again, or a new one.
/// `Err(None)`: the backend was replaced while the daemon was out of reach;
/// the task goes back to the queue for the new one.
fn hand_over(
    rpc: &Rpc,
    task: &mut Task,
    options: &AddOptions,
    replaced: impl Fn() -> bool,
) -> Result<String, Option<FetchError>> {
    loop {
        let result = match task.remote.take() {
            Some(r) => match rpc.call("aria2.unpause", vec![json!(r.gid)]) {
                Ok(_) => Ok(r.gid),
                // Gone from the daemon meanwhile (restarted): add it anew.
                Err(RpcError::Fault { .. }) => continue,
                Err(e) => {
                    task.remote = Some(r);
                    Err(e)
                }
            },
            None => rpc
                .call(
                    "aria2.addUri",
                    vec![json!([task.url.as_str()]), options.for_task(task)],
                )
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| RpcError::Unreachable("addUri answered no GID".into()))
                }),
        };
        match result {
            Ok(gid) => return Ok(gid),
            Err(RpcError::Unreachable(_)) if replaced() => return Err(None),
            // Not reachable: the download waits for the daemon, unless the
            // user stops it meanwhile.
            Err(RpcError::Unreachable(_)) if !task.ctl.halted() => std::thread::sleep(RECONNECT_EVERY),
            Err(RpcError::Unreachable(why)) => return Err(Some(FetchError::Remote(why))),
            Err(RpcError::Unauthorized) => {
                return Err(Some(FetchError::Remote(
                    "aria2 refused the secret token: check the secret".into(),
                )));
            }
            Err(e) => return Err(Some(FetchError::Remote(e.to_string()))),
        }
    }
}

struct Poller {
    rpc: Arc<Rpc>,
    reporter: Arc<Reporter>,
    tracked: Tracked,
    running: Arc<AtomicUsize>,
    discard: crossbeam_channel::Sender<String>,
    connected: Option<bool>,
    url: String,
}

impl Poller {
    fn set_connected(&mut self, connected: bool, detail: String) {
        if self.connected != Some(connected) {
            self.connected = Some(connected);
            self.reporter.emit(Event::Remote { connected, detail });
        }
    }

    /// Says at once whether the daemon answers and takes the secret (a
    /// wrong secret is a setting to fix: tasks handed over fail with it).
    fn hello(&mut self) {
        match self.rpc.call("aria2.getVersion", vec![]) {
            Ok(v) => {
                let version = v.get("version").and_then(Value::as_str).unwrap_or("?");
                self.set_connected(true, format!("connected to aria2 {version} at {}", self.url));
            }
            Err(RpcError::Unauthorized) => self.set_connected(
                false,
                format!("aria2 at {} refused the secret token: check the secret", self.url),
            ),
            Err(e) => self.set_connected(false, format!("{e} at {}; reconnecting", self.url)),
        }
    }

    /// One round: pass on pauses and cancels, read every state, report.
    /// Returns how long to wait before the next.
    fn poll(&mut self) -> Duration {
        let gids: Vec<(String, bool, bool)> = {
            let tracked = self.tracked.lock().unwrap_or_else(|p| p.into_inner());
            tracked
                .iter()
                .map(|(gid, e)| {
                    (
                        gid.clone(),
                        e.task.ctl.halted() && !e.asked_to_stop,
                        e.task.ctl.paused(),
                    )
                })
                .collect()
        };
        if gids.is_empty() {
            // Nothing to ask about: just see whether a lost daemon is back.
            if self.connected != Some(true) {
                self.hello();
                return RECONNECT_EVERY;
            }
            return POLL_EVERY;
        }
        let mut calls: Vec<(&str, Vec<Value>)> = Vec::new();
        for (gid, stop, paused) in &gids {
            if *stop {
                let method = if *paused {
                    "aria2.forcePause"
                } else {
                    "aria2.forceRemove"
                };
                calls.push((method, vec![json!(gid)]));
            }
        }
        // The stopped list comes in the order downloads stopped: it orders
        // the ones that ended since the last round, so ranks follow it.
        calls.push(("aria2.tellStopped", vec![json!(0), json!(1000), json!(["gid"])]));
        let stops = calls.len();
        for (gid, ..) in &gids {
            calls.push(("aria2.tellStatus", vec![json!(gid), json!(KEYS)]));
        }
        let results = match self.rpc.multicall(&calls) {
            Ok(r) => r,
            Err(RpcError::Unreachable(why)) => {
                self.set_connected(
                    false,
                    format!(
                        "lost the connection to aria2 at {}: {why}; reconnecting",
                        self.url
                    ),
                );
                return RECONNECT_EVERY;
            }
            Err(e) => {
                tracing::warn!(error = %e, "aria2 poll failed");
                return RECONNECT_EVERY;
            }
        };
        self.set_connected(true, format!("connected to aria2 at {}", self.url));
        {
            let mut tracked = self.tracked.lock().unwrap_or_else(|p| p.into_inner());
            for (gid, stop, _) in &gids {
                if *stop && let Some(e) = tracked.get_mut(gid) {
                    e.asked_to_stop = true;
                }
            }
        }
        let stopped: HashMap<String, usize> = results
            .get(stops - 1)
            .and_then(|r| r.as_ref().ok())
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(i, d)| Some((d.get("gid")?.as_str()?.to_string(), i)))
                    .collect()
            })
            .unwrap_or_default();
        let mut statuses: Vec<(&String, Result<Value, RpcError>)> = gids
            .iter()
            .map(|(gid, ..)| gid)
            .zip(results.into_iter().skip(stops))
            .collect();
        statuses.sort_by_key(|(gid, _)| stopped.get(*gid).copied().unwrap_or(usize::MAX));
        for (gid, status) in statuses {
            match status {
                Ok(status) => self.apply(gid, &status),
                // Removed from aria2 by someone else: the task is over.
                Err(e) => self.end(
                    gid,
                    Err(FetchError::Remote(format!(
                        "the download vanished from aria2 ({e})"
                    ))),
                    0,
                ),
            }
        }
        POLL_EVERY
    }

    fn apply(&mut self, gid: &str, status: &Value) {
        let state = status.get("status").and_then(Value::as_str).unwrap_or("");
        let numbers = number(status, "totalLength").and_then(|t| Ok((t, number(status, "completedLength")?)));
        let (total, done) = match numbers {
            Ok(n) => n,
            Err(why) => return self.end(gid, Err(FetchError::Remote(why)), 0),
        };
        let path = status
            .get("files")
            .and_then(|f| f.get(0))
            .and_then(|f| f.get("path"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let index = {
            let mut tracked = self.tracked.lock().unwrap_or_else(|p| p.into_inner());
            let Some(e) = tracked.get_mut(gid) else { return };
            let index = e.task.index;
            if !e.named && !path.is_empty() && total > 0 {
                e.named = true;
                let name = std::path::Path::new(&path)
                    .file_name()
                    .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
                self.reporter.emit(Event::Receiving {
                    index,
                    name,
                    total: Some(total),
                    validator: None,
                });
            }
            index
        };
        match state {
            "active" | "waiting" => {
                if let Ok(count) = number(status, "connections") {
                    self.reporter.emit(Event::Connections {
                        index,
                        count: count as usize,
                    });
                }
                self.reporter.emit(Event::Progress {
                    index,
                    bytes: done,
                    total: (total > 0).then_some(total),
                });
            }
            "complete" => self.end(
                gid,
                Ok(Saved {
                    path: path.into(),
                    bytes: done,
                }),
                done,
            ),
            "error" => {
                let code = status.get("errorCode").and_then(Value::as_str).unwrap_or("1");
                let message = status.get("errorMessage").and_then(Value::as_str).unwrap_or("");
                self.end(gid, Err(error_of(code, message)), done);
            }
            "removed" => self.end(gid, Err(FetchError::Cancelled), done),
            "paused" => {
                let paused_by_us = {
                    let tracked = self.tracked.lock().unwrap_or_else(|p| p.into_inner());
                    tracked.get(gid).is_some_and(|e| e.task.ctl.paused())
                };
                if paused_by_us {
                    self.end(gid, Err(FetchError::Cancelled), done);
                }
                // Paused by someone else on the daemon: it stays running here,
                // as it is there, until it is unpaused.
            }
            _ => {}
        }
    }

    /// The download ended (or was paused): report it through the queue, and
    /// forget it on the daemon unless it waits there paused.
    fn end(&mut self, gid: &str, outcome: Result<Saved, FetchError>, bytes: u64) {
        let Some(entry) = self.tracked.lock().unwrap_or_else(|p| p.into_inner()).remove(gid) else {
            return;
        };
        let Entry {
            mut task, started, ..
        } = entry;
        let paused = matches!(outcome, Err(FetchError::Cancelled)) && task.ctl.paused();
        if paused {
            task.remote = Some(RemoteGid {
                gid: gid.to_string(),
                discard: self.discard.clone(),
            });
        } else {
            let _ = self.rpc.call("aria2.removeDownloadResult", vec![json!(gid)]);
        }
        let attempt = Attempt {
            http_status: None,
            bytes,
            resume: None,
            outcome,
        };
        self.reporter.settle(task, WORKER, started, attempt);
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Backend for Aria2Backend {
    fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    fn connections(&self) -> usize {
        self.room.budget.used()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_aria2_are_read_strictly() {
        let v = json!({"a": "123", "b": "", "c": "12x", "d": 5, "e": "-1"});
        assert_eq!(number(&v, "a"), Ok(123));
        for key in ["b", "c", "d", "e", "missing"] {
            assert!(number(&v, key).is_err(), "{key}");
        }
    }

    #[test]
    fn aria2_errors_read_like_fanouts_own() {
        assert_eq!(
            error_of("3", "Resource not found").to_string(),
            "HTTP 404 Not Found"
        );
        assert!(matches!(error_of("2", "timeout"), FetchError::Timeout(_)));
        assert_eq!(error_of("32", "checksum").to_string(), "aria2 error 32: checksum");
        assert_eq!(
            fault(&json!({"code": 1, "message": "Unauthorized"})),
            RpcError::Unauthorized
        );
    }
}
