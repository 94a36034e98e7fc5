//! The `Compare engines` tab: the list's URLs once under each local engine
//! (see [`crate::service::compare`]), run on a helper thread, shown as three bar
//! charts (total time, peak in flight, throughput), the Python note's "Total use N
//! seconds" lines, and each engine's completion order as a strip. Exports as
//! CSV and as a PNG of what the tab shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};

use crate::engine::BackendKind;
use crate::i18n::tr;
use crate::service::compare::{self, CompareError, Run, Update};
use crate::settings::{EngineChoice, Settings};

/// What the helper thread sends.
enum Msg {
    Update(Update),
    Done(Result<(), CompareError>),
}

struct Running {
    rx: mpsc::Receiver<Msg>,
    stop: Arc<AtomicBool>,
    /// Which engine runs, and how far it is.
    now: Option<(BackendKind, usize, usize)>,
    /// How many URLs each engine runs.
    urls: usize,
}

#[derive(Default)]
pub struct ComparePanel {
    running: Option<Running>,
    /// Runs of the last comparison (so far, while one runs).
    pub runs: Vec<Run>,
    pub error: Option<String>,
    /// Where the charts were drawn last frame, for the PNG.
    charts: Option<Rect>,
    /// Answers of PNG exports, written off the UI thread.
    saved: Option<mpsc::Receiver<Result<PathBuf, String>>>,
}

/// What the user asked of the tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareAction {
    Run,
    Stop,
    SaveCsv,
    SavePng,
}

impl ComparePanel {
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts a comparison of `urls` with the settings' workers, timeouts
    /// and speed limit.
    ///
    /// A scratch folder is made in `scratch` and removed afterwards, unless
    /// the settings say to keep the files in the download folder.
    pub fn start(&mut self, urls: Vec<String>, settings: &Settings, scratch: &Path, ctx: &egui::Context) {
        if self.running.is_some() {
            return;
        }
        self.runs.clear();
        self.error = None;
        let count = urls.len();
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let engines = compare::engines(settings.threads, settings.async_limit);
        let base = settings.engine_config();
        let rate = settings.rate_limit();
        let (scratch, keep) = if settings.compare_keep {
            (unique(&settings.download_dir, "fanout-comparison", ""), true)
        } else {
            (unique(scratch, "fanout-comparison", ""), false)
        };
        let (ctx, halt) = (ctx.clone(), stop.clone());
        std::thread::Builder::new()
            .name("fanout-compare".into())
            .spawn(move || {
                let send = |m: Msg| {
                    let _ = tx.send(m);
                    ctx.request_repaint();
                };
                let result = compare::run(&urls, &engines, &base, rate, &scratch, &halt, |u| {
                    send(Msg::Update(u))
                });
                if !keep {
                    let _ = std::fs::remove_dir_all(&scratch);
                }
                send(Msg::Done(result.map(|_| ())));
            })
            .expect("a thread for the comparison");
        self.running = Some(Running {
            rx,
            stop,
            now: None,
            urls: count,
        });
    }

    pub fn stop(&mut self) {
        if let Some(r) = &self.running {
            r.stop.store(true, Ordering::SeqCst);
        }
    }

    /// Takes in what the helper threads sent; a notice for the status bar
    /// when an export was written.
    pub fn poll(&mut self) -> Option<String> {
        if let Some(running) = &mut self.running {
            while let Ok(msg) = running.rx.try_recv() {
                match msg {
                    Msg::Update(Update::Starting { backend, .. }) => {
                        running.now = Some((backend, 0, running.urls));
                    }
                    Msg::Update(Update::Progress { ended, of, .. }) => {
                        if let Some(now) = &mut running.now {
                            (now.1, now.2) = (ended, of);
                        }
                    }
                    Msg::Update(Update::Ran(run)) => self.runs.push(run),
                    Msg::Done(result) => {
                        self.error = result.err().map(|e| tr!(CompareStopped, e = compare_error(&e)));
                        self.running = None;
                        break;
                    }
                }
            }
        }
        let answer = self.saved.as_ref()?.try_recv().ok()?;
        self.saved = None;
        Some(match answer {
            Ok(path) => tr!(SavedAs, path = path.display()),
            Err(e) => e,
        })
    }

    /// Writes the CSV into `dir`; the notice to show.
    pub fn save_csv(&self, dir: &Path) -> String {
        let path = unique(dir, "fanout-comparison", ".csv");
        let part = path.with_extension("csv.part");
        let written =
            std::fs::write(&part, compare::csv(&self.runs)).and_then(|()| std::fs::rename(&part, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        match written {
            Ok(()) => tr!(SavedAs, path = path.display()),
            Err(e) => tr!(CouldNotSave, path = path.display(), e = e),
        }
    }

    /// Asks for a screenshot of the next frame and writes the charts' part
    /// of it as a PNG in `dir` (on a helper thread); [`Self::poll`] reports.
    pub fn save_png(&mut self, dir: &Path, ctx: &egui::Context) {
        let Some(rect) = self.charts else { return };
        let path = unique(dir, "fanout-comparison", ".png");
        let (tx, rx) = mpsc::channel();
        self.saved = Some(rx);
        let ppp = ctx.pixels_per_point();
        let could_not = tr!(CouldNotSave, path = path.display(), e = "{e}");
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            std::thread::spawn(move || {
                let result = write_png(&image, rect, ppp, &path)
                    .map(|()| path.clone())
                    .map_err(|e| could_not.replace("{e}", &e));
                let _ = tx.send(result);
                repaint.request_repaint();
            });
        });
    }

