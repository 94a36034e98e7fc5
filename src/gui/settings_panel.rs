//! The settings panel on the left: engine and workers, order, folder (or
//! the aria2 daemon), timeouts, connections, speed limit, retries, start-up,
//! notifications, downloads from other programs (the RPC server) and
//! language.

use std::path::PathBuf;

use egui::RichText;

use super::{Action, FanoutApp};
use crate::engine::sort::Categories;
use crate::engine::{Engine, EngineConfig, IfExists};
use crate::i18n::{Lang, tr};
use crate::secrets::Kept;
use crate::settings::{EngineChoice, Settings, Theme, if_exists_label};

impl FanoutApp {
    /// System, English or 简体中文; each in its own language.
    pub(super) fn language_choice(&mut self, ui: &mut egui::Ui) {
        let label = ui.label(tr!(Language));
        ui.horizontal_wrapped(|ui| {
            let system = tr!(LangSystem, lang = Lang::from_system().name());
            ui.selectable_value(&mut self.settings.language, None, system)
                .labelled_by(label.id);
            for lang in Lang::ALL {
                ui.selectable_value(&mut self.settings.language, Some(lang), lang.name());
            }
        });
    }

    /// System, Light or Dark (each button named by its own text).
    pub(super) fn theme_choice(&mut self, ui: &mut egui::Ui) {
        ui.label(tr!(Theme));
        ui.horizontal_wrapped(|ui| {
            for theme in Theme::ALL {
                ui.selectable_value(&mut self.settings.theme, theme, theme.label());
            }
        });
    }

