//! The dedup decision, one algorithm for every store ([`DedupStore`]): in memory for
//! `newsflow batch`, JetStream KV for the replicated service.
//!
//! ## Keys
//! * `a.<article_id>` → [`ArticleRecord`]: who claimed the id (the input message's identity),
//!   its source path, MinHash signature, figures fingerprint and, once decided, the decision.
//! * `b.<band>.<hash>` → the article id that first claimed that LSH band bucket.
//!
//! ## Order of operations for article X delivered as message M (arrival order `n`)
//! `n` is M's sequence in the input stream: the same on every redelivery, different for every
//! other message, so it orders any two articles.
//! 1. Claim `a.X` (create-if-absent) with state `pending`, its signature, figures and `n`.
//!    * Held by another message → **exact duplicate** of X (same canonical text).
//!    * Held by M itself (a redelivery) with a final state → return that decision again, so the
//!      output record and its `Nats-Msg-Id` are byte-identical and JetStream drops the copy.
//!    * Held by M with state `pending` (crashed mid-way) → continue below; every step is
//!      idempotent.
//! 2. Claim band keys `b.<band>.<hash>` = X, a wave at a time: bands 0–3 at once, then, unless
//!    step 3 found X a duplicate among them, bands 4–15 at once (two round trips, not sixteen).
//! 3. Walk the wave's bands held by others, in band order. For owner O, read `a.O`; estimated
//!    Jaccard below the threshold → next. Different figures → remember O as the best
//!    `revision_of`, next. Same figures → X is a **near duplicate** of O (stop) if O arrived
//!    before X, or if O is already decided unique; if O arrived after X and is still pending,
//!    wait for O's decision (bounded) and apply the same test; an O that is itself a near
//!    duplicate is passed over.
//! 4. Put `a.X` with the final state. Then the caller publishes and acks.
//!
//! ## Why racing copies never all disappear, and never both pass
//! Call "X is a near duplicate of O" an edge X → O. An edge goes either to an article that
//! arrived earlier, or to one already decided unique (which has no edge of its own). So a cycle
//! would need every edge in it to go to an earlier arrival: impossible. Every chain of
//! duplicates therefore ends at an article that passes; no cluster of copies is dropped whole.
//! Two copies X, Y that share a band: if either stopped before claiming it, that one was already
//! a duplicate and does not pass. Otherwise one of them, say Y, lost that band to the other and
//! reads it. If X arrived first, Y is X's duplicate. If X arrived later, Y waits for X's
//! decision: X unique → Y is its duplicate; X a duplicate (of Y or of another) → X does not pass.
//! Either way at most one of the two passes. The only way both pass is a wait that runs out
//! ([`WAIT_FOR_DECISION`]: X's process stalled or died mid-decision); Y then passes rather than
//! risk dropping both, and says so in the log.
//! (Claiming bands one at a time, stopping at the first duplicate, needs no waiting, but costs a
//! round trip per band: sixteen per new article.)
//!
//! ## Why a crash anywhere neither loses an article nor lets it through twice
//! The caller publishes only after `decide` returns and acks the input only after the PubAck.
//! A crash before step 4 leaves `a.X` pending: the redelivery claims its bands again (its own are
//! no-ops) and decides from what the store says now; nothing was published. A crash after step
//! 4 (before or after the publish) replays the stored decision: same record, same `Nats-Msg-Id`,
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
use std::time::Duration;

/// Default similarity threshold (SPEC §4).
pub const DEFAULT_THRESHOLD: f64 = 0.8;

/// Bands claimed in the first round trip; the rest only if no near duplicate turned up there.
/// A copy usually shares one of its first bands with its original (each band matches with
/// probability J^8: 0.43 at J = 0.9, so four bands find it 89 % of the time), and stopping there
/// spares it a dozen lost claims and their reads. A new article claims all sixteen either way,
/// in two round trips.
const FIRST_WAVE: usize = 4;

/// How long a decision waits for a later-arrived near duplicate that is still deciding (step 3).
/// A live decider takes milliseconds; this bounds the wait on one that stalled or died.
pub const WAIT_FOR_DECISION: Duration = Duration::from_secs(2);

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
    /// Arrival order of that message (its input stream sequence); 0 in records written before
    /// it was kept, which then count as the earliest.
    #[serde(default)]
    pub order: u64,
    pub path: Option<String>,
    /// Hex MinHash signature.
    pub sig: String,
    /// Hex xxh3 of the sorted figures.
    pub figures: String,
    #[serde(flatten)]
    pub state: State,
}

