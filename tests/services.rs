//! The service binaries (`newsflow-cleaner`, `newsflow-extractor`) as processes against a real
//! nats-server: bad configuration exits 2 with one line naming the setting; NATS down at start
//! is retried (and logged) until the server comes up; SIGTERM mid-work exits 0 and loses
//! nothing; SIGKILL between publishing outputs and acking inputs gives neither loss nor
//! duplicates; the extractor publishes events with `Nats-Msg-Id` = `event_id`.
//!
//! Needs `cargo build --workspace` first (make test does).

#[path = "rt_util.rs"]
mod rt_util;

use newsflow_e2e::{free_port, workspace_bin, NatsServer};
use newsflow_shared::jetstream::{CLEANER, EXTRACTOR};
use newsflow_shared::records::{CleanArticle, IndicatorEvent, Lang, Script, Source};
use newsflow_shared::subjects::*;
use rt_util::*;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Start a service binary with `env`, stderr to `log`.
fn spawn_service(name: &str, url: &str, metrics: &str, log: &Path, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(workspace_bin(name));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NATS_URL", url)
        .env("NEWSFLOW_METRICS_ADDR", metrics)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn service")
}

fn metrics_addr() -> String {
    format!("127.0.0.1:{}", free_port())
}

#[test]
fn bad_configuration_exits_2_with_one_line_naming_the_setting() {
    let cases: &[(&str, &str, &str)] = &[
        ("NEWSFLOW_REPLICAS", "0", "1 to 5"),
        ("NEWSFLOW_REPLICAS", "many", "1 to 5"),
        ("NEWSFLOW_MAX_DELIVER", "0", "1 to"),
        ("NEWSFLOW_CONCURRENCY", "-3", "1 to"),
        ("NEWSFLOW_METRICS_ADDR", "localhost", "HOST:PORT"),
        ("NEWSFLOW_LOG_FORMAT", "xml", "xml"),
        ("NATS_URL", "nats://a b", "NATS URL"),
    ];
    for bin in ["newsflow-cleaner", "newsflow-extractor"] {
        for (var, value, why) in cases {
            let out = Command::new(workspace_bin(bin))
                .env_clear()
                .env(var, value)
                .output()
                .expect("run service");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{bin} {var}={value}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{bin} {var}={value}: {stderr}"
            );
            assert!(stderr.contains(var), "{bin} {var}={value}: {stderr}");
            assert!(stderr.contains(why), "{bin} {var}={value}: {stderr}");
        }
    }
    // --help lists flag, env var and default, and exits 0.
    let out = Command::new(workspace_bin("newsflow-cleaner"))
        .arg("--help")
        .env_clear()
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for s in [
        "--nats-url",
        "NATS_URL",
        "nats://127.0.0.1:4222",
        "127.0.0.1:9102",
        "NEWSFLOW_MAX_DELIVER",
    ] {
        assert!(help.contains(s), "--help lacks {s}:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_down_at_start_is_retried_until_the_server_comes_up_and_health_answers_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cleaner.log");
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let maddr = metrics_addr();
    let mut child = spawn_service("newsflow-cleaner", &url, &maddr, &log, &[]);

    // It says it is waiting, more than once, and does not exit.
    let retried = eventually(Duration::from_secs(30), || async {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("not reachable")
            .count()
            >= 3
    })
    .await;
    assert!(
        retried,
        "no retry lines:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "service exited while NATS was down"
    );
    // Meanwhile it answers: alive, not ready, and says why.
    assert!(matches!(http_get(&maddr, "/healthz"), Some((200, _))));
    match http_get(&maddr, "/readyz") {
        Some((503, body)) => assert!(body.contains("not connected to NATS"), "{body}"),
        other => panic!("/readyz while NATS is down: {other:?}"),
    }
    assert!(matches!(http_get(&maddr, "/metrics"), Some((200, _))));

    let server = NatsServer::start_on_port(port);
    let ready = eventually(Duration::from_secs(60), || async {
        matches!(http_get(&maddr, "/readyz"), Some((200, _)))
    })
    .await;
    assert!(
        ready,
        "never ready:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(matches!(http_get(&maddr, "/healthz"), Some((200, _))));

    let (_c, js) = connect(&server.url()).await;
    publish_raw(&js, "late.txt", "迟到的文章。".as_bytes()).await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_CLEAN).await == 1
        })
        .await
    );
    let (code, metrics) = http_get(&maddr, "/metrics").unwrap();
    assert_eq!(code, 200);
    assert!(
        metrics.contains("newsflow_stage_messages_total"),
        "{metrics}"
    );

    signal(&child, 15);
    let st = wait_exit(&mut child, Duration::from_secs(30)).expect("exit after SIGTERM");
    assert_eq!(st.code(), Some(0));
}

