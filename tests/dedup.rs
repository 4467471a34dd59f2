//! The deduper (issue 4) against a real nats-server: the copies SPEC §4 names are duplicates,
//! new editions pass with `revision_of`, racing replicas let exactly one copy through, and the
//! state survives a restart of the deduper and of the server.
//!
//! Inputs are built through `newsflow_cleaner::clean` from a dev-corpus article
//! (`dev/articles/zh_a05.txt`) turned into an HTML re-post, a Traditional+pinyin copy, a GB18030
//! file, a lightly edited copy and a byte-identical re-drop.

use async_nats::jetstream;
use newsflow_deduper::kv::{KvConfig, KvStore};
use newsflow_deduper::{Decision, Deduper, InMemoryDeduper, Outcome};
use newsflow_e2e::{corpus_dir, free_port, wait_until, workspace_bin, NatsServer};
use newsflow_shared::records::{CleanArticle, DuplicateKind, DuplicateRecord, RawArticle};
use newsflow_shared::subjects::{CLEAN, HDR_SOURCE_PATH, STREAM_DUPLICATE, STREAM_UNIQUE};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Bounds a hang; not a performance assertion.
const LONG: Duration = Duration::from_secs(120);

fn corpus_text(name: &str) -> String {
    let p = corpus_dir().join("dev/articles").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn clean(path: &str, bytes: impl Into<bytes::Bytes>) -> CleanArticle {
    let raw = RawArticle {
        source_path: path.to_string(),
        received_at: None,
        bytes: bytes.into(),
    };
    newsflow_cleaner::clean(&raw).unwrap_or_else(|e| panic!("cleaning {path}: {e}"))
}

/// The article in Traditional script with pinyin after some characters (`區(qū)`), as some
/// portals publish it.
fn traditional_with_pinyin(text: &str) -> String {
    let s2t = ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t)
        .expect("OpenCC s2t");
    let trad = s2t.convert(text);
    let pinyin = [
        ('區', "qū"),
        ('進', "jìn"),
        ('經', "jīng"),
        ('資', "zī"),
        ('長', "zhǎng"),
    ];
    let mut out = String::new();
    for c in trad.chars() {
        out.push(c);
        if let Some((_, p)) = pinyin.iter().find(|(h, _)| *h == c) {
            out.push_str(&format!("({p})"));
        }
    }
    out
}

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// A copy an editor touched: a reworded lead and closing line, same figures.
fn lightly_edited(text: &str) -> String {
    text.replace("据介绍,", "记者从管委会获悉,")
        .replace(
            "下半年,高新区将围绕全年目标任务",
            "下半年,该区将紧紧围绕全年目标任务",
        )
        .replace(
            "确保全年各项目标任务圆满完成。",
            "确保全年各项目标任务圆满完成。(记者 王芳)",
        )
}

/// Next month's bulletin from the same template: a few figures changed.
fn next_edition(text: &str) -> String {
    let out = text
        .replace("469.94亿元", "512.06亿元")
        .replace("同比增长81.1%", "同比增长79.4%")
        .replace("233.99亿元", "251.37亿元")
        .replace("224.76亿元", "231.02亿元");
    assert_ne!(out, text);
    out
}

/// The five copies of the base article, as (name, cleaned article).
fn copies(base: &str) -> Vec<(&'static str, CleanArticle)> {
    vec![
        (
            "html re-post",
            clean(
                "portal/zh_a05.html",
                newsflow_e2e::variants::html_repost(base),
            ),
        ),
        (
            "traditional+pinyin",
            clean("hk/zh_a05.txt", traditional_with_pinyin(base)),
        ),
        ("gb18030", clean("gbk/zh_a05.txt", gb18030(base))),
        (
            "light edit",
            clean("edited/zh_a05.txt", lightly_edited(base)),
        ),
        ("re-drop", clean("again/zh_a05.txt", base.to_string())),
    ]
}

fn expect_duplicate<'a>(what: &str, d: &'a Decision) -> &'a DuplicateRecord {
    match d {
        Decision::Duplicate(r) => r,
        Decision::Unique(a) => panic!("{what}: expected a duplicate, got unique:\n{}", a.text),
    }
}

