//! The real `newsflow-watcher` binary against a real nats-server (issue 2, watcher tests 1–8):
//! files dropped into a temporary inbox must reach `news.raw` exactly once, with the right
//! headers, and end in done/ or rejected/ as SPEC §2 says. Downstream is simulated by a pull
//! consumer reading the streams from the start.

use async_nats::jetstream;
use newsflow_e2e::{corpus_dir, free_port, wait_until, workspace_bin, NatsServer};
use std::collections::BTreeSet;
use std::io::Read;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

const RAW_STREAM: &str = "NEWS_RAW";
const REJECTED_STREAM: &str = "NEWS_REJECTED";
/// Generous: the machine is shared; these bound a hang, they are not performance assertions.
const LONG: Duration = Duration::from_secs(120);

/// One test's directories: `inbox/`, `done/`, `rejected/` side by side, as by default.
struct Dirs {
    root: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Self {
        let d = Dirs {
            root: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(d.inbox()).unwrap();
        d
    }
    fn inbox(&self) -> PathBuf {
        self.root.path().join("inbox")
    }
    fn done(&self) -> PathBuf {
        self.root.path().join("done")
    }
    fn rejected(&self) -> PathBuf {
        self.root.path().join("rejected")
    }
    fn log(&self, n: usize) -> PathBuf {
        self.root.path().join(format!("watcher-{n}.log"))
    }
}

/// Names in `dir` (none if it does not exist), sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A running watcher process; killed if the test drops it still running.
struct Watcher {
    child: Child,
    log: PathBuf,
}

impl Watcher {
    fn start(nats: &NatsServer, dirs: &Dirs, run: usize, env: &[(&str, &str)]) -> Watcher {
        let log = dirs.log(run);
        let log_file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(workspace_bin("newsflow-watcher"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NATS_URL", nats.url())
            .env("NEWSFLOW_INBOX", dirs.inbox())
            .env("NEWSFLOW_METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn newsflow-watcher");
        Watcher { child, log }
    }

    /// Wait until the watcher says it is watching the inbox (NATS connected, streams declared).
    fn ready(self) -> Watcher {
        assert!(
            wait_until(LONG, || self.log_text().contains("watching the inbox")),
            "watcher not ready; log:\n{}",
            self.log_text()
        );
        self
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill {sig} failed");
    }

    /// Wait for the process to exit on its own.
    fn wait_exit(&mut self) -> ExitStatus {
        let mut status = None;
        let exited = wait_until(LONG, || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        assert!(exited, "watcher did not exit; log:\n{}", self.log_text());
        status.expect("exit status")
    }

    /// SIGTERM and expect a clean exit (status 0).
    fn stop(mut self) {
        self.signal("-TERM");
        let status = self.wait_exit();
        assert!(
            status.success(),
            "watcher exited with {status}; log:\n{}",
            self.log_text()
        );
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message as downstream sees it.
#[derive(Debug, Clone)]
struct Seen {
    msg_id: String,
    source_path: String,
    received_at: String,
    payload: Vec<u8>,
}

/// Read everything in `stream` from the start with a fresh pull consumer (empty if the stream
/// does not exist yet).
fn read_stream(rt: &tokio::runtime::Runtime, url: &str, stream: &str) -> Vec<Seen> {
    rt.block_on(async {
        let client = async_nats::connect(url).await.expect("connect");
        let js = jetstream::new(client);
        newsflow_e2e::stream_messages(&js, stream)
            .await
            .into_iter()
            .map(|m| {
                let h = m.headers.clone().unwrap_or_default();
                let get = |k: &str| h.get(k).map(|v| v.as_str().to_string()).unwrap_or_default();
                Seen {
                    msg_id: get("Nats-Msg-Id"),
                    source_path: get("Newsflow-Source-Path"),
                    received_at: get("Newsflow-Received-At"),
                    payload: m.payload.to_vec(),
                }
            })
            .collect()
    })
}

/// How many messages `stream` holds, and its last sequence number (0, 0 if absent).
fn stream_counts(rt: &tokio::runtime::Runtime, url: &str, stream: &str) -> (u64, u64) {
    rt.block_on(async {
        let client = async_nats::connect(url).await.expect("connect");
        let js = jetstream::new(client);
        match js.get_stream(stream).await {
            Ok(mut s) => {
                let st = s.info().await.expect("stream info").state.clone();
                (st.messages, st.last_sequence)
            }
            Err(_) => (0, 0),
        }
    })
}

/// `GET /metrics` from a watcher started with `NEWSFLOW_METRICS_ADDR=127.0.0.1:port`.
fn scrape_metrics(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics port");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

/// The value of the metric line that starts with `series` (name and labels).
fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn seed_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("seeds"))
        .expect("seed corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    assert_eq!(v.len(), 5, "five seed articles expected");
    v
}

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s.ends_with('Z')
}

/// Test 1: the five seeds give exactly five messages with the right headers, and end in done/.
#[test]
fn seeds_give_five_raw_messages_with_headers_and_end_in_done() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let w = Watcher::start(&nats, &dirs, 1, &[]);
    let seeds = seed_files();
    for s in &seeds {
        std::fs::copy(s, dirs.inbox().join(s.file_name().unwrap())).unwrap();
    }
    assert!(
        wait_until(LONG, || names_in(&dirs.done()).len() == 5),
        "done/ = {:?}; log:\n{}",
        names_in(&dirs.done()),
        w.log_text()
    );
    w.stop();
    assert!(names_in(&dirs.inbox()).is_empty());
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), 5, "{msgs:?}");
    let ids: BTreeSet<&str> = msgs.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids.len(), 5, "distinct Nats-Msg-Id per file");
    for s in &seeds {
        let name = s.file_name().unwrap().to_str().unwrap();
        let m = msgs
            .iter()
            .find(|m| m.source_path == name)
            .unwrap_or_else(|| panic!("no message for {name}"));
        assert_eq!(
            m.payload,
            std::fs::read(s).unwrap(),
            "{name}: bytes unchanged"
        );
        assert_eq!(m.msg_id.len(), 64);
        assert!(m.msg_id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(is_rfc3339_utc(&m.received_at), "{}", m.received_at);
        assert_eq!(
            std::fs::read(dirs.done().join(name)).unwrap(),
            std::fs::read(s).unwrap()
        );
    }
}

/// Test 2: files dropped while the watcher is down are taken when it starts.
#[test]
fn files_dropped_while_stopped_are_taken_at_start() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    Watcher::start(&nats, &dirs, 1, &[]).ready().stop();
    for i in 0..3 {
        std::fs::write(
            dirs.inbox().join(format!("offline-{i}.txt")),
            format!("article {i}"),
        )
        .unwrap();
    }
    let w = Watcher::start(&nats, &dirs, 2, &[]);
    assert!(
        wait_until(LONG, || names_in(&dirs.done()).len() == 3),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    let paths: BTreeSet<String> = msgs.iter().map(|m| m.source_path.clone()).collect();
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        paths,
        (0..3)
            .map(|i| format!("offline-{i}.txt"))
            .collect::<BTreeSet<_>>()
    );
}

/// Test 3: a file written slowly in chunks (one open handle) is published once, complete.
#[test]
fn slowly_written_file_is_published_once_complete() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let w = Watcher::start(&nats, &dirs, 1, &[("NEWSFLOW_SETTLE_MS", "1500")]);
    let path = dirs.inbox().join("slow.txt");
    let mut want = Vec::new();
    {
        let mut f = std::fs::File::create(&path).unwrap();
        for i in 0..6 {
            let chunk = format!("chunk {i}: 国家统计局发布数据，增长{i}.5%。\n");
            f.write_all(chunk.as_bytes()).unwrap();
            f.flush().unwrap();
            want.extend_from_slice(chunk.as_bytes());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    assert!(
        wait_until(LONG, || names_in(&dirs.done()) == ["slow.txt"]),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), 1, "published once: {msgs:?}");
    assert_eq!(msgs[0].payload, want, "published complete");
}

/// Test 4: empty, binary and oversized files (and a symlink and a FIFO) land in rejected/ with
/// reasons and a news.rejected record each; temp names are left alone.
#[test]
fn bad_files_are_rejected_with_reasons_and_temp_names_left_alone() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let inbox = dirs.inbox();
    std::fs::write(inbox.join(".x.txt"), "hidden").unwrap();
    std::fs::write(inbox.join("a.tmp"), "temp").unwrap();
    std::fs::write(inbox.join("b.part"), "partial").unwrap();
    std::fs::write(inbox.join("empty.txt"), "").unwrap();
    let mut binary = b"\x89PNG\r\n\x1a\n".to_vec();
    binary.extend((0u32..600).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(inbox.join("binary.txt"), &binary).unwrap();
    std::fs::write(inbox.join("oversized.txt"), "x".repeat(5000)).unwrap();
    std::fs::write(dirs.root.path().join("target.txt"), "outside the inbox").unwrap();
    std::os::unix::fs::symlink(dirs.root.path().join("target.txt"), inbox.join("link.txt"))
        .unwrap();
    let mkfifo = Command::new("mkfifo")
        .arg(inbox.join("pipe.txt"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    std::fs::write(inbox.join("ok.txt"), "a fine article").unwrap();

    let metrics_port = free_port().to_string();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let w = Watcher::start(
        &nats,
        &dirs,
        1,
        &[
            ("NEWSFLOW_MAX_FILE_BYTES", "4096"),
            ("NEWSFLOW_METRICS_ADDR", &metrics_addr),
        ],
    );
    let rejected = [
        "binary.txt",
        "empty.txt",
        "link.txt",
        "oversized.txt",
        "pipe.txt",
    ];
    let want_rejected: Vec<String> = rejected
        .iter()
        .flat_map(|n| [n.to_string(), format!("{n}.reason.txt")])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        wait_until(LONG, || names_in(&dirs.rejected()) == want_rejected
            && names_in(&dirs.done()) == ["ok.txt"]),
        "rejected/ = {:?}, done/ = {:?}; log:\n{}",
        names_in(&dirs.rejected()),
        names_in(&dirs.done()),
        w.log_text()
    );
    let port: u16 = metrics_port.parse().unwrap();
    let mut text = String::new();
    assert!(
        wait_until(LONG, || {
            text = scrape_metrics(port);
            metric_value(&text, "newsflow_inbox_backlog_files") == Some(0.0)
        }),
        "{text}"
    );
    assert_eq!(
        metric_value(&text, "newsflow_files_seen_total"),
        Some(6.0),
        "{text}"
    );
    assert_eq!(
        metric_value(&text, "newsflow_files_done_total"),
        Some(1.0),
        "{text}"
    );
    for (reason, n) in [
        ("empty", 1.0),
        ("binary", 1.0),
        ("oversized", 1.0),
        ("not_regular", 2.0),
    ] {
        let series = format!("newsflow_files_rejected_total{{reason=\"{reason}\"}}");
        assert_eq!(metric_value(&text, &series), Some(n), "{series}: {text}");
    }
    w.stop();
    assert_eq!(names_in(&inbox), [".x.txt", "a.tmp", "b.part"]);
    assert_eq!(
        std::fs::read_to_string(inbox.join("b.part")).unwrap(),
        "partial"
    );
    let reason =
        |n: &str| std::fs::read_to_string(dirs.rejected().join(format!("{n}.reason.txt"))).unwrap();
    assert!(
        reason("empty.txt").contains("empty"),
        "{}",
        reason("empty.txt")
    );
    assert!(
        reason("binary.txt").contains("binary"),
        "{}",
        reason("binary.txt")
    );
    assert!(
        reason("oversized.txt").contains("NEWSFLOW_MAX_FILE_BYTES"),
        "{}",
        reason("oversized.txt")
    );
    assert!(
        reason("link.txt").contains("symbolic link"),
        "{}",
        reason("link.txt")
    );
    assert!(
        reason("pipe.txt").contains("named pipe"),
        "{}",
        reason("pipe.txt")
    );
    assert!(dirs
        .rejected()
        .join("link.txt")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(dirs.root.path().join("target.txt")).unwrap(),
        "outside the inbox"
    );

    let raw = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].source_path, "ok.txt");
    let records = read_stream(&rt, &nats.url(), REJECTED_STREAM);
    let mut paths = Vec::new();
    for r in &records {
        let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap();
        assert_eq!(v["schema"], "newsflow.rejected.v1");
        assert_eq!(v["stage"], "watcher");
        assert!(v["reason"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && !s.contains('\n')));
        assert!(v["at"].as_str().is_some_and(is_rfc3339_utc), "{v}");
        paths.push(v["source"]["path"].as_str().unwrap().to_string());
    }
    paths.sort();
    assert_eq!(paths, rejected);
}

