//! The sidebar on the left, as Motrix and qBittorrent users expect one:
//! a search box (name or URL), the states with live counts, and the
//! categories (the `--sort` table's kinds, torrents and streams) with
//! theirs. A click narrows the list; state and category combine.

use egui::{Role, Sense, WidgetInfo};

use super::filter::{ListFilter, StateFilter};
use super::table::kind_icon;
use super::view::View;
use crate::i18n::tr;
use crate::service::kind::Kind;

/// One line: its name on the left, its count on the right, the whole line
/// a selectable entry that screen readers read as "Name (count)".
fn entry(ui: &mut egui::Ui, icon: &str, name: &str, count: usize, selected: bool) -> egui::Response {
    let height = ui.spacing().interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(ui.available_width(), height), Sense::click());
    let label = format!("{name} ({count})");
    response.widget_info(|| WidgetInfo::selected(Role::Button, true, selected, &label));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, selected);
        if selected || response.hovered() || response.has_focus() {
            ui.painter()
                .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        }
        let font = egui::TextStyle::Button.resolve(ui.style());
        let inner = rect.shrink2(egui::vec2(6.0, 0.0));
        let text = if icon.is_empty() {
            name.to_string()
        } else {
            format!("{icon}  {name}")
        };
        let color = if count == 0 && !selected {
            ui.visuals().weak_text_color()
        } else {
            visuals.text_color()
        };
        ui.painter().text(
            inner.left_center(),
            egui::Align2::LEFT_CENTER,
            text,
            font.clone(),
            color,
        );
        ui.painter().text(
            inner.right_center(),
            egui::Align2::RIGHT_CENTER,
            count.to_string(),
            font,
            ui.visuals().weak_text_color(),
        );
    }
    response
}

/// The sidebar's own state: what narrows the list.
#[derive(Default)]
pub(super) struct Sidebar {
    /// The state, category and search text the list is narrowed by.
    pub filter: ListFilter,
    /// Give the search box the keyboard on the next frame (`Ctrl+F`).
    pub focus_search: bool,
}

impl Sidebar {
    /// The search box, the states and the categories, counted over the
    /// listed rows.
    pub fn ui(&mut self, ui: &mut egui::Ui, view: &View<'_>) {
        ui.add_space(6.0);
        let label = ui.label(tr!(Search));
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.filter.text)
                    .hint_text(tr!(SearchHint))
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if std::mem::take(&mut self.focus_search) {
            r.request_focus();
        }
        ui.add_space(8.0);
        for state in StateFilter::ALL {
            let selected = self.filter.state == state;
            if entry(ui, "", state.label(), state.count(&view.counts), selected).clicked() {
                self.filter.state = state;
            }
        }
        ui.add_space(6.0);
        ui.separator();
        ui.weak(tr!(Categories));
        for (kind, &count) in Kind::ALL.into_iter().zip(&view.kinds) {
            let selected = self.filter.kind == Some(kind);
            // A second click shows every kind again.
            if entry(ui, kind_icon(kind), kind.label(), count, selected).clicked() {
                self.filter.kind = (!selected).then_some(kind);
            }
        }
    }
}
