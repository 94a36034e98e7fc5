//! Preferences › General: the download folder, what happens when a file
//! exists, sorting into folders by type, resuming at start, and the
//! notification when a batch ends.

use std::path::PathBuf;

use egui::RichText;

use super::super::Action;
use super::Form;
use crate::engine::IfExists;
use crate::engine::sort::Categories;
use crate::i18n::tr;
use crate::settings::{EngineChoice, Settings, if_exists_label};

/// Where downloads go, laid out in the caller's row: this computer's
/// folder, typed or chosen with the native dialog; or, for the aria2
/// engine, a folder on the daemon's machine (typed: a dialog would show
/// this machine's folders). True while the field has the keyboard
/// (saved when it is left, not on every key).
pub(super) fn folder_fields(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    picking: bool,
    actions: &mut Vec<Action>,
    width: f32,
) -> bool {
    if settings.engine == EngineChoice::Aria2 {
        let l = ui.label(tr!(RemoteFolder));
        return ui
            .add(
                egui::TextEdit::singleline(&mut settings.aria2_dir)
                    .hint_text(tr!(RemoteFolderHint))
                    .desired_width(width),
            )
            .labelled_by(l.id)
            .has_focus();
    }
    let folder_label = ui.label(tr!(DownloadFolder));
    let mut dir = settings.download_dir.to_string_lossy().into_owned();
    let r = ui
        .add(egui::TextEdit::singleline(&mut dir).desired_width(width))
        .labelled_by(folder_label.id);
    if r.changed() {
        settings.download_dir = PathBuf::from(dir);
    }
    if picking {
        ui.spinner();
        ui.label(tr!(WaitingFolderDialog));
    } else if ui.button(tr!(Choose)).clicked() {
        actions.push(Action::ChooseFolder);
    }
    r.has_focus()
}

impl Form<'_> {
    pub(super) fn general_section(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = false;
        ui.horizontal_wrapped(|ui| {
            editing |= folder_fields(ui, self.settings, self.picking, self.actions, 240.0)
        });
        ui.add_space(6.0);
        ui.label(tr!(IfExistsLabel));
        ui.horizontal_wrapped(|ui| {
            for choice in IfExists::ALL {
                let (label, help) = if_exists_label(choice);
                ui.selectable_value(&mut self.settings.if_exists, choice, label)
                    .on_hover_text(help);
            }
        });
        ui.add_space(6.0);
        editing |= self.sort_fields(ui);
        ui.add_space(6.0);
        ui.checkbox(&mut self.settings.resume_on_start, tr!(ResumeOnStart));
        ui.checkbox(&mut self.settings.notify, tr!(NotifyOnFinish))
            .on_hover_text(tr!(NotifyOnFinishHint));
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
        let l = ui.label(tr!(SortFolders));
        let r = ui
            .add(
                egui::TextEdit::multiline(&mut self.settings.categories)
                    .desired_rows(4)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Small),
            )
            .labelled_by(l.id);
        if let Err(e) = Categories::from_lines(&self.settings.categories) {
            ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
        }
        r.has_focus()
    }
}
