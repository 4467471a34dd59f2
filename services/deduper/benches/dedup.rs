//! Deduper benchmark (plain binary, `harness = false`): `cargo bench -p newsflow-deduper`.
//!
//! 1. MinHash signatures per second on one core, on the dev corpus texts as they are (about
//!    1,000 characters each) and joined three at a time (about 3,000 characters), plus the full
//!    fingerprint (signature + bands + figures) that `decide` computes.
//! 2. Dedup decisions per second with the JetStream KV in the loop, against a nats-server this
//!    binary starts on a free loopback port: one at a time (latency) and 64 in flight (what the
//!    service's runner does), for first sightings and for near-duplicate copies.

use newsflow_deduper::figures::Figures;
use newsflow_deduper::kv::{KvConfig, KvStore};
use newsflow_deduper::minhash::Signature;
use newsflow_deduper::{key::DedupKey, Deduper, Fingerprint, Outcome};
use newsflow_e2e::{corpus_dir, NatsServer};
use newsflow_shared::records::{CleanArticle, Lang, Script, Source};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn dev_texts() -> Vec<String> {
    let dir = corpus_dir().join("dev/articles");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// CPU time this thread has run, in seconds (Linux `/proc/thread-self/schedstat`, ns): the
/// machine is shared, so rates per CPU-second are what "per core" means; wall-clock rates are
/// printed beside them.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 / 1e9)
        .unwrap_or(f64::NAN)
}

/// Run `f` over `docs` repeatedly for about `budget`; returns (docs per CPU-second,
/// chars per CPU-second, docs per wall-second).
fn rate(docs: &[String], budget: Duration, mut f: impl FnMut(&str)) -> (f64, f64, f64) {
    let chars: usize = docs.iter().map(|d| d.chars().count()).sum();
    // Warm-up.
    for d in docs {
        f(d);
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_seconds();
    let mut rounds = 0usize;
    while start.elapsed() < budget {
        for d in docs {
            f(d);
        }
        rounds += 1;
    }
    let cpu = thread_cpu_seconds() - cpu_start;
    let wall = start.elapsed().as_secs_f64();
    let n = (rounds * docs.len()) as f64;
    (n / cpu, (rounds * chars) as f64 / cpu, n / wall)
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` distinct ~1,000-character articles made of corpus sentences in random order.
fn synthetic_articles(texts: &[String], n: usize) -> Vec<CleanArticle> {
    let sentences: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split_inclusive(['。', '.']))
        .map(str::trim)
        .filter(|s| s.chars().count() > 15)
        .collect();
    let mut st = 42u64;
    (0..n)
        .map(|i| {
            let mut text = String::new();
            while text.chars().count() < 1000 {
                text.push_str(sentences[splitmix(&mut st) as usize % sentences.len()]);
            }
            let source = Source {
                path: Some(format!("bench/{i}.txt")),
                ..Source::default()
            };
            CleanArticle::new(source, Lang::Zh, Script::Hans, text)
        })
        .collect()
}

/// A near-duplicate copy: one sentence gets a lead-in.
fn edited(a: &CleanArticle) -> CleanArticle {
    let text = a.text.replacen("。", "。据了解,", 1);
    let mut source = a.source.clone();
    source.path = source.path.map(|p| format!("copy/{p}"));
    CleanArticle::new(source, a.lang, a.script, text)
}

async fn decisions(
    deduper: &Arc<Deduper<KvStore>>,
    articles: &[CleanArticle],
    tag: &str,
    in_flight: usize,
) -> (f64, [usize; 4]) {
    let start = Instant::now();
    let mut outcomes = [0usize; 4];
    let sem = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, a) in articles.iter().enumerate() {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let (d, a, claim) = (deduper.clone(), a.clone(), format!("{tag}-{i}"));
        tasks.spawn(async move {
            let r = d.decide(&a, &claim, i as u64 + 1).await.expect("decide");
            drop(permit);
            Outcome::of(&r)
        });
    }
    while let Some(o) = tasks.join_next().await {
        let idx = match o.expect("task") {
            Outcome::Unique => 0,
            Outcome::Revision => 1,
            Outcome::Exact => 2,
            Outcome::Near => 3,
        };
        outcomes[idx] += 1;
    }
    (
        articles.len() as f64 / start.elapsed().as_secs_f64(),
        outcomes,
    )
}

fn main() {
    let texts = dev_texts();
    let triples: Vec<String> = texts.chunks(3).map(|c| c.concat()).collect();
    let avg = |v: &[String]| v.iter().map(|t| t.chars().count()).sum::<usize>() / v.len().max(1);
    let budget = Duration::from_secs(3);
    println!("MinHash: 128 permutations, 16 bands x 8 rows; rates per CPU-second of one thread (wall-clock rate in brackets)");
    for (label, docs) in [("dev texts", &texts), ("dev texts x3", &triples)] {
        let (key, _, _) = rate(docs, budget, |t| {
            black_box(DedupKey::new(black_box(t)));
        });
        let (hashes, _, _) = rate(docs, budget, |t| {
            black_box(
                DedupKey::new(black_box(t))
                    .shingle_hashes()
                    .fold(0u64, |a, h| a ^ h),
            );
        });
        let (sig, sig_chars, sig_wall) = rate(docs, budget, |t| {
            black_box(Signature::of_key(&DedupKey::new(black_box(t))));
        });
        let (figs, _, _) = rate(docs, budget, |t| {
            black_box(Figures::of_text(black_box(t)));
        });
        let (fp, fp_chars, fp_wall) = rate(docs, budget, |t| {
            black_box(Fingerprint::of_text(black_box(t)));
        });
        println!("  {label} ({} chars avg):", avg(docs));
        println!(
            "    signature   {sig:>8.0} docs/s  {:>5.1} M chars/s  [{sig_wall:.0}/s wall]",
            sig_chars / 1e6
        );
        println!(
            "    fingerprint {fp:>8.0} docs/s  {:>5.1} M chars/s  [{fp_wall:.0}/s wall]  (signature + bands + figures, what decide computes)",
            fp_chars / 1e6
        );
        println!(
            "    parts: key {key:.0}/s, key + shingle hashes {hashes:.0}/s, figures {figs:.0}/s"
        );
    }

    if std::env::var_os("DEDUP_BENCH_CPU_ONLY").is_some() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let nats = NatsServer::start();
    rt.block_on(async {
        let client = async_nats::connect(nats.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let store = KvStore::open(&js, &KvConfig::default()).await.expect("KV");
        let deduper = Arc::new(Deduper::new(store));
        let n = 2000;
        let articles = synthetic_articles(&texts, n);
        let copies: Vec<CleanArticle> = articles.iter().map(edited).collect();
        println!("Decisions with JetStream KV in the loop (nats-server 2.9, file store, loopback):");
        let (r, o) = decisions(&deduper, &articles[..200], "seq", 1).await;
        println!("  first sightings, 1 in flight:   {r:>7.0} decisions/s  [unique, revision, exact, near] = {o:?}");
        let (r, o) = decisions(&deduper, &articles[200..], "par", 64).await;
        println!("  first sightings, 64 in flight:  {r:>7.0} decisions/s  {o:?}");
        let (r, o) = decisions(&deduper, &copies[..200], "cseq", 1).await;
        println!("  near copies, 1 in flight:       {r:>7.0} decisions/s  {o:?}");
        let (r, o) = decisions(&deduper, &copies[200..], "cpar", 64).await;
        println!("  near copies, 64 in flight:      {r:>7.0} decisions/s  {o:?}");
    });
}
