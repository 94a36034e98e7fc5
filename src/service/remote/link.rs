//! The thread that follows the server: it asks for the three lists, runs
//! the user's commands, and hands what it learns to the view. The secret
//! stays inside the aria2 engine's client ([`Client`]), which never logs it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::bt::{self, Bt};
use super::mirror::{Listing, View};
use super::{LISTED, RemoteCommand, RemoteError, RemoteStatus};
use crate::engine::{Aria2Remote, BackendKind, EngineConfig, Place, Waker};
use aria2_rpc::client::{self as rpc, CallError, Client};
use aria2_rpc::types::{Status, Version};

/// How often the lists are read when nothing tells of a change.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// How long to wait before trying a lost server again.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);
/// The server's folder is read again every this many rounds (10 s).
const DIR_EVERY: u64 = 20;

pub(super) struct Link {
    rpc: Client,
    view: Arc<Mutex<View>>,
    wake: Waker,
    /// Downloads removed on the user's word, still running on the server:
    /// their results go too once they have stopped there.
    forget: HashSet<String>,
    rounds: u64,
    /// What the server said of itself at the last hello.
    server: Option<(String, Option<String>)>,
    /// The lists as the last round read them (the window is woken only when
    /// they changed).
    last: Option<Listing>,
}

impl From<CallError> for RemoteError {
    fn from(e: CallError) -> RemoteError {
        match e {
            CallError::Unauthorized => RemoteError::Refused,
            CallError::Unreachable(why) => RemoteError::Unreachable(why),
            // It answers, but not as aria2 does: not a server to follow.
            e @ (CallError::Fault { .. } | CallError::Unexpected { .. }) => {
                RemoteError::Unreachable(e.to_string())
            }
        }
    }
}

impl Link {
    /// A client for the server at `url`; no network yet.
    pub(super) fn new(
        url: &str,
        secret: Option<String>,
        view: Arc<Mutex<View>>,
        wake: Waker,
    ) -> Result<Link, RemoteError> {
        let remote = Aria2Remote {
            url: url.to_string(),
            secret,
        };
        // The engine's defaults: its user agent and connect timeout.
        let config = EngineConfig::new(BackendKind::Sequential);
        let rpc =
            crate::engine::aria2_client(&remote, &config).map_err(|e| RemoteError::Address(e.to_string()))?;
        Ok(Link {
            rpc,
            view,
            wake,
            forget: HashSet::new(),
            rounds: 0,
            server: None,
            last: None,
        })
    }

    /// Follows the server on a thread of its own until `commands` has no
    /// sender (the [`super::Remote`] was dropped). `pokes`: the server told
    /// of a change.
    pub(super) fn spawn(self, commands: Receiver<RemoteCommand>, pokes: Receiver<()>) {
        let started = std::thread::Builder::new()
            .name("fanout-remote".into())
            .spawn(move || self.run(commands, pokes));
        if let Err(e) = started {
            tracing::warn!(error = %e, "cannot start following the server");
        }
    }

    fn run(mut self, commands: Receiver<RemoteCommand>, mut pokes: Receiver<()>) {
        loop {
            let wait = match self.round() {
                Ok(()) => POLL_EVERY,
                Err(RemoteError::Refused) => {
                    self.show(RemoteStatus::Failed(RemoteError::Refused));
                    // Nothing to do until the window lets go.
                    while commands.recv().is_ok() {}
                    return;
                }
                Err(e) => {
                    self.server = None;
                    self.show(RemoteStatus::Failed(e));
                    RECONNECT_EVERY
                }
            };
            select! {
                recv(commands) -> command => match command {
                    Ok(command) => {
                        self.command(command);
                        for command in commands.try_iter() {
                            self.command(command);
                        }
                    }
                    Err(_) => return,
                },
                recv(pokes) -> poke => {
                    // No notifications (the WebSocket's thread ended):
                    // polling alone.
                    if poke.is_err() {
                        pokes = crossbeam_channel::never();
                    }
                }
                default(wait) => {}
            }
        }
    }

