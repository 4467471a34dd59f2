//! The operator CLI's NATS commands against a real server: `dlq list` shows a poison message
//! with its stage, error and attempts; `dlq replay` sends it back to its stage's input and
//! removes it from news.dead; `status` and `tail` report what is there.
//!
//! Needs `cargo build --workspace` first (make test does).

#[path = "rt_util.rs"]
mod rt_util;

use newsflow_e2e::{workspace_bin, NatsServer};
use newsflow_shared::jetstream::CLEANER;
use newsflow_shared::runner::{self, Input, Output, RunnerConfig, StageError, Transform};
use newsflow_shared::subjects::*;
use rt_util::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Fails transiently while `broken` is set (a bug), passes the payload through otherwise.
struct Flaky {
    broken: Arc<AtomicBool>,
}

impl Transform for Flaky {
    async fn process(&self, input: Input) -> Result<Vec<Output>, StageError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StageError::Transient(anyhow::anyhow!("downstream bug")));
        }
        Ok(vec![Output::new(CLEAN, input.payload)])
    }
}

async fn newsflow(url: &str, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(workspace_bin("newsflow"))
        .args(args)
        .env_clear()
        .env("NATS_URL", url)
        .output()
        .await
        .expect("run newsflow")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlq_list_and_replay_status_and_tail() {
    let server = NatsServer::start();
    let url = server.url();
    let (_c, js) = connect(&url).await;
    setup(&js, &CLEANER, 2).await;
    let broken = Arc::new(AtomicBool::new(true));
    let (stop, rx) = watch::channel(false);
    let handle = tokio::spawn(runner::run(
        js.clone(),
        RunnerConfig {
            stage: CLEANER,
            max_deliver: 2,
            concurrency: 4,
        },
        Arc::new(Flaky {
            broken: broken.clone(),
        }),
        rx,
    ));

    publish_raw(&js, "one.txt", b"first story").await;
    publish_raw(&js, "two.txt", b"second story").await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            count(&js, STREAM_DEAD).await == 2
        })
        .await
    );
    assert!(eventually(Duration::from_secs(20), || consumer_idle(&js, &CLEANER)).await);

    // list
    let out = newsflow(&url, &["dlq", "list"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    // The two letters die concurrently (4 in flight): which is first in news.dead varies.
    let mut paths: Vec<&str> = lines
        .iter()
        .map(|l| l["source_path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, ["one.txt", "two.txt"]);
    let one = lines
        .iter()
        .find(|l| l["source_path"] == "one.txt")
        .unwrap();
    for letter in &lines {
        assert_eq!(letter["stage"], "cleaner");
        assert_eq!(letter["attempts"], 2);
        assert!(letter["error"].as_str().unwrap().contains("downstream bug"));
    }
    let first_seq = one["seq"].as_u64().unwrap();

    // status sees the dead letters
    let out = newsflow(&url, &["status", "--json"]).await;
    assert!(out.status.success());
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["dead_letters"], 2);
    assert_eq!(st["consumers"][0]["stage"], "cleaner");
    assert_eq!(st["consumers"][0]["present"], true);
    let out = newsflow(&url, &["status"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("dead letters: 2"));

    // bug fixed: replay one, then all
    broken.store(false, Ordering::SeqCst);
    let out = newsflow(&url, &["dlq", "replay", "--seq", &first_seq.to_string()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        eventually(Duration::from_secs(20), || async {
            count(&js, STREAM_CLEAN).await == 1
        })
        .await
    );
    assert_eq!(count(&js, STREAM_DEAD).await, 1);
    let out = newsflow(&url, &["dlq", "replay", "--all"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        eventually(Duration::from_secs(20), || async {
            count(&js, STREAM_CLEAN).await == 2
        })
        .await
    );
    assert_eq!(count(&js, STREAM_DEAD).await, 0);
    let clean = messages(&js, STREAM_CLEAN).await;
    assert_eq!(
        header(&clean[0], HDR_SOURCE_PATH).as_deref(),
        Some("one.txt")
    );

    // a letter that is not there
    let out = newsflow(&url, &["dlq", "replay", "--seq", "9999"]).await;
    assert!(!out.status.success());

    // tail from the start, two messages, JSON lines
    let out = newsflow(
        &url,
        &["tail", "--subject", CLEAN, "--from-start", "--count", "2"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let tails: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tails.len(), 2);
    assert_eq!(tails[0]["subject"], CLEAN);
    assert_eq!(tails[0]["payload"], "first story");

    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_without_a_server_fails_instead_of_waiting_forever() {
    let url = format!("nats://127.0.0.1:{}", newsflow_e2e::free_port());
    let out = newsflow(&url, &["status"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not reachable after 3 attempts"),
        "{stderr}"
    );
}
