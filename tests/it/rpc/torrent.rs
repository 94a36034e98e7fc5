//! The RPC's BitTorrent dialect, spoken to `fanout serve` (DHT off) as
//! aria2's clients speak it: `addTorrent` and magnets through `addUri`
//! with aria2p (an aria2 library fanout did not write; skipped without it,
//! failed in CI), and the fields, files, peers and options checked in
//! JSON. The torrent comes from the tests' own seeder, found through the
//! tests' own tracker; nothing leaves 127.0.0.1.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use support::serve::Serve;
use support::torrent::{NAME, Seeder, files};
use support::tracker::Tracker;

/// A seeder found through a tracker, and a service to leech from it.
struct Swarm {
    _tracker: Tracker,
    seeder: Seeder,
    serve: Serve,
}

fn swarm() -> Swarm {
    swarm_with(&[])
}

fn swarm_with(args: &[&str]) -> Swarm {
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let wait = Instant::now() + Duration::from_secs(10);
    while tracker.heard_from(seeder.addr.port()) == 0 {
        assert!(Instant::now() < wait, "the seeder never announced");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut all = vec!["--no-dht"];
    all.extend(args);
    let serve = Serve::start_with(&all);
    Swarm {
        _tracker: tracker,
        seeder,
        serve,
    }
}

impl Swarm {
    fn call(&self, method: &str, params: Value) -> Value {
        self.serve
            .call(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn status(&self, gid: &str) -> Value {
        self.call("aria2.tellStatus", json!([gid]))
    }

    /// Waits (60 s at most) until `gid`'s status satisfies `ok`; that status.
    fn until(&self, gid: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.status(gid);
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "{what}: {s:#}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn add_torrent(&self, options: Value) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.seeder.torrent);
        let gid = self.call("aria2.addTorrent", json!([b64, [], options]));
        gid.as_str().unwrap().to_string()
    }

    fn folder(&self) -> std::path::PathBuf {
        self.serve.folder().join(NAME)
    }
}

fn is(status: &str) -> impl Fn(&Value) -> bool + '_ {
    move |s: &Value| s["status"] == status
}

/// The files under `dir`, relative, sorted; hidden ones left out.
fn listed(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn assert_whole(folder: &Path, only: &[&str]) {
    for (path, bytes) in files() {
        let got = std::fs::read(folder.join(path));
        if only.is_empty() || only.contains(&path) {
            assert!(got.unwrap() == bytes, "{path} differs");
        } else {
            assert!(got.is_err(), "{path} was not chosen but written");
        }
    }
}

#[test]
fn aria2p_adds_a_torrent_and_a_magnet_and_reads_them_as_aria2s() {
    if !support::programs::have_aria2p() {
        return;
    }
    let s = swarm();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &s.seeder.torrent).unwrap();
    let script = r#"
import sys, time, aria2p
port, secret, torrent, magnet = sys.argv[1:5]
api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=int(port), secret=secret))

def wait(d, ok, what):
    for _ in range(600):
        d.update()
        if ok(d):
            return d
        time.sleep(0.1)
    raise SystemExit(what + ": " + d.status)

# A .torrent, given as aria2p gives it (base64), slowed to be seen running.
d = api.add_torrent(torrent, options={"seed-time": "0", "max-download-limit": "150K"})
d = wait(d, lambda d: d.status == "active" and d.connections > 0 and d.completed_length > 0, "never ran")
peers = api.client.get_peers(d.gid)
print("peers", ",".join(p["ip"] + ":" + p["port"] + ":" + p["seeder"] for p in peers))
print("running", d.num_seeders >= 1, d.seeder, d.num_pieces, d.piece_length)
d = wait(d, lambda d: d.status in ("complete", "error"), "never ended")
print("torrent", d.status, d.info_hash, d.bittorrent.info["name"], d.bittorrent.mode,
      len(d.bittorrent.announce_list), len(d.files), d.total_length, d.seeder)
print("files", "|".join("%d:%s:%d:%d:%s" % (f.index, f.path.name, f.length, f.completed_length, f.selected)
                        for f in d.files))

# A magnet: its metadata download is followed by the real one.
m = api.add_magnet(magnet, options={"seed-time": "0", "dir": "by-magnet"})
m = wait(m, lambda m: m.followed_by_ids, "never followed")
real = api.get_download(m.followed_by_ids[0])
print("magnet", m.status, real.following_id == m.gid, real.gid != m.gid)
real = wait(real, lambda d: d.status in ("complete", "error"), "the real download never ended")
print("real", real.status, real.info_hash == m.info_hash, real.bittorrent.info["name"], len(real.files))
stopped = [x.gid for x in api.get_downloads() if x.status == "complete"]
print("stopped", m.gid in stopped, real.gid in stopped)
"#;
    let out = support::programs::aria2p(
        script,
        &[
            &s.serve.port.to_string(),
            &s.serve.secret,
            file.to_str().unwrap(),
            &s.seeder.magnet,
        ],
    );
    let line = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} line in {out}"))
            .to_string()
    };
    let seeder = format!("127.0.0.1:{}:true", s.seeder.addr.port());
    assert!(line("peers").split(',').any(|p| p == seeder), "{out}");
    assert!(line("running").starts_with("True False "), "{out}");
    let total: usize = files().iter().map(|(_, b)| b.len()).sum();
    let torrent = line("torrent");
    let t: Vec<&str> = torrent.split(' ').collect();
    assert_eq!(t[0], "complete", "{out}");
    assert_eq!(t[1].len(), 40);
    assert_eq!(&t[2..], [NAME, "multi", "1", "3", &total.to_string(), "True"]);
    for (i, f) in line("files").split('|').enumerate() {
        let (path, bytes) = &files()[i];
        let name = Path::new(path).file_name().unwrap().to_string_lossy();
        assert_eq!(f, format!("{}:{name}:{n}:{n}:True", i + 1, n = bytes.len()));
    }
    assert_whole(&s.folder(), &[]);
    assert_eq!(line("magnet"), "complete True True");
    assert_eq!(line("real"), format!("complete True {NAME} 3"));
    assert_eq!(line("stopped"), "True True");
    assert_whole(&s.serve.folder().join("by-magnet").join(NAME), &[]);
    // The .torrent written for addTorrent went with its task.
    let hidden: Vec<_> = std::fs::read_dir(s.serve.folder())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".fanout-rpc-"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn tell_status_gives_the_torrents_fields_and_select_file_writes_only_those() {
    let s = swarm();
    let gid =
        s.add_torrent(json!({"select-file": "2", "seed-time": "0", "bt-tracker": "http://127.0.0.1:9/a"}));
    let done = s.until(&gid, "the torrent never completed", is("complete"));
    assert_eq!(done["infoHash"].as_str().unwrap().len(), 40);
    assert_eq!(done["seeder"], "true");
    assert_eq!(done["bittorrent"]["info"]["name"], NAME);
    assert_eq!(done["bittorrent"]["mode"], "multi");
    assert!(
        done["bittorrent"]["announceList"][0][0]
            .as_str()
            .unwrap()
            .ends_with("/announce")
    );
    assert_eq!(done["pieceLength"], (32 * 1024).to_string());
    let b = &files()[1];
    assert_eq!(done["totalLength"], b.1.len().to_string());
    let listed_files = s.call("aria2.getFiles", json!([gid]));
    let selected: Vec<&str> = listed_files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["selected"].as_str().unwrap())
        .collect();
    assert_eq!(selected, ["false", "true", "false"]);
    assert_eq!(listed_files[1]["completedLength"], b.1.len().to_string());
    assert!(listed_files[1]["path"].as_str().unwrap().ends_with("sub/b.txt"));
    assert_whole(&s.folder(), &["sub/b.txt"]);
    assert_eq!(listed(&s.folder()), ["sub/b.txt"]);
    let o = s.call("aria2.getOption", json!([gid]));
    assert_eq!(o["select-file"], "2");
    assert_eq!(o["seed-time"], "0");
    assert_eq!(o["seed-ratio"], "1.0", "aria2's default ratio");
    assert_eq!(o["bt-tracker"], "http://127.0.0.1:9/a");
    // Not base64, or not a torrent: refused as aria2 refuses them.
    for bad in ["%%%", "ZGF0YQ=="] {
        let e = s.serve.call("aria2.addTorrent", json!([bad])).unwrap_err();
        assert_eq!(e["code"], 1, "{e}");
    }
}

