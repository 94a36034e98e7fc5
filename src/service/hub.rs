//! The downloads on a thread of their own. One [`Service`] (the list, its
//! engine and store, the settings the calls read, the RPC server) sits
//! behind one lock. The service's thread waits on everything that changes
//! it without a front end's help: the RPC's calls, the engine's events,
//! the URLs a later `fanout URL…` hands over, a stop. The front ends (the
//! window, `fanout serve`) add what is theirs through [`FrontEnd`].
//!
//! The window takes the lock to lay out a frame and to do what the user
//! asked; it never holds it while a frame is painted. This thread takes it
//! for a slice of work at a time ([`SLICE`]) and hands it over fairly, so
//! neither waits behind the other for long: an RPC call waits for a
//! layout at most (about 2 ms for 10,000 rows), never for a frame, and a
//! hidden or minimized window does not hold anything up.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select, Sender, TryRecvError};
use parking_lot::{Mutex, MutexGuard};
use serde_json::Value;

use super::Downloads;
use super::host::ServiceHost;
use crate::engine::Event;
use crate::platform::instance::Arrival;
use crate::rpc::{ErrorObject, Request, Server};
use crate::settings::Settings;

/// How long this thread holds the lock at a time while work is waiting.
const SLICE: Duration = Duration::from_millis(2);

/// How long a pass waits when nothing arrives: a front end's periodic work
/// (the schedule's minute edges, a countdown) needs no finer.
const IDLE_PASS: Duration = Duration::from_millis(500);

/// Everything the downloads are, behind the one lock.
pub struct Service {
    pub downloads: Downloads,
    /// The settings the RPC's calls read and change (`getGlobalOption`,
    /// `changeGlobalOption`): the window pushes its own here when they
    /// change, and takes them back when a call changed them.
    pub settings: Settings,
    /// Counts the changes calls made to `settings`.
    pub settings_version: u64,
    /// The RPC server, when one serves: told what the engine reports.
    pub server: Option<Server>,
}

impl Service {
    pub fn new(downloads: Downloads, settings: Settings) -> Service {
        Service {
            downloads,
            settings,
            settings_version: 0,
            server: None,
        }
    }

    /// Answers calls in order against the list as earlier ones left it;
    /// true if one changed the settings.
    fn answer_some(
        &mut self,
        calls: &mut std::slice::Iter<'_, crate::rpc::Call>,
        results: &mut Vec<Answer>,
    ) -> bool {
        let start = Instant::now();
        let mut host = ServiceHost {
            downloads: &mut self.downloads,
            settings: &mut self.settings,
            settings_changed: false,
        };
        for call in calls.by_ref() {
            results.push(host.answer(call));
            if start.elapsed() >= SLICE {
                break;
            }
        }
        host.settings_changed
    }

    /// A call changed the settings: the engine follows them now, whoever
    /// shows them.
    fn apply_settings(&mut self) {
        self.settings_version += 1;
        let limit = self.downloads.rate_limit(&self.settings);
        let config = self.downloads.engine_config(&self.settings);
        if let Some(engine) = self.downloads.engine.as_mut() {
            engine.set_rate_limit(limit);
            if let Err(e) = engine.reconfigure(config) {
                tracing::warn!("the engine keeps its settings: {e}");
            }
        }
        self.downloads.model.set_order(self.settings.order());
    }
}

type Answer = Result<Value, ErrorObject>;

/// The downloads as both the service's thread and a front end hold them.
pub type Shared = Arc<Mutex<Service>>;

/// What a front end adds to the service's thread. Each runs with the lock held.
pub trait FrontEnd {
    /// An engine event, with the list as it was before it.
    fn on_event(&mut self, _event: &Event, _downloads: &Downloads) {}
    /// URLs a later start handed over; the caller acknowledges them once
    /// the store has what this queued.
    fn on_handoff(&mut self, _service: &mut Service, _arrival: crate::platform::instance::Handoff) {}
    /// After every pass (at most [`IDLE_PASS`] apart).
    fn each_pass(&mut self, _service: &mut Service) {}
}

/// What the service's thread waits on.
pub struct Inputs {
    pub calls: Receiver<Request>,
    pub handoffs: Receiver<Arrival>,
    /// Closed (or sent to) when the service is to stop.
    pub stop: Receiver<()>,
    /// A front end changed something the thread waits on (the engine).
    pub nudge: Receiver<()>,
}

