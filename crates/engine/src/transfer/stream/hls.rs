//! Reads HLS playlists (RFC 8216) into a download plan: a master playlist
//! into its variants, a media playlist into one track of pieces, with the
//! byte ranges, init section and AES-128 keys each piece needs.
//!
//! `m3u8-rs` does the parsing. Three things are read from the lines here
//! instead, because m3u8-rs 6 gets them wrong for downloading: it gives
//! `EXT-X-KEY` only to the first segment after the tag (a key applies to
//! every following segment), it rejects `METHOD=NONE` without an IV (so a
//! key is never cleared), and it keeps `EXTINF` as an `f32` (10.01 would
//! come back as 10.0100002).

use std::collections::HashMap;

use m3u8_rs::{AlternativeMediaType, MasterPlaylist, MediaPlaylist, Playlist};
use url::Url;

use super::plan::{Container, Key, Parsed, Piece, StreamError, Track, TrackKind, Variant};

/// Reads an HLS playlist (master or media) fetched from `base`.
pub fn parse(text: &[u8], base: &Url) -> Result<Parsed, StreamError> {
    // A byte order mark and leading blank lines are common in playlists
    // written on Windows or by hand; m3u8-rs wants `#EXTM3U` first.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if !text.starts_with(b"#EXTM3U") {
        return Err(StreamError::Invalid("it does not start with #EXTM3U".into()));
    }
    let playlist = m3u8_rs::parse_playlist_res(text)
        .map_err(|_| StreamError::Invalid("its HLS tags could not be read".into()))?;
    match playlist {
        Playlist::MasterPlaylist(list) => master(&list, base),
        Playlist::MediaPlaylist(list) => {
            let text =
                std::str::from_utf8(text).map_err(|_| StreamError::Invalid("it is not UTF-8 text".into()))?;
            media(text, &list, base)
        }
    }
}

/// The variant to take: `choice` None = highest `BANDWIDTH`; `Some(s)` = a
/// 1-based index into the list as shown (e.g. "2"), or a height like
/// "720p"/"720", or a bandwidth number.
pub fn choose<'a>(variants: &'a [Variant], choice: Option<&str>) -> Result<&'a Variant, StreamError> {
    let Some(wanted) = choice else {
        return best(variants.iter()).ok_or_else(|| StreamError::NoVariant("at all".into()));
    };
    let no_variant = || StreamError::NoVariant(wanted.to_string());
    let text = wanted.trim().to_ascii_lowercase();
    if let Some(height) = text.strip_suffix('p') {
        let height: u64 = height.trim().parse().map_err(|_| no_variant())?;
        return of_height(variants, height).ok_or_else(no_variant);
    }
    let number: u64 = text.parse().map_err(|_| no_variant())?;
    // Small numbers are positions in the list as shown; larger ones can
    // only be a height or a bitrate, which never collide in practice.
    if let Ok(index) = usize::try_from(number)
        && (1..=variants.len()).contains(&index)
    {
        return Ok(&variants[index - 1]);
    }
    of_height(variants, number)
        .or_else(|| variants.iter().find(|v| v.bandwidth == number))
        .ok_or_else(no_variant)
}

/// The highest bandwidth of `variants`, the first of equals.
fn best<'a>(variants: impl DoubleEndedIterator<Item = &'a Variant>) -> Option<&'a Variant> {
    // max_by_key keeps the last of equals; reversed, that is the first.
    variants.rev().max_by_key(|v| v.bandwidth)
}

fn of_height(variants: &[Variant], height: u64) -> Option<&Variant> {
    best(
        variants
            .iter()
            .filter(|v| v.resolution.is_some_and(|(_, h)| h == height)),
    )
}

fn master(list: &MasterPlaylist, base: &Url) -> Result<Parsed, StreamError> {
    let mut variants = Vec::new();
    // I-frame streams are trick-play thumbnails, not something to watch.
    for stream in list
        .variants
        .iter()
        .filter(|v| !v.is_i_frame && !v.uri.trim().is_empty())
    {
        let audio = match &stream.audio {
            Some(group) => audio_rendition(list, group, base)?,
            None => None,
        };
        variants.push(Variant {
            uri: join(base, &stream.uri)?,
            bandwidth: stream.bandwidth,
            resolution: stream.resolution.as_ref().map(|r| (r.width, r.height)),
            codecs: stream.codecs.clone(),
            audio,
        });
    }
    if variants.is_empty() {
        return Err(StreamError::Empty);
    }
    Ok(Parsed::Master(variants))
}

