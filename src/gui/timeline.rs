//! The timeline painter: one lane per worker, one bar per run of a task,
//! coloured by how it ended, with a time axis in seconds. Drawn with the
//! painter (not a plot widget): bars are rectangles in lanes, and hovering
//! finds the bar under the pointer by arithmetic, so a batch of thousands
//! of tasks costs one shape per visible bar and no widget each.

use std::time::Duration;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::service::timeline::{Bar, BarState, Timeline};

/// Width of the lane names on the left.
const GUTTER: f32 = 92.0;
/// Height of the time axis below the lanes.
const AXIS: f32 = 30.0;

pub fn color(state: BarState, ui: &egui::Ui) -> Color32 {
    match state {
        BarState::Running => ui.visuals().hyperlink_color,
        BarState::Done => Color32::from_rgb(0x2e, 0xa0, 0x43),
        BarState::Failed => ui.visuals().error_fg_color,
        BarState::Paused => ui.visuals().warn_fg_color,
        BarState::Cancelled | BarState::Requeued => ui.visuals().weak_text_color(),
    }
}

pub fn state_name(state: BarState) -> &'static str {
    match state {
        BarState::Running => tr!(StRunning),
        BarState::Done => tr!(StDone),
        BarState::Failed => tr!(StFailedShort),
        BarState::Paused => tr!(StPaused),
        BarState::Cancelled | BarState::Requeued => tr!(StCancelled),
    }
}

/// A step for axis ticks that gives at most about `max` of them.
pub fn tick_step(span: f64, max: f64) -> f64 {
    const STEPS: [f64; 17] = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    ];
    STEPS.into_iter().find(|s| span / s <= max).unwrap_or(3600.0)
}

/// A tick's label: as few decimals as its step needs.
fn tick_label(t: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    };
    format!("{t:.decimals$}")
}

/// The legend: a swatch and a word for each way a bar can end.
pub fn legend(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        for state in [
            BarState::Running,
            BarState::Done,
            BarState::Failed,
            BarState::Paused,
            BarState::Cancelled,
        ] {
            let (rect, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, color(state, ui));
            ui.label(state_name(state));
            ui.add_space(6.0);
        }
    });
}

/// Draws `timeline` into the space left in `ui`. `now` is the engine time,
/// for bars still running; `name` gives a task's name for the hover.
pub fn show(
    ui: &mut egui::Ui,
    timeline: &Timeline,
    now: Option<Duration>,
    name: &dyn Fn(usize) -> String,
    min_height: f32,
) {
    show_of(ui, timeline, now, name, min_height, None);
}

