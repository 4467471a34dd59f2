//! The stage runner every consuming stage (cleaner, deduper, extractor) uses, so that the
//! delivery guarantees of SPEC §1 are written once:
//!
//! pull a batch from the stage's durable consumer → [`Transform::process`] (async; may do I/O)
//! → publish every [`Output`] with a content-derived `Nats-Msg-Id`, carrying
//! `Newsflow-Source-Path` and `Newsflow-Received-At` over from the input → await every PubAck →
//! only then ack the input.
//!
//! * [`StageError::Permanent`] → a `newsflow.rejected.v1` record on `news.rejected`, then ack.
//! * [`StageError::Transient`] (and a panic inside the transform, caught per message) → nak with
//!   a growing delay; on the last allowed delivery (`max_deliver`) the original payload goes to
//!   `news.dead` with `Newsflow-Stage`, `Newsflow-Error`, `Newsflow-Attempts`, then the input is
//!   terminated. Messages behind it keep flowing.
//! * At most `concurrency` messages are in flight. On SIGINT/SIGTERM the runner stops pulling,
//!   finishes what is in flight and returns `Ok` (exit 0).
//! * If the pull stream fails (server restart, consumer gone) it is logged and re-created.

use crate::bigpayload;
use crate::config::CommonArgs;
use crate::jetstream::{ensure_consumer, ensure_streams, StageSpec};
use crate::records::{sha256_hex, CleanArticle, RejectedRecord, Source, REJECTED_SCHEMA};
use crate::subjects::{
    DEAD, HDR_ATTEMPTS, HDR_ERROR, HDR_MSG_ID, HDR_RECEIVED_AT, HDR_SOURCE_PATH, HDR_STAGE,
    REJECTED,
};
use crate::telemetry::{self, count_stage, observe_processing};
use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::{FutureExt as _, StreamExt};
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// One input message as a transform sees it: the real payload (big payloads already fetched
/// from the object store) and the headers that travel with it.
#[derive(Clone, Debug)]
pub struct Input {
    pub subject: String,
    pub payload: Bytes,
    pub headers: HeaderMap,
    /// `Newsflow-Source-Path`, when present.
    pub source_path: Option<String>,
    /// `Newsflow-Received-At`, when present.
    pub received_at: Option<String>,
    /// Delivery count of this message (1 on the first delivery).
    pub delivered: i64,
    /// Sequence of this message in its input stream: the same on every redelivery, different
    /// for any other message (the deduper uses it to tell a redelivery from a re-drop).
    pub stream_sequence: u64,
}

/// One message a transform wants published.
#[derive(Clone, Debug)]
pub struct Output {
    pub subject: String,
    pub payload: Bytes,
    /// `Nats-Msg-Id`; default: sha256 of subject + payload.
    pub msg_id: Option<String>,
    /// Extra headers (e.g. a different `Newsflow-Source-Path`); the runner adds the rest.
    pub headers: HeaderMap,
}

impl Output {
    pub fn new(subject: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Output {
            subject: subject.into(),
            payload: payload.into(),
            msg_id: None,
            headers: HeaderMap::new(),
        }
    }

    /// A JSON record on `subject`.
    pub fn json<T: serde::Serialize>(
        subject: impl Into<String>,
        record: &T,
    ) -> anyhow::Result<Self> {
        Ok(Self::new(
            subject,
            serde_json::to_vec(record).context("serialising output")?,
        ))
    }

    /// Use `id` as the `Nats-Msg-Id` instead of the content hash.
    pub fn with_msg_id(mut self, id: impl Into<String>) -> Self {
        self.msg_id = Some(id.into());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The `Nats-Msg-Id` this output is published with.
    pub fn effective_msg_id(&self) -> String {
        match &self.msg_id {
            Some(id) => id.clone(),
            None => {
                let mut buf = Vec::with_capacity(self.subject.len() + 1 + self.payload.len());
                buf.extend_from_slice(self.subject.as_bytes());
                buf.push(0);
                buf.extend_from_slice(&self.payload);
                sha256_hex(&buf)
            }
        }
    }
}

/// Why a transform could not handle a message.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The input itself is bad; retrying cannot help. Goes to `news.rejected`.
    #[error("{0}")]
    Permanent(String),
    /// Something around the input failed (I/O, a store); retried, then dead-lettered.
    #[error("{0:#}")]
    Transient(anyhow::Error),
}

