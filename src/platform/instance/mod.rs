//! One window per user. Two windows on one queue would run every download
//! twice and overwrite each other's store, so the first `fanout` holds a
//! lock in the data folder, and a later `fanout URL…` hands its URLs to it
//! over a local channel of fanout's own and exits: a Unix socket in a
//! folder only the user may enter ([`unix`]), or elsewhere (Windows) a
//! loopback port whose number and token are in a file of the user's data
//! folder ([`loopback`]). It is not the RPC port, which another program
//! (Motrix) may hold, and it works with `Accept downloads from other
//! programs` turned off.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on
//! Windows): it goes with the process, so a window that was killed leaves
//! no lock behind, only a socket (or port) file that the next one replaces.

mod loopback;
#[cfg(unix)]
mod unix;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Receiver;
use serde::{Deserialize, Serialize};

use crate::engine::Waker;

/// The most a hand-over may carry (a long pasted list is far less).
const MAX_HANDOFF: u64 = 8 << 20;

/// What a later start hands to the running window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// URL lines (patterns and options as in the add dialog).
    pub lines: Vec<String>,
    /// `-o DIR`, absolute.
    pub dir: Option<PathBuf>,
    /// Wayland's `XDG_ACTIVATION_TOKEN` of the later start, so the window
    /// may be raised.
    pub activation_token: Option<String>,
    /// `--hidden`: the URLs are queued without showing the window.
    #[serde(default)]
    pub hidden: bool,
}

impl Handoff {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.dir.is_none()
    }
}

/// A hand-over as the holder takes it: once what it queued is committed,
/// it sends on (or drops) `kept`, and only then is the later start told
/// `ok` (acknowledged means kept).
#[derive(Debug)]
pub struct Arrival {
    pub handoff: Handoff,
    pub kept: crossbeam_channel::Sender<()>,
}

/// How long a later start waits to hear that its URLs are kept.
const KEPT_WAIT: Duration = Duration::from_secs(8);

/// Where the lock and the hand-over channel live.
#[derive(Clone, Debug)]
pub struct Places {
    pub lock: PathBuf,
    /// The Unix socket; elsewhere, the file naming the loopback port and
    /// its token.
    pub socket: PathBuf,
}

/// The longest socket path the system takes (`sun_path`: 108 bytes on
/// Linux, 104 on the BSDs and macOS, with its closing NUL), with room to spare.
const SOCKET_PATH_MAX: usize = 100;

impl Places {
    /// The lock in the data folder; the socket in the user's runtime folder
    /// (`$XDG_RUNTIME_DIR/fanout`), else beside the lock. The socket's name
    /// comes from the data folder, so two data folders (a portable copy)
    /// never share one.
    pub fn new(data_dir: &Path) -> Places {
        Places::with_runtime(data_dir, dirs::runtime_dir())
    }

    /// [`Places::new`] with the runtime folder given. A socket path longer
    /// than the system takes (a deep data folder and no runtime folder)
    /// goes to a folder of its own in the temporary folder instead, so any
    /// data folder works; `listen` makes that folder the user's alone.
    fn with_runtime(data_dir: &Path, runtime: Option<PathBuf>) -> Places {
        let runtime = runtime.map_or_else(|| data_dir.to_path_buf(), |d| d.join("fanout"));
        // FNV-1a: stable across runs and builds, unlike std's hasher.
        let key = data_dir
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }) as u32;
        let kind = if cfg!(unix) { "sock" } else { "port" };
        let name = format!("instance-{key:08x}.{kind}");
        let mut socket = runtime.join(&name);
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            socket = std::env::temp_dir().join(format!("fanout-{key:08x}")).join(name);
        }
        Places {
            lock: data_dir.join("fanout.lock"),
            socket,
        }
    }
}

/// Who holds the lock, as the holder wrote into the lock file: a later
/// start says so instead of guessing. An empty file is a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Window,
    /// `fanout serve`, with the port its RPC listens on.
    Serve {
        port: u16,
    },
}

impl Holder {
    /// Written by the holder once it knows (best effort: it only informs).
    pub fn write(&self, places: &Places) {
        let text = match self {
            Holder::Window => String::new(),
            Holder::Serve { port } => format!("serve {port}\n"),
        };
        if let Err(e) = std::fs::write(holder_file(places), text) {
            tracing::warn!(%e, "cannot say who holds {}", places.lock.display());
        }
    }

    /// Who holds it: a window unless a service said so.
    pub fn read(places: &Places) -> Holder {
        let text = std::fs::read_to_string(holder_file(places)).unwrap_or_default();
        let mut words = text.split_whitespace();
        match (words.next(), words.next().and_then(|p| p.parse().ok())) {
            (Some("serve"), Some(port)) => Holder::Serve { port },
            _ => Holder::Window,
        }
    }
}

/// Beside the lock, not in it: Windows' lock is mandatory, so no other
/// handle (a later start's read, the holder's own write) may touch the
/// locked file.
fn holder_file(places: &Places) -> PathBuf {
    places.lock.with_file_name("fanout.holder")
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Window => f.write_str("a fanout window"),
            Holder::Serve { port } => write!(f, "`fanout serve` (RPC on port {port})"),
        }
    }
}

/// The result of trying to be the one window.
pub enum Claim {
    First(Instance),
    /// Another window holds the lock: hand over to it.
    Running,
}

/// The running window's end: the lock, and the hand-overs that arrive.
pub struct Instance {
    _lock: File,
    handoffs: Receiver<Arrival>,
    tx: crossbeam_channel::Sender<Arrival>,
    waker: Arc<Mutex<Option<Waker>>>,
    socket: PathBuf,
}

