//! A figure found in the text, before it becomes an [`IndicatorEvent`]: the one neutral form
//! that the Chinese, English and table readers all produce, so event ids, evidence, number
//! rendering and de-duplication are done once, here.

use newsflow_shared::records::{
    sha256_hex, CleanArticle, IndicatorEvent, Period, Status, INDICATOR_SCHEMA,
};
use rust_decimal::Decimal;

/// Version of the extraction rules; bump when the rules change what is emitted.
pub const EXTRACTOR_VERSION: &str = concat!("newsflow-extractor/", env!("CARGO_PKG_VERSION"));

/// `"="`, `">="`, `"<="`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Comparator {
    #[default]
    Eq,
    Ge,
    Le,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ge => ">=",
            Comparator::Le => "<=",
        }
    }
}

/// One figure of one indicator, with everything an event needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Taxonomy code.
    pub indicator: String,
    /// The term as written in the text.
    pub label: String,
    /// `Some("above_scale")` for 规上/规模以上/规模 figures.
    pub scope: Option<String>,
    pub period: Period,
    /// The number as written, in `unit`.
    pub value: Option<Decimal>,
    /// Unit as written (`亿元`, `万美元`, `yuan`, …).
    pub unit: Option<String>,
    /// `value` in the base unit.
    pub value_base: Option<Decimal>,
    /// `CNY`, `USD`, `kWh`.
    pub base_unit: Option<String>,
    pub comparator: Comparator,
    pub yoy_pct: Option<Decimal>,
    pub status: Status,
    pub region: Option<String>,
    /// Char offsets `[start, end)` of the evidence clause in the canonical text.
    pub span: (usize, usize),
}

/// Exact JSON number from a decimal (no float round trip).
pub fn json_number(d: Decimal) -> serde_json::Number {
    // A normalised Decimal prints as a plain decimal literal, which is always valid JSON.
    d.normalize()
        .to_string()
        .parse()
        .expect("a decimal literal is a JSON number")
}

/// The substring of `text` between char offsets `start..end`.
pub fn char_slice(text: &str, start: usize, end: usize) -> &str {
    let b0 = byte_offset(text, start);
    let b1 = b0 + byte_offset(&text[b0..], end.saturating_sub(start));
    &text[b0..b1]
}

/// Byte offset of char number `chars` in `text` (its length if there are fewer chars).
fn byte_offset(text: &str, chars: usize) -> usize {
    let mut rest = text.chars();
    if chars > 0 && rest.nth(chars - 1).is_none() {
        return text.len();
    }
    text.len() - rest.as_str().len()
}

/// A period of whole months of one year: `YYYY-MM` … `YYYY-MM`; `end_month` `None` for an open
/// period (`今年以来` with no month). `year` `None` gives null bounds (year unknown).
pub fn month_period(
    label: &str,
    year: Option<i32>,
    start_month: u32,
    end_month: Option<u32>,
) -> Period {
    let ym = |m: u32| year.map(|y| format!("{y:04}-{m:02}"));
    Period {
        label: Some(label.to_string()),
        start: ym(start_month),
        end: end_month.and_then(ym),
    }
}

impl Figure {
    /// Stable identity: the same figure of the same article always has the same id. It is built
    /// from the canonical text alone (article id, span, indicator, period, numbers), never from
    /// metadata: two copies of one article with other titles resolve the subject region
    /// differently, and must still give one id per figure. A region joins the key only when the
    /// evidence names it, which keeps apart two places' figures read from one clause.
    pub fn event_id(&self, article: &CleanArticle) -> String {
        self.event_id_of(article, char_slice(&article.text, self.span.0, self.span.1))
    }

    /// [`Self::event_id`] with the evidence already cut out of the text.
    fn event_id_of(&self, article: &CleanArticle, evidence: &str) -> String {
        let named_region = self
            .region
            .as_deref()
            .filter(|r| !r.is_empty() && evidence.contains(r))
            .unwrap_or("");
        let key = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            article.article_id,
            self.indicator,
            self.period.start.as_deref().unwrap_or(""),
            self.period.end.as_deref().unwrap_or(""),
            self.value_base
                .map(|d| d.normalize().to_string())
                .unwrap_or_default(),
            self.yoy_pct
                .map(|d| d.normalize().to_string())
                .unwrap_or_default(),
            named_region,
            self.span.0,
            self.span.1,
        );
        sha256_hex(key.as_bytes())
    }

    /// The event for this figure of `article`.
    pub fn into_event(self, article: &CleanArticle) -> IndicatorEvent {
        let evidence = char_slice(&article.text, self.span.0, self.span.1);
        IndicatorEvent {
            schema: INDICATOR_SCHEMA.to_string(),
            event_id: self.event_id_of(article, evidence),
            article_id: article.article_id.clone(),
            source: article.source.clone(),
            region: self.region,
            indicator: self.indicator,
            label: self.label,
            scope: self.scope,
            period: self.period,
            value: self.value.map(json_number),
            unit: self.unit,
            value_base: self.value_base.map(json_number),
            base_unit: self.base_unit,
            comparator: self.comparator.as_str().to_string(),
            yoy_pct: self.yoy_pct.map(json_number),
            status: self.status,
            evidence: evidence.to_string(),
            span: [self.span.0, self.span.1],
            lang: article.lang,
            extractor_version: EXTRACTOR_VERSION.to_string(),
        }
    }
}

