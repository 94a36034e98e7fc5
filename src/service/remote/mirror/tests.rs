//! The remote view's mirror on its own: listings in, the list, its order,
//! ranks and speeds out, with no server.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::settings::Settings;

fn status(gid: &str, word: &str, done: u64) -> Status {
    serde_json::from_value(json!({
        "gid": gid, "status": word, "totalLength": "1000",
        "completedLength": done.to_string(), "connections": "1",
        "dir": "/srv/dl",
        "files": [{"path": format!("/srv/dl/{gid}.bin"), "uris": [{"uri": format!("http://h/{gid}.bin"), "status": "used"}]}],
    }))
    .unwrap()
}

fn view() -> View {
    View::new(Downloads::new(&Settings::default()))
}

fn listing(active: &[Status], waiting: &[Status], stopped: &[Status]) -> Listing {
    Listing {
        active: active.to_vec(),
        waiting: waiting.to_vec(),
        stopped: stopped.to_vec(),
        whole: true,
        torrents: HashMap::new(),
    }
}

#[test]
fn what_ended_before_keeps_the_servers_order_and_later_ends_rank_as_seen() {
    let mut v = view();
    let t0 = Instant::now();
    // b stopped before a (tellStopped lists them so); c runs; d waits.
    v.apply(
        &listing(
            &[status("c", "active", 100)],
            &[status("d", "waiting", 0)],
            &[status("b", "complete", 1000), status("a", "error", 0)],
        ),
        t0,
    );
    let rows = &v.downloads.model.rows;
    // Rows by gid, first seen: c, d, b, a.
    assert_eq!(rows[0].url, "http://h/c.bin");
    assert_eq!(rows[0].state, TaskState::Running);
    assert_eq!(rows[1].state, TaskState::Queued);
    assert_eq!((rows[2].state.clone(), rows[2].rank), (TaskState::Done, Some(1)));
    assert_eq!(rows[2].dir, std::path::PathBuf::from("/srv/dl"));
    assert!(matches!(rows[3].state, TaskState::Failed(_)));
    assert_eq!(rows[3].rank, Some(2));
    assert_eq!(v.listed, [0, 1, 2, 3]);
    assert_eq!(v.waiting, [1]);
    // What had ended is no batch of the view's.
    assert_eq!(v.downloads.model.batch_progress(), (0, 2));

    // d starts and c is paused; then d completes, then c is resumed and
    // completes: ranks 3 and 4 in that order.
    let t1 = t0 + Duration::from_secs(1);
    v.apply(
        &listing(
            &[status("d", "active", 10)],
            &[status("c", "paused", 300)],
            &[status("b", "complete", 1000), status("a", "error", 0)],
        ),
        t1,
    );
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Paused);
    assert_eq!(v.downloads.model.rows[0].bytes, 300);
    assert_eq!(v.downloads.model.rows[1].state, TaskState::Running);
    v.apply(
        &listing(
            &[],
            &[status("c", "waiting", 300)],
            &[
                status("b", "complete", 1000),
                status("a", "error", 0),
                status("d", "complete", 1000),
            ],
        ),
        t1 + Duration::from_secs(1),
    );
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Queued);
    assert_eq!(v.downloads.model.rows[1].rank, Some(3));
    v.apply(
        &listing(
            &[],
            &[],
            &[
                status("b", "complete", 1000),
                status("a", "error", 0),
                status("d", "complete", 1000),
                status("c", "complete", 1000),
            ],
        ),
        t1 + Duration::from_secs(2),
    );
    let ranks: Vec<_> = v.downloads.model.rows.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [Some(4), Some(3), Some(1), Some(2)]);
    assert_eq!(v.listed, [2, 3, 1, 0]);
}

