//! Streams: an HLS or DASH playlist is one download. The transfer that
//! fetched its URL found a playlist in the body (by its content, whatever
//! its name or type) and hands it here: the playlist is read into tracks
//! (a master's variant chosen), each track's pieces are fanned out over
//! the engine's lanes and joined in order into one `.part`
//! ([`join`]), and the file is named once whole. Separate video and audio
//! are joined into one `.mp4` by ffmpeg when it is there ([`mux`]).
//!
//! Each track's progress is recorded beside its part as each piece is
//! joined, and a piece that arrived before its turn waits on disk beside
//! it, so a pause, a crash or `kill -9` continues with every piece that
//! had arrived whole.

pub mod dash;
mod fetch;
pub mod hls;
mod join;
mod live;
mod mux;
pub mod plan;
pub mod probe;
mod sniff;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use url::Url;

use self::fetch::Fetcher;
use self::join::{Ended, Fan, Fixed, Join, Progress};
use self::plan::{Container, Format, Parsed, StreamError, Track, TrackKind, Variant};
pub use self::sniff::sniff;
use crate::attempt::Attempt;
use crate::config::EngineConfig;
use crate::context::ConnectionBudget;
use crate::error::{FetchError, Note};
use crate::job::Event;
use crate::net::Clients;
use crate::part::pieces::KeptPieces;
use crate::part::resume::Resume;
use crate::part::{PartFile, Placement, WRITE_BUFFER};
use crate::queue::{Task, TaskCtl};
use crate::{http, naming};

pub(crate) use self::fetch::MAX_PIECE as MAX_PLAYLIST;

/// Downloads the stream whose playlist `body` was fetched from `base`.
pub(crate) async fn run(
    client: &Clients,
    config: &EngineConfig,
    budget: &ConnectionBudget,
    task: &Task,
    format: Format,
    base: Url,
    body: Vec<u8>,
) -> Attempt {
    let fetcher = Arc::new(Fetcher::new(client, config, budget.context.clone(), task));
    let (tracks, variant) = match read(&fetcher, task, format, &base, &body).await {
        Ok(read) => read,
        Err(e) => return Attempt::failed(Some(200), 0, e),
    };
    let live = tracks.iter().any(|t| t.live);
    // Tracks are joined one after the other; two live ones would have to
    // be recorded side by side.
    if live && tracks.len() > 1 {
        let what = "recording a live stream whose audio is a playlist of its own".to_string();
        return Attempt::failed(Some(200), 0, StreamError::Unsupported(what).into());
    }
    let pieces = |t: &Track| t.pieces.len() + usize::from(t.init.is_some());
    budget.context.emit(Event::Note {
        index: task.index,
        note: Note::Stream {
            format: match format {
                Format::Hls => "HLS",
                Format::Dash => "DASH",
            }
            .into(),
            pieces: tracks.iter().map(pieces).sum(),
            tracks: tracks.len(),
            variant,
            live,
        },
    });
    let stem = stem(task, &base);
    let fan = Fan::of(config);
    let mut parts = Vec::new();
    let mut progress = Progress::new(task.index, 0, (!live).then(|| tracks.iter().map(pieces).sum()));
    for (i, track) in tracks.iter().enumerate() {
        let name = track_name(&stem, track, tracks.len());
        // The record names the track by its first piece too: another
        // variant (a different --variant) never continues this one's part.
        let first = track
            .init
            .iter()
            .chain(&track.pieces)
            .next()
            .map_or("", |p| p.url.as_str());
        let key = format!("{}#stream-{i}#{first}", task.raw_url);
        let (mut part, done, bytes) = match open(config, task, &name, &key, track.live) {
            Ok(opened) => opened,
            Err(e) => return Attempt::failed(Some(200), 0, e),
        };
        if done > 0 {
            budget.context.emit(Event::Note {
                index: task.index,
                note: Note::PiecesKept { pieces: done },
            });
        }
        progress.joined += done;
        fetcher.received.fetch_add(bytes, Ordering::Relaxed);
        if i == 0 {
            budget.context.emit(Event::Receiving {
                index: task.index,
                name: output_name(&stem, &tracks),
                total: None,
                validator: None,
            });
        }
        let listed = match track.live {
            true => live::Reload::start(&track.pieces),
            false => &track.pieces[..],
        };
        let all: Vec<_> = track.init.iter().chain(listed).cloned().collect();
        let all_len = all.len();
        let mut join = Join {
            fetcher: &fetcher,
            part: &mut part,
            key: &key,
            done,
            bytes,
        };
        let ended = if track.live {
            let mut source = live::Reload::new(fetcher.clone(), track, task.stream.duration);
            join.run(budget, fan, all, &mut source, &mut progress).await
        } else {
            join.run(budget, fan, all, &mut Fixed, &mut progress).await
        };
        let bytes = join.bytes;
        progress.report(&fetcher, true);
        progress.offset += all_len;
        match ended {
            Ended::Joined => parts.push((part, bytes, track.kind)),
            // A recording the user stops is a recording: keep what it has.
            Ended::Halted if track.live && task.ctl.paused() => parts.push((part, bytes, track.kind)),
            Ended::Halted => {
                let stopped = task.ctl.paused() || budget.context.stopping();
                // Paused: every part stays, with its record and the pieces
                // kept beside it, for the resume.
                part.keep = stopped;
                if !stopped {
                    KeptPieces::new(&part.dir, &key).clear();
                }
                for (p, _, _) in &mut parts {
                    p.keep = stopped;
                }
                return Attempt::failed(
                    Some(200),
                    fetcher.received.load(Ordering::Relaxed),
                    FetchError::Cancelled,
                );
            }
            Ended::Failed(e) => {
                part.keep = false;
                KeptPieces::new(&part.dir, &key).clear();
                for (p, _, _) in &mut parts {
                    p.keep = false;
                }
                return Attempt::failed(Some(200), fetcher.received.load(Ordering::Relaxed), e);
            }
        }
    }
    mux::finish(config, task, &budget.context, &stem, parts).await
}

