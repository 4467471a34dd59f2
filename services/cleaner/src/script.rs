//! Language and script: `zh` or `en`, and for Chinese whether it arrived in Traditional (`Hant`)
//! or Simplified (`Hans`) characters. Traditional text is converted to Simplified for the
//! canonical text with OpenCC's `t2s` tables (ferrous-opencc, Apache-2.0); `script` keeps what
//! was received. The `tw2s` configuration is used: it reads OpenCC-standard, Taiwan and Hong Kong
//! forms alike (`為`/`爲`, `著力`/`着力`), so a page converted by any of them comes back the same.
//! Detection converts only a sample, since conversion runs at single-digit MB/s.

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

/// Script of a Chinese text as received, and its Simplified form (`None` when it already is).
pub fn detect_script(text: &str) -> (Script, Option<String>) {
    let mut han = 0usize;
    let mut sample_end = text.len();
    for (i, c) in text.char_indices() {
        if is_han(c) {
            han += 1;
            if han == SAMPLE_HAN {
                sample_end = i + c.len_utf8();
                break;
            }
        }
    }
    if han == 0 {
        return (Script::Latn, None);
    }
    let sample = &text[..sample_end];
    let simplified = to_simplified(sample);
    let changed = sample
        .chars()
        .zip(simplified.chars())
        .filter(|(a, b)| a != b && is_han(*a))
        .count();
    if changed * 1000 >= han * HANT_PER_MILLE {
        let full = if sample_end == text.len() {
            simplified
        } else {
            to_simplified(text)
        };
        (Script::Hant, Some(full))
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
