//! Answering the calls that touch downloads, against whichever front end
//! owns them (the window): it implements [`Host`], and these functions
//! give aria2's answers, with its words, orders and errors. They run on
//! the owner's thread, one call at a time, so a call sees the effect of
//! the one before it.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::method::{Call, Method};
use super::options::{Add, connections, rate, read_add};
use super::status::{Download, Gids, Status};
use super::wire::RpcError;
use crate::engine::{Event, FetchError, Place};

/// The settings a web front end reads and changes with
/// `getGlobalOption`/`changeGlobalOption`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Global {
    pub dir: PathBuf,
    /// Downloads at once (`max-concurrent-downloads`).
    pub max_concurrent: usize,
    /// Over all downloads (`max-overall-download-limit`), bytes per second.
    pub overall_limit: Option<u64>,
    /// Connections per file (`split`).
    pub split: usize,
}

/// A change to [`Global`]: what was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalChange {
    pub dir: Option<PathBuf>,
    pub max_concurrent: Option<usize>,
    pub overall_limit: Option<Option<u64>>,
    pub split: Option<usize>,
}

/// What the owner of the downloads lets the RPC see and do.
pub trait Host {
    /// Every download, by index, in the order they were added.
    fn indices(&self) -> Vec<usize>;
    fn download(&self, index: usize) -> Option<Download>;
    /// aria2's waiting list: the queued downloads and the paused ones in
    /// one line, the head first (a paused one where it will start once
    /// resumed). [`crate::engine::Engine::waiting`] is this list.
    fn waiting(&self) -> Vec<usize>;
    fn global(&self) -> Global;
    /// Adds a download (held when `add.paused`); its index, or why not.
    fn add(&mut self, add: Add) -> Result<usize, String>;
    fn pause(&mut self, index: usize) -> bool;
    fn resume(&mut self, index: usize) -> bool;
    fn cancel(&mut self, index: usize) -> bool;
    /// Moves a queued or paused download in [`Host::waiting`]'s line; its
    /// place now, or `None` if it is in neither.
    fn move_to(&mut self, index: usize, place: Place) -> Option<usize>;
    fn set_rate(&mut self, index: usize, rate: Option<u64>);
    fn set_global(&mut self, change: GlobalChange) -> Result<(), String>;
    /// An ended download was taken off the results (kept across restarts
    /// by an owner that keeps its list; the default keeps nothing).
    fn forget(&mut self, _index: usize) {}
}

/// The RPC's own books, kept by the owner beside its downloads: the gids
/// of this run and the results a client removed from its lists.
#[derive(Debug, Default)]
pub struct Desk {
    pub gids: Gids,
    /// Ended downloads taken off `tellStopped` (`removeDownloadResult`);
    /// their rows stay in the window.
    forgotten: HashSet<usize>,
}

impl Desk {
    pub fn new() -> Desk {
        Desk::default()
    }

    /// Empty books that cost nothing to make: what stands in for the real
    /// ones while a call has them.
    pub fn lent() -> Desk {
        Desk {
            gids: Gids::unset(),
            forgotten: HashSet::new(),
        }
    }

    /// Results taken off the lists before (a restored queue's).
    pub fn forget(&mut self, indices: impl IntoIterator<Item = usize>) {
        self.forgotten.extend(indices);
    }

    /// The downloads were cleared: indices start again, so do gids.
    pub fn reset(&mut self) {
        *self = Desk::new();
    }

