//! The status bar: totals per state, what is in flight of the limit, the
//! speed, the engine (and an aria2 daemon's connection), notices.

use std::time::Instant;

use egui::RichText;

use super::Notice;
use super::rpc::Rpc;
use super::view::View;
use crate::engine::Engine;
use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::settings::{EngineChoice, Settings};

/// The status bar's own state, and why no engine runs (said above the
/// list).
#[derive(Default)]
pub(super) struct StatusBar {
    /// A message for the status bar.
    pub notice: Option<Notice>,
    /// The engine could not be started.
    pub engine_error: Option<String>,
}

impl StatusBar {
    pub fn ui(&self, ui: &mut egui::Ui, view: &View<'_>, settings: &Settings, rpc: &Rpc) {
        let now = Instant::now();
        let c = view.counts;
        let listed = view.listed.map(<[usize]>::len);
        let (total, limit, connections, in_flight, speed, aria2, remote, proxy, own_speed, queue_paused) = {
            let core = view.shown;
            let engine = core.engine.as_ref();
            (
                listed.unwrap_or(core.model.rows.len()),
                engine
                    .and_then(|e| e.config().backend.limit())
                    .map_or(tr!(NoLimit).to_string(), |l| l.to_string()),
                // The limit counts connections: a segmented file holds several.
                engine.map_or(0, Engine::connections),
                core.model.in_flight(),
                core.model.speed(now),
                engine
                    .and_then(|e| e.config().aria2.as_ref())
                    .map(|r| r.url.clone()),
                core.model.remote.clone(),
                engine.and_then(Engine::proxy),
                core.speed == crate::settings::schedule::SpeedChoice::Setting,
                core.queue_paused,
            )
        };
        // Wrapped: with a schedule, a proxy and the RPC server to report,
        // one line is wider than the window.
        ui.horizontal_wrapped(|ui| {
            // Whose downloads these are: this computer's or a server's.
            let (whose, bad) = super::server::shown_label(view, settings);
            let color = if bad {
                ui.visuals().warn_fg_color
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(whose).color(color));
            ui.separator();
            ui.label(tr!(
                TaskTotals,
                total = total,
                done = c.done,
                failed = c.failed,
                running = c.running,
                queued = c.queued,
                paused = c.paused,
                cancelled = c.cancelled
            ));
            ui.separator();
            // A server's downloads: its connections and engine are its own.
            let local = !view.on_server();
            if local {
                ui.label(tr!(
                    InFlight,
                    n = in_flight,
                    connections = connections,
                    limit = limit
                ))
                .on_hover_text(tr!(InFlightHint));
                ui.separator();
            }
            ui.label(format!("{}/s", human_bytes(speed as u64)));
            ui.separator();
            if local {
                match (&settings.engine, aria2) {
                    (EngineChoice::Aria2, Some(url)) => {
                        let host = url::Url::parse(&url)
                            .ok()
                            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
                            .unwrap_or_else(|| url.clone());
                        ui.label(tr!(EngineAria2At, host = host));
                        match &remote {
                            // No spinner: it would draw frames for as long as
                            // the daemon is away; the engine says when it is back.
                            Some((false, detail)) => {
                                ui.label(RichText::new(tr!(Reconnecting)).color(ui.visuals().warn_fg_color))
                                    .on_hover_text(detail);
                            }
                            _ => {
                                ui.label(tr!(Connected));
                            }
                        }
                    }
                    _ => {
                        ui.label(tr!(EngineIs, engine = settings.engine.label()));
                    }
                }
            }
            if let Some(proxy) = proxy {
                ui.separator();
                ui.label(tr!(ProxyInUse, proxy = proxy));
            }
            if let Some((text, bad)) = rpc.status(view.rpc_port()) {
                ui.separator();
                let color = if bad {
                    ui.visuals().warn_fg_color
                } else {
                    ui.visuals().text_color()
                };
                ui.label(RichText::new(text).color(color))
                    .on_hover_text(tr!(RpcHint));
            }
            if let Some(text) = view.rpc_refused() {
                ui.separator();
                ui.label(RichText::new(text).color(ui.visuals().warn_fg_color))
                    .on_hover_text(tr!(RpcRefusedHint));
            }
            if let Some(text) = view.schedule_status() {
                ui.separator();
                ui.label(text);
            }
            if !own_speed {
                ui.separator();
                ui.label(match view.local.rate_limit(settings) {
                    Some(limit) => tr!(SpeedInForce, limit = format!("{}/s", human_bytes(limit))),
                    None => tr!(SpeedInForce, limit = tr!(NoLimit)),
                });
            }
            if queue_paused {
                ui.separator();
                ui.label(RichText::new(tr!(QueuePausedNote)).color(ui.visuals().warn_fg_color));
            }
            if let Some(notice) = &self.notice {
                ui.separator();
                ui.label(RichText::new(&notice.text).color(ui.visuals().warn_fg_color));
            }
        });
    }
}
