//! The downloads service with no face at all: calls in, straight to the
//! service's thread; the list out, read under its lock, and the engine's
//! events out, as a face hears them; on every engine.
//! What the window and `fanout serve` both stand on.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fanout::engine::Event;
use fanout::platform::secrets::Secrets;
use fanout::rpc::method::Method;
use fanout::rpc::{Call, Request};
use fanout::service::Downloads;
use fanout::service::hub::{FrontEnd, Hub, Service};
use fanout::service::model::TaskState;
use fanout::settings::{EngineChoice, Settings};
use serde_json::{Value, json};
use support::{TestServer, body_for};

/// A face that only listens: the engine's events as the service passes
/// them on (the window's login prompt and serve's journal hear the same).
struct Listener(crossbeam_channel::Sender<usize>);

impl FrontEnd for Listener {
    fn on_event(&mut self, event: &Event, _: &Downloads) {
        if let Event::Finished(r) = event {
            let _ = self.0.send(r.index);
        }
    }
}

/// The service on its thread, as a face starts it: the hub, and the
/// indices of downloads as they finish.
fn start(downloads: Downloads, settings: Settings) -> (Hub, crossbeam_channel::Receiver<usize>) {
    let (heard, finished) = crossbeam_channel::unbounded();
    let hub = Hub::start(
        Service::new(downloads, settings),
        crossbeam_channel::never(),
        Listener(heard),
    )
    .unwrap();
    (hub, finished)
}

fn call(method: Method, params: Vec<Value>) -> Call {
    Call { method, params }
}

/// Sends calls to the service's thread and waits for the answers.
fn ask(hub: &Hub, calls: Vec<Call>) -> Vec<Value> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    hub.calls().send(Request { calls, reply }).unwrap();
    answer
        .blocking_recv()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn the_list_follows_calls_answered_on_the_service_s_thread(engine: EngineChoice) {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        engine,
        download_dir: out.path().to_path_buf(),
        ..Settings::default()
    };
    settings.set_workers(4);
    let mut downloads = Downloads::new(&settings);
    downloads.start_engine(&settings, Arc::new(|| {})).unwrap();
    downloads
        .restore_queue(
            &data.path().join("queue.sqlite3"),
            Secrets::in_dir(data.path(), false),
            false,
        )
        .unwrap();
    let (hub, finished) = start(downloads, settings);

    // The first is slow to answer: where tasks run side by side, it ends
    // after the others; one at a time, it ends first.
    let paths = [
        "/s/0.bin?size=40000&latency=700",
        "/s/1.bin?size=50000",
        "/s/2.bin?size=60000",
        "/s/3.bin?size=70000",
    ];
    let adds = paths
        .iter()
        .map(|p| call(Method::AddUri, vec![json!([server.url(p)])]))
        .collect();
    let gids = ask(&hub, adds);
    assert!(gids.iter().all(Value::is_string), "{gids:?}");
    // Answered means listed.
    assert_eq!(hub.lock().downloads.model.rows.len(), paths.len());

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = {
            let service = hub.lock();
            service
                .downloads
                .model
                .rows
                .iter()
                .all(|r| r.state == TaskState::Done)
        };
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the downloads did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ranks: Vec<usize> = hub
        .lock()
        .downloads
        .model
        .rows
        .iter()
        .map(|r| r.rank.unwrap())
        .collect();
    // The face heard each end once, in the order of the ranks.
    let heard: Vec<usize> = finished.try_iter().collect();
    let mut by_rank: Vec<usize> = (0..ranks.len()).collect();
    by_rank.sort_by_key(|&i| ranks[i]);
    assert_eq!(heard, by_rank);
    if engine == EngineChoice::Sequential {
        assert_eq!(ranks, [1, 2, 3, 4], "one at a time, in the order given");
    } else {
        assert_eq!(ranks[0], 4, "the slow one ends last: {ranks:?}");
    }
    for (i, p) in paths.iter().enumerate() {
        let (path, query) = p.split_once('?').unwrap();
        let size: usize = query
            .trim_start_matches("size=")
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let file = out.path().join(format!("{i}.bin"));
        assert_eq!(
            std::fs::read(&file).unwrap(),
            body_for(path, size),
            "{}",
            file.display()
        );
    }
    // And the calls see what the list shows.
    let states = ask(
        &hub,
        gids.iter()
            .map(|g| call(Method::TellStatus, vec![g.clone(), json!(["status"])]))
            .collect(),
    );
    assert!(states.iter().all(|s| s["status"] == "complete"), "{states:?}");
}

mod the_list_follows_calls_answered_on_the_service_s_thread {
    use fanout::settings::EngineChoice;