/// The tracks `body` lists, and the variant taken from a master as shown.
async fn read(
    fetcher: &Fetcher,
    task: &Task,
    format: Format,
    base: &Url,
    body: &[u8],
) -> Result<(Vec<Track>, Option<String>), FetchError> {
    let parsed = match format {
        Format::Hls => hls::parse(body, base)?,
        Format::Dash => dash::parse(body, base)?,
    };
    let variants = match parsed {
        Parsed::Tracks(tracks) if tracks.is_empty() => return Err(StreamError::Empty.into()),
        Parsed::Tracks(tracks) => return Ok((tracks, None)),
        Parsed::Master(variants) => variants,
    };
    let chosen = hls::choose(&variants, task.stream.variant.as_deref())?;
    let mut tracks = media(fetcher, &chosen.uri).await?;
    if let Some(audio) = &chosen.audio {
        for mut track in media(fetcher, audio).await? {
            track.kind = TrackKind::Audio;
            tracks.push(track);
        }
    }
    Ok((tracks, Some(shown(chosen, &variants))))
}

/// A variant as the log shows it: `2 of 3, 1280x720, 2.5 Mbit/s`.
fn shown(v: &Variant, all: &[Variant]) -> String {
    let n = all.iter().position(|x| x == v).map_or(0, |i| i + 1);
    let mut text = format!("{n} of {}", all.len());
    if let Some((w, h)) = v.resolution {
        text += &format!(", {w}x{h}");
    }
    text + &format!(", {:.1} Mbit/s", v.bandwidth as f64 / 1e6)
}

/// The tracks of the media playlist at `url`.
async fn media(fetcher: &Fetcher, url: &Url) -> Result<Vec<Track>, FetchError> {
    let text = fetcher.unless_stopped(fetcher.text(url)).await?;
    match hls::parse(&text, url)? {
        Parsed::Tracks(tracks) if !tracks.is_empty() => Ok(tracks),
        Parsed::Tracks(_) => Err(StreamError::Empty.into()),
        Parsed::Master(_) => {
            Err(StreamError::Invalid("a master playlist names another master".into()).into())
        }
    }
}

/// The file's name without its extension: the given name's, else the
/// playlist URL's (`index.m3u8` gives `index`).
fn stem(task: &Task, base: &Url) -> String {
    let name = task.name.clone().unwrap_or_else(|| naming::file_name(base, None));
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && matches!(
                    ext.to_ascii_lowercase().as_str(),
                    "m3u8" | "m3u" | "mpd" | "ts" | "mp4"
                ) =>
        {
            stem.to_string()
        }
        _ => name,
    }
}

/// The file a track is joined into.
fn track_name(stem: &str, track: &Track, tracks: usize) -> String {
    match (track.container, track.kind, tracks) {
        (Container::Ts, _, 1) => format!("{stem}.ts"),
        (Container::Mp4, TrackKind::Audio, 1) => format!("{stem}.m4a"),
        (Container::Mp4, _, 1) => format!("{stem}.mp4"),
        (Container::Ts, TrackKind::Main, _) => format!("{stem}.video.ts"),
        (Container::Ts, TrackKind::Audio, _) => format!("{stem}.audio.ts"),
        (Container::Mp4, TrackKind::Main, _) => format!("{stem}.video.mp4"),
        (Container::Mp4, TrackKind::Audio, _) => format!("{stem}.audio.m4a"),
    }
}

