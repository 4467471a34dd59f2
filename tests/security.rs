//! Security checks of issue 8 that the other suites do not already make (see the report of the
//! "security" helper): hostile HTML through the cleaner within bounded time and memory, odd
//! inbox entries (sockets, device nodes, symlinks inside and outside the inbox, odd names) through
//! the real watcher, per-batch limits, and secrets kept out of stderr, `--help` and `/metrics`.
//!
//! Needs `cargo build --workspace` first (make test does). No timing assertions: the deadlines
//! only bound hangs.

use newsflow_shared::records::RawArticle;
use std::time::Duration;

/// Peak resident set of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Clean `html` on its own thread; panic if it does not finish within a generous deadline.
/// Returns the outcome as text (`Ok` with the body length, or the rejection reason).
fn clean_within_deadline(name: &str, html: String) -> Result<usize, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = format!("{name}.html");
    std::thread::Builder::new()
        .name(format!("clean-{name}"))
        // The cleaner's own worker threads use the default 2 MiB stack; so does this one.
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let raw = RawArticle {
                source_path: path,
                received_at: None,
                bytes: html.into_bytes().into(),
            };
            let out = newsflow_cleaner::clean(&raw)
                .map(|a| a.text.len())
                .map_err(|e| e.to_string());
            let _ = tx.send(out);
        })
        .expect("spawn cleaning thread");
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out,
        Err(e) => panic!("{name}: the cleaner did not finish within 120 s ({e})"),
    }
}

const PROSE: &str =
    "国家统计局发布数据,一季度全市生产总值同比增长5.3%,规模以上工业增加值增长6.1%。";

fn check_bounded(name: &str, html: String) {
    let before = peak_rss_kib();
    let out = clean_within_deadline(name, html);
    let after = peak_rss_kib();
    eprintln!("{name}: {out:?}; peak RSS {before:?} → {after:?} KiB");
    if let Err(reason) = &out {
        assert!(
            !reason.is_empty() && !reason.contains('\n'),
            "{name}: {reason}"
        );
    }
    if let Some(after) = after {
        // Generous: the inputs are ~10 MB; a quadratic blow-up would take far more.
        assert!(after < 3 * 1024 * 1024, "{name}: peak RSS {after} KiB");
    }
}

