//! Streams on every engine, from a streaming site of the tests' own on
//! loopback: a master playlist served as `text/plain` without an
//! extension, a media sequence that does not start at 0, AES-128 keys that
//! rotate (one with an upper-case `IV=0X…`, one without an IV, relative,
//! root-relative and with a query), a Referer the site requires, byte
//! ranges and an fMP4 init section, DASH templates. The joined file must
//! be the decrypted segments in playlist order, byte for byte: a wrong IV
//! garbles only 16 bytes a segment, which a player would not show.

use crate::support;

use std::time::Duration;

use fanout::engine::{BackendKind, EngineConfig, FetchError, Job, StreamError};
use support::run::run_jobs;
use support::streaming::{Site, encrypt, segment_bytes, sequence_iv};
use support::user_files;
use support::wait::{error_of, saved_path};

const REFERER: &str = "https://videos.example/watch?v=1";

fn config(kind: BackendKind) -> EngineConfig {
    EngineConfig {
        retry_delay: Duration::from_millis(10),
        retries: 1,
        ..EngineConfig::new(kind)
    }
}

fn job(url: String, dir: &std::path::Path) -> Job {
    let mut job = Job::new(url, dir);
    job.headers = [fanout::engine::Header::new("Referer", REFERER).unwrap()]
        .into_iter()
        .collect();
    job
}

