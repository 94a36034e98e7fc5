//! The window as the face of a server ("Connect to a server", issue 24):
//! a real `fanout serve` or aria2c on loopback, downloads another program
//! (aria2p) added there, and the window showing and controlling them, one
//! test body for both servers.

use crate::support;

use std::path::PathBuf;

use egui_kittest::kittest::Queryable;
use fanout::engine::Order;
use fanout::gui::{Action, FanoutApp, MoveTo};
use fanout::input::Options;
use fanout::service::model::TaskState;
use serde_json::{Value, json};
use support::gui::{Setup, close_preferences, open_preferences, step_until};
use support::programs::{aria2p, have_aria2p};
use support::wait::until;
use support::{TestServer, body_for};

/// A download server, as the window's settings take it.
struct Server {
    /// What the window calls it: `fanout` or `aria2`.
    name: &'static str,
    url: String,
    port: u16,
    secret: String,
    folder: PathBuf,
    _running: Box<dyn std::any::Any>,
}

fn fanout_serve() -> Option<Server> {
    let s = support::serve::Serve::start();
    Some(Server {
        name: "fanout",
        url: s.url(),
        port: s.port,
        secret: s.secret.clone(),
        folder: s.folder(),
        _running: Box::new(s),
    })
}

fn aria2c() -> Option<Server> {
    let d = support::aria2::Daemon::start()?;
    let port = d
        .url
        .rsplit(':')
        .next()?
        .trim_end_matches("/jsonrpc")
        .parse()
        .ok()?;
    Some(Server {
        name: "aria2",
        url: d.url.clone(),
        port,
        secret: d.secret.clone(),
        folder: d.dir.path().to_path_buf(),
        _running: Box::new(d),
    })
}

impl Server {
    fn call(&self, method: &str, params: Value) -> Value {
        support::serve::call(&self.url, &self.secret, method, params).unwrap()
    }

    /// The status the server gives a download, as aria2p reads it.
    fn status_by_aria2p(&self, gid: &str) -> String {
        let script = r#"
import sys, aria2p
port, secret, gid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=port, secret=secret))
print(api.get_download(gid).status)
"#;
        aria2p(script, &[&self.port.to_string(), &self.secret, gid])
            .trim()
            .to_string()
    }
}

/// Waits in real time (a server works on its own clock) for `done`.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    until(what, || done().then_some(()));
}

fn row_of(app: &FanoutApp, url: &str) -> Option<usize> {
    app.core().model.rows.iter().position(|r| r.url == url)
}

