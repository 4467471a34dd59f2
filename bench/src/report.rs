//! The benchmark report: one JSON document (`target/bench/report.json`) and the table printed
//! at the end of `make bench`, with the targets evaluated (reported, never asserted).

use crate::pipeline::E2eReport;
use crate::predict::Prediction;
use crate::relay::RelayRun;
use crate::stages::StageFigures;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const SCHEMA: &str = "newsflow.bench.v1";

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    /// `/proc/loadavg` when the run started (a loaded machine gives noisy figures).
    pub loadavg_at_start: String,
    pub nats_server: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub articles: usize,
    pub rate: f64,
    pub steady_secs: f64,
    pub stage_secs: f64,
    pub pipeline_items: usize,
    pub relay_in_flight: usize,
    pub seed: u64,
    pub quick: bool,
    pub service_env: Vec<String>,
    pub phases: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Feed {
    pub burst_articles: usize,
    pub steady_articles: usize,
    /// Items of each generated kind (burst + steady).
    pub kinds: BTreeMap<&'static str, usize>,
    /// Share of items generated as copies of earlier ones (re-drops, near and HTML copies).
    pub copy_share: f64,
    pub bytes: usize,
    pub avg_bytes: f64,
    /// In-process outcome of the whole feed (burst then steady), in drop order.
    pub prediction: Option<Prediction>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub value: Option<f64>,
    pub met: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Accounting {
    /// Articles dropped (burst + steady).
    pub articles: usize,
    /// Articles seen decided (unique, duplicate) or rejected.
    pub accounted: usize,
    pub all_accounted: bool,
    /// Distinct indicator events seen vs. what the in-process run predicts.
    pub events_seen: usize,
    pub events_predicted: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub machine: Machine,
    pub settings: Settings,
    pub stages: Vec<StageFigures>,
    pub feed: Feed,
    pub e2e: Option<E2eReport>,
    pub relay: Option<RelayRun>,
    /// End-to-end burst articles/s ÷ relay articles/s.
    pub ratio_e2e_to_relay: Option<f64>,
    /// The relay carrying the pipeline's own extra traffic (see `relay::Shape`).
    pub floors: Vec<Floor>,
    pub accounting: Option<Accounting>,
    pub targets: Vec<Target>,
    pub seconds_total: f64,
}

/// ` (median of 9000, 8000, 8500)` when a relay shape ran more than once.
fn rounds(rates: &[f64]) -> String {
    if rates.len() < 2 {
        return String::new();
    }
    let list: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    format!(" (median of {})", list.join(", "))
}

/// The relay with the traffic of the pipeline's message pattern and no processing.
#[derive(Clone, Debug, Serialize)]
pub struct Floor {
    pub name: String,
    pub what: String,
    pub run: RelayRun,
    /// Floor articles/s ÷ bare relay articles/s: the most the ratio target can reach here.
    pub ratio_to_relay: Option<f64>,
    /// End-to-end articles/s ÷ floor articles/s: what processing costs beside that transport.
    pub ratio_e2e_to_floor: Option<f64>,
}

/// The targets, from what was measured.
pub fn targets(e2e: Option<&E2eReport>, ratio: Option<f64>, rate: f64) -> Vec<Target> {
    let mut t = vec![Target {
        name: "end-to-end throughput vs bare 4-hop relay".into(),
        target: ">= 0.6 x relay".into(),
        value: ratio.map(crate::stats::round3),
        met: ratio.map(|r| r >= 0.6),
    }];
    let p99 = e2e
        .and_then(|e| e.steady.as_ref())
        .filter(|s| s.drop_to_event.samples > 0)
        .map(|s| s.drop_to_event.p99_ms);
    t.push(Target {
        name: format!("p99 drop-to-event latency at {rate} files/s"),
        target: "<= 250 ms".into(),
        value: p99,
        met: p99.map(|p| p <= 250.0),
    });
    for svc in crate::procs::SERVICES {
        let hwm = e2e
            .and_then(|e| e.processes.get(svc))
            .map(|p| (p.vm_hwm_mib * 10.0).round() / 10.0);
        t.push(Target {
            name: format!("newsflow-{svc} peak RSS (VmHWM)"),
            target: "<= 100 MiB".into(),
            value: hwm,
            met: hwm.map(|m| m <= 100.0),
        });
    }
    t
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}"))
        .unwrap_or_else(|| "-".to_string())
}

/// Ratios with three decimals, anything else with one.
fn target_value(v: Option<f64>) -> String {
    match v {
        Some(x) if x.abs() < 10.0 => format!("{x:.3}"),
        other => opt(other, 1),
    }
}