    #[test]
    fn sequential() {
        super::the_list_follows_calls_answered_on_the_service_s_thread(EngineChoice::Sequential);
    }

    #[test]
    fn threads() {
        super::the_list_follows_calls_answered_on_the_service_s_thread(EngineChoice::Threads);
    }

    #[test]
    fn tokio() {
        super::the_list_follows_calls_answered_on_the_service_s_thread(EngineChoice::Async);
    }
}

/// The window's Remove is the service's: what it removes leaves the RPC's
/// lists as well as the window's (so every face agrees), and a call for
/// it finds nothing.
#[test]
fn a_removed_download_leaves_the_rpc_s_lists() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        download_dir: out.path().to_path_buf(),
        ..Settings::default()
    };
    let mut downloads = Downloads::new(&settings);
    downloads.start_engine(&settings, Arc::new(|| {})).unwrap();
    let (hub, finished) = start(downloads, settings);
    let adds = ["/rm/0.bin?size=1000", "/rm/1.bin?size=1000"]
        .iter()
        .map(|p| call(Method::AddUri, vec![json!([server.url(p)])]))
        .collect();
    let gids = ask(&hub, adds);
    for _ in 0..2 {
        finished.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    let stopped = |hub: &Hub| {
        ask(
            hub,
            vec![call(
                Method::TellStopped,
                vec![json!(0), json!(10), json!(["gid"])],
            )],
        )
    };
    assert_eq!(stopped(&hub)[0].as_array().unwrap().len(), 2);
    assert!(hub.lock().downloads.remove(0, false));
    assert_eq!(stopped(&hub)[0], json!([{"gid": gids[1]}]));
    let (reply, answer) = tokio::sync::oneshot::channel();
    let status = vec![call(Method::TellStatus, vec![gids[0].clone()])];
    hub.calls().send(Request { calls: status, reply }).unwrap();
    assert!(
        answer.blocking_recv().unwrap()[0].is_err(),
        "the removed one is still found"
    );
    // The file stays: Remove alone never deletes.
    assert!(out.path().join("0.bin").exists());
}

/// What a call did is in the answer of the next one, whether or not the
/// engine's events have been applied yet (here: never, as when the next
/// call comes before them): a download just added is in one of the three
/// lists, one just paused says `paused`, one just removed `removed`, and
/// its result can be removed at once. Twenty times of twenty.
#[test]
fn a_call_sees_what_the_call_before_it_did_before_the_engine_says_so() {
    let server = TestServer::start();
    let out = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        download_dir: out.path().to_path_buf(),
        ..Settings::default()
    };
    // Room for each at once: a download removed may still hold its
    // connection while the next is added.
    settings.set_workers(32);
    let mut downloads = Downloads::new(&settings);
    downloads.start_engine(&settings, Arc::new(|| {})).unwrap();
    let mut owner = fanout::service::host::ServiceHost {
        downloads: &mut downloads,
        settings: &mut settings,
        settings_changed: false,
    };
    let mut ask = |method: Method, params: Vec<Value>| owner.answer(&call(method, params)).unwrap();
    for i in 0..20 {
        let url = server.url(&format!("/now/{i}.bin?size=4000000&pace=100"));
        let gid = ask(Method::AddUri, vec![json!([url])]);
        let mut listed = Vec::new();
        for (method, params) in [
            (Method::TellActive, vec![json!(["gid", "status"])]),
            (
                Method::TellWaiting,
                vec![json!(0), json!(100), json!(["gid", "status"])],
            ),
            (
                Method::TellStopped,
                vec![json!(0), json!(100), json!(["gid", "status"])],
            ),
        ] {
            let list = ask(method, params);
            listed.extend(
                list.as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| d["gid"] == gid)
                    .cloned(),
            );
        }
        assert_eq!(listed, [json!({"gid": gid, "status": "active"})], "try {i}");
        let status = |ask: &mut dyn FnMut(Method, Vec<Value>) -> Value| {
            ask(Method::TellStatus, vec![gid.clone(), json!(["status"])])["status"].clone()
        };
        assert_eq!(ask(Method::Pause, vec![gid.clone()]), gid);
        assert_eq!(status(&mut ask), "paused", "try {i}");
        assert_eq!(ask(Method::Unpause, vec![gid.clone()]), gid);
        assert_eq!(ask(Method::Remove, vec![gid.clone()]), gid);
        assert_eq!(status(&mut ask), "removed", "try {i}");
        assert_eq!(ask(Method::RemoveDownloadResult, vec![gid.clone()]), "OK");
    }
}
