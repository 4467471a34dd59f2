//! The dedup decision, one algorithm for every store ([`DedupStore`]): in memory for
//! `newsflow batch`, JetStream KV for the replicated service.
//!
//! ## Keys
//! * `a.<article_id>` → [`ArticleRecord`]: who claimed the id (the input message's identity),
//!   its source path, MinHash signature, figures fingerprint and, once decided, the decision.
//! * `b.<band>.<hash>` → the article id that first claimed that LSH band bucket.
//!
//! ## Order of operations for article X delivered as message M
//! 1. Claim `a.X` (create-if-absent) with state `pending`.
//!    * Held by another message → **exact duplicate** of X (same canonical text).
//!    * Held by M itself (a redelivery) with a final state → return that decision again, so the
//!      output record and its `Nats-Msg-Id` are byte-identical and JetStream drops the copy.
//!    * Held by M with state `pending` (crashed mid-way) → continue below; every step is
//!      idempotent.
//! 2. For each band in order 0..16: claim `b.<band>.<hash>` = X. Won, or held by X → next band.
//!    Held by O → candidate: read `a.O`, estimated Jaccard ≥ threshold? Same figures → **near
//!    duplicate** of O, stop here (claim no further bands). Different figures → remember O as
//!    the best `revision_of` and go on.
//! 3. Put `a.X` with the final state. Then the caller publishes and acks.
//!
//! ## Why exactly one of a set of racing near-duplicates passes
//! Band claims are first-writer-wins and each article claims its bands in increasing order,
//! stopping at its first confirmed duplicate. Suppose X and Y are near-duplicates sharing band k
//! (their lowest shared band). Whichever claims `b.k` second sees the other and becomes its
//! duplicate. The winner can't become a duplicate of the loser: the loser claimed only bands
//! below k, none shared. More generally "X is a duplicate of Y at band i" implies Y owns band i
//! and Y stopped above i, so a cycle X₁→X₂→…→X₁ would need i₁ < i₂ < … < i₁: impossible, every
//! cluster keeps at least one unique, and two racing copies sharing a band never both pass.
//!
//! ## Why a crash anywhere neither loses an article nor lets it through twice
//! The caller publishes only after `decide` returns and acks the input only after the PubAck.
//! A crash before step 3 leaves `a.X` pending: the redelivery resumes step 2 (its own bands are
//! skipped) and decides from what the store says now; nothing was published. A crash after step
//! 3 (before or after the publish) replays the stored decision: same record, same `Nats-Msg-Id`,
//! so JetStream's duplicate window (15 min on the output streams) drops a second copy. An exact
//! re-drop is a different message (different claim identity: the service uses the input's stream
//! sequence plus a payload hash), so it is reported as a duplicate, never replayed as unique.
//! Limit: a message published but not acked and redelivered only after the duplicate window
//! (every replica down for longer than that) would be published twice; that holds for every
//! stage of the runner, not only this one.

use crate::figures::Figures;
use crate::key::DedupKey;
use crate::minhash::{Signature, BANDS, NUM_PERM, SIGNATURE_VERSION};
use crate::store::{Claim, DedupStore, StoreError};
use crate::Decision;
use bytes::Bytes;
use newsflow_shared::records::{
    ArticleId, CleanArticle, DuplicateKind, DuplicateRecord, DUPLICATE_SCHEMA,
};
use serde::{Deserialize, Serialize};

/// Default similarity threshold (SPEC §4).
pub const DEFAULT_THRESHOLD: f64 = 0.8;

/// Everything the decision needs from an article's text, computed without I/O.
#[derive(Clone, Debug)]
pub struct Fingerprint {
    pub signature: Signature,
    pub bands: [u64; BANDS],
    pub figures: Figures,
    pub figures_hash: u64,
}

impl Fingerprint {
    pub fn of_text(text: &str) -> Self {
        let signature = Signature::of_key(&DedupKey::new(text));
        let bands = signature.band_hashes();
        let figures = Figures::of_text(text);
        let figures_hash = figures.fingerprint();
        Fingerprint {
            signature,
            bands,
            figures,
            figures_hash,
        }
    }
}

