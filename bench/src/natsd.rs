//! A nats-server of the benchmark's own: `nats-server -js` on a free loopback port with a
//! temporary store, killed when dropped. (The e2e harness has the same thing, but it lives in
//! the test crate, which other work edits all the time; the benchmark must not break with it.)

use anyhow::{bail, Context as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `/usr/sbin/nats-server` unless `NEWSFLOW_TEST_NATS_SERVER` names another (as for the tests).
pub fn server_bin() -> PathBuf {
    std::env::var_os("NEWSFLOW_TEST_NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("binding an ephemeral loopback port")?
        .port())
}

pub struct NatsServer {
    port: u16,
    /// The store (and log); removed when the server is dropped.
    _store: tempfile::TempDir,
    child: Child,
}

impl NatsServer {
    /// Start it and wait (up to 10 s) until it accepts connections.
    pub fn start() -> anyhow::Result<NatsServer> {
        let port = free_port()?;
        let store = tempfile::Builder::new()
            .prefix("newsflow-bench-nats-")
            .tempdir()
            .context("creating the nats-server store directory")?;
        let log = store.path().join("nats-server.log");
        let bin = server_bin();
        let child = Command::new(&bin)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store.path().join("js"))
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = NatsServer {
            port,
            _store: store,
            child,
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!(
                    "nats-server exited at start ({status}); log: {}",
                    log.display()
                );
            }
            if Instant::now() > deadline {
                server.kill();
                bail!(
                    "nats-server did not listen on {addr} within 10 s; log: {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Wait until the server has processed everything `client` sent before, subscriptions
/// included. `Client::flush` only writes the socket (async-nats 0.51 sends no PING for it), so a
/// subscription "flushed" that way may not be registered yet when another connection publishes,
/// and those first messages are lost. The server handles one connection's protocol in order:
/// a message to our own inbox coming back proves the SUBs before it are in place.
pub async fn round_trip(client: &async_nats::Client) -> anyhow::Result<()> {
    use futures::StreamExt;
    let inbox = client.new_inbox();
    let mut echo = client
        .subscribe(inbox.clone())
        .await
        .context("subscribing to the round-trip inbox")?;
    client
        .publish(inbox, bytes::Bytes::new())
        .await
        .context("publishing the round-trip message")?;
    tokio::time::timeout(Duration::from_secs(10), echo.next())
        .await
        .context("nats-server did not echo a message within 10 s")?
        .context("the round-trip subscription closed")?;
    Ok(())
}