/// Test 5: killed (SIGKILL) after the PubAck but before the move: after a restart no second
/// message reaches downstream and the file ends in done/.
#[test]
fn sigkill_between_puback_and_move_does_not_duplicate() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    std::fs::write(dirs.inbox().join("a.txt"), "统计局：一季度GDP增长5.3%。").unwrap();
    let mut w = Watcher::start(
        &nats,
        &dirs,
        1,
        &[("NEWSFLOW_TEST_KILL_AFTER_PUBACK", "true")],
    );
    let status = w.wait_exit();
    assert_eq!(
        status.signal(),
        Some(9),
        "killed by SIGKILL; log:\n{}",
        w.log_text()
    );
    assert_eq!(
        names_in(&dirs.inbox()),
        ["a.txt"],
        "not moved before the kill"
    );
    assert_eq!(
        stream_counts(&rt, &nats.url(), RAW_STREAM),
        (1, 1),
        "published before the kill"
    );

    let w = Watcher::start(&nats, &dirs, 2, &[]);
    assert!(
        wait_until(LONG, || names_in(&dirs.done()) == ["a.txt"]),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    assert!(names_in(&dirs.inbox()).is_empty());
    // JetStream dropped the republish by its Nats-Msg-Id: still one message, sequence 1.
    assert_eq!(stream_counts(&rt, &nats.url(), RAW_STREAM), (1, 1));
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].source_path, "a.txt");
}

