//! Answering the calls that touch downloads, against the [`Host`] that
//! holds them (the service, for the window and `fanout serve`): these
//! functions give aria2's answers, with its words, orders and errors. They
//! run on the host's thread, one call at a time, so a call sees the effect
//! of the one before it.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::bt;
use super::method::{Call, Method};
use super::options::{Add, rate, read_add, torrent_option};
use super::status::{Download, Gids, Part, Status};
use super::wire::ErrorObject;
use crate::engine::{Event, FetchError, Place, TorrentOptions};

pub use super::global::{Global, GlobalChange};
use super::global::{global_change, global_options};

/// What the holder of the downloads lets the RPC see and do.
pub trait Host {
    /// Every download, by index, in the order they were added.
    fn indices(&self) -> Vec<usize>;
    fn download(&self, index: usize) -> Option<Download>;
    /// aria2's waiting list: the queued downloads and the paused ones in
    /// one queue, the head first (a paused one where it will start once
    /// resumed). [`crate::engine::Engine::waiting`] is this list.
    fn waiting(&self) -> Vec<usize>;
    fn global(&self) -> Global;
    /// Adds a download (held when `add.paused`); its index, or why not.
    fn add(&mut self, add: Add) -> Result<usize, AddError>;
    fn pause(&mut self, index: usize) -> bool;
    fn resume(&mut self, index: usize) -> bool;
    fn cancel(&mut self, index: usize) -> bool;
    /// Moves a queued or paused download in [`Host::waiting`]'s queue; its
    /// place now, or `None` if it is in neither.
    fn move_to(&mut self, index: usize, place: Place) -> Option<usize>;
    fn set_rate(&mut self, index: usize, rate: Option<u64>);
    fn set_global(&mut self, change: GlobalChange);
    /// An ended download was taken off the results (kept across restarts
    /// by a host that keeps its list; the default keeps nothing).
    fn forget(&mut self, _index: usize) {}
    /// Chooses a torrent's files anew (0-based; `None`: all); false if
    /// the download is not there to change.
    fn select_files(&mut self, _index: usize, _files: Option<Vec<usize>>) -> bool {
        false
    }
    /// Replaces a paused torrent's other choices (seeding limits,
    /// trackers, upload limit); false if it is not paused there.
    fn set_torrent_options(&mut self, _index: usize, _options: TorrentOptions) -> bool {
        false
    }
}

/// Why the host did not add a download.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// No engine runs (the one the settings ask for could not start).
    /// Said in the host thread's language, as the window says it.
    #[error("{}", crate::i18n::tr!(NoEngine))]
    NoEngine,
}

/// What the host knew of a download just before an event: what the
/// event tells a WebSocket client depends on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Before {
    /// It was paused (removing a paused download tells nothing, as in
    /// aria2).
    pub paused: bool,
    /// It is a magnet.
    pub magnet: bool,
    /// Its torrent's metadata was known.
    pub torrent: bool,
    /// It was seeding (its download was complete).
    pub seeding: bool,
}

/// What the RPC keeps of its own beside the host's downloads: the gids of
/// this run and the results a client removed from its lists. It answers
/// the calls that touch downloads ([`RpcState::answer`]).
#[derive(Debug, Default)]
pub struct RpcState {
    pub gids: Gids,
    /// Ended downloads taken off `tellStopped` (`removeDownloadResult`);
    /// their rows stay in the window.
    forgotten: HashSet<usize>,
    /// Magnets' metadata downloads taken off `tellStopped`.
    forgotten_metadata: HashSet<usize>,
}

impl RpcState {
    pub fn new() -> RpcState {
        RpcState::default()
    }

    /// An empty state that costs nothing to make (no random bytes): it
    /// stands in for the real one while a call takes that out of the
    /// downloads to answer against them.
    pub fn placeholder() -> RpcState {
        RpcState {
            gids: Gids::unset(),
            forgotten: HashSet::new(),
            forgotten_metadata: HashSet::new(),
        }
    }

    /// Results taken off the lists before (a restored queue's).
    pub fn forget(&mut self, indices: impl IntoIterator<Item = usize>) {
        self.forgotten.extend(indices);
    }

    /// The downloads were cleared: indices start again, so do gids.
    pub fn reset(&mut self) {
        *self = RpcState::new();
    }

    /// Whether a download was taken off the results.
    fn forgotten(&self, d: &Download) -> bool {
        match d.part {
            Part::Metadata => self.forgotten_metadata.contains(&d.index),
            _ => self.forgotten.contains(&d.index),
        }
    }

