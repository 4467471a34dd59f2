//! English period expressions (SPEC §5 Periods): `January-May`, `January to May`, `first five
//! months`, `first quarter`/`Q1`, `first half`, `first three quarters`, `January and February`,
//! `in May alone`, `as of the end of May`, `since this year`/`up to now` (open end), `this year`,
//! `for the whole year`, `in 2023`, `last year`. Comparison bases (`than January–April`,
//! `compared with the first quarter of last year`, `the same period last year`) are not periods.

use super::ascii_regex;
use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// Which year a period expression names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearRef {
    Explicit(i32),
    This,
    Last,
    /// No year written: the article's other periods, else the publication year.
    Unstated,
}

/// The months a period expression covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// `start..=end` months.
    Months(u32, u32),
    /// From January with no end (`since this year`, `up to now`).
    SinceJanuary,
    /// `this year` alone: the whole year for a target or forecast, else since January.
    ThisYear,
    /// `the annual target`: the whole year for a target or forecast; no period for an actual
    /// figure (`to achieve the annual target, the zone completed …`).
    TargetYear,
}

/// A period expression found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodMention {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub span: Span,
    pub year: YearRef,
}

const MONTH: &str = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?";
/// A year written after the expression: `of 2022`, `this year`, `of last year`, `, 2022`.
const YEAR_AFTER: &str =
    r"(?:,?\s+(?:of\s+)?(?:(?P<y>\d{4})\b|(?P<this>this year|the year)|(?P<last>last year)))?";

struct Pattern {
    re: Regex,
    kind: PatternKind,
}

#[derive(Clone, Copy)]
enum PatternKind {
    MonthRange,
    FirstMonths,
    FirstQuarters,
    Quarter,
    QuarterCode,
    QuarterRange,
    Half,
    SinceJanuary,
    EndOfMonth,
    SingleMonth,
    WholeYear,
    AnnualTarget,
    BareYear,
    ThisYear,
    LastYear,
}

/// The patterns, most specific first, and a set of the same patterns that finds in one scan
/// which of them occur in a sentence at all (most sentences hold none or one, so the fifteen
/// capture scans shrink to those).
struct Patterns {
    list: Vec<Pattern>,
    any: RegexSet,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let list = pattern_list();
    let any = RegexSet::new(list.iter().map(|p| p.re.as_str())).expect("period regex set");
    Patterns { list, any }
});

fn pattern_list() -> Vec<Pattern> {
    let p = |re: String, kind| Pattern {
        re: ascii_regex(&re).expect("period regex"),
        kind,
    };
    vec![
        p(
            format!(r"(?:(?i:from|between)\s+)?(?P<y0>\d{{4}}\s+)?\b{MONTH}\s*(?:-|–|—|~|\s(?i:to|through|till|until|and)\s)\s*{MONTH}{YEAR_AFTER}"),
            PatternKind::MonthRange,
        ),
        p(
            format!(r"(?i)\b(?:the\s+)?first[\s-]+(?P<n>two|three|four|five|six|seven|eight|nine|ten|eleven|\d{{1,2}})[\s-]+months?{YEAR_AFTER}"),
            PatternKind::FirstMonths,
        ),
        p(
            format!(r"(?i)\b(?:the\s+)?first[\s-]+(?P<n>two|three|2|3)[\s-]+quarters{YEAR_AFTER}"),
            PatternKind::FirstQuarters,
        ),
        p(
            format!(r"(?i)\b(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter\b{YEAR_AFTER}"),
            PatternKind::Quarter,
        ),
        p(
            r"\b(?:(?P<y0>\d{4})\s*)?Q(?P<q>[1-4])\s*(?:-|–|—|~|to)\s*Q(?P<q2>[1-4])\b(?:\s+(?P<y>\d{4})\b)?".to_string(),
            PatternKind::QuarterRange,
        ),
        p(
            r"\b(?:(?P<y0>\d{4})\s*)?Q(?P<q>[1-4])\b(?:\s+(?P<y>\d{4})\b)?".to_string(),
            PatternKind::QuarterCode,
        ),
        p(
            format!(r"(?i)\b(?:the\s+)?(?P<h>first|second)[\s-]+half(?:[\s-]+(?:of\s+the\s+)?year)?{YEAR_AFTER}|\bH(?P<hc>[12])\b"),
            PatternKind::Half,
        ),
        p(
            r"(?i)\b(since\s+the\s+(beginning|start)\s+of\s+(this|the)\s+year|since\s+this\s+year|so\s+far\s+this\s+year|up\s+to\s+now|so\s+far|to\s+date|as\s+of\s+now|year[- ]to[- ]date|since\s+january)\b".to_string(),
            PatternKind::SinceJanuary,
        ),
        p(
            format!(r"\b(?i:as\s+of|by|up\s+to|until|till|at)\s+(?i:the\s+)?end\s+of\s+{MONTH}{YEAR_AFTER}"),
            PatternKind::EndOfMonth,
        ),
        p(
            format!(r"(?:\b(?i:in)\s+(?:(?i:the\s+month\s+of)\s+)?{MONTH}(?:\s+(?i:alone))?|\b{MONTH}\s+(?i:alone))(?:,?\s+(?P<y>\d{{4}})\b)?"),
            PatternKind::SingleMonth,
        ),
        p(
            format!(r"(?i)\b((for\s+)?the\s+(whole|entire|full)\s+year|full[- ]year|throughout\s+the\s+year)\b{YEAR_AFTER}"),
            PatternKind::WholeYear,
        ),
        p(
            format!(r"(?i)\bannual\s+(targets?|goals?|tasks?|plans?)\b{YEAR_AFTER}"),
            PatternKind::AnnualTarget,
        ),
        p(
            r"(?i)\b((in|for|during|throughout)|(by|as\s+of|at|until|up\s+to)\s+the\s+end\s+of)\s+(the\s+year\s+)?(?P<y>(19|20)\d{2})\b".to_string(),
            PatternKind::BareYear,
        ),
        p(r"(?i)\bthis\s+year\b".to_string(), PatternKind::ThisYear),
        p(r"(?i)\b(in\s+)?last\s+year\b".to_string(), PatternKind::LastYear),
    ]
}

