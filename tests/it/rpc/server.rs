//! fanout's aria2-compatible RPC server, spoken to as browser extensions,
//! web front ends and aria2 libraries speak to it: JSON-RPC over HTTP and
//! over a WebSocket, against a real window (on a thread of its own, see
//! `support::window`) serving on 127.0.0.1, downloading from the loopback
//! test server.
//!
//! The round trip with fanout's own aria2 engine is in the `aria2` tests
//! (`each_daemon!`); the test with aria2p, an aria2 client library fanout
//! did not write, needs `python3 -m pip install aria2p` (skipped with a
//! message without it, failed in CI).

use crate::support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use fanout::gui::Action;
use fanout::rpc::RefusalReason;
use fanout::service::model::TaskState;
use serde_json::{Value, json};
use support::serve::Serve;
use support::window::Window;
use support::{TestServer, body_for};

/// POSTs `body` to the window's `/jsonrpc`; the status and the JSON answer.
fn post(w: &dyn Face, body: &Value) -> (u16, Value) {
    let r = support::http_client()
        .post(w.url())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    (
        r.status().as_u16(),
        serde_json::from_slice(&r.bytes().unwrap()).unwrap(),
    )
}

/// One call with the right token; its `result`, or the `error` as `Err`.
fn call(w: &dyn Face, method: &str, params: Vec<Value>) -> Result<Value, Value> {
    let mut all = vec![json!(format!("token:{}", w.secret()))];
    all.extend(params);
    let (_, v) = post(
        w,
        &json!({"jsonrpc": "2.0", "id": "t", "method": method, "params": all}),
    );
    match v.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(v["result"].clone()),
    }
}

fn rows(w: &dyn Face) -> usize {
    w.rows()
}

/// The two faces that serve the RPC over one downloads service: the
/// window (in-process) and `fanout serve` (the real binary, no display).
trait Face {
    fn url(&self) -> String;
    fn secret(&self) -> String;
    fn port(&self) -> u16;
    /// Where its downloads go.
    fn folder(&self) -> std::path::PathBuf;
    /// Downloads listed (the window's rows; what the service's RPC lists).
    fn rows(&self) -> usize;
    /// A result removed over RPC keeps its row (the window's list).
    fn keeps_removed_rows(&self) -> bool {
        false
    }
}

impl Face for Window {
    fn url(&self) -> String {
        Window::url(self)
    }
    fn secret(&self) -> String {
        self.secret.clone()
    }
    fn port(&self) -> u16 {
        self.port
    }
    fn folder(&self) -> std::path::PathBuf {
        Window::folder(self)
    }
    fn rows(&self) -> usize {
        self.with(|app| app.core().model.rows.len())
    }
    fn keeps_removed_rows(&self) -> bool {
        true
    }
}

impl Face for Serve {
    fn url(&self) -> String {
        Serve::url(self)
    }
    fn secret(&self) -> String {
        self.secret.clone()
    }
    fn port(&self) -> u16 {
        self.port
    }
    fn folder(&self) -> std::path::PathBuf {
        Serve::folder(self)
    }
    fn rows(&self) -> usize {
        let n = |method: &str, params: Value| self.call(method, params).unwrap().as_array().unwrap().len();
        n("aria2.tellActive", json!([]))
            + n("aria2.tellWaiting", json!([0, 100000]))
            + n("aria2.tellStopped", json!([0, 100000]))
    }
}

/// One `#[test]` per face from one body `fn NAME(w: &dyn Face)`.
macro_rules! each_face {
    ($body:ident) => {
        mod $body {
            #[test]
            fn fanout_window() {
                super::$body(&super::Window::start())
            }

            #[test]
            fn fanout_serve() {
                super::$body(&super::Serve::start())
            }
        }
    };
}

/// Polls `tellStatus` until the download's status is `want`.
fn wait_status(w: &dyn Face, gid: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = call(w, "aria2.tellStatus", vec![json!(gid)]).unwrap();
        if s["status"] == want {
            return s;
        }
        assert!(Instant::now() < deadline, "{gid} never became {want}: {s}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn a_wrong_or_missing_token_is_unauthorized_and_adds_nothing(w: &dyn Face) {
    let server = TestServer::start();
    let add = |params: Value| {
        post(
            w,
            &json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.addUri", "params": params}),
        )
    };
    for params in [
        json!(["token:wrong", [server.url("/a")]]),
        json!([[server.url("/a")]]),
        json!([]),
        json!([7, [server.url("/a")]]),
    ] {
        let (status, v) = add(params.clone());
        assert_eq!(status, 400, "{params}");
        assert_eq!(
            v["error"],
            json!({"code": 1, "message": "Unauthorized"}),
            "{params}"
        );
        assert_eq!(v["id"], json!(1));
    }
    assert_eq!(rows(w), 0);
    assert_eq!(server.requests(), 0);
    // The lists need no token.
    let (status, v) = post(
        w,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "system.listMethods"}),
    );
    assert_eq!(status, 200);
    let methods = v["result"].as_array().unwrap();
    for m in [
        "aria2.addUri",
        "aria2.tellStatus",
        "aria2.changeGlobalOption",
        "system.multicall",
    ] {
        assert!(methods.contains(&json!(m)), "{m} not listed");
    }
    let (_, v) = post(
        w,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "system.listNotifications"}),
    );
    assert!(
        v["result"]
            .as_array()
            .unwrap()
            .contains(&json!("aria2.onDownloadComplete"))
    );
}
each_face!(a_wrong_or_missing_token_is_unauthorized_and_adds_nothing);

