//! Tests of the HLS reader, with playlists as ffmpeg, Apple's tools and
//! video sites write them.

#![allow(clippy::unwrap_used)]

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn base() -> Url {
    url("https://media.example.com/vod/show/index.m3u8?token=abc")
}

fn master_of(text: &str) -> Vec<Variant> {
    match parse(text.as_bytes(), &base()).unwrap() {
        Parsed::Master(variants) => variants,
        other => panic!("not a master: {other:?}"),
    }
}

fn track_of(text: &str) -> Track {
    match parse(text.as_bytes(), &base()).unwrap() {
        Parsed::Tracks(mut tracks) => {
            assert_eq!(tracks.len(), 1);
            tracks.remove(0)
        }
        other => panic!("not a media playlist: {other:?}"),
    }
}

fn error_of(text: &str) -> StreamError {
    parse(text.as_bytes(), &base()).unwrap_err()
}

fn urls(track: &Track) -> Vec<&str> {
    track.pieces.iter().map(|p| p.url.as_str()).collect()
}

/// `ffmpeg -f hls -master_pl_name master.m3u8 -var_stream_map "v:0,a:0 v:1,a:1"`.
const FFMPEG_MASTER: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=1210000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"
stream_0.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=3210000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"
stream_1.m3u8

";

/// As Apple's HLS tools and big sites write a master: separate audio
/// renditions, I-frame streams, subtitles, and every form of URI.
const SITE_MASTER: &str = "#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\",AUTOSELECT=YES,DEFAULT=NO,URI=\"audio/en/prog.m3u8\"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"de\",NAME=\"Deutsch\",AUTOSELECT=YES,DEFAULT=YES,URI=\"/audio/de/prog.m3u8?lang=de&sig=1\"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"ac3\",LANGUAGE=\"en\",NAME=\"English 5.1\",CHANNELS=\"6\",URI=\"ac3/en.m3u8\"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"ac3\",LANGUAGE=\"fr\",NAME=\"French 5.1\",URI=\"ac3/fr.m3u8\"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"muxed\",NAME=\"Main\",DEFAULT=YES,AUTOSELECT=YES
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",URI=\"subs/en.m3u8\"
#EXT-X-STREAM-INF:BANDWIDTH=2177116,AVERAGE-BANDWIDTH=2168183,CODECS=\"avc1.640020,mp4a.40.2\",RESOLUTION=960x540,FRAME-RATE=60.000,AUDIO=\"aac\",SUBTITLES=\"subs\"
v5/prog_index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=8001098,CODECS=\"avc1.64002a,ac-3\",RESOLUTION=1920x1080,AUDIO=\"ac3\"
/hd/v9/prog_index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=640000,RESOLUTION=416x234,AUDIO=\"muxed\"
https://cdn2.example.net/low/prog.m3u8?exp=1700000000&sig=Zm9v
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=186522,CODECS=\"avc1.64002a\",RESOLUTION=1920x1080,URI=\"v9/iframe_index.m3u8\"
";

#[test]
fn ffmpeg_master_lists_variants_resolved_against_the_base() {
    let variants = master_of(FFMPEG_MASTER);
    assert_eq!(variants.len(), 2);
    assert_eq!(
        variants[0].uri.as_str(),
        "https://media.example.com/vod/show/stream_0.m3u8"
    );
    assert_eq!(variants[0].bandwidth, 1_210_000);
    assert_eq!(variants[0].resolution, Some((640, 360)));
    assert_eq!(variants[0].codecs.as_deref(), Some("avc1.64001e,mp4a.40.2"));
    assert_eq!(variants[0].audio, None);
    assert_eq!(
        variants[1].uri.as_str(),
        "https://media.example.com/vod/show/stream_1.m3u8"
    );
}

