//! English quantities: money (`RMB 3.26 billion`, `32.6 billion yuan`, `US$57.35 million`),
//! energy (`126 million kWh`), percentages and percentage points, each with the comparator
//! written right before or after it (`more than`, `exceeded`, `about`, `or more`) and a flag for
//! thresholds (`projects of more than 20 million yuan`), which are never an indicator's value.
//! All arithmetic is decimal: `value` is the number as written, `base` the number in yuan,
//! dollars or kWh.

use super::ascii_regex;
use crate::Comparator;
use regex::Regex;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::LazyLock;

/// What a quantity measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QtyKind {
    /// Money in `CNY` or `USD`.
    Money(&'static str),
    /// Energy, base kWh.
    Energy,
    /// A percentage (`22.7%`, `22.7 percent`).
    Percent,
    /// A percentage-point change: never a figure.
    Points,
    /// `2.2 times` (a growth multiple, ×100 as a percentage).
    Times,
}

/// One quantity in a sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    /// Byte range in the text (comparator words excluded).
    pub start: usize,
    pub end: usize,
    pub kind: QtyKind,
    /// The number as written (sign included for `-3.5%`).
    pub value: Decimal,
    /// Unit as written: `billion yuan`, `RMB billion`, `US$ million`, `million kWh`, `%`.
    pub unit: String,
    /// Value in the base unit (money and energy only).
    pub base: Option<Decimal>,
    pub comparator: Comparator,
    /// A threshold or bracket (`projects of more than 100 million yuan`), not a figure.
    pub threshold: bool,
}

impl Quantity {
    pub fn base_unit(&self) -> Option<&'static str> {
        match self.kind {
            QtyKind::Money(c) => Some(c),
            QtyKind::Energy => Some("kWh"),
            _ => None,
        }
    }
    pub fn is_amount(&self) -> bool {
        matches!(self.kind, QtyKind::Money(_) | QtyKind::Energy)
    }
}

/// Unit of a growth stated in words (`doubled`).
pub const DOUBLED_UNIT: &str = "doubled";
const NUM: &str = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)";
const MAG: &str = r"(?P<mag>hundred million|ten thousand|thousand|million|billion|trillion|bn|mn)";

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(&format!(
        r"(?i)(?P<pre>RMB|CNY|US\$|USD|\$|¥|￥)?\s?{NUM}(?:\s?{MAG}\b)?(?:\s?(?P<suf>yuan\b|RMB\b|CNY\b|US dollars\b|U\.S\. dollars|dollars\b|USD\b|kilowatt[- ]hours?\b|kw·h|kwh\b|kw\.h|mwh\b|gwh\b|twh\b|degrees\b))?"
    ))
    .expect("amount regex")
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(&format!(
        r"(?i)(?P<neg>-|−|minus\s)?{NUM}\s?(?P<u>%|percent\b|per cent\b|percentage points?\b|percent points?\b|pp\b|times\b)"
    ))
    .expect("percent regex")
});
static BEFORE_GE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(more than|over|exceeded|exceeding|exceeds|exceed|above|at least|no less than|not less than|surpassed|surpassing|topped|broke through|breaking through)\s*$").expect("ge regex")
});
static BEFORE_LE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(less than|fewer than|below|under|no more than|not more than|not exceeding|at most|within)\s*$").expect("le regex")
});
static BEFORE_EQ: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(about|around|approximately|roughly|some|nearly|almost|close to)\s*$")
        .expect("eq regex")
});
static AFTER_BRACKET: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(
        r"(?i)^\s*(and above|or above|and over|or more|and more|and below|or below|or less)\b",
    )
    .expect("after regex")
});
/// Words before a figure that make it a bracket of projects/enterprises, not an aggregate.
static THRESHOLD_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(projects?|enterprises?|companies|firms|investors?)\b(?P<gap>[^,;:.\d]{0,40}?)\b((of|with|over|above|exceeding|worth|valued at)\s+((more than|over|above|at least|no less than|not less than)\s+)?|(were|was|are|is)\s+(more than|over|above|at least|no less than|not less than)\s+)$").expect("threshold regex")
});
/// An amount stated as a change or a comparison base (`increased by 1.5 billion yuan`,
/// `from 3 billion yuan to …`, `than 3 billion yuan`): not the indicator's level.
static CHANGE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(increase[sd]?|decrease[sd]?|grew|grown|rose|risen|fell|dropped|declined|up|down|growth|increment|from|than|compared\s+with|compared\s+to)\s+((by|of)\s+)?$").expect("change regex")
});
/// Comparator words at the end of a text (removed before looking further back).
static COMPARATOR_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(more than|less than|fewer than|over|above|below|under|about|around|approximately|nearly|almost|at least|no less than|not less than|no more than|not more than|exceeding|exceeded|exceeds|exceed|close to|some|roughly)\s*$").expect("comparator tail regex")
});
static CHANGE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s+(more|less|higher|lower)\s+than\b").expect("change after regex")
});
static THRESHOLD_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s*((and|or) (above|more|over)\s+)?(\w+\s+)?(projects?|enterprises?|companies|firms)\b")
        .expect("threshold after regex")
});

