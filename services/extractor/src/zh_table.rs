//! Statistical tables (SPEC §5 Tables): text rendered in columns, pipe tables, and HTML tables
//! that the cleaner renders one row per line with TAB-separated cells. Each row whose label is a
//! whole-subject term (or the total row, when the indicator is named only in the caption) gives
//! one figure per value column, with its growth rate from the paired `±%` column.

use crate::zh::Doc;
use crate::zh_numbers::parse_arabic;
use crate::zh_periods::{find_periods, PeriodHit};
use crate::zh_regions as regions;
use crate::{Comparator, Figure, UnitClass};
use newsflow_shared::records::Status;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn wide_gap_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\s{2,}|\t|\u{3000}+").expect("gap pattern is valid"))
}

/// The cells of a table-like line (TABs, pipes or wide gaps between cells).
pub fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    if t.contains('\t') {
        return t.split('\t').map(|c| c.trim().to_string()).collect();
    }
    if t.starts_with('|') || t.starts_with('|') {
        let inner = t.trim_matches('|');
        return inner
            .split(['|', '|'])
            .map(|c| c.trim().to_string())
            .collect();
    }
    wide_gap_re()
        .split(t)
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// A cell that holds a number, or the missing-value marks `--`, `—`.
fn numeric_cell(c: &str) -> Option<Option<Decimal>> {
    let c = c.trim().trim_end_matches(['%', '%']);
    if c.is_empty() || c.chars().all(|ch| matches!(ch, '-' | '—' | '–' | '－')) {
        return Some(None);
    }
    parse_arabic(c).map(Some)
}

fn has_number(c: &str) -> bool {
    numeric_cell(c).is_some_and(|v| v.is_some())
}

/// True for a line that looks like a table row or header.
pub fn is_table_line(line: &str) -> bool {
    let t = line.trim();
    if !t.contains(['\t', '|', '\u{FF5C}', '\u{3000}']) && !t.contains("  ") {
        return false;
    }
    if t.contains('\t')
        || ((t.starts_with('|') || t.starts_with('|')) && t.matches(['|', '|']).count() >= 3)
    {
        return cells(t).len() >= 2;
    }
    let c = cells(t);
    c.len() >= 3 && (c.iter().any(|x| has_number(x)) || c.iter().any(|x| is_header_word(x)))
}

/// A label continued on its own line inside a table (`大兴区及北京经济`, `按区划分`).
pub fn is_wrapped_label(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    (1..=14).contains(&n) && !t.chars().any(|c| c.is_ascii_digit()) && !t.contains(['。', ',', ','])
}

fn is_header_word(c: &str) -> bool {
    [
        "同比",
        "增长",
        "±",
        "单位",
        "指标",
        "项目",
        "本期",
        "累计",
        "绝对数",
        "比上年",
    ]
    .iter()
    .any(|w| c.contains(w))
        || c.contains('月')
        || c.contains("季度")
}

fn unit_cell_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:万亿|亿|万|千)?(?:元|美元|千瓦时|度)$|^[%%]$").expect("unit pattern")
    })
}

fn caption_unit_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"单位[::]\s*((?:万亿|亿|万|千)?(?:元|美元|千瓦时|度))").expect("unit pattern")
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColKind {
    Value,
    Rate,
    Skip,
}

#[derive(Clone, Debug)]
struct Column {
    kind: ColKind,
    period: Option<PeriodHit>,
    region: Option<String>,
}

fn column_kind(h: &str) -> ColKind {
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["占", "比重", "位次", "排名", "排位", "产销率", "份额"]) {
        return ColKind::Skip;
    }
    if has(&["增长", "±", "增减", "增幅", "增速", "%"]) {
        return ColKind::Rate;
    }
    // The previous year's value, as a base (`上年同期`).
    if has(&["上年同期", "去年同期", "上年", "去年"]) {
        return ColKind::Skip;
    }
    ColKind::Value
}

