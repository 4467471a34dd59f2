//! Chinese prose reader (SPEC §5): turns the paragraphs of a Chinese article into [`Figure`]s.
//!
//! Each sentence is read left to right as a sequence of *items*: a subject noun (an indicator
//! term, a look-alike, or any other noun phrase) with the amount and the growth rate that follow
//! it. Rates after `分别` are aligned with the items before them, `各`/`均` give one rate to a
//! whole list, `其中` sub-items are items of their own. Only items whose subject is a whole-subject
//! indicator term become figures; the period, status and region in force are attached to them.

use crate::figure::month_period;
use crate::zh_lexicon::{
    find_quantities, find_rates, status_in, Quantity, Rate, Spread, TermHit, TermMatcher,
};
use crate::zh_periods::{find_periods, PeriodHit, Span, YearRef};
use crate::zh_regions::{self as regions, Level, RELATIVE};
use crate::{zh_table, Comparator, Figure, Taxonomy, UnitClass};
use aho_corasick::{AhoCorasick, MatchKind};
use newsflow_shared::records::{CleanArticle, Period, Script, Status};
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::OnceLock;

/// Figures stated in a Chinese article.
pub fn figures(article: &CleanArticle, taxonomy: &Taxonomy) -> Vec<Figure> {
    let doc = Doc::new(article, taxonomy);
    let mut out = Vec::new();
    let mut carried: Option<PeriodHit> = doc.title_period.clone();
    for block in blocks(&doc.text) {
        match block.kind {
            BlockKind::Prose => {
                // A period governs the rest of its paragraph; a paragraph that states none is
                // under the title's period (or, without one, the last period stated before).
                if doc.title_period.is_some() {
                    carried = doc.title_period.clone();
                }
                read_paragraph(&doc, block.start, block.end, &mut carried, &mut out);
            }
            BlockKind::Table => {
                out.extend(zh_table::read(&doc, block.start, block.end));
            }
        }
    }
    out
}

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space folded to ASCII, one char for
/// one char.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// Traditional → Simplified (OpenCC t2s), or the text unchanged if the tables can't load.
fn to_simplified(s: &str) -> String {
    use ferrous_opencc::{config::BuiltinConfig, OpenCC};
    static T2S: OnceLock<Option<OpenCC>> = OnceLock::new();
    match T2S.get_or_init(|| OpenCC::from_config(BuiltinConfig::T2s).ok()) {
        Some(cc) => cc.convert(s),
        None => s.to_string(),
    }
}

/// Everything about the article that every sentence needs.
pub struct Doc<'a> {
    /// The canonical text with full-width ASCII forms (`，`, `％`, `（`) folded one char for one
    /// char, so char offsets are those of the canonical text.
    pub text: String,
    pub taxonomy: &'a Taxonomy,
    pub terms: std::sync::Arc<TermMatcher>,
    pub title: Option<String>,
    pub subject: Option<String>,
    pub enclosing_city: Option<String>,
    pub province: Option<String>,
    pub published_year: Option<i32>,
    /// Non-comparative period expressions of the body, in order.
    pub periods: Vec<PeriodHit>,
    pub title_period: Option<PeriodHit>,
    title_year: Option<i32>,
    /// Byte offset of every char of `text`, for byte → char offsets.
    char_starts: Vec<usize>,
}

fn date_year_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"((?:19|20)[0-9]{2})(?:-[0-9]{1,2}-[0-9]{1,2}|年[0-9]{1,2}月[0-9]{1,2}日)")
            .expect("date pattern is valid")
    })
}