fn magnitude(mag: &str) -> Decimal {
    match mag.to_ascii_lowercase().as_str() {
        "thousand" => Decimal::from(1_000u64),
        "ten thousand" => Decimal::from(10_000u64),
        "million" | "mn" => Decimal::from(1_000_000u64),
        "hundred million" => Decimal::from(100_000_000u64),
        "billion" | "bn" => Decimal::from(1_000_000_000u64),
        "trillion" => Decimal::from(1_000_000_000_000u64),
        _ => Decimal::ONE,
    }
}

/// `1,234.5` → 1234.5, exactly.
pub fn parse_number(s: &str) -> Option<Decimal> {
    Decimal::from_str(&s.replace(',', "")).ok()
}

/// Currency or energy of an amount, and the multiplier its unit word adds (`GWh` = 10⁶ kWh).
fn unit_kind(pre: Option<&str>, suf: Option<&str>) -> Option<(QtyKind, Decimal)> {
    let norm = |s: &str| s.to_ascii_lowercase();
    let cny = |s: &str| matches!(s, "rmb" | "cny" | "yuan" | "¥" | "￥");
    let usd = |s: &str| {
        matches!(
            s,
            "us$" | "usd" | "$" | "us dollars" | "u.s. dollars" | "dollars"
        )
    };
    let (p, s) = (pre.map(norm), suf.map(norm));
    if let Some(s) = s.as_deref() {
        if cny(s) {
            return Some((QtyKind::Money("CNY"), Decimal::ONE));
        }
        if usd(s) {
            return Some((QtyKind::Money("USD"), Decimal::ONE));
        }
        if s == "degrees" {
            return Some((QtyKind::Energy, Decimal::ONE)); // 度, as translated
        }
        let scale = match s {
            "mwh" => Decimal::from(1_000u64),
            "gwh" => Decimal::from(1_000_000u64),
            "twh" => Decimal::from(1_000_000_000u64),
            _ => Decimal::ONE,
        };
        return Some((QtyKind::Energy, scale));
    }
    match p.as_deref() {
        Some(p) if cny(p) => Some((QtyKind::Money("CNY"), Decimal::ONE)),
        Some(p) if usd(p) => Some((QtyKind::Money("USD"), Decimal::ONE)),
        _ => None,
    }
}

/// `doubled`, `increased one-fold` (翻一番, 增长一倍): a growth of 100%.
static DOUBLED: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(doubled|(increased|grew|rose)\s+(by\s+)?one[- ]fold)\b")
        .expect("doubled regex")
});

