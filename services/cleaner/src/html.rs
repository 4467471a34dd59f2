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
    /// Element ids (tree node ids as ordinal) of the block's ancestors, nearest first.
    ancestors: Vec<usize>,
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
                ancestors: self.stack.iter().rev().copied().collect(),
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

    fn walk(&mut self, el: ElementRef, in_link: bool) {
        let name = el.value().name();
        if SKIP.contains(&name) || self.is_chrome_element(el.value()) {
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
                        self.walk(child_el, link);
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
                ancestors: self.stack.iter().rev().copied().collect(),
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

/// Parse an HTML page into blocks (each with its origin) and head hints.
pub fn parse(html: &str, markers: &Markers) -> HtmlPage {
    let doc = Html::parse_document(html);
    let hints = head_hints(&doc);
    let mut walker = Walker {
        markers,
        blocks: Vec::new(),
        cur: String::new(),
        cur_links: 0,
        stack: Vec::new(),
        next_id: 0,
    };
    walker.walk(doc.root_element(), false);
    walker.flush();
    let blocks = walker.blocks;

    // Score containers: a block's score goes to its parent and half to its grandparent
    // (`ancestors[0]` is the block's own element, or the table of a row).
    let mut scores: HashMap<usize, f64> = HashMap::new();
    for b in &blocks {
        let s = block_score(b);
        if s <= 0.0 {
            continue;
        }
        if let Some(&p) = b.ancestors.get(1) {
            *scores.entry(p).or_default() += s;
        }
        if let Some(&g) = b.ancestors.get(2) {
            *scores.entry(g).or_default() += s / 2.0;
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
    let blocks = blocks
        .into_iter()
        .map(|b| {
            let origin = match best {
                Some(id) if !b.ancestors.contains(&id) => Origin::Outside,
                _ => Origin::Main,
            };
            (b, origin)
        })
        .collect();
    HtmlPage { blocks, hints }
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
        let page = parse(html, Markers::get());
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
}