impl<'a> Doc<'a> {
    pub fn new(article: &'a CleanArticle, taxonomy: &'a Taxonomy) -> Self {
        let text = fold_width(&article.text);
        let title = article
            .title
            .as_deref()
            .map(|t| {
                let t = fold_width(t);
                // The title may come in the script as received; the reader works in Simplified.
                if article.script == Script::Hant {
                    to_simplified(&t)
                } else {
                    t
                }
            })
            .filter(|t| !t.trim().is_empty());
        let published_year = crate::publication_year(article).or_else(|| {
            // Without metadata, the date line near the top of the page.
            let head: String = text.chars().take(600).collect();
            date_year_re()
                .captures(&head)
                .and_then(|c| c[1].parse().ok())
        });
        let lead: String = text
            .split(['。', '\n'])
            .map(str::trim)
            .find(|s| !s.is_empty() && s.chars().count() > 12)
            .unwrap_or("")
            .to_string();
        let subject = title
            .as_deref()
            .and_then(regions::first_place)
            .or_else(|| regions::first_place(&lead))
            .or_else(|| {
                article
                    .source
                    .name
                    .as_deref()
                    .and_then(regions::place_of_publisher)
            });
        let mentions = regions::gazetteer_mentions(&text);
        let enclosing_city = subject
            .as_deref()
            .and_then(regions::city_prefix_of)
            .or_else(|| {
                mentions.iter().map(|m| m.name.clone()).find(|n| {
                    regions::level_of(n) == Level::City && Some(n.as_str()) != subject.as_deref()
                })
            });
        let province = subject
            .as_deref()
            .and_then(regions::province_of)
            .or_else(|| enclosing_city.as_deref().and_then(regions::province_of))
            .or_else(|| {
                mentions
                    .iter()
                    .map(|m| m.name.clone())
                    .find(|n| regions::level_of(n) == Level::Province)
            });
        let periods: Vec<PeriodHit> = find_periods(&text)
            .into_iter()
            .filter(|p| !p.comparative)
            .collect();
        let title_periods: Vec<PeriodHit> = title
            .as_deref()
            .map(find_periods)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !p.comparative)
            .collect();
        let title_year = title_periods.iter().find_map(|p| match p.year {
            YearRef::Explicit(y) => Some(y),
            _ => None,
        });
        let title_period = title_periods
            .iter()
            .find(|p| matches!(p.span, Span::Months(..)))
            .cloned();
        let char_starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        Doc {
            text,
            taxonomy,
            terms: TermMatcher::cached(taxonomy),
            title,
            subject,
            enclosing_city,
            province,
            published_year,
            periods,
            title_period,
            title_year,
            char_starts,
        }
    }

    /// The year of a period expression at byte `pos` (SPEC §5 year rules).
    pub fn year_of(&self, p: &PeriodHit, pos: usize) -> Option<i32> {
        let explicit = |q: &PeriodHit| match q.year {
            YearRef::Explicit(y) => Some(y),
            _ => None,
        };
        let this_year = || {
            self.published_year
                .or(self.title_year)
                .or_else(|| self.periods.iter().find_map(explicit))
        };
        // The year a period expression states, if it states one.
        let stated = |q: &PeriodHit| match q.year {
            YearRef::Explicit(y) => Some(y),
            YearRef::ThisYear => this_year(),
            YearRef::LastYear => this_year().map(|y| y - 1),
            YearRef::Unwritten => None,
        };
        if p.year != YearRef::Unwritten {
            return stated(p);
        }
        // The same expression written elsewhere with its year (`2022年一季度`).
        let same_label = self
            .periods
            .iter()
            .chain(self.title_period.iter())
            .filter(|q| q.span == p.span)
            .find_map(explicit);
        same_label
            .or_else(|| {
                self.periods
                    .iter()
                    .filter(|q| q.end <= pos)
                    .filter_map(stated)
                    .next_back()
            })
            .or(self.title_year)
            .or(self.published_year)
            .or_else(|| self.periods.iter().find_map(explicit))
    }

    /// The period of a figure governed by `p`, whose status is `status`; `cumulative` when the
    /// clause says `累计` after a single month.
    pub fn period_of(
        &self,
        p: Option<&PeriodHit>,
        pos: usize,
        status: Status,
        cumulative: bool,
    ) -> Period {
        let Some(p) = p else {
            return Period::default();
        };
        let year = self.year_of(p, pos);
        match p.span {
            Span::Months(a, b) => {
                let a = if cumulative && p.single_month { 1 } else { a };
                month_period(&p.label, year, a, Some(b))
            }
            Span::SinceJanuary => month_period(&p.label, year, 1, None),
            Span::Year => {
                if p.year == YearRef::ThisYear && status == Status::Actual {
                    month_period(&p.label, year, 1, None)
                } else {
                    month_period(&p.label, year, 1, Some(12))
                }
            }
        }
    }

    /// True for a place below the subject's level (`武进区` in a report on 常州市, a park in a
    /// city report): a sub-area, whose figures are breakdowns.
    pub fn is_inside_subject(&self, place: Option<&str>) -> bool {
        let rank = |l: Level| match l {
            Level::Nation => 0,
            Level::Province => 1,
            Level::City => 2,
            Level::County | Level::District => 3,
        };
        match (place, self.subject.as_deref()) {
            (Some(p), Some(s)) if p != s => rank(regions::level_of(p)) > rank(regions::level_of(s)),
            _ => false,
        }
    }

    /// A relative place word resolved for this article.
    pub fn resolve(&self, level: Level) -> Option<String> {
        regions::resolve_relative(
            level,
            self.subject.as_deref(),
            self.enclosing_city.as_deref(),
            self.province.as_deref(),
        )
    }

    pub fn unit_class(&self, code: &str) -> Option<UnitClass> {
        self.taxonomy.get(code).map(|d| d.unit_class)
    }

    /// Char offset of byte offset `b`.
    pub fn char_pos(&self, b: usize) -> usize {
        self.char_starts.partition_point(|&x| x < b)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockKind {
    Prose,
    Table,
}

struct Block {
    start: usize,
    end: usize,
    kind: BlockKind,
}

/// Headings of link lists that are page chrome, not body (kept out even if the cleaner missed them).
const LINK_LIST_HEADINGS: &[&str] = &[
    "相关阅读",
    "相关文章",
    "相关新闻",
    "相关推荐",
    "相关链接",
    "相关信息",
    "热门文章",
    "最新文章",
    "热门排行",
    "热点推荐",
    "相关",
    "推荐阅读",
    "延伸阅读",
];

/// Paragraphs (one per line) and table blocks, in order, without link lists.
fn blocks(text: &str) -> Vec<Block> {
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    for line in text.split('\n') {
        lines.push((pos, pos + line.len()));
        pos += line.len() + 1;
    }
    let mut out: Vec<Block> = Vec::new();
    let mut in_links = false;
    let mut i = 0;
    while i < lines.len() {
        let (s, e) = lines[i];
        let line = text[s..e].trim();
        if line.is_empty() {
            in_links = false;
            i += 1;
            continue;
        }
        if LINK_LIST_HEADINGS.iter().any(|h| {
            line.strip_prefix(h)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '\u{FF1A}']))
        }) {
            in_links = true;
            i += 1;
            continue;
        }
        if in_links || line.starts_with(['·', '•']) {
            i += 1;
            continue;
        }
        if zh_table::is_table_line(line) {
            let start = s;
            let mut end = e;
            let mut j = i + 1;
            while j < lines.len() {
                let l = text[lines[j].0..lines[j].1].trim();
                if l.is_empty() || !(zh_table::is_table_line(l) || zh_table::is_wrapped_label(l)) {
                    break;
                }
                end = lines[j].1;
                j += 1;
            }
            if j - i >= 2 {
                out.push(Block {
                    start,
                    end,
                    kind: BlockKind::Table,
                });
                i = j;
                continue;
            }
        }
        out.push(Block {
            start: s,
            end: e,
            kind: BlockKind::Prose,
        });
        i += 1;
    }
    out
}

