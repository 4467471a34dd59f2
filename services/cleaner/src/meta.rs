//! Metadata lines (`2022-07-22 16:43:29    来源:萍乡日报`, `编辑:肖文忠    作者:韩睿佳`,
//! `日期: 来源:X收集编辑:Y`, `2018-06-07 07:34 Source: Shaoguan Daily Editor: x`) → fields.
//! A line is metadata when labelled fields and dates cover nearly all of it; body sentences that
//! merely mention a date or a source never qualify.

use crate::markers::{Markers, MetaKind};
use crate::normalize::{collapse_ws, is_han};
use regex::Regex;
use std::sync::LazyLock;

/// Fields read from one metadata line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MetaFields {
    pub published: Option<String>,
    /// Whether `published` came with a date label (`发布日期:`) rather than bare.
    pub published_labelled: bool,
    pub source: Option<String>,
    /// Unlabelled outlet name next to a bare date (`2006年11月21日09:30  汉网`).
    pub source_guess: Option<String>,
    pub author: Option<String>,
    pub editor: Option<String>,
    pub title: Option<String>,
}

impl MetaFields {
    /// Does the line give any field worth keeping?
    pub fn has_values(&self) -> bool {
        self.published.is_some()
            || self.source.is_some()
            || self.source_guess.is_some()
            || self.author.is_some()
            || self.editor.is_some()
            || self.title.is_some()
    }
}

static DATE_RES: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    let time = r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})(?:\s*[:分]\s*(?P<S>\d{2}))?)?";
    [
        Regex::new(&format!(
            r"(?P<y>(?:19|20)\d{{2}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){time}"
        ))
        .expect("numeric date pattern compiles"),
        Regex::new(&format!(
            r"(?P<y>(?:19|20)\d{{2}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日{time}"
        ))
        .expect("chinese date pattern compiles"),
    ]
});

static EN_DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>(?:19|20)\d{2})(?-u:\b)",
    )
    .expect("english date pattern compiles")
});

static URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:https?://|www\.)[^\s]+").expect("url pattern compiles")
});

/// A date found in a string: its normalised form and its byte range.
pub fn find_date(text: &str) -> Option<(String, usize, usize)> {
    // Every date form carries a four-digit year: skip the regexes when there is none.
    let has_year = text
        .as_bytes()
        .windows(4)
        .any(|w| w.iter().all(u8::is_ascii_digit) && (w[0] == b'1' || w[0] == b'2'));
    if !has_year {
        return None;
    }
    let mut found: Vec<regex::Captures> = DATE_RES
        .iter()
        .flat_map(|re| re.captures_iter(text))
        .collect();
    found.sort_by_key(|c| c.get(0).map_or(usize::MAX, |m| m.start()));
    for caps in found {
        let whole = caps.get(0)?;
        let num = |n: &str| caps.name(n).and_then(|m| m.as_str().parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (num("y"), num("m"), num("d")) else {
            continue;
        };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            continue;
        }
        let date = format!("{y:04}-{m:02}-{d:02}");
        let value = match (num("H"), num("M")) {
            (Some(h), Some(mi)) if h < 24 && mi < 60 => {
                let s = num("S").filter(|s| *s < 60).unwrap_or(0);
                format!("{date}T{h:02}:{mi:02}:{s:02}")
            }
            _ => date,
        };
        return Some((value, whole.start(), whole.end()));
    }
    if !text.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let caps = EN_DATE_RE.captures(text)?;
    let whole = caps.get(0)?;
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mon = caps.name("mon")?.as_str().to_ascii_lowercase();
    let m = months.iter().position(|p| mon.starts_with(p))? + 1;
    let d: u32 = caps.name("d")?.as_str().parse().ok()?;
    let y: u32 = caps.name("y")?.as_str().parse().ok()?;
    if !(1..=31).contains(&d) {
        return None;
    }
    Some((format!("{y:04}-{m:02}-{d:02}"), whole.start(), whole.end()))
}

