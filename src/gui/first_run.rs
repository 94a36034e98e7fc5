//! What the empty list says on first run: how to add downloads, how to
//! send the browser's downloads here in three steps (the extension, the
//! exact RPC address with the secret filled in, what to change in the
//! extension), and where files go.

use egui::RichText;

use super::{Action, FanoutApp};
use crate::i18n::tr;

impl FanoutApp {
    /// The RPC address a browser extension takes, the secret in it
    /// (Aria2 Explorer's `http://token:SECRET@host:port/jsonrpc` form);
    /// `None` while the server does not serve.
    pub fn rpc_address(&self) -> Option<String> {
        let port = self.rpc_port()?;
        let secret = self.rpc_secret()?;
        Some(format!("http://token:{secret}@localhost:{port}/jsonrpc"))
    }

    pub(super) fn first_run(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.add_space(16.0);
            ui.heading(tr!(NoDownloads));
            ui.add_space(12.0);
            ui.strong(tr!(FirstAddTitle));
            ui.horizontal_wrapped(|ui| {
                if ui.button(tr!(FirstAddButton)).clicked() {
                    actions.push(Action::OpenAdd(None));
                }
                ui.label(tr!(FirstAddHint));
            });
            ui.add_space(12.0);
            ui.strong(tr!(FirstBrowserTitle));
            ui.label(tr!(FirstBrowserStep1));
            ui.label(tr!(FirstBrowserStep2));
            self.rpc_address_line(ui);
            ui.label(tr!(FirstBrowserStep3));
            ui.add_space(12.0);
            ui.strong(tr!(FirstFolderTitle));
            // The aria2 engine saves on the daemon's machine, in its folder.
            let folder = if self.settings.engine == crate::settings::EngineChoice::Aria2 {
                self.settings.aria2_dir.clone()
            } else {
                self.settings.download_dir.display().to_string()
            };
            ui.monospace(folder);
            ui.weak(tr!(FirstFolderHint));
        });
    }

    /// The address with a copy button, or why there is none yet.
    fn rpc_address_line(&mut self, ui: &mut egui::Ui) {
        ui.indent("rpc-address", |ui| {
            if !self.settings.rpc.enabled {
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr!(FirstRpcOff));
                    if ui.button(tr!(FirstRpcTurnOn)).clicked() {
                        self.settings.rpc.enabled = true;
                    }
                });
                return;
            }
            match self.rpc_address() {
                Some(address) => {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(&address).monospace());
                        if ui.button(tr!(CopyAddress)).clicked() {
                            ui.ctx().copy_text(address);
                            self.notify(tr!(AddressCopied));
                        }
                    });
                }
                None => match &self.rpc.error {
                    Some(e) => {
                        ui.colored_label(ui.visuals().warn_fg_color, e);
                    }
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(tr!(FirstRpcStarting));
                        });
                    }
                },
            }
        });
    }
}