fn strip_label(label: &str) -> String {
    static ENUMERATION: OnceLock<Regex> = OnceLock::new();
    let enumeration = ENUMERATION.get_or_init(|| {
        Regex::new(r"^(?:[一二三四五六七八九十]+、|[0-9]+[.、]|其中[::]?)")
            .expect("enumeration pattern")
    });
    let mut l: String = label.chars().filter(|c| !c.is_whitespace()).collect();
    l = crate::zh::paren_re().replace_all(&l, "").into_owned();
    while let Some(m) = enumeration.find(&l) {
        l = l[m.end()..].to_string();
    }
    l
}

const TOTAL_ROWS: &[&str] = &[
    "合计", "总计", "全市", "全区", "全县", "全省", "全国", "总值", "总量",
];

/// Figures of the table in `doc.text[start..end]`.
pub fn read(doc: &Doc, start: usize, end: usize) -> Vec<Figure> {
    let text = doc.text.as_str();
    let block = &text[start..end];
    // Caption: up to four non-empty lines above the table, and the title.
    let above: Vec<&str> = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
        .collect();
    let mut caption = above.iter().rev().cloned().collect::<Vec<_>>().join("\n");
    if let Some(t) = &doc.title {
        caption = format!("{t}\n{caption}");
    }
    // Header rows above the first data row belong to the caption too (`2017年1-5月  单位:万元`).
    for line in block.lines() {
        if cells(line).iter().skip(1).any(|c| has_number(c)) {
            break;
        }
        caption.push('\n');
        caption.push_str(line);
    }
    let caption_unit = caption_unit_re()
        .captures(&caption)
        .map(|c| c[1].to_string());
    let caption_periods: Vec<PeriodHit> = find_periods(&caption)
        .into_iter()
        .filter(|p| !p.comparative)
        .collect();
    let caption_period = caption_periods.last().cloned();
    let caption_term = doc
        .terms
        .find(&caption)
        .into_iter()
        .find(|t| t.code.is_some());
    let caption_region = above
        .iter()
        .find_map(|l| regions::first_place(l))
        .or_else(|| doc.subject.clone());

    // Rows with their byte ranges; wrapped labels join the row below.
    let mut rows: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut pending_label = String::new();
    let mut pos = start;
    for line in block.split('\n') {
        let (ls, le) = (pos, pos + line.len());
        pos = le + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let mut c = cells(t);
        let numbers = c.iter().filter(|x| has_number(x)).count();
        if numbers == 0 && !is_table_line(t) {
            pending_label.push_str(t);
            continue;
        }
        if numbers > 0 && !pending_label.is_empty() {
            if let Some(first) = c.first_mut() {
                *first = format!("{pending_label}{first}");
            }
            pending_label.clear();
        }
        // A pipe row whose only text is a continuation (`| 邮政业 |  |  |`).
        if numbers == 0 && c.iter().skip(1).all(|x| x.is_empty()) {
            if let Some((_, _, prev)) = rows.last_mut() {
                if let Some(first) = prev.first_mut() {
                    first.push_str(&c[0]);
                }
            }
            continue;
        }
        rows.push((ls, le, c));
    }
    let first_data = rows
        .iter()
        .position(|(_, _, c)| c.iter().skip(1).any(|x| has_number(x)));
    let Some(first_data) = first_data else {
        return Vec::new();
    };
    let headers: Vec<&Vec<String>> = rows[..first_data].iter().map(|r| &r.2).collect();
    let mut out = Vec::new();
    for (ls, le, row) in &rows[first_data..] {
        // Trailing numeric cells are the data; before them, the label and perhaps a unit.
        let mut n_data = 0;
        for c in row.iter().rev() {
            if numeric_cell(c).is_some() && !unit_cell_re().is_match(c) {
                n_data += 1;
            } else {
                break;
            }
        }
        if n_data == 0 || n_data == row.len() {
            continue;
        }
        let lead = &row[..row.len() - n_data];
        let data = &row[row.len() - n_data..];
        let (label_cells, unit) = match lead.last() {
            Some(u) if lead.len() >= 2 && unit_cell_re().is_match(u) => {
                (&lead[..lead.len() - 1], Some(u.clone()))
            }
            _ => (lead, None),
        };
        let label = strip_label(&label_cells.concat());
        let unit = unit.or_else(|| caption_unit.clone());
        let columns = columns_for(&headers, n_data, &caption_period);
        // The indicator of the row.
        let row_terms = doc.terms.find(&label);
        let code_label = match row_terms.first() {
            Some(t) => {
                let prefix = &label[..t.start];
                let ok = t.code.is_some()
                    && prefix
                        .chars()
                        .all(|c| "现价规上模以全社会地方区级县级市级".contains(c));
                if !ok {
                    continue;
                }
                (t.code.clone(), label.clone())
            }
            None if TOTAL_ROWS.iter().any(|w| label == *w) => match &caption_term {
                Some(t) => (t.code.clone(), t.label.clone()),
                None => continue,
            },
            None => continue,
        };
        let (Some(code), label_text) = code_label else {
            continue;
        };
        let above_scale = label_text.contains("规")
            || caption_term
                .as_ref()
                .is_some_and(|t| t.label.contains('规'))
            || caption.contains("规模以上");
        let class = doc.unit_class(&code);
        let mut i = 0;
        while i < n_data {
            let col = &columns[i];
            if col.kind != ColKind::Value && col.kind != ColKind::Rate {
                i += 1;
                continue;
            }
            let (value, rate, period, region) = if col.kind == ColKind::Value {
                let value = numeric_cell(&data[i]).flatten();
                let rate = if i + 1 < n_data && columns[i + 1].kind == ColKind::Rate {
                    numeric_cell(&data[i + 1]).flatten()
                } else {
                    None
                };
                let r = (value, rate, col.period.clone(), col.region.clone());
                i += if rate.is_some() || (i + 1 < n_data && columns[i + 1].kind == ColKind::Rate) {
                    2
                } else {
                    1
                };
                r
            } else {
                let r = (
                    None,
                    numeric_cell(&data[i]).flatten(),
                    col.period.clone(),
                    col.region.clone(),
                );
                i += 1;
                r
            };
            let money = unit.as_deref().and_then(|u| {
                let (mag, word) = split_unit(u)?;
                let base = crate::zh_numbers::base_unit(word)?;
                let fits = match base {
                    "kWh" => class == Some(UnitClass::Energy),
                    _ => class == Some(UnitClass::Currency),
                };
                fits.then(|| (crate::zh_numbers::magnitude(mag), base))
            });
            let (value, unit_s, value_base, base_unit) = match (value, money) {
                (Some(v), Some((Some(mult), base))) => (
                    Some(v),
                    unit.clone(),
                    Some(v * mult),
                    Some(base.to_string()),
                ),
                _ => (None, None, None, None),
            };
            if value.is_none() && rate.is_none() {
                continue;
            }
            let pos = *ls;
            let period = doc.period_of(period.as_ref(), pos, Status::Actual, false);
            out.push(Figure {
                indicator: code.clone(),
                label: label_text.clone(),
                scope: above_scale.then(|| "above_scale".to_string()),
                period,
                value,
                unit: unit_s,
                value_base,
                base_unit,
                comparator: Comparator::Eq,
                yoy_pct: rate,
                status: Status::Actual,
                region: region.or_else(|| caption_region.clone()),
                span: (doc.char_pos(*ls), doc.char_pos(*le)),
            });
        }
    }
    out
}

