//! The final de-duplication of figures (SPEC §5): the same figure stated twice in one article —
//! title and body, prose and table, a body printed twice by the page — is one event. Figures are
//! the same when indicator, period, value, growth, status and place agree; the one kept is the
//! first stated in the body (the longest evidence when one of them is a headline).

use crate::Figure;

fn key(f: &Figure) -> String {
    format!(
        "{}|{:?}|{:?}|{}|{}|{:?}|{}|{:?}",
        f.indicator,
        f.period.start,
        f.period.end,
        f.value_base
            .map(|d| d.normalize().to_string())
            .unwrap_or_default(),
        f.yoy_pct
            .map(|d| d.normalize().to_string())
            .unwrap_or_default(),
        f.status,
        f.comparator.as_str(),
        f.region,
    )
}

/// `figures` without repeats, in their original order.
pub fn dedup(figures: Vec<Figure>) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::with_capacity(figures.len());
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in figures {
        let k = key(&f);
        match seen.get(&k) {
            Some(&i) => {
                // Keep the body statement over a headline-length repeat.
                let len = |g: &Figure| g.span.1 - g.span.0;
                if len(&out[i]) < 12 && len(&f) > len(&out[i]) {
                    out[i] = f;
                }
            }
            None => {
                seen.insert(k, out.len());
                out.push(f);
            }
        }
    }
    out
}
