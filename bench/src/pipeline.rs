//! End to end: the four release services against a nats-server of their own, fed through the
//! inbox like a newsroom feed (each file written under a temporary name, then renamed).
//!
//! * Burst: every file of the feed dropped as fast as the disk takes them; articles/s from the
//!   first drop to the last output (indicator event, duplicate decision, rejection) once every
//!   article is accounted for (decided by the deduper or rejected, and every stage's consumer
//!   idle, so the extractor has finished the unique ones).
//! * Steady load: files dropped at a fixed rate; per article, the time from its drop to its
//!   first indicator event (and to its dedup decision), with a per-hop breakdown.

use crate::collect::{BusState, Collector};
use crate::generate::FeedItem;
use crate::procs::{ProcessSample, Sampler, ServiceSetup, Services};
use crate::stats::{latency, Latency};
use anyhow::Context as _;
use newsflow_shared::jetstream::STAGES;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Settings of the end-to-end phases.
pub struct E2eConfig {
    pub bin_dir: PathBuf,
    pub extra_env: Vec<(String, String)>,
    pub rate: f64,
    /// Upper bound on waiting for one phase to be fully accounted for.
    pub timeout: Duration,
    pub keep_dir: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcomes {
    pub unique: usize,
    pub duplicate: usize,
    pub rejected: usize,
    /// Articles with no decision seen (0 in a complete run).
    pub unaccounted: usize,
    /// Distinct indicator events.
    pub events: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct BurstRun {
    pub articles: usize,
    pub complete: bool,
    /// First drop to last output.
    pub seconds: f64,
    pub articles_per_s: f64,
    /// Time taken to drop all files into the inbox.
    pub drop_seconds: f64,
    pub outcomes: Outcomes,
    /// CPU seconds each process used during the burst (watcher … nats-server, bench).
    pub cpu_seconds: BTreeMap<String, f64>,
    /// CPU microseconds per article for each process.
    pub cpu_us_per_article: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SteadyRun {
    pub articles: usize,
    pub complete: bool,
    pub rate_offered: f64,
    pub rate_achieved: f64,
    pub drop_seconds: f64,
    pub outcomes: Outcomes,
    /// Drop → first indicator event (articles that have events).
    pub drop_to_event: Latency,
    /// Drop → dedup decision (unique or duplicate), every article.
    pub drop_to_decision: Latency,
    /// Per hop: watcher (drop → news.raw), cleaner (raw → clean), deduper (clean → decision),
    /// extractor (unique → first event).
    pub hops: BTreeMap<String, Latency>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct E2eReport {
    pub burst: BurstRun,
    /// Writes to the dedup KV bucket during the burst (its stream's last sequence).
    pub kv_writes: Option<u64>,
    pub steady: Option<SteadyRun>,
    /// Per process: peak RSS, VmHWM, RSS series (services, nats-server, bench).
    pub processes: BTreeMap<String, ProcessSample>,
    /// Where the services' logs were kept (with --keep-temp).
    pub log_dir: Option<String>,
}

/// Write each item under a temporary name and rename it into the inbox; `rate` files/s (None:
/// as fast as possible). Returns the drop instant of every name.
fn drop_files(
    inbox: &Path,
    items: &[FeedItem],
    rate: Option<f64>,
) -> anyhow::Result<(Instant, Instant, HashMap<String, Instant>)> {
    let mut dropped = HashMap::with_capacity(items.len());
    let start = Instant::now();
    for (i, item) in items.iter().enumerate() {
        if let Some(rate) = rate {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let tmp = inbox.join(format!(".{}.tmp", item.name));
        let dst = inbox.join(&item.name);
        std::fs::write(&tmp, &item.bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &dst).with_context(|| format!("renaming to {}", dst.display()))?;
        dropped.insert(item.name.clone(), Instant::now());
    }
    Ok((start, Instant::now(), dropped))
}

/// Whether every stage's durable consumer has nothing pending or unacknowledged.
async fn stages_idle(js: &async_nats::jetstream::Context) -> bool {
    for stage in STAGES {
        let Ok(stream) = js.get_stream(stage.input_stream).await else {
            return false;
        };
        let Ok(mut consumer) = stream
            .get_consumer::<async_nats::jetstream::consumer::pull::Config>(stage.name)
            .await
        else {
            return false;
        };
        match consumer.info().await {
            Ok(info) if info.num_pending == 0 && info.num_ack_pending == 0 => {}
            _ => return false,
        }
    }
    true
}

fn decided_count(st: &BusState, names: &HashMap<String, Instant>) -> usize {
    names
        .keys()
        .filter(|n| st.articles.get(*n).is_some_and(|a| a.decided()))
        .count()
}

/// Wait until every name is decided and the stages are idle (then a short settle for the last
/// events to arrive). Returns whether that happened within `timeout`.
async fn wait_accounted(
    js: &async_nats::jetstream::Context,
    state: &Arc<Mutex<BusState>>,
    names: &HashMap<String, Instant>,
    timeout: Duration,
    services: &mut Services,
) -> anyhow::Result<bool> {
    let deadline = Instant::now() + timeout;
    let mut last_report = Instant::now();
    loop {
        let decided = {
            let st = state
                .lock()
                .map_err(|_| anyhow::anyhow!("collector state poisoned"))?;
            decided_count(&st, names)
        };
        if decided == names.len() && stages_idle(js).await {
            // Everything is acknowledged by the extractor, so its events are on the bus; give
            // the last ones a moment to reach our subscription.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Ok(true);
        }
        let gone = services.exited();
        anyhow::ensure!(
            gone.is_empty(),
            "service(s) exited mid-run: {}",
            gone.join(", ")
        );
        if Instant::now() > deadline {
            return Ok(false);
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("    … {decided}/{} articles decided", names.len());
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn outcomes(st: &BusState, names: &HashMap<String, Instant>) -> Outcomes {
    let mut o = Outcomes::default();
    for n in names.keys() {
        match st.articles.get(n) {
            Some(a) if a.duplicate.is_some() => o.duplicate += 1,
            Some(a) if a.unique.is_some() => {
                o.unique += 1;
                o.events += a.events;
            }
            Some(a) if a.rejected.is_some() => o.rejected += 1,
            _ => o.unaccounted += 1,
        }
    }
    o
}

fn ms(later: Instant, earlier: Instant) -> f64 {
    later.saturating_duration_since(earlier).as_secs_f64() * 1000.0
}

/// Run the burst (and, if `steady` has items, the steady-load phase) end to end.
pub async fn run(
    cfg: &E2eConfig,
    burst: &[FeedItem],
    steady: &[FeedItem],
) -> anyhow::Result<E2eReport> {
    let nats = tokio::task::spawn_blocking(crate::natsd::NatsServer::start)
        .await
        .context("starting nats-server")??;
    let work = tempfile::Builder::new()
        .prefix("newsflow-bench-")
        .tempdir()
        .context("creating a temp directory")?;
    let inbox = work.path().join("inbox");
    let logs = work.path().join("logs");
    std::fs::create_dir_all(&inbox)?;
    std::fs::create_dir_all(&logs)?;
    let url = nats.url();
    let mut services = Services::start(&ServiceSetup {
        bin_dir: &cfg.bin_dir,
        nats_url: &url,
        inbox: &inbox,
        log_dir: &logs,
        extra_env: &cfg.extra_env,
    })?;
    tokio::task::block_in_place(|| services.wait_ready(Duration::from_secs(60)))?;

    let mut pids = services.pids();
    pids.push(("nats-server".to_string(), nats.pid()));
    pids.push(("bench".to_string(), std::process::id()));
    let sampler = Sampler::start(pids, Duration::from_millis(250), Duration::from_secs(5));

    let client = async_nats::ConnectOptions::new()
        .subscription_capacity(1 << 20)
        .connect(&url)
        .await
        .context("connecting to nats-server")?;
    let js = async_nats::jetstream::new(client.clone());
    let mut collector = Collector::start(&client).await?;

    // Burst.
    eprintln!("  burst: dropping {} files", burst.len());
    let cpu_before = sampler.snapshot();
    let inbox_b = inbox.clone();
    let items_b = burst.to_vec();
    let (t0, dropped_at, names) =
        tokio::task::spawn_blocking(move || drop_files(&inbox_b, &items_b, None))
            .await
            .context("dropping task")??;
    let complete =
        wait_accounted(&js, &collector.state, &names, cfg.timeout, &mut services).await?;
    let cpu_after = sampler.snapshot();
    let bucket = cfg
        .extra_env
        .iter()
        .find(|(k, _)| k == "NEWSFLOW_DEDUP_BUCKET")
        .map_or(newsflow_deduper::kv::DEFAULT_BUCKET, |(_, v)| v.as_str());
    let kv_writes = match js.get_stream(format!("KV_{bucket}")).await {
        Ok(mut s) => s.info().await.ok().map(|i| i.state.last_sequence),
        Err(_) => None,
    };
    let burst_run = {
        let st = collector
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("collector state poisoned"))?;
        let end = st.last_output.unwrap_or_else(Instant::now);
        let seconds = end.saturating_duration_since(t0).as_secs_f64().max(1e-9);
        let mut cpu_seconds = BTreeMap::new();
        let mut cpu_us = BTreeMap::new();
        for (name, after) in &cpu_after {
            let before = cpu_before.get(name).map(|s| s.cpu_seconds).unwrap_or(0.0);
            let used = (after.cpu_seconds - before).max(0.0);
            cpu_seconds.insert(name.clone(), (used * 100.0).round() / 100.0);
            cpu_us.insert(
                name.clone(),
                (used * 1e6 / burst.len().max(1) as f64).round(),
            );
        }
        BurstRun {
            articles: burst.len(),
            complete,
            seconds,
            articles_per_s: burst.len() as f64 / seconds,
            drop_seconds: dropped_at.saturating_duration_since(t0).as_secs_f64(),
            outcomes: outcomes(&st, &names),
            cpu_seconds,
            cpu_us_per_article: cpu_us,
        }
    };
    eprintln!(
        "  burst: {} articles in {:.1} s = {:.0} articles/s{}",
        burst_run.articles,
        burst_run.seconds,
        burst_run.articles_per_s,
        if complete { "" } else { " (INCOMPLETE)" }
    );

    // Steady load.
    let steady_run = if steady.is_empty() {
        None
    } else {
        eprintln!("  steady: {} files at {} files/s", steady.len(), cfg.rate);
        collector.watch_hops(&client).await?;
        let inbox_s = inbox.clone();
        let items_s = steady.to_vec();
        let rate = cfg.rate;
        let (s0, s_end, names) =
            tokio::task::spawn_blocking(move || drop_files(&inbox_s, &items_s, Some(rate)))
                .await
                .context("dropping task")??;
        let complete =
            wait_accounted(&js, &collector.state, &names, cfg.timeout, &mut services).await?;
        let st = collector
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("collector state poisoned"))?;
        let (mut to_event, mut to_decision) = (Vec::new(), Vec::new());
        let mut hops: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for (name, dropped) in &names {
            let Some(a) = st.articles.get(name) else {
                continue;
            };
            if let Some(e) = a.first_event {
                to_event.push(ms(e, *dropped));
            }
            let decision = a.unique.or(a.duplicate);
            if let Some(d) = decision {
                to_decision.push(ms(d, *dropped));
            }
            if let Some(r) = a.raw {
                hops.entry("1_watcher").or_default().push(ms(r, *dropped));
                if let Some(c) = a.clean {
                    hops.entry("2_cleaner").or_default().push(ms(c, r));
                    if let Some(d) = decision {
                        hops.entry("3_deduper").or_default().push(ms(d, c));
                    }
                }
            }
            if let (Some(u), Some(e)) = (a.unique, a.first_event) {
                hops.entry("4_extractor").or_default().push(ms(e, u));
            }
        }
        let drop_seconds = s_end.saturating_duration_since(s0).as_secs_f64();
        Some(SteadyRun {
            articles: steady.len(),
            complete,
            rate_offered: cfg.rate,
            rate_achieved: steady.len() as f64 / drop_seconds.max(1e-9),
            drop_seconds,
            outcomes: outcomes(&st, &names),
            drop_to_event: latency(to_event),
            drop_to_decision: latency(to_decision),
            hops: hops
                .into_iter()
                .map(|(k, v)| (k.to_string(), latency(v)))
                .collect(),
        })
    };
    if let Some(s) = &steady_run {
        eprintln!(
            "  steady: drop→event p50 {:.0} ms, p99 {:.0} ms ({} samples){}",
            s.drop_to_event.p50_ms,
            s.drop_to_event.p99_ms,
            s.drop_to_event.samples,
            if s.complete { "" } else { " (INCOMPLETE)" }
        );
    }

    collector.stop();
    let processes = sampler.stop();
    tokio::task::block_in_place(|| services.stop(Duration::from_secs(10)));
    drop(nats);
    let log_dir = if cfg.keep_dir {
        let kept = work.keep();
        Some(kept.join("logs").display().to_string())
    } else {
        None
    };
    Ok(E2eReport {
        burst: burst_run,
        kv_writes,
        steady: steady_run,
        processes,
        log_dir,
    })
}