impl ArticleRecord {
    /// The record message `claim` (arrival `order`) writes for `article` when it claims it:
    /// state `pending` until decided.
    pub fn pending(article: &CleanArticle, fp: &Fingerprint, claim: &str, order: u64) -> Self {
        ArticleRecord {
            v: SIGNATURE_VERSION,
            claim: claim.to_string(),
            order,
            path: article.source.path.clone(),
            sig: fp.signature.to_hex(),
            figures: format!("{:016x}", fp.figures_hash),
            state: State::Pending,
        }
    }
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

pub(crate) fn article_key(id: &ArticleId) -> String {
    format!("a.{id}")
}

pub(crate) fn band_key(band: usize, hash: u64) -> String {
    format!("b.{band}.{hash:016x}")
}

/// The dedup decision over a store.
pub struct Deduper<S> {
    store: S,
    threshold: f64,
    wait: Duration,
}

impl<S: DedupStore> Deduper<S> {
    pub fn new(store: S) -> Self {
        Deduper {
            store,
            threshold: DEFAULT_THRESHOLD,
            wait: WAIT_FOR_DECISION,
        }
    }

    /// Wait at most this long for a later-arrived near duplicate still deciding (default
    /// [`WAIT_FOR_DECISION`]).
    pub fn with_decision_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
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
    /// string on every redelivery of that message, a different one for any other message) that
    /// arrived `order`-th (its input stream sequence: the same on every redelivery, distinct
    /// for distinct messages).
    pub async fn decide(
        &self,
        article: &CleanArticle,
        claim: &str,
        order: u64,
    ) -> Result<Decision, DedupError> {
        let fp = Fingerprint::of_text(&article.text);
        self.decide_with(article, claim, order, &fp).await
    }

    /// [`decide`](Self::decide) with the fingerprint computed by the caller.
    pub async fn decide_with(
        &self,
        article: &CleanArticle,
        claim: &str,
        order: u64,
        fp: &Fingerprint,
    ) -> Result<Decision, DedupError> {
        let decision = self.decide_inner(article, claim, order, fp).await?;
        metrics::counter!("newsflow_dedup_articles_total", "outcome" => Outcome::of(&decision).label())
            .increment(1);
        Ok(decision)
    }

    async fn decide_inner(
        &self,
        article: &CleanArticle,
        claim: &str,
        order: u64,
        fp: &Fingerprint,
    ) -> Result<Decision, DedupError> {
        let id = &article.article_id;
        let mut record = ArticleRecord::pending(article, fp, claim, order);
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
        // Steps 2 and 3, in two waves of bands (see FIRST_WAVE): claim the wave's bands at
        // once, then walk the ones others hold, in band order.
        let mut checked: Vec<ArticleId> = Vec::new();
        let mut revision: Option<(ArticleId, u32)> = None;
        let mut near: Option<(ArticleId, Option<String>, u32)> = None;
        let owner_value = Bytes::from(id.as_str().to_string());
        // An empty text has no signature: no bands, only exact duplicates.
        let waves: &[std::ops::Range<usize>] = if fp.signature.is_empty() {
            &[]
        } else {
            &[0..FIRST_WAVE, FIRST_WAVE..BANDS]
        };
        'waves: for wave in waves.iter().cloned() {
            let claims = futures::future::join_all(wave.map(|band| {
                let key = band_key(band, fp.bands[band]);
                let value = owner_value.clone();
                async move { self.store.claim(&key, value).await }
            }))
            .await;
            for claimed in claims {
                let owner = match claimed? {
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
                if candidate.figures != record.figures {
                    if revision.as_ref().is_none_or(|(_, best)| agree > *best) {
                        revision = Some((owner, agree));
                    }
                    continue;
                }
                let of_path = candidate.path.clone();
                if self.may_follow(&owner, candidate, order).await? {
                    near = Some((owner, of_path, agree));
                    break 'waves;
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

    /// Whether the article that arrived `order`-th may be recorded as a near duplicate of
    /// `owner` (its record `record`): yes if `owner` arrived earlier or is decided unique, no if
    /// it is itself a near duplicate; if it arrived later and is still deciding, wait for it
    /// (at most [`Self::with_decision_wait`]). The module doc says why this order keeps copies
    /// safe.
    async fn may_follow(
        &self,
        owner: &ArticleId,
        mut record: ArticleRecord,
        order: u64,
    ) -> Result<bool, DedupError> {
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(5);
        loop {
            if record.order < order {
                return Ok(true);
            }
            match record.state {
                State::Unique { .. } => return Ok(true),
                State::Near { .. } => return Ok(false),
                State::Pending => {}
            }
            if waited >= self.wait {
                tracing::warn!(
                    candidate = owner.as_str(),
                    waited_ms = waited.as_millis() as u64,
                    "a near duplicate that arrived later is still undecided; \
                     passing this article rather than risk dropping both"
                );
                return Ok(false);
            }
            self.store.pause(pause).await;
            waited += pause;
            pause = (pause * 2).min(Duration::from_millis(200));
            match self.candidate(owner).await? {
                Some(r) => record = r,
                None => return Ok(false),
            }
        }
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
