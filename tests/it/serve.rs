//! `fanout serve`, the downloads service with no window, as someone running
//! a home server meets it: the real binary with no display and no session
//! bus, driven over its RPC (aria2p, raw calls), stopped with SIGTERM or
//! killed, started again on the same folder. (The `each_daemon!` bodies in
//! the `aria2` tests also run against it, through a second fanout's aria2
//! engine.)

use crate::support;

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::programs::Killed;
use support::serve::{Serve, hermetic};
use support::wait::until;
use support::{TestServer, body_for, control_files};

/// Every download the service lists (active, waiting and stopped).
fn all(s: &Serve) -> Vec<Value> {
    let mut out = Vec::new();
    for (method, params) in [
        ("aria2.tellActive", json!([])),
        ("aria2.tellWaiting", json!([0, 100000])),
        ("aria2.tellStopped", json!([0, 100000])),
    ] {
        out.extend(s.call(method, params).unwrap().as_array().unwrap().clone());
    }
    out
}

/// (aria2p drives it with no display in `rpc::server`, through `each_face!`.)
#[test]
fn a_restart_still_lists_what_finished_until_it_is_removed() {
    let server = TestServer::start();
    let url = server.url("/s/lib.bin?size=70000");
    let home = tempfile::tempdir().unwrap();
    let mut s = Serve::start_in(home.path(), &[]);
    let gid = s
        .call("aria2.addUri", json!([[url], {"out": "via-rpc.bin"}]))
        .unwrap();
    until("the download completes", || {
        let st = s.call("aria2.tellStatus", json!([gid])).unwrap();
        (st["status"] == "complete").then_some(())
    });
    assert_eq!(
        std::fs::read(s.folder().join("via-rpc.bin")).unwrap(),
        body_for("/s/lib.bin", 70000)
    );
    let status = s.stop();
    assert!(status.success(), "SIGTERM ends it cleanly: {status}");
    let log = s.log.lock().unwrap().clone();
    assert!(
        log.contains("complete http://127.0.0.1"),
        "one line an event: {log}"
    );
    assert!(log.contains("stopped; the queue is saved"), "{log}");

    let again = Serve::start_in(home.path(), &[]);
    let stopped = again.call("aria2.tellStopped", json!([0, 10])).unwrap();
    let stopped = stopped.as_array().unwrap();
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(stopped[0]["status"], "complete");
    assert_eq!(stopped[0]["totalLength"], "70000");
    let path = stopped[0]["files"][0]["path"].as_str().unwrap();
    assert!(path.ends_with("via-rpc.bin"), "{path}");

    // Until the user removes it: then it stays removed across a restart.
    let gid = stopped[0]["gid"].clone();
    assert_eq!(
        again.call("aria2.removeDownloadResult", json!([gid])).unwrap(),
        "OK"
    );
    let mut again = again;
    assert!(again.stop().success());
    let third = Serve::start_in(home.path(), &[]);
    assert_eq!(
        third.call("aria2.tellStopped", json!([0, 10])).unwrap(),
        json!([])
    );
}

