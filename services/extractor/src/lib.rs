//! The extractor: one indicator event per figure, in Chinese and English (SPEC §5).
//!
//! Readers by language (`zh`, `en`) and for tables (`table`) turn the canonical text into
//! [`Figure`]s; [`figure`] turns figures into events, once for all readers.

pub mod dedup;
pub mod en;
pub mod figure;
pub mod taxonomy;
pub mod zh;
pub mod zh_lexicon;
pub mod zh_numbers;
pub mod zh_periods;
pub mod zh_regions;
pub mod zh_table;

pub use figure::{Comparator, Figure, EXTRACTOR_VERSION};
pub use taxonomy::{IndicatorDef, Taxonomy, TaxonomyError, UnitClass};

use newsflow_shared::records::{CleanArticle, IndicatorEvent, Lang};

/// Every indicator event stated in `article`.
pub fn extract(article: &CleanArticle, taxonomy: &Taxonomy) -> Vec<IndicatorEvent> {
    let figures = match article.lang {
        Lang::Zh => zh::figures(article, taxonomy),
        Lang::En => en::figures(article, taxonomy),
    };
    dedup::dedup(figures)
        .into_iter()
        .map(|f| f.into_event(article))
        .collect()
}

/// The year of the article's publication date (`source.published`), when it has one: the
/// fallback year of every period that states none (SPEC §5 Periods).
pub fn publication_year(article: &CleanArticle) -> Option<i32> {
    article
        .source
        .published
        .as_deref()
        .and_then(|p| p.get(..4))
        .and_then(|y| y.parse().ok())
}