/// One subject noun of a sentence and the figures read for it.
#[derive(Clone, Debug)]
struct Item {
    code: Option<String>,
    label: String,
    /// Byte range of the subject noun.
    start: usize,
    end: usize,
    /// Not the whole subject: a sector, product, area, project or subset.
    breakdown: bool,
    above_scale: bool,
    region: Option<String>,
    value: Option<Quantity>,
    rate: Option<(Decimal, Comparator, usize)>,
    /// List the noun belongs to (`A、B和C`), for `各`/`均`.
    group: usize,
    /// Byte offset of the first figure and end of the last.
    fig_start: Option<usize>,
    fig_end: usize,
}

impl Item {
    fn touch(&mut self, start: usize, end: usize) {
        if self.fig_start.is_none() {
            self.fig_start = Some(start);
        }
        self.fig_end = self.fig_end.max(end);
    }
}

enum Tok<'t> {
    Term(&'t TermHit),
    Value(&'t Quantity),
    Rate(&'t Rate),
    /// Any other amount (`19个`, `238.6万吨`): its own subject.
    Other(usize, usize),
}

fn other_qty_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[0-9]+(?:\.[0-9]+)?\s*(?:万|亿)?(?:个|家|户|项|吨|米|平方米|千伏安|辆|人|次|批|笔|天|亩|种|条|座|套|台|件|千米|公里)")
            .expect("quantity pattern is valid")
    })
}

const CLAUSE_DELIMS: &[char] = &[',', ',', ';', ';', ':', ':', '。', '!', '?', '、'];
const HARD_DELIMS: &[char] = &[',', ',', ';', ';', ':', ':', '。', '!', '?'];

/// Byte offset just after the last clause delimiter in `text[from..to]`, or `from`.
fn clause_start(text: &str, from: usize, to: usize, delims: &[char]) -> usize {
    if from >= to {
        return to;
    }
    text[from..to]
        .char_indices()
        .rfind(|(_, c)| delims.contains(c))
        .map(|(i, c)| from + i + c.len_utf8())
        .unwrap_or(from)
}

/// Byte offset of the next clause delimiter at or after `from` (bounded by `to`).
fn clause_end(text: &str, from: usize, to: usize) -> usize {
    if from >= to {
        return to;
    }
    text[from..to]
        .char_indices()
        .find(|(_, c)| HARD_DELIMS.contains(c))
        .map(|(i, _)| from + i)
        .unwrap_or(to)
}

/// Words that may stand between a sentence's start and a term, or between a term and its
/// figures, without naming another subject.
const FILLERS: &[&str] = &[
    "与上年同期相比",
    "比上年同期",
    "比去年同期",
    "比上年同月",
    "较上年同期",
    "较去年同期",
    "与去年同期相比",
    "按可比价格计算",
    "按不变价格计算",
    "按同口径计算",
    "按可比口径计算",
    "按现价计算",
    "按自然口径计算",
    "规模以上工业企业",
    "规上工业企业",
    "纳入统计的",
    "上年同期",
    "上年同月",
    "去年同期",
    "比上年",
    "比去年",
    "较上年",
    "同口径",
    "规模以上",
    "规上",
    "规模",
    "工业企业",
    "企业",
    "预期目标",
    "主要目标",
    "全年预计",
    "完成",
    "实现",
    "累计",
    "共计",
    "合计",
    "达到",
    "预计",
    "力争",
    "确保",
    "计划",
    "提出",
    "目标",
    "确定",
    "争取",
    "其中",
    "以及",
    "同比",
    "实际",
    "现价",
    "区级",
    "县级",
    "市级",
    "全口径",
    "货物",
    "外贸",
    "全部",
    "地方",
    "总额",
    "总值",
    "金额",
    "总量",
    "当月",
    "单月",
    "同期",
    "主要",
    "指标",
    "分别",
    "依次",
    "可以",
    "已经",
    "今年",
    "全年",
    "共",
    "已",
    "可",
    "则",
    "而",
    "和",
    "及",
    "与",
    "把",
    "将",
    "的",
    "为",
    "是",
    "达",
    "也",
    "仍",
    "额",
    "均",
    "各",
    "约",
    "全",
    "在",
    "有",
    "由",
];

