//! Metalinks (RFC 5854 `.meta4` and the older v3 `.metalink`) as users
//! hand them over: `fanout get x.meta4` (a file, or a URL that serves one)
//! and `aria2.addMetalink` on `fanout serve`, against loopback servers
//! whose first mirrors are dead.

use crate::support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::Digest;
use support::serve::Serve;
use support::{TestServer, body_for};

fn fanout(args: &[&str]) -> Output {
    support::programs::fanout(args, None, &[])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    fanout::engine::hex(&sha2::Sha256::digest(bytes))
}

/// A loopback address nothing listens on: connections to it are refused.
fn refused_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

/// Serves `body` at every path (a metalink on the web).
fn serve_text(body: String) -> String {
    let addr = support::on_loopback("metalink", move |listener| async move {
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move { body }
        });
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A v4 metalink of one file whose mirrors are written worst first: the
/// priorities put a 404 first, a refused port second, the good one last.
fn meta4(server: &TestServer, path: &str, size: usize, sha256: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="disk.img">
    <size>{size}</size>
    <hash type="md5">d41d8cd98f00b204e9800998ecf8427e</hash>
    <hash type="sha-256">{sha256}</hash>
    <url priority="30">{good}</url>
    <url priority="10">{missing}</url>
    <url priority="20">{refused}</url>
  </file>
</metalink>"#,
        good = server.url(&format!("{path}?size={size}")),
        missing = server.url(&format!("{path}?status=404")),
        refused = refused_url(path),
    )
}

