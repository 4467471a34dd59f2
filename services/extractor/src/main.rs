//! `newsflow-extractor`: runs [`newsflow_extractor::extract`] as a stage: `news.unique` →
//! `indicators.<code>`, one event per message with `Nats-Msg-Id` = `event_id`. Also observes
//! the end-to-end latency (from the watcher's `Newsflow-Received-At`) and counts events.

use clap::Parser;
use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::config::{parse_service_args, CommonArgs, EXTRACTOR_METRICS_ADDR};
use newsflow_shared::jetstream::EXTRACTOR;
use newsflow_shared::runner::{
    clean_article, cpu_work, Input, Output, ServiceContext, StageError, Transform,
};
use newsflow_shared::subjects::indicator_subject;
use newsflow_shared::telemetry::{
    observe_end_to_end, ARTICLES_WITHOUT_EVENTS_TOTAL, INDICATOR_EVENTS_TOTAL,
};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "newsflow-extractor",
    version,
    about = "newsflow extractor stage: news.unique → indicators.<code>"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Taxonomy file (TOML) replacing the embedded one: an operator adds codes and terms there
    /// without a rebuild. Default: the taxonomy compiled in.
    #[arg(long = "taxonomy", env = "NEWSFLOW_TAXONOMY", value_parser = Taxonomy::from_arg)]
    taxonomy: Option<Taxonomy>,
}

struct Extractor {
    /// Shared with the blocking pool, where a big article is extracted.
    taxonomy: Arc<Taxonomy>,
}

impl Transform for Extractor {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        // Parsing is CPU work on the payload too: a huge article must not hold a worker for it.
        let payload = input.payload.clone();
        let taxonomy = self.taxonomy.clone();
        let events = cpu_work(input.payload.len(), move || {
            clean_article(&payload).map(|article| extract(&article, &taxonomy))
        })
        .await??;
        let mut outputs = Vec::with_capacity(events.len());
        for ev in &events {
            outputs.push(
                Output::json(indicator_subject(&ev.indicator), ev)
                    .map_err(StageError::Transient)?
                    .with_msg_id(ev.event_id.clone()),
            );
        }
        if events.is_empty() {
            metrics::counter!(ARTICLES_WITHOUT_EVENTS_TOTAL).increment(1);
        }
        for ev in &events {
            metrics::counter!(INDICATOR_EVENTS_TOTAL, "indicator" => ev.indicator.clone())
                .increment(1);
        }
        observe_end_to_end(input.received_at.as_deref());
        Ok(outputs)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = parse_service_args(EXTRACTOR_METRICS_ADDR);
    let result = async {
        let ctx = ServiceContext::start(cli.common, EXTRACTOR).await?;
        let taxonomy = Arc::new(cli.taxonomy.unwrap_or_else(Taxonomy::embedded));
        ctx.run(Extractor { taxonomy }).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("newsflow-extractor: {e:#}");
            ExitCode::FAILURE
        }
    }
}
