//! The engine against a real HTTP server on loopback. Every test body runs
//! over every backend, as one `#[test]` per backend (`cargo test threads`
//! runs the thread pool's alone): what a user sees must not depend on the
//! engine chosen, except where the engine is the point (concurrency,
//! completion order).

use crate::support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fanout::engine::{
    BackendKind, Engine, EngineConfig, Event, FanIn, FetchError, Job, Note, Order, TaskResult, Worker, hex,
};
use fanout::service::timeline::{BarState, Timeline};
use support::run::run_jobs;
use support::tls::TlsServer;
use support::wait::{error_of, saved_path, wait_for};
use support::{TestServer, body_for, control_files, enc, files_in, user_files};

/// The engine's defaults, but retries wait 10 ms instead of seconds.
fn config(kind: BackendKind) -> EngineConfig {
    EngineConfig {
        retry_delay: Duration::from_millis(10),
        ..EngineConfig::new(kind)
    }
}

/// Submits `urls` to a fresh engine and waits for every result, returned in
/// completion order.
fn run(kind: BackendKind, urls: &[String], dir: &Path) -> Vec<TaskResult> {
    run_with_events(config(kind), urls, dir).0
}

fn run_with_events(config: EngineConfig, urls: &[String], dir: &Path) -> (Vec<TaskResult>, Vec<Event>) {
    run_jobs(config, urls.iter().map(|u| Job::new(u.clone(), dir)).collect())
}

/// Runs `jobs` as a sleeping window does: it looks at the events only when
/// the engine's waker wakes it, so an event sent without a wake after it
/// would never be seen, and the results would not all arrive.
fn by_index(mut results: Vec<TaskResult>) -> Vec<TaskResult> {
    results.sort_by_key(|r| r.index);
    results
}

fn every_byte_of_every_file_is_right(kind: BackendKind) {
    let server = TestServer::start();
    let sizes = [0usize, 1, 1000, 16 * 1024, 100_000, 1_000_003, 3 * 1024 * 1024];
    let mut urls: Vec<String> = sizes
        .iter()
        .map(|s| server.url(&format!("/f/{s}.bin?size={s}")))
        .collect();
    // Without Content-Length (chunked), the end of the body is the only end.
    urls.push(server.url("/f/chunked.bin?size=300000&nolen=1"));
    let dir = tempfile::tempdir().unwrap();
    let results = by_index(run(kind, &urls, dir.path()));
    for (r, url) in results.iter().zip(&urls) {
        let path = saved_path(r);
        let (file_path, size) = url.split_once('?').unwrap();
        let file_path = file_path.trim_start_matches(&server.url(""));
        let size: usize = size
            .split('&')
            .next()
            .unwrap()
            .trim_start_matches("size=")
            .parse()
            .unwrap();
        let got = std::fs::read(path).unwrap();
        assert!(
            got == body_for(file_path, size),
            "{kind:?}: {} has wrong bytes",
            path.display()
        );
        assert_eq!(r.bytes, size as u64);
        assert_eq!(r.http_status, Some(200));
        assert!(r.finished >= r.started);
    }
    let mut ranks: Vec<usize> = results.iter().map(|r| r.rank).collect();
    ranks.sort();
    assert_eq!(
        ranks,
        (1..=urls.len()).collect::<Vec<_>>(),
        "{kind:?}: ranks 1..=n"
    );
    assert!(
        !files_in(dir.path()).iter().any(|f| f.ends_with(".part")),
        "{kind:?}: .part left"
    );
    assert_eq!(files_in(dir.path()).len(), urls.len());
}
each_backend!(every_byte_of_every_file_is_right, 4);

fn worker_limits_hold_and_are_reached(kind: BackendKind) {
    // Each batch is larger than its limit, so a pool that ignored it shows.
    let files = match kind.limit() {
        Some(limit) => 3 * limit.max(2),
        None => 30, // unbounded: all at once, like asyncio.gather
    };
    {
        let limit = kind.limit().unwrap_or(files);
        let server = TestServer::start();
        let dir = tempfile::tempdir().unwrap();
        let urls: Vec<String> = (0..files)
            .map(|i| server.url(&format!("/lim/{i}.jpg?size=20000&latency=150")))
            .collect();
        let results = run(kind, &urls, dir.path());
        assert!(results.iter().all(TaskResult::is_ok));
        assert_eq!(
            server.max_in_flight(),
            limit,
            "{kind:?}: most requests in flight at once"
        );
        let workers: HashSet<String> = results.iter().map(|r| r.worker.to_string()).collect();
        assert!(
            workers.len() <= limit,
            "{kind:?}: {} workers named",
            workers.len()
        );
        let expected_prefix = match kind {
            BackendKind::Sequential => "sequential",
            BackendKind::Threads { .. } => "thread-",
            BackendKind::Async { .. } => "task-",
            // Covered by the `aria2` tests, against a real daemon.
            BackendKind::Aria2 { .. } => unreachable!("not among the local backends"),
        };
        assert!(
            workers.iter().all(|w| w.starts_with(expected_prefix)),
            "{kind:?}: {workers:?}"
        );
    }
}
each_backend!(worker_limits_hold_and_are_reached;
    sequential => BackendKind::Sequential,
    threads => BackendKind::Threads { workers: 4 },
    tokio => BackendKind::Async { limit: 8 },
    tokio_unbounded => BackendKind::Async { limit: 0 },
);