#[test]
fn sigterm_mid_download_keeps_the_bytes_and_the_next_run_fetches_only_the_rest() {
    let server = TestServer::start();
    let size = 3_000_000usize;
    let url = server.url(&format!("/big.bin?size={size}&pace=10&etag=k"));
    let home = tempfile::tempdir().unwrap();
    let mut s = Serve::start_in(home.path(), &["-e", "threads"]);
    s.call("aria2.addUri", json!([[url]])).unwrap();
    let part = s.folder().join("big.bin.part");
    until("a good part of the file and its control file", || {
        let len = std::fs::metadata(&part).map_or(0, |m| m.len());
        (len > 300_000 && !control_files(&s.folder()).is_empty()).then_some(())
    });
    let status = s.stop();
    assert!(status.success(), "{status}");
    let on_disk = std::fs::metadata(&part).unwrap().len();
    let served_before = server.body_bytes_settled();
    assert!(on_disk < size as u64, "stopped before the end");

    let again = Serve::start_in(home.path(), &["-e", "threads"]);
    let waiting = again.call("aria2.tellWaiting", json!([0, 10])).unwrap();
    assert_eq!(
        waiting[0]["status"], "paused",
        "unfinished comes back paused: {waiting}"
    );
    let gid = waiting[0]["gid"].as_str().unwrap().to_string();
    again.call("aria2.unpause", json!([gid])).unwrap();
    until("the download completes after the restart", || {
        let st = again.call("aria2.tellStatus", json!([gid])).unwrap();
        (st["status"] == "complete").then_some(())
    });
    assert_eq!(
        std::fs::read(again.folder().join("big.bin")).unwrap(),
        body_for("/big.bin", size)
    );
    assert_eq!(
        server.body_bytes_settled() - served_before,
        size as u64 - on_disk,
        "only the missing bytes were fetched"
    );
}

/// `kill -9` right after acknowledged `addUri` calls (one at a time, then
/// a `system.multicall` of many, whose rows take the store a while to
/// write): a restart lists every one.
fn acknowledged_adds_survive_kill_9(engine: &str) {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    // A slow disk: each write of the queue takes 300 ms, so an answer that
    // did not wait for its write would be lost to the kill.
    let mut s = Serve::start_env(
        home.path(),
        &["-e", engine],
        &[("FANOUT_TEST_SLOW_STORE_MS", "300")],
    );
    // Slow files, so none ends before the kill: each is kept as unfinished.
    let url = |i: usize| server.url(&format!("/k/{i}.bin?size=2000000&pace=50"));
    let single = 20;
    for i in 0..single {
        s.call("aria2.addUri", json!([[url(i)]])).unwrap();
    }
    let many = 1500;
    let calls: Vec<Value> = (single..single + many)
        .map(|i| json!({"methodName": "aria2.addUri", "params": [format!("token:{}", s.secret), [url(i)], {"pause": "true"}]}))
        .collect();
    let reply =
        s.post(&json!({"jsonrpc": "2.0", "id": "m", "method": "system.multicall", "params": [calls]}));
    // SIGKILL at once (no kill(1) to spawn first).
    s.app.0.kill().unwrap();
    assert_eq!(
        reply["result"].as_array().map(Vec::len),
        Some(many),
        "{engine}: {reply}"
    );
    s.app.0.wait().unwrap();
    drop(s);
    let again = Serve::start_in(home.path(), &["-e", engine]);
    let listed = all(&again);
    assert_eq!(
        listed.len(),
        single + many,
        "{engine}: every acknowledged add is kept"
    );
    let mut uris: Vec<String> = listed
        .iter()
        .map(|d| d["files"][0]["uris"][0]["uri"].as_str().unwrap().to_string())
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris.len(), single + many, "{engine}");
}

mod acknowledged_adds_survive_kill_9 {
    #[test]
    fn sequential() {
        super::acknowledged_adds_survive_kill_9("sequential")
    }
    #[test]
    fn threads() {
        super::acknowledged_adds_survive_kill_9("threads")
    }
    #[test]
    fn tokio() {
        super::acknowledged_adds_survive_kill_9("async")
    }
}

#[test]
fn one_owner_of_a_data_folder_a_second_service_and_a_window_step_aside_and_urls_are_handed_over() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let s = Serve::start_in(home.path(), &[]);

    // A second service on the same folder names the first and gives up.
    let (mut second, _) = Serve::spawn(home.path(), &[]);
    let status = support::programs::wait_for_exit(&mut second, "as a second service");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.0.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        err.contains(&format!("`fanout serve` (RPC on port {})", s.port)),
        "{err}"
    );

    // A window started there does not take the queue.
    let mut window = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut window, home.path());
    let out = window.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("`fanout serve`") && err.contains("no window opens"),
        "{err}"
    );

    // `fanout URL` hands over to the service.
    let url = server.url("/h/handed.bin?size=5000");
    let mut hand = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut hand, home.path());
    let out = hand.arg(&url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("handed to `fanout serve`"));
    until("the handed-over download completes", || {
        let stopped = s.call("aria2.tellStopped", json!([0, 10])).unwrap();
        (stopped
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["status"] == "complete"))
        .then_some(())
    });
    assert_eq!(
        std::fs::read(s.folder().join("handed.bin")).unwrap(),
        body_for("/h/handed.bin", 5000)
    );
    let _keep: &Killed = &s.app;
}