    /// `busy`: downloads of the list run now, and would skew the figures.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        urls: usize,
        busy: bool,
        settings: &mut Settings,
    ) -> Option<CompareAction> {
        let mut action = None;
        ui.label(tr!(CompareIntro));
        ui.horizontal(|ui| {
            ui.label(tr!(CompareUrls, n = urls));
            ui.separator();
            ui.add_enabled_ui(!self.is_running(), |ui| {
                ui.radio_value(&mut settings.compare_keep, false, tr!(CompareScratch));
                ui.radio_value(&mut settings.compare_keep, true, tr!(CompareKeep));
            });
        });
        ui.horizontal(|ui| {
            if self.is_running() {
                if ui.button(tr!(CompareStop)).clicked() {
                    action = Some(CompareAction::Stop);
                }
                if let Some(Some((backend, ended, of))) = self.running.as_ref().map(|r| r.now) {
                    ui.spinner();
                    ui.label(tr!(
                        CompareRunning,
                        engine = EngineChoice::of(backend).label(),
                        ended = ended,
                        of = of
                    ));
                }
            } else {
                let r = ui.add_enabled(urls > 0 && !busy, egui::Button::new(tr!(CompareRun)));
                let why = if busy {
                    tr!(CompareBusy)
                } else {
                    tr!(CompareNeedsUrls)
                };
                if r.on_disabled_hover_text(why).clicked() {
                    action = Some(CompareAction::Run);
                }
                let done = !self.runs.is_empty();
                if ui.add_enabled(done, egui::Button::new(tr!(ExportCsv))).clicked() {
                    action = Some(CompareAction::SaveCsv);
                }
                if ui.add_enabled(done, egui::Button::new(tr!(ExportPng))).clicked() {
                    action = Some(CompareAction::SavePng);
                }
            }
        });
        if urls == 0 && self.runs.is_empty() {
            ui.weak(tr!(CompareNeedsUrls));
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.runs.is_empty() {
            self.charts = None;
            return action;
        }
        ui.separator();
        let top = ui.cursor().min;
        self.charts_ui(ui);
        self.charts = Some(Rect::from_min_max(
            top,
            Pos2::new(ui.max_rect().right(), ui.cursor().min.y),
        ));
        action
    }

    fn charts_ui(&self, ui: &mut egui::Ui) {
        let names: Vec<&str> = self
            .runs
            .iter()
            .map(|r| EngineChoice::of(r.backend).label())
            .collect();
        let width = ((ui.available_width() - 24.0) / 3.0).clamp(160.0, 320.0);
        ui.horizontal(|ui| {
            let totals: Vec<(f64, String)> = self
                .runs
                .iter()
                .map(|r| (r.total.as_secs_f64(), format!("{:.2}", r.total.as_secs_f64())))
                .collect();
            bar_chart(ui, tr!(TotalTime), &names, &totals, width);
            let peaks: Vec<(f64, String)> = self
                .runs
                .iter()
                .map(|r| (r.peak as f64, r.peak.to_string()))
                .collect();
            bar_chart(ui, tr!(PeakInFlight), &names, &peaks, width);
            let speeds: Vec<(f64, String)> = self
                .runs
                .iter()
                .map(|r| (r.throughput() / 1e6, format!("{:.1}", r.throughput() / 1e6)))
                .collect();
            bar_chart(ui, tr!(Throughput), &names, &speeds, width);
        });
        ui.add_space(6.0);
        for (run, name) in self.runs.iter().zip(&names) {
            ui.monospace(tr!(
                TotalUse,
                engine = name,
                secs = format!("{:.3}", run.total.as_secs_f64()),
                ok = run.ok,
                failed = run.failed
            ));
        }
        ui.add_space(6.0);
        ui.strong(tr!(CompletionOrder));
        for (run, name) in self.runs.iter().zip(&names) {
            ui.horizontal(|ui| {
                ui.add_sized([80.0, 18.0], egui::Label::new(*name));
                order_strip(ui, &run.order, run.order.len().max(1));
            });
        }
    }
}

/// A file in `dir` named `stem-SECONDS[-k]ext` that does not exist yet.
fn unique(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (1..)
        .map(|k| {
            let suffix = if k == 1 { String::new() } else { format!("-{k}") };
            dir.join(format!("{stem}-{secs}{suffix}{ext}"))
        })
        .find(|p| !p.exists())
        .expect("a free name")
}