#[test]
fn the_servers_queue_order_is_the_views_and_a_download_gone_from_it_is_forgotten() {
    let mut v = view();
    let t0 = Instant::now();
    let q = |g| status(g, "waiting", 0);
    v.apply(&listing(&[], &[q("a"), q("b"), q("c")], &[]), t0);
    assert_eq!(v.waiting, [0, 1, 2]);
    v.apply(&listing(&[], &[q("c"), q("a"), q("b")], &[]), t0);
    assert_eq!(v.waiting, [2, 0, 1], "moved to the head there");
    // b removed on the server (gone from every list).
    v.apply(&listing(&[], &[q("c"), q("a")], &[]), t0);
    assert!(v.downloads.model.rows[1].forgotten);
    assert_eq!(v.downloads.model.rows[1].state, TaskState::Cancelled);
    assert_eq!(v.listed, [2, 0]);
    assert_eq!(v.downloads.model.counts().queued, 2);
    // A list cut short says nothing of what it does not hold.
    let mut cut = listing(&[], &[q("c")], &[]);
    cut.whole = false;
    v.apply(&cut, t0);
    assert!(!v.downloads.model.rows[0].forgotten);
}

#[test]
fn a_download_running_before_the_view_saw_it_is_not_measured_from_zero() {
    let mut v = view();
    let t0 = Instant::now();
    v.apply(&listing(&[status("a", "active", 900)], &[], &[]), t0);
    v.apply(
        &listing(&[status("a", "active", 950)], &[], &[]),
        t0 + Duration::from_secs(1),
    );
    let speed = v.downloads.model.rows[0].speed(t0 + Duration::from_secs(1));
    assert!((speed - 50.0).abs() < 1.0, "{speed}");
    assert_eq!(v.downloads.model.rows[0].name, "a.bin");
}

/// A three-file torrent's entry as `fanout serve` and aria2 answer it.
fn torrent_entry(gid: &str, word: &str, seeder: bool, selected: [bool; 3]) -> serde_json::Value {
    let lengths = [100u64, 200, 300];
    let paths = ["a.bin", "sub/b.txt", "c.dat"];
    let files: Vec<_> = (0..3)
        .map(|i| {
            let done = if seeder && selected[i] { lengths[i] } else { 0 };
            json!({"index": (i + 1).to_string(), "path": format!("/srv/dl/T/{}", paths[i]),
                "length": lengths[i].to_string(), "completedLength": done.to_string(),
                "selected": selected[i].to_string(), "uris": []})
        })
        .collect();
    json!({
        "gid": gid, "status": word, "totalLength": "400", "completedLength": "0",
        "connections": "2", "dir": "/srv/dl", "files": files,
        "infoHash": "0123456789ABCDEF0123456789abcdef01234567",
        "bittorrent": {"announceList": [["http://127.0.0.1:9/announce"]], "comment": "hi",
            "creationDate": 1_700_000_000, "mode": "multi", "info": {"name": "T"}},
        "uploadLength": "50", "downloadSpeed": "10", "uploadSpeed": "20",
        "numSeeders": "1", "seeder": seeder.to_string(), "numPieces": "3", "pieceLength": "32768",
    })
}

fn torrent_listing(active: &[serde_json::Value], waiting: &[serde_json::Value]) -> Listing {
    let read = |list: &[serde_json::Value]| -> Vec<Status> {
        list.iter()
            .map(|e| serde_json::from_value(e.clone()).unwrap())
            .collect()
    };
    let torrents = active
        .iter()
        .chain(waiting)
        .filter_map(|e| Some((e["gid"].as_str()?.to_string(), Bt::read(e)?)))
        .collect();
    Listing {
        active: read(active),
        waiting: read(waiting),
        stopped: Vec::new(),
        whole: true,
        torrents,
    }
}