fn a_batch_and_a_multicall_answer_each_call_in_its_place(w: &dyn Face) {
    let server = TestServer::start();
    let token = json!(format!("token:{}", w.secret()));
    let url = server.url("/batch/a.bin?size=3000");
    let (status, v) = post(
        w,
        &json!([
            {"jsonrpc": "2.0", "id": "v", "method": "aria2.getVersion", "params": [token]},
            {"jsonrpc": "2.0", "id": "add", "method": "aria2.addUri", "params": [token, [url]]},
            {"jsonrpc": "2.0", "id": "bad", "method": "aria2.tellStatus", "params": [token, "0000000000000000"]},
            {"jsonrpc": "2.0", "id": 0, "method": "aria2.nope", "params": [token]},
        ]),
    );
    assert_eq!(status, 200);
    let answers = v.as_array().unwrap();
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["id"], "v");
    assert!(answers[0]["result"]["version"].is_string());
    let gid = answers[1]["result"].as_str().unwrap().to_string();
    assert_eq!(gid.len(), 16);
    assert!(gid.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(answers[2]["error"]["code"], 1);
    assert_eq!(answers[3]["id"], 0);
    assert_eq!(answers[3]["error"]["code"], -32601);
    let done = wait_status(w, &gid, "complete");
    // Every number is a string.
    assert_eq!(done["totalLength"], "3000");
    assert_eq!(done["completedLength"], "3000");
    assert!(std::fs::read(w.folder().join("a.bin")).unwrap() == body_for("/batch/a.bin", 3000));

    // A multicall: each nested call carries its own token; successes come
    // wrapped in a one-element array, failures inline.
    let calls = json!([[
        {"methodName": "aria2.tellStatus", "params": [token, gid, ["gid", "status"]]},
        {"methodName": "aria2.tellStatus", "params": ["token:wrong", gid]},
        {"methodName": "aria2.getGlobalStat", "params": [token]},
        {"methodName": "system.multicall", "params": [[]]},
    ]]);
    let (_, v) = post(
        w,
        &json!({"jsonrpc": "2.0", "id": "m", "method": "system.multicall", "params": calls}),
    );
    let r = v["result"].as_array().unwrap();
    assert_eq!(r[0], json!([{"gid": gid, "status": "complete"}]));
    assert_eq!(r[1], json!({"code": 1, "message": "Unauthorized"}));
    assert_eq!(r[2][0]["numStopped"], "1");
    assert_eq!(r[2][0]["numActive"], "0");
    assert_eq!(r[3]["code"], 1);
}
each_face!(a_batch_and_a_multicall_answer_each_call_in_its_place);

