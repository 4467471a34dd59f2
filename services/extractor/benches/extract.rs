//! Extraction throughput on the seeds and dev articles, one core: articles per second of
//! `extract` on already-cleaned articles (the cleaner runs once, outside the timing).
//! Target ≥ 2,000 articles/s per core. `cargo bench -p newsflow-extractor`
//! (NEWSFLOW_CORPUS points elsewhere).

use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::records::{CleanArticle, Lang, RawArticle};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus_dir() -> PathBuf {
    std::env::var_os("NEWSFLOW_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

fn articles() -> Vec<CleanArticle> {
    let mut out = Vec::new();
    for sub in ["seeds", "dev/articles"] {
        let Ok(rd) = std::fs::read_dir(corpus_dir().join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let Ok(bytes) = std::fs::read(&f) else {
                continue;
            };
            let raw = RawArticle {
                source_path: f.display().to_string(),
                received_at: None,
                bytes: bytes.into(),
            };
            if let Ok(a) = newsflow_cleaner::clean(&raw) {
                out.push(a);
            }
        }
    }
    out
}

/// Articles per second of `extract` over `docs`, measured for about two seconds.
fn rate(docs: &[CleanArticle], taxonomy: &Taxonomy) -> f64 {
    let budget = Duration::from_secs(2);
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < budget {
        for a in docs {
            std::hint::black_box(extract(std::hint::black_box(a), taxonomy));
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let docs = articles();
    if docs.is_empty() {
        eprintln!("no articles under {}", corpus_dir().display());
        std::process::exit(1);
    }
    let taxonomy = Taxonomy::embedded();
    // Warm up (lazy regexes, gazetteer, OpenCC tables).
    let mut events = 0usize;
    for a in &docs {
        events += extract(a, &taxonomy).len();
    }
    let per_sec = rate(&docs, &taxonomy);
    for lang in [Lang::Zh, Lang::En] {
        let some: Vec<CleanArticle> = docs.iter().filter(|a| a.lang == lang).cloned().collect();
        if !some.is_empty() {
            println!(
                "extract {lang:?}: {} articles, {:.0} articles/s on one core",
                some.len(),
                rate(&some, &taxonomy)
            );
        }
    }
    println!(
        "extract: {} articles ({} events per pass), {:.0} articles/s on one core ({:.1} µs/article); target ≥ 2000/s: {}",
        docs.len(),
        events,
        per_sec,
        1e6 / per_sec,
        if per_sec >= 2000.0 { "met" } else { "NOT met" }
    );
}
