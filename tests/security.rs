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