/// `than …`, `compared with …`, `over the same period of …` just before a period: a comparison.
static COMPARISON_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(than|compared\s+(with|to)|versus|vs\.?|relative\s+to|over|against|same\s+period|period|of)\s+(that\s+)?((of|in|for|from|during)\s+)?(the\s+)?$")
        .expect("comparison regex")
});

fn month_number(name: &str) -> Option<u32> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    months
        .iter()
        .position(|m| n.starts_with(m))
        .map(|i| i as u32 + 1)
}

fn count_word(w: &str) -> Option<u32> {
    let words = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    let w = w.to_ascii_lowercase();
    words
        .iter()
        .position(|x| *x == w)
        .map(|i| i as u32 + 1)
        .or_else(|| w.parse().ok())
}

fn ordinal(w: &str) -> Option<u32> {
    match w.to_ascii_lowercase().as_str() {
        "first" | "1st" | "1" => Some(1),
        "second" | "2nd" | "2" => Some(2),
        "third" | "3rd" | "3" => Some(3),
        "fourth" | "4th" | "4" => Some(4),
        _ => None,
    }
}

fn year_of(c: &regex::Captures) -> YearRef {
    if let Some(y) = c.name("y").or(c.name("y0")) {
        if let Ok(y) = y.as_str().trim().parse() {
            return YearRef::Explicit(y);
        }
    }
    if c.name("this").is_some() {
        return YearRef::This;
    }
    if c.name("last").is_some() {
        return YearRef::Last;
    }
    YearRef::Unstated
}

/// The months named by the `n`-th month group of a capture (1-based among month groups).
fn months_in(s: &str) -> Vec<u32> {
    static M: LazyLock<Regex> =
        LazyLock::new(|| ascii_regex(&format!(r"\b{MONTH}")).expect("month regex"));
    M.find_iter(s)
        .filter_map(|m| month_number(m.as_str()))
        .collect()
}

/// Every period expression in `text[start..end]` that is not a comparison base, in order.
pub fn periods(text: &str, start: usize, end: usize) -> Vec<PeriodMention> {
    let s = &text[start..end];
    let mut found: Vec<PeriodMention> = Vec::new();
    let patterns = &*PATTERNS;
    for i in patterns.any.matches(s).iter() {
        let pat = &patterns.list[i];
        for c in pat.re.captures_iter(s) {
            let Some(m) = c.get(0) else { continue };
            let (ms, me) = (start + m.start(), start + m.end());
            if found.iter().any(|f| f.start < me && ms < f.end) {
                continue; // an earlier (more specific) pattern already covers it
            }
            let Some(span) = span_of(pat.kind, &c, m.as_str()) else {
                continue;
            };
            if m.as_str().contains("May") && text[me..].trim_start().starts_with("Day") {
                continue; // the May Day holiday
            }
            let year = match pat.kind {
                PatternKind::ThisYear => YearRef::This,
                PatternKind::LastYear => YearRef::Last,
                _ => year_of(&c),
            };
            found.push(PeriodMention {
                start: ms,
                end: me,
                span,
                year,
            });
        }
    }
    found.retain(|f| !COMPARISON_BEFORE.is_match(&text[start..f.start]));
    found.sort_by_key(|f| f.start);
    found
}

