//! A three-node JetStream cluster on free loopback ports for tests: the committed
//! `deploy/nats/cluster/n{1,2,3}.conf` with free ports and a temporary directory (configs,
//! stores, logs, pid files) substituted. Nodes can be killed and started again; all are killed
//! when it is dropped.

use crate::{free_port, nats_server_bin, wait_until};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Ports of one node.
#[derive(Clone, Copy, Debug)]
pub struct NodePorts {
    pub client: u16,
    pub route: u16,
    pub http: u16,
}

pub struct NatsCluster {
    dir: tempfile::TempDir,
    ports: Vec<NodePorts>,
    children: Vec<Option<Child>>,
}

impl NatsCluster {
    /// Write the three configs and start the three nodes; returns once every node listens for
    /// clients (the JetStream meta leader may still be being elected: see [`wait_formed`]).
    ///
    /// [`wait_formed`]: Self::wait_formed
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("cluster temp dir");
        let ports: Vec<NodePorts> = (0..3)
            .map(|_| NodePorts {
                client: free_port(),
                route: free_port(),
                http: free_port(),
            })
            .collect();
        // The committed configs (`make cluster`) with their fixed ports (4231-4233 clients,
        // 6231-6233 routes, 8231-8233 monitoring) and ./var/cluster paths replaced.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for n in 1..=3 {
            let committed = repo.join(format!("deploy/nats/cluster/n{n}.conf"));
            let mut conf = std::fs::read_to_string(&committed)
                .unwrap_or_else(|e| panic!("{}: {e}", committed.display()))
                .replace("./var/cluster", &dir.path().display().to_string());
            for (i, p) in ports.iter().enumerate() {
                let k = i + 1;
                conf = conf
                    .replace(
                        &format!("127.0.0.1:423{k}"),
                        &format!("127.0.0.1:{}", p.client),
                    )
                    .replace(
                        &format!("127.0.0.1:623{k}"),
                        &format!("127.0.0.1:{}", p.route),
                    )
                    .replace(
                        &format!("127.0.0.1:823{k}"),
                        &format!("127.0.0.1:{}", p.http),
                    );
            }
            std::fs::create_dir_all(dir.path().join(format!("n{n}"))).expect("node store dir");
            std::fs::write(dir.path().join(format!("n{n}.conf")), conf).expect("write config");
        }
        let mut c = NatsCluster {
            dir,
            ports,
            children: vec![None, None, None],
        };
        for i in 0..3 {
            c.start_node(i);
        }
        c
    }

    fn conf(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("n{}.conf", i + 1))
    }

    /// Start node `i` (0-based) if it is not running; waits until it listens.
    pub fn start_node(&mut self, i: usize) {
        if self.children[i].is_some() {
            return;
        }
        let child = Command::new(nats_server_bin())
            .arg("-c")
            .arg(self.conf(i))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", nats_server_bin().display()));
        self.children[i] = Some(child);
        let port = self.ports[i].client;
        assert!(
            wait_until(Duration::from_secs(20), || TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "node n{} did not listen on {port}",
            i + 1
        );
    }

    /// SIGKILL node `i` (0-based); its store is kept.
    pub fn kill_node(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Comma-separated client URLs of every node.
    pub fn urls(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{}", p.client))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn ports(&self) -> &[NodePorts] {
        &self.ports
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The JetStream meta leader as node `i` sees it (`/jsz` on its monitoring port).
    pub fn meta_leader_seen_by(&self, i: usize) -> Option<String> {
        let (_, body) = crate::pipeline::http_get(self.ports[i].http, "/jsz")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let m = &v["meta_cluster"];
        if m["cluster_size"] != 3 {
            return None;
        }
        m["leader"].as_str().map(str::to_string)
    }

    /// Wait until every running node reports the same meta leader.
    pub fn wait_formed(&self, timeout: Duration) -> bool {
        wait_until(timeout, || {
            let seen: Vec<Option<String>> = (0..3)
                .filter(|&i| self.children[i].is_some())
                .map(|i| self.meta_leader_seen_by(i))
                .collect();
            seen.first().is_some_and(|l| l.is_some()) && seen.iter().all(|l| *l == seen[0])
        })
    }

    /// The node logs (for assertion messages).
    pub fn logs(&self) -> String {
        (1..=3)
            .map(|n| {
                let p = self.dir.path().join(format!("n{n}.log"));
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                format!(
                    "==== {}\n{}\n",
                    p.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect()
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..3 {
            self.kill_node(i);
        }
    }
}
