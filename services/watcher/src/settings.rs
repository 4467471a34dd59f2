//! The watcher's own settings (each a flag and an env var, with the default in `--help`) plus the
//! [`CommonArgs`] every service shares. Bad values are refused by the value parsers so that clap
//! reports them as one line naming the setting, exit status 2.

use clap::{Parser, ValueEnum};
use newsflow_shared::config::CommonArgs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What happens to a file once every message of it is acknowledged by JetStream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnDone {
    /// Move it to the done directory (never overwriting a same-named file there).
    Move,
    /// Delete it.
    Delete,
}

/// Default of `NEWSFLOW_MAX_FILE_BYTES`: 64 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Default of `NEWSFLOW_MAX_JSONL_ITEMS`.
pub const DEFAULT_MAX_JSONL_ITEMS: usize = 100_000;

/// Default of `NEWSFLOW_MAX_JSONL_LINE_BYTES`: 8 MiB.
pub const DEFAULT_MAX_JSONL_LINE_BYTES: u64 = 8 * 1024 * 1024;

/// `newsflow-watcher`: files dropped into the inbox become `news.raw` messages.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "newsflow-watcher",
    version,
    about = "newsflow watcher: files dropped into the inbox become news.raw messages"
)]
pub struct WatcherArgs {
    /// Directory newsrooms drop files into.
    #[arg(
        long = "inbox",
        env = "NEWSFLOW_INBOX",
        default_value = "./var/inbox",
        value_name = "DIR"
    )]
    pub inbox: PathBuf,

    /// Where files go once published [default: done/ beside the inbox].
    #[arg(long = "done-dir", env = "NEWSFLOW_DONE_DIR", value_name = "DIR")]
    pub done_dir: Option<PathBuf>,

    /// Where refused files go, each beside a NAME.reason.txt [default: rejected/ beside the inbox].
    #[arg(
        long = "rejected-dir",
        env = "NEWSFLOW_REJECTED_DIR",
        value_name = "DIR"
    )]
    pub rejected_dir: Option<PathBuf>,

    /// What to do with a file once published.
    #[arg(long = "on-done", env = "NEWSFLOW_ON_DONE", value_enum, default_value_t = OnDone::Move)]
    pub on_done: OnDone,

    /// Largest file taken, in bytes (suffixes KiB, MiB, GiB allowed); bigger files are rejected.
    #[arg(long = "max-file-bytes", env = "NEWSFLOW_MAX_FILE_BYTES", default_value = "67108864",
          value_parser = parse_byte_size, value_name = "BYTES")]
    pub max_file_bytes: u64,

    /// Most articles (non-empty lines) in one .jsonl/.ndjson file; a bigger batch is rejected
    /// whole before anything of it is published.
    #[arg(long = "max-jsonl-items", env = "NEWSFLOW_MAX_JSONL_ITEMS", default_value_t = DEFAULT_MAX_JSONL_ITEMS,
          value_parser = parse_count, value_name = "N")]
    pub max_jsonl_items: usize,

    /// Longest line of a .jsonl/.ndjson file, in bytes (suffixes KiB, MiB allowed); a longer
    /// line is rejected alone, the others pass.
    #[arg(long = "max-jsonl-line-bytes", env = "NEWSFLOW_MAX_JSONL_LINE_BYTES", default_value = "8388608",
          value_parser = parse_byte_size, value_name = "BYTES")]
    pub max_jsonl_line_bytes: u64,

    /// A file found without a close/rename event is taken once its size and mtime have not
    /// changed for this many milliseconds.
    #[arg(long = "settle-ms", env = "NEWSFLOW_SETTLE_MS", default_value_t = 500,
          value_parser = parse_settle_ms, value_name = "MS")]
    pub settle_ms: u64,

    /// Full rescan of the inbox every this many milliseconds, a backstop for missed events.
    #[arg(long = "rescan-ms", env = "NEWSFLOW_RESCAN_MS", default_value_t = 10_000,
          value_parser = parse_rescan_ms, value_name = "MS")]
    pub rescan_ms: u64,

    #[command(flatten)]
    pub common: CommonArgs,

    /// Test-only fault injection: SIGKILL this process right after the first file's PubAcks,
    /// before the file is moved (proves a restart does not publish it twice downstream).
    #[arg(
        long = "test-kill-after-puback",
        env = "NEWSFLOW_TEST_KILL_AFTER_PUBACK",
        hide = true
    )]
    pub test_kill_after_puback: bool,
}

impl WatcherArgs {
    pub fn settle(&self) -> Duration {
        Duration::from_millis(self.settle_ms)
    }

    pub fn rescan_every(&self) -> Duration {
        Duration::from_millis(self.rescan_ms)
    }

    /// The done directory: `--done-dir`, else `done` beside the inbox.
    pub fn done_dir(&self) -> PathBuf {
        self.done_dir
            .clone()
            .unwrap_or_else(|| beside(&self.inbox, "done"))
    }

