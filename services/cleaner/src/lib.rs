//! The cleaner: from a raw page to the article's body, canonical and with its metadata (SPEC §3).
//!
//! `clean` is pure (bytes in, article or reason out) so that the NATS service, the batch CLI and
//! the tests run the same code. The steps, one module each:
//! [`decode`] bytes → text (encoding detected) · [`format`] txt / html / json by path ·
//! [`html`] main-content blocks · [`json`] item fields · [`normalize`] width, pinyin, whitespace,
//! glued sentences · [`script`] language, script and Traditional → Simplified ·
//! [`page`] chrome/metadata/body classification of lines · [`meta`] metadata fields ·
//! [`markers`] the vocabulary (data file) · [`metrics`] counters for the service.
//!
//! The canonical text (what `article_id` hashes and the extractor reads): body paragraphs in
//! reading order, one per line, separated by `\n`; a table row (HTML `<table>` or a table
//! rendered as text columns / `|` cells in a dump) is one line whose cells are separated by `\t`
//! (an empty cell stays empty); section headings inside the body are kept as their own lines.
//! Simplified script, full-width ASCII folded, whitespace collapsed, numbers untouched.

pub mod decode;
pub mod format;
pub mod html;
pub mod json;
pub mod markers;
pub mod meta;
pub mod metrics;
pub mod normalize;
pub mod page;
pub mod script;

use decode::DecodeError;
use format::Format;
use json::JsonError;
use markers::Markers;
use newsflow_shared::records::{CleanArticle, Lang, RawArticle, Script, Source};
use normalize::{collapse_ws, fold_width, strip_pinyin};
use page::{Hints, Origin, PageLine};

pub use metrics::clean_and_record;

/// Why an input can't become an article. Permanent: the same bytes will always fail. The
/// `Display` text is the one-line reason published on `news.rejected`.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("{0}")]
    Decode(DecodeError),
    #[error("malformed JSON: {0}; the file must hold one JSON object per article")]
    MalformedJson(String),
    #[error("JSON is {0}, not an article object with title/body fields")]
    JsonNotObject(&'static str),
    #[error(
        "JSON item has no body: expected a non-empty string field \"body\", \"content\" or \"text\" (found fields: {0})"
    )]
    JsonWithoutBody(String),
    #[error(
        "a .jsonl batch with {0} items reached the cleaner whole; each line must arrive as its own message (FILE.jsonl#N)"
    )]
    UnsplitBatch(usize),
    #[error("no article body left after cleaning ({0}); the page holds only navigation, lists or metadata")]
    EmptyBody(String),
    #[error("{0}")]
    HtmlTooComplex(html::TooComplex),
    #[error("cleaned text is {bytes} bytes, over the limit of {max} bytes per article (MAX_CLEAN_TEXT_BYTES); split the input into articles")]
    TextTooLong { bytes: usize, max: usize },
}

/// Longest canonical text of one article, in bytes (UTF-8). Far above any real article; it
/// bounds what one input can make every later stage hold and scan.
pub const MAX_CLEAN_TEXT_BYTES: usize = 8 * 1024 * 1024;

impl CleanError {
    /// Short, stable reason label for metrics (`newsflow_cleaner_rejected_total{reason}`).
    pub fn reason_code(&self) -> &'static str {
        match self {
            CleanError::Decode(DecodeError::Empty) => "empty_input",
            CleanError::Decode(DecodeError::Binary { .. }) => "binary",
            CleanError::Decode(DecodeError::Undecodable { .. }) => "undecodable",
            CleanError::Decode(DecodeError::Unsupported { .. }) => "unsupported_encoding",
            CleanError::MalformedJson(_) => "malformed_json",
            CleanError::JsonNotObject(_) => "json_not_object",
            CleanError::JsonWithoutBody(_) => "json_without_body",
            CleanError::UnsplitBatch(_) => "unsplit_batch",
            CleanError::EmptyBody(_) => "empty_body",
            CleanError::HtmlTooComplex(_) => "html_too_complex",
            CleanError::TextTooLong { .. } => "text_too_long",
        }
    }
}

