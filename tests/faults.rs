//! The promises of SPEC §1 under faults, with the four real service binaries against a real
//! nats-server on loopback (issue 6):
//!
//! * a stage SIGKILLed mid-stream and restarted (each of the four in turn), and nats-server
//!   restarted mid-stream: the set of indicator event ids equals that of an undisturbed run and
//!   every id is on `indicators.>` exactly once;
//! * the extractor observes `newsflow_end_to_end_seconds` from the watcher's header after the
//!   whole pipeline ran (services.rs checks it for one message published straight to the
//!   extractor);
//! * a poison message is dead-lettered with stage/error/attempts after `max_deliver` while the
//!   messages behind it flow, `newsflow dlq list` shows it, and `dlq replay` after the fix
//!   sends it through;
//! * bad input through the real watcher and cleaner is rejected with a reason or ignored,
//!   nothing crashes, nothing valid is lost.
//!
//! Input: the five seeds, the dev articles and generated copies (HTML re-posts, Traditional
//! copies, template editions with other figures and regions). Copies whose survivor would depend
//! on arrival order (a near duplicate with a different article id) are left out, so that "the
//! same set of event ids" is a property of the pipeline, not of scheduling luck.
//!
//! Needs `cargo build --workspace` first (make test does). No timing assertions: timeouts only
//! bound hangs. A SIGKILLed consuming stage leaves its in-flight messages unacknowledged until
//! the consumer's `ack_wait` (30 s) passes, so each kill test takes at least that long.

#[path = "fault_runs.rs"]
mod fault_runs;

