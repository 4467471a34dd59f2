//! Chinese period expressions (SPEC §5 Periods): `1至5月`, `1-5月`, `一至五月`, `前5个月`,
//! `截至5月底`, `一季度`, `前三季度`, `上半年`, `5月份`, `全年`, `今年以来`, a bare `2021年`, with
//! the year attached to them, and which of them are comparison bases (`比1-4月`) rather than
//! periods.

use crate::zh_numbers::parse_number;
use regex::Regex;
use std::sync::OnceLock;

/// The year written with a period expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearRef {
    /// `2022年1-5月`.
    Explicit(i32),
    /// `今年`, `本年`.
    ThisYear,
    /// `去年`, `上年`.
    LastYear,
    /// No year written.
    Unwritten,
}

/// The months a period expression covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// Whole months `start..=end` of one year.
    Months(u32, u32),
    /// From January to an unstated end (`今年以来`).
    SinceJanuary,
    /// A year with no months (`2021年`, `今年`, `去年`): Jan..Dec for actual figures of a past
    /// year or any target; `今年` with actual figures is open-ended.
    Year,
}

/// One period expression found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodHit {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub year: YearRef,
    pub span: Span,
    /// A single month (`5月份`), which `累计` turns into Jan..that month.
    pub single_month: bool,
    /// A comparison base (`比1-4月`, `较上年同期`), not a period.
    pub comparative: bool,
}

/// The body of a period expression; group names carry `suffix` so the pattern can hold it
/// twice (after a year, and alone) without ever matching the empty string.
fn body_pattern(suffix: &str) -> String {
    let m = r"(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})";
    format!(
        r"(?P<body{x}>
            (?P<r1{x}>{m})\s*(?:月份?)?\s*(?:至|到|-|~|～|—|–|－|−|─)+\s*(?P<r2{x}>{m})\s*月份?
          | 前(?P<f{x}>{m})个?月份?
          | 截至(?:到)?(?P<c{x}>{m})月(?:底|末|份)?
          | (?P<qa{x}>[一二三四1-4])\s*(?:至|到|-|~|～|—|–|－)\s*(?P<qb{x}>[一二三四1-4])\s*季度
          | 前(?P<fq{x}>[一二三1-3])个?季度
          | 第?(?P<q{x}>[一二三四1-4])季度
          | (?P<h{x}>上半年|下半年)
          | (?P<full{x}>全年)
          | (?P<since{x}>以来)
          | 年初以来
          | 年初至今
          | (?P<s{x}>{m})\s*月份?(?:当月|单月)?
        )",
        x = suffix
    )
}

fn period_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let pattern = format!(
            r"(?x)(?P<y>(?:19|20)[0-9]{{2}}\s*年度?|今年|本年|去年|上年)\s*(?:{})?|(?:{})",
            body_pattern(""),
            body_pattern("2")
        );
        Regex::new(&pattern).expect("period pattern is valid")
    })
}

fn date_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:(?:19|20)[0-9]{2}\s*年\s*)?[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*[日号]|(?:19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}",
        )
        .expect("date pattern is valid")
    })
}

fn month(s: &str) -> Option<u32> {
    let v: u32 = parse_number(s)?.try_into().ok()?;
    (1..=12).contains(&v).then_some(v)
}

fn quarter(s: &str) -> Option<u32> {
    let v: u32 = parse_number(s)?.try_into().ok()?;
    (1..=4).contains(&v).then_some(v)
}

/// Words that make a following period expression a comparison base.
fn is_comparison_lead(before: &str) -> bool {
    let t = before.trim_end();
    [
        "比", "较", "与", "于", "过", "同", "超过", "高出", "低于", "快于", "慢于",
    ]
    .iter()
    .any(|w| t.ends_with(w))
}

