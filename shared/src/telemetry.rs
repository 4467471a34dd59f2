//! Metrics and health for every service: a Prometheus recorder and a minimal HTTP server on the
//! service's metrics address serving `GET /metrics`, `GET /healthz` (process alive) and
//! `GET /readyz` (connected to NATS and every stream present).
//!
//! Metric names shared by the services (SPEC §8):
//! * `newsflow_stage_messages_total{stage,outcome}` — counter; outcome is `in`, `out`, `failed`
//!   (transient error, redelivered), `rejected` (permanent, on news.rejected), `dead`
//!   (on news.dead), `acked`.
//! * `newsflow_stage_processing_seconds{stage}` — histogram of one message's transform + publish.
//! * `newsflow_consumer_pending_messages{stage}` — gauge: messages not yet delivered (lag).
//! * `newsflow_consumer_ack_pending_messages{stage}` — gauge: delivered, not yet acked.
//! * `newsflow_consumer_redelivered_messages{stage}` — gauge: being redelivered.
//! * `newsflow_end_to_end_seconds` — histogram: `Newsflow-Received-At` to indicator published
//!   (observed by the extractor).
//! * `newsflow_indicator_events_total{indicator}` — counter (extractor).
//! * `newsflow_articles_without_events_total` — counter (extractor).
//!
//! The consumer gauges are polled from the consumer's info every [`CONSUMER_POLL`].

use anyhow::Context as _;
use async_nats::jetstream;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, Method, Request, Response, StatusCode};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const STAGE_MESSAGES_TOTAL: &str = "newsflow_stage_messages_total";
pub const STAGE_PROCESSING_SECONDS: &str = "newsflow_stage_processing_seconds";
pub const CONSUMER_PENDING: &str = "newsflow_consumer_pending_messages";
pub const CONSUMER_ACK_PENDING: &str = "newsflow_consumer_ack_pending_messages";
pub const CONSUMER_REDELIVERED: &str = "newsflow_consumer_redelivered_messages";
pub const END_TO_END_SECONDS: &str = "newsflow_end_to_end_seconds";
pub const INDICATOR_EVENTS_TOTAL: &str = "newsflow_indicator_events_total";
pub const ARTICLES_WITHOUT_EVENTS_TOTAL: &str = "newsflow_articles_without_events_total";

/// How often the consumer gauges are refreshed.
pub const CONSUMER_POLL: Duration = Duration::from_secs(5);

/// Histogram buckets (seconds), from sub-millisecond transforms to minute-long backlogs.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Install the global Prometheus recorder (once per process) and return its handle.
pub fn install_recorder() -> anyhow::Result<PrometheusHandle> {
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .context("histogram buckets")?
        // A ratio, not seconds: fine steps around the 0.8 dedup threshold.
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("newsflow_dedup_similarity".into()),
            &[0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0],
        )
        .context("similarity buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    let handle = HANDLE.get_or_init(|| handle).clone();
    describe_shared_metrics();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `# HELP` text for the metrics in this module's list (Prometheus tooling wants it).
fn describe_shared_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        STAGE_MESSAGES_TOTAL,
        "Messages per stage by outcome: in, out, acked, failed (retried), rejected, dead."
    );
    describe_histogram!(
        STAGE_PROCESSING_SECONDS,
        Unit::Seconds,
        "Time to handle one message in a stage: transform, publish, PubAck, ack."
    );
    describe_gauge!(
        CONSUMER_PENDING,
        "Messages in the stage's input stream not yet delivered to it (lag)."
    );
    describe_gauge!(
        CONSUMER_ACK_PENDING,
        "Messages delivered to the stage and not yet acknowledged."
    );
    describe_gauge!(
        CONSUMER_REDELIVERED,
        "Messages of the stage's consumer currently being redelivered."
    );
    describe_histogram!(
        END_TO_END_SECONDS,
        Unit::Seconds,
        "Time from the watcher first seeing a file to its indicator events being extracted."
    );
    describe_counter!(
        INDICATOR_EVENTS_TOTAL,
        "Indicator events extracted, by indicator code."
    );
    describe_counter!(
        ARTICLES_WITHOUT_EVENTS_TOTAL,
        "Unique articles in which the extractor found no indicator."
    );
}

