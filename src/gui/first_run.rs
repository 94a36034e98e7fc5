//! What the empty list says on first run: how to add downloads, how to
//! send the browser's downloads here in three steps (the extension, the
//! exact RPC address with the secret filled in, what to change in the
//! extension), and where files go.

use egui::RichText;

use super::Action;
use super::rpc::Rpc;
use super::view::View;
use crate::i18n::tr;
use crate::settings::Settings;

/// `http://token:SECRET@localhost:PORT/jsonrpc`.
pub(super) fn address(port: u16, secret: &str) -> Option<String> {
    Some(format!("http://token:{secret}@localhost:{port}/jsonrpc"))
}

/// What the empty list says (no state of its own): `settings` for the
/// folder and the RPC server's switch, `rpc` for its secret.
pub(super) fn ui(
    ui: &mut egui::Ui,
    view: &View<'_>,
    settings: &mut Settings,
    rpc: &Rpc,
    actions: &mut Vec<Action>,
) {
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
        rpc_address_line(ui, view, settings, rpc, actions);
        ui.label(tr!(FirstBrowserStep3));
        ui.add_space(12.0);
        ui.strong(tr!(FirstFolderTitle));
        // The aria2 engine saves on the daemon's machine, in its folder.
        let folder = if settings.engine == crate::settings::EngineChoice::Aria2 {
            settings.aria2_dir.clone()
        } else {
            settings.download_dir.display().to_string()
        };
        ui.monospace(folder);
        ui.weak(tr!(FirstFolderHint));
    });
}

/// The address with a copy button, or why there is none yet.
fn rpc_address_line(
    ui: &mut egui::Ui,
    view: &View<'_>,
    settings: &mut Settings,
    rpc: &Rpc,
    actions: &mut Vec<Action>,
) {
    ui.indent("rpc-address", |ui| {
        if !settings.rpc.enabled {
            ui.horizontal_wrapped(|ui| {
                ui.label(tr!(FirstRpcOff));
                if ui.button(tr!(FirstRpcTurnOn)).clicked() {
                    settings.rpc.enabled = true;
                }
            });
            return;
        }
        match view
            .rpc_port()
            .zip(rpc.secret.as_deref())
            .and_then(|(p, s)| address(p, s))
        {
            Some(address) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&address).monospace());
                    if ui.button(tr!(CopyAddress)).clicked() {
                        ui.ctx().copy_text(address);
                        actions.push(Action::Notify(tr!(AddressCopied).to_string()));
                    }
                });
            }
            None => match &rpc.error {
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
