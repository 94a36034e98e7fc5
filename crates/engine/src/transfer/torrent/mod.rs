//! Torrents: a `magnet:` link, a `.torrent` file or an http(s) body that
//! is one, downloaded as one task by the engine's BitTorrent session
//! ([`crate::swarm`]).
//!
//! The metadata is read first (librqbit's `list_only`; for a magnet that
//! asks the peers), so every path is checked against fanout's name rules
//! and the folder is known before a byte is written. Then the torrent is
//! added for real, its progress reported, and seeding kept up for as long
//! as the task's limits say (librqbit has no seeding limits of its own).

mod names;
mod plan;
mod storage;
mod view;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use librqbit::storage::StorageFactoryExt;
use librqbit::{AddTorrent, AddTorrentOptions, AddTorrentResponse, Session};

use self::plan::{Listed, Plan};
pub(crate) use self::plan::{Source, is_magnet, is_torrent, may_be_torrent, source_url};
use super::PROGRESS_EVERY;
use crate::attempt::Attempt;
use crate::config::{EngineConfig, IfExists};
use crate::context::{ConnectionBudget, WorkerContext};
use crate::error::{FetchError, TorrentError};
use crate::job::{Event, Saved, TorrentOptions};
use crate::queue::{Task, TaskCtl};
use crate::swarm::bps;

/// The largest `.torrent` body read from an http(s) URL.
pub(crate) const MAX_TORRENT: u64 = 32 * 1024 * 1024;

/// Downloads the torrent of `source` for `task`.
pub(crate) async fn run(
    config: &EngineConfig,
    budget: &ConnectionBudget,
    task: &Task,
    source: Source,
) -> Attempt {
    // Held until the torrent is done here, not on the session's runtime:
    // the last one stops that runtime.
    let lease = match budget.context.swarm.lease(&config.torrent).await {
        Ok(l) => l,
        Err(e) => return Attempt::failed(None, 0, TorrentError::Session(e).into()),
    };
    let started = &lease.started;
    let job = Drive {
        session: started.session.clone(),
        context: budget.context.clone(),
        ctl: task.ctl.clone(),
        index: task.index,
        dir: task.dir.clone(),
        options: task.torrent.clone(),
        // The lower of the task's own limit and the global one, as the
        // torrent starts (librqbit takes it per torrent).
        limit: [task.ctl.limit.get(), budget.context.limit.get()]
            .into_iter()
            .flatten()
            .min(),
        if_exists: config.if_exists,
    };
    // Driven on the session's runtime: librqbit's futures want its
    // multi-thread runtime, whichever engine runs the task.
    match started.handle.spawn(job.run(source)).await {
        Ok(a) => a,
        Err(e) => Attempt::failed(None, 0, TorrentError::Failed(e.to_string()).into()),
    }
}

/// How watching a running torrent ended.
enum Watched {
    /// Done (seeded as asked), or halted or failed: the bytes so far and
    /// why.
    Ended(Result<(), (u64, FetchError)>),
    /// The user chose other files (0-based; `None`: all).
    Reselect(Option<Vec<usize>>),
    /// The user changed its choices.
    Options(TorrentOptions),
}

/// Whether `new` differs from `old` only in what needs no new start: the
/// seeding limits (and `pause_metadata`, past by now).
fn same_but_seeding(new: &TorrentOptions, old: &TorrentOptions) -> bool {
    let mut new = new.clone();
    new.seed = old.seed;
    new.pause_metadata = old.pause_metadata;
    new == *old
}

/// How often the swarm is reported.
const SWARM_EVERY: Duration = Duration::from_secs(1);

/// Where a torrent goes: a plan under its `k`-th name, or nowhere (the
/// name is taken and `--if-exists skip`).
enum Placed {
    Plan(Plan, usize),
    Skip(std::path::PathBuf),
}

/// What the driver needs, owned (it runs on another runtime).
struct Drive {
    session: Arc<Session>,
    context: Arc<WorkerContext>,
    ctl: Arc<TaskCtl>,
    index: usize,
    dir: std::path::PathBuf,
    options: TorrentOptions,
    /// Bytes per second to download at most.
    limit: Option<u64>,
    /// What to do when the torrent's name is taken.
    if_exists: IfExists,
}

/// Whether the torrent should stop: paused, cancelled, or the engine
/// closing.
fn halted(context: &WorkerContext, ctl: &TaskCtl) -> bool {
    ctl.halted() || context.stopping()
}

/// Whether a stopped torrent's files go: a cancel removes them; a pause,
/// or the engine closing (which pauses), keeps them for the resume.
fn cancelled(context: &WorkerContext, ctl: &TaskCtl) -> bool {
    ctl.halted() && !ctl.paused() && !context.stopping()
}

