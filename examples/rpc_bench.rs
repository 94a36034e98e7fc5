//! The window while other programs hand it downloads over the RPC: 10,000
//! URLs in one `system.multicall` (the frames' CPU time while they arrive,
//! and how long the call takes), then 200 single `aria2.addUri` calls one
//! after another (the time from the call to the row in the window, which
//! is when the answer comes). The queue is paused: this measures the
//! arrival, not the downloads. Frames run every millisecond, each with
//! `logic()` (where calls are answered) and the whole window laid out and
//! tessellated.
//!
//!     cargo run --release --example rpc_bench
// A test (or a tool) fails loudly where library code would handle the error.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use fanout::gui::{Action, AppOptions, FanoutApp, ServeRpc};
use fanout::settings::Settings;
use serde_json::{Value, json};

const MANY: usize = 10_000;
const SINGLE: usize = 200;

/// CPU time of this thread (not wall time: the machine is shared).
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn post(client: &reqwest::blocking::Client, url: &str, body: &Value) -> Value {
    let r = client.post(url).body(body.to_string()).send().unwrap();
    serde_json::from_slice(&r.bytes().unwrap()).unwrap()
}

fn main() {
    let config = tempfile::tempdir().unwrap();
    let mut options = AppOptions::in_dir(config.path());
    options.serve_rpc = ServeRpc::OnPort(0);
    let settings = Settings {
        download_dir: config.path().join("downloads"),
        ..Settings::default()
    };
    settings.save(&options.settings_path()).unwrap();
    let ctx = egui::Context::default();
    let mut app = FanoutApp::with_context(ctx.clone(), options);
    app.perform(Action::QueuePaused(true));
    let mut frame = eframe::Frame::_new_kittest();
    // The server starts when its secret has come, off the UI thread.
    while app.rpc_port().is_none() {
        let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
            eframe::App::logic(&mut app, ui.ctx(), &mut frame);
        });
        std::thread::sleep(Duration::from_millis(1));
    }
    let url = format!("http://127.0.0.1:{}/jsonrpc", app.rpc_port().unwrap());
    let token = format!("token:{}", app.rpc_secret().unwrap());

    let client = std::thread::spawn(move || {
        fanout::engine::http::crypto_provider();
        let http = reqwest::blocking::Client::new();
        let calls: Vec<Value> = (0..MANY)
            .map(|i| json!({"methodName": "aria2.addUri", "params": [token, [format!("https://example.com/album/{i}.jpg")]]}))
            .collect();
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "system.multicall", "params": [calls]});
        let t = Instant::now();
        let answer = post(&http, &url, &body);
        let many = t.elapsed();
        assert_eq!(answer["result"].as_array().unwrap().len(), MANY);
        let mut single: Vec<Duration> = (0..SINGLE)
            .map(|i| {
                let body = json!({"jsonrpc": "2.0", "id": i, "method": "aria2.addUri",
                    "params": [token, [format!("https://example.com/one/{i}.jpg")]]});
                let t = Instant::now();
                let a = post(&http, &url, &body);
                assert!(a["result"].is_string(), "{a}");
                t.elapsed()
            })
            .collect();
        single.sort();
        (many, single)
    });

    let input = |t: f64| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1360.0, 800.0),
        )),
        time: Some(t),
        ..Default::default()
    };
    let start = Instant::now();
    let mut times = Vec::new();
    let mut rows_before = 0;
    while !client.is_finished() {
        let cpu = thread_cpu();
        let out = ctx.run_ui(input(start.elapsed().as_secs_f64()), |ui| {
            eframe::App::logic(&mut app, ui.ctx(), &mut frame);
            eframe::App::ui(&mut app, ui, &mut frame);
        });
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        // The frames in which calls were answered.
        if app.core().model.rows.len() != rows_before {
            times.push(thread_cpu() - cpu);
            rows_before = app.core().model.rows.len();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let (many, single) = client.join().unwrap();
    assert_eq!(app.core().model.rows.len(), MANY + SINGLE);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{MANY} addUri in one multicall: answered in {:.2} s; {} frames answered calls: median {:.2} ms, p95 {:.2} ms, max {:.2} ms CPU per frame",
        many.as_secs_f64(),
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1]),
    );
    println!(
        "{SINGLE} single addUri, one after another, beside {MANY} rows: median {:.2} ms, p95 {:.2} ms from the call to the row",
        ms(single[SINGLE / 2]),
        ms(single[SINGLE * 95 / 100]),
    );
}