fn later_tasks_can_finish_first_and_submission_order_puts_them_back(kind: BackendKind) {
    let server = TestServer::start();
    // Earlier URLs wait longer, so a concurrent engine finishes them last.
    let latencies = [900, 600, 300, 0];
    let urls: Vec<String> = latencies
        .iter()
        .enumerate()
        .map(|(i, ms)| server.url(&format!("/order/{i}.jpg?size=5000&latency={ms}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let results = run(kind, &urls, dir.path());
    let completion: Vec<usize> = results.iter().map(|r| r.index).collect();
    let ranks: Vec<usize> = results.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [1, 2, 3, 4], "{kind:?}: ranks follow arrival");
    match kind {
        BackendKind::Sequential => {
            assert_eq!(completion, [0, 1, 2, 3], "one at a time finishes in order")
        }
        _ => assert_eq!(
            completion,
            [3, 2, 1, 0],
            "{kind:?}: the shortest wait finishes first"
        ),
    }

    let mut ordered = FanIn::new(Order::Submission);
    let mut released = Vec::new();
    let mut most_held = 0;
    for r in results.clone() {
        released.extend(ordered.push(r).into_iter().map(|r| r.index));
        most_held = most_held.max(ordered.held_back());
    }
    assert_eq!(released, [0, 1, 2, 3], "{kind:?}: submission order");
    if kind != BackendKind::Sequential {
        assert_eq!(most_held, 3, "{kind:?}: three results waited for the first");
    }

    let mut as_completed = FanIn::new(Order::Completion);
    let released: Vec<usize> = results
        .into_iter()
        .flat_map(|r| as_completed.push(r))
        .map(|r| r.index)
        .collect();
    assert_eq!(released, completion, "{kind:?}: completion order passes through");
}
each_backend!(
    later_tasks_can_finish_first_and_submission_order_puts_them_back,
    4
);

fn a_failure_fails_only_its_own_task_and_leaves_no_file(kind: BackendKind) {
    let server = TestServer::start();
    let urls = vec![
        server.url("/ok/first.bin?size=5000"),
        "not a url".to_string(),
        "ftp://127.0.0.1/file.bin".to_string(),
        server.url("/missing.bin?status=404"),
        server.url("/broken.bin?status=500"),
        // Cut at the same place every time, and no ranges to resume with:
        // every retry ends the same way.
        server.url("/dropped.bin?size=200000&drop=50000&norange=1"),
        server.url("/dropped-chunked.bin?size=200000&drop=50000&nolen=1"),
        "http://127.0.0.1:1/refused.bin".to_string(),
        server.url("/ok/last.bin?size=7000"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let r = by_index(run(kind, &urls, dir.path()));
    assert!(
        r[0].is_ok() && r[8].is_ok(),
        "{kind:?}: the good ones still download"
    );

    assert!(
        matches!(error_of(&r[1]), FetchError::InvalidUrl(_)),
        "{kind:?}: {:?}",
        r[1].outcome
    );
    assert_eq!(r[1].worker, Worker::Rejected);
    assert!(error_of(&r[2]).to_string().contains("only http and https"));
    assert_eq!(error_of(&r[3]).to_string(), "HTTP 404 Not Found");
    assert_eq!(r[3].http_status, Some(404));
    assert_eq!(error_of(&r[4]).to_string(), "HTTP 500 Internal Server Error");
    assert_eq!(r[4].http_status, Some(500));
    for dropped in [&r[5], &r[6]] {
        let e = error_of(dropped);
        assert!(matches!(e, FetchError::Interrupted { .. }), "{kind:?}: {e}");
        assert!(dropped.bytes <= 50_000, "{kind:?}: got {} bytes", dropped.bytes);
    }
    assert!(
        matches!(error_of(&r[7]), FetchError::Connect(_)),
        "{kind:?}: {:?}",
        r[7].outcome
    );
    assert_eq!(r[7].http_status, None);

    assert_eq!(
        files_in(dir.path()),
        ["first.bin", "last.bin"],
        "{kind:?}: only complete files remain"
    );
}
each_backend!(a_failure_fails_only_its_own_task_and_leaves_no_file, 4);

fn an_existing_file_is_never_overwritten(kind: BackendKind) {
    let server = TestServer::start();
    // Three different bodies that all want the name a.bin.
    let urls: Vec<String> = [10, 20, 30]
        .iter()
        .map(|s| server.url(&format!("/a.bin?size={s}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.bin"), b"precious").unwrap();
    let results = run(kind, &urls, dir.path());
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), b"precious");
    assert_eq!(
        files_in(dir.path()),
        ["a (1).bin", "a (2).bin", "a (3).bin", "a.bin"]
    );
    for r in &results {
        let size = [10, 20, 30][r.index];
        assert_eq!(
            std::fs::read(saved_path(r)).unwrap(),
            body_for("/a.bin", size),
            "{kind:?}"
        );
    }
}
each_backend!(an_existing_file_is_never_overwritten, 3);

fn names_come_from_the_server_or_the_url_and_stay_in_the_folder(kind: BackendKind) {
    let server = TestServer::start();
    let cases: Vec<(String, &str)> = vec![
        (
            format!("/x/evil.bin?cd={}", enc("attachment; filename=\"../../x\"")),
            "x",
        ),
        (
            format!("/x/abs.bin?cd={}", enc("attachment; filename=\"/etc/passwd\"")),
            "passwd",
        ),
        (
            format!(
                "/x/both.bin?cd={}",
                enc(
                    "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E4%B8%AD%E6%96%87%E6%8A%A5%E5%91%8A.txt"
                )
            ),
            "中文报告.txt",
        ),
        (
            format!(
                "/x/pct.bin?cd={}",
                enc("attachment; filename=\"%E5%9B%BE%E7%89%87.jpg\"")
            ),
            "图片.jpg",
        ),
        (
            format!("/x/raw.bin?cd={}", enc("attachment; filename=\"照片.png\"")),
            "照片.png",
        ),
        (
            format!("/x/reserved.bin?cd={}", enc("attachment; filename=\"CON.txt\"")),
            "_CON.txt",
        ),
        ("/x/%E4%B8%AD%E6%96%87.jpg".to_string(), "中文.jpg"),
        ("/x/with%20space.txt?size=3".to_string(), "with space.txt"),
    ];
    let urls: Vec<String> = cases.iter().map(|(p, _)| server.url(p)).collect();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("downloads");
    let results = by_index(run(kind, &urls, &dir));
    for (r, (path, expected)) in results.iter().zip(&cases) {
        let saved = saved_path(r);
        assert_eq!(saved, dir.join(expected), "{kind:?}: {path}");
    }
    assert_eq!(
        files_in(root.path()),
        ["downloads"],
        "{kind:?}: nothing escaped the folder"
    );
    assert!(!Path::new("/etc/passwd.part").exists());
}
each_backend!(names_come_from_the_server_or_the_url_and_stay_in_the_folder, 4);

fn redirects_are_followed_only_to_http_and_only_ten_times(kind: BackendKind) {
    let server = TestServer::start();
    let target = server.url("/real/target.bin?size=4000");
    let loop_url = server.url("/loop?redirect=self");
    let urls = vec![
        server.url(&format!("/short/start.bin?redirect={}", enc(&target))),
        server.url(&format!("/to-file?redirect={}", enc("file:///etc/passwd"))),
        loop_url,
    ];
    let dir = tempfile::tempdir().unwrap();
    let r = by_index(run(kind, &urls, dir.path()));
    let saved = saved_path(&r[0]);
    assert_eq!(
        std::fs::read(saved).unwrap(),
        body_for("/real/target.bin", 4000),
        "{kind:?}"
    );
    let e = error_of(&r[1]);
    assert!(
        matches!(e, FetchError::Redirect(_)) && e.to_string().contains("file"),
        "{kind:?}: {e}"
    );
    let e = error_of(&r[2]);
    assert!(e.to_string().contains("more than 10 redirects"), "{kind:?}: {e}");
    assert_eq!(files_in(dir.path()), ["start.bin"]);
}
each_backend!(redirects_are_followed_only_to_http_and_only_ten_times, 3);

fn progress_is_reported_while_a_transfer_runs(kind: BackendKind) {
    let server = TestServer::start();
    // Slow enough to span several progress ticks: 40 chunks, 20 ms apart.
    let urls = vec![server.url("/slow.bin?size=655360&pace=20")];
    let dir = tempfile::tempdir().unwrap();
    let (results, events) = run_with_events(config(kind), &urls, dir.path());
    assert!(results[0].is_ok());
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Receiving { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["slow.bin"], "{kind:?}");
    let progress: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Progress { bytes, total, .. } => {
                assert_eq!(*total, Some(655_360));
                Some(*bytes)
            }
            _ => None,
        })
        .collect();
    // At most ten reports a second however the body is chunked (40
    // chunks of 16 KiB here), and some while it runs.
    let secs = results[0]
        .finished
        .saturating_sub(results[0].started)
        .as_secs_f64();
    let most = (secs * 10.0).ceil() as usize + 1;
    assert!(
        (3..=most).contains(&progress.len()),
        "{kind:?}: {} progress events in {secs:.2} s",
        progress.len()
    );
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "{kind:?}: bytes only grow"
    );
    assert!(
        matches!(events[0], Event::Started { index: 0, .. }),
        "{kind:?}: {:?}",
        events[0]
    );
    assert!(matches!(events.last(), Some(Event::Finished(_))));
}
each_backend!(progress_is_reported_while_a_transfer_runs, 1);

