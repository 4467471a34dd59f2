//! English prose reader (SPEC §5): turns an English article's canonical text into [`Figure`]s.
//!
//! Sentence by sentence, terms ([`terms`]) and quantities ([`numbers`]) are read in order and
//! grouped: a group is one term, or a list of terms (`A, B and C`), with the amounts and
//! growth rates that follow it until another subject starts (a clause with figures that does
//! not continue the group, or another term). Lists align by position (`…respectively`). Each
//! figure then takes the period governing its position ([`periods`]: its own clause, else the
//! sentence so far, else the paragraph/article so far), the status word before it ([`status`])
//! and its region ([`region`]).

mod growth;
mod numbers;
mod periods;
mod region;
mod status;
mod terms;
mod text;

use crate::figure::month_period;
use crate::{Comparator, Figure, Taxonomy, UnitClass};
use newsflow_shared::records::{CleanArticle, Period, Status};
use numbers::{QtyKind, Quantity};
use periods::{PeriodMention, Span, YearRef};
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::LazyLock;
use terms::{TermIndex, TermMention};
use text::Sentence;

/// A regex whose word boundaries (`\b`) are ASCII ones: English text needs no more, and
/// Unicode boundaries make the fast engine give up on any non-ASCII character (`“`, `‘`).
pub(crate) fn ascii_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)"))
}

/// Figures stated in an English article.
pub fn figures(article: &CleanArticle, taxonomy: &Taxonomy) -> Vec<Figure> {
    let index = term_index(taxonomy);
    Reader::new(article, &index).read()
}

/// The term matcher for `taxonomy`, built once per thread and taxonomy (building it costs more
/// than reading an article).
fn term_index(taxonomy: &Taxonomy) -> std::rc::Rc<TermIndex> {
    use std::hash::{Hash, Hasher};
    thread_local! {
        static CACHE: std::cell::RefCell<Option<(u64, std::rc::Rc<TermIndex>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in &taxonomy.indicators {
        (&d.code, &d.en, d.unit_class as u8).hash(&mut h);
    }
    let key = h.finish();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        match c.as_ref() {
            Some((k, index)) if *k == key => index.clone(),
            _ => {
                let index = std::rc::Rc::new(TermIndex::new(taxonomy));
                *c = Some((key, index.clone()));
                index
            }
        }
    })
}

/// Sentences that start page chrome: nothing after them is the article.
static CHROME: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^(related (news|articles|reading|stories|links)|recommended (reading|articles)|hot (news|articles)|latest (news|articles)|declaration\s*:|disclaimer\s*:|copyright\s*(©|\(c\))|statement\s*:\s*the copyright)").expect("chrome regex")
});
static CUMULATIVE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(cumulative|cumulatively|accumulated|accumulative)\b")
        .expect("cumulative regex")
});
static DATE_LINE: LazyLock<Regex> =
    LazyLock::new(|| ascii_regex(r"^\s*((19|20)\d{2})-\d{2}-\d{2}\b").expect("date regex"));
static ABOVE_SCALE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)above[- ]designated[- ]size|designated[- ]size|above[- ]scale|large[- ]scale industr|scale industr")
        .expect("scope regex")
});
static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^((and|with|which|while|but|or)\s+)*(\d|rmb|cny|us\$|usd|\$|¥|an? (year-on-year|yoy|y/y|increase|decrease|decline|growth|rise|drop|jump|surge|fall|reduction|total of)|(year[- ]on[- ]year|yoy|y/y|y-o-y)\b|up\b|down\b|increas|decreas|grew|growing|grow|rose|rising|rise|fell|falling|dropp|declin|surg|jump|climb|respectively|compared|reaching|reached|hitting|representing|(the |its )?growth|totall?ing|amounting)").expect("continuation regex")
});
static LIST_GAP: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^(\s|,|\band\b|\bthe\b|\bas well as\b|\bor\b|\btotal\b)*$")
        .expect("gap regex")
});
/// A clause whose subject is a pronoun for the last indicator named.
static PRONOUN: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s*((and|while|but)\s+)?(it|its\s+(value|total|volume|growth))\b")
        .expect("pronoun regex")
});
static PREBOUND: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s+(of|in)\s+(the\s+)?(total\s+)?$").expect("prebound regex")
});

