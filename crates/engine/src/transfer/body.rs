//! The body of one response on its way into its `.part`: the head checked
//! (status, ranges, validators), every byte counted against the promised
//! length, progress reported, the checksum verified, and the file named only
//! when all of that holds.

use std::error::Error as StdError;
use std::io::Write;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap, LOCATION};

use super::PROGRESS_EVERY;
use crate::attempt::Attempt;
use crate::config::{EngineConfig, IfExists};
use crate::context::WorkerContext;
use crate::error::{FetchError, Note, RangeError, RedirectError};
use crate::job::{Event, Saved, hex};
use crate::part::existing;
use crate::part::resume::Resume;
use crate::part::{MIN_WRITE_BUFFER, PartFile, Placement, WRITE_BUFFER};
use crate::queue::{Task, TaskCtl};
use crate::{hash, http, naming};

/// A body being written to its `.part` file.
pub(crate) struct Transfer<'a> {
    pub(crate) context: &'a WorkerContext,
    pub(crate) ctl: &'a TaskCtl,
    pub(crate) url: &'a str,
    pub(crate) index: usize,
    pub(crate) status: u16,
    /// The size the finished file must have, when known.
    pub(crate) expected: Option<u64>,
    pub(crate) received: u64,
    last_report: Instant,
    pub(crate) part: PartFile,
    pub(crate) validator: Option<String>,
    /// The SHA-256 the file must have.
    sha256: Option<[u8; 32]>,
    /// The running hash, for a body written from its first byte in order.
    hash: Option<hash::Stream>,
}

