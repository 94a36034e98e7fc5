//! The transfer: one download from its first request to its named file,
//! with retries, resumes and segments. Written once, async, and run by
//! every local engine: the async engine spawns it on the engine's runtime,
//! and a thread of the sequential or threads engine drives it there itself
//! and waits for it (see [`crate::event_loop`]).

pub(crate) mod body;
mod ranges;
mod segment;
pub(crate) mod stream;
pub(crate) mod torrent;

use std::time::Duration;

use backon::BackoffBuilder;
use reqwest::header::HeaderMap;

use self::body::{Finish, Transfer};
use super::attempt::Attempt;
use super::config::{EngineConfig, IfExists};
use super::context::{ConnectionBudget, WorkerContext};
use super::error::{FetchError, Note};
use super::job::Event;
use super::net::Clients;
use super::part::existing;
use super::part::resume::Resume;
use super::queue::{Task, TaskCtl};
use super::{auth, http, naming};

/// How often a running task reports its byte count: smooth enough for a
/// progress bar, rare enough that a fast transfer cannot flood a window.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// The longest pause between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// How failed attempts are tried again: exponential backoff with jitter,
/// from `retry_delay` up to 30 s, at most `retries` times.
pub(crate) fn backoff(config: &EngineConfig) -> impl Iterator<Item = Duration> {
    backon::ExponentialBuilder::default()
        .with_min_delay(config.retry_delay)
        .with_max_delay(MAX_RETRY_DELAY.max(config.retry_delay))
        .with_max_times(config.retries)
        .with_jitter()
        .build()
}

/// Reports a retry to the listener.
fn retrying(context: &WorkerContext, task: &Task, error: &FetchError, delay: Duration, n: usize) {
    tracing::debug!(index = task.index, n, ?delay, %error, "retrying");
    context.emit(Event::Note {
        index: task.index,
        note: Note::Retry {
            attempt: n,
            error: error.clone(),
            delay,
        },
    });
    context.emit(Event::Retrying {
        index: task.index,
        attempt: n,
        error: error.clone(),
    });
}

/// One download: attempts until one succeeds, fails for good, or the
/// retries run out. Each attempt continues from the bytes the last one
/// kept. A pause or cancel ends the wait between two attempts at once.
pub(crate) async fn run(
    client: &Clients,
    config: &EngineConfig,
    budget: &ConnectionBudget,
    task: &mut Task,
) -> Attempt {
    let context = &*budget.context;
    if let Some(source) = torrent::Source::of(&task.url) {
        return torrent::run(config, budget, task, source).await;
    }
    if let Some(file) = &task.cookies
        && let Err(e) = context.cookies.load_once(file)
    {
        return Attempt::failed(None, 0, FetchError::CookieFile(e));
    }
    if let Err(e) = with_login(config, task) {
        return Attempt::failed(None, 0, e);
    }
    if config.if_exists == IfExists::Skip
        && let Some(path) = known_file(config, task)
    {
        return Attempt::skipped(None, path);
    }
    let mut resume = task
        .resume
        .take()
        .or_else(|| Resume::find(&task.dir, &task.raw_url));
    loop {
        let mut a = Attempts {
            client,
            config,
            budget,
        }
        .retried(task, resume.take())
        .await;
        // Another URL of the same file may work where this one failed for
        // good (a 404, a refused connection); a pause, a cancel or a bad
        // file on disk would be the same there.
        let switch =
            matches!(&a.outcome, Err(e) if e.mirror_may_help()) && !context.stopping() && !task.ctl.halted();
        let Some((to, url)) = switch.then(|| next_mirror(&mut task.mirrors)).flatten() else {
            return a;
        };
        context.emit(Event::Note {
            index: task.index,
            note: Note::Mirror { to },
        });
        task.url = url;
        task.login_added = false;
        if let Err(e) = with_login(config, task) {
            return Attempt::failed(None, 0, e);
        }
        // The bytes so far go on from the next URL, where its validator
        // allows (else it starts over, as any resume does).
        resume = a.resume.take();
    }
}