fn long_fillers() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(FILLERS.iter().filter(|w| w.chars().count() >= 3))
            .expect("filler words build a matcher")
    })
}

fn all_fillers() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(FILLERS)
            .expect("filler words build a matcher")
    })
}

/// `s` without the words `ac` matches.
fn strip_words(ac: &AhoCorasick, s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for m in ac.find_iter(s) {
        out.push_str(&s[last..m.start()]);
        last = m.end();
    }
    out.push_str(&s[last..]);
    out
}

/// A parenthesised aside (`(大口径)`, `(不含农户)`).
pub fn paren_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[(\u{FF08}][^)\u{FF09}]*[)\u{FF09}]").expect("paren pattern is valid")
    })
}

fn threshold_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[0-9]+(?:\.[0-9]+)?\s*(?:万|亿)?元(?:及)?(?:以上|以下)的?")
            .expect("threshold pattern is valid")
    })
}

fn count_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[0-9]+\s*(?:家|个|户)").expect("count pattern is valid"))
}

fn park_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\p{Han}{0,10}?(?:经济技术开发区|高新技术产业开发区|经济开发区|工业园区|开发区|高新区|经开区|园区|新区)")
            .expect("park pattern is valid")
    })
}

fn place_suffix_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\p{Han}{1,6}(?:自治县|县|区|市|省)$").expect("place pattern is valid")
    })
}

/// What the words before a term (or between a term and its figure) say: the places they name,
/// and whether anything else is left (a sector, product, company, sub-area: a breakdown).
struct PrefixReading {
    region: Option<String>,
    /// The region is a place named in the words (not the subject, not 全市/我区 …).
    named: bool,
    leftover: String,
    above_scale: bool,
}

fn read_prefix(doc: &Doc, s: &str) -> PrefixReading {
    if !s.chars().any(is_han) {
        return PrefixReading {
            region: None,
            named: false,
            leftover: String::new(),
            above_scale: false,
        };
    }
    let mut s = s.to_string();
    let above_scale = s.contains("规上") || s.contains("规模");
    // Parenthesised asides.
    if s.contains(['(', '\u{FF08}']) {
        s = paren_re().replace_all(&s, "").into_owned();
    }
    // Multi-word fillers first (`比上年同期` must not lose its `上年` to the period finder).
    s = strip_words(long_fillers(), &s);
    if s.contains(['月', '季', '年', '来']) {
        for p in find_periods(&s).into_iter().rev() {
            s.replace_range(p.start..p.end, "");
        }
    }
    let mut region: Option<String> = None;
    let mut named = false;
    let mut set_region = |r: Option<String>, is_named: bool| {
        if r.is_some() && region.is_none() {
            region = r;
            named = is_named;
        }
    };
    // The subject's own name, then park names (`常州经开区` is not 常州市), then gazetteer
    // places (they win over 全省 in `湖南全省`), then 全区/全市/….
    if let Some(subj) = doc.subject.as_deref() {
        while let Some(i) = s.find(subj) {
            set_region(Some(subj.to_string()), false);
            s.replace_range(i..i + subj.len(), "");
        }
    }
    while let Some(m) = s.contains('区').then(|| park_re().find(&s)).flatten() {
        let name = m.as_str().to_string();
        let is_subject = doc
            .subject
            .as_deref()
            .is_some_and(|subj| subj.ends_with(&name) || subj.contains(&name));
        if is_subject {
            set_region(doc.subject.clone(), false);
        } else {
            set_region(Some(name.clone()), true);
        }
        s.replace_range(m.start()..m.end(), "");
    }
    for m in regions::gazetteer_mentions(&s).into_iter().rev() {
        set_region(
            Some(m.name.clone()),
            Some(m.name.as_str()) != doc.subject.as_deref(),
        );
        s.replace_range(m.start..m.end, "");
    }
    for (w, level) in RELATIVE {
        while let Some(i) = s.find(w) {
            set_region(doc.resolve(*level), false);
            s.replace_range(i..i + w.len(), "");
        }
    }
    if s.contains(|c: char| c.is_ascii_digit()) {
        s = count_re().replace_all(&s, "").into_owned();
        // A threshold qualifying the aggregate (`500万元以上固定资产投资`) leaves it whole.
        s = threshold_re().replace_all(&s, "").into_owned();
    }
    s = strip_words(all_fillers(), &s);
    // A place written with its suffix at the end (`西城区`).
    let suffixed = s.ends_with(['县', '区', '市', '省']);
    if let Some(m) = suffixed.then(|| place_suffix_re().find(&s)).flatten() {
        let name = m.as_str();
        if !name.ends_with("地区") {
            set_region(Some(name.to_string()), true);
            s.replace_range(m.start()..m.end(), "");
        }
    }
    let leftover: String = s.chars().filter(|c| is_han(*c)).collect();
    PrefixReading {
        region,
        named,
        leftover,
        above_scale,
    }
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Area breakdown headings (`分区域看`): the figures after them are for parts of the subject.
const AREA_BREAKDOWN: &[&str] = &[
    "分区域看",
    "分地区看",
    "分区县看",
    "分县区看",
    "分园区看",
    "分片区看",
    "分区看",
];

/// Words that make a growth rate something other than year-on-year.
fn not_yoy(clause: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"环比|比上月|较上月|比上季|较上季|两年平均|年均|平均增长|比(?:19|20)[0-9]{2}年|较(?:19|20)[0-9]{2}年|比[0-9一二三四五六七八九十]{1,2}月|较[0-9一二三四五六七八九十]{1,2}月|比[0-9]{1,2}[-—~至][0-9]{1,2}月|较[0-9]{1,2}[-—~至][0-9]{1,2}月|比一季度|较一季度|比上半年|可比口径")
            .expect("not-yoy pattern is valid")
    });
    re.is_match(clause) && !clause.contains("同比")
}

