//! The aria2 backend against a real `aria2c --enable-rpc` bound to loopback
//! (free port, temp folder, killed at the end), fetching from the in-process
//! test server: the same assertions as for the local engines. The tests
//! that any aria2 daemon must pass run twice, the second time against a
//! fanout window serving aria2's RPC (`each_daemon!`): a second fanout
//! drives the first.
//!
//! Needs `aria2c` (`apt-get install aria2`). Without it each test is skipped
//! with a message, except in CI (`CI=true`), where that is a failure.

use crate::support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fanout::engine::{
    Aria2Remote, BackendKind, Engine, EngineConfig, Event, FanIn, FetchError, Job, Order, ProxyChoice,
    ProxyConfig, ProxyServer,
};
use support::aria2::{Daemon, Rpcd};
use support::wait::{results, saved_path, wait_for};
use support::{TestServer, body_for};

each_daemon!(files_fetched_by_aria2_are_right_ranked_and_released_in_order);
fn files_fetched_by_aria2_are_right_ranked_and_released_in_order(daemon: &dyn Rpcd) {
    let server = TestServer::start();
    let (engine, rx) = daemon.engine(5);
    // Later tasks answer sooner, so they finish first.
    let urls: Vec<String> = (0..5)
        .map(|i| {
            server.url(&format!(
                "/a2/{i}.bin?size={}&latency={}",
                100_000 + i * 1000,
                900 - i * 200
            ))
        })
        .collect();
    for url in &urls {
        engine.submit(Job::new(url.clone(), daemon.folder()));
    }
    let (done, events) = results(&rx, 5);
    for r in &done {
        let size = 100_000 + r.index * 1000;
        assert!(
            std::fs::read(saved_path(r)).unwrap() == body_for(&format!("/a2/{}.bin", r.index), size),
            "task {}: wrong bytes",
            r.index
        );
        assert_eq!(r.bytes, size as u64);
        assert_eq!(r.worker, fanout::engine::Worker::Aria2);
    }
    // Completion order: the ranks say the last submitted finished first.
    let order: Vec<usize> = done.iter().map(|r| r.index).collect();
    assert_eq!(order, [4, 3, 2, 1, 0], "completion order");
    assert_eq!(done.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    // Submission order puts them back, as with every engine.
    let mut fan_in = FanIn::new(Order::Submission);
    let released: Vec<usize> = done
        .into_iter()
        .flat_map(|r| fan_in.push(r))
        .map(|r| r.index)
        .collect();
    assert_eq!(released, [0, 1, 2, 3, 4]);
    // Progress came through, with the name aria2 gave the file.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Receiving { name, .. } if name == "0.bin"))
    );
}

each_daemon!(a_404_on_aria2_fails_that_task_with_the_reason);
fn a_404_on_aria2_fails_that_task_with_the_reason(daemon: &dyn Rpcd) {
    let server = TestServer::start();
    let (engine, rx) = daemon.engine(5);
    engine.submit(Job::new(server.url("/gone.bin?status=404"), daemon.folder()));
    engine.submit(Job::new(server.url("/here.bin?size=5000"), daemon.folder()));
    let (done, _) = results(&rx, 2);
    let gone = done.iter().find(|r| r.index == 0).unwrap();
    assert_eq!(
        gone.outcome,
        Err(FetchError::Http {
            status: 404,
            reason: "Not Found".into()
        })
    );
    assert_eq!(
        gone.outcome.as_ref().unwrap_err().to_string(),
        "HTTP 404 Not Found"
    );
    let here = done.iter().find(|r| r.index == 1).unwrap();
    assert!(std::fs::read(saved_path(here)).unwrap() == body_for("/here.bin", 5000));
}

