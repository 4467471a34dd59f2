//! `newsflow batch`: the services' clean → dedup → extract code in one process, without NATS,
//! with dedup state in memory. What a service would reject is reported on stderr.

use anyhow::Context;
use newsflow_deduper::{Decision, InMemoryDeduper};
use newsflow_extractor::Taxonomy;
use newsflow_shared::records::{RawArticle, RejectedRecord, Source, REJECTED_SCHEMA};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    Indicators,
    Articles,
    Duplicates,
    All,
}

/// Files under `paths`, directories walked recursively, each level in path order.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out).with_context(|| format!("reading {}", p.display()))?;
    }
    Ok(out)
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            if !is_ignored_name(&e) {
                walk(&e, out)?;
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// The inbox's ignore rules (SPEC §2): `.*`, `*.tmp`, `*.part`, `*~`.
fn is_ignored_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with('~')
}

pub fn run(emit: Emit, taxonomy: Taxonomy, paths: &[PathBuf]) -> anyhow::Result<()> {
    let mut dedup = InMemoryDeduper::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for file in collect_files(paths)? {
        let path = file.display().to_string();
        let bytes = match std::fs::read(&file) {
            Ok(b) => bytes::Bytes::from(b),
            Err(e) => {
                let rec = rejected(&path, format!("cannot read: {e}"));
                writeln!(err, "{}", serde_json::to_string(&rec)?)?;
                continue;
            }
        };
        for raw in raw_articles(&file, &path, bytes) {
            match raw {
                Ok(raw) => process(emit, &raw, &mut dedup, &taxonomy, &mut out, &mut err)?,
                Err(line) => {
                    let rec = rejected(&line.path, line.reason);
                    writeln!(err, "{}", serde_json::to_string(&rec)?)?
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// A line of a batch file that is not an article.
struct RejectedLine {
    path: String,
    reason: String,
}

/// The articles of one file as the watcher would publish them: the whole file, or one per
/// non-empty line of a `.jsonl`/`.ndjson` batch (`FILE.jsonl#N`), a bad line rejected alone.
fn raw_articles(
    file: &Path,
    path: &str,
    bytes: bytes::Bytes,
) -> Vec<Result<RawArticle, RejectedLine>> {
    use newsflow_watcher::{jsonl, names};
    if !file.file_name().is_some_and(names::is_json_lines) {
        return vec![Ok(RawArticle {
            source_path: path.to_string(),
            received_at: None,
            bytes,
        })];
    }
    jsonl::split_lines(&bytes)
        .into_iter()
        .map(|line| {
            let line_path = names::line_source_path(path, line.line_no);
            match line.problem {
                Some(problem) => Err(RejectedLine {
                    path: line_path,
                    reason: problem,
                }),
                None => Ok(RawArticle {
                    source_path: line_path,
                    received_at: None,
                    bytes: line.bytes,
                }),
            }
        })
        .collect()
}

/// Clean, dedup and extract one raw article, printing what `emit` asks for.
fn process(
    emit: Emit,
    raw: &RawArticle,
    dedup: &mut InMemoryDeduper,
    taxonomy: &Taxonomy,
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<()> {
    let article = match newsflow_cleaner::clean(raw) {
        Ok(a) => a,
        Err(e) => {
            let rec = rejected(&raw.source_path, e.to_string());
            writeln!(err, "{}", serde_json::to_string(&rec)?)?;
            return Ok(());
        }
    };
    if matches!(emit, Emit::Articles | Emit::All) {
        writeln!(out, "{}", serde_json::to_string(&article)?)?;
    }
    match dedup.decide(&article) {
        Decision::Duplicate(d) => {
            if matches!(emit, Emit::Duplicates | Emit::All) {
                writeln!(out, "{}", serde_json::to_string(&d)?)?;
            }
        }
        Decision::Unique(a) => {
            if matches!(emit, Emit::Indicators | Emit::All) {
                for ev in newsflow_extractor::extract(&a, taxonomy) {
                    writeln!(out, "{}", serde_json::to_string(&ev)?)?;
                }
            }
        }
    }
    Ok(())
}

fn rejected(path: &str, reason: String) -> RejectedRecord {
    RejectedRecord {
        schema: REJECTED_SCHEMA.to_string(),
        source: Source {
            path: Some(path.to_string()),
            ..Source::default()
        },
        stage: "batch".to_string(),
        reason,
        at: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jsonl_batch_is_one_article_per_line_and_a_bad_line_is_rejected_alone() {
        let bytes = bytes::Bytes::from_static(
            b"{\"title\":\"a\",\"body\":\"x\"}\nnot json\n\n{\"body\":\"y\"}\n",
        );
        let got = raw_articles(Path::new("in/b.jsonl"), "in/b.jsonl", bytes);
        let paths: Vec<String> = got
            .iter()
            .map(|r| match r {
                Ok(raw) => raw.source_path.clone(),
                Err(line) => format!("rejected {}", line.path),
            })
            .collect();
        assert_eq!(
            paths,
            ["in/b.jsonl#1", "rejected in/b.jsonl#2", "in/b.jsonl#4"]
        );
    }

    #[test]
    fn other_files_are_one_article_and_temp_names_are_skipped() {
        let got = raw_articles(
            Path::new("a.txt"),
            "a.txt",
            bytes::Bytes::from_static(b"x\ny"),
        );
        assert_eq!(got.len(), 1);
        assert!(is_ignored_name(Path::new("d/.hidden.txt")));
        assert!(is_ignored_name(Path::new("d/a.part")));
        assert!(!is_ignored_name(Path::new("d/a.txt")));
    }
}