/// One file chosen of three whose pieces it shares with both others (32
/// KiB pieces; `sub/b.txt` is bytes 300,000 to 370,001): while it seeds,
/// `completedLength` is that file's bytes, as `totalLength` and
/// `getFiles` say, never the shared pieces' other bytes.
#[test]
fn completed_length_counts_the_chosen_file_only() {
    let s = swarm();
    let gid = s.add_torrent(json!({"select-file": "2", "seed-time": "10"}));
    let seeding = s.until(&gid, "never seeded", |v| v["seeder"] == "true");
    let b = files()[1].1.len().to_string();
    assert_eq!(
        (&seeding["completedLength"], &seeding["totalLength"]),
        (&json!(b), &json!(b)),
        "{seeding:#}"
    );
    let listed_files = s.call("aria2.getFiles", json!([gid]));
    assert_eq!(listed_files[1]["completedLength"], b);
}

#[test]
fn seeding_goes_on_for_the_seed_time_then_the_torrent_is_complete() {
    let s = swarm();
    // 0.05 minutes: three seconds.
    let gid = s.add_torrent(json!({"seed-time": "0.05", "seed-ratio": "0.0", "max-upload-limit": "64K"}));
    let seeding = s.until(&gid, "never seeded", |v| v["seeder"] == "true");
    assert_eq!(seeding["status"], "active", "seeding is active, as in aria2");
    let o = s.call("aria2.getOption", json!([gid]));
    assert_eq!(
        (&o["seed-time"], &o["seed-ratio"], &o["max-upload-limit"]),
        (&json!("0.05"), &json!("0.0"), &json!((64 << 10).to_string()))
    );
    let at = Instant::now();
    s.until(&gid, "seeding never ended", is("complete"));
    assert!(at.elapsed() < Duration::from_secs(30));
    assert_whole(&s.folder(), &[]);
}

