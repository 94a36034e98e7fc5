//! A stream in the window: the add dialog lists an HLS master's variants
//! (fetched off the UI thread) and the one picked is the one downloaded
//! and kept with the line; the row counts segments, and the Timeline tab
//! draws the stream's segments on its lanes.

use crate::support;

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use support::gui::{Setup, all_done, settle, step_until, type_into};
use support::streaming::{Site, segment_bytes};

/// A master of two variants (the second the better), each a media
/// playlist of 6 plain segments of its own bytes.
fn master_site() -> Site {
    let site = Site::start();
    site.set_latency(Duration::from_millis(20));
    for (name, n) in [("low", 6), ("high", 6)] {
        let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n");
        for i in 0..n {
            site.put(
                &format!("/{name}/{i}.ts"),
                segment_bytes(name, i, 8_000),
                "video/mp2t",
            );
            text += &format!("#EXTINF:2,\n{i}.ts\n");
        }
        site.put(
            &format!("/{name}/index.m3u8"),
            text + "#EXT-X-ENDLIST\n",
            "application/vnd.apple.mpegurl",
        );
    }
    site.put(
        "/show",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=640000,RESOLUTION=640x360\nlow/index.m3u8\n\
         #EXT-X-STREAM-INF:BANDWIDTH=2400000,RESOLUTION=1280x720\nhigh/index.m3u8\n",
        "text/plain",
    );
    site
}

#[test]
fn the_add_dialog_lists_a_master_s_variants_and_the_one_picked_is_downloaded() {
    let site = master_site();
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label("Add URLs").click();
    settle(&mut harness);
    type_into(&mut harness, "URLs", &site.url("/show"));
    harness.get_by_label("Stream variants…").click();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while harness.query_by_label("1: 640×360, 0.6 Mbit/s").is_none() {
        assert!(std::time::Instant::now() < deadline, "the variants never showed");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(harness.query_by_label("2: 1280×720, 2.4 Mbit/s").is_some());
    harness.get_by_label("1: 640×360, 0.6 Mbit/s").click();
    settle(&mut harness);
    harness.get_by_label("Add to queue").click();
    step_until(&mut harness, "the stream", all_done(1));
    let (path, options, pieces) = {
        let core = harness.state().core();
        let row = &core.model.rows[0];
        (row.path.clone().unwrap(), row.options.clone(), row.pieces)
    };
    let low: Vec<u8> = (0..6).flat_map(|i| segment_bytes("low", i, 8_000)).collect();
    assert!(
        std::fs::read(&path).unwrap() == low,
        "not the variant picked: {}",
        path.display()
    );
    assert_eq!(site.hits("/high/index.m3u8"), 0);
    // The choice stays with the line (the saved queue keeps it).
    assert_eq!(options.stream.variant.as_deref(), Some("1"));
    assert_eq!(pieces, Some((6, Some(6))), "the row's count of segments");
    // The Timeline tab: the stream's own chart of its segments.
    harness.get_by_label("Timeline").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label_contains("Segments of show.ts").is_some(),
        "the timeline shows the stream's segments"
    );
}
