//! Per-stage figures in process, on the seeds + dev corpus: each stage runs in its own child
//! process (`newsflow-bench --run-stage NAME`) so that its peak memory (VmHWM) is its own, and
//! prints one JSON line the driver collects.
//!
//! Stages: `clean-text` (text dumps), `clean-html` (the corpus page plus every text article
//! served as a portal page), `dedup-signature` (MinHash signature of the dedup key),
//! `dedup-fingerprint` (signature + bands + figures, what a decision computes), `extract`
//! (indicator extraction on cleaned articles), `in-process-pipeline` (clean → in-memory dedup →
//! extract on the generated feed, one core: the processing cost without any transport).

use crate::corpus::{self, CorpusFile};
use crate::generate::{html_page, Generator};
use anyhow::{bail, Context as _};
use newsflow_deduper::key::DedupKey;
use newsflow_deduper::minhash::Signature;
use newsflow_deduper::{Fingerprint, InMemoryDeduper};
use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::records::{CleanArticle, RawArticle};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const STAGES: [&str; 6] = [
    "clean-text",
    "clean-html",
    "dedup-signature",
    "dedup-fingerprint",
    "extract",
    "in-process-pipeline",
];

/// One stage's figures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StageFigures {
    pub stage: String,
    /// Inputs per pass.
    pub docs: usize,
    /// Input bytes per pass (UTF-8 text for the dedup stages).
    pub bytes_per_pass: usize,
    pub passes: usize,
    pub seconds: f64,
    pub docs_per_s: f64,
    pub mb_per_s: f64,
    /// Microseconds per input (wall clock).
    pub us_per_doc: f64,
    /// CPU seconds the timed passes used (user + system): on a loaded machine the rate per
    /// CPU-second is the steadier figure.
    #[serde(default)]
    pub cpu_seconds: f64,
    #[serde(default)]
    pub docs_per_cpu_s: f64,
    #[serde(default)]
    pub cpu_us_per_doc: f64,
    /// Peak resident memory of the stage's process (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Indicator events per pass (extract, pipeline) or unique articles (pipeline).
    #[serde(default)]
    pub note: String,
}

fn raw(name: &str, bytes: &[u8]) -> RawArticle {
    RawArticle {
        source_path: name.to_string(),
        received_at: None,
        bytes: bytes::Bytes::copy_from_slice(bytes),
    }
}

fn cleaned(files: &[CorpusFile]) -> Vec<CleanArticle> {
    files
        .iter()
        .filter_map(|f| newsflow_cleaner::clean(&raw(&f.name, &f.bytes)).ok())
        .collect()
}

/// CPU seconds (user + system) this process has used.
fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we pass; zeroed is a valid initial value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Wall and CPU seconds of some passes.
struct Timing {
    passes: usize,
    wall: f64,
    cpu: f64,
}

/// Run `pass` once to warm up, then repeatedly for about `budget` (at least one timed pass).
fn timed(budget: Duration, mut pass: impl FnMut()) -> Timing {
    pass();
    let start = Instant::now();
    let cpu0 = process_cpu_seconds();
    let mut passes = 0usize;
    while passes == 0 || start.elapsed() < budget {
        pass();
        passes += 1;
    }
    Timing {
        passes,
        wall: start.elapsed().as_secs_f64(),
        cpu: process_cpu_seconds() - cpu0,
    }
}

fn figures(stage: &str, docs: usize, bytes: usize, t: Timing) -> StageFigures {
    let (passes, secs) = (t.passes, t.wall.max(1e-9));
    let docs_per_s = (docs * passes) as f64 / secs;
    let docs_per_cpu_s = if t.cpu > 0.0 {
        (docs * passes) as f64 / t.cpu
    } else {
        0.0
    };
    StageFigures {
        cpu_seconds: t.cpu,
        docs_per_cpu_s,
        cpu_us_per_doc: if docs_per_cpu_s > 0.0 {
            1e6 / docs_per_cpu_s
        } else {
            0.0
        },
        stage: stage.to_string(),
        docs,
        bytes_per_pass: bytes,
        passes,
        seconds: secs,
        docs_per_s,
        mb_per_s: (bytes * passes) as f64 / 1e6 / secs,
        us_per_doc: if docs_per_s > 0.0 {
            1e6 / docs_per_s
        } else {
            0.0
        },
        peak_rss_mib: 0.0,
        note: String::new(),
    }
}