/// Parse a date value given in a field or a JSON item; `None` if there is no recognisable date.
pub fn normalise_date(value: &str) -> Option<String> {
    find_date(value).map(|(d, _, _)| d)
}

/// Collapse spaced-out labels (`來 源:`, `瀏 覽:`): runs of single Han characters separated by
/// single spaces are joined, for label matching only.
fn join_spaced_han(line: &str) -> String {
    let tokens: Vec<&str> = line.split(' ').collect();
    let single_han = |t: &str| {
        let mut cs = t.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if is_han(c))
            || (t.chars().count() == 2 && t.ends_with(':') && t.chars().next().is_some_and(is_han))
    };
    let mut out = String::with_capacity(line.len());
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let prev = tokens[i - 1];
            let join = single_han(prev) && !prev.ends_with(':') && single_han(t);
            if !join {
                out.push(' ');
            }
        }
        out.push_str(t);
    }
    out
}

fn is_label_boundary_before(line: &str, start: usize) -> bool {
    match line[..start].chars().next_back() {
        None => true,
        Some(c) => !c.is_ascii_alphanumeric(),
    }
}

/// One labelled field found in a line.
struct Field {
    kind: MetaKind,
    label_start: usize,
    value_start: usize,
}

fn find_fields(line: &str, markers: &Markers) -> Vec<Field> {
    let mut fields = Vec::new();
    for m in markers.labels.find_iter(line) {
        let kind = markers.label_kinds[m.pattern().as_usize()];
        if !is_label_boundary_before(line, m.start()) {
            continue;
        }
        let after = &line[m.end()..];
        let trimmed = after.trim_start_matches(' ');
        let gap = after.len() - trimmed.len();
        let value_start;
        if let Some(rest) = trimmed.strip_prefix(':') {
            value_start = m.end() + gap + 1 + (rest.len() - rest.trim_start().len());
        } else if kind == MetaKind::Author
            && gap > 0
            && line[m.start()..m.end()].chars().all(is_han)
        {
            // `记者 周慧`: a Han author label may be followed by a space instead of a colon.
            value_start = m.end() + gap;
        } else if kind == MetaKind::Ignore && trimmed.starts_with('(') {
            // `阅读(  )`: a counter without a value
            value_start = m.end() + gap;
        } else {
            continue;
        }
        fields.push(Field {
            kind,
            label_start: m.start(),
            value_start,
        });
    }
    fields
}

/// The value of a field: up to the next field, a column gap (two spaces) or the end.
fn field_value(line: &str, start: usize, end: usize) -> &str {
    let v = &line[start..end];
    let v = match v.find("  ") {
        Some(p) => &v[..p],
        None => v,
    };
    v.trim()
}

/// Junk that may surround fields on a metadata line without making it prose.
fn residue_chars(s: &str) -> usize {
    s.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '|' | '•'
                        | '·'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '【'
                        | '】'
                        | '/'
                        | '-'
                        | '_'
                        | ':'
                        | ','
                )
                && !c.is_ascii_digit()
        })
        .count()
}

fn clean_person(v: &str) -> Option<String> {
    let v = v.trim_matches(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ':'));
    // Han names end at the first space (`周慧 北京报道`).
    let v = if v.chars().next().is_some_and(is_han) {
        v.split(' ').next().unwrap_or("")
    } else {
        v
    };
    let v = collapse_ws(v);
    (!v.is_empty() && v.chars().count() <= 40).then_some(v)
}

fn clean_source(v: &str, markers: &Markers) -> Option<String> {
    let mut v =
        collapse_ws(v.trim_matches(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ':')));
    for suf in &markers.source_suffixes {
        if v.ends_with(suf.as_str()) && v.chars().count() > suf.chars().count() + 1 {
            v.truncate(v.len() - suf.len());
        }
    }
    let v = v.trim().to_string();
    (!v.is_empty() && v.chars().count() <= 40 && !v.chars().all(|c| c.is_ascii_digit()))
        .then_some(v)
}