fn stopped_downloads_page_as_aria2_pages_them(w: &dyn Face) {
    let server = TestServer::start();
    // They end in the order added (each answers later than the one before).
    let gids: Vec<String> = (0..4)
        .map(|i| {
            let url = server.url(&format!("/page/{i}.bin?size=100&latency={}", 100 + i * 150));
            call(w, "aria2.addUri", vec![json!([url])])
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for g in &gids {
        wait_status(w, g, "complete");
    }
    let page = |offset: i64, num: i64| -> Vec<String> {
        let v = call(
            w,
            "aria2.tellStopped",
            vec![json!(offset), json!(num), json!(["gid"])],
        )
        .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["gid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(page(0, 10), gids);
    assert_eq!(page(1, 2), gids[1..3]);
    // A negative offset counts from the end, going backwards.
    assert_eq!(page(-1, 2), vec![gids[3].clone(), gids[2].clone()]);
    // A removed result leaves the list (the row stays in the window).
    assert_eq!(
        call(w, "aria2.removeDownloadResult", vec![json!(gids[0])]).unwrap(),
        "OK"
    );
    assert_eq!(page(0, 10), gids[1..]);
    assert_eq!(rows(w), if w.keeps_removed_rows() { 4 } else { 3 });
    assert_eq!(call(w, "aria2.purgeDownloadResult", vec![]).unwrap(), "OK");
    assert!(page(0, 10).is_empty());
}
each_face!(stopped_downloads_page_as_aria2_pages_them);

fn preflight_and_every_answer_carry_cors_headers(w: &dyn Face) {
    let client = support::http_client();
    let pre = client
        .request(reqwest::Method::OPTIONS, w.url())
        .header("Origin", "http://127.0.0.1:6880")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type,x-requested-with")
        .send()
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert_eq!(h["access-control-allow-headers"], "content-type,x-requested-with");
    // A form-encoded post with no preflight (as some extensions send).
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.getVersion", "params": [format!("token:{}", w.secret())]});
    let r = client
        .post(w.url())
        .header("Origin", "moz-extension://1234")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // Errors carry them too.
    let r = client.post(w.url()).body("{nope").send().unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}
each_face!(preflight_and_every_answer_carry_cors_headers);

/// Sends raw bytes and reads what comes back before the server closes (or
/// a second passes).
fn raw(w: &dyn Face, request: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", w.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.windows(4).any(|x| x == b"\r\n\r\n") && String::from_utf8_lossy(&out).contains('}') {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn a_host_that_is_not_this_machine_is_refused(w: &dyn Face) {
    let server = TestServer::start();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.addUri",
        "params": [format!("token:{}", w.secret()), [server.url("/rebind.bin")]]})
    .to_string();
    let request = |host: &str| {
        format!(
            "POST /jsonrpc HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    // A page on a name rebound to 127.0.0.1 is refused, token or not.
    let answer = raw(w, request(&format!("evil.example:{}", w.port())).as_bytes());
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert_eq!(rows(w), 0);
    let answer = raw(w, request(&format!("localhost:{}", w.port())).as_bytes());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(rows(w), 1);
}
each_face!(a_host_that_is_not_this_machine_is_refused);

fn oversized_and_malformed_bodies_get_errors_and_the_server_goes_on(w: &dyn Face) {
    // Declared too big: answered at once, the body never read.
    let answer = raw(
        w,
        format!(
            "POST /jsonrpc HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{{",
            w.port()
        )
        .as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Too big without saying so (chunked): stopped at the cap.
    let big = format!("[{}]", vec!["1"; 5 << 20].join(","));
    let r = support::http_client()
        .post(w.url())
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            big.into_bytes(),
        )))
        .send();
    // Refused; the server may close before the client has sent it all.
    match r {
        Ok(r) => assert_eq!(r.status(), 413),
        Err(e) => assert!(e.is_body() || e.is_request(), "{e:?}"),
    }
    // Bad JSON, an unknown method, bad params: each its code.
    let r = support::http_client()
        .post(w.url())
        .body("{\"id\": 1, nope")
        .send()
        .unwrap();
    assert_eq!(r.status(), 500);
    let v: Value = serde_json::from_slice(&r.bytes().unwrap()).unwrap();
    assert_eq!(
        (v["id"].clone(), v["error"]["code"].clone()),
        (Value::Null, json!(-32700))
    );
    assert_eq!(call(w, "aria2.fly", vec![]).unwrap_err()["code"], -32601);
    assert_eq!(
        call(w, "aria2.addUri", vec![json!("http://x/")]).unwrap_err()["code"],
        -32602
    );
    assert_eq!(
        call(w, "aria2.addUri", vec![json!([]), json!({})]).unwrap_err()["code"],
        -32602
    );
    let bad_header = call(
        w,
        "aria2.addUri",
        vec![json!(["http://127.0.0.1:9/x"]), json!({"header": "Bad Name: 1"})],
    );
    assert_eq!(bad_header.unwrap_err()["code"], -32602);
    assert_eq!(rows(w), 0);
    // And it still serves.
    assert!(call(w, "aria2.getVersion", vec![]).unwrap()["version"].is_string());
    // A torrent that is not one is refused with aria2's error shape.
    let e = call(w, "aria2.addTorrent", vec![json!("ZGF0YQ==")]).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("not a torrent"), "{e}");
    assert_eq!(e["code"], 1);
    assert_eq!(rows(w), 0);
}
each_face!(oversized_and_malformed_bodies_get_errors_and_the_server_goes_on);

#[test]
fn what_an_extension_sends_reaches_the_server_and_the_file() {
    let w = Window::start();
    let server = TestServer::start();
    let path = "/ext/download?id=7&size=5000";
    let options = json!({
        "header": ["Cookie: session=s3cr3t", "X-Fanout-Test: yes"],
        "referer": "https://example.org/page",
        "user-agent": "TestBrowser/1.0",
        "out": "named.bin",
        "dir": "sub",
        "lowest-speed-limit": "0",
    });
    let gid = call(&w, "aria2.addUri", vec![json!([server.url(path)]), options])
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let s = wait_status(&w, &gid, "complete");
    let file = w.folder().join("sub").join("named.bin");
    assert!(std::fs::read(&file).unwrap() == body_for("/ext/download", 5000));
    assert_eq!(s["files"][0]["path"], file.display().to_string());
    assert_eq!(s["dir"], w.folder().join("sub").display().to_string());
    let heads = server.headers_for("/ext/download");
    let h = heads.last().unwrap();
    assert_eq!(h["cookie"], "session=s3cr3t");
    assert_eq!(h["x-fanout-test"], "yes");
    assert_eq!(h["referer"], "https://example.org/page");
    assert_eq!(h["user-agent"], "TestBrowser/1.0");
    // The row says what was not used, and keeps the cookie out of its log
    // and of Debug.
    let (log, shown) = w.with(|app| {
        let row = &app.core().model.rows[0];
        (
            row.notes().map(|n| n.to_string()).collect::<Vec<_>>(),
            format!("{:?}", row.options),
        )
    });
    assert!(log.iter().any(|l| l.contains("lowest-speed-limit")), "{log:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    // getOption gives them back as aria2 does.
    let o = call(&w, "aria2.getOption", vec![json!(gid)]).unwrap();
    assert_eq!(o["out"], "named.bin");
}

/// A WebSocket client of the window's RPC.
struct Socket(tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>);

impl Socket {
    fn open(w: &Window) -> Socket {
        let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{}/jsonrpc", w.port)).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        }
        Socket(ws)
    }

    fn send(&mut self, v: Value) {
        self.0.send(tungstenite::Message::text(v.to_string())).unwrap();
    }

    fn next(&mut self) -> Value {
        loop {
            match self.0.read().unwrap() {
                tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                tungstenite::Message::Binary(b) => return serde_json::from_slice(&b).unwrap(),
                _ => {}
            }
        }
    }

    /// The next notification for `gid` (others are skipped), with the
    /// answers that arrive meanwhile.
    fn notification(&mut self, gid: &str) -> String {
        loop {
            let v = self.next();
            if v["params"][0]["gid"] == gid {
                return v["method"].as_str().unwrap().to_string();
            }
        }
    }

    /// Calls over the socket; the answer (notifications before it skipped).
    fn call(&mut self, w: &Window, id: &str, method: &str, params: Vec<Value>) -> Value {
        let mut all = vec![json!(format!("token:{}", w.secret()))];
        all.extend(params);
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": all}));
        loop {
            let v = self.next();
            if v["id"] == id {
                return v;
            }
        }
    }
}

#[test]
fn a_websocket_carries_calls_and_notifications_in_order() {
    let w = Window::start();
    let server = TestServer::start();
    let mut ws = Socket::open(&w);
    let ok = ws.call(
        &w,
        "1",
        "aria2.addUri",
        vec![json!([server.url("/ws/ok.bin?size=2000&latency=200")])],
    );
    let ok = ok["result"].as_str().unwrap().to_string();
    assert_eq!(ws.notification(&ok), "aria2.onDownloadStart");
    assert_eq!(ws.notification(&ok), "aria2.onDownloadComplete");
    let gone = ws.call(
        &w,
        "2",
        "aria2.addUri",
        vec![json!([server.url("/ws/gone.bin?status=404")])],
    );
    let gone = gone["result"].as_str().unwrap().to_string();
    assert_eq!(ws.notification(&gone), "aria2.onDownloadStart");
    assert_eq!(ws.notification(&gone), "aria2.onDownloadError");
    let s = call(
        &w,
        "aria2.tellStatus",
        vec![json!(gone), json!(["errorCode", "status"])],
    )
    .unwrap();
    assert_eq!(s, json!({"status": "error", "errorCode": "3"}));

    // Paused in the window: the client is told, and tellStatus says so.
    let slow = ws.call(
        &w,
        "3",
        "aria2.addUri",
        vec![json!([server.url("/ws/slow.bin?size=3000000&pace=20")])],
    );
    let slow = slow["result"].as_str().unwrap().to_string();
    assert_eq!(ws.notification(&slow), "aria2.onDownloadStart");
    let index = w.with(|app| app.core().model.rows.len() - 1);
    w.with(move |app| app.perform(Action::Pause(vec![index])));
    assert_eq!(ws.notification(&slow), "aria2.onDownloadPause");
    assert_eq!(
        call(&w, "aria2.tellStatus", vec![json!(slow), json!(["status"])]).unwrap()["status"],
        "paused"
    );
    // Unpaused by the client: it starts again, in the window too.
    assert_eq!(
        ws.call(&w, "4", "aria2.unpause", vec![json!(slow)])["result"],
        json!(slow)
    );
    assert_eq!(ws.notification(&slow), "aria2.onDownloadStart");
    // Removed by the client: cancelled in the window.
    assert_eq!(
        ws.call(&w, "5", "aria2.forceRemove", vec![json!(slow)])["result"],
        json!(slow)
    );
    assert_eq!(ws.notification(&slow), "aria2.onDownloadStop");
    let state = w.with(move |app| app.core().model.rows[index].state.clone());
    assert_eq!(state, TaskState::Cancelled);
    assert_eq!(
        call(&w, "aria2.tellStatus", vec![json!(slow), json!(["status"])]).unwrap()["status"],
        "removed"
    );
}

#[test]
fn position_and_change_position_order_the_waiting_line() {
    // One at a time, so the order they end in is the order they started.
    let w = Window::start_with(|s| s.async_limit = 1);
    let server = TestServer::start();
    w.with(|app| app.perform(Action::QueuePaused(true)));
    let add = |name: &str, position: Option<i64>| {
        let mut p = vec![json!([server.url(&format!("/line/{name}"))]), json!({})];
        if let Some(pos) = position {
            p.push(json!(pos));
        }
        call(&w, "aria2.addUri", p).unwrap().as_str().unwrap().to_string()
    };
    let a = add("a", None);
    let b = add("b", None);
    let c = add("c", None);
    let d = add("d", Some(0));
    let waiting = || -> Vec<String> {
        let v = call(&w, "aria2.tellWaiting", vec![json!(0), json!(10), json!(["gid"])]).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["gid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(waiting(), [d.clone(), a.clone(), b.clone(), c.clone()]);
    assert_eq!(
        call(
            &w,
            "aria2.changePosition",
            vec![json!(c), json!(0), json!("POS_SET")]
        )
        .unwrap(),
        json!(0)
    );
    assert_eq!(waiting(), [c.clone(), d.clone(), a.clone(), b.clone()]);
    assert_eq!(
        call(
            &w,
            "aria2.changePosition",
            vec![json!(c), json!(1), json!("POS_CUR")]
        )
        .unwrap(),
        json!(1)
    );
    assert_eq!(
        call(
            &w,
            "aria2.changePosition",
            vec![json!(a), json!(0), json!("POS_END")]
        )
        .unwrap(),
        json!(3)
    );
    assert_eq!(waiting(), [d.clone(), c.clone(), b.clone(), a.clone()]);
    // A paused one keeps its place in the list, as in aria2.
    assert_eq!(call(&w, "aria2.pause", vec![json!(d)]).unwrap(), json!(d));
    wait_status(&w, &d, "paused");
    assert_eq!(waiting(), [d.clone(), c.clone(), b.clone(), a.clone()]);
    // The line starts in that order.
    w.with(|app| app.perform(Action::QueuePaused(false)));
    for g in [&c, &b, &a] {
        wait_status(&w, g, "complete");
    }
    let order: Vec<Option<usize>> = w.with(|app| app.core().model.rows.iter().map(|r| r.rank).collect());
    assert_eq!(
        order,
        [Some(3), Some(2), Some(1), None],
        "c, b, a started in that order"
    );
}

#[test]
fn global_options_a_front_end_sets_change_the_settings() {
    // A proxy password the keyring gave the window at start: a call that
    // changes other settings must not lose it.
    let (w, serving) =
        Window::open_keeping(&[(fanout::platform::secrets::PROXY_PASSWORD, "pw-kept")], |_| {});
    serving.unwrap();
    while w.with(|app| app.settings().proxy_password.0.is_empty()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let changed = call(
        &w,
        "aria2.changeGlobalOption",
        vec![json!({
            "max-concurrent-downloads": "3",
            "max-overall-download-limit": "1M",
            "dir": elsewhere.path().display().to_string(),
        })],
    );
    assert_eq!(changed.unwrap(), "OK");
    // An option fanout does not apply is refused by name, not answered OK.
    let refused = call(
        &w,
        "aria2.changeGlobalOption",
        vec![json!({"bt-max-peers": "55"})],
    );
    assert_eq!(
        refused.unwrap_err()["message"],
        "fanout does not apply the option '--bt-max-peers': nothing was changed"
    );
    // The service has them at once; the window shows them from its next
    // frame (and saves them).
    let wanted = (3, 1024, elsewhere.path().to_path_buf());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let shown = w.with(|app| {
            (
                app.settings().async_limit,
                app.settings().speed_limit_kib,
                app.settings().download_dir.clone(),
            )
        });
        if shown == wanted {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let g = call(&w, "aria2.getGlobalOption", vec![]).unwrap();
    assert_eq!(g["max-concurrent-downloads"], "3");
    assert_eq!(g["max-overall-download-limit"], "1048576");
    assert_eq!(g["dir"], elsewhere.path().display().to_string());
    assert_eq!(w.with(|app| app.settings().proxy_password.0.clone()), "pw-kept");
    let kept = fanout::platform::secrets::Secrets::in_dir(w.config.path(), false);
    assert_eq!(
        kept.get(fanout::platform::secrets::PROXY_PASSWORD)
            .unwrap()
            .0
            .as_deref(),
        Some("pw-kept")
    );
}

#[test]
fn ask_first_holds_downloads_from_other_programs_until_started() {
    let w = Window::start_with(|s| s.rpc.ask = true);
    let server = TestServer::start();
    let gid = call(
        &w,
        "aria2.addUri",
        vec![json!([server.url("/ask/a.bin?size=100")])],
    )
    .unwrap();
    let gid = gid.as_str().unwrap().to_string();
    wait_status(&w, &gid, "paused");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.requests(), 0, "started before the user said so");
    w.with(|app| app.perform(Action::Resume(vec![0])));
    wait_status(&w, &gid, "complete");
}

#[test]
fn changing_where_it_listens_restarts_it_on_the_same_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = Window::start_with(move |s| s.rpc.port = port);
    assert_eq!(w.port, port);
    // Another address beside loopback: the server restarts on the same
    // port at once (the old one let it go first).
    let mut before = Socket::open(&w);
    // (The settings apply at the end of the next frame.)
    w.with(|app| app.settings_mut().rpc.listen = "127.0.0.2".into());
    // The old server is gone: its WebSocket is closed.
    loop {
        match before.0.read() {
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("the old server still holds its WebSocket open")
            }
            Ok(tungstenite::Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, served) = w.with(|app| (app.rpc_status(), app.rpc_port()));
        if served == Some(port) && status.as_ref().is_some_and(|(_, bad)| !bad) {
            break;
        }
        assert!(Instant::now() < deadline, "not serving again: {status:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(call(&w, "aria2.getVersion", vec![]).is_ok());
}

#[test]
fn a_taken_port_is_said_and_the_window_still_works() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (w, serving) = Window::open(move |s| s.rpc.port = port);
    assert!(serving.is_err(), "served on a taken port");
    let said = w.with(|app| app.rpc_status());
    let (text, bad) = said.unwrap();
    assert!(bad && text.contains(&format!("port {port} is taken")), "{text}");
    // Downloads still work from the window.
    let server = TestServer::start();
    let url = server.url("/taken/a.bin?size=10");
    w.with(move |app| app.perform(Action::Add(vec![(url, Default::default())])));
    let deadline = Instant::now() + Duration::from_secs(20);
    while w.with(|app| app.core().model.rows[0].state != TaskState::Done) {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn aria2p_an_aria2_library_fanout_did_not_write_drives_it(w: &dyn Face) {
    if !support::programs::have_aria2p() {
        return;
    }
    let server = TestServer::start();
    let url = server.url("/p/lib.bin?size=70000");
    let script = r#"
import sys, time, aria2p
port, secret, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=port, secret=secret))
d = api.add_uris([url], options={"out": "via-aria2p.bin"})
deadline = time.time() + 20
while not d.is_complete:
    assert time.time() < deadline, d.status
    time.sleep(0.05)
    d.update()
names = [x.name for x in api.get_downloads()]
print(d.status, d.total_length, d.completed_length, d.name, ",".join(names))
"#;
    let stdout = support::programs::aria2p(script, &[&w.port().to_string(), &w.secret(), &url]);
    assert_eq!(
        stdout.trim(),
        "complete 70000 70000 via-aria2p.bin via-aria2p.bin"
    );
    assert!(std::fs::read(w.folder().join("via-aria2p.bin")).unwrap() == body_for("/p/lib.bin", 70000));
}
each_face!(aria2p_an_aria2_library_fanout_did_not_write_drives_it);

/// An aria2-speaking daemon's `/jsonrpc` and secret: aria2c itself or a
/// fanout window, for one test body to hold fanout to what aria2 does.
struct Rpc {
    url: String,
    secret: String,
}

impl Rpc {
    fn of_window(w: &Window) -> Rpc {
        Rpc {
            url: w.url(),
            secret: w.secret.clone(),
        }
    }

    fn of_serve(s: &Serve) -> Rpc {
        Rpc {
            url: s.url(),
            secret: s.secret.clone(),
        }
    }

    fn of_daemon(d: &support::aria2::Daemon) -> Rpc {
        Rpc {
            url: d.url.clone(),
            secret: d.secret.clone(),
        }
    }

    fn port(&self) -> u16 {
        url::Url::parse(&self.url).unwrap().port().unwrap()
    }

    fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, Value> {
        let mut all = vec![json!(format!("token:{}", self.secret))];
        all.extend(params);
        let body = json!({"jsonrpc": "2.0", "id": "t", "method": method, "params": all});
        let r = support::http_client()
            .post(&self.url)
            .body(body.to_string())
            .send()
            .unwrap();
        let v: Value = serde_json::from_slice(&r.bytes().unwrap()).unwrap();
        match v.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(v["result"].clone()),
        }
    }

    fn add(&self, url: &str) -> String {
        let gid = self.call("aria2.addUri", vec![json!([url])]).unwrap();
        gid.as_str().unwrap().to_string()
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
            assert!(
                Instant::now() < deadline,
                "{gid} never became {want}: {}",
                self.status(gid)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `tellWaiting`, each by its name in `names`, `:paused` after a
    /// paused one.
    fn line(&self, names: &[(&str, &str)]) -> Vec<String> {
        let v = self
            .call(
                "aria2.tellWaiting",
                vec![json!(0), json!(100), json!(["gid", "status"])],
            )
            .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let name = names.iter().find(|(g, _)| d["gid"] == *g).map_or("?", |(_, n)| n);
                match d["status"].as_str().unwrap() {
                    "waiting" => name.to_string(),
                    other => format!("{name}:{other}"),
                }
            })
            .collect()
    }
}

/// One `#[test]` per daemon, as `each_daemon!`, with one download at a
/// time on each (the window and `fanout serve` from their start, aria2c
/// through its option).
macro_rules! one_at_a_time {
    ($body:ident) => {
        mod $body {
            use super::*;

            #[test]
            fn aria2c() {
                if let Some(d) = support::aria2::Daemon::start() {
                    let rpc = Rpc::of_daemon(&d);
                    let one = json!({"max-concurrent-downloads": "1"});
                    assert_eq!(
                        rpc.call("aria2.changeGlobalOption", vec![one]).unwrap(),
                        "OK"
                    );
                    super::$body(&rpc)
                }
            }

            #[test]
            fn fanout_window() {
                let w = Window::start_with(|s| s.async_limit = 1);
                super::$body(&Rpc::of_window(&w))
            }

            #[test]
            fn fanout_serve() {
                let s = Serve::start_with(&["-e", "async", "-j", "1"]);
                super::$body(&Rpc::of_serve(&s))
            }
        }
    };
}

/// What AriaNg's drag-to-reorder does: a paused download stays in the
/// waiting list where it stood, moves in it like a queued one (places
/// count queued and paused ones alike, the answer a JSON number), and
/// once resumed starts from its new place; a download paused while it ran
/// waits at the head. Measured against aria2c 1.36.
fn a_paused_download_keeps_and_changes_its_place_in_the_waiting_list(rpc: &Rpc) {
    let server = TestServer::start();
    // Holds the one slot until paused (it sends a byte, then nothing).
    let blocker = rpc.add(&server.url("/pl/blocker.bin?size=1000000&stall=1"));
    rpc.wait_status(&blocker, "active");
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|n| rpc.add(&server.url(&format!("/pl/{n}.bin?size=100"))));
    let names = [
        (blocker.as_str(), "blocker"),
        (a.as_str(), "a"),
        (b.as_str(), "b"),
        (c.as_str(), "c"),
        (d.as_str(), "d"),
    ];
    let line = || rpc.line(&names);
    let move_c = |pos: i64, how: &str| {
        rpc.call("aria2.changePosition", vec![json!(c), json!(pos), json!(how)])
            .unwrap()
    };
    assert_eq!(line(), ["a", "b", "c", "d"]);
    assert_eq!(rpc.call("aria2.pause", vec![json!(c)]).unwrap(), json!(c));
    assert_eq!(line(), ["a", "b", "c:paused", "d"]);
    assert_eq!(move_c(0, "POS_SET"), json!(0));
    assert_eq!(line(), ["c:paused", "a", "b", "d"]);
    assert_eq!(move_c(2, "POS_CUR"), json!(2));
    assert_eq!(line(), ["a", "b", "c:paused", "d"]);
    assert_eq!(move_c(0, "POS_END"), json!(3));
    assert_eq!(line(), ["a", "b", "d", "c:paused"]);
    assert_eq!(move_c(-2, "POS_CUR"), json!(1));
    assert_eq!(line(), ["a", "c:paused", "b", "d"]);
    // Past the head is the head.
    assert_eq!(move_c(-9, "POS_END"), json!(0));
    assert_eq!(move_c(1, "POS_SET"), json!(1));
    // A running download is not in the waiting list.
    let e = rpc
        .call(
            "aria2.changePosition",
            vec![json!(blocker), json!(0), json!("POS_SET")],
        )
        .unwrap_err();
    assert_eq!(
        e,
        json!({"code": 1, "message": format!("GID#{blocker} not found in the waiting queue.")})
    );
    assert_eq!(rpc.call("aria2.unpause", vec![json!(c)]).unwrap(), json!(c));
    assert_eq!(line(), ["a", "c", "b", "d"]);
    // Paused while it ran: first in the list, the others start after it.
    assert_eq!(
        rpc.call("aria2.forcePause", vec![json!(blocker)]).unwrap(),
        json!(blocker)
    );
    rpc.wait_status(&blocker, "paused");
    assert_eq!(line()[0], "blocker:paused");
    for g in [&a, &b, &c, &d] {
        rpc.wait_status(g, "complete");
    }
    assert_eq!(line(), ["blocker:paused"]);
    let stopped = rpc
        .call("aria2.tellStopped", vec![json!(0), json!(100), json!(["gid"])])
        .unwrap();
    let order: Vec<&str> = stopped
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| names.iter().find(|(g, _)| s["gid"] == *g).map(|(_, n)| *n))
        .collect();
    assert_eq!(order, ["a", "c", "b", "d"], "the order they ended in");
}
one_at_a_time!(a_paused_download_keeps_and_changes_its_place_in_the_waiting_list);

/// The same with aria2p, a library fanout did not write: its `move_*`
/// calls on a paused download give back an `int`, and `get_downloads`
/// lists it in its place.
fn aria2p_moves_a_paused_download(rpc: &Rpc) {
    if !support::programs::have_aria2p() {
        return;
    }
    let server = TestServer::start();
    let script = r#"
import sys, time, aria2p
port, secret, base = int(sys.argv[1]), sys.argv[2], sys.argv[3]
api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=port, secret=secret))
def wait(d, status):
    deadline = time.time() + 20
    while d.status != status:
        assert time.time() < deadline, (d.name, d.status)
        time.sleep(0.02)
        d.update()
blocker = api.add_uris([base + "/blocker.bin?size=1000000&stall=1"])
wait(blocker, "active")
a, b, c = [api.add_uris([f"{base}/{n}.bin?size=100"]) for n in "abc"]
names = {blocker.gid: "blocker", a.gid: "a", b.gid: "b", c.gid: "c"}
def line():
    return " ".join(
        names[d.gid] + ("" if d.status == "waiting" else ":" + d.status)
        for d in api.get_downloads() if d.status in ("waiting", "paused"))
assert all(r is True for r in api.pause([b]))
b.update()
wait(b, "paused")
print(repr(api.move_to_top(b)), line())
print(repr(api.move_down(b)), line())
print(repr(api.move_to_bottom(b)), line())
print(repr(api.move_up(b, 2)), line())
assert all(r is True for r in api.resume([b]))
api.remove([blocker], force=True)
for d in (a, b, c):
    wait(d, "complete")
print("done", line() or "-")
ended = [names.get(s["gid"]) for s in api.client.tell_stopped(0, 100, ["gid"])]
print("ended", *[n for n in ended if n in ("a", "b", "c")])
"#;
    let stdout = support::programs::aria2p(
        script,
        &[&rpc.port().to_string(), &rpc.secret, &server.url("/pp")],
    );
    assert_eq!(
        stdout.trim(),
        "0 b:paused a c\n1 a b:paused c\n2 a c b:paused\n0 b:paused a c\ndone -\nended b a c"
    );
}
one_at_a_time!(aria2p_moves_a_paused_download);

