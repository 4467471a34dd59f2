//! Indicator terms in English text (the taxonomy's `en` lists): where each is named, which code
//! it names, and whether that mention can carry the indicator's figure at all. A term used as a
//! modifier (`industrial investment fund`), for a sector (`the added value of advanced
//! manufacturing`, `retail sales of grain`), for a subset (`above the quota`), per capita or as a
//! share base (`22.9% of the total fixed asset investment`) still claims the figures after it,
//! but gives no event. An elided list item takes the list's head noun (`high-tech industry
//! investment, manufacturing, export` → `manufacturing investment`).

use super::ascii_regex;
use crate::{Taxonomy, UnitClass};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use std::sync::LazyLock;

/// One term of the taxonomy, lower-cased.
#[derive(Clone, Debug)]
struct Entry {
    term: String,
    code: String,
    unit_class: UnitClass,
}

/// The taxonomy's English terms, ready for matching.
pub struct TermIndex {
    entries: Vec<Entry>,
    matcher: Option<AhoCorasick>,
}

/// A term named in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct TermMention {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub code: String,
    pub unit_class: UnitClass,
    /// The term as written.
    pub label: String,
    /// Named but not as the subject's whole indicator: claims figures, gives no event.
    pub excluded: bool,
    /// A bare term (`added value`) that counts only as a later item of a list of terms.
    pub needs_list: bool,
}

impl TermIndex {
    pub fn new(taxonomy: &Taxonomy) -> Self {
        let entries: Vec<Entry> = taxonomy
            .indicators
            .iter()
            .flat_map(|d| {
                d.en.iter().map(move |t| Entry {
                    term: t.to_ascii_lowercase(),
                    code: d.code.clone(),
                    unit_class: d.unit_class,
                })
            })
            .filter(|e| !e.term.trim().is_empty())
            .collect();
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(entries.iter().map(|e| e.term.as_str()))
            .ok();
        TermIndex { entries, matcher }
    }

    fn exact(&self, phrase: &str) -> Option<&Entry> {
        let p = phrase.to_ascii_lowercase();
        self.entries.iter().find(|e| e.term == p)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

static MODIFIER_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^(?:-|\s+)(funds?|projects?|enterprises?|compan(y|ies)|firms?|zones?|parks?|polic(y|ies)|awards?|rewards?|subsid(y|ies)|delivery|bases?|platforms?|services?|rank(ing|ed)?|index|indices|per\b|intensity|contribution|share|proportion|ratio|completion|structure|sectors?|department|bureau|work|situation|tasks?|growth points?|markets?|orders?|chains?|system|mechanism|refunds?|rebates?|incentives?|reductions?|cuts?|relief|exemptions?|credits?|loans?|guarantees?|capacity|efficiency|density)\b").expect("modifier regex")
});
static MODIFIER_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)(\b(per capita|per-capita|contracted|planned|above-quota|average|monthly|newly signed|signed|intended|agreed)\s+|\b(yuan|dollars)\s+of\s+(the\s+)?|(\bshare|\bproportion|\bpercentage|\bratio|%)\s+of\s+(the\s+)?(total\s+)?)$").expect("modifier before regex")
});
/// What may follow `TERM of`: a figure, the subject, the statistical scope — not a sector.
static OF_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s+of\s+((RMB|CNY|US\$|USD|\$|¥)|\d|more\b|over\b|about\b|around\b|nearly\b|approximately\b|less\b|above\b|at least|no less|this\b|our\b|its\b|their\b|all\b|total\b|goods\b|industr|enterprises\s+above|(the\s+)?enterprises\s+(above|of designated)|(the\s+)?(above[- ]scale|above[- ]designated|large[- ]scale|designated)|projects?\b|the\s+(whole|entire|total|park|zone|county|district|city|province|region|area|town|township|high-tech zone|development zone|economic|industrial park|new area|country|nation|municipality|prefecture|village|society|municipal|enterprises above|industr))").expect("of regex")
});
static OF_CAPITALISED: LazyLock<Regex> =
    LazyLock::new(|| ascii_regex(r"^\s+of\s+(the\s+)?[A-Z]").expect("of capital regex"));