each_daemon!(pause_and_resume_reach_the_download_on_aria2);
fn pause_and_resume_reach_the_download_on_aria2(daemon: &dyn Rpcd) {
    let server = TestServer::start();
    let (engine, rx) = daemon.engine(5);
    let size = 1_500_000;
    let path = daemon.start_slow(&engine, &rx, &server, "slow.bin", size, 20);
    assert!(engine.pause(0));
    loop {
        let e = rx.recv_timeout(Duration::from_secs(20)).expect("paused");
        assert!(
            !matches!(e, Event::Finished(_)),
            "finished instead of pausing: {e:?}"
        );
        if matches!(e, Event::Paused { index: 0, .. }) {
            break;
        }
    }
    // While paused there, nothing more arrives.
    let served = server.body_bytes();
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        server.body_bytes() <= served + 64 * 1024,
        "still downloading while paused"
    );
    assert!(engine.resume(0));
    let (done, _) = results(&rx, 1);
    assert!(std::fs::read(saved_path(&done[0])).unwrap() == body_for(&path, size));
    // aria2 continued the file rather than starting over.
    assert!(
        server.body_bytes() < (size as u64) * 3 / 2,
        "{}",
        server.body_bytes()
    );
}

each_daemon!(a_wrong_secret_is_a_clear_error);
fn a_wrong_secret_is_a_clear_error(daemon: &dyn Rpcd) {
    let url = daemon.remote().url;
    let secret = daemon.remote().secret.unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = EngineConfig {
        aria2: Some(Aria2Remote {
            url: url.clone(),
            secret: Some("not-the-secret".into()),
        }),
        ..EngineConfig::new(BackendKind::Aria2 { limit: 5 })
    };
    // The engine starts (it never blocks its caller on the network), says
    // so, and a download handed to it fails with the reason.
    let engine = Engine::new(config, tx, Arc::new(|| {})).expect("engine starts");
    engine.submit(Job::new("http://127.0.0.1:9/x.bin", daemon.folder()));
    let (done, mut events) = results(&rx, 1);
    let why = done[0].outcome.as_ref().unwrap_err().to_string();
    assert!(why.contains("refused the secret token"), "{why}");
    // The engine says so too: its first call (which races the download's)
    // comes back refused.
    let refused = |e: &Event| matches!(e, Event::Remote { connected: false, detail } if detail.contains("refused the secret token"));
    if !events.iter().any(refused) {
        wait_for(&rx, &mut events, "the refused-secret state", |e| {
            refused(e).then_some(())
        });
    }
    // The secret never shows in what could be logged.
    let shown = format!("{:?}", daemon.remote());
    assert!(!shown.contains(&secret), "{shown}");

    // The same from fanout get: exit 1 with the reason, nothing on stdout.
    let scratch = tempfile::tempdir().unwrap();
    let secret_file = scratch.path().join("wrong-secret");
    std::fs::write(&secret_file, "not-the-secret\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "-e", "aria2", "--aria2-url", &url, "--aria2-secret-file"])
        .arg(&secret_file)
        .arg("http://127.0.0.1:9/x.bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the secret token"));
    assert!(out.stdout.is_empty());
}

each_daemon!(fanout_get_with_aria2_keeps_the_json_and_ordered_contract);
fn fanout_get_with_aria2_keeps_the_json_and_ordered_contract(daemon: &dyn Rpcd) {
    let remote = daemon.remote();
    let server = TestServer::start();
    let a = server.url("/cli/a.bin?size=3000&latency=600");
    let b = server.url("/cli/b.bin?size=2000");
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args([
            "get",
            "-e",
            "aria2",
            "--aria2-url",
            &remote.url,
            "--json",
            "--ordered",
            "-o",
        ])
        .arg(daemon.folder())
        .args([&a, &b])
        .env("FANOUT_ARIA2_SECRET", remote.secret.as_deref().unwrap())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // In submission order, although b finished first.
    assert_eq!(lines[0]["index"], 0);
    assert_eq!(lines[0]["rank"], 2);
    assert_eq!(lines[1]["index"], 1);
    assert_eq!(lines[1]["rank"], 1);
    assert!(std::fs::read(daemon.folder().join("a.bin")).unwrap() == body_for("/cli/a.bin", 3000));
}

