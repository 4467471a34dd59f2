//! The extractor: one indicator event per figure (SPEC §5).
//!
//! PLACEHOLDER until issue 5 lands: finds nothing.

use newsflow_shared::records::{CleanArticle, IndicatorEvent};

/// The indicator taxonomy (codes, terms, unit classes).
#[derive(Debug, Default)]
pub struct Taxonomy {}

impl Taxonomy {
    /// The taxonomy compiled into the binary.
    pub fn embedded() -> Self {
        Taxonomy {}
    }
}

/// Every indicator event stated in `article`.
pub fn extract(_article: &CleanArticle, _taxonomy: &Taxonomy) -> Vec<IndicatorEvent> {
    Vec::new()
}