#[test]
fn a_torrents_files_and_swarm_come_from_its_status_and_change_only_when_it_does() {
    let mut v = view();
    let t0 = Instant::now();
    let waiting = torrent_entry("t", "paused", false, [true; 3]);
    v.apply(&torrent_listing(&[], std::slice::from_ref(&waiting)), t0);
    let row = &v.downloads.model.rows[0];
    assert_eq!(row.state, TaskState::Paused);
    assert_eq!(row.name, "T");
    let meta = row.torrent.clone().expect("the torrent's metadata");
    assert_eq!(meta.info_hash, "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(meta.name, "T");
    assert!(meta.multi_file);
    let names: Vec<_> = meta.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.bin", "sub/b.txt", "c.dat"]);
    assert_eq!(
        meta.files[1].path,
        std::path::PathBuf::from("/srv/dl/T/sub/b.txt")
    );
    assert_eq!(meta.files[2].length, 300);
    assert!(meta.files.iter().all(|f| f.selected));
    assert_eq!(meta.announce, [["http://127.0.0.1:9/announce"]]);
    assert_eq!(
        (meta.comment.as_deref(), meta.created),
        (Some("hi"), Some(1_700_000_000))
    );
    assert_eq!((meta.piece_length, meta.pieces), (32768, 3));
    let swarm = row.swarm.clone().expect("its swarm");
    assert_eq!((swarm.seeders, swarm.uploaded, swarm.upload_speed), (1, 50, 20));
    assert!(!swarm.seeding);
    assert!(swarm.peers.is_empty());

    // The same answer again: the same Arcs (the window does not churn).
    v.apply(&torrent_listing(&[], &[waiting]), t0 + Duration::from_secs(1));
    let row = &v.downloads.model.rows[0];
    assert!(Arc::ptr_eq(row.torrent.as_ref().unwrap(), &meta));
    assert!(Arc::ptr_eq(row.swarm.as_ref().unwrap(), &swarm));

    // Two files chosen there, then it runs complete and seeds.
    let chosen = [true, false, true];
    let seeding = torrent_entry("t", "active", true, chosen);
    v.apply(
        &torrent_listing(std::slice::from_ref(&seeding), &[]),
        t0 + Duration::from_secs(2),
    );
    let row = &v.downloads.model.rows[0];
    let meta = row.torrent.clone().unwrap();
    let picked: Vec<bool> = meta.files.iter().map(|f| f.selected).collect();
    assert_eq!(picked, chosen);
    assert_eq!(row.state, TaskState::Seeding);
    let swarm = row.swarm.clone().unwrap();
    assert!(swarm.seeding);
    assert_eq!(swarm.file_done, [100, 0, 300]);
    assert_eq!(v.downloads.model.counts().seeding, 1);
    v.apply(&torrent_listing(&[seeding], &[]), t0 + Duration::from_secs(3));
    let row = &v.downloads.model.rows[0];
    assert!(Arc::ptr_eq(row.torrent.as_ref().unwrap(), &meta));
    assert!(Arc::ptr_eq(row.swarm.as_ref().unwrap(), &swarm));
    assert_eq!(row.state, TaskState::Seeding);
    assert!(!v.paused(0));
}

#[test]
fn a_seeding_torrent_paused_and_resumed_seeds_again_and_others_have_no_torrent() {
    let mut v = view();
    let t0 = Instant::now();
    let seeding = torrent_entry("t", "active", true, [true; 3]);
    let paused = torrent_entry("t", "paused", true, [true; 3]);
    v.apply(&torrent_listing(std::slice::from_ref(&seeding), &[]), t0);
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Seeding);
    v.apply(&torrent_listing(&[], &[paused]), t0);
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Paused);
    assert!(v.paused(0));
    assert!(!v.downloads.model.rows[0].swarm.as_ref().unwrap().seeding);
    v.apply(&torrent_listing(&[seeding], &[]), t0);
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Seeding);

    // A magnet's metadata download, a torrent not yet known, and a plain
    // download: no torrent view.
    let mut metadata = torrent_entry("m", "active", false, [true; 3]);
    metadata["files"] = json!([{"index": "1", "path": "[METADATA]abc", "length": "0",
        "completedLength": "0", "selected": "true", "uris": []}]);
    let mut magnet = torrent_entry("n", "active", false, [true; 3]);
    magnet["bittorrent"] = json!({"announceList": []});
    let plain = serde_json::to_value(status("p", "active", 5)).unwrap();
    // A size that is not a number: shown, without its torrent view.
    let mut odd = torrent_entry("o", "active", false, [true; 3]);
    odd["numSeeders"] = json!("many");
    let listing = torrent_listing(&[metadata, magnet, plain, odd], &[]);
    assert!(!listing.torrents.contains_key("n"));
    assert!(!listing.torrents.contains_key("p"));
    assert!(!listing.torrents.contains_key("o"));
    v.apply(&listing, t0);
    let rows = &v.downloads.model.rows;
    assert_eq!(rows.len(), 5);
    assert!(rows[1..].iter().all(|r| r.torrent.is_none() && r.swarm.is_none()));
    assert_eq!(rows[4].state, TaskState::Running);
}
