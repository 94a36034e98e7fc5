//! `fanout serve`: the downloads with no window. The caller's thread runs
//! the service's loop ([`hub::run`], the same as under the window): the
//! RPC's calls, the engine's events, URLs handed over by a later
//! `fanout URL…`, and the stop signal. A call is answered as soon as it
//! arrives, and only once the store has committed what it changed. What
//! is the headless front end's own ([`Headless`]): the journal's lines, the
//! schedule, and what runs when a batch ends.
//!
//! Logs go through `tracing`, one line an event (the binary sends them to
//! stderr, where a service's journal reads them).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::Downloads;
use super::after_batch as after;
use super::hub::{self, FrontEnd, Inputs, Service, Shared};
use super::model::{BatchEnd, TaskState};
use crate::engine::{Event, FetchError};
use crate::platform::instance::Instance;
use crate::platform::secrets::Secrets;
use crate::rpc::{Listen, Request, Server, Shutdown, StartError};
use crate::settings::Settings;
use crate::settings::schedule::Clock;

/// How long a stop waits for running transfers to put their bytes down.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How often the schedule is looked at (its edges are to the minute).
const SCHEDULE_EVERY: Duration = Duration::from_secs(1);

/// What the service is started with.
pub struct ServeConfig {
    pub settings: Settings,
    /// The queue's store (`queue.sqlite3`).
    pub queue_path: PathBuf,
    /// Where the queue's secrets are kept (the keyring, else a file there).
    pub secrets: Secrets,
    pub listen: Listen,
    pub secret: String,
    /// The lock of the data folder, and the URLs later starts hand over.
    pub instance: Option<Instance>,
    /// The time of the week the schedule goes by.
    pub clock: Arc<dyn Clock>,
    /// The system bus logind is asked on (`None`: the system's).
    pub system_bus: Option<String>,
    /// Torrent settings of this run over the settings' (`--no-dht`).
    pub torrent: super::TorrentOverride,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the RPC server did not start: {0}")]
    Rpc(#[from] StartError),
    #[error("the queue cannot be kept: {0}")]
    Store(#[from] crate::service::store::StoreError),
    #[error("the engine did not start: {0}")]
    Engine(#[from] crate::engine::EngineError),
}

/// Serves until `stop` says so (or is dropped); then pauses what runs,
/// waits for it to keep its bytes, and returns with the queue saved.
/// `ready` hears the addresses once the RPC listens.
pub fn run(
    config: ServeConfig,
    stop: Receiver<()>,
    ready: impl FnOnce(&[std::net::SocketAddr]),
) -> Result<(), ServeError> {
    let settings = config.settings;
    let mut core = Downloads::new(&settings);
    core.torrent = config.torrent;
    // The service waits on the channels themselves: no front end to wake.
    // Started first, the engine takes the queue back as it is restored.
    core.start_engine(&settings, Arc::new(|| {}))?;
    let paused = core
        .restore_queue(&config.queue_path, config.secrets, settings.resume_on_start)?
        .unfinished_paused;
    tracing::info!(
        downloads = core.model.rows.len(),
        "queue restored from {}",
        config.queue_path.display()
    );
    if paused > 0 {
        tracing::info!("{paused} unfinished downloads wait paused (resume them over RPC)");
    }
    let mut front_end = Headless {
        clock: config.clock,
        system_bus: config.system_bus,
        countdown: None,
        next_schedule: Instant::now(),
    };
    let mut service = Service::new(core, settings);
    // What the schedule wants now, before the first call is taken.
    front_end.each_pass(&mut service);
    let (calls_tx, calls) = crossbeam_channel::unbounded::<Request>();
    let session = service.downloads.rpc_state.gids.session();
    let (asked_tx, asked) = crossbeam_channel::bounded::<Shutdown>(1);
    let server = Server::start_ending(
        &config.listen,
        &config.secret,
        session,
        calls_tx,
        Arc::new(|| {}),
        Some(asked_tx),
    )?;
    ready(server.addrs());
    service.server = Some(server);
    let shared: Shared = Arc::new(parking_lot::Mutex::new(service));
    let handoffs = config
        .instance
        .as_ref()
        .map_or_else(crossbeam_channel::never, |i| i.handoffs().clone());
    let (stop, how) = stop_or_asked(stop, asked);
    let inputs = Inputs {
        calls,
        handoffs,
        stop,
        nudge: crossbeam_channel::never(),
    };
    hub::run(&shared, inputs, &mut front_end);
    let force = *how.lock() == Some(Shutdown::Force);
    shut_down(&mut shared.lock(), force);
    Ok(())
}

/// One stop for the service's thread: a signal (`stop`), or a client's
/// `aria2.shutdown` / `forceShutdown` (`asked`), which is kept in the
/// second value.
fn stop_or_asked(
    stop: Receiver<()>,
    asked: Receiver<Shutdown>,
) -> (Receiver<()>, Arc<parking_lot::Mutex<Option<Shutdown>>>) {
    let (tx, rx) = crossbeam_channel::bounded(1);
    let how = Arc::new(parking_lot::Mutex::new(None));
    let kept = how.clone();
    let spawned = std::thread::Builder::new()
        .name("fanout-stop".into())
        .spawn(move || {
            crossbeam_channel::select! {
                recv(stop) -> _ => {}
                recv(asked) -> h => {
                    if let Ok(h) = h {
                        tracing::info!("{h:?} shutdown asked over RPC: stopping");
                        *kept.lock() = Some(h);
                    }
                }
            }
            let _ = tx.send(());
        });
    if let Err(e) = spawned {
        tracing::warn!("aria2.shutdown will not stop the service: {e}");
    }
    (rx, how)
}

/// What `fanout serve` adds to the service's thread: the journal's lines,
/// hand-overs, the schedule and what runs when a batch ends.
struct Headless {
    clock: Arc<dyn Clock>,
    /// The system bus logind is asked on (`None`: the system's).
    system_bus: Option<String>,
    /// A suspend or power-off after a batch: when, and which.
    countdown: Option<(Instant, bool)>,
    next_schedule: Instant,
}

impl FrontEnd for Headless {
    fn on_event(&mut self, event: &Event, d: &Downloads) {
        log_event(event, d);
    }

    fn on_handoff(&mut self, service: &mut Service, h: crate::platform::instance::Handoff) {
        take_handoff(&mut service.downloads, &service.settings, h);
    }

    fn each_pass(&mut self, service: &mut Service) {
        let Service {
            downloads: core,
            settings,
            ..
        } = service;
        // Its edges are to the minute: once a second is plenty, however
        // many events a second pass through here.
        if Instant::now() >= self.next_schedule {
            run_schedule(core, settings, &*self.clock);
            self.next_schedule = Instant::now() + SCHEDULE_EVERY;
        }
        if let Some(end) = core.model.take_batch_end() {
            tracing::info!(
                "batch ended: {} done, {} failed, {} removed, {} paused, in {:.1} s",
                end.done,
                end.failed,
                end.cancelled,
                end.paused,
                end.span.as_secs_f64()
            );
            self.countdown = after_batch(settings, &end).or(self.countdown);
        }
        self.countdown = count_down(self.countdown, core, self.system_bus.clone());
    }
}

/// URLs a later `fanout URL…` handed over: queued (and kept) at once.
fn take_handoff(core: &mut Downloads, settings: &Settings, h: crate::platform::instance::Handoff) {
    let given = h.dir;
    let dir = given.clone().unwrap_or_else(|| settings.target_dir());
    let (urls, bad) = crate::input::take_valid(&h.lines.join("\n"), crate::input::pattern::DEFAULT_CAP);
    for line in bad.lines() {
        tracing::warn!("handed over, not a URL: {line}");
    }
    for (url, mut options) in urls {
        // A torrent seeds as the settings say, into their torrents' folder.
        let dir = if crate::engine::is_torrent_source(&url) {
            settings.torrent.fill_seeding(&mut options.torrent);
            given.clone().unwrap_or_else(|| settings.torrent.folder(&dir))
        } else {
            dir.clone()
        };
        if let Some(i) = core.add(url, dir, options, false) {
            tracing::info!(gid = %core.rpc_state.gids.gid(i), "added {}", core.model.rows[i].shown_url);
        }
    }
}

/// What the settings ask for once a batch ended: the command now, or a
/// suspend or power-off after the countdown (returned).
fn after_batch(settings: &Settings, end: &BatchEnd) -> Option<(Instant, bool)> {
    let power_off = match after::wanted(settings, end)? {
        after::Act::RunCommand => {
            match after::run_command(settings, end) {
                Ok(()) => tracing::info!("after the batch: ran `{}`", settings.after_command.trim()),
                Err(e) => tracing::warn!(
                    "after the batch: `{}` did not start: {e}",
                    settings.after_command.trim()
                ),
            }
            return None;
        }
        after::Act::Suspend => false,
        after::Act::PowerOff => true,
    };
    tracing::warn!(
        "after the batch: {} in {} s (new downloads or stopping the service cancel it)",
        if power_off { "powering off" } else { "suspending" },
        after::COUNTDOWN.as_secs()
    );
    Some((Instant::now() + after::COUNTDOWN, power_off))
}

/// A countdown goes on, is cancelled by new work, or asks logind at zero.
fn count_down(
    countdown: Option<(Instant, bool)>,
    core: &Downloads,
    bus: Option<String>,
) -> Option<(Instant, bool)> {
    let (at, power_off) = countdown?;
    if core.model.in_flight() > 0 || core.model.counts().queued > 0 {
        tracing::info!("new downloads: the suspend or power-off is cancelled");
        return None;
    }
    if Instant::now() < at {
        return countdown;
    }
    std::thread::spawn(move || match after::ask_logind(bus, power_off) {
        Ok(()) => tracing::info!(
            "logind was asked to {}",
            if power_off { "power off" } else { "suspend" }
        ),
        Err(e) => tracing::warn!("logind refused: {e}"),
    });
    None
}

/// The weekly schedule, looked at every pass (a pass is at most a second
/// apart); what an edge changed is logged.
fn run_schedule(core: &mut Downloads, settings: &Settings, clock: &dyn Clock) {
    let before = (core.queue_paused, core.speed);
    core.run_schedule(settings, clock.now());
    if (core.queue_paused, core.speed) != before {
        tracing::info!(
            "schedule: queue {}, speed limit {}",
            if core.queue_paused { "paused" } else { "running" },
            core.rate_limit(settings)
                .map_or("none".to_string(), |b| format!("{} KiB/s", b / 1024))
        );
    }
}

/// One line for what a user of a service wants in its journal.
fn log_event(event: &Event, d: &Downloads) {
    let gid = |i: usize| d.rpc_state.gids.gid(i);
    let url = |i: usize| d.model.rows.get(i).map_or("", |r| r.shown_url.as_str());
    match event {
        // Once a download, not again on every retry.
        Event::Started { index, .. }
            if d.model
                .rows
                .get(*index)
                .is_some_and(|r| r.state == TaskState::Queued) =>
        {
            tracing::info!(gid = %gid(*index), "started {}", url(*index));
        }
        Event::Paused { index, .. } => tracing::info!(gid = %gid(*index), "paused {}", url(*index)),
        Event::Finished(r) => match &r.outcome {
            Ok(saved) => tracing::info!(
                gid = %gid(r.index),
                "complete {} -> {} ({} bytes)",
                url(r.index),
                saved.path.display(),
                saved.bytes
            ),
            Err(FetchError::Cancelled) => tracing::info!(gid = %gid(r.index), "removed {}", url(r.index)),
            Err(e) => tracing::warn!(gid = %gid(r.index), "failed {}: {e}", url(r.index)),
        },
        _ => {}
    }
}

/// Pauses what runs and waits (a while, unless `force`) for each transfer
/// to stop with its bytes and control file in place, so the next start
/// continues them.
fn shut_down(service: &mut Service, force: bool) {
    save_session(service);
    let Service {
        downloads: core,
        server,
        ..
    } = service;
    let running: Vec<usize> = core.model.running().collect();
    if !running.is_empty() {
        tracing::info!("stopping: pausing {} running downloads", running.len());
    }
    for &i in &running {
        core.pause(i);
    }
    let deadline = Instant::now() + if force { Duration::ZERO } else { STOP_GRACE };
    while core.model.in_flight() > 0 && Instant::now() < deadline {
        let _ = core.events().recv_timeout(Duration::from_millis(100));
        core.drain_events(Duration::from_millis(50), |event, d| {
            if let Some(server) = server {
                d.tell(server, event);
            }
        });
    }
    // Paused by the stop, not by the user: the next start goes on with
    // them (as it does with everything unfinished when resume_on_start).
    core.commit();
    tracing::info!("stopped; the queue is saved");
}

/// aria2 writes its session file as it ends when `save-session` is set
/// (`changeGlobalOption`): so does the service, before it pauses what
/// runs (a running download is written as one to go on).
fn save_session(service: &mut Service) {
    if service.downloads.rpc_options.session_file.is_none() {
        return;
    }
    let mut host = super::host::ServiceHost {
        downloads: &mut service.downloads,
        settings: &mut service.settings,
        settings_changed: false,
    };
    let call = crate::rpc::Call {
        method: crate::rpc::method::Method::SaveSession,
        params: Vec::new(),
    };
    match host.answer(&call) {
        Ok(_) => tracing::info!("session saved (save-session)"),
        Err(e) => tracing::warn!("session not saved: {}", e.message),
    }
}
