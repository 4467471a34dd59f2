//! The deduper: exact and near duplicates across sites and scripts (SPEC §4).
//!
//! PLACEHOLDER until issue 4 lands: exact duplicates only, in memory.

use newsflow_shared::records::{
    ArticleId, CleanArticle, DuplicateKind, DuplicateRecord, DUPLICATE_SCHEMA,
};
use std::collections::HashMap;

/// What the deduper decided for one article.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// First sighting, or a new edition (`revision_of` set): goes to `news.unique`.
    Unique(CleanArticle),
    /// Goes to `news.duplicate`.
    Duplicate(DuplicateRecord),
}

/// Dedup state in process memory, for `newsflow batch`.
#[derive(Default)]
pub struct InMemoryDeduper {
    seen: HashMap<ArticleId, Option<String>>,
}

impl InMemoryDeduper {
    pub fn decide(&mut self, article: &CleanArticle) -> Decision {
        if let Some(path) = self.seen.get(&article.article_id) {
            return Decision::Duplicate(DuplicateRecord {
                schema: DUPLICATE_SCHEMA.to_string(),
                article_id: article.article_id.clone(),
                source: article.source.clone(),
                duplicate_of: article.article_id.clone(),
                duplicate_of_path: path.clone(),
                kind: DuplicateKind::Exact,
                similarity: 1.0,
            });
        }
        self.seen
            .insert(article.article_id.clone(), article.source.path.clone());
        Decision::Unique(article.clone())
    }
}
