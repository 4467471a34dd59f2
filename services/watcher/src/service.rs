//! The watcher's loop: inotify events (through `notify`), a start-up scan and a periodic rescan
//! (also after an event-queue overflow or a watch error) feed the [`SettleTracker`]; files it
//! calls ready are taken by at most `NEWSFLOW_CONCURRENCY` workers. On SIGINT/SIGTERM no new
//! file is taken, the files in flight are finished, and `run` returns.

use crate::names;
use crate::process::{self, Context, Job, Outcome};
use crate::settings::WatcherArgs;
use crate::settle::{Observation, Readiness, SettleTracker};
use anyhow::{Context as _, Result};
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher as _};
use std::collections::{HashMap, HashSet, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Files noticed in the inbox (temp names excluded), each counted once.
pub const FILES_SEEN_TOTAL: &str = "newsflow_files_seen_total";
/// Files published and moved to done/ (or deleted).
pub const FILES_DONE_TOTAL: &str = "newsflow_files_done_total";
/// Files moved to rejected/, by `reason`.
pub const FILES_REJECTED_TOTAL: &str = "newsflow_files_rejected_total";
/// Files in the inbox seen but not yet done or rejected.
pub const INBOX_BACKLOG_FILES: &str = "newsflow_inbox_backlog_files";
/// Attempts that failed (NATS unavailable, move failed) and will be retried.
pub const FILES_RETRIED_TOTAL: &str = "newsflow_files_retried_total";

/// Events buffered between the inotify thread and the loop; beyond it we rescan instead.
const EVENT_QUEUE: usize = 8192;
/// Memory budget for file contents held by all workers together, at least.
const MIN_MEMORY_BUDGET: u64 = 256 * 1024 * 1024;

/// A setting whose value cannot work (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigProblem(pub String);

fn describe_metrics() {
    metrics::describe_counter!(FILES_SEEN_TOTAL, "Files noticed in the inbox");
    metrics::describe_counter!(
        FILES_DONE_TOTAL,
        "Files published and moved to done/ or deleted"
    );
    metrics::describe_counter!(FILES_REJECTED_TOTAL, "Files moved to rejected/, by reason");
    metrics::describe_gauge!(
        INBOX_BACKLOG_FILES,
        "Files in the inbox not yet done or rejected"
    );
    metrics::describe_counter!(
        FILES_RETRIED_TOTAL,
        "File attempts that failed and will be retried"
    );
}

/// Create `dir` if needed and return its canonical path.
fn prepare_dir(dir: &Path, setting: &str) -> Result<PathBuf, ConfigProblem> {
    std::fs::create_dir_all(dir)
        .and_then(|_| dir.canonicalize())
        .map_err(|e| {
            ConfigProblem(format!(
                "{setting}: cannot use {} as a directory: {e}",
                crate::names::shown(dir)
            ))
        })
}

/// Run the watcher until SIGINT/SIGTERM.
pub async fn run(args: WatcherArgs) -> Result<()> {
    let inbox = prepare_dir(&args.inbox, "NEWSFLOW_INBOX")?;
    let done_dir = prepare_dir(&args.done_dir(), "NEWSFLOW_DONE_DIR")?;
    let rejected_dir = prepare_dir(&args.rejected_dir(), "NEWSFLOW_REJECTED_DIR")?;
    if done_dir == inbox || rejected_dir == inbox {
        return Err(ConfigProblem(
            "NEWSFLOW_DONE_DIR / NEWSFLOW_REJECTED_DIR: must not be the inbox itself".into(),
        )
        .into());
    }

    // Signals are handled from here on, so a stop during start-up (e.g. while NATS is still
    // unreachable) is a clean exit too.
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let metrics = newsflow_shared::telemetry::install_recorder()?;
    describe_metrics();
    // Served before connecting: alive and not ready while NATS is still unreachable.
    let readiness = newsflow_shared::telemetry::Readiness::new();
    newsflow_shared::telemetry::serve(args.common.metrics_addr, metrics, readiness.clone()).await?;
    let start_up = async {
        let client = newsflow_shared::nats::connect(&args.common.nats, "newsflow-watcher").await?;
        let js = async_nats::jetstream::new(client.clone());
        readiness.connected(client.clone(), js.clone());
        // JetStream may answer later than the connection (server starting, a cluster electing
        // its leader, the other services declaring the same streams at that moment): retry,
        // saying so, like the other services, rather than exit.
        newsflow_shared::nats::retry_logged("declare JetStream streams", || {
            newsflow_shared::jetstream::ensure_streams(&js, args.common.replicas)
        })
        .await;
        anyhow::Ok((client, js))
    };
    let (client, js) = tokio::select! {
        r = start_up => r?,
        _ = sigterm.recv() => {
            tracing::info!("SIGTERM during start-up: stopped before taking any file");
            return Ok(());
        }
        _ = sigint.recv() => {
            tracing::info!("SIGINT during start-up: stopped before taking any file");
            return Ok(());
        }
    };

    let memory_budget = MIN_MEMORY_BUDGET.max(args.max_file_bytes + 1);
    let memory_kib = u32::try_from(memory_budget.div_ceil(1024)).unwrap_or(u32::MAX);
    let ctx = Arc::new(Context {
        client,
        js,
        replicas: args.common.replicas,
        done_dir: done_dir.clone(),
        rejected_dir: rejected_dir.clone(),
        on_done: args.on_done,
        max_file_bytes: args.max_file_bytes,
        max_jsonl_items: args.max_jsonl_items,
        max_jsonl_line_bytes: usize::try_from(args.max_jsonl_line_bytes).unwrap_or(usize::MAX),
        memory: Arc::new(tokio::sync::Semaphore::new(memory_kib as usize)),
        memory_kib,
        kill_after_puback: args.test_kill_after_puback,
    });

    let (ev_tx, mut ev_rx) = mpsc::channel(EVENT_QUEUE);
    let overflowed = Arc::new(AtomicBool::new(false));
    let overflow_flag = overflowed.clone();
    let mut fs_watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if ev_tx.try_send(ev).is_err() {
            overflow_flag.store(true, Ordering::Relaxed);
        }
    })
    .context("starting the inotify watcher")?;
    fs_watcher
        .watch(&inbox, RecursiveMode::NonRecursive)
        .with_context(|| format!("watching {}", crate::names::shown(&inbox)))?;
    tracing::info!(
        inbox = %crate::names::shown(&inbox),
        done = %crate::names::shown(&done_dir),
        rejected = %crate::names::shown(&rejected_dir),
        settle_ms = args.settle_ms,
        concurrency = args.common.concurrency,
        "watching the inbox"
    );

    let mut state = LoopState::new(inbox, args.settle(), args.common.concurrency, ctx);
    state.rescan();

    let poll_every =
        (args.settle() / 5).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut poll = tokio::time::interval(poll_every);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rescan = tokio::time::interval(args.rescan_every());
    rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    rescan.reset();

    let signal_name = loop {
        state.dispatch();
        state.report_backlog();
        tokio::select! {
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "SIGINT",
            Some(ev) = ev_rx.recv() => state.on_event(ev),
            _ = poll.tick() => {
                if overflowed.swap(false, Ordering::Relaxed) {
                    tracing::warn!("event queue overflowed: rescanning the inbox");
                    state.rescan();
                }
                state.poll();
            }
            _ = rescan.tick() => state.rescan(),
            Some(done) = state.workers.join_next_with_id(), if !state.workers.is_empty() => {
                state.on_worker_done(done);
            }
        }
    };
    drop(fs_watcher);
    tracing::info!(
        in_flight = state.workers.len(),
        "{signal_name}: taking no new files; finishing the files in flight"
    );
    while let Some(done) = state.workers.join_next_with_id().await {
        state.on_worker_done(done);
    }
    state.report_backlog();
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Everything the loop knows about the inbox.
struct LoopState {
    inbox: PathBuf,
    tracker: SettleTracker,
    /// Ready to take, in order.
    ready: VecDeque<PathBuf>,
    /// Ready or being taken: not tracked again until the worker is through.
    queued: HashSet<PathBuf>,
    /// When each file not yet finished was first seen (its `Newsflow-Received-At`).
    first_seen: HashMap<PathBuf, SystemTime>,
    /// Files whose last attempt failed: not before this instant; attempts so far.
    retry_after: HashMap<PathBuf, (Instant, u32)>,
    workers: JoinSet<(PathBuf, Outcome)>,
    worker_paths: HashMap<tokio::task::Id, PathBuf>,
    concurrency: usize,
    ctx: Arc<Context>,
}