fn expect_unique<'a>(what: &str, d: &'a Decision) -> &'a CleanArticle {
    match d {
        Decision::Unique(a) => a,
        Decision::Duplicate(r) => panic!("{what}: expected unique, got {r:?}"),
    }
}

async fn open_store(url: &str, cfg: &KvConfig) -> KvStore {
    let client = async_nats::connect(url).await.expect("connect");
    KvStore::open(&jetstream::new(client), cfg)
        .await
        .expect("open KV store")
}

#[tokio::test]
async fn copies_are_duplicates_and_editions_are_not_over_kv() {
    let nats = NatsServer::start();
    let store = open_store(&nats.url(), &KvConfig::default()).await;
    let deduper = Deduper::new(store);
    let base_text = corpus_text("zh_a05.txt");
    let base = clean("zh_a05.txt", base_text.clone());
    let first = deduper.decide(&base, "1", 1).await.unwrap();
    expect_unique("first sighting", &first);
    for (i, (what, copy)) in copies(&base_text).into_iter().enumerate() {
        let d = deduper
            .decide(&copy, &format!("copy-{i}"), 10 + i as u64)
            .await
            .unwrap();
        let r = expect_duplicate(what, &d);
        assert_eq!(r.duplicate_of, base.article_id, "{what}");
        assert_eq!(r.duplicate_of_path.as_deref(), Some("zh_a05.txt"), "{what}");
        assert!(r.similarity >= 0.8, "{what}: {}", r.similarity);
        eprintln!("{what}: {:?} similarity {}", r.kind, r.similarity);
    }
    // The byte-identical re-drop is an exact duplicate.
    let again = deduper
        .decide(
            &clean("again2/zh_a05.txt", base_text.clone()),
            "again2",
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        expect_duplicate("re-drop", &again).kind,
        DuplicateKind::Exact
    );

    // Same topic, other article: unique, not an edition.
    let other = clean("zh_a04.txt", corpus_text("zh_a04.txt"));
    let d = deduper.decide(&other, "other", 101).await.unwrap();
    assert_eq!(expect_unique("same topic", &d).revision_of, None);

    // Next month's bulletin: unique, with revision_of the first edition.
    let june = clean("zh_a05-next.txt", next_edition(&base_text));
    let d = deduper.decide(&june, "june", 102).await.unwrap();
    assert_eq!(
        expect_unique("next edition", &d).revision_of,
        Some(base.article_id.clone())
    );
    assert_eq!(Outcome::of(&d), Outcome::Revision);

    // A redelivery of the first message replays its decision exactly.
    assert_eq!(deduper.decide(&base, "1", 1).await.unwrap(), first);
}