fn a_transfer_cut_off_by_the_engine_closing_is_continued_by_the_next_one(kind: BackendKind) {
    let server = TestServer::start();
    // About four seconds of body: still running when the engine goes away.
    let size = 3_276_800;
    let url = server.url(&format!("/long.bin?size={size}&pace=20&etag=e"));
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    engine.submit(Job::new(url.clone(), dir.path()));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "some progress", |e| match e {
        Event::Progress { bytes, .. } if *bytes > 200_000 => Some(()),
        Event::Finished(r) => panic!("{kind:?}: finished early: {:?}", r.outcome),
        _ => None,
    });
    drop(engine); // the window closes, or the program is stopped
    // What stays: the part (never under the final name) and its control file.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let kept = loop {
        let len = std::fs::metadata(dir.path().join("long.bin.part"))
            .map(|m| m.len())
            .unwrap_or(0);
        std::thread::sleep(Duration::from_millis(100));
        let again = std::fs::metadata(dir.path().join("long.bin.part"))
            .map(|m| m.len())
            .unwrap_or(0);
        if len == again {
            break len;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{kind:?}: the part keeps growing"
        );
    };
    assert!(kept > 0, "{kind:?}");
    assert_eq!(user_files(dir.path()), ["long.bin.part"], "{kind:?}");
    assert_eq!(control_files(dir.path()).len(), 1, "{kind:?}");
    let served_before = server.body_bytes_settled();

    // The same URL and folder in a new engine: it continues the part.
    let (mut results, _) = run_with_events(config(kind), &[url], dir.path());
    let r = results.remove(0);
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/long.bin", size),
        "{kind:?}"
    );
    assert_eq!(server.ranges(), [format!("bytes={kept}-")], "{kind:?}");
    assert_eq!(
        server.body_bytes() - served_before,
        size as u64 - kept,
        "{kind:?}"
    );
    assert_eq!(
        files_in(dir.path()),
        ["long.bin"],
        "{kind:?}: no part, no control file"
    );
}
each_backend!(
    a_transfer_cut_off_by_the_engine_closing_is_continued_by_the_next_one,
    1
);

fn a_server_that_stops_sending_fails_with_a_timeout_instead_of_hanging(kind: BackendKind) {
    let server = TestServer::start();
    // Headers at once, then a second of silence before each chunk.
    let urls = [server.url("/stall.bin?size=100000&pace=1000")];
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        read_timeout: Duration::from_millis(300),
        ..config(kind)
    };
    let result = run_with_events(config, &urls, dir.path()).0.remove(0);
    assert!(
        matches!(error_of(&result), FetchError::Timeout(_)),
        "{kind:?}: {:?}",
        result.outcome
    );
    assert!(
        result.finished - result.started < Duration::from_secs(5),
        "{kind:?}"
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{kind:?}: {:?}",
        files_in(dir.path())
    );
}
each_backend!(
    a_server_that_stops_sending_fails_with_a_timeout_instead_of_hanging,
    1
);

/// Pause and cancel reach a transfer wherever it waits, on every engine:
/// for a response head the server holds back, and between two attempts.
fn pause_and_cancel_wake_a_waiting_transfer_at_once(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = EngineConfig {
        // A retry would wait a minute: a pause must not.
        retry_delay: Duration::from_secs(60),
        ..config(kind)
    };
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    let mut seen = Vec::new();
    let quick = Duration::from_secs(2);

    // The head comes after 20 s.
    let held = engine.submit(Job::new(server.url("/held.bin?latency=20000"), dir.path()));
    wait_for(&rx, &mut seen, "the start", |e| {
        matches!(e, Event::Started { index, .. } if *index == held).then_some(())
    });
    std::thread::sleep(Duration::from_millis(200)); // the request is out
    let asked = std::time::Instant::now();
    assert!(engine.pause(held), "{kind:?}");
    wait_for(&rx, &mut seen, "the pause", |e| {
        matches!(e, Event::Paused { index, .. } if *index == held).then_some(())
    });
    assert!(
        asked.elapsed() < quick,
        "{kind:?}: paused after {:?}",
        asked.elapsed()
    );
    assert!(engine.cancel(held), "{kind:?}");

    // A 503: the next attempt is a minute away.
    let failing = engine.submit(Job::new(server.url("/busy.bin?status=503"), dir.path()));
    wait_for(&rx, &mut seen, "the retry", |e| {
        matches!(e, Event::Retrying { index, .. } if *index == failing).then_some(())
    });
    let asked = std::time::Instant::now();
    assert!(engine.cancel(failing), "{kind:?}");
    let r = wait_for(&rx, &mut seen, "the cancelled result", |e| match e {
        Event::Finished(r) if r.index == failing => Some(r.clone()),
        _ => None,
    });
    assert_eq!(r.outcome, Err(FetchError::Cancelled), "{kind:?}");
    assert!(
        asked.elapsed() < quick,
        "{kind:?}: cancelled after {:?}",
        asked.elapsed()
    );
    assert!(files_in(dir.path()).is_empty(), "{kind:?}");
}
each_backend!(pause_and_cancel_wake_a_waiting_transfer_at_once, 1);

fn pause_resume_cancel_and_retry_act_on_queued_and_running_tasks(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    // 0 runs slowly and holds the only worker; 1 and 2 wait behind it.
    let slow = server.url("/running.bin?size=1048576&pace=50");
    let a = server.url("/a.bin?size=5000");
    let b = server.url("/b.bin?size=7000");
    for url in [&slow, &a, &b] {
        engine.submit(Job::new(url.clone(), dir.path()));
    }
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "progress of 0", |e| {
        matches!(e, Event::Progress { index: 0, .. }).then_some(())
    });
    assert!(engine.pause(1), "{kind:?}");
    wait_for(&rx, &mut seen, "pause of 1", |e| {
        matches!(e, Event::Paused { index: 1, .. }).then_some(())
    });
    assert!(engine.cancel(2));
    let r2 = wait_for(&rx, &mut seen, "cancel of 2", |e| match e {
        Event::Finished(r) if r.index == 2 => Some(r.clone()),
        _ => None,
    });
    assert_eq!(r2.outcome, Err(FetchError::Cancelled), "{kind:?}");
    // Cancelling the running one ends it and frees the worker …
    assert!(engine.cancel(0));
    let r0 = wait_for(&rx, &mut seen, "cancel of 0", |e| match e {
        Event::Finished(r) if r.index == 0 => Some(r.clone()),
        _ => None,
    });
    assert_eq!(r0.outcome, Err(FetchError::Cancelled), "{kind:?}");
    // … but the paused one stays put until it is resumed.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Started { index: 1, .. })),
        "{kind:?}: a paused task started"
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{kind:?}: {:?}",
        files_in(dir.path())
    );
    assert!(engine.resume(1));
    assert!(engine.retry(2));
    let mut done = Vec::new();
    while done.len() < 2 {
        done.push(wait_for(&rx, &mut seen, "results of 1 and 2", |e| match e {
            Event::Finished(r) => Some(r.clone()),
            _ => None,
        }));
    }
    for r in &done {
        assert!(r.is_ok(), "{kind:?}: {r:?}");
    }
    assert_eq!(files_in(dir.path()), ["a.bin", "b.bin"], "{kind:?}");
    assert_eq!(
        std::fs::read(dir.path().join("b.bin")).unwrap(),
        body_for("/b.bin", 7000)
    );
    // A listener hears "queued again" before the new run starts, never
    // after it (it would show a finished task as queued forever).
    let at = |want: &dyn Fn(&Event) -> bool| seen.iter().position(want).unwrap();
    let queued = at(&|e| matches!(e, Event::Queued { index: 2, .. }));
    let started = at(&|e| matches!(e, Event::Started { index: 2, .. }));
    assert!(queued < started, "{kind:?}: {seen:?}");
    // Ranks keep counting across the retry: 2 (cancelled) and 0, then these.
    let mut ranks: Vec<_> = done.iter().map(|r| r.rank).collect();
    ranks.sort();
    assert_eq!(ranks, [3, 4], "{kind:?}");
}
each_backend!(pause_resume_cancel_and_retry_act_on_queued_and_running_tasks, 1);

