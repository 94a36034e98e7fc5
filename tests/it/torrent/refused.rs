//! A `.torrent` whose file names would leave its folder (or break the name
//! rules) is refused with a message that says what and why, naming the
//! path as the torrent wrote it: through `fanout get`, and through the
//! RPC's `errorMessage` (with aria2's code for a torrent it cannot take).
//! Nothing is written.

use crate::support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;
use support::serve::Serve;

/// A bencoded torrent named `set` with two files: `ok`, and one at
/// `path` (its names as the torrent lists them).
fn torrent_with(path: &[&str]) -> Vec<u8> {
    let s = |t: &str| format!("{}:{t}", t.len());
    let list: String = path.iter().map(|c| s(c)).collect();
    format!(
        "d4:infod5:filesld6:lengthi5e4:pathl2:okeed6:lengthi5e4:pathl{list}eee4:name3:set12:piece lengthi16384e6:pieces20:{}ee",
        "x".repeat(20)
    )
    .into_bytes()
}

#[test]
fn fanout_get_says_which_path_was_refused_and_why() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cases: [(&[&str], &str); 3] = [
        (
            &["a", "..", "..", "x"],
            r#"refused: the torrent names a file outside its folder: "a/../../x""#,
        ),
        (
            &["/etc/passwd"],
            r#"refused: the torrent names a file by an absolute path: "/etc/passwd""#,
        ),
        (
            &["sub", "NUL.txt"],
            r#"refused: the torrent names a file with a name reserved for a device: "sub/NUL.txt""#,
        ),
    ];
    for (i, (path, said)) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("hostile{i}.torrent"));
        std::fs::write(&file, torrent_with(path)).unwrap();
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
            .args(["get", "--no-dht", "--peer", "127.0.0.1:9", "-o"])
            .arg(&out)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(!run.status.success(), "{path:?}");
        assert!(
            stderr.contains(said) || stdout.contains(said),
            "{path:?}: not {said}\nstderr: {stderr}\nstdout: {stdout}"
        );
        assert!(!stderr.contains("suspicious"), "librqbit's words: {stderr}");
    }
    let written = std::fs::read_dir(&out).map_or(0, |d| d.count());
    assert_eq!(written, 0, "something was written");
}

#[test]
fn the_rpc_error_message_names_the_refused_path() {
    let serve = Serve::start_with(&["--no-dht"]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(torrent_with(&["a/../../x"]));
    let gid = serve
        .call("aria2.addTorrent", json!([b64, [], {}]))
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let s = serve.call("aria2.tellStatus", json!([gid])).unwrap();
        if s["status"] == "error" {
            break s;
        }
        assert!(Instant::now() < deadline, "never refused: {s:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status["errorMessage"],
        r#"refused: the torrent names a file outside its folder: "a/../../x""#
    );
    // aria2's "could not parse a BitTorrent file".
    assert_eq!(status["errorCode"], "26");
    assert!(!serve.folder().join("set").exists(), "something was written");
}