#[test]
fn pause_metadata_lists_the_files_writes_nothing_and_unpause_completes() {
    let s = swarm();
    let gid = s.call(
        "aria2.addUri",
        json!([[s.seeder.magnet], {"pause-metadata": "true", "seed-time": "0"}]),
    );
    let gid = gid.as_str().unwrap();
    let meta = s.until(gid, "the metadata never came", |v| v["followedBy"].is_array());
    assert_eq!(meta["status"], "complete");
    let real = meta["followedBy"][0].as_str().unwrap().to_string();
    let paused = s.until(&real, "the real download never paused", is("paused"));
    assert_eq!(paused["following"], gid);
    let listed_files = s.call("aria2.getFiles", json!([real]));
    assert_eq!(listed_files.as_array().unwrap().len(), 3);
    assert!(listed(&s.folder()).is_empty(), "written while paused");
    let waiting = s.call("aria2.tellWaiting", json!([0, 10, ["gid"]]));
    assert_eq!(waiting, json!([{"gid": real}]));
    // Files and trackers chosen while it waits, then on.
    s.call(
        "aria2.changeOption",
        json!([real, {"select-file": "1,3", "bt-tracker": "http://127.0.0.1:9/b"}]),
    );
    let o = s.call("aria2.getOption", json!([real]));
    assert_eq!(
        (&o["select-file"], &o["bt-tracker"]),
        (&json!("1,3"), &json!("http://127.0.0.1:9/b"))
    );
    s.call("aria2.unpause", json!([real]));
    s.until(&real, "never completed after unpause", is("complete"));
    assert_whole(&s.folder(), &["a.bin", "名前 é.dat"]);
    let stopped = s.call("aria2.tellStopped", json!([0, 10, ["gid"]]));
    assert_eq!(stopped, json!([{"gid": gid}, {"gid": real}]));
}