/// The unit in assets/ is what `systemd-analyze verify` accepts, with
/// ExecStart pointed at this build (it checks that the program exists).
#[test]
fn the_systemd_user_unit_verifies() {
    if !support::programs::require(&[("systemd-analyze", "systemd")]) {
        return;
    }
    let unit =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fanout.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/fanout serve"), "{unit}");
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let path = dir.path().join("fanout.service");
    std::fs::write(
        &path,
        unit.replace("/usr/bin/fanout", env!("CARGO_BIN_EXE_fanout")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(&path)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}

/// The settings a service in `home` starts with.
fn write_settings(home: &std::path::Path, tune: impl FnOnce(&mut fanout::settings::Settings)) {
    let mut s = fanout::settings::Settings::default();
    tune(&mut s);
    s.save(&home.join(".config/fanout/settings.json")).unwrap();
}

#[test]
fn the_service_runs_the_after_batch_command_with_the_batch_s_counts() {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("after.txt");
    write_settings(home.path(), |s| {
        s.after_batch = fanout::settings::AfterBatch::RunCommand;
        s.after_command = format!("echo \"$FANOUT_DONE $FANOUT_FAILED\" > '{}'", out.display());
    });
    let s = Serve::start_in(home.path(), &[]);
    // One batch: the first still runs when the second fails.
    s.call(
        "aria2.addUri",
        json!([[server.url("/b/ok.bin?size=1000&latency=500")]]),
    )
    .unwrap();
    s.call("aria2.addUri", json!([[server.url("/b/missing.bin?status=404")]]))
        .unwrap();
    let said = until("the command ran", || std::fs::read_to_string(&out).ok());
    assert_eq!(said.trim(), "1 1", "{}", s.log.lock().unwrap());
    let log = s.log.lock().unwrap().clone();
    assert!(log.contains("batch ended: 1 done, 1 failed"), "{log}");
}

#[test]
fn a_schedule_that_pauses_now_holds_the_service_s_queue() {
    use fanout::settings::schedule::{Days, Rule, RuleKind};
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    // Paused every day from 00:00: in force whatever the time.
    write_settings(home.path(), |s| {
        s.schedule.rules.push(Rule {
            kind: RuleKind::Pause,
            days: Days::ALL,
            at: 0,
            until: 0,
        })
    });
    let s = Serve::start_in(home.path(), &[]);
    let gid = s
        .call("aria2.addUri", json!([[server.url("/q/held.bin?size=1000")]]))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let st = s.call("aria2.tellStatus", json!([gid])).unwrap();
    assert_eq!(st["status"], "waiting", "{st}");
    assert_eq!(server.requests(), 0);
    let log = s.log.lock().unwrap().clone();
    assert!(log.contains("schedule: queue paused"), "{log}");
}

/// A fresh account with `~/Downloads` but no `user-dirs.dirs`: downloads
/// go there, not into the home folder.
#[test]
fn with_no_folder_given_downloads_go_to_the_downloads_folder_of_the_home() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("Downloads")).unwrap();
    std::fs::write(home.path().join("secret"), "s3cret\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command, home.path());
    let port = support::programs::free_port().to_string();
    let mut app = Killed(
        command
            .args([
                "serve",
                "--rpc-listen",
                &format!("127.0.0.1:{port}"),
                "--rpc-secret-file",
            ])
            .arg(home.path().join("secret"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = std::io::BufReader::new(app.0.stderr.take().unwrap());
    let line = std::io::BufRead::lines(stderr)
        .map_while(Result::ok)
        .find(|l| l.contains("downloads go to"))
        .unwrap();
    let want = format!("downloads go to {}", home.path().join("Downloads").display());
    assert!(line.ends_with(&want), "{line}");
}

/// `--rpc-listen 127.0.0.1:PORT` serves that address and no other: before,
/// `[::1]` on the same port was served as well, unasked.
#[test]
fn an_address_given_is_the_only_address_served() {
    // A machine without IPv6 cannot tell the difference.
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no [::1]");
        return;
    }
    let s = Serve::start();
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.port)).is_ok());
    let v6 = std::net::TcpStream::connect(("::1", s.port));
    assert!(
        v6.is_err(),
        "[::1]:{} answers though only 127.0.0.1 was given",
        s.port
    );
    let help = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("and only there"), "{help}");
}