/// The name the row shows while the tracks are fetched.
fn output_name(stem: &str, tracks: &[Track]) -> String {
    match tracks {
        [one] => track_name(stem, one, 1),
        _ => format!("{stem}.mp4"),
    }
}

/// The part a track is joined into: the one an earlier run left for it
/// (cut back to the pieces it recorded), or a new one. A live recording
/// always starts anew.
fn open(
    config: &EngineConfig,
    task: &Task,
    name: &str,
    key: &str,
    live: bool,
) -> Result<(PartFile, usize, u64), FetchError> {
    if let Some(r) = Resume::find(&task.dir, key) {
        let (Some(pieces), mut part, offset) = (r.pieces, r.part, r.offset) else {
            return fresh(config, task, name);
        };
        if live {
            part.keep = false;
            return fresh(config, task, name);
        }
        let cut = part
            .file
            .get_mut()
            .set_len(offset)
            .and_then(|()| std::io::Seek::seek(part.file.get_mut(), std::io::SeekFrom::Start(offset)));
        return match cut {
            Ok(_) => Ok((part, pieces, offset)),
            Err(e) => Err(part.io_error(&e)),
        };
    }
    fresh(config, task, name)
}

fn fresh(config: &EngineConfig, task: &Task, name: &str) -> Result<(PartFile, usize, u64), FetchError> {
    Ok((new_part(config, task, name)?, 0, 0))
}

/// A new part for the file `name` in the task's folder, sorted into its
/// type's subfolder when the user sorts.
fn new_part(config: &EngineConfig, task: &Task, name: &str) -> Result<PartFile, FetchError> {
    let into = config
        .sort
        .as_ref()
        .and_then(|c| c.folder_for(name, None))
        .map(str::to_string);
    PartFile::create(&task.dir, name, WRITE_BUFFER, Placement { update: false, into })
}

/// What the first bytes of a body showed.
pub(crate) enum Peeked {
    /// A playlist, read whole.
    Playlist(Format, Vec<u8>),
    /// A `.torrent` file, read whole: the torrent is the download.
    Torrent(Vec<u8>),
    /// Anything else: the bytes read so far, to be written first.
    Other(Vec<u8>),
}

/// Bytes read before deciding (an MPD's root may follow a comment).
const SNIFF: usize = 1024;

/// Reads the start of `resp` to tell a playlist from a file; a playlist is
/// read to its end.
pub(crate) async fn peek(resp: &mut reqwest::Response, ctl: &TaskCtl) -> Result<Peeked, FetchError> {
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < SNIFF && !ended {
        match super::until_halted(ctl, resp.chunk()).await {
            None => return Err(FetchError::Cancelled),
            Some(Ok(Some(chunk))) => head.extend_from_slice(&chunk),
            Some(Ok(None)) => ended = true,
            Some(Err(e)) => return Err(http::interrupted(head.len() as u64, None, &e)),
        }
        if super::torrent::may_be_torrent(&head) {
            return torrent(resp, ctl, head).await;
        }
        // Text that starts otherwise is no playlist: decide at once.
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if let Some(b) = text.iter().find(|b| !b.is_ascii_whitespace())
            && !matches!(b, b'#' | b'<')
        {
            return Ok(Peeked::Other(head));
        }
    }
    let Some(format) = sniff(&head) else {
        return Ok(Peeked::Other(head));
    };
    while !ended {
        match super::until_halted(ctl, resp.chunk()).await {
            None => return Err(FetchError::Cancelled),
            Some(Ok(Some(chunk))) => head.extend_from_slice(&chunk),
            Some(Ok(None)) => ended = true,
            Some(Err(e)) => return Err(http::interrupted(head.len() as u64, None, &e)),
        }
        if head.len() as u64 > MAX_PLAYLIST {
            return Err(
                StreamError::Invalid("the playlist is bigger than any playlist should be".into()).into(),
            );
        }
    }
    Ok(Peeked::Playlist(format, head))
}

/// Reads a body that starts as a torrent file does to its end (or as far
/// as a torrent file may go): whole and a torrent, it is one.
async fn torrent(
    resp: &mut reqwest::Response,
    ctl: &TaskCtl,
    mut head: Vec<u8>,
) -> Result<Peeked, FetchError> {
    while head.len() as u64 <= super::torrent::MAX_TORRENT {
        match super::until_halted(ctl, resp.chunk()).await {
            None => return Err(FetchError::Cancelled),
            Some(Ok(Some(chunk))) => head.extend_from_slice(&chunk),
            Some(Ok(None)) if super::torrent::is_torrent(&head) => return Ok(Peeked::Torrent(head)),
            Some(Ok(None)) => break,
            Some(Err(e)) => return Err(http::interrupted(head.len() as u64, None, &e)),
        }
    }
    Ok(Peeked::Other(head))
}