static QUALIFIES_BARE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(
        r"(?i)^\s+of\s+(the\s+)?(industr|enterprises\s+above|above-scale|scale|large-scale)",
    )
    .expect("bare regex")
});
/// What may separate two names of one indicator that are one mention (`foreign trade import
/// and export`, `import and export volume of foreign trade`).
static SAME_TERM_GAP: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"^(-|and|or|([a-z]+ )?of( the)?)?$").expect("same term gap regex")
});
/// One project's or company's figure (`the project's annual output value`, `after completion`):
/// not the subject's indicator.
static SINGLE_ENTITY: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)(\b(the|this|that|each|a|one|single|its)\s+(project|company|enterprise|plant|factory|firm)('s|’s)?\s+((annual|total|expected|estimated|designed|new|additional)\s+)*$)|\b(after|upon)\s+(its\s+|the\s+)?(completion|being\s+(completed|put\s+into)|(it|they)\s+(is|are)\s+(completed|put\s+into)|reaching\s+(full\s+)?production|full\s+production)")
        .expect("single entity regex")
});
/// A sector named right before a term (`high-tech manufacturing added value`): a breakdown.
static SECTOR_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(high-tech|high-technology|hi-tech|manufacturing|private|state-owned|foreign-funded|light|heavy|emerging|advanced|equipment|mining|textile|chemical|electronic|automobile|steel|energy|services?|tertiary|secondary|primary|digital|modern|agricultural|construction|catering)\s+$").expect("sector regex")
});
static SUBSET: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)above[- ]the[- ]quota|above[- ]quota|above a certain quota")
        .expect("subset regex")
});

/// Every term mention in `text[start..end]` (one sentence), in order.
pub fn terms(index: &TermIndex, text: &str, start: usize, end: usize) -> Vec<TermMention> {
    let Some(matcher) = &index.matcher else {
        return Vec::new();
    };
    let s = &text[start..end];
    let bytes = s.as_bytes();
    let mut cands: Vec<(usize, usize, usize)> = matcher
        .find_overlapping_iter(s)
        .filter(|m| {
            let ok_before = m.start() == 0 || !is_word_byte(bytes[m.start() - 1]);
            let ok_after = m.end() == bytes.len() || !is_word_byte(bytes[m.end()]);
            ok_before && ok_after
        })
        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
        .collect();
    // Longest first, then leftmost: `total imports and exports` is the foreign-trade term
    // `imports and exports`, not `total imports` followed by `exports`.
    cands.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    let mut picked: Vec<(usize, usize, usize)> = Vec::new();
    for c in cands {
        if picked.iter().all(|p| c.1 <= p.0 || c.0 >= p.1) {
            picked.push(c);
        }
    }
    picked.sort_by_key(|c| c.0);
    // Adjacent names of one indicator are one mention (`foreign trade import and export`).
    let mut merged: Vec<(usize, usize, usize)> = Vec::new();
    for c in picked {
        if let Some(last) = merged.last_mut() {
            let gap = s[last.1..c.0].trim().to_ascii_lowercase();
            if index.entries[last.2].code == index.entries[c.2].code && SAME_TERM_GAP.is_match(&gap)
            {
                last.1 = c.1;
                continue;
            }
        }
        merged.push(c);
    }
    let mut out: Vec<TermMention> = Vec::new();
    for (i, &(a, b, e)) in merged.iter().enumerate() {
        if i > 0 {
            let prev = merged[i - 1];
            out.extend(elided(
                index,
                text,
                start + prev.1,
                start + a,
                &index.entries[prev.2],
            ));
        }
        let entry = &index.entries[e];
        out.push(mention(text, start, end, start + a, start + b, entry));
    }
    out
}

fn mention(text: &str, s0: usize, s1: usize, a: usize, b: usize, entry: &Entry) -> TermMention {
    let before = &text[s0..a];
    let after = &text[b..s1];
    let label = &text[a..b];
    let clause_end = after.find([',', ';', ':']).unwrap_or(after.len());
    let near_before = tail(before, 40);
    let of_phrase = after.trim_start().to_ascii_lowercase().starts_with("of ");
    let breakdown = of_phrase && !OF_SUBJECT.is_match(after) && !OF_CAPITALISED.is_match(after);
    let excluded = MODIFIER_AFTER.is_match(after)
        || MODIFIER_BEFORE.is_match(before)
        || SECTOR_BEFORE.is_match(before)
        || SINGLE_ENTITY.is_match(before)
        || breakdown
        || SUBSET.is_match(near_before)
        || SUBSET.is_match(&after[..clause_end]);
    let lower = label.to_ascii_lowercase();
    let needs_list = entry.code.starts_with("industrial_")
        && !lower.contains("industr")
        && !QUALIFIES_BARE.is_match(after);
    TermMention {
        start: a,
        end: b,
        code: entry.code.clone(),
        unit_class: entry.unit_class,
        label: label.to_string(),
        excluded,
        needs_list,
    }
}