    fn find(&self, host: &dyn Host, params: &[Value]) -> Result<Download, RpcError> {
        let gid = params
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::params("the first parameter must be a GID"))?;
        self.gids
            .index(gid)
            .filter(|i| !self.forgotten.contains(i))
            .and_then(|i| host.download(i))
            .ok_or_else(|| RpcError::failed(format!("GID {gid} is not found")))
    }

    fn list(&self, host: &dyn Host, keep: impl Fn(&Download) -> bool) -> Vec<Download> {
        host.indices()
            .into_iter()
            .filter(|i| !self.forgotten.contains(i))
            .filter_map(|i| host.download(i))
            .filter(keep)
            .collect()
    }

    /// aria2's waiting list: queued and paused downloads in the host's
    /// one line (so `tellWaiting` and `changePosition` count the same
    /// places), then any waiting row the line does not hold (a paused row
    /// whose task could not be restored). A row the owner has not yet
    /// seen change (paused in the engine, still pausing in the window) is
    /// left out until it has.
    fn waiting(&self, host: &dyn Host) -> Vec<Download> {
        let waits = |d: &Download| matches!(d.status, Status::Waiting | Status::Paused);
        let mut out: Vec<Download> = host
            .waiting()
            .into_iter()
            .filter(|i| !self.forgotten.contains(i))
            .filter_map(|i| host.download(i))
            .filter(waits)
            .collect();
        let lined: HashSet<usize> = out.iter().map(|d| d.index).collect();
        out.extend(self.list(host, |d| waits(d) && !lined.contains(&d.index)));
        out
    }

    /// Ended downloads in the order they ended, as aria2 lists them.
    fn stopped(&self, host: &dyn Host) -> Vec<Download> {
        let mut ended = self.list(host, |d| d.status.stopped());
        ended.sort_by_key(|d| d.rank.unwrap_or(usize::MAX));
        ended
    }

    /// The aria2 notification an engine event is, with its gid: what a
    /// WebSocket client is told. `was_paused`: the task was paused before
    /// (removing a paused download tells nothing, as in aria2).
    pub fn notification(&self, event: &Event, was_paused: bool) -> Option<(&'static str, String)> {
        let (method, index) = match event {
            Event::Started { index, .. } => ("aria2.onDownloadStart", *index),
            Event::Paused { index, .. } => ("aria2.onDownloadPause", *index),
            Event::Finished(r) => match &r.outcome {
                Ok(_) => ("aria2.onDownloadComplete", r.index),
                Err(FetchError::Cancelled) if was_paused => return None,
                Err(FetchError::Cancelled) => ("aria2.onDownloadStop", r.index),
                Err(_) => ("aria2.onDownloadError", r.index),
            },
            _ => return None,
        };
        Some((method, self.gids.gid(index)))
    }

    /// Answers one call that touches downloads.
    pub fn answer(&mut self, host: &mut dyn Host, call: &Call) -> Result<Value, RpcError> {
        let p = &call.params;
        let gid_of = |d: &Download| json!(self.gids.gid(d.index));
        match call.method {
            Method::AddUri => {
                let global = host.global();
                let add = read_add(p.first().unwrap_or(&Value::Null), p.get(1), &global.dir)?;
                let index = host.add(add).map_err(RpcError::failed)?;
                if let Some(pos) = p.get(2).and_then(Value::as_i64) {
                    host.move_to(index, Place::FromStart(pos.max(0)));
                }
                Ok(json!(self.gids.gid(index)))
            }
            Method::TellStatus => {
                let d = self.find(host, p)?;
                Ok(d.to_json(&self.gids.gid(d.index), keys(p.get(1))?.as_deref()))
            }
            Method::GetFiles => Ok(self.find(host, p)?.files()),
            Method::GetUris => Ok(self.find(host, p)?.uris()),
            Method::GetPeers | Method::GetServers => self.find(host, p).map(|_| json!([])),
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
                    return Err(RpcError::failed(format!(
                        "GID {} cannot be paused now",
                        self.gids.gid(d.index)
                    )));
                }
                Ok(gid_of(&d))
            }
            Method::Unpause => {
                let d = self.find(host, p)?;
                if d.status != Status::Paused || !host.resume(d.index) {
                    return Err(RpcError::failed(format!(
                        "GID {} cannot be unpaused now",
                        self.gids.gid(d.index)
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
            // In line order: with one download at a time, the head of the
            // line starts first, as in aria2.
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
                    return Err(RpcError::failed(format!(
                        "Active Download not found for GID {}",
                        self.gids.gid(d.index)
                    )));
                }
                Ok(gid_of(&d))
            }
            Method::RemoveDownloadResult => {
                let d = self.find(host, p)?;
                if !d.status.stopped() {
                    return Err(RpcError::failed(format!(
                        "Could not remove download result of GID {}",
                        self.gids.gid(d.index)
                    )));
                }
                self.forgotten.insert(d.index);
                host.forget(d.index);
                Ok(json!("OK"))
            }
            Method::PurgeDownloadResult => {
                let ended: Vec<usize> = self.stopped(host).iter().map(|d| d.index).collect();
                for &i in &ended {
                    host.forget(i);
                }
                self.forgotten.extend(ended);
                Ok(json!("OK"))
            }
            Method::ChangePosition => {
                let d = self.find(host, p)?;
                let pos = int(p, 1)?;
                let place = match p.get(2).and_then(Value::as_str) {
                    Some("POS_SET") => Place::FromStart(pos),
                    Some("POS_CUR") => Place::FromHere(pos),
                    Some("POS_END") => Place::FromEnd(pos),
                    _ => return Err(RpcError::params("how must be POS_SET, POS_CUR or POS_END")),
                };
                // aria2's words (1.36): running and ended downloads are not
                // in its waiting list.
                let at = host.move_to(d.index, place).ok_or_else(|| {
                    RpcError::failed(format!(
                        "GID#{} not found in the waiting queue.",
                        self.gids.gid(d.index)
                    ))
                })?;
                Ok(json!(at))
            }
            Method::GetOption => Ok(task_options(&self.find(host, p)?)),
            Method::ChangeOption => {
                let d = self.find(host, p)?;
                let o = p
                    .get(1)
                    .and_then(Value::as_object)
                    .ok_or_else(|| RpcError::params("options must be an object"))?;
                if let Some(v) = o.get("max-download-limit") {
                    host.set_rate(d.index, rate("max-download-limit", v)?);
                }
                Ok(json!("OK"))
            }
            Method::GetGlobalOption => Ok(global_options(&host.global())),
            Method::ChangeGlobalOption => {
                let o = p
                    .first()
                    .and_then(Value::as_object)
                    .ok_or_else(|| RpcError::params("options must be an object"))?;
                let change = global_change(o, &host.global())?;
                host.set_global(change).map_err(RpcError::failed)?;
                Ok(json!("OK"))
            }
            Method::GetGlobalStat => {
                let all = self.list(host, |_| true);
                let count = |f: &dyn Fn(&Download) -> bool| all.iter().filter(|d| f(d)).count().to_string();
                let speed: u64 = all.iter().map(|d| d.speed).sum();
                let stopped_total = host
                    .indices()
                    .into_iter()
                    .filter_map(|i| host.download(i))
                    .filter(|d| d.status.stopped())
                    .count();
                Ok(json!({
                    "downloadSpeed": speed.to_string(),
                    "uploadSpeed": "0",
                    "numActive": count(&|d| d.status == Status::Active),
                    "numWaiting": count(&|d| matches!(d.status, Status::Waiting | Status::Paused)),
                    "numStopped": count(&|d| d.status.stopped()),
                    "numStoppedTotal": stopped_total.to_string(),
                }))
            }
            // The window keeps its queue saved as it changes.
            Method::SaveSession => Ok(json!("OK")),
            other => Err(RpcError::failed(format!(
                "{} is answered elsewhere",
                other.name()
            ))),
        }
    }

    fn statuses(&self, list: &[Download], keys: Option<&[String]>) -> Value {
        Value::Array(
            list.iter()
                .map(|d| d.to_json(&self.gids.gid(d.index), keys))
                .collect(),
        )
    }
}