/// A stage's pure-or-async transform.
///
/// CPU-bound work (parsing, cleaning, fingerprints, extraction) goes through [`cpu_work`]:
/// inline on the runtime's worker for the usual article, on the blocking pool for a big one.
pub trait Transform: Send + Sync + 'static {
    /// Turn one input into zero or more outputs.
    fn process(&self, input: Input)
        -> impl Future<Output = Result<Vec<Output>, StageError>> + Send;
}

/// Inputs up to this size are transformed inline by [`cpu_work`]; bigger ones on the blocking
/// pool. An article of this size cleans in about 10 ms.
pub const INLINE_MAX_BYTES: usize = 256 * 1024;

/// Run the CPU-bound `work` of a transform whose input is `input_bytes` long.
///
/// Up to [`INLINE_MAX_BYTES`] it runs inline on the runtime's worker thread (one per core), not
/// through `spawn_blocking`: for articles of a few KB (a fraction of a millisecond each) the
/// hand-off to a blocking thread and back cost more than it saved on two cores (measured with
/// `newsflow-bench`: cleaner 360 → 340, extractor 670 → 600 CPU µs per article). A bigger input
/// (a 64 MiB page cleans in seconds) goes to the blocking pool, so that it never holds a worker
/// the connection, PubAcks and `/metrics` need. A panic in `work` resumes in the caller either
/// way, where the runner catches it like any other; a blocking task cancelled (the runtime
/// shutting down under it) is a transient error, so the input is redelivered.
pub async fn cpu_work<T, F>(input_bytes: usize, work: F) -> Result<T, StageError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if input_bytes <= INLINE_MAX_BYTES {
        return Ok(work());
    }
    match tokio::task::spawn_blocking(work).await {
        Ok(out) => Ok(out),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(StageError::Transient(anyhow::anyhow!(
                "transform task did not finish: {e}"
            ))),
        },
    }
}

/// The `newsflow.article.v1` record an input carries (the deduper's and the extractor's input);
/// one that doesn't parse is the input's fault, so a permanent error.
pub fn clean_article(payload: &[u8]) -> Result<CleanArticle, StageError> {
    serde_json::from_slice(payload)
        .map_err(|e| StageError::Permanent(format!("not a newsflow.article.v1 record: {e}")))
}

/// How the runner runs a stage.
#[derive(Clone, Copy, Debug)]
pub struct RunnerConfig {
    pub stage: StageSpec,
    pub max_deliver: i64,
    pub concurrency: usize,
}

/// Delay before a nak'ed message comes back: 500 ms · 2^(delivered-1), at most 30 s.
pub fn nak_delay(delivered: i64) -> Duration {
    let exp = delivered.clamp(1, 16) as u32 - 1;
    Duration::from_millis(500)
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(30))
}

/// A receiver that turns true on SIGINT or SIGTERM.
pub fn shutdown_on_signals() -> anyhow::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let which = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("{which}: stop pulling, finish in-flight work, exit");
        let _ = tx.send(true);
    });
    Ok(rx)
}

async fn wait_shutdown(rx: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens when nobody can signal any more.
    let _ = rx.wait_for(|stop| *stop).await;
    if !*rx.borrow() {
        std::future::pending::<()>().await;
    }
}

/// Everything a running service has: the NATS client, JetStream, its settings, the shutdown
/// signal. Built by [`ServiceContext::start`].
pub struct ServiceContext {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub args: CommonArgs,
    pub stage: StageSpec,
    pub shutdown: watch::Receiver<bool>,
}

/// [`crate::nats::retry_logged`] until it succeeds (`Some`) or shutdown is asked for (`None`).
async fn retry_until_ok<T, F, Fut>(what: &str, shutdown: &watch::Receiver<bool>, op: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut stop = shutdown.clone();
    tokio::select! {
        v = crate::nats::retry_logged(what, op) => Some(v),
        _ = wait_shutdown(&mut stop) => None,
    }
}

