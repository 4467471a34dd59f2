//! The Chinese reader's small closed word lists and the token finders built on them: indicator
//! terms (from the taxonomy, plus the elided `规模以上工业企业实现增加值` form), money and energy
//! values, growth rates (`同比增长8.8%`, `下降百分之三十五点四`, `增长2.2倍`, `翻一番`), status
//! words and comparators.

use crate::zh_numbers::{base_unit, magnitude, parse_arabic, parse_chinese, parse_number};
use crate::{Comparator, Taxonomy};
use aho_corasick::{AhoCorasick, MatchKind};
use newsflow_shared::records::Status;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex, OnceLock};

/// A term occurrence: `code` is `None` for a look-alike that is not an indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct TermHit {
    pub start: usize,
    pub end: usize,
    pub code: Option<String>,
    pub label: String,
}

/// Indicator terms of one taxonomy, matched longest first.
pub struct TermMatcher {
    ac: AhoCorasick,
    codes: Vec<Option<String>>,
    /// `工业` + noun → code, for the elided form.
    elided: Vec<(String, String)>,
}

fn elided_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:规模以上|规上|规模)工业(?:企业)?(?:共|累计|已|合计|共计)?(?:完成|实现)?(?:了)?(产值|增加值|销售产值|总产值)",
        )
        .expect("elided term pattern is valid")
    })
}

impl TermMatcher {
    pub fn new(taxonomy: &Taxonomy) -> Self {
        let mut pats = Vec::new();
        let mut codes = Vec::new();
        let mut elided = Vec::new();
        for d in &taxonomy.indicators {
            for t in &d.zh {
                pats.push(t.clone());
                codes.push(Some(d.code.clone()));
                if let Some(noun) = t.strip_prefix("工业") {
                    elided.push((noun.to_string(), d.code.clone()));
                }
            }
        }
        for t in &taxonomy.not_indicator.zh {
            pats.push(t.clone());
            codes.push(None);
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .expect("taxonomy terms build a matcher");
        TermMatcher { ac, codes, elided }
    }

    /// The matcher for `taxonomy`, built once per distinct set of terms and shared.
    pub fn cached(taxonomy: &Taxonomy) -> Arc<TermMatcher> {
        use std::collections::HashMap;
        use std::hash::{Hash, Hasher};
        static CACHE: OnceLock<Mutex<HashMap<u64, Arc<TermMatcher>>>> = OnceLock::new();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for d in &taxonomy.indicators {
            d.code.hash(&mut h);
            d.zh.hash(&mut h);
        }
        taxonomy.not_indicator.zh.hash(&mut h);
        let key = h.finish();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = match cache.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(key)
            .or_insert_with(|| Arc::new(TermMatcher::new(taxonomy)))
            .clone()
    }

    /// Every term in `text`, in order, without overlaps.
    pub fn find(&self, text: &str) -> Vec<TermHit> {
        let mut hits: Vec<TermHit> = self
            .ac
            .find_iter(text)
            .map(|m| TermHit {
                start: m.start(),
                end: m.end(),
                code: self.codes[m.pattern().as_usize()].clone(),
                label: text[m.start()..m.end()].to_string(),
            })
            .collect();
        for c in elided_re().captures_iter(text) {
            let whole = c.get(0).expect("group 0");
            let noun = c.get(1).expect("noun group").as_str();
            let Some((_, code)) = self.elided.iter().find(|(n, _)| n == noun) else {
                continue;
            };
            hits.retain(|h| h.end <= whole.start() || h.start >= whole.end());
            hits.push(TermHit {
                start: whole.start(),
                end: whole.end(),
                code: Some(code.clone()),
                label: whole.as_str().to_string(),
            });
        }
        hits.sort_by_key(|h| h.start);
        hits
    }
}

/// A money or energy amount.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub start: usize,
    pub end: usize,
    pub value: Decimal,
    pub unit: String,
    pub value_base: Decimal,
    pub base_unit: &'static str,
    pub comparator: Comparator,
    /// `2000万元以上项目`: a threshold qualifying something else, not a figure.
    pub threshold: bool,
}

fn value_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?P<pre>超过|突破|不到|不足|超|约|近)?\s*(?:(?P<num>-?[0-9]+(?:[,，][0-9]{3})*(?:\.[0-9]+)?)|(?P<cnum>[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?))\s*(?P<mag>万亿|亿|万|千)?(?P<unit>美元|元|千瓦时|度)(?P<post>及以上|及以下|以上|以下|以内|左右|上下)?",
        )
        .expect("value pattern is valid")
    })
}

fn comparator_of(pre: Option<&str>, post: Option<&str>) -> Comparator {
    match (pre, post) {
        (_, Some("以上" | "及以上")) | (Some("超过" | "突破" | "超"), _) => {
            Comparator::Ge
        }
        (_, Some("以下" | "以内" | "及以下")) | (Some("不到" | "不足"), _) => {
            Comparator::Le
        }
        _ => Comparator::Eq,
    }
}

