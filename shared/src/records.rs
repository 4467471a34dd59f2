//! The records that travel on the bus (SPEC §5 and §6), shared by the services, the batch CLI and
//! the tests so that a field can only be spelled one way.
//!
//! Numbers that must stay exact (`value`, `value_base`, `yoy_pct`) are carried as
//! [`serde_json::Number`] built from a decimal string, never through a lossy float computation.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Schema tag of [`CleanArticle`].
pub const ARTICLE_SCHEMA: &str = "newsflow.article.v1";
/// Schema tag of [`DuplicateRecord`].
pub const DUPLICATE_SCHEMA: &str = "newsflow.duplicate.v1";
/// Schema tag of [`RejectedRecord`].
pub const REJECTED_SCHEMA: &str = "newsflow.rejected.v1";
/// Schema tag of [`IndicatorEvent`].
pub const INDICATOR_SCHEMA: &str = "newsflow.indicator.v1";

/// Lower-case hex SHA-256 of some bytes: the one content hash used for ids and `Nats-Msg-Id`s.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file (or one line of a `.jsonl` batch) exactly as the watcher read it: the input of the
/// cleaner. The bytes are unchanged; the format is told by the extension of `source_path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawArticle {
    /// Path relative to the inbox (`FILE.jsonl#N` for a batch line).
    pub source_path: String,
    /// RFC 3339 time the watcher first saw the file, when known.
    pub received_at: Option<String>,
    pub bytes: bytes::Bytes,
}

/// Identity of a cleaned article: the SHA-256 of its canonical text, so the same story that
/// cleans to the same text (any site, script or encoding) always gets the same id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(pub String);

impl ArticleId {
    /// The id of an article whose canonical text is `text`.
    pub fn of_text(text: &str) -> Self {
        ArticleId(sha256_hex(text.as_bytes()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a record came from. Unknown fields are `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Path relative to the inbox; `FILE.jsonl#N` for the N-th (1-based) line of a batch.
    pub path: Option<String>,
    /// Publishing outlet (来源), e.g. `萍乡日报`.
    pub name: Option<String>,
    pub url: Option<String>,
    /// Publication date or date-time as found (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS`).
    pub published: Option<String>,
}

/// Language of an article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
}

/// Script of an article as received (the canonical text is always Simplified for Chinese).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Script {
    Hans,
    Hant,
    Latn,
}

/// `newsflow.article.v1`: a cleaned article, on `news.clean` and `news.unique`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CleanArticle {
    pub schema: String,
    pub article_id: ArticleId,
    pub source: Source,
    pub title: Option<String>,
    pub author: Option<String>,
    #[serde(default)]
    pub editor: Option<String>,
    pub lang: Lang,
    pub script: Script,
    /// Canonical body: Simplified script, normalised width and whitespace, chrome removed.
    pub text: String,
    /// Set by the deduper when this article is a new edition of an earlier one.
    pub revision_of: Option<ArticleId>,
}

impl CleanArticle {
    /// A cleaned article whose id is derived from `text`.
    pub fn new(source: Source, lang: Lang, script: Script, text: String) -> Self {
        CleanArticle {
            schema: ARTICLE_SCHEMA.to_string(),
            article_id: ArticleId::of_text(&text),
            source,
            title: None,
            author: None,
            editor: None,
            lang,
            script,
            text,
            revision_of: None,
        }
    }
}

/// Kind of duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DuplicateKind {
    /// Same canonical text (same `article_id`).
    Exact,
    /// Estimated Jaccard similarity at or above the threshold, same figures.
    Near,
}

/// `newsflow.duplicate.v1`: a dedup decision, on `news.duplicate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRecord {
    pub schema: String,
    pub article_id: ArticleId,
    pub source: Source,
    pub duplicate_of: ArticleId,
    pub duplicate_of_path: Option<String>,
    pub kind: DuplicateKind,
    pub similarity: f64,
}

/// `newsflow.rejected.v1`: bad input, on `news.rejected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRecord {
    pub schema: String,
    pub source: Source,
    /// Stage that rejected it: `watcher`, `cleaner`, `deduper`, `extractor`.
    pub stage: String,
    /// One line a human can act on.
    pub reason: String,
    /// RFC 3339 time of the rejection.
    pub at: String,
}

/// Reporting period of a figure: `start`/`end` are `YYYY-MM` or null.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub label: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// Status of a figure (SPEC §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Actual,
    Target,
    Forecast,
}

/// `newsflow.indicator.v1`: one figure, on `indicators.<code>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorEvent {
    pub schema: String,
    /// Stable: the same figure of the same article always has the same id.
    pub event_id: String,
    pub article_id: ArticleId,
    pub source: Source,
    pub region: Option<String>,
    pub indicator: String,
    pub label: String,
    pub scope: Option<String>,
    pub period: Period,
    pub value: Option<serde_json::Number>,
    pub unit: Option<String>,
    pub value_base: Option<serde_json::Number>,
    pub base_unit: Option<String>,
    /// `"="`, `">="` or `"<="`.
    pub comparator: String,
    pub yoy_pct: Option<serde_json::Number>,
    pub status: Status,
    pub evidence: String,
    /// Char (not byte) offsets of `evidence` in the canonical text.
    pub span: [usize; 2],
    pub lang: Lang,
    pub extractor_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_id_is_sha256_of_text() {
        assert_eq!(
            ArticleId::of_text("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn exact_numbers_survive_json() {
        let n: serde_json::Number = "4218000000".parse().unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "4218000000");
        let n: serde_json::Number = "17.9".parse().unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "17.9");
    }

    #[test]
    fn enums_serialize_as_spec_says() {
        assert_eq!(serde_json::to_string(&Lang::Zh).unwrap(), "\"zh\"");
        assert_eq!(serde_json::to_string(&Script::Hant).unwrap(), "\"Hant\"");
        assert_eq!(
            serde_json::to_string(&Status::Forecast).unwrap(),
            "\"forecast\""
        );
        assert_eq!(
            serde_json::to_string(&DuplicateKind::Near).unwrap(),
            "\"near\""
        );
    }
}
