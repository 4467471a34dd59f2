//! Reading one inbox entry safely: only regular files are opened (never a FIFO, never through a
//! symlink), at most `max_file_bytes + 1` bytes are read, and the cheap verdicts that are the
//! watcher's to give — empty, oversized, not a regular file, unreadable, plainly binary — are
//! returned as a [`RejectReason`]. Telling encodings apart is left to the cleaner.

use bytes::Bytes;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why the watcher refuses a file. The label is the `reason` of
/// `newsflow_files_rejected_total`; the message is the one line written to `NAME.reason.txt`
/// and into the `newsflow.rejected.v1` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    Empty,
    TooLarge {
        size: u64,
        max: u64,
    },
    Binary {
        evidence: String,
    },
    NotRegular {
        kind: &'static str,
    },
    Unreadable {
        error: String,
    },
    /// A line of a `.jsonl` batch that is not one JSON object.
    BadLine {
        problem: String,
    },
    /// A `.jsonl` batch with no line that is a JSON object.
    NoArticles,
    /// A `.jsonl` batch with more non-empty lines than `NEWSFLOW_MAX_JSONL_ITEMS`.
    TooManyItems {
        items: usize,
        max: usize,
    },
}

impl RejectReason {
    pub fn label(&self) -> &'static str {
        match self {
            RejectReason::Empty => "empty",
            RejectReason::TooLarge { .. } => "oversized",
            RejectReason::Binary { .. } => "binary",
            RejectReason::NotRegular { .. } => "not_regular",
            RejectReason::Unreadable { .. } => "unreadable",
            RejectReason::BadLine { .. } => "bad_line",
            RejectReason::NoArticles => "no_articles",
            RejectReason::TooManyItems { .. } => "too_many_items",
        }
    }

    pub fn message(&self) -> String {
        match self {
            RejectReason::Empty => "empty file (0 bytes): nothing to ingest".into(),
            RejectReason::TooLarge { size, max } => format!(
                "file is {size} bytes, over the limit of {max} bytes (NEWSFLOW_MAX_FILE_BYTES); split it or raise the limit"
            ),
            RejectReason::Binary { evidence } => {
                format!("binary content, not a text article ({evidence})")
            }
            RejectReason::NotRegular { kind } => {
                format!("not a regular file ({kind}); drop the file itself, not a {kind}")
            }
            RejectReason::Unreadable { error } => format!("cannot read the file: {error}"),
            RejectReason::BadLine { problem } => problem.clone(),
            RejectReason::NoArticles => {
                "no line of this .jsonl file is a JSON article object".into()
            }
            RejectReason::TooManyItems { items, max } => format!(
                ".jsonl file has {items} items, over the limit of {max} (NEWSFLOW_MAX_JSONL_ITEMS); split it or raise the limit"
            ),
        }
    }
}

/// What reading an inbox entry gave.
#[derive(Debug)]
pub enum Intake {
    /// The whole content of a regular, non-empty file within the size limit.
    Content(Bytes),
    /// Refuse it: move it to rejected/ with this reason.
    Reject(RejectReason),
    /// Not ours to handle: it vanished, or it is a directory.
    Skip(&'static str),
}

fn kind_name(meta: &Metadata) -> Option<&'static str> {
    let ft = meta.file_type();
    if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("directory")
    } else if ft.is_symlink() {
        Some("symbolic link")
    } else if ft.is_fifo() {
        Some("named pipe")
    } else if ft.is_socket() {
        Some("socket")
    } else if ft.is_block_device() || ft.is_char_device() {
        Some("device")
    } else {
        Some("special file")
    }
}

/// Read `path` if it is a regular file of 1..=`max_file_bytes` bytes that is not plainly binary.
pub fn read_entry(path: &Path, max_file_bytes: u64) -> Intake {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Intake::Skip("vanished"),
        Err(e) => return unreadable(e),
    };
    match kind_name(&meta) {
        None => {}
        Some("directory") => return Intake::Skip("directory"),
        Some(kind) => return Intake::Reject(RejectReason::NotRegular { kind }),
    }
    if meta.len() > max_file_bytes {
        return Intake::Reject(RejectReason::TooLarge {
            size: meta.len(),
            max: max_file_bytes,
        });
    }
    // O_NOFOLLOW: a symlink swapped in after the check fails instead of being followed;
    // O_NONBLOCK: a FIFO swapped in is opened without waiting for a writer (then refused below).
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Intake::Skip("vanished"),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Intake::Reject(RejectReason::NotRegular {
                kind: "symbolic link",
            })
        }
        Err(e) => return unreadable(e),
    };
    match file.metadata() {
        Ok(m) => match kind_name(&m) {
            None => {}
            Some("directory") => return Intake::Skip("directory"),
            Some(kind) => return Intake::Reject(RejectReason::NotRegular { kind }),
        },
        Err(e) => return unreadable(e),
    }
    read_limited(file, max_file_bytes)
}

