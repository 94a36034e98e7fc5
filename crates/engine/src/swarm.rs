//! The engine's one BitTorrent session (librqbit), started when a torrent
//! is added and never before: a `fanout get` of one HTTPS file opens no
//! listen port, joins no DHT and starts no thread for it. Each running
//! torrent holds a [`Lease`]; when the last one ends, the session stops,
//! so the listen port and the DHT are on only while a torrent downloads
//! or seeds.
//!
//! librqbit needs a multi-thread tokio runtime (it hashes and writes
//! pieces in `block_in_place`, which a current-thread runtime refuses), so
//! the session lives on a runtime of its own, on a thread of its own
//! (`fanout-bt`), apart from the engine's I/O loop ([`super::event_loop`]). That
//! thread owns the runtime and ends it when the engine goes: a runtime
//! must not be dropped from inside another one.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::config::TorrentConfig;
use super::http;
use crate::sync;

/// A running session and the runtime that drives it.
pub(crate) struct Started {
    pub(crate) handle: Handle,
    pub(crate) session: Arc<librqbit::Session>,
    /// Dropping it (with the last lease, or the engine) ends the
    /// runtime's thread.
    _stop: oneshot::Sender<()>,
}

/// The session while any torrent runs.
#[derive(Default)]
pub(crate) struct Swarm {
    state: Mutex<State>,
    /// One start at a time: two torrents added together share a session.
    starting: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    started: Option<Arc<Started>>,
    leases: usize,
}

/// A running torrent's hold on the session.
pub(crate) struct Lease<'a> {
    swarm: &'a Swarm,
    pub(crate) started: Arc<Started>,
}

impl Swarm {
    /// The session, started with `config` if none runs. A failure (the
    /// port is taken) leaves it unstarted, so the next torrent tries again.
    pub(crate) async fn lease(&self, config: &TorrentConfig) -> Result<Lease<'_>, String> {
        let _one = self.starting.lock().await;
        let running = {
            let mut state = sync::lock(&self.state);
            let running = state.started.clone();
            if running.is_some() {
                state.leases += 1;
            }
            running
        };
        let started = match running {
            Some(s) => s,
            None => {
                let s = Arc::new(start(config.clone()).await?);
                let mut state = sync::lock(&self.state);
                state.started = Some(s.clone());
                state.leases += 1;
                s
            }
        };
        Ok(Lease { swarm: self, started })
    }
}

impl Swarm {
    /// The upload limit over all torrents, changed while the session runs
    /// (a session started later takes it from the engine's settings).
    pub(crate) fn set_upload_limit(&self, limit: Option<u64>) {
        if let Some(s) = &sync::lock(&self.state).started {
            s.session.ratelimits.set_upload_bps(bps(limit));
        }
    }
}

/// A limit in bytes per second as librqbit takes it.
pub(crate) fn bps(limit: Option<u64>) -> Option<std::num::NonZeroU32> {
    limit.and_then(|l| std::num::NonZeroU32::new(u32::try_from(l).unwrap_or(u32::MAX)))
}

impl Drop for Lease<'_> {
    /// The last torrent's end stops the session: its runtime's thread ends
    /// the runtime, which closes the listen port and leaves the DHT.
    fn drop(&mut self) {
        let mut state = sync::lock(&self.swarm.state);
        state.leases -= 1;
        if state.leases == 0 {
            let last = state.started.take();
            drop(state);
            drop(last);
        }
    }
}

async fn start(config: TorrentConfig) -> Result<Started, String> {
    // librqbit builds a reqwest client (for trackers and .torrent URLs),
    // which panics without a TLS provider: fanout's ring one, installed
    // here too in case no HTTP client of the engine has been built yet.
    http::crypto_provider();
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, handle) = oneshot::channel();
    std::thread::Builder::new()
        .name("fanout-bt".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("fanout-bt")
                .enable_all()
                .build();
            let rt = match rt {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready.send(Ok(rt.handle().clone()));
            let _ = rt.block_on(stopped);
            rt.shutdown_background();
        })
        .map_err(|e| e.to_string())?;
    let handle = handle
        .await
        .map_err(|_| "the BitTorrent runtime's thread died".to_string())??;
    let options = librqbit::SessionOptions {
        dht: config.dht.then(librqbit::DhtSessionConfig::default),
        // Local discovery multicasts on the LAN: off with the DHT, so
        // `--no-dht` keeps a torrent to its trackers and given peers.
        disable_local_service_discovery: !config.dht,
        listen: Some(librqbit::ListenerOptions {
            listen_addr: (Ipv4Addr::UNSPECIFIED, config.port.unwrap_or(0)).into(),
            enable_upnp_port_forwarding: false,
            ..Default::default()
        }),
        persistence: None,
        fastresume: false,
        // The engine's upload limit is over all torrents: the session's.
        ratelimits: librqbit::limits::LimitsConfig {
            upload_bps: bps(config.upload_limit),
            download_bps: None,
        },
        ..Default::default()
    };
    // The session spawns its tasks on the runtime it is created in.
    let created = handle.spawn(async move {
        librqbit::Session::new_with_opts(std::env::temp_dir(), options)
            .await
            .map_err(|e| format!("{e:#}"))
    });
    let session = created.await.map_err(|e| e.to_string())??;
    tracing::info!(addr = ?session.listen_addr(), "BitTorrent session started");
    Ok(Started {
        handle,
        session,
        _stop: stop,
    })
}
