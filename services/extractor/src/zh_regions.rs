//! Places in Chinese text (SPEC §5 Regions): the gazetteer of provinces and prefecture-level
//! cities (`data/regions.txt`), place names recognised by their suffix (`涪陵区`, `萍乡经开区`),
//! the article's subject, and `全区`/`全市`/`全县`/`全省`/`该区` resolved against it.

use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::sync::OnceLock;

const GAZETTEER: &str = include_str!("../data/regions.txt");

/// Administrative level of a place, as far as `全X` words are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Nation,
    Province,
    City,
    County,
    District,
}

/// A gazetteer entry.
#[derive(Clone, Debug)]
struct Place {
    full: String,
    province: String,
    level: Level,
}

struct Gazetteer {
    /// Every written form (full and short), longest first by the matcher.
    matcher: AhoCorasick,
    forms: Vec<String>,
    places: Vec<Place>,
    /// form index → place index.
    form_place: Vec<usize>,
    by_full: HashMap<String, usize>,
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut places = Vec::new();
        let mut forms = Vec::new();
        let mut form_place = Vec::new();
        let mut add = |places: &mut Vec<Place>, p: Place, written: &[&str]| {
            let idx = places.len();
            for w in written {
                forms.push((*w).to_string());
                form_place.push(idx);
            }
            places.push(p);
        };
        for line in GAZETTEER.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((head, cities)) = line.split_once(':') else {
                continue;
            };
            let mut head = head.split_whitespace();
            let (Some(full), Some(short)) = (head.next(), head.next()) else {
                continue;
            };
            let cities: Vec<&str> = cities.split_whitespace().collect();
            let municipality = cities.len() == 1 && cities[0] == short;
            let province = Place {
                full: full.to_string(),
                province: full.to_string(),
                level: if municipality {
                    Level::City
                } else {
                    Level::Province
                },
            };
            add(&mut places, province, &[full, short]);
            if municipality {
                continue;
            }
            for c in cities {
                let suffixed = c.ends_with("自治州") || c.ends_with("地区") || c.ends_with('盟');
                let city_full = if suffixed {
                    c.to_string()
                } else {
                    format!("{c}市")
                };
                let p = Place {
                    full: city_full.clone(),
                    province: full.to_string(),
                    level: Level::City,
                };
                if suffixed {
                    add(&mut places, p, &[c]);
                } else {
                    add(&mut places, p, &[&city_full, c]);
                }
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&forms)
            .expect("gazetteer forms build a matcher");
        let by_full = places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.full.clone(), i))
            .collect();
        Gazetteer {
            matcher,
            forms,
            places,
            form_place,
            by_full,
        }
    })
}

/// Place-name suffixes, longest first.
const SUFFIXES: &[&str] = &[
    "经济技术开发区",
    "高新技术产业开发区",
    "经济开发区",
    "工业园区",
    "开发区",
    "高新区",
    "经开区",
    "新区",
    "园区",
    "自治县",
    "自治州",
    "省",
    "市",
    "县",
    "区",
];

/// Words ending in a place suffix that are not places.
const NOT_PLACES: &[&str] = &[
    "地区", "市场", "城区", "社区", "辖区", "山区", "景区", "片区", "小区", "园区", "城市", "都市",
    "区域", "省市", "市区", "县区", "县市", "设区", "分区",
];

/// Relative place words and the level they name.
pub const RELATIVE: &[(&str, Level)] = &[
    ("全国", Level::Nation),
    ("全省", Level::Province),
    ("我省", Level::Province),
    ("本省", Level::Province),
    ("全州", Level::City),
    ("全市", Level::City),
    ("我市", Level::City),
    ("本市", Level::City),
    ("该市", Level::City),
    ("全县", Level::County),
    ("我县", Level::County),
    ("本县", Level::County),
    ("该县", Level::County),
    ("全区", Level::District),
    ("我区", Level::District),
    ("本区", Level::District),
    ("该区", Level::District),
];

/// The level a place name is at, from its suffix.
pub fn level_of(name: &str) -> Level {
    if name == "全国" || name == "中国" {
        Level::Nation
    } else if let Some(&i) = gazetteer().by_full.get(name) {
        gazetteer().places[i].level
    } else if name.ends_with('省') || name.ends_with("自治区") {
        Level::Province
    } else if name.ends_with('市') || name.ends_with("自治州") || name.ends_with('盟') {
        Level::City
    } else if name.ends_with('县') || name.ends_with('旗') {
        Level::County
    } else {
        Level::District
    }
}

/// A place mention in a text: char-independent byte range and canonical name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub name: String,
}