/// What cleaning one input did (for metrics and logs).
#[derive(Debug, Clone, Default)]
pub struct CleanReport {
    pub format: &'static str,
    pub encoding: &'static str,
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// Characters removed as chrome and characters kept as body.
    pub chrome_chars: usize,
    pub body_chars: usize,
}

impl CleanReport {
    /// Share of the page's characters removed as chrome (0..1).
    pub fn chrome_ratio(&self) -> f64 {
        let total = self.chrome_chars + self.body_chars;
        if total == 0 {
            0.0
        } else {
            self.chrome_chars as f64 / total as f64
        }
    }
}

/// Clean one raw input into a canonical article.
pub fn clean(raw: &RawArticle) -> Result<CleanArticle, CleanError> {
    clean_with_report(raw).map(|(article, _)| article)
}

/// A line before folding, with where it sits and what the container format knows of it.
struct RawLine {
    text: String,
    origin: Origin,
    link_density: f32,
    is_table_row: bool,
}

fn text_lines(text: &str) -> Vec<RawLine> {
    text.split(['\n', '\r'])
        .map(|l| RawLine {
            text: l.to_string(),
            origin: Origin::Main,
            link_density: 0.0,
            is_table_row: false,
        })
        .collect()
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(2000)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "<p", "<div", "<br", "<html", "<table", "<span", "<article", "</",
    ]
    .iter()
    .any(|t| head.contains(t))
}

fn html_lines(html: &str, markers: &Markers) -> Result<(Vec<RawLine>, Hints), CleanError> {
    let page = html::parse(html, markers).map_err(CleanError::HtmlTooComplex)?;
    let lines = page
        .blocks
        .into_iter()
        .map(|(b, origin)| {
            let n = b.text.chars().count().max(1);
            RawLine {
                link_density: b.link_chars as f32 / n as f32,
                is_table_row: b.is_table_row,
                text: b.text,
                origin,
            }
        })
        .collect();
    Ok((lines, page.hints))
}

fn tidy(s: &str) -> String {
    collapse_ws(&strip_pinyin(&fold_width(s)))
}

