//! The whole pipeline as processes: the four real service binaries (watcher, cleaner, deduper,
//! extractor) against one NATS server or a cluster, with a temporary inbox and free metrics
//! ports, so that fault tests can SIGKILL and restart any one of them, and read back what
//! reached the streams (indicator events by id, dead letters, rejections).
//!
//! Everything here is blocking (the tests are plain `#[test]`s); NATS is queried through a
//! short-lived connection per call, so a query works across server restarts.

use crate::{free_port, wait_until, workspace_bin};
use async_nats::jetstream;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The four services in pipeline order.
pub const SERVICES: [&str; 4] = ["watcher", "cleaner", "deduper", "extractor"];
/// The consuming stages (durable consumer name, input stream).
pub const STAGES: [(&str, &str); 3] = [
    ("cleaner", "NEWS_RAW"),
    ("deduper", "NEWS_CLEAN"),
    ("extractor", "NEWS_UNIQUE"),
];
/// Stream of the indicator events (`indicators.>`).
pub const INDICATORS: &str = "INDICATORS";

/// One service process (one replica of one service).
pub struct Service {
    pub name: &'static str,
    pub replica: usize,
    pub metrics_port: u16,
    child: Option<Child>,
    runs: usize,
}

impl Service {
    /// Whether the process is alive (not exited).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Exit status, if it exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }
}

/// The pipeline: services, their temporary directory (inbox, done, rejected, logs) and where
/// NATS is. Kills every process it started when dropped.
pub struct Pipeline {
    dir: tempfile::TempDir,
    nats_url: String,
    env: Vec<(String, String)>,
    pub services: Vec<Service>,
}

impl Pipeline {
    /// Start one process of each service against `nats_url` (a comma-separated list for a
    /// cluster) with `env` added to each process's environment.
    pub fn start(nats_url: &str, env: &[(&str, &str)]) -> Self {
        Self::start_replicas(nats_url, 1, env)
    }

    /// Start one watcher and `replicas` processes of each consuming stage.
    pub fn start_replicas(nats_url: &str, replicas: usize, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("pipeline temp dir");
        std::fs::create_dir_all(dir.path().join("inbox")).expect("inbox");
        let mut p = Pipeline {
            dir,
            nats_url: nats_url.to_string(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            services: Vec::new(),
        };
        for name in SERVICES {
            let n = if name == "watcher" { 1 } else { replicas };
            for replica in 0..n {
                p.services.push(Service {
                    name,
                    replica,
                    metrics_port: free_port(),
                    child: None,
                    runs: 0,
                });
                let i = p.services.len() - 1;
                p.spawn(i);
            }
        }
        p
    }

    pub fn nats_url(&self) -> &str {
        &self.nats_url
    }
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    pub fn inbox(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }
    pub fn done(&self) -> PathBuf {
        self.dir.path().join("done")
    }
    pub fn rejected(&self) -> PathBuf {
        self.dir.path().join("rejected")
    }

    fn index(&self, name: &str, replica: usize) -> usize {
        self.services
            .iter()
            .position(|s| s.name == name && s.replica == replica)
            .unwrap_or_else(|| panic!("no service {name} #{replica}"))
    }

    /// The process of `name` replica `replica`.
    pub fn service(&mut self, name: &str, replica: usize) -> &mut Service {
        let i = self.index(name, replica);
        &mut self.services[i]
    }

    fn log_path(&self, s: &Service, run: usize) -> PathBuf {
        self.dir
            .path()
            .join(format!("{}-{}.run{run}.log", s.name, s.replica))
    }

    fn spawn(&mut self, i: usize) {
        let runs = self.services[i].runs + 1;
        let log = self.log_path(&self.services[i], runs);
        let s = &self.services[i];
        let mut cmd = Command::new(workspace_bin(&format!("newsflow-{}", s.name)));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NATS_URL", &self.nats_url)
            .env(
                "NEWSFLOW_METRICS_ADDR",
                format!("127.0.0.1:{}", s.metrics_port),
            )
            .env("NEWSFLOW_INBOX", self.inbox())
            .env("NEWSFLOW_DONE_DIR", self.done())
            .env("NEWSFLOW_REJECTED_DIR", self.rejected())
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("service log file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start newsflow-{}: {e}", s.name));
        let s = &mut self.services[i];
        s.child = Some(child);
        s.runs = runs;
    }