#[test]
fn site_master_resolves_every_kind_of_uri_and_picks_audio_renditions() {
    let variants = master_of(SITE_MASTER);
    // The I-frame stream is not a variant.
    assert_eq!(variants.len(), 3);
    assert_eq!(
        variants[0].uri.as_str(),
        "https://media.example.com/vod/show/v5/prog_index.m3u8"
    );
    // DEFAULT=YES wins over the first of the group.
    assert_eq!(
        variants[0].audio.as_ref().map(Url::as_str),
        Some("https://media.example.com/audio/de/prog.m3u8?lang=de&sig=1")
    );
    assert_eq!(
        variants[1].uri.as_str(),
        "https://media.example.com/hd/v9/prog_index.m3u8"
    );
    // No DEFAULT=YES in the group: its first.
    assert_eq!(
        variants[1].audio.as_ref().map(Url::as_str),
        Some("https://media.example.com/vod/show/ac3/en.m3u8")
    );
    assert_eq!(variants[1].codecs.as_deref(), Some("avc1.64002a,ac-3"));
    assert_eq!(
        variants[2].uri.as_str(),
        "https://cdn2.example.net/low/prog.m3u8?exp=1700000000&sig=Zm9v"
    );
    // A rendition without a URI is muxed into the variant.
    assert_eq!(variants[2].audio, None);
    assert_eq!(variants[2].codecs, None);
}

#[test]
fn choose_by_default_index_height_and_bandwidth() {
    let variants = master_of(SITE_MASTER);
    assert_eq!(choose(&variants, None).unwrap().bandwidth, 8_001_098);
    assert_eq!(choose(&variants, Some("1")).unwrap().bandwidth, 2_177_116);
    assert_eq!(choose(&variants, Some("3")).unwrap().bandwidth, 640_000);
    assert_eq!(choose(&variants, Some("540p")).unwrap().bandwidth, 2_177_116);
    assert_eq!(choose(&variants, Some("1080P")).unwrap().bandwidth, 8_001_098);
    assert_eq!(choose(&variants, Some("234")).unwrap().bandwidth, 640_000);
    assert_eq!(choose(&variants, Some(" 2177116 ")).unwrap().bandwidth, 2_177_116);
    for wrong in ["0", "4", "720p", "720", "best", "", "p"] {
        assert_eq!(
            choose(&variants, Some(wrong)),
            Err(StreamError::NoVariant(wrong.into()))
        );
    }
    assert_eq!(choose(&[], None), Err(StreamError::NoVariant("at all".into())));
}

#[test]
fn choose_among_equals_takes_the_first_and_the_best_of_a_height() {
    let variant = |bandwidth, height| Variant {
        uri: url(&format!("https://x.test/{bandwidth}.m3u8")),
        bandwidth,
        resolution: Some((height * 16 / 9, height)),
        codecs: None,
        audio: None,
    };
    let variants = [
        variant(500, 360),
        variant(900, 720),
        variant(1500, 720),
        variant(1500, 1080),
    ];
    assert_eq!(
        choose(&variants, None).unwrap().uri.as_str(),
        "https://x.test/1500.m3u8"
    );
    assert_eq!(choose(&variants, None).unwrap().resolution, Some((1280, 720)));
    assert_eq!(choose(&variants, Some("720p")).unwrap().bandwidth, 1500);
}

/// `ffmpeg -i in.mp4 -c copy -f hls -hls_time 10 -hls_playlist_type vod out.m3u8`.
const FFMPEG_VOD: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:10
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXTINF:10.010000,
out0.ts
#EXTINF:10.010000,
out1.ts
#EXTINF:3.336667,
out2.ts
#EXT-X-ENDLIST
";

#[test]
fn ffmpeg_vod_media_playlist() {
    let track = track_of(FFMPEG_VOD);
    assert_eq!(track.kind, TrackKind::Main);
    assert_eq!(track.container, Container::Ts);
    assert_eq!(track.init, None);
    assert!(!track.live);
    assert_eq!(track.target_duration, 10.0);
    assert_eq!(track.playlist, base());
    assert_eq!(
        urls(&track),
        [
            "https://media.example.com/vod/show/out0.ts",
            "https://media.example.com/vod/show/out1.ts",
            "https://media.example.com/vod/show/out2.ts",
        ]
    );
    let seconds: Vec<f64> = track.pieces.iter().map(|p| p.seconds).collect();
    assert_eq!(seconds, [10.01, 10.01, 3.336667]);
    let sequences: Vec<u64> = track.pieces.iter().map(|p| p.sequence).collect();
    assert_eq!(sequences, [0, 1, 2]);
    assert!(track.pieces.iter().all(|p| p.range.is_none() && p.key.is_none()));
}

