//! Character-level normalisation of the canonical text: full-width ASCII folded to ASCII (but not
//! full NFKC: `㎡` and `①` stay), pinyin annotations after Han characters removed, whitespace
//! collapsed, and English sentences glued by a missing space after a full stop split. None of
//! these ever changes a digit or a decimal point.

/// Is `c` a Han ideograph (CJK Unified Ideographs and extensions, compatibility ideographs)?
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3007)
}

/// Fold full-width ASCII (U+FF01..U+FF5E) to ASCII and ideographic/no-break spaces to a space.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 | 0x00A0 | 0x2002..=0x200A | 0x202F | 0x205F => ' ',
            0x200B..=0x200D | 0xFEFF => '\u{200B}',
            _ => c,
        })
        .filter(|&c| c != '\u{200B}')
        .collect()
}

fn is_pinyin_letter(c: char) -> bool {
    c.is_ascii_lowercase() || is_tone_vowel(c) || c == 'ü'
}

fn is_tone_vowel(c: char) -> bool {
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ".contains(c)
}

/// Find pinyin annotations `漢(hàn)`: returns (start, end) byte ranges of the `(…)` parts and
/// whether each carries a tone mark.
fn pinyin_spans(text: &str) -> Vec<(usize, usize, bool, bool)> {
    let mut spans = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '(' && prev.is_some_and(|p| !p.is_whitespace() && p != '(') {
            let after_han = prev.is_some_and(is_han);
            let rest = &text[i + 1..];
            let mut len = 0usize;
            let mut letters = 0usize;
            let mut toned = false;
            let mut closed = None;
            for (j, d) in rest.char_indices() {
                if d == ')' {
                    closed = Some(j);
                    break;
                }
                if !is_pinyin_letter(d) || letters >= 7 {
                    break;
                }
                letters += 1;
                toned |= is_tone_vowel(d);
                len = j + d.len_utf8();
            }
            if let Some(j) = closed {
                if letters > 0 && j == len {
                    spans.push((i, i + 1 + j + 1, toned, after_han));
                }
            }
        }
        prev = Some(c);
    }
    spans
}

/// Remove pinyin annotations after Han characters (`進(jìn)` → `進`). Annotations with a tone
/// mark always go; toneless ones (`(de)`) only when the text carries at least two toned ones,
/// so that `(GDP)`, `(djwpxpd)` or `(记者吴申良)` in an ordinary text stay. In an annotated text a
/// toned annotation after a mis-encoded character (`髽I(yè)`) goes too.
pub fn strip_pinyin(text: &str) -> String {
    let spans = pinyin_spans(text);
    if spans.is_empty() {
        return text.to_string();
    }
    let toned = spans.iter().filter(|s| s.2 && s.3).count();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e, t, after_han) in spans {
        // after a Han character: toned always, toneless in an annotated text; after anything
        // else (a mis-encoded character) only toned ones in an annotated text
        let strip = if after_han {
            t || toned >= 2
        } else {
            t && toned >= 2
        };
        if strip {
            out.push_str(&text[last..s]);
            last = e;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Collapse runs of whitespace to one space and trim.
pub fn collapse_ws(text: &str) -> String {
    // Word slices copied whole, not char by char: this runs on every line of every page.
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Split English sentences glued by a missing space after a full stop: `start.First,` →
/// `start. First,`, `significantly.83 projects` → `significantly. 83 projects`. The stop must
/// follow a word of two or more lower-case letters (or a closing `%`, `)`, `”`, quote) and be
/// followed by an upper-case letter or a digit; `3.26`, `U.S.`, `e.g.` and `www.x.com` stay.
pub fn split_glued_sentences(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        if c != '.' || i == 0 || i + 1 >= chars.len() {
            continue;
        }
        let next = chars[i + 1];
        if !(next.is_ascii_uppercase() || next.is_ascii_digit() || next == '“') {
            continue;
        }
        let prev = chars[i - 1];
        let glued = if prev.is_ascii_lowercase() {
            // the word before the stop: at least two lower-case letters
            let mut k = i;
            let mut n = 0;
            while k > 0 && chars[k - 1].is_ascii_alphabetic() {
                k -= 1;
                n += 1;
            }
            // `start.First`, `Phoenix.Centering`: the word ends in lower case
            let word_lower = chars[i - 2].is_ascii_lowercase();
            // not a domain (`jiupainews.com`) nor an abbreviation chain (`e.g.`)
            let dotted = k > 0 && chars[k - 1] == '.';
            n >= 2 && word_lower && !dotted
        } else if prev.is_ascii_digit() {
            // `in 2018.The` but never `3.26`
            next.is_ascii_uppercase()
        } else {
            matches!(prev, '%' | ')' | '”' | '"' | '\'' | '’')
        };
        if glued {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_folding_keeps_symbols() {
        assert_eq!(fold_width("１２３ＡＢｃ,(上年)　㎡①"), "123ABc,(上年) ㎡①");
    }

    #[test]
    fn pinyin_removed_real_parentheses_kept() {
        assert_eq!(
            strip_pinyin("抓技改進(jìn)規(guī)提能,增長(zhǎng)點(diǎn)"),
            "抓技改進規提能,增長點"
        );
        assert_eq!(strip_pinyin("(上年同期累计=100)"), "(上年同期累计=100)");
        assert_eq!(
            strip_pinyin("(韩睿佳、记者吴申良)今年"),
            "(韩睿佳、记者吴申良)今年"
        );
        assert_eq!(strip_pinyin("生产总值(GDP)增长"), "生产总值(GDP)增长");
        assert_eq!(strip_pinyin("公众号(djwpxpd)"), "公众号(djwpxpd)");
        assert_eq!(strip_pinyin("超額(é)完成"), "超額完成");
    }

    #[test]
    fn glued_sentences_split_numbers_untouched() {
        assert_eq!(
            split_glued_sentences("a stable and good start.First, the whole"),
            "a stable and good start. First, the whole"
        );
        assert_eq!(
            split_glued_sentences("fell back significantly.83 projects"),
            "fell back significantly. 83 projects"
        );
        assert_eq!(
            split_glued_sentences("grew 3.26% in the U.S. and"),
            "grew 3.26% in the U.S. and"
        );
        assert_eq!(
            split_glued_sentences("by 22.5%.The zone"),
            "by 22.5%. The zone"
        );
        assert_eq!(
            split_glued_sentences("jp.jiupainews.com"),
            "jp.jiupainews.com"
        );
        assert_eq!(
            split_glued_sentences("Industry 4.0 and e.g.5"),
            "Industry 4.0 and e.g.5"
        );
        assert_eq!(
            split_glued_sentences("in 2018.The park"),
            "in 2018. The park"
        );
    }

    #[test]
    fn whitespace() {
        assert_eq!(collapse_ws("  a \t b\u{3000}c  "), "a b c");
        assert_eq!(collapse_ws(&fold_width("  a \t b\u{3000}c  ")), "a b c");
    }
}