    /// SIGKILL one process (no chance to finish or ack anything).
    pub fn kill(&mut self, name: &str, replica: usize) {
        let i = self.index(name, replica);
        self.services[i].kill();
    }

    /// Start a killed (or exited) process again, same settings and metrics port.
    pub fn restart(&mut self, name: &str, replica: usize) {
        let i = self.index(name, replica);
        self.services[i].kill();
        self.spawn(i);
    }

    /// Names (`cleaner#0`) of processes that are not running.
    pub fn not_running(&mut self) -> Vec<String> {
        self.services
            .iter_mut()
            .filter_map(|s| (!s.is_running()).then(|| format!("{}#{}", s.name, s.replica)))
            .collect()
    }

    /// Wait until every process answers `/readyz` with 200 (NATS connected, streams declared).
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        wait_until(timeout, || {
            self.services
                .iter()
                .all(|s| http_get(s.metrics_port, "/readyz").is_some_and(|(code, _)| code == 200))
        })
    }

    /// Wait until every process's current log says it is working: the watcher "watching the
    /// inbox", each stage "stage runner started" (after its own set-up, e.g. the deduper's KV
    /// bucket, which `/readyz` does not cover).
    pub fn wait_started(&self, timeout: Duration) -> bool {
        wait_until(timeout, || {
            self.services.iter().all(|s| {
                let marker = if s.name == "watcher" {
                    "watching the inbox"
                } else {
                    "stage runner started"
                };
                std::fs::read_to_string(self.log_path(s, s.runs))
                    .is_ok_and(|log| log.contains(marker))
            })
        })
    }

    /// Every log of every run, headed by its file name (for assertion messages).
    pub fn logs(&self) -> String {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "log"));
        names.sort();
        let mut out = String::new();
        for p in names {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            // The tail is what explains a failure; keep messages readable.
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            out.push_str(&format!("==== {}\n", p.display()));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// `/metrics` of one process (empty when it does not answer).
    pub fn metrics(&self, name: &str, replica: usize) -> String {
        let s = &self.services[self.index(name, replica)];
        http_get(s.metrics_port, "/metrics")
            .map(|(_, body)| body)
            .unwrap_or_default()
    }

    /// Drop a file into the inbox atomically (written under a hidden temp name, then renamed).
    pub fn drop_file(&self, name: &str, content: &[u8]) {
        let tmp = self.inbox().join(format!(".{name}.writing"));
        std::fs::write(&tmp, content).expect("write temp file");
        std::fs::rename(&tmp, self.inbox().join(name)).expect("rename into the inbox");
    }

    /// Names in the inbox that the watcher should take (not hidden temp names).
    pub fn inbox_backlog(&self) -> Vec<String> {
        names_in(&self.inbox())
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect()
    }

    /// Wait until the pipeline is quiet: the inbox is empty (`leave` names excepted), every
    /// stage's consumer has nothing pending or unacknowledged, and the message counts of every
    /// stream have not changed for `settle`. `false` if that does not happen within `timeout`.
    pub fn wait_quiet(&self, leave: &[&str], settle: Duration, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut last: Option<(BTreeMap<String, u64>, Instant)> = None;
        while Instant::now() < deadline {
            let inbox_done = self
                .inbox_backlog()
                .iter()
                .all(|n| leave.contains(&n.as_str()));
            let state = if inbox_done {
                block_on(pipeline_state(&self.nats_url))
            } else {
                None
            };
            match state {
                Some((idle, counts)) if idle => match &last {
                    Some((prev, since)) if *prev == counts => {
                        if since.elapsed() >= settle {
                            return true;
                        }
                    }
                    _ => last = Some((counts, Instant::now())),
                },
                _ => last = None,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        false
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        for s in &mut self.services {
            s.kill();
        }
    }
}

/// Names in `dir` (none if it does not exist), sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
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

/// `GET path` on a loopback port: (status, body), or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let code = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Some((code, body.to_string()))
}

/// The value of the sample whose line starts with `series` (name and labels as exported).
pub fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Run a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// Connect to `urls` (comma-separated), giving up after a few seconds.
pub async fn connect(urls: &str) -> Option<jetstream::Context> {
    let addrs: Vec<async_nats::ServerAddr> = urls
        .split(',')
        .filter_map(|u| u.trim().parse().ok())
        .collect();
    let client = tokio::time::timeout(
        Duration::from_secs(5),
        async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .connect(addrs),
    )
    .await
    .ok()?
    .ok()?;
    Some(jetstream::new(client))
}

/// (every stage consumer idle, message count per stream), or `None` if NATS does not answer.
async fn pipeline_state(urls: &str) -> Option<(bool, BTreeMap<String, u64>)> {
    let js = connect(urls).await?;
    let mut idle = true;
    for (consumer, stream) in STAGES {
        let s = js.get_stream(stream).await.ok()?;
        let info = s.consumer_info(consumer).await.ok()?;
        idle &= info.num_pending == 0 && info.num_ack_pending == 0;
    }
    let mut counts = BTreeMap::new();
    let mut names = js.stream_names();
    use futures::StreamExt;
    while let Some(name) = names.next().await {
        let name = name.ok()?;
        let mut s = js.get_stream(&name).await.ok()?;
        let n = s.info().await.ok()?.state.messages;
        counts.insert(name, n);
    }
    Some((idle, counts))
}

/// One message read back from a stream.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub subject: String,
    pub headers: BTreeMap<String, String>,
    pub payload: Vec<u8>,
}

