//! `newsflow-cleaner`: runs [`newsflow_cleaner::clean`] as a stage: `news.raw` → `news.clean`.
//! Delivery guarantees, retries, dead letters and shutdown are the shared runner's; this file
//! only turns a raw message into a [`RawArticle`] and a [`CleanError`] into a rejection.

use clap::Parser;
use newsflow_cleaner::metrics::{clean_and_record, describe as describe_cleaner_metrics};
use newsflow_cleaner::CleanError;
use newsflow_shared::config::{parse_service_args, CommonArgs, CLEANER_METRICS_ADDR};
use newsflow_shared::jetstream::CLEANER;
use newsflow_shared::records::RawArticle;
use newsflow_shared::runner::{cpu_work, Input, Output, ServiceContext, StageError, Transform};
use newsflow_shared::subjects::{CLEAN, HDR_SOURCE_PATH};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "newsflow-cleaner",
    version,
    about = "newsflow cleaner stage: news.raw → news.clean"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

struct Cleaner;

impl Transform for Cleaner {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        let source_path = input.source_path.ok_or_else(|| {
            StageError::Permanent(format!(
                "raw message has no {HDR_SOURCE_PATH} header (the file name tells the format)"
            ))
        })?;
        let raw = RawArticle {
            source_path,
            received_at: input.received_at,
            bytes: input.payload,
        };
        match cpu_work(raw.bytes.len(), move || clean_and_record(&raw)).await? {
            Ok(article) => Ok(vec![
                Output::json(CLEAN, &article).map_err(StageError::Transient)?
            ]),
            // Every CleanError is about the input itself: the same bytes always fail.
            Err(e) => Err(StageError::Permanent(CleanError::to_string(&e))),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = parse_service_args(CLEANER_METRICS_ADDR);
    let result = async {
        let ctx = ServiceContext::start(cli.common, CLEANER).await?;
        describe_cleaner_metrics();
        ctx.run(Cleaner).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("newsflow-cleaner: {e:#}");
            ExitCode::FAILURE
        }
    }
}
