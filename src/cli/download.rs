//! Running `fanout get`: the engine, the progress bar on stderr, and one
//! line per result on stdout (text or JSON), in release order.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, GetArgs};

/// What a second Ctrl+C exits with, as a shell reports SIGINT.
const EXIT_STOPPED: i32 = 130;
use crate::engine::sort::Categories;
use crate::engine::{BackendKind, Engine, EngineConfig, Event, FanIn, Job, Note, Order, TaskResult};
use crate::i18n::units::human_bytes;
use crate::input::Options;

pub(super) fn download(args: &GetArgs, backend: BackendKind, urls: Vec<(String, Options)>) -> u8 {
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = EngineConfig {
        retries: args.retries,
        read_timeout: std::time::Duration::from_secs(args.stall_timeout.max(1)),
        segments: args.segments,
        segment_threshold: args.min_split_size,
        if_exists: args.if_exists.into(),
        sort: args.sort.then(|| Arc::new(Categories::default())),
        ..EngineConfig::new(backend)
    };
    let mut config = config;
    args.torrent.apply(&mut config);
    if let Err(e) = args.net.apply(&mut config) {
        eprintln!("fanout get: {e}");
        return EXIT_USAGE;
    }
    if let BackendKind::Aria2 { .. } = backend {
        let remote = match args.aria2() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("fanout get: {e}");
                return EXIT_USAGE;
            }
        };
        // A script wants to know now, not wait for a daemon that is not there.
        if let Err(e) = crate::engine::probe_aria2(&remote, &config) {
            eprintln!("fanout get: {e}");
            return EXIT_FAILED;
        }
        config.aria2 = Some(remote);
    }
    let engine = match Engine::new(config, tx, Arc::new(|| {})) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("fanout get: {e}");
            return EXIT_FAILED;
        }
    };
    let shared = match args.headers() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("fanout get: {e}");
            return EXIT_USAGE;
        }
    };
    // A bad cookies file is a usage error now, not a failure per file.
    if let Some(file) = &args.load_cookies {
        let read = std::fs::read_to_string(file).map_err(|e| e.to_string());
        if let Err(e) = read.and_then(|t| crate::engine::parse_cookies(&t).map_err(|e| e.to_string())) {
            eprintln!("fanout get: --load-cookies {}: {e}", file.display());
            return EXIT_USAGE;
        }
    }
    let began = Instant::now();
    let total = urls.len();
    engine.set_rate_limit(args.limit_rate);
    for (url, options) in urls {
        let mut job = options.apply(Job::new(url, &args.output));
        job.headers = shared.iter().chain(job.headers.iter()).cloned().collect();
        job.cookies = job.cookies.or_else(|| args.load_cookies.clone());
        job.stream = crate::engine::StreamOptions {
            variant: args.variant.clone(),
            duration: args.duration,
        };
        job.torrent = args.torrent.options();
        engine.submit(job);
    }

    let order = if args.ordered {
        Order::Submission
    } else {
        Order::Completion
    };
    let mut fan_in = FanIn::new(order);
    let mut progress = Progress::new(total);
    let (mut ok, mut failed) = (0usize, 0usize);
    let stdout = std::io::stdout();
    // Heard once a live stream records: Ctrl+C (or SIGTERM) then stops
    // every download as a pause would, so a recording keeps what it has
    // and the others their parts; a second one quits at once.
    let mut signals: Option<crossbeam_channel::Receiver<()>> = None;
    let mut stopping = false;
    while ok + failed < total {
        let never = crossbeam_channel::never();
        let event = crossbeam_channel::select! {
            recv(rx) -> event => event,
            recv(signals.as_ref().unwrap_or(&never)) -> _ => {
                if stopping {
                    std::process::exit(EXIT_STOPPED);
                }
                stopping = true;
                progress.suspend(|| eprintln!("stopping: recordings keep what they have; Ctrl+C again quits at once"));
                for index in 0..total {
                    engine.pause(index);
                }
                continue;
            }
        };
        let Ok(event) = event else { break };
        match event {
            // Stopped by the signal: the part stays for the same command.
            Event::Paused { index, .. } if stopping => {
                failed += 1;
                progress.suspend(|| eprintln!("stopped #{index}: run the same command again to continue"));
            }
            Event::Note {
                index,
                note: note @ Note::Stream { live: true, .. },
            } => {
                if signals.is_none() {
                    signals = super::serve::stop_signals().ok();
                }
                progress.suspend(|| eprintln!("note   #{index:<4} {note}"));
            }
            Event::Progress { index, bytes, .. } => progress.bytes(index, bytes),
            Event::Finished(result) => {
                progress.bytes(result.index, result.bytes);
                progress.finished();
                if result.is_ok() {
                    ok += 1;
                } else {
                    failed += 1;
                }
                for released in fan_in.push(result) {
                    let line = if args.json {
                        json_line(&released)
                    } else {
                        text_line(&released)
                    };
                    progress.suspend(|| {
                        let mut out = stdout.lock();
                        let _ = writeln!(out, "{line}");
                        let _ = out.flush();
                    });
                }
            }
            // The CLI pauses only when stopped (above): nothing is re-queued.
            Event::Started { .. }
            | Event::Receiving { .. }
            | Event::Paused { .. }
            | Event::Queued { .. }
            | Event::Connections { .. }
            | Event::Segments { .. }
            | Event::Pieces { .. }
            | Event::Piece { .. }
            | Event::Torrent { .. }
            | Event::Swarm { .. }
            | Event::Retrying { .. } => {}
            // What happened along the way goes to stderr, beside the bar.
            Event::Note { index, note } => {
                progress.suspend(|| eprintln!("note   #{index:<4} {note}"));
            }
            // A remote engine out of reach: its downloads wait, they do not fail.
            Event::Remote { detail, .. } => {
                progress.suspend(|| eprintln!("remote {detail}"));
            }
        }
    }
    progress.clear();
    eprintln!(
        "{ok} ok, {failed} failed in {:.2} s",
        began.elapsed().as_secs_f64()
    );
    if failed == 0 && ok == total {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Live progress on stderr, only when stderr is a terminal.
struct Progress {
    bar: Option<ProgressBar>,
    per_task: Vec<u64>,
    bytes: u64,
    began: Instant,
}

impl Progress {
    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files  {msg}",
                )
                .expect("static template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            per_task: vec![0; total],
            bytes: 0,
            began: Instant::now(),
        }
    }

    fn bytes(&mut self, index: usize, bytes: u64) {
        let Some(slot) = self.per_task.get_mut(index) else {
            return;
        };
        self.bytes = self.bytes - *slot + bytes;
        *slot = bytes;
        if let Some(bar) = &self.bar {
            let rate = self.bytes as f64 / self.began.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{}  {}/s",
                human_bytes(self.bytes),
                human_bytes(rate as u64)
            ));
        }
    }

    fn finished(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// The `--json` contract: one object per result.
pub fn json_line(r: &TaskResult) -> String {
    let mut obj = json!({
        "index": r.index,
        "url": r.url,
        "status": if r.is_ok() { "ok" } else { "failed" },
        "bytes": r.bytes,
        "rank": r.rank,
        "worker": r.worker.to_string(),
        "started_ms": millis(r.started),
        "finished_ms": millis(r.finished),
    });
    let map = obj.as_object_mut().expect("object literal");
    match &r.outcome {
        Ok(saved) => {
            map.insert("path".into(), json!(saved.path.to_string_lossy()));
            // A torrent's files, each with its bytes.
            if !saved.files.is_empty() {
                let files: Vec<_> = saved
                    .files
                    .iter()
                    .map(|f| json!({"path": f.path.to_string_lossy(), "bytes": f.bytes}))
                    .collect();
                map.insert("files".into(), json!(files));
            }
            if saved.skipped {
                map.insert("skipped".into(), json!(true));
            }
        }
        Err(e) => {
            map.insert("error".into(), json!(e.to_string()));
        }
    }
    if let Some(status) = r.http_status {
        map.insert("http_status".into(), json!(status));
    }
    if let Some(rule) = &r.rule {
        map.insert("rule".into(), json!(rule));
    }
    obj.to_string()
}

/// The human line: state, submission index, where it went or why it failed.
pub fn text_line(r: &TaskResult) -> String {
    let secs = r.finished.saturating_sub(r.started).as_secs_f64();
    match &r.outcome {
        Ok(saved) if saved.skipped => format!(
            "ok     #{:<4} {}  (kept: the file is there and up to date, nothing fetched; done #{})",
            r.index,
            saved.path.display(),
            r.rank
        ),
        Ok(saved) => format!(
            "ok     #{:<4} {}  ({}, {secs:.2} s, done #{}, {})",
            r.index,
            saved.path.display(),
            human_bytes(saved.bytes),
            r.rank,
            r.worker
        ),
        Err(e) => format!("failed #{:<4} {}  {e}", r.index, r.url),
    }
}
