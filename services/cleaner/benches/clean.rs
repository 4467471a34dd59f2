//! Throughput of `clean` on the seeds and dev articles (plus HTML renderings of them), one core:
//! prints MB/s for text dumps and for HTML pages. Targets: ≥ 20 MB/s text, ≥ 10 MB/s HTML.
//! `cargo bench -p newsflow-cleaner` (set NEWSFLOW_CORPUS to point elsewhere).

use newsflow_cleaner::clean;
use newsflow_shared::records::RawArticle;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus_dir() -> PathBuf {
    std::env::var_os("NEWSFLOW_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

fn inputs() -> (Vec<RawArticle>, Vec<RawArticle>) {
    let mut text = Vec::new();
    let mut html = Vec::new();
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
            let path = f.display().to_string();
            let raw = RawArticle {
                source_path: path.clone(),
                received_at: None,
                bytes: bytes.into(),
            };
            if path.ends_with(".html") || path.ends_with(".htm") {
                html.push(raw);
                continue;
            }
            // An HTML page around the same article, as a portal would serve it.
            if let Ok(a) = clean(&raw) {
                let paras: String = a.text.lines().map(|l| format!("<p>{l}</p>\n")).collect();
                let page = format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}_新闻</title>\
                     <script>var a=1;</script></head><body><div class=\"nav\"><a href=\"/\">首页</a> | \
                     <a href=\"/n\">新闻</a></div><div class=\"main\"><h1>{t}</h1><div class=\"info\">\
                     来源:某某网</div><div class=\"content\">{paras}</div></div><footer>版权所有</footer>\
                     </body></html>",
                    t = a.title.as_deref().unwrap_or("")
                );
                html.push(RawArticle {
                    source_path: format!("{path}.html"),
                    received_at: None,
                    bytes: page.into_bytes().into(),
                });
            }
            text.push(raw);
        }
    }
    (text, html)
}

fn measure(name: &str, inputs: &[RawArticle], target: f64) {
    if inputs.is_empty() {
        println!("{name}: no inputs");
        return;
    }
    let bytes_per_round: usize = inputs.iter().map(|r| r.bytes.len()).sum();
    // warm-up (lazy tables, allocator)
    for r in inputs {
        let _ = clean(r);
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut rounds = 0usize;
    while start.elapsed() < Duration::from_secs(3) {
        for r in inputs {
            std::hint::black_box(clean(std::hint::black_box(r)).ok());
        }
        rounds += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    // On a shared machine wall time includes waiting for a core: rate per core uses the
    // thread's own CPU time when the kernel reports it.
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
        _ => wall,
    };
    let mb = (bytes_per_round * rounds) as f64 / 1e6;
    let rate = mb / cpu;
    println!(
        "{name}: {rate:.1} MB/s per core (CPU time), {:.1} MB/s wall, {:.0} docs/s per core \
         ({} docs, {:.1} KB avg, {rounds} rounds) target ≥ {target} MB/s: {}",
        mb / wall,
        (inputs.len() * rounds) as f64 / cpu,
        inputs.len(),
        bytes_per_round as f64 / inputs.len() as f64 / 1e3,
        if rate >= target { "met" } else { "MISSED" }
    );
}

/// CPU time of the current thread in ns (Linux `/proc/thread-self/schedstat`), if available.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let (text, html) = inputs();
    measure("text dumps", &text, 20.0);
    measure("html pages", &html, 10.0);
    // Traditional pages pay for the OpenCC conversion (single-digit MB/s on its own).
    let (hant, rest): (Vec<RawArticle>, Vec<RawArticle>) = text
        .into_iter()
        .partition(|r| clean(r).is_ok_and(|a| a.script == newsflow_shared::records::Script::Hant));
    measure("  of which Traditional", &hant, 0.0);
    measure("  of which Simplified/English", &rest, 20.0);
}
