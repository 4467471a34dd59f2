//! Smoke test of `newsflow-bench --quick`: on 50 articles, end to end through the four service
//! binaries of this build and a nats-server the driver starts itself, the report has every
//! section and field and every article is accounted for. No timing assertions.
//!
//! Needs the workspace binaries built first (`make test` does: `cargo build --workspace`).
//! The driver starts its own nats-server (loopback, free port, temporary store).

use serde_json::Value;
use std::process::Command;

fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for key in path.split('.') {
        cur = match key.parse::<usize>() {
            Ok(i) => &cur[i],
            Err(_) => &cur[key],
        };
        assert!(!cur.is_null(), "report has no {path} (stopped at {key})");
    }
    cur
}

#[test]
fn quick_run_accounts_for_every_article() {
    // The service binaries of this build sit beside newsflow-bench (target/<profile>/).
    let bench = std::path::Path::new(env!("CARGO_BIN_EXE_newsflow-bench"));
    let bin_dir = bench.parent().expect("binary directory").to_path_buf();
    assert!(
        bin_dir.join("newsflow-watcher").exists(),
        "service binaries not built in {}: run `cargo build --workspace` (make test does) first",
        bin_dir.display()
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_newsflow-bench"))
        .args([
            "--quick",
            "--articles",
            "50",
            "--rate",
            "20",
            "--steady-secs",
            "1",
            "--stage-secs",
            "0.05",
            "--pipeline-items",
            "10",
            "--stage-docs",
            "3",
            "--timeout-secs",
            "240",
        ])
        .arg("--bin-dir")
        .arg(&bin_dir)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run newsflow-bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "newsflow-bench failed ({}):\n{stdout}\n{stderr}",
        run.status
    );
    assert!(stdout.contains("Targets"), "no table printed:\n{stdout}");

    let report: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("report written")).expect("JSON");
    assert_eq!(field(&report, "schema"), "newsflow.bench.v1");

    // Per-stage figures: every stage, with a rate and its own peak memory.
    let stages = field(&report, "stages").as_array().expect("stages array");
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["stage"].as_str().unwrap_or(""))
        .collect();
    for want in [
        "clean-text",
        "clean-html",
        "dedup-signature",
        "dedup-fingerprint",
        "extract",
        "in-process-pipeline",
    ] {
        assert!(names.contains(&want), "stage {want} missing: {names:?}");
    }
    for s in stages {
        assert!(s["docs_per_s"].as_f64().unwrap_or(0.0) > 0.0, "{s}");
        assert!(s["mb_per_s"].as_f64().unwrap_or(0.0) > 0.0, "{s}");
        assert!(s["peak_rss_mib"].as_f64().unwrap_or(0.0) > 0.0, "{s}");
    }

    // The feed is mostly new articles, as the in-process run confirms.
    let share = field(&report, "feed.prediction.unique_share")
        .as_f64()
        .expect("share");
    assert!(share > 0.5, "unique share {share}");

    // Burst: all 50 articles decided, none unaccounted.
    assert_eq!(field(&report, "e2e.burst.articles"), 50);
    assert_eq!(field(&report, "e2e.burst.complete"), true);
    let o = field(&report, "e2e.burst.outcomes");
    let decided = o["unique"].as_u64().unwrap_or(0)
        + o["duplicate"].as_u64().unwrap_or(0)
        + o["rejected"].as_u64().unwrap_or(0);
    assert_eq!(decided, 50, "{o}");
    assert_eq!(o["unaccounted"], 0, "{o}");
    assert!(
        field(&report, "e2e.burst.articles_per_s")
            .as_f64()
            .unwrap_or(0.0)
            > 0.0
    );

    // Steady phase: 20 articles, latency summaries present.
    assert_eq!(field(&report, "e2e.steady.articles"), 20);
    assert_eq!(field(&report, "e2e.steady.complete"), true);
    field(&report, "e2e.steady.drop_to_event.p99_ms");
    field(&report, "e2e.steady.drop_to_decision.p50_ms");
    field(&report, "e2e.steady.hops");

    // Every article of both phases accounted for; events match the in-process prediction
    // (extraction is deterministic; the deduper may differ only under races, not here).
    assert_eq!(field(&report, "accounting.articles"), 70);
    assert_eq!(field(&report, "accounting.all_accounted"), true);

    // Memory of each service, sampled from /proc.
    for svc in ["watcher", "cleaner", "deduper", "extractor", "nats-server"] {
        let hwm = field(&report, &format!("e2e.processes.{svc}.vm_hwm_mib"))
            .as_f64()
            .unwrap_or(0.0);
        assert!(hwm > 0.0, "{svc} VmHWM {hwm}");
    }

    // The ceiling and the ratio.
    assert_eq!(field(&report, "relay.articles"), 50);
    assert_eq!(field(&report, "relay.complete"), true);
    assert!(field(&report, "ratio_e2e_to_relay").as_f64().unwrap_or(0.0) > 0.0);

    // The floors: the relay carrying one message per predicted event and the KV writes, every
    // message seen at the sink; the as-built floor writes what the deduper wrote.
    let floors = field(&report, "floors").as_array().expect("floors array");
    let floor = |name: &str| {
        floors
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("floor {name} missing: {floors:?}"))
    };
    // The prediction covers both phases (70 articles); the floors relay the 50 of the burst at
    // the same mean number of events.
    let events = field(&report, "feed.prediction.events")
        .as_u64()
        .expect("events");
    let predicted = field(&report, "feed.prediction.articles")
        .as_u64()
        .expect("articles");
    let events = (50.0 * (events as f64 / predicted as f64)).floor() as u64;
    for name in ["contract", "as built"] {
        let f = floor(name);
        assert_eq!(f["run"]["complete"], true, "{f}");
        assert_eq!(f["run"]["messages_at_sink"].as_u64(), Some(events), "{f}");
        assert!(f["ratio_to_relay"].as_f64().unwrap_or(0.0) > 0.0, "{f}");
    }
    assert_eq!(
        floor("contract")["run"]["shape"]["kv_writes_per_article"],
        1.0
    );
    let kv = field(&report, "e2e.kv_writes").as_u64().expect("kv_writes");
    let per_article = floor("as built")["run"]["shape"]["kv_writes_per_article"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(kv > 50, "a new article writes more than one KV entry: {kv}");
    assert!(
        (per_article - kv as f64 / 50.0).abs() < 1e-9,
        "{per_article}"
    );
    let targets = field(&report, "targets").as_array().expect("targets");
    assert_eq!(targets.len(), 6, "{targets:?}");
}
