//! `newsflow-watcher`: parse the settings, set up logging, run the watcher until SIGINT/SIGTERM.

use newsflow_shared::config::{parse_service_args, WATCHER_METRICS_ADDR};
use newsflow_watcher::{ConfigProblem, WatcherArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: WatcherArgs = parse_service_args(WATCHER_METRICS_ADDR);
    newsflow_shared::logging::init(args.common.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("newsflow-watcher: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(newsflow_watcher::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(problem) = e.downcast_ref::<ConfigProblem>() {
                eprintln!("newsflow-watcher: bad setting {problem}");
                return ExitCode::from(2);
            }
            tracing::error!("{e:#}");
            eprintln!("newsflow-watcher: {e:#}");
            ExitCode::FAILURE
        }
    }
}
