//! Reads a static MPEG-DASH manifest (MPD) into a download plan: the best
//! video representation and the best audio one, each as a track of pieces
//! (an init section, then its segments in order).
//!
//! The XML is read with quick-xml's serde support into the few elements a
//! download needs. The `dash-mpd` crate was the first choice, but even
//! with its default features off it builds reqwest, tokio and ffprobe (it
//! is a downloader as well as a parser): far too much for one document.

use url::Url;

use self::mpd::{
    Addressing, BaseUrl, Entry, Initialization, List, Mpd, Period, Representation, Set, Template,
};
use super::plan::{Container, Format, Parsed, Piece, StreamError, Track, TrackKind};

#[path = "dash_mpd.rs"]
mod mpd;

/// More segments than any real stream has (a day of 1-second segments is
/// 86 400): a bigger count is a broken or hostile manifest, which would
/// otherwise take all memory.
const MAX_SEGMENTS: usize = 1_000_000;

/// Reads a static MPD fetched from `base`: the highest-bandwidth video
/// representation and the highest-bandwidth audio one, as tracks (Main then
/// Audio). A representation with both, or an MPD with only one kind, gives
/// one track.
pub fn parse(text: &[u8], base: &Url) -> Result<Parsed, StreamError> {
    if super::sniff::sniff(text) != Some(Format::Dash) {
        return Err(StreamError::Invalid(
            "it is not a DASH manifest (no MPD element)".into(),
        ));
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let text = std::str::from_utf8(text).map_err(|_| StreamError::Invalid("the MPD is not UTF-8".into()))?;
    let mpd: Mpd = quick_xml::de::from_str(text)
        .map_err(|e| StreamError::Invalid(format!("the MPD could not be read ({e})")))?;
    if mpd.kind.as_deref() == Some("dynamic") {
        return Err(StreamError::Unsupported("a live DASH stream".into()));
    }
    let period = match mpd.periods.as_slice() {
        [] => return Err(StreamError::Empty),
        [one] => one,
        // Periods are often ads or chapters with their own representations;
        // joining them needs matching representations across periods.
        _ => {
            return Err(StreamError::Unsupported(
                "a DASH stream of several periods".into(),
            ));
        }
    };
    let seconds = match &period.duration {
        Some(d) => Some(duration(d)?),
        None => match &mpd.duration {
            Some(d) => Some(duration(d)? - period.start.as_deref().map(duration).transpose()?.unwrap_or(0.0)),
            None => None,
        },
    };
    let playlist = base;
    let base = join_first(base, &mpd.base_urls)?;
    let base = join_first(&base, &period.base_urls)?;
    let chosen = choose(period)?;
    let mut tracks = Vec::new();
    for (kind, set, rep) in chosen {
        refuse_drm(set, rep)?;
        let rep_base = join_first(&join_first(&base, &set.base_urls)?, &rep.base_urls)?;
        let container = match mime(set, rep) {
            Some(m) if m.contains("mp2t") => Container::Ts,
            _ => Container::Mp4,
        };
        let levels = [period.addressing(), set.addressing(), rep.addressing()];
        let (init, pieces) = pieces(&levels, rep, &rep_base, seconds)?;
        if pieces.is_empty() {
            return Err(StreamError::Empty);
        }
        let target_duration = pieces.iter().map(|p| p.seconds).fold(0.0, f64::max);
        tracks.push(Track {
            kind,
            container,
            init,
            pieces,
            target_duration,
            live: false,
            playlist: playlist.clone(),
        });
    }
    Ok(Parsed::Tracks(tracks))
}

/// What a representation carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Video,
    /// Video with its audio in the same segments.
    Muxed,
    Audio,
    Other,
}

