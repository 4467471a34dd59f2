//! The figures an article states: the multiset of numbers with their units and percent signs.
//!
//! Two texts that are near-identical (Jaccard ≥ 0.8) but state different figures are two
//! editions, not one story twice: a monthly bulletin built from last month's template must pass.
//! So a near-duplicate is only a duplicate when it states the same figures: the multiset is
//! extracted, and compared as a set ([`Figures::fingerprint`]: repeats don't make an edition).
//!
//! What counts as a figure (after folding full-width forms: `１２．３％` reads as `12.3%`):
//! * a number (`1,234.50`: thousands separators dropped, trailing fraction zeros dropped, so
//!   formatting noise doesn't make a new edition) followed by a unit: percent (`%`, `‰`,
//!   `个百分点`, `percent`, `per cent`, `percentage points`), a Chinese magnitude (`万亿`, `亿`,
//!   `万`, `千`) and/or measure (`元`, `美元`, `吨`, `人`, `家`, …), an English magnitude
//!   (`thousand`, `million`, `billion`, `trillion`, `bn`, `mn`), or a currency sign before it
//!   (`$3.26 billion`, `¥`, `€`, `£`, `RMB`, `US$`): `17.9亿元`, `8.8%`, `5735万美元`, `3.26 billion`;
//! * a bare number with a decimal part (table cells such as `295.4`).
//!
//! Not figures: dates and times (a number followed by `年 月 日 号 时 季度`, or chained to another
//! number by `- / : —` as in `2022-05-27`, `1-5月`), ordinals (`第3`), numbers glued to Latin
//! letters (`G20`, `5G`), and bare integers (list numbers, counts without a unit, years in English
//! prose).
//!
//! Chinese numerals count when a percent, money unit or 万/亿 magnitude makes them a figure
//! (`四十九点三亿元`, `百分之五点九`); they are compared as written, not converted.

use xxhash_rust::xxh3::xxh3_64;

/// The figures of one text, sorted (a multiset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures(pub Vec<String>);

/// Measures that may follow a number or a magnitude, longest first within a shared prefix.
const ZH_MEASURES: &[&str] = &[
    "人民币",
    "美元",
    "港元",
    "港币",
    "欧元",
    "日元",
    "英镑",
    "元",
    "千瓦时",
    "千瓦",
    "千克",
    "千米",
    "平方公里",
    "平方千米",
    "平方米",
    "立方米",
    "公里",
    "公顷",
    "公斤",
    "吨",
    "亩",
    "米",
    "人次",
    "人",
    "户",
    "家",
    "个",
    "件",
    "辆",
    "台",
    "套",
    "项",
    "座",
    "头",
    "只",
    "所",
    "张",
    "标箱",
    "标准箱",
    "千瓦",
    "度",
    "倍",
    "名",
    "位",
];
const ZH_MAGNITUDES: &[&str] = &["万亿", "亿", "万", "千"];
const ZH_PERCENT: &[(&str, &str)] = &[("个百分点", "pp"), ("百分点", "pp")];
const ZH_DATE_UNITS: &[&str] = &["年", "月", "日", "号", "时", "季度", "周岁"];
const EN_MAGNITUDES: &[(&str, &str)] = &[
    ("thousand", "thousand"),
    ("million", "million"),
    ("billion", "billion"),
    ("trillion", "trillion"),
    ("bn", "billion"),
    ("mn", "million"),
];
const EN_PERCENT: &[(&str, &str)] = &[
    ("percentage points", "pp"),
    ("percentage point", "pp"),
    ("percent", "%"),
    ("per cent", "%"),
    ("pct", "%"),
];
const CURRENCY_PREFIXES: &[(&str, &str)] = &[
    ("us$", "$"),
    ("$", "$"),
    ("¥", "¥"),
    ("€", "€"),
    ("£", "£"),
    ("rmb", "¥"),
    ("usd", "$"),
];