    pub(super) fn settings_panel(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
        let mut dragging = false;
        ui.heading(tr!(Settings));
        ui.add_space(4.0);
        ui.label(tr!(Engine));
        // Wrapped, so a fourth engine does not widen the panel (and push the
        // table's last column under the Results panel).
        ui.horizontal_wrapped(|ui| {
            for choice in EngineChoice::ALL {
                ui.selectable_value(&mut self.settings.engine, choice, choice.label())
                    .on_hover_text(choice.help());
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label(tr!(Workers));
            let r = match self.settings.engine {
                EngineChoice::Sequential => {
                    let mut one = 1usize;
                    ui.add_enabled(false, egui::DragValue::new(&mut one))
                }
                EngineChoice::Threads => {
                    ui.add(egui::DragValue::new(&mut self.settings.threads).range(1..=512))
                }
                EngineChoice::Async => ui
                    .add(egui::DragValue::new(&mut self.settings.async_limit).range(0..=100_000))
                    .on_hover_text(tr!(ZeroNoLimit)),
                EngineChoice::Aria2 => {
                    ui.add(egui::DragValue::new(&mut self.settings.aria2_limit).range(1..=1000))
                }
            };
            dragging |= r.dragged();
            r.labelled_by(label.id);
        });
        ui.weak(self.settings.engine.help());
        ui.add_space(6.0);
        ui.checkbox(&mut self.settings.keep_order, tr!(KeepOrder))
            .on_hover_text(tr!(KeepOrderHint));
        ui.add_space(6.0);
        if self.settings.engine == EngineChoice::Aria2 {
            dragging |= aria2_fields(ui, &mut self.settings);
        } else {
            dragging |= self.folder_fields(ui, actions);
        }
        ui.add_space(6.0);
        egui::Grid::new("timeouts").num_columns(2).show(ui, |ui| {
            let l = ui.label(tr!(ConnectTimeout));
            let r = ui.add(egui::DragValue::new(&mut self.settings.connect_timeout_secs).range(1..=600));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(StallTimeout));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.idle_timeout_secs).range(1..=3600))
                .on_hover_text(tr!(StallTimeoutHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(ConnectionsPerFile));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.segments).range(1..=EngineConfig::MAX_SEGMENTS))
                .on_hover_text(tr!(ConnectionsPerFileHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(SpeedLimit));
            let r = ui
                .add(
                    egui::DragValue::new(&mut self.settings.speed_limit_kib)
                        .range(0..=10_000_000)
                        .speed(16.0),
                )
                .on_hover_text(tr!(SpeedLimitHint));
            r.labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr!(Retries));
            let r = ui
                .add(egui::DragValue::new(&mut self.settings.retries).range(0..=100))
                .on_hover_text(tr!(RetriesHint));
            dragging |= r.dragged();
            r.labelled_by(l.id);
            ui.end_row();
        });
        ui.checkbox(&mut self.settings.resume_on_start, tr!(ResumeOnStart));
        ui.checkbox(&mut self.settings.notify, tr!(NotifyOnFinish))
            .on_hover_text(tr!(NotifyOnFinishHint));
        dragging |= self.after_batch_fields(ui);
        ui.label(tr!(IfExistsLabel));
        ui.horizontal_wrapped(|ui| {
            for choice in IfExists::ALL {
                let (label, help) = if_exists_label(choice);
                ui.selectable_value(&mut self.settings.if_exists, choice, label)
                    .on_hover_text(help);
            }
        });
        dragging |= self.sort_fields(ui);
        ui.add_space(6.0);
        dragging |= self.network_fields(ui);
        dragging |= self.rules_fields(ui);
        ui.add_space(6.0);
        dragging |= self.other_programs(ui);
        ui.add_space(6.0);
        self.language_choice(ui);
        ui.add_space(6.0);
        self.theme_choice(ui);
        ui.add_space(6.0);
        self.server_fields(ui);
        ui.add_space(6.0);
        dragging |= self.unattended_fields(ui);
        ui.add_space(6.0);
        dragging |= self.torrent_fields(ui);
        ui.add_space(8.0);
        ui.separator();
        ui.weak(tr!(EngineChangeNote));
        if self
            .local()
            .engine
            .as_ref()
            .is_some_and(Engine::running_on_old_backends)
        {
            ui.label(RichText::new(tr!(OldEngineStillRuns)).color(ui.visuals().warn_fg_color));
        }
        dragging
    }

    /// `Accept downloads from other programs`: the RPC server that browser
    /// extensions and web front ends speak to, its port, its secret (with a
    /// copy button), more addresses, and `Ask first`. True while a field is
    /// edited (the server restarts when it is left).
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
                        .desired_width(110.0),
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
                    self.notify(tr!(RpcSecretCopied));
                }
            });
            // Where it is kept, as DESIGN's secrets policy asks the window
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
        if let Some(text) = self.rpc_refused() {
            ui.label(RichText::new(text).color(ui.visuals().warn_fg_color))
                .on_hover_text(tr!(RpcRefusedHint));
        }
        ui.checkbox(&mut self.settings.rpc.ask, tr!(AskFirst))
            .on_hover_text(tr!(AskFirstHint));
        editing
    }

    /// `Sort into folders by type`, and the list of folders when it is on.
    /// True while the list is edited.
    fn sort_fields(&mut self, ui: &mut egui::Ui) -> bool {
        ui.checkbox(&mut self.settings.sort, tr!(SortByType))
            .on_hover_text(tr!(SortByTypeHint));
        if !self.settings.sort {
            return false;
        }
        let r = ui.add(
            egui::TextEdit::multiline(&mut self.settings.categories)
                .desired_rows(4)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Small),
        );
        if let Err(e) = Categories::from_lines(&self.settings.categories) {
            ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
        }
        r.has_focus()
    }

    /// The local download folder: typed, or chosen with the native dialog.
    pub(super) fn folder_fields(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
        let mut dragging = false;
        let folder_label = ui.label(tr!(DownloadFolder));
        let mut dir = self.settings.download_dir.to_string_lossy().into_owned();
        let r = ui
            .add(egui::TextEdit::singleline(&mut dir).desired_width(f32::INFINITY))
            .labelled_by(folder_label.id);
        if r.changed() {
            self.settings.download_dir = PathBuf::from(dir);
        }
        // Typing is saved when the field loses focus, not on every key.
        dragging |= r.has_focus();
        ui.horizontal(|ui| {
            if self.folder_pick.is_some() {
                ui.spinner();
                ui.label(tr!(WaitingFolderDialog));
            } else if ui.button(tr!(Choose)).clicked() {
                actions.push(Action::ChooseFolder);
            }
        });
        dragging
    }
}

/// The aria2 engine's settings: where the daemon is, its secret, and the
/// folder on its machine (typed: a native dialog would show this machine's
/// folders). True while a field is being edited (applied when it is left).
fn aria2_fields(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    // A labelled one-line field; true while it has the focus.
    let field = |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, password: bool| {
        let l = ui.label(label);
        ui.add(
            egui::TextEdit::singleline(text)
                .password(password)
                .desired_width(f32::INFINITY)
                .hint_text(hint),
        )
        .labelled_by(l.id)
        .has_focus()
    };
    let mut editing = field(
        ui,
        tr!(Aria2Url),
        &mut settings.aria2_url,
        "http://HOST:6800/jsonrpc",
        false,
    );
    editing |= field(
        ui,
        tr!(Aria2Secret),
        &mut settings.aria2_secret.0,
        tr!(Aria2SecretHint),
        true,
    );
    editing |= field(
        ui,
        tr!(RemoteFolder),
        &mut settings.aria2_dir,
        tr!(RemoteFolderHint),
        false,
    );
    editing
}