/// Test 6: a `.jsonl` batch of three articles and one bad line: three raw messages
/// (`FILE.jsonl#N`), one rejection record for the bad line, the file in done/.
#[test]
fn jsonl_lines_become_messages_and_a_bad_line_is_rejected() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let lines = [
        r#"{"title":"一季度GDP增长5.3%","text":"国家统计局发布。"}"#,
        r#"{"title":"CPI up 0.2%","text":"Prices rose."}"#,
        "this line is not JSON",
        "",
        r#"{"title":"工业增加值增长6.1%","text":"规模以上工业。"}"#,
    ];
    std::fs::write(dirs.inbox().join("batch.jsonl"), lines.join("\n") + "\n").unwrap();
    let w = Watcher::start(&nats, &dirs, 1, &[]);
    assert!(
        wait_until(LONG, || names_in(&dirs.done()) == ["batch.jsonl"]),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let mut raw = read_stream(&rt, &nats.url(), RAW_STREAM);
    raw.sort_by(|a, b| a.source_path.cmp(&b.source_path));
    let paths: Vec<&str> = raw.iter().map(|m| m.source_path.as_str()).collect();
    assert_eq!(paths, ["batch.jsonl#1", "batch.jsonl#2", "batch.jsonl#5"]);
    assert_eq!(raw[0].payload, lines[0].as_bytes());
    assert_eq!(raw[2].payload, lines[4].as_bytes());
    let rejected = read_stream(&rt, &nats.url(), REJECTED_STREAM);
    assert_eq!(rejected.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&rejected[0].payload).unwrap();
    assert_eq!(v["source"]["path"], "batch.jsonl#3");
    assert_eq!(v["stage"], "watcher");
}