/// A service on a machine with no keyring, keeping its own secret (no
/// `--rpc-secret-file`), says the keyring is missing once, not once a
/// secret it looks up (three times at every start).
#[test]
fn no_keyring_is_said_once() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command, home.path());
    let port = support::programs::free_port().to_string();
    let mut app = Killed(
        command
            .args(["serve", "--rpc-listen", &format!("127.0.0.1:{port}")])
            .arg("-o")
            .arg(home.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = std::io::BufReader::new(app.0.stderr.take().unwrap());
    let mut log = String::new();
    for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
        log.push_str(&line);
        log.push('\n');
        if line.contains("serving the RPC on") {
            break;
        }
    }
    assert!(log.contains("serving the RPC on"), "{log}");
    assert!(
        home.path().join(".config/fanout/secrets.json").exists(),
        "the secret is not in the file: {log}"
    );
    assert_eq!(log.matches("no system keyring").count(), 1, "{log}");
}

/// `aria2.shutdown` (and `forceShutdown`, which does not wait for running
/// downloads to pause) answers `OK`, then ends the service as SIGTERM
/// does: exit status 0, and the next start has the queue.
fn shutdown_over_rpc_ends_it_with_the_queue_kept(method: &str) {
    let server = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let mut s = Serve::start_in(home.path(), &[]);
    let running = s
        .call(
            "aria2.addUri",
            json!([[server.url("/sd/run.bin?size=3000000&pace=20")]]),
        )
        .unwrap();
    s.call(
        "aria2.addUri",
        json!([[server.url("/sd/held.bin?size=10")], {"pause": "true"}]),
    )
    .unwrap();
    until("the first download runs", || {
        let st = s.call("aria2.tellStatus", json!([running])).unwrap();
        (st["completedLength"] != "0").then_some(())
    });
    assert_eq!(s.call(method, json!([])).unwrap(), "OK");
    let status = support::programs::wait_for_exit(&mut s.app, "after aria2.shutdown");
    assert_eq!(status.code(), Some(0), "{}", s.log.lock().unwrap());
    let again = Serve::start_in(home.path(), &[]);
    let waiting = again
        .call("aria2.tellWaiting", json!([0, 10, ["status", "files"]]))
        .unwrap();
    let names: Vec<&str> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["files"][0]["uris"][0]["uri"].as_str().unwrap())
        .map(|u| u.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "both kept: {waiting}");
    assert!(names.iter().any(|n| n.starts_with("run.bin")), "{waiting}");
    assert!(names.iter().any(|n| n.starts_with("held.bin")), "{waiting}");
    assert!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "paused")
    );
}

#[test]
fn aria2_shutdown_ends_it_with_the_queue_kept() {
    shutdown_over_rpc_ends_it_with_the_queue_kept("aria2.shutdown");
}

#[test]
fn aria2_force_shutdown_ends_it_with_the_queue_kept() {
    shutdown_over_rpc_ends_it_with_the_queue_kept("aria2.forceShutdown");
}
