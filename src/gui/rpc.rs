//! The window as the owner of the RPC server's downloads: it starts the
//! server as the settings say, answers its calls between frames (under a
//! time budget, so 10,000 `addUri` calls never stall a frame), tells its
//! WebSocket clients what the engine reports, and shows what arrived
//! when the user asked to see downloads from other programs first.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde_json::Value;

use super::{FanoutApp, ServeRpc};
use crate::i18n::tr;
use crate::rpc::{Call, Request, RpcError, Server};
use crate::secrets::{Kept, RPC_SECRET, Secrets};
use crate::service::host::Owner;
use crate::service::model::TaskState;
use crate::settings::RpcSettings;

/// How long one frame may spend answering calls.
pub(super) const RPC_BUDGET: Duration = Duration::from_millis(6);

/// One request being answered, perhaps over several frames.
struct Work {
    calls: VecDeque<Call>,
    results: Vec<Result<Value, RpcError>>,
    reply: tokio::sync::oneshot::Sender<Vec<Result<Value, RpcError>>>,
}

pub(super) struct Rpc {
    pub(super) server: Option<Server>,
    /// Why it does not serve (the port is taken…), for settings and the
    /// status bar.
    pub(super) error: Option<String>,
    /// The settings it was started with; restarted when they change.
    running: Option<RpcSettings>,
    tx: Sender<Request>,
    rx: Receiver<Request>,
    work: Option<Work>,
    pub(super) secret: Option<String>,
    /// Where the secret is kept (the keyring, or the file and why).
    pub(super) kept: Option<Kept>,
    /// The secret on its way from the keyring (which may ask the user to
    /// unlock it: never on the UI thread).
    fetching: Option<Receiver<std::io::Result<(String, Kept)>>>,
}

impl Default for Rpc {
    fn default() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Rpc {
            server: None,
            error: None,
            running: None,
            tx,
            rx,
            work: None,
            secret: None,
            kept: None,
            fetching: None,
        }
    }
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
        self.rpc.server = None;
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
        let ctx = self.ctx.clone();
        let wake = std::sync::Arc::new(move || ctx.request_repaint());
        let session = self.core.desk.gids.session();
        match Server::start(&listen, &secret, session, self.rpc.tx.clone(), wake) {
            Ok(server) => self.rpc.server = Some(server),
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
        self.rpc.server.as_ref().map(Server::port)
    }

    /// The token other programs must give.
    pub fn rpc_secret(&self) -> Option<&str> {
        self.rpc.secret.as_deref()
    }

    /// Answers the RPC's calls for at most `budget`; true if some are left.
    pub fn answer_rpc(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        let FanoutApp {
            core, settings, rpc, ..
        } = self;
        let mut owner = Owner {
            downloads: core,
            settings,
        };
        loop {
            if rpc.work.is_none() {
                let Ok(req) = rpc.rx.try_recv() else { return false };
                rpc.work = Some(Work {
                    results: Vec::with_capacity(req.calls.len()),
                    calls: req.calls.into(),
                    reply: req.reply,
                });
            }
            let Some(work) = rpc.work.as_mut() else {
                return false;
            };
            while let Some(call) = work.calls.pop_front() {
                work.results.push(owner.answer(&call));
                if start.elapsed() >= budget && !work.calls.is_empty() {
                    return true;
                }
            }
            if let Some(done) = rpc.work.take() {
                // Acknowledged means kept: the answer goes once the store
                // has committed what the calls changed, from the store's
                // thread (this one never waits for the disk).
                let Work { reply, results, .. } = done;
                match &owner.downloads.store {
                    Some(store) => store.when_committed(move || {
                        let _ = reply.send(results);
                    }),
                    None => {
                        let _ = reply.send(results);
                    }
                }
            }
            if start.elapsed() >= budget {
                return !rpc.rx.is_empty();
            }
        }
    }

    /// Downloads that arrived held (`Ask first`): start them or remove them.
    pub(super) fn arrived_window(&mut self, ctx: &egui::Context) {
        self.core.arrived.retain(|&i| {
            self.core
                .model
                .rows
                .get(i)
                .is_some_and(|r| r.state == TaskState::Paused)
        });
        if self.core.arrived.is_empty() {
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
                ui.label(tr!(ArrivedBody, n = self.core.arrived.len()));
                egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                    for &i in &self.core.arrived {
                        let row = &self.core.model.rows[i];
                        ui.label(format!("{}  →  {}", row.shown_url, row.dir.display()));
                    }
                });
                ui.horizontal(|ui| {
                    start = ui.button(tr!(ArrivedStart)).clicked();
                    remove = ui.button(tr!(ArrivedRemove)).clicked();
                });
            });
        if start || remove {
            let rows = std::mem::take(&mut self.core.arrived);
            self.apply(if start {
                super::Action::Resume(rows)
            } else {
                super::Action::Cancel(rows)
            });
        }
    }

    /// Calls the server refused (a mistyped secret in an extension), in
    /// the window's words: `3 calls refused: wrong secret, from
    /// chrome-extension://…`.
    pub fn rpc_refused(&self) -> Option<String> {
        use crate::rpc::RefusalReason;
        let r = self.rpc.server.as_ref()?.refusals()?;
        let reason = match r.last_reason {
            RefusalReason::WrongSecret => tr!(RefusedWrongSecret),
            RefusalReason::NoSecret => tr!(RefusedNoSecret),
            RefusalReason::ForeignHost => tr!(RefusedForeignHost),
        };
        Some(match &r.last_origin {
            Some(origin) => tr!(RpcRefusedFrom, n = r.count, reason = reason, origin = origin),
            None => tr!(RpcRefused, n = r.count, reason = reason),
        })
    }

    /// What the status bar says of the server: where it serves, or why not.
    pub fn rpc_status(&self) -> Option<(String, bool)> {
        if let Some(e) = &self.rpc.error {
            return Some((e.clone(), true));
        }
        if self.rpc_starting() {
            // A locked keyring may be asking the user for its password.
            return Some((tr!(RpcWaitingForSecret).to_string(), false));
        }
        let port = self.rpc_port()?;
        Some((tr!(RpcServing, port = port), false))
    }
}
