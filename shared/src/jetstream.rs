//! The JetStream layout of SPEC §1, declared idempotently by every service at start: one stream
//! per subject (family) and one durable pull consumer per stage.
//!
//! Everything here works on nats-server 2.9.10 (async-nats is built without its 2.10+ features).
//! Streams use Limits retention so that `newsflow tail --from-start`, the CLI and later
//! consumers can read history; messages age out after [`RETENTION`].

use crate::subjects;
use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, stream};
use std::time::Duration;

/// How long JetStream remembers a `Nats-Msg-Id` (SPEC: at least 10 minutes).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long messages stay in the pipeline streams.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Dead letters are kept longer: someone has to look at them.
pub const DEAD_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// Unacknowledged messages one stage's consumer may have out at once (all replicas together).
pub const MAX_ACK_PENDING: i64 = 1024;

/// One stream of the layout.
#[derive(Clone, Copy, Debug)]
pub struct StreamSpec {
    pub name: &'static str,
    pub subject: &'static str,
    pub max_age: Duration,
}

/// Every stream of SPEC §1.
pub const STREAMS: &[StreamSpec] = &[
    StreamSpec {
        name: subjects::STREAM_RAW,
        subject: subjects::RAW,
        max_age: RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_CLEAN,
        subject: subjects::CLEAN,
        max_age: RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_UNIQUE,
        subject: subjects::UNIQUE,
        max_age: RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_DUPLICATE,
        subject: subjects::DUPLICATE,
        max_age: RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_REJECTED,
        subject: subjects::REJECTED,
        max_age: DEAD_RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_DEAD,
        subject: subjects::DEAD,
        max_age: DEAD_RETENTION,
    },
    StreamSpec {
        name: subjects::STREAM_INDICATORS,
        subject: "indicators.>",
        max_age: RETENTION,
    },
];

/// A pipeline stage that consumes a stream through its durable pull consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageSpec {
    /// Stage name, also the durable consumer's name and the `Newsflow-Stage` header value.
    pub name: &'static str,
    pub input_stream: &'static str,
    pub input_subject: &'static str,
}

pub const CLEANER: StageSpec = StageSpec {
    name: "cleaner",
    input_stream: subjects::STREAM_RAW,
    input_subject: subjects::RAW,
};
pub const DEDUPER: StageSpec = StageSpec {
    name: "deduper",
    input_stream: subjects::STREAM_CLEAN,
    input_subject: subjects::CLEAN,
};
pub const EXTRACTOR: StageSpec = StageSpec {
    name: "extractor",
    input_stream: subjects::STREAM_UNIQUE,
    input_subject: subjects::UNIQUE,
};
/// The consuming stages, in pipeline order.
pub const STAGES: &[StageSpec] = &[CLEANER, DEDUPER, EXTRACTOR];

/// The stage called `name`.
pub fn stage_by_name(name: &str) -> Option<StageSpec> {
    STAGES.iter().copied().find(|s| s.name == name)
}

/// The configuration newsflow wants for `spec`.
pub fn stream_config(spec: &StreamSpec, replicas: usize) -> stream::Config {
    stream::Config {
        name: spec.name.to_string(),
        subjects: vec![spec.subject.to_string()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::Old,
        max_age: spec.max_age,
        duplicate_window: DUPLICATE_WINDOW,
        num_replicas: replicas,
        ..Default::default()
    }
}

/// Create the streams that are missing; bring the settings newsflow owns (subjects, retention,
/// duplicate window, replicas) of existing ones up to date. Safe to run from every replica.
pub async fn ensure_streams(js: &jetstream::Context, replicas: usize) -> anyhow::Result<()> {
    for spec in STREAMS {
        let want = stream_config(spec, replicas);
        let mut s = js
            .get_or_create_stream(want.clone())
            .await
            .with_context(|| format!("declaring stream {}", spec.name))?;
        let have = s
            .info()
            .await
            .with_context(|| format!("reading stream {}", spec.name))?
            .config
            .clone();
        if have.subjects != want.subjects
            || have.max_age != want.max_age
            || have.duplicate_window < DUPLICATE_WINDOW
            || have.num_replicas != want.num_replicas
        {
            let mut update = have.clone();
            update.subjects = want.subjects.clone();
            update.max_age = want.max_age;
            update.duplicate_window = update.duplicate_window.max(DUPLICATE_WINDOW);
            update.num_replicas = want.num_replicas;
            match js.update_stream(update).await {
                Ok(_) => tracing::info!(stream = spec.name, "stream settings updated"),
                Err(e) => {
                    tracing::warn!(stream = spec.name, "could not update stream settings: {e}")
                }
            }
        }
    }
    Ok(())
}

/// Whether every stream of the layout exists (readiness).
pub async fn streams_present(js: &jetstream::Context) -> bool {
    for spec in STREAMS {
        if js.get_stream(spec.name).await.is_err() {
            return false;
        }
    }
    true
}

/// Deliveries the server allows beyond `NEWSFLOW_MAX_DELIVER`. The runner dead-letters a
/// message itself once its delivery count passes the configured value (even if it was never
/// seen failing: a process that crashed or stopped mid-message also costs a delivery), so the
/// server's own cut-off — after which a message would sit unacknowledged and undelivered,
/// neither processed nor dead-lettered — must never be the one that triggers.
pub const SERVER_DELIVERY_MARGIN: i64 = 3;

/// The durable consumer configuration of `stage` (`max_deliver` as configured; the server's
/// limit is [`SERVER_DELIVERY_MARGIN`] higher).
pub fn consumer_config(stage: &StageSpec, max_deliver: i64) -> consumer::pull::Config {
    let max_deliver = max_deliver.saturating_add(SERVER_DELIVERY_MARGIN);
    consumer::pull::Config {
        durable_name: Some(stage.name.to_string()),
        description: Some(format!("newsflow {} stage", stage.name)),
        deliver_policy: consumer::DeliverPolicy::All,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: crate::config::ACK_WAIT,
        max_deliver,
        max_ack_pending: MAX_ACK_PENDING,
        filter_subject: stage.input_subject.to_string(),
        ..Default::default()
    }
}

/// Get the stage's durable pull consumer, creating it if missing and updating `max_deliver`,
/// `ack_wait`, `max_ack_pending` when they differ from what is configured.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    stage: &StageSpec,
    max_deliver: i64,
) -> anyhow::Result<consumer::PullConsumer> {
    let stream = js
        .get_stream(stage.input_stream)
        .await
        .with_context(|| format!("stream {} of stage {}", stage.input_stream, stage.name))?;
    let want = consumer_config(stage, max_deliver);
    let mut c: consumer::PullConsumer = stream
        .get_or_create_consumer(stage.name, want.clone())
        .await
        .with_context(|| format!("declaring consumer {}", stage.name))?;
    let have = c
        .info()
        .await
        .context("reading consumer info")?
        .config
        .clone();
    if have.max_deliver != want.max_deliver
        || have.ack_wait != want.ack_wait
        || have.max_ack_pending != want.max_ack_pending
    {
        // On 2.9 a create request for an existing durable updates its editable fields.
        match stream.create_consumer(want).await {
            Ok(updated) => {
                tracing::info!(consumer = stage.name, "consumer settings updated");
                c = updated;
            }
            Err(e) => tracing::warn!(
                consumer = stage.name,
                "could not update consumer settings: {e}"
            ),
        }
    }
    Ok(c)
}