/// Characters that may follow a figure without making it a qualifier of a noun.
fn ends_figure(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => {
            !('\u{4e00}'..='\u{9fff}').contains(&c)
                || "和及与同比较增下左作是为,。;、:的".contains(c) && c != '的'
        }
    }
}

/// Money and energy amounts in `text`.
pub fn find_quantities(text: &str) -> Vec<Quantity> {
    let mut out = Vec::new();
    for c in value_re().captures_iter(text) {
        let whole = c.get(0).expect("group 0");
        let unit_word = c.name("unit").expect("unit group").as_str();
        let mag = c.name("mag").map_or("", |m| m.as_str());
        let (value, first) = if let Some(n) = c.name("num") {
            // Part of a longer number or an identifier (`2023-12`) is not a figure.
            let before = text[..n.start()].chars().next_back();
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '.') {
                continue;
            }
            (parse_arabic(n.as_str()), n.as_str().chars().next())
        } else {
            let n = c.name("cnum").expect("cnum group");
            (parse_chinese(n.as_str()), n.as_str().chars().next())
        };
        let Some(value) = value else { continue };
        // `百亿元`, `千亿元`: a round-number milestone with no figure of its own.
        if matches!(first, Some('百' | '千')) {
            continue;
        }
        if unit_word == "度" && mag.is_empty() {
            continue;
        }
        let (Some(mult), Some(base)) = (magnitude(mag), base_unit(unit_word)) else {
            continue;
        };
        let post = c.name("post").map(|m| m.as_str());
        let after = text[whole.end()..].chars().next();
        let threshold = after == Some('的')
            || (matches!(post, Some("以上" | "以下" | "及以上" | "及以下" | "以内"))
                && !ends_figure(after));
        let start = c.name("pre").map_or_else(
            || c.name("num").or(c.name("cnum")).expect("number").start(),
            |p| p.start(),
        );
        out.push(Quantity {
            start,
            end: whole.end(),
            value,
            unit: format!("{mag}{unit_word}"),
            value_base: value * mult,
            base_unit: base,
            comparator: comparator_of(c.name("pre").map(|m| m.as_str()), post),
            threshold,
        });
    }
    out
}

/// How a growth rate is distributed over the items before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// One rate for the item it follows.
    Single,
    /// `分别`/`依次`: one rate per item, in order.
    Respectively,
    /// `各`/`均`: the same rate for every item of the list before it.
    Each,
}

/// A growth rate (or a list of them after `分别`).
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    /// Byte offset of the growth word.
    pub start: usize,
    pub end: usize,
    pub pcts: Vec<Decimal>,
    pub comparator: Comparator,
    pub spread: Spread,
}

fn growth_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?P<spread>分别|依次|各|均)?(?P<yoy>同比|同口径)?(?:实际|名义)?(?P<gw>增长|增幅|增速|下降|减少|降低|上升|下滑|增加|翻|增|降|减)",
        )
        .expect("growth pattern is valid")
    })
}

const LINKS: &[&str] = &[
    "目标确定为",
    "目标定为",
    "目标定在",
    "目标为",
    "率为",
    "幅度为",
    "保持在",
    "达到",
    "为",
    "达",
    "到",
    "了",
    "是",
    "率",
];

fn rate_number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^\s*(?:(?P<pz>百分之)(?P<pcn>[零〇一二两三四五六七八九十百]+(?:点[零〇一二三四五六七八九]+)?)|(?P<num>-?[0-9]+(?:\.[0-9]+)?)|(?P<cn>[一二两三四五六七八九十]+(?:点[零〇一二三四五六七八九]+)?))\s*(?P<suf>%|%|倍|个百分点|个|番)?(?P<post>以上|以下|左右|以内|上下)?",
        )
        .expect("rate number pattern is valid")
    })
}

/// One percentage after a growth word (or in a `分别` list): value, comparator, end offset.
fn read_pct(text: &str, at: usize, first: bool) -> Option<(Decimal, Comparator, usize)> {
    let c = rate_number_re().captures(&text[at..])?;
    let whole = c.get(0).expect("group 0");
    let suf = c.name("suf").map(|m| m.as_str());
    let end = at + whole.end();
    let post = c.name("post").map(|m| m.as_str());
    let cmp = comparator_of(None, post);
    if c.name("pz").is_some() {
        let v = parse_chinese(c.name("pcn")?.as_str())?;
        return Some((v, cmp, end));
    }
    if let Some(n) = c.name("num") {
        let v = parse_arabic(n.as_str())?;
        return match suf {
            Some("%") => Some((v, cmp, end)),
            Some("倍") if first => Some((v * Decimal::from(100), cmp, end)),
            Some(_) => None,
            // A rate written without `%` (`同比增长5.8,`): only when the clause ends there.
            None if first => {
                let next = text[end..].chars().next();
                (next.is_none() || next.is_some_and(|c| ",。;,;)) ".contains(c)))
                    .then_some((v, cmp, end))
            }
            None => None,
        };
    }
    if let Some(n) = c.name("cn") {
        // Chinese numerals only as `增长一倍`; percentages come as 百分之….
        if first && suf == Some("倍") {
            let v = parse_number(n.as_str())?;
            return Some((v * Decimal::from(100), cmp, end));
        }
    }
    None
}

