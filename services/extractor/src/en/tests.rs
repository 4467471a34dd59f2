//! Reader-level tests: whole (small) articles in, figures out; and the English seeds.

use super::*;
use newsflow_shared::records::{Lang, Script, Source};
use std::str::FromStr;

fn article(title: Option<&str>, published: Option<&str>, text: &str) -> CleanArticle {
    let source = Source {
        path: Some("test.txt".into()),
        published: published.map(str::to_string),
        ..Source::default()
    };
    let mut a = CleanArticle::new(source, Lang::En, Script::Latn, text.to_string());
    a.title = title.map(str::to_string);
    a
}

fn read(a: &CleanArticle) -> Vec<Figure> {
    figures(a, &Taxonomy::embedded())
}

/// `code value_base yoy start..end status comparator`, `-` for null.
fn brief(f: &Figure) -> String {
    let n = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or("-".into());
    format!(
        "{} {} {} {}..{} {:?} {}",
        f.indicator,
        n(f.value_base),
        n(f.yoy_pct),
        f.period.start.as_deref().unwrap_or("-"),
        f.period.end.as_deref().unwrap_or("-"),
        f.status,
        f.comparator.as_str()
    )
}

fn check(text: &str, want: &[&str]) {
    let a = article(Some("Test County: economy"), Some("2023-06-20"), text);
    let got: Vec<String> = read(&a).iter().map(brief).collect();
    assert_eq!(got, want, "\n{text}");
}

#[test]
fn numbers_units_and_growth() {
    check(
        "From January to May, the GDP was RMB 3.26 billion, up 5.2% year-on-year.",
        &["gdp 3260000000 5.2 2023-01..2023-05 Actual ="],
    );
    check(
        "From January to May, exports were US$57.35 million, down 3.5%.",
        &["exports 57350000 -3.5 2023-01..2023-05 Actual ="],
    );
    check(
        "In the first quarter, retail sales of consumer goods reached 1.2 trillion yuan, a year-on-year decrease of 2%.",
        &["retail_sales 1200000000000 -2 2023-01..2023-03 Actual ="],
    );
    check(
        "In the first quarter, the fiscal revenue was 100 million yuan and the tax revenue was 10,000 yuan.",
        &[
            "fiscal_revenue 100000000 - 2023-01..2023-03 Actual =",
            "tax_revenue 10000 - 2023-01..2023-03 Actual =",
        ],
    );
    check(
        "In the first quarter, the electricity consumption was 4.5 billion kilowatt-hours, an increase of 12%.",
        &["electricity_consumption 4500000000 12 2023-01..2023-03 Actual ="],
    );
    check(
        "In the first quarter, exports grew 12% to 5 billion yuan, and industrial investment increased 2.2 times.",
        &[
            "exports 5000000000 12 2023-01..2023-03 Actual =",
            "industrial_investment - 220 2023-01..2023-03 Actual =",
        ],
    );
}

#[test]
fn growth_words_before_or_after() {
    check(
        "In May, GDP was 5 billion yuan, 5% year on year. Exports recorded negative growth of 2%. Imports saw 3% growth and tax revenue a 4% increase. Fiscal revenue slid 1.5%.",
        &[
            "gdp 5000000000 5 2023-05..2023-05 Actual =",
            "exports - -2 2023-05..2023-05 Actual =",
            "imports - 3 2023-05..2023-05 Actual =",
            "tax_revenue - 4 2023-05..2023-05 Actual =",
            "fiscal_revenue - -1.5 2023-05..2023-05 Actual =",
        ],
    );
}

#[test]
fn parallel_clauses_and_respectively_across_clauses() {
    check(
        "In May, fixed asset investment increased by 4.5%, of which infrastructure investment grew 10.2%, manufacturing investment 15.6%, and real estate development investment declined 8.9%.",
        &[
            "fixed_asset_investment - 4.5 2023-05..2023-05 Actual =",
            "infrastructure_investment - 10.2 2023-05..2023-05 Actual =",
            "manufacturing_investment - 15.6 2023-05..2023-05 Actual =",
            "real_estate_investment - -8.9 2023-05..2023-05 Actual =",
        ],
    );
    check(
        "In May, exports were US$1.2 billion, and imports were US$650 million, up 4.5% and 1.1% respectively.",
        &[
            "exports 1200000000 4.5 2023-05..2023-05 Actual =",
            "imports 650000000 1.1 2023-05..2023-05 Actual =",
        ],
    );
}

#[test]
fn a_pronoun_repeats_the_last_indicator() {
    check(
        "From January to May, industrial investment rose 20.3%; in May alone, it rose 8%.",
        &[
            "industrial_investment - 20.3 2023-01..2023-05 Actual =",
            "industrial_investment - 8 2023-05..2023-05 Actual =",
        ],
    );
}