/// A figure before its period and status are settled.
struct Draft {
    term: TermMention,
    amount: Option<Quantity>,
    yoy: Option<(Decimal, Comparator)>,
    /// Byte position the status and period are judged at (the figure's first value).
    pos: usize,
    /// End of the clause holding the figure (a period written later in it still governs it).
    clause_end: usize,
    span: (usize, usize),
    scope: Option<String>,
    region: Option<String>,
    para: usize,
}

/// A group of listed terms and the figures that follow them.
struct Group {
    terms: Vec<TermMention>,
    amounts: Vec<Quantity>,
    rates: Vec<(Decimal, Quantity)>,
    start: usize,
    end: usize,
}

impl Group {
    fn has_values(&self) -> bool {
        !self.amounts.is_empty() || !self.rates.is_empty()
    }
}

/// One thing read in a sentence, in text order.
enum Item {
    Term(TermMention),
    Qty(Quantity),
    /// A clause boundary: byte position of the next clause's start.
    Boundary(usize),
}

impl Item {
    fn pos(&self) -> usize {
        match self {
            Item::Term(t) => t.start,
            Item::Qty(q) => q.start,
            Item::Boundary(p) => *p,
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    index: &'a TermIndex,
    subject: Option<String>,
    published_year: Option<i32>,
    /// Paragraph index of a title printed as the first line of the text.
    title_para: Option<usize>,
    /// Period expressed by a title that is not part of the text.
    title_period: Option<(PeriodMention, String)>,
    /// Whether the last growth word read in the current sentence was a decline, for parallel
    /// clauses that leave the verb out (`infrastructure grew 10%, manufacturing 15%`).
    last_declining: std::cell::Cell<Option<bool>>,
}

impl<'a> Reader<'a> {
    fn new(article: &'a CleanArticle, index: &'a TermIndex) -> Self {
        let text = article.text.as_str();
        let first_line = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let more_lines = text.trim().contains('\n');
        // A title printed as the first line: the metadata title, or a short unpunctuated line.
        let title_in_text = match &article.title {
            Some(t) => {
                let norm = |s: &str| -> String {
                    s.chars()
                        .filter(|c| c.is_alphanumeric())
                        .flat_map(char::to_lowercase)
                        .collect()
                };
                !norm(t).is_empty() && norm(first_line) == norm(t)
            }
            None => {
                more_lines && first_line.len() < 300 && !first_line.ends_with(['.', ';', '!', '?'])
            }
        };
        let title = article
            .title
            .clone()
            .or_else(|| title_in_text.then(|| first_line.to_string()));
        let published_year = crate::publication_year(article).or_else(|| {
            text.lines()
                .take(4)
                .find_map(|l| DATE_LINE.captures(l))
                .and_then(|c| c.get(1))
                .and_then(|y| y.as_str().parse().ok())
        });
        // The lead: the first body line that is not a date/byline line.
        let lead = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .skip(usize::from(title_in_text))
            .find(|l| !DATE_LINE.is_match(l))
            .unwrap_or("");
        let lead = text::sentences(lead)
            .first()
            .map(|s| &lead[s.start..s.end])
            .unwrap_or("");
        let mut candidates: Vec<&str> = Vec::new();
        if let Some(t) = &title {
            candidates.push(t);
        }
        candidates.push(lead);
        if let Some(n) = &article.source.name {
            candidates.push(n);
        }
        let subject = region::subject(candidates);
        let title_period = match (&article.title, title_in_text) {
            (Some(t), false) => periods::periods(t, 0, t.len()).into_iter().next().map(|m| {
                let label = t[m.start..m.end].to_string();
                (m, label)
            }),
            _ => None,
        };
        Reader {
            text,
            index,
            subject,
            published_year,
            title_para: title_in_text.then_some(0),
            title_period,
            last_declining: std::cell::Cell::new(None),
        }
    }

    fn read(&self) -> Vec<Figure> {
        let mut sentences = text::sentences(self.text);
        if let Some(cut) = sentences
            .iter()
            .position(|s| CHROME.is_match(&self.text[s.start..s.end]))
        {
            sentences.truncate(cut);
        }
        let mentions: Vec<Vec<PeriodMention>> = sentences
            .iter()
            .map(|s| periods::periods(self.text, s.start, s.end))
            .collect();
        let article_year = mentions
            .iter()
            .flatten()
            .chain(self.title_period.iter().map(|(m, _)| m))
            .find_map(|m| match m.year {
                YearRef::Explicit(y) => Some(y),
                _ => None,
            });
        let mut carried: Option<(PeriodMention, String)> = self.title_period.clone();
        // A status word heading a list that follows on its own lines (`The targets are:`).
        let mut list_status: Option<(Status, usize)> = None;
        let mut out: Vec<(Figure, bool)> = Vec::new();
        for (s, ms) in sentences.iter().zip(&mentions) {
            let cues = status::cues(self.text, s.start, s.end);
            if let Some((_, para)) = list_status {
                let first_of_para = self.text[..s.start]
                    .trim_end_matches([' ', '\t'])
                    .ends_with('\n');
                if s.para != para
                    && first_of_para
                    && !status::is_list_item(&self.text[s.start..s.end])
                {
                    list_status = None;
                }
            }
            let inherited = list_status.filter(|(_, para)| s.para != *para).map(|l| l.0);
            for d in self.drafts(s, ms) {
                let status = match status::cue_before(&cues, d.pos).or(inherited) {
                    // A clause of its own with a past-tense verb states what was done.
                    Some(st) if !self.done_in_own_clause(&cues, &d) => st,
                    _ => Status::Actual,
                };
                let all = ms;
                let usable: Vec<PeriodMention> = all
                    .iter()
                    .filter(|m| status != Status::Actual || m.span != Span::TargetYear)
                    .cloned()
                    .collect();
                let ms = &usable;
                // The figure's own clause first, then the sentence before it.
                let in_clause = |m: &&PeriodMention| m.start >= d.span.0 && m.start < d.clause_end;
                let own = ms
                    .iter()
                    .filter(in_clause)
                    .rfind(|m| m.end <= d.pos)
                    .or_else(|| ms.iter().find(in_clause))
                    .or_else(|| ms.iter().rfind(|m| m.end <= d.pos));
                // `in May, the cumulative …`: a single month read cumulatively is January..May.
                let cumulative = |m: &PeriodMention| -> PeriodMention {
                    let mut m = m.clone();
                    if let Span::Months(a, b) = m.span {
                        let between = &self.text[m.end.min(d.pos)..d.pos];
                        if a == b && CUMULATIVE.is_match(between) {
                            m.span = Span::Months(1, b);
                        }
                    }
                    m
                };
                let period = match own {
                    Some(m) => self.resolve(
                        &cumulative(m),
                        &self.text[m.start..m.end],
                        status,
                        article_year,
                    ),
                    None => match &carried {
                        Some((m, label)) => self.resolve(m, label, status, article_year),
                        None => Period::default(),
                    },
                };
                let from_title = self.title_para == Some(d.para);
                out.push((self.figure(d, period, status), from_title));
            }
            if let Some(m) = ms.iter().rfind(|m| m.span != Span::TargetYear) {
                carried = Some((m.clone(), self.text[m.start..m.end].to_string()));
            }
            let heading = self.text[s.start..s.end].trim_end().ends_with([':', '：']);
            match status::cue_before(&cues, s.end) {
                Some(st) if heading && st != Status::Actual => list_status = Some((st, s.para)),
                _ => {}
            }
        }
        finish(out)
    }

    /// Whether a figure sits in a clause after its status word's clause that reports what was
    /// done (`To achieve the annual target, the zone completed …`).
    fn done_in_own_clause(&self, cues: &[(usize, Status)], d: &Draft) -> bool {
        static DONE: LazyLock<Regex> = LazyLock::new(|| {
            ascii_regex(r"(?i)\b(was|were|completed|realized|realised|achieved|reached|grew|increased|decreased|rose|fell|hit|totall?ed|amounted|recorded|registered)\b").expect("done regex")
        });
        static FUTURE: LazyLock<Regex> = LazyLock::new(|| {
            ascii_regex(r"(?i)\b(will|to|expected|strive|aim|plan|target|goal|shall)\b")
                .expect("future regex")
        });
        let clause_start = d.span.0;
        let cue_before_clause = cues
            .iter()
            .take_while(|c| c.0 <= d.pos)
            .last()
            .is_some_and(|c| c.0 < clause_start);
        let clause = &self.text[clause_start..d.pos.max(clause_start)];
        cue_before_clause && DONE.is_match(clause) && !FUTURE.is_match(clause)
    }

    fn resolve(
        &self,
        m: &PeriodMention,
        label: &str,
        status: Status,
        article_year: Option<i32>,
    ) -> Period {
        let year = match m.year {
            YearRef::Explicit(y) => Some(y),
            YearRef::This => self.published_year.or(article_year),
            YearRef::Last => self.published_year.or(article_year).map(|y| y - 1),
            YearRef::Unstated => article_year.or(self.published_year),
        };
        match m.span {
            Span::Months(a, b) => month_period(label, year, a, Some(b)),
            Span::SinceJanuary => month_period(label, year, 1, None),
            Span::ThisYear if status != Status::Actual => month_period(label, year, 1, Some(12)),
            Span::ThisYear => month_period(label, year, 1, None),
            Span::TargetYear => month_period(label, year, 1, Some(12)),
        }
    }

    fn figure(&self, d: Draft, period: Period, status: Status) -> Figure {
        let comparator = match (&d.amount, d.yoy) {
            (Some(a), _) if a.comparator != Comparator::Eq => a.comparator,
            (_, Some((_, c))) => c,
            _ => Comparator::Eq,
        };
        let lead =
            self.text[d.span.0..d.span.1].len() - self.text[d.span.0..d.span.1].trim_start().len();
        let span = (
            text::char_offset(self.text, d.span.0 + lead),
            text::char_offset(self.text, d.span.1),
        );
        Figure {
            indicator: d.term.code.clone(),
            label: d.term.label.clone(),
            scope: d.scope,
            period,
            value: d.amount.as_ref().map(|a| a.value),
            unit: d.amount.as_ref().map(|a| a.unit.clone()),
            value_base: d.amount.as_ref().and_then(|a| a.base),
            base_unit: d
                .amount
                .as_ref()
                .and_then(|a| a.base_unit())
                .map(str::to_string),
            comparator,
            yoy_pct: d.yoy.map(|y| y.0),
            status,
            region: d.region,
            span,
        }
    }

    /// The figures of one sentence, before period and status.
    fn drafts(&self, s: &Sentence, periods: &[PeriodMention]) -> Vec<Draft> {
        let text = self.text;
        self.last_declining.set(None);
        let terms = terms::terms(self.index, text, s.start, s.end);
        let qtys = numbers::quantities(text, s.start, s.end);
        let mut items: Vec<Item> = Vec::new();
        for b in self.boundaries(s, &terms, periods) {
            items.push(Item::Boundary(b));
        }
        items.extend(terms.into_iter().map(Item::Term));
        items.extend(qtys.into_iter().map(Item::Qty));
        items.sort_by_key(|i| (i.pos(), matches!(i, Item::Boundary(_)) as u8 ^ 1));

        let mut groups: Vec<Group> = Vec::new();
        let mut group: Option<Group> = None;
        let mut pending: Vec<Quantity> = Vec::new();
        let mut seg_start = s.start;
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Boundary(p) => {
                    let seg_end = items[i + 1..]
                        .iter()
                        .find_map(|it| match it {
                            Item::Boundary(q) => Some(*q),
                            _ => None,
                        })
                        .unwrap_or(s.end);
                    let seg = &items[i + 1..];
                    let in_seg = |it: &&Item| it.pos() < seg_end;
                    let has_term = seg
                        .iter()
                        .take_while(in_seg)
                        .any(|it| matches!(it, Item::Term(_)));
                    if !has_term {
                        let has_values = seg.iter().take_while(in_seg).any(|it| match it {
                            Item::Qty(q) => {
                                (q.is_amount() && !q.threshold)
                                    || self.rate(q, *p, seg_end).is_some()
                            }
                            _ => false,
                        });
                        let seg_text = &text[*p..seg_end];
                        let cont = CONTINUATION.is_match(seg_text.trim_start());
                        if has_values && !cont {
                            // `…; in May alone, it rose 8%`: the pronoun repeats the last term.
                            let repeated = PRONOUN.find(seg_text).and_then(|m| {
                                let last = group.as_ref().or(groups.last())?;
                                match last.terms.as_slice() {
                                    [t] if !t.excluded => Some(TermMention {
                                        start: *p + m.start(),
                                        end: *p + m.end(),
                                        ..t.clone()
                                    }),
                                    _ => None,
                                }
                            });
                            if let Some(g) = group.take() {
                                groups.push(g);
                            }
                            if let Some(t) = repeated {
                                group = Some(Group {
                                    start: *p,
                                    end: t.end,
                                    terms: vec![t],
                                    amounts: Vec::new(),
                                    rates: Vec::new(),
                                });
                            }
                        }
                    }
                    seg_start = *p;
                }
                Item::Term(t) => {
                    let extends = group.as_ref().is_some_and(|g| {
                        !g.has_values()
                            && pending.is_empty()
                            && g.terms
                                .last()
                                .is_some_and(|l| LIST_GAP.is_match(&text[l.end..t.start]))
                    });
                    if extends {
                        if let Some(g) = group.as_mut() {
                            g.terms.push(t.clone());
                            g.end = g.end.max(t.end);
                        }
                    } else {
                        if let Some(g) = group.take() {
                            groups.push(g);
                        }
                        let start = pending
                            .first()
                            .map(|q| q.start.min(seg_start))
                            .unwrap_or(seg_start);
                        let mut g = Group {
                            terms: vec![t.clone()],
                            amounts: Vec::new(),
                            rates: Vec::new(),
                            start: start.min(t.start),
                            end: t.end,
                        };
                        for q in pending.drain(..) {
                            self.add_qty(&mut g, q, seg_start, s.end);
                        }
                        group = Some(g);
                    }
                }
                Item::Qty(q) => {
                    if q.threshold || q.kind == QtyKind::Points {
                        continue;
                    }
                    let next_is_term = matches!(items.get(i + 1), Some(Item::Term(t)) if PREBOUND.is_match(&text[q.end..t.start]));
                    if next_is_term {
                        pending.push(q.clone());
                        continue;
                    }
                    if let Some(g) = group.as_mut() {
                        let seg_end = items[i + 1..]
                            .iter()
                            .find_map(|it| match it {
                                Item::Boundary(b) => Some(*b),
                                _ => None,
                            })
                            .unwrap_or(s.end);
                        self.add_qty(g, q.clone(), seg_start, seg_end);
                    }
                }
            }
        }
        if let Some(g) = group.take() {
            groups.push(g);
        }
        spread_respectively(self.text, s.end, &mut groups);
        groups
            .into_iter()
            .flat_map(|g| self.finish_group(g, s))
            .collect()
    }

