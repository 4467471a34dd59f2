//! Taking one file: read it safely, publish it (or each line of a batch) to `news.raw`, await
//! every PubAck, and only then move it to done/ or delete it. Refused files are recorded on
//! `news.rejected` (acknowledged) before they are moved to rejected/ with their reason.
//! A failure to publish or move leaves the file in the inbox to be tried again.

use crate::dispose;
use crate::intake::{self, Intake, RejectReason};
use crate::jsonl;
use crate::message;
use crate::names;
use crate::settings::OnDone;
use anyhow::{Context as _, Result};
use async_nats::jetstream::{self, context::PublishAckFuture};
use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use newsflow_shared::{bigpayload, subjects};
use std::future::IntoFuture;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Publishes of one batch file awaiting their PubAck at once.
const BATCH_IN_FLIGHT: usize = 256;

/// Everything a worker needs; shared by all workers.
pub struct Context {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub replicas: usize,
    pub done_dir: PathBuf,
    pub rejected_dir: PathBuf,
    pub on_done: OnDone,
    pub max_file_bytes: u64,
    /// Most articles (non-empty lines) in one `.jsonl` file; more and the file is refused.
    pub max_jsonl_items: usize,
    /// Longest `.jsonl` line taken, in bytes; a longer line is refused alone.
    pub max_jsonl_line_bytes: usize,
    /// Bound on file bytes held in memory by all workers together, in KiB permits.
    pub memory: Arc<Semaphore>,
    pub memory_kib: u32,
    pub kill_after_puback: bool,
}

/// One file to take.
#[derive(Debug, Clone)]
pub struct Job {
    pub path: PathBuf,
    /// RFC 3339 time the watcher first saw the file.
    pub received_at: String,
}

/// What became of a file.
#[derive(Debug)]
pub enum Outcome {
    /// Published (`messages` raw messages) and moved or deleted.
    Done { messages: usize },
    /// Recorded on `news.rejected` and moved to rejected/.
    Rejected { reason: &'static str },
    /// Not ours (vanished, a directory).
    Skipped { why: &'static str },
    /// Publishing or moving failed; the file stays in the inbox to be tried again.
    Retry { error: anyhow::Error },
}

/// Take the file of `job`.
pub async fn process(ctx: &Context, job: &Job) -> Outcome {
    match take(ctx, job).await {
        Ok(o) => o,
        Err(error) => Outcome::Retry { error },
    }
}

async fn take(ctx: &Context, job: &Job) -> Result<Outcome> {
    let path = &job.path;
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", crate::names::shown(path)))?;
    let source_path = names::escape_source_path(name);
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Outcome::Skipped { why: "vanished" })
        }
        Err(e) => return Err(e).with_context(|| format!("stat {}", crate::names::shown(path))),
    };
    // Which file this is, for the id of a rejection record (a new file under the same name is
    // recorded again; a restart does not record the same one twice).
    let identity = format!(
        "{}:{}:{}:{}",
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino()
    );

    let want_kib = kib(meta.len().min(ctx.max_file_bytes + 1)).min(ctx.memory_kib);
    let _memory = ctx
        .memory
        .acquire_many(want_kib)
        .await
        .context("memory budget closed")?;

    // A small file is read right here: a local read takes microseconds, and the hand-off to a
    // blocking thread and back cost more (thread switches were a third of the watcher's CPU in
    // a burst). A big one goes to the blocking pool so this worker keeps serving the others.
    let intake = if meta.len() <= INLINE_READ_BYTES {
        intake::read_entry(path, ctx.max_file_bytes)
    } else {
        let (read_path, max) = (path.clone(), ctx.max_file_bytes);
        tokio::task::spawn_blocking(move || intake::read_entry(&read_path, max))
            .await
            .context("reading task failed")?
    };
    let content = match intake {
        Intake::Skip(why) => return Ok(Outcome::Skipped { why }),
        Intake::Reject(reason) => {
            return reject_file(ctx, path, &source_path, &reason, identity.as_bytes()).await
        }
        Intake::Content(c) => c,
    };

    let messages = if names::is_json_lines(name) {
        let lines = jsonl::split_lines_limited(&content, ctx.max_jsonl_line_bytes);
        if lines.len() > ctx.max_jsonl_items {
            let reason = RejectReason::TooManyItems {
                items: lines.len(),
                max: ctx.max_jsonl_items,
            };
            return reject_file(ctx, path, &source_path, &reason, identity.as_bytes()).await;
        }
        match publish_batch(ctx, &source_path, &job.received_at, lines).await? {
            Some(n) => n,
            None => {
                return reject_file(
                    ctx,
                    path,
                    &source_path,
                    &RejectReason::NoArticles,
                    identity.as_bytes(),
                )
                .await
            }
        }
    } else {
        let ack = publish_raw(ctx, &source_path, &job.received_at, content).await?;
        ack.await
            .with_context(|| format!("PubAck for {source_path}"))?;
        newsflow_shared::telemetry::count_stage(message::STAGE, "published", 1);
        1
    };

    if ctx.kill_after_puback {
        tracing::warn!(file = %source_path, "test fault: SIGKILL after PubAck, before the move");
        // SAFETY: kill(2) on our own pid; no memory is involved.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }

    // A rename or an unlink: metadata only, done here like a small read.
    match ctx.on_done {
        OnDone::Move => {
            let dst = dispose::move_into(path, &ctx.done_dir, None)?;
            tracing::info!(file = %source_path, messages, to = %crate::names::shown(&dst), "published; moved to done");
        }
        OnDone::Delete => {
            std::fs::remove_file(path)
                .with_context(|| format!("delete {}", crate::names::shown(path)))?;
            tracing::info!(file = %source_path, messages, "published; deleted");
        }
    }
    Ok(Outcome::Done { messages })
}

