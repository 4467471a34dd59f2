//! HTML pages → lines for [`crate::page`]. Parsed with a real HTML5 parser (`scraper`, i.e.
//! html5ever); script/style/nav/aside/footer/forms and containers whose class or id names chrome
//! are dropped; the rest becomes blocks in reading order with their link density; a data
//! `<table>` becomes one line per row with cells separated by a tab. The main-content container
//! is the element that collects the most prose score (readability-style: text length and commas
//! of paragraphs, discounted by link density); blocks outside it may only give title/metadata.

use crate::markers::Markers;
use crate::meta::normalise_date;
use crate::normalize::collapse_ws;
use crate::page::{Hints, Origin};
use scraper::{ElementRef, Html, Node};
use std::collections::HashMap;

/// A block of text from the page.
#[derive(Debug, Clone)]
pub struct Block {
    pub text: String,
    pub link_chars: usize,
    pub is_table_row: bool,
    /// Id of the nearest enclosing block element (or the table of a row); 0 = none. Its
    /// ancestors are found through [`Walker::parents`], so a block costs O(1) memory however
    /// deep it sits.
    element: usize,
}

/// Lines of a page and what its `<head>` says.
pub struct HtmlPage {
    pub blocks: Vec<(Block, Origin)>,
    pub hints: Hints,
}

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "footer", "form", "iframe", "svg",
    "button", "select", "input", "textarea", "object", "embed", "canvas", "head", "map", "audio",
    "video",
];

const BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "center",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "figure",
    "figcaption",
    "address",
    "hr",
    "body",
    "html",
    "font-block",
];

struct Walker<'m> {
    markers: &'m Markers,
    blocks: Vec<Block>,
    cur: String,
    cur_links: usize,
    stack: Vec<usize>,
    next_id: usize,
    /// `parents[id]` is the id of the block element enclosing element `id` (0 = none); ids are
    /// given in document order, so a parent's id is always smaller than its child's.
    parents: Vec<usize>,
}

impl Walker<'_> {
    fn flush(&mut self) {
        let text = collapse_ws(&self.cur);
        if !text.is_empty() {
            let link_chars = self.cur_links.min(text.chars().count());
            self.blocks.push(Block {
                text,
                link_chars,
                is_table_row: false,
                element: self.stack.last().copied().unwrap_or(0),
            });
        }
        self.cur.clear();
        self.cur_links = 0;
    }

    fn is_chrome_element(&self, el: &scraper::node::Element) -> bool {
        let role_nav = el
            .attr("role")
            .is_some_and(|r| matches!(r, "navigation" | "banner" | "contentinfo" | "search"));
        role_nav
            || el.id().is_some_and(|v| self.markers.is_html_chrome_attr(v))
            || el
                .attr("class")
                .is_some_and(|v| self.markers.is_html_chrome_attr(v))
    }

    fn walk(&mut self, el: ElementRef, in_link: bool, depth: usize) {
        let name = el.value().name();
        if SKIP.contains(&name) || self.is_chrome_element(el.value()) {
            return;
        }
        if depth >= MAX_WALK_DEPTH {
            // Deeper than any real page: take the subtree's text flat (an iterative traversal),
            // so that no input can exhaust the stack.
            self.flush();
            for t in el.text() {
                self.cur.push_str(t);
            }
            self.flush();
            return;
        }
        if name == "table" && is_data_table(el) {
            self.flush();
            let id = self.enter();
            self.table(el);
            self.leave(id);
            return;
        }
        let is_block = BLOCK.contains(&name);
        let id = if is_block {
            self.flush();
            Some(self.enter())
        } else {
            None
        };
        let link = in_link || name == "a";
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    self.cur.push_str(t);
                    if link {
                        self.cur_links += t.chars().filter(|c| !c.is_whitespace()).count();
                    }
                }
                Node::Element(e) => {
                    if e.name() == "br" {
                        self.flush();
                    } else if let Some(child_el) = ElementRef::wrap(child) {
                        self.walk(child_el, link, depth + 1);
                    }
                }
                _ => {}
            }
        }
        if let Some(id) = id {
            self.flush();
            self.leave(id);
        }
    }

    fn enter(&mut self) -> usize {
        self.next_id += 1;
        self.parents.push(self.stack.last().copied().unwrap_or(0));
        self.stack.push(self.next_id);
        self.next_id
    }

    fn leave(&mut self, _id: usize) {
        self.stack.pop();
    }

    fn table(&mut self, table: ElementRef) {
        for row in descendants_named(table, "tr") {
            let cells: Vec<String> = row
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name(), "td" | "th"))
                .map(|c| collapse_ws(&c.text().collect::<Vec<_>>().join(" ")).replace('\t', " "))
                .collect();
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            let text = if cells.len() == 1 {
                cells[0].clone()
            } else {
                cells.join("\t")
            };
            self.blocks.push(Block {
                text,
                link_chars: 0,
                is_table_row: cells.len() > 1,
                element: self.stack.last().copied().unwrap_or(0),
            });
        }
    }
}

