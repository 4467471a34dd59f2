//! The shared corpus as the benchmark reads it: every file of `seeds/` and `dev/articles/`
//! (bytes as they are, name kept for the format), the base for the per-stage figures and for the
//! generated feed.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// One corpus file.
#[derive(Clone, Debug)]
pub struct CorpusFile {
    /// File name (`zh_a01.txt`); its extension tells the cleaner the format.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl CorpusFile {
    pub fn is_html(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.ends_with(".html") || n.ends_with(".htm")
    }
}

/// Default corpus location: `../shared/corpus` beside the repository (`NEWSFLOW_CORPUS`
/// overrides it through the `--corpus` flag's env).
pub fn default_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

/// Every regular file of `seeds/` and `dev/articles/` under `root`, sorted by name within each.
pub fn load(root: &Path) -> anyhow::Result<Vec<CorpusFile>> {
    let mut out = Vec::new();
    for sub in ["seeds", "dev/articles"] {
        let dir = root.join(sub);
        let rd = std::fs::read_dir(&dir)
            .with_context(|| format!("reading corpus directory {}", dir.display()))?;
        let mut paths: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(CorpusFile { name, bytes });
        }
    }
    if out.is_empty() {
        bail!(
            "no corpus files under {} (seeds/, dev/articles/); pass --corpus DIR",
            root.display()
        );
    }
    Ok(out)
}
