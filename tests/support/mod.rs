//! Test harness shared by the end-to-end tests: a real `nats-server` (JetStream on) per test,
//! on a free loopback port with its own temporary store, which a test can kill and restart to
//! inject faults. Never anything but loopback.

pub mod cluster;
pub mod pipeline;
pub mod variants;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's package puts the server; `NEWSFLOW_TEST_NATS_SERVER` overrides it.
pub fn nats_server_bin() -> PathBuf {
    std::env::var_os("NEWSFLOW_TEST_NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// One nats-server process owned by a test. Killed when dropped.
pub struct NatsServer {
    /// 0 until the first start has picked one (see [`NatsServer::start`]).
    port: u16,
    store: tempfile::TempDir,
    extra_args: Vec<String>,
    child: Option<Child>,
}

impl NatsServer {
    /// Start a JetStream-enabled server on a free loopback port with a fresh store. The server
    /// picks the port itself (`-p -1`) and reports it in its ports file: a port found free by
    /// the test and handed over could be taken in between, e.g. by a parallel test's server,
    /// which this test would then silently share.
    pub fn start() -> Self {
        Self::start_with_args(&[])
    }

    /// Like [`start`](Self::start) with extra server arguments (e.g. `["-c", conf]`).
    pub fn start_with_args(extra: &[&str]) -> Self {
        let mut s = NatsServer {
            port: 0,
            store: tempfile::tempdir().expect("temp store dir"),
            extra_args: extra.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        s.spawn();
        s
    }

    /// Start a JetStream-enabled server on a given loopback `port` (e.g. one a service was
    /// already told to use before any server was up).
    pub fn start_on_port(port: u16) -> Self {
        let mut s = NatsServer {
            port,
            store: tempfile::tempdir().expect("temp store dir"),
            extra_args: Vec::new(),
            child: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let log = self.store.path().join("nats-server.log");
        // A restart keeps the port the first start got (clients reconnect to it).
        let port = match self.port {
            0 => "-1".to_string(),
            p => p.to_string(),
        };
        let mut child = Command::new(nats_server_bin())
            .args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"])
            .arg(self.store.path().join("js"))
            .arg("-l")
            .arg(&log)
            .arg("--ports_file_dir")
            .arg(self.store.path())
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", nats_server_bin().display()));
        let deadline = Instant::now() + Duration::from_secs(10);
        if self.port == 0 {
            let ports = self
                .store
                .path()
                .join(format!("nats-server_{}.ports", child.id()));
            self.port = loop {
                if let Some(p) = std::fs::read_to_string(&ports)
                    .ok()
                    .and_then(|text| client_port(&text))
                {
                    break p;
                }
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "nats-server exited at start ({status}); log: {}",
                        log.display()
                    );
                }
                assert!(
                    Instant::now() < deadline,
                    "nats-server wrote no ports file within 10 s (log: {})",
                    log.display()
                );
                std::thread::sleep(Duration::from_millis(10));
            };
        }
        self.child = Some(child);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen on {addr} within 10 s (log: {})",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Directory holding the server's store and log.
    pub fn dir(&self) -> &Path {
        self.store.path()
    }

    /// SIGKILL the server (store kept).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port with the same store.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The client port in a nats-server ports file: `{"nats":["nats://127.0.0.1:PORT"],…}`.
fn client_port(ports_file: &str) -> Option<u16> {
    let v: serde_json::Value = serde_json::from_str(ports_file).ok()?;
    v["nats"][0].as_str()?.rsplit(':').next()?.parse().ok()
}

/// Path of a workspace binary built by cargo for this test run (`newsflow-watcher`, …).
/// Cargo sets `CARGO_BIN_EXE_*` only for a package's own binaries, so we look beside the test
/// executable: `target/<profile>/deps/..`.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test executable lives in target/<profile>/deps");
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} not built: run `cargo build --workspace` (make test does) before the e2e tests",
        p.display()
    );
    p
}

/// Wait until `cond` holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Root of the shared corpus (`../shared/corpus` beside the repo), overridable with
/// `NEWSFLOW_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("NEWSFLOW_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/corpus")
                .canonicalize()
                .expect("../shared/corpus beside the repository")
        })
}

/// Every message stored in `stream`, from the first, read with a fresh ephemeral consumer that
/// acks nothing (empty if the stream does not exist yet or holds nothing).
pub async fn stream_messages(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> Vec<async_nats::jetstream::Message> {
    use async_nats::jetstream::consumer;
    use futures::StreamExt;
    let Ok(mut s) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let n = s.info().await.expect("stream info").state.messages as usize;
    if n == 0 {
        return Vec::new();
    }
    let c = s
        .create_consumer(consumer::pull::Config {
            deliver_policy: consumer::DeliverPolicy::All,
            ack_policy: consumer::AckPolicy::None,
            inactive_threshold: Duration::from_secs(30),
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut msgs = c.messages().await.expect("messages");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(30), msgs.next())
            .await
            .expect("message within 30 s")
            .expect("stream open")
            .expect("message");
        out.push(m);
    }
    out
}