fn span_of(kind: PatternKind, c: &regex::Captures, whole: &str) -> Option<Span> {
    Some(match kind {
        PatternKind::MonthRange => {
            let ms = months_in(whole);
            let (a, b) = (*ms.first()?, *ms.get(1)?);
            if b < a {
                return None;
            }
            Span::Months(a, b)
        }
        PatternKind::FirstMonths => {
            let n = count_word(c.name("n")?.as_str())?;
            if !(1..=12).contains(&n) {
                return None;
            }
            Span::Months(1, n)
        }
        PatternKind::FirstQuarters => Span::Months(1, 3 * count_word(c.name("n")?.as_str())?),
        PatternKind::QuarterRange => {
            let (a, b) = (
                ordinal(c.name("q")?.as_str())?,
                ordinal(c.name("q2")?.as_str())?,
            );
            if b < a {
                return None;
            }
            Span::Months(3 * a - 2, 3 * b)
        }
        PatternKind::Quarter | PatternKind::QuarterCode => {
            let q = ordinal(c.name("q")?.as_str())?;
            Span::Months(3 * q - 2, 3 * q)
        }
        PatternKind::Half => {
            let h = c
                .name("h")
                .and_then(|h| ordinal(h.as_str()))
                .or_else(|| c.name("hc").and_then(|h| ordinal(h.as_str())))?;
            if h == 1 {
                Span::Months(1, 6)
            } else {
                Span::Months(7, 12)
            }
        }
        PatternKind::SinceJanuary => Span::SinceJanuary,
        PatternKind::EndOfMonth => Span::Months(1, *months_in(whole).first()?),
        PatternKind::SingleMonth => {
            let m = *months_in(whole).first()?;
            Span::Months(m, m)
        }
        PatternKind::WholeYear | PatternKind::BareYear | PatternKind::LastYear => {
            Span::Months(1, 12)
        }
        PatternKind::ThisYear => Span::ThisYear,
        PatternKind::AnnualTarget => Span::TargetYear,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Span, YearRef) {
        let p = periods(text, 0, text.len());
        assert_eq!(p.len(), 1, "{text}: {p:?}");
        (p[0].span, p[0].year)
    }

    #[test]
    fn every_spec_form() {
        use Span::*;
        use YearRef::*;
        let cases = [
            ("From January to May, the", Months(1, 5), Unstated),
            ("in January-May 2022", Months(1, 5), Explicit(2022)),
            ("January–May", Months(1, 5), Unstated),
            ("from January to March this year", Months(1, 3), This),
            ("in the first five months", Months(1, 5), Unstated),
            (
                "In the first eight months of 2018",
                Months(1, 8),
                Explicit(2018),
            ),
            ("in the first quarter", Months(1, 3), Unstated),
            ("in the first quarter of this year", Months(1, 3), This),
            ("in Q1 the", Months(1, 3), Unstated),
            ("2023 Q2", Months(4, 6), Explicit(2023)),
            ("in Q1-Q3 2023", Months(1, 9), Explicit(2023)),
            ("first-quarter GDP", Months(1, 3), Unstated),
            ("first-half exports", Months(1, 6), Unstated),
            ("the first five-month period", Months(1, 5), Unstated),
            ("in the first half of the year", Months(1, 6), Unstated),
            ("in the first three quarters", Months(1, 9), Unstated),
            ("in January and February high-tech", Months(1, 2), Unstated),
            ("in May alone", Months(5, 5), Unstated),
            ("As of the end of March, 9", Months(1, 3), Unstated),
            ("Since this year, the", SinceJanuary, Unstated),
            (
                "Since the beginning of this year, the",
                SinceJanuary,
                Unstated,
            ),
            ("Up to now, the", SinceJanuary, Unstated),
            ("This year, the zone", ThisYear, This),
            (
                "50 billion yuan for the whole year",
                Months(1, 12),
                Unstated,
            ),
            ("In 2023, the zone", Months(1, 12), Explicit(2023)),
            (
                "By the end of 2022, the zone",
                Months(1, 12),
                Explicit(2022),
            ),
            ("Last year, the zone", Months(1, 12), Last),
        ];
        for (text, span, year) in cases {
            assert_eq!(one(text), (span, year), "{text}");
        }
    }

    #[test]
    fn comparisons_and_names_are_not_periods() {
        for text in [
            "5.6 percentage points slower than that from January to April",
            "increased by 36.3% compared with the first quarter of last year",
            "up 5% over the same period last year",
            "in the province's 2021 new manufacturing evaluation",
            "the “May Day” holiday",
            "the May Day holiday",
            "you may see",
        ] {
            assert!(periods(text, 0, text.len()).is_empty(), "{text}");
        }
    }
}