/// Every period expression in `text`, in order, comparison bases flagged.
pub fn find_periods(text: &str) -> Vec<PeriodHit> {
    let dates: Vec<(usize, usize)> = date_re()
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    let mut out: Vec<PeriodHit> = Vec::new();
    // Every period expression holds one of 月 季 年 来: search only around them (a long text
    // has few), in merged windows wide enough for the longest expression.
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for (i, c) in text.char_indices() {
        if !matches!(c, '月' | '季' | '年' | '来') {
            continue;
        }
        let a = text[..i].char_indices().rev().nth(15).map_or(0, |(b, _)| b);
        let b = text[i..]
            .char_indices()
            .nth(6)
            .map_or(text.len(), |(b, _)| i + b);
        match windows.last_mut() {
            Some(w) if a <= w.1 => w.1 = w.1.max(b),
            _ => windows.push((a, b)),
        }
    }
    let matches = windows
        .into_iter()
        .flat_map(|(a, b)| period_re().captures_iter(&text[a..b]).map(move |c| (a, c)));
    for (offset, caps) in matches {
        let whole = caps.get(0).expect("group 0 always matches");
        let g = |name: &str| caps.name(name).or_else(|| caps.name(&format!("{name}2")));
        if whole.as_str().trim().is_empty() {
            continue;
        }
        let (start, end) = (offset + whole.start(), offset + whole.end());
        if dates.iter().any(|&(a, b)| start < b && a < end) {
            continue;
        }
        let year = match caps.name("y").map(|m| m.as_str()) {
            None => YearRef::Unwritten,
            Some("今年") | Some("本年") => YearRef::ThisYear,
            Some("去年") | Some("上年") => YearRef::LastYear,
            Some(y) => match y[..4].parse() {
                Ok(v) => YearRef::Explicit(v),
                Err(_) => continue,
            },
        };
        let mut single_month = false;
        let span = if let (Some(a), Some(b)) = (g("r1"), g("r2")) {
            match (month(a.as_str()), month(b.as_str())) {
                (Some(a), Some(b)) if a <= b => Span::Months(a, b),
                _ => continue,
            }
        } else if let Some(f) = g("f").or(g("c")) {
            match month(f.as_str()) {
                Some(m) => Span::Months(1, m),
                None => continue,
            }
        } else if let (Some(a), Some(b)) = (g("qa"), g("qb")) {
            match (quarter(a.as_str()), quarter(b.as_str())) {
                (Some(a), Some(b)) if a <= b => Span::Months(a * 3 - 2, b * 3),
                _ => continue,
            }
        } else if let Some(q) = g("fq") {
            match quarter(q.as_str()) {
                Some(q) => Span::Months(1, q * 3),
                None => continue,
            }
        } else if let Some(q) = g("q") {
            match quarter(q.as_str()) {
                Some(q) => Span::Months(q * 3 - 2, q * 3),
                None => continue,
            }
        } else if let Some(h) = g("h") {
            if h.as_str() == "上半年" {
                Span::Months(1, 6)
            } else {
                Span::Months(7, 12)
            }
        } else if g("full").is_some() {
            Span::Months(1, 12)
        } else if g("since").is_some() {
            // `2022年以来` is a comparison (`…以来的最好水平`), not a period; `今年以来` is one.
            if year != YearRef::ThisYear {
                continue;
            }
            Span::SinceJanuary
        } else if g("body").is_some_and(|b| b.as_str() == "年初以来" || b.as_str() == "年初至今")
        {
            Span::SinceJanuary
        } else if let Some(s) = g("s") {
            // `5月` followed by a day is a date; `3个月` never reaches here.
            match month(s.as_str()) {
                Some(m) => {
                    single_month = true;
                    Span::Months(m, m)
                }
                None => continue,
            }
        } else {
            // A year alone: not a month expression glued to a number (`2023中国` has no 年).
            if year == YearRef::Unwritten {
                continue;
            }
            Span::Year
        };
        // A lone Chinese numeral month such as `十` inside words is too weak: require 月.
        let comparative = is_comparison_lead(&text[..start])
            || (text[..start].trim_end().ends_with(['和', '、', '及'])
                && out
                    .last()
                    .is_some_and(|p| p.comparative && text[p.end..start].chars().count() <= 2));
        out.push(PeriodHit {
            start,
            end,
            label: whole.as_str().trim().to_string(),
            year,
            span,
            single_month,
            comparative,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> PeriodHit {
        let v = find_periods(text);
        assert!(!v.is_empty(), "no period in {text}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn every_spec_form() {
        let cases: &[(&str, YearRef, Span)] = &[
            ("1至5月,全区", YearRef::Unwritten, Span::Months(1, 5)),
            ("1-5月", YearRef::Unwritten, Span::Months(1, 5)),
            ("1~5月", YearRef::Unwritten, Span::Months(1, 5)),
            ("1—5月份", YearRef::Unwritten, Span::Months(1, 5)),
            ("一至五月", YearRef::Unwritten, Span::Months(1, 5)),
            ("一至四月份", YearRef::Unwritten, Span::Months(1, 4)),
            ("前5月", YearRef::Unwritten, Span::Months(1, 5)),
            ("前5个月", YearRef::Unwritten, Span::Months(1, 5)),
            ("截至5月底", YearRef::Unwritten, Span::Months(1, 5)),
            ("一季度", YearRef::Unwritten, Span::Months(1, 3)),
            ("第一季度", YearRef::Unwritten, Span::Months(1, 3)),
            ("二季度", YearRef::Unwritten, Span::Months(4, 6)),
            ("上半年", YearRef::Unwritten, Span::Months(1, 6)),
            ("前三季度", YearRef::Unwritten, Span::Months(1, 9)),
            ("1-2月", YearRef::Unwritten, Span::Months(1, 2)),
            ("5月份", YearRef::Unwritten, Span::Months(5, 5)),
            ("四月份", YearRef::Unwritten, Span::Months(4, 4)),
            ("全年", YearRef::Unwritten, Span::Months(1, 12)),
            ("2022年1-5月", YearRef::Explicit(2022), Span::Months(1, 5)),
            ("2021年全省", YearRef::Explicit(2021), Span::Year),
            ("今年以来", YearRef::ThisYear, Span::SinceJanuary),
            ("今年1—7月份", YearRef::ThisYear, Span::Months(1, 7)),
            ("去年", YearRef::LastYear, Span::Year),
            ("去年全年", YearRef::LastYear, Span::Months(1, 12)),
            ("1-3季度", YearRef::Unwritten, Span::Months(1, 9)),
            ("三季度", YearRef::Unwritten, Span::Months(7, 9)),
            ("年初至今", YearRef::Unwritten, Span::SinceJanuary),
            ("2018年5月份", YearRef::Explicit(2018), Span::Months(5, 5)),
        ];
        for (text, year, span) in cases {
            let p = one(text);
            assert_eq!((p.year, p.span), (*year, *span), "{text}");
            assert!(!p.comparative, "{text}");
        }
    }

    #[test]
    fn comparisons_dates_and_names_are_not_periods() {
        let v = find_periods("比1-4月和一季度分别加快");
        assert!(v.iter().all(|p| p.comparative), "{v:?}");
        assert!(find_periods("比上年同期增长")[0].comparative);
        assert!(find_periods("较1-4月回落")[0].comparative);
        assert!(find_periods("2014年05月21日 10:26").is_empty());
        assert!(find_periods("记者8月1日从").is_empty());
        assert!(find_periods("为2022年以来的最好水平").is_empty());
        assert!(find_periods("连续3个月实现").is_empty());
        assert!(find_periods("2023中国省级开发区").is_empty());
    }
}