/// Read `line` as a metadata line; `None` when it is not one.
pub fn parse_meta_line(line: &str, markers: &Markers) -> Option<MetaFields> {
    // A metadata line is short; count cheaply before any allocation.
    if line.len() > 1000 || line.chars().count() > 200 {
        return None;
    }
    let line = collapse_ws_keep_gaps(line);
    let line = line.trim_matches(|c: char| c.is_whitespace());
    let inner = line
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or(line);
    let joined = join_spaced_han(&unbracket_label(inner, markers));
    let line = joined.as_str();
    let total = line.chars().count();
    if total == 0 || total > 160 {
        return None;
    }
    let fields = find_fields(line, markers);
    let date = find_date(line);
    if fields.is_empty() && date.is_none() {
        return None;
    }
    let mut out = MetaFields::default();
    // Everything not covered by a field (label + value) or the date is residue.
    let mut covered: Vec<(usize, usize)> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let end = fields.get(i + 1).map_or(line.len(), |n| n.label_start);
        let value = field_value(line, f.value_start, end);
        let value_end = if value.is_empty() {
            f.value_start
        } else {
            line[f.value_start..end]
                .find(value)
                .map_or(f.value_start, |p| f.value_start + p + value.len())
        };
        if f.kind != MetaKind::Title && f.kind != MetaKind::Date && value.chars().count() > 40 {
            // a label followed by a sentence: prose that happens to start like a field
            return None;
        }
        covered.push((f.label_start, value_end));
        match f.kind {
            MetaKind::Date => {
                if let Some(d) = normalise_date(value) {
                    if out.published.is_none() {
                        out.published = Some(d);
                        out.published_labelled = true;
                    }
                }
            }
            MetaKind::Source => {
                if out.source.is_none() {
                    out.source = clean_source(value, markers);
                }
            }
            MetaKind::Author => {
                if out.author.is_none() {
                    out.author = clean_person(value);
                }
            }
            MetaKind::Editor => {
                if out.editor.is_none() {
                    out.editor = clean_person(value);
                }
            }
            MetaKind::Title => {
                if !value.is_empty() {
                    out.title = Some(value.to_string());
                }
            }
            MetaKind::Ignore => {}
        }
    }
    if let Some((d, s, e)) = &date {
        if out.published.is_none() {
            out.published = Some(d.clone());
        }
        covered.push((*s, *e));
    }
    if line.contains("http") || line.contains("www.") {
        for m in URL_RE.find_iter(line) {
            covered.push((m.start(), m.end()));
        }
    }
    covered.sort();
    let mut residue = String::new();
    let mut segments: Vec<String> = Vec::new();
    let mut pos = 0;
    for (s, e) in covered {
        if s > pos {
            residue.push_str(&line[pos..s]);
            segments.push(line[pos..s].to_string());
        }
        pos = pos.max(e);
    }
    if pos < line.len() {
        residue.push_str(&line[pos..]);
        segments.push(line[pos..].to_string());
    }
    let residue_len = residue_chars(&residue);
    if residue_len > 12 || residue_len * 2 > total {
        return None;
    }
    if out.source.is_none() && date.is_some() {
        out.source_guess = segments
            .iter()
            .flat_map(|s| s.split("  "))
            .map(|s| s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '•' | '·')))
            .find(|s| {
                let n = s.chars().count();
                (2..=20).contains(&n) && s.chars().filter(|&c| is_han(c)).count() >= 2
            })
            .map(|s| s.to_string());
    }
    Some(out)
}