#[test]
fn the_batch_deduper_agrees() {
    let base_text = corpus_text("zh_a05.txt");
    let mut d = InMemoryDeduper::default();
    expect_unique("first", &d.decide(&clean("zh_a05.txt", base_text.clone())));
    for (what, copy) in copies(&base_text) {
        expect_duplicate(what, &d.decide(&copy));
    }
    let next = d.decide(&clean("next.txt", next_edition(&base_text)));
    assert!(expect_unique("next edition", &next).revision_of.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_replicas_let_exactly_one_copy_through() {
    let nats = NatsServer::start();
    let base_text = corpus_text("zh_a05.txt");
    let a = clean("a/zh_a05.txt", base_text.clone());
    let b = clean("b/zh_a05.txt", lightly_edited(&base_text));
    for round in 0..20 {
        // A fresh bucket per round: each round is a first meeting of the two copies.
        let cfg = KvConfig {
            bucket: format!("race_{round}"),
            ..KvConfig::default()
        };
        let d1 = Deduper::new(open_store(&nats.url(), &cfg).await);
        let d2 = Deduper::new(open_store(&nats.url(), &cfg).await);
        let (a, b) = (a.clone(), b.clone());
        let t1 = tokio::spawn(async move { d1.decide(&a, "m1", 1).await.unwrap() });
        let t2 = tokio::spawn(async move { d2.decide(&b, "m2", 2).await.unwrap() });
        let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
        let passed = [&r1, &r2]
            .iter()
            .filter(|d| matches!(d, Decision::Unique(_)))
            .count();
        assert_eq!(passed, 1, "round {round}:\n{r1:?}\n{r2:?}");
    }
}

/// One `newsflow-deduper` process. Killed when dropped.
struct DeduperProcess {
    child: Child,
    metrics_port: u16,
}

impl DeduperProcess {
    fn start(nats: &NatsServer, log: PathBuf) -> Self {
        let log = std::fs::File::create(log).expect("log file");
        let metrics_port = free_port();
        let child = Command::new(workspace_bin("newsflow-deduper"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NATS_URL", nats.url())
            .env("NEWSFLOW_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start newsflow-deduper");
        DeduperProcess {
            child,
            metrics_port,
        }
    }

    /// The `/metrics` page (plain HTTP/1.0 over a loopback socket).
    async fn metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.metrics_port))
            .await
            .unwrap_or_else(|e| panic!("metrics port {}: {e}", self.metrics_port));
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut page = String::new();
        s.read_to_string(&mut page).await.unwrap();
        page
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DeduperProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn publish_clean(js: &jetstream::Context, article: &CleanArticle) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        HDR_SOURCE_PATH,
        article.source.path.as_deref().unwrap_or("-"),
    );
    js.publish_with_headers(CLEAN, headers, serde_json::to_vec(article).unwrap().into())
        .await
        .expect("publish")
        .await
        .expect("puback");
}

/// Messages in a stream (0 if it doesn't exist yet).
async fn count(js: &jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Every payload in a stream, parsed.
async fn read_all(js: &jetstream::Context, stream: &str) -> Vec<serde_json::Value> {
    newsflow_e2e::stream_messages(js, stream)
        .await
        .iter()
        .map(|m| serde_json::from_slice(&m.payload).expect("JSON record"))
        .collect()
}

async fn wait_for_counts(js: &jetstream::Context, unique: u64, duplicate: u64) {
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let (u, d) = (
            count(js, STREAM_UNIQUE).await,
            count(js, STREAM_DUPLICATE).await,
        );
        if u > unique || d > duplicate {
            panic!("too many: {u}/{unique} unique, {d}/{duplicate} duplicate");
        }
        if u == unique && d == duplicate {
            // Nothing more trickles in (a second copy would show up here).
            tokio::time::sleep(Duration::from_secs(1)).await;
            let again = (
                count(js, STREAM_UNIQUE).await,
                count(js, STREAM_DUPLICATE).await,
            );
            assert_eq!(
                again,
                (unique, duplicate),
                "unique, duplicate counts after settling"
            );
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: {u}/{unique} unique, {d}/{duplicate} duplicate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Corpus articles paired with a lightly edited copy of each (a distinct cluster per pair).
fn corpus_pairs() -> Vec<(CleanArticle, CleanArticle)> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir().join("dev/articles"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("zh_") && n.ends_with(".txt"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let text = corpus_text(n);
            let a = clean(&format!("a/{n}"), text.clone());
            // A light edit: two sentences get a lead-in.
            let b = clean(&format!("b/{n}"), text.replacen("。", "。据了解,", 2));
            (a, b)
        })
        .filter(|(a, b)| a.article_id != b.article_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_consumer_pass_one_copy_of_each() {
    let nats = NatsServer::start();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let _p1 = DeduperProcess::start(&nats, dir.path().join("d1.log"));
    let _p2 = DeduperProcess::start(&nats, dir.path().join("d2.log"));
    // Wait until a deduper has declared the streams.
    assert!(
        wait_until(LONG, || futures::executor::block_on(async {
            js.get_stream("NEWS_CLEAN").await.is_ok()
                && js.get_stream("KV_newsflow_dedup").await.is_ok()
        })),
        "streams declared"
    );
    let pairs = corpus_pairs();
    assert!(pairs.len() >= 15, "corpus pairs: {}", pairs.len());
    // Each pair published back to back, so the two copies are usually in flight together
    // on the two processes.
    for (a, b) in &pairs {
        tokio::join!(publish_clean(&js, a), publish_clean(&js, b));
    }
    let n = pairs.len() as u64;
    wait_for_counts(&js, n, n).await;
    let uniques = read_all(&js, STREAM_UNIQUE).await;
    for (a, b) in &pairs {
        let passed = uniques
            .iter()
            .filter(|u| {
                let id = u["article_id"].as_str().unwrap_or_default();
                id == a.article_id.as_str() || id == b.article_id.as_str()
            })
            .count();
        assert_eq!(passed, 1, "{:?}", a.source.path);
    }
    let logs = std::fs::read_to_string(dir.path().join("d1.log")).unwrap_or_default()
        + &std::fs::read_to_string(dir.path().join("d2.log")).unwrap_or_default();
    assert!(!logs.contains("ERROR"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_deduper_and_server_restart() {
    let mut nats = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let base_text = corpus_text("zh_a05.txt");
    let base = clean("zh_a05.txt", base_text.clone());
    {
        let mut p = DeduperProcess::start(&nats, dir.path().join("first.log"));
        let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
        assert!(wait_until(LONG, || futures::executor::block_on(async {
            js.get_stream("KV_newsflow_dedup").await.is_ok()
        })));
        publish_clean(&js, &base).await;
        wait_for_counts(&js, 1, 0).await;
        p.kill();
    }
    nats.restart();
    let p = DeduperProcess::start(&nats, dir.path().join("second.log"));
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    // The bucket kept its configured expiry.
    let kv_stream = js
        .get_stream("KV_newsflow_dedup")
        .await
        .expect("KV stream")
        .info()
        .await
        .unwrap()
        .config
        .clone();
    assert_eq!(kv_stream.max_age, Duration::from_secs(30 * 86_400));
    publish_clean(&js, &clean("edited/zh_a05.txt", lightly_edited(&base_text))).await;
    publish_clean(&js, &clean("again/zh_a05.txt", base_text.clone())).await;
    wait_for_counts(&js, 1, 2).await;
    let dups = read_all(&js, STREAM_DUPLICATE).await;
    for d in &dups {
        assert_eq!(d["duplicate_of"], base.article_id.as_str());
    }
    let page = p.metrics().await;
    for line in [
        "newsflow_dedup_articles_total{outcome=\"near\"} 1",
        "newsflow_dedup_articles_total{outcome=\"exact\"} 1",
        "newsflow_dedup_similarity_bucket{le=\"0.8\"}",
        "newsflow_dedup_kv_seconds_count{op=\"create\"}",
    ] {
        assert!(page.contains(line), "{line} not in:\n{page}");
    }
}

/// Every dev-corpus article and its lightly edited copy: the copy is a near duplicate.
#[test]
fn corpus_copies_are_near_duplicates_in_memory() {
    for (a, b) in corpus_pairs() {
        let mut d = InMemoryDeduper::default();
        expect_unique("original", &d.decide(&a));
        let r = d.decide(&b);
        let r = expect_duplicate(a.source.path.as_deref().unwrap_or("-"), &r);
        assert_eq!(r.kind, DuplicateKind::Near);
        assert_eq!(r.duplicate_of, a.article_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deduper_killed_mid_stream_neither_loses_nor_doubles() {
    let nats = NatsServer::start();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut first = DeduperProcess::start(&nats, dir.path().join("first.log"));
    assert!(wait_until(LONG, || futures::executor::block_on(async {
        js.get_stream("KV_newsflow_dedup").await.is_ok()
    })));
    let pairs = corpus_pairs();
    for (a, b) in &pairs {
        publish_clean(&js, a).await;
        publish_clean(&js, b).await;
    }
    // SIGKILL once some decisions are out and (with 64 in flight) others are half-way.
    let deadline = tokio::time::Instant::now() + LONG;
    while count(&js, STREAM_UNIQUE).await + count(&js, STREAM_DUPLICATE).await < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no decision before the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let _second = DeduperProcess::start(&nats, dir.path().join("second.log"));
    let n = pairs.len() as u64;
    // Redeliveries wait for the consumer's ack_wait; LONG covers it.
    wait_for_counts(&js, n, n).await;
    let uniques = read_all(&js, STREAM_UNIQUE).await;
    for (a, b) in &pairs {
        let passed = uniques
            .iter()
            .filter(|u| {
                let id = u["article_id"].as_str().unwrap_or_default();
                id == a.article_id.as_str() || id == b.article_id.as_str()
            })
            .count();
        assert_eq!(passed, 1, "{:?}", a.source.path);
    }
}

#[tokio::test]
async fn a_changed_expiry_is_applied_to_the_bucket() {
    let nats = NatsServer::start();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    KvStore::open(&js, &KvConfig::default()).await.unwrap();
    let cfg = KvConfig {
        ttl: newsflow_deduper::kv::parse_duration("12h").unwrap(),
        ..KvConfig::default()
    };
    KvStore::open(&js, &cfg).await.unwrap();
    let info = js
        .get_stream("KV_newsflow_dedup")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .config
        .clone();
    assert_eq!(info.max_age, Duration::from_secs(12 * 3600));
    assert_eq!(info.max_messages_per_subject, 1);
    assert!(info.deny_delete && info.allow_rollup && info.allow_direct);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_waits_for_a_later_arrival_still_deciding() {
    // The base article arrived after the copy (order 9 > 5) and is still pending when the copy
    // decides: the copy waits, and follows it once it is recorded unique.
    use newsflow_deduper::decide::State;
    let nats = NatsServer::start();
    let store = open_store(&nats.url(), &KvConfig::default()).await;
    let base_text = corpus_text("zh_a05.txt");
    let base = clean("zh_a05.txt", base_text.clone());
    let copy = clean("copy/zh_a05.txt", lightly_edited(&base_text));
    newsflow_deduper::testing::seed(&store, &base, "base", 9, State::Pending)
        .await
        .unwrap();
    // A wait far longer than the test needs: the copy may only stop waiting because the base
    // was decided, never because a slow machine ran the clock out.
    let deduper = Deduper::new(store.clone()).with_decision_wait(Duration::from_secs(120));
    let deciding = tokio::spawn(async move { deduper.decide(&copy, "copy", 5).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !deciding.is_finished(),
        "the copy must wait for the pending base"
    );
    newsflow_deduper::testing::seed(
        &store,
        &base,
        "base",
        9,
        State::Unique { revision_of: None },
    )
    .await
    .unwrap();
    let d = tokio::time::timeout(Duration::from_secs(5), deciding)
        .await
        .expect("the copy decides once the base is decided")
        .unwrap();
    let r = expect_duplicate("copy of a later arrival", &d);
    assert_eq!(r.duplicate_of, base.article_id);
}

/// A first sighting goes to `news.unique` as the bytes that came (fields this build doesn't
/// know included); a new edition is written out again, with `revision_of` set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unique_passes_byte_for_byte_and_an_edition_gains_revision_of() {
    let nats = NatsServer::start();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let _d = DeduperProcess::start(&nats, dir.path().join("d.log"));
    assert!(
        wait_until(LONG, || futures::executor::block_on(async {
            js.get_stream("NEWS_CLEAN").await.is_ok()
        })),
        "streams declared"
    );
    let base = corpus_text("zh_a05.txt");
    let first = clean("bulletin-may.txt", base.clone());
    let edition = clean("bulletin-june.txt", next_edition(&base));
    // A record from a newer cleaner, with a field this build has never heard of.
    let mut record = serde_json::to_value(&first).unwrap();
    record["x_added_later"] = serde_json::json!({"kept": true});
    let sent = serde_json::to_vec(&record).unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(HDR_SOURCE_PATH, "bulletin-may.txt");
    js.publish_with_headers(CLEAN, headers, sent.clone().into())
        .await
        .unwrap()
        .await
        .unwrap();
    wait_for_counts(&js, 1, 0).await;
    publish_clean(&js, &edition).await;
    wait_for_counts(&js, 2, 0).await;

    let uniques = newsflow_e2e::stream_messages(&js, STREAM_UNIQUE).await;
    assert!(
        uniques[0].payload[..] == sent[..],
        "the first sighting was not forwarded as sent: {} bytes out, {} in, unknown field kept: {}",
        uniques[0].payload.len(),
        sent.len(),
        String::from_utf8_lossy(&uniques[0].payload).contains("x_added_later")
    );
    let second: CleanArticle = serde_json::from_slice(&uniques[1].payload).unwrap();
    assert_eq!(second.article_id, edition.article_id);
    assert_eq!(second.revision_of.as_ref(), Some(&first.article_id));
}