fn the_window_shows_and_controls_a_server_s_downloads(server: Option<Server>) {
    let Some(server) = server else { return };
    if !have_aria2p() {
        return;
    }
    let files = TestServer::start();
    // Another program adds three there: one that keeps running, and two
    // that wait paused.
    let running = files.url("/srv/running.bin?size=50000000&pace=100");
    let first = files.url("/srv/first.bin?size=1000");
    let second = files.url("/srv/second.bin?size=1000");
    let script = r#"
import sys, aria2p
port, secret = int(sys.argv[1]), sys.argv[2]
api = aria2p.API(aria2p.Client(host="http://127.0.0.1", port=port, secret=secret))
gids = [api.add_uris([sys.argv[3]]).gid]
gids += [api.add_uris([u], options={"pause": "true"}).gid for u in sys.argv[4:]]
print(" ".join(gids))
"#;
    let out = aria2p(
        script,
        &[
            &server.port.to_string(),
            &server.secret,
            &running,
            &first,
            &second,
        ],
    );
    let gids: Vec<String> = out.split_whitespace().map(str::to_string).collect();
    assert_eq!(gids.len(), 3, "{out}");

    // The window, told to show that server (its secret where the window
    // keeps secrets), lists what aria2p added there.
    let setup = Setup::showing_server(&server.url, &server.secret);
    let mut harness = setup.harness();
    step_until(&mut harness, "the server's downloads in the window", |app| {
        [&running, &first, &second]
            .iter()
            .all(|u| row_of(app, u).is_some())
    });
    step_until(&mut harness, "the running one shown running", |app| {
        row_of(app, &running).is_some_and(|i| app.core().model.rows[i].state == TaskState::Running)
    });
    // The status bar says whose downloads these are; Preferences, where
    // the server was chosen, says where it saves.
    harness.get_by_label_contains(&format!("Server 127.0.0.1:{}", server.port));
    open_preferences(&mut harness, "Browser and other programs");
    harness.get_by_label_contains(&format!("Connected ({} ", server.name));
    harness.get_by_label_contains(&format!("saves into {}", server.folder.display()));
    close_preferences(&mut harness);

    // Pausing it in the window pauses it on the server.
    let i = row_of(harness.state(), &running).unwrap();
    harness.state_mut().perform(Action::Pause(vec![i]));
    wait_for("the server to pause it", || {
        server.call("aria2.tellStatus", json!([gids[0], ["status"]]))["status"] == "paused"
    });
    assert_eq!(server.status_by_aria2p(&gids[0]), "paused");
    step_until(&mut harness, "the row paused", |app| {
        app.core().model.rows[i].state == TaskState::Paused
    });

    // Moving the last waiting one to the top moves it in the server's line.
    let j = row_of(harness.state(), &second).unwrap();
    harness.state_mut().perform(Action::Move(vec![j], MoveTo::Top));
    wait_for("the server's line to start with it", || {
        server.call("aria2.tellWaiting", json!([0, 10, ["gid"]]))[0]["gid"] == gids[2]
    });

    // Resuming it there lets it finish, into the server's folder.
    harness.state_mut().perform(Action::Resume(vec![j]));
    step_until(&mut harness, "the resumed one done, with its rank", |app| {
        let r = &app.core().model.rows[j];
        r.state == TaskState::Done && r.rank.is_some()
    });
    assert_eq!(
        std::fs::read(server.folder.join("second.bin")).unwrap(),
        body_for("/srv/second.bin", 1000)
    );

    // Keep submission order holds for the server's results too.
    harness.state_mut().settings_mut().keep_order = true;
    harness.step();
    assert_eq!(harness.state().core().model.order(), Order::Submission);
    harness.state_mut().settings_mut().keep_order = false;
    harness.step();

    // A URL added in the window goes to the server, into its folder.
    let added = files.url("/srv/from-window.bin?size=3000");
    harness
        .state_mut()
        .perform(Action::Add(vec![(added.clone(), Options::default())]));
    step_until(&mut harness, "the window's add done on the server", |app| {
        row_of(app, &added).is_some_and(|k| app.core().model.rows[k].state == TaskState::Done)
    });
    assert_eq!(
        std::fs::read(server.folder.join("from-window.bin")).unwrap(),
        body_for("/srv/from-window.bin", 3000)
    );
    // Cancelling one in the window removes it on the server.
    let k = row_of(harness.state(), &first).unwrap();
    harness.state_mut().perform(Action::Cancel(vec![k]));
    // (aria2c forgets at once a removed download that never started.)
    wait_for("the server to remove it", || {
        support::serve::call(
            &server.url,
            &server.secret,
            "aria2.tellStatus",
            json!([gids[1], ["status"]]),
        )
        .map_or(true, |s| s["status"] == "removed")
    });
    step_until(&mut harness, "the row cancelled", |app| {
        app.core().model.rows[k].state == TaskState::Cancelled
    });
    // The status bar counts what the server lists (aria2c no longer lists
    // that one; fanout serve lists it as removed).
    let listed: usize = ["aria2.tellActive", "aria2.tellStopped"]
        .iter()
        .map(|m| {
            let params = if *m == "aria2.tellActive" {
                json!([["gid"]])
            } else {
                json!([0, 100, ["gid"]])
            };
            server.call(m, params).as_array().unwrap().len()
        })
        .sum::<usize>()
        + server
            .call("aria2.tellWaiting", json!([0, 100, ["gid"]]))
            .as_array()
            .unwrap()
            .len();
    harness.step();
    harness.get_by_label_contains(&format!("{listed} tasks:"));

    // "This computer" shows this computer's downloads again: none.
    harness.state_mut().settings_mut().server.connect = false;
    step_until(&mut harness, "this computer's empty list", |app| {
        !app.shows_server() && app.core().model.rows.is_empty()
    });
    // The server's downloads went on without the window.
    assert_eq!(
        server.call("aria2.tellStatus", json!([gids[0], ["status"]]))["status"],
        "paused"
    );
}