impl<'a> Transfer<'a> {
    /// Checks the response head and opens (or continues) the `.part` file.
    /// An HTTP error status fails here, before any file exists.
    pub(crate) fn begin(
        context: &'a WorkerContext,
        config: &EngineConfig,
        task: &'a Task,
        status: StatusCode,
        headers: &HeaderMap,
        content_length: Option<u64>,
        resume: Option<Box<Resume>>,
    ) -> Result<Self, Attempt> {
        let code = status.as_u16();
        if code == 416
            && let Some(r) = resume
        {
            // Nothing left to send: complete if we know the file is whole.
            let total = http::content_range(headers).and_then(|c| c.total).or(r.total);
            return Err(if total == Some(r.offset) {
                let bytes = r.offset;
                match r.part.commit() {
                    Ok(path) => Attempt::saved(
                        Some(code),
                        Saved {
                            path,
                            bytes,
                            skipped: false,
                            files: Vec::new(),
                        },
                    ),
                    Err(e) => Attempt::failed(Some(code), bytes, e),
                }
            } else {
                let offset = r.offset;
                r.discard();
                Attempt::failed(Some(code), 0, RangeError::Refused { offset }.into())
            });
        }
        if status.is_redirection() {
            if let Some(r) = resume {
                r.discard();
            }
            // The client follows every redirect it may; one left over points
            // somewhere it must not go (another scheme) or nowhere.
            let e = match headers.get(LOCATION) {
                Some(to) => RedirectError::Scheme(String::from_utf8_lossy(to.as_bytes()).into_owned()),
                None => RedirectError::NoLocation { status: code },
            };
            return Err(Attempt::failed(Some(code), 0, e.into()));
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or("").to_string();
            // An error page is never written; the bytes so far stay for the
            // next attempt.
            let bytes = resume.as_ref().map_or(0, |r| r.offset);
            let mut a = Attempt::failed(Some(code), bytes, FetchError::Http { status: code, reason });
            a.resume = resume;
            return Err(a);
        }
        let validator = http::validator(headers);
        let (part, received, expected) = match (code, resume) {
            (206, Some(r)) => {
                let asked = r.offset;
                match http::content_range(headers) {
                    Some(got)
                        if got.first == asked
                            && content_length.is_none_or(|n| got.len() == Some(n))
                            && (r.total.is_none() || got.total.is_none() || r.total == got.total) =>
                    {
                        let expected = got.total.or(r.total).or(content_length.map(|n| asked + n));
                        (r.part, asked, expected)
                    }
                    other => {
                        tracing::warn!(
                            index = task.index,
                            asked,
                            ?other,
                            "wrong Content-Range; starting over"
                        );
                        r.discard();
                        let got = http::content_range_text(headers);
                        let e = RangeError::Resume { from: asked, got };
                        return Err(Attempt::failed(Some(code), 0, e.into()));
                    }
                }
            }
            (206, None) => {
                return Err(Attempt::failed(Some(code), 0, RangeError::Unasked.into()));
            }
            (_, Some(mut r)) => {
                // A whole body to a range request: the server ignored the
                // range, or the file changed (If-Range did not match).
                let note = if r.validator.is_some() && validator != r.validator {
                    Note::FileChanged {
                        before: r.validator.clone().unwrap_or_default(),
                        after: validator.clone().unwrap_or_else(|| "no validator".into()),
                    }
                } else {
                    Note::RangeIgnored { offset: r.offset }
                };
                tracing::info!(index = task.index, "{note}");
                context.emit(Event::Note {
                    index: task.index,
                    note,
                });
                if let Err(e) = r.part.truncate() {
                    return Err(Attempt::failed(Some(code), 0, e));
                }
                (r.part, 0, content_length)
            }
            (_, None) => {
                // Raw UTF-8 is common in `filename="…"` although RFC 6266
                // says ASCII; decode it rather than lose the name.
                let disposition = headers
                    .get(CONTENT_DISPOSITION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let name = match &task.name {
                    Some(name) => name.clone(),
                    None => naming::file_name(&task.url, disposition.as_deref()),
                };
                let kind = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
                let into = config
                    .sort
                    .as_ref()
                    .and_then(|c| c.folder_for(&name, kind))
                    .map(str::to_string);
                // Known only now (from Content-Disposition or the type):
                // the head is all that is read of a file to skip.
                let folder = into
                    .as_ref()
                    .map_or_else(|| task.dir.clone(), |sub| task.dir.join(sub));
                if config.if_exists == IfExists::Skip
                    && let Some(path) = existing::file(&folder, &name)
                {
                    return Err(Attempt::skipped(Some(code), path));
                }
                let buffer = content_length.map_or(WRITE_BUFFER, |n| {
                    usize::try_from(n)
                        .unwrap_or(WRITE_BUFFER)
                        .clamp(MIN_WRITE_BUFFER, WRITE_BUFFER)
                });
                let place = Placement {
                    update: config.if_exists == IfExists::Update,
                    into,
                };
                let part = PartFile::create(&task.dir, &name, buffer, place)
                    .map_err(|e| Attempt::failed(Some(code), 0, e))?;
                (part, 0, content_length)
            }
        };
        let mut part = part;
        if config.if_exists == IfExists::Update {
            part.update = Some(existing::Stamp::of(headers));
        }
        context.emit(Event::Receiving {
            index: task.index,
            name: part.name.clone(),
            total: expected,
            validator: validator.clone(),
        });
        Ok(Transfer {
            context,
            ctl: &task.ctl,
            url: &task.raw_url,
            index: task.index,
            status: code,
            expected,
            received,
            last_report: Instant::now(),
            part,
            validator,
            sha256: task.sha256,
            hash: (task.sha256.is_some() && received == 0).then(hash::Stream::new),
        })
    }

    /// A transfer continuing a segmented part, with no response of its own.
    pub(crate) fn resumed(
        context: &'a WorkerContext,
        task: &'a Task,
        part: PartFile,
        total: u64,
        validator: Option<String>,
    ) -> Self {
        context.emit(Event::Receiving {
            index: task.index,
            name: part.name.clone(),
            total: Some(total),
            validator: validator.clone(),
        });
        Transfer {
            context,
            ctl: &task.ctl,
            url: &task.raw_url,
            index: task.index,
            status: 206,
            expected: Some(total),
            received: 0,
            last_report: Instant::now(),
            part,
            validator,
            sha256: task.sha256,
            hash: None,
        }
    }

    /// The body will not come through [`Transfer::write`] in order (it is
    /// being split): check the assembled file instead.
    pub(crate) fn hash_when_assembled(&mut self) {
        self.hash = None;
    }

    /// How long to wait before reading more, after `n` bytes: the global
    /// limit and the task's own.
    pub(crate) fn pace(&self, n: usize) -> Duration {
        super::pace(self.context, self.ctl, n)
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        if self.context.stopping() || self.ctl.halted() {
            return Err(FetchError::Cancelled);
        }
        self.received += chunk.len() as u64;
        if let Some(expected) = self.expected
            && self.received > expected
        {
            return Err(FetchError::LongBody { expected });
        }
        if let Err(e) = self.part.file.write_all(chunk) {
            return Err(self.part.io_error(&e));
        }
        if let Some(h) = &self.hash
            && !h.update(bytes::Bytes::copy_from_slice(chunk))
        {
            // Hashing fell behind the network: check the finished file.
            self.hash = None;
        }
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            // Running long enough to be worth resuming after a crash.
            self.part.write_control(self.url, &self.validator, self.expected);
            self.context.emit(Event::Progress {
                index: self.index,
                bytes: self.received,
                total: self.expected,
            });
        }
        Ok(())
    }