/// Growth rates in `text`.
pub fn find_rates(text: &str) -> Vec<Rate> {
    let mut out = Vec::new();
    for c in growth_re().captures_iter(text) {
        let whole = c.get(0).expect("group 0");
        let gw = c.name("gw").expect("gw").as_str();
        // `平均增长` is an average, not `均` (each).
        let after_ping = text[..whole.start()].ends_with('平');
        let spread = match c.name("spread").map(|m| m.as_str()) {
            Some("分别" | "依次") => Spread::Respectively,
            Some(_) if !after_ping => Spread::Each,
            _ => Spread::Single,
        };
        // The one-character forms only right after 同比 (`同比增8.8%`, `同比降3%`).
        if matches!(gw, "增" | "降" | "减") && c.name("yoy").is_none() {
            continue;
        }
        let mut at = whole.end();
        // An aside between the growth word and its number: `增长(按可比价格计算)6.5%`.
        if text[at..].starts_with(['(', '\u{FF08}']) {
            if let Some(close) = text[at..].find([')', '\u{FF09}']) {
                at += close + text[at + close..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if gw == "翻" {
            let rest = &text[at..];
            let times = if rest.starts_with("一番") {
                1
            } else if rest.starts_with("两番") {
                3
            } else {
                continue;
            };
            out.push(Rate {
                start: whole.start(),
                end: at + "一番".len(),
                pcts: vec![Decimal::from(100 * times)],
                comparator: Comparator::Eq,
                spread: Spread::Single,
            });
            continue;
        }
        for l in LINKS {
            if text[at..].starts_with(l) {
                at += l.len();
                break;
            }
        }
        // `增长超过10%`, `增长不到5%`, `增长约8%`.
        let mut pre_cmp = None;
        for (w, c) in [
            ("超过", Comparator::Ge),
            ("突破", Comparator::Ge),
            ("超", Comparator::Ge),
            ("不到", Comparator::Le),
            ("不足", Comparator::Le),
            ("约", Comparator::Eq),
        ] {
            if text[at..].starts_with(w) {
                at += w.len();
                pre_cmp = Some(c);
                break;
            }
        }
        let Some((v, cmp, mut end)) = read_pct(text, at, true) else {
            continue;
        };
        let cmp = match (pre_cmp, cmp) {
            (Some(c), Comparator::Eq) => c,
            (_, c) => c,
        };
        // `增长超过10%的行业`: a threshold qualifying a noun, not a figure.
        if text[end..].starts_with('的') {
            continue;
        }
        let negative = matches!(gw, "下降" | "减少" | "降低" | "下滑" | "降" | "减");
        let sign = |v: Decimal| if negative { -v } else { v };
        let mut pcts = vec![sign(v)];
        if spread == Spread::Respectively {
            loop {
                let rest = &text[end..];
                let skip = ["、", "和", "及", ",", ","]
                    .iter()
                    .find_map(|s| rest.strip_prefix(s).map(|_| s.len()));
                let Some(skip) = skip else { break };
                match read_pct(text, end + skip, false) {
                    Some((v, _, e)) => {
                        pcts.push(sign(v));
                        end = e;
                    }
                    None => break,
                }
            }
        }
        out.push(Rate {
            start: whole.start(),
            end,
            pcts,
            comparator: cmp,
            spread,
        });
    }
    out
}

/// Status words, most specific first.
pub const STATUS_WORDS: &[(&str, Status)] = &[
    ("预期目标", Status::Target),
    ("全年预计", Status::Forecast),
    ("预计", Status::Forecast),
    ("提出", Status::Target),
    ("力争", Status::Target),
    ("争取", Status::Target),
    ("计划", Status::Target),
    ("目标", Status::Target),
];

/// The first status word in `s`.
pub fn status_in(s: &str) -> Option<(usize, Status)> {
    STATUS_WORDS
        .iter()
        .filter_map(|(w, st)| s.find(w).map(|i| (i, *st)))
        .min_by_key(|(i, _)| *i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn quantities_with_units_and_comparators() {
        let cases: &[(&str, &str, &str, &str, Comparator, bool)] = &[
            (
                "完成42.18亿元,",
                "42.18",
                "亿元",
                "4218000000",
                Comparator::Eq,
                false,
            ),
            (
                "5735万美元,",
                "5735",
                "万美元",
                "57350000",
                Comparator::Eq,
                false,
            ),
            (
                "701.18万千瓦时",
                "701.18",
                "万千瓦时",
                "7011800",
                Comparator::Eq,
                false,
            ),
            (
                "70.25亿千瓦时",
                "70.25",
                "亿千瓦时",
                "7025000000",
                Comparator::Eq,
                false,
            ),
            (
                "1.9万亿元左右",
                "1.9",
                "万亿元",
                "1900000000000",
                Comparator::Eq,
                false,
            ),
            (
                "268亿元以上,",
                "268",
                "亿元",
                "26800000000",
                Comparator::Ge,
                false,
            ),
            (
                "超过100亿元。",
                "100",
                "亿元",
                "10000000000",
                Comparator::Ge,
                false,
            ),
            (
                "四十九点三亿元",
                "49.3",
                "亿元",
                "4930000000",
                Comparator::Eq,
                false,
            ),
            (
                "2000万元以上项目",
                "2000",
                "万元",
                "20000000",
                Comparator::Ge,
                true,
            ),
            (
                "1000万元以上的企业",
                "1000",
                "万元",
                "10000000",
                Comparator::Ge,
                true,
            ),
            (
                "1,794万美元",
                "1794",
                "万美元",
                "17940000",
                Comparator::Eq,
                false,
            ),
            ("3亿度", "3", "亿度", "300000000", Comparator::Eq, false),
        ];
        for (t, v, u, b, cmp, thr) in cases {
            let q = &find_quantities(t)[0];
            assert_eq!(
                (
                    q.value,
                    q.unit.as_str(),
                    q.value_base,
                    q.comparator,
                    q.threshold
                ),
                (d(v), *u, d(b), *cmp, *thr),
                "{t}"
            );
        }
        assert!(find_quantities("双双超过百亿元").is_empty());
        assert!(find_quantities("过万亿元的省会城市").is_empty());
    }

    #[test]
    fn growth_rates() {
        let cases: &[(&str, &[&str], Comparator)] = &[
            ("同比增长8.8%", &["8.8"], Comparator::Eq),
            ("增幅25%", &["25"], Comparator::Eq),
            ("增速18%", &["18"], Comparator::Eq),
            ("下降49.08%", &["-49.08"], Comparator::Eq),
            ("同口径下降8.0%", &["-8.0"], Comparator::Eq),
            ("同比增长5.8,规模", &["5.8"], Comparator::Eq),
            ("增长2.2倍", &["220"], Comparator::Eq),
            ("增长一倍", &["100"], Comparator::Eq),
            ("增长1倍", &["100"], Comparator::Eq),
            ("翻一番", &["100"], Comparator::Eq),
            ("增长百分之五点九", &["5.9"], Comparator::Eq),
            ("下降百分之三十五点四", &["-35.4"], Comparator::Eq),
            ("增长20%以上", &["20"], Comparator::Ge),
            ("增长9%左右", &["9"], Comparator::Eq),
            ("增长目标确定为6.5%以上", &["6.5"], Comparator::Ge),
            ("增长超过10%", &["10"], Comparator::Ge),
            ("同比增8.8%", &["8.8"], Comparator::Eq),
            ("同比降3%", &["-3"], Comparator::Eq),
            ("比上年增长(按可比价格计算)6.5%", &["6.5"], Comparator::Eq),
            (
                "分别增长42.4%、36.8%和48.5%",
                &["42.4", "36.8", "48.5"],
                Comparator::Eq,
            ),
        ];
        for (t, want, cmp) in cases {
            let r = &find_rates(t)[0];
            let want: Vec<Decimal> = want.iter().map(|s| d(s)).collect();
            assert_eq!((&r.pcts, r.comparator), (&want, *cmp), "{t}");
        }
        for t in [
            "回落1个百分点",
            "增长0.5个百分点",
            "增长面52.9%",
            "比上年增加50亿元",
            "增长的有18个",
            "增长超过10%的行业有12个",
            "增8.8%",
        ] {
            assert!(find_rates(t).is_empty(), "{t}");
        }
        assert_eq!(find_rates("各增长12%左右")[0].spread, Spread::Each);
    }

    #[test]
    fn status_words() {
        assert_eq!(
            status_in("钟祥市提出一季度").map(|s| s.1),
            Some(Status::Target)
        );
        assert_eq!(
            status_in("主要预期目标为").map(|s| s.1),
            Some(Status::Target)
        );
        assert_eq!(
            status_in("预计实际进资").map(|s| s.1),
            Some(Status::Forecast)
        );
        assert_eq!(status_in("力争全年").map(|s| s.1), Some(Status::Target));
        assert_eq!(status_in("完成现汇"), None);
    }
}