    fn add_qty(&self, g: &mut Group, q: Quantity, seg_start: usize, seg_end: usize) {
        if q.is_amount() {
            g.end = g.end.max(q.end);
            g.amounts.push(q);
        } else if let Some(r) = self.rate(&q, seg_start, seg_end) {
            g.end = g.end.max(q.end);
            g.rates.push((r, q));
        }
    }

    fn rate(&self, q: &Quantity, seg_start: usize, seg_end: usize) -> Option<Decimal> {
        growth::yoy(self.text, q, seg_start, seg_end, &self.last_declining)
    }

    /// Clause boundaries of a sentence: after `,` `;` `:` and before ` and `, unless what
    /// follows is another value of a list (`22.7%, 7.1%`) or the boundary is inside a term.
    fn boundaries(
        &self,
        s: &Sentence,
        terms: &[TermMention],
        periods: &[PeriodMention],
    ) -> Vec<usize> {
        let text = self.text;
        let seg = &text[s.start..s.end];
        let mut out = Vec::new();
        let starts_value = |rest: &str| {
            let r = rest.trim_start();
            let r = r.strip_prefix("and ").unwrap_or(r).trim_start();
            r.starts_with(|c: char| c.is_ascii_digit())
                || [
                    "RMB",
                    "US$",
                    "$",
                    "¥",
                    "CNY",
                    "USD",
                    "more than",
                    "over ",
                    "about ",
                ]
                .iter()
                .any(|p| r.starts_with(p))
        };
        for (i, c) in seg.char_indices() {
            if matches!(c, ',' | ';' | ':' | '，' | '；' | '：') {
                let p = s.start + i + c.len_utf8();
                let rest = &text[p..s.end];
                // `1,200` is a number, not a boundary.
                if c == ','
                    && rest.starts_with(|c: char| c.is_ascii_digit())
                    && i > 0
                    && seg.as_bytes()[i - 1].is_ascii_digit()
                {
                    continue;
                }
                if !starts_value(rest) {
                    out.push(p);
                }
            }
        }
        let lower = seg.to_ascii_lowercase();
        for (i, _) in lower.match_indices(" and ") {
            let p = s.start + i + 1;
            let inside = |a: usize, b: usize| a < p && p < b;
            if terms.iter().any(|t| inside(t.start, t.end))
                || periods.iter().any(|m| inside(m.start, m.end))
            {
                continue;
            }
            if lower[..i].ends_with(',') {
                continue; // `, and` is already a boundary
            }
            let rest = lower[i + 5..].trim_start();
            // `5 million yuan and above` closes a bracket, not a clause.
            let bracket = ["above", "below", "over", "more", "less", "so on"]
                .iter()
                .any(|w| rest.starts_with(w));
            if !bracket && !starts_value(&text[p + 3..s.end]) {
                out.push(p);
            }
        }
        out.sort_unstable();
        out
    }

