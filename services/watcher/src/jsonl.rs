//! Splitting a `.jsonl`/`.ndjson` batch into its articles: one message per non-empty line, each
//! checked to be a JSON object so that one bad line is rejected on its own while the others pass.

use bytes::Bytes;
use std::collections::HashMap;

/// One non-empty line of a batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLine {
    /// 1-based line number in the file (empty lines count).
    pub line_no: usize,
    /// The line's bytes without its line ending (and without a UTF-8 BOM on line 1).
    pub bytes: Bytes,
    /// `None` when the line is one JSON object; otherwise why it is not.
    pub problem: Option<String>,
}

/// Split `content` into its non-empty lines (LF or CRLF endings; lines of only whitespace are
/// skipped) and check each; no limit on a line's length.
pub fn split_lines(content: &Bytes) -> Vec<BatchLine> {
    split_lines_limited(content, usize::MAX)
}

/// Like [`split_lines`], a line over `max_line_bytes` being refused (not parsed) with a reason
/// naming `NEWSFLOW_MAX_JSONL_LINE_BYTES`.
pub fn split_lines_limited(content: &Bytes, max_line_bytes: usize) -> Vec<BatchLine> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut line_no = 0usize;
    while start < content.len() {
        line_no += 1;
        let end = memchr_newline(&content[start..]).map_or(content.len(), |i| start + i);
        let mut line_start = start;
        let mut line_end = end;
        if line_no == 1 && content[line_start..line_end].starts_with(b"\xEF\xBB\xBF") {
            line_start += 3;
        }
        if line_end > line_start && content[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let line = content.slice(line_start..line_end);
        start = end + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let problem = if line.len() > max_line_bytes {
            Some(format!(
                "line is {} bytes, over the limit of {max_line_bytes} bytes per .jsonl line (NEWSFLOW_MAX_JSONL_LINE_BYTES)",
                line.len()
            ))
        } else {
            object_problem(&line)
        };
        out.push(BatchLine {
            line_no,
            bytes: line,
            problem,
        });
    }
    out
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// Why `line` is not a single JSON object, or `None` when it is.
fn object_problem(line: &[u8]) -> Option<String> {
    match serde_json::from_slice::<HashMap<String, serde::de::IgnoredAny>>(line) {
        Ok(_) => None,
        Err(e) => {
            let what = match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                Ok(_) => "valid JSON but not an object".to_string(),
                Err(_) => format!("not valid JSON ({e})"),
            };
            Some(format!(
                "line is {what}; each line of a .jsonl file must be one article object"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[u8]) -> Vec<BatchLine> {
        split_lines(&Bytes::copy_from_slice(s))
    }

    #[test]
    fn one_message_per_non_empty_line_with_1_based_numbers() {
        let got = lines(b"{\"a\":1}\n\n  \n{\"b\":2}\r\n{\"c\":3}");
        let nums: Vec<usize> = got.iter().map(|l| l.line_no).collect();
        assert_eq!(nums, [1, 4, 5]);
        assert_eq!(&got[1].bytes[..], b"{\"b\":2}");
        assert!(got.iter().all(|l| l.problem.is_none()));
    }

    #[test]
    fn bad_lines_are_marked_others_pass() {
        let got = lines(b"{\"a\":1}\nnot json\n[1,2]\n{\"d\":4}\n");
        assert_eq!(got.len(), 4);
        assert!(got[0].problem.is_none());
        assert!(got[1]
            .problem
            .as_deref()
            .unwrap()
            .contains("not valid JSON"));
        assert!(got[2].problem.as_deref().unwrap().contains("not an object"));
        assert!(got[3].problem.is_none());
    }

    #[test]
    fn bom_on_first_line_is_dropped() {
        let got = lines(b"\xEF\xBB\xBF{\"a\":1}\n");
        assert_eq!(&got[0].bytes[..], b"{\"a\":1}");
        assert!(got[0].problem.is_none());
    }

    #[test]
    fn a_line_over_the_limit_is_refused_alone_with_the_setting_named() {
        let content =
            Bytes::from_static(b"{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxx\"}\n{\"c\":3}\n");
        let got = split_lines_limited(&content, 16);
        assert_eq!(got.len(), 3);
        assert!(got[0].problem.is_none() && got[2].problem.is_none());
        let p = got[1].problem.as_deref().unwrap();
        assert!(
            p.contains("NEWSFLOW_MAX_JSONL_LINE_BYTES") && p.contains("over the limit of 16"),
            "{p}"
        );
    }

    #[test]
    fn only_blank_lines_give_nothing() {
        assert!(lines(b"\n \r\n\t\n").is_empty());
    }
}