#[test]
fn doubled_and_cumulative() {
    check(
        "In May, exports doubled. In May, the cumulative industrial output value was 3 billion yuan.",
        &[
            "exports - 100 2023-05..2023-05 Actual =",
            "industrial_output 3000000000 - 2023-01..2023-05 Actual =",
        ],
    );
}

#[test]
fn periods_and_years() {
    let cases: &[(&str, &str)] = &[
        ("In Q1, GDP grew by 5%.", "2023-01..2023-03"),
        ("From January to May, GDP grew by 5%.", "2023-01..2023-05"),
        ("In the first five months, GDP grew by 5%.", "2023-01..2023-05"),
        ("In the first half of the year, GDP grew by 5%.", "2023-01..2023-06"),
        ("In the first three quarters, GDP grew by 5%.", "2023-01..2023-09"),
        ("In January and February, GDP grew by 5%.", "2023-01..2023-02"),
        ("In May alone, GDP grew by 5%.", "2023-05..2023-05"),
        ("Since this year, GDP grew by 5%.", "2023-01..-"),
        ("In 2021, GDP grew by 5%.", "2021-01..2021-12"),
        ("Last year, GDP grew by 5%.", "2022-01..2022-12"),
        ("In January-May 2022, GDP grew by 5%.", "2022-01..2022-05"),
        // A comparison is not a period: the paragraph's period still governs.
        (
            "From January to May, GDP grew by 5%, 0.5 percentage points faster than that from January to April.",
            "2023-01..2023-05",
        ),
        // A period governs the following sentences of its paragraph.
        ("In the first quarter, the zone did well. GDP grew by 5%.", "2023-01..2023-03"),
        // A period later in the figure's own clause governs it.
        ("The zone pushed GDP to 5 billion yuan in the first five months.", "2023-01..2023-05"),
    ];
    for (text, want) in cases {
        let a = article(Some("Test County: economy"), Some("2023-06-20"), text);
        let f = read(&a);
        assert_eq!(f.len(), 1, "{text}");
        let got = format!(
            "{}..{}",
            f[0].period.start.as_deref().unwrap_or("-"),
            f[0].period.end.as_deref().unwrap_or("-")
        );
        assert_eq!(&got, want, "{text}");
    }
}

#[test]
fn the_year_comes_from_other_periods_before_the_publication_date() {
    let text = "In 2018 the park will aim to reach GDP of 20 billion yuan.\nIn the first quarter, GDP grew by 5%.";
    let a = article(None, Some("2019-01-05"), text);
    let got: Vec<String> = read(&a).iter().map(brief).collect();
    assert_eq!(
        got,
        [
            "gdp 20000000000 - 2018-01..2018-12 Target =",
            "gdp - 5 2018-01..2018-03 Actual =",
        ]
    );
    // No year anywhere: null bounds.
    let a = article(None, None, "In the first quarter, GDP grew by 5%.");
    assert_eq!(read(&a)[0].period.start, None);
}

#[test]
fn status_and_comparators() {
    check(
        "In 2023, the zone will strive to achieve a regional GDP of 30 billion yuan, an increase of 8%, the fixed asset investment will increase by more than 15%, and the utilization of foreign capital will aim to reach US$50 million.",
        &[
            "gdp 30000000000 8 2023-01..2023-12 Target =",
            "fixed_asset_investment - 15 2023-01..2023-12 Target >=",
            "foreign_capital_utilized 50000000 - 2023-01..2023-12 Target =",
        ],
    );
    check(
        "It is expected that in the first half of the year the total industrial output value will exceed 18 billion yuan.",
        &["industrial_output 18000000000 - 2023-01..2023-06 Forecast >="],
    );
    check(
        "This year, the county plans to keep exports at less than 5 billion yuan and tax revenue at about 2 billion yuan.",
        &[
            "exports 5000000000 - 2023-01..2023-12 Target <=",
            "tax_revenue 2000000000 - 2023-01..2023-12 Target =",
        ],
    );
    check(
        "To achieve the annual target, the zone completed fixed asset investment of 5 billion yuan.",
        &["fixed_asset_investment 5000000000 - -..- Actual ="],
    );
    check(
        "For the whole year, GDP is expected to grow by about 6%.",
        &["gdp - 6 2023-01..2023-12 Forecast ="],
    );
    check(
        "From January to August, industrial investment exceeded 8 billion yuan, a year-on-year increase of 105%. The main indicators have reached the expected targets.",
        &["industrial_investment 8000000000 105 2023-01..2023-08 Actual >="],
    );
}

