//! `newsflow-bench` (`make bench`): how fast newsflow is, measured so anyone can reproduce it.
//!
//! 1. Per stage, in process, on the seeds + dev corpus (each stage in a child process for its
//!    own peak memory): clean (text dumps, HTML pages), dedup signatures, extract, and the three
//!    chained on the generated feed.
//! 2. End to end: a generated feed (mostly new articles, a realistic share of duplicates)
//!    through the inbox and the four release services on a nats-server of their own: burst
//!    articles/s, drop-to-event latency at a steady offered rate, each service's peak RSS.
//! 3. The ceiling: the same payloads through four JetStream hops by a do-nothing relay, on a
//!    fresh nats-server in the same run, and the ratio of (2) to it.
//! 4. Floors: the same relay also carrying the traffic the pipeline must add (one message per
//!    indicator event on the last hop, KV writes on the dedup hop) with no processing: the
//!    contract floor (one KV write per article, the least exact dedup needs) and the floor of
//!    the deduper as built (its measured KV writes per article).
//!
//! Prints a table and writes a JSON report (`target/bench/report.json`). Targets are reported,
//! never asserted; the exit status is 1 only if the run itself failed or did not account for
//! every article.

mod collect;
mod corpus;
mod generate;
mod natsd;
mod pipeline;
mod predict;
mod procs;
mod relay;
mod report;
mod stages;
mod stats;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// Per-stage figures in process.
    Stages,
    /// End to end through the four services (burst, then steady load).
    E2e,
    /// The bare four-hop relay (the ceiling).
    Relay,
}

#[derive(Parser, Debug)]
#[command(
    name = "newsflow-bench",
    version,
    about = "newsflow benchmark: per-stage figures, end to end through a local nats-server, and the bare four-hop JetStream relay ceiling",
    after_help = "nats-server: /usr/sbin/nats-server unless NEWSFLOW_TEST_NATS_SERVER names another.\n\
                  Service binaries: newsflow-{watcher,cleaner,deduper,extractor} beside this binary unless --bin-dir."
)]
struct Args {
    /// Articles in the burst (and relayed for the ceiling) [default: 20000, 300 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    articles: Option<u64>,

    /// Offered load of the steady phase, files per second.
    #[arg(long, default_value_t = 200.0, value_parser = parse_rate)]
    rate: f64,

    /// Length of the steady phase in seconds (0 skips it) [default: 30, 3 with --quick].
    #[arg(long = "steady-secs", value_name = "SECS", value_parser = parse_secs)]
    steady_secs: Option<f64>,

    /// A tiny smoke run: fewer articles, short phases.
    #[arg(long)]
    quick: bool,

    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench/report.json", value_name = "FILE")]
    out: PathBuf,

    /// The shared corpus (seeds/, dev/articles/) [default: ../shared/corpus beside the repo].
    #[arg(long, env = "NEWSFLOW_CORPUS", value_name = "DIR")]
    corpus: Option<PathBuf>,

    /// Directory of the service binaries [default: this binary's directory].
    #[arg(long = "bin-dir", value_name = "DIR")]
    bin_dir: Option<PathBuf>,

    /// Seconds each per-stage measurement runs [default: 3, 0.3 with --quick].
    #[arg(long = "stage-secs", value_name = "SECS", value_parser = parse_secs)]
    stage_secs: Option<f64>,

    /// Use only the first N corpus files in the per-stage measurements (smoke runs).
    #[arg(long = "stage-docs", value_name = "N")]
    stage_docs: Option<usize>,

    /// Generated articles in the in-process pipeline stage [default: 1000, 100 with --quick].
    #[arg(long = "pipeline-items", value_name = "N")]
    pipeline_items: Option<usize>,

    /// Publishes awaiting their PubAck at once in the relay (publisher and each relay).
    #[arg(long = "relay-in-flight", default_value_t = 256, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    relay_in_flight: u64,

