//! The generated feed: N articles made from the corpus so that most are new stories and a
//! realistic share are duplicates, deterministic for a given seed.
//!
//! * A new article is a corpus article (UTF-8 text) whose body sentences are replaced, each with
//!   probability ½, by sentences of other corpus articles of the same language, and whose
//!   numbers are all changed (amounts scaled, years shifted), so texts and figures differ. Some
//!   are served as an HTML portal page, some Chinese ones in GBK.
//! * An exact re-drop is an earlier file's bytes again under a new name.
//! * A near copy is an earlier article with a reposting line, an inserted phrase and an end
//!   mark (same figures); an HTML copy is an earlier article wrapped in a portal page.
//!
//! Copies are taken from earlier articles at least [`COPY_GAP`] items back (when there are
//! that many), as a feed re-publishes stories, not the file just before.

use crate::corpus::CorpusFile;
use std::collections::VecDeque;

/// Earlier articles a copy may be made of: at least this many items back (when possible).
pub const COPY_GAP: usize = 64;
/// How many earlier new articles a copy is drawn from (bounds memory on long runs).
const HISTORY: usize = 4096;

/// Shares of each kind of item (the rest are new articles).
const SHARE_EXACT: f64 = 0.06;
const SHARE_NEAR: f64 = 0.10;
const SHARE_HTML_COPY: f64 = 0.03;
/// Of the new articles: served as HTML pages, and (Chinese ones) encoded as GBK.
const SHARE_NEW_HTML: f64 = 0.10;
const SHARE_NEW_GBK: f64 = 0.05;

/// What an item is meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A new article as a text dump (UTF-8).
    New,
    /// A new article as an HTML page.
    NewHtml,
    /// A new Chinese article as a GBK text dump.
    NewGbk,
    /// An earlier file's bytes under another name.
    ExactRedrop,
    /// An earlier article lightly edited (same figures).
    NearCopy,
    /// An earlier article as an HTML page.
    HtmlCopy,
}

impl ItemKind {
    pub const ALL: [ItemKind; 6] = [
        ItemKind::New,
        ItemKind::NewHtml,
        ItemKind::NewGbk,
        ItemKind::ExactRedrop,
        ItemKind::NearCopy,
        ItemKind::HtmlCopy,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ItemKind::New => "new_text",
            ItemKind::NewHtml => "new_html",
            ItemKind::NewGbk => "new_gbk",
            ItemKind::ExactRedrop => "exact_redrop",
            ItemKind::NearCopy => "near_copy",
            ItemKind::HtmlCopy => "html_copy",
        }
    }

    /// Whether the item is meant to be a duplicate of an earlier one.
    pub fn is_copy(self) -> bool {
        matches!(
            self,
            ItemKind::ExactRedrop | ItemKind::NearCopy | ItemKind::HtmlCopy
        )
    }
}

/// One file of the feed.
#[derive(Clone, Debug)]
pub struct FeedItem {
    /// File name in the inbox (also its `Newsflow-Source-Path`).
    pub name: String,
    pub bytes: Vec<u8>,
    pub kind: ItemKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

struct Base {
    lines: Vec<String>,
    lang: Lang,
}

/// An earlier new article a copy can be made of.
struct Earlier {
    index: usize,
    text: String,
    lang: Lang,
    /// The file as dropped (for exact re-drops).
    file: (String, Vec<u8>),
}

/// Small, fast, deterministic PRNG (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Makes the feed, item after item.
pub struct Generator {
    bases: Vec<Base>,
    zh_pool: Vec<String>,
    en_pool: Vec<String>,
    rng: Rng,
    history: VecDeque<Earlier>,
    made: usize,
}

impl Generator {
    /// A generator over the UTF-8 text files of `corpus`. Fails if there are none.
    pub fn new(corpus: &[CorpusFile], seed: u64) -> anyhow::Result<Self> {
        let mut bases = Vec::new();
        let mut zh_pool = Vec::new();
        let mut en_pool = Vec::new();
        for f in corpus.iter().filter(|f| !f.is_html()) {
            let Ok(text) = std::str::from_utf8(&f.bytes) else {
                continue;
            };
            let lang = if text.chars().filter(|c| is_cjk(*c)).count() * 10 > text.chars().count() {
                Lang::Zh
            } else {
                Lang::En
            };
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            for line in &lines {
                if is_prose(line) {
                    let pool = match lang {
                        Lang::Zh => &mut zh_pool,
                        Lang::En => &mut en_pool,
                    };
                    pool.extend(
                        sentences(line)
                            .into_iter()
                            .filter(|s| s.chars().count() >= 12)
                            .map(str::to_string),
                    );
                }
            }
            bases.push(Base { lines, lang });
        }
        anyhow::ensure!(
            !bases.is_empty(),
            "the corpus has no UTF-8 text article to generate the feed from"
        );
        Ok(Generator {
            bases,
            zh_pool,
            en_pool,
            rng: Rng::new(seed ^ 0x6E65_7773_666C_6F77),
            history: VecDeque::new(),
            made: 0,
        })
    }

