//! Preferences › Browser and other programs: the RPC server that browser
//! extensions and web front ends hand downloads to, copied URLs, and
//! "Connect to a server" (whose downloads the window shows; the status
//! bar says which).

use egui::RichText;

use super::super::Action;
use super::super::server::status_text;
use super::Form;
use crate::i18n::tr;
use crate::platform::secrets::Kept;
use crate::service::remote::RemoteStatus;

impl Form<'_> {
    pub(super) fn programs_section(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = self.other_programs(ui);
        ui.add_space(6.0);
        ui.checkbox(&mut self.settings.watch_clipboard, tr!(WatchClipboard))
            .on_hover_text(tr!(WatchClipboardHint));
        if let Some(how) = self.clipboard_how.clone() {
            ui.weak(how);
        }
        ui.add_space(8.0);
        editing |= self.server_fields(ui);
        editing
    }

    /// `Accept downloads from other programs`: the RPC server, its port,
    /// its secret (with a copy button), more addresses, and `Ask first`.
    /// True while a field is edited (the server restarts when it is left).
    fn other_programs(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = false;
        ui.checkbox(&mut self.settings.rpc.enabled, tr!(AcceptDownloads))
            .on_hover_text(tr!(RpcHint));
        if !self.settings.rpc.enabled {
            return false;
        }
        egui::Grid::new("rpc").num_columns(2).show(ui, |ui| {
            let l = ui.label(tr!(RpcPort));
            let r = ui.add(egui::DragValue::new(&mut self.settings.rpc.port).range(1..=65535));
            editing |= r.dragged() || r.has_focus();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(RpcListen));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.settings.rpc.listen)
                        .hint_text(tr!(RpcListenHint))
                        .desired_width(160.0),
                )
                .on_hover_text(tr!(RpcListenHelp));
            editing |= r.has_focus();
            r.labelled_by(l.id);
            ui.end_row();
        });
        if let Some(secret) = self.rpc.secret.clone() {
            ui.horizontal(|ui| {
                ui.label(tr!(RpcSecret));
                let shown = format!("{}…", secret.get(..6).unwrap_or(&secret));
                ui.monospace(shown);
                if ui.button(tr!(Copy)).clicked() {
                    ui.ctx().copy_text(secret);
                    self.actions
                        .push(Action::Notify(tr!(RpcSecretCopied).to_string()));
                }
            });
            // Where it is kept, as the secrets policy (docs/network.md) asks the window
            // to say when there is no keyring.
            match &self.rpc.kept {
                Some(Kept::Keyring) => {
                    ui.weak(tr!(RpcSecretInKeyring));
                }
                Some(Kept::File { path, why }) => {
                    ui.weak(tr!(RpcSecretInFile)).on_hover_text(tr!(
                        RpcSecretInFileWhy,
                        path = path.display(),
                        why = why
                    ));
                }
                None => {}
            }
        }
        if let Some(e) = &self.rpc.error {
            ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
        }
        if let Some(text) = self.read.rpc_refused.clone() {
            ui.label(RichText::new(text).color(ui.visuals().warn_fg_color))
                .on_hover_text(tr!(RpcRefusedHint));
        }
        ui.checkbox(&mut self.settings.rpc.ask, tr!(AskFirst))
            .on_hover_text(tr!(AskFirstHint));
        editing
    }

    /// "Downloads shown": this computer's, or a server's (its address,
    /// its secret, and how the connection goes). Connects once a field is
    /// left, not on every keystroke (`sync_server` waits while this says
    /// a field is edited).
    fn server_fields(&mut self, ui: &mut egui::Ui) -> bool {
        ui.label(tr!(DownloadsShown));
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut self.settings.server.connect, false, tr!(ShowThisComputer));
            ui.radio_value(&mut self.settings.server.connect, true, tr!(ShowServer))
                .on_hover_text(tr!(ShowServerHint));
        });
        if !self.settings.server.connect {
            return false;
        }
        let mut editing = false;
        egui::Grid::new("server").num_columns(2).show(ui, |ui| {
            let l = ui.label(tr!(ServerUrl));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.settings.server.url)
                        .hint_text("http://HOST:16800/jsonrpc")
                        .desired_width(220.0),
                )
                .labelled_by(l.id);
            editing |= r.has_focus();
            ui.end_row();
            let l = ui.label(tr!(ServerSecret));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.settings.server_secret.0)
                        .password(true)
                        .desired_width(220.0),
                )
                .labelled_by(l.id);
            editing |= r.has_focus();
            ui.end_row();
        });
        *self.server_editing = editing;
        if let Some(status) = self.read.server_status.clone() {
            let bad = matches!(status, RemoteStatus::Failed(_));
            let color = if bad {
                ui.visuals().warn_fg_color
            } else {
                ui.visuals().weak_text_color()
            };
            ui.label(RichText::new(status_text(&status)).color(color));
        }
        editing
    }
}