/// Test 7: 500 files dropped at once: 500 messages, 500 files in done/.
#[test]
fn five_hundred_files_at_once_all_arrive_once() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let w = Watcher::start(&nats, &dirs, 1, &[]);
    for i in 0..500 {
        std::fs::write(
            dirs.inbox().join(format!("burst-{i:03}.txt")),
            format!("article number {i}: 国家统计局数据"),
        )
        .unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(300), || names_in(&dirs.done()).len()
            == 500),
        "done/ has {}; log:\n{}",
        names_in(&dirs.done()).len(),
        w.log_text()
    );
    w.stop();
    assert!(names_in(&dirs.inbox()).is_empty());
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), 500);
    let paths: BTreeSet<&str> = msgs.iter().map(|m| m.source_path.as_str()).collect();
    assert_eq!(paths.len(), 500, "each file once");
}

/// Test 8: SIGTERM while files are in flight: exit status 0, and after a restart every file is
/// published exactly once and in done/.
#[test]
fn sigterm_mid_flight_exits_cleanly_and_loses_nothing() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    const N: usize = 300;
    for i in 0..N {
        std::fs::write(
            dirs.inbox().join(format!("f-{i:03}.txt")),
            format!("article {i} {}", "内容".repeat(200)),
        )
        .unwrap();
    }
    let mut w = Watcher::start(&nats, &dirs, 1, &[("NEWSFLOW_CONCURRENCY", "4")]);
    assert!(
        wait_until(LONG, || !names_in(&dirs.done()).is_empty()),
        "log:\n{}",
        w.log_text()
    );
    w.signal("-TERM");
    let status = w.wait_exit();
    assert!(status.success(), "exit {status}; log:\n{}", w.log_text());
    let done_first = names_in(&dirs.done()).len();
    eprintln!(
        "SIGTERM left {} of {N} files for the restart",
        N - done_first
    );
    assert_eq!(
        done_first + names_in(&dirs.inbox()).len(),
        N,
        "no file lost or half-moved"
    );

    let w = Watcher::start(&nats, &dirs, 2, &[]);
    assert!(
        wait_until(LONG, || names_in(&dirs.done()).len() == N),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), N, "each file exactly once");
    let paths: BTreeSet<&str> = msgs.iter().map(|m| m.source_path.as_str()).collect();
    assert_eq!(paths.len(), N);
}