/// The table `make bench` prints.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nnewsflow bench — {} cpus, load at start {}, {}",
        r.machine.cpus, r.machine.loadavg_at_start, r.machine.nats_server
    );
    if !r.stages.is_empty() {
        let _ = writeln!(s, "\nPer stage, in process, one thread (seeds + dev corpus; rates per wall second and per CPU second)");
        let _ = writeln!(
            s,
            "  {:<22} {:>5} {:>9} {:>8} {:>11} {:>10} {:>9}  note",
            "stage", "docs", "docs/s", "MB/s", "docs/CPU-s", "CPU µs/doc", "peak MiB"
        );
        for f in &r.stages {
            let _ = writeln!(
                s,
                "  {:<22} {:>5} {:>9.0} {:>8.2} {:>11.0} {:>10.1} {:>9.1}  {}",
                f.stage,
                f.docs,
                f.docs_per_s,
                f.mb_per_s,
                f.docs_per_cpu_s,
                f.cpu_us_per_doc,
                f.peak_rss_mib,
                f.note
            );
        }
    }
    let _ = writeln!(
        s,
        "\nFeed: {} burst + {} steady articles, {:.1} KB avg; kinds {:?}",
        r.feed.burst_articles,
        r.feed.steady_articles,
        r.feed.avg_bytes / 1e3,
        r.feed.kinds
    );
    if let Some(p) = &r.feed.prediction {
        let _ = writeln!(
            s,
            "  in-process outcome: {:?}, {} events, {:.1}% pass the deduper",
            p.outcomes,
            p.events,
            p.unique_share * 100.0
        );
    }
    if let Some(e) = &r.e2e {
        let b = &e.burst;
        let _ = writeln!(
            s,
            "\nEnd to end (inbox → indicators, 4 services + nats-server)"
        );
        let _ = writeln!(
            s,
            "  burst   {:>6} articles in {:>6.1} s = {:>7.0} articles/s{} (dropped in {:.1} s)",
            b.articles,
            b.seconds,
            b.articles_per_s,
            if b.complete { "" } else { " INCOMPLETE" },
            b.drop_seconds
        );
        let _ = writeln!(
            s,
            "          outcomes: {} unique, {} duplicate, {} rejected, {} unaccounted; {} events",
            b.outcomes.unique,
            b.outcomes.duplicate,
            b.outcomes.rejected,
            b.outcomes.unaccounted,
            b.outcomes.events
        );
        let _ = writeln!(
            s,
            "          CPU µs per article: {:?}",
            b.cpu_us_per_article
        );
        if let Some(st) = &e.steady {
            let _ = writeln!(
                s,
                "  steady  {:>6} articles at {:.0} files/s offered ({:.0} achieved){}",
                st.articles,
                st.rate_offered,
                st.rate_achieved,
                if st.complete { "" } else { " INCOMPLETE" }
            );
            let l = &st.drop_to_event;
            let _ = writeln!(
                s,
                "          drop→first event: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} articles)",
                l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.samples
            );
            let l = &st.drop_to_decision;
            let _ = writeln!(
                s,
                "          drop→dedup decision: p50 {:.0} ms, p99 {:.0} ms ({} articles)",
                l.p50_ms, l.p99_ms, l.samples
            );
            for (hop, l) in &st.hops {
                let _ = writeln!(
                    s,
                    "          hop {:<12} p50 {:>6.1} ms  p99 {:>7.1} ms",
                    hop, l.p50_ms, l.p99_ms
                );
            }
        }
        let _ = writeln!(s, "  memory  (MiB)     VmHWM   last RSS   CPU s");
        for (name, p) in &e.processes {
            let _ = writeln!(
                s,
                "          {:<12} {:>7.1} {:>9.1} {:>8.1}",
                name, p.vm_hwm_mib, p.last_rss_mib, p.cpu_seconds
            );
        }
    }
    if let Some(rl) = &r.relay {
        let _ = writeln!(
            s,
            "\nCeiling: bare 4-hop JetStream relay, same payloads, {} in flight: {} articles in {:.1} s = {:.0} articles/s{}{}",
            rl.in_flight,
            rl.articles,
            rl.seconds,
            rl.articles_per_s,
            rounds(&rl.rounds),
            if rl.complete { "" } else { " INCOMPLETE" }
        );
    }
    let _ = writeln!(
        s,
        "  ratio end-to-end / relay: {}",
        opt(r.ratio_e2e_to_relay, 3)
    );
    for f in &r.floors {
        let _ = writeln!(
            s,
            "Floor, {}: {}\n  {:.0} articles/s{}{} = {} x relay; end-to-end / this floor: {}",
            f.name,
            f.what,
            f.run.articles_per_s,
            rounds(&f.run.rounds),
            if f.run.complete { "" } else { " INCOMPLETE" },
            opt(f.ratio_to_relay, 3),
            opt(f.ratio_e2e_to_floor, 3)
        );
    }
    let _ = writeln!(s, "\nTargets (reported, not asserted)");
    for t in &r.targets {
        let met = match t.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "n/a",
        };
        let _ = writeln!(
            s,
            "  {:<48} {:>12}  {:>10}  {}",
            t.name,
            t.target,
            target_value(t.value),
            met
        );
    }
    if let Some(a) = &r.accounting {
        let _ = writeln!(
            s,
            "\nAccounted for: {}/{} articles{}; events seen {} (in-process prediction {})",
            a.accounted,
            a.articles,
            if a.all_accounted { "" } else { " — NOT ALL" },
            a.events_seen,
            a.events_predicted
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    let _ = writeln!(s, "Total {:.0} s", r.seconds_total);
    s
}