/// A sentence about one project's own figures (`…基地项目总投资500亿元,一期投产达效后可实现…税收5亿元`):
/// a project named with its investment, or what it yields once built.
fn is_project_context(before: &str, segment: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"项目(?:总投资|计划总投资|建成|投产|达产|一期)|(?:投产|达产|达效|建成)后")
            .expect("project pattern is valid")
    });
    re.is_match(before) || re.is_match(segment)
}

/// Comparison figures for other places: `全国(5.9%)`, `(全市9.4%)`.
fn comparison_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:[((]\s*(?P<a>全国|全省|全市|全区|全县|\p{Han}{2,3}省|\p{Han}{2,4}市)\s*(?P<an>-?[0-9]+(?:\.[0-9]+)?)\s*[%%]\s*[))])|(?:(?P<b>全国|全省|全市|全区|全县|\p{Han}{2,3}省|\p{Han}{2,4}市)\s*(?:平均水平|平均|水平)?\s*[((]\s*(?P<bn>-?[0-9]+(?:\.[0-9]+)?)\s*[%%]\s*[))])")
            .expect("comparison pattern is valid")
    })
}

fn read_paragraph(
    doc: &Doc,
    start: usize,
    end: usize,
    carried: &mut Option<PeriodHit>,
    out: &mut Vec<Figure>,
) {
    let text = doc.text.as_str();
    let para = &text[start..end];
    // Sentences: split on 。!? (a `;` keeps the sentence going).
    let mut sentences = Vec::new();
    let mut s0 = start;
    for (i, c) in para.char_indices() {
        if matches!(c, '。' | '!' | '?') {
            sentences.push((s0, start + i + c.len_utf8()));
            s0 = start + i + c.len_utf8();
        }
    }
    if s0 < end {
        sentences.push((s0, end));
    }
    let mut para_region: Option<String> = None;
    for (ss, se) in sentences {
        read_sentence(doc, ss, se, carried, &mut para_region, out);
    }
}