/// Runs the service on this thread until `stop` says so.
pub fn run(shared: &Shared, inputs: Inputs, front_end: &mut dyn FrontEnd) {
    loop {
        // Waits for any of them without taking from it (an engine event
        // taken here would be lost to `drain_events`).
        let events = shared.lock().downloads.events().clone();
        let mut ready = Select::new();
        let on_call = ready.recv(&inputs.calls);
        ready.recv(&events);
        let on_handoff = ready.recv(&inputs.handoffs);
        let on_stop = ready.recv(&inputs.stop);
        let on_nudge = ready.recv(&inputs.nudge);
        match ready.ready_timeout(IDLE_PASS) {
            Ok(i) if i == on_call => match inputs.calls.try_recv() {
                Ok(req) => answer(shared, req),
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => {}
            },
            Ok(i) if i == on_handoff => {
                if let Ok(Arrival { handoff, kept }) = inputs.handoffs.try_recv() {
                    let mut service = shared.lock();
                    front_end.on_handoff(&mut service, handoff);
                    // The later start hears `ok` once the store has them.
                    match &service.downloads.store {
                        Some(store) => store.when_committed(move || {
                            let _ = kept.send(());
                        }),
                        None => {
                            let _ = kept.send(());
                        }
                    }
                }
            }
            Ok(i) if i == on_stop && !matches!(inputs.stop.try_recv(), Err(TryRecvError::Empty)) => return,
            Ok(i) if i == on_nudge => while inputs.nudge.try_recv().is_ok() {},
            _ => {}
        }
        drain(shared, front_end);
        let mut service = shared.lock();
        service.downloads.give_back_secrets();
        front_end.each_pass(&mut service);
    }
}

/// Applies the engine's events a slice at a time, handing the lock over
/// in between.
pub fn drain(shared: &Shared, front_end: &mut dyn FrontEnd) {
    loop {
        let mut service = shared.lock();
        let Service {
            downloads, server, ..
        } = &mut *service;
        let more = downloads.drain_events(SLICE, |event, d| {
            if let Some(server) = server {
                d.tell(server, event);
            }
            front_end.on_event(event, d);
        });
        if !more {
            return;
        }
        MutexGuard::unlock_fair(service);
    }
}

/// Answers one request's calls, a slice at a time, then replies once the
/// store has committed what they changed: acknowledged means kept. The
/// reply goes from the store's thread; this one goes on.
fn answer(shared: &Shared, req: Request) {
    let Request { calls, reply } = req;
    let mut results = Vec::with_capacity(calls.len());
    let mut left = calls.iter();
    loop {
        let mut service = shared.lock();
        if service.answer_some(&mut left, &mut results) {
            service.apply_settings();
        }
        if left.len() > 0 {
            MutexGuard::unlock_fair(service);
            continue;
        }
        match &service.downloads.store {
            Some(store) => store.when_committed(move || {
                let _ = reply.send(results);
            }),
            None => {
                let _ = reply.send(results);
            }
        }
        return;
    }
}

/// The service running on a thread of its own, for a front end that has its
/// own thread to keep (the window's). Dropped, it stops the thread.
pub struct Hub {
    shared: Shared,
    calls: Sender<Request>,
    nudge: Sender<()>,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Hub {
    /// Starts the service's thread. `handoffs`: URLs later starts hand
    /// over, when this front end leaves them to the service.
    pub fn start(
        service: Service,
        handoffs: Receiver<Arrival>,
        mut front_end: impl FrontEnd + Send + 'static,
    ) -> std::io::Result<Hub> {
        let shared: Shared = Arc::new(Mutex::new(service));
        let (calls, calls_rx) = crossbeam_channel::unbounded();
        let (nudge, nudge_rx) = crossbeam_channel::unbounded();
        let (stop, stop_rx) = crossbeam_channel::bounded(1);
        let inputs = Inputs {
            calls: calls_rx,
            handoffs,
            stop: stop_rx,
            nudge: nudge_rx,
        };
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("fanout-service".into())
                .spawn(move || run(&shared, inputs, &mut front_end))?
        };
        Ok(Hub {
            shared,
            calls,
            nudge,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Service> {
        self.shared.lock()
    }

    /// Where the RPC server sends its calls.
    pub fn calls(&self) -> Sender<Request> {
        self.calls.clone()
    }

    /// Tells the thread to look again at what it waits on (a new engine).
    pub fn nudge(&self) {
        let _ = self.nudge.send(());
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