/// The file a task's download would be, when its name is known before
/// asking the server (given, or the URL's; else the answer names it), and
/// it is there.
fn known_file(config: &EngineConfig, task: &Task) -> Option<std::path::PathBuf> {
    let name = task.name.clone().or_else(|| naming::name_from_url(&task.url))?;
    let dir = match &config.sort {
        // Sorted by its extension; without one, only the answer's type says.
        Some(c) => task.dir.join(c.by_extension(&name)?),
        None => task.dir.clone(),
    };
    existing::file(&dir, &name)
}

/// Gives `url` the saved or netrc login of its host when it names none,
/// and refuses credentials that would go unencrypted to a public host.
fn with_login(config: &EngineConfig, task: &mut Task) -> Result<(), FetchError> {
    if std::mem::take(&mut task.login_added) {
        let _ = task.url.set_username("");
        let _ = task.url.set_password(None);
    }
    if let Some(with) = config.logins.apply(&task.url) {
        task.url = with;
        task.login_added = true;
    }
    match auth::plain_auth_refused(&task.url, config.allow_plain_auth) {
        Some(host) => Err(FetchError::PlainAuth { host }),
        None => Ok(()),
    }
}

/// The next mirror that is an http(s) URL at all, with its text as shown.
fn next_mirror(mirrors: &mut std::collections::VecDeque<String>) -> Option<(String, url::Url)> {
    while let Some(text) = mirrors.pop_front() {
        if let Ok(url) = http::parse_url(&text) {
            return Some((auth::redact_url(&url), url));
        }
    }
    None
}

/// What the attempts at one URL run with.
#[derive(Clone, Copy)]
struct Attempts<'a> {
    client: &'a Clients,
    config: &'a EngineConfig,
    budget: &'a ConnectionBudget,
}

impl Attempts<'_> {
    /// The attempts at one URL, with retries.
    async fn retried(self, task: &Task, mut resume: Option<Box<Resume>>) -> Attempt {
        let context = &*self.budget.context;
        let mut delays = backoff(self.config);
        let mut n = 0;
        loop {
            let mut a = attempt(self, task, resume.take()).await;
            // A server that cannot be reached while another URL of the file
            // waits: that one now, as aria2 goes to its next URI, not after
            // every retry here.
            let to_mirror = matches!(&a.outcome, Err(FetchError::Connect(_))) && !task.mirrors.is_empty();
            let again = a.retryable() && !to_mirror && !context.stopping() && !task.ctl.halted();
            let (Some(delay), Err(e)) = (again.then(|| delays.next()).flatten(), &a.outcome) else {
                // Done, or failed for good: the bytes stay with the attempt (a
                // pause resumes them).
                return a;
            };
            n += 1;
            retrying(context, task, e, delay, n);
            resume = a.resume.take();
            sleep(&task.ctl, delay).await;
        }
    }
}

/// The download's own headers, and `extra` (a range) over them.
pub(crate) fn headers(task: &Task, extra: HeaderMap) -> HeaderMap {
    let mut headers = task.headers.clone();
    headers.extend(extra);
    headers
}