/// `keys`: absent, null, or a list of names.
fn keys(v: Option<&Value>) -> Result<Option<Vec<String>>, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| k.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| RpcError::params("keys must be strings")),
        Some(Value::String(k)) => Ok(Some(vec![k.clone()])),
        Some(_) => Err(RpcError::params("keys must be a list")),
    }
}

/// An integer parameter (clients send numbers; some send strings).
fn int(p: &[Value], i: usize) -> Result<i64, RpcError> {
    match p.get(i) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| RpcError::params(format!("parameter {} must be an integer", i + 1)))
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

fn task_options(d: &Download) -> Value {
    let o = &d.options;
    let mut v = json!({
        "dir": d.dir.display().to_string(),
        "max-download-limit": o.rate_limit.unwrap_or(0).to_string(),
    });
    if let Some(k) = o.segments {
        v["split"] = json!(k.to_string());
        v["max-connection-per-server"] = json!(k.to_string());
    }
    if let Some(name) = &o.name {
        v["out"] = json!(name);
    }
    if let Some(digest) = &o.sha256 {
        v["checksum"] = json!(format!("sha-256={}", crate::engine::hex(digest)));
    }
    let headers: Vec<String> = o.headers.iter().map(|h| h.line()).collect();
    if !headers.is_empty() {
        v["header"] = json!(headers);
    }
    v
}

fn global_options(g: &Global) -> Value {
    json!({
        "dir": g.dir.display().to_string(),
        "max-concurrent-downloads": g.max_concurrent.to_string(),
        "max-overall-download-limit": g.overall_limit.unwrap_or(0).to_string(),
        "split": g.split.to_string(),
        "max-connection-per-server": g.split.to_string(),
    })
}

fn global_change(o: &serde_json::Map<String, Value>, now: &Global) -> Result<GlobalChange, RpcError> {
    let mut c = GlobalChange::default();
    for (key, v) in o {
        let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        match key.as_str() {
            "dir" => c.dir = Some(super::options::folder(&text, &now.dir)),
            "max-overall-download-limit" => c.overall_limit = Some(rate(key, v)?),
            "max-concurrent-downloads" => {
                let n: usize = text
                    .parse()
                    .map_err(|_| RpcError::params(format!("{key}={text:?} is not a number")))?;
                c.max_concurrent = Some(n.max(1));
            }
            "split" | "max-connection-per-server" => c.split = Some(connections(key, v)?),
            // Others (seed ratios, bt trackers…) mean nothing here; aria2's
            // front ends set many at once and expect "OK".
            _ => {}
        }
    }
    Ok(c)
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