/// Gazetteer places named in `text` (`郑州`, `湖南省`, `平顶山市`), canonical full names. A short
/// form glued to a lower-level suffix (`朝阳区`) is that district, not the city.
pub fn gazetteer_mentions(text: &str) -> Vec<Mention> {
    let g = gazetteer();
    let mut out = Vec::new();
    for m in g.matcher.find_iter(text) {
        let form = &g.forms[m.pattern().as_usize()];
        let place = &g.places[g.form_place[m.pattern().as_usize()]];
        let after = text[m.end()..].chars().next();
        let is_short = form != &place.full;
        if is_short && matches!(after, Some('区' | '县' | '镇' | '乡' | '路' | '街' | '村'))
        {
            continue;
        }
        out.push(Mention {
            start: m.start(),
            end: m.end(),
            name: place.full.clone(),
        });
    }
    out
}

/// The province a gazetteer city belongs to.
pub fn province_of(name: &str) -> Option<String> {
    let g = gazetteer();
    let i = *g.by_full.get(name)?;
    (g.places[i].level == Level::City).then(|| g.places[i].province.clone())
}

/// The gazetteer city a name starts with (`萍乡经开区` → `萍乡市`, `常州市武进区` → `常州市`).
pub fn city_prefix_of(name: &str) -> Option<String> {
    let m = gazetteer_mentions(name).into_iter().next()?;
    (m.start == 0 && level_of(&m.name) == Level::City && m.name != name).then_some(m.name)
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A place written with a suffix at the start of `run` (a run of Han characters): `涪陵区经济…`
/// → `涪陵区`, `国家级开发区上半年…` → `国家级开发区`.
pub fn suffix_place_at_start(run: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    let max = chars.len().min(14);
    for n in 2..=max {
        let end = chars.get(n).map(|&(b, _)| b).unwrap_or(run.len());
        let cand = &run[..end];
        for suf in SUFFIXES {
            if cand.ends_with(suf) && cand.chars().count() > suf.chars().count() {
                // Longer suffix forms (`工业园区`) extend the same name: look one char ahead.
                let next = &run[end..];
                if SUFFIXES.iter().any(|s| {
                    s.len() > suf.len() && s.ends_with(suf) && (cand.to_string() + next).contains(s)
                }) && next.starts_with('区')
                {
                    continue;
                }
                if NOT_PLACES.contains(&cand)
                    || cand.ends_with("地区")
                    || cand.starts_with(['全', '我', '该', '本', '各', '其'])
                    || cand.contains([
                        '在', '的', '是', '和', '与', '从', '对', '比', '为', '了', '增', '居',
                        '排',
                    ])
                    || cand.contains("统计")
                {
                    return None;
                }
                return Some(cand.to_string());
            }
        }
    }
    None
}

/// Leading period and filler words stripped before looking for a place at the start of a run.
fn strip_leading(run: &str) -> &str {
    let mut s = run;
    loop {
        let before = s;
        for w in [
            "月份",
            "月",
            "前三季度",
            "上半年",
            "下半年",
            "季度",
            "年度",
            "年",
            "今年",
            "份",
            "以来",
        ] {
            if let Some(r) = s.strip_prefix(w) {
                s = r;
            }
        }
        if let Some(r) = s.strip_prefix(|c: char| "一二三四五六七八九十至前".contains(c))
        {
            if r.starts_with(['月', '季', '至']) {
                s = r;
            }
        }
        if s == before {
            return s;
        }
    }
}

/// The first place named in a headline-like text (title, lead sentence, source name).
pub fn first_place(text: &str) -> Option<String> {
    if text.contains("国家统计局") {
        return Some("全国".to_string());
    }
    let gaz = gazetteer_mentions(text).into_iter().next();
    let mut suffix: Option<(usize, String)> = None;
    let mut pos = 0;
    for run in text.split(|c: char| !is_han(c)) {
        let start = pos;
        pos += run.len()
            + text[pos + run.len()..]
                .chars()
                .next()
                .map_or(0, |c| c.len_utf8());
        let stripped = strip_leading(run);
        if let Some(p) = suffix_place_at_start(stripped) {
            suffix = Some((start + (run.len() - stripped.len()), p));
            break;
        }
    }
    match (gaz, suffix) {
        (Some(g), Some((s, p))) => {
            // `常州经开区` starts with the gazetteer's 常州: the longer, suffixed name wins.
            if s <= g.start {
                Some(p)
            } else {
                Some(g.name)
            }
        }
        (Some(g), None) => Some(g.name),
        (None, Some((_, p))) => Some(p),
        (None, None) => None,
    }
}

/// The place a publishing body speaks for (`北京市统计局` → `北京市`).
pub fn place_of_publisher(source: &str) -> Option<String> {
    if source.contains("国家统计局") {
        return Some("全国".to_string());
    }
    let mut s = source.trim();
    for suf in [
        "统计局",
        "人民政府",
        "政府",
        "管委会",
        "管理委员会",
        "经信局",
        "发改委",
        "融媒体中心",
        "统计信息网",
    ] {
        if let Some(r) = s.find(suf) {
            s = &s[..r];
        }
    }
    if s.is_empty() {
        return None;
    }
    if gazetteer().by_full.contains_key(s) {
        return Some(s.to_string());
    }
    let p = suffix_place_at_start(s)?;
    (p == s).then_some(p)
}

/// The canonical name for a bare place (`邢台` → `邢台市`).
pub fn canonical(name: &str) -> String {
    match gazetteer_mentions(name).into_iter().next() {
        Some(m) if m.start == 0 && m.end == name.len() => m.name,
        _ => name.to_string(),
    }
}

/// What `全区`/`全市`/`全县`/`全省`/`全国` (and 我市, 该区 …) mean in an article about `subject`.
/// `enclosing_city`/`province` are the units above the subject found in the article.
pub fn resolve_relative(
    level: Level,
    subject: Option<&str>,
    enclosing_city: Option<&str>,
    province: Option<&str>,
) -> Option<String> {
    if level == Level::Nation {
        return Some("全国".to_string());
    }
    let subject = subject?;
    let subject_level = level_of(subject);
    if subject_level == level || subject_level == Level::Nation {
        return Some(subject.to_string());
    }
    match level {
        Level::Province => province.map(str::to_string),
        Level::City if subject_level == Level::Province => Some(subject.to_string()),
        Level::City => enclosing_city.map(str::to_string),
        // A county or a district word in a report about a park, county or district.
        _ => Some(subject.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_from_titles() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2025年前三季度涪陵区经济运行情况简析", Some("涪陵区")),
            ("秦安县1-5月份经济运行情况", Some("秦安县")),
            (
                "国家级开发区上半年主要经济指标大幅增长",
                Some("国家级开发区"),
            ),
            (
                "西安高新区上半年主要经济指标实现“双过半”",
                Some("西安高新区"),
            ),
            ("统计局:1-5月常州市工业经济稳中有进", Some("常州市")),
            ("长沙前4月全社会用电量增长7.1%", Some("长沙市")),
            ("常州经开区召开党工委(扩大)会议", Some("常州经开区")),
            (
                "上半年苏州工业园区实际利用外资15.6亿美元",
                Some("苏州工业园区"),
            ),
            ("邢台1—5月份规上工业增加值同比增长7.6%", Some("邢台市")),
            (
                "曾都经济开发区瞄准规模工业产值200亿元",
                Some("曾都经济开发区"),
            ),
            ("1—7月份天津市规模以上工业增加值增长5.1%", Some("天津市")),
            ("四月份西城区主要经济指标完成情况", Some("西城区")),
            (
                "国家统计局:2018年5月份规模以上工业增加值增长6.8%",
                Some("全国"),
            ),
            ("2023年全市规上工业增加值增速居全省第7位", None),
            ("1-5月全县主要经济指标运行情况", None),
        ];
        for (t, want) in cases {
            assert_eq!(first_place(t).as_deref(), *want, "{t}");
        }
    }

    #[test]
    fn publishers() {
        assert_eq!(
            place_of_publisher("北京市统计局").as_deref(),
            Some("北京市")
        );
        assert_eq!(
            place_of_publisher("乳源瑶族自治县统计局").as_deref(),
            Some("乳源瑶族自治县")
        );
        assert_eq!(place_of_publisher("萍乡日报"), None);
    }

    #[test]
    fn relative_words_resolve_by_level() {
        let r = |l, s: &str| resolve_relative(l, Some(s), Some("平顶山市"), Some("河南省"));
        assert_eq!(r(Level::County, "郏县").as_deref(), Some("郏县"));
        assert_eq!(r(Level::City, "郏县").as_deref(), Some("平顶山市"));
        assert_eq!(r(Level::Province, "郏县").as_deref(), Some("河南省"));
        assert_eq!(r(Level::Nation, "郏县").as_deref(), Some("全国"));
        assert_eq!(
            r(Level::District, "萍乡经开区").as_deref(),
            Some("萍乡经开区")
        );
        assert_eq!(r(Level::City, "钟祥市").as_deref(), Some("钟祥市"));
        assert_eq!(province_of("朔州市").as_deref(), Some("山西省"));
        assert_eq!(city_prefix_of("萍乡经开区").as_deref(), Some("萍乡市"));
        assert_eq!(canonical("郑州"), "郑州市");
    }

    #[test]
    fn short_city_forms_glued_to_a_district_are_not_the_city() {
        assert!(gazetteer_mentions("朝阳区").is_empty());
        assert_eq!(gazetteer_mentions("湖南全省")[0].name, "湖南省");
    }
}