fn read_sentence(
    doc: &Doc,
    ss: usize,
    se: usize,
    carried: &mut Option<PeriodHit>,
    para_region: &mut Option<String>,
    out: &mut Vec<Figure>,
) {
    let text = doc.text.as_str();
    let sentence = &text[ss..se];
    let terms = doc.terms.find(sentence);
    let periods_here: Vec<PeriodHit> = doc
        .periods
        .iter()
        .filter(|p| p.start >= ss && p.end <= se)
        .cloned()
        .collect();
    let last_period_before = |pos: usize, carried: &Option<PeriodHit>| -> Option<PeriodHit> {
        periods_here
            .iter()
            .rfind(|p| p.start < pos)
            .cloned()
            .or_else(|| carried.clone())
    };
    if terms.iter().all(|t| t.code.is_none()) {
        if let Some(p) = periods_here.last() {
            *carried = Some(p.clone());
        }
        // A topic clause (`郑州方面,`, `放眼全省,`) sets the place for what follows.
        for clause in sentence.split(HARD_DELIMS) {
            if clause.chars().count() <= 8 {
                let r = read_prefix(doc, clause);
                if r.region.is_some() {
                    *para_region = r.region;
                }
            }
        }
        return;
    }
    let first_clause_end = clause_end(text, ss, se);
    let area_breakdown = AREA_BREAKDOWN
        .iter()
        .any(|w| text[ss..first_clause_end].contains(w));
    // Tokens, absolute offsets.
    let terms: Vec<TermHit> = terms
        .into_iter()
        .map(|mut t| {
            t.start += ss;
            t.end += ss;
            t
        })
        .collect();
    let quantities: Vec<Quantity> = find_quantities(sentence)
        .into_iter()
        .map(|mut q| {
            q.start += ss;
            q.end += ss;
            q
        })
        .collect();
    let rates: Vec<Rate> = find_rates(sentence)
        .into_iter()
        .map(|mut r| {
            r.start += ss;
            r.end += ss;
            r
        })
        .collect();
    let mut toks: Vec<(usize, usize, Tok)> = Vec::new();
    for t in &terms {
        toks.push((t.start, t.end, Tok::Term(t)));
    }
    for q in &quantities {
        if !terms.iter().any(|t| q.start < t.end && t.start < q.end) {
            toks.push((q.start, q.end, Tok::Value(q)));
        }
    }
    for r in &rates {
        if !terms.iter().any(|t| r.start < t.end && t.start < r.end) {
            toks.push((r.start, r.end, Tok::Rate(r)));
        }
    }
    for m in other_qty_re().find_iter(sentence) {
        let (a, b) = (ss + m.start(), ss + m.end());
        let covered = toks.iter().any(|(s, e, _)| a < *e && *s < b)
            || periods_here.iter().any(|p| a < p.end && p.start < b);
        if !covered {
            toks.push((a, b, Tok::Other(a, b)));
        }
    }
    toks.sort_by_key(|t| t.0);

    // Amounts listed after `分别`/`依次`, by the start offsets of their members.
    let mut value_lists: Vec<Vec<usize>> = Vec::new();
    let figures: Vec<&Quantity> = quantities.iter().filter(|q| !q.threshold).collect();
    let mut i = 0;
    while i < figures.len() {
        let q = figures[i];
        let head = &text[clause_start(text, ss, q.start, HARD_DELIMS)..q.start];
        if head.contains("分别") || head.contains("依次") {
            let mut list = vec![q.start];
            let mut j = i + 1;
            while j < figures.len()
                && text[figures[j - 1].end..figures[j].start]
                    .chars()
                    .all(|c| "、和及与 ".contains(c))
            {
                list.push(figures[j].start);
                j += 1;
            }
            if list.len() >= 2 {
                value_lists.push(list);
                i = j;
                continue;
            }
        }
        i += 1;
    }
    let mut items: Vec<Item> = Vec::new();
    let mut group = 0usize;
    let mut prev_term_end: Option<usize> = None;
    let mut consumed = ss;
    for (ts, te, tok) in &toks {
        let (ts, te) = (*ts, *te);
        match tok {
            Tok::Term(t) => {
                let joined = prev_term_end.is_some_and(|pe| {
                    pe <= ts && text[pe..ts].chars().all(|c| "、和及与以 ".contains(c))
                });
                if !joined {
                    group += 1;
                }
                let cs = clause_start(text, consumed.max(ss), ts, CLAUSE_DELIMS);
                let mut reading = read_prefix(doc, &text[cs..ts]);
                if reading.leftover == "其" {
                    let head = &text[ss..clause_end(text, ss, se)];
                    reading = read_prefix(doc, head);
                }
                let seg_end = text[ts..se].find([';', '。']).map_or(se, |i| ts + i);
                let project = is_project_context(
                    &text[ss..ts],
                    &text[clause_start(text, ss, ts, &[';'])..seg_end],
                );
                let mut breakdown = !reading.leftover.is_empty()
                    || area_breakdown
                    || project
                    || (reading.named && doc.is_inside_subject(reading.region.as_deref()));
                // A list (`A、B和C`) shares the place and the reading of its first noun.
                if joined {
                    if let Some(head) = items.iter().find(|i| i.group == group) {
                        breakdown |= head.breakdown;
                        if reading.region.is_none() {
                            reading.region = head.region.clone();
                        }
                    }
                }
                let above_scale =
                    reading.above_scale || ["规上", "规模"].iter().any(|w| t.label.contains(w));
                let region = reading.region.clone();
                if region.is_some() && !breakdown {
                    *para_region = region.clone();
                }
                items.push(Item {
                    code: t.code.clone(),
                    label: t.label.clone(),
                    start: ts,
                    end: te,
                    breakdown,
                    above_scale,
                    region,
                    value: None,
                    rate: None,
                    group,
                    fig_start: None,
                    fig_end: te,
                });
                prev_term_end = Some(te);
                consumed = te;
                continue;
            }
            Tok::Value(q) => {
                if q.threshold {
                    continue;
                }
                // `A、B分别完成X亿元和Y亿元`: one amount per item before, in order.
                if let Some(list) = value_lists.iter().find(|l| l.contains(&q.start)) {
                    if list[0] == q.start {
                        let k = list.len();
                        let n = items.len();
                        let from = n.saturating_sub(k);
                        let listed: Vec<&Quantity> = list
                            .iter()
                            .filter_map(|st| quantities.iter().find(|x| x.start == *st))
                            .collect();
                        for (j, item) in items[from..].iter_mut().enumerate() {
                            if let Some(v) = listed.get(j + k - (n - from)) {
                                if item.value.is_none() {
                                    item.value = Some((*v).clone());
                                    item.touch(v.start, v.end);
                                }
                            }
                        }
                    }
                    consumed = te;
                    prev_term_end = None;
                    continue;
                }
                let target = subject_for(doc, &items, ss, consumed, ts);
                match target {
                    Target::Item(i) if items[i].value.is_none() => {
                        items[i].value = Some((*q).clone());
                        items[i].touch(ts, te);
                    }
                    Target::Item(i) => {
                        // A second amount for the same subject (another period): a new item.
                        let mut clone = items[i].clone();
                        clone.value = Some((*q).clone());
                        clone.rate = None;
                        clone.fig_start = Some(ts);
                        clone.fig_end = te;
                        items.push(clone);
                    }
                    Target::Other => items.push(other_item(ts, te, group)),
                }
            }
            Tok::Rate(r) => {
                let yoy = !not_yoy(&text[clause_start(text, ss, r.start, HARD_DELIMS)..r.end]);
                match r.spread {
                    Spread::Respectively if yoy && listed_pieces(doc, &mut items, ss, r) => {}
                    Spread::Respectively => {
                        let k = r.pcts.len();
                        let n = items.len();
                        let from = n.saturating_sub(k);
                        for (j, item) in items[from..].iter_mut().enumerate() {
                            let pct = r.pcts[j + k - (n - from)];
                            if item.rate.is_none() && yoy {
                                item.rate = Some((pct, r.comparator, r.end));
                                item.touch(r.start, r.end);
                            }
                        }
                    }
                    Spread::Each => {
                        let g = items.last().map(|i| i.group);
                        for item in items.iter_mut().filter(|i| Some(i.group) == g) {
                            if item.rate.is_none() && yoy {
                                item.rate = Some((r.pcts[0], r.comparator, r.end));
                                item.touch(r.start, r.end);
                            }
                        }
                    }
                    Spread::Single => match subject_for(doc, &items, ss, consumed, ts) {
                        Target::Item(i) => {
                            if items[i].rate.is_none() && yoy {
                                items[i].rate = Some((r.pcts[0], r.comparator, r.end));
                                items[i].touch(r.start, r.end);
                            }
                        }
                        Target::Other => items.push(other_item(ts, te, group)),
                    },
                }
            }
            Tok::Other(a, b) => items.push(other_item(*a, *b, group)),
        }
        consumed = te;
        prev_term_end = None;
    }

    // Figures.
    let mut main: Option<(Figure, usize)> = None;
    for item in &items {
        let Some(code) = item.code.clone() else {
            continue;
        };
        if item.breakdown {
            continue;
        }
        let value = item.value.as_ref().filter(|q| {
            let class = doc.unit_class(&code);
            match q.base_unit {
                "kWh" => class == Some(UnitClass::Energy),
                _ => class == Some(UnitClass::Currency),
            }
        });
        if value.is_none() && item.rate.is_none() {
            continue;
        }
        let fig_pos = item.fig_start.unwrap_or(item.end);
        let status = status_of(doc, ss, se, item);
        let governing = last_period_before(fig_pos, carried);
        let cumulative =
            text[clause_start(text, ss, item.start, HARD_DELIMS)..item.fig_end].contains("累计");
        let period = doc.period_of(governing.as_ref(), fig_pos, status, cumulative);
        let region = item
            .region
            .clone()
            .or_else(|| para_region.clone())
            .or_else(|| doc.subject.clone());
        let comparator = value
            .map(|q| q.comparator)
            .or(item.rate.map(|r| r.1))
            .unwrap_or_default();
        let span_start = clause_start(text, ss, item.start, HARD_DELIMS);
        let span_end = item.fig_end.max(item.end);
        let fig = Figure {
            indicator: code,
            label: item.label.clone(),
            scope: item.above_scale.then(|| "above_scale".to_string()),
            period,
            value: value.map(|q| q.value),
            unit: value.map(|q| q.unit.clone()),
            value_base: value.map(|q| q.value_base),
            base_unit: value.map(|q| q.base_unit.to_string()),
            comparator,
            yoy_pct: item.rate.map(|r| r.0),
            status,
            region,
            span: (doc.char_pos(span_start), doc.char_pos(span_end)),
        };
        if item.rate.is_some() {
            main = Some((fig.clone(), item.fig_end));
        }
        out.push(fig);
    }
    // Comparison figures for other places in the same sentence.
    if let Some((main, after)) = main {
        for c in comparison_re().captures_iter(&text[ss..se]) {
            let whole = c.get(0).expect("group 0");
            if ss + whole.start() < after.saturating_sub(1) {
                continue;
            }
            let (place, num) = match (c.name("a"), c.name("an"), c.name("b"), c.name("bn")) {
                (Some(p), Some(n), _, _) | (_, _, Some(p), Some(n)) => (p.as_str(), n.as_str()),
                _ => continue,
            };
            // `和全省` → 全省; a named place must be one the gazetteer knows.
            let region = match RELATIVE.iter().find(|(w, _)| place.ends_with(w)) {
                Some((_, level)) => doc.resolve(*level),
                None => match regions::gazetteer_mentions(place).pop() {
                    Some(m) => Some(m.name),
                    None => continue,
                },
            };
            let Some(pct) = crate::zh_numbers::parse_arabic(num) else {
                continue;
            };
            if region == main.region {
                continue;
            }
            let a = ss + whole.start();
            let b = ss + whole.end();
            out.push(Figure {
                value: None,
                unit: None,
                value_base: None,
                base_unit: None,
                yoy_pct: Some(pct),
                comparator: Comparator::Eq,
                region,
                span: (doc.char_pos(a), doc.char_pos(b)),
                ..main.clone()
            });
        }
    }
    if let Some(p) = periods_here.last() {
        *carried = Some(p.clone());
    }
}