/// Run one stage in this process (the child side of `--run-stage`).
pub fn run_stage(
    stage: &str,
    corpus_dir: &Path,
    budget: Duration,
    feed_items: usize,
    seed: u64,
    max_docs: Option<usize>,
) -> anyhow::Result<StageFigures> {
    let mut files = corpus::load(corpus_dir)?;
    if let Some(n) = max_docs {
        files.truncate(n.max(1));
    }
    let mut fig = match stage {
        "clean-text" => {
            let inputs: Vec<RawArticle> = files
                .iter()
                .filter(|f| !f.is_html())
                .map(|f| raw(&f.name, &f.bytes))
                .collect();
            let bytes = inputs.iter().map(|r| r.bytes.len()).sum();
            let t = timed(budget, || {
                for r in &inputs {
                    black_box(newsflow_cleaner::clean(black_box(r)).ok());
                }
            });
            figures(stage, inputs.len(), bytes, t)
        }
        "clean-html" => {
            let mut inputs: Vec<RawArticle> = files
                .iter()
                .filter(|f| f.is_html())
                .map(|f| raw(&f.name, &f.bytes))
                .collect();
            for f in files.iter().filter(|f| !f.is_html()) {
                if let Ok(text) = std::str::from_utf8(&f.bytes) {
                    let page = html_page(text);
                    inputs.push(raw(&format!("{}.html", f.name), page.as_bytes()));
                }
            }
            let bytes = inputs.iter().map(|r| r.bytes.len()).sum();
            let t = timed(budget, || {
                for r in &inputs {
                    black_box(newsflow_cleaner::clean(black_box(r)).ok());
                }
            });
            figures(stage, inputs.len(), bytes, t)
        }
        "dedup-signature" => {
            let texts: Vec<String> = cleaned(&files).into_iter().map(|a| a.text).collect();
            let bytes = texts.iter().map(String::len).sum();
            let t = timed(budget, || {
                for t in &texts {
                    black_box(Signature::of_key(&DedupKey::new(black_box(t))));
                }
            });
            figures(stage, texts.len(), bytes, t)
        }
        "dedup-fingerprint" => {
            let texts: Vec<String> = cleaned(&files).into_iter().map(|a| a.text).collect();
            let bytes = texts.iter().map(String::len).sum();
            let t = timed(budget, || {
                for t in &texts {
                    black_box(Fingerprint::of_text(black_box(t)));
                }
            });
            figures(stage, texts.len(), bytes, t)
        }
        "extract" => {
            let articles = cleaned(&files);
            let taxonomy = Taxonomy::embedded();
            let bytes = articles.iter().map(|a| a.text.len()).sum();
            let mut events = 0usize;
            let t = timed(budget, || {
                events = 0;
                for a in &articles {
                    events += black_box(extract(black_box(a), &taxonomy)).len();
                }
            });
            let mut f = figures(stage, articles.len(), bytes, t);
            f.note = format!("{events} events per pass");
            f
        }
        "in-process-pipeline" => {
            let items = Generator::new(&files, seed)?.take(feed_items, "p");
            let bytes = items.iter().map(|i| i.bytes.len()).sum();
            let taxonomy = Taxonomy::embedded();
            let mut note = String::new();
            let t = timed(budget, || {
                // A fresh dedup state each pass, so every pass makes the same decisions.
                let mut deduper = InMemoryDeduper::default();
                let (mut unique, mut events) = (0usize, 0usize);
                for item in &items {
                    let Ok(a) = newsflow_cleaner::clean(&raw(&item.name, &item.bytes)) else {
                        continue;
                    };
                    if let newsflow_deduper::Decision::Unique(a) = deduper.decide(&a) {
                        unique += 1;
                        events += extract(&a, &taxonomy).len();
                    }
                }
                note = format!("{unique} unique articles, {events} events per pass");
            });
            let mut f = figures(stage, items.len(), bytes, t);
            f.note = note;
            f
        }
        other => bail!("unknown stage {other:?} (one of {})", STAGES.join(", ")),
    };
    fig.peak_rss_mib = crate::procs::self_peak_rss_mib();
    Ok(fig)
}

/// Run every stage, each in a child process of this binary.
pub fn run_all(
    corpus_dir: &Path,
    budget: Duration,
    feed_items: usize,
    seed: u64,
    max_docs: Option<usize>,
) -> anyhow::Result<Vec<StageFigures>> {
    let exe = std::env::current_exe().context("locating newsflow-bench itself")?;
    let mut out = Vec::new();
    for stage in STAGES {
        let started = Instant::now();
        let mut cmd = Command::new(&exe);
        if let Some(n) = max_docs {
            cmd.arg("--stage-docs").arg(n.to_string());
        }
        let output = cmd
            .arg("--run-stage")
            .arg(stage)
            .arg("--corpus")
            .arg(corpus_dir)
            .arg("--stage-secs")
            .arg(budget.as_secs_f64().to_string())
            .arg("--pipeline-items")
            .arg(feed_items.to_string())
            .arg("--seed")
            .arg(seed.to_string())
            .output()
            .with_context(|| format!("running stage {stage}"))?;
        if !output.status.success() {
            bail!(
                "stage {stage} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let fig: StageFigures = serde_json::from_str(line.trim())
            .with_context(|| format!("stage {stage} printed {:?}", line.trim()))?;
        eprintln!(
            "  stage {stage:<20} {:>9.0} docs/s {:>7.2} MB/s  peak {:>6.1} MiB  ({:.1} s)",
            fig.docs_per_s,
            fig.mb_per_s,
            fig.peak_rss_mib,
            started.elapsed().as_secs_f64()
        );
        out.push(fig);
    }
    Ok(out)
}