/// Count one message outcome of `stage`.
pub fn count_stage(stage: &'static str, outcome: &'static str, n: u64) {
    metrics::counter!(STAGE_MESSAGES_TOTAL, "stage" => stage, "outcome" => outcome).increment(n);
}

/// Observe one message's processing time in `stage`.
pub fn observe_processing(stage: &'static str, seconds: f64) {
    metrics::histogram!(STAGE_PROCESSING_SECONDS, "stage" => stage).record(seconds);
}

/// What `/readyz` checks: the NATS connection is up and the streams exist. The endpoints are
/// served from the start, before the first connection (which may take long: NATS down), so
/// that a service waiting for NATS is seen alive and not ready instead of not answering.
#[derive(Clone, Default)]
pub struct Readiness {
    connection: Arc<OnceLock<(async_nats::Client, jetstream::Context)>>,
}

impl Readiness {
    /// Not connected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection to check from now on (set once; later calls are ignored).
    pub fn connected(&self, client: async_nats::Client, js: jetstream::Context) {
        let _ = self.connection.set((client, js));
    }

    /// `Ok` when ready, otherwise why not.
    pub async fn check(&self) -> Result<(), String> {
        let Some((client, js)) = self.connection.get() else {
            return Err("not connected to NATS yet (still trying)".into());
        };
        if client.connection_state() != async_nats::connection::State::Connected {
            return Err("not connected to NATS".into());
        }
        if !crate::jetstream::streams_present(js).await {
            return Err("JetStream streams missing".into());
        }
        Ok(())
    }
}

/// Bind `addr` and serve the health endpoints in the background. Binding errors (address in
/// use) are returned so that the service fails at start rather than running unobservable.
pub async fn serve(
    addr: SocketAddr,
    metrics: PrometheusHandle,
    readiness: Readiness,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("NEWSFLOW_METRICS_ADDR: cannot listen on {addr}"))?;
    tracing::info!(%addr, "serving /metrics, /healthz, /readyz");
    Ok(tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("metrics listener: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let metrics = metrics.clone();
            let readiness = readiness.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let metrics = metrics.clone();
                    let readiness = readiness.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(route(req, &metrics, &readiness).await)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await
                {
                    tracing::debug!("metrics connection: {e}");
                }
            });
        }
    }))
}

async fn route(
    req: Request<Incoming>,
    metrics: &PrometheusHandle,
    readiness: &Readiness,
) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n".into());
    }
    match req.uri().path() {
        "/metrics" => {
            let mut r = text(StatusCode::OK, metrics.render());
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        "/healthz" => text(StatusCode::OK, "ok\n".into()),
        "/readyz" => match readiness.check().await {
            Ok(()) => text(StatusCode::OK, "ready\n".into()),
            Err(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            ),
        },
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

/// Refresh the consumer gauges of `stage` from its consumer info every [`CONSUMER_POLL`].
pub fn spawn_consumer_gauges(
    js: jetstream::Context,
    stage: crate::jetstream::StageSpec,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match consumer_counts(&js, &stage).await {
                Ok((pending, ack_pending, redelivered)) => {
                    metrics::gauge!(CONSUMER_PENDING, "stage" => stage.name).set(pending as f64);
                    metrics::gauge!(CONSUMER_ACK_PENDING, "stage" => stage.name)
                        .set(ack_pending as f64);
                    metrics::gauge!(CONSUMER_REDELIVERED, "stage" => stage.name)
                        .set(redelivered as f64);
                }
                Err(e) => tracing::debug!(stage = stage.name, "consumer info: {e:#}"),
            }
            tokio::time::sleep(CONSUMER_POLL).await;
        }
    })
}

async fn consumer_counts(
    js: &jetstream::Context,
    stage: &crate::jetstream::StageSpec,
) -> anyhow::Result<(u64, usize, usize)> {
    let stream = js.get_stream(stage.input_stream).await?;
    let info = stream.consumer_info(stage.name).await?;
    Ok((info.num_pending, info.num_ack_pending, info.num_redelivered))
}

/// Observe `newsflow_end_to_end_seconds` from a `Newsflow-Received-At` value.
pub fn observe_end_to_end(received_at: Option<&str>) {
    if let Some(s) = received_at.and_then(crate::clock::seconds_since) {
        metrics::histogram!(END_TO_END_SECONDS).record(s);
    }
}