#[test]
fn live_playlist_with_sequence_dates_and_query_uris() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:2680\n\
         #EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z\n#EXTINF:6.000,\n\
         /live/seg-2680.ts?token=abc\n#EXTINF:6.000,\nhttps://edge.example.org/live/seg-2681.ts\n\
         #EXTINF:5.5,live\n../seg-2682.ts\n",
    );
    assert!(track.live);
    assert_eq!(track.target_duration, 6.0);
    assert_eq!(
        urls(&track),
        [
            "https://media.example.com/live/seg-2680.ts?token=abc",
            "https://edge.example.org/live/seg-2681.ts",
            "https://media.example.com/vod/seg-2682.ts",
        ]
    );
    let sequences: Vec<u64> = track.pieces.iter().map(|p| p.sequence).collect();
    assert_eq!(sequences, [2680, 2681, 2682]);
    assert_eq!(track.pieces[2].seconds, 5.5);
}

#[test]
fn discontinuities_keep_the_order_of_pieces() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nmain0.ts\n#EXT-X-DISCONTINUITY\n\
         #EXTINF:4,\nad0.ts\n#EXTINF:4,\nad1.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:10,\nmain1.ts\n#EXT-X-ENDLIST\n",
    );
    let names: Vec<&str> = track
        .pieces
        .iter()
        .map(|p| p.url.path_segments().unwrap().next_back().unwrap())
        .collect();
    assert_eq!(names, ["main0.ts", "ad0.ts", "ad1.ts", "main1.ts"]);
    let sequences: Vec<u64> = track.pieces.iter().map(|p| p.sequence).collect();
    assert_eq!(sequences, [0, 1, 2, 3]);
}

#[test]
fn ffmpeg_single_file_byteranges_with_offsets() {
    // `-hls_flags single_file`: every segment a range of one .ts.
    let track = track_of(
        "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXTINF:10.000000,\n#EXT-X-BYTERANGE:1006472@0\nout.ts\n\
         #EXTINF:10.000000,\n#EXT-X-BYTERANGE:983536@1006472\nout.ts\n#EXT-X-ENDLIST\n",
    );
    let ranges: Vec<_> = track.pieces.iter().map(|p| p.range).collect();
    assert_eq!(ranges, [Some((0, 1_006_472)), Some((1_006_472, 983_536))]);
    assert_eq!(
        track.pieces[1].url.as_str(),
        "https://media.example.com/vod/show/out.ts"
    );
}

#[test]
fn byteranges_without_offset_continue_after_the_same_url() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:5\n\
         #EXTINF:10,\n#EXT-X-BYTERANGE:75232@0\na.ts\n#EXTINF:10,\n#EXT-X-BYTERANGE:82112\na.ts\n\
         #EXTINF:10,\n#EXT-X-BYTERANGE:1000\nb.ts\n#EXTINF:10,\n#EXT-X-BYTERANGE:69864\na.ts\n\
         #EXTINF:10,\n#EXT-X-BYTERANGE:500\nb.ts\n#EXT-X-ENDLIST\n",
    );
    let ranges: Vec<_> = track.pieces.iter().map(|p| p.range.unwrap()).collect();
    assert_eq!(
        ranges,
        [
            (0, 75_232),
            (75_232, 82_112),
            (0, 1000),
            (157_344, 69_864),
            (1000, 500)
        ]
    );
}

#[test]
fn ffmpeg_fmp4_map_gives_an_mp4_track_with_init() {
    // `-hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4`.
    let track = track_of(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n\
         #EXTINF:4.000000,\nseg0.m4s\n#EXTINF:4.000000,\nseg1.m4s\n#EXTINF:1.500000,\nseg2.m4s\n#EXT-X-ENDLIST\n",
    );
    assert_eq!(track.container, Container::Mp4);
    let init = track.init.unwrap();
    assert_eq!(init.url.as_str(), "https://media.example.com/vod/show/init.mp4");
    assert_eq!(init.range, None);
    assert_eq!(init.key, None);
    assert_eq!(track.pieces.len(), 3);
}

