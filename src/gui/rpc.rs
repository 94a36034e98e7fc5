//! The RPC server the window starts as the settings say. Its calls are
//! answered on the service's thread (`service::hub`), which also tells
//! its WebSocket clients what the engine reports: none waits for a frame.
//! Here: starting it, its secret, what the status bar says of it, and
//! what arrived when the user asked to see downloads from other programs
//! first.

use crossbeam_channel::Receiver;

use super::view::View;
use super::{Action, FanoutApp, ServeRpc};
use crate::i18n::tr;
use crate::platform::secrets::{Kept, RPC_SECRET, Secrets};
use crate::rpc::Server;
use crate::service::model::TaskState;
use crate::settings::RpcSettings;

#[derive(Default)]
pub(super) struct Rpc {
    /// Why it does not serve (the port is taken…), for settings and the
    /// status bar.
    pub(super) error: Option<String>,
    /// The settings it was started with; restarted when they change.
    running: Option<RpcSettings>,
    pub(super) secret: Option<String>,
    /// Where the secret is kept (the keyring, or the file and why).
    pub(super) kept: Option<Kept>,
    /// The secret on its way from the keyring (which may ask the user to
    /// unlock it: never on the UI thread).
    fetching: Option<Receiver<std::io::Result<(String, Kept)>>>,
}

impl FanoutApp {
    /// Starts, stops or restarts the server so it serves as the settings say.
    pub(super) fn sync_rpc(&mut self) {
        let mut wanted = Some(RpcSettings {
            ask: false,
            ..self.settings.rpc.clone()
        })
        .filter(|w| w.enabled);
        match self.options.serve_rpc {
            ServeRpc::Off => wanted = None,
            ServeRpc::AsSet => {}
            ServeRpc::OnPort(port) => {
                if let Some(w) = &mut wanted {
                    w.port = port;
                }
            }
        }
        if wanted == self.rpc.running {
            return;
        }
        // Stopped outside the lock: it waits for its thread.
        let old = self.link.hub.lock().server.take();
        drop(old);
        self.rpc.error = None;
        self.rpc.running = wanted.clone();
        if wanted.is_none() {
            return;
        }
        match &self.rpc.secret {
            Some(_) => self.start_rpc_server(),
            // The server starts when the secret comes.
            None if self.rpc.fetching.is_none() => {
                let (tx, rx) = crossbeam_channel::bounded(1);
                let secrets = Secrets::in_dir(&self.options.config_dir, self.options.keyring);
                let ctx = self.ctx.clone();
                let spawned = std::thread::Builder::new()
                    .name("fanout-secret".into())
                    .spawn(move || {
                        let _ = tx.send(secrets.get_or_make(RPC_SECRET));
                        ctx.request_repaint();
                    });
                match spawned {
                    Ok(_) => self.rpc.fetching = Some(rx),
                    Err(e) => self.rpc.error = Some(tr!(RpcNoSecret, e = e)),
                }
            }
            None => {}
        }
    }

    /// The secret arrived from the keyring (or the file): serve.
    pub(super) fn poll_rpc_secret(&mut self) {
        let Some(rx) = &self.rpc.fetching else { return };
        let Ok(got) = rx.try_recv() else { return };
        self.rpc.fetching = None;
        match got {
            Ok((secret, kept)) => {
                self.rpc.secret = Some(secret);
                self.rpc.kept = Some(kept);
                self.start_rpc_server();
            }
            Err(e) => self.rpc.error = Some(tr!(RpcNoSecret, e = e)),
        }
    }

    /// Starts the server as `running` says, with the secret at hand.
    fn start_rpc_server(&mut self) {
        let (Some(wanted), Some(secret)) = (self.rpc.running.clone(), self.rpc.secret.clone()) else {
            return;
        };
        let listen = match wanted.listen() {
            Ok(l) => l,
            Err(bad) => {
                self.rpc.error = Some(tr!(RpcBadAddress, addr = bad));
                return;
            }
        };
        // A refused call wakes the window, which shows the count.
        let ctx = self.ctx.clone();
        let wake = std::sync::Arc::new(move || ctx.request_repaint());
        let session = self.local().rpc_state.gids.session();
        match Server::start(&listen, &secret, session, self.link.hub.calls(), wake) {
            Ok(server) => self.link.hub.lock().server = Some(server),
            Err(e) => {
                tracing::warn!(%e, "RPC server not started");
                self.rpc.error = Some(tr!(RpcNotServing, e = e));
            }
        }
    }

    /// Whether the server is still on its way (the secret is being fetched).
    pub fn rpc_starting(&self) -> bool {
        self.rpc.fetching.is_some()
    }

    /// The port the server listens on, when it does.
    pub fn rpc_port(&self) -> Option<u16> {
        self.link.hub.lock().server.as_ref().map(Server::port)
    }

    /// The token other programs must give.
    pub fn rpc_secret(&self) -> Option<&str> {
        self.rpc.secret.as_deref()
    }

    /// The arrived downloads answered: started or removed (all of them).
    pub(super) fn answer_arrived(&mut self, start: bool) {
        let rows = std::mem::take(&mut self.core().arrived);
        self.apply(if start {
            super::Action::Resume(rows)
        } else {
            super::Action::Cancel(rows)
        });
    }

    /// Calls the server refused, in the window's words (see
    /// [`super::view::View::rpc_refused`]).
    pub fn rpc_refused(&self) -> Option<String> {
        super::view::refused_text(self.link.hub.lock().server.as_ref()?)
    }

    /// What the status bar says of the server: where it serves, or why not.
    pub fn rpc_status(&self) -> Option<(String, bool)> {
        self.rpc.status(self.rpc_port())
    }
}

impl Rpc {
    /// What the status bar says of the server: where it serves (`port`),
    /// or why not.
    pub(super) fn status(&self, port: Option<u16>) -> Option<(String, bool)> {
        if let Some(e) = &self.error {
            return Some((e.clone(), true));
        }
        if self.fetching.is_some() {
            // A locked keyring may be asking the user for its password.
            return Some((tr!(RpcWaitingForSecret).to_string(), false));
        }
        Some((tr!(RpcServing, port = port?), false))
    }
}

/// What the question about held downloads lists: each one's URL and
/// folder (none: no question).
pub(super) fn arrived_lines(view: &View<'_>) -> Vec<String> {
    let model = &view.local.model;
    view.local
        .arrived
        .iter()
        .filter_map(|&i| model.rows.get(i).filter(|r| r.state == TaskState::Paused))
        .map(|row| format!("{}  →  {}", row.shown_url, row.dir.display()))
        .collect()
}

/// Downloads that arrived held (`Ask first`), as `lines`: start them or
/// remove them.
pub(super) fn arrived_window(ctx: &egui::Context, lines: &[String], actions: &mut Vec<Action>) {
    if lines.is_empty() {
        return;
    }
    let mut start = false;
    let mut remove = false;
    // A notice above the status bar, not over the toolbar: the window
    // stays usable while it waits for an answer.
    egui::Window::new(tr!(ArrivedTitle))
        .collapsible(false)
        .resizable(false)
        .default_width(520.0)
        .anchor(egui::Align2::RIGHT_BOTTOM, [-16.0, -40.0])
        .show(ctx, |ui| {
            ui.label(tr!(ArrivedBody, n = lines.len()));
            egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                for line in lines {
                    ui.label(line);
                }
            });
            ui.horizontal(|ui| {
                start = ui.button(tr!(ArrivedStart)).clicked();
                remove = ui.button(tr!(ArrivedRemove)).clicked();
            });
        });
    if start || remove {
        actions.push(Action::AnswerArrived(start));
    }
}