#[test]
fn global_options_show_and_change_the_torrents_part() {
    let s = Serve::start_with(&["--no-dht"]);
    let g = s.call("aria2.getGlobalOption", json!([])).unwrap();
    assert_eq!(g["enable-dht"], "false");
    assert_eq!(g["max-overall-upload-limit"], "0");
    s.call(
        "aria2.changeGlobalOption",
        json!([{"max-overall-upload-limit": "100K"}]),
    )
    .unwrap();
    let g = s.call("aria2.getGlobalOption", json!([])).unwrap();
    assert_eq!(g["max-overall-upload-limit"], (100 << 10).to_string());
}

#[test]
fn max_upload_limit_holds_what_a_leecher_gets() {
    let port = support::programs::free_port();
    let s = swarm_with(&["--bt-port", &port.to_string()]);
    let gid = s.add_torrent(json!({"seed-time": "5", "max-upload-limit": "100K"}));
    s.until(&gid, "never seeded", |v| v["seeder"] == "true");
    // Only fanout has it now: the seeder and its tracker are gone.
    let Swarm {
        _tracker: tracker,
        seeder,
        serve,
    } = s;
    let torrent = seeder.torrent.clone();
    drop((seeder, tracker));
    // A leecher that knows only fanout: about 480 KiB at 100 KiB/s.
    let out = tempfile::tempdir().unwrap();
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let at = Instant::now();
    let got = support::torrent::leech_from(&torrent, peer, out.path()).unwrap();
    let took = at.elapsed();
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(got, total);
    assert!(
        took >= Duration::from_secs(3),
        "{total} bytes in {took:?}: not held to 100K/s"
    );
    // fanout says it uploads (librqbit's count runs behind what the
    // leecher has: about four fifths of it here, so only "some" is checked).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let st = serve.call("aria2.tellStatus", json!([gid])).unwrap();
        let up: u64 = st["uploadLength"].as_str().unwrap().parse().unwrap();
        if up > 0 && up <= total + total / 10 {
            break;
        }
        assert!(Instant::now() < deadline, "uploadLength {up} of {total}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The leecher took it all: aria2's default ratio, 1.0, ends seeding
    // long before the five minutes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while serve.call("aria2.tellStatus", json!([gid])).unwrap()["status"] != "complete" {
        assert!(Instant::now() < deadline, "seeding did not end at a ratio of 1.0");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_websocket_hears_the_magnets_two_downloads_and_the_torrent_complete() {
    let s = swarm();
    let (mut ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{}/jsonrpc", s.serve.port)).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(t) = ws.get_ref() {
        t.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    }
    let gid = s.call("aria2.addUri", json!([[s.seeder.magnet], {"seed-time": "0"}]));
    let gid = gid.as_str().unwrap().to_string();
    let mut heard: Vec<(String, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !heard
        .iter()
        .any(|(m, g)| m == "aria2.onDownloadComplete" && *g != gid)
    {
        assert!(Instant::now() < deadline, "{heard:?}");
        let text = match ws.read().unwrap() {
            tungstenite::Message::Text(t) => t.as_str().to_string(),
            _ => continue,
        };
        let v: Value = serde_json::from_str(&text).unwrap();
        if let (Some(m), Some(g)) = (v["method"].as_str(), v["params"][0]["gid"].as_str()) {
            heard.push((m.to_string(), g.to_string()));
        }
    }
    let real = s.status(&gid)["followedBy"][0].as_str().unwrap().to_string();
    let said = |m: &str, g: &str| (format!("aria2.{m}"), g.to_string());
    assert_eq!(
        heard,
        [
            said("onDownloadStart", &gid),
            said("onDownloadComplete", &gid),
            said("onDownloadStart", &real),
            said("onBtDownloadComplete", &real),
            said("onDownloadComplete", &real),
        ]
    );
}

/// `kill -9` of the service mid-torrent, then a start on the same folder:
/// the torrent comes back with the files it was told to take, continues
/// with the pieces it had (the seeder does not send them all again) and
/// ends with only those files, whole.
#[test]
fn a_restarted_service_continues_a_torrent_with_its_choices() {
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker_limited(&files(), &tracker.announce_url(), 100_000);
    let home = tempfile::tempdir().unwrap();
    let first = Serve::start_in(home.path(), &["--no-dht"]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&seeder.torrent);
    let options = json!({"select-file": "1,3", "seed-time": "0"});
    let gid = first.call("aria2.addTorrent", json!([b64, [], options])).unwrap();
    let wanted: u64 = [0, 2].iter().map(|&i| files()[i].1.len() as u64).sum();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let st = first.call("aria2.tellStatus", json!([gid])).unwrap();
        let done: u64 = st["completedLength"].as_str().unwrap().parse().unwrap();
        if done >= 150_000 {
            assert!(done < wanted, "finished before the kill: {st:#}");
            break;
        }
        assert!(Instant::now() < deadline, "too slow: {st:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
    first.signal("KILL");
    drop(first);
    let sent_before = seeder.uploaded();

    let again = Serve::start_in(home.path(), &["--no-dht"]);
    // Paused, as any restored download is unless the settings say go on.
    again.call("aria2.unpauseAll", json!([])).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let stopped = again.call("aria2.tellStopped", json!([0, 10])).unwrap();
        if let Some(d) = stopped.as_array().unwrap().first() {
            break d.clone();
        }
        assert!(Instant::now() < deadline, "the torrent did not continue");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(done["status"], "complete", "{done:#}");
    assert_eq!(done["totalLength"], wanted.to_string());
    let folder = again.folder().join(NAME);
    assert_whole(&folder, &["a.bin", "名前 é.dat"]);
    assert_eq!(listed(&folder), ["a.bin", "名前 é.dat"]);
    let sent_after = seeder.uploaded() - sent_before;
    assert!(
        sent_after < wanted - 100_000,
        "{sent_after} bytes sent again of {wanted}: the pieces it had were fetched anew"
    );
}

/// `fanout FILE.torrent` (as a double-clicked file arrives, through the
/// desktop entry's `%U`) is handed to the running `fanout serve` by its
/// path, which downloads it whole and seeds it as its settings say (a
/// ratio of 1.0 or an hour, by default).
#[test]
fn a_torrent_file_is_handed_over_to_fanout_serve() {
    let s = swarm();
    let file = s.serve.home.join("the set.torrent");
    std::fs::write(&file, &s.seeder.torrent).unwrap();
    let mut hand = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"));
    support::serve::hermetic(&mut hand, &s.serve.home);
    let out = hand.arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("handed to `fanout serve`"), "{said}");
    // Whole, and seeding.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed: Vec<Value> = ["aria2.tellActive", "aria2.tellStopped"]
            .iter()
            .flat_map(|m| {
                let params = if *m == "aria2.tellActive" {
                    json!([])
                } else {
                    json!([0, 10])
                };
                s.call(m, params).as_array().unwrap().clone()
            })
            .collect();
        let whole = listed
            .iter()
            .any(|d| d["infoHash"].is_string() && (d["seeder"] == "true" || d["status"] == "complete"));
        if whole {
            break;
        }
        assert!(Instant::now() < deadline, "not downloaded: {listed:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_whole(&s.folder(), &[]);
}