/// The best video (or muxed) representation and the best audio one of a
/// period, in that order; the audio is left out when the video has it.
fn choose(period: &Period) -> Result<Vec<(TrackKind, &Set, &Representation)>, StreamError> {
    let mut video: Option<(&Set, &Representation, bool)> = None;
    let mut audio: Option<(&Set, &Representation)> = None;
    let mut webm = false;
    for set in &period.sets {
        // Trick-mode sets are fast-forward thumbnails, not the programme.
        if set.essential.iter().any(|p| p.scheme.contains("trickmode")) {
            continue;
        }
        for rep in &set.representations {
            let kind = kind(set, rep);
            if kind == Kind::Other {
                continue;
            }
            if mime(set, rep).is_some_and(|m| m.contains("webm")) {
                webm = true;
                continue;
            }
            match kind {
                Kind::Video | Kind::Muxed
                    if video.is_none_or(|(_, best, _)| rep.bandwidth > best.bandwidth) =>
                {
                    video = Some((set, rep, kind == Kind::Muxed));
                }
                Kind::Audio if audio.is_none_or(|(_, best)| rep.bandwidth > best.bandwidth) => {
                    audio = Some((set, rep));
                }
                _ => {}
            }
        }
    }
    let mut chosen = Vec::new();
    if let Some((set, rep, muxed)) = video {
        chosen.push((TrackKind::Main, set, rep));
        if muxed {
            audio = None;
        }
    }
    if let Some((set, rep)) = audio {
        chosen.push((TrackKind::Audio, set, rep));
    }
    // A WebM stream would be joined into a file named .mp4: refuse it
    // rather than make a file that will not play.
    if chosen.is_empty() && webm {
        return Err(StreamError::Unsupported("a WebM DASH stream".into()));
    }
    if chosen.is_empty() {
        return Err(StreamError::Empty);
    }
    Ok(chosen)
}

fn mime<'a>(set: &'a Set, rep: &'a Representation) -> Option<&'a str> {
    rep.mime_type.as_deref().or(set.mime_type.as_deref())
}

/// Video, audio or neither, by the first of these that says: the set's
/// `contentType`, the `mimeType`, the set's content components, the codecs.
fn kind(set: &Set, rep: &Representation) -> Kind {
    let codecs = rep.codecs.as_deref().or(set.codecs.as_deref()).unwrap_or("");
    let (video_codec, audio_codec) = codec_kinds(codecs);
    let types: Vec<&str> = set
        .components
        .iter()
        .filter_map(|c| c.content_type.as_deref())
        .collect();
    let declared = set
        .content_type
        .as_deref()
        .or_else(|| mime(set, rep).and_then(|m| m.split('/').next()))
        .or_else(|| types.first().copied());
    let has_audio = audio_codec || types.contains(&"audio");
    match declared {
        Some("video") if has_audio => Kind::Muxed,
        Some("video") => Kind::Video,
        Some("audio") => Kind::Audio,
        Some(_) => Kind::Other,
        None if video_codec && audio_codec => Kind::Muxed,
        None if video_codec => Kind::Video,
        None if audio_codec => Kind::Audio,
        None => Kind::Other,
    }
}

/// Whether `codecs` (RFC 6381, `avc1.64001f,mp4a.40.2`) names a video and
/// an audio codec.
fn codec_kinds(codecs: &str) -> (bool, bool) {
    const VIDEO: [&str; 12] = [
        "avc1", "avc3", "hev1", "hvc1", "dvh1", "dvhe", "vp08", "vp09", "vp8", "vp9", "av01", "mp4v",
    ];
    const AUDIO: [&str; 12] = [
        "mp4a", "ac-3", "ec-3", "ac-4", "opus", "vorbis", "flac", "mp3", "alac", "dtsc", "dtse", "dtsx",
    ];
    let mut found = (false, false);
    for codec in codecs.split(',') {
        let family = codec.trim().split('.').next().unwrap_or("").to_ascii_lowercase();
        found.0 |= VIDEO.contains(&family.as_str());
        found.1 |= AUDIO.contains(&family.as_str());
    }
    found
}