/// Files up to this size are read on the async worker itself; bigger ones on the blocking pool.
const INLINE_READ_BYTES: u64 = 1024 * 1024;

/// KiB permits for `bytes` bytes (at least 1).
fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX)
}

/// Publish each line of a `.jsonl` batch; bad lines become rejection records. Returns the number
/// of raw messages, or `None` when no line was an article (the file is then rejected whole).
async fn publish_batch(
    ctx: &Context,
    source_path: &str,
    received_at: &str,
    lines: Vec<jsonl::BatchLine>,
) -> Result<Option<usize>> {
    let mut acks = FuturesUnordered::new();
    let mut published = 0usize;
    let mut rejected = 0usize;
    for line in lines {
        let line_path = names::line_source_path(source_path, line.line_no);
        let ack = match line.problem {
            None => {
                published += 1;
                publish_raw(ctx, &line_path, received_at, line.bytes).await?
            }
            Some(problem) => {
                rejected += 1;
                tracing::warn!(file = %line_path, reason = %problem, "batch line rejected");
                let reason = RejectReason::BadLine { problem };
                publish_rejected(ctx, &line_path, &reason, &line.bytes).await?
            }
        };
        acks.push(ack.into_future());
        if acks.len() >= BATCH_IN_FLIGHT {
            if let Some(r) = acks.next().await {
                r.with_context(|| format!("PubAck for a line of {source_path}"))?;
            }
        }
    }
    while let Some(r) = acks.next().await {
        r.with_context(|| format!("PubAck for a line of {source_path}"))?;
    }
    newsflow_shared::telemetry::count_stage(message::STAGE, "published", published as u64);
    newsflow_shared::telemetry::count_stage(message::STAGE, "rejected", rejected as u64);
    Ok((published > 0).then_some(published))
}

/// Send one raw message (through the object store when over the server's `max_payload`) and
/// return its PubAck future.
async fn publish_raw(
    ctx: &Context,
    source_path: &str,
    received_at: &str,
    content: Bytes,
) -> Result<PublishAckFuture> {
    let id = message::raw_msg_id(source_path, &content);
    let mut headers = message::raw_headers(&id, source_path, received_at);
    let payload = if content.len() > bigpayload::inline_limit(&ctx.client) {
        let reference = bigpayload::put(&ctx.js, ctx.replicas, &content)
            .await
            .with_context(|| format!("storing {source_path} in the object store"))?;
        for (name, values) in reference.headers.iter() {
            for v in values {
                headers.append(name.clone(), v.clone());
            }
        }
        tracing::info!(file = %source_path, bytes = content.len(), "over max_payload: sent through the object store");
        reference.body
    } else {
        content
    };
    ctx.js
        .publish_with_headers(subjects::RAW, headers, payload)
        .await
        .with_context(|| format!("publishing {source_path} to {}", subjects::RAW))
}

/// Send the `newsflow.rejected.v1` record of `source_path` and return its PubAck future.
async fn publish_rejected(
    ctx: &Context,
    source_path: &str,
    reason: &RejectReason,
    identity: &[u8],
) -> Result<PublishAckFuture> {
    let record = message::rejected_record(source_path, &reason.message(), &message::now_rfc3339());
    let body = serde_json::to_vec(&record).context("serialising a rejection record")?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        subjects::HDR_MSG_ID,
        message::rejected_msg_id(source_path, reason.label(), identity).as_str(),
    );
    headers.insert(subjects::HDR_SOURCE_PATH, source_path);
    ctx.js
        .publish_with_headers(subjects::REJECTED, headers, Bytes::from(body))
        .await
        .with_context(|| format!("publishing the rejection of {source_path}"))
}

/// Record the rejection of a whole file, then move it to rejected/ beside its reason.
async fn reject_file(
    ctx: &Context,
    path: &Path,
    source_path: &str,
    reason: &RejectReason,
    identity: &[u8],
) -> Result<Outcome> {
    publish_rejected(ctx, source_path, reason, identity)
        .await?
        .await
        .with_context(|| format!("PubAck for the rejection of {source_path}"))?;
    newsflow_shared::telemetry::count_stage(message::STAGE, "rejected", 1);
    // A rename and a one-line file: done here, like the move to done/.
    let dst = dispose::move_into(path, &ctx.rejected_dir, Some(".reason.txt"))?;
    dispose::write_reason(&dst, &reason.message())?;
    tracing::warn!(
        file = %source_path,
        reason = %reason.message(),
        to = %crate::names::shown(&dst),
        "rejected"
    );
    Ok(Outcome::Rejected {
        reason: reason.label(),
    })
}