    fn finish_group(&self, g: Group, s: &Sentence) -> Vec<Draft> {
        let n = g.terms.len();
        let amounts: Vec<&Quantity> = g.amounts.iter().collect();
        // `respectively` with values that do not line up with the terms: no safe reading.
        let respectively = self.text[g.start..clause_end(self.text, g.end, s.end)]
            .to_ascii_lowercase()
            .contains("respectively");
        if respectively && n == 1 && (amounts.len() > 1 || g.rates.len() > 1) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (k, t) in g.terms.iter().enumerate() {
            if t.excluded || (t.needs_list && k == 0) {
                continue;
            }
            let amount = if n == 1 {
                amounts.iter().find(|a| fits(t, a)).copied()
            } else if amounts.len() == n {
                Some(amounts[k]).filter(|a| fits(t, a))
            } else {
                None
            };
            let rate = if n == 1 {
                g.rates.first()
            } else if g.rates.len() == n {
                g.rates.get(k)
            } else {
                None
            };
            if amount.is_none() && rate.is_none() {
                continue;
            }
            let pos = match (amount, rate) {
                (Some(a), Some(r)) => a.start.min(r.1.start),
                (Some(a), None) => a.start,
                (None, Some(r)) => r.1.start,
                (None, None) => t.start,
            };
            let last = amount
                .map(|a| a.end)
                .max(rate.map(|r| r.1.end))
                .unwrap_or(t.end);
            let clause_end = clause_end(self.text, last, s.end);
            let Ok(region) = self.region_for(g.start, last) else {
                continue;
            };
            let scope = ABOVE_SCALE
                .is_match(&self.text[g.start..pos.max(g.start)])
                .then(|| "above_scale".to_string());
            out.push(Draft {
                term: t.clone(),
                amount: amount.cloned(),
                yoy: rate.map(|r| (r.0, r.1.comparator)),
                pos,
                clause_end,
                span: (g.start, clause_end.max(g.end)),
                scope,
                region,
                para: s.para,
            });
        }
        out
    }