/// A file over the server's max_payload (1 MB) travels through the object store: one reference
/// message on news.raw whose object holds the file's exact bytes.
#[test]
fn file_over_max_payload_goes_through_the_object_store() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let content: Vec<u8> = "统计局：一季度GDP增长5.3%。\n"
        .repeat(3 * 1024 * 1024 / 36)
        .into_bytes();
    assert!(content.len() > 2 * 1024 * 1024);
    std::fs::write(dirs.inbox().join("big.txt"), &content).unwrap();
    let w = Watcher::start(&nats, &dirs, 1, &[]);
    assert!(
        wait_until(LONG, || names_in(&dirs.done()) == ["big.txt"]),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let got = rt.block_on(async {
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client);
        let stream = js.get_stream(RAW_STREAM).await.unwrap();
        let msg = stream.get_raw_message(1).await.unwrap();
        assert_eq!(
            msg.headers.get("Newsflow-Source-Path").map(|v| v.as_str()),
            Some("big.txt")
        );
        let key = msg
            .headers
            .get("Newsflow-Payload-Ref")
            .expect("reference header")
            .as_str()
            .to_string();
        assert!(msg.payload.len() < 4096, "a small reference message");
        let store = js.get_object_store("newsflow_payloads").await.unwrap();
        let mut object = store.get(&key).await.unwrap();
        let mut buf = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut object, &mut buf)
            .await
            .unwrap();
        buf
    });
    assert_eq!(got.len(), content.len());
    assert!(got == content, "object holds the file's exact bytes");
    assert_eq!(stream_counts(&rt, &nats.url(), RAW_STREAM), (1, 1));
}

