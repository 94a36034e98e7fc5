//! One frame: `logic` takes what arrived (the service's news, helpers'
//! results, hand-overs, the schedule's edges), even while the window is
//! hidden; `ui` lays out the panels from one lock of the service (see
//! `view`) and then applies the actions they collected (see `actions`).

use std::path::PathBuf;
use std::time::Duration;

use super::add::{self, AddOutcome};
use super::view::View;
use super::{
    ADD_CAP, Action, FanoutApp, Panels, TICK, Tab, WAKE_DELAY, details, first_run, keys, preferences,
    results, rpc, timeline, toolbar,
};
use crate::i18n::{self, tr};

impl eframe::App for FanoutApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        i18n::set(self.settings.lang());
        // Before anything is drawn: at start, and in the frame after a click.
        let theme = theme_preference(self.settings.theme);
        if ctx.options(|o| o.theme_preference) != theme {
            ctx.set_theme(theme);
        }
        self.take_failures();
        self.take_settings_from_calls();
        self.say_kept();
        self.poll_helpers();
        self.poll_rpc_secret();
        self.poll_vault();
        self.service_chores();
        self.sync_server();
        self.poll_logind();
        self.take_handoffs(ctx);
        self.unattended_logic(ctx);
        if let Some(text) = self.panels.compare.poll() {
            self.notify(text);
        }
        let (end, progress, in_flight) = self.batch_state();
        if let Some(end) = end {
            self.batch_ended(&end);
        }
        self.update_title(ctx, progress);
        let busy = in_flight > 0
            || self.pending.folder_pick.is_some()
            || self.pending.dropped.is_some()
            || !self.pending.metalinks.is_empty();
        if busy && !self.hidden() {
            // The timeline's running bars grow with the clock, not with events.
            let tick = if self.panels.tab == Tab::Timeline {
                WAKE_DELAY
            } else {
                TICK
            };
            ctx.request_repaint_after(tick);
        }
        if let Some(n) = &self.panels.status.notice
            && !n.about_engine
            && n.at.elapsed() > Duration::from_secs(10)
        {
            self.panels.status.notice = None;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // Hidden, nothing is laid out. (eframe 0.37 skips `ui` itself only
        // for a minimized or occluded window; an unmapped X11 window is
        // neither, so it still asks, on each wake-up.)
        if self.hidden() {
            return;
        }
        i18n::set(self.settings.lang());
        self.count_frame();
        let mut actions = Vec::new();
        let mut dragging = false;
        let mut opens = None;
        // The frame's one lock of the service (and of a shown server's
        // view beside it): the panels are laid out from it, and it is
        // released before the actions are applied and the frame is painted.
        // The service's thread hands it over fairly (`service::hub`). The
        // service first, then the server's view: nothing takes them the
        // other way round (the view's own threads never lock the service).
        let (arrived, waiting_torrent, prefs_read) = {
            let FanoutApp {
                link,
                server,
                settings,
                rpc,
                panels,
                pending,
                desktop,
                ..
            } = self;
            let service = link.hub.lock();
            let remote = server.remote.as_ref().map(|r| r.view());
            let view = View::new(&service, remote.as_deref());
            let Panels {
                sidebar,
                table,
                status,
                tab,
                compare,
                add,
                files,
                keys,
                prefs,
                ..
            } = panels;
            // Before any widget sees the keys (see `keys`).
            let targets = keys::Targets {
                table,
                sidebar,
                add_open: &mut add.open,
                prefs_open: &mut prefs.open,
            };
            keys.shortcuts(ui.ctx(), &view, targets, &mut actions);
            // Ctrl+V outside a text field, or files dropped on the window.
            let (pasted, dropped) = ui.input(|i| {
                let pasted = i.events.iter().find_map(|e| match e {
                    egui::Event::Paste(t) => Some(t.clone()),
                    _ => None,
                });
                let dropped: Vec<PathBuf> = i
                    .raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect();
                (pasted, dropped)
            });
            if let Some(text) = pasted
                && !add.open
                && ui.memory(|m| m.focused().is_none())
                && add::has_urls(&text)
            {
                actions.push(Action::OpenAdd(Some(text)));
            }
            if !dropped.is_empty() {
                actions.push(Action::ReadDropped(dropped));
            }
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Q)) {
                // Quits, tray or not.
                desktop.quitting = true;
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            egui::Panel::top("toolbar").show(ui, |ui| {
                ui.add_space(4.0);
                opens = toolbar::ui(
                    ui,
                    &view,
                    table,
                    &sidebar.filter,
                    &mut settings.view,
                    &mut actions,
                );
                ui.add_space(2.0);
            });
            egui::Panel::bottom("status").show(ui, |ui| status.ui(ui, &view, settings, rpc));
            let picking = pending.folder_pick.is_some();
            dragging |= preferences::quick_bar(ui, &view, settings, picking, &mut actions);
            egui::Panel::left("sidebar")
                .resizable(true)
                .default_size(170.0)
                .min_size(140.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| sidebar.ui(ui, &view));
                });
            if settings.view.results {
                egui::Panel::right("results")
                    .resizable(true)
                    .default_size(215.0)
                    .show(ui, |ui| results::ui(ui, view.shown));
            }
            // Under the list only, as qBittorrent's: the side panels keep their height.
            details::pane(ui, &view, &table.selection, &mut settings.view);
            egui::CentralPanel::default().show(ui, |ui| {
                if let Some(e) = &status.engine_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.horizontal(|ui| {
                    ui.selectable_value(tab, Tab::Downloads, tr!(TabDownloads));
                    ui.selectable_value(tab, Tab::Timeline, tr!(TabTimeline));
                    ui.selectable_value(tab, Tab::Compare, tr!(TabCompare));
                });
                ui.separator();
                match tab {
                    Tab::Downloads if view.shown.model.rows.is_empty() && !view.on_server() => {
                        first_run::ui(ui, &view, settings, rpc, &mut actions);
                    }
                    Tab::Downloads => table.ui(ui, &view, &mut sidebar.filter, &mut actions),
                    Tab::Timeline => timeline::tab(ui, view.shown),
                    Tab::Compare => {
                        let urls = view.shown.model.rows.len();
                        let busy = view.shown.model.in_flight() > 0;
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            if let Some(a) = compare.show(ui, urls, busy, settings) {
                                actions.push(Action::Compare(a));
                            }
                        });
                    }
                }
            });
            // What the windows below show of the service, read now.
            (
                rpc::arrived_lines(&view),
                files.waiting(&view),
                preferences::Read::new(&view),
            )
        };
        match opens {
            Some(toolbar::Opens::Preferences) => self.panels.prefs.open = true,
            Some(toolbar::Opens::Keys) => self.panels.keys.help = true,
            None => {}
        }
        // The windows, from the panels' own state and what was read above.
        rpc::arrived_window(ui.ctx(), &arrived, &mut actions);
        self.panels
            .login
            .window(ui.ctx(), &mut self.settings, &mut actions);
        self.panels.keys.windows(ui.ctx(), &mut actions);
        let clipboard_how = self.clipboard_how();
        let form = preferences::Form {
            settings: &mut self.settings,
            read: &prefs_read,
            options: &self.options,
            vault: &self.vault,
            rpc: &self.rpc,
            tray: &self.desktop.tray,
            clipboard_how,
            picking: self.pending.folder_pick.is_some(),
            server_editing: &mut self.server.editing,
            actions: &mut actions,
        };
        dragging |= self.panels.prefs.ui(ui.ctx(), form);
        let desktop = &mut self.desktop;
        super::after_batch::countdown_window(
            &mut desktop.countdown,
            &mut desktop.logind,
            ui.ctx(),
            &self.options.system_bus,
        );
        self.desktop
            .close_question_window(ui.ctx(), &mut self.settings.on_close);
        super::clipboard_watch::clipboard_notice(&mut self.desktop.clip_offer, ui.ctx(), &mut actions);
        self.panels.files.window(ui.ctx(), waiting_torrent, &mut actions);
        if let AddOutcome::Add(urls) = self.panels.add.show(ui.ctx(), ADD_CAP) {
            actions.push(Action::Add(urls));
        }
        for action in actions {
            self.apply(action);
        }
        self.settings_changed(dragging);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if self.settings != self.saved_settings {
            let _ = self.settings.save(&self.options.settings_path());
        }
    }
}

/// What egui is told: it follows the desktop itself for `System`.
fn theme_preference(theme: crate::settings::Theme) -> egui::ThemePreference {
    use crate::settings::Theme;
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}