#[test]
fn map_with_byterange_and_segments_continuing_after_it() {
    // `-hls_segment_type fmp4 -hls_flags single_file`: init and segments
    // in one file; the first segment's offset follows the init section.
    let track = track_of(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"out.mp4\",BYTERANGE=\"1165@0\"\n\
         #EXTINF:4.000000,\n#EXT-X-BYTERANGE:400000\nout.mp4\n#EXTINF:4.000000,\n#EXT-X-BYTERANGE:390000\nout.mp4\n\
         #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"out.mp4\",BYTERANGE=\"1165@0\"\n#EXTINF:4.000000,\n\
         #EXT-X-BYTERANGE:1000@791165\nout.mp4\n#EXT-X-ENDLIST\n",
    );
    assert_eq!(track.init.unwrap().range, Some((0, 1165)));
    let ranges: Vec<_> = track.pieces.iter().map(|p| p.range.unwrap()).collect();
    assert_eq!(ranges, [(1165, 400_000), (401_165, 390_000), (791_165, 1000)]);
}

#[test]
fn a_new_init_section_mid_stream_is_unsupported() {
    let changed = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init-a.mp4\"\n#EXTINF:4,\na0.m4s\n\
                   #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-b.mp4\"\n#EXTINF:4,\nb0.m4s\n#EXT-X-ENDLIST\n";
    let late = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na0.ts\n#EXT-X-DISCONTINUITY\n\
                #EXT-X-MAP:URI=\"init-b.mp4\"\n#EXTINF:4,\nb0.m4s\n#EXT-X-ENDLIST\n";
    for text in [changed, late] {
        assert_eq!(
            error_of(text),
            StreamError::Unsupported("a change of init section mid-stream".into())
        );
    }
}

#[test]
fn aes_128_with_explicit_iv_as_ffmpeg_writes_it() {
    // `-hls_key_info_file`, whose third line is the IV.
    let track = track_of(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example.com/enc.key?id=7\",IV=0x0000000000000000000000000000000A\n\
         #EXTINF:4.000000,\nout0.ts\n#EXTINF:4.000000,\nout1.ts\n#EXT-X-ENDLIST\n",
    );
    let mut iv = [0u8; 16];
    iv[15] = 10;
    for piece in &track.pieces {
        let key = piece.key.as_ref().unwrap();
        assert_eq!(key.uri.as_str(), "https://keys.example.com/enc.key?id=7");
        // The explicit IV is every piece's, whatever its sequence.
        assert_eq!(key.iv, iv);
    }
}

#[test]
fn aes_128_without_iv_uses_the_media_sequence_number() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:300\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"/keys/k1\"\n#EXTINF:6,\ns300.ts\n#EXTINF:6,\ns301.ts\n",
    );
    let first = track.pieces[0].key.as_ref().unwrap();
    assert_eq!(first.uri.as_str(), "https://media.example.com/keys/k1");
    assert_eq!(first.iv, 300u128.to_be_bytes());
    assert_eq!(track.pieces[1].key.as_ref().unwrap().iv, 301u128.to_be_bytes());
}