    fn show(&self, status: RemoteStatus) {
        self.view.lock().set_status(status);
        (self.wake)();
    }

    /// One round: who the server is (at first and now and then), its
    /// lists, and the view brought up to them.
    fn round(&mut self) -> Result<(), RemoteError> {
        if self.server.is_none() || self.rounds.is_multiple_of(DIR_EVERY) {
            self.server = Some(self.hello()?);
        }
        self.rounds += 1;
        let mut listing = self.list()?;
        let stopped: Vec<String> = listing
            .stopped
            .iter()
            .filter(|s| self.forget.contains(&s.gid))
            .map(|s| s.gid.clone())
            .collect();
        if !stopped.is_empty() {
            let calls: Vec<(&str, Vec<Value>)> = stopped
                .iter()
                .map(|gid| ("aria2.removeDownloadResult", vec![json!(gid)]))
                .collect();
            self.rpc.multicall(&calls)?;
            listing = self.list()?;
        }
        let on_server = |gid: &String| {
            [&listing.active, &listing.waiting, &listing.stopped]
                .iter()
                .any(|list| list.iter().any(|s| &s.gid == gid))
        };
        self.forget.retain(on_server);
        let (version, dir) = self.server.clone().unwrap_or_default();
        let status = RemoteStatus::Connected { version, dir };
        // An idle server answers the same twice a second: a window drawn
        // with software rendering should not repaint for that.
        let changed = {
            let mut view = self.view.lock();
            let changed = view.status != status || self.last.as_ref() != Some(&listing);
            view.set_status(status);
            view.apply(&listing, Instant::now());
            changed
        };
        self.last = Some(listing);
        if changed {
            (self.wake)();
        }
        Ok(())
    }

    /// The server's version and folder.
    fn hello(&self) -> Result<(String, Option<String>), RemoteError> {
        let calls = [("aria2.getVersion", vec![]), ("aria2.getGlobalOption", vec![])];
        let mut answers = self.rpc.multicall(&calls)?.into_iter();
        let version = answers
            .next()
            .unwrap_or_else(|| Err(missing("aria2.getVersion")))
            .and_then(|v| rpc::read::<Version>("aria2.getVersion", v))?;
        // A server without the call still has downloads to show.
        let dir = answers
            .next()
            .and_then(Result::ok)
            .and_then(|o| o.get("dir").and_then(Value::as_str).map(str::to_string));
        // Which server it is, for the window to say: fanout names itself
        // among the features.
        let who = if version.enabled_features.iter().any(|f| f == "fanout") {
            "fanout"
        } else {
            "aria2"
        };
        Ok((format!("{who} {}", version.version), dir))
    }

    /// The three lists, in one request (so one moment of the server's).
    fn list(&self) -> Result<Listing, RemoteError> {
        let keys = json!(bt::listed_keys());
        let page = || vec![json!(0), json!(LISTED), keys.clone()];
        let calls = [
            ("aria2.tellActive", vec![keys.clone()]),
            ("aria2.tellWaiting", page()),
            ("aria2.tellStopped", page()),
        ];
        let mut answers = self.rpc.multicall(&calls)?.into_iter();
        let mut torrents = HashMap::new();
        let mut next = |method: &str| -> Result<Vec<Status>, CallError> {
            let answer = answers.next().unwrap_or_else(|| Err(missing(method)));
            let entries: Vec<Value> = rpc::read(method, answer?)?;
            let mut statuses = Vec::with_capacity(entries.len());
            for entry in entries {
                let status: Status = rpc::read(method, entry.clone())?;
                if let Some(torrent) = Bt::read(&entry) {
                    torrents.insert(status.gid.clone(), torrent);
                }
                statuses.push(status);
            }
            Ok(statuses)
        };
        let active = next("aria2.tellActive")?;
        let waiting = next("aria2.tellWaiting")?;
        let stopped = next("aria2.tellStopped")?;
        let whole = waiting.len() < LISTED && stopped.len() < LISTED;
        Ok(Listing {
            active,
            waiting,
            stopped,
            whole,
            torrents,
        })
    }

