//! The processes a benchmark run owns and what `/proc` says about them: the four release
//! services (spawned with their environment, checked ready over `/readyz`, stopped with
//! SIGTERM) and a sampler of resident memory (VmRSS, VmHWM) and CPU time per process.

use anyhow::{bail, Context as _};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The four services, in pipeline order.
pub const SERVICES: [&str; 4] = ["watcher", "cleaner", "deduper", "extractor"];

/// `VmHWM` and `VmRSS` of a process, KiB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub hwm_kib: u64,
    pub rss_kib: u64,
}

/// Memory figures from `/proc/<pid>/status` (`self` for this process).
pub fn memory(pid: &str) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some(Memory {
        hwm_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// Peak resident memory of this process so far, MiB.
pub fn self_peak_rss_mib() -> f64 {
    memory("self")
        .map(|m| m.hwm_kib as f64 / 1024.0)
        .unwrap_or(0.0)
}

/// User + system CPU seconds a process has used (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    Some((utime + stime) as f64 / ticks)
}

/// One sampled process: the largest VmRSS seen, the last VmHWM read, a coarse RSS series.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessSample {
    pub pid: u32,
    pub peak_rss_mib: f64,
    pub vm_hwm_mib: f64,
    pub last_rss_mib: f64,
    pub cpu_seconds: f64,
    /// (seconds since sampling started, RSS MiB), every `series_every`.
    pub rss_series: Vec<(f64, f64)>,
}

/// Samples `/proc/<pid>/status` of named processes on a thread until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    data: Arc<Mutex<BTreeMap<String, ProcessSample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub fn start(pids: Vec<(String, u32)>, every: Duration, series_every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let data: Arc<Mutex<BTreeMap<String, ProcessSample>>> = Arc::new(Mutex::new(
            pids.iter()
                .map(|(n, pid)| {
                    (
                        n.clone(),
                        ProcessSample {
                            pid: *pid,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        ));
        let thread = {
            let (stop, data) = (stop.clone(), data.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut next_series = Duration::ZERO;
                loop {
                    let now = started.elapsed();
                    let take_series = now >= next_series;
                    if take_series {
                        next_series = now + series_every;
                    }
                    if let Ok(mut d) = data.lock() {
                        for s in d.values_mut() {
                            sample_into(s, take_series.then_some(now));
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(every);
                }
            })
        };
        Sampler {
            stop,
            data,
            thread: Some(thread),
        }
    }

    /// Take one more sample now and return everything sampled so far.
    pub fn snapshot(&self) -> BTreeMap<String, ProcessSample> {
        match self.data.lock() {
            Ok(mut d) => {
                for s in d.values_mut() {
                    sample_into(s, None);
                }
                d.clone()
            }
            Err(_) => BTreeMap::new(),
        }
    }

    pub fn stop(mut self) -> BTreeMap<String, ProcessSample> {
        let snap = self.snapshot();
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        snap
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn sample_into(s: &mut ProcessSample, series_at: Option<Duration>) {
    if let Some(m) = memory(&s.pid.to_string()) {
        let rss = m.rss_kib as f64 / 1024.0;
        s.last_rss_mib = rss;
        s.peak_rss_mib = s.peak_rss_mib.max(rss);
        s.vm_hwm_mib = s.vm_hwm_mib.max(m.hwm_kib as f64 / 1024.0);
        if let Some(at) = series_at {
            s.rss_series.push((
                (at.as_secs_f64() * 10.0).round() / 10.0,
                (rss * 10.0).round() / 10.0,
            ));
        }
    }
    if let Some(cpu) = cpu_seconds(s.pid) {
        s.cpu_seconds = cpu;
    }
}

/// One running service.
pub struct Service {
    pub name: &'static str,
    pub child: Child,
    pub metrics_addr: SocketAddr,
    pub log: PathBuf,
}

/// The four services of one run. Killed when dropped if still running.
pub struct Services {
    pub list: Vec<Service>,
}

/// What every service is started with.
pub struct ServiceSetup<'a> {
    pub bin_dir: &'a Path,
    pub nats_url: &'a str,
    pub inbox: &'a Path,
    pub log_dir: &'a Path,
    /// Extra `KEY=VALUE` settings for every service (`--service-env`).
    pub extra_env: &'a [(String, String)],
}

impl Services {
    pub fn start(setup: &ServiceSetup<'_>) -> anyhow::Result<Services> {
        let mut list = Vec::new();
        for name in SERVICES {
            let bin = setup.bin_dir.join(format!("newsflow-{name}"));
            if !bin.exists() {
                bail!(
                    "{} not found: build the workspace first (`cargo build --release --workspace`) or pass --bin-dir",
                    bin.display()
                );
            }
            let metrics_addr: SocketAddr = ([127, 0, 0, 1], crate::natsd::free_port()?).into();
            let log = setup.log_dir.join(format!("{name}.log"));
            let log_file = std::fs::File::create(&log)
                .with_context(|| format!("creating {}", log.display()))?;
            let mut cmd = Command::new(&bin);
            cmd.env("NATS_URL", setup.nats_url)
                .env("NEWSFLOW_METRICS_ADDR", metrics_addr.to_string())
                .env("NEWSFLOW_INBOX", setup.inbox)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file);
            for (k, v) in setup.extra_env {
                cmd.env(k, v);
            }
            let child = cmd
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            list.push(Service {
                name,
                child,
                metrics_addr,
                log,
            });
        }
        Ok(Services { list })
    }

    pub fn pids(&self) -> Vec<(String, u32)> {
        self.list
            .iter()
            .map(|s| (s.name.to_string(), s.child.id()))
            .collect()
    }

    /// Wait until every service answers 200 on `/readyz`; fails early if one exits.
    pub fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        for s in &mut self.list {
            loop {
                if let Some(status) = s.child.try_wait().context("checking a service")? {
                    // The log may live in a temporary directory removed on exit: quote its end.
                    let log = std::fs::read_to_string(&s.log).unwrap_or_default();
                    let lines: Vec<&str> = log.lines().collect();
                    bail!(
                        "newsflow-{} exited during start-up ({status}); log: {}\n{}",
                        s.name,
                        s.log.display(),
                        lines[lines.len().saturating_sub(5)..].join("\n")
                    );
                }
                if http_status(s.metrics_addr, "/readyz") == Some(200) {
                    break;
                }
                if Instant::now() > deadline {
                    bail!(
                        "newsflow-{} not ready within {timeout:?}; log: {}",
                        s.name,
                        s.log.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// Whether every service is still running (names those that are not).
    pub fn exited(&mut self) -> Vec<String> {
        self.list
            .iter_mut()
            .filter_map(|s| match s.child.try_wait() {
                Ok(None) => None,
                Ok(Some(st)) => Some(format!("newsflow-{} ({st})", s.name)),
                Err(e) => Some(format!("newsflow-{} ({e})", s.name)),
            })
            .collect()
    }

    /// SIGTERM every service and wait for it (SIGKILL after `grace`).
    pub fn stop(&mut self, grace: Duration) {
        for s in &self.list {
            // SAFETY: plain kill(2) on a child we spawned and have not reaped.
            unsafe {
                libc::kill(s.child.id() as libc::pid_t, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + grace;
        for s in &mut self.list {
            loop {
                match s.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = s.child.kill();
                        let _ = s.child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        for s in &mut self.list {
            if let Ok(None) = s.child.try_wait() {
                let _ = s.child.kill();
                let _ = s.child.wait();
            }
        }
    }
}

/// Status code of `GET path` on `addr`, if it answers at all.
fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}
