//! From the lines of a page to the article: each line is classified (chrome, related-list,
//! navigation, metadata, table row, prose, heading), the body is the span between the first and
//! the last body anchor (prose paragraphs and tables with figures), repeated paragraphs are kept
//! once, and metadata lines become fields. Text dumps, HTML blocks and JSON bodies all end here.

use crate::markers::Markers;
use crate::meta::{parse_meta_line, MetaFields};
use crate::normalize::{collapse_ws, is_han, split_glued_sentences};
use std::collections::HashSet;

/// Where a line of an HTML page sits relative to its main-content container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Inside the main content (or a text dump, where everything is).
    Main,
    /// Outside it: may give the title or metadata, never body.
    Outside,
}

/// One line of a page, after width folding and pinyin removal.
#[derive(Clone, Debug)]
pub struct PageLine {
    /// As received (original script), when it differs from `canon`: used for the title.
    pub original: Option<String>,
    /// Simplified form: used for everything else.
    pub canon: String,
    pub origin: Origin,
    /// Share of the line's characters inside links (HTML), 0 for text dumps.
    pub link_density: f32,
    /// An HTML table row: `canon` holds the cells separated by tabs.
    pub is_table_row: bool,
}

impl PageLine {
    /// The line in the script it arrived in.
    pub fn as_received(&self) -> &str {
        self.original.as_deref().unwrap_or(&self.canon)
    }
}

/// What a line is.
#[derive(Clone, Debug)]
enum Kind {
    Blank,
    Chrome,
    ListHeader,
    ListItem,
    Nav,
    Meta(Box<MetaFields>),
    Table { numeric: bool, cells: Vec<String> },
    Prose,
    Heading,
}

/// The article read from a page.
#[derive(Debug, Default)]
pub struct Assembled {
    pub body: Vec<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub editor: Option<String>,
    /// Characters of chrome removed, and characters of body kept (for the chrome ratio).
    pub chrome_chars: usize,
    pub body_chars: usize,
}

/// Hints a container format already knows (HTML `<h1>`/`<meta>`, JSON fields).
#[derive(Debug, Default, Clone)]
pub struct Hints {
    pub title: Option<String>,
    pub published: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `3`, `-1.5`, `13,604,203`, `4.9%`, `−0.2`.
pub fn is_number(cell: &str) -> bool {
    let s = cell.trim();
    let s = s.strip_suffix('%').unwrap_or(s);
    let s = s.strip_prefix(['-', '+', '−']).unwrap_or(s);
    let mut digits = 0;
    let mut dots = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            ',' => {}
            _ => return false,
        }
    }
    digits > 0 && dots <= 1 && s.starts_with(|c: char| c.is_ascii_digit())
}

fn has_sentence_punct(s: &str) -> bool {
    s.contains(['。', '!', '?', ';', '!', '?', ';'])
}

fn starts_with_bullet(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with([
        '•', '·', '●', '▪', '◆', '■', '□', '○', '◇', '★', '☆', '>', '-', '*', '»',
    ]) || {
        // `1 headline`, `12. headline` in a ranked list
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        !digits.is_empty()
            && digits.len() <= 2
            && t[digits.len()..].starts_with([' ', '.', '、'])
            && !t[digits.len()..].starts_with(". ")
    }
}

/// Split a text-rendered table row into cells: `|`-delimited, or whitespace columns (two or
/// more spaces, or a tab). Spaced-out labels (`全    市`, `项    目`) become one cell.
fn split_cells(line: &str) -> Option<(Vec<String>, bool)> {
    let t = line.trim();
    if !t.contains(['|', '\t']) && !t.contains("  ") {
        return None;
    }
    if t.starts_with('|') && t.ends_with('|') && t.len() > 2 {
        let inner = &t[1..t.len() - 1];
        let cells: Vec<String> = inner.split('|').map(collapse_ws).collect();
        if cells.len() >= 2 {
            return Some((cells, true));
        }
        return None;
    }
    if t.matches('|').count() >= 2 {
        let cells: Vec<String> = t.split('|').map(collapse_ws).collect();
        return Some((cells, true));
    }
    let mut raw: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut spaces = 0usize;
    for c in t.chars() {
        if c == '\t' {
            spaces = 2;
        } else if c.is_whitespace() {
            spaces += 1;
        } else {
            if spaces >= 2 && !cur.is_empty() {
                raw.push(std::mem::take(&mut cur));
            } else if spaces == 1 && !cur.is_empty() {
                cur.push(' ');
            }
            spaces = 0;
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        raw.push(cur);
    }
    if raw.len() < 2 {
        return None;
    }
    // Join runs of single Han characters (`全`, `市`) into one label cell.
    let single_han = |s: &str| {
        let mut cs = s.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if is_han(c))
    };
    let mut cells: Vec<String> = Vec::new();
    for cell in raw {
        match cells.last_mut() {
            Some(last)
                if single_han(&cell)
                    && last.chars().all(is_han)
                    && last.split(' ').all(single_han) =>
            {
                last.push(' ');
                last.push_str(&cell);
            }
            _ => cells.push(cell),
        }
    }
    (cells.len() >= 2).then_some((cells, false))
}

