//! The aria2 backend's poller: a few times a second it passes on pauses
//! and cancels, asks for the state of every download it handed over (one
//! `system.multicall` of `aria2.tellStatus` with only the keys it needs),
//! and turns what aria2 says into fanout's events and results.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::types::StatusEvents;
use super::{Entry, POLL_EVERY, RECONNECT_EVERY, Tracked, WORKER};
use crate::attempt::{Attempt, settle};
use crate::context::WorkerContext;
use crate::error::FetchError;
use crate::job::{Event, Saved};
use crate::queue::RemoteGid;
use crate::sync;
use aria2_rpc::client::{self as rpc, CallError, Client};
use aria2_rpc::types::{DownloadStatus, GidOnly, Status, Version};

pub(super) struct Poller {
    pub(super) rpc: Arc<Client>,
    pub(super) context: Arc<WorkerContext>,
    pub(super) tracked: Tracked,
    pub(super) running: Arc<AtomicUsize>,
    pub(super) discard: crossbeam_channel::Sender<String>,
    pub(super) connected: Option<bool>,
    pub(super) url: String,
}

impl Poller {
    fn set_connected(&mut self, connected: bool, detail: String) {
        if self.connected != Some(connected) {
            self.connected = Some(connected);
            self.context.emit(Event::Remote { connected, detail });
        }
    }

    /// Says at once whether the daemon answers and takes the secret (a
    /// wrong secret is a setting to fix: tasks handed over fail with it).
    pub(super) fn hello(&mut self) {
        match self.rpc.call_as::<Version>("aria2.getVersion", vec![]) {
            Ok(v) => {
                let version = v.version;
                self.set_connected(true, format!("connected to aria2 {version} at {}", self.url));
            }
            Err(CallError::Unauthorized) => self.set_connected(
                false,
                format!("aria2 at {} refused the secret token: check the secret", self.url),
            ),
            Err(e) => self.set_connected(false, format!("{e} at {}; reconnecting", self.url)),
        }
    }

    /// One round: pass on pauses and cancels, read every state, report.
    /// Returns how long to wait before the next.
    pub(super) fn poll(&mut self) -> Duration {
        let gids: Vec<(String, bool, bool)> = {
            let tracked = sync::lock(&self.tracked);
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
            calls.push(("aria2.tellStatus", vec![json!(gid), json!(Status::KEYS)]));
        }
        let results = match self.rpc.multicall(&calls) {
            Ok(r) => r,
            Err(CallError::Unreachable(why)) => {
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
            let mut tracked = sync::lock(&self.tracked);
            for (gid, stop, _) in &gids {
                if *stop && let Some(e) = tracked.get_mut(gid) {
                    e.asked_to_stop = true;
                }
            }
        }
        let stopped: HashMap<String, usize> = results
            .get(stops - 1)
            .and_then(|r| r.clone().ok())
            .and_then(|v| rpc::read::<Vec<GidOnly>>("aria2.tellStopped", v).ok())
            .map(|list| list.into_iter().enumerate().map(|(i, d)| (d.gid, i)).collect())
            .unwrap_or_default();
        let mut statuses: Vec<(&String, Result<Status, CallError>)> = gids
            .iter()
            .map(|(gid, ..)| gid)
            .zip(results.into_iter().skip(stops))
            .map(|(gid, r)| (gid, r.and_then(|v| rpc::read("aria2.tellStatus", v))))
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

    fn apply(&mut self, gid: &str, status: &Status) {
        // A magnet's metadata is in: aria2 goes on under another gid,
        // which this task follows (the first one's result is dropped).
        if status.status == DownloadStatus::Complete
            && let Some(next) = status.followed_by.first()
        {
            let mut tracked = sync::lock(&self.tracked);
            if let Some(mut e) = tracked.remove(gid) {
                e.named = false;
                tracked.insert(next.clone(), e);
            }
            drop(tracked);
            let _ = self.rpc.call("aria2.removeDownloadResult", vec![json!(gid)]);
            return;
        }
        let index = {
            let mut tracked = sync::lock(&self.tracked);
            let Some(e) = tracked.get_mut(gid) else { return };
            let index = e.task.index;
            if !e.named
                && let Some(name) = status.name()
            {
                e.named = true;
                self.context.emit(Event::Receiving {
                    index,
                    name,
                    total: Some(status.total_length),
                    validator: None,
                });
            }
            index
        };
        if let Some(outcome) = status.outcome() {
            self.end(gid, outcome, status.completed_length);
            return;
        }
        match status.status {
            DownloadStatus::Paused => {
                let paused_by_us = {
                    let tracked = sync::lock(&self.tracked);
                    tracked.get(gid).is_some_and(|e| e.task.ctl.paused())
                };
                if paused_by_us {
                    self.end(gid, Err(FetchError::Cancelled), status.completed_length);
                }
                // Paused by someone else on the daemon: it stays running here,
                // as it is there, until it is unpaused.
            }
            _ => {
                for event in status.progress(index) {
                    self.context.emit(event);
                }
            }
        }
    }

    /// The download ended (or was paused): report it through the queue, and
    /// forget it on the daemon unless it waits there paused.
    fn end(&mut self, gid: &str, outcome: Result<Saved, FetchError>, bytes: u64) {
        let Some(entry) = sync::lock(&self.tracked).remove(gid) else {
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
        settle(&self.context, task, WORKER, started, attempt);
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}