/// The stored decision for an article id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Claimed, not decided yet (or the decider crashed).
    Pending,
    /// Passed to `news.unique`.
    Unique { revision_of: Option<ArticleId> },
    /// Near duplicate of `of`; `agree` of the 128 signature entries were equal.
    Near {
        of: ArticleId,
        of_path: Option<String>,
        agree: u32,
    },
}

/// What `a.<article_id>` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleRecord {
    /// [`SIGNATURE_VERSION`] of `sig`.
    pub v: u32,
    /// Identity of the input message that claimed this id (same across its redeliveries).
    pub claim: String,
    pub path: Option<String>,
    /// Hex MinHash signature.
    pub sig: String,
    /// Hex xxh3 of the sorted figures.
    pub figures: String,
    #[serde(flatten)]
    pub state: State,
}

/// Outcome label for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Unique,
    Revision,
    Exact,
    Near,
}

impl Outcome {
    pub fn of(decision: &Decision) -> Self {
        match decision {
            Decision::Unique(a) if a.revision_of.is_some() => Outcome::Revision,
            Decision::Unique(_) => Outcome::Unique,
            Decision::Duplicate(d) if d.kind == DuplicateKind::Exact => Outcome::Exact,
            Decision::Duplicate(_) => Outcome::Near,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Unique => "unique",
            Outcome::Revision => "revision",
            Outcome::Exact => "exact",
            Outcome::Near => "near",
        }
    }
}

/// Why a decision could not be made. Transient: retry the message later.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("encoding a dedup record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// `# HELP` text for the deduper's metrics (call once after installing the recorder).
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(
        "newsflow_dedup_articles_total",
        "Dedup decisions by outcome: unique, revision (new edition), exact, near."
    );
    describe_histogram!(
        "newsflow_dedup_similarity",
        "Estimated Jaccard similarity of each LSH candidate checked."
    );
    describe_histogram!(
        "newsflow_dedup_kv_seconds",
        Unit::Seconds,
        "Latency of one dedup KV operation (op = create, get, put)."
    );
}

fn article_key(id: &ArticleId) -> String {
    format!("a.{id}")
}

fn band_key(band: usize, hash: u64) -> String {
    format!("b.{band}.{hash:016x}")
}

/// The dedup decision over a store.
pub struct Deduper<S> {
    store: S,
    threshold: f64,
}

impl<S: DedupStore> Deduper<S> {
    pub fn new(store: S) -> Self {
        Deduper {
            store,
            threshold: DEFAULT_THRESHOLD,
        }
    }

    /// Use another similarity threshold (0..1).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decide for `article`, delivered as the input message identified by `claim` (the same
    /// string on every redelivery of that message, a different one for any other message).
    pub async fn decide(
        &self,
        article: &CleanArticle,
        claim: &str,
    ) -> Result<Decision, DedupError> {
        let fp = Fingerprint::of_text(&article.text);
        self.decide_with(article, claim, &fp).await
    }

    /// [`decide`](Self::decide) with the fingerprint computed by the caller.
    pub async fn decide_with(
        &self,
        article: &CleanArticle,
        claim: &str,
        fp: &Fingerprint,
    ) -> Result<Decision, DedupError> {
        let decision = self.decide_inner(article, claim, fp).await?;
        metrics::counter!("newsflow_dedup_articles_total", "outcome" => Outcome::of(&decision).label())
            .increment(1);
        Ok(decision)
    }