/// Publish `n` distinct raw articles.
async fn publish_many(js: &async_nats::jetstream::Context, n: usize) {
    for i in 0..n {
        publish_raw(
            js,
            &format!("doc{i}.txt"),
            format!("第{i}篇文章的正文。").as_bytes(),
        )
        .await;
    }
}

async fn assert_exactly_n_clean(js: &async_nats::jetstream::Context, n: usize) {
    let msgs = messages(js, STREAM_CLEAN).await;
    let paths: HashSet<_> = msgs
        .iter()
        .filter_map(|m| header(m, HDR_SOURCE_PATH))
        .collect();
    assert_eq!(
        msgs.len(),
        n,
        "news.clean holds {} messages, want {n}",
        msgs.len()
    );
    assert_eq!(paths.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleaner_sigterm_mid_work_exits_0_and_nothing_is_lost() {
    const N: usize = 400;
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    publish_many(&js, N).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cleaner.log");
    let mut child = spawn_service(
        "newsflow-cleaner",
        &server.url(),
        &metrics_addr(),
        &log,
        &[("NEWSFLOW_CONCURRENCY", "2")],
    );
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&js, STREAM_CLEAN).await >= 10
        })
        .await
    );
    signal(&child, 15);
    let st = wait_exit(&mut child, Duration::from_secs(60)).expect("exit after SIGTERM");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(st.code(), Some(0), "{text}");
    assert!(text.contains("SIGTERM"), "{text}");

    let mut child = spawn_service(
        "newsflow-cleaner",
        &server.url(),
        &metrics_addr(),
        &log,
        &[],
    );
    assert!(
        eventually(Duration::from_secs(120), || async {
            count(&js, STREAM_CLEAN).await as usize >= N && consumer_idle(&js, &CLEANER).await
        })
        .await
    );
    assert_exactly_n_clean(&js, N).await;
    signal(&child, 15);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(30)).and_then(|s| s.code()),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleaner_sigkill_mid_work_then_restart_no_loss_no_duplicate() {
    const N: usize = 400;
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    publish_many(&js, N).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cleaner.log");
    let mut child = spawn_service(
        "newsflow-cleaner",
        &server.url(),
        &metrics_addr(),
        &log,
        &[],
    );
    assert!(
        eventually(Duration::from_secs(60), || async {
            count(&js, STREAM_CLEAN).await >= 10
        })
        .await
    );
    signal(&child, 9);
    wait_exit(&mut child, Duration::from_secs(10)).expect("killed");

    // Messages whose outputs were published but whose ack died with the process come back
    // after ack_wait; their outputs are dropped by Nats-Msg-Id.
    let mut child = spawn_service(
        "newsflow-cleaner",
        &server.url(),
        &metrics_addr(),
        &log,
        &[],
    );
    assert!(
        eventually(Duration::from_secs(180), || async {
            count(&js, STREAM_CLEAN).await as usize >= N && consumer_idle(&js, &CLEANER).await
        })
        .await,
        "{} of {N}",
        count(&js, STREAM_CLEAN).await
    );
    assert_exactly_n_clean(&js, N).await;
    signal(&child, 15);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(30)).and_then(|s| s.code()),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractor_publishes_events_keyed_by_event_id_and_observes_latency() {
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &EXTRACTOR, 5).await;
    let text = "2023年，全市实现地区生产总值1234.5亿元，同比增长6.1%。城镇居民人均可支配收入45678元，增长5.2%。";
    let article = CleanArticle::new(
        Source {
            path: Some("gdp.txt".into()),
            ..Source::default()
        },
        Lang::Zh,
        Script::Hans,
        text.to_string(),
    );
    let mut h = async_nats::HeaderMap::new();
    h.insert(HDR_MSG_ID, article.article_id.as_str());
    h.insert(HDR_SOURCE_PATH, "gdp.txt");
    h.insert(
        HDR_RECEIVED_AT,
        newsflow_shared::clock::now_rfc3339().as_str(),
    );
    js.publish_with_headers(UNIQUE, h, serde_json::to_vec(&article).unwrap().into())
        .await
        .unwrap()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("extractor.log");
    let maddr = metrics_addr();
    let mut child = spawn_service("newsflow-extractor", &server.url(), &maddr, &log, &[]);
    assert!(
        eventually(Duration::from_secs(60), || consumer_idle(&js, &EXTRACTOR)).await,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let events = messages(&js, STREAM_INDICATORS).await;
    for m in &events {
        let ev: IndicatorEvent = serde_json::from_slice(&m.payload).expect("indicator event");
        assert_eq!(header(m, HDR_MSG_ID).as_deref(), Some(ev.event_id.as_str()));
        assert_eq!(m.subject.as_str(), format!("indicators.{}", ev.indicator));
        assert_eq!(header(m, HDR_SOURCE_PATH).as_deref(), Some("gdp.txt"));
    }
    let (_, metrics) = http_get(&maddr, "/metrics").unwrap();
    assert!(
        metrics.contains("newsflow_end_to_end_seconds_count 1"),
        "{metrics}"
    );
    if events.is_empty() {
        assert!(
            metrics.contains("newsflow_articles_without_events_total 1"),
            "{metrics}"
        );
    } else {
        assert!(
            metrics.contains("newsflow_indicator_events_total{"),
            "{metrics}"
        );
    }
    signal(&child, 15);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(30)).and_then(|s| s.code()),
        Some(0)
    );
}