fn pausing_a_running_task_on_a_server_without_ranges_still_ends_whole(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    // The server ignores Range: resuming means starting over, cleanly.
    let url = server.url("/paused.bin?size=524288&pace=30&norange=1");
    engine.submit(Job::new(url, dir.path()));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "progress", |e| {
        matches!(e, Event::Progress { index: 0, .. }).then_some(())
    });
    assert!(engine.pause(0));
    wait_for(&rx, &mut seen, "pause", |e| {
        matches!(e, Event::Paused { index: 0, .. }).then_some(())
    });
    // Only its .part is there: nothing looks complete while paused.
    assert_eq!(user_files(dir.path()), ["paused.bin.part"], "{kind:?}");
    assert!(engine.resume(0));
    let r = wait_for(&rx, &mut seen, "result", |e| match e {
        Event::Finished(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/paused.bin", 524288),
        "{kind:?}"
    );
}
each_backend!(
    pausing_a_running_task_on_a_server_without_ranges_still_ends_whole,
    2
);

#[test]
fn a_new_engine_setting_applies_to_tasks_that_have_not_started() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut engine = Engine::new(EngineConfig::new(BackendKind::Sequential), tx, Arc::new(|| {})).unwrap();
    let mut seen = Vec::new();
    let mut batch = |engine: &Engine, name: &str, n: usize, latency: u32| -> Vec<TaskResult> {
        for i in 0..n {
            let url = server.url(&format!("/{name}{i}.bin?size=2000&latency={latency}"));
            engine.submit(Job::new(url, dir.path()));
        }
        (0..n)
            .map(|_| {
                wait_for(&rx, &mut seen, "results", |e| match e {
                    Event::Finished(r) => Some(r.clone()),
                    _ => None,
                })
            })
            .collect()
    };
    // The queue is paused while the batch is added and the engine switched,
    // so nothing starts on the old one.
    engine.set_paused(true);
    engine
        .reconfigure(EngineConfig::new(BackendKind::Threads { workers: 6 }))
        .unwrap();
    engine.set_paused(false);
    let first = batch(&engine, "t", 12, 200);
    assert_eq!(server.max_in_flight(), 6);
    assert!(
        first
            .iter()
            .all(|r| r.is_ok() && matches!(r.worker, Worker::Thread(_))),
        "{first:?}"
    );

    server.reset_max_in_flight();
    engine
        .reconfigure(EngineConfig::new(BackendKind::Async { limit: 4 }))
        .unwrap();
    let second = batch(&engine, "a", 12, 200);
    assert_eq!(server.max_in_flight(), 4);
    assert!(
        second
            .iter()
            .all(|r| r.is_ok() && matches!(r.worker, Worker::Slot(_))),
        "{second:?}"
    );

    // Switching while tasks run: the four running finish on the async
    // slots, the rest go to the new pool of two threads.
    for i in 0..8 {
        let url = server.url(&format!("/m{i}.bin?size=2000&latency=400"));
        engine.submit(Job::new(url, dir.path()));
    }
    for _ in 0..4 {
        wait_for(&rx, &mut seen, "starts", |e| {
            matches!(e, Event::Started { .. }).then_some(())
        });
    }
    engine
        .reconfigure(EngineConfig::new(BackendKind::Threads { workers: 2 }))
        .unwrap();
    assert!(engine.running_on_old_backends());
    let mut third = Vec::new();
    while third.len() < 8 {
        third.push(wait_for(&rx, &mut seen, "results", |e| match e {
            Event::Finished(r) => Some(r.clone()),
            _ => None,
        }));
    }
    let on_async = third
        .iter()
        .filter(|r| matches!(r.worker, Worker::Slot(_)))
        .count();
    let on_threads = third
        .iter()
        .filter(|r| matches!(r.worker, Worker::Thread(_)))
        .count();
    assert_eq!((on_async, on_threads), (4, 4), "{third:?}");
    assert!(!engine.running_on_old_backends());
}

/// One download on a fresh server, with the events it produced.
fn one(kind: BackendKind, server: &TestServer, path_and_query: &str, dir: &Path) -> (TaskResult, Vec<Event>) {
    let (mut results, events) = run_with_events(config(kind), &[server.url(path_and_query)], dir);
    (results.remove(0), events)
}

fn retries_in(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count()
}

fn a_certificate_that_is_not_trusted_fails_at_once_without_retries(kind: BackendKind) {
    let tls = TlsServer::start("http://127.0.0.1:9/never");
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    // Five retries allowed: a certificate error must use none of them.
    let (results, events) = run_with_events(config(kind), &[tls.url("/a.bin")], dir.path());
    let e = error_of(&results[0]);
    assert!(matches!(e, FetchError::Tls(_)), "{kind:?}: {e}");
    assert!(e.to_string().contains("certificate"), "{kind:?}: {e}");
    assert_eq!(retries_in(&events), 0, "{kind:?}");
    assert_eq!(
        tls.connections.load(Ordering::SeqCst),
        1,
        "{kind:?}: one handshake"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{kind:?}");
    assert!(files_in(dir.path()).is_empty(), "{kind:?}");
}
each_backend!(a_certificate_that_is_not_trusted_fails_at_once_without_retries, 1);

fn a_dropped_connection_resumes_and_fetches_only_the_missing_bytes(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let size = 300_000;
    let (r, events) = one(
        kind,
        &server,
        &format!("/resume.bin?size={size}&drop=100000&fail_times=1&etag=v1"),
        dir.path(),
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/resume.bin", size),
        "{kind:?}"
    );
    assert_eq!(retries_in(&events), 1, "{kind:?}");
    let ranges = server.ranges();
    assert_eq!(ranges.len(), 1, "{kind:?}: {ranges:?}");
    let from: u64 = ranges[0]
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(from > 0, "{kind:?}: {ranges:?}");
    // The second request carried only what was missing.
    assert_eq!(server.body_bytes(), size as u64, "{kind:?}: bytes served");
    assert_eq!(files_in(dir.path()), ["resume.bin"]);
}
each_backend!(a_dropped_connection_resumes_and_fetches_only_the_missing_bytes, 1);

fn a_range_answer_that_is_not_what_was_asked_is_never_spliced_in(kind: BackendKind) {
    // 206 with a Content-Range from byte 0 when we asked for byte N on.
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = one(
        kind,
        &server,
        "/liar.bin?size=200000&drop=80000&fail_times=1&etag=x&badrange=1",
        dir.path(),
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/liar.bin", 200_000),
        "{kind:?}"
    );

    // 200 with the whole body to a range request: start over, never append.
    let server = TestServer::start();
    let (r, events) = one(
        kind,
        &server,
        "/whole.bin?size=200000&drop=80000&fail_times=1&etag=x&norange=1",
        dir.path(),
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Note { note, .. } if note.to_string().contains("ignored the range"))),
        "{kind:?}: {events:?}"
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/whole.bin", 200_000),
        "{kind:?}"
    );
    assert_eq!(server.ranges().len(), 1, "{kind:?}: it did ask for a range");
    assert!(
        server.body_bytes() >= 200_000 + 80_000 - 16_384,
        "{kind:?}: the whole body came again"
    );

    // The file changed on the server between attempts (another ETag):
    // If-Range makes the server send it whole, and that is what is kept.
    let server = TestServer::start();
    let (r, events) = one(
        kind,
        &server,
        "/changed.bin?size=200000&drop=80000&fail_times=1&etag_change=1",
        dir.path(),
    );
    // The task's log says why it started over.
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Note { note, .. } if note.to_string().contains("changed on the server"))
        ),
        "{kind:?}: {events:?}"
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/changed.bin", 200_000),
        "{kind:?}"
    );
    assert!(
        server.body_bytes() >= 200_000 + 80_000 - 16_384,
        "{kind:?}: started over"
    );
    let mut names = files_in(dir.path());
    names.sort();
    assert_eq!(names, ["changed.bin", "liar.bin", "whole.bin"], "{kind:?}");
}
each_backend!(a_range_answer_that_is_not_what_was_asked_is_never_spliced_in, 1);