fn split_unit(u: &str) -> Option<(&str, &str)> {
    for mag in ["万亿", "亿", "万", "千", ""] {
        if let Some(rest) = u.strip_prefix(mag) {
            if crate::zh_numbers::base_unit(rest).is_some() {
                return Some((mag, rest));
            }
        }
    }
    None
}

/// The meaning of the `n` data columns, from the header rows (right-aligned) and the caption.
fn columns_for(
    headers: &[&Vec<String>],
    n: usize,
    caption_period: &Option<PeriodHit>,
) -> Vec<Column> {
    let mut cols: Vec<Column> = (0..n)
        .map(|_| Column {
            kind: ColKind::Value,
            period: caption_period.clone(),
            region: None,
        })
        .collect();
    let Some(last) = headers.last() else {
        // No header: value then growth.
        if n == 2 {
            cols[1].kind = ColKind::Rate;
        }
        return cols;
    };
    let hs: Vec<&String> = last.iter().filter(|h| !h.is_empty()).collect();
    let hs = &hs[hs.len().saturating_sub(n)..];
    let offset = n - hs.len();
    for (j, h) in hs.iter().enumerate() {
        let col = &mut cols[offset + j];
        col.kind = column_kind(h);
        if col.kind == ColKind::Value {
            let ps = find_periods(h);
            if let Some(p) = ps.into_iter().find(|p| !p.comparative) {
                col.period = Some(p);
            } else if h.contains("当月") || h.contains("本月") {
                if let Some(cp) = caption_period {
                    if let crate::zh_periods::Span::Months(_, b) = cp.span {
                        let mut p = cp.clone();
                        p.span = crate::zh_periods::Span::Months(b, b);
                        col.period = Some(p);
                    }
                }
            }
        }
    }
    // Group headers above (regions as columns): spread evenly over the data columns.
    if headers.len() >= 2 {
        let groups: Vec<&String> = headers[headers.len() - 2]
            .iter()
            .filter(|h| {
                !h.is_empty()
                    && !["指标", "项目", "名称", "单位"]
                        .iter()
                        .any(|w| h.replace(char::is_whitespace, "").contains(w))
            })
            .collect();
        if !groups.is_empty() && n.is_multiple_of(groups.len()) {
            let per = n / groups.len();
            for (g, name) in groups.iter().enumerate() {
                let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
                let Some(region) = regions::first_place(&name) else {
                    continue;
                };
                let region = Some(region);
                for c in cols.iter_mut().skip(g * per).take(per) {
                    c.region = region.clone();
                }
            }
        }
    }
    // A rate column's period is its value column's.
    for j in 1..n {
        if cols[j].kind == ColKind::Rate && cols[j - 1].kind == ColKind::Value {
            cols[j].period = cols[j - 1].period.clone();
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_each_rendering() {
        assert_eq!(
            cells("| 生产总值 | 295.4 | 7.7 |"),
            vec!["生产总值", "295.4", "7.7"]
        );
        assert_eq!(
            cells("一、现价工业总产值\t亿元\t9075.6\t-5.6"),
            vec!["一、现价工业总产值", "亿元", "9075.6", "-5.6"]
        );
        assert_eq!(
            cells("全    市                  13604203        -1.5"),
            vec!["全", "市", "13604203", "-1.5"]
        );
        assert!(is_table_line(
            "全    市                  13604203        -1.5          68630320          4.4"
        ));
        assert!(!is_table_line("2022-07-22 16:43:29    来源:萍乡日报"));
        assert_eq!(numeric_cell("--"), Some(None));
        assert_eq!(column_kind("同比增长(%)"), ColKind::Rate);
        assert_eq!(column_kind("±%"), ColKind::Rate);
        assert_eq!(column_kind("2017年1-5月"), ColKind::Value);
        assert_eq!(column_kind("上年同期"), ColKind::Skip);
        assert_eq!(column_kind("比上年同期增长(%)"), ColKind::Rate);
        assert_eq!(column_kind("占全市比重(%)"), ColKind::Skip);
        assert_eq!(strip_label("三、固定资产投资 (不含农户)"), "固定资产投资");
        assert_eq!(strip_label("其中:规模工业总产值"), "规模工业总产值");
    }
}
