//! The cleaner's vocabulary (`chrome_markers.txt`): chrome markers, related-list headers, tail
//! boilerplate, HTML chrome class tokens and metadata labels. Kept as data so the operator can
//! extend it; compiled once into Aho-Corasick automatons.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The vocabulary file, embedded at build time.
pub const MARKERS_FILE: &str = include_str!("../chrome_markers.txt");

/// What a metadata label announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaKind {
    Date,
    Source,
    Author,
    Editor,
    Title,
    Ignore,
}

/// The compiled vocabulary.
pub struct Markers {
    /// Chrome markers (a line containing one is chrome when short or starting with it).
    pub chrome: AhoCorasick,
    /// Related/hot/latest list headers (lower-cased, for exact comparison).
    pub list_headers: Vec<String>,
    /// Tail boilerplate: a paragraph is cut where one starts.
    pub tail: AhoCorasick,
    /// HTML class/id tokens of chrome containers (lower-cased).
    pub html_chrome: Vec<String>,
    /// Metadata labels, leftmost-longest; pattern index → kind via `label_kinds`.
    pub labels: AhoCorasick,
    pub label_kinds: Vec<MetaKind>,
    /// Suffixes stripped from a source value (`X收集` → `X`).
    pub source_suffixes: Vec<String>,
}

fn parse_sections(text: &str) -> HashMap<String, Vec<String>> {
    let mut sections: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let is_header = line.len() > 2
            && line.starts_with('[')
            && line.ends_with(']')
            && line[1..line.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-');
        if is_header {
            current = line[1..line.len() - 1].to_string();
            continue;
        }
        sections
            .entry(current.clone())
            .or_default()
            .push(line.to_lowercase());
    }
    sections
}

fn build(patterns: &[String]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns)
        // The patterns come from the embedded file, so a failure here is a build-time bug that
        // the unit test `vocabulary_compiles` catches; an empty automaton keeps the cleaner up.
        .unwrap_or_else(|_| {
            AhoCorasick::new(Vec::<String>::new()).expect("an empty automaton always builds")
        })
}

impl Markers {
    /// Compile a vocabulary in the `chrome_markers.txt` format.
    pub fn parse(text: &str) -> Markers {
        let sections = parse_sections(text);
        let get = |name: &str| sections.get(name).cloned().unwrap_or_default();
        let mut label_patterns = Vec::new();
        let mut label_kinds = Vec::new();
        for (section, kind) in [
            ("meta-date", MetaKind::Date),
            ("meta-source", MetaKind::Source),
            ("meta-author", MetaKind::Author),
            ("meta-editor", MetaKind::Editor),
            ("meta-title", MetaKind::Title),
            ("meta-ignore", MetaKind::Ignore),
        ] {
            for p in get(section) {
                label_patterns.push(p);
                label_kinds.push(kind);
            }
        }
        Markers {
            chrome: build(&get("chrome")),
            list_headers: get("list"),
            tail: build(&get("tail")),
            html_chrome: get("html-chrome"),
            labels: build(&label_patterns),
            label_kinds,
            source_suffixes: get("source-suffix"),
        }
    }

    /// The embedded vocabulary.
    pub fn get() -> &'static Markers {
        static MARKERS: LazyLock<Markers> = LazyLock::new(|| Markers::parse(MARKERS_FILE));
        &MARKERS
    }

    /// Is `line` (already folded and Simplified) the header of a related/hot/latest list?
    pub fn is_list_header(&self, line: &str) -> bool {
        if line.len() > 120 {
            return false;
        }
        let core: String = line
            .trim()
            .trim_matches(|c: char| {
                matches!(
                    c,
                    ':' | '【' | '】' | '[' | ']' | '>' | '»' | '·' | '•' | '|' | '-'
                ) || c.is_whitespace()
            })
            .to_lowercase();
        if core.is_empty() || core.chars().count() > 16 {
            return false;
        }
        self.list_headers.iter().any(|h| {
            core == *h
                || (core.starts_with(h.as_str())
                    && core[h.len()..]
                        .trim_start()
                        .starts_with(|c: char| c == ':' || c == '(' || c.is_whitespace()))
        })
    }

    /// Is this HTML class/id attribute value one of a chrome container?
    pub fn is_html_chrome_attr(&self, attr: &str) -> bool {
        attr.split(|c: char| c == '-' || c == '_' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .any(|t| {
                let t = t.to_ascii_lowercase();
                self.html_chrome.contains(&t)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_compiles() {
        let m = Markers::get();
        assert!(m.chrome.patterns_len() > 20);
        assert!(m.list_headers.len() > 5);
        assert!(m.tail.patterns_len() > 0);
        assert_eq!(m.labels.patterns_len(), m.label_kinds.len());
    }

    #[test]
    fn list_headers() {
        let m = Markers::get();
        assert!(m.is_list_header("相关阅读"));
        assert!(m.is_list_header("  热门文章 "));
        assert!(m.is_list_header("Related news"));
        assert!(m.is_list_header("相关链接:"));
        assert!(!m.is_list_header("相关部门负责人表示,今年工业增长较快。"));
    }

    #[test]
    fn html_chrome_attrs() {
        let m = Markers::get();
        assert!(m.is_html_chrome_attr("breadcrumb"));
        assert!(m.is_html_chrome_attr("xch_nav top"));
        assert!(!m.is_html_chrome_attr("TRS_Editor"));
        assert!(!m.is_html_chrome_attr("article"));
    }
}