/// `ContentProtection` on the chosen set or representation means DRM.
fn refuse_drm(set: &Set, rep: &Representation) -> Result<(), StreamError> {
    let mut names: Vec<String> = Vec::new();
    for protection in set.protection.iter().chain(&rep.protection) {
        let scheme = protection.scheme.to_ascii_lowercase();
        let name = match scheme.trim_start_matches("urn:uuid:") {
            "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed" => "Widevine".to_string(),
            "9a04f079-9840-4286-ab92-e65be0885f95" => "PlayReady".to_string(),
            "94ce86fb-07ff-4f43-adb8-93d2fa968ca2" => "FairPlay".to_string(),
            "e2719d58-a985-b3c9-781a-b030af78d30e" | "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" => {
                "ClearKey".to_string()
            }
            "urn:mpeg:dash:mp4protection:2011" => protection.value.clone().unwrap_or_else(|| "cenc".into()),
            _ => protection.scheme.clone(),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.is_empty() {
        true => Ok(()),
        false => Err(StreamError::Unsupported(format!(
            "DRM (ContentProtection {})",
            names.join(", ")
        ))),
    }
}

/// The init section and the segments of `rep`, by the most specific
/// addressing of `levels` (period, set, representation).
fn pieces(
    levels: &[Addressing; 3],
    rep: &Representation,
    base: &Url,
    seconds: Option<f64>,
) -> Result<(Option<Piece>, Vec<Piece>), StreamError> {
    if levels.iter().any(|l| l.template.is_some()) {
        let mut merged = Template::default();
        for template in levels.iter().filter_map(|l| l.template) {
            merged = template.clone().inherit(merged);
        }
        return templated(&merged, rep, base, seconds);
    }
    if let Some(list) = levels.iter().rev().find_map(|l| l.list) {
        let above = levels.iter().filter_map(|l| l.list);
        let timescale = above.clone().rev().find_map(|l| l.timescale).unwrap_or(1);
        let duration = above.clone().rev().find_map(|l| l.duration);
        let start = above.clone().rev().find_map(|l| l.start_number).unwrap_or(1);
        let init = above.rev().find_map(|l| l.init.as_ref());
        return listed(
            list,
            init,
            base,
            start,
            duration.map(|d| d as f64 / timescale as f64),
            seconds,
        );
    }
    // One file: the whole of it is one piece. Its init section is inside
    // it, so only a separate init file is fetched first (an init range of
    // the same file would put the init section in twice).
    let init = levels
        .iter()
        .rev()
        .find_map(|l| l.single.and_then(|s| s.init.as_ref()));
    let init = match init.and_then(|i| i.source.as_deref()) {
        Some(source) => {
            let url = join(base, source)?;
            let range = init
                .and_then(|i| i.range.as_deref())
                .map(byte_range)
                .transpose()?;
            (url != *base).then_some(Piece {
                url,
                range,
                key: None,
                sequence: 1,
                seconds: 0.0,
            })
        }
        None => None,
    };
    let whole = Piece {
        url: base.clone(),
        range: None,
        key: None,
        sequence: 1,
        seconds: seconds.unwrap_or(0.0),
    };
    Ok((init, vec![whole]))
}

fn templated(
    template: &Template,
    rep: &Representation,
    base: &Url,
    seconds: Option<f64>,
) -> Result<(Option<Piece>, Vec<Piece>), StreamError> {
    let timescale = template.timescale.unwrap_or(1).max(1);
    let start = template.start_number.unwrap_or(1);
    let offset = template.offset.unwrap_or(0);
    let media = template
        .media
        .as_deref()
        .ok_or_else(|| StreamError::Invalid("a SegmentTemplate without media".into()))?;
    // (number, time, duration) of each segment, time and duration in ticks.
    let segments: Vec<(u64, u64, u64)> = if let Some(timeline) = &template.timeline {
        let end = seconds.map(|s| offset.saturating_add((s * timescale as f64).round() as u64));
        expand_timeline(&timeline.entries, start, end)?
    } else if let Some(d) = template.duration.filter(|d| *d > 0) {
        let total = seconds.ok_or_else(|| {
            StreamError::Invalid("a SegmentTemplate with a duration but a stream without one".into())
        })?;
        // Slightly under, so that 20.000000001 s of 4 s segments is 5.
        let count = (total * timescale as f64 / d as f64 - 1e-6).ceil().max(0.0) as usize;
        if count > MAX_SEGMENTS {
            return Err(too_many());
        }
        (0..count as u64)
            .map(|i| {
                (
                    start.saturating_add(i),
                    offset.saturating_add(i.saturating_mul(d)),
                    d,
                )
            })
            .collect()
    } else {
        return Err(StreamError::Invalid(
            "a SegmentTemplate with neither SegmentTimeline nor duration".into(),
        ));
    };
    let init = match &template.initialization {
        Some(init) => {
            let url = join(base, &expand(init, rep, None, None)?)?;
            Some(Piece {
                url,
                range: None,
                key: None,
                sequence: start,
                seconds: 0.0,
            })
        }
        None => None,
    };
    let mut pieces = Vec::with_capacity(segments.len());
    for (number, time, ticks) in segments {
        let url = join(base, &expand(media, rep, Some(number), Some(time))?)?;
        pieces.push(Piece {
            url,
            range: None,
            key: None,
            sequence: number,
            seconds: ticks as f64 / timescale as f64,
        });
    }
    // With a fixed duration the last segment ends with the stream.
    let count = pieces.len() as f64;
    if template.timeline.is_none()
        && let (Some(total), Some(last)) = (seconds, pieces.last_mut())
    {
        last.seconds = (total - (count - 1.0) * last.seconds).clamp(0.0, last.seconds);
    }
    Ok((init, pieces))
}

/// The segments of a `SegmentTimeline` as (number, time, duration).
/// `end` is the period's end in ticks, for an `r="-1"` on the last entry.
fn expand_timeline(
    entries: &[Entry],
    start: u64,
    end: Option<u64>,
) -> Result<Vec<(u64, u64, u64)>, StreamError> {
    let mut segments = Vec::new();
    let mut time = 0;
    let mut number = start;
    for (i, entry) in entries.iter().enumerate() {
        // Without t, an entry continues where the one before ended.
        time = entry.t.unwrap_or(time);
        if entry.d == 0 {
            return Err(StreamError::Invalid(
                "a SegmentTimeline entry without a duration".into(),
            ));
        }
        let count = match entry.r.unwrap_or(0) {
            r if r >= 0 => (r as u64).saturating_add(1),
            // Negative: repeat up to the next entry's start, or the end.
            _ => {
                let until = entries
                    .get(i + 1)
                    .and_then(|next| next.t)
                    .or(end)
                    .ok_or_else(|| {
                        StreamError::Invalid(
                            "a SegmentTimeline repeating to an end the MPD does not give".into(),
                        )
                    })?;
                until.saturating_sub(time).div_ceil(entry.d)
            }
        };
        if count > (MAX_SEGMENTS - segments.len()) as u64 {
            return Err(too_many());
        }
        for _ in 0..count {
            segments.push((number, time, entry.d));
            // Saturating: a hostile manifest must not overflow (a panic in
            // a debug build).
            number = number.saturating_add(1);
            time = time.saturating_add(entry.d);
        }
    }
    Ok(segments)
}

fn too_many() -> StreamError {
    StreamError::Invalid(format!("the MPD lists more than {MAX_SEGMENTS} segments"))
}

fn listed(
    list: &List,
    init: Option<&Initialization>,
    base: &Url,
    start: u64,
    each: Option<f64>,
    seconds: Option<f64>,
) -> Result<(Option<Piece>, Vec<Piece>), StreamError> {
    let init = match init {
        Some(i) if i.source.is_some() || i.range.is_some() => Some(Piece {
            url: i
                .source
                .as_deref()
                .map_or_else(|| Ok(base.clone()), |s| join(base, s))?,
            range: i.range.as_deref().map(byte_range).transpose()?,
            key: None,
            sequence: start,
            seconds: 0.0,
        }),
        _ => None,
    };
    let count = list.segments.len();
    // Without a duration, the segments share the stream's evenly.
    let each = each
        .or_else(|| seconds.map(|s| s / count.max(1) as f64))
        .unwrap_or(0.0);
    let mut pieces = Vec::with_capacity(count);
    for (i, segment) in list.segments.iter().enumerate() {
        pieces.push(Piece {
            url: segment
                .media
                .as_deref()
                .map_or_else(|| Ok(base.clone()), |m| join(base, m))?,
            range: segment.range.as_deref().map(byte_range).transpose()?,
            key: None,
            sequence: start.saturating_add(i as u64),
            seconds: each,
        });
    }
    // The last segment ends with the stream, as with a template.
    if let (Some(total), Some(last)) = (seconds, pieces.last_mut()) {
        last.seconds = (total - (count as f64 - 1.0) * each).clamp(0.0, each);
    }
    Ok((init, pieces))
}

/// A segment template filled in: `$RepresentationID$`, `$Number$`,
/// `$Time$`, `$Bandwidth$` (the numbers with an optional `%0<width>d`),
/// and `$$` for a dollar sign.
fn expand(
    template: &str,
    rep: &Representation,
    number: Option<u64>,
    time: Option<u64>,
) -> Result<String, StreamError> {
    let bad = |why: &str| StreamError::Invalid(format!("the segment template {template:?} {why}"));
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('$').ok_or_else(|| bad("has an unclosed $"))?;
        let identifier = &after[..end];
        rest = &after[end + 1..];
        if identifier.is_empty() {
            out.push('$');
            continue;
        }
        let (name, format) = match identifier.split_once('%') {
            Some((name, format)) => (name, Some(format)),
            None => (identifier, None),
        };
        let value = match name {
            "RepresentationID" if format.is_none() => {
                out.push_str(&rep.id);
                continue;
            }
            "Number" => number.ok_or_else(|| bad("uses $Number$ where there is none"))?,
            "Time" => time.ok_or_else(|| bad("uses $Time$ where there is none"))?,
            "Bandwidth" => rep.bandwidth,
            _ => return Err(bad(&format!("has an unknown ${identifier}$"))),
        };
        let width = match format {
            None => 0,
            Some(f) => f
                .strip_suffix('d')
                .map(|w| w.trim_start_matches('0'))
                .and_then(|w| {
                    if w.is_empty() {
                        Some(0)
                    } else {
                        w.parse::<usize>().ok()
                    }
                })
                .filter(|w| *w <= 64)
                .ok_or_else(|| bad(&format!("has an unknown format %{f}")))?,
        };
        out.push_str(&format!("{value:0width$}"));
    }
    out.push_str(rest);
    Ok(out)
}

/// `a-b` (both inclusive, as HTTP's) as `(offset, length)`.
fn byte_range(text: &str) -> Result<(u64, u64), StreamError> {
    let bad = || StreamError::Invalid(format!("a bad byte range {text:?}"));
    let (first, last) = text.trim().split_once('-').ok_or_else(bad)?;
    let first: u64 = first.trim().parse().map_err(|_| bad())?;
    let last: u64 = last.trim().parse().map_err(|_| bad())?;
    if last < first {
        return Err(bad());
    }
    Ok((first, last - first + 1))
}

/// An ISO 8601 duration (`PT20.0S`, `PT1M4.5S`, `PT1H`, `P1DT2H`) in
/// seconds. Years and months count as 365 and 30 days: an MPD's duration
/// never has them in practice.
fn duration(text: &str) -> Result<f64, StreamError> {
    let bad = || StreamError::Invalid(format!("a bad duration {text:?}"));
    let rest = text.trim().strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let date_units = [
        ('Y', 31_536_000.0),
        ('M', 2_592_000.0),
        ('W', 604_800.0),
        ('D', 86_400.0),
    ];
    let time_units = [('H', 3_600.0), ('M', 60.0), ('S', 1.0)];
    let mut seconds = 0.0;
    for (mut part, units) in [(date, &date_units[..]), (time, &time_units[..])] {
        for &(unit, scale) in units {
            if let Some(at) = part.find(unit) {
                let n: f64 = part[..at].parse().map_err(|_| bad())?;
                if !(n.is_finite() && n >= 0.0) {
                    return Err(bad());
                }
                seconds += n * scale;
                part = &part[at + 1..];
            }
        }
        if !part.is_empty() {
            return Err(bad());
        }
    }
    Ok(seconds)
}

/// The first of `urls` resolved against `base`, else `base` itself.
fn join_first(base: &Url, urls: &[BaseUrl]) -> Result<Url, StreamError> {
    match urls.first().map(|b| b.url.trim()) {
        Some(url) if !url.is_empty() => join(base, url),
        _ => Ok(base.clone()),
    }
}

fn join(base: &Url, uri: &str) -> Result<Url, StreamError> {
    base.join(uri.trim())
        .map_err(|e| StreamError::Invalid(format!("a bad URL {uri:?} ({e})")))
}

#[cfg(test)]
#[path = "dash_tests.rs"]
mod tests;
