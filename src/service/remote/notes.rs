//! The server's notifications (`aria2.onDownloadStart`, `…Pause`, `…Stop`,
//! `…Complete`, `…Error`) over a WebSocket on the same address (`ws://`),
//! so the view polls at once when something starts or ends instead of up
//! to half a second later. aria2 and fanout send them to every WebSocket
//! client, secret or not, so none is sent here. No TLS WebSocket is built
//! in: an `https://` server is polled only, as is one whose WebSocket
//! cannot be opened (tried again every few seconds).

use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use parking_lot::Mutex;
use tungstenite::{Message, WebSocket};

use super::mirror::View;
use crate::engine::Waker;

/// How long opening the WebSocket may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(3);
/// How often a quiet socket checks whether the view is still wanted.
const LOOK_UP_EVERY: Duration = Duration::from_millis(250);
/// How long to wait before opening a closed (or refused) socket again.
const REOPEN_EVERY: Duration = Duration::from_secs(3);

/// Listens on a thread of its own until `stop`; `pokes` gets one value
/// (never more than one waiting) whenever the server tells of a change.
/// No thread for a server that has no plain WebSocket.
pub(super) fn listen(
    url: &str,
    pokes: Sender<()>,
    view: Arc<Mutex<View>>,
    wake: Waker,
    stop: Arc<AtomicBool>,
) {
    let Some(ws) = ws_url(url) else { return };
    let started = std::thread::Builder::new()
        .name("fanout-remote-ws".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if let Some(socket) = open(&ws) {
                    set(&view, &wake, true);
                    // The socket opened after the last poll: ask again.
                    let _ = pokes.try_send(());
                    follow(socket, &pokes, &stop);
                    set(&view, &wake, false);
                }
                let mut waited = Duration::ZERO;
                while waited < REOPEN_EVERY && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(LOOK_UP_EVERY);
                    waited += LOOK_UP_EVERY;
                }
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot listen for the server's notifications");
    }
}

/// `ws://` for an `http://` address; `None` for any other.
fn ws_url(url: &str) -> Option<url::Url> {
    let mut u = url::Url::parse(url).ok()?;
    if u.scheme() != "http" {
        return None;
    }
    u.set_scheme("ws").ok()?;
    Some(u)
}

fn set(view: &Mutex<View>, wake: &Waker, open: bool) {
    view.lock().notifications = open;
    wake();
}

fn open(url: &url::Url) -> Option<WebSocket<TcpStream>> {
    let addr = *url.socket_addrs(|| Some(80)).ok()?.first()?;
    let stream = TcpStream::connect_timeout(&addr, OPEN_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(OPEN_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(OPEN_TIMEOUT)).ok()?;
    let (socket, _) = tungstenite::client(url.as_str(), stream).ok()?;
    // From here reads time out often, to look up at `stop`.
    socket.get_ref().set_read_timeout(Some(LOOK_UP_EVERY)).ok()?;
    Some(socket)
}

/// Reads notifications until the socket closes or `stop`.
fn follow(mut socket: WebSocket<TcpStream>, pokes: &Sender<()>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match socket.read() {
            Ok(Message::Text(text)) if is_notification(text.as_str()) => {
                let _ = pokes.try_send(());
            }
            Ok(Message::Close(_)) => return,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
    let _ = socket.close(None);
}

/// A notification of aria2's about a download (not an answer).
fn is_notification(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| {
        v.get("method")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|m| m.starts_with("aria2.onDownload") || m == "aria2.onBtDownloadComplete")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_are_told_from_other_messages_and_only_plain_http_gets_a_socket() {
        assert!(is_notification(
            r#"{"jsonrpc":"2.0","method":"aria2.onDownloadComplete","params":[{"gid":"1"}]}"#
        ));
        assert!(!is_notification(r#"{"jsonrpc":"2.0","id":"x","result":"OK"}"#));
        assert!(!is_notification("not json"));
        assert_eq!(
            ws_url("http://127.0.0.1:6800/jsonrpc").map(|u| u.to_string()),
            Some("ws://127.0.0.1:6800/jsonrpc".into())
        );
        assert_eq!(ws_url("https://nas:6800/jsonrpc"), None);
    }
}