/// A torrent added on a `fanout serve` (DHT off) to wait for its files:
/// the window lists its three files, the two chosen there are the two
/// written on the server, and the row ends done (or seeding). The
/// torrent comes from the tests' own seeder and tracker on loopback.
#[test]
fn a_servers_torrent_shows_its_files_and_takes_the_ones_chosen_in_the_window() {
    use base64::Engine as _;
    use support::torrent::{NAME, Seeder, files};

    let tracker = support::tracker::Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    wait_for("the seeder to announce", || {
        tracker.heard_from(seeder.addr.port()) > 0
    });
    let serve = support::serve::Serve::start_with(&["--no-dht"]);
    let torrent = base64::engine::general_purpose::STANDARD.encode(&seeder.torrent);
    let options = json!({"pause-metadata": "true", "seed-time": "0"});
    let gid = serve
        .call("aria2.addTorrent", json!([torrent, [], options]))
        .unwrap();
    let gid = gid.as_str().unwrap().to_string();

    let setup = Setup::showing_server(&serve.url(), &serve.secret);
    let mut harness = setup.harness();
    let torrent_row = |app: &FanoutApp| app.core().model.rows.iter().position(|r| r.torrent.is_some());
    step_until(&mut harness, "the torrent waiting with its files", |app| {
        torrent_row(app).is_some_and(|i| app.core().model.rows[i].state == TaskState::Paused)
    });
    let i = torrent_row(harness.state()).unwrap();
    {
        let app = harness.state();
        let row = &app.core().model.rows[i];
        assert_eq!(row.name, NAME);
        let meta = row.torrent.clone().unwrap();
        assert_eq!(meta.info_hash.len(), 40);
        let names: Vec<&str> = meta.files.iter().map(|f| f.name.as_str()).collect();
        let expected: Vec<&str> = files().iter().map(|(p, _)| *p).collect();
        assert_eq!(names, expected);
        assert!(meta.files.iter().all(|f| f.selected));
        assert_eq!(meta.files[1].length, files()[1].1.len() as u64);
        assert!(row.swarm.is_some());
    }
    let folder = serve.folder().join(NAME);
    assert!(!folder.join("a.bin").exists(), "written while it waited");

    // The first and the last chosen in the window's file list: only those
    // are written.
    harness.state_mut().perform(Action::ChooseFiles(i));
    // A window shows once egui has measured it.
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("b.txt").click();
    harness.step();
    harness.get_by_label("Download these").click();
    harness.step();
    step_until(&mut harness, "the torrent done or seeding", |app| {
        matches!(
            app.core().model.rows[i].state,
            TaskState::Done | TaskState::Seeding
        )
    });
    let status = serve.call("aria2.getOption", json!([gid])).unwrap();
    assert_eq!(status["select-file"], "1,3");
    wait_for("the chosen files written", || {
        let all = files();
        [&all[0], &all[2]]
            .iter()
            .all(|(p, bytes)| std::fs::read(folder.join(p)).is_ok_and(|got| &got == bytes))
    });
    assert!(!folder.join(files()[1].0).exists(), "not chosen but written");
    let meta = harness.state().core().model.rows[i].torrent.clone().unwrap();
    let chosen: Vec<bool> = meta.files.iter().map(|f| f.selected).collect();
    assert_eq!(chosen, [true, false, true]);
}

mod the_window_shows_and_controls_a_server_s_downloads {
    #[test]
    fn fanout_serve() {
        super::the_window_shows_and_controls_a_server_s_downloads(super::fanout_serve());
    }

    #[test]
    fn aria2c() {
        super::the_window_shows_and_controls_a_server_s_downloads(super::aria2c());
    }
}
