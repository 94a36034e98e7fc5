//! Metalinks on the web (an http(s) URL ending in `.meta4` or
//! `.metalink`) added in the window: fetched on a thread of their own, so
//! the window never waits on the network, then each of their files is
//! queued as the dialog queues a line (a metalink's path is read at once,
//! in [`crate::input`]).

use std::path::PathBuf;
use std::sync::mpsc;

use crate::input::Options;
use crate::input::metalink::{self, LoadError};

/// What the fetches of one add gave: the downloads, the metalinks that
/// could not be had, and the folder they were added into (a hand-over's).
pub(super) struct Fetched {
    pub dir: Option<PathBuf>,
    pub urls: Vec<(String, Options)>,
    pub errors: Vec<LoadError>,
}

/// Takes the metalinks on the web out of `urls`.
pub(super) fn take_remote(urls: &mut Vec<(String, Options)>) -> Vec<(String, Options)> {
    let (remote, rest) = std::mem::take(urls)
        .into_iter()
        .partition(|(url, _)| metalink::is_remote(url));
    *urls = rest;
    remote
}

/// Fetches `remote` on a thread; the window hears back on the receiver
/// (and is woken).
pub(super) fn fetch(
    remote: Vec<(String, Options)>,
    dir: Option<PathBuf>,
    ctx: egui::Context,
) -> mpsc::Receiver<Fetched> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let agent = concat!("fanout/", env!("CARGO_PKG_VERSION"));
        let mut fetched = Fetched {
            dir,
            urls: Vec::new(),
            errors: Vec::new(),
        };
        for (url, options) in remote {
            match metalink::fetch(&url, agent) {
                Ok(files) => {
                    for f in &files {
                        if let Some(note) = metalink::unchecked_note(f) {
                            tracing::info!(url, "{note}");
                        }
                    }
                    fetched.urls.extend(metalink::downloads(&files, &options));
                }
                Err(e) => fetched.errors.push(e),
            }
        }
        let _ = tx.send(fetched);
        ctx.request_repaint();
    });
    rx
}