/// Clean one raw input, reporting what was done.
pub fn clean_with_report(raw: &RawArticle) -> Result<(CleanArticle, CleanReport), CleanError> {
    let markers = Markers::get();
    let format = Format::of(&raw.source_path, &raw.bytes);
    let decoded = decode::decode(&raw.bytes, format == Format::Html).map_err(CleanError::Decode)?;
    let mut url = None;
    let (raw_lines, hints) = match format {
        Format::Text => (text_lines(&decoded.text), Hints::default()),
        Format::Html => html_lines(&decoded.text, markers)?,
        Format::Json | Format::JsonLine => {
            let text = decoded.text.trim();
            if format == Format::JsonLine && !raw.source_path.contains('#') {
                let items = text.lines().filter(|l| !l.trim().is_empty()).count();
                if items > 1 {
                    return Err(CleanError::UnsplitBatch(items));
                }
            }
            let item = json::parse_item(text).map_err(|e| match e {
                JsonError::Malformed(m) => CleanError::MalformedJson(m),
                JsonError::NotAnObject(k) => CleanError::JsonNotObject(k),
                JsonError::NoBody(keys) => CleanError::JsonWithoutBody(keys.join(", ")),
            })?;
            url = item.url.clone();
            let hints = Hints {
                title: item.title.clone(),
                published: item
                    .published
                    .as_deref()
                    .map(|p| meta::normalise_date(p).unwrap_or_else(|| p.to_string())),
                source: item.source.clone(),
                author: item.author.clone(),
            };
            let lines = if looks_like_html(&item.body) {
                // HTML inside JSON: the whole fragment is the article, keep it all as main.
                let (mut lines, _) = html_lines(&item.body, markers)?;
                for l in &mut lines {
                    l.origin = Origin::Main;
                }
                lines
            } else {
                text_lines(&item.body)
            };
            (lines, hints)
        }
    };

    // Fold width and strip pinyin line by line, then detect the script on the whole page.
    let folded: Vec<String> = raw_lines
        .iter()
        .map(|l| strip_pinyin(&fold_width(&l.text)))
        .collect();
    let joined = folded.join("\n");
    let (page_script, simplified) = script::detect_script(&joined);
    // Simplified pages: the canonical line is the folded line itself (no second copy).
    let pairs: Vec<(Option<String>, String)> = match &simplified {
        Some(s) => {
            let parts: Vec<&str> = s.split('\n').collect();
            if parts.len() == folded.len() {
                folded
                    .into_iter()
                    .zip(parts)
                    .map(|(f, c)| (Some(f), c.to_string()))
                    .collect()
            } else {
                folded
                    .into_iter()
                    .map(|f| {
                        let c = script::to_simplified(&f);
                        (Some(f), c)
                    })
                    .collect()
            }
        }
        None => folded.into_iter().map(|f| (None, f)).collect(),
    };
    let page_lines: Vec<PageLine> = raw_lines
        .iter()
        .zip(pairs)
        .map(|(raw_line, (original, canon))| PageLine {
            original,
            canon,
            origin: raw_line.origin,
            link_density: raw_line.link_density,
            is_table_row: raw_line.is_table_row,
        })
        .collect();
    let hints = Hints {
        title: hints.title.as_deref().map(tidy),
        published: hints.published,
        source: hints.source.as_deref().map(|s| {
            let s = tidy(s);
            if page_script == Script::Hant {
                script::to_simplified(&s)
            } else {
                s
            }
        }),
        author: hints.author.as_deref().map(tidy),
    };

    let assembled = page::assemble(&page_lines, &hints, markers);
    let text = assembled.body.join("\n");
    if text.trim().is_empty() {
        let lines = page_lines
            .iter()
            .filter(|l| !l.canon.trim().is_empty())
            .count();
        return Err(CleanError::EmptyBody(format!(
            "{} format, {lines} non-empty lines, all classified as chrome or metadata",
            format.name()
        )));
    }
    if text.len() > MAX_CLEAN_TEXT_BYTES {
        return Err(CleanError::TextTooLong {
            bytes: text.len(),
            max: MAX_CLEAN_TEXT_BYTES,
        });
    }
    let lang = script::detect_lang(&text);
    let script = match lang {
        Lang::En => Script::Latn,
        Lang::Zh => page_script,
    };
    let source = Source {
        path: Some(raw.source_path.clone()),
        name: assembled.source,
        url,
        published: assembled.published,
    };
    let report = CleanReport {
        format: format.name(),
        encoding: decoded.encoding,
        bytes_in: raw.bytes.len(),
        bytes_out: text.len(),
        chrome_chars: assembled.chrome_chars,
        body_chars: assembled.body_chars,
    };
    let mut article = CleanArticle::new(source, lang, script, text);
    article.title = assembled.title;
    article.author = assembled.author;
    article.editor = assembled.editor;
    Ok((article, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(path: &str, text: String) -> RawArticle {
        RawArticle {
            source_path: path.into(),
            received_at: None,
            bytes: text.into_bytes().into(),
        }
    }

    #[test]
    fn text_over_the_limit_is_refused_with_the_limit_named() {
        let para =
            "国家统计局发布数据,一季度全市生产总值同比增长5.3%,规模以上工业增加值增长6.1%。\n";
        // Distinct paragraphs (repeated lines are folded into one).
        let n = MAX_CLEAN_TEXT_BYTES / para.len() + 10;
        let long: String = (0..n).map(|i| format!("第{i}段:{para}")).collect();
        let err = clean(&raw("long.txt", long)).unwrap_err();
        assert_eq!(err.reason_code(), "text_too_long");
        assert!(err.to_string().contains("MAX_CLEAN_TEXT_BYTES"), "{err}");
        let ok = clean(&raw("short.txt", para.repeat(20))).unwrap();
        assert!(ok.text.len() <= MAX_CLEAN_TEXT_BYTES);
    }
}
