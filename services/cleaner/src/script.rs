//! Language and script: `zh` or `en`, and for Chinese whether it arrived in Traditional (`Hant`)
//! or Simplified (`Hans`) characters. Traditional text is converted to Simplified for the
//! canonical text with OpenCC's `t2s` tables (ferrous-opencc, Apache-2.0); `script` keeps what
//! was received. The `tw2s` configuration is used: it reads OpenCC-standard, Taiwan and Hong Kong
//! forms alike (`為`/`爲`, `著力`/`着力`), so a page converted by any of them comes back the same.
//! Detection looks characters up in a bitset derived from the same tables, since conversion
//! itself runs at single-digit MB/s and only Traditional pages need it.

use crate::normalize::is_han;
use ferrous_opencc::{config::BuiltinConfig, OpenCC};
use newsflow_shared::records::{Lang, Script};
use std::sync::LazyLock;

static T2S: LazyLock<Option<OpenCC>> =
    LazyLock::new(|| OpenCC::from_config(BuiltinConfig::Tw2s).ok());

/// Han characters looked at to decide the script.
const SAMPLE_HAN: usize = 600;

/// Share (per mille) of Han characters that must change under t2s for a text to be Traditional.
/// Simplified text changes at well under 1% (a few characters shared by both scripts are
/// normalised by the tables); Traditional news text changes at 15–30%.
const HANT_PER_MILLE: usize = 40;

/// Traditional → Simplified; the text unchanged when the tables failed to load.
pub fn to_simplified(text: &str) -> String {
    match T2S.as_ref() {
        Some(cc) => cc.convert(text),
        None => text.to_string(),
    }
}

/// Language of a text, by Han characters against Latin letters (a Han character carries about
/// as much as an English word of four or five letters).
pub fn detect_lang(text: &str) -> Lang {
    let mut han = 0usize;
    let mut latin = 0usize;
    for c in text.chars() {
        if is_han(c) {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if han * 4 >= latin && han > 0 {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// Han characters (U+3400..U+9FFF) that OpenCC changes when converting to Simplified, i.e.
/// characters that only Traditional text uses: a bitset built once from the tables themselves.
static TRADITIONAL_ONLY: LazyLock<Vec<u64>> = LazyLock::new(|| {
    const FIRST: u32 = 0x3400;
    const LAST: u32 = 0x9FFF;
    let mut bits = vec![0u64; ((LAST - FIRST + 1) as usize).div_ceil(64)];
    let all: String = (FIRST..=LAST)
        .filter_map(char::from_u32)
        .flat_map(|c| [c, '\n'])
        .collect();
    let converted = to_simplified(&all);
    for (orig, conv) in all.split('\n').zip(converted.split('\n')) {
        if let Some(c) = orig.chars().next() {
            if orig != conv {
                let i = (c as u32 - FIRST) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
    }
    bits
});

fn is_traditional_only(c: char) -> bool {
    let cp = c as u32;
    if !(0x3400..=0x9FFF).contains(&cp) {
        return false;
    }
    let i = (cp - 0x3400) as usize;
    TRADITIONAL_ONLY
        .get(i / 64)
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// Script of a Chinese text as received, and its Simplified form (`None` when it already is).
/// Decided on the first Han characters by how many are Traditional-only.
pub fn detect_script(text: &str) -> (Script, Option<String>) {
    let mut han = 0usize;
    let mut traditional = 0usize;
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            traditional += usize::from(is_traditional_only(c));
            if han == SAMPLE_HAN {
                break;
            }
        }
    }
    if han == 0 {
        return (Script::Latn, None);
    }
    if traditional * 1000 >= han * HANT_PER_MILLE {
        (Script::Hant, Some(to_simplified(text)))
    } else {
        (Script::Hans, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_traditional_and_converts() {
        let (s, simp) = detect_script("一季度,鐘祥市抓超常措施激能,全力以赴穩工業增長。");
        assert_eq!(s, Script::Hant);
        assert_eq!(
            simp.unwrap(),
            "一季度,钟祥市抓超常措施激能,全力以赴稳工业增长。"
        );
        let (s, simp) = detect_script("一季度,钟祥市抓超常措施激能,全力以赴稳工业增长。");
        assert_eq!(s, Script::Hans);
        assert!(simp.is_none());
    }

    #[test]
    fn language() {
        assert_eq!(
            detect_lang("Since this year, Huai'an Industrial Park has grown"),
            Lang::En
        );
        assert_eq!(detect_lang("今年以来,萍乡经开区以打好GDP"), Lang::Zh);
    }
}