/// The log lines of this test binary (the server logs on its own thread,
/// so the subscriber is the global one).
fn captured_log() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let to = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("fanout::rpc=warn")
            .with_ansi(false)
            .with_writer(move || Sink(to.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
    .clone()
}

#[test]
fn refused_calls_are_counted_with_their_reason_and_origin_and_logged_without_the_token() {
    let log = captured_log();
    let (owner, _calls) = crossbeam_channel::unbounded();
    let secret = "the-real-secret";
    let server = fanout::rpc::Server::start(
        &fanout::rpc::Listen::loopback(0),
        secret,
        "session".into(),
        owner,
        std::sync::Arc::new(|| {}),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{}/jsonrpc", server.port());
    assert_eq!(server.refusals(), None);
    let post = |origin: Option<&str>, body: Value| {
        let mut r = support::http_client().post(&url).body(body.to_string());
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        let r = r.send().unwrap();
        (
            r.status().as_u16(),
            serde_json::from_slice::<Value>(&r.bytes().unwrap()).unwrap(),
        )
    };
    let version =
        |token: &str| json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.getVersion", "params": [token]});
    // Calls that pass are not counted; nor is one the lists need no token for.
    assert_eq!(post(None, version(&format!("token:{secret}"))).0, 200);
    let lists = json!({"jsonrpc": "2.0", "id": 1, "method": "system.listMethods"});
    assert_eq!(post(None, lists).0, 200);
    assert_eq!(server.refusals(), None);

    // A wrong secret over HTTP, from an extension.
    let (status, v) = post(Some("chrome-extension://abc"), version("token:guess-1234"));
    assert_eq!(
        (status, v["error"]["message"].clone()),
        (400, json!("Unauthorized"))
    );
    let r = server.refusals().unwrap();
    assert_eq!(
        (r.count, r.last_reason, r.last_origin.as_deref()),
        (1, RefusalReason::WrongSecret, Some("chrome-extension://abc"))
    );
    assert_eq!(
        r.to_string(),
        "1 call refused: wrong secret, from chrome-extension://abc"
    );
    assert!(r.last_at <= std::time::SystemTime::now());

    // No secret at all, from a script (no Origin).
    post(
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.tellActive"}),
    );
    let r = server.refusals().unwrap();
    assert_eq!(
        (r.count, r.last_reason, r.last_origin),
        (2, RefusalReason::NoSecret, None)
    );

    // Each nested call of a multicall is a call.
    let nested = json!([[
        {"methodName": "aria2.getVersion", "params": ["token:guess-5678"]},
        {"methodName": "aria2.getVersion", "params": [format!("token:{secret}")]},
        {"methodName": "aria2.tellActive", "params": ["token:guess-9"]},
    ]]);
    post(
        Some("moz-extension://m"),
        json!({"jsonrpc": "2.0", "id": 1, "method": "system.multicall", "params": nested}),
    );
    assert_eq!(server.refusals().unwrap().count, 4);

    // Over a WebSocket: its upgrade request's Origin.
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{}/jsonrpc", server.port())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Origin", "chrome-extension://socket".parse().unwrap());
    let (mut ws, _) = tungstenite::connect(request).unwrap();
    ws.send(tungstenite::Message::text(version("token:guess-ws").to_string()))
        .unwrap();
    let answer: Value = loop {
        if let tungstenite::Message::Text(t) = ws.read().unwrap() {
            break serde_json::from_str(t.as_str()).unwrap();
        }
    };
    assert_eq!(answer["error"]["message"], "Unauthorized");
    let r = server.refusals().unwrap();
    assert_eq!(
        (r.count, r.last_reason, r.last_origin.as_deref()),
        (5, RefusalReason::WrongSecret, Some("chrome-extension://socket"))
    );

    // A page on a rebound name, with the right secret even.
    let body = version(&format!("token:{secret}")).to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST /jsonrpc HTTP/1.1\r\nHost: evil.example:{}\r\nOrigin: http://evil.example\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.port(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    let r = server.refusals().unwrap();
    assert_eq!(
        (r.count, r.last_reason, r.last_origin.as_deref()),
        (6, RefusalReason::ForeignHost, Some("http://evil.example"))
    );
    assert_eq!(
        r.to_string(),
        "6 calls refused: Host is not this machine, from http://evil.example"
    );

    // One line said the first at once; the five after it, one line at the
    // period's end. (Other tests' servers log here too: theirs name no
    // such origin.)
    let ours = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                l.contains("refused") && (l.contains("extension://") || l.contains("http://evil.example"))
            })
            .map(str::to_string)
            .collect()
    };
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let lines = ours(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("wrong secret") && lines[0].contains("chrome-extension://abc"),
        "{text}"
    );
    let deadline = Instant::now() + fanout::rpc::refusals::LOG_EVERY + Duration::from_secs(5);
    let text = loop {
        let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
        if ours(&text).len() > 1 {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no line for the refusals after the first: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let lines = ours(&text);
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains("refused=5") && lines[1].contains("from http://evil.example"),
        "{text}"
    );
    // No secret, given or kept, is in the log.
    for secret in [secret, "guess"] {
        assert!(!text.contains(secret), "{text}");
    }
    let r = format!("{:?}", server.refusals());
    assert!(!r.contains("guess") && !r.contains(secret), "{r}");
}

/// A front end with a mistyped secret (AriaNg served on this machine;
/// Aria2 Explorer falls back to the browser the same way): the window says
/// why instead of saying nothing. (Not an extension's Origin: the log test
/// above counts those lines.)
#[test]
fn the_window_says_which_calls_it_refused_and_from_where() {
    let w = Window::start();
    assert_eq!(w.with(|app| app.rpc_refused()), None);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.getVersion", "params": ["token:typo"]});
    for _ in 0..3 {
        let r = support::http_client()
            .post(w.url())
            .header("Content-Type", "application/json")
            .header("Origin", "http://127.0.0.1:6880")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
    assert_eq!(
        w.with(|app| app.rpc_refused()).as_deref(),
        Some("3 calls refused: wrong secret, from http://127.0.0.1:6880")
    );
}