    /// Sends a command's calls in one request; a refusal is kept for the
    /// window to show.
    fn command(&mut self, command: RemoteCommand) {
        let calls = self.calls(command);
        if calls.is_empty() {
            return;
        }
        let refused: Vec<String> = match self.rpc.multicall(&calls) {
            Ok(answers) => calls
                .iter()
                .zip(answers)
                .filter_map(|((method, _), a)| a.err().map(|e| format!("{method}: {e}")))
                .collect(),
            Err(e) => vec![RemoteError::from(e).to_string()],
        };
        if !refused.is_empty() {
            tracing::debug!(refused = ?refused, "the server refused a command");
        }
        // The last command's word stands: one that went through clears it.
        let refused = (!refused.is_empty()).then(|| refused.join("; "));
        let mut view = self.view.lock();
        if view.refused != refused {
            view.refused = refused;
            drop(view);
            (self.wake)();
        }
    }

    /// The calls that carry out a command, by gid.
    fn calls(&mut self, command: RemoteCommand) -> Vec<(&'static str, Vec<Value>)> {
        let view = self.view.lock();
        let gids = |rows: &[usize]| -> Vec<(String, bool)> {
            rows.iter()
                .filter_map(|&i| view.gid(i).map(|g| (g.to_string(), view.stopped(i))))
                .collect()
        };
        let each = |method: &'static str, rows: &[usize]| -> Vec<(&'static str, Vec<Value>)> {
            gids(rows)
                .into_iter()
                .map(|(gid, _)| (method, vec![json!(gid)]))
                .collect()
        };
        match command {
            // No `dir`: the server's own folder.
            RemoteCommand::Add { url } => vec![("aria2.addUri", vec![json!([url])])],
            // At once, as the aria2 engine does: a graceful pause may wait
            // on a slow server.
            RemoteCommand::Pause(rows) => each("aria2.forcePause", &rows),
            RemoteCommand::Resume(rows) => each("aria2.unpause", &rows),
            RemoteCommand::Cancel(rows) => each("aria2.forceRemove", &rows),
            RemoteCommand::Remove(rows) => {
                let mut calls = Vec::new();
                for (gid, stopped) in gids(&rows) {
                    if stopped {
                        calls.push(("aria2.removeDownloadResult", vec![json!(gid)]));
                    } else {
                        // Its result can only go once it has stopped there.
                        calls.push(("aria2.forceRemove", vec![json!(gid)]));
                        self.forget.insert(gid);
                    }
                }
                calls
            }
            // 1-based, as aria2 counts files; a torrent that waits for
            // its files (added with `pause-metadata`) then goes on.
            RemoteCommand::SelectFiles { index, files } => {
                let Some(gid) = view.gid(index).map(str::to_string) else {
                    return Vec::new();
                };
                let select: Vec<String> = files.iter().map(|f| (f + 1).to_string()).collect();
                let option = json!({"select-file": select.join(",")});
                let mut calls = vec![("aria2.changeOption", vec![json!(gid), option])];
                if view.paused(index) {
                    calls.push(("aria2.unpause", vec![json!(gid)]));
                }
                calls
            }
            RemoteCommand::Move { index, place } => {
                let (how, n) = match place {
                    Place::FromStart(n) => ("POS_SET", n),
                    Place::FromHere(n) => ("POS_CUR", n),
                    Place::FromEnd(n) => ("POS_END", n),
                };
                each("aria2.changePosition", &[index])
                    .into_iter()
                    .map(|(m, mut p)| {
                        p.extend([json!(n), json!(how)]);
                        (m, p)
                    })
                    .collect()
            }
        }
    }
}

fn missing(method: &str) -> CallError {
    CallError::Unexpected {
        method: method.to_string(),
        why: "no answer in the multicall".into(),
    }
}
