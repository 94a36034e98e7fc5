//! The hand-over where there are no Unix sockets (Windows): a port on
//! 127.0.0.1 that any local program can reach, so every connection must
//! first show a token. The port and the token are in a file in the user's
//! data folder (written as secrets are: atomically, the user's only), which
//! other users cannot read. Compiled everywhere, so it is tested on Linux
//! as well as under Wine.
// Unix builds use it in tests only.
#![cfg_attr(all(unix, not(test)), allow(dead_code))]

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Arrival, Handoff, answer, send, take};
use crate::engine::Waker;

/// What the port file says.
#[derive(Debug, Serialize, Deserialize)]
struct Endpoint {
    port: u16,
    token: String,
}

/// Listens on a loopback port on a thread of its own, and writes the port
/// and a new token into `file`.
pub(super) fn listen(
    file: &Path,
    tx: crossbeam_channel::Sender<Arrival>,
    waker: Arc<Mutex<Option<Waker>>>,
) -> io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let endpoint = Endpoint {
        port: listener.local_addr()?.port(),
        token: crate::platform::secrets::random_token()?,
    };
    let body = serde_json::to_vec(&endpoint).map_err(io::Error::other)?;
    crate::platform::private::write_atomically(file, &body)?;
    let token = endpoint.token;
    std::thread::Builder::new()
        .name("fanout-handoff".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if shows_token(&mut stream, &token) {
                    take(&mut stream, &tx, &waker);
                } else {
                    drain(&mut stream);
                    let _ = stream.write_all(b"refused: not a hand-over\n");
                }
            }
        })?;
    Ok(())
}

/// Whether the connection's first line is the token (compared in full
/// whatever its first difference, so timing tells nothing). Read a byte at
/// a time: what follows the line is the hand-over, which must stay unread.
fn shows_token(stream: &mut TcpStream, token: &str) -> bool {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    // A token is 32 hex digits: a longer first line is not one.
    while line.len() <= token.len() {
        match stream.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => {
                return line.len() == token.len()
                    && line.iter().zip(token.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
            }
            Ok(1) => line.push(byte[0]),
            _ => return false,
        }
    }
    false
}

/// Reads what a refused connection sent (as much as a hand-over may be),
/// so closing it answers the refusal instead of resetting the connection.
fn drain(stream: &mut TcpStream) {
    let _ = io::copy(&mut stream.take(super::MAX_HANDOFF), &mut io::sink());
}

/// Hands `handoff` to the port `file` names, with its token, and waits for
/// the holder's word.
pub(super) fn hand_over_at(file: &Path, handoff: &Handoff) -> io::Result<()> {
    let text = std::fs::read(file)?;
    let endpoint: Endpoint = serde_json::from_slice(&text)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", file.display())))?;
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, endpoint.port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("{}\n", endpoint.token).as_bytes())?;
    send(&mut s, handoff)?;
    s.shutdown(std::net::Shutdown::Write)?;
    answer(&mut s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Windows hand-over, tried here: the holder takes what a later
    /// start sends with the token, and refuses a program that connects to
    /// the port without it.
    #[test]
    fn a_hand_over_needs_the_token_of_the_port_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("instance.port");
        let (tx, rx) = crossbeam_channel::unbounded();
        listen(&file, tx, Arc::default()).unwrap();
        let h = Handoff {
            lines: vec!["http://h/a".into()],
            ..Handoff::default()
        };
        let sent = h.clone();
        let later = file.clone();
        let handing = std::thread::spawn(move || hand_over_at(&later, &sent));
        let arrival = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(arrival.handoff, h);
        arrival.kept.send(()).unwrap();
        handing.join().unwrap().unwrap();

        // Another program that finds the port but not the token.
        let endpoint: Endpoint = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for first_line in ["0123456789abcdef0123456789abcdef", ""] {
            let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, endpoint.port)).unwrap();
            s.write_all(format!("{first_line}\n").as_bytes()).unwrap();
            send(&mut s, &h).unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let said = answer(&mut s).unwrap_err().to_string();
            assert!(said.contains("refused"), "{said}");
        }
        assert!(rx.try_recv().is_err(), "a hand-over without the token was taken");
    }
}