fn chrome_marker_hit(line: &str, markers: &Markers) -> bool {
    let n = char_len(line);
    let sentence = n > 30 && has_sentence_punct(line);
    // In a long or sentence-like line only a marker at the very start counts: search a prefix.
    let line = if sentence || n > 100 {
        let end = line
            .char_indices()
            .nth(3 + 32)
            .map_or(line.len(), |(i, _)| i);
        &line[..end]
    } else {
        line
    };
    markers.chrome.find_iter(line).any(|m| {
        let before = char_len(&line[..m.start()]);
        before <= 3 || (!sentence && n <= 100)
    })
}

/// Cut tail boilerplate (`…growth.Declaration: The copyright…`); returns chars removed.
fn cut_tail(line: &mut String, markers: &Markers) -> usize {
    if let Some(m) = markers.tail.find(line.as_str()) {
        let removed = char_len(&line[m.start()..]);
        line.truncate(m.start());
        return removed;
    }
    0
}

fn is_nav(line: &str) -> bool {
    let t = line.trim();
    let pipes = t.matches('|').count();
    if pipes >= 2 || (pipes == 1 && char_len(t) <= 30) {
        let cells: Vec<&str> = t.split('|').map(str::trim).collect();
        if cells.iter().all(|c| char_len(c) <= 16 && !is_number(c)) {
            return true;
        }
    }
    let crumbs = t.matches('>').count() + t.matches('»').count();
    if crumbs >= 2 || (crumbs == 1 && t.ends_with('>')) {
        let cells: Vec<&str> = t.split(['>', '»']).map(str::trim).collect();
        if cells.iter().all(|c| char_len(c) <= 24) {
            return true;
        }
    }
    // A row of many short Han words with no punctuation: a channel list.
    let tokens: Vec<&str> = t.split_whitespace().collect();
    if tokens.len() >= 6
        && !has_sentence_punct(t)
        && !t.contains([',', ','])
        && tokens
            .iter()
            .all(|w| w.chars().any(is_han) && !w.chars().any(|c| c.is_ascii_digit()))
    {
        let avg = tokens.iter().map(|w| char_len(w)).sum::<usize>() / tokens.len();
        if avg <= 6 {
            return true;
        }
    }
    false
}

fn is_prose(line: &str) -> bool {
    let t = line.trim();
    let n = char_len(t);
    let han = t.chars().filter(|&c| is_han(c)).count();
    if han * 3 >= n.max(1) || han >= 10 {
        let commas = t.matches([',', ',', '、']).count();
        (n >= 8 && has_sentence_punct(t)) || commas >= 2 || n >= 50
    } else {
        let ends = t.ends_with(['.', '!', '?', ';', '"', '”']);
        (n >= 40 && (ends || t.contains(". "))) || n >= 200
    }
}

