//! Fuzz the extractor: any text, as the canonical text of a Chinese and of an English article
//! (with and without a title), must give a list of events (maybe empty), never a panic; every
//! event's id is stable and its indicator is one of the taxonomy's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::records::{CleanArticle, Lang, Script, Source};
use std::sync::OnceLock;

fn taxonomy() -> &'static Taxonomy {
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    TAXONOMY.get_or_init(Taxonomy::embedded)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    // Arbitrary bytes made text: the extractor only ever sees valid UTF-8.
    let text = String::from_utf8_lossy(body).into_owned();
    for (lang, script) in [(Lang::Zh, Script::Hans), (Lang::En, Script::Latn)] {
        let mut article = CleanArticle::new(Source::default(), lang, script, text.clone());
        if selector & 1 == 1 {
            article.title = text.lines().next().map(str::to_string);
        }
        let events = extract(&article, taxonomy());
        let again = extract(&article, taxonomy());
        assert_eq!(events.len(), again.len());
        for (a, b) in events.iter().zip(&again) {
            assert_eq!(a.event_id, b.event_id);
            assert!(!a.indicator.is_empty());
        }
    }
});