/// Every quantity in `text[start..end]`, in order, with byte offsets into `text`.
pub fn quantities(text: &str, start: usize, end: usize) -> Vec<Quantity> {
    let s = &text[start..end];
    let mut out: Vec<Quantity> = Vec::new();
    for m in DOUBLED.find_iter(s) {
        out.push(Quantity {
            start: start + m.start(),
            end: start + m.end(),
            kind: QtyKind::Times,
            value: Decimal::ONE,
            unit: DOUBLED_UNIT.to_string(),
            base: None,
            comparator: Comparator::Eq,
            threshold: false,
        });
    }
    for c in PERCENT.captures_iter(s) {
        let (Some(m), Some(num), Some(u)) = (c.get(0), c.name("num"), c.name("u")) else {
            continue;
        };
        let lead = c.name("neg").map(|n| n.start()).unwrap_or(num.start());
        if !number_starts_cleanly(s, lead) {
            continue;
        }
        let Some(mut v) = parse_number(num.as_str()) else {
            continue;
        };
        if c.name("neg").is_some() {
            v = -v;
        }
        let ul = u.as_str().to_ascii_lowercase();
        let kind = if ul.contains("point") || ul == "pp" {
            QtyKind::Points
        } else if ul == "times" {
            QtyKind::Times
        } else {
            QtyKind::Percent
        };
        let unit = if kind == QtyKind::Percent {
            "%".to_string()
        } else {
            u.as_str().to_string()
        };
        let mut q = Quantity {
            start: start + m.start(),
            end: start + m.end(),
            kind,
            value: v,
            unit,
            base: None,
            comparator: Comparator::Eq,
            threshold: false,
        };
        qualify(text, start, &mut q);
        out.push(q);
    }
    for c in AMOUNT.captures_iter(s) {
        let (Some(m), Some(num)) = (c.get(0), c.name("num")) else {
            continue;
        };
        let (pre, suf, mag) = (c.name("pre"), c.name("suf"), c.name("mag"));
        let Some((kind, scale)) = unit_kind(pre.map(|p| p.as_str()), suf.map(|x| x.as_str()))
        else {
            continue;
        };
        if pre.is_none() && !number_starts_cleanly(s, num.start()) {
            continue;
        }
        // The match may begin with the space before the number: start at the figure itself.
        let abs_start = start + pre.map(|p| p.start()).unwrap_or(num.start());
        let abs_end = start + m.end();
        if out.iter().any(|q| q.start < abs_end && abs_start < q.end) {
            continue;
        }
        let Some(v) = parse_number(num.as_str()) else {
            continue;
        };
        let mag_factor = mag.map(|m| magnitude(m.as_str())).unwrap_or(Decimal::ONE);
        let Some(base) = v.checked_mul(mag_factor).and_then(|b| b.checked_mul(scale)) else {
            continue;
        };
        let unit = [pre, mag, suf]
            .iter()
            .flatten()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut q = Quantity {
            start: abs_start,
            end: abs_end,
            kind,
            value: v,
            unit,
            base: Some(base),
            comparator: Comparator::Eq,
            threshold: false,
        };
        qualify(text, start, &mut q);
        out.push(q);
    }
    out.sort_by_key(|q| q.start);
    out
}

/// A number must not continue a word or another number (`A1`, `2021-05`).
fn number_starts_cleanly(s: &str, at: usize) -> bool {
    s[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '.' || c == '-' || c == '/'))
}