/// The playlist of the audio rendition `group` plays: its `DEFAULT=YES`
/// one, else its first. None when that rendition has no URI: its audio is
/// muxed into the variant's own segments.
fn audio_rendition(list: &MasterPlaylist, group: &str, base: &Url) -> Result<Option<Url>, StreamError> {
    let mut renditions = list
        .alternatives
        .iter()
        .filter(|m| m.media_type == AlternativeMediaType::Audio && m.group_id == group);
    let first = renditions.clone().next();
    match renditions
        .find(|m| m.default)
        .or(first)
        .and_then(|m| m.uri.as_deref())
    {
        Some(uri) => Ok(Some(join(base, uri)?)),
        None => Ok(None),
    }
}

/// An AES-128 key in effect: where it is, and its `IV=` if the tag had one.
type KeyTag = Option<(Url, Option<[u8; 16]>)>;

/// What the lines say about one segment, beyond what m3u8-rs gives.
struct Line {
    seconds: f64,
    key: KeyTag,
}

/// The key in effect at the first `EXT-X-MAP`, and the position of the
/// segment after it (whose sequence number is the init section's IV).
struct MapLine {
    key: KeyTag,
    next: usize,
}

fn media(text: &str, list: &MediaPlaylist, base: &Url) -> Result<Parsed, StreamError> {
    let (lines, map_line) = scan(text, base)?;
    if list.segments.is_empty() {
        return Err(StreamError::Empty);
    }
    if lines.len() != list.segments.len() {
        return Err(StreamError::Invalid("its segment lines could not be read".into()));
    }
    let first_sequence = list.media_sequence;
    let key = |tag: &KeyTag, sequence: u64| {
        tag.as_ref().map(|(uri, iv)| Key {
            uri: uri.clone(),
            // Without IV=, the IV is the media sequence number (RFC 8216
            // 5.2), which is not the position when the playlist does not
            // start at 0.
            iv: iv.unwrap_or_else(|| u128::from(sequence).to_be_bytes()),
        })
    };
    // Where the last range of each URL ended: a BYTERANGE without an
    // offset starts there.
    let mut range_ends: HashMap<Url, u64> = HashMap::new();
    let mut init: Option<Piece> = None;
    let mut init_map: Option<&m3u8_rs::Map> = None;
    let mut pieces = Vec::with_capacity(lines.len());
    for (position, (segment, line)) in list.segments.iter().zip(&lines).enumerate() {
        let sequence = first_sequence.saturating_add(position as u64);
        // m3u8-rs puts an EXT-X-MAP on the one segment after it.
        if let Some(map) = &segment.map {
            let same = |old: &m3u8_rs::Map| old.uri == map.uri && old.byte_range == map.byte_range;
            match init_map {
                Some(old) if same(old) => {}
                // One output file has one init section; a second one (a
                // new encoding after a discontinuity, or TS segments
                // before it) would need a second file.
                Some(_) => return Err(unsupported_map_change()),
                None if position > 0 => return Err(unsupported_map_change()),
                None => {
                    let url = join(base, &map.uri)?;
                    let range = map.byte_range.as_ref().map(|r| (r.offset.unwrap_or(0), r.length));
                    if let Some((offset, length)) = range {
                        range_ends.insert(url.clone(), offset.saturating_add(length));
                    }
                    let init_sequence =
                        first_sequence.saturating_add(map_line.as_ref().map_or(0, |m| m.next as u64));
                    init = Some(Piece {
                        url,
                        range,
                        key: map_line.as_ref().and_then(|m| key(&m.key, init_sequence)),
                        sequence: init_sequence,
                        seconds: 0.0,
                    });
                    init_map = Some(map);
                }
            }
        }
        let url = join(base, &segment.uri)?;
        let range = segment.byte_range.as_ref().map(|r| {
            let offset = r.offset.or_else(|| range_ends.get(&url).copied()).unwrap_or(0);
            range_ends.insert(url.clone(), offset.saturating_add(r.length));
            (offset, r.length)
        });
        pieces.push(Piece {
            url,
            range,
            key: key(&line.key, sequence),
            sequence,
            seconds: line.seconds,
        });
    }
    Ok(Parsed::Tracks(vec![Track {
        kind: TrackKind::Main,
        container: if init.is_some() {
            Container::Mp4
        } else {
            Container::Ts
        },
        init,
        pieces,
        target_duration: list.target_duration as f64,
        live: !list.end_list,
        playlist: base.clone(),
    }]))
}