#[test]
fn a_status_word_heading_a_list_governs_its_items() {
    check(
        "The main expected targets for this year are:\n1. GDP growth of about 6%.\n2. Exports of 5 billion yuan.\nIn May, imports grew 3%.",
        &[
            "gdp - 6 2023-01..2023-12 Target =",
            "exports 5000000000 - 2023-01..2023-12 Target =",
            "imports - 3 2023-05..2023-05 Actual =",
        ],
    );
}

#[test]
fn lists_aligned_by_respectively() {
    check(
        "From January to March, the total industrial output value and industrial added value of the park were 4.611 billion yuan and 1.062 billion yuan respectively, accounting for about 17.9% and 16.2% of the city, and increased by 36.3% and 40.5% respectively compared with the first quarter of last year, and the growth rate rebounded by 62.9 percentage points and 64.6 percentage points respectively.",
        &[
            "industrial_output 4611000000 36.3 2023-01..2023-03 Actual =",
            "industrial_value_added 1062000000 40.5 2023-01..2023-03 Actual =",
        ],
    );
    check(
        "In January and February high-tech industry investment, manufacturing, export growth of 117%, 112% and 57%, respectively.",
        &[
            "high_tech_investment - 117 2023-01..2023-02 Actual =",
            "manufacturing_investment - 112 2023-01..2023-02 Actual =",
            "exports - 57 2023-01..2023-02 Actual =",
        ],
    );
}

#[test]
fn a_list_item_that_is_no_indicator_keeps_its_place() {
    check(
        "In May, GDP, tourism revenue and exports grew by 5%, 10% and 8% respectively.",
        &[
            "gdp - 5 2023-05..2023-05 Actual =",
            "exports - 8 2023-05..2023-05 Actual =",
        ],
    );
    // Values that cannot be aligned give nothing rather than a guess.
    check("In May, exports grew by 5% and 8% respectively.", &[]);
}

#[test]
fn not_indicators_give_nothing() {
    for text in [
        "From January to May, the main indicators grew by more than 20%.",
        "46 key projects with a total investment of 28.6 billion yuan were listed, including 9 projects of more than 1 billion yuan.",
        "The zone set up an industrial investment fund of 2 billion yuan and cashed in 126 million yuan of policy rewards.",
        "The new material industrial park covering 1,200 mu started construction.",
        "In the first quarter, the equipment manufacturing industry realized an output value of 1.248 billion yuan, an increase of 28.8%.",
        "In May, the added value of advanced manufacturing increased by 11.4% year-on-year.",
        "In May, the retail sales of grain, oil and food increased by 60.9%.",
        "In May, the total tourism revenue was 1.32 billion yuan, an increase of 22%.",
        "In May, new projects completed 4.17 billion yuan, accounting for 22.9% of the total fixed asset investment.",
        "In May, the growth rate of fixed asset investment was 5.6 percentage points slower.",
        "In May, the per capita GDP was 150,000 yuan.",
        "In May, the export delivery value was 3 billion yuan.",
        "In May, GDP increased by 1.5 billion yuan over the same period.",
        "In May, tax revenue grew 4% month-on-month.",
        "The city introduced a foreign investment project of more than $100 million this year.",
        "In May, the project's annual industrial output value will reach 10 billion yuan.",
        "After completion, the industrial output value will reach 10 billion yuan and tax revenue 1 billion yuan.",
    ] {
        let a = article(Some("Test County: economy"), Some("2023-06-20"), text);
        let f = read(&a);
        assert!(f.is_empty(), "{text}: {:?}", f.iter().map(brief).collect::<Vec<_>>());
    }
}

#[test]
fn a_threshold_qualifies_an_aggregate_without_being_its_comparator() {
    check(
        "From January to May, the county used funds from outside the province for projects of more than 20 million yuan of 1.441 billion yuan, a year-on-year increase of 9.08%.",
        &["domestic_capital_inflow 1441000000 9.08 2023-01..2023-05 Actual ="],
    );
    check(
        "From January to May, the fixed asset investment of projects of 5 million yuan and above in the county increased by 18.6% year-on-year.",
        &["fixed_asset_investment - 18.6 2023-01..2023-05 Actual ="],
    );
}

#[test]
fn an_aggregate_over_a_project_bracket_is_an_event() {
    check(
        "In May, the investment in projects over 100 million yuan was 2 billion yuan. In May, the fixed asset investment of projects over 100 million yuan increased by 12%.",
        &["fixed_asset_investment - 12 2023-05..2023-05 Actual ="],
    );
}