fn classify(line: &PageLine, markers: &Markers, chrome_chars: &mut usize) -> (Kind, String) {
    let mut canon = line.canon.clone();
    if canon.trim().is_empty() {
        return (Kind::Blank, canon);
    }
    if line.is_table_row {
        let cells: Vec<String> = canon.split('\t').map(collapse_ws).collect();
        let numeric = cells.iter().any(|c| is_number(c));
        if !numeric && chrome_marker_hit(&canon, markers) {
            return (Kind::Chrome, canon);
        }
        return (Kind::Table { numeric, cells }, canon);
    }
    let cut = cut_tail(&mut canon, markers);
    *chrome_chars += cut;
    if canon.trim().is_empty() {
        return (Kind::Chrome, line.canon.clone());
    }
    if markers.is_list_header(&canon) {
        return (Kind::ListHeader, canon);
    }
    // Metadata first: a date/source line often carries toolbar words (`字号`, `分享到`).
    let meta = parse_meta_line(&canon, markers);
    if let Some(m) = &meta {
        if m.has_values() {
            return (Kind::Meta(Box::new(m.clone())), canon);
        }
    }
    if chrome_marker_hit(&canon, markers) {
        return (Kind::Chrome, canon);
    }
    if line.link_density >= 0.5 && !is_prose(&canon) {
        return (Kind::Chrome, canon);
    }
    if let Some(m) = meta {
        return (Kind::Meta(Box::new(m)), canon);
    }
    if let Some((cells, piped)) = split_cells(&canon) {
        let numbers = cells.iter().filter(|c| is_number(c)).count();
        let long_prose = cells
            .iter()
            .any(|c| char_len(c) > 30 && has_sentence_punct(c));
        let table_like = !long_prose
            && (numbers >= 2
                || (numbers >= 1 && (cells.len() >= 3 || piped))
                || (piped && canon.trim().starts_with('|'))
                || (!piped && cells.iter().all(|c| char_len(c) <= 20)));
        if table_like
            && !(piped && numbers == 0 && is_nav(&canon) && !canon.trim().starts_with('|'))
        {
            let numeric = numbers >= 1;
            // a run of words without figures outside a pipe table may be navigation
            if !numeric && !piped && is_nav(&canon) {
                return (Kind::Nav, canon);
            }
            return (Kind::Table { numeric, cells }, canon);
        }
    }
    if is_nav(&canon) {
        return (Kind::Nav, canon);
    }
    if is_prose(&canon) {
        (Kind::Prose, canon)
    } else {
        (Kind::Heading, canon)
    }
}

/// Mark the lines under a related/hot/latest list header as list items, until real prose or an
/// article header (a metadata line, with the headline right above it) starts.
fn mark_lists(kinds: &mut [Kind], texts: &[String]) {
    let mut in_list = false;
    let mut last_item_heading: Option<usize> = None;
    for i in 0..kinds.len() {
        match &kinds[i] {
            Kind::ListHeader => {
                in_list = true;
                last_item_heading = None;
            }
            _ if !in_list => {}
            Kind::Meta(m) if m.has_values() => {
                in_list = false;
                // the headline above an article's date/source line is not a list item
                if let Some(j) = last_item_heading {
                    let between_quiet = kinds[j + 1..i]
                        .iter()
                        .all(|k| matches!(k, Kind::Blank | Kind::Chrome));
                    if between_quiet {
                        kinds[j] = Kind::Heading;
                    }
                }
            }
            Kind::Blank | Kind::Chrome | Kind::Nav | Kind::Meta(_) => {}
            Kind::Table { numeric: true, .. } => in_list = false,
            Kind::Prose => {
                let t = texts[i].trim();
                let ends = t.ends_with(['。', '!', '?', '.', '!', '?', '”', '"']);
                if !starts_with_bullet(t) && ends && char_len(t) >= 30 {
                    in_list = false;
                } else {
                    kinds[i] = Kind::ListItem;
                    last_item_heading = None;
                }
            }
            Kind::Heading => {
                kinds[i] = Kind::ListItem;
                last_item_heading = (!starts_with_bullet(&texts[i])).then_some(i);
            }
            _ => {
                kinds[i] = Kind::ListItem;
                last_item_heading = None;
            }
        }
    }
}