/// One request and its body.
async fn attempt(with: Attempts<'_>, task: &Task, mut resume: Option<Box<Resume>>) -> Attempt {
    let Attempts {
        client,
        config,
        budget,
    } = with;
    let context = &*budget.context;
    if context.stopping() || task.ctl.halted() {
        let bytes = resume.as_ref().map_or(0, |r| r.offset);
        return Attempt::failed(None, bytes, FetchError::Cancelled).with_resume(resume);
    }
    if let Some(r) = resume.take_if(|r| r.is_segmented())
        && let Some(a) = segment::resume(client, config, budget, task, r).await
    {
        return a;
    }
    // An update asks for the body only if the file there is out of date.
    let current = (config.if_exists == IfExists::Update && resume.is_none())
        .then(|| known_file(config, task))
        .flatten();
    let headers = match (&resume, &current) {
        (Some(r), _) => http::range_headers(r.offset, None, r.validator.as_deref()),
        (None, Some(path)) => existing::conditional_headers(path),
        (None, None) => Default::default(),
    };
    let sent = until_halted(&task.ctl, client.get(&task.url, self::headers(task, headers))).await;
    let mut resp = match sent {
        None => return Attempt::failed(None, 0, FetchError::Cancelled).with_resume(resume),
        Some(Ok(r)) => r,
        Some(Err(e)) => return Attempt::failed(None, 0, client.failure(&task.url, &e)).with_resume(resume),
    };
    if let Some(e) = client.refused(resp.url(), resp.status()) {
        return Attempt::failed(Some(resp.status().as_u16()), 0, e).with_resume(resume);
    }
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED
        && let Some(path) = current
    {
        return Attempt::skipped(Some(304), path);
    }
    if task.url.scheme() == "https" && resp.url().scheme() == "http" {
        let to = auth::redact_url(resp.url());
        tracing::info!(index = task.index, to, "redirected from HTTPS to HTTP");
        context.emit(Event::Note {
            index: task.index,
            note: Note::Downgraded { to },
        });
    }
    let len = resp.content_length();
    // A playlist is known by its first bytes: a fresh, whole body that
    // cannot be a segmented download is looked at before it is written.
    let mut first = Vec::new();
    if resume.is_none() && resp.status() == reqwest::StatusCode::OK && !segment::big_enough(config, len) {
        match stream::peek(&mut resp, &task.ctl).await {
            Ok(stream::Peeked::Playlist(format, body)) => {
                let base = resp.url().clone();
                return stream::run(client, config, budget, task, format, base, body).await;
            }
            Ok(stream::Peeked::Torrent(body)) => {
                return torrent::run(config, budget, task, torrent::Source::Bytes(body)).await;
            }
            Ok(stream::Peeked::Other(bytes)) => first = bytes,
            Err(e) => return Attempt::failed(Some(200), 0, e),
        }
    }
    let mut t = match Transfer::begin(context, config, task, resp.status(), resp.headers(), len, resume) {
        Ok(t) => t,
        Err(a) => return a,
    };
    if first.is_empty()
        && let Some(extra) = segment::split(config, budget, task, &t, resp.headers())
    {
        return segment::run(client, budget, task, t, resp, extra).await;
    }
    if !first.is_empty()
        && let Err(e) = t.write(&first)
    {
        return t.fail(e);
    }
    loop {
        let chunk = tokio::select! {
            c = resp.chunk() => c,
            () = task.ctl.wake.notified() => {
                if task.ctl.halted() {
                    return t.fail(FetchError::Cancelled);
                }
                continue;
            }
        };
        match chunk {
            Ok(Some(chunk)) => {
                if let Err(e) = t.write(&chunk) {
                    return t.fail(e);
                }
                sleep(&task.ctl, t.pace(chunk.len())).await;
            }
            Ok(None) => return t.finish().wait().await,
            Err(e) => return t.interrupted(&e),
        }
    }
}

/// Waits for `fut`, or for the task to be paused or cancelled (`None`).
async fn until_halted<T>(ctl: &TaskCtl, fut: impl Future<Output = T>) -> Option<T> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            r = &mut fut => return Some(r),
            () = ctl.wake.notified() => if ctl.halted() {
                return None;
            }
        }
    }
}

/// How long to wait after `n` bytes: the longer of the global limit's and
/// the task's own.
pub(crate) fn pace(context: &WorkerContext, ctl: &TaskCtl, n: usize) -> Duration {
    context.limit.take(n).max(ctl.limit.take(n))
}

/// Sleeps `d`; a pause or cancel (or the engine closing, which pauses its
/// running tasks) ends the wait at once.
pub(crate) async fn sleep(ctl: &TaskCtl, d: Duration) {
    if d.is_zero() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        () = ctl.wake.notified() => {}
    }
}

/// After a whole body: the checksum, if one is being computed.
impl Finish<'_> {
    pub(crate) async fn wait(self) -> Attempt {
        match self {
            Finish::Done(a) => a,
            Finish::Verify(t, pending) => {
                let digest = pending
                    .await
                    .unwrap_or_else(|_| Err(std::io::Error::other("the hashing pool stopped")));
                t.verified(digest)
            }
        }
    }
}
