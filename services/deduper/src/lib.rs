//! The deduper: exact and near duplicates across sites and scripts, without losing a new
//! edition (SPEC §4).
//!
//! * [`key`] — the dedup key (NFKC, lower case, no punctuation) and its 5-gram shingles;
//! * [`minhash`] — MinHash signatures and the LSH banding (16 × 8), with the S-curve;
//! * [`figures`] — the multiset of figures a text states (a changed figure = a new edition);
//! * [`store`] — the state interface, with the in-memory store;
//! * [`kv`] — the JetStream KV store the service shares between replicas;
//! * [`decide`] — the one decision algorithm over either store, its key layout and why its
//!   order of operations is safe under races and crashes.
//!
//! [`InMemoryDeduper`] is the batch CLI's entry point.

pub mod decide;
pub mod figures;
pub mod key;
pub mod kv;
pub mod minhash;
pub mod store;

pub use decide::{describe_metrics, DedupError, Deduper, Fingerprint, Outcome, DEFAULT_THRESHOLD};
pub use store::{Claim, DedupStore, MemoryStore, StoreError};

use newsflow_shared::records::{CleanArticle, DuplicateRecord};

/// What the deduper decided for one article.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// First sighting, or a new edition (`revision_of` set): goes to `news.unique`.
    Unique(CleanArticle),
    /// Goes to `news.duplicate`.
    Duplicate(DuplicateRecord),
}

/// Dedup state in process memory, for `newsflow batch`: the service's algorithm over a
/// [`MemoryStore`]. Every call is a distinct input (no redeliveries in a batch run).
#[derive(Default)]
pub struct InMemoryDeduper {
    inner: Option<Deduper<MemoryStore>>,
    inputs: u64,
}

impl InMemoryDeduper {
    pub fn decide(&mut self, article: &CleanArticle) -> Decision {
        self.inputs += 1;
        let claim = format!("batch:{}", self.inputs);
        let deduper = self
            .inner
            .get_or_insert_with(|| Deduper::new(MemoryStore::default()));
        // The memory store's futures are ready at once and never fail (it has no I/O), so
        // blocking here is instant and the error arm can't be reached; keep the article rather
        // than drop it if that ever changed.
        match futures::executor::block_on(deduper.decide(article, &claim, self.inputs)) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "in-memory dedup failed; passing the article");
                Decision::Unique(article.clone())
            }
        }
    }
}

/// Test support: dedup state as a decider would have left it part-way, so tests of this crate
/// and the end-to-end tests build races and crashes the same way.
#[doc(hidden)]
pub mod testing {
    use crate::decide::{ArticleRecord, Fingerprint, State};
    use crate::store::{DedupStore, StoreError};
    use newsflow_shared::records::CleanArticle;

    /// Write `article`'s record (claimed by message `claim`, arrival `order`, in `state`) and
    /// all its band keys into `store`, as if its decider had got that far.
    pub async fn seed<S: DedupStore>(
        store: &S,
        article: &CleanArticle,
        claim: &str,
        order: u64,
        state: State,
    ) -> Result<(), StoreError> {
        let fp = Fingerprint::of_text(&article.text);
        let record = ArticleRecord {
            state,
            ..ArticleRecord::pending(article, &fp, claim, order)
        };
        let json = serde_json::to_vec(&record).map_err(|e| StoreError(e.to_string()))?;
        store
            .put(
                &crate::decide::article_key(&article.article_id),
                json.into(),
            )
            .await?;
        for (band, hash) in fp.bands.iter().enumerate() {
            store
                .put(
                    &crate::decide::band_key(band, *hash),
                    article.article_id.as_str().to_string().into(),
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