fn descendants_named<'a>(
    el: ElementRef<'a>,
    name: &'a str,
) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .filter(move |e| e.value().name() == name)
}

/// A table of data (not page layout): no nested tables or long paragraphs in its cells.
fn is_data_table(table: ElementRef) -> bool {
    let nested = table
        .descendants()
        .skip(1)
        .filter_map(ElementRef::wrap)
        .any(|e| matches!(e.value().name(), "table" | "p" | "div" | "ul" | "h1" | "h2"));
    if nested {
        return false;
    }
    let cells_ok = descendants_named(table, "td")
        .all(|td| td.text().map(|t| t.chars().count()).sum::<usize>() <= 200);
    // Rows of several cells make a data table; a column of one-cell rows is layout.
    let (mut rows, mut multi) = (0usize, 0usize);
    for tr in descendants_named(table, "tr") {
        rows += 1;
        let cells = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .count();
        multi += usize::from(cells >= 2);
    }
    cells_ok && multi >= 1 && multi * 2 >= rows
}

/// Readability-style score of a prose block.
fn block_score(b: &Block) -> f64 {
    let n = b.text.chars().count();
    if b.is_table_row {
        return 1.0;
    }
    if n < 20 {
        return 0.0;
    }
    let commas = b.text.matches([',', ',', '、', '。']).count();
    let density = b.link_chars as f64 / n as f64;
    (1.0 + commas as f64 + (n as f64 / 100.0).min(3.0)) * (1.0 - density)
}

