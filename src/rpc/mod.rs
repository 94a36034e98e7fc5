//! An aria2-compatible JSON-RPC server, so the programs people already
//! have (browser extensions such as Aria2 Explorer and the Motrix
//! extension, web front ends such as AriaNg, scripts using aria2p) can hand
//! downloads to fanout. No GUI type appears here: the service
//! ([`crate::service::host::ServiceHost`]) implements [`answer::Host`] for
//! the window and for `fanout serve` alike.
//!
//! The modules, each using only those before it: `wire` (JSON-RPC
//! envelopes and error codes) → `refusals` (calls turned away, counted and
//! logged) → `method` (aria2's method names and the token) → `status` (a
//! download as the RPC knows it, and its gids) → `bt` (a torrent in
//! aria2's words) → `options` (`addUri`'s options) → `add_torrent`
//! (`addTorrent`), `metalink` (`addMetalink`), `global`
//! (`getGlobalOption`, `changeGlobalOption`, `getOption`) → `tell`
//! (`tellStatus`' object), `session` (`saveSession`'s file, aria2's
//! format) → `answer` (the calls that touch downloads, run on the host's
//! thread) → `serve` (HTTP, WebSocket, CORS, the secret and the `Host`
//! header checked) → this file (binding and the server's thread).
//!
//! Data flows one way: a request is read and authorized on the server's
//! thread; calls that touch downloads go to the host (the service's
//! thread, which waits on them) as one [`Request`] and come back as
//! answers. A refused call wakes the window or `fanout serve` (`wake`),
//! which shows the refusals. The host never waits for the server;
//! notifications go out through
//! [`Server::notify`].

pub mod add_torrent;
pub mod answer;
pub mod bt;
pub mod global;
pub mod metalink;
pub mod method;
pub mod options;
pub mod refusals;
pub mod serve;
pub mod session;
pub mod status;
pub mod tell;
/// JSON-RPC 2.0's envelopes, from the protocol's own crate.
pub use aria2_rpc::wire;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

pub use answer::{AddError, Before, Global, GlobalChange, Host, RpcState};
pub use method::Call;
pub use options::Add;
pub use refusals::{RefusalReason, Refusals};
pub use status::{Download, Status};
pub use wire::ErrorObject;

use crate::engine::Waker;

/// Motrix's port, which its browser extension assumes (aria2 keeps 6800).
pub const DEFAULT_PORT: u16 = 16800;

/// Calls for the host of the downloads, answered in order through
/// `reply` (one result per call).
pub struct Request {
    pub calls: Vec<Call>,
    pub reply: oneshot::Sender<Vec<Result<Value, ErrorObject>>>,
}

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    pub port: u16,
    pub addresses: Addresses,
}

/// The addresses a [`Listen`] serves, all on its one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addresses {
    /// `127.0.0.1` and `[::1]` (a client set to `localhost` may try either
    /// first; a machine without IPv6 serves IPv4 only), and besides them the
    /// addresses the user chose in Preferences (a LAN address).
    Loopback { also: Vec<IpAddr> },
    /// Exactly these and no other (`fanout serve --rpc-listen`, where an
    /// address given is the address served).
    Exactly(Vec<IpAddr>),
}

impl Listen {
    pub fn loopback(port: u16) -> Listen {
        Listen {
            port,
            addresses: Addresses::Loopback { also: Vec::new() },
        }
    }

    /// The addresses served that are not loopback ones: `Host` headers
    /// naming them are accepted besides the loopback names.
    fn outside_loopback(&self) -> impl Iterator<Item = &IpAddr> {
        let (Addresses::Loopback { also: ips } | Addresses::Exactly(ips)) = &self.addresses;
        ips.iter().filter(|ip| !ip.is_loopback())
    }
}

/// Why the server did not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("port {port} is taken by another program (Motrix or aria2?)")]
    PortTaken { port: u16 },
    #[error("cannot listen on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("an empty secret would let any program in: refused")]
    EmptySecret,
    #[error("cannot start the server: {0}")]
    Runtime(String),
}

/// What the server's connections share.
pub(crate) struct Shared {
    secret: String,
    host: crossbeam_channel::Sender<Request>,
    /// Wakes the window or `fanout serve` when a call is refused (it shows
    /// the count).
    wake: Waker,
    notes: broadcast::Sender<String>,
    session: String,
    /// Host names accepted besides loopback ones (the extra addresses).
    hosts: Vec<String>,
    /// The calls refused, also read through [`Server::refusals`].
    refusal_log: Arc<refusals::RefusalLog>,
    /// Where `aria2.shutdown` and `forceShutdown` go, for
    /// a host that ends on them (`fanout serve`); `None`: refused.
    shutdown: Option<crossbeam_channel::Sender<Shutdown>>,
}