impl Drive {
    async fn run(mut self, source: Source) -> Attempt {
        let attempt = self.drive(source).await;
        // What it last ran with (files and limits changed while it ran)
        // goes back to its task, for its next start.
        *crate::sync::lock(&self.ctl.torrent_now) = Some(self.options.clone());
        attempt
    }

    async fn drive(&mut self, source: Source) -> Attempt {
        let fail = |e: TorrentError| Attempt::failed(None, 0, e.into());
        let magnet_tr = match &source {
            Source::Magnet(m) => magnet_trackers(m),
            _ => Vec::new(),
        };
        // The magnet's trackers and the task's own (`bt-tracker`).
        let trackers = |options: &TorrentOptions| -> Vec<String> {
            magnet_tr.iter().chain(&options.trackers).cloned().collect()
        };
        let listing_trackers = trackers(&self.options);
        // A magnet's failure here is its peers'; a file's is its content.
        let unreadable: fn(String) -> TorrentError = match &source {
            Source::Magnet(_) => TorrentError::NoMetadata,
            _ => TorrentError::Invalid,
        };
        let add = match source {
            Source::Magnet(m) => AddTorrent::from_url(m),
            Source::Bytes(b) => AddTorrent::from_bytes(b),
            Source::File(path) => match std::fs::read(&path) {
                Ok(b) => AddTorrent::from_bytes(b),
                Err(e) => return Attempt::failed(None, 0, FetchError::io(&path, &e)),
            },
        };
        // A `.torrent`'s paths, named as it wrote them when refused.
        if let AddTorrent::TorrentFileBytes(bytes) = &add
            && let Err(e) = names::check(bytes)
        {
            return fail(e);
        }
        let peers = (!self.options.peers.is_empty()).then(|| self.options.peers.clone());
        // The metadata only: nothing is written yet.
        let listing = AddTorrentOptions {
            list_only: true,
            initial_peers: peers.clone(),
            trackers: (!listing_trackers.is_empty()).then(|| listing_trackers.clone()),
            ..Default::default()
        };
        let listed = match self
            .until_halted(self.session.add_torrent(add, Some(listing)))
            .await
        {
            None => return Attempt::failed(None, 0, FetchError::Cancelled),
            Some(Err(e)) => return fail(unreadable(format!("{e:#}"))),
            Some(Ok(AddTorrentResponse::ListOnly(l))) => l,
            Some(Ok(_)) => return fail(TorrentError::Failed("already being downloaded".into())),
        };
        let files: Vec<Listed> = listed
            .info
            .iter_file_details()
            .map(|f| Listed {
                components: f.filename.iter_components().map(|c| c.into_owned()).collect(),
                len: f.len,
            })
            .collect();
        let name = listed.info.name().map(|n| n.into_owned());
        let hash = listed.info_hash.as_string();
        if let Err(e) = std::fs::create_dir_all(&self.dir) {
            return Attempt::failed(None, 0, FetchError::io(&self.dir, &e));
        }
        let mark = self.dir.join(format!(".fanout-{hash}.torrent"));
        let started_before = mark.exists();
        let (plan, k) = match self.place(name.as_deref(), &files, &mark) {
            Ok(Placed::Plan(plan, k)) => match std::fs::write(&mark, k.to_string()) {
                Ok(()) => (plan, k),
                Err(e) => return Attempt::failed(None, 0, FetchError::io(&mark, &e)),
            },
            Ok(Placed::Skip(path)) => return Attempt::skipped(None, path),
            Err(e) => return fail(e),
        };
        // Every file's path, for the file list (checked by `place` above).
        let all = match plan::plan(&self.dir, name.as_deref(), &files, None, k) {
            Ok(all) => all,
            Err(e) => return fail(e),
        };
        let lengths = listed.info.lengths();
        let describe = |select: Option<&[usize]>| {
            Arc::new(view::meta(
                hash.clone(),
                &listed.torrent_bytes,
                &files,
                &all,
                select,
                u64::from(lengths.default_piece_length()),
                lengths.total_pieces(),
            ))
        };
        self.context.emit(Event::Torrent {
            index: self.index,
            meta: describe(self.options.select.as_deref()),
        });
        // aria2's `pause-metadata`: the files are known, none written yet.
        // A torrent resumed after the pause (its mark is there, so it is
        // kept) goes on.
        if self.options.pause_metadata && !started_before {
            self.context.queue.pause(self.index, || {});
            return Attempt::failed(None, 0, FetchError::Cancelled);
        }
        let mut initial: Vec<_> = peers.unwrap_or_default();
        let known: HashSet<_> = initial.iter().copied().collect();
        initial.extend(listed.seen_peers.iter().filter(|p| !known.contains(p)));
        let initial = (!initial.is_empty()).then_some(initial);
        // Unselected files' bytes that share a piece with a selected one.
        let scratch = self.dir.join(format!(".fanout-{hash}.unselected"));
        let mut plan = plan;
        // When it was complete (seeding counts from there), over re-adds.
        let mut complete: Option<Instant> = None;
        let ended = loop {
            let trackers = trackers(&self.options);
            let storage = storage::Factory {
                root: plan.root.clone(),
                paths: plan.paths.clone().into(),
                scratch: scratch.clone(),
            };
            let opts = AddTorrentOptions {
                output_folder: Some(plan.root.to_string_lossy().into_owned()),
                only_files: self.options.select.clone(),
                initial_peers: initial.clone(),
                // The files a paused task left are checked piece by piece and
                // continued, not refused.
                overwrite: true,
                trackers: (!trackers.is_empty()).then(|| trackers.clone()),
                storage_factory: Some(storage.boxed()),
                ratelimits: librqbit::limits::LimitsConfig {
                    download_bps: bps(self.limit),
                    // The task's own; the engine's is the session's, over all.
                    upload_bps: bps(self.options.upload_limit),
                },
                ..Default::default()
            };
            let added = self
                .session
                .add_torrent(AddTorrent::from_bytes(listed.torrent_bytes.clone()), Some(opts))
                .await;
            let (id, handle) = match added {
                Ok(AddTorrentResponse::Added(id, h)) | Ok(AddTorrentResponse::AlreadyManaged(id, h)) => {
                    (id, h)
                }
                Ok(AddTorrentResponse::ListOnly(_)) => {
                    return fail(TorrentError::Failed("listed only".into()));
                }
                Err(e) => return fail(TorrentError::Failed(format!("{e:#}"))),
            };
            self.context.emit(Event::Receiving {
                index: self.index,
                name: plan.name.clone(),
                total: Some(plan.total),
                validator: None,
            });
            let ended = loop {
                match self.watch(&handle, &plan, &mut complete).await {
                    // Seeding limits take effect as they are.
                    Watched::Options(o) if same_but_seeding(&o, &self.options) => self.options = o,
                    other => break other,
                }
            };
            // Seeding ends with the task: the files stay unless cancelled.
            let remove = matches!(ended, Watched::Ended(Err((_, FetchError::Cancelled))))
                && cancelled(&self.context, &self.ctl);
            if let Err(e) = self.session.delete(id.into(), remove).await {
                tracing::debug!(index = self.index, "removing the torrent: {e:#}");
            }
            match ended {
                Watched::Ended(ended) => break (ended, remove),
                // Chosen anew: the torrent is added again with its new
                // files; the verified pieces on disk are kept.
                // Other choices: added again with them, the same way.
                Watched::Reselect(chosen) => {
                    self.options.select = chosen;
                    // Other files: not complete until they are.
                    complete = None;
                }
                Watched::Options(o) => self.options = o,
            }
            let select = self.options.select.take();
            self.options.select = select.map(|c| c.into_iter().filter(|&i| i < files.len()).collect());
            let select = self.options.select.as_deref();
            plan = match plan::plan(&self.dir, name.as_deref(), &files, select, k) {
                Ok(p) => p,
                Err(e) => return fail(e),
            };
            self.context.emit(Event::Torrent {
                index: self.index,
                meta: describe(select),
            });
        };
        let (ended, remove) = ended;
        // A paused task continues with the scratch's pieces too.
        let paused = self.ctl.paused() || self.context.stopping();
        if !paused {
            let _ = std::fs::remove_dir_all(&scratch);
        }
        // The mark says where a torrent started before goes on; one that
        // ended (done or cancelled) starts afresh next time.
        if ended.is_ok() || remove {
            let _ = std::fs::remove_file(&mark);
        }
        match ended {
            Ok(()) => Attempt::saved(
                None,
                Saved {
                    path: plan.saved,
                    bytes: plan.total,
                    skipped: false,
                    files: plan.files,
                },
            ),
            Err((bytes, e)) => Attempt::failed(None, bytes, e),
        }
    }

