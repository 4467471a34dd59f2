//! Fuzz the cleaner: any bytes under any of the input formats must give an article or a
//! rejection, never a panic. The first byte picks the format (the inbox path's extension).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_shared::records::RawArticle;

const PATHS: [&str; 6] = ["in/a.txt", "in/a.html", "in/a.json", "in/b.jsonl#7", "in/noext", "in/a.htm"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let raw = RawArticle {
        source_path: PATHS[selector as usize % PATHS.len()].to_string(),
        received_at: None,
        bytes: bytes::Bytes::copy_from_slice(body),
    };
    if let Ok(article) = newsflow_cleaner::clean(&raw) {
        // The canonical text is never empty and the id is its hash.
        assert!(!article.text.trim().is_empty());
        assert_eq!(
            article.article_id,
            newsflow_shared::records::ArticleId::of_text(&article.text)
        );
    }
});