/// NATS goes away while files arrive: the watcher keeps them in the inbox, retries, and once
/// the server is back every file is published exactly once and moved to done/.
#[test]
fn files_dropped_while_nats_is_down_are_published_once_it_is_back() {
    let mut nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let w = Watcher::start(&nats, &dirs, 1, &[]).ready();
    nats.kill();
    for i in 0..3 {
        std::fs::write(
            dirs.inbox().join(format!("outage-{i}.txt")),
            format!("article {i} written while the bus was down"),
        )
        .unwrap();
    }
    // Wait until the watcher has tried and failed at least once, so the retry path is exercised.
    assert!(
        wait_until(LONG, || w.log_text().contains("will retry")),
        "log:\n{}",
        w.log_text()
    );
    assert!(names_in(&dirs.done()).is_empty());
    nats.restart();
    assert!(
        wait_until(LONG, || names_in(&dirs.done()).len() == 3),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    let paths: BTreeSet<&str> = msgs.iter().map(|m| m.source_path.as_str()).collect();
    assert_eq!(msgs.len(), 3, "{paths:?}");
    assert_eq!(paths.len(), 3);
}

/// A second file under a name already in done/ never overwrites the first (`a.1.txt`); the same
/// bytes under another name are published again under another id (the deduper's to judge).
#[test]
fn same_name_again_is_kept_beside_and_same_bytes_elsewhere_are_published() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    let w = Watcher::start(&nats, &dirs, 1, &[]);
    std::fs::write(dirs.inbox().join("a.txt"), "first edition").unwrap();
    assert!(wait_until(LONG, || names_in(&dirs.done()) == ["a.txt"]));
    std::fs::write(dirs.inbox().join("a.txt"), "second edition").unwrap();
    assert!(wait_until(LONG, || names_in(&dirs.done()).len() == 2));
    std::fs::write(dirs.inbox().join("copy-of-a.txt"), "first edition").unwrap();
    assert!(
        wait_until(LONG, || names_in(&dirs.done()).len() == 3),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    assert_eq!(
        names_in(&dirs.done()),
        ["a.1.txt", "a.txt", "copy-of-a.txt"]
    );
    assert_eq!(
        std::fs::read_to_string(dirs.done().join("a.txt")).unwrap(),
        "first edition"
    );
    assert_eq!(
        std::fs::read_to_string(dirs.done().join("a.1.txt")).unwrap(),
        "second edition"
    );
    let msgs = read_stream(&rt, &nats.url(), RAW_STREAM);
    assert_eq!(msgs.len(), 3);
    let ids: BTreeSet<&str> = msgs.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "three different ids");
}

/// `NEWSFLOW_ON_DONE=delete`: the file is deleted once published.
#[test]
fn on_done_delete_removes_the_published_file() {
    let nats = NatsServer::start();
    let dirs = Dirs::new();
    let rt = runtime();
    std::fs::write(dirs.inbox().join("gone.txt"), "published then deleted").unwrap();
    let w = Watcher::start(&nats, &dirs, 1, &[("NEWSFLOW_ON_DONE", "delete")]);
    assert!(
        wait_until(LONG, || stream_counts(&rt, &nats.url(), RAW_STREAM).0 == 1
            && names_in(&dirs.inbox()).is_empty()),
        "log:\n{}",
        w.log_text()
    );
    w.stop();
    assert!(names_in(&dirs.done()).is_empty());
    assert_eq!(
        read_stream(&rt, &nats.url(), RAW_STREAM)[0].payload,
        b"published then deleted"
    );
}