impl Figures {
    /// The figures stated in `text`.
    pub fn of_text(text: &str) -> Self {
        let chars: Vec<char> = text.chars().map(fold_width).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if is_zh_numeral_char(chars[i]) {
                let (figure, end) = read_zh_numeral(&chars, i);
                out.extend(figure);
                i = end;
                continue;
            }
            if !chars[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            let (value, has_fraction, end) = read_number(&chars, i);
            i = end;
            if let Some(figure) = classify(&chars, start, end, &value, has_fraction) {
                out.push(figure);
            }
        }
        out.sort();
        Figures(out)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A 64-bit fingerprint of the distinct figures (what the KV stores and `decide`
    /// compares). How often a figure is repeated doesn't count: a copy whose page repeats a
    /// paragraph, or restates prose figures in a table, states nothing new, whereas a new
    /// edition changes a value, which changes the set.
    pub fn fingerprint(&self) -> u64 {
        let mut distinct: Vec<&str> = self.0.iter().map(String::as_str).collect();
        distinct.dedup();
        xxh3_64(distinct.join("\n").as_bytes())
    }
}

const ZH_DIGITS: &[char] = &[
    '零', '〇', '一', '二', '两', '三', '四', '五', '六', '七', '八', '九',
];
const ZH_MONEY: &[&str] = &[
    "元",
    "美元",
    "港元",
    "港币",
    "欧元",
    "日元",
    "英镑",
    "人民币",
];

fn is_zh_numeral_char(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '亿'
            | '点'
    )
}

/// A number in Chinese numerals at `start` (`四十九点三亿元`, `百分之五点九`): a figure only
/// with a percent (`百分之…`, `…个百分点`), a money unit or a 万/亿 magnitude, so words such as
/// 一个, 第一, 两位数 or 十四五 are not figures. The numeral is kept as written (two editions
/// differ in it; copies don't), not converted.
fn read_zh_numeral(chars: &[char], start: usize) -> (Option<String>, usize) {
    let mut end = start;
    while end < chars.len() && is_zh_numeral_char(chars[end]) {
        end += 1;
    }
    let run: String = chars[start..end].iter().collect();
    if !run.chars().any(|c| ZH_DIGITS.contains(&c)) {
        // 百 of 百分之, 万 of 万元, 千万: no digit, not a number. Step one character so that
        // a number right behind (百分之|五点九) is read on its own.
        return (None, start + 1);
    }
    if start >= 3 && chars[start - 3..start] == ['百', '分', '之'] {
        return (Some(format!("{run} %")), end);
    }
    let (unit, _) = unit_after(chars, end);
    let magnitude = run.ends_with(['万', '亿']) || unit.starts_with(['万', '亿', '千']);
    let money_or_percent = unit == "%" || unit == "pp" || ZH_MONEY.contains(&unit.as_str());
    if magnitude || money_or_percent {
        (Some(format!("{run} {unit}").trim_end().to_string()), end)
    } else {
        (None, end)
    }
}

/// Full-width ASCII forms (digits, `％`, `，`, `．`, letters), the ideographic space and the
/// full-width currency signs to their plain forms: what NFKC does to the characters a figure
/// is written with, without normalising the whole text.
fn fold_width(c: char) -> char {
    match c as u32 {
        u @ 0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        0xFFE1 => '£',
        0xFFE5 => '¥',
        _ => c,
    }
}

/// Read the number starting at `i`: (normalised value, has a decimal part, end index).
fn read_number(chars: &[char], mut i: usize) -> (String, bool, usize) {
    let mut int = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        int.push(chars[i]);
        i += 1;
        // Thousands separator: a comma followed by exactly three digits.
        if chars.get(i) == Some(&',')
            && chars
                .get(i + 1..i + 4)
                .is_some_and(|g| g.iter().all(|c| c.is_ascii_digit()))
            && !chars.get(i + 4).is_some_and(|c| c.is_ascii_digit())
        {
            i += 1;
        }
    }
    let mut frac = String::new();
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            frac.push(chars[i]);
            i += 1;
        }
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = frac.trim_end_matches('0');
    let has_fraction = !frac.is_empty();
    let value = if has_fraction {
        format!("{int}.{frac}")
    } else {
        int.to_string()
    };
    (value, has_fraction, i)
}