#[test]
fn key_rotation_none_and_iv_forms() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:10\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"k1.key\",IV=0xabcdef0123456789ABCDEF0123456789\n\
         #EXTINF:6,\na.ts\n#EXTINF:6,\nb.ts\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"k2.key?rot=2\",IV=0X1f,KEYFORMAT=\"identity\",KEYFORMATVERSIONS=\"1\"\n\
         #EXTINF:6,\nc.ts\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:6,\nd.ts\n\
         #EXT-X-KEY:METHOD=AES-128,URI=\"k3.key\"\n#EXTINF:6,\ne.ts\n#EXT-X-ENDLIST\n",
    );
    let keys: Vec<Option<&Key>> = track.pieces.iter().map(|p| p.key.as_ref()).collect();
    let k1 = keys[0].unwrap();
    assert_eq!(k1.uri.as_str(), "https://media.example.com/vod/show/k1.key");
    assert_eq!(k1.iv, 0xabcdef0123456789abcdef0123456789u128.to_be_bytes());
    assert_eq!(keys[1], Some(k1));
    let k2 = keys[2].unwrap();
    assert_eq!(k2.uri.as_str(), "https://media.example.com/vod/show/k2.key?rot=2");
    let mut short = [0u8; 16];
    short[15] = 0x1f;
    assert_eq!(k2.iv, short);
    assert_eq!(keys[3], None);
    // The fifth piece: sequence 14.
    assert_eq!(keys[4].unwrap().iv, 14u128.to_be_bytes());
}

#[test]
fn key_before_map_also_encrypts_the_init_section() {
    let track = track_of(
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.key\"\n\
         #EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4,\ns3.m4s\n#EXT-X-ENDLIST\n",
    );
    let init = track.init.unwrap();
    assert_eq!(init.key.unwrap().iv, 3u128.to_be_bytes());
    assert_eq!(init.sequence, 3);
}

#[test]
fn sample_aes_and_drm_are_unsupported_saying_which() {
    let with_key =
        |key: &str| format!("#EXTM3U\n#EXT-X-TARGETDURATION:6\n{key}\n#EXTINF:6,\na.ts\n#EXT-X-ENDLIST\n");
    let cases = [
        (
            "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k.key\",IV=0x01",
            "SAMPLE-AES encryption",
        ),
        (
            "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"k.key\"",
            "SAMPLE-AES-CTR encryption",
        ),
        (
            "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key65\",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"",
            "DRM (KEYFORMAT com.apple.streamingkeydelivery)",
        ),
        (
            "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,AAAA\",KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\"",
            "DRM (KEYFORMAT urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed)",
        ),
    ];
    for (key, why) in cases {
        let error = error_of(&with_key(key));
        assert_eq!(error, StreamError::Unsupported(why.into()));
        assert!(error.to_string().starts_with("not supported: "), "{error}");
    }
}

#[test]
fn bad_keys_are_invalid() {
    for key in [
        "#EXT-X-KEY:METHOD=AES-128,IV=0x01",
        "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x",
        "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=12",
        "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x000000000000000000000000000000001",
        "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xzz",
    ] {
        let text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:6\n{key}\n#EXTINF:6,\na.ts\n#EXT-X-ENDLIST\n");
        assert!(matches!(error_of(&text), StreamError::Invalid(_)), "{key}");
    }
}

#[test]
fn bom_crlf_and_blank_lines_are_read() {
    let text = "\u{feff}\r\n#EXTM3U\r\n#EXT-X-TARGETDURATION:8\r\n\r\n#EXTINF:7.5,\r\nseg 1.ts\r\n#EXTINF:8,\r\n  seg2.ts  \r\n#EXT-X-ENDLIST\r\n";
    let track = track_of(text);
    assert_eq!(
        urls(&track),
        [
            "https://media.example.com/vod/show/seg%201.ts",
            "https://media.example.com/vod/show/seg2.ts"
        ]
    );
    assert_eq!(track.pieces[0].seconds, 7.5);
}

#[test]
fn empty_and_garbage() {
    assert_eq!(
        error_of("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-ENDLIST\n"),
        StreamError::Empty
    );
    assert_eq!(error_of("#EXTM3U\n"), StreamError::Empty);
    // A master whose only streams are I-frame ones.
    assert_eq!(
        error_of("#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"i.m3u8\"\n"),
        StreamError::Empty
    );
    for garbage in [
        "<html><body>Not found</body></html>",
        "",
        "EXTM3U\nseg.ts\n",
        "\u{0}\u{1}binary",
    ] {
        assert!(
            matches!(error_of(garbage), StreamError::Invalid(_)),
            "{garbage:?}"
        );
    }
    let error = error_of("<html>");
    assert_eq!(
        error.to_string(),
        "not a playlist fanout can read: it does not start with #EXTM3U"
    );
}