/// A `|`-separated row without figures that heads (or sits inside) a run of numeric `|` rows is
/// the table's header, not navigation.
fn mark_table_headers(kinds: &mut [Kind], texts: &[String]) {
    for i in 0..kinds.len() {
        if !matches!(kinds[i], Kind::Nav) || !texts[i].contains('|') {
            continue;
        }
        let cells: Vec<String> = texts[i]
            .trim()
            .trim_matches('|')
            .split('|')
            .map(collapse_ws)
            .collect();
        let neighbour_numeric = [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter_map(|j| kinds.get(j))
            .any(
                |k| matches!(k, Kind::Table { numeric: true, cells: c } if c.len() == cells.len()),
            );
        if neighbour_numeric {
            kinds[i] = Kind::Table {
                numeric: false,
                cells,
            };
        }
    }
}

fn is_anchor(kind: &Kind, line: &PageLine) -> bool {
    line.origin == Origin::Main && matches!(kind, Kind::Prose | Kind::Table { numeric: true, .. })
}

fn dedup_key(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn same_title(a: &str, b: &str) -> bool {
    let (a, b) = (dedup_key(a), dedup_key(b));
    !a.is_empty() && a == b
}

/// Classify the lines of a page and assemble the article.
pub fn assemble(lines: &[PageLine], hints: &Hints, markers: &Markers) -> Assembled {
    let mut out = Assembled::default();
    let mut kinds = Vec::with_capacity(lines.len());
    let mut texts = Vec::with_capacity(lines.len());
    for line in lines {
        let (k, t) = classify(line, markers, &mut out.chrome_chars);
        kinds.push(k);
        texts.push(t);
    }
    mark_table_headers(&mut kinds, &texts);
    mark_lists(&mut kinds, &texts);

    // Metadata: first labelled value wins, in page order.
    let mut explicit_title: Option<String> = None;
    let mut first_meta_idx: Option<usize> = None;
    let mut bare_date: Option<String> = None;
    let mut source_guess: Option<String> = None;
    for (i, k) in kinds.iter().enumerate() {
        if let Kind::Meta(m) = k {
            if first_meta_idx.is_none()
                && (m.published.is_some() || m.source.is_some() || m.source_guess.is_some())
            {
                first_meta_idx = Some(i);
            }
            if m.published_labelled {
                out.published = out.published.take().or(m.published.clone());
            } else if bare_date.is_none() {
                bare_date = m.published.clone();
            }
            out.source = out.source.take().or(m.source.clone());
            source_guess = source_guess.or(m.source_guess.clone());
            out.author = out.author.take().or(m.author.clone());
            out.editor = out.editor.take().or(m.editor.clone());
            if explicit_title.is_none() {
                if let Some(t) = &m.title {
                    // keep the title in the script it arrived in
                    explicit_title = Some(original_title(lines[i].as_received(), t));
                }
            }
        }
    }
    out.published = hints.published.clone().or(out.published).or(bare_date);
    out.source = hints.source.clone().or(out.source).or(source_guess);
    out.author = hints.author.clone().or(out.author.take());

    // Body span: first to last anchor, extended upward over a table's header lines.
    let first_anchor = (0..lines.len()).find(|&i| is_anchor(&kinds[i], &lines[i]));
    let last_anchor = (0..lines.len())
        .rev()
        .find(|&i| is_anchor(&kinds[i], &lines[i]));

    // Title: given, else labelled, else the heading above (or right below) the first
    // metadata line, else the last heading before the body.
    let heading_at = |i: usize| {
        let t = texts[i].trim();
        matches!(kinds[i], Kind::Heading)
            && char_len(t) <= 250
            && !(t.starts_with('【') && t.ends_with('】'))
    };
    let mut title_idx: Option<usize> = None;
    if hints.title.is_none() && explicit_title.is_none() {
        if let Some(mi) = first_meta_idx {
            let mut j = mi;
            while j > 0 {
                j -= 1;
                match kinds[j] {
                    Kind::Blank | Kind::Chrome => continue,
                    _ => {
                        if heading_at(j) {
                            title_idx = Some(j);
                        }
                        break;
                    }
                }
            }
            if title_idx.is_none() {
                let limit = first_anchor.unwrap_or(lines.len());
                title_idx = (mi + 1..limit.max(mi + 1))
                    .take_while(|&j| !matches!(kinds[j], Kind::Prose))
                    .find(|&j| heading_at(j));
            }
        }
        if title_idx.is_none() {
            if let Some(fa) = first_anchor {
                title_idx = (0..fa)
                    .rev()
                    .find(|&j| heading_at(j) && lines[j].origin == Origin::Main || heading_at(j));
            }
        }
    }
    out.title = hints
        .title
        .clone()
        .or(explicit_title)
        .or_else(|| title_idx.map(|i| collapse_ws(lines[i].as_received())))
        .filter(|t| !t.is_empty());
    let title_canon = title_idx
        .map(|i| texts[i].clone())
        .or_else(|| out.title.clone());

    let (Some(first), Some(last)) = (first_anchor, last_anchor) else {
        // No prose and no table: keep what is left of the page's own lines.
        let mut seen = HashSet::new();
        for (i, k) in kinds.iter().enumerate() {
            if lines[i].origin == Origin::Main && matches!(k, Kind::Heading | Kind::Table { .. }) {
                if title_canon
                    .as_deref()
                    .is_some_and(|t| same_title(t, &texts[i]))
                    || title_idx == Some(i)
                {
                    continue;
                }
                push_body(&mut out, k, &texts[i], &mut seen);
            } else {
                out.chrome_chars += char_len(&texts[i]);
            }
        }
        return out;
    };
    let mut start = first;
    if matches!(kinds[first], Kind::Prose) {
        // Section headings right above the first paragraph (`一、财政收支情况`) are body.
        let mut j = first;
        let mut taken = 0;
        while j > 0 && taken < 2 {
            j -= 1;
            match kinds[j] {
                Kind::Blank => continue,
                Kind::Heading
                    if Some(j) != title_idx
                        && lines[j].origin == Origin::Main
                        && !title_canon
                            .as_deref()
                            .is_some_and(|t| same_title(t, &texts[j]))
                        && char_len(&texts[j]) <= 40 =>
                {
                    start = j;
                    taken += 1;
                }
                _ => break,
            }
        }
    }
    if matches!(kinds[first], Kind::Table { .. }) {
        while start > 0 {
            let j = start - 1;
            let table_head = match &kinds[j] {
                Kind::Table { .. } => true,
                Kind::Heading => char_len(&texts[j]) <= 40 && Some(j) != title_idx,
                _ => false,
            };
            if table_head && lines[j].origin == Origin::Main {
                start = j;
            } else {
                break;
            }
        }
    }

    // Above the page's title line only substantial paragraphs and tables can be body (a copy of
    // the article may sit there, as in a page that repeats it); headings and short lines up
    // there are the site's.
    let header_end = title_idx.unwrap_or(0);
    let mut seen = HashSet::new();
    for i in 0..lines.len() {
        let above_title = i < header_end;
        let keep = i >= start
            && i <= last
            && lines[i].origin == Origin::Main
            && match &kinds[i] {
                Kind::Table { .. } => true,
                Kind::Prose => !above_title || char_len(&texts[i]) >= 40,
                Kind::Heading => {
                    !above_title
                        && Some(i) != title_idx
                        && !title_canon
                            .as_deref()
                            .is_some_and(|t| same_title(t, &texts[i]))
                }
                _ => false,
            };
        if keep {
            push_body(&mut out, &kinds[i], &texts[i], &mut seen);
        } else if !matches!(kinds[i], Kind::Meta(_)) {
            out.chrome_chars += char_len(texts[i].trim());
        }
    }
    out
}

/// The title as it arrived (original script) for a `【标题】X` line: the original line's value.
fn original_title(original_line: &str, canon_value: &str) -> String {
    let t = original_line.trim();
    let after = t
        .find('】')
        .map(|p| &t[p + '】'.len_utf8()..])
        .or_else(|| t.find(':').map(|p| &t[p + 1..]))
        .unwrap_or(canon_value);
    let v = collapse_ws(after);
    if v.is_empty() {
        canon_value.to_string()
    } else {
        v
    }
}

fn push_body(out: &mut Assembled, kind: &Kind, text: &str, seen: &mut HashSet<String>) {
    let line = match kind {
        Kind::Table { cells, .. } => cells.join("\t"),
        _ => {
            let t = collapse_ws(text);
            if t.bytes().any(|b| b.is_ascii_alphabetic()) {
                split_glued_sentences(&t)
            } else {
                t
            }
        }
    };
    if line.trim().is_empty() {
        return;
    }
    if matches!(kind, Kind::Prose | Kind::Heading) {
        let key = dedup_key(&line);
        if char_len(&key) >= 10 && !seen.insert(key) {
            out.chrome_chars += char_len(&line);
            return;
        }
    }
    out.body_chars += char_len(&line);
    out.body.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in ["3", "-1.5", "13604203", "4.9%", "−0.2", "1,794"] {
            assert!(is_number(n), "{n}");
        }
        for n in ["2017年5月", "--", "1-5月", "a1", "."] {
            assert!(!is_number(n), "{n}");
        }
    }

    #[test]
    fn whitespace_table_cells() {
        let (cells, piped) = split_cells(
            "全    市                  13604203        -1.5          68630320          4.4",
        )
        .unwrap();
        assert!(!piped);
        assert_eq!(cells, ["全 市", "13604203", "-1.5", "68630320", "4.4"]);
        let (cells, _) = split_cells("| 邮政业 |  |  |").unwrap();
        assert_eq!(cells, ["邮政业", "", ""]);
    }

    #[test]
    fn navigation_rows() {
        assert!(is_nav(
            "县市区共青城 | 进贤 | 吉水 | 南康 | 永修 | 南昌县 | 万载"
        ));
        assert!(is_nav("首页 > 走进潘集 > 社会发展"));
        assert!(is_nav(
            "集团报刊江西日报 信息日报 江南都市报 新法制报 大江网 新参考文摘 赣商杂志"
        ));
        assert!(!is_nav("| 生产总值 | 295.4 | 7.7 |"));
        assert!(!is_nav("●深化动力变革 ●优化政务服务 ●强化开发支撑"));
    }
}