impl ServiceContext {
    /// Log set-up, start `/metrics` `/healthz` `/readyz` (not ready until connected), connect
    /// (retrying while NATS is down), declare the streams and the stage's consumer, start the
    /// consumer gauges.
    pub async fn start(args: CommonArgs, stage: StageSpec) -> anyhow::Result<Self> {
        crate::logging::init(args.log_format);
        let handle = telemetry::install_recorder()?;
        let readiness = telemetry::Readiness::new();
        telemetry::serve(args.metrics_addr, handle, readiness.clone()).await?;
        let client = crate::nats::connect(&args.nats, &format!("newsflow-{}", stage.name)).await?;
        let shutdown = shutdown_on_signals()?;
        let js = jetstream::new(client.clone());
        readiness.connected(client.clone(), js.clone());
        // JetStream may answer later than the connection (server starting, cluster electing a
        // leader): retry the declarations, saying so, rather than exit and crash-loop.
        retry_until_ok("declare JetStream streams/consumer", &shutdown, || async {
            ensure_streams(&js, args.replicas).await?;
            ensure_consumer(&js, &stage, args.max_deliver).await
        })
        .await;
        telemetry::spawn_consumer_gauges(js.clone(), stage);
        Ok(ServiceContext {
            client,
            js,
            args,
            stage,
            shutdown,
        })
    }

    /// Run a set-up step that needs JetStream (e.g. opening a KV bucket), retrying with backoff
    /// and a log line per failure until it succeeds; an error only if shutdown came first.
    pub async fn retry_setup<T, F, Fut>(&self, what: &str, op: F) -> anyhow::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        retry_until_ok(what, &self.shutdown, op)
            .await
            .ok_or_else(|| anyhow::anyhow!("shut down before {what} succeeded"))
    }

    /// Run `transform` until SIGINT/SIGTERM; then flush the connection.
    pub async fn run<T: Transform>(self, transform: T) -> anyhow::Result<()> {
        let cfg = RunnerConfig {
            stage: self.stage,
            max_deliver: self.args.max_deliver,
            concurrency: self.args.concurrency,
        };
        run(self.js.clone(), cfg, Arc::new(transform), self.shutdown).await?;
        if let Err(e) = self.client.flush().await {
            tracing::warn!("flushing NATS connection at exit: {e}");
        }
        Ok(())
    }
}

/// The runner loop: returns when `shutdown` turns true and in-flight work is done.
pub async fn run<T: Transform>(
    js: jetstream::Context,
    cfg: RunnerConfig,
    transform: Arc<T>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let stage = cfg.stage;
    let permits = Arc::new(Semaphore::new(cfg.concurrency));
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut attempt: u32 = 0;
    // Messages fetched per pull request: no more than can be started at once.
    let batch = cfg.concurrency.clamp(1, 256);
    tracing::info!(
        stage = stage.name,
        concurrency = cfg.concurrency,
        max_deliver = cfg.max_deliver,
        "stage runner started"
    );

    'outer: loop {
        if *shutdown.borrow() {
            break;
        }
        // (Re-)create the consumer and its pull stream.
        let messages = async {
            let consumer = ensure_consumer(&js, &stage, cfg.max_deliver).await?;
            consumer
                .stream()
                .max_messages_per_batch(batch)
                .heartbeat(Duration::from_secs(5))
                .expires(Duration::from_secs(30))
                .messages()
                .await
                .context("opening the pull stream")
        };
        let mut messages = tokio::select! {
            m = messages => match m {
                Ok(m) => { attempt = 0; m }
                Err(e) => {
                    let wait = crate::nats::backoff(attempt);
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(stage = stage.name, retry_in_ms = wait.as_millis() as u64, "consumer not available: {e:#}");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => continue 'outer,
                        _ = wait_shutdown(&mut shutdown) => break 'outer,
                    }
                }
            },
            _ = wait_shutdown(&mut shutdown) => break 'outer,
        };

        loop {
            // Reap finished tasks so the set does not grow.
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => Some(p.context("semaphore closed")?),
                _ = wait_shutdown(&mut shutdown) => None,
            };
            let Some(permit) = permit else {
                release_buffered(&mut messages, stage.name, batch).await;
                break 'outer;
            };
            let next = tokio::select! {
                n = messages.next() => Some(n),
                _ = wait_shutdown(&mut shutdown) => None,
            };
            let Some(next) = next else {
                release_buffered(&mut messages, stage.name, batch).await;
                break 'outer;
            };
            match next {
                Some(Ok(msg)) => {
                    let js = js.clone();
                    let transform = transform.clone();
                    tasks.spawn(async move {
                        handle_message(&js, &cfg, transform, msg).await;
                        drop(permit);
                    });
                }
                Some(Err(e)) => {
                    tracing::warn!(stage = stage.name, "pull stream error, re-creating it: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue 'outer;
                }
                None => {
                    tracing::warn!(stage = stage.name, "pull stream ended, re-creating it");
                    continue 'outer;
                }
            }
        }
    }

    let in_flight = tasks.len();
    tracing::info!(
        stage = stage.name,
        in_flight,
        "stopped pulling; finishing in-flight messages"
    );
    while tasks.join_next().await.is_some() {}
    tracing::info!(stage = stage.name, "stage runner stopped");
    Ok(())
}