fn a_stalled_transfer_is_retried_from_where_it_stood(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = EngineConfig {
        read_timeout: Duration::from_millis(400),
        ..config(kind)
    };
    let url = server.url("/stuck.bin?size=200000&stall=65536&fail_times=1&etag=s");
    let (mut results, events) = run_with_events(cfg, &[url], dir.path());
    let r = results.remove(0);
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/stuck.bin", 200_000),
        "{kind:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Retrying { error, .. } if error.to_string().contains("timed out"))),
        "{kind:?}: {events:?}"
    );
    assert_eq!(server.ranges().len(), 1, "{kind:?}");
}
each_backend!(a_stalled_transfer_is_retried_from_where_it_stood, 1);

fn a_complete_part_is_finished_by_a_416(kind: BackendKind) {
    // Every byte arrives, then the connection breaks: the retry asks for
    // what is past the end, the server says 416, and the file is whole.
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = one(
        kind,
        &server,
        "/full.bin?size=100000&drop=100000&fail_times=1&etag=f",
        dir.path(),
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/full.bin", 100_000),
        "{kind:?}"
    );
    assert_eq!(server.body_bytes(), 100_000, "{kind:?}: nothing sent twice");
}
each_backend!(a_complete_part_is_finished_by_a_416, 1);

fn pause_keeps_the_part_and_resume_continues_from_it(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    let size = 600_000;
    engine.submit(Job::new(
        server.url(&format!("/long.bin?size={size}&pace=25&etag=p")),
        dir.path(),
    ));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "progress", |e| match e {
        Event::Progress { bytes, .. } if *bytes >= 100_000 => Some(()),
        _ => None,
    });
    assert!(engine.pause(0));
    wait_for(&rx, &mut seen, "pause", |e| {
        matches!(e, Event::Paused { index: 0, .. }).then_some(())
    });
    // What the user sees while paused: the bytes so far, in a .part.
    assert_eq!(user_files(dir.path()), ["long.bin.part"], "{kind:?}");
    let kept = std::fs::metadata(dir.path().join("long.bin.part")).unwrap().len();
    assert!(kept >= 100_000, "{kind:?}: {kept}");
    assert!(engine.resume(0));
    let r = wait_for(&rx, &mut seen, "result", |e| match e {
        Event::Finished(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/long.bin", size),
        "{kind:?}"
    );
    let ranges = server.ranges();
    assert_eq!(ranges, [format!("bytes={kept}-")], "{kind:?}");
    // Cancelling a paused task removes its .part.
    engine.submit(Job::new(
        server.url("/other.bin?size=600000&pace=25&etag=q"),
        dir.path(),
    ));
    wait_for(&rx, &mut seen, "progress of 1", |e| {
        matches!(e, Event::Progress { index: 1, .. }).then_some(())
    });
    engine.pause(1);
    wait_for(&rx, &mut seen, "pause of 1", |e| {
        matches!(e, Event::Paused { index: 1, .. }).then_some(())
    });
    assert!(user_files(dir.path()).contains(&"other.bin.part".to_string()));
    engine.cancel(1);
    wait_for(&rx, &mut seen, "cancel of 1", |e| match e {
        Event::Finished(r) if r.index == 1 => Some(()),
        _ => None,
    });
    assert_eq!(files_in(dir.path()), ["long.bin"], "{kind:?}");
}
each_backend!(pause_keeps_the_part_and_resume_continues_from_it, 2);

/// A 256 KiB tmpfs, unmounted on drop; `None` where mounting is not allowed.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0.path()).status();
    }
}

fn a_full_disk_fails_that_task_with_the_reason_and_disturbs_nothing_else(kind: BackendKind) {
    let Some(disk) = SmallDisk::mount() else {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN)");
        return;
    };
    let server = TestServer::start();
    let elsewhere = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    engine.submit(Job::new(
        server.url("/huge.bin?size=1048576&etag=h"),
        disk.0.path(),
    ));
    engine.submit(Job::new(server.url("/fine.bin?size=100000"), elsewhere.path()));
    let mut seen = Vec::new();
    let mut results: Vec<TaskResult> = (0..2)
        .map(|_| {
            wait_for(&rx, &mut seen, "results", |e| match e {
                Event::Finished(r) => Some(r.clone()),
                _ => None,
            })
        })
        .collect();
    results.sort_by_key(|r| r.index);
    let err = error_of(&results[0]).to_string();
    assert!(err.contains("No space left on device"), "{kind:?}: {err}");
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Retrying { .. })),
        "{kind:?}: a full disk is not retried"
    );
    assert!(
        files_in(disk.0.path()).is_empty(),
        "{kind:?}: {:?}",
        files_in(disk.0.path())
    );
    assert_eq!(
        std::fs::read(saved_path(&results[1])).unwrap(),
        body_for("/fine.bin", 100_000)
    );
}
each_backend!(
    a_full_disk_fails_that_task_with_the_reason_and_disturbs_nothing_else,
    2
);

fn an_error_page_where_a_resume_was_expected_is_never_written(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // Cut at 100 kB, then a 503 HTML page, then the rest.
    let (r, events) = one(
        kind,
        &server,
        "/page.bin?size=300000&drop=100000&fail_times=1&status_on=2:503&etag=x",
        dir.path(),
    );
    assert_eq!(
        std::fs::read(saved_path(&r)).unwrap(),
        body_for("/page.bin", 300_000),
        "{kind:?}"
    );
    assert_eq!(retries_in(&events), 2, "{kind:?}");
    let ranges = server.ranges();
    assert_eq!(ranges.len(), 2, "{kind:?}: {ranges:?}");
    assert_eq!(ranges[0], ranges[1], "{kind:?}: the error page moved nothing");
}
each_backend!(an_error_page_where_a_resume_was_expected_is_never_written, 1);

