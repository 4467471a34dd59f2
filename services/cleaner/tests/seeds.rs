//! The five seed pages (exactly what newsrooms send) come out right: chrome gone, every body
//! paragraph present exactly once, metadata read, seed 003 Simplified without pinyin, seed 004's
//! related/hot/latest lists gone.

use newsflow_cleaner::clean;
use newsflow_e2e::corpus_dir;
use newsflow_shared::records::{CleanArticle, Lang, RawArticle, Script};

fn seed_path(prefix: &str) -> std::path::PathBuf {
    let dir = corpus_dir().join("seeds");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("seeds dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    entries.sort();
    entries.pop().expect("seed file")
}

fn seed(prefix: &str) -> (CleanArticle, String) {
    let path = seed_path(prefix);
    let bytes = std::fs::read(&path).expect("read seed");
    let raw_text = String::from_utf8(bytes.clone()).expect("seeds are UTF-8");
    let raw = RawArticle {
        source_path: format!("seeds/{}", path.file_name().unwrap().to_string_lossy()),
        received_at: None,
        bytes: bytes.into(),
    };
    (clean(&raw).expect("seed cleans"), raw_text)
}

/// `needle` (whitespace-collapsed) occurs in `text` exactly once.
fn assert_once(text: &str, needle: &str) {
    let needle: String = needle.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = text.matches(needle.as_str()).count();
    assert_eq!(
        n, 1,
        "expected once ({n} times): {needle}\n--- text:\n{text}"
    );
}

fn assert_absent(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(
            !text.contains(n),
            "chrome left in the text: {n}\n--- text:\n{text}"
        );
    }
}

#[test]
fn seed_000_english_with_footer_glued_on() {
    let (a, _) = seed("000_");
    assert_eq!(a.lang, Lang::En);
    assert_eq!(a.script, Script::Latn);
    assert_eq!(
        a.title.as_deref(),
        Some("Huai ‘an Industrial Park: adhere to the “cultivate stock, expand increment”, the economic operation is stable and good")
    );
    assert_eq!(a.source.published.as_deref(), Some("2022-05-27"));
    assert_absent(
        &a.text,
        &[
            "Declaration",
            "copyright",
            "Email address",
            "0 By",
            "2022-05-27",
        ],
    );
    assert_once(&a.text, "a stable and good start in the first quarter");
    assert_once(&a.text, "take solid steps. First, the whole process of operation and monitoring. In strict accordance");
    assert_once(
        &a.text,
        "increased by 22.7%, 7.1%, 16.3%, 32.5%, and 21.2% year-on-year respectively.",
    );
    assert!(
        a.text.ends_with("will maintain double-digit growth."),
        "{}",
        a.text
    );
    assert_eq!(a.text.lines().count(), 1);
}

#[test]
fn seed_001_body_twice_in_the_page_kept_once() {
    let (a, raw) = seed("001_");
    assert_eq!(a.lang, Lang::Zh);
    assert_eq!(a.script, Script::Hans);
    assert_eq!(
        a.title.as_deref(),
        Some("萍乡经开区做强工业经济推动高质量发展")
    );
    assert_eq!(a.source.published.as_deref(), Some("2022-07-22T16:43:29"));
    assert_eq!(a.source.name.as_deref(), Some("萍乡日报"));
    assert_eq!(a.author.as_deref(), Some("韩睿佳、吴申良"));
    assert_eq!(a.editor.as_deref(), Some("肖文忠"));
    // The five body paragraphs of the page, each present exactly once.
    let paragraphs: Vec<&str> = raw
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().count() > 100)
        .collect();
    assert_eq!(paragraphs.len(), 10, "the page holds the body twice");
    for p in &paragraphs[..5] {
        assert_once(&a.text, p);
    }
    assert_eq!(a.text.lines().count(), 5);
    assert!(
        a.text.starts_with("(韩睿佳、记者吴申良)今年以来"),
        "real parentheses stay"
    );
    assert_absent(
        &a.text,
        &[
            "新闻热线",
            "QQ爆料",
            "稿件请投",
            "相关新闻",
            "网友留言",
            "中国人保",
            "集团报刊",
            "县市区共青城",
            "字体",
            "萍乡论坛",
            "微信公众号",
            "热忱欢迎",
            "来源",
            "编辑",
            "萍乡头条",
            "2022-07-22",
        ],
    );
}

#[test]
fn seed_002_english_glued_sentences() {
    let (a, _) = seed("002_");
    assert_eq!(a.lang, Lang::En);
    assert_eq!(a.source.published.as_deref(), Some("2022-06-06"));
    assert_absent(&a.text, &["Declaration", "jpbl@jp.jiupainews.com", "0 By"]);
    assert_once(
        &a.text,
        "are listed first in the city. Focus on the transformation",
    );
    assert_once(&a.text, "golden Phoenix. Centering on the key project");
    assert_once(&a.text, "export growth of 117%, 112% and 57%, respectively");
    assert_once(&a.text, "more than $100 million this year");
}

#[test]
fn seed_003_traditional_with_pinyin() {
    let (a, _) = seed("003_");
    assert_eq!(a.lang, Lang::Zh);
    assert_eq!(a.script, Script::Hant, "script as received");
    assert_eq!(a.source.name.as_deref(), Some("荆门市经信局"));
    assert_eq!(a.editor.as_deref(), Some("杜莉"));
    assert!(a.source.published.is_none());
    // Simplified, no pinyin left anywhere.
    let pinyin = regex::Regex::new(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)").unwrap();
    assert!(!pinyin.is_match(&a.text), "pinyin left: {}", a.text);
    assert_absent(
        &a.text,
        &[
            "鐘祥",
            "進",
            "規",
            "業",
            "來源",
            "来源",
            "编辑",
            "网友评论",
            "浏览",
        ],
    );
    assert_once(
        &a.text,
        "一季度,钟祥市抓超常措施激能,抓技改进规提能,抓增长点扩能,全力以赴稳工业增长。",
    );
    assert_once(&a.text, "钟祥市提出一季度工业产值完成268亿元以上,全市规模工业增加值增速18%,新增规模工业企业8家以上。");
    assert_once(&a.text, "力争一季度工业技改投资达23亿元以上。");
    assert_once(&a.text, "培育一批行业排头兵企业。");
    assert_eq!(a.text.lines().count(), 4);
}

#[test]
fn seed_004_related_hot_latest_lists_are_chrome() {
    let (a, raw) = seed("004_");
    assert_eq!(
        a.title.as_deref(),
        Some("全力以赴拼经济抓投资 奋力冲刺“开门红”")
    );
    assert_eq!(a.source.name.as_deref(), Some("禹州市融媒体中心"));
    assert!(a.source.published.is_none());
    let body: Vec<&str> = raw
        .lines()
        .skip(9)
        .take(11)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(body.len(), 6);
    for p in &body {
        assert_once(&a.text, p);
    }
    assert_eq!(a.text.lines().count(), 6);
    assert_absent(
        &a.text,
        &[
            "相关阅读",
            "热门文章",
            "最新文章",
            "连江可门",
            "全球最大",
            "温州",
            "郴州",
            "吴小平",
            "济南轨道交通",
            "仙湖植物园",
            "服务粉丝",
            "我们一直在努力",
            "当前位置",
            "来源",
            "•",
        ],
    );
}