/// Delay of the naks that hand fetched-but-unstarted messages back at shutdown: long enough
/// that the server does not hand them straight back to this draining stream.
const RELEASE_DELAY: Duration = Duration::from_secs(2);

/// At shutdown: nak the messages already fetched but not started (at most one batch), so
/// another replica gets them in [`RELEASE_DELAY`] instead of after `ack_wait`. Either way the
/// server counts one more delivery for them.
async fn release_buffered(
    messages: &mut jetstream::consumer::pull::Stream,
    stage: &'static str,
    batch: usize,
) {
    let mut released = 0usize;
    while released < batch {
        match tokio::time::timeout(Duration::from_millis(20), messages.next()).await {
            Ok(Some(Ok(msg))) => {
                let _ = msg.ack_with(AckKind::Nak(Some(RELEASE_DELAY))).await;
                released += 1;
            }
            _ => break,
        }
    }
    if released > 0 {
        tracing::info!(
            stage,
            released,
            "released fetched messages that were not started"
        );
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.as_str().to_string())
}

/// One line, safe as a header value, bounded.
fn one_line(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > 1000 {
        let mut cut = 1000;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

async fn handle_message<T: Transform>(
    js: &jetstream::Context,
    cfg: &RunnerConfig,
    transform: Arc<T>,
    msg: jetstream::Message,
) {
    let stage = cfg.stage.name;
    let started = Instant::now();
    count_stage(stage, "in", 1);
    let (delivered, stream_seq) = match msg.info() {
        Ok(info) => (info.delivered, info.stream_sequence),
        Err(e) => {
            tracing::warn!(stage, "message without JetStream metadata, ignoring: {e}");
            return;
        }
    };
    let headers = msg.headers.clone().unwrap_or_default();
    let source_path = header_str(&headers, HDR_SOURCE_PATH);

    let result = if delivered > cfg.max_deliver {
        // Past the configured attempts without ever being seen to fail: every earlier delivery
        // ended without an outcome (process killed, stopped, or stuck past ack_wait).
        Err(StageError::Transient(anyhow::anyhow!(
            "no outcome after {} deliveries (the process handling it died, stopped or hung)",
            delivered - 1
        )))
    } else {
        match bigpayload::resolve(js, &msg).await {
            Err(e) => Err(StageError::Transient(e)),
            Ok(payload) => {
                let input = Input {
                    subject: msg.subject.to_string(),
                    payload,
                    headers: headers.clone(),
                    source_path: source_path.clone(),
                    received_at: header_str(&headers, HDR_RECEIVED_AT),
                    delivered,
                    stream_sequence: stream_seq,
                };
                // A panic inside the transform is caught here and treated as transient. Caught
                // in place rather than in a task of its own: a spawn and a join per message cost
                // more than most transforms. Unwind safety: the transform's own state is behind
                // `&self` and a panicking message is retried from its payload, not from any state
                // the panic left behind.
                match std::panic::AssertUnwindSafe(transform.process(input))
                    .catch_unwind()
                    .await
                {
                    Ok(r) => r,
                    Err(payload) => Err(StageError::Transient(anyhow::anyhow!(
                        "transform panicked: {}",
                        panic_text(payload)
                    ))),
                }
            }
        }
    };

    let outcome = match result {
        Ok(outputs) => match publish_all(js, &headers, outputs).await {
            Ok(n) => {
                count_stage(stage, "out", n as u64);
                Ok(())
            }
            Err(e) => Err(StageError::Transient(e)),
        },
        Err(StageError::Permanent(reason)) => {
            match publish_rejected(js, stage, &msg, source_path.clone(), &reason).await {
                Ok(()) => {
                    tracing::info!(
                        stage,
                        path = source_path.as_deref().unwrap_or("-"),
                        "rejected: {reason}"
                    );
                    count_stage(stage, "rejected", 1);
                    Ok(())
                }
                Err(e) => Err(StageError::Transient(e)),
            }
        }
        Err(e) => Err(e),
    };

    match outcome {
        Ok(()) => {
            // A plain ack, not a confirmed (double) one: the outputs are already stored, so an
            // ack lost on the way only means a redelivery, whose outputs JetStream drops by their
            // Nats-Msg-Id (the deduper replays its stored decision). Waiting for a confirmation
            // would cost a round trip per message for nothing we could act on.
            if let Err(e) = msg.ack().await {
                tracing::warn!(stage, stream_seq, "ack not sent (will be redelivered): {e}");
            } else {
                count_stage(stage, "acked", 1);
            }
        }
        Err(e) => {
            let err_text = one_line(&format!("{e}"));
            if delivered >= cfg.max_deliver {
                match publish_dead(js, stage, &msg, stream_seq, &err_text, delivered).await {
                    Ok(()) => {
                        count_stage(stage, "dead", 1);
                        tracing::error!(
                            stage,
                            stream_seq,
                            attempts = delivered,
                            path = source_path.as_deref().unwrap_or("-"),
                            "dead-lettered to {DEAD}: {err_text}"
                        );
                        if let Err(e) = msg.double_ack_with(AckKind::Term).await {
                            tracing::warn!(stage, stream_seq, "term not confirmed: {e}");
                        }
                    }
                    Err(pe) => {
                        count_stage(stage, "failed", 1);
                        tracing::error!(
                            stage,
                            stream_seq,
                            "could not dead-letter ({pe:#}); leaving it for redelivery: {err_text}"
                        );
                        let _ = msg.ack_with(AckKind::Nak(Some(nak_delay(delivered)))).await;
                    }
                }
            } else {
                count_stage(stage, "failed", 1);
                let delay = nak_delay(delivered);
                tracing::warn!(
                    stage,
                    stream_seq,
                    attempt = delivered,
                    retry_in_ms = delay.as_millis() as u64,
                    path = source_path.as_deref().unwrap_or("-"),
                    "transient failure: {err_text}"
                );
                if let Err(e) = msg.ack_with(AckKind::Nak(Some(delay))).await {
                    tracing::warn!(
                        stage,
                        stream_seq,
                        "nak not sent (redelivered after ack_wait): {e}"
                    );
                }
            }
        }
    }
    observe_processing(stage, started.elapsed().as_secs_f64());
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Publish every output, then await every PubAck. Returns how many were published.
async fn publish_all(
    js: &jetstream::Context,
    input_headers: &HeaderMap,
    outputs: Vec<Output>,
) -> anyhow::Result<usize> {
    let n = outputs.len();
    let mut acks = Vec::with_capacity(n);
    for out in outputs {
        let msg_id = out.effective_msg_id();
        let Output {
            subject,
            payload,
            mut headers,
            ..
        } = out;
        let subject = async_nats::Subject::from(subject);
        headers.insert(HDR_MSG_ID, msg_id.as_str());
        for name in [HDR_SOURCE_PATH, HDR_RECEIVED_AT] {
            if headers.get(name).is_none() {
                if let Some(v) = input_headers.get(name) {
                    headers.insert(name, v.as_str());
                }
            }
        }
        let ack = js
            .publish_with_headers(subject.clone(), headers, payload)
            .await
            .with_context(|| format!("publishing to {subject}"))?;
        acks.push(ack.into_future());
    }
    for ack in futures::future::join_all(acks).await {
        ack.context("waiting for PubAck")?;
    }
    Ok(n)
}

async fn publish_rejected(
    js: &jetstream::Context,
    stage: &'static str,
    msg: &jetstream::Message,
    source_path: Option<String>,
    reason: &str,
) -> anyhow::Result<()> {
    let record = RejectedRecord {
        schema: REJECTED_SCHEMA.to_string(),
        source: Source {
            path: source_path,
            ..Source::default()
        },
        stage: stage.to_string(),
        reason: one_line(reason),
        at: crate::clock::now_rfc3339(),
    };
    // Same input, same rejection, same id — whatever the time.
    let id =
        sha256_hex(format!("rejected|{stage}|{}|{reason}", sha256_hex(&msg.payload)).as_bytes());
    let mut headers = msg.headers.clone().unwrap_or_default();
    headers.insert(HDR_MSG_ID, id.as_str());
    headers.insert(HDR_STAGE, stage);
    js.publish_with_headers(REJECTED, headers, serde_json::to_vec(&record)?.into())
        .await
        .context("publishing the rejection")?
        .await
        .context("waiting for the rejection's PubAck")?;
    Ok(())
}

async fn publish_dead(
    js: &jetstream::Context,
    stage: &'static str,
    msg: &jetstream::Message,
    stream_seq: u64,
    error: &str,
    attempts: i64,
) -> anyhow::Result<()> {
    let mut headers = HeaderMap::new();
    if let Some(orig) = &msg.headers {
        for (name, values) in orig.iter() {
            if AsRef::<str>::as_ref(name) == HDR_MSG_ID {
                continue;
            }
            for v in values {
                headers.append(name.clone(), v.as_str());
            }
        }
    }
    let id = sha256_hex(format!("dead|{stage}|{}|{stream_seq}", msg.subject).as_bytes());
    headers.insert(HDR_MSG_ID, id.as_str());
    headers.insert(HDR_STAGE, stage);
    headers.insert(HDR_ERROR, error);
    headers.insert(HDR_ATTEMPTS, attempts.to_string().as_str());
    // The original payload as received: a big-payload reference stays a reference (its
    // Newsflow-Payload-Ref header is kept above), so a replay resolves it like the first time.
    js.publish_with_headers(DEAD, headers, msg.payload.clone())
        .await
        .context("publishing the dead letter")?
        .await
        .context("waiting for the dead letter's PubAck")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_msg_id_is_content_hash() {
        let a = Output::new("news.clean", Bytes::from_static(b"x"));
        let b = Output::new("news.clean", Bytes::from_static(b"x"));
        let c = Output::new("news.unique", Bytes::from_static(b"x"));
        assert_eq!(a.effective_msg_id(), b.effective_msg_id());
        assert_ne!(a.effective_msg_id(), c.effective_msg_id());
        assert_eq!(a.clone().with_msg_id("e1").effective_msg_id(), "e1");
    }

    #[test]
    fn nak_delay_grows_and_caps() {
        assert_eq!(nak_delay(1), Duration::from_millis(500));
        assert_eq!(nak_delay(2), Duration::from_secs(1));
        assert_eq!(nak_delay(40), Duration::from_secs(30));
    }

    /// The thread a closure ran on, seen from a current-thread runtime: inline work runs on the
    /// runtime's own thread, blocking-pool work on another.
    fn ran_on(bytes: usize) -> bool {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let here = std::thread::current().id();
        rt.block_on(cpu_work(bytes, move || std::thread::current().id() == here))
            .unwrap()
    }

    #[test]
    fn cpu_work_runs_small_inputs_inline_and_big_ones_off_the_worker() {
        assert!(ran_on(3_000), "a small article runs inline");
        assert!(ran_on(INLINE_MAX_BYTES), "the limit itself is inline");
        assert!(
            !ran_on(INLINE_MAX_BYTES + 1),
            "a big one goes to the blocking pool"
        );
    }

    #[test]
    fn cpu_work_panics_reach_the_caller_from_the_blocking_pool() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(cpu_work(INLINE_MAX_BYTES + 1, || -> u8 {
                panic!("bad page")
            }))
        }));
        let payload = caught.expect_err("the panic resumes in the caller");
        assert_eq!(panic_text(payload), "bad page");
    }

    #[test]
    fn an_input_that_is_no_article_record_is_a_permanent_error() {
        match clean_article(b"{\"schema\": 3}") {
            Err(StageError::Permanent(why)) => {
                assert!(why.starts_with("not a newsflow.article.v1 record"), "{why}")
            }
            other => panic!("expected a permanent error, got {other:?}"),
        }
    }

    #[test]
    fn one_line_strips_newlines() {
        assert_eq!(one_line("a\nb\r"), "a b ");
    }
}