fn read_limited(file: File, max_file_bytes: u64) -> Intake {
    let mut buf = Vec::new();
    if let Err(e) = file
        .take(max_file_bytes.saturating_add(1))
        .read_to_end(&mut buf)
    {
        return unreadable(e);
    }
    let size = buf.len() as u64;
    if size > max_file_bytes {
        return Intake::Reject(RejectReason::TooLarge {
            size,
            max: max_file_bytes,
        });
    }
    if buf.is_empty() {
        return Intake::Reject(RejectReason::Empty);
    }
    if let Some(evidence) = binary_evidence(&buf) {
        return Intake::Reject(RejectReason::Binary { evidence });
    }
    Intake::Content(Bytes::from(buf))
}

fn unreadable(e: io::Error) -> Intake {
    Intake::Reject(RejectReason::Unreadable {
        error: e.to_string(),
    })
}

/// Bytes looked at by [`binary_evidence`].
const SNIFF_BYTES: usize = 64 * 1024;

/// Evidence that `content` is not text in any encoding the cleaner accepts (UTF-8, UTF-16 with
/// BOM, GB18030/GBK, Big5), or `None`. Those encodings never produce NUL or most C0 control bytes
/// outside UTF-16, so: a known binary signature, a NUL byte, or many control bytes.
pub fn binary_evidence(content: &[u8]) -> Option<String> {
    if content.starts_with(b"\xFF\xFE") || content.starts_with(b"\xFE\xFF") {
        return None; // UTF-16 (or UTF-32) with BOM: the cleaner decodes it.
    }
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"%PDF-", "PDF document"),
        (b"PK\x03\x04", "ZIP archive or Office document"),
        (b"\x1F\x8B", "gzip archive"),
        (b"\x7FELF", "ELF executable"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip archive"),
        (b"Rar!\x1A\x07", "RAR archive"),
        (b"\x28\xB5\x2F\xFD", "zstd archive"),
    ];
    for (magic, what) in SIGNATURES {
        if content.starts_with(magic) {
            return Some(format!("starts like a {what}"));
        }
    }
    let sample = &content[..content.len().min(SNIFF_BYTES)];
    if let Some(at) = sample.iter().position(|&b| b == 0) {
        return Some(format!("NUL byte at offset {at}"));
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    if controls * 10 > sample.len() {
        return Some(format!(
            "{controls} control bytes in the first {} bytes",
            sample.len()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn text_in_every_accepted_encoding_is_not_binary() {
        assert_eq!(binary_evidence("统计局：增长 5.2%\n".as_bytes()), None);
        assert_eq!(binary_evidence(b"\xEF\xBB\xBFhello"), None);
        // UTF-16LE with BOM holds NULs and is still text.
        assert_eq!(binary_evidence(b"\xFF\xFEh\x00i\x00"), None);
        // GBK "统计" and Big5 "統計".
        assert_eq!(binary_evidence(b"\xCD\xB3\xBC\xC6 2024"), None);
        assert_eq!(binary_evidence(b"\xB2\xCE\xAD\x70 2024"), None);
    }

    #[test]
    fn binary_is_caught_cheaply() {
        assert!(binary_evidence(b"\x89PNG\r\n\x1a\n....")
            .unwrap()
            .contains("PNG"));
        assert!(binary_evidence(b"abc\x00def").unwrap().contains("offset 3"));
        assert!(binary_evidence(&[1u8, 2, 3, 4, 5, b'a']).is_some());
    }

    #[test]
    fn regular_files_are_read_and_judged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hello").unwrap();
        assert!(matches!(read_entry(&p, 100), Intake::Content(b) if &b[..] == b"hello"));
        assert!(matches!(
            read_entry(&p, 4),
            Intake::Reject(RejectReason::TooLarge { size: 5, max: 4 })
        ));
        let e = dir.path().join("e.txt");
        std::fs::File::create(&e).unwrap().flush().unwrap();
        assert!(matches!(
            read_entry(&e, 100),
            Intake::Reject(RejectReason::Empty)
        ));
        assert!(matches!(
            read_entry(&dir.path().join("nope"), 100),
            Intake::Skip(_)
        ));
        assert!(matches!(
            read_entry(dir.path(), 100),
            Intake::Skip("directory")
        ));
    }

    #[test]
    fn symlinks_and_fifos_are_refused_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.txt");
        std::fs::write(&target, "x").unwrap();
        let link = dir.path().join("l.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            read_entry(&link, 100),
            Intake::Reject(RejectReason::NotRegular {
                kind: "symbolic link"
            })
        ));
        let fifo = dir.path().join("f.txt");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // Would block forever if it were opened for reading without O_NONBLOCK.
        assert!(matches!(
            read_entry(&fifo, 100),
            Intake::Reject(RejectReason::NotRegular { kind: "named pipe" })
        ));
    }
}
