//! The cleaner: from a raw page to the article's body, canonical and with its metadata (SPEC §3).
//!
//! PLACEHOLDER pass-through until issue 3 lands: decodes UTF-8 and keeps the text as is.

use newsflow_shared::records::{CleanArticle, Lang, RawArticle, Script, Source};

/// Why an input can't become an article. Permanent: the same bytes will always fail.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("{0}")]
    Rejected(String),
}

/// Clean one raw input into a canonical article.
pub fn clean(raw: &RawArticle) -> Result<CleanArticle, CleanError> {
    let text = std::str::from_utf8(&raw.bytes)
        .map_err(|e| CleanError::Rejected(format!("not UTF-8: {e}")))?
        .trim()
        .to_string();
    if text.is_empty() {
        return Err(CleanError::Rejected("empty body".into()));
    }
    let source = Source {
        path: Some(raw.source_path.clone()),
        ..Source::default()
    };
    Ok(CleanArticle::new(source, Lang::Zh, Script::Hans, text))
}