#[test]
fn regions_scope_and_title_repeats() {
    let text = "Daya Bay Development Zone: the added value of industries above designated size increased by 22.5%\n\nFrom January to May, the added value of industries above designated size was 27.83 billion yuan, an increase of 22.5%. The GDP of Guangdong Province grew by 5%.";
    let a = article(None, Some("2024-07-02"), text);
    let f = read(&a);
    let got: Vec<(String, Option<String>, Option<String>)> = f
        .iter()
        .map(|f| (brief(f), f.region.clone(), f.scope.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "industrial_value_added 27830000000 22.5 2024-01..2024-05 Actual =".to_string(),
                Some("Daya Bay Development Zone".to_string()),
                Some("above_scale".to_string())
            ),
            (
                "gdp - 5 2024-01..2024-05 Actual =".to_string(),
                Some("Guangdong Province".to_string()),
                None
            ),
        ]
    );
    // The evidence span points at the clause in the canonical text.
    let (s, e) = f[0].span;
    let ev: String = text.chars().skip(s).take(e - s).collect();
    assert!(
        ev.starts_with("the added value of industries") && ev.contains("27.83 billion yuan"),
        "{ev}"
    );
}

#[test]
fn a_sub_area_inside_the_subject_is_a_breakdown() {
    let text = "In May, the GDP of the county grew by 5%. Among them, the industrial output value of Jinhua Industrial Park was 3 billion yuan.";
    let a = article(Some("Lianhua County: economy"), Some("2023-06-20"), text);
    let got: Vec<String> = read(&a).iter().map(brief).collect();
    assert_eq!(got, ["gdp - 5 2023-05..2023-05 Actual ="]);
}

#[test]
fn chrome_after_the_article_is_not_read() {
    let text = "In May, GDP grew by 5%.\nRelated news\nHuizhou: the total retail sales of consumer goods in the first five months increased by 5.2%";
    let a = article(Some("Test County: economy"), Some("2023-06-20"), text);
    assert_eq!(read(&a).len(), 1);
}

/// A seed article from the shared corpus (`../shared/corpus` beside the repository, or
/// `NEWSFLOW_CORPUS`).
fn seed(prefix: &str) -> String {
    let dir = std::env::var_os("NEWSFLOW_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        })
        .join("seeds");
    let entry = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus seeds at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("seed {prefix} in {}", dir.display()));
    std::fs::read_to_string(entry.path()).expect("seed is UTF-8")
}

/// The page as the cleaner gives it: title and date as metadata, body only, chrome dropped.
fn as_cleaned(raw: &str) -> CleanArticle {
    let mut lines = raw.lines();
    let title = lines.next().map(str::trim).map(str::to_string);
    let published = lines
        .clone()
        .find_map(|l| l.get(..10).filter(|d| d.as_bytes().get(4) == Some(&b'-')))
        .map(str::to_string);
    let body: Vec<&str> = lines
        .filter(|l| !l.trim().is_empty() && !DATE_LINE.is_match(l))
        .map(|l| l.split("Declaration:").next().unwrap_or(l).trim())
        .collect();
    article(title.as_deref(), published.as_deref(), &body.join("\n"))
}

fn seed_cases(raw: &str) -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "raw page",
            read(&article(None, None, raw)).iter().map(brief).collect(),
        ),
        (
            "cleaned",
            read(&as_cleaned(raw)).iter().map(brief).collect(),
        ),
    ]
}

#[test]
fn seed_000_huaian_list_of_five_rates_up_to_now() {
    let raw = seed("000_");
    for (how, got) in seed_cases(&raw) {
        assert_eq!(
            got,
            [
                "industrial_output - 22.7 2022-01..- Actual =",
                "industrial_value_added - 7.1 2022-01..- Actual =",
                "fixed_asset_investment - 16.3 2022-01..- Actual =",
                "industrial_investment - 32.5 2022-01..- Actual =",
                "foreign_trade - 21.2 2022-01..- Actual =",
            ],
            "{how}"
        );
    }
    let f = read(&as_cleaned(&raw));
    assert!(f
        .iter()
        .all(|f| f.region.as_deref() == Some("Huai ‘an Industrial Park")));
}

#[test]
fn seed_002_elided_list_in_january_and_february() {
    let raw = seed("002_");
    for (how, got) in seed_cases(&raw) {
        assert_eq!(
            got,
            [
                "high_tech_investment - 117 2022-01..2022-02 Actual =",
                "manufacturing_investment - 112 2022-01..2022-02 Actual =",
                "exports - 57 2022-01..2022-02 Actual =",
            ],
            "{how}"
        );
    }
}

#[test]
fn numbers_are_exact_decimals() {
    let a = article(
        None,
        Some("2023-01-01"),
        "In May, exports were 0.1 billion yuan.",
    );
    let f = read(&a);
    assert_eq!(
        f[0].value_base,
        Some(Decimal::from_str("100000000").unwrap())
    );
    assert_eq!(f[0].value, Some(Decimal::from_str("0.1").unwrap()));
}