    /// The rejected directory: `--rejected-dir`, else `rejected` beside the inbox.
    pub fn rejected_dir(&self) -> PathBuf {
        self.rejected_dir
            .clone()
            .unwrap_or_else(|| beside(&self.inbox, "rejected"))
    }
}

/// `name` in the directory that holds `dir` (`./var/inbox` → `./var/name`).
fn beside(dir: &Path, name: &str) -> PathBuf {
    match dir.parent() {
        Some(parent) => parent.join(name),
        None => dir.join(name),
    }
}

/// `1048576`, `512KiB`, `64MiB`, `1GiB` (also `K`, `M`, `G`, binary multiples) → bytes ≥ 1.
pub fn parse_byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err("must be a number of bytes, optionally with KiB, MiB or GiB".into()),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| "must be a number of bytes, optionally with KiB, MiB or GiB".to_string())?;
    match n.checked_mul(mult) {
        Some(v) if v >= 1 => Ok(v),
        Some(_) => Err("must be at least 1 byte".into()),
        None => Err("is too large".into()),
    }
}

/// A whole number ≥ 1.
fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err("must be a whole number of at least 1".into()),
    }
}

fn parse_ms_in(s: &str, lo: u64, hi: u64) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "must be a whole number of milliseconds from {lo} to {hi}"
        )),
    }
}

fn parse_settle_ms(s: &str) -> Result<u64, String> {
    parse_ms_in(s, 0, 3_600_000)
}

fn parse_rescan_ms(s: &str) -> Result<u64, String> {
    parse_ms_in(s, 100, 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsflow_shared::config::{try_parse_service_args, WATCHER_METRICS_ADDR};

    fn parse(args: &[&str]) -> Result<WatcherArgs, newsflow_shared::config::ConfigError> {
        let mut v = vec!["newsflow-watcher"];
        v.extend_from_slice(args);
        try_parse_service_args(v, WATCHER_METRICS_ADDR)
    }

    #[test]
    fn defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.inbox, PathBuf::from("./var/inbox"));
        assert_eq!(a.done_dir(), PathBuf::from("./var/done"));
        assert_eq!(a.rejected_dir(), PathBuf::from("./var/rejected"));
        assert_eq!(a.on_done, OnDone::Move);
        assert_eq!(a.max_file_bytes, DEFAULT_MAX_FILE_BYTES);
        assert_eq!(a.settle_ms, 500);
        assert_eq!(a.max_jsonl_items, DEFAULT_MAX_JSONL_ITEMS);
        assert_eq!(a.max_jsonl_line_bytes, DEFAULT_MAX_JSONL_LINE_BYTES);
        assert_eq!(a.common.metrics_addr.to_string(), "127.0.0.1:9101");
        assert!(!a.test_kill_after_puback);
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_byte_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_byte_size("2 GiB"), Ok(2 << 30));
        assert!(parse_byte_size("0").is_err());
        assert!(parse_byte_size("lots").is_err());
        assert!(parse_byte_size("99999999999999999999G").is_err());
    }

    #[test]
    fn bad_values_are_one_line_naming_the_setting() {
        for (args, env) in [
            (&["--on-done", "archive"][..], "NEWSFLOW_ON_DONE"),
            (&["--settle-ms", "soon"][..], "NEWSFLOW_SETTLE_MS"),
            (&["--max-file-bytes", "big"][..], "NEWSFLOW_MAX_FILE_BYTES"),
            (&["--rescan-ms", "5"][..], "NEWSFLOW_RESCAN_MS"),
            (&["--max-jsonl-items", "0"][..], "NEWSFLOW_MAX_JSONL_ITEMS"),
            (
                &["--max-jsonl-line-bytes", "x"][..],
                "NEWSFLOW_MAX_JSONL_LINE_BYTES",
            ),
        ] {
            let e = parse(args).unwrap_err();
            assert_eq!(e.exit_code, 2, "{args:?}");
            assert!(!e.line.contains('\n'), "{}", e.line);
            assert!(e.line.contains(env), "{args:?}: {}", e.line);
        }
    }

    #[test]
    fn help_lists_every_setting_with_env_and_default() {
        let e = parse(&["--help"]).unwrap_err();
        for s in [
            "NEWSFLOW_INBOX",
            "NEWSFLOW_DONE_DIR",
            "NEWSFLOW_REJECTED_DIR",
            "NEWSFLOW_ON_DONE",
            "NEWSFLOW_MAX_FILE_BYTES",
            "NEWSFLOW_SETTLE_MS",
            "NEWSFLOW_RESCAN_MS",
            "NEWSFLOW_MAX_JSONL_ITEMS",
            "NEWSFLOW_MAX_JSONL_LINE_BYTES",
            "NATS_URL",
            "127.0.0.1:9101",
        ] {
            assert!(e.line.contains(s), "--help lacks {s}");
        }
        assert!(!e.line.contains("NEWSFLOW_TEST_KILL_AFTER_PUBACK"));
    }
}
