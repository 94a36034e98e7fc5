//! Preferences › Schedule and unattended: the weekly schedule with its
//! alternative speed limit, the tray icon, what closing the window does,
//! start at login, and what happens after a batch.

use egui::RichText;

use super::super::after_batch::AfterBatch;
use super::super::unattended::day_name;
use super::Form;
use crate::i18n::tr;
use crate::settings::OnClose;
use crate::settings::schedule::{DAY, Days, Rule, RuleKind};

impl OnClose {
    pub const ALL: [OnClose; 3] = [OnClose::Ask, OnClose::Tray, OnClose::Quit];

    pub fn label(self) -> &'static str {
        match self {
            OnClose::Ask => tr!(OnCloseAsk),
            OnClose::Tray => tr!(OnCloseTray),
            OnClose::Quit => tr!(OnCloseQuit),
        }
    }
}

fn kind_label(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Start => tr!(RuleStart),
        RuleKind::Pause => tr!(RulePause),
        RuleKind::AltLimit => tr!(RuleAltLimit),
    }
}

impl Form<'_> {
    /// True while a field is being edited.
    pub(super) fn schedule_section(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = self.schedule_fields(ui);
        ui.add_space(8.0);
        ui.label(RichText::new(tr!(Unattended)).strong());
        ui.checkbox(&mut self.settings.tray, tr!(TrayIcon));
        if self.settings.tray
            && let Some(why) = self.tray.why_absent()
        {
            ui.label(RichText::new(tr!(NoTray, why = why)).color(ui.visuals().warn_fg_color));
        }
        ui.label(tr!(OnCloseLabel));
        ui.horizontal_wrapped(|ui| {
            for choice in OnClose::ALL {
                ui.selectable_value(&mut self.settings.on_close, choice, choice.label());
            }
        });
        ui.checkbox(&mut self.settings.start_at_login, tr!(StartAtLogin))
            .on_hover_text(tr!(StartAtLoginHint));
        ui.add_space(8.0);
        editing |= self.after_batch_fields(ui);
        editing
    }

    /// The weekly rules (start, pause, or the alternative limit from one
    /// time to another) and that limit.
    fn schedule_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = false;
        ui.label(RichText::new(tr!(ScheduleLabel)).strong());
        let mut remove = None;
        for (i, rule) in self.settings.schedule.rules.iter_mut().enumerate() {
            ui.push_id(("rule", i), |ui| {
                ui.horizontal_wrapped(|ui| {
                    let name = ui.label(tr!(RuleN, n = i + 1));
                    egui::ComboBox::from_id_salt("kind")
                        .selected_text(kind_label(rule.kind))
                        .show_ui(ui, |ui| {
                            for kind in [RuleKind::Start, RuleKind::Pause, RuleKind::AltLimit] {
                                ui.selectable_value(&mut rule.kind, kind, kind_label(kind));
                            }
                        })
                        .response
                        .labelled_by(name.id);
                    editing |= time_field(ui, &mut rule.at, name.id);
                    if rule.kind == RuleKind::AltLimit {
                        let until = ui.label(tr!(RuleUntil));
                        editing |= time_field(ui, &mut rule.until, until.id);
                    }
                    if ui.small_button("✖").on_hover_text(tr!(RuleRemove)).clicked() {
                        remove = Some(i);
                    }
                });
                ui.horizontal(|ui| {
                    for day in 0..7 {
                        let mut on = rule.days.has(day);
                        if ui.toggle_value(&mut on, day_name(day)).changed() {
                            rule.days.toggle(day);
                        }
                    }
                });
            });
        }
        if let Some(i) = remove {
            self.settings.schedule.rules.remove(i);
        }
        if ui.button(tr!(RuleAdd)).clicked() {
            self.settings.schedule.rules.push(Rule {
                kind: RuleKind::AltLimit,
                days: Days::ALL,
                at: 22 * 60,
                until: 6 * 60,
            });
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr!(AltSpeedLimit));
            let r = ui.add(
                egui::DragValue::new(&mut self.settings.alt_speed_limit_kib)
                    .range(1..=10_000_000)
                    .speed(16.0),
            );
            editing |= r.dragged();
            r.labelled_by(l.id);
        });
        editing
    }

    /// What happens when a batch ends (see `after_batch`): nothing, a
    /// command, suspend or power off; optionally only if nothing failed.
    fn after_batch_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let label = ui.label(RichText::new(tr!(AfterBatchLabel)).strong());
        ui.horizontal_wrapped(|ui| {
            for choice in AfterBatch::ALL {
                ui.selectable_value(&mut self.settings.after_batch, choice, choice.label())
                    .labelled_by(label.id);
            }
        });
        if self.settings.after_batch == AfterBatch::Nothing {
            return false;
        }
        if self.settings.after_batch != AfterBatch::RunCommand {
            ui.checkbox(&mut self.settings.after_only_if_ok, tr!(AfterOnlyIfOk));
            return false;
        }
        let l = ui.label(tr!(AfterCommand));
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.settings.after_command)
                    .hint_text(tr!(AfterCommandExample))
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .on_hover_text(tr!(AfterCommandHint));
        ui.checkbox(&mut self.settings.after_only_if_ok, tr!(AfterOnlyIfOk));
        r.has_focus()
    }
}

/// `HH:MM` as two drag values named by `label`; true while dragged.
fn time_field(ui: &mut egui::Ui, minutes: &mut u32, label: egui::Id) -> bool {
    let (mut h, mut m) = (*minutes / 60, *minutes % 60);
    let two = |v: f64, _| format!("{v:02}");
    let a = ui
        .add(egui::DragValue::new(&mut h).range(0..=23).custom_formatter(two))
        .labelled_by(label);
    ui.label(":");
    let b = ui
        .add(egui::DragValue::new(&mut m).range(0..=59).custom_formatter(two))
        .labelled_by(label);
    *minutes = (h * 60 + m) % DAY;
    a.dragged() || b.dragged()
}