/// Set the comparator and threshold flag of `q` from the words around it (within the sentence
/// starting at `sent_start`).
fn qualify(text: &str, sent_start: usize, q: &mut Quantity) {
    let before = &text[sent_start..q.start];
    let after = &text[q.end..];
    q.comparator = if BEFORE_GE.is_match(before) {
        Comparator::Ge
    } else if BEFORE_LE.is_match(before) {
        Comparator::Le
    } else if BEFORE_EQ.is_match(before) {
        Comparator::Eq
    } else if let Some(m) = AFTER_BRACKET.find(after) {
        let w = m.as_str().to_ascii_lowercase();
        if w.contains("below") || w.contains("less") {
            Comparator::Le
        } else {
            Comparator::Ge
        }
    } else {
        Comparator::Eq
    };
    if q.is_amount() {
        let after_l = after.to_ascii_lowercase();
        let bracket_before = THRESHOLD_BEFORE.captures(before).is_some_and(|c| {
            // `enterprises above designated size … of X` is the statistical scope, not a bracket.
            let gap = c.name("gap").map(|g| g.as_str()).unwrap_or("");
            !gap.contains("designated") && !gap.contains("scale")
        });
        q.threshold = bracket_before
            || THRESHOLD_AFTER.is_match(after)
            || CHANGE_BEFORE.is_match(&COMPARATOR_TAIL.replace(before, ""))
            || CHANGE_AFTER.is_match(&after_l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn one(text: &str) -> Quantity {
        let q = quantities(text, 0, text.len());
        assert_eq!(q.len(), 1, "{text}: {q:?}");
        q.into_iter().next().unwrap()
    }

    #[test]
    fn amounts_and_units() {
        let cases = [
            (
                "RMB 3.26 billion",
                "3.26",
                "RMB billion",
                "3260000000",
                "CNY",
            ),
            (
                "32.6 billion yuan",
                "32.6",
                "billion yuan",
                "32600000000",
                "CNY",
            ),
            (
                "US$57.35 million",
                "57.35",
                "US$ million",
                "57350000",
                "USD",
            ),
            (
                "1.2 trillion yuan",
                "1.2",
                "trillion yuan",
                "1200000000000",
                "CNY",
            ),
            (
                "100 million yuan",
                "100",
                "million yuan",
                "100000000",
                "CNY",
            ),
            ("10,000 yuan", "10000", "yuan", "10000", "CNY"),
            (
                "3.2 hundred million yuan",
                "3.2",
                "hundred million yuan",
                "320000000",
                "CNY",
            ),
            ("126 million kWh", "126", "million kWh", "126000000", "kWh"),
            (
                "4.5 billion kilowatt-hours",
                "4.5",
                "billion kilowatt-hours",
                "4500000000",
                "kWh",
            ),
            ("$100 million", "100", "$ million", "100000000", "USD"),
            (
                "57.35 million US dollars",
                "57.35",
                "million US dollars",
                "57350000",
                "USD",
            ),
            ("2 GWh", "2", "GWh", "2000000", "kWh"),
        ];
        for (text, value, unit, base, base_unit) in cases {
            let q = one(text);
            assert_eq!(q.value, d(value), "{text}");
            assert_eq!(q.unit, unit, "{text}");
            assert_eq!(q.base, Some(d(base)), "{text}");
            assert_eq!(q.base_unit(), Some(base_unit), "{text}");
        }
    }

    #[test]
    fn counts_land_and_tonnes_are_not_amounts() {
        for text in [
            "46 key projects",
            "1,200 mu",
            "23 thousand tons",
            "in 2021 the",
        ] {
            assert!(quantities(text, 0, text.len()).is_empty(), "{text}");
        }
    }

    #[test]
    fn percents_points_and_multiples() {
        let q = one("up 15.4%");
        assert_eq!((q.kind, q.value), (QtyKind::Percent, d("15.4")));
        let q = one("down -3.5 percent");
        assert_eq!(q.value, d("-3.5"));
        assert_eq!(one("by 62.9 percentage points").kind, QtyKind::Points);
        assert_eq!(one("increased 2.2 times").kind, QtyKind::Times);
    }

    #[test]
    fn comparators_bind_to_their_own_figure() {
        let cases = [
            (
                "industrial investment exceeded 8 billion yuan",
                Comparator::Ge,
            ),
            ("an increase of more than 20%", Comparator::Ge),
            ("will exceed 18 billion yuan", Comparator::Ge),
            ("over 30 billion yuan", Comparator::Ge),
            ("less than 5%", Comparator::Le),
            ("about 17.9%", Comparator::Eq),
            ("was 1.441 billion yuan", Comparator::Eq),
        ];
        for (text, cmp) in cases {
            assert_eq!(one(text).comparator, cmp, "{text}");
        }
    }

    #[test]
    fn thresholds() {
        let cases = [
            (
                "fixed asset investment of projects of 5 million yuan and above",
                true,
            ),
            (
                "41 new investment projects of 5 million yuan and above were added",
                true,
            ),
            (
                "enterprises with annual main business income of 20 million yuan and above",
                true,
            ),
            ("the GDP will reach 30 billion yuan or above", false),
            ("GDP increased by 1.5 billion yuan", true),
            ("an increase of more than 1.5 billion yuan", true),
            ("keep exports at less than 5 billion yuan", false),
            ("exports rose from 3 billion yuan to", true),
            ("5 billion yuan more than last year", true),
            ("for projects of more than 20 million yuan of", true),
            ("including 13 projects of more than 100 million yuan", true),
            (
                "a foreign investment project of more than $100 million",
                true,
            ),
            ("100 million yuan projects", true),
            ("industrial investment exceeded 8 billion yuan", false),
            ("the fiscal revenue was 1.142 billion yuan", false),
        ];
        for (text, want) in cases {
            let q = quantities(text, 0, text.len());
            assert_eq!(q[0].threshold, want, "{text}");
        }
        // The aggregate after a threshold is not itself a threshold.
        let text = "used funds for projects of more than 20 million yuan of 1.441 billion yuan";
        let q = quantities(text, 0, text.len());
        assert_eq!(
            (q[0].threshold, q[1].threshold, q[1].comparator),
            (true, false, Comparator::Eq)
        );
    }
}