impl Instance {
    /// Takes the lock and listens, or says another window runs.
    pub fn claim(places: &Places) -> io::Result<Claim> {
        if let Some(dir) = places.lock.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&places.lock)?;
        match lock.try_lock() {
            // Who held it before is no longer true.
            Ok(()) => {
                let _ = std::fs::remove_file(holder_file(places));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(Claim::Running),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        let (tx, handoffs) = crossbeam_channel::unbounded();
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        listen(&places.socket, tx.clone(), waker.clone())?;
        Ok(Claim::First(Instance {
            _lock: lock,
            handoffs,
            tx,
            waker,
            socket: places.socket.clone(),
        }))
    }

    /// Hand-overs that arrived, oldest first.
    pub fn handoffs(&self) -> &Receiver<Arrival> {
        &self.handoffs
    }

    /// Called when a hand-over arrives (the window asks for a frame).
    pub fn set_waker(&self, waker: Waker) {
        *crate::sync::lock(&self.waker) = Some(waker);
    }

    /// The window's own start with URLs: taken like a hand-over.
    pub fn push(&self, handoff: Handoff) {
        let (kept, _) = crossbeam_channel::bounded(1);
        let _ = self.tx.send(Arrival { handoff, kept });
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Takes one hand-over from a connection: reads it (capped), passes it
/// on, waits until the holder has kept it, and answers `ok` (or why not).
/// The transports differ in how the connection comes and who may open it.
fn take(
    stream: &mut (impl Read + Write),
    tx: &crossbeam_channel::Sender<Arrival>,
    waker: &Mutex<Option<Waker>>,
) {
    let mut body = Vec::new();
    let read = stream.take(MAX_HANDOFF + 1).read_to_end(&mut body);
    let handoff = read
        .ok()
        .filter(|_| body.len() as u64 <= MAX_HANDOFF)
        .and_then(|_| serde_json::from_slice::<Handoff>(&body).ok());
    let answer: &[u8] = match handoff {
        Some(handoff) => {
            let (kept, committed) = crossbeam_channel::bounded(1);
            let _ = tx.send(Arrival { handoff, kept });
            if let Some(wake) = crate::sync::lock(waker).as_ref() {
                wake();
            }
            // Sent once the holder's store has it, or dropped when it
            // queued nothing (the lines went to the add dialog): either
            // way it was taken.
            let _ = committed.recv_timeout(KEPT_WAIT);
            b"ok\n"
        }
        None => b"refused: not a hand-over\n",
    };
    let _ = stream.write_all(answer);
}

/// Sends `handoff` over a connection and reads the holder's word.
fn send(stream: &mut (impl Read + Write), handoff: &Handoff) -> io::Result<()> {
    stream.write_all(&serde_json::to_vec(handoff).map_err(io::Error::other)?)?;
    stream.flush()?;
    Ok(())
}

/// The holder's answer, read after the sender closed its half.
fn answer(stream: &mut impl Read) -> io::Result<()> {
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the running window said: {}",
            answer.trim()
        )))
    }
}

#[cfg(unix)]
use unix::{hand_over_at, listen};

#[cfg(not(unix))]
use loopback::{hand_over_at, listen};

/// Hands `handoff` to the running window and waits for its word.
pub fn hand_over(places: &Places, handoff: &Handoff) -> io::Result<()> {
    hand_over_at(&places.socket, handoff)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_second_claim_hands_over_and_the_lock_goes_with_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let places = Places {
            lock: dir.path().join("fanout.lock"),
            socket: dir.path().join("run/instance.sock"),
        };
        let Claim::First(first) = Instance::claim(&places).unwrap() else {
            panic!("the first claim must win")
        };
        let woken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let w = woken.clone();
        first.set_waker(Arc::new(move || {
            w.store(true, std::sync::atomic::Ordering::SeqCst)
        }));
        assert!(matches!(Instance::claim(&places).unwrap(), Claim::Running));
        let h = Handoff {
            lines: vec!["http://h/a".into()],
            dir: Some("/tmp/x".into()),
            activation_token: None,
            hidden: false,
        };
        let (sent, later) = (h.clone(), places.clone());
        let handing = std::thread::spawn(move || hand_over(&later, &sent));
        let arrival = first.handoffs().recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(arrival.handoff, h);
        assert!(woken.load(std::sync::atomic::Ordering::SeqCst));
        // The later start is told `ok` once the holder has kept the URLs.
        std::thread::sleep(Duration::from_millis(200));
        assert!(!handing.is_finished(), "answered before the URLs were kept");
        arrival.kept.send(()).unwrap();
        handing.join().unwrap().unwrap();
        drop(first);
        assert!(matches!(Instance::claim(&places).unwrap(), Claim::First(_)));
    }

    /// A data folder deeper than a socket path may be (`path must be
    /// shorter than SUN_LEN` stopped fanout from starting) still starts,
    /// with or without a runtime folder, and a later start hands over.
    #[test]
    fn a_deep_data_folder_still_starts_and_hands_over() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir
            .path()
            .join("d".repeat(60))
            .join("e".repeat(60))
            .join("fanout");
        for runtime in [None, Some(deep.join("run"))] {
            let places = Places::with_runtime(&deep, runtime);
            assert!(places.socket.as_os_str().len() <= SOCKET_PATH_MAX, "{places:?}");
            let Claim::First(first) = Instance::claim(&places).unwrap() else {
                panic!("the first claim must win")
            };
            let h = Handoff {
                lines: vec!["http://h/a".into()],
                dir: None,
                activation_token: None,
                hidden: false,
            };
            let later = places.clone();
            let handing = std::thread::spawn(move || hand_over(&later, &h));
            let arrival = first.handoffs().recv_timeout(Duration::from_secs(5)).unwrap();
            arrival.kept.send(()).unwrap();
            handing.join().unwrap().unwrap();
        }
    }
}