/// `【标题】X` → `标题:X` when the bracketed word is a metadata label.
fn unbracket_label(line: &str, markers: &Markers) -> String {
    if let Some(rest) = line.strip_prefix('【') {
        if let Some(close) = rest.find('】') {
            let label = &rest[..close];
            let is_label = markers
                .labels
                .find(label)
                .is_some_and(|m| m.start() == 0 && m.end() == label.len());
            if is_label {
                return format!("{label}:{}", &rest[close + '】'.len_utf8()..]);
            }
        }
    }
    line.to_string()
}

/// Collapse whitespace but keep column gaps (two or more spaces become exactly two).
fn collapse_ws_keep_gaps(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut run = 0usize;
    for c in line.chars() {
        if c.is_whitespace() {
            run += 1;
        } else {
            if run > 0 && !out.is_empty() {
                out.push_str(if run >= 2 { "  " } else { " " });
            }
            run = 0;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(line: &str) -> Option<MetaFields> {
        parse_meta_line(line, Markers::get())
    }

    #[test]
    fn dates_in_many_formats() {
        assert_eq!(
            normalise_date("2022-07-22 16:43:29").unwrap(),
            "2022-07-22T16:43:29"
        );
        assert_eq!(normalise_date("2022年7月22日").unwrap(), "2022-07-22");
        assert_eq!(
            normalise_date("2006年11月21日09:30").unwrap(),
            "2006-11-21T09:30:00"
        );
        assert_eq!(normalise_date("2022/6/5").unwrap(), "2022-06-05");
        assert_eq!(normalise_date("June 6, 2022").unwrap(), "2022-06-06");
        assert!(normalise_date("1-5月").is_none());
        assert!(normalise_date("2022-13-40").is_none());
    }

    #[test]
    fn seed_meta_lines() {
        let m = meta("2022-07-22 16:43:29    来源:萍乡日报").unwrap();
        assert_eq!(m.published.as_deref(), Some("2022-07-22T16:43:29"));
        assert_eq!(m.source.as_deref(), Some("萍乡日报"));
        let m = meta("编辑:肖文忠    作者:韩睿佳、吴申良").unwrap();
        assert_eq!(m.editor.as_deref(), Some("肖文忠"));
        assert_eq!(m.author.as_deref(), Some("韩睿佳、吴申良"));
        let m = meta("日期: 来源:禹州市融媒体中心收集编辑:禹州市融媒体中心").unwrap();
        assert_eq!(m.source.as_deref(), Some("禹州市融媒体中心"));
        assert!(m.published.is_none());
        let m = meta("来 源: 浏 览: 0").unwrap();
        assert!(m.source.is_none());
        let m = meta("2022-05-27 0 By").unwrap();
        assert_eq!(m.published.as_deref(), Some("2022-05-27"));
        let m = meta("2018-06-07 07:34 Source: Shaoguan Daily Editor: xiaochouyu").unwrap();
        assert_eq!(m.source.as_deref(), Some("Shaoguan Daily"));
        assert_eq!(m.editor.as_deref(), Some("xiaochouyu"));
        let m = meta("http://www.sina.com.cn  2006年11月21日09:30  汉网").unwrap();
        assert_eq!(m.source_guess.as_deref(), Some("汉网"));
        let m = meta("21世纪经济报道  2023年01月05日  记者 周慧 北京报道").unwrap();
        assert_eq!(m.source_guess.as_deref(), Some("21世纪经济报道"));
        assert_eq!(m.author.as_deref(), Some("周慧"));
        let m = meta("(文章来源:邢台日报)").unwrap();
        assert_eq!(m.source.as_deref(), Some("邢台日报"));
    }

    #[test]
    fn prose_is_not_metadata() {
        assert!(meta("(韩睿佳、记者吴申良)今年以来,萍乡经开区以打好“五大战役”为奋斗目标,全区完成财政总收入17.9亿元。").is_none());
        assert!(
            meta("1月28日,浓浓的年味尚未散去,禹州高新区召开了节后第一次经济运行分析会。").is_none()
        );
        assert!(meta("萍乡经开区做强工业经济推动高质量发展").is_none());
    }
}