    /// Where the torrent goes. One started before (paused, or its process
    /// killed) goes on under the name it had, as its mark says. Otherwise
    /// whatever is already at its name is kept, as for an HTTP download
    /// (`--if-exists`): the torrent goes beside it as `NAME (1)`, or is
    /// skipped; `update` has librqbit check what is there and fetch what
    /// differs.
    fn place(
        &self,
        name: Option<&str>,
        files: &[Listed],
        mark: &std::path::Path,
    ) -> Result<Placed, TorrentError> {
        let plan = |k| plan::plan(&self.dir, name, files, self.options.select.as_deref(), k);
        if let Some(k) = std::fs::read_to_string(mark)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return Ok(Placed::Plan(plan(k)?, k));
        }
        let first = plan(0)?;
        if !first.saved.exists() {
            return Ok(Placed::Plan(first, 0));
        }
        match self.if_exists {
            IfExists::Skip => Ok(Placed::Skip(first.saved)),
            IfExists::Update => Ok(Placed::Plan(first, 0)),
            IfExists::Rename => {
                let mut k = 1;
                loop {
                    let next = plan(k)?;
                    if !next.saved.exists() {
                        return Ok(Placed::Plan(next, k));
                    }
                    k += 1;
                }
            }
        }
    }

    /// Reports progress and the swarm until the torrent is complete and
    /// seeded as long as asked; or halted (the bytes so far and the
    /// error); or its files chosen anew.
    async fn watch(
        &self,
        handle: &librqbit::ManagedTorrent,
        plan: &Plan,
        complete: &mut Option<Instant>,
    ) -> Watched {
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let mut last = u64::MAX;
        // What it has, as last known.
        let mut have = 0;
        let mut speeds = view::Speeds::new();
        let mut swarm_at: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.ctl.wake.notified() => {}
            }
            let stats = handle.stats();
            let known = selected_bytes(&stats, plan);
            have = known.unwrap_or(have);
            if halted(&self.context, &self.ctl) {
                // Removing a torrent that seeds ends the seeding: its
                // files are whole and stay (as qBittorrent's Remove keeps
                // them), and the download is done.
                if complete.is_some() && cancelled(&self.context, &self.ctl) {
                    return Watched::Ended(Ok(()));
                }
                return Watched::Ended(Err((have, FetchError::Cancelled)));
            }
            if let Some(e) = stats.error {
                return Watched::Ended(Err((have, TorrentError::Failed(e).into())));
            }
            if let Some(chosen) = crate::sync::lock(&self.ctl.reselect).take() {
                return Watched::Reselect(chosen);
            }
            if let Some(options) = crate::sync::lock(&self.ctl.retorrent).take() {
                return Watched::Options(options);
            }
            if let Some(done) = known
                && done != last
            {
                last = done;
                self.context.emit(Event::Progress {
                    index: self.index,
                    bytes: done,
                    total: Some(plan.total),
                });
            }
            if swarm_at.is_none_or(|t| t.elapsed() >= SWARM_EVERY) {
                swarm_at = Some(Instant::now());
                self.context.emit(Event::Swarm {
                    index: self.index,
                    swarm: Arc::new(speeds.swarm(handle, stats.finished)),
                });
            }
            if stats.finished {
                let since = *complete.get_or_insert_with(Instant::now);
                let seeded = since.elapsed();
                if !self
                    .options
                    .seed
                    .keep_seeding(stats.uploaded_bytes, plan.total, seeded)
                {
                    tracing::debug!(
                        index = self.index,
                        uploaded = stats.uploaded_bytes,
                        ?seeded,
                        "seeding ends"
                    );
                    return Watched::Ended(Ok(()));
                }
            }
        }
    }

    /// Waits for `fut`, or for the task to be halted (`None`).
    async fn until_halted<T>(&self, fut: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => return Some(r),
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                () = self.ctl.wake.notified() => {}
            }
            if halted(&self.context, &self.ctl) {
                return None;
            }
        }
    }
}

/// Bytes of the selected files the torrent has (in checked pieces), as
/// aria2 counts a torrent's `completedLength`: librqbit's `progress_bytes`
/// counts whole pieces, so the bytes of an unselected file that shares a
/// piece with a selected one would count too, past the selected total.
/// Not known while its files are checked: librqbit's `progress_bytes` is
/// then the bytes checked so far, had or not, and reached the whole size
/// at the end of the check of files not yet downloaded.
fn selected_bytes(stats: &librqbit::TorrentStats, plan: &Plan) -> Option<u64> {
    if stats.file_progress.len() != plan.paths.len() {
        return None;
    }
    let bytes = stats
        .file_progress
        .iter()
        .zip(&plan.paths)
        .filter(|(_, path)| path.is_some())
        .map(|(bytes, _)| bytes)
        .sum();
    Some(bytes)
}

/// The `tr=` trackers of a magnet link, kept when the torrent is added
/// again from its metadata.
fn magnet_trackers(magnet: &str) -> Vec<String> {
    url::Url::parse(magnet)
        .map(|u| {
            u.query_pairs()
                .filter(|(k, _)| k == "tr")
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default()
}