fn unsupported_map_change() -> StreamError {
    StreamError::Unsupported("a change of init section mid-stream".into())
}

/// Walks the lines for the durations and keys of the segments, in order,
/// and the key in effect at the first `EXT-X-MAP`.
fn scan(text: &str, base: &Url) -> Result<(Vec<Line>, Option<MapLine>), StreamError> {
    let mut lines = Vec::new();
    let mut key: KeyTag = None;
    let mut seconds = 0.0;
    let mut map_line = None;
    for line in text.lines().map(str::trim) {
        if let Some(attributes) = line.strip_prefix("#EXT-X-KEY:") {
            key = key_tag(attributes, base)?;
        } else if let Some(info) = line.strip_prefix("#EXTINF:") {
            // `#EXTINF:<duration>,[<title>]`; a duration that is not a
            // number (seen in IPTV lists) only loses the progress estimate.
            let duration = info.split(',').next().unwrap_or("").trim();
            seconds = duration
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(0.0);
        } else if line.starts_with("#EXT-X-MAP:") {
            if map_line.is_none() {
                map_line = Some(MapLine {
                    key: key.clone(),
                    next: lines.len(),
                });
            }
        } else if !line.is_empty() && !line.starts_with('#') {
            lines.push(Line {
                seconds,
                key: key.clone(),
            });
            seconds = 0.0;
        }
    }
    Ok((lines, map_line))
}

/// The key an `EXT-X-KEY` attribute list sets: None for `METHOD=NONE`, an
/// error for encryption fanout cannot undo.
fn key_tag(attributes: &str, base: &Url) -> Result<KeyTag, StreamError> {
    let attributes = attribute_list(attributes);
    let method = attributes
        .get("METHOD")
        .copied()
        .ok_or_else(|| StreamError::Invalid("an EXT-X-KEY without METHOD".into()))?;
    if method == "NONE" {
        return Ok(None);
    }
    // Any key format but the plain key file is a DRM system's licence.
    if let Some(&format) = attributes.get("KEYFORMAT")
        && format != "identity"
    {
        return Err(StreamError::Unsupported(format!("DRM (KEYFORMAT {format})")));
    }
    if method != "AES-128" {
        return Err(StreamError::Unsupported(format!("{method} encryption")));
    }
    let uri = attributes
        .get("URI")
        .copied()
        .ok_or_else(|| StreamError::Invalid("an AES-128 EXT-X-KEY without a URI".into()))?;
    let iv = attributes.get("IV").map(|iv| parse_iv(iv)).transpose()?;
    Ok(Some((join(base, uri)?, iv)))
}

/// `0x` (or `0X`) and up to 32 hex digits, either case; fewer digits are
/// the low bytes of the 16.
fn parse_iv(text: &str) -> Result<[u8; 16], StreamError> {
    let bad = || StreamError::Invalid(format!("a bad key IV {text:?}"));
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(bad)?;
    if hex.is_empty() || hex.len() > 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let value = u128::from_str_radix(hex, 16).map_err(|_| bad())?;
    Ok(value.to_be_bytes())
}

/// An HLS attribute list (`A=1,B="x,y",C=z`), names to values with the
/// quotes of quoted strings removed.
fn attribute_list(text: &str) -> HashMap<&str, &str> {
    let mut attributes = HashMap::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let Some((name, after)) = rest.split_once('=') else {
            break;
        };
        let (value, after) = match after.strip_prefix('"') {
            // A quoted string may hold commas; it ends at the next quote.
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => after.split_once(',').unwrap_or((after, "")),
        };
        attributes.insert(name.trim(), value.trim());
        rest = after;
    }
    attributes
}

/// `uri` resolved against the playlist's own URL, as a browser would.
fn join(base: &Url, uri: &str) -> Result<Url, StreamError> {
    base.join(uri.trim())
        .map_err(|e| StreamError::Invalid(format!("a bad URI {uri:?} ({e})")))
}

#[cfg(test)]
#[path = "hls_tests.rs"]
mod tests;
