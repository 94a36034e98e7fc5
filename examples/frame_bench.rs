//! Frame time of the window with 10,000 tasks, 500 of them updating: each
//! frame applies 500 progress events, lays out the whole window (toolbar,
//! the engine's bar, the sidebar with its counts, the table, the Results
//! panel, the details pane of a running download, the status bar) and
//! tessellates it, as eframe does before handing triangles to the GPU. Prints the median and 95th percentile
//! of the thread's CPU time per frame.
//!
//!     cargo run --release --example frame_bench [-- FRAMES [timeline]]
//!
//! With `timeline`, the frames show the Timeline tab instead of the table:
//! 5,000 bars (4,500 ended on 64 async slots, 500 running) on 500 lanes.
// A test (or a tool) fails loudly where library code would handle the error.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use fanout::engine::{Event, Saved, TaskResult, Worker};
use fanout::gui::{AppOptions, FanoutApp};

const TASKS: usize = 10_000;
const UPDATING: usize = 500;
const DONE: usize = 4_500;

/// CPU time of this thread (not wall time: the machine is shared).
#[cfg(target_os = "linux")]
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Elsewhere, wall time since the first call (a busy machine inflates it).
#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

fn main() {
    let frames: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let timeline = std::env::args().nth(2).as_deref() == Some("timeline");
    let config = tempfile::tempdir().unwrap();
    let ctx = egui::Context::default();
    let mut app = FanoutApp::with_context(ctx.clone(), AppOptions::in_dir(config.path()));
    let now = Instant::now();
    // 4,500 finished (in the Results panel), 500 running, 5,000 queued.
    for i in 0..TASKS {
        app.core().model.add(
            i,
            format!("https://example.com/album/{i}.jpg"),
            "/tmp/album".into(),
            Default::default(),
        );
    }
    for rank in 1..=DONE {
        let index = TASKS - rank; // finished from the end: all held-free
        let ms = |n: usize| Duration::from_millis(n as u64);
        app.core().model.apply(
            Event::Started {
                index,
                worker: Worker::Slot(rank % 64),
                at: ms(rank),
            },
            now,
        );
        app.core().model.apply(
            Event::Finished(TaskResult {
                index,
                url: String::new(),
                outcome: Ok(Saved {
                    path: format!("/tmp/album/{index}.jpg").into(),
                    bytes: 200_000,
                    skipped: false,
                    files: Vec::new(),
                }),
                http_status: Some(200),
                bytes: 200_000,
                rank,
                worker: Worker::Slot(1),
                started: ms(rank),
                finished: ms(rank + 63),
                rule: None,
            }),
            now,
        );
    }
    if timeline {
        app.show_tab(fanout::gui::Tab::Timeline);
    }
    // The details pane shows a download that receives progress every frame.
    app.select(0);
    assert!(app.settings().view.details);
    for index in 0..UPDATING {
        app.core().model.apply(
            Event::Started {
                index,
                worker: Worker::Slot(index),
                at: Duration::ZERO,
            },
            now,
        );
        app.core().model.apply(
            Event::Receiving {
                index,
                name: format!("{index}.jpg"),
                total: Some(10_000_000),
                validator: None,
            },
            now,
        );
    }
    let mut frame = eframe::Frame::_new_kittest();
    let input = |t: f64| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1360.0, 800.0),
        )),
        time: Some(t),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(frames);
    let start = Instant::now();
    for f in 0..frames + 20 {
        let cpu = thread_cpu();
        let at = Instant::now();
        for index in 0..UPDATING {
            let bytes = (f as u64 + 1) * 4_000 + index as u64;
            app.core().model.apply(
                Event::Progress {
                    index,
                    bytes,
                    total: Some(10_000_000),
                },
                at,
            );
        }
        let out = ctx.run_ui(input(start.elapsed().as_secs_f64()), |ui| {
            eframe::App::ui(&mut app, ui, &mut frame);
        });
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        if f >= 20 {
            times.push(thread_cpu() - cpu); // the first frames warm caches and fonts
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{TASKS} tasks, {UPDATING} updating, {frames} frames{}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms CPU per frame",
        if timeline { " of the timeline" } else { "" },
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1])
    );
}