fn names_that_differ_only_by_case_are_two_files(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let urls = [
        server.url("/Photo.JPG?size=1000"),
        server.url("/photo.jpg?size=2000"),
    ];
    let r = by_index(run(kind, &urls, dir.path()));
    let a = std::fs::read(saved_path(&r[0])).unwrap();
    let b = std::fs::read(saved_path(&r[1])).unwrap();
    assert_eq!(a, body_for("/Photo.JPG", 1000), "{kind:?}");
    assert_eq!(b, body_for("/photo.jpg", 2000), "{kind:?}");
    assert_ne!(saved_path(&r[0]), saved_path(&r[1]));
}
each_backend!(names_that_differ_only_by_case_are_two_files, 2);

fn the_same_url_twice_at_once_never_shares_a_part(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // Long enough that the first leaves a control file before the second starts.
    let url = server.url("/twice.bin?size=400000&pace=10&etag=t");
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config(kind), tx, Arc::new(|| {})).unwrap();
    engine.submit(Job::new(url.clone(), dir.path()));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "the first's progress", |e| {
        matches!(e, Event::Progress { index: 0, .. }).then_some(())
    });
    engine.submit(Job::new(url, dir.path()));
    let results: Vec<TaskResult> = (0..2)
        .map(|_| {
            wait_for(&rx, &mut seen, "results", |e| match e {
                Event::Finished(r) => Some(r.clone()),
                _ => None,
            })
        })
        .collect();
    for r in &results {
        assert_eq!(
            std::fs::read(saved_path(r)).unwrap(),
            body_for("/twice.bin", 400_000),
            "{kind:?}"
        );
    }
    assert_eq!(files_in(dir.path()), ["twice (1).bin", "twice.bin"], "{kind:?}");
}
each_backend!(the_same_url_twice_at_once_never_shares_a_part, 2);

// ---- segmented downloads, speed limits, checksums (issue 5) ----

const MIB: usize = 1024 * 1024;

/// Files from 1 MiB up are split over up to `segments` connections.
fn segmented(kind: BackendKind, segments: usize) -> EngineConfig {
    EngineConfig {
        segments,
        segment_threshold: MIB as u64,
        ..config(kind)
    }
}

fn most_connections(events: &[Event]) -> usize {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Connections { count, .. } => Some(*count),
            _ => None,
        })
        .max()
        .unwrap_or(1)
}

fn notes(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Note { note, .. } => Some(note.to_string()),
            _ => None,
        })
        .collect()
}

fn a_big_file_over_several_connections_is_byte_exact(kind: BackendKind) {
    let size = 6 * MIB + 12_345;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (results, events) = run_with_events(
        segmented(kind, 4),
        &[server.url(&format!("/big.iso?size={size}&pace=1&etag=b"))],
        dir.path(),
    );
    let r = &results[0];
    assert!(
        std::fs::read(saved_path(r)).unwrap() == body_for("/big.iso", size),
        "{kind:?}: wrong bytes"
    );
    assert_eq!(r.bytes, size as u64, "{kind:?}");
    assert_eq!(
        files_in(dir.path()),
        ["big.iso"],
        "{kind:?}: no part or control file left"
    );
    let ranges = server.ranges();
    if kind == BackendKind::Sequential {
        // One connection at a time: the sequential engine never splits.
        assert!(ranges.is_empty(), "{ranges:?}");
        assert_eq!(server.max_in_flight(), 1);
        return;
    }
    // The first connection reads from byte 0; three more ask for the rest.
    assert!(ranges.len() >= 3, "{kind:?}: {ranges:?}");
    assert!(
        ranges
            .iter()
            .all(|r| r.starts_with("bytes=") && !r.ends_with('-')),
        "{ranges:?}"
    );
    assert_eq!(server.max_in_flight(), 4, "{kind:?}: connections at once");
    assert_eq!(most_connections(&events), 4, "{kind:?}");
    // What was served is the file, give or take what the first
    // connection had in flight when its range ended.
    assert!(
        server.body_bytes() < (size + size / 4) as u64,
        "{kind:?}: {}",
        server.body_bytes()
    );
}
each_backend!(a_big_file_over_several_connections_is_byte_exact, 4);

fn connections_that_run_out_of_work_take_over_half_of_a_slow_one(kind: BackendKind) {
    let size = 16 * MIB;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // The first connection crawls (400 kB/s); the ranges come quickly.
    let (results, _) = run_with_events(
        segmented(kind, 4),
        &[server.url(&format!("/split.bin?size={size}&pace_first=40&etag=s"))],
        dir.path(),
    );
    assert!(
        std::fs::read(saved_path(&results[0])).unwrap() == body_for("/split.bin", size),
        "{kind:?}"
    );
    // 3 ranges at the start, then the free connections keep splitting
    // what the slow one has left: its 4 MiB into 2 + 2, then its 2 into
    // 1 + 1 (down to 1 MiB).
    let ranges = server.ranges();
    assert!(ranges.len() >= 5, "{kind:?}: {ranges:?}");
    // The slow first connection ended up with a small part of the
    // file: its 4 MiB alone would have taken 10 s.
    let took = results[0].finished - results[0].started;
    assert!(took < Duration::from_secs(8), "{kind:?}: {took:?}");
}
each_backend!(connections_that_run_out_of_work_take_over_half_of_a_slow_one;
    threads => BackendKind::Threads { workers: 4 },
    tokio => BackendKind::Async { limit: 4 },
);

fn a_server_that_lies_about_ranges_is_caught_and_the_file_is_still_right(kind: BackendKind) {
    let size = 3 * MIB;
    // It says Accept-Ranges: bytes, then answers ranges with the whole
    // file, or with a Content-Range that starts where it was not asked.
    for lie in ["norange=1", "badrange=1"] {
        let server = TestServer::start();
        let dir = tempfile::tempdir().unwrap();
        let (results, events) = run_with_events(
            segmented(kind, 4),
            &[server.url(&format!("/lie.bin?size={size}&{lie}"))],
            dir.path(),
        );
        assert!(
            std::fs::read(saved_path(&results[0])).unwrap() == body_for("/lie.bin", size),
            "{kind:?} {lie}: wrong bytes"
        );
        let notes = notes(&events);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("answered a range request wrongly")),
            "{kind:?} {lie}: {notes:?}"
        );
        assert_eq!(files_in(dir.path()), ["lie.bin"], "{kind:?} {lie}");
    }
}
each_backend!(a_server_that_lies_about_ranges_is_caught_and_the_file_is_still_right;
    threads => BackendKind::Threads { workers: 4 },
    tokio => BackendKind::Async { limit: 4 },
);