/// The last `n` bytes of `s` or a little less, cut at a char boundary.
pub fn tail(s: &str, n: usize) -> &str {
    let mut i = s.len().saturating_sub(n);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// Items between two listed terms (`A, X, Y and B`): an item that names an indicator with the
/// head noun of the list's first term (`…investment, manufacturing, export…` → manufacturing
/// investment) is that indicator; any other short noun item (`GDP, tourism revenue and
/// exports`) keeps its place in the list, so later values still align, but gives no event.
/// A gap that is not a plain list (verbs, clauses) gives nothing.
fn elided(index: &TermIndex, text: &str, a: usize, b: usize, head: &Entry) -> Vec<TermMention> {
    static SEPARATOR: LazyLock<Regex> =
        LazyLock::new(|| ascii_regex(r"(?i),|\band\b").expect("separator regex"));
    static NOT_A_NOUN: LazyLock<Regex> = LazyLock::new(|| {
        ascii_regex(r"(?i)\b(which|that|was|were|is|are|has|have|had|grew|increased|decreased|rose|fell|reached|achieved|completed|realized|ranked|ranking|maintained|with|by|of|in|to|for|respectively|while|among|including|its|their)\b").expect("noun regex")
    });
    let gap = &text[a..b];
    let g = gap.trim_start();
    if !(g.starts_with(',') || g.to_ascii_lowercase().starts_with("and ")) {
        return Vec::new();
    }
    let Some(head_noun) = head.term.rsplit(' ').next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut piece_start = a;
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for m in SEPARATOR.find_iter(gap) {
        bounds.push((piece_start, a + m.start()));
        piece_start = a + m.end();
    }
    bounds.push((piece_start, b));
    for (ps, pe) in bounds {
        let piece = &text[ps..pe];
        let item = piece.trim();
        if item.is_empty() {
            continue;
        }
        let words: Vec<&str> = item.split_whitespace().collect();
        if words.len() > 4
            || NOT_A_NOUN.is_match(item)
            || !words
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
        {
            return Vec::new();
        }
        let Some(rel) = piece.find(item) else {
            return Vec::new();
        };
        let (code, unit_class, excluded) = match index.exact(&format!("{item} {head_noun}")) {
            Some(entry) => (entry.code.clone(), entry.unit_class, false),
            None => (head.code.clone(), head.unit_class, true),
        };
        out.push(TermMention {
            start: ps + rel,
            end: ps + rel + item.len(),
            code,
            unit_class,
            label: item.to_string(),
            excluded,
            needs_list: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, bool)> {
        let index = TermIndex::new(&Taxonomy::embedded());
        terms(&index, text, 0, text.len())
            .into_iter()
            .map(|t| (t.code, t.excluded))
            .collect()
    }

    fn codes(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(c, e)| (c.to_string(), *e)).collect()
    }

    #[test]
    fn terms_and_their_uses() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            (
                "the total industrial output value was",
                &[("industrial_output", false)],
            ),
            (
                "the total foreign trade import and export volume was",
                &[("foreign_trade", false)],
            ),
            (
                "total imports and exports reached",
                &[("foreign_trade", false)],
            ),
            ("total imports reached", &[("imports", false)]),
            (
                "high-tech industry investment, manufacturing, export growth of 117%",
                &[
                    ("high_tech_investment", false),
                    ("manufacturing_investment", false),
                    ("exports", false),
                ],
            ),
            (
                "an industrial investment fund with a scale of",
                &[("industrial_investment", true)],
            ),
            (
                "the added value of advanced manufacturing increased",
                &[("industrial_value_added", true)],
            ),
            (
                "the retail sales of grain, oil and food increased",
                &[("retail_sales", true)],
            ),
            (
                "the total retail sales of consumer goods of 34 billion",
                &[("retail_sales", false)],
            ),
            (
                "accounting for 22.9% of the total fixed asset investment",
                &[("fixed_asset_investment", true)],
            ),
            (
                "the fixed asset investment of the whole district",
                &[("fixed_asset_investment", false)],
            ),
            (
                "fixed asset investment of projects of 5 million yuan",
                &[("fixed_asset_investment", false)],
            ),
            ("per capita GDP was", &[("gdp", true)]),
            ("the export delivery value", &[("exports", true)]),
            (
                "GDP, tourism revenue and exports grew",
                &[("gdp", false), ("gdp", true), ("exports", false)],
            ),
            (
                "the total import and export volume of foreign trade was",
                &[("foreign_trade", false)],
            ),
            (
                "high-tech manufacturing industrial added value",
                &[("industrial_value_added", true)],
            ),
            (
                "the added value of the above-scale industry",
                &[("industrial_value_added", false)],
            ),
            (
                "the added value of the tertiary industry",
                &[("industrial_value_added", true)],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), codes(want), "{text}");
        }
    }

    #[test]
    fn a_bare_term_needs_a_list_or_an_industry() {
        let index = TermIndex::new(&Taxonomy::embedded());
        let text = "the added value of industries above designated size was";
        let t = terms(&index, text, 0, text.len());
        assert!(!t[0].needs_list && !t[0].excluded);
        let text = "output value, added value, fixed asset investment";
        let t = terms(&index, text, 0, text.len());
        assert!(t
            .iter()
            .any(|t| t.code == "industrial_value_added" && t.needs_list));
    }
}