#[test]
fn a_daemon_out_of_reach_is_a_state_and_the_download_goes_on_after() {
    let Some(daemon) = Daemon::start() else { return };
    let server = TestServer::start();
    let (engine, rx) = daemon.engine(5);
    let size = 1_200_000;
    let path = daemon.start_slow(&engine, &rx, &server, "far.bin", size, 30);
    let wait_for = |what: &str, pick: &dyn Fn(&Event) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let e = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {what}"));
            assert!(
                !matches!(e, Event::Finished(_)),
                "{what}: a result came first: {e:?}"
            );
            if pick(&e) {
                return;
            }
            assert!(Instant::now() < deadline, "no {what}");
        }
    };
    // The daemon stops answering (as over a dropped network): a state, no failure.
    daemon.signal("STOP");
    wait_for("connection lost", &|e| {
        matches!(e, Event::Remote { connected: false, .. })
    });
    daemon.signal("CONT");
    wait_for("reconnected", &|e| {
        matches!(e, Event::Remote { connected: true, .. })
    });
    let (done, _) = results(&rx, 1);
    assert!(std::fs::read(saved_path(&done[0])).unwrap() == body_for(&path, size));
}

#[test]
fn an_idle_engine_notices_the_daemon_leave_and_come_back() {
    // The window may open before the NAS answers: the engine says so, and
    // finds it by itself when it does, with no download to poll for.
    let Some(daemon) = Daemon::start() else { return };
    daemon.signal("STOP");
    let (_engine, rx) = daemon.engine(5);
    let next_remote = || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Event::Remote { connected, .. }) = rx.recv_timeout(Duration::from_millis(200)) {
                return connected;
            }
        }
        panic!("no Remote event");
    };
    assert!(!next_remote(), "out of reach first");
    daemon.signal("CONT");
    assert!(next_remote(), "then back");
}

/// A proxy set in fanout goes to aria2 with each download (aria2's
/// `all-proxy` options): the file comes through tinyproxy, credentials and
/// all. aria2 speaks no SOCKS, so a SOCKS proxy is refused at start.
#[test]
fn the_aria2_engine_hands_an_http_proxy_to_aria2_and_refuses_socks() {
    let alice = ("alice", "s3cret");
    let Some(proxy) = support::proxy::Proxy::tinyproxy(Some(alice)) else {
        return;
    };
    let Some(daemon) = Daemon::start() else { return };
    let server = TestServer::start();
    let via = |url: String| ProxyConfig {
        choice: ProxyChoice::Manual(ProxyServer::parse(&url, None).unwrap()),
        no_proxy: None,
    };
    let config = EngineConfig {
        aria2: Some(daemon.remote()),
        proxy: via(proxy.url("http", Some(alice))),
        ..EngineConfig::new(BackendKind::Aria2 { limit: 2 })
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config.clone(), tx, Arc::new(|| {})).unwrap();
    assert_eq!(
        engine.proxy(),
        Some(format!("http://alice:***@127.0.0.1:{}/", proxy.port))
    );
    engine.submit(Job::new(server.url("/a2p/x.bin?size=20000"), daemon.folder()));
    let (done, _) = results(&rx, 1);
    assert!(std::fs::read(saved_path(&done[0])).unwrap() == body_for("/a2p/x.bin", 20000));
    assert_eq!(proxy.requests().len(), 1, "tinyproxy's log: {}", proxy.log());
    let head = &server.headers_for("/a2p/x.bin")[0];
    assert!(
        head.get("via")
            .is_some_and(|v| v.to_str().unwrap().contains("tinyproxy"))
    );
    let socks = EngineConfig {
        proxy: via("socks5h://127.0.0.1:1080".into()),
        ..config
    };
    let (tx, _rx) = crossbeam_channel::unbounded();
    match Engine::new(socks, tx, Arc::new(|| {})) {
        Err(e) => assert!(e.to_string().contains("only HTTP proxies"), "{e}"),
        Ok(_) => panic!("aria2 was given a SOCKS proxy"),
    }
}