/// The part of a screenshot inside `rect` (in points) as a PNG.
fn write_png(image: &egui::ColorImage, rect: Rect, ppp: f32, path: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let x0 = ((rect.left() * ppp).max(0.0) as usize).min(w);
    let y0 = ((rect.top() * ppp).max(0.0) as usize).min(h);
    let x1 = ((rect.right() * ppp) as usize).clamp(x0, w);
    let y1 = ((rect.bottom() * ppp) as usize).clamp(y0, h);
    let (cw, ch) = (x1 - x0, y1 - y0);
    if cw == 0 || ch == 0 {
        return Err("empty".into());
    }
    let mut rgba = Vec::with_capacity(cw * ch * 4);
    for y in y0..y1 {
        for px in &image.pixels[y * w + x0..y * w + x1] {
            rgba.extend_from_slice(&px.to_array());
        }
    }
    // Under a temporary name first: a half-written PNG never has its name.
    let part = path.with_extension("png.part");
    image::save_buffer_with_format(
        &part,
        &rgba,
        cw as u32,
        ch as u32,
        image::ExtendedColorType::Rgba8,
        image::ImageFormat::Png,
    )
    .and_then(|()| std::fs::rename(&part, path).map_err(image::ImageError::IoError))
    .map_err(|e| {
        let _ = std::fs::remove_file(&part);
        e.to_string()
    })
}

/// A titled bar chart of one value per engine, each bar with its figure.
fn bar_chart(ui: &mut egui::Ui, title: &str, names: &[&str], values: &[(f64, String)], width: f32) {
    ui.vertical(|ui| {
        ui.set_width(width);
        ui.strong(title);
        let (rect, _) = ui.allocate_exact_size(Vec2::new(width, 150.0), Sense::hover());
        let painter = ui.painter_at(rect);
        let max = values.iter().map(|v| v.0).fold(0.0, f64::max).max(1e-9);
        let label_h = 18.0;
        let plot = Rect::from_min_max(
            rect.min + Vec2::new(0.0, 16.0),
            rect.max - Vec2::new(0.0, label_h),
        );
        let slot = plot.width() / values.len().max(1) as f32;
        let font = FontId::proportional(12.0);
        for (i, ((value, text), name)) in values.iter().zip(names).enumerate() {
            let h = (value / max) as f32 * plot.height();
            let cx = plot.left() + slot * (i as f32 + 0.5);
            let bar = Rect::from_min_max(
                Pos2::new(cx - slot * 0.3, plot.bottom() - h),
                Pos2::new(cx + slot * 0.3, plot.bottom()),
            );
            painter.rect_filled(bar, 2.0, engine_color(i));
            painter.text(
                Pos2::new(cx, bar.top() - 2.0),
                Align2::CENTER_BOTTOM,
                text,
                font.clone(),
                ui.visuals().text_color(),
            );
            painter.text(
                Pos2::new(cx, plot.bottom() + 2.0),
                Align2::CENTER_TOP,
                *name,
                font.clone(),
                ui.visuals().text_color(),
            );
        }
        painter.line_segment(
            [plot.left_bottom(), plot.right_bottom()],
            Stroke::new(1.0, ui.visuals().weak_text_color()),
        );
    });
}

fn engine_color(i: usize) -> Color32 {
    [
        Color32::from_rgb(0x8e, 0x8e, 0x93),
        Color32::from_rgb(0x3b, 0x82, 0xf6),
        Color32::from_rgb(0x2e, 0xa0, 0x43),
    ][i % 3]
}

/// The tasks in the order they finished, each cell coloured by its place in
/// the list: a smooth ramp is submission order, a jumble is as_completed.
fn order_strip(ui: &mut egui::Ui, order: &[usize], n: usize) {
    let width = ui.available_width().max(100.0);
    let cell = (width / order.len().max(1) as f32).min(22.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(cell * order.len() as f32, 18.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(10.0);
    for (k, &index) in order.iter().enumerate() {
        let r = Rect::from_min_size(
            Pos2::new(rect.left() + k as f32 * cell, rect.top()),
            Vec2::new(cell, rect.height()),
        );
        let hue = index as f32 / n as f32 * 0.75;
        painter.rect_filled(r.shrink(0.5), 1.0, egui::ecolor::Hsva::new(hue, 0.55, 0.8, 1.0));
        if cell >= 16.0 {
            painter.text(
                r.center(),
                Align2::CENTER_CENTER,
                index.to_string(),
                font.clone(),
                Color32::BLACK,
            );
        }
    }
    if let Some(pos) = response.hover_pos() {
        let k = ((pos.x - rect.left()) / cell) as usize;
        if let Some(index) = order.get(k) {
            response.on_hover_text_at_pointer(tr!(StripHover, rank = k + 1, index = index));
        }
    }
}

/// A comparison that could not run or stopped, in the window's words.
fn compare_error(e: &crate::service::compare::CompareError) -> String {
    match e {
        CompareError::Empty => tr!(CompareEmpty).to_string(),
        CompareError::Stopped => tr!(CompareCancelled).to_string(),
        CompareError::Folder(path, e) => tr!(CompareFolder, path = path, e = e),
        CompareError::Engine(e) => tr!(EngineDidNotStart, e = e),
    }
}