    /// The place a figure is about: another place named in its clause, else the subject.
    /// `Err(())` when the clause is about a sub-area inside the subject (a breakdown).
    fn region_for(&self, start: usize, end: usize) -> Result<Option<String>, ()> {
        let clause = &self.text[start..end.max(start)];
        for (a, b) in region::place_names(clause) {
            let name = &clause[a..b];
            match &self.subject {
                Some(subj) if region::same_place(subj, name) => {}
                Some(subj) if region::is_inside(name, subj) => return Err(()),
                _ => return Ok(Some(name.to_string())),
            }
        }
        Ok(self.subject.clone())
    }
}

/// `A was X, and B was Y, up p% and q% respectively`: a last single-term group with several
/// rates and `respectively` hands them back, in order, to the single-term groups before it
/// that have none.
fn spread_respectively(text: &str, sentence_end: usize, groups: &mut [Group]) {
    let Some(last) = groups.len().checked_sub(1) else {
        return;
    };
    let k = groups[last].rates.len();
    let g = &groups[last];
    let tail = &text[g.end..sentence_end];
    let says_respectively = tail
        .split([',', ';'])
        .next()
        .is_some_and(|c| c.to_ascii_lowercase().contains("respectively"));
    if g.terms.len() != 1 || k < 2 || !says_respectively || last + 1 < k {
        return;
    }
    let first = last + 1 - k;
    let takers = &groups[first..last];
    if !takers
        .iter()
        .all(|t| t.terms.len() == 1 && t.rates.is_empty())
    {
        return;
    }
    let rates = std::mem::take(&mut groups[last].rates);
    for (g, r) in groups[first..=last].iter_mut().zip(rates) {
        g.end = g.end.max(r.1.end);
        g.rates.push(r);
    }
}