fn a_paused_segmented_download_continues_every_range(kind: BackendKind) {
    let size = 4 * MIB;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(segmented(kind, 4), tx, Arc::new(|| {})).unwrap();
    engine.submit(Job::new(
        server.url(&format!("/seg.bin?size={size}&pace=10&etag=g")),
        dir.path(),
    ));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "progress", |e| match e {
        Event::Progress { bytes, .. } if *bytes >= MIB as u64 => Some(()),
        _ => None,
    });
    assert!(engine.pause(0));
    wait_for(&rx, &mut seen, "pause", |e| {
        matches!(e, Event::Paused { index: 0, .. }).then_some(())
    });
    // The part has the file's size; the control file says what is missing.
    assert_eq!(user_files(dir.path()), ["seg.bin.part"], "{kind:?}");
    assert_eq!(
        std::fs::metadata(dir.path().join("seg.bin.part")).unwrap().len(),
        size as u64
    );
    let control = std::fs::read_to_string(dir.path().join(&control_files(dir.path())[0])).unwrap();
    assert!(control.contains("\"segments\""), "{control}");
    let served = server.body_bytes();
    let before = server.ranges().len();
    assert!(engine.resume(0));
    let r = wait_for(&rx, &mut seen, "result", |e| match e {
        Event::Finished(r) => Some(r.clone()),
        _ => None,
    });
    assert!(
        std::fs::read(saved_path(&r)).unwrap() == body_for("/seg.bin", size),
        "{kind:?}"
    );
    // Every connection after the resume asked for a closed range (with
    // If-Range), and what came was only what was missing.
    let after: Vec<String> = server.ranges()[before..].to_vec();
    assert!(after.len() >= 2, "{kind:?}: {after:?}");
    assert!(after.iter().all(|r| !r.ends_with('-')), "{after:?}");
    let again = server.body_bytes() - served;
    assert!(
        again < (size as u64) - MIB as u64 / 2,
        "{kind:?}: fetched {again} after the resume"
    );
    assert_eq!(files_in(dir.path()), ["seg.bin"]);
}
each_backend!(a_paused_segmented_download_continues_every_range;
    threads => BackendKind::Threads { workers: 4 },
    tokio => BackendKind::Async { limit: 4 },
);

fn the_speed_limit_holds_and_can_be_changed_while_running(kind: BackendKind) {
    let limit = 2_000_000u64;
    // Big enough that each connection works through several ranges: the
    // last chunk of every range once slipped past the limit (2.2 MB/s).
    let size = 10_000_000usize;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(segmented(kind, 4), tx, Arc::new(|| {})).unwrap();
    engine.set_rate_limit(Some(limit));
    engine.submit(Job::new(server.url(&format!("/cap.bin?size={size}")), dir.path()));
    let mut seen = Vec::new();
    let r = wait_for(&rx, &mut seen, "result", |e| match e {
        Event::Finished(r) => Some(r.clone()),
        _ => None,
    });
    saved_path(&r);
    // About 5 s at 2 MB/s, over 4 connections sharing one limit. Never
    // over it; under it only by what a loaded machine costs (0.88x was
    // seen with the tests' own builds running beside them).
    let rate = size as f64 / (r.finished - r.started).as_secs_f64();
    assert!(
        (0.75 * limit as f64..=1.1 * limit as f64).contains(&rate),
        "{kind:?}: {rate:.0} B/s under a {limit} B/s limit"
    );

    // A per-task limit of 200 kB/s on 4 MB would take 20 s; lifted
    // after a moment, the download ends at once.
    let mut job = Job::new(server.url("/slow.bin?size=4000000"), dir.path());
    job.rate_limit = Some(200_000);
    engine.set_rate_limit(None);
    let index = engine.submit(job);
    wait_for(&rx, &mut seen, "progress", |e| {
        matches!(e, Event::Progress { index: i, .. } if *i == index).then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(engine.set_task_rate_limit(index, None));
    let r = wait_for(&rx, &mut seen, "result", |e| match e {
        Event::Finished(r) if r.index == index => Some(r.clone()),
        _ => None,
    });
    saved_path(&r);
    // Still limited, it would take 20 s; lifted, it took under a second
    // here and 8 s once on a loaded CI machine (the engine tests run in
    // parallel on 2 cores), so the bound sits between the two.
    assert!(
        r.finished - r.started < Duration::from_secs(14),
        "{kind:?}: {:?}",
        r.finished - r.started
    );
}
each_backend!(the_speed_limit_holds_and_can_be_changed_while_running, 4);

fn sha256_of(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

fn a_checksum_is_verified_and_a_mismatch_keeps_the_bytes_as_corrupt(kind: BackendKind) {
    // One small file (hashed as it arrives) and one big one (split, then
    // hashed once assembled).
    for size in [300_000usize, 3 * MIB] {
        {
            let server = TestServer::start();
            let dir = tempfile::tempdir().unwrap();
            let good = server.url(&format!("/good.bin?size={size}"));
            let bad = server.url(&format!("/bad.bin?size={size}"));
            let mut jobs = vec![Job::new(good, dir.path()), Job::new(bad, dir.path())];
            jobs[0].sha256 = Some(sha256_of(&body_for("/good.bin", size)));
            jobs[1].sha256 = Some([7; 32]);
            let (results, events) = run_jobs(segmented(kind, 4), jobs);
            let results = by_index(results);
            assert!(std::fs::read(saved_path(&results[0])).unwrap() == body_for("/good.bin", size));
            let verified = format!(
                "SHA-256 verified: {}",
                hex(&sha256_of(&body_for("/good.bin", size)))
            );
            assert!(notes(&events).contains(&verified), "{kind:?} {size}");
            match error_of(&results[1]) {
                FetchError::Checksum { expected, got, kept } => {
                    assert_eq!(expected, &"07".repeat(32));
                    assert_eq!(got, &hex(&sha256_of(&body_for("/bad.bin", size))));
                    assert!(kept.ends_with("bad.bin.corrupt"), "{}", kept.display());
                }
                other => panic!("{kind:?}: {other}"),
            }
            // The file that failed is never presented under its name.
            assert_eq!(
                files_in(dir.path()),
                ["bad.bin.corrupt", "good.bin"],
                "{kind:?} {size}"
            );
            assert!(
                std::fs::read(dir.path().join("bad.bin.corrupt")).unwrap() == body_for("/bad.bin", size),
                "{kind:?}: the kept bytes are what came"
            );
        }
    }
}
each_backend!(
    a_checksum_is_verified_and_a_mismatch_keeps_the_bytes_as_corrupt,
    4
);

/// Whether any two bars of the timeline's lane overlap in time.
fn lane_overlaps(t: &Timeline, lane: usize) -> bool {
    let mut bars: Vec<_> = t.bars().iter().filter(|b| b.lane == lane).collect();
    bars.sort_by_key(|b| b.start);
    bars.windows(2).any(|w| w[0].end.expect("ended") > w[1].start)
}

fn the_timeline_of_a_run_has_one_lane_per_worker_and_no_lane_runs_two_tasks_at_once(kind: BackendKind) {
    let server = TestServer::start();
    let files = 12;
    let urls: Vec<String> = (0..files)
        .map(|i| server.url(&format!("/tl/{i}.jpg?size=20000&latency=120")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (results, events) = run_with_events(config(kind), &urls, dir.path());
    let mut t = Timeline::new();
    for e in &events {
        t.record(e);
    }
    assert_eq!(t.bars().len(), files, "{kind:?}: one bar per task");
    assert!(
        t.bars()
            .iter()
            .all(|b| b.state == BarState::Done && b.end.is_some())
    );
    for lane in 0..t.lanes().len() {
        assert!(
            !lane_overlaps(&t, lane),
            "{kind:?}: lane {} overlaps",
            t.lanes()[lane]
        );
    }
    // The bars hold what the results say.
    let mut by_rank: Vec<&TaskResult> = results.iter().collect();
    by_rank.sort_by_key(|r| r.rank);
    let order: Vec<usize> = by_rank.iter().map(|r| r.index).collect();
    assert_eq!(t.completion_order(), order, "{kind:?}");
    assert_eq!(t.bytes(), 20000 * files as u64);
    match kind {
        BackendKind::Sequential => {
            assert_eq!(t.lane_names(), ["sequential"]);
            assert_eq!(t.peak_in_flight(), 1, "sequential never overlaps");
        }
        BackendKind::Threads { workers } => {
            assert!(t.lanes().len() <= workers, "{:?}", t.lanes());
            assert_eq!(t.peak_in_flight(), workers);
        }
        _ => {
            // The event loop has every task in flight at once.
            assert!(t.peak_in_flight() > 3, "async peak {}", t.peak_in_flight());
            assert_eq!(t.lanes().len(), t.peak_in_flight());
        }
    }
    // Sequential takes the sum of the latencies; the others far less.
    let span = t.span(None);
    if kind == BackendKind::Sequential {
        assert!(span >= Duration::from_millis(120 * files as u64), "{span:?}");
    } else {
        assert!(
            span < Duration::from_millis(120 * files as u64 / 2),
            "{kind:?}: {span:?}"
        );
    }
}
each_backend!(the_timeline_of_a_run_has_one_lane_per_worker_and_no_lane_runs_two_tasks_at_once;
    sequential => BackendKind::Sequential,
    threads => BackendKind::Threads { workers: 3 },
    tokio => BackendKind::Async { limit: 0 },
);

#[test]
fn a_comparison_runs_every_engine_over_the_list_and_reports_each_total() {
    let server = TestServer::start();
    let mut urls: Vec<String> = (0..8)
        .map(|i| server.url(&format!("/cmp/{i}.jpg?size=30000&latency=100")))
        .collect();
    urls.push(server.url("/cmp/missing.jpg?status=404"));
    let scratch = tempfile::tempdir().unwrap();
    let engines = fanout::service::compare::engines(4, 0);
    let mut updates = Vec::new();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let runs = fanout::service::compare::run(
        &urls,
        &engines,
        &config(BackendKind::Sequential),
        None,
        scratch.path(),
        &stop,
        |u| updates.push(u),
    )
    .expect("the comparison runs");
    assert_eq!(runs.len(), 3, "three totals");
    for (n, run) in runs.iter().enumerate() {
        assert_eq!(run.backend, engines[n]);
        assert_eq!((run.ok, run.failed), (8, 1), "{:?}", run.backend);
        // Eight files, and whatever the 404's page held.
        assert!((240_000..250_000).contains(&run.bytes), "{}", run.bytes);
        assert_eq!(run.order.len(), 9);
        assert!(run.total > Duration::ZERO);
        let dir = fanout::service::compare::folder(scratch.path(), n, run.backend);
        assert_eq!(user_files(&dir).len(), 8, "{dir:?}");
    }
    let (seq, threads, asy) = (&runs[0], &runs[1], &runs[2]);
    assert_eq!(seq.peak, 1);
    assert_eq!(threads.peak, 4);
    assert!(asy.peak > 4, "async peak {}", asy.peak);
    assert!(
        seq.total > threads.total && seq.total > asy.total,
        "{:?}",
        [seq.total, threads.total, asy.total]
    );
    let ran = updates
        .iter()
        .filter(|u| matches!(u, fanout::service::compare::Update::Ran(_)))
        .count();
    assert_eq!(ran, 3);
    let csv = fanout::service::compare::csv(&runs);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with("sequential,1,")
            && lines[2].starts_with("threads,4,")
            && lines[3].starts_with("async,0,"),
        "{csv}"
    );
}

#[test]
fn a_comparison_can_be_stopped_and_refuses_an_empty_list() {
    let server = TestServer::start();
    // Slow bodies (16 KiB every 50 ms): the first one is mid-transfer, with
    // its `.part` on disk, when the stop comes.
    let urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/stop/{i}.bin?size=2000000&pace=50")))
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let base = config(BackendKind::Sequential);
    let engines = fanout::service::compare::engines(2, 0);
    let empty = fanout::service::compare::run(&[], &engines, &base, None, scratch.path(), &stop, |_| {});
    assert_eq!(empty.unwrap_err(), fanout::service::compare::CompareError::Empty);
    let first = fanout::service::compare::folder(scratch.path(), 0, engines[0]);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            // Stop once the first transfer has written some of its part.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if first.is_dir() && !files_in(&first).is_empty() {
                    std::thread::sleep(Duration::from_millis(200));
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            stop.store(true, Ordering::SeqCst);
        });
        fanout::service::compare::run(&urls, &engines, &base, None, scratch.path(), &stop, |_| {})
    });
    assert_eq!(
        result.unwrap_err(),
        fanout::service::compare::CompareError::Stopped
    );
    // It returns once the transfer has stopped and removed its part, so the
    // caller can remove the folder for good: nothing is left, or written later.
    assert!(files_in(&first).is_empty(), "{:?}", files_in(&first));
    std::thread::sleep(Duration::from_millis(300));
    assert!(files_in(&first).is_empty(), "{:?}", files_in(&first));
    assert!(
        !fanout::service::compare::folder(scratch.path(), 1, engines[1]).exists(),
        "the next engine never started"
    );
}

