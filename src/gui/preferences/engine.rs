//! Preferences › Engine and connections: the engine and its workers, Keep
//! submission order, the aria2 daemon, timeouts, connections per file, the
//! speed limit and retries.

use super::Form;
use crate::engine::EngineConfig;
use crate::i18n::tr;
use crate::settings::{EngineChoice, Settings};

/// The engine's buttons and its workers, laid out in the caller's
/// row. True while the workers are dragged (a pool rebuilt on every
/// step would spawn threads for nothing).
pub(super) fn engine_choice(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    ui.label(tr!(Engine));
    for choice in EngineChoice::ALL {
        ui.selectable_value(&mut settings.engine, choice, choice.label())
            .on_hover_text(choice.help());
    }
    let label = ui.label(tr!(Workers));
    let r = match settings.engine {
        EngineChoice::Sequential => {
            let mut one = 1usize;
            ui.add_enabled(false, egui::DragValue::new(&mut one))
        }
        EngineChoice::Threads => ui.add(egui::DragValue::new(&mut settings.threads).range(1..=512)),
        EngineChoice::Async => ui
            .add(egui::DragValue::new(&mut settings.async_limit).range(0..=100_000))
            .on_hover_text(tr!(ZeroNoLimit)),
        EngineChoice::Aria2 => ui.add(egui::DragValue::new(&mut settings.aria2_limit).range(1..=1000)),
    };
    let dragging = r.dragged();
    r.labelled_by(label.id);
    dragging
}

/// Results in submission order (executor.map) or as they finish.
pub(super) fn keep_order_box(ui: &mut egui::Ui, settings: &mut Settings) {
    ui.checkbox(&mut settings.keep_order, tr!(KeepOrder))
        .on_hover_text(tr!(KeepOrderHint));
}

impl Form<'_> {
    pub(super) fn engine_section(&mut self, ui: &mut egui::Ui) -> bool {
        let mut dragging = false;
        ui.horizontal_wrapped(|ui| dragging |= engine_choice(ui, self.settings));
        ui.weak(self.settings.engine.help());
        keep_order_box(ui, self.settings);
        if self.settings.engine == EngineChoice::Aria2 {
            ui.add_space(6.0);
            dragging |= self.aria2_fields(ui);
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
            // Not held back while dragged: running transfers follow it at
            // once (`settings_changed` applies the rate before it waits).
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
        dragging
    }

    /// Where the aria2 daemon is and its secret (its folder is with the
    /// download folder, see `folder_fields`). True while a field has the
    /// keyboard (applied when it is left).
    fn aria2_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let s = &mut self.settings;
        let mut editing = text_field(
            ui,
            tr!(Aria2Url),
            &mut s.aria2_url,
            "http://HOST:6800/jsonrpc",
            false,
        );
        editing |= text_field(
            ui,
            tr!(Aria2Secret),
            &mut s.aria2_secret.0,
            tr!(Aria2SecretHint),
            true,
        );
        editing
    }
}

/// A labelled one-line field the width of the section; true while it has
/// the keyboard.
pub(super) fn text_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    password: bool,
) -> bool {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .password(password)
            .desired_width(f32::INFINITY)
            .hint_text(hint),
    )
    .labelled_by(l.id)
    .has_focus()
}