/// Throughput of one `newsflow-cleaner` process on the seed articles (not a pass/fail test:
/// prints messages per second). Run in release:
/// `NEWSFLOW_CORPUS=… cargo test --release -p newsflow-e2e --test services -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run explicitly"]
async fn measure_cleaner_throughput() {
    const N: usize = 5000;
    let seeds: Vec<Vec<u8>> = {
        let mut paths: Vec<_> = std::fs::read_dir(newsflow_e2e::corpus_dir().join("seeds"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let server = NatsServer::start();
    let (_c, js) = connect(&server.url()).await;
    setup(&js, &CLEANER, 5).await;
    let mut acks = Vec::with_capacity(N);
    for i in 0..N {
        let mut body = seeds[i % seeds.len()].clone();
        body.extend_from_slice(format!("\n\n（第{i}份）").as_bytes());
        let mut h = async_nats::HeaderMap::new();
        h.insert(
            HDR_MSG_ID,
            newsflow_shared::records::sha256_hex(&body).as_str(),
        );
        h.insert(HDR_SOURCE_PATH, format!("seed{i}.txt").as_str());
        let ack = js.publish_with_headers(RAW, h, body.into()).await.unwrap();
        acks.push(std::future::IntoFuture::into_future(ack));
        if acks.len() >= 256 {
            for a in acks.drain(..) {
                a.await.unwrap();
            }
        }
    }
    for a in acks.drain(..) {
        a.await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cleaner.log");
    let started = std::time::Instant::now();
    let mut child = spawn_service(
        "newsflow-cleaner",
        &server.url(),
        &metrics_addr(),
        &log,
        &[],
    );
    assert!(
        eventually(Duration::from_secs(600), || async {
            count(&js, STREAM_CLEAN).await + count(&js, STREAM_REJECTED).await >= N as u64
                && consumer_idle(&js, &CLEANER).await
        })
        .await
    );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "cleaner: {N} seed-sized messages in {secs:.1} s (incl. start-up) = {:.0} msg/s; clean={} rejected={}",
        N as f64 / secs,
        count(&js, STREAM_CLEAN).await,
        count(&js, STREAM_REJECTED).await
    );
    signal(&child, 15);
    wait_exit(&mut child, Duration::from_secs(30));
}
