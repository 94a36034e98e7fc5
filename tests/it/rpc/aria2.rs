//! fanout's RPC held to what aria2c 1.36 answers, where aria2p's own test
//! suite found them apart: each body runs against a real `aria2c` and
//! against `fanout serve` (the real binary, no display), so the same
//! assertions hold for both.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::TestServer;
use support::serve::Serve;

/// An aria2-speaking daemon's `/jsonrpc` and secret.
struct Rpc {
    url: String,
    secret: String,
    /// aria2c itself (where fanout's own words differ, say which).
    aria2c: bool,
}

impl Rpc {
    fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, Value> {
        support::serve::call(&self.url, &self.secret, method, Value::Array(params))
    }

    fn add(&self, uris: Value, options: Value) -> Result<String, Value> {
        self.call("aria2.addUri", vec![uris, options])
            .map(|g| g.as_str().unwrap().to_string())
    }

    fn status(&self, gid: &str) -> String {
        let s = self
            .call("aria2.tellStatus", vec![json!(gid), json!(["status"])])
            .unwrap();
        s["status"].as_str().unwrap().to_string()
    }

    fn wait_status(&self, gid: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.status(gid) != want {
            assert!(Instant::now() < deadline, "{gid} never became {want}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One `#[test]` per daemon from one body `fn NAME(rpc: &Rpc)`: `aria2c`
/// (skipped where it is not installed, failed in CI) and `fanout_serve`.
macro_rules! each_rpc {
    ($body:ident) => {
        mod $body {
            use super::*;

            #[test]
            fn aria2c() {
                if let Some(d) = support::aria2::Daemon::start() {
                    super::$body(&Rpc {
                        url: d.url.clone(),
                        secret: d.secret.clone(),
                        aria2c: true,
                    })
                }
            }

            #[test]
            fn fanout_serve() {
                let s = Serve::start();
                super::$body(&Rpc {
                    url: s.url(),
                    secret: s.secret.clone(),
                    aria2c: false,
                })
            }
        }
    };
}

/// `addUri`'s `gid` option names the download from then on; a gid that is
/// taken or not 16 hex digits is refused (code 1) and adds nothing.
fn a_download_takes_the_gid_the_client_chose(rpc: &Rpc) {
    let server = TestServer::start();
    let url = server.url("/gid/a.bin?size=100");
    let paused = |gid: &str| json!({"gid": gid, "pause": "true"});
    assert_eq!(
        rpc.add(json!([url]), paused("00000000000000a1")).unwrap(),
        "00000000000000a1"
    );
    let s = rpc
        .call(
            "aria2.tellStatus",
            vec![json!("00000000000000a1"), json!(["gid", "status"])],
        )
        .unwrap();
    assert_eq!(s, json!({"gid": "00000000000000a1", "status": "paused"}));
    // Upper case is the same gid, written as aria2 writes it.
    assert_eq!(
        rpc.add(json!([url]), paused("00000000000000B2")).unwrap(),
        "00000000000000b2"
    );
    for bad in [
        "00000000000000a1",
        "00000000000000A1",
        "xyz",
        "0000000000000000",
        "00000000000000a1f",
    ] {
        let e = rpc.add(json!([url]), paused(bad)).unwrap_err();
        assert_eq!(e["code"], 1, "{bad}: {e}");
        if !rpc.aria2c {
            let why = if bad.eq_ignore_ascii_case("00000000000000a1") {
                format!("GID {bad} is not unique.")
            } else {
                format!("{bad} is invalid for GID.")
            };
            assert_eq!(e["message"], why);
        }
    }
    let waiting = rpc
        .call("aria2.tellWaiting", vec![json!(0), json!(100), json!(["gid"])])
        .unwrap();
    assert_eq!(
        waiting,
        json!([{"gid": "00000000000000a1"}, {"gid": "00000000000000b2"}]),
        "a refused gid added nothing"
    );
    // Every call by that gid reaches the download.
    assert_eq!(
        rpc.call("aria2.unpause", vec![json!("00000000000000a1")])
            .unwrap(),
        "00000000000000a1"
    );
    rpc.wait_status("00000000000000a1", "complete");
    assert_eq!(
        rpc.call("aria2.removeDownloadResult", vec![json!("00000000000000a1")])
            .unwrap(),
        "OK"
    );
}
each_rpc!(a_download_takes_the_gid_the_client_chose);

/// What a call did is in the answer of the next one, twenty times of
/// twenty: a download just added is in one of the three lists, one just
/// paused says `paused`, one just removed says `removed` and its result
/// can be removed at once.
fn a_change_is_visible_in_the_next_call(rpc: &Rpc) {
    let server = TestServer::start();
    let listed = |gid: &str| -> usize {
        let mut n = 0;
        for (method, params) in [
            ("aria2.tellActive", vec![json!(["gid"])]),
            ("aria2.tellWaiting", vec![json!(0), json!(1000), json!(["gid"])]),
            ("aria2.tellStopped", vec![json!(0), json!(1000), json!(["gid"])]),
        ] {
            let list = rpc.call(method, params).unwrap();
            n += list
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["gid"] == gid)
                .count();
        }
        n
    };
    let mut seen = [0; 4];
    for i in 0..20 {
        // Each call comes while the download waits for the server's
        // answer (as a client's calls right after adding do), and it is
        // slow enough to be running through every call below.
        let url = server.url(&format!("/seen/{i}.bin?size=4000000&pace=100&latency=300"));
        let gid = rpc.add(json!([url]), json!({})).unwrap();
        seen[0] += usize::from(listed(&gid) == 1);
        assert_eq!(rpc.call("aria2.pause", vec![json!(gid)]).unwrap(), json!(gid));
        seen[1] += usize::from(rpc.status(&gid) == "paused");
        assert_eq!(rpc.call("aria2.unpause", vec![json!(gid)]).unwrap(), json!(gid));
        rpc.wait_status(&gid, "active");
        assert_eq!(rpc.call("aria2.remove", vec![json!(gid)]).unwrap(), json!(gid));
        seen[2] += usize::from(rpc.status(&gid) == "removed");
        let dropped = rpc.call("aria2.removeDownloadResult", vec![json!(gid)]);
        seen[3] += usize::from(dropped == Ok(json!("OK")));
        // Gone from the results either way before the next try.
        if dropped.is_err() {
            rpc.wait_status(&gid, "removed");
            rpc.call("aria2.removeDownloadResult", vec![json!(gid)]).unwrap();
        }
    }
    assert_eq!(
        seen, [20; 4],
        "of 20: listed once after addUri, paused after pause, removed after remove, result removable"
    );
}
each_rpc!(a_change_is_visible_in_the_next_call);

/// A download added paused has not tried its URI yet (`waiting`) and has
/// no file yet (`path` is empty); once it runs, its URI is `used` and its
/// file named.
fn a_download_that_never_started_has_no_file_and_an_untried_uri(rpc: &Rpc) {
    let server = TestServer::start();
    let url = server.url("/never/a.bin?size=4000000&pace=100");
    let gid = rpc.add(json!([url]), json!({"pause": "true"})).unwrap();
    assert_eq!(
        rpc.call("aria2.getUris", vec![json!(gid)]).unwrap(),
        json!([{"uri": url, "status": "waiting"}])
    );
    let files = rpc.call("aria2.getFiles", vec![json!(gid)]).unwrap();
    assert_eq!(files[0]["path"], "", "{files}");
    rpc.call("aria2.unpause", vec![json!(gid)]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = rpc
            .call("aria2.tellStatus", vec![json!(gid), json!(["completedLength"])])
            .unwrap();
        if s["completedLength"] != "0" {
            break;
        }
        assert!(Instant::now() < deadline, "never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        rpc.call("aria2.getUris", vec![json!(gid)]).unwrap(),
        json!([{"uri": url, "status": "used"}])
    );
    let files = rpc.call("aria2.getFiles", vec![json!(gid)]).unwrap();
    assert!(files[0]["path"].as_str().unwrap().ends_with("a.bin"), "{files}");
    rpc.call("aria2.forceRemove", vec![json!(gid)]).unwrap();
}
each_rpc!(a_download_that_never_started_has_no_file_and_an_untried_uri);
/// `changeGlobalOption` applies what it answers `OK` to: a default speed
/// limit for new downloads (`max-download-limit`) that they report and
/// keep to, and `save-session`, which `saveSession` then writes in aria2's
/// format. fanout refuses by name an option it does not apply.
fn global_options_are_applied_or_refused(rpc: &Rpc) {
    let server = TestServer::start();
    let ok = |o: Value| rpc.call("aria2.changeGlobalOption", vec![o]);
    assert_eq!(ok(json!({"max-download-limit": "10000"})).unwrap(), "OK");
    let g = rpc.call("aria2.getGlobalOption", vec![]).unwrap();
    assert_eq!(g["max-download-limit"], "10000");
    let gid = rpc
        .add(json!([server.url("/limit/a.bin?size=1000000")]), json!({}))
        .unwrap();
    let o = rpc.call("aria2.getOption", vec![json!(gid)]).unwrap();
    assert_eq!(o["max-download-limit"], "10000");
    std::thread::sleep(Duration::from_millis(1500));
    let s = rpc
        .call(
            "aria2.tellStatus",
            vec![json!(gid), json!(["completedLength", "status"])],
        )
        .unwrap();
    let done: u64 = s["completedLength"].as_str().unwrap().parse().unwrap();
    assert!(done < 100_000, "10 kB/s kept: {s}");
    // The session file, written where asked.
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session.txt");
    let held = rpc
        .add(
            json!([
                server.url("/limit/held.bin?size=10"),
                server.url("/limit/mirror.bin?size=10")
            ]),
            json!({"pause": "true"}),
        )
        .unwrap();
    assert_eq!(
        ok(json!({"save-session": session.display().to_string()})).unwrap(),
        "OK"
    );
    assert_eq!(rpc.call("aria2.saveSession", vec![]).unwrap(), "OK");
    let text = std::fs::read_to_string(&session).unwrap();
    let uris = format!(
        "{}\t{}\t\n gid={held}\n",
        server.url("/limit/held.bin?size=10"),
        server.url("/limit/mirror.bin?size=10")
    );
    assert!(text.contains(&uris), "{text}");
    assert!(
        text.contains(&format!("/limit/a.bin?size=1000000\t\n gid={gid}\n")),
        "{text}"
    );
    assert!(text.contains(" pause=true\n"), "{text}");
    if rpc.aria2c {
        return;
    }
    // What fanout does not apply is refused by name, and nothing of the
    // call is applied; a value sent back as it was read passes.
    let e = ok(json!({"max-concurrent-downloads": "2", "bt-max-peers": "55"})).unwrap_err();
    assert_eq!(
        e["message"],
        "fanout does not apply the option '--bt-max-peers': nothing was changed"
    );
    let again = rpc.call("aria2.getGlobalOption", vec![]).unwrap();
    assert_eq!(again["max-concurrent-downloads"], g["max-concurrent-downloads"]);
    assert_eq!(ok(g.clone()).unwrap(), "OK", "getGlobalOption's answer sent back");
    let e = rpc
        .call(
            "aria2.changeOption",
            vec![json!(gid), json!({"bt-max-peers": "55"})],
        )
        .unwrap_err();
    assert_eq!(
        e["message"],
        "fanout does not apply the option '--bt-max-peers': nothing was changed"
    );
    assert_eq!(rpc.call("aria2.changeOption", vec![json!(gid), o]).unwrap(), "OK");
}
each_rpc!(global_options_are_applied_or_refused);

/// `getOption` answers every option a download runs by (AriaNg draws its
/// task settings from it), its own and the defaults.
fn a_download_s_options_are_all_answered(rpc: &Rpc) {
    let server = TestServer::start();
    let gid = rpc
        .add(
            json!([server.url("/opt/a.bin?size=10")]),
            json!({"pause": "true"}),
        )
        .unwrap();
    let o = rpc.call("aria2.getOption", vec![json!(gid)]).unwrap();
    for key in [
        "dir",
        "max-download-limit",
        "split",
        "max-connection-per-server",
        "max-upload-limit",
        "pause-metadata",
        "seed-ratio",
    ] {
        assert!(o.get(key).is_some_and(Value::is_string), "{key} in {o}");
    }
}
each_rpc!(a_download_s_options_are_all_answered);

/// `getServers` lists an active download's connections, each with its
/// URI, the URI it is fetched from and its speed; a paused download has
/// none to list.
fn an_active_download_lists_its_connections(rpc: &Rpc) {
    let server = TestServer::start();
    let url = server.url("/srv/a.bin?size=4000000&pace=50");
    let gid = rpc.add(json!([url]), json!({"split": "2"})).unwrap();
    rpc.wait_status(&gid, "active");
    let deadline = Instant::now() + Duration::from_secs(10);
    let servers = loop {
        let s = rpc.call("aria2.getServers", vec![json!(gid)]).unwrap();
        if s[0]["servers"].as_array().is_some_and(|a| !a.is_empty()) {
            break s;
        }
        assert!(Instant::now() < deadline, "no servers: {s}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(servers[0]["index"], "1");
    for s in servers[0]["servers"].as_array().unwrap() {
        assert_eq!(s["uri"], url.as_str());
        assert_eq!(s["currentUri"], url.as_str());
        assert!(s["downloadSpeed"].as_str().unwrap().parse::<u64>().is_ok(), "{s}");
    }
    rpc.call("aria2.forcePause", vec![json!(gid)]).unwrap();
    rpc.wait_status(&gid, "paused");
    let e = rpc.call("aria2.getServers", vec![json!(gid)]).unwrap_err();
    assert_eq!(e["message"], format!("No active download for GID#{gid}"));
}
each_rpc!(an_active_download_lists_its_connections);

/// The words of aria2's refusals, which clients show as they are (aria2p's
/// command line prints them): a gid that is not one, a pause or unpause
/// that cannot be, a result that cannot be removed.
fn refusals_are_in_aria2_s_words(rpc: &Rpc) {
    let server = TestServer::start();
    let e = rpc
        .call("aria2.tellStatus", vec![json!("invalid gid")])
        .unwrap_err();
    assert_eq!(e, json!({"code": 1, "message": "Invalid GID invalid gid"}));
    let e = rpc
        .call("aria2.tellStatus", vec![json!("00000000000000ff")])
        .unwrap_err();
    assert_eq!(
        e,
        json!({"code": 1, "message": "GID 00000000000000ff is not found"})
    );
    let url = server.url("/words/a.bin?size=10");
    let gid = rpc.add(json!([url]), json!({"pause": "true"})).unwrap();
    let e = rpc.call("aria2.pause", vec![json!(gid)]).unwrap_err();
    assert_eq!(e["message"], format!("GID#{gid} cannot be paused now"));
    let e = rpc
        .call("aria2.removeDownloadResult", vec![json!(gid)])
        .unwrap_err();
    assert_eq!(
        e["message"],
        format!("Could not remove download result of GID#{gid}")
    );
    rpc.call("aria2.unpause", vec![json!(gid)]).unwrap();
    rpc.wait_status(&gid, "complete");
    let e = rpc.call("aria2.unpause", vec![json!(gid)]).unwrap_err();
    assert_eq!(e["message"], format!("GID#{gid} cannot be unpaused now"));
}
each_rpc!(refusals_are_in_aria2_s_words);
