//! Clean files and print the articles (or rejections) as JSON lines: a debugging aid that needs
//! neither NATS nor the other stages. `cargo run -p newsflow-cleaner --example clean_files -- PATH...`

use newsflow_shared::records::RawArticle;
use std::path::{Path, PathBuf};

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        collect(Path::new(&a), &mut files);
    }
    for f in files {
        let bytes = match std::fs::read(&f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                continue;
            }
        };
        let raw = RawArticle {
            source_path: f.display().to_string(),
            received_at: None,
            bytes: bytes.into(),
        };
        match newsflow_cleaner::clean(&raw) {
            Ok(a) => println!("{}", serde_json::to_string(&a).unwrap_or_default()),
            Err(e) => eprintln!("{}: rejected: {e}", f.display()),
        }
    }
}
