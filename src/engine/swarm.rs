//! The engine's one BitTorrent session (librqbit), started when the first
//! torrent is added and never before: a `fanout get` of one HTTPS file
//! opens no listen port, joins no DHT and starts no thread for it.
//!
//! librqbit needs a multi-thread tokio runtime (it hashes and writes
//! pieces in `block_in_place`, which a current-thread runtime refuses), so
//! the session lives on a runtime of its own, on a thread of its own
//! (`fanout-bt`), apart from the engine's I/O loop ([`super::io`]). That
//! thread owns the runtime and ends it when the engine goes: a runtime
//! must not be dropped from inside another one.

use std::net::Ipv4Addr;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::{OnceCell, oneshot};

use super::config::TorrentConfig;
use super::http;

/// A running session and the runtime that drives it.
pub(crate) struct Started {
    pub(crate) handle: Handle,
    pub(crate) session: Arc<librqbit::Session>,
    /// Dropping it (with the engine) ends the runtime's thread.
    _stop: oneshot::Sender<()>,
}

/// The session, once started.
#[derive(Default)]
pub(crate) struct Swarm {
    started: OnceCell<Started>,
}

impl Swarm {
    /// The session, started with `config` the first time. A failure (the
    /// port is taken) leaves it unstarted, so the next torrent tries again.
    pub(crate) async fn get(&self, config: &TorrentConfig) -> Result<&Started, String> {
        self.started.get_or_try_init(|| start(config.clone())).await
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
