//! Per-document tests on the Chinese seeds, through the real cleaner: seed 001 prints its body
//! twice (each figure once), seed 003 is Traditional with pinyin (targets), seed 004 states no
//! indicator figure at all.

use newsflow_extractor::{extract, Taxonomy};
use newsflow_shared::records::{IndicatorEvent, RawArticle};
use std::path::Path;

fn events(seed: &str) -> Vec<IndicatorEvent> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/seeds");
    let file = std::fs::read_dir(&dir)
        .expect("seeds directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(seed))
        })
        .expect("seed file");
    let raw = RawArticle {
        source_path: file.display().to_string(),
        received_at: None,
        bytes: std::fs::read(&file).expect("readable seed").into(),
    };
    let article = newsflow_cleaner::clean(&raw).expect("seed cleans");
    extract(&article, &Taxonomy::embedded())
}

fn line(e: &IndicatorEvent) -> String {
    let n = |x: &Option<serde_json::Number>| x.as_ref().map_or("-".to_string(), |n| n.to_string());
    format!(
        "{} {} {} {}..{} {} {}",
        e.indicator,
        n(&e.value_base),
        n(&e.yoy_pct),
        e.period.start.as_deref().unwrap_or("?"),
        e.period.end.as_deref().unwrap_or("?"),
        serde_json::to_value(e.status).unwrap().as_str().unwrap(),
        e.comparator,
    )
}

#[test]
fn seed_001_twice_printed_body_gives_each_figure_once() {
    let got: Vec<String> = events("001").iter().map(line).collect();
    assert_eq!(
        got,
        [
            "fiscal_revenue 1790000000 8.8 2022-01..2022-05 actual =",
            "industrial_output 32600000000 6.7 2022-01..2022-05 actual =",
            "fixed_asset_investment 8700000000 10 2022-01..2022-05 actual =",
            "industrial_investment 4218000000 16.2 2022-01..2022-05 actual =",
            "tech_renovation_investment 836000000 147.1 2022-01..2022-05 actual =",
            "domestic_capital_inflow 5160000000 9.8 2022-01..2022-05 forecast =",
            "foreign_capital_utilized 57350000 13 2022-01..2022-05 forecast =",
            "foreign_capital_cash 17940000 - 2022-01..2022-05 actual =",
            "exports 8400000000 25 2022-01..2022-05 actual =",
        ]
    );
    let ev = events("001");
    assert!(ev.iter().all(|e| e.region.as_deref() == Some("萍乡经开区")));
    // Evidence is the text at the span.
    assert!(ev[0].evidence.contains("财政总收入17.9亿元"));
}

#[test]
fn seed_003_traditional_targets() {
    let ev = events("003");
    let got: Vec<String> = ev.iter().map(line).collect();
    assert_eq!(
        got,
        [
            "industrial_output 26800000000 - 2022-01..2022-03 target >=",
            "industrial_value_added - 18 2022-01..2022-03 target =",
            "tech_renovation_investment 2300000000 - 2022-01..2022-03 target >=",
        ]
    );
    assert!(ev.iter().all(|e| e.region.as_deref() == Some("钟祥市")));
}

#[test]
fn seed_004_gives_no_event() {
    assert!(events("004").is_empty());
}

/// Any piece of any corpus article (cut at every 29th char, both ends) reads without a panic.
#[test]
fn truncated_articles_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let taxonomy = Taxonomy::embedded();
    for sub in ["seeds", "dev/articles"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        for f in rd.filter_map(|e| e.ok().map(|e| e.path())) {
            let raw = RawArticle {
                source_path: f.display().to_string(),
                received_at: None,
                bytes: std::fs::read(&f).expect("readable").into(),
            };
            let Ok(article) = newsflow_cleaner::clean(&raw) else {
                continue;
            };
            let chars: Vec<char> = article.text.chars().collect();
            for cut in (0..chars.len()).step_by(29) {
                for piece in [&chars[..cut], &chars[cut..]] {
                    let mut a = article.clone();
                    a.text = piece.iter().collect();
                    let _ = extract(&a, &taxonomy);
                }
            }
        }
    }
}