/// Generic head nouns an elided list item borrows (`高技术产业投资、制造业、…` → 制造业投资).
const HEAD_NOUNS: &[&str] = &["投资", "增加值", "产值", "收入", "支出", "用电量"];

/// `A、B和C(分别)增长x%、y%和z%` with the nouns in the rate's own clause: one rate per listed
/// noun, in order; a noun without a term of its own takes the list's head noun when that makes
/// a term (`制造业` + `投资`). False when the clause is not such a list (the rates then go to the
/// items before, in order).
fn listed_pieces(doc: &Doc, items: &mut Vec<Item>, ss: usize, r: &Rate) -> bool {
    let text = doc.text.as_str();
    let k = r.pcts.len();
    let cs = clause_start(text, ss, r.start, HARD_DELIMS);
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut p0 = cs;
    for (i, c) in text[cs..r.start].char_indices() {
        if "、和及与".contains(c) {
            pieces.push((p0, cs + i));
            p0 = cs + i + c.len_utf8();
        }
    }
    pieces.push((p0, r.start));
    if k < 2 || pieces.len() != k {
        return false;
    }
    let in_piece = |it: &Item, (a, b): (usize, usize)| it.start >= a && it.end <= b;
    // The head noun: the generic ending of the first listed term.
    let head = pieces.iter().find_map(|&pc| {
        items
            .iter()
            .find(|it| it.code.is_some() && in_piece(it, pc))
            .and_then(|it| HEAD_NOUNS.iter().find(|h| it.label.ends_with(*h)))
    });
    let group = items.last().map_or(0, |i| i.group);
    for (j, &pc) in pieces.iter().enumerate() {
        let pct = r.pcts[j];
        if let Some(it) = items.iter_mut().rev().find(|it| in_piece(it, pc)) {
            if it.rate.is_none() {
                it.rate = Some((pct, r.comparator, r.end));
                it.touch(r.start, r.end);
            }
            continue;
        }
        let Some(head) = head else { continue };
        let noun: String = text[pc.0..pc.1].chars().filter(|c| is_han(*c)).collect();
        let candidate = format!("{noun}{head}");
        let Some(hit) = doc
            .terms
            .find(&candidate)
            .into_iter()
            .find(|t| t.start == 0 && t.end == candidate.len())
        else {
            continue;
        };
        let mut it = other_item(pc.0, pc.1, group);
        it.code = hit.code;
        it.label = noun;
        it.breakdown = false;
        it.rate = Some((pct, r.comparator, r.end));
        it.fig_start = Some(r.start);
        it.fig_end = r.end;
        items.push(it);
    }
    true
}