/// The same, with only the bars of task `only` (when given) on the lanes
/// it ran on, against the whole batch's time axis: one download's lane in
/// the details pane, placed in its batch.
pub fn show_of(
    ui: &mut egui::Ui,
    timeline: &Timeline,
    now: Option<Duration>,
    name: &dyn Fn(usize) -> String,
    min_height: f32,
    only: Option<usize>,
) {
    let shown = |b: &Bar| only.is_none_or(|i| b.index == i);
    let mut order = timeline.lane_order();
    if only.is_some() {
        order.retain(|&lane| timeline.bars().iter().any(|b| b.lane == lane && shown(b)));
    }
    let lanes = order.len().max(1);
    let span = timeline.span(now).as_secs_f64().max(0.001);
    let avail = ui.available_size();
    let lane_h = ((avail.y.max(min_height) - AXIS) / lanes as f32).clamp(4.0, 44.0);
    let size = Vec2::new(avail.x.max(300.0), lane_h * lanes as f32 + AXIS);
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let full = response.rect;
    let plot = Rect::from_min_max(
        Pos2::new(full.left() + GUTTER, full.top()),
        Pos2::new(full.right() - 8.0, full.bottom() - AXIS),
    );
    let x_of = |t: Duration| plot.left() + (t.as_secs_f64() / span) as f32 * plot.width();
    // Lane position of each lane index.
    let mut row_of = vec![0; timeline.lanes().len()];
    for (row, &lane) in order.iter().enumerate() {
        row_of[lane] = row;
    }
    let visuals = ui.visuals().clone();
    let small = FontId::proportional(11.0);
    // Only what the scroll area shows is painted: a batch of thousands of
    // tasks on hundreds of lanes is mostly out of view.
    let clip = ui.clip_rect();

    // Lanes: stripes and names.
    for (row, &lane) in order.iter().enumerate() {
        let top = plot.top() + row as f32 * lane_h;
        let stripe = Rect::from_min_max(Pos2::new(plot.left(), top), Pos2::new(plot.right(), top + lane_h));
        if !clip.intersects(stripe.expand2(Vec2::new(GUTTER, 0.0))) {
            continue;
        }
        if row % 2 == 1 {
            painter.rect_filled(stripe, 0.0, visuals.faint_bg_color);
        }
        if lane_h >= 9.0 {
            painter.text(
                Pos2::new(full.left() + 4.0, top + lane_h / 2.0),
                Align2::LEFT_CENTER,
                timeline.lanes()[lane],
                small.clone(),
                visuals.text_color(),
            );
        }
    }

    // Time axis: grid lines and seconds.
    let step = tick_step(span, (plot.width() / 70.0).max(2.0) as f64);
    let mut t = 0.0;
    while t <= span + 1e-9 {
        let x = plot.left() + (t / span) as f32 * plot.width();
        painter.line_segment(
            [Pos2::new(x, plot.top()), Pos2::new(x, plot.bottom() + 4.0)],
            Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color),
        );
        painter.text(
            Pos2::new(x, plot.bottom() + 5.0),
            Align2::CENTER_TOP,
            tick_label(t, step),
            small.clone(),
            visuals.text_color(),
        );
        t += step;
    }
    painter.text(
        Pos2::new(full.left() + 4.0, plot.bottom() + 5.0),
        Align2::LEFT_TOP,
        tr!(TimeAxis),
        small.clone(),
        visuals.weak_text_color(),
    );

    // Bars.
    let end_of = |b: &Bar| {
        b.end
            .or_else(|| now.zip(timeline.origin()).map(|(n, o)| n.saturating_sub(o)))
    };
    let rect_of = |b: &Bar| {
        let top = plot.top() + row_of[b.lane] as f32 * lane_h;
        let x0 = x_of(b.start);
        let x1 = x_of(end_of(b).unwrap_or(b.start)).max(x0 + 1.5);
        Rect::from_min_max(Pos2::new(x0, top + 1.0), Pos2::new(x1, top + lane_h - 1.0))
    };
    for b in timeline.bars().iter().filter(|b| shown(b)) {
        let rect = rect_of(b);
        if !clip.intersects(rect) {
            continue;
        }
        painter.rect(
            rect,
            2.0,
            color(b.state, ui).gamma_multiply(0.85),
            Stroke::new(1.0, visuals.extreme_bg_color),
            StrokeKind::Inside,
        );
        // A stream's piece that waited for an earlier one before it was
        // written: a thin line from its end to when it was joined.
        if let Some(joined) = b.joined
            && x_of(joined) > rect.right() + 1.0
        {
            let y = rect.center().y;
            let wait = Stroke::new(1.0, visuals.weak_text_color());
            painter.line_segment([Pos2::new(rect.right(), y), Pos2::new(x_of(joined), y)], wait);
            painter.line_segment(
                [
                    Pos2::new(x_of(joined), rect.top()),
                    Pos2::new(x_of(joined), rect.bottom()),
                ],
                wait,
            );
        }
        let label = b.index.to_string();
        if lane_h >= 12.0 && rect.width() > 7.0 * label.len() as f32 + 4.0 {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                label,
                small.clone(),
                Color32::WHITE,
            );
        }
    }

    // The bar under the pointer, by its lane and time.
    if let Some(pos) = response.hover_pos()
        && plot.contains(pos)
    {
        let row = ((pos.y - plot.top()) / lane_h) as usize;
        let hit = timeline
            .bars()
            .iter()
            .filter(|b| shown(b) && row_of[b.lane] == row)
            .find(|b| rect_of(b).expand2(Vec2::new(2.0, 0.0)).contains(pos));
        if let Some(b) = hit {
            painter.rect_stroke(
                rect_of(b),
                2.0,
                Stroke::new(2.0, visuals.strong_text_color()),
                StrokeKind::Outside,
            );
            let end = end_of(b).unwrap_or(b.start);
            let text = tr!(
                BarHover,
                index = b.index,
                name = name(b.index),
                state = state_name(b.state),
                start = format!("{:.2}", b.start.as_secs_f64()),
                end = format!("{:.2}", end.as_secs_f64()),
                secs = format!("{:.2}", end.saturating_sub(b.start).as_secs_f64()),
                bytes = human_bytes(b.bytes),
                lane = timeline.lanes()[b.lane]
            );
            response.on_hover_ui_at_pointer(|ui| {
                ui.label(text);
            });
        }
    }
}

/// The Timeline tab: `core`'s current batch, live while it runs.
pub(super) fn tab(ui: &mut egui::Ui, core: &crate::service::Downloads) {
    let t = &core.model.batch.timeline;
    if t.is_empty() {
        ui.weak(tr!(TimelineEmpty));
        return;
    }
    let now = core.engine.as_ref().map(crate::engine::Engine::elapsed);
    ui.horizontal(|ui| {
        ui.label(tr!(
            TimelineSummary,
            tasks = core.model.batch.tasks.len(),
            lanes = t.lanes().len(),
            secs = format!("{:.2}", t.span(now).as_secs_f64()),
            peak = t.peak_in_flight()
        ));
        ui.separator();
        legend(ui);
    });
    let rows = &core.model.rows;
    let name = |i: usize| rows.get(i).map_or_else(String::new, |r| r.name.clone());
    // A stream of the batch: its pieces on its lanes, the Python note's
    // lesson inside one download.
    let stream = core
        .model
        .batch
        .tasks
        .iter()
        .rev()
        .find_map(|i| core.model.streams.get(i).map(|s| (*i, s)));
    egui::ScrollArea::vertical().show(ui, |ui| {
        let batch_height = if stream.is_some() {
            ui.available_height() * 0.4
        } else {
            120.0
        };
        egui::Frame::NONE.show(ui, |ui| {
            ui.set_max_height(batch_height.max(120.0));
            show(ui, t, now, &name, 120.0);
        });
        if let Some((index, pieces)) = stream {
            stream_chart(ui, pieces, now, &name(index));
        }
    });
}

/// A stream's own chart: its pieces on the lanes that fetched them (the
/// Timeline tab's and a download's details pane).
pub fn stream_chart(ui: &mut egui::Ui, pieces: &Timeline, now: Option<Duration>, name: &str) {
    ui.add_space(8.0);
    ui.label(tr!(StreamTimeline, name = name, lanes = pieces.lanes().len()));
    let piece = |n: usize| tr!(SegmentNumber, n = n + 1);
    show(ui, pieces, now, &piece, 160.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(0.2, 10.0), 0.02);
        assert_eq!(tick_step(3.4, 10.0), 0.5);
        assert_eq!(tick_step(64.0, 8.0), 10.0);
        assert_eq!(tick_label(1.5, 0.5), "1.5");
        assert_eq!(tick_label(20.0, 10.0), "20");
    }
}