    /// The next `n` items, named `{prefix}{index:06}.{ext}`.
    pub fn take(&mut self, n: usize, prefix: &str) -> Vec<FeedItem> {
        (0..n).map(|_| self.next_item(prefix)).collect()
    }

    fn next_item(&mut self, prefix: &str) -> FeedItem {
        let index = self.made;
        self.made += 1;
        let r = self.rng.unit();
        // History is in index order, so the entries old enough form a prefix.
        let eligible = if index < 2 * COPY_GAP {
            self.history.len()
        } else {
            self.history
                .partition_point(|e| e.index + COPY_GAP <= index)
        };
        if eligible > 0 && r < SHARE_EXACT + SHARE_NEAR + SHARE_HTML_COPY {
            // Eligible entries are the oldest ones (history is in index order).
            let pick = self.rng.below(eligible);
            let earlier = &self.history[pick];
            if r < SHARE_EXACT {
                let ext = extension(&earlier.file.0);
                return FeedItem {
                    name: format!("{prefix}{index:06}.{ext}"),
                    bytes: earlier.file.1.clone(),
                    kind: ItemKind::ExactRedrop,
                };
            }
            if r < SHARE_EXACT + SHARE_NEAR {
                let text = near_copy(&earlier.text, earlier.lang);
                return FeedItem {
                    name: format!("{prefix}{index:06}.txt"),
                    bytes: text.into_bytes(),
                    kind: ItemKind::NearCopy,
                };
            }
            let page = html_page(&earlier.text);
            return FeedItem {
                name: format!("{prefix}{index:06}.html"),
                bytes: page.into_bytes(),
                kind: ItemKind::HtmlCopy,
            };
        }

        let base_idx = self.rng.below(self.bases.len());
        let lang = self.bases[base_idx].lang;
        let text = self.new_text(base_idx);
        let form = self.rng.unit();
        let (name, bytes, kind) = if form < SHARE_NEW_HTML {
            (
                format!("{prefix}{index:06}.html"),
                html_page(&text).into_bytes(),
                ItemKind::NewHtml,
            )
        } else if form < SHARE_NEW_HTML + SHARE_NEW_GBK && lang == Lang::Zh {
            let (gbk, _, _) = encoding_rs::GBK.encode(&text);
            (
                format!("{prefix}{index:06}.txt"),
                gbk.into_owned(),
                ItemKind::NewGbk,
            )
        } else {
            (
                format!("{prefix}{index:06}.txt"),
                text.clone().into_bytes(),
                ItemKind::New,
            )
        };
        self.history.push_back(Earlier {
            index,
            text,
            lang,
            file: (name.clone(), bytes.clone()),
        });
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
        FeedItem { name, bytes, kind }
    }

