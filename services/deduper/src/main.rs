//! `newsflow-deduper`: runs the dedup decision ([`newsflow_deduper::Deduper`]) over the shared
//! JetStream KV bucket as a stage: `news.clean` → `news.unique` | `news.duplicate`.
//! Delivery guarantees, retries, dead letters and shutdown are the shared runner's; the order of
//! KV writes and why a crash is safe is in `decide.rs`.

use clap::Parser;
use newsflow_deduper::kv::{parse_duration, KvConfig, KvStore, DEFAULT_BUCKET};
use newsflow_deduper::{Decision, Deduper, Fingerprint, DEFAULT_THRESHOLD};
use newsflow_shared::config::{parse_service_args, CommonArgs, DEDUPER_METRICS_ADDR};
use newsflow_shared::jetstream::DEDUPER;
use newsflow_shared::records::sha256_hex;
use newsflow_shared::runner::{
    clean_article, cpu_work, Input, Output, ServiceContext, StageError, Transform,
};
use newsflow_shared::subjects::{DUPLICATE, UNIQUE};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "newsflow-deduper",
    version,
    about = "newsflow deduper stage: news.clean → news.unique | news.duplicate"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,

    /// JetStream KV bucket holding the dedup state (shared by all replicas).
    #[arg(long = "dedup-bucket", env = "NEWSFLOW_DEDUP_BUCKET", default_value = DEFAULT_BUCKET,
          value_parser = parse_bucket)]
    bucket: String,

    /// How long dedup state is kept, e.g. 30d, 12h, 90m.
    #[arg(long = "dedup-ttl", env = "NEWSFLOW_DEDUP_TTL", default_value = "30d",
          value_parser = parse_duration)]
    ttl: Duration,

    /// Estimated Jaccard similarity at or above which two articles are near duplicates.
    #[arg(long = "dedup-threshold", env = "NEWSFLOW_DEDUP_THRESHOLD",
          default_value_t = DEFAULT_THRESHOLD, value_parser = parse_threshold)]
    threshold: f64,
}

fn parse_bucket(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(s.to_string())
    } else {
        Err("must be letters, digits, '_' or '-' (a JetStream KV bucket name)".into())
    }
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err("must be a number in (0, 1], e.g. 0.8".into()),
    }
}

struct Dedup {
    deduper: Deduper<KvStore>,
}

impl Transform for Dedup {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        // Parsing, hashing and the fingerprint are CPU work on the payload: through cpu_work,
        // so that a huge article does not hold a worker; the KV round trips stay async.
        let payload = input.payload.clone();
        let (article, fingerprint, payload_hash) = cpu_work(input.payload.len(), move || {
            let article = clean_article(&payload)?;
            let fingerprint = Fingerprint::of_text(&article.text);
            Ok::<_, StageError>((article, fingerprint, sha256_hex(&payload)))
        })
        .await??;
        // Same on every redelivery of this message, different for any other message (the
        // payload hash guards against sequence reuse if the stream were ever re-created).
        let claim = format!("{}:{}", input.stream_sequence, &payload_hash[..16]);
        let decision = self
            .deduper
            .decide_with(&article, &claim, input.stream_sequence, &fingerprint)
            .await
            .map_err(|e| StageError::Transient(e.into()))?;
        let output = match &decision {
            // Nothing added to the article: forward the bytes as they came (a refcount, not a
            // second serialisation of the whole text; fields this build doesn't know pass too).
            Decision::Unique(a) if a.revision_of == article.revision_of => {
                Ok(Output::new(UNIQUE, input.payload.clone()))
            }
            Decision::Unique(a) => Output::json(UNIQUE, a),
            Decision::Duplicate(d) => Output::json(DUPLICATE, d),
        }
        .map_err(StageError::Transient)?;
        Ok(vec![output])
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = parse_service_args(DEDUPER_METRICS_ADDR);
    let result = async {
        let kv_config = KvConfig {
            bucket: cli.bucket,
            ttl: cli.ttl,
            replicas: cli.common.replicas,
        };
        let ctx = ServiceContext::start(cli.common, DEDUPER).await?;
        newsflow_deduper::describe_metrics();
        // The bucket's stream can time out while JetStream settles (a cluster electing its
        // leader): retry like the stream declarations instead of exiting.
        let store = ctx
            .retry_setup("open the dedup KV bucket", || {
                KvStore::open(&ctx.js, &kv_config)
            })
            .await?;
        tracing::info!(
            bucket = %kv_config.bucket,
            ttl_s = kv_config.ttl.as_secs(),
            threshold = cli.threshold,
            "dedup state opened"
        );
        let deduper = Deduper::new(store).with_threshold(cli.threshold);
        ctx.run(Dedup { deduper }).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("newsflow-deduper: {e:#}");
            ExitCode::FAILURE
        }
    }
}