    fn find(&self, host: &dyn Host, params: &[Value]) -> Result<Download, ErrorObject> {
        let gid = params
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| ErrorObject::params("the first parameter must be a GID"))?;
        // aria2's words for what is not a gid at all.
        if gid.is_empty() || gid.len() > 16 || !gid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ErrorObject::failed(format!("Invalid GID {gid}")));
        }
        self.gids
            .index(gid)
            .and_then(|(i, following)| bt::view(host.download(i)?, following))
            .filter(|d| !self.forgotten(d))
            .ok_or_else(|| ErrorObject::failed(format!("GID {gid} is not found")))
    }

    /// aria2's downloads of these tasks that `keep` keeps.
    fn of(&self, host: &dyn Host, indices: Vec<usize>, keep: impl Fn(&Download) -> bool) -> Vec<Download> {
        indices
            .into_iter()
            .filter_map(|i| host.download(i))
            .flat_map(bt::views)
            .filter(|d| !self.forgotten(d))
            .filter(keep)
            .collect()
    }

    fn list(&self, host: &dyn Host, keep: impl Fn(&Download) -> bool) -> Vec<Download> {
        self.of(host, host.indices(), keep)
    }

    /// aria2's waiting list: queued and paused downloads in the host's
    /// one queue (so `tellWaiting` and `changePosition` count the same
    /// places), then any waiting row the queue does not hold (a paused row
    /// whose task could not be restored). A row the host has not yet
    /// seen change (paused in the engine, still pausing in the window) is
    /// left out until it has.
    fn waiting(&self, host: &dyn Host) -> Vec<Download> {
        let waits = |d: &Download| matches!(d.status, Status::Waiting | Status::Paused);
        let mut out = self.of(host, host.waiting(), waits);
        let queued: HashSet<usize> = out.iter().map(|d| d.index).collect();
        out.extend(self.list(host, |d| waits(d) && !queued.contains(&d.index)));
        out
    }

    /// Ended downloads in the order they ended, as aria2 lists them (a
    /// magnet's metadata before its real download).
    fn stopped(&self, host: &dyn Host) -> Vec<Download> {
        let mut ended = self.list(host, |d| d.status.stopped());
        ended.sort_by_key(|d| (d.rank.unwrap_or(usize::MAX), d.part != Part::Metadata));
        ended
    }

    /// The aria2 notifications an engine event is, with their gids: what
    /// a WebSocket client is told, given what was known `before` it.
    pub fn notifications(&self, event: &Event, before: Before) -> Vec<(&'static str, String)> {
        let part = if before.magnet && before.torrent {
            Part::Following
        } else {
            Part::Task
        };
        let gid = |index: usize| self.gids.of(index, part);
        match event {
            Event::Started { index, .. } => vec![("aria2.onDownloadStart", gid(*index))],
            Event::Paused { index, .. } => vec![("aria2.onDownloadPause", gid(*index))],
            // A magnet's metadata is its first download, complete; the
            // real one starts.
            Event::Torrent { index, .. } if before.magnet && !before.torrent => vec![
                ("aria2.onDownloadComplete", self.gids.gid(*index)),
                ("aria2.onDownloadStart", self.gids.of(*index, Part::Following)),
            ],
            Event::Swarm { index, swarm } if swarm.seeding && !before.seeding => {
                vec![("aria2.onBtDownloadComplete", gid(*index))]
            }
            Event::Finished(r) => match &r.outcome {
                // A torrent that did not seed was not told complete yet.
                Ok(_) if before.torrent && !before.seeding => vec![
                    ("aria2.onBtDownloadComplete", gid(r.index)),
                    ("aria2.onDownloadComplete", gid(r.index)),
                ],
                Ok(_) => vec![("aria2.onDownloadComplete", gid(r.index))],
                Err(FetchError::Cancelled) if before.paused => Vec::new(),
                Err(FetchError::Cancelled) => vec![("aria2.onDownloadStop", gid(r.index))],
                Err(_) => vec![("aria2.onDownloadError", gid(r.index))],
            },
            _ => Vec::new(),
        }
    }

    /// Answers one call that touches downloads.
    pub fn answer(&mut self, host: &mut dyn Host, call: &Call) -> Result<Value, ErrorObject> {
        let p = &call.params;
        let gid_of = |d: &Download| json!(d.gid(&self.gids));
        match call.method {
            Method::AddUri => {
                let global = host.global();
                let add = read_add(p.first().unwrap_or(&Value::Null), p.get(1), &global.dir)?;
                self.added(host, add, p.get(2))
            }
            Method::AddTorrent => {
                let global = host.global();
                let add = super::add_torrent::read_add_torrent(p, &global.dir)?;
                self.added(host, add, p.get(3))
            }
            Method::AddMetalink => {
                let global = host.global();
                let adds = super::metalink::read_add_metalink(p, &global.dir)?;
                let position = p.get(2).and_then(Value::as_i64);
                let mut gids = Vec::with_capacity(adds.len());
                for (i, add) in adds.into_iter().enumerate() {
                    // One after another from `position`, in the metalink's order.
                    let at = position.map(|pos| json!(pos.max(0) + i as i64));
                    gids.push(self.added(host, add, at.as_ref())?);
                }
                Ok(Value::Array(gids))
            }
            Method::TellStatus => {
                let d = self.find(host, p)?;
                Ok(d.to_json(&self.gids, keys(p.get(1))?.as_deref()))
            }
            Method::GetFiles => Ok(self.find(host, p)?.files()),
            Method::GetUris => Ok(self.find(host, p)?.uris()),
            Method::GetPeers => Ok(bt::peers(&self.find(host, p)?)),
            Method::GetServers => {
                let d = self.find(host, p)?;
                if d.status != Status::Active {
                    return Err(ErrorObject::failed(format!(
                        "No active download for GID#{}",
                        d.gid(&self.gids)
                    )));
                }
                Ok(servers(&d))
            }
            Method::TellActive => {
                let keys = keys(p.first())?;
                let active = self.list(host, |d| d.status == Status::Active);
                Ok(self.statuses(&active, keys.as_deref()))
            }
            Method::TellWaiting | Method::TellStopped => {
                let (offset, num) = (int(p, 0)?, int(p, 1)?);
                let keys = keys(p.get(2))?;
                let list = match call.method {
                    Method::TellWaiting => self.waiting(host),
                    _ => self.stopped(host),
                };
                Ok(self.statuses(&window(&list, offset, num.max(0) as usize), keys.as_deref()))
            }
            Method::Pause | Method::ForcePause => {
                let d = self.find(host, p)?;
                let can = matches!(d.status, Status::Active | Status::Waiting);
                if !can || !host.pause(d.index) {
                    return Err(ErrorObject::failed(format!(
                        "GID#{} cannot be paused now",
                        d.gid(&self.gids)
                    )));
                }
                Ok(gid_of(&d))
            }
            Method::Unpause => {
                let d = self.find(host, p)?;
                if d.status != Status::Paused || !host.resume(d.index) {
                    return Err(ErrorObject::failed(format!(
                        "GID#{} cannot be unpaused now",
                        d.gid(&self.gids)
                    )));
                }
                Ok(gid_of(&d))
            }
            Method::PauseAll | Method::ForcePauseAll => {
                for d in self.list(host, |d| matches!(d.status, Status::Active | Status::Waiting)) {
                    host.pause(d.index);
                }
                Ok(json!("OK"))
            }
            // In queue order: with one download at a time, the head of the
            // queue starts first, as in aria2.
            Method::UnpauseAll => {
                for d in self
                    .waiting(host)
                    .into_iter()
                    .filter(|d| d.status == Status::Paused)
                {
                    host.resume(d.index);
                }
                Ok(json!("OK"))
            }
            Method::Remove | Method::ForceRemove => {
                let d = self.find(host, p)?;
                if d.status.stopped() || !host.cancel(d.index) {
                    return Err(ErrorObject::failed(format!(
                        "Active Download not found for GID {}",
                        d.gid(&self.gids)
                    )));
                }
                Ok(gid_of(&d))
            }
            Method::RemoveDownloadResult => {
                let d = self.find(host, p)?;
                if !d.status.stopped() {
                    return Err(ErrorObject::failed(format!(
                        "Could not remove download result of GID#{}",
                        d.gid(&self.gids)
                    )));
                }
                self.forget_result(host, &d);
                Ok(json!("OK"))
            }
            Method::PurgeDownloadResult => {
                for d in self.stopped(host) {
                    self.forget_result(host, &d);
                }
                Ok(json!("OK"))
            }
            Method::ChangePosition => {
                let d = self.find(host, p)?;
                let pos = int(p, 1)?;
                let place = match p.get(2).and_then(Value::as_str) {
                    Some("POS_SET") => Place::FromStart(pos),
                    Some("POS_CUR") => Place::FromHere(pos),
                    Some("POS_END") => Place::FromEnd(pos),
                    _ => return Err(ErrorObject::params("how must be POS_SET, POS_CUR or POS_END")),
                };
                // aria2's words (1.36): running and ended downloads are not
                // in its waiting list.
                let at = host.move_to(d.index, place).ok_or_else(|| {
                    ErrorObject::failed(format!(
                        "GID#{} not found in the waiting queue.",
                        d.gid(&self.gids)
                    ))
                })?;
                Ok(json!(at))
            }
            Method::GetOption => Ok(super::global::all_task_options(
                &self.find(host, p)?,
                &host.global(),
            )),
            Method::ChangeOption => {
                let d = self.find(host, p)?;
                let global = host.global();
                let o = p
                    .get(1)
                    .and_then(Value::as_object)
                    .ok_or_else(|| ErrorObject::params("options must be an object"))?;
                // All or nothing: an option fanout does not apply to a
                // download is refused by name, unless given as it is.
                let now = super::global::all_task_options(&d, &global);
                for (key, v) in o {
                    let known = matches!(key.as_str(), "max-download-limit" | "select-file")
                        || torrent_option(key, v, &mut d.options.torrent.clone())?;
                    let unchanged = now
                        .get(key)
                        .and_then(Value::as_str)
                        .is_some_and(|n| Some(n) == v.as_str());
                    if !known && !unchanged {
                        return Err(super::global::not_applied(key));
                    }
                }
                if let Some(v) = o.get("max-download-limit") {
                    host.set_rate(d.index, rate("max-download-limit", v)?);
                }
                // A torrent's other choices, whatever its state: a running
                // one takes seeding limits at once and the rest by starting
                // again with them (see `Engine::set_torrent_options`).
                let mut t = d.options.torrent.clone();
                let mut changed = false;
                for (key, v) in o.iter().filter(|(k, _)| *k != "select-file") {
                    changed |= torrent_option(key, v, &mut t)?;
                }
                if changed && !host.set_torrent_options(d.index, t) {
                    return Err(ErrorObject::failed(format!(
                        "GID {}: its download is not there to change",
                        d.gid(&self.gids)
                    )));
                }
                // The files of a torrent, running or not.
                if let Some(v) = o.get("select-file") {
                    let mut t = d.options.torrent.clone();
                    torrent_option("select-file", v, &mut t)?;
                    if d.torrent.is_none() && d.status != Status::Paused
                        || !host.select_files(d.index, t.select)
                    {
                        return Err(ErrorObject::failed(format!(
                            "GID {}: its files cannot be chosen now",
                            d.gid(&self.gids)
                        )));
                    }
                }
                Ok(json!("OK"))
            }
            Method::GetGlobalOption => Ok(global_options(&host.global())),
            Method::ChangeGlobalOption => {
                let o = p
                    .first()
                    .and_then(Value::as_object)
                    .ok_or_else(|| ErrorObject::params("options must be an object"))?;
                let change = global_change(o, &host.global())?;
                host.set_global(change);
                Ok(json!("OK"))
            }
            Method::GetGlobalStat => {
                let all = self.list(host, |_| true);
                let count = |f: &dyn Fn(&Download) -> bool| all.iter().filter(|d| f(d)).count().to_string();
                let speed: u64 = all.iter().map(|d| d.speed).sum();
                let up: u64 = all
                    .iter()
                    .filter(|d| d.status == Status::Active)
                    .filter_map(|d| d.swarm.as_ref())
                    .map(|s| s.upload_speed)
                    .sum();
                let stopped_total = host
                    .indices()
                    .into_iter()
                    .filter_map(|i| host.download(i))
                    .filter(|d| d.status.stopped())
                    .count();
                Ok(json!({
                    "downloadSpeed": speed.to_string(),
                    "uploadSpeed": up.to_string(),
                    "numActive": count(&|d| d.status == Status::Active),
                    "numWaiting": count(&|d| matches!(d.status, Status::Waiting | Status::Paused)),
                    "numStopped": count(&|d| d.status.stopped()),
                    "numStoppedTotal": stopped_total.to_string(),
                }))
            }
            // aria2's session file, where `save-session` says (the queue
            // itself is kept as it changes, with or without it).
            Method::SaveSession => {
                let path = host
                    .global()
                    .session_file
                    .ok_or_else(|| ErrorObject::failed("Filename is not given."))?;
                let list = self.list(host, |d| super::session::kept(d.status));
                let text = super::session::text(&list, &self.gids);
                crate::platform::private::write_atomically(&path, text.as_bytes()).map_err(|e| {
                    ErrorObject::failed(format!("Failed to save session to {}: {e}", path.display()))
                })?;
                Ok(json!("OK"))
            }
            other => Err(ErrorObject::failed(format!(
                "{} is answered elsewhere",
                other.name()
            ))),
        }
    }

    fn statuses(&self, list: &[Download], keys: Option<&[String]>) -> Value {
        Value::Array(list.iter().map(|d| d.to_json(&self.gids, keys)).collect())
    }

    /// A download added (`addUri`, `addTorrent`), put at `position`: its gid.
    /// A gid the client chose (`gid`) is taken as aria2 takes it, or the
    /// download is refused (aria2 1.36 logs these words and answers "No
    /// URI to download."; the client is told why here).
    fn added(
        &mut self,
        host: &mut dyn Host,
        add: Add,
        position: Option<&Value>,
    ) -> Result<Value, ErrorObject> {
        let chosen = match &add.gid {
            Some(gid) => Some(
                self.gids
                    .check(gid, |i| host.download(i).is_some())
                    .map_err(|e| ErrorObject::failed(e.to_string()))?,
            ),
            None => None,
        };
        let index = host.add(add).map_err(|e| match e {
            AddError::NoEngine => ErrorObject::failed(e.to_string()),
        })?;
        if let Some(n) = chosen {
            self.gids.choose(index, n);
        }
        if let Some(pos) = position.and_then(Value::as_i64) {
            host.move_to(index, Place::FromStart(pos.max(0)));
        }
        Ok(json!(self.gids.gid(index)))
    }

    /// Takes an ended download off the results: a magnet's metadata here
    /// only; a task's also in the host's list.
    fn forget_result(&mut self, host: &mut dyn Host, d: &Download) {
        if d.part == Part::Metadata {
            self.forgotten_metadata.insert(d.index);
        } else {
            self.forgotten.insert(d.index);
            host.forget(d.index);
        }
    }
}