#[test]
fn get_a_meta4_takes_the_next_mirror_when_the_first_are_dead() {
    let server = TestServer::start();
    let (size, path) = (300_000, "/m/disk.img");
    let expected = body_for(path, size);
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("disk.meta4");
    std::fs::write(&doc, meta4(&server, path, size, &sha256_hex(&expected))).unwrap();
    let out_dir = dir.path().join("out");
    let began = Instant::now();
    let out = fanout(&["get", doc.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(out_dir.join("disk.img")).unwrap(), expected);
    // A refused connection moves on to the next mirror at once, not after
    // five retries (about 30 s of waiting).
    let took = began.elapsed();
    assert!(took < Duration::from_secs(15), "took {took:?}");
    // The 404 was asked first (by priority), then the good mirror.
    let heads = server.headers_for(path);
    assert!(heads.len() >= 2, "{} requests", heads.len());
    assert!(!stderr(&out).contains("not check"), "{}", stderr(&out));
}

#[test]
fn get_a_meta4_whose_hash_is_wrong_fails_the_download() {
    let server = TestServer::start();
    let (size, path) = (50_000, "/w/disk.img");
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("disk.meta4");
    let wrong = sha256_hex(b"another file");
    std::fs::write(&doc, meta4(&server, path, size, &wrong)).unwrap();
    let out = fanout(&["get", doc.to_str().unwrap(), "-o", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(said.contains("SHA-256 mismatch"), "{said}");
    assert!(said.contains(&wrong), "{said}");
    assert!(!dir.path().join("disk.img").exists());
}

#[test]
fn get_a_v3_metalink_served_over_http_downloads_each_file() {
    let server = TestServer::start();
    let (a, b) = (body_for("/v3/a.bin", 20_000), body_for("/v3/b.bin", 30_000));
    let doc = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/">
  <files>
    <file name="a.bin">
      <verification><hash type="sha256">{sha_a}</hash></verification>
      <resources>
        <url type="http" preference="10">{a_good}</url>
        <url type="http" preference="100">{a_dead}</url>
      </resources>
    </file>
    <file name="b.bin">
      <verification><hash type="sha1">0000000000000000000000000000000000000000</hash></verification>
      <resources><url type="http">{b_good}</url></resources>
    </file>
  </files>
</metalink>"#,
        sha_a = sha256_hex(&a),
        a_good = server.url("/v3/a.bin?size=20000"),
        a_dead = server.url("/v3/a.bin?status=404"),
        b_good = server.url("/v3/b.bin?size=30000"),
    );
    let url = format!("{}/set.metalink", serve_text(doc));
    let dir = tempfile::tempdir().unwrap();
    let out = fanout(&["get", &url, "-o", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), a);
    assert_eq!(std::fs::read(dir.path().join("b.bin")).unwrap(), b);
    // b.bin has only a SHA-1: the user is told it is not verified.
    let err = stderr(&out);
    assert!(err.contains("b.bin: the metalink gives only sha1"), "{err}");
    assert!(!err.contains("a.bin: the metalink gives only"), "{err}");
}

#[test]
fn get_refuses_a_metalink_that_names_a_file_outside_its_folder() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    for (name, doc, why) in [
        (
            "escape.meta4",
            format!(
                r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="../../evil"><url>{}</url></file></metalink>"#,
                server.url("/e?size=10")
            ),
            "refused: the metalink names a file outside its folder: \"../../evil\"",
        ),
        (
            "absolute.meta4",
            format!(
                r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="/tmp/evil"><url>{}</url></file></metalink>"#,
                server.url("/e?size=10")
            ),
            "outside its folder: \"/tmp/evil\"",
        ),
        (
            "broken.meta4",
            "<metalink><file name=\"a\"><url>http://h/a</url></metalink>".to_string(),
            "not a metalink: the XML could not be read",
        ),
    ] {
        let doc_path = dir.path().join(name);
        std::fs::write(&doc_path, doc).unwrap();
        let out = fanout(&[
            "get",
            doc_path.to_str().unwrap(),
            "-o",
            dir.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(name), "{name}: {}", stderr(&out));
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn add_metalink_over_the_rpc_answers_a_gid_per_file_that_completes() {
    use base64::Engine;
    let server = TestServer::start();
    let (a, b) = (body_for("/r/a.bin", 40_000), body_for("/r/b.bin", 10_000));
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <file name="a.bin">
    <hash type="sha-256">{sha_a}</hash>
    <url priority="1">{a_dead}</url>
    <url priority="2">{a_good}</url>
  </file>
  <file name="b.bin">
    <url>{b_good}</url>
  </file>
</metalink>"#,
        sha_a = sha256_hex(&a),
        a_dead = refused_url("/r/a.bin"),
        a_good = server.url("/r/a.bin?size=40000"),
        b_good = server.url("/r/b.bin?size=10000"),
    );
    let rpc = Serve::start();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&doc);
    let gids = rpc.call("aria2.addMetalink", json!([b64, {}])).unwrap();
    let gids: Vec<String> = gids
        .as_array()
        .unwrap_or_else(|| panic!("not a list of gids: {gids}"))
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect();
    assert_eq!(gids.len(), 2);
    assert_ne!(gids[0], gids[1]);
    let deadline = Instant::now() + Duration::from_secs(30);
    for gid in &gids {
        loop {
            let s = rpc.call("aria2.tellStatus", json!([gid])).unwrap();
            if s["status"] == "complete" {
                break;
            }
            assert!(s["status"] != "error", "{gid}: {s}");
            assert!(Instant::now() < deadline, "{gid} did not complete: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert_eq!(std::fs::read(rpc.folder().join("a.bin")).unwrap(), a);
    assert_eq!(std::fs::read(rpc.folder().join("b.bin")).unwrap(), b);
    // A metalink that tries to leave the folder is refused, with why.
    let bad = r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="../x"><url>http://127.0.0.1:9/x</url></file></metalink>"#;
    let e = rpc
        .call(
            "aria2.addMetalink",
            json!([base64::engine::general_purpose::STANDARD.encode(bad)]),
        )
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("outside its folder"),
        "{e}"
    );
}

/// The add dialog takes a metalink's path and a metalink's URL typed in
/// it: each file of both is a row that downloads, from its good mirror.
#[test]
fn the_add_dialog_queues_the_files_of_a_metalink_path_and_url() {
    use support::gui::{Setup, add_urls, all_done, step_until};
    let server = TestServer::start();
    let (size, path) = (60_000, "/d/disk.img");
    let expected = body_for(path, size);
    let setup = Setup::new();
    let local = setup.config.path().join("disk.meta4");
    std::fs::write(&local, meta4(&server, path, size, &sha256_hex(&expected))).unwrap();
    let remote = format!(
        r#"<metalink version="3.0" xmlns="http://www.metalinker.org/"><files>
  <file name="w1.bin"><resources><url type="http">{}</url></resources></file>
  <file name="w2.bin"><resources><url type="http" preference="1">{}</url><url type="http" preference="9">{}</url></resources></file>
</files></metalink>"#,
        server.url("/d/w1.bin?size=3000"),
        server.url("/d/w2.bin?size=4000"),
        server.url("/d/w2.bin?status=404"),
    );
    let remote = format!("{}/files.metalink", serve_text(remote));
    let mut harness = setup.harness();
    add_urls(&mut harness, &format!("{}\n{remote}", local.display()));
    step_until(&mut harness, "the metalinks' three files", all_done(3));
    let dir = setup.downloads.path();
    assert_eq!(support::files_in(dir), ["disk.img", "w1.bin", "w2.bin"]);
    assert_eq!(std::fs::read(dir.join("disk.img")).unwrap(), expected);
    assert_eq!(
        std::fs::read(dir.join("w2.bin")).unwrap(),
        body_for("/d/w2.bin", 4000)
    );
    assert_eq!(harness.state().core().model.counts().done, 3);
}