    async fn decide_inner(
        &self,
        article: &CleanArticle,
        claim: &str,
        fp: &Fingerprint,
    ) -> Result<Decision, DedupError> {
        let id = &article.article_id;
        let mut record = ArticleRecord {
            v: SIGNATURE_VERSION,
            claim: claim.to_string(),
            path: article.source.path.clone(),
            sig: fp.signature.to_hex(),
            figures: format!("{:016x}", fp.figures_hash),
            state: State::Pending,
        };
        let akey = article_key(id);
        // Step 1: the article id.
        if let Claim::Held(bytes) = self
            .store
            .claim(&akey, Bytes::from(serde_json::to_vec(&record)?))
            .await?
        {
            match serde_json::from_slice::<ArticleRecord>(&bytes) {
                Ok(held) if held.claim == claim => {
                    if held.state != State::Pending {
                        return Ok(decision_from_state(article, held.state));
                    }
                }
                Ok(held) => return Ok(exact(article, held.path)),
                Err(e) => {
                    tracing::warn!(key = %akey, error = %e, "unreadable dedup record; treating as exact duplicate");
                    return Ok(exact(article, None));
                }
            }
        }
        // Step 2: the bands, in order.
        let mut checked: Vec<ArticleId> = Vec::new();
        let mut revision: Option<(ArticleId, u32)> = None;
        let mut near: Option<(ArticleId, Option<String>, u32)> = None;
        if !fp.signature.is_empty() {
            let owner_value = Bytes::from(id.as_str().to_string());
            for (band, hash) in fp.bands.iter().enumerate() {
                let owner = match self
                    .store
                    .claim(&band_key(band, *hash), owner_value.clone())
                    .await?
                {
                    Claim::Won => continue,
                    Claim::Held(owner) => owner,
                };
                let Ok(owner) = std::str::from_utf8(&owner) else {
                    continue;
                };
                if owner == id.as_str() || checked.iter().any(|c| c.as_str() == owner) {
                    continue;
                }
                let owner = ArticleId(owner.to_string());
                checked.push(owner.clone());
                let Some(candidate) = self.candidate(&owner).await? else {
                    continue;
                };
                let Some(their_sig) = Signature::from_hex(&candidate.sig) else {
                    continue;
                };
                let agree = agreement(&fp.signature, &their_sig);
                let similarity = f64::from(agree) / NUM_PERM as f64;
                metrics::histogram!("newsflow_dedup_similarity").record(similarity);
                if similarity < self.threshold {
                    continue;
                }
                if candidate.figures == record.figures {
                    near = Some((owner, candidate.path, agree));
                    break;
                }
                if revision.as_ref().is_none_or(|(_, best)| agree > *best) {
                    revision = Some((owner, agree));
                }
            }
        }
        // Step 3: remember the decision.
        record.state = match near {
            Some((of, of_path, agree)) => State::Near { of, of_path, agree },
            None => State::Unique {
                revision_of: revision.map(|(of, _)| of),
            },
        };
        self.store
            .put(&akey, Bytes::from(serde_json::to_vec(&record)?))
            .await?;
        Ok(decision_from_state(article, record.state))
    }

    /// The stored record of a candidate, if present and comparable.
    async fn candidate(&self, id: &ArticleId) -> Result<Option<ArticleRecord>, DedupError> {
        let Some(bytes) = self.store.get(&article_key(id)).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice::<ArticleRecord>(&bytes)
            .ok()
            .filter(|r| r.v == SIGNATURE_VERSION))
    }
}

fn agreement(a: &Signature, b: &Signature) -> u32 {
    a.0.iter().zip(b.0.iter()).filter(|(x, y)| x == y).count() as u32
}

fn exact(article: &CleanArticle, path: Option<String>) -> Decision {
    Decision::Duplicate(DuplicateRecord {
        schema: DUPLICATE_SCHEMA.to_string(),
        article_id: article.article_id.clone(),
        source: article.source.clone(),
        duplicate_of: article.article_id.clone(),
        duplicate_of_path: path,
        kind: DuplicateKind::Exact,
        similarity: 1.0,
    })
}

fn decision_from_state(article: &CleanArticle, state: State) -> Decision {
    match state {
        State::Near { of, of_path, agree } => Decision::Duplicate(DuplicateRecord {
            schema: DUPLICATE_SCHEMA.to_string(),
            article_id: article.article_id.clone(),
            source: article.source.clone(),
            duplicate_of: of,
            duplicate_of_path: of_path,
            kind: DuplicateKind::Near,
            similarity: f64::from(agree) / NUM_PERM as f64,
        }),
        State::Unique { revision_of } => {
            let mut a = article.clone();
            a.revision_of = revision_of;
            Decision::Unique(a)
        }
        // Never stored as a final answer; treat like a first sighting.
        State::Pending => Decision::Unique(article.clone()),
    }
}