#[test]
fn hostile_html_deep_nesting_is_cleaned_or_rejected_in_bounded_time_and_memory() {
    let depth = 100_000;
    let mut html = String::with_capacity(depth * 20);
    html.push_str("<html><body>");
    for _ in 0..depth {
        html.push_str("<div>");
        html.push('x');
    }
    html.push_str(PROSE);
    for _ in 0..depth {
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    check_bounded("deep", html);
}

#[test]
fn hostile_html_huge_attribute_is_cleaned_or_rejected_in_bounded_time_and_memory() {
    let mut html = String::from("<html><body><div class=\"");
    html.push_str(&"a".repeat(10 * 1024 * 1024));
    html.push_str("\"><p>");
    html.push_str(PROSE);
    html.push_str("</p></div></body></html>");
    check_bounded("attribute", html);
}

#[test]
fn hostile_html_million_tags_is_cleaned_or_rejected_in_bounded_time_and_memory() {
    let mut html = String::from("<html><body><div><p>");
    html.push_str(PROSE);
    html.push_str("</p>");
    for _ in 0..1_000_000 {
        html.push_str("<b>");
    }
    html.push_str("</div></body></html>");
    check_bounded("million-open-tags", html);
    // A million sibling tags, each closed: no nesting, only the count.
    let mut html = String::from("<html><body><div><p>");
    html.push_str(PROSE);
    html.push_str("</p>");
    for _ in 0..1_000_000 {
        html.push_str("<i>x</i>");
    }
    html.push_str("</div></body></html>");
    check_bounded("million-sibling-tags", html);
}

/// A big page just under the limits is parsed (not refused) within bounded time and memory.
#[test]
fn big_html_under_the_limits_is_parsed_in_bounded_time_and_memory() {
    let mut html = String::from("<html><body><div class=\"content\">");
    for i in 0..40_000 {
        html.push_str(&format!("<div><p>{i}: {PROSE}</p><span>a</span></div>"));
    }
    for _ in 0..(newsflow_cleaner::html::MAX_HTML_DEPTH - 10) {
        html.push_str("<div>");
    }
    html.push_str(PROSE);
    html.push_str("</div></body></html>");
    let out = clean_within_deadline("big", html.clone());
    assert!(out.is_ok(), "{out:?}");
    check_bounded("big", html);
}

/// The limits refuse hostile pages, never a real one: every HTML file of the corpus passes.
#[test]
fn html_limits_accept_every_real_page_of_the_corpus() {
    let mut checked = 0;
    let mut stack = vec![newsflow_e2e::corpus_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).expect("corpus file");
            let text = String::from_utf8_lossy(&bytes);
            if !text.to_ascii_lowercase().contains("<html") && !text.contains("</p>") {
                continue;
            }
            assert_eq!(
                newsflow_cleaner::html::check_complexity(&text),
                Ok(()),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no HTML found in the corpus");
    eprintln!("{checked} corpus pages within the HTML limits");
}

// ---------------------------------------------------------------------------------------------
// The inbox: odd entries and odd names through the real watcher.

use newsflow_e2e::pipeline::{names_in, read_stream, StoredMessage};
use newsflow_e2e::{wait_until, workspace_bin, NatsServer};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Bounds a hang on a shared machine; not a performance assertion.
const LONG: Duration = Duration::from_secs(120);

/// A watcher process on a temporary inbox; killed when dropped.
struct Watcher {
    root: tempfile::TempDir,
    child: Child,
}

impl Watcher {
    fn start(nats: &NatsServer, env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Watcher {
        Self::start_prepared(&nats.url(), env, prepare)
    }

    fn start_at(url: &str, env: &[(&str, &str)]) -> Watcher {
        Self::start_prepared(url, env, |_| {})
    }

    fn start_prepared(url: &str, env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Watcher {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("inbox")).unwrap();
        prepare(&root.path().join("inbox"));
        let log = std::fs::File::create(root.path().join("watcher.log")).unwrap();
        let mut cmd = Command::new(workspace_bin("newsflow-watcher"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NATS_URL", url)
            .env("NEWSFLOW_INBOX", root.path().join("inbox"))
            .env("NEWSFLOW_METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn newsflow-watcher");
        Watcher { root, child }
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
    fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("watcher.log")).unwrap_or_default()
    }
    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Names in `dir` as raw bytes.
fn raw_names_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().as_bytes().to_vec())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `source.path` → reason of each record on news.rejected.
fn rejection_reasons(url: &str) -> std::collections::BTreeMap<String, String> {
    read_stream(url, "NEWS_REJECTED")
        .iter()
        .map(|m| {
            let v = m.json();
            (
                v["source"]["path"].as_str().unwrap_or_default().to_string(),
                v["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn source_paths(msgs: &[StoredMessage]) -> std::collections::BTreeSet<String> {
    msgs.iter()
        .filter_map(|m| m.header("Newsflow-Source-Path").map(str::to_string))
        .collect()
}

/// A character device like /dev/zero (1, 5) at `path`; false when mknod is not permitted here.
fn mknod_zero(path: &Path) -> bool {
    Command::new("mknod")
        .arg(path)
        .args(["c", "1", "5"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sockets, device nodes and symlinks (to a file outside the inbox and to one inside it) are
/// refused with a reason naming what they are, never followed or read; the watcher stays up and
/// a valid file dropped afterwards is published.
#[test]
fn sockets_devices_and_symlinks_in_the_inbox_are_refused_never_read() {
    let nats = NatsServer::start();
    let mut socket = None;
    let mut device = false;
    let mut w = Watcher::start(&nats, &[], |inbox| {
        let root = inbox.parent().unwrap();
        std::fs::write(root.join("outside.txt"), "SECRET-OUTSIDE-THE-INBOX").unwrap();
        std::fs::write(inbox.join(".inside-target"), "SECRET-INSIDE-HIDDEN").unwrap();
        std::os::unix::fs::symlink(root.join("outside.txt"), inbox.join("out-link.txt")).unwrap();
        std::os::unix::fs::symlink(".inside-target", inbox.join("in-link.txt")).unwrap();
        socket = Some(std::os::unix::net::UnixListener::bind(inbox.join("sock.txt")).unwrap());
        device = mknod_zero(&inbox.join("zero.txt"));
    });
    if !device {
        eprintln!("mknod not permitted here: the device node case is not exercised");
    }
    let mut refused = vec!["in-link.txt", "out-link.txt", "sock.txt"];
    if device {
        refused.push("zero.txt");
    }
    let want: Vec<String> = {
        let mut v: Vec<String> = refused
            .iter()
            .flat_map(|n| [n.to_string(), format!("{n}.reason.txt")])
            .collect();
        v.sort();
        v
    };
    assert!(
        wait_until(LONG, || names_in(&w.rejected()) == want),
        "rejected/ = {:?}; log:\n{}",
        names_in(&w.rejected()),
        w.log()
    );
    // Still responsive: a valid file afterwards is published.
    std::fs::write(w.inbox().join("valid.txt"), "统计局：一季度GDP增长5.3%。").unwrap();
    assert!(
        wait_until(LONG, || names_in(&w.done()) == ["valid.txt"]),
        "log:\n{}",
        w.log()
    );
    assert!(w.running(), "watcher died:\n{}", w.log());

    let reasons = rejection_reasons(&nats.url());
    for (name, kind) in [
        ("in-link.txt", "symbolic link"),
        ("out-link.txt", "symbolic link"),
        ("sock.txt", "socket"),
        ("zero.txt", "device"),
    ] {
        if name == "zero.txt" && !device {
            continue;
        }
        let reason = reasons
            .get(name)
            .unwrap_or_else(|| panic!("{name}: {reasons:?}"));
        assert!(reason.contains(kind), "{name}: {reason}");
        let file = std::fs::read_to_string(w.rejected().join(format!("{name}.reason.txt")))
            .unwrap_or_default();
        assert!(file.contains(kind), "{name}.reason.txt: {file}");
    }
    // Moved as what they are, not replaced by their targets' content.
    let rejected = w.rejected();
    assert!(std::fs::symlink_metadata(rejected.join("out-link.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
    if device {
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(rejected.join("zero.txt"))
            .unwrap()
            .file_type()
            .is_char_device());
    }
    // Never read: no payload holds a target's content; the targets are untouched.
    let raw = read_stream(&nats.url(), "NEWS_RAW");
    assert_eq!(source_paths(&raw), ["valid.txt".to_string()].into());
    for m in &raw {
        let text = String::from_utf8_lossy(&m.payload);
        assert!(!text.contains("SECRET-"), "a link target was published");
    }
    assert_eq!(
        std::fs::read_to_string(w.inbox().join(".inside-target")).unwrap(),
        "SECRET-INSIDE-HIDDEN"
    );
    drop(socket);
}

/// Non-UTF-8 bytes, a newline, a 250-byte name and a leading dash: published (or, when empty,
/// refused) with the escaped name in `Newsflow-Source-Path` / `source.path`, the reason file
/// beside the refused one, and no raw newline from a name in the log.
#[test]
fn odd_names_are_published_or_refused_with_escaped_paths_and_reason_files() {
    let nats = NatsServer::start();
    let long = format!("{}.txt", "n".repeat(246));
    assert_eq!(long.len(), 250);
    let long_empty = format!("{}.txt", "e".repeat(246));
    let published: Vec<(Vec<u8>, String)> = vec![
        (b"bad-\xff\xfe.txt".to_vec(), "bad-\\xFF\\xFE.txt".into()),
        (b"new\nline.txt".to_vec(), "new\\x0Aline.txt".into()),
        (b"-rf --help.txt".to_vec(), "-rf --help.txt".into()),
        (long.clone().into_bytes(), long.clone()),
    ];
    let refused: Vec<(Vec<u8>, String)> = vec![
        (b"empty\n\xff.txt".to_vec(), "empty\\x0A\\xFF.txt".into()),
        (b"-empty.txt".to_vec(), "-empty.txt".into()),
        (long_empty.clone().into_bytes(), long_empty.clone()),
    ];
    let (p2, r2) = (published.clone(), refused.clone());
    let w = Watcher::start(&nats, &[], move |inbox| {
        for (i, (name, _)) in p2.iter().enumerate() {
            std::fs::write(
                inbox.join(OsStr::from_bytes(name)),
                format!("统计局：第{i}篇文章，增长5.{i}%。"),
            )
            .unwrap();
        }
        for (name, _) in &r2 {
            std::fs::write(inbox.join(OsStr::from_bytes(name)), "").unwrap();
        }
    });
    assert!(
        wait_until(LONG, || raw_names_in(&w.done()).len() == published.len()
            && raw_names_in(&w.rejected()).len() == 2 * refused.len()),
        "done/ = {:?}, rejected/ = {:?}, inbox = {:?}; log:\n{}",
        raw_names_in(&w.done()),
        raw_names_in(&w.rejected()),
        raw_names_in(&w.inbox()),
        w.log()
    );
    let raw = read_stream(&nats.url(), "NEWS_RAW");
    let paths = source_paths(&raw);
    for (name, escaped) in &published {
        assert!(paths.contains(escaped), "{escaped}: {paths:?}");
        assert!(w.done().join(OsStr::from_bytes(name)).exists(), "{escaped}");
    }
    assert_eq!(paths.len(), published.len());
    let reasons = rejection_reasons(&nats.url());
    let rejected = raw_names_in(&w.rejected());
    for (name, escaped) in &refused {
        let reason = reasons
            .get(escaped)
            .unwrap_or_else(|| panic!("{escaped}: {reasons:?}"));
        assert!(reason.contains("empty"), "{escaped}: {reason}");
        // Under its own name, or shortened (stem cut, extension kept) when its reason file's
        // name would be over 255 bytes.
        assert!(
            rejected.iter().any(|n| n == name
                || (n.len() > 200 && n.len() < name.len() && name.starts_with(&n[..200]))),
            "{escaped} not in rejected/"
        );
        // The reason file is beside it: NAME.reason.txt, or a shortened NAME when that would be
        // over the 255-byte name limit.
        let beside = rejected
            .iter()
            .filter(|n| n.ends_with(b".reason.txt"))
            .find(|n| {
                let stem = &n[..n.len() - b".reason.txt".len()];
                rejected.iter().any(|m| m == stem) && name.starts_with(&stem[..stem.len().min(200)])
            });
        let reason_file = beside.unwrap_or_else(|| panic!("no reason file for {escaped}"));
        let text =
            std::fs::read_to_string(w.rejected().join(OsStr::from_bytes(reason_file))).unwrap();
        assert!(text.contains("empty"), "{escaped}: {text}");
    }
    let log = w.log();
    for line in log.lines() {
        assert!(
            !line.starts_with("line.txt") && !line.starts_with("\u{FFFD}.txt"),
            "a raw newline from a file name split a log line:\n{log}"
        );
    }
    assert!(log.contains("new\\x0Aline.txt"), "{log}");
}

// ---------------------------------------------------------------------------------------------
// Secrets: never in stderr, `--help`, `/metrics` or error messages.

const MARK_PASSWORD: &str = "PW-MARK-7f3a9c";
const MARK_TOKEN: &str = "TOKEN-MARK-51be02";
const MARK_URL: &str = "URLPW-MARK-c0ffee";

fn with_secrets(cmd: &mut Command, closed_port: u16, metrics_port: u16) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "NATS_URL",
            format!("nats://someone:{MARK_URL}@127.0.0.1:{closed_port}"),
        )
        .env("NATS_USER", "someone")
        .env("NATS_PASSWORD", MARK_PASSWORD)
        .env("NATS_TOKEN", MARK_TOKEN)
        .env("NEWSFLOW_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("RUST_LOG", "trace");
}

fn assert_no_secret(what: &str, text: &str) {
    for mark in [MARK_PASSWORD, MARK_TOKEN, MARK_URL] {
        assert!(
            !text.contains(mark),
            "{what} shows a secret ({mark}):\n{text}"
        );
    }
}

/// Each service (and the CLI) with a password, a token and a password inside the URL of a
/// server that is not there: its stderr for a few seconds, its `--help` and its `/metrics` never
/// show them.
#[test]
fn secrets_never_appear_in_stderr_help_or_metrics() {
    let closed_port = newsflow_e2e::free_port();
    for service in [
        "newsflow-watcher",
        "newsflow-cleaner",
        "newsflow-deduper",
        "newsflow-extractor",
    ] {
        let metrics_port = newsflow_e2e::free_port();
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(workspace_bin(service));
        with_secrets(&mut cmd, closed_port, metrics_port);
        let help = cmd.arg("--help").output().expect("run --help");
        let help_text = String::from_utf8_lossy(&help.stdout).to_string()
            + &String::from_utf8_lossy(&help.stderr);
        assert!(
            help_text.contains("NATS_PASSWORD"),
            "{service}: {help_text}"
        );
        assert_no_secret(&format!("{service} --help"), &help_text);

        let log_path = dir.path().join("stderr.log");
        let mut cmd = Command::new(workspace_bin(service));
        with_secrets(&mut cmd, closed_port, metrics_port);
        let mut child = cmd
            .env("NEWSFLOW_INBOX", dir.path().join("inbox"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("spawn service");
        let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        // Until it has tried the server a few times (or given up).
        let tried = wait_until(Duration::from_secs(60), || {
            log().matches("127.0.0.1").count() >= 3 || child.try_wait().ok().flatten().is_some()
        });
        let metrics = newsflow_e2e::pipeline::http_get(metrics_port, "/metrics")
            .map(|(_, body)| body)
            .unwrap_or_default();
        let _ = child.kill();
        let _ = child.wait();
        let text = log();
        assert!(tried && !text.is_empty(), "{service}: no log:\n{text}");
        assert_no_secret(&format!("{service} stderr"), &text);
        assert_no_secret(&format!("{service} /metrics"), &metrics);
        eprintln!(
            "{service}: {} log bytes, {} metrics bytes checked",
            text.len(),
            metrics.len()
        );
    }
    // The CLI gives up with an error naming the server: without the password.
    let mut cmd = Command::new(workspace_bin("newsflow"));
    with_secrets(&mut cmd, closed_port, newsflow_e2e::free_port());
    let out = cmd
        .args(["dlq", "list"])
        .stdin(Stdio::null())
        .output()
        .expect("run newsflow");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert_no_secret("newsflow dlq list", &text);
}

/// A server that requires a password, the password given only inside `NATS_URL`: the watcher
/// connects (URL credentials are honoured), publishes, and neither its log (at trace level) nor
/// its `/metrics` shows the password.
#[test]
fn password_in_the_url_authenticates_and_stays_out_of_logs_and_metrics() {
    let nats = NatsServer::start_with_args(&["--user", "someone", "--pass", MARK_URL]);
    let url = format!("nats://someone:{MARK_URL}@127.0.0.1:{}", nats.port());
    let metrics_port = newsflow_e2e::free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let w = Watcher::start_at(
        &url,
        &[
            ("NEWSFLOW_METRICS_ADDR", metrics_addr.as_str()),
            ("RUST_LOG", "trace"),
        ],
    );
    std::fs::write(w.inbox().join("a.txt"), "统计局：一季度GDP增长5.3%。").unwrap();
    assert!(
        wait_until(LONG, || names_in(&w.done()) == ["a.txt"]),
        "not published with URL credentials; log:\n{}",
        w.log()
    );
    let metrics = newsflow_e2e::pipeline::http_get(metrics_port, "/metrics")
        .map(|(_, body)| body)
        .unwrap_or_default();
    assert!(metrics.contains("newsflow_"), "{metrics}");
    assert_no_secret("watcher /metrics", &metrics);
    assert_no_secret("watcher log", &w.log());
}

// ---------------------------------------------------------------------------------------------
// Limits with clear reasons.

/// `NEWSFLOW_MAX_JSONL_ITEMS`: a batch with more articles is refused whole (nothing of it
/// published); `NEWSFLOW_MAX_JSONL_LINE_BYTES`: a longer line is refused alone, its neighbours
/// pass; `NEWSFLOW_MAX_FILE_BYTES` still refuses a bigger file. Each reason names its setting.
#[test]
fn jsonl_items_and_line_bytes_and_file_bytes_are_limited_with_clear_reasons() {
    let nats = NatsServer::start();
    let line = |i: usize| format!("{{\"title\":\"第{i}篇\",\"body\":\"统计局：增长5.{i}%。\"}}");
    let w = Watcher::start(
        &nats,
        &[
            ("NEWSFLOW_MAX_JSONL_ITEMS", "5"),
            ("NEWSFLOW_MAX_JSONL_LINE_BYTES", "200"),
            ("NEWSFLOW_MAX_FILE_BYTES", "4KiB"),
        ],
        |inbox| {
            let many: String = (0..6).map(|i| line(i) + "\n").collect();
            std::fs::write(inbox.join("many.jsonl"), many).unwrap();
            let long = format!(
                "{}\n{{\"title\":\"长\",\"body\":\"{}\"}}\n{}\n",
                line(1),
                "长".repeat(100),
                line(3)
            );
            std::fs::write(inbox.join("long-line.jsonl"), long).unwrap();
            std::fs::write(inbox.join("big.txt"), "x".repeat(5000)).unwrap();
        },
    );
    assert!(
        wait_until(LONG, || names_in(&w.done()) == ["long-line.jsonl"]
            && names_in(&w.rejected()).len() == 4),
        "done/ = {:?}, rejected/ = {:?}; log:\n{}",
        names_in(&w.done()),
        names_in(&w.rejected()),
        w.log()
    );
    let reasons = rejection_reasons(&nats.url());
    let has = |path: &str, words: &[&str]| {
        let r = reasons
            .get(path)
            .unwrap_or_else(|| panic!("{path}: {reasons:?}"));
        assert!(words.iter().all(|w| r.contains(w)), "{path}: {r}");
    };
    has(
        "many.jsonl",
        &["6 items", "limit of 5", "NEWSFLOW_MAX_JSONL_ITEMS"],
    );
    has(
        "long-line.jsonl#2",
        &["limit of 200", "NEWSFLOW_MAX_JSONL_LINE_BYTES"],
    );
    has("big.txt", &["5000 bytes", "NEWSFLOW_MAX_FILE_BYTES"]);
    let text = std::fs::read_to_string(w.rejected().join("many.jsonl.reason.txt")).unwrap();
    assert!(text.contains("NEWSFLOW_MAX_JSONL_ITEMS"), "{text}");
    let raw = source_paths(&read_stream(&nats.url(), "NEWS_RAW"));
    assert_eq!(
        raw,
        ["long-line.jsonl#1", "long-line.jsonl#3"]
            .map(String::from)
            .into(),
        "nothing of many.jsonl, the long line alone refused"
    );
}

/// Text longer than `MAX_CLEAN_TEXT_BYTES` after cleaning is refused with that limit named.
#[test]
fn cleaned_text_over_the_limit_is_refused_with_a_clear_reason() {
    let max = newsflow_cleaner::MAX_CLEAN_TEXT_BYTES;
    let mut text = String::with_capacity(max + 4096);
    let mut i = 0;
    while text.len() <= max + 1024 {
        text.push_str(&format!("第{i}段:{PROSE}\n"));
        i += 1;
    }
    let raw = RawArticle {
        source_path: "long.txt".into(),
        received_at: None,
        bytes: text.into_bytes().into(),
    };
    let err = newsflow_cleaner::clean(&raw).unwrap_err();
    assert_eq!(err.reason_code(), "text_too_long");
    assert!(err.to_string().contains("MAX_CLEAN_TEXT_BYTES"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Reply inboxes per service under deploy/nats/secure.conf.

/// Under secure.conf a service user may subscribe only to its own reply inboxes
/// (`NATS_INBOX_PREFIX=_INBOX_<service>`): the cleaner cannot listen to the watcher's replies nor
/// to the default `_INBOX.>`, while a request through its own prefix works.
#[test]
fn each_service_user_reads_only_its_own_reply_inboxes() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let users = [
        "watcher",
        "cleaner",
        "deduper",
        "extractor",
        "admin",
        "dashboard",
    ];
    let pw = |u: &str| format!("pw-{u}");
    // nats-server reads the passwords from its environment: this check runs its own process.
    let port = newsflow_e2e::free_port();
    let store = tempfile::tempdir().unwrap();
    let mut server = Command::new(newsflow_e2e::nats_server_bin());
    server
        .arg("-c")
        .arg(repo.join("deploy/nats/secure.conf"))
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for u in users {
        server.env(format!("NEWSFLOW_PW_{}", u.to_uppercase()), pw(u));
    }
    let mut server = server.spawn().expect("start nats-server");
    assert!(wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    let url = format!("nats://127.0.0.1:{port}");
    let result = newsflow_e2e::pipeline::block_on(async {
        let errors: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let sink = errors.clone();
        let cleaner =
            async_nats::ConnectOptions::with_user_and_password("cleaner".into(), pw("cleaner"))
                .custom_inbox_prefix("_INBOX_cleaner")
                .event_callback(move |e| {
                    let sink = sink.clone();
                    async move {
                        if let async_nats::Event::ServerError(e) = e {
                            sink.lock().unwrap().push(e.to_string());
                        }
                    }
                })
                .connect(&url)
                .await
                .expect("connect as cleaner");
        // Its own inbox works: a JetStream API request gets its reply.
        let js = async_nats::jetstream::new(cleaner.clone());
        // STREAM.INFO is allowed to the cleaner; the stream is absent, so the reply is "not found".
        let own = js
            .get_stream("NEWS_RAW")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        let _a = cleaner.subscribe("_INBOX_watcher.>").await.unwrap();
        let _b = cleaner.subscribe("_INBOX.>").await.unwrap();
        cleaner.flush().await.unwrap();
        let mut denied = Vec::new();
        for _ in 0..400 {
            denied = errors.lock().unwrap().clone();
            if denied.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        (own, denied)
    });
    let _ = server.kill();
    let _ = server.wait();
    let (own, denied) = result;
    assert!(
        denied.iter().any(|e| e.contains("\"_INBOX_watcher.>\"")),
        "{denied:?}"
    );
    assert!(
        denied.iter().any(|e| e.contains("\"_INBOX.>\"")),
        "{denied:?}"
    );
    // An answer (found or not) came back through the cleaner's own inbox.
    if let Err(e) = own {
        assert!(
            !e.contains("timed out"),
            "no reply through the cleaner's own inbox: {e}"
        );
    }
}