    /// A new story from base `base_idx`: body sentences remixed, numbers changed.
    fn new_text(&mut self, base_idx: usize) -> String {
        let lang = self.bases[base_idx].lang;
        let year_shift = self.rng.below(7) as i64 - 3;
        let mut out = String::new();
        for li in 0..self.bases[base_idx].lines.len() {
            let line = &self.bases[base_idx].lines[li];
            if is_prose(line) {
                let parts: Vec<String> = sentences(line).into_iter().map(str::to_string).collect();
                for s in parts {
                    let pool = match lang {
                        Lang::Zh => &self.zh_pool,
                        Lang::En => &self.en_pool,
                    };
                    if !pool.is_empty() && self.rng.unit() < 0.5 {
                        let pick = self.rng.below(pool.len());
                        out.push_str(&pool[pick]);
                    } else {
                        out.push_str(&s);
                    }
                }
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        perturb_numbers(&out, year_shift, &mut self.rng)
    }
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("txt")
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// A line of running text (not a title, a meta line or a table row).
fn is_prose(line: &str) -> bool {
    let chars = line.chars().count();
    chars >= 40 && sentences(line).len() >= 2
}

/// The sentences of a line, each with its closing punctuation; a '.' between digits (a decimal
/// point) does not end a sentence.
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        let ends = match c {
            '。' | '!' | '?' | '！' | '？' | '；' | ';' => true,
            '.' => {
                let next = chars.get(i + 1).map(|&(_, n)| n);
                let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
                !(prev.is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|n| n.is_ascii_digit()))
            }
            _ => false,
        };
        if ends {
            let end = pos + c.len_utf8();
            if end > start {
                out.push(&line[start..end]);
            }
            start = end;
        }
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// Every number changed: years (1990–2035) shifted by `year_shift`, numbers under 32 (months,
/// days, ordinals) kept, anything else scaled by a factor in [0.6, 1.4) with its decimals kept;
/// a three-digit group after a thousands comma gets new digits.
fn perturb_numbers(text: &str, year_shift: i64, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let b = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_end = i;
        let mut frac_end = i;
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            frac_end = i + 1;
            while frac_end < b.len() && b[frac_end].is_ascii_digit() {
                frac_end += 1;
            }
        }
        i = frac_end;
        let int_part = &text[start..int_end];
        let decimals = frac_end.saturating_sub(int_end + 1);
        let after_comma = start > 0 && b[start - 1] == b',';
        let replacement = if after_comma && int_part.len() == 3 && decimals == 0 {
            format!("{:03}", rng.below(1000))
        } else if decimals == 0 && int_part.len() > 9 {
            // Long digit strings (ids, phone numbers) are not figures: leave them.
            continue;
        } else {
            let Ok(v) = text[start..frac_end].parse::<f64>() else {
                continue;
            };
            if decimals == 0 && (1990.0..=2035.0).contains(&v) && int_part.len() == 4 {
                format!("{}", v as i64 + year_shift)
            } else if decimals == 0 && v < 32.0 {
                continue;
            } else {
                let scaled = v * (0.6 + 0.8 * rng.unit());
                format!("{scaled:.decimals$}")
            }
        };
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = frac_end;
    }
    out.push_str(&text[copied..]);
    out
}

/// An earlier article re-posted: a reposting line on top, a phrase inserted after the first
/// sentence of the body, an end mark. Same figures.
fn near_copy(text: &str, lang: Lang) -> String {
    let (top, insert, end) = match lang {
        Lang::Zh => ("转载自合作网站", "据了解,", "(完)"),
        Lang::En => (
            "Reposted from a partner site",
            "Reportedly, ",
            " (End of article)",
        ),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(body) = lines.iter_mut().find(|l| is_prose(l)) {
        let parts = sentences(body);
        if parts.len() >= 2 {
            let first_len = parts[0].len();
            body.insert_str(first_len, insert);
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(top);
    out.push('\n');
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push_str(end);
    out.push('\n');
    out
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The article as a news portal serves it: navigation, scripts, breadcrumb, a title, the body
/// in paragraphs, a footer.
pub fn html_page(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let title = escape_html(lines.next().unwrap_or(""));
    let mut paras = String::new();
    for l in lines {
        paras.push_str("<p>");
        paras.push_str(&escape_html(l));
        paras.push_str("</p>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}_新闻中心</title>\n\
         <script>var _hmt = _hmt || []; (function() {{ var hm = 1; }})();</script>\n\
         <link rel=\"stylesheet\" href=\"/css/main.css\"></head>\n<body>\n\
         <div class=\"nav\"><a href=\"/\">首页</a> | <a href=\"/news/\">新闻</a> | \
         <a href=\"/gov/\">政务公开</a> | <a href=\"/data/\">数据发布</a></div>\n\
         <div class=\"breadcrumb\">当前位置:<a href=\"/\">首页</a> &gt; 新闻中心</div>\n\
         <div class=\"article\"><h1>{title}</h1>\n<div class=\"info\">来源:本网 &nbsp; \
         【字号:大 中 小】 <a href=\"javascript:window.print();\">打印</a></div>\n\
         <div class=\"content\">\n{paras}</div></div>\n\
         <div class=\"footer\">版权所有 © 新闻中心 | 网站地图 | 联系我们</div>\n</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<CorpusFile> {
        vec![
            CorpusFile {
                name: "a.txt".into(),
                bytes: "某市经济运行情况\n来源:统计局\n\n2023年1-5月,全市规模以上工业增加值完成281.5亿元,同比增长4.9%。固定资产投资完成1,234亿元,增长7.2%。社会消费品零售总额达到5391.9亿元。\n"
                    .as_bytes()
                    .to_vec(),
            },
            CorpusFile {
                name: "b.txt".into(),
                bytes: "Zone report\n\nFrom January to August, the zone completed industrial output of 32.54 billion yuan, up 33.3%.Fixed asset investment reached 11.76 billion yuan.Tax revenue was 1.86 billion yuan.\n"
                    .as_bytes()
                    .to_vec(),
            },
        ]
    }

    #[test]
    fn decimal_points_do_not_split_sentences() {
        let s = sentences("Output was 32.54 billion.Tax rose.");
        assert_eq!(s, vec!["Output was 32.54 billion.", "Tax rose."]);
    }

    #[test]
    fn numbers_change_but_keep_their_shape() {
        let mut rng = Rng::new(7);
        let t = perturb_numbers("2023年1-5月完成281.5亿元,共1,234户", 1, &mut rng);
        assert!(t.starts_with("2024年1-5月完成"), "{t}");
        assert!(!t.contains("281.5"), "{t}");
        assert!(t.contains("亿元,共1,"), "{t}");
    }

    #[test]
    fn feed_is_deterministic_and_mixed() {
        let a = Generator::new(&corpus(), 1).unwrap().take(500, "t");
        let b = Generator::new(&corpus(), 1).unwrap().take(500, "t");
        assert_eq!(a.len(), 500);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.bytes == y.bytes && x.name == y.name));
        let copies = a.iter().filter(|i| i.kind.is_copy()).count();
        assert!(copies > 25 && copies < 200, "{copies} copies");
        let names: std::collections::HashSet<_> = a.iter().map(|i| &i.name).collect();
        assert_eq!(names.len(), 500);
    }
}
