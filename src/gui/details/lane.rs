//! The Timeline tab: this download's runs on the lanes it used, against
//! its batch's time axis (drawn by the Timeline's own painter), and a
//! stream's pieces on their lanes.

use std::time::Duration;

use crate::gui::timeline;
use crate::i18n::tr;
use crate::service::model::Model;

pub fn show(ui: &mut egui::Ui, model: &Model, index: usize, now: Option<Duration>) {
    let batch = &model.batch.timeline;
    let name = |i: usize| model.rows.get(i).map_or_else(String::new, |r| r.name.clone());
    let ran = batch.bars().iter().any(|b| b.index == index);
    if ran {
        timeline::legend(ui);
        egui::Frame::NONE.show(ui, |ui| {
            ui.set_max_height(90.0);
            timeline::show_of(ui, batch, now, &name, 60.0, Some(index));
        });
    } else if model.batch.tasks.contains(&index) {
        ui.weak(tr!(LaneNotStarted));
    } else {
        ui.weak(tr!(LaneNotInBatch));
    }
    if let Some(pieces) = model.streams.get(&index) {
        timeline::stream_chart(ui, pieces, now, &name(index));
    }
}