/// Whether an amount's kind suits the term's unit class (money for money, kWh for energy).
fn fits(t: &TermMention, a: &Quantity) -> bool {
    match t.unit_class {
        UnitClass::Currency => matches!(a.kind, QtyKind::Money(_)),
        UnitClass::Energy => a.kind == QtyKind::Energy,
    }
}

/// End of the clause holding byte `pos`: the next `,` `;` or the sentence end.
fn clause_end(text: &str, pos: usize, end: usize) -> usize {
    text[pos..end]
        .find([',', ';', '，', '；'])
        .map(|i| pos + i)
        .unwrap_or(end)
}

/// Drop title figures the body repeats, and exact repeats.
fn finish(figs: Vec<(Figure, bool)>) -> Vec<Figure> {
    let body: Vec<&Figure> = figs.iter().filter(|f| !f.1).map(|f| &f.0).collect();
    let repeated_in_body = |t: &Figure| {
        body.iter().any(|b| {
            b.indicator == t.indicator
                && (t.yoy_pct.is_none() || t.yoy_pct == b.yoy_pct)
                && (t.value_base.is_none() || t.value_base == b.value_base)
        })
    };
    let mut out: Vec<Figure> = Vec::new();
    for (f, from_title) in &figs {
        if *from_title && repeated_in_body(f) {
            continue;
        }
        let dup = out.iter().any(|o| {
            o.indicator == f.indicator
                && o.value_base == f.value_base
                && o.yoy_pct == f.yoy_pct
                && o.period == f.period
                && o.status == f.status
                && o.region == f.region
        });
        if !dup {
            out.push(f.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