/// Whether `chars[at..]` starts with `word`, compared ASCII-case-insensitively.
fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let mut j = at;
    for w in word.chars() {
        match chars.get(j) {
            Some(c) if c.to_ascii_lowercase() == w => j += 1,
            _ => return false,
        }
    }
    true
}

/// The first entry of `list` that `chars[at..]` starts with, and the index after it.
fn match_any<'a>(chars: &[char], at: usize, list: &[&'a str]) -> Option<(&'a str, usize)> {
    list.iter()
        .find(|w| starts_with(chars, at, w))
        .map(|w| (*w, at + w.chars().count()))
}

fn match_pairs<'a>(
    chars: &[char],
    at: usize,
    list: &[(&str, &'a str)],
) -> Option<(&'a str, usize)> {
    list.iter()
        .find(|(w, _)| starts_with(chars, at, w))
        .map(|(w, unit)| (*unit, at + w.chars().count()))
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\u{a0}') {
        i += 1;
    }
    i
}

/// The figure a number at `chars[start..end]` states, or `None` if it isn't one.
fn classify(
    chars: &[char],
    start: usize,
    end: usize,
    value: &str,
    has_fraction: bool,
) -> Option<String> {
    let before = start.checked_sub(1).map(|j| chars[j]);
    // Glued to a Latin letter (G20, A1) or part of a decimal we skipped: an identifier.
    if before.is_some_and(|c| c.is_ascii_alphabetic() || c == '.' || c == '_') {
        return None;
    }
    // Ordinal: 第3季度, 第5名.
    if before == Some('第') {
        return None;
    }
    let next = chars.get(end).copied();
    let after_next = chars.get(end + 1).copied();
    // Date, time or range chain: 2022-05-27, 1-5月, 10:30, 2022/5/27, 1—10月.
    if next.is_some_and(|c| matches!(c, '-' | '/' | ':' | '—' | '–' | '~'))
        && after_next.is_some_and(|c| c.is_ascii_digit())
    {
        return None;
    }
    if before.is_some_and(|c| matches!(c, '-' | '/' | ':' | '—' | '–' | '~'))
        && start >= 2
        && chars[start - 2].is_ascii_digit()
    {
        // The tail of a chain: a figure only if a unit makes it one (5-8% → 8%).
        let (unit, _) = unit_after(chars, end);
        if unit.is_empty() || is_date_unit(chars, skip_spaces(chars, end)) {
            return None;
        }
        return Some(format!("{value} {unit}"));
    }
    let at = skip_spaces(chars, end);
    if is_date_unit(chars, at) {
        return None;
    }
    // A number glued to following Latin letters (5G, 3D) is an identifier, unless the letters
    // are a unit we know.
    let (mut unit, _) = unit_after(chars, end);
    if unit.is_empty() && next.is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if let Some(prefix) = currency_before(chars, start) {
        unit = format!("{prefix}{unit}");
    }
    if unit.is_empty() && !has_fraction {
        return None;
    }
    Some(format!("{value} {unit}").trim_end().to_string())
}

fn is_date_unit(chars: &[char], at: usize) -> bool {
    match_any(chars, at, ZH_DATE_UNITS).is_some()
}

/// The unit after a number ending at `end`, normalised, and the index after it.
fn unit_after(chars: &[char], end: usize) -> (String, usize) {
    let at = skip_spaces(chars, end);
    match chars.get(at) {
        Some('%') => return ("%".into(), at + 1),
        Some('‰') => return ("‰".into(), at + 1),
        _ => {}
    }
    if let Some((unit, j)) = match_pairs(chars, at, ZH_PERCENT) {
        return (unit.into(), j);
    }
    if let Some((unit, j)) = match_pairs(chars, at, EN_PERCENT) {
        if word_ends(chars, j) {
            return (unit.into(), j);
        }
    }
    let mut unit = String::new();
    let mut j = at;
    if let Some((mag, k)) = match_any(chars, j, ZH_MAGNITUDES) {
        unit.push_str(mag);
        j = k;
    }
    if let Some((measure, k)) = match_any(chars, j, ZH_MEASURES) {
        unit.push_str(measure);
        j = k;
    }
    if !unit.is_empty() {
        return (unit, j);
    }
    if let Some((mag, k)) = match_pairs(chars, at, EN_MAGNITUDES) {
        if word_ends(chars, k) {
            return (mag.into(), k);
        }
    }
    (String::new(), end)
}