use fault_runs::*;
use newsflow_e2e::pipeline::{
    self, names_in, read_stream, sample, stream_count, Pipeline, StoredMessage,
};
use newsflow_e2e::{wait_until, workspace_bin, NatsServer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// SIGKILL `service` mid-stream, drop the rest of the files while it is down, start it again.
fn kill_service_mid_stream(service: &'static str) {
    let nats = NatsServer::start();
    let what = format!("{service} SIGKILLed and restarted");
    let got = run_with(&nats.url(), 1, &[], &what, |p, phase| match phase {
        Phase::Break => {
            wait_progress(p, service);
            p.kill(service, 0);
        }
        Phase::Mend => {
            std::thread::sleep(std::time::Duration::from_millis(500));
            p.restart(service, 0);
        }
    });
    assert_same_events_exactly_once(&what, &got);
}

#[test]
fn watcher_killed_mid_stream_then_restarted_same_events_once() {
    kill_service_mid_stream("watcher");
}

#[test]
fn cleaner_killed_mid_stream_then_restarted_same_events_once() {
    kill_service_mid_stream("cleaner");
}

#[test]
fn deduper_killed_mid_stream_then_restarted_same_events_once() {
    kill_service_mid_stream("deduper");
}

#[test]
fn extractor_killed_mid_stream_then_restarted_same_events_once() {
    kill_service_mid_stream("extractor");
}

#[test]
fn nats_server_restarted_mid_stream_services_reconnect_and_lose_nothing() {
    let mut nats = NatsServer::start();
    let url = nats.url();
    let what = "nats-server SIGKILLed and restarted";
    let got = run_with(&url, 1, &[], what, |p, phase| match phase {
        Phase::Break => {
            wait_progress(p, "cleaner");
            nats.kill();
        }
        Phase::Mend => {
            std::thread::sleep(std::time::Duration::from_secs(2));
            nats.restart();
        }
    });
    assert_same_events_exactly_once(what, &got);
}

/// The watcher's `Newsflow-Received-At` travels through cleaner and deduper: the extractor
/// observes one end-to-end latency per article it handled.
#[test]
fn end_to_end_latency_is_observed_for_every_article_after_the_whole_pipeline() {
    let b = baseline();
    assert!(b.extractor_acked >= 30.0, "{}", b.extractor_metrics);
    // One observation per article handled (a redelivery would observe it again, never less).
    let observed = sample(&b.extractor_metrics, "newsflow_end_to_end_seconds_count").unwrap_or(0.0);
    assert!(observed >= b.extractor_acked, "{}", b.extractor_metrics);
    let sum = sample(&b.extractor_metrics, "newsflow_end_to_end_seconds_sum").unwrap_or(-1.0);
    assert!(sum > 0.0, "{}", b.extractor_metrics);
}

fn newsflow_cli(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(workspace_bin("newsflow"))
        .args(args)
        .env_clear()
        .env("NATS_URL", url)
        .output()
        .expect("run newsflow")
}

/// A raw message whose payload lives in the object store under a name that is not there: the
/// cleaner cannot fetch it, every time. It must be dead-lettered after `max_deliver` while the
/// files behind it flow; after the fix (the object stored) `newsflow dlq replay` sends it through.
#[test]
fn poison_is_dead_lettered_after_max_deliver_while_the_rest_flows_then_replayed() {
    let nats = NatsServer::start();
    let mut p = Pipeline::start(&nats.url(), &[("NEWSFLOW_MAX_DELIVER", "3")]);
    assert!(p.wait_ready(LONG), "services not ready:\n{}", p.logs());
    let article = corpus()
        .iter()
        .find(|(n, _)| n.starts_with("zh_"))
        .expect("a zh article")
        .1
        .clone();
    let object = newsflow_shared::records::sha256_hex(&article);
    pipeline::block_on(async {
        let js = pipeline::connect(p.nats_url()).await.expect("connect");
        // The bucket exists (as after any big file); the object in it does not.
        newsflow_shared::bigpayload::bucket(&js, 1)
            .await
            .expect("payload bucket");
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", object.as_str());
        h.insert("Newsflow-Source-Path", "poison.txt");
        h.insert(
            "Newsflow-Received-At",
            newsflow_shared::clock::now_rfc3339().as_str(),
        );
        h.insert("Newsflow-Payload-Ref", object.as_str());
        js.publish_with_headers("news.raw", h, "{}".into())
            .await
            .expect("publish poison")
            .await
            .expect("PubAck");
    });
    // Behind it: the seeds.
    let seeds: Vec<&InputFile> = corpus()
        .iter()
        .filter(|(n, _)| n.starts_with("seed_"))
        .collect();
    for (name, bytes) in &seeds {
        p.drop_file(name, bytes);
    }
    assert!(
        p.wait_quiet(&[], SETTLE, LONG),
        "did not settle:\n{}",
        p.logs()
    );
    let dead = read_stream(p.nats_url(), "NEWS_DEAD");
    assert_eq!(dead.len(), 1, "{dead:?}\n{}", p.logs());
    let letter = &dead[0];
    assert_eq!(letter.header("Newsflow-Stage"), Some("cleaner"));
    assert_eq!(letter.header("Newsflow-Attempts"), Some("3"));
    assert_eq!(letter.header("Newsflow-Source-Path"), Some("poison.txt"));
    assert!(
        letter
            .header("Newsflow-Error")
            .is_some_and(|e| e.contains(&object)),
        "{letter:?}"
    );
    let clean_paths = source_paths(&read_stream(p.nats_url(), "NEWS_CLEAN"));
    for (name, _) in &seeds {
        assert!(clean_paths.contains(name.as_str()), "{name} did not flow");
    }

    let out = newsflow_cli(p.nats_url(), &["dlq", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        listed.contains("poison.txt") && listed.contains("\"cleaner\""),
        "{listed}"
    );

    // The fix: the payload is stored. Replay sends the letter back to the cleaner.
    pipeline::block_on(async {
        let js = pipeline::connect(p.nats_url()).await.expect("connect");
        newsflow_shared::bigpayload::put(&js, 1, &article)
            .await
            .expect("store the payload");
    });
    let out = newsflow_cli(p.nats_url(), &["dlq", "replay", "--all"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        wait_until(LONG, || source_paths(&read_stream(
            p.nats_url(),
            "NEWS_CLEAN"
        ))
        .contains("poison.txt")),
        "the replayed letter did not get through the cleaner:\n{}",
        p.logs()
    );
    assert_eq!(stream_count(p.nats_url(), "NEWS_DEAD"), 0);
    assert_eq!(p.not_running(), Vec::<String>::new());
}

fn source_paths(messages: &[StoredMessage]) -> BTreeSet<String> {
    messages
        .iter()
        .filter_map(|m| m.header("Newsflow-Source-Path").map(str::to_string))
        .collect()
}

/// Rejection records on news.rejected: source path → (stage, reason).
fn rejections(url: &str) -> BTreeMap<String, (String, String)> {
    read_stream(url, "NEWS_REJECTED")
        .iter()
        .map(|m| {
            let v = m.json();
            assert_eq!(v["schema"], "newsflow.rejected.v1", "{v}");
            (
                v["source"]["path"].as_str().unwrap_or_default().to_string(),
                (
                    v["stage"].as_str().unwrap_or_default().to_string(),
                    v["reason"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

/// Whether this process can read a file whose mode is 000 (root, or CAP_DAC_OVERRIDE).
fn permissions_are_bypassed(path: &Path) -> bool {
    std::fs::File::open(path).is_ok()
}

#[test]
fn bad_input_is_rejected_with_a_reason_or_ignored_and_nothing_valid_is_lost() {
    let nats = NatsServer::start();
    let mut p = Pipeline::start(&nats.url(), &[]);
    assert!(p.wait_ready(LONG), "services not ready:\n{}", p.logs());
    let inbox = p.inbox();
    let seed = |i: usize| -> &'static InputFile {
        corpus()
            .iter()
            .filter(|(n, _)| n.starts_with("seed_"))
            .nth(i)
            .expect("five seeds")
    };
    let zh_text = String::from_utf8(seed(1).1.clone()).expect("UTF-8 seed");

    // Watcher-level refusals.
    p.drop_file("empty.txt", b"");
    let mut binary = b"\x7fELF\x02\x01\x01\0".to_vec();
    binary.extend((0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    p.drop_file("binary.txt", &binary);
    std::os::unix::fs::symlink("/etc/passwd", inbox.join("passwd.txt")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(inbox.join("pipe.txt"))
        .status()
        .unwrap()
        .success());
    std::fs::create_dir(inbox.join("folder.txt")).unwrap();
    std::fs::write(inbox.join("folder.txt/inside.txt"), "not watched").unwrap();

    // Content the cleaner must judge.
    let bytes = zh_text.as_bytes();
    let mut cut = bytes.len() / 2;
    while std::str::from_utf8(&bytes[..cut]).is_ok() {
        cut += 1; // stop inside a multi-byte character
    }
    p.drop_file("truncated.txt", &bytes[..cut]);
    let chrome = "<div class=\"nav\"><a href=\"/\">首页</a> | <a href=\"/news/\">新闻中心</a> | \
                  <a href=\"/gov/\">政务公开</a></div>\n<div class=\"footer\">新闻热线:029-88888888 \
                  版权所有 © 新闻网 稿件请投 news@example.cn</div>\n";
    let mut page = String::from("<html><head><title>首页</title></head><body>\n");
    while page.len() < 3 * 1024 * 1024 {
        page.push_str(chrome);
    }
    page.push_str("</body></html>");
    p.drop_file("chrome.html", page.as_bytes());
    p.drop_file(
        "malformed.json",
        r#"{"title": "GDP", "body": "2023年全市生产总值"#.as_bytes(),
    );
    p.drop_file(
        "nobody.json",
        "{\"title\": \"只有标题\", \"date\": \"2024-01-02\"}".as_bytes(),
    );
    let good_line = serde_json::json!({"title": "统计公报", "body": zh_text}).to_string();
    p.drop_file(
        "batch.jsonl",
        format!("{{\"title\": \"只有标题\"}}\n{good_line}\n").as_bytes(),
    );

    // A file without read permission. Root (as these tests usually run) reads it anyway, so
    // then all that can be checked is that it is taken like any other file.
    let locked_tmp = p.dir().join("locked.txt");
    std::fs::write(&locked_tmp, &seed(2).1).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked_tmp, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bypassed = permissions_are_bypassed(&locked_tmp);
    std::fs::rename(&locked_tmp, inbox.join("locked.txt")).unwrap();

    // Files that vanish between the inotify event and the read.
    for i in 0..20 {
        let name = format!("vanish-{i}.txt");
        p.drop_file(&name, format!("短暂存在的文件 {i}").as_bytes());
        let _ = std::fs::remove_file(inbox.join(&name));
    }

    // Valid files dropped after all that.
    p.drop_file("valid-a.txt", &seed(0).1);
    p.drop_file("valid-b.txt", &seed(3).1);

    assert!(
        p.wait_quiet(&["folder.txt"], SETTLE, LONG),
        "did not settle; inbox {:?}:\n{}",
        p.inbox_backlog(),
        p.logs()
    );
    assert_eq!(
        p.not_running(),
        Vec::<String>::new(),
        "a service died:\n{}",
        p.logs()
    );

    let url = p.nats_url();
    let rejected = rejections(url);
    let clean = source_paths(&read_stream(url, "NEWS_CLEAN"));
    let raw = read_stream(url, "NEWS_RAW");
    let log = p.logs();

    // Refused by the watcher: moved to rejected/ beside a reason, and recorded.
    for name in ["empty.txt", "binary.txt", "passwd.txt", "pipe.txt"] {
        let (stage, reason) = rejected
            .get(name)
            .unwrap_or_else(|| panic!("no rejection record for {name}: {rejected:?}\n{log}"));
        assert_eq!(stage, "watcher", "{name}");
        assert!(!reason.is_empty(), "{name}");
        let reason_file = p.rejected().join(format!("{name}.reason.txt"));
        let text = std::fs::read_to_string(&reason_file)
            .unwrap_or_else(|e| panic!("{}: {e}", reason_file.display()));
        assert!(!text.trim().is_empty(), "{name}");
        assert!(p.rejected().join(name).symlink_metadata().is_ok(), "{name}");
    }
    // /etc/passwd was never read into the pipeline.
    assert!(
        raw.iter()
            .all(|m| !String::from_utf8_lossy(&m.payload).contains("root:x:0:0")),
        "a symlink's target was published"
    );

    // Judged by the cleaner: each either cleaned or rejected with a reason, none lost.
    for name in [
        "truncated.txt",
        "chrome.html",
        "malformed.json",
        "nobody.json",
    ] {
        assert!(
            clean.contains(name) || rejected.get(name).is_some_and(|(_, r)| !r.is_empty()),
            "{name} neither cleaned nor rejected: {rejected:?}\n{log}"
        );
    }
    for name in [
        "chrome.html",
        "malformed.json",
        "nobody.json",
        "batch.jsonl#1",
    ] {
        assert!(
            rejected.contains_key(name) && !clean.contains(name),
            "{name} must be rejected: {rejected:?}"
        );
    }
    // The valid content around the bad input got through.
    for name in ["batch.jsonl#2", "valid-a.txt", "valid-b.txt"] {
        assert!(clean.contains(name), "{name} lost: clean={clean:?}\n{log}");
    }
    if bypassed {
        // Running as root: mode 000 does not stop the read; the file is a normal article.
        assert!(clean.contains("locked.txt"), "locked.txt: {clean:?}");
        eprintln!(
            "running with permission bypass (root): mode 000 could not be tested as unreadable"
        );
    } else {
        assert_eq!(
            rejected.get("locked.txt").map(|(s, _)| s.as_str()),
            Some("watcher"),
            "{rejected:?}"
        );
    }
    // Vanished files: skipped, never rejected as errors, nothing left behind.
    for i in 0..20 {
        let name = format!("vanish-{i}.txt");
        assert!(!rejected.contains_key(&name), "{name}: {rejected:?}");
    }
    // The directory is ignored: still in the inbox with its content, not moved anywhere.
    assert!(inbox.join("folder.txt/inside.txt").exists());
    assert!(!names_in(&p.rejected())
        .iter()
        .any(|n| n.starts_with("folder")));
    assert!(!names_in(&p.done()).iter().any(|n| n.starts_with("folder")));
}