    /// Also measure the floor with this many KV writes per article (comma-separated): what a
    /// deduper writing that much would allow, e.g. 8,4.
    #[arg(long = "floor-kv-writes", value_name = "N", value_delimiter = ',',
          value_parser = parse_kv_writes)]
    floor_kv_writes: Vec<f64>,

    /// Runs of the ceiling and of each floor, interleaved; the median is reported [1 with
    /// --quick].
    #[arg(long = "relay-rounds", default_value_t = 3, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=20))]
    relay_rounds: u64,

    /// Extra KEY=VALUE environment for every service (repeatable), e.g. NEWSFLOW_CONCURRENCY=128.
    #[arg(long = "service-env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    service_env: Vec<(String, String)>,

    /// Phases to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "stages,e2e,relay"
    )]
    phases: Vec<Phase>,

    /// Seed of the generated feed.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Give up on a phase after this many seconds [default: 120 + articles/25].
    #[arg(long = "timeout-secs", value_name = "SECS")]
    timeout_secs: Option<u64>,

    /// Keep the temporary inbox and the services' logs (their path is in the report).
    #[arg(long = "keep-temp")]
    keep_temp: bool,

    /// Internal: run one per-stage measurement and print it as JSON.
    #[arg(long = "run-stage", hide = true, value_name = "STAGE")]
    run_stage: Option<String>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 100_000.0 => Ok(v),
        _ => Err("must be a number of files per second above 0 (at most 100000)".into()),
    }
}