/// A site with a master at `/watch` (no extension, `text/plain`) whose
/// best variant is an encrypted media playlist of 12 segments from media
/// sequence 7; the plain bytes fanout must join.
fn encrypted_site() -> (Site, Vec<u8>) {
    let site = Site::start();
    site.require_referer(REFERER);
    site.set_latency(Duration::from_millis(40));
    let (k1, k2) = ([0x11u8; 16], [0x22u8; 16]);
    site.put("/v/hi/keys/k1.key", k1.to_vec(), "application/octet-stream");
    site.put("/keys/k2.key", k2.to_vec(), "application/octet-stream");
    let iv1 = [0xABu8; 16];
    let mut playlist =
        String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n");
    playlist += "#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.key\",IV=0XABABABABABABABABABABABABABABABAB\n";
    let mut plain = Vec::new();
    for i in 0..12 {
        if i == 6 {
            // Rotation: the second key has no IV, so each segment's IV is
            // its media sequence number (7 + i), not its index.
            playlist += "#EXT-X-KEY:METHOD=AES-128,URI=\"/keys/k2.key?token=abc\"\n";
        }
        let bytes = segment_bytes("hi", i, 20_000 + i * 100);
        let sealed = match i < 6 {
            true => encrypt(&k1, &iv1, &bytes),
            false => encrypt(&k2, &sequence_iv(7 + i as u64), &bytes),
        };
        plain.extend_from_slice(&bytes);
        site.put(&format!("/v/hi/seg{i}.ts"), sealed, "video/mp2t");
        playlist += &format!("#EXTINF:2.000,\nseg{i}.ts\n");
    }
    playlist += "#EXT-X-ENDLIST\n";
    site.put("/v/hi/index.m3u8", playlist, "application/vnd.apple.mpegurl");
    site.put(
        "/v/lo/index.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nnone.ts\n#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    );
    let master = "#EXTM3U\n\
        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n/v/lo/index.m3u8\n\
        #EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720\nv/hi/index.m3u8\n";
    site.put("/watch", master, "text/plain");
    (site, plain)
}

fn an_encrypted_hls_stream_is_joined_in_order(kind: BackendKind) {
    let (site, plain) = encrypted_site();
    let dir = tempfile::tempdir().unwrap();
    let (results, events) = run_jobs(config(kind), vec![job(site.url("/watch"), dir.path())]);
    let r = &results[0];
    assert!(r.is_ok(), "{kind:?}: {:?}", r.outcome);
    let path = saved_path(r);
    assert_eq!(path.file_name().unwrap(), "watch.ts");
    let got = std::fs::read(path).unwrap();
    assert!(
        got == plain,
        "{kind:?}: the joined bytes differ from the decrypted segments in order"
    );
    assert_eq!(r.bytes, plain.len() as u64, "{kind:?}: the file's size");
    // Nothing but the file is left: no part, no record.
    assert_eq!(user_files(dir.path()), vec!["watch.ts".to_string()], "{kind:?}");
    // Each key once, however many lanes needed it; the low variant never.
    assert_eq!(site.hits("/v/hi/keys/k1.key"), 1, "{kind:?}");
    assert_eq!(site.hits("/keys/k2.key"), 1, "{kind:?}");
    assert_eq!(site.hits("/v/lo/index.m3u8"), 0, "{kind:?}");
    // The engine's workers are the lanes: one at a time, or up to 4.
    match kind {
        BackendKind::Sequential => assert_eq!(site.max_in_flight(), 1),
        _ => assert!(
            (2..=4).contains(&site.max_in_flight()),
            "{kind:?}: {} in flight",
            site.max_in_flight()
        ),
    }
    let pieces: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            fanout::engine::Event::Pieces { done, total, .. } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(
        pieces.last(),
        Some(&(12, Some(12))),
        "{kind:?}: the row's count of segments"
    );
}

each_backend!(an_encrypted_hls_stream_is_joined_in_order, 4);

fn without_the_referer_the_site_refuses_and_nothing_is_written(kind: BackendKind) {
    let (site, _) = encrypted_site();
    let dir = tempfile::tempdir().unwrap();
    let (results, _) = run_jobs(config(kind), vec![Job::new(site.url("/watch"), dir.path())]);
    assert!(
        matches!(error_of(&results[0]), FetchError::Http { status: 403, .. }),
        "{:?}",
        results[0].outcome
    );
    assert!(user_files(dir.path()).is_empty(), "{:?}", user_files(dir.path()));
}

each_backend!(without_the_referer_the_site_refuses_and_nothing_is_written; tokio => BackendKind::Async { limit: 4 });

fn a_lost_segment_fails_the_stream_with_its_url(kind: BackendKind) {
    let (site, _) = encrypted_site();
    site.remove("/v/hi/seg8.ts");
    let dir = tempfile::tempdir().unwrap();
    let (results, _) = run_jobs(config(kind), vec![job(site.url("/watch"), dir.path())]);
    match error_of(&results[0]) {
        FetchError::Segment { number, url, cause } => {
            assert_eq!(*number, 9);
            assert!(url.ends_with("/v/hi/seg8.ts"), "{url}");
            assert!(
                matches!(**cause, FetchError::Http { status: 404, .. }),
                "{cause:?}"
            );
        }
        other => panic!("{kind:?}: {other:?}"),
    }
    // No file that looks complete, and no part either.
    assert!(user_files(dir.path()).is_empty(), "{:?}", user_files(dir.path()));
}

each_backend!(a_lost_segment_fails_the_stream_with_its_url, 4);

/// Downloads `path` and checks it failed as "not supported", saying that
/// nothing was written, and that nothing was.
fn refused_as_unsupported(site: &Site, path: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (results, _) = run_jobs(
        config(BackendKind::Async { limit: 4 }),
        vec![Job::new(site.url(path), dir.path())],
    );
    let error = error_of(&results[0]);
    assert!(
        matches!(error, FetchError::Stream(StreamError::Unsupported(_))),
        "{error:?}"
    );
    assert!(error.to_string().contains("nothing was written"), "{error}");
    assert!(user_files(dir.path()).is_empty(), "{:?}", user_files(dir.path()));
}

#[test]
fn sample_aes_is_refused_and_nothing_is_written() {
    let site = Site::start();
    site.put(
        "/drm.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://k\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    );
    refused_as_unsupported(&site, "/drm.m3u8");
    assert_eq!(site.hits("/a.ts"), 0);
}

/// fMP4 with `EXT-X-MAP` and every piece a byte range of one file.
#[test]
fn byte_ranges_of_one_file_and_an_init_section_make_an_mp4() {
    let site = Site::start();
    let init = segment_bytes("init", 0, 700);
    let whole = segment_bytes("media", 0, 50_000);
    site.put(
        "/f/media.mp4",
        [init.clone(), whole.clone()].concat(),
        "video/mp4",
    );
    let mut playlist = String::from(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"media.mp4\",BYTERANGE=\"700@0\"\n",
    );
    // The first range gives its offset; the others follow on from it.
    playlist += "#EXTINF:4,\n#EXT-X-BYTERANGE:20000@700\nmedia.mp4\n";
    playlist += "#EXTINF:4,\n#EXT-X-BYTERANGE:20000\nmedia.mp4\n";
    playlist += "#EXT-X-DISCONTINUITY\n#EXTINF:4,\n#EXT-X-BYTERANGE:10000\nmedia.mp4\n#EXT-X-ENDLIST\n";
    site.put("/f/play", playlist, "application/octet-stream");
    let dir = tempfile::tempdir().unwrap();
    let (results, _) = run_jobs(
        config(BackendKind::Threads { workers: 3 }),
        vec![Job::new(site.url("/f/play"), dir.path())],
    );
    let path = saved_path(&results[0]);
    assert_eq!(path.file_name().unwrap(), "play.mp4");
    assert!(std::fs::read(path).unwrap() == [init, whole].concat());
}

/// DASH as ffmpeg writes it: a template on each representation,
/// `$RepresentationID$` and `$Number%05d$`, a timeline with repeats.
fn dash_site() -> (Site, Vec<u8>, Vec<u8>) {
    let site = Site::start();
    let mut video = segment_bytes("v-init", 0, 900);
    let mut audio = segment_bytes("a-init", 0, 300);
    site.put("/d/init-stream0.m4s", video.clone(), "video/mp4");
    site.put("/d/init-stream1.m4s", audio.clone(), "audio/mp4");
    for n in 1..=5 {
        let v = segment_bytes("v", n, 10_000);
        let a = segment_bytes("a", n, 2_000);
        site.put(
            &format!("/d/chunk-stream0-{n:05}.m4s"),
            v.clone(),
            "video/iso.segment",
        );
        site.put(
            &format!("/d/chunk-stream1-{n:05}.m4s"),
            a.clone(),
            "video/iso.segment",
        );
        video.extend(v);
        audio.extend(a);
    }
    let mpd = r#"<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT20.0S" minBufferTime="PT4.0S">
  <Period id="0" start="PT0.0S">
    <AdaptationSet id="0" contentType="video" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true" frameRate="25/1" maxWidth="320" maxHeight="240" par="4:3" lang="und">
      <Representation id="0" mimeType="video/mp4" codecs="avc1.64000d" bandwidth="200000" width="320" height="240" sar="1:1">
        <SegmentTemplate timescale="12800" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="51200" r="4" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true" lang="und">
      <Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="64000" audioSamplingRate="44100">
        <SegmentTemplate timescale="44100" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="176400" r="4" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;
    site.put("/d/manifest.mpd", mpd, "application/dash+xml");
    (site, video, audio)
}

/// Without ffmpeg (its PATH emptied), video and audio stay two files, each
/// its track byte for byte, and the log says why.
#[test]
fn dash_without_ffmpeg_keeps_video_and_audio_apart() {
    let (site, video, audio) = dash_site();
    let dir = tempfile::tempdir().unwrap();
    let (url, out_dir) = (site.url("/d/manifest.mpd"), dir.path().to_str().unwrap());
    let args = ["get", "-e", "async", "-j", "4", &url, "-o", out_dir];
    let out = support::programs::fanout(&args, None, &[("PATH", "/nonexistent")]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(std::fs::read(dir.path().join("manifest.video.mp4")).unwrap() == video);
    assert!(std::fs::read(dir.path().join("manifest.audio.m4a")).unwrap() == audio);
    assert!(said.contains("ffmpeg was not found"), "{said}");
}

/// A segment the server is too busy for once is tried again, as any
/// transfer is, and the stream completes; the retry is in the log.
#[test]
fn a_segment_that_fails_once_is_tried_again() {
    let (site, plain) = encrypted_site();
    site.busy_once("/v/hi/seg4.ts");
    let dir = tempfile::tempdir().unwrap();
    let (results, events) = run_jobs(
        config(BackendKind::Threads { workers: 4 }),
        vec![job(site.url("/watch"), dir.path())],
    );
    assert!(std::fs::read(saved_path(&results[0])).unwrap() == plain);
    assert_eq!(site.hits("/v/hi/seg4.ts"), 2);
    assert!(
        events.iter().any(|e| matches!(
            e,
            fanout::engine::Event::Note {
                note: fanout::engine::Note::Retry { .. },
                ..
            }
        )),
        "the retry is noted"
    );
}

/// An HLS variant with an audio rendition of its own: two tracks. Without
/// ffmpeg both are kept, each its segments in order, and the log says why.
#[test]
fn an_audio_rendition_is_a_second_track() {
    let site = Site::start();
    let mut video = Vec::new();
    let mut audio = Vec::new();
    let (mut vlist, mut alist) = (
        String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n"),
        String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n"),
    );
    for i in 0..4 {
        let (v, a) = (segment_bytes("video", i, 9_000), segment_bytes("audio", i, 1_500));
        site.put(&format!("/r/v{i}.ts"), v.clone(), "video/mp2t");
        site.put(&format!("/r/a/{i}.aac.ts"), a.clone(), "video/mp2t");
        video.extend(v);
        audio.extend(a);
        vlist += &format!("#EXTINF:2,\nv{i}.ts\n");
        alist += &format!("#EXTINF:2,\n{i}.aac.ts\n");
    }
    site.put(
        "/r/video.m3u8",
        vlist + "#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    );
    site.put(
        "/r/a/audio.m3u8",
        alist + "#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    );
    site.put(
        "/r/show.m3u8",
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en\",DEFAULT=YES,URI=\"a/audio.m3u8\"\n\
         #EXT-X-STREAM-INF:BANDWIDTH=900000,AUDIO=\"aud\"\nvideo.m3u8\n",
        "application/vnd.apple.mpegurl",
    );
    let dir = tempfile::tempdir().unwrap();
    let (url, out_dir) = (site.url("/r/show.m3u8"), dir.path().to_str().unwrap());
    let out = support::programs::fanout(&["get", &url, "-o", out_dir], None, &[("PATH", "/nonexistent")]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(std::fs::read(dir.path().join("show.video.ts")).unwrap() == video);
    assert!(std::fs::read(dir.path().join("show.audio.ts")).unwrap() == audio);
    assert!(said.contains("ffmpeg was not found"), "{said}");
}

/// The proxy set for downloads carries the playlists, the keys and every
/// segment of a stream.
#[test]
fn a_stream_goes_through_the_proxy_set_for_downloads() {
    let Some(proxy) = support::proxy::Proxy::tinyproxy(None) else {
        return;
    };
    let (site, plain) = encrypted_site();
    let dir = tempfile::tempdir().unwrap();
    let server = fanout::engine::ProxyServer::parse(&proxy.url("http", None), None).unwrap();
    let config = EngineConfig {
        proxy: fanout::engine::ProxyConfig {
            choice: fanout::engine::ProxyChoice::Manual(server),
            no_proxy: None,
        },
        ..config(BackendKind::Async { limit: 4 })
    };
    let (results, _) = run_jobs(config, vec![job(site.url("/watch"), dir.path())]);
    assert!(std::fs::read(saved_path(&results[0])).unwrap() == plain);
    // The master, the media playlist, two keys and 12 segments.
    assert_eq!(proxy.requests().len(), 16, "tinyproxy's log: {}", proxy.log());
}

/// A live variant whose audio is a playlist of its own is refused with a
/// clear message, before anything is written.
#[test]
fn a_live_stream_with_separate_audio_is_refused_clearly() {
    let site = Site::start();
    site.put(
        "/lv/v.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nv0.ts\n",
        "application/vnd.apple.mpegurl",
    );
    site.put(
        "/lv/a.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\na0.ts\n",
        "application/vnd.apple.mpegurl",
    );
    site.put(
        "/lv/master.m3u8",
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\",URI=\"a.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\"\nv.m3u8\n",
        "application/vnd.apple.mpegurl",
    );
    refused_as_unsupported(&site, "/lv/master.m3u8");
    assert_eq!(site.hits("/lv/v0.ts") + site.hits("/lv/a0.ts"), 0);
}