/// The URLs given for one file are mirrors: when the first fails for good
/// (a 404), the next that is a URL at all serves it, and the log says so.
fn a_file_comes_from_its_next_mirror_when_the_first_fails(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let good = server.url("/m/a.bin?size=5000");
    let mut job = Job::new(server.url("/m/a.bin?status=404"), dir.path());
    job.mirrors = vec!["not a url".into(), good.clone()];
    let (results, events) = run_jobs(config(kind), vec![job]);
    let r = &results[0];
    assert!(r.is_ok(), "{kind:?}: {:?}", r.outcome);
    assert!(std::fs::read(saved_path(r)).unwrap() == body_for("/m/a.bin", 5000));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Note { note: Note::Mirror { to }, .. } if *to == good)),
        "{kind:?}: no note of the switch"
    );
    assert_eq!(files_in(dir.path()), ["a.bin"]);
}
each_backend!(a_file_comes_from_its_next_mirror_when_the_first_fails, 2);

/// A server that refuses connections while a mirror waits is left at
/// once, as aria2 goes to its next URI: its retries (five, ~30 s with the
/// default delays) are for a file with nowhere else to go.
fn a_refused_connection_goes_to_the_next_mirror_without_retrying(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/m/a.bin", listener.local_addr().unwrap())
    };
    let mut job = Job::new(refused, dir.path());
    job.mirrors = vec![server.url("/m/a.bin?size=5000")];
    let (results, events) = run_jobs(config(kind), vec![job]);
    assert!(results[0].is_ok(), "{kind:?}: {:?}", results[0].outcome);
    let retries = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Note {
                    note: Note::Retry { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(retries, 0, "{kind:?}: the refused server was retried");
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Note {
                note: Note::Mirror { .. },
                ..
            }
        )),
        "{kind:?}: no note of the switch"
    );
}
each_backend!(a_refused_connection_goes_to_the_next_mirror_without_retrying, 2);
