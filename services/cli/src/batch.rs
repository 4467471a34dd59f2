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

pub fn run(emit: Emit, paths: &[PathBuf]) -> anyhow::Result<()> {
    let taxonomy = Taxonomy::embedded();
    let mut dedup = InMemoryDeduper::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for file in collect_files(paths)? {
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                let rec = rejected(&file.display().to_string(), format!("cannot read: {e}"));
                writeln!(err, "{}", serde_json::to_string(&rec)?)?;
                continue;
            }
        };
        let path = file.display().to_string();
        let raw = RawArticle {
            source_path: path.clone(),
            received_at: None,
            bytes: bytes.into(),
        };
        let article = match newsflow_cleaner::clean(&raw) {
            Ok(a) => a,
            Err(e) => {
                writeln!(
                    err,
                    "{}",
                    serde_json::to_string(&rejected(&path, e.to_string()))?
                )?;
                continue;
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
                    for ev in newsflow_extractor::extract(&a, &taxonomy) {
                        writeln!(out, "{}", serde_json::to_string(&ev)?)?;
                    }
                }
            }
        }
    }
    out.flush()?;
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