fn parse_kv_writes(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1000.0).contains(&v) => Ok(v),
        _ => Err("must be a number of KV writes per article, 0 to 1000".into()),
    }
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err("must be a number of seconds from 0 to 86400".into()),
    }
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("must be KEY=VALUE".into()),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(stage) = &args.run_stage {
        return run_stage_child(&args, stage);
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("newsflow-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn corpus_dir(args: &Args) -> PathBuf {
    args.corpus
        .clone()
        .unwrap_or_else(corpus::default_corpus_dir)
}

fn stage_budget(args: &Args) -> Duration {
    Duration::from_secs_f64(
        args.stage_secs
            .unwrap_or(if args.quick { 0.3 } else { 3.0 }),
    )
}

fn pipeline_items(args: &Args) -> usize {
    args.pipeline_items
        .unwrap_or(if args.quick { 100 } else { 1000 })
}

fn run_stage_child(args: &Args, stage: &str) -> ExitCode {
    match stages::run_stage(
        stage,
        &corpus_dir(args),
        stage_budget(args),
        pipeline_items(args),
        args.seed,
        args.stage_docs,
    )
    .and_then(|f| Ok(serde_json::to_string(&f)?))
    {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("newsflow-bench --run-stage {stage}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn nats_server_version() -> String {
    std::process::Command::new(natsd::server_bin())
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "nats-server (version unknown)".to_string())
}

/// The whole run; Ok(false) when it finished but did not account for every article.
fn run(args: &Args) -> anyhow::Result<bool> {
    let started = Instant::now();
    let articles =
        args.articles
            .map(|n| n as usize)
            .unwrap_or(if args.quick { 300 } else { 20_000 });
    let steady_secs = args
        .steady_secs
        .unwrap_or(if args.quick { 3.0 } else { 30.0 });
    let steady_articles = (args.rate * steady_secs).round() as usize;
    let timeout = Duration::from_secs(
        args.timeout_secs
            .unwrap_or(120 + (articles.max(steady_articles) / 25) as u64),
    );
    let corpus_dir = corpus_dir(args);
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()
            .context("locating newsflow-bench itself")?
            .parent()
            .map(PathBuf::from)
            .context("newsflow-bench has no parent directory")?,
    };
    let want = |p: Phase| args.phases.contains(&p);
    let relay_in_flight = args.relay_in_flight as usize;

    let machine = report::Machine {
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        loadavg_at_start: std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        nats_server: nats_server_version(),
    };

    let stage_figures = if want(Phase::Stages) {
        eprintln!("per-stage figures ({:?} each)", stage_budget(args));
        stages::run_all(
            &corpus_dir,
            stage_budget(args),
            pipeline_items(args),
            args.seed,
            args.stage_docs,
        )?
    } else {
        Vec::new()
    };

    let files = corpus::load(&corpus_dir)?;
    let mut generator = generate::Generator::new(&files, args.seed)?;
    let burst = generator.take(articles, "b");
    let steady = generator.take(steady_articles, "s");
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut copies = 0usize;
    for item in burst.iter().chain(&steady) {
        *kinds.entry(item.kind.label()).or_default() += 1;
        copies += usize::from(item.kind.is_copy());
    }
    let bytes: usize = burst.iter().chain(&steady).map(|i| i.bytes.len()).sum();
    let all_items = burst.len() + steady.len();
    let prediction = if want(Phase::E2e) {
        eprintln!("predicting the feed's outcome in process ({all_items} articles)");
        let all: Vec<_> = burst.iter().chain(&steady).cloned().collect();
        let p = predict::predict(&all, machine.cpus);
        eprintln!(
            "  {:?}, {} events, {:.1}% pass the deduper ({:.1} s)",
            p.outcomes,
            p.events,
            p.unique_share * 100.0,
            p.seconds
        );
        Some(p)
    } else {
        None
    };
    let feed = report::Feed {
        burst_articles: burst.len(),
        steady_articles: steady.len(),
        kinds,
        copy_share: copies as f64 / (burst.len() + steady.len()).max(1) as f64,
        bytes,
        avg_bytes: bytes as f64 / all_items.max(1) as f64,
        prediction,
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;

    let e2e = if want(Phase::E2e) {
        eprintln!("end to end through the four services");
        let cfg = pipeline::E2eConfig {
            bin_dir,
            extra_env: args.service_env.clone(),
            rate: args.rate,
            timeout,
            keep_dir: args.keep_temp,
        };
        Some(rt.block_on(pipeline::run(&cfg, &burst, &steady))?)
    } else {
        None
    };

    // The ceiling and the floors, after the end-to-end run (the as-built floor needs its KV
    // writes), each run `relay_rounds` times interleaved, the median kept: a run takes about
    // two seconds, short enough for the VM's CPU speed drift to move one run by 15 %.
    // shapes[0] is the ceiling (taken off the medians first below), the rest are floors.
    let mut shapes: Vec<(String, String, relay::Shape)> = Vec::new();
    if want(Phase::Relay) {
        shapes.push((
            "ceiling".into(),
            "the bare relay".into(),
            relay::Shape::default(),
        ));
        if let Some(p) = feed.prediction.as_ref().filter(|p| p.events > 0) {
            let events = Some(p.events as f64 / p.articles.max(1) as f64);
            let event_bytes = p.event_bytes / p.events;
            let floor = |kv_writes_per_article| relay::Shape {
                kv_writes_per_article,
                events_per_article: events,
                event_bytes,
            };
            shapes.push((
                "contract".into(),
                "one message per indicator event on hop 4, one KV write per article on hop 2 → 3"
                    .into(),
                floor(1.0),
            ));
            if let Some(w) = e2e.as_ref().and_then(|e| e.kv_writes) {
                shapes.push((
                    "as built".into(),
                    "as the contract floor, with the deduper's measured KV writes per article"
                        .into(),
                    floor(w as f64 / articles.max(1) as f64),
                ));
            }
            for &w in &args.floor_kv_writes {
                shapes.push((
                    format!("{w} KV writes"),
                    "as the contract floor, with this many KV writes per article".into(),
                    floor(w),
                ));
            }
        }
    }
    let rounds = if args.quick { 1 } else { args.relay_rounds };
    let mut runs: Vec<Vec<relay::RelayRun>> = vec![Vec::new(); shapes.len()];
    // Copied once; every run then shares them.
    let payloads: Vec<bytes::Bytes> = burst
        .iter()
        .map(|i| bytes::Bytes::copy_from_slice(&i.bytes))
        .collect();
    for round in 0..rounds {
        for ((name, _, shape), done) in shapes.iter().zip(runs.iter_mut()) {
            let run = rt.block_on(relay::run(&payloads, relay_in_flight, *shape, timeout))?;
            eprintln!(
                "  relay {name} (round {}/{rounds}): {:.0} articles/s{}",
                round + 1,
                run.articles_per_s,
                if run.complete { "" } else { " INCOMPLETE" }
            );
            done.push(run);
        }
    }
    let mut medians = runs.into_iter().map(relay::median_run);
    let relay_run = if want(Phase::Relay) {
        medians.next().flatten()
    } else {
        None
    };
    let ratio = match (&e2e, &relay_run) {
        (Some(e), Some(r)) if e.burst.complete && r.complete && r.articles_per_s > 0.0 => {
            Some(e.burst.articles_per_s / r.articles_per_s)
        }
        _ => None,
    };
    let floors: Vec<report::Floor> = shapes
        .into_iter()
        .skip(1)
        .zip(medians)
        .filter_map(|((name, what, shape), run)| {
            let run = run?;
            let rate = Some(run.articles_per_s).filter(|r| run.complete && *r > 0.0);
            Some(report::Floor {
                name,
                what: format!(
                    "{what} ({:.2} events of {} B, {:.2} KV writes per article)",
                    shape.events_per_article.unwrap_or(1.0),
                    shape.event_bytes,
                    shape.kv_writes_per_article
                ),
                ratio_to_relay: rate
                    .zip(relay_run.as_ref().filter(|r| r.complete))
                    .map(|(f, r)| stats::round3(f / r.articles_per_s)),
                ratio_e2e_to_floor: rate
                    .zip(e2e.as_ref().filter(|e| e.burst.complete))
                    .map(|(f, e)| stats::round3(e.burst.articles_per_s / f)),
                run,
            })
        })
        .collect();
    let accounting = e2e.as_ref().map(|e| {
        let mut accounted = e.burst.articles - e.burst.outcomes.unaccounted;
        let mut dropped = e.burst.articles;
        let mut events = e.burst.outcomes.events;
        if let Some(s) = &e.steady {
            accounted += s.articles - s.outcomes.unaccounted;
            dropped += s.articles;
            events += s.outcomes.events;
        }
        report::Accounting {
            articles: dropped,
            accounted,
            all_accounted: accounted == dropped,
            events_seen: events,
            events_predicted: feed.prediction.as_ref().map(|p| p.events),
        }
    });
    let report = report::Report {
        schema: report::SCHEMA,
        generated_at: newsflow_shared::clock::now_rfc3339(),
        machine,
        settings: report::Settings {
            articles,
            rate: args.rate,
            steady_secs,
            stage_secs: stage_budget(args).as_secs_f64(),
            pipeline_items: pipeline_items(args),
            relay_in_flight,
            seed: args.seed,
            quick: args.quick,
            service_env: args
                .service_env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            phases: args
                .phases
                .iter()
                .map(|p| format!("{p:?}").to_lowercase())
                .collect(),
        },
        stages: stage_figures,
        feed,
        targets: report::targets(e2e.as_ref(), ratio, args.rate),
        e2e,
        relay: relay_run,
        ratio_e2e_to_relay: ratio.map(stats::round3),
        floors,
        accounting,
        seconds_total: started.elapsed().as_secs_f64(),
    };
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    print!("{}", report::table(&report));
    println!("Report: {}", args.out.display());
    let complete = report.accounting.as_ref().is_none_or(|a| a.all_accounted)
        && report.relay.as_ref().is_none_or(|r| r.complete)
        && report.floors.iter().all(|f| f.run.complete);
    Ok(complete)
}
