//! The final de-duplication of figures (SPEC §5): the same figure stated twice in one article —
//! title and body, prose and table, a body printed twice by the page — is one event. Figures are
//! the same when indicator, period, value, growth, status and place agree; the one kept is the
//! first stated in the body (the longest evidence when one of them is a headline).

use crate::Figure;

/// Whether two figures state the same thing. Decimals compare by value (`8.80` = `8.8`).
fn same(a: &Figure, b: &Figure) -> bool {
    a.indicator == b.indicator
        && a.period.start == b.period.start
        && a.period.end == b.period.end
        && a.value_base == b.value_base
        && a.yoy_pct == b.yoy_pct
        && a.status == b.status
        && a.comparator == b.comparator
        && a.region == b.region
}

/// A hash of the fields of [`same`] that hash plainly (not the decimals, whose equal values can
/// be written differently): figures with different hashes are never the same.
fn bucket_of(f: &Figure) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    f.indicator.hash(&mut h);
    f.period.start.hash(&mut h);
    f.period.end.hash(&mut h);
    (f.status as u8).hash(&mut h);
    f.comparator.hash(&mut h);
    f.region.hash(&mut h);
    h.finish()
}

/// `figures` without repeats, in their original order.
pub fn dedup(figures: Vec<Figure>) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::with_capacity(figures.len());
    // Figures kept so far, by `bucket_of`; `same` decides within a bucket. (Comparing fields
    // instead of building a formatted key per figure: the keys were a twentieth of the time.)
    let mut kept: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    for f in figures {
        let bucket = kept.entry(bucket_of(&f)).or_default();
        match bucket.iter().copied().find(|&i| same(&out[i], &f)) {
            Some(i) => {
                // Keep the body statement over a headline-length repeat.
                let len = |g: &Figure| g.span.1 - g.span.0;
                if len(&out[i]) < 12 && len(&f) > len(&out[i]) {
                    out[i] = f;
                }
            }
            None => {
                bucket.push(out.len());
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn fig(yoy: &str, region: &str, span: (usize, usize)) -> Figure {
        let mut f = crate::figure::sample_figure(region, span);
        f.yoy_pct = Some(Decimal::from_str(yoy).unwrap());
        f
    }

    #[test]
    fn a_repeat_is_one_figure_and_the_body_statement_wins() {
        let headline = fig("8.8", "萍乡市", (0, 8));
        let body = fig("8.80", "萍乡市", (20, 60));
        let other_place = fig("8.8", "江西省", (70, 90));
        let other_rate = fig("8.9", "萍乡市", (100, 130));
        let out = dedup(vec![
            headline,
            body.clone(),
            other_place.clone(),
            other_rate.clone(),
        ]);
        assert_eq!(out, vec![body, other_place, other_rate]);
    }
}