fn other_item(start: usize, end: usize, group: usize) -> Item {
    Item {
        code: None,
        label: String::new(),
        start,
        end,
        breakdown: true,
        above_scale: false,
        region: None,
        value: None,
        rate: None,
        group,
        fig_start: Some(start),
        fig_end: end,
    }
}

enum Target {
    Item(usize),
    Other,
}

/// Which item a figure at `pos` belongs to: the term in its own clause, or — when the clause
/// says nothing but fillers before it — the item before; otherwise something that is no item.
fn subject_for(doc: &Doc, items: &[Item], ss: usize, consumed: usize, pos: usize) -> Target {
    let text = doc.text.as_str();
    let cs = clause_start(text, ss, pos, CLAUSE_DELIMS);
    let from = cs.max(consumed.min(pos));
    if let Some(i) = items.iter().rposition(|it| it.start >= cs && it.end <= pos) {
        // The term is in this clause: whatever stands between it and the figure must be filler.
        let between = read_prefix(doc, &text[items[i].end.max(from).min(pos)..pos]);
        return if between.leftover.is_empty() {
            Target::Item(i)
        } else {
            Target::Other
        };
    }
    let r = read_prefix(doc, &text[from..pos]);
    if r.leftover.is_empty() {
        match items.len() {
            0 => Target::Other,
            n => Target::Item(n - 1),
        }
    } else {
        Target::Other
    }
}

/// `actual`, `target` or `forecast` for an item (SPEC §5 Status).
fn status_of(doc: &Doc, ss: usize, se: usize, item: &Item) -> Status {
    let text = doc.text.as_str();
    // Its own clause, to the delimiter after its figure.
    let own_start = clause_start(text, ss, item.start, CLAUSE_DELIMS);
    let own_end = clause_end(text, item.fig_end.min(se), se);
    if let Some((_, st)) = status_in(&text[own_start..own_end]) {
        return st;
    }
    let own_has_verb = {
        let own = &text[own_start..item.start];
        own.contains("完成") || own.contains("实现")
    };
    // A status word heading its `;` segment (before the segment's first term).
    let seg_start = clause_start(text, ss, item.start, &[';', ';', '。']);
    let head = &text[seg_start..item.start];
    // The segment's first term, and the clause that holds it: a status word heads the list
    // only from inside that clause (`预计2022年郑州生产总值…,规模以上工业增加值…`), not from an
    // aside before it (`按照年度计划,…`).
    let first_term = doc
        .terms
        .find(head)
        .into_iter()
        .find(|t| t.code.is_some())
        .map(|t| t.start);
    let lead_start = match first_term {
        Some(ft) => clause_start(head, 0, ft, HARD_DELIMS),
        None => clause_start(head, 0, head.len(), HARD_DELIMS),
    };
    if let Some((i, st)) = status_in(&head[lead_start..]) {
        if first_term.is_none_or(|ft| lead_start + i < ft) && !own_has_verb {
            return st;
        }
    }
    // A status word heading a list after a colon (`主要预期目标为:…`).
    let before = &text[ss..item.start];
    if let Some(colon) = before.rfind([':', '\u{FF1A}']) {
        let heading_start =
            clause_start(before, 0, colon, &[',', ';', '。', '\u{FF0C}', '\u{FF1B}']);
        if let Some((_, st)) = status_in(&before[heading_start..colon]) {
            return st;
        }
    }
    Status::Actual
}

#[cfg(test)]
mod tests;
