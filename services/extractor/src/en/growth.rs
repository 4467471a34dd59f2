//! Growth rates (SPEC §5 Growth): whether a percentage is a year-on-year change, and its sign.
//! A growth word before it in its clause decides (`up`, `a year-on-year decrease of`,
//! `negative growth`), else one after it (`5% year on year`, `3% growth`), else — in a
//! parallel clause that leaves the verb out — the last one read in the sentence. Shares
//! (`accounting for 17.9%`), month-on-month and other bases are not year-on-year.

use super::ascii_regex;
use super::numbers::{QtyKind, Quantity, DOUBLED_UNIT};
use regex::Regex;
use rust_decimal::Decimal;
use std::cell::Cell;
use std::sync::LazyLock;

static GROWTH_UP: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(increase[sd]?|increasing|growth|grew|grow(s|ing|n)?|up|rose|rise[sn]?|rising|surged?|surging|soar(ed|ing|s)?|jump(ed|s)?|climb(ed|s)?|gain(ed|s)?|higher|expand(ed|s)?|year[- ]on[- ]year|y-o-y|doubled)\b").expect("up regex")
});
static GROWTH_DOWN: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(decrease[sd]?|decreasing|decline[sd]?|declining|down|fell|fall(s|en|ing)?|drop(ped|s)?|shr[ai]nk|contract(ed|ion)|lower|reduc(ed|tion)|sli[dp]p?(ed)?|dipped|plung(ed|es)|plummet(ed|s)?|tumbled|negative growth)\b").expect("down regex")
});
static NOT_YOY: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)month-on-month|quarter-on-quarter|chain|previous (month|quarter)|last month|two-year average|average (annual|growth)|(than|with|over) (in )?(19|20)\d{2}\b")
        .expect("not yoy regex")
});
static SHARE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)(accounting for|account for|accounts for|share of|proportion of|ratio of|making up)\s+(about |around |nearly |approximately )?$").expect("share regex")
});
static SHARE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s+of\s+(the|total|its|all|their)\b").expect("share after regex")
});

/// The year-on-year change a percentage states, if it states one (growth words before it
/// in its clause, or `year-on-year` after it); shares and other bases give `None`.
pub fn yoy(
    text: &str,
    q: &Quantity,
    seg_start: usize,
    seg_end: usize,
    last_declining: &Cell<Option<bool>>,
) -> Option<Decimal> {
    if !matches!(q.kind, QtyKind::Percent | QtyKind::Times) {
        return None;
    }
    if q.unit == DOUBLED_UNIT {
        return Some(Decimal::ONE_HUNDRED);
    }
    let seg_start = seg_start.min(q.start);
    let before = &text[seg_start..q.start];
    let after = &text[q.end..seg_end.max(q.end)];
    if SHARE_BEFORE.is_match(before) || SHARE_AFTER.is_match(after) {
        return None;
    }
    if NOT_YOY.is_match(&text[seg_start..seg_end.max(q.end)]) {
        return None;
    }
    // The growth word nearest before the figure decides (`negative growth` is a decline);
    // failing one, the first one after it in its clause (`22.7% and 7.1% growth`).
    let up = GROWTH_UP.find_iter(before).last().map(|m| m.end());
    let down = GROWTH_DOWN.find_iter(before).last().map(|m| m.end());
    let declining = match (up, down) {
        (Some(u), Some(d)) => d >= u,
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (None, None) => {
            let up = GROWTH_UP.find(after).map(|m| m.start());
            let down = GROWTH_DOWN.find(after).map(|m| m.start());
            match (up, down) {
                (Some(u), Some(d)) => d <= u,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (None, None) => {
                    let a = after.trim_start().to_ascii_lowercase();
                    let elliptical = before.len() < 60
                        && !before.chars().any(|c| c.is_ascii_digit())
                        && !SHARE_BEFORE.is_match(before);
                    if a.starts_with("yoy") || a.starts_with("y/y") {
                        false
                    } else if let (true, Some(d)) = (elliptical, last_declining.get()) {
                        d
                    } else {
                        return None;
                    }
                }
            }
        }
    };
    last_declining.set(Some(declining));
    let mut v = q.value;
    if q.kind == QtyKind::Times {
        v *= Decimal::ONE_HUNDRED;
    }
    if declining && v > Decimal::ZERO {
        v = -v;
    }
    Some(v)
}