/// Test fixture: 萍乡's fiscal revenue, Jan–May 2022, 17.9亿元, with no growth rate.
#[cfg(test)]
pub(crate) fn sample_figure(region: &str, span: (usize, usize)) -> Figure {
    use std::str::FromStr;
    Figure {
        indicator: "fiscal_revenue".into(),
        label: "财政总收入".into(),
        scope: None,
        period: month_period("1至5月", Some(2022), 1, Some(5)),
        value: Some(Decimal::from_str("17.9").unwrap()),
        unit: Some("亿元".into()),
        value_base: Some(Decimal::from(1_790_000_000u64)),
        base_unit: Some("CNY".into()),
        comparator: Comparator::Eq,
        yoy_pct: None,
        status: Status::Actual,
        region: Some(region.into()),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn numbers_are_exact() {
        let v = Decimal::from_str("42.18").unwrap() * Decimal::from(100_000_000u64);
        assert_eq!(json_number(v).to_string(), "4218000000");
        assert_eq!(
            json_number(Decimal::from_str("8.80").unwrap()).to_string(),
            "8.8"
        );
        assert_eq!(
            json_number(Decimal::from_str("-3.5").unwrap()).to_string(),
            "-3.5"
        );
    }

    #[test]
    fn month_periods() {
        let p = month_period("1至5月", Some(2022), 1, Some(5));
        assert_eq!(
            (p.start.as_deref(), p.end.as_deref()),
            (Some("2022-01"), Some("2022-05"))
        );
        let p = month_period("今年以来", Some(2022), 1, None);
        assert_eq!((p.start.as_deref(), p.end), (Some("2022-01"), None));
        assert_eq!(month_period("5月", None, 5, Some(5)).start, None);
    }

    #[test]
    fn event_ids_do_not_depend_on_metadata() {
        use newsflow_shared::records::{Lang, Script, Source};
        let text = "1至5月,全区财政总收入17.9亿元。全省和全国均增长7%。".to_string();
        let a = CleanArticle::new(Source::default(), Lang::Zh, Script::Hans, text.clone());
        let mut b = a.clone();
        b.title = Some("另一个标题".into());
        let fig = |region: &str, span: (usize, usize)| sample_figure(region, span);
        // Subject region resolved from two different titles: one id.
        assert_eq!(
            fig("萍乡经开区", (0, 20)).event_id(&a),
            fig("萍乡市", (0, 20)).event_id(&b)
        );
        // Two places named in one clause: two ids.
        let clause = "全省和全国均增长7%。";
        let start = text.chars().count() - clause.chars().count();
        let span = (start, text.chars().count());
        assert_eq!(char_slice(&a.text, span.0, span.1), clause);
        assert_ne!(
            fig("全省", span).event_id(&a),
            fig("全国", span).event_id(&a)
        );
    }

    #[test]
    fn char_slices_count_chars_not_bytes() {
        assert_eq!(char_slice("财政总收入17.9亿元", 0, 5), "财政总收入");
        assert_eq!(char_slice("财政总收入17.9亿元", 5, 9), "17.9");
        assert_eq!(char_slice("abc", 1, 10), "bc");
        assert_eq!(char_slice("abc", 5, 10), "");
        assert_eq!(char_slice("a€b", 2, 1), "");
        // Agrees with decoding char by char over mixed widths (1-4 bytes).
        let text = "a萍😀é1至5月,b";
        let n = text.chars().count();
        for start in 0..=n + 1 {
            for end in start..=n + 1 {
                let want: String = text.chars().skip(start).take(end - start).collect();
                assert_eq!(char_slice(text, start, end), want, "{start}..{end}");
            }
        }
    }
}