impl LoopState {
    fn new(inbox: PathBuf, settle: Duration, concurrency: usize, ctx: Arc<Context>) -> Self {
        LoopState {
            inbox,
            tracker: SettleTracker::new(settle),
            ready: VecDeque::new(),
            queued: HashSet::new(),
            first_seen: HashMap::new(),
            retry_after: HashMap::new(),
            workers: JoinSet::new(),
            worker_paths: HashMap::new(),
            concurrency: concurrency.max(1),
            ctx,
        }
    }

    /// Whether `path` is a file of the inbox we may take (a direct child, not a temp name).
    fn is_candidate(&self, path: &Path) -> bool {
        path.parent() == Some(self.inbox.as_path())
            && path.file_name().is_some_and(|n| !names::is_temp_name(n))
    }

    fn note_seen(&mut self, path: &Path) {
        if !self.first_seen.contains_key(path) {
            self.first_seen
                .insert(path.to_path_buf(), SystemTime::now());
            metrics::counter!(FILES_SEEN_TOTAL).increment(1);
            tracing::debug!(file = %crate::names::shown(path), "seen");
        }
    }

    fn on_event(&mut self, ev: notify::Result<notify::Event>) {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!("inotify error: {e}; rescanning the inbox");
                self.rescan();
                return;
            }
        };
        if ev.need_rescan() {
            tracing::warn!("inotify queue overflowed: rescanning the inbox");
            self.rescan();
            return;
        }
        let now = Instant::now();
        match ev.kind {
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => {
                for p in &ev.paths {
                    if self.is_candidate(p) {
                        self.note_seen(p);
                        self.tracker.written(p, now);
                    }
                }
            }
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                for p in &ev.paths {
                    if self.is_candidate(p) {
                        self.note_seen(p);
                        if self.queued.contains(p) || self.retry_after.contains_key(p) {
                            self.tracker.closed(p, now);
                        } else {
                            // Complete now: take it at once rather than at the next poll tick.
                            // No stat first: a file gone by then is skipped when taken.
                            self.tracker.forget(p);
                            self.enqueue(p.clone());
                        }
                    }
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                // paths[0] renamed to paths[1]; the `To` half is reported on its own too.
                if let Some(from) = ev.paths.first() {
                    self.tracker.forget(from);
                }
            }
            EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_) => {
                for p in &ev.paths {
                    self.tracker.forget(p);
                    if !self.queued.contains(p) {
                        self.first_seen.remove(p);
                    }
                }
            }
            EventKind::Modify(_) => {
                for p in &ev.paths {
                    if self.is_candidate(p) && !self.queued.contains(p) {
                        self.note_seen(p);
                        self.tracker.discovered(p, now);
                    }
                }
            }
            // Opens and reads (ours included) change nothing.
            _ => {}
        }
    }

    /// List the inbox and track every file not already tracked or taken.
    fn rescan(&mut self) {
        let entries = match std::fs::read_dir(&self.inbox) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(inbox = %crate::names::shown(&self.inbox), "cannot list the inbox: {e}");
                return;
            }
        };
        let now = Instant::now();
        let mut found = 0usize;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = entry.path();
            if !self.is_candidate(&path)
                || self.queued.contains(&path)
                || self.tracker.contains(&path)
                || self.retry_after.contains_key(&path)
            {
                continue;
            }
            self.note_seen(&path);
            self.tracker.discovered(&path, now);
            found += 1;
        }
        if found > 0 {
            tracing::info!(files = found, "scan found files to take");
        }
    }

    /// Check the waiting files; queue the ready ones. Files whose retry time came are tracked again.
    fn poll(&mut self) {
        let now = Instant::now();
        let due: Vec<PathBuf> = self
            .retry_after
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for p in due {
            if !self.queued.contains(&p) {
                self.tracker.discovered(&p, now);
            }
        }
        let wall = SystemTime::now();
        for path in self.tracker.paths() {
            if self.queued.contains(&path)
                || self.retry_after.get(&path).is_some_and(|(at, _)| *at > now)
            {
                continue;
            }
            let seen = std::fs::symlink_metadata(&path).ok().map(|m| Observation {
                size: m.len(),
                mtime: m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                ino: m.ino(),
            });
            match self.tracker.observe(&path, seen, now, wall) {
                Readiness::Ready => self.enqueue(path),
                Readiness::Gone => {
                    self.first_seen.remove(&path);
                    self.retry_after.remove(&path);
                }
                Readiness::Waiting => {}
            }
        }
    }

    /// Queue `path` to be taken.
    fn enqueue(&mut self, path: PathBuf) {
        self.queued.insert(path.clone());
        self.ready.push_back(path);
    }

    /// Start workers for ready files, up to the concurrency limit.
    fn dispatch(&mut self) {
        while self.workers.len() < self.concurrency {
            let Some(path) = self.ready.pop_front() else {
                break;
            };
            let seen = self
                .first_seen
                .get(&path)
                .copied()
                .unwrap_or_else(SystemTime::now);
            let job = Job {
                path: path.clone(),
                received_at: crate::message::rfc3339(seen),
            };
            let ctx = self.ctx.clone();
            let handle = self.workers.spawn(async move {
                let started = Instant::now();
                let outcome = process::process(&ctx, &job).await;
                newsflow_shared::telemetry::observe_processing(
                    crate::message::STAGE,
                    started.elapsed().as_secs_f64(),
                );
                (job.path, outcome)
            });
            self.worker_paths.insert(handle.id(), path);
        }
    }

    fn on_worker_done(
        &mut self,
        done: Result<(tokio::task::Id, (PathBuf, Outcome)), tokio::task::JoinError>,
    ) {
        let (path, outcome) = match done {
            Ok((id, result)) => {
                self.worker_paths.remove(&id);
                result
            }
            Err(e) => {
                let path = self.worker_paths.remove(&e.id());
                tracing::error!("a worker failed: {e}");
                match path {
                    Some(p) => (
                        p,
                        Outcome::Retry {
                            error: anyhow::anyhow!("worker failed: {e}"),
                        },
                    ),
                    None => return,
                }
            }
        };
        self.queued.remove(&path);
        match outcome {
            Outcome::Done { .. } => {
                metrics::counter!(FILES_DONE_TOTAL).increment(1);
                self.finished(&path);
            }
            Outcome::Rejected { reason } => {
                metrics::counter!(FILES_REJECTED_TOTAL, "reason" => reason).increment(1);
                self.finished(&path);
            }
            Outcome::Skipped { why } => {
                tracing::debug!(file = %crate::names::shown(&path), why, "skipped");
                self.finished(&path);
            }
            Outcome::Retry { error } => {
                metrics::counter!(FILES_RETRIED_TOTAL).increment(1);
                newsflow_shared::telemetry::count_stage(crate::message::STAGE, "failed", 1);
                let attempts = self.retry_after.get(&path).map_or(0, |(_, n)| *n) + 1;
                let wait = newsflow_shared::nats::backoff(attempts.min(6));
                tracing::warn!(
                    file = %crate::names::shown(&path),
                    attempts,
                    retry_in_ms = wait.as_millis() as u64,
                    "not taken, will retry: {error:#}"
                );
                self.retry_after
                    .insert(path, (Instant::now() + wait, attempts));
            }
        }
    }

    fn finished(&mut self, path: &Path) {
        self.first_seen.remove(path);
        self.retry_after.remove(path);
    }

    fn report_backlog(&self) {
        metrics::gauge!(INBOX_BACKLOG_FILES).set(self.first_seen.len() as f64);
    }
}
