//! Preferences › Torrents: the listen port, the DHT, the upload limit, the
//! default seeding limits (whichever comes first ends seeding), where
//! torrents go, and whether their files are chosen before they start. The
//! stored settings are `settings::TorrentSettings`.

use std::path::PathBuf;

use super::Form;
use crate::i18n::tr;

impl Form<'_> {
    /// True while a field is edited (applied when it is left).
    pub(super) fn torrent_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = false;
        let t = &mut self.settings.torrent;
        ui.checkbox(&mut t.choose_files, tr!(ChooseFilesFirst))
            .on_hover_text(tr!(ChooseFilesFirstHint));
        ui.checkbox(&mut t.dht, tr!(Dht)).on_hover_text(tr!(DhtHint));
        egui::Grid::new("torrent").num_columns(2).show(ui, |ui| {
            let mut row = |ui: &mut egui::Ui, label: &str, value: egui::DragValue<'_>, hint: &str| {
                let l = ui.label(label);
                let r = ui.add(value).on_hover_text(hint).labelled_by(l.id);
                editing |= r.dragged() || r.has_focus();
                ui.end_row();
            };
            row(
                ui,
                tr!(BtPort),
                egui::DragValue::new(&mut t.port).range(0..=65535),
                tr!(BtPortHint),
            );
            row(
                ui,
                tr!(UploadLimit),
                egui::DragValue::new(&mut t.upload_limit_kib)
                    .range(0..=10_000_000)
                    .speed(16.0),
                tr!(UploadLimitHint),
            );
            row(
                ui,
                tr!(SeedRatio),
                egui::DragValue::new(&mut t.seed_ratio)
                    .range(0.0..=100.0)
                    .speed(0.05)
                    .max_decimals(2),
                tr!(SeedRatioHint),
            );
            row(
                ui,
                tr!(SeedMinutes),
                egui::DragValue::new(&mut t.seed_minutes).range(0..=525_600),
                tr!(SeedMinutesHint),
            );
        });
        let l = ui.label(tr!(TorrentFolder));
        let mut dir = t.dir.to_string_lossy().into_owned();
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut dir)
                    .hint_text(tr!(TorrentFolderHint))
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
        if r.changed() {
            t.dir = PathBuf::from(dir.trim());
        }
        editing |= r.has_focus();
        editing
    }
}
