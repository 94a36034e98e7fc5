//! The window as the front end of a server: everything on a `fanout serve` or
//! an aria2c (downloads other programs added there too), shown and
//! controlled over aria2's JSON-RPC. No egui here.
//!
//! [`Remote::connect`] starts a thread that follows the server: it polls
//! `tellActive`, `tellWaiting` and `tellStopped` in one `system.multicall`
//! twice a second (at once after a command, or when the server's WebSocket
//! tells of a start, pause, stop, completion or error), and applies what
//! changed to a [`View`] as engine events (see `mirror`). The window draws
//! [`Remote::view`] and sends [`RemoteCommand`]s. The JSON-RPC client and
//! aria2's replies are the `aria2-rpc` crate's; their reading as engine
//! events and errors is the engine's ([`crate::engine::Aria2StatusEvents`]),
//! shared with its aria2 backend.
//!
//! Choices where the issue is silent:
//! - Adds go into the server's own folder (no `dir` is sent); the folder is
//!   read with `getGlobalOption` at connect and every ten seconds.
//! - `Remove` takes a download off the server entirely (stopped first if it
//!   runs, then its result removed), as a remote list's delete does in
//!   AriaNg; `Cancel` stops it and leaves it listed as removed.
//! - A lost connection keeps the rows and tries again every second. A
//!   refused secret is not tried again (it will not start working, and the
//!   server counts every refusal): connect again with another secret.
//! - The lists are read up to [`LISTED`] entries each: a longer queue shows
//!   its first ones, and rows beyond are not taken for removed.

mod bt;
mod link;
mod mirror;
mod notes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::Sender;
use parking_lot::{Mutex, MutexGuard};

pub use self::mirror::View;
use crate::engine::{Place, Waker};
use crate::service::Downloads;
use crate::settings::Settings;

/// The most entries asked of the waiting and the stopped list each.
pub const LISTED: usize = 1000;

/// What the user asks of the server, by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteCommand {
    /// A new download into the server's folder.
    Add {
        url: String,
    },
    Pause(Vec<usize>),
    Resume(Vec<usize>),
    /// Stops them; they stay listed as removed (aria2's `remove`).
    Cancel(Vec<usize>),
    /// Takes them off the server: stopped if they run, then forgotten.
    Remove(Vec<usize>),
    /// A torrent's files chosen (0-based), as aria2's `select-file`; a
    /// torrent paused there (one waiting for its files) goes on.
    SelectFiles {
        index: usize,
        files: Vec<usize>,
    },
    /// A place in the server's queue (`changePosition`).
    Move {
        index: usize,
        place: Place,
    },
}

/// The connection to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteStatus {
    /// Not answered yet.
    Connecting,
    Connected {
        /// Which server and its version (`fanout 0.1.0`, `aria2 1.36.0`),
        /// from `getVersion`.
        version: String,
        /// Where the server saves what is added without a folder.
        dir: Option<String>,
    },
    Failed(RemoteError),
}

/// Why the server cannot be followed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// Not an http(s) address of a JSON-RPC server.
    #[error("{0}")]
    Address(String),
    /// No answer, or not aria2's JSON-RPC: tried again every second.
    #[error("cannot reach the server: {0}; trying again")]
    Unreachable(String),
    /// The secret is wrong: not tried again.
    #[error("the server refused the secret")]
    Refused,
}

impl std::fmt::Display for RemoteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteStatus::Connecting => f.write_str("connecting"),
            RemoteStatus::Connected { version, .. } => write!(f, "connected ({version})"),
            RemoteStatus::Failed(e) => e.fmt(f),
        }
    }
}

/// A server followed: a thread, the view it keeps, and its commands.
/// Dropping it stops following (the threads end within a second).
pub struct Remote {
    view: Arc<Mutex<View>>,
    commands: Sender<RemoteCommand>,
    stop: Arc<AtomicBool>,
}

impl Remote {
    /// Starts following the server at `url` (`http(s)://host:port/jsonrpc`)
    /// with `secret` (empty: none). `wake` is called from the thread when
    /// the view changed. `settings` gives the results' order.
    pub fn connect(url: &str, secret: &str, settings: &Settings, wake: Waker) -> Remote {
        let view = Arc::new(Mutex::new(View::new(Downloads::new(settings))));
        let (commands, rx) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let secret = (!secret.is_empty()).then(|| secret.to_string());
        match link::Link::new(url, secret, view.clone(), wake.clone()) {
            Ok(link) => {
                let (pokes, poked) = crossbeam_channel::bounded(1);
                notes::listen(url, pokes, view.clone(), wake, stop.clone());
                link.spawn(rx, poked);
            }
            Err(e) => view.lock().set_status(RemoteStatus::Failed(e)),
        }
        Remote { view, commands, stop }
    }

    /// The server's downloads as last seen (hold it briefly: the thread
    /// waits for it to apply the next answer).
    pub fn view(&self) -> MutexGuard<'_, View> {
        self.view.lock()
    }

    pub fn status(&self) -> RemoteStatus {
        self.view.lock().status.clone()
    }

    /// Sends a command; the view shows its effect once the server does.
    pub fn send(&self, command: RemoteCommand) {
        // The thread is gone only when the address was refused at once.
        let _ = self.commands.send(command);
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
