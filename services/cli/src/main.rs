//! `newsflow`: the operator CLI (SPEC §7): `batch` (no NATS), `tail`, `status`, `dlq`.

mod batch;
mod dlq;
mod status;
mod tail;

use clap::{Parser, Subcommand};
use newsflow_shared::config::{parse_cli_args, NatsArgs};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "newsflow", version, about = "newsflow operator CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run clean → dedup → extract over files in one process (no NATS), JSON lines on stdout.
    Batch {
        /// What to print: indicator events (default), cleaned articles, dedup decisions, or all.
        #[arg(long, value_enum, default_value_t = batch::Emit::Indicators)]
        emit: batch::Emit,
        /// Taxonomy file (TOML) replacing the embedded one, as the extractor service takes it.
        #[arg(long = "taxonomy", env = "NEWSFLOW_TAXONOMY", value_parser = newsflow_extractor::Taxonomy::from_arg)]
        taxonomy: Option<newsflow_extractor::Taxonomy>,
        /// Files or directories (walked recursively, in path order).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print messages from JetStream as JSON lines (an ordered consumer; acks nothing).
    Tail {
        /// Subject to follow (wildcards allowed within one stream).
        #[arg(long, default_value = "indicators.>")]
        subject: String,
        /// Start at the first stored message instead of new ones.
        #[arg(long)]
        from_start: bool,
        /// Stop after N messages.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Streams, consumers, pending / ack-pending / redelivered counts, dead letters.
    Status {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Dead letters (news.dead): list them or replay them to their stage's input.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
}

#[derive(Subcommand)]
enum DlqAction {
    /// One JSON line per dead letter.
    List {
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Republish dead letters to the input subject of their stage, then delete them.
    Replay {
        /// Replay the letter with this sequence in news.dead.
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "all",
            required_unless_present = "all"
        )]
        seq: Option<u64>,
        /// Replay every letter.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        nats: NatsArgs,
    },
}

async fn jetstream(nats: &NatsArgs) -> anyhow::Result<async_nats::jetstream::Context> {
    let client =
        newsflow_shared::nats::connect_with_attempts(nats, "newsflow-cli", Some(3)).await?;
    Ok(async_nats::jetstream::new(client))
}

async fn run_nats(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Batch { .. } => anyhow::bail!("batch does not use NATS"),
        Command::Tail {
            subject,
            from_start,
            count,
            nats,
        } => {
            let js = jetstream(&nats).await?;
            tail::run(
                &js,
                tail::TailOptions {
                    subject,
                    from_start,
                    count,
                },
            )
            .await
        }
        Command::Status { json, nats } => {
            let js = jetstream(&nats).await?;
            let s = status::collect(&js).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print!("{}", status::render(&s));
            }
            Ok(())
        }
        Command::Dlq { action } => match action {
            DlqAction::List { nats } => dlq::list(&jetstream(&nats).await?).await,
            DlqAction::Replay { seq, all, nats } => {
                let which = match (seq, all) {
                    (Some(n), false) => dlq::Selection::One(n),
                    _ => dlq::Selection::All,
                };
                dlq::replay(&jetstream(&nats).await?, which).await
            }
        },
    }
}

fn main() -> ExitCode {
    let cli: Cli = parse_cli_args();
    match cli.command {
        Command::Batch {
            emit,
            taxonomy,
            paths,
        } => match batch::run(
            emit,
            taxonomy.unwrap_or_else(newsflow_extractor::Taxonomy::embedded),
            &paths,
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("newsflow batch: {e:#}");
                ExitCode::FAILURE
            }
        },
        command => {
            newsflow_shared::logging::init_quiet();
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("newsflow: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(run_nats(command)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("newsflow: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
