//! `newsflow`: the operator CLI (SPEC §7).

mod batch;

use clap::{Parser, Subcommand};
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
        /// Files or directories (walked recursively, in path order).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Batch { emit, paths } => match batch::run(emit, &paths) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("newsflow batch: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