/// A client asked the host to end (`aria2.shutdown`, `forceShutdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// As SIGTERM: running downloads pause and keep their bytes first.
    Graceful,
    /// At once: no wait for running downloads to pause.
    Force,
}

/// A running server. Dropping it stops listening and closes its
/// connections, and returns once the port is free again (so a restart on
/// the same port binds it).
pub struct Server {
    addrs: Vec<SocketAddr>,
    notes: broadcast::Sender<String>,
    refusal_log: Arc<refusals::RefusalLog>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        // Quick: the loop ends at the signal, and dropping its runtime
        // closes the listeners and cancels the connections' tasks.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Server {
    /// Binds at once (so a taken port is known now), then serves on a
    /// thread of its own, `fanout-rpc`.
    pub fn start(
        listen: &Listen,
        secret: &str,
        session: String,
        host: crossbeam_channel::Sender<Request>,
        wake: Waker,
    ) -> Result<Server, StartError> {
        Server::start_ending(listen, secret, session, host, wake, None)
    }

    /// [`Server::start`] for a host that ends when a client asks
    /// (`aria2.shutdown`): the request goes to `shutdown` once its answer
    /// is on its way.
    pub fn start_ending(
        listen: &Listen,
        secret: &str,
        session: String,
        host: crossbeam_channel::Sender<Request>,
        wake: Waker,
        shutdown: Option<crossbeam_channel::Sender<Shutdown>>,
    ) -> Result<Server, StartError> {
        if secret.is_empty() {
            return Err(StartError::EmptySecret);
        }
        let listeners = bind(listen)?;
        let addrs: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        let (notes, _) = broadcast::channel(1024);
        let refusal_log = Arc::new(refusals::RefusalLog::default());
        let shared = Arc::new(Shared {
            secret: secret.to_string(),
            host,
            wake,
            notes: notes.clone(),
            session,
            hosts: listen.outside_loopback().map(|ip| ip.to_string()).collect(),
            refusal_log: refusal_log.clone(),
            shutdown,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        let thread = std::thread::Builder::new()
            .name("fanout-rpc".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let app = serve::router(shared);
                    let mut servers = tokio::task::JoinSet::new();
                    for l in listeners {
                        let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                            continue;
                        };
                        servers.spawn(axum::serve(l, app.clone()).into_future());
                    }
                    // Stops when the `Server` is dropped; dropping the
                    // runtime then closes every connection.
                    let _ = stopped.await;
                });
            })
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        Ok(Server {
            addrs,
            notes,
            refusal_log,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The addresses served (the port is known here when 0 was asked).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub fn port(&self) -> u16 {
        self.addrs.first().map_or(0, SocketAddr::port)
    }

    /// The calls refused since it started (a wrong or missing secret, a
    /// foreign `Host`), and the last one; `None` if none was. Cheap enough
    /// for every frame: no lock while nothing was refused. Its `Display`
    /// is the sentence for a status line or a headless log.
    pub fn refusals(&self) -> Option<Refusals> {
        self.refusal_log.refusals()
    }

    /// Tells every WebSocket client about a download (`aria2.onDownloadStart`…).
    pub fn notify(&self, method: &str, gid: &str) {
        let _ = self.notes.send(wire::notification(method, gid).to_string());
    }
}

/// Binds every address of `listen` on its one port (port 0, in tests: the
/// port the first address got, on every other address).
fn bind(listen: &Listen) -> Result<Vec<TcpListener>, StartError> {
    let open = |addr: SocketAddr| -> Result<TcpListener, StartError> {
        let l = TcpListener::bind(addr).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => StartError::PortTaken { port: addr.port() },
            _ => StartError::Bind {
                addr,
                detail: e.to_string(),
            },
        })?;
        l.set_nonblocking(true).map_err(|e| StartError::Bind {
            addr,
            detail: e.to_string(),
        })?;
        Ok(l)
    };
    let mut all = Vec::new();
    let mut port = listen.port;
    let mut open_on = |ip: IpAddr, all: &mut Vec<TcpListener>| -> Result<(), StartError> {
        let l = open(SocketAddr::new(ip, port))?;
        port = l.local_addr().map_or(port, |a| a.port());
        all.push(l);
        Ok(())
    };
    match &listen.addresses {
        Addresses::Loopback { also } => {
            open_on(IpAddr::V4(Ipv4Addr::LOCALHOST), &mut all)?;
            if let Err(e) = open_on(IpAddr::V6(Ipv6Addr::LOCALHOST), &mut all) {
                tracing::info!(%e, "not serving RPC on [::1]");
            }
            for ip in also.iter().filter(|ip| !ip.is_loopback()) {
                open_on(*ip, &mut all)?;
            }
        }
        Addresses::Exactly(ips) => {
            for ip in ips {
                open_on(*ip, &mut all)?;
            }
        }
    }
    Ok(all)
}
