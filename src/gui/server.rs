//! "Connect to a server": the window as the front end of a `fanout serve` or an
//! aria2c elsewhere (`service::remote` follows it). While it shows one, the
//! list, the toolbar's actions, the add dialog, the status bar, the
//! results and the timeline are the server's; this computer's downloads go
//! on meanwhile (its RPC server, schedule, tray and after-batch actions
//! stay with them), and "This computer" shows them again.

use parking_lot::{MappedMutexGuard, MutexGuard};

use super::table::Selection;
use super::view::View;
use super::{Action, FanoutApp};
use crate::i18n::tr;
use crate::input::Options;
use crate::service::Downloads;
use crate::service::hub::Hub;
use crate::service::remote::{Remote, RemoteCommand, RemoteError, RemoteStatus};
use crate::service::reorder;
use crate::settings::Settings;

/// The server shown, if one is.
#[derive(Default)]
pub(super) struct Shown {
    pub(super) remote: Option<Remote>,
    /// The address and secret it was connected with; connected again when
    /// the settings say otherwise.
    wanted: Option<(String, String)>,
    /// A field of it is being edited: not connected on every keystroke
    /// (see `preferences`).
    pub(super) editing: bool,
}

/// The downloads the window shows: the server's, else this computer's.
/// (A free function, so a caller can borrow other fields beside it.)
pub(super) fn shown<'a>(hub: &'a Hub, server: &'a Shown) -> MappedMutexGuard<'a, Downloads> {
    match &server.remote {
        Some(remote) => MutexGuard::map(remote.view(), |v| &mut v.downloads),
        None => MutexGuard::map(hub.lock(), |s| &mut s.downloads),
    }
}

/// What the status bar says of whose downloads these are; true when it
/// says something is wrong.
pub(super) fn shown_label(view: &View<'_>, settings: &Settings) -> (String, bool) {
    let Some(remote) = view.remote else {
        return (tr!(ShowingThisComputer).to_string(), false);
    };
    let host = url::Url::parse(settings.server.url.trim())
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| settings.server.url.clone());
    // What the server refused last (a move past its line, a gid it
    // no longer has), in its words.
    if let Some(refused) = remote.refused.clone() {
        return (tr!(ShowingServerRefused, host = host, e = refused), true);
    }
    match &remote.status {
        RemoteStatus::Connected { .. } => (tr!(ShowingServer, host = host), false),
        status => {
            let bad = matches!(status, RemoteStatus::Failed(_));
            (
                tr!(ShowingServerStatus, host = host, status = status_text(status)),
                bad,
            )
        }
    }
}

/// The connection's state, in the window's language.
pub(super) fn status_text(status: &RemoteStatus) -> String {
    match status {
        RemoteStatus::Connecting => tr!(ServerConnecting).to_string(),
        RemoteStatus::Connected { version, dir } => tr!(
            ServerConnected,
            version = version,
            dir = dir.as_deref().unwrap_or("?")
        ),
        RemoteStatus::Failed(RemoteError::Refused) => tr!(ServerRefused).to_string(),
        RemoteStatus::Failed(RemoteError::Unreachable(e)) => tr!(ServerUnreachable, e = e),
        RemoteStatus::Failed(RemoteError::Address(e)) => tr!(ServerBadAddress, e = e),
    }
}

impl FanoutApp {
    /// Connects, connects again, or goes back to this computer, as the
    /// settings say (once the keyring gave the secret).
    pub(super) fn sync_server(&mut self) {
        let secrets_read = self.vault.kept.is_some() || self.vault.error.is_some();
        let wanted = (self.settings.server.connect && secrets_read).then(|| {
            (
                self.settings.server.url.trim().to_string(),
                self.settings.server_secret.0.clone(),
            )
        });
        if wanted == self.server.wanted || self.server.editing {
            return;
        }
        // Rows are numbered apart: a selection means nothing in the other.
        self.panels.table.selection = Selection::default();
        self.server.remote = wanted.as_ref().map(|(url, secret)| {
            let ctx = self.ctx.clone();
            let wake = std::sync::Arc::new(move || ctx.request_repaint_after(super::WAKE_DELAY));
            Remote::connect(url, secret, &self.settings, wake)
        });
        self.server.wanted = wanted;
    }

    /// Whether the window shows a server's downloads.
    pub fn shows_server(&self) -> bool {
        self.server.remote.is_some()
    }

    /// The server's connection, while one is shown.
    pub fn server_status(&self) -> Option<RemoteStatus> {
        self.server.remote.as_ref().map(Remote::status)
    }

    /// Does on the server what the user asked of its rows; true if it was
    /// the server's to do (a server is shown).
    pub(super) fn on_server(&mut self, action: &Action) -> bool {
        let Some(remote) = &self.server.remote else {
            return false;
        };
        match action {
            Action::Pause(rows) => remote.send(RemoteCommand::Pause(rows.clone())),
            Action::Resume(rows) => remote.send(RemoteCommand::Resume(rows.clone())),
            Action::Cancel(rows) => remote.send(RemoteCommand::Cancel(rows.clone())),
            Action::Remove(rows) => remote.send(RemoteCommand::Remove(rows.clone())),
            // Dropped in the server's line: its moves, one at a time.
            Action::DropNextTo(rows, target, side) => {
                let line = remote.view().waiting.clone();
                let want = reorder::dropped(&line, rows, *target, *side);
                for (index, place) in want.map(|w| reorder::moves(line, &w)).unwrap_or_default() {
                    remote.send(RemoteCommand::Move { index, place });
                }
            }
            Action::Move(rows, to) => {
                for (index, place) in to.steps(rows.clone()) {
                    remote.send(RemoteCommand::Move { index, place });
                }
            }
            // `changeOption select-file`, and on if it waited paused.
            Action::SelectFiles(index, files) => remote.send(RemoteCommand::SelectFiles {
                index: *index,
                files: files.clone(),
            }),
            // aria2's RPC has no way to ask these.
            Action::Retry(_) | Action::SetRate(..) | Action::ClearList | Action::RemoveWithFiles(_) => {
                self.notify(tr!(NotOnServer));
            }
            _ => return false,
        }
        true
    }

    /// URLs from the add dialog go to the server shown, into its folder.
    /// Line options (headers, a name) are for this computer's engine: lines
    /// with some go back into the add dialog, and the status bar says why.
    pub(super) fn add_to_server(&mut self, urls: Vec<(String, Options)>) {
        let Some(remote) = &self.server.remote else {
            return;
        };
        let mut kept_back = Vec::new();
        for (url, options) in urls {
            let words = options.to_words();
            if words.is_empty() {
                remote.send(RemoteCommand::Add { url });
            } else {
                kept_back.push(format!("{url} {words}"));
            }
        }
        if !kept_back.is_empty() {
            self.notify(tr!(OptionsNotOnServer, n = kept_back.len()));
            self.panels.add.open_with(Some(kept_back.join("\n")), None);
        }
    }
}