/// `getServers` of an active download: its file's connections, each with
/// the URI asked for, the URI it is fetched from and its speed. fanout
/// measures speed per download, not per connection: each connection is
/// given an equal share of it. A torrent has no servers (its peers are
/// `getPeers`').
fn servers(d: &Download) -> Value {
    if d.torrent.is_some() || bt::is_torrent_source(&d.url) {
        return json!([]);
    }
    let n = d.connections.max(1) as u64;
    let share = |i: u64| d.speed / n + u64::from(i < d.speed % n);
    let servers: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "uri": d.url,
                "currentUri": d.url,
                "downloadSpeed": share(i).to_string(),
            })
        })
        .collect();
    json!([{"index": "1", "servers": servers}])
}

/// `keys`: absent, null, or a list of names.
fn keys(v: Option<&Value>) -> Result<Option<Vec<String>>, ErrorObject> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| k.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| ErrorObject::params("keys must be strings")),
        Some(Value::String(k)) => Ok(Some(vec![k.clone()])),
        Some(_) => Err(ErrorObject::params("keys must be a list")),
    }
}

/// An integer parameter (clients send numbers; some send strings).
fn int(p: &[Value], i: usize) -> Result<i64, ErrorObject> {
    match p.get(i) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ErrorObject::params(format!("parameter {} must be an integer", i + 1)))
}

/// aria2's paging: from `offset`, or for a negative one counted from the
/// end, going backwards (so `-1, 3` gives the last three, newest first).
pub fn window<T: Clone>(list: &[T], offset: i64, num: usize) -> Vec<T> {
    if offset >= 0 {
        list.iter().skip(offset as usize).take(num).cloned().collect()
    } else {
        let start = list.len() as i64 + offset;
        if start < 0 {
            return Vec::new();
        }
        (0..=start as usize)
            .rev()
            .take(num)
            .map(|i| list[i].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_offset_counts_from_the_end_backwards() {
        let l = [1, 2, 3, 4, 5];
        assert_eq!(window(&l, 1, 2), vec![2, 3]);
        assert_eq!(window(&l, -1, 3), vec![5, 4, 3]);
        assert_eq!(window(&l, -4, 10), vec![2, 1]);
        assert_eq!(window(&l, -9, 3), Vec::<i32>::new());
        assert_eq!(window(&l, 7, 3), Vec::<i32>::new());
    }
}
