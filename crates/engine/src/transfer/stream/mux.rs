//! The end of a stream: its one track's part named, or its video and
//! audio joined into one `.mp4` by ffmpeg (stream copy, nothing
//! re-encoded). ffmpeg is a helper found at run time, like `xdg-open`:
//! without it both tracks are kept as files of their own, and the log says
//! why.

use std::process::{Command, Stdio};

use super::plan::TrackKind;
use crate::attempt::Attempt;
use crate::config::EngineConfig;
use crate::context::WorkerContext;
use crate::error::{FetchError, Note};
use crate::job::{Event, Saved};
use crate::part::PartFile;
use crate::queue::Task;

/// Names the joined tracks' files (`parts`: each track's part, its bytes
/// and kind, video first).
pub(super) async fn finish(
    config: &EngineConfig,
    task: &Task,
    context: &WorkerContext,
    stem: &str,
    parts: Vec<(PartFile, u64, TrackKind)>,
) -> Attempt {
    let bytes = parts.iter().map(|(_, b, _)| b).sum();
    let mut parts = parts.into_iter();
    let (Some((video, _, _)), audio) = (parts.next(), parts.next()) else {
        return Attempt::failed(Some(200), 0, super::StreamError::Empty.into());
    };
    let Some((audio, _, _)) = audio else {
        return commit(video, bytes);
    };
    let why = match mux(config, task, stem, &video, &audio).await {
        Ok(joined) => {
            context.emit(Event::Note {
                index: task.index,
                note: Note::Muxed,
            });
            // The tracks' parts go with their records; the joined file stays.
            let (mut video, mut audio) = (video, audio);
            video.keep = false;
            audio.keep = false;
            let size = joined.path.metadata().map_or(bytes, |m| m.len());
            return commit(joined, size);
        }
        Err(why) => why,
    };
    let audio = match audio.commit() {
        Ok(path) => path,
        Err(e) => return Attempt::failed(Some(200), bytes, e),
    };
    context.emit(Event::Note {
        index: task.index,
        note: Note::KeptApart {
            audio: audio.display().to_string(),
            reason: why,
        },
    });
    commit(video, bytes)
}

fn commit(part: PartFile, bytes: u64) -> Attempt {
    match part.commit() {
        Ok(path) => Attempt::saved(
            Some(200),
            Saved {
                path,
                bytes,
                skipped: false,
                files: Vec::new(),
            },
        ),
        Err(e) => Attempt::failed(Some(200), bytes, e),
    }
}

/// `video` and `audio` joined into a new part `STEM.mp4`, or why not.
async fn mux(
    config: &EngineConfig,
    task: &Task,
    stem: &str,
    video: &PartFile,
    audio: &PartFile,
) -> Result<PartFile, String> {
    let mut out = super::new_part(config, task, &format!("{stem}.mp4")).map_err(|e| e.to_string())?;
    present(video)?;
    present(audio)?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(&video.path)
        .arg("-i")
        .arg(&audio.path)
        .args(["-map", "0", "-map", "1", "-c", "copy", "-f", "mp4"])
        .arg(&out.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let ran = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| e.to_string())?;
    let output = match ran {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.keep = false;
            return Err("ffmpeg was not found on the PATH".into());
        }
        Err(e) => return Err(format!("ffmpeg could not run: {e}")),
    };
    if !output.status.success() {
        out.keep = false;
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said.lines().last().unwrap_or("no message");
        return Err(format!("ffmpeg failed ({}): {said}", output.status));
    }
    // ffmpeg wrote the file by its path; this handle has nothing buffered,
    // so naming the part names what ffmpeg wrote.
    Ok(out)
}

/// The track's part is on disk, whole: its join flushed it when it
/// recorded its last piece.
fn present(part: &PartFile) -> Result<(), String> {
    part.path
        .metadata()
        .map(|_| ())
        .map_err(|e| FetchError::io(&part.path, &e).to_string())
}
