//! Generated copies of corpus articles, the kinds a newsroom feed really carries: the same story
//! re-posted inside another site's chrome, a Traditional-script copy, and next month's edition
//! of a template bulletin (same wording, other figures, possibly another region).

/// The article as a portal page: navigation, breadcrumb, share widget, related list, footer.
/// The first non-empty line is the title; a `来源`/`Source` line becomes page metadata.
pub fn html_repost(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let title = html_escape(lines.next().unwrap_or_default());
    let mut body = String::new();
    for l in lines {
        let l = html_escape(l);
        if l.starts_with("来源") || l.starts_with("Source") {
            body.push_str(&format!(
                "<div class=\"info\">{l} &nbsp; 字号:<a>大</a> <a>中</a> <a>小</a></div>\n"
            ));
        } else {
            body.push_str(&format!("<p>{l}</p>\n"));
        }
    }
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_新闻中心</title></head>\n\
         <body><div class=\"nav\"><a href=\"/\">首页</a> | <a href=\"/news/\">新闻</a> | <a href=\"/gov/\">政务</a></div>\n\
         <div class=\"breadcrumb\">当前位置:<a href=\"/\">首页</a> &gt; 新闻 &gt; 正文</div>\n\
         <div class=\"article\"><h1>{title}</h1>\n{body}</div>\n\
         <div class=\"share\">分享到:微信 微博 QQ空间</div>\n\
         <div class=\"related\"><h3>相关阅读</h3><ul><li><a href=\"/1\">开发区一季度经济运行平稳</a></li>\
         <li><a href=\"/2\">全市重点项目建设推进会召开</a></li></ul></div>\n\
         <div class=\"footer\">新闻热线:029-88888888 版权所有 © 新闻网</div></body></html>"
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The text in Traditional script (OpenCC `s2t`).
pub fn traditional(text: &str) -> String {
    ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t)
        .expect("OpenCC s2t configuration")
        .convert(text)
}

/// Next edition of a template bulletin: the last digit of every decimal figure (`1291.92`,
/// `6.2`) moved by `step` (1–9). `None` when the text has no decimal figure to change.
pub fn new_edition(text: &str, step: u8) -> Option<String> {
    let step = step % 10;
    if step == 0 {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() && (i == 0 || !(chars[i - 1].is_ascii_digit() || chars[i - 1] == '.'))
        {
            // One number: digits, '.', digits.
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let has_fraction =
                j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit();
            if has_fraction {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                let last = chars[j - 1].to_digit(10).unwrap_or(0) as u8;
                let bumped = char::from(b'0' + (last + step) % 10);
                out.extend(&chars[i..j - 1]);
                out.push(bumped);
                changed = true;
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// The region an article is about, renamed: the most frequent three-character Han place name
/// ending in 区/县/市 replaced everywhere by `new_stem` + the same suffix. `None` when no such
/// name occurs.
pub fn rename_region(text: &str, new_stem: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let is_han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for w in chars.windows(3) {
        if is_han(w[0]) && is_han(w[1]) && matches!(w[2], '区' | '县' | '市') {
            // Skip words that only look like places (全市, 城区, 本市, …).
            let name: String = w.iter().collect();
            if !["全", "城", "本", "该", "各", "市", "地", "县", "辖", "园"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                *counts.entry(name).or_insert(0) += 1;
            }
        }
    }
    let (name, _) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    let suffix = name.chars().last()?;
    Some(text.replace(&name, &format!("{new_stem}{suffix}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editions_change_only_decimal_figures() {
        assert_eq!(
            new_edition("2025年GDP 1291.92亿元,增长6.2%,第3名", 1).as_deref(),
            Some("2025年GDP 1291.93亿元,增长6.3%,第3名")
        );
        assert_eq!(new_edition("2025年第3名", 1), None);
        assert_eq!(new_edition("9.9", 2).as_deref(), Some("9.1"));
    }

    #[test]
    fn the_most_frequent_place_is_renamed() {
        let t = "涪陵区统计局:涪陵区GDP增长,全市第一,长寿区次之。";
        assert_eq!(
            rename_region(t, "临江").as_deref(),
            Some("临江区统计局:临江区GDP增长,全市第一,长寿区次之。")
        );
        assert_eq!(rename_region("no places", "临江"), None);
    }
}