    /// The body ended early with a transport error.
    pub(crate) fn interrupted(self, err: &(dyn StdError + 'static)) -> Attempt {
        let e = http::interrupted(self.received, self.expected, err);
        self.fail(e)
    }

    /// Whether the bytes so far are worth keeping after `e`: another attempt
    /// may help, or the task was paused (or the engine is closing) and the
    /// next run continues them.
    pub(crate) fn keeps_bytes_after(&self, e: &FetchError) -> bool {
        let stopped = self.ctl.paused() || self.context.stopping();
        e.is_retryable() || (matches!(e, FetchError::Cancelled) && stopped)
    }

    /// Ends the attempt with `e`. When another attempt may help, the bytes
    /// so far are kept for it, provided the server can tell us later that
    /// they still belong to the same file (a validator or a known size).
    pub(crate) fn fail(mut self, e: FetchError) -> Attempt {
        let (status, received) = (Some(self.status), self.received);
        let again = self.keeps_bytes_after(&e);
        let mut a = Attempt::failed(status, received, e);
        let resumable = again && received > 0 && (self.validator.is_some() || self.expected.is_some());
        if resumable && self.part.file.flush().is_ok() {
            self.part.write_control(self.url, &self.validator, self.expected);
            a.resume = Some(Box::new(Resume {
                part: self.part,
                offset: received,
                total: self.expected,
                validator: self.validator,
                segments: None,
                pieces: None,
            }));
        } else {
            self.part.keep = false; // the task is over: no part stays
        }
        a
    }

    /// The body ended cleanly: check its length, then its checksum (when
    /// one was given), and give the file its name.
    pub(crate) fn finish(mut self) -> Finish<'a> {
        if let Some(expected) = self.expected
            && self.received != expected
        {
            let received = self.received;
            return Finish::Done(self.fail(FetchError::ShortBody { received, expected }));
        }
        if self.sha256.is_none() {
            return Finish::Done(self.commit());
        }
        let pending = match self.hash.take() {
            Some(stream) => stream.finish(),
            None => {
                // Resumed or segmented: hash the assembled file.
                if let Err(e) = self.part.file.flush() {
                    let e = self.part.io_error(&e);
                    return Finish::Done(self.fail(e));
                }
                hash::file(self.part.path.clone())
            }
        };
        Finish::Verify(Box::new(self), pending)
    }

    /// The file's digest is in: name the file if it matches, else keep the
    /// bytes as `NAME.corrupt` and fail.
    pub(super) fn verified(mut self, digest: std::io::Result<[u8; 32]>) -> Attempt {
        let (Some(expected), status, bytes) = (self.sha256, Some(self.status), self.received) else {
            return self.commit();
        };
        match digest {
            Ok(got) if got == expected => {
                self.context.emit(Event::Note {
                    index: self.index,
                    note: Note::Verified { sha256: hex(&got) },
                });
                self.commit()
            }
            Ok(got) => {
                self.part.keep = false;
                let kept = match self.part.keep_as_corrupt() {
                    Ok(path) => path,
                    Err(e) => return Attempt::failed(status, bytes, e),
                };
                Attempt::failed(
                    status,
                    bytes,
                    FetchError::Checksum {
                        expected: hex(&expected),
                        got: hex(&got),
                        kept,
                    },
                )
            }
            Err(e) => {
                self.part.keep = false;
                let e = FetchError::io(self.part.path.clone(), &e);
                Attempt::failed(status, bytes, e)
            }
        }
    }

    fn commit(self) -> Attempt {
        let (status, bytes) = (self.status, self.received);
        match self.part.commit() {
            Ok(path) => Attempt::saved(
                Some(status),
                Saved {
                    path,
                    bytes,
                    skipped: false,
                    files: Vec::new(),
                },
            ),
            Err(e) => Attempt::failed(Some(status), bytes, e),
        }
    }
}

/// A finished body on its way to its name: its checksum may still be
/// being computed on the hashing pool.
pub(crate) enum Finish<'a> {
    Done(Attempt),
    Verify(Box<Transfer<'a>>, hash::Pending),
}
