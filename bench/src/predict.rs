//! What the pipeline should make of the generated feed, worked out in process with the stage
//! libraries (clean → in-memory dedup in feed order → extract): how many articles are unique,
//! new editions, exact and near duplicates or rejected, and how many indicator events the
//! unique ones carry. This checks that the feed is what it claims (mostly unique) and gives the
//! end-to-end run totals to compare with.

use crate::generate::{FeedItem, ItemKind};
use newsflow_deduper::{Decision, InMemoryDeduper, Outcome};
use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::records::{CleanArticle, RawArticle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Decision counts, by outcome label (`unique`, `revision`, `exact`, `near`, `rejected`).
pub type OutcomeCounts = BTreeMap<&'static str, usize>;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Prediction {
    pub articles: usize,
    pub outcomes: OutcomeCounts,
    /// Outcome counts for each kind of generated item.
    pub by_kind: BTreeMap<&'static str, OutcomeCounts>,
    /// Indicator events the unique articles (and new editions) carry.
    pub events: usize,
    /// Their JSON size in all, as published.
    pub event_bytes: usize,
    /// Share of the feed that passes the deduper (unique + revision).
    pub unique_share: f64,
    /// Wall-clock seconds of the in-process run (clean and extract on all cores).
    pub seconds: f64,
}

fn outcome_label(o: Outcome) -> &'static str {
    o.label()
}

/// Run `f` over `items` on up to `threads` threads, keeping the order.
fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

pub fn predict(items: &[FeedItem], threads: usize) -> Prediction {
    let started = Instant::now();
    let cleaned: Vec<Option<CleanArticle>> = par_map(items, threads, |item| {
        newsflow_cleaner::clean(&RawArticle {
            source_path: item.name.clone(),
            received_at: None,
            bytes: bytes::Bytes::copy_from_slice(&item.bytes),
        })
        .ok()
    });
    let mut deduper = InMemoryDeduper::default();
    let mut pred = Prediction {
        articles: items.len(),
        ..Prediction::default()
    };
    for kind in ItemKind::ALL {
        pred.by_kind.insert(kind.label(), OutcomeCounts::new());
    }
    let mut passed: Vec<CleanArticle> = Vec::new();
    for (item, article) in items.iter().zip(cleaned) {
        let label = match article {
            None => "rejected",
            Some(a) => {
                let d = deduper.decide(&a);
                let label = outcome_label(Outcome::of(&d));
                if let Decision::Unique(a) = d {
                    passed.push(a);
                }
                label
            }
        };
        *pred.outcomes.entry(label).or_default() += 1;
        *pred
            .by_kind
            .entry(item.kind.label())
            .or_default()
            .entry(label)
            .or_default() += 1;
    }
    let taxonomy = Taxonomy::embedded();
    let per_article = par_map(&passed, threads, |a| {
        let events = extract(a, &taxonomy);
        let bytes = events
            .iter()
            .map(|e| serde_json::to_vec(e).map_or(0, |v| v.len()))
            .sum::<usize>();
        (events.len(), bytes)
    });
    pred.events = per_article.iter().map(|p| p.0).sum();
    pred.event_bytes = per_article.iter().map(|p| p.1).sum();
    pred.unique_share = passed.len() as f64 / items.len().max(1) as f64;
    pred.seconds = started.elapsed().as_secs_f64();
    pred
}