fn head_hints(doc: &Html) -> Hints {
    let mut hints = Hints::default();
    let mut h1: Option<String> = None;
    let mut title: Option<String> = None;
    for node in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let el = node.value();
        match el.name() {
            "h1" if h1.is_none() => {
                let t = collapse_ws(&node.text().collect::<String>());
                if !t.is_empty() {
                    h1 = Some(t);
                }
            }
            "title" if title.is_none() => {
                let t = collapse_ws(&node.text().collect::<String>());
                if !t.is_empty() {
                    title = Some(t);
                }
            }
            "meta" => {
                let key = el
                    .attr("name")
                    .or_else(|| el.attr("property"))
                    .or_else(|| el.attr("itemprop"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(content) = el.attr("content") else {
                    continue;
                };
                match key.as_str() {
                    "pubdate"
                    | "publishdate"
                    | "publish_date"
                    | "publishtime"
                    | "article:published_time"
                    | "og:published_time"
                    | "datepublished"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "firstpublishedtime"
                    | "created"
                    | "sailthru.date"
                    | "parsely-pub-date"
                        if hints.published.is_none() =>
                    {
                        hints.published = normalise_date(content);
                    }
                    "source" | "contentsource" => {
                        let v = collapse_ws(content);
                        if hints.source.is_none() && !v.is_empty() {
                            hints.source = Some(v);
                        }
                    }
                    "author" | "article:author" => {
                        let v = collapse_ws(content);
                        if hints.author.is_none() && !v.is_empty() {
                            hints.author = Some(v);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    // `<title>` usually carries the site: `Headline_Section_Site` or `Headline - Site`.
    let from_title = title.map(|t| {
        t.split(['_', '|'])
            .next()
            .unwrap_or(&t)
            .split(" - ")
            .next()
            .unwrap_or(&t)
            .trim()
            .to_string()
    });
    hints.title = h1.or(from_title).filter(|t| !t.is_empty());
    hints
}

/// Parse an HTML page into blocks (each with its origin) and head hints. A page over the
/// [`check_complexity`] limits is refused before it is parsed.
pub fn parse(html: &str, markers: &Markers) -> Result<HtmlPage, TooComplex> {
    check_complexity(html)?;
    let doc = Html::parse_document(html);
    let hints = head_hints(&doc);
    let mut walker = Walker {
        markers,
        blocks: Vec::new(),
        cur: String::new(),
        cur_links: 0,
        stack: Vec::new(),
        next_id: 0,
        parents: vec![0],
    };
    walker.walk(doc.root_element(), false, 0);
    walker.flush();
    let blocks = walker.blocks;
    let parents = walker.parents;
    let parent = |id: usize| parents.get(id).copied().unwrap_or(0);

    // Score containers: a block's score goes to its parent and half to its grandparent
    // (`element` is the block's own element, or the table of a row).
    let mut scores: HashMap<usize, f64> = HashMap::new();
    for b in &blocks {
        let s = block_score(b);
        if s <= 0.0 || b.element == 0 {
            continue;
        }
        let p = parent(b.element);
        if p != 0 {
            *scores.entry(p).or_default() += s;
            let g = parent(p);
            if g != 0 {
                *scores.entry(g).or_default() += s / 2.0;
            }
        }
    }
    let best = scores
        .iter()
        .max_by(|a, b| {
            a.1.partial_cmp(b.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.0.cmp(a.0))
        })
        .map(|(&id, _)| id);
    // Which elements lie inside the best container, in one pass (parents come first).
    let inside: Vec<bool> = match best {
        Some(best) => {
            let mut inside = vec![false; parents.len()];
            for id in 1..parents.len() {
                inside[id] = id == best || inside[parents[id]];
            }
            inside
        }
        None => Vec::new(),
    };
    let blocks = blocks
        .into_iter()
        .map(|b| {
            let origin = match best {
                Some(_) if !inside.get(b.element).copied().unwrap_or(false) => Origin::Outside,
                _ => Origin::Main,
            };
            (b, origin)
        })
        .collect();
    Ok(HtmlPage { blocks, hints })
}

/// Element nesting the walker follows; deeper content is taken as flat text.
const MAX_WALK_DEPTH: usize = 256;

/// Most tags a page may have (a long real page has tens of thousands).
pub const MAX_HTML_TAGS: usize = 500_000;

/// Deepest estimated nesting of elements that need a closing tag (a real page stays under a
/// hundred). The HTML parser's scope checks cost time proportional to the nesting for every end
/// tag, so a page nested thousands deep is refused before it is parsed.
pub const MAX_HTML_DEPTH: usize = 1_000;

/// Why a page is refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error(
        "HTML has more than {max} tags (MAX_HTML_TAGS); refused as too complex to parse safely"
    )]
    Tags { max: usize },
    #[error("HTML nests elements more than {max} deep (MAX_HTML_DEPTH); refused as too complex to parse safely")]
    Depth { max: usize },
}

/// Elements never closed by a tag, or closed implicitly by the next sibling: not counted in the
/// nesting estimate.
const NOT_NESTING: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"keygen",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"option",
    b"optgroup",
    b"thead",
    b"tbody",
    b"tfoot",
    b"colgroup",
    b"caption",
    b"html",
    b"head",
    b"body",
    b"rb",
    b"rt",
    b"rp",
];

/// Elements whose content is raw text up to their end tag (`<div>` inside a script is text).
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"noscript",
];

/// A linear scan of the markup (no tree built) that counts tags and estimates the nesting of
/// elements that need an end tag; refuses pages over [`MAX_HTML_TAGS`] or [`MAX_HTML_DEPTH`].
pub fn check_complexity(html: &str) -> Result<(), TooComplex> {
    let b = html.as_bytes();
    let (mut tags, mut depth) = (0usize, 0usize);
    let mut i = 0usize;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = find(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let start = i + usize::from(closing);
        let end = start
            + b[start..]
                .iter()
                .position(|c| !c.is_ascii_alphanumeric())
                .unwrap_or(b.len() - start);
        if end == start || !b[start].is_ascii_alphabetic() {
            continue; // `<` in text, `<!doctype`, `<?xml`
        }
        let name = b[start..end].to_ascii_lowercase();
        let gt = b[end..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(b.len(), |p| end + p);
        let self_closing = gt > end && b[gt - 1] == b'/';
        i = gt.min(b.len());
        tags += 1;
        if tags > MAX_HTML_TAGS {
            return Err(TooComplex::Tags { max: MAX_HTML_TAGS });
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        if RAW_TEXT.contains(&name.as_slice()) {
            let mut close = b"</".to_vec();
            close.extend_from_slice(&name);
            i = find_ignore_case(b, i, &close).unwrap_or(b.len());
            continue;
        }
        if self_closing || NOT_NESTING.contains(&name.as_slice()) {
            continue;
        }
        depth += 1;
        if depth > MAX_HTML_DEPTH {
            return Err(TooComplex::Depth {
                max: MAX_HTML_DEPTH,
            });
        }
    }
    Ok(())
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_ignore_case(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_content_table_and_chrome() {
        let html = r#"<html><head><title>标题_网站</title><meta name="PubDate" content="2022-06-01 10:00"></head>
        <body><div class="nav"><a href="/">首页</a> | <a>政务</a></div>
        <div class="main"><h1>西城区经济</h1><div class="content">
        <p>1-5月,全区规模以上工业企业累计完成工业总产值281.5亿元,比上年同期增长4.9%。</p>
        <p>全区一般公共预算支出累计213.6亿元,同比增长24.5%,增幅较大。</p>
        <table><tr><td>指标</td><td>本期</td></tr><tr><td>工业总产值<br>(亿元)</td><td>281.5</td></tr></table>
        </div><div class="share">分享到:<a>微信</a></div></div>
        <footer>版权所有</footer></body></html>"#;
        let page = parse(html, Markers::get()).unwrap();
        assert_eq!(page.hints.title.as_deref(), Some("西城区经济"));
        assert_eq!(page.hints.published.as_deref(), Some("2022-06-01T10:00:00"));
        let main: Vec<&str> = page
            .blocks
            .iter()
            .filter(|(_, o)| *o == Origin::Main)
            .map(|(b, _)| b.text.as_str())
            .collect();
        assert!(main.iter().any(|t| t.starts_with("1-5月")));
        assert!(main.contains(&"工业总产值 (亿元)\t281.5"));
        assert!(!main
            .iter()
            .any(|t| t.contains("分享") || t.contains("版权") || t.contains("首页")));
    }

    #[test]
    fn nesting_and_tag_count_are_bounded_before_parsing() {
        let nested = |n: usize, tag: &str| {
            let mut s = format!("<html><body>{}", format!("<{tag}>").repeat(n));
            s.push_str("text");
            s.push_str(&format!("</{tag}>").repeat(n));
            s
        };
        assert_eq!(check_complexity(&nested(MAX_HTML_DEPTH, "div")), Ok(()));
        assert_eq!(
            check_complexity(&nested(MAX_HTML_DEPTH + 1, "div")),
            Err(TooComplex::Depth {
                max: MAX_HTML_DEPTH
            })
        );
        // Siblings, implicitly closed and void elements, tags inside scripts and comments do
        // not nest.
        let flat = "<div>a</div>".repeat(5_000)
            + &"<p>a<li>b<br><img src=x>".repeat(5_000)
            + &format!("<script>{}</script>", "'<div>'+".repeat(5_000))
            + &format!("<!--{}-->", "<div>".repeat(5_000));
        assert_eq!(check_complexity(&flat), Ok(()));
        assert_eq!(
            check_complexity(&"<b/>".repeat(MAX_HTML_TAGS + 1)),
            Err(TooComplex::Tags { max: MAX_HTML_TAGS })
        );
        let e = parse(&nested(5_000, "span"), Markers::get()).err().unwrap();
        assert!(e.to_string().contains("MAX_HTML_DEPTH"), "{e}");
    }

    #[test]
    fn content_deeper_than_the_walker_follows_is_kept_as_flat_text() {
        // Under the nesting limit but deeper than the walker recurses: no stack overflow, the
        // text survives.
        let n = MAX_HTML_DEPTH - 10;
        let html = format!(
            "<html><body>{}<p>国家统计局发布数据,一季度全市生产总值同比增长5.3%,规模以上工业增加值增长6.1%。</p>{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let page = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || parse(&html, Markers::get()).unwrap())
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert!(page.blocks.iter().any(|(b, _)| b.text.contains("增长5.3%")));
    }
}
