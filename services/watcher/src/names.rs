//! What a name in the inbox means: which names are temporary and left alone (SPEC §2), and how a
//! path relative to the inbox is written into a header and a record, whatever bytes it holds.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Whether a file name is one a writer uses while the file is incomplete (`.*`, `*.tmp`,
/// `*.part`, `*~`). Such files are never taken, never moved and never rejected.
pub fn is_temp_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    b.is_empty()
        || b[0] == b'.'
        || b.ends_with(b"~")
        || ends_with_ignore_ascii_case(b, b".tmp")
        || ends_with_ignore_ascii_case(b, b".part")
}

fn ends_with_ignore_ascii_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Whether the file is a batch of one article per line (`.jsonl` / `.ndjson`).
pub fn is_json_lines(name: &OsStr) -> bool {
    let b = name.as_bytes();
    ends_with_ignore_ascii_case(b, b".jsonl") || ends_with_ignore_ascii_case(b, b".ndjson")
}

/// The name as it goes into `Newsflow-Source-Path` and `source.path`: the UTF-8 text unchanged,
/// except that `\` becomes `\\`, control characters become `\xNN`, and bytes that are not UTF-8
/// become `\xNN`. The result is one printable line (a NATS header value cannot hold CR/LF), and
/// two different names never escape to the same string.
pub fn escape_source_path(name: &OsStr) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02X}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// A path as it goes into a log line or an error message: escaped like
/// [`escape_source_path`], so a name with a newline or bytes that are not UTF-8 cannot split or
/// forge a log line.
pub fn shown(path: &std::path::Path) -> String {
    escape_source_path(path.as_os_str())
}

/// The path of line `line_no` (1-based) of a batch file: `FILE.jsonl#N` (SPEC §6).
pub fn line_source_path(file_path: &str, line_no: usize) -> String {
    format!("{file_path}#{line_no}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn temp(s: &str) -> bool {
        is_temp_name(OsStr::new(s))
    }

    #[test]
    fn temp_names_are_ignored() {
        for n in [
            ".x.txt",
            ".hidden",
            "a.tmp",
            "A.TMP",
            "b.part",
            "b.txt.part",
            "c.txt~",
            "~",
        ] {
            assert!(temp(n), "{n} should be a temp name");
        }
    }

    #[test]
    fn article_names_are_taken() {
        for n in [
            "a.txt",
            "x.html",
            "feed.jsonl",
            "tmp.txt",
            "partial.txt",
            "a.tmpx",
            "a~b.txt",
        ] {
            assert!(!temp(n), "{n} should be taken");
        }
    }

    #[test]
    fn json_lines_by_extension() {
        assert!(is_json_lines(OsStr::new("feed.jsonl")));
        assert!(is_json_lines(OsStr::new("feed.NDJSON")));
        assert!(!is_json_lines(OsStr::new("feed.json")));
        assert!(!is_json_lines(OsStr::new("jsonl.txt")));
    }

    #[test]
    fn utf8_names_pass_unchanged() {
        assert_eq!(
            escape_source_path(OsStr::new("萍乡 日报.txt")),
            "萍乡 日报.txt"
        );
    }

    #[test]
    fn bad_bytes_controls_and_backslashes_are_escaped() {
        let name = OsStr::from_bytes(b"a\xffb\nc\\d.txt");
        assert_eq!(escape_source_path(name), "a\\xFFb\\x0Ac\\\\d.txt");
        // A real name that looks like an escape stays distinct from the escaped byte.
        let lookalike = OsStr::new("a\\xFFb.txt");
        assert_ne!(
            escape_source_path(lookalike),
            escape_source_path(OsStr::from_bytes(b"a\xffb.txt"))
        );
    }

    #[test]
    fn shown_paths_are_one_line() {
        let p = std::path::Path::new(OsStr::from_bytes(b"/in/new\nline\xff.txt"));
        assert_eq!(shown(p), "/in/new\\x0Aline\\xFF.txt");
    }

    #[test]
    fn batch_line_paths() {
        assert_eq!(line_source_path("feed.jsonl", 3), "feed.jsonl#3");
    }
}