/// A word ends at `j` (no Latin letter follows).
fn word_ends(chars: &[char], j: usize) -> bool {
    !chars.get(j).is_some_and(|c| c.is_ascii_alphabetic())
}

/// A currency sign or code right before the number (`$3.26`, `US$ 5`, `RMB 100`).
fn currency_before(chars: &[char], start: usize) -> Option<&'static str> {
    let mut j = start;
    while j > 0 && chars[j - 1] == ' ' {
        j -= 1;
    }
    for (code, sign) in CURRENCY_PREFIXES {
        let n = code.chars().count();
        if j >= n && starts_with(chars, j - n, code) {
            // A code must not be the tail of a longer word.
            let glued = j > n && chars[j - n - 1].is_ascii_alphabetic();
            if !glued {
                return Some(sign);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figs(text: &str) -> Vec<String> {
        Figures::of_text(text).0
    }

    #[test]
    fn chinese_figures_with_units() {
        assert_eq!(
            figs("完成17.9亿元,增长8.8%,利用外资5735万美元,提高0.3个百分点。"),
            vec!["0.3 pp", "17.9 亿元", "5735 万美元", "8.8 %"]
        );
    }

    #[test]
    fn english_figures_with_units() {
        assert_eq!(
            figs("Revenue reached $3.26 billion, up 12 percent; 3.26 billion yuan, 2.5 bn."),
            vec!["12 %", "2.5 billion", "3.26 $billion", "3.26 billion"]
        );
    }

    #[test]
    fn formatting_noise_is_ignored() {
        assert_eq!(
            figs("共1,234.50万元，增长８．８０％"),
            figs("共1234.5万元,增长8.8%")
        );
        assert_eq!(figs("增长 8.8 %"), figs("增长8.8%"));
    }

    #[test]
    fn dates_ordinals_and_identifiers_are_not_figures() {
        assert!(figs("2022-05-27 发布。2022年1-5月，第3季度，G20峰会，5G基站，10:30。").is_empty());
        assert!(figs("In 2022, item 3 of 12 rose.").is_empty());
    }

    #[test]
    fn bare_decimals_count_bare_integers_do_not() {
        assert_eq!(figs("全市 | 295.4 | 7.7 | 12"), vec!["295.4", "7.7"]);
    }

    #[test]
    fn chinese_numeral_figures() {
        assert_eq!(
            figs("四月份完成四十九点三亿元,增长百分之五点九,下降百分之三十五点四。"),
            vec!["三十五点四 %", "五点九 %", "四十九点三亿 元"]
        );
        assert!(
            figs("一个、第一产业、两位数增长、十四五规划、一至四月份、单位:万元、千万家庭")
                .is_empty()
        );
        assert_ne!(
            Figures::of_text("实现四十九点三亿元").fingerprint(),
            Figures::of_text("实现五十一点二亿元").fingerprint()
        );
    }

    #[test]
    fn ranges_keep_their_unit_bearing_tail() {
        assert_eq!(figs("增长5-8%"), vec!["8 %"]);
    }

    #[test]
    fn order_and_repeats_do_not_change_the_fingerprint() {
        assert_ne!(
            Figures::of_text("增长8.8%,下降8.8%"),
            Figures::of_text("增长8.8%")
        );
        assert_eq!(
            Figures::of_text("增长8.8%,下降8.8%").fingerprint(),
            Figures::of_text("增长8.8%").fingerprint()
        );
        assert_eq!(
            Figures::of_text("甲8.8%乙9.1%").fingerprint(),
            Figures::of_text("乙9.1%甲8.8%").fingerprint()
        );
    }

    #[test]
    fn a_changed_figure_changes_the_fingerprint() {
        assert_ne!(
            Figures::of_text("5月份出口17.9亿元").fingerprint(),
            Figures::of_text("5月份出口18.2亿元").fingerprint()
        );
    }
}
