//! The hand-over over a Unix socket, in a folder only the user may enter:
//! the file system says who may connect.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Arrival, Handoff, answer, send, take};
use crate::engine::Waker;

/// Listens on `socket` on a thread of its own.
pub(super) fn listen(
    socket: &Path,
    tx: crossbeam_channel::Sender<Arrival>,
    waker: Arc<Mutex<Option<Waker>>>,
) -> io::Result<()> {
    if let Some(dir) = socket.parent() {
        std::fs::create_dir_all(dir)?;
        // The user's alone: another user must not hand URLs to this window.
        // Only the folder's owner may change its mode, so a folder another
        // user made first (in the temporary folder) fails here.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    // We hold the lock: a socket file here is a killed window's.
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    std::thread::Builder::new()
        .name("fanout-handoff".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                take(&mut stream, &tx, &waker);
            }
        })?;
    Ok(())
}

/// Hands `handoff` over the socket and waits for the holder's word.
pub(super) fn hand_over_at(socket: &Path, handoff: &Handoff) -> io::Result<()> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    send(&mut s, handoff)?;
    s.shutdown(std::net::Shutdown::Write)?;
    answer(&mut s)
}