impl StoredMessage {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

/// Every message of `stream` (empty if the stream does not exist).
pub fn read_stream(urls: &str, stream: &str) -> Vec<StoredMessage> {
    block_on(async {
        let js = connect(urls)
            .await
            .expect("connect to NATS to read a stream");
        let Ok(mut s) = js.get_stream(stream).await else {
            return Vec::new();
        };
        let state = s.info().await.expect("stream info").state.clone();
        let mut out = Vec::new();
        if state.messages == 0 {
            return out;
        }
        for seq in state.first_sequence..=state.last_sequence {
            if let Ok(m) = s.get_raw_message(seq).await {
                let mut headers = BTreeMap::new();
                for (k, vs) in m.headers.iter() {
                    if let Some(v) = vs.first() {
                        headers.insert(k.to_string(), v.as_str().to_string());
                    }
                }
                out.push(StoredMessage {
                    subject: m.subject.to_string(),
                    headers,
                    payload: m.payload.to_vec(),
                });
            }
        }
        out
    })
}

/// How many times each `event_id` is on the indicators stream (also checks that every
/// message's `Nats-Msg-Id` is its `event_id`).
pub fn indicator_event_counts(urls: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in read_stream(urls, INDICATORS) {
        let v = m.json();
        let id = v["event_id"]
            .as_str()
            .unwrap_or_else(|| panic!("indicator message without event_id: {v}"))
            .to_string();
        assert_eq!(
            m.header("Nats-Msg-Id"),
            Some(id.as_str()),
            "Nats-Msg-Id is the event_id"
        );
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Messages in `stream` now (0 if it does not exist or NATS does not answer).
pub fn stream_count(urls: &str, stream: &str) -> u64 {
    block_on(async {
        let Some(js) = connect(urls).await else {
            return 0;
        };
        match js.get_stream(stream).await {
            Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
            Err(_) => 0,
        }
    })
}

/// Each event id on the indicators stream → `source path | article id | indicator` of its
/// (first) copy, for explaining a difference between runs.
pub fn indicator_event_origins(urls: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for m in read_stream(urls, INDICATORS) {
        let v = m.json();
        let id = v["event_id"].as_str().unwrap_or_default().to_string();
        out.entry(id).or_insert_with(|| {
            format!(
                "{} | {} | {}",
                v["source"]["path"].as_str().unwrap_or("-"),
                v["article_id"].as_str().unwrap_or("-"),
                v["indicator"].as_str().unwrap_or("-")
            )
        });
    }
    out
}
