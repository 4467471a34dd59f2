//! The dedup key and its shingles: what two copies of one story have in common once the
//! differences that carry no meaning (width, case, spacing, punctuation style) are gone.
//!
//! Key = canonical text → NFKC → lower case → only alphanumeric characters kept (whitespace,
//! punctuation and symbols dropped). Shingles are 5-grams of tokens:
//! * Han text: every character of the key is a token (character 5-grams);
//! * other text (English): words, i.e. maximal alphanumeric runs (word 5-grams).
//!
//! The mode is chosen from the content, not from the `lang` field, so a mislabelled article is
//! still shingled sensibly: Han mode when the text has at least as many Han characters as
//! non-Han words. A text with fewer than five tokens has one shingle, itself (if non-empty).
//!
//! Each shingle is hashed once with xxh3-64 (stable across versions and machines; the
//! signatures built from these hashes are stored in the KV bucket).

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::xxh3_64;

/// Tokens per shingle.
pub const SHINGLE_SIZE: usize = 5;

/// How a key is cut into tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShingleMode {
    /// One token per character (Han text).
    Chars,
    /// One token per word (alphanumeric run).
    Words,
}

/// Whether `c` is a Han ideograph (CJK unified ideographs, extensions, compatibility block).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// NFKC of `text`, borrowed when the text is already NFKC (the common case: the cleaner has
/// folded widths already), so the check costs one pass and no allocation.
pub fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => std::borrow::Cow::Borrowed(text),
        _ => std::borrow::Cow::Owned(text.nfkc().collect()),
    }
}

/// The dedup key of a canonical text, with the shingle mode its content calls for.
pub struct DedupKey {
    /// Han mode: the key string itself. Word mode: the words joined by single spaces.
    text: String,
    mode: ShingleMode,
    /// Byte offset where each token starts, plus `text.len()` as a sentinel (Words mode:
    /// the offset one past each word's end is `starts[i+1] - 1`).
    starts: Vec<usize>,
}

impl DedupKey {
    /// Build the key of a canonical text.
    pub fn new(canonical: &str) -> Self {
        let normalized = nfkc(canonical);
        let mut chars_key = String::with_capacity(normalized.len());
        let mut words_key = String::with_capacity(normalized.len());
        let mut han = 0usize;
        let mut non_han_words = 0usize;
        let mut in_word = false;
        for c in normalized.chars() {
            if c.is_alphanumeric() {
                if is_han(c) {
                    han += 1;
                    // A Han character is a word of its own in word mode too.
                    if !words_key.is_empty() {
                        words_key.push(' ');
                    }
                    words_key.push(c);
                    in_word = false;
                } else {
                    if !in_word {
                        non_han_words += 1;
                        if !words_key.is_empty() {
                            words_key.push(' ');
                        }
                        in_word = true;
                    }
                    for l in c.to_lowercase() {
                        words_key.push(l);
                    }
                }
                for l in c.to_lowercase() {
                    chars_key.push(l);
                }
            } else {
                in_word = false;
            }
        }
        if han > 0 && han >= non_han_words {
            let mut starts: Vec<usize> = chars_key.char_indices().map(|(i, _)| i).collect();
            starts.push(chars_key.len());
            DedupKey {
                text: chars_key,
                mode: ShingleMode::Chars,
                starts,
            }
        } else {
            let mut starts = vec![];
            let mut prev_space = true;
            for (i, c) in words_key.char_indices() {
                if c == ' ' {
                    prev_space = true;
                } else if prev_space {
                    starts.push(i);
                    prev_space = false;
                }
            }
            // Sentinel: as if a space followed the last word.
            starts.push(words_key.len() + 1);
            DedupKey {
                text: words_key,
                mode: ShingleMode::Words,
                starts,
            }
        }
    }

    pub fn mode(&self) -> ShingleMode {
        self.mode
    }

    /// The key string (Han mode) or the space-joined words (word mode).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Number of tokens (characters or words).
    pub fn tokens(&self) -> usize {
        self.starts.len() - 1
    }

    /// The shingles as string slices of the key, in order, duplicates included.
    pub fn shingles(&self) -> impl Iterator<Item = &str> + '_ {
        let n = self.tokens();
        let count = if n == 0 {
            0
        } else {
            n.saturating_sub(SHINGLE_SIZE) + 1
        };
        let width = SHINGLE_SIZE.min(n);
        (0..count).map(move |i| {
            let start = self.starts[i];
            let end = match self.mode {
                ShingleMode::Chars => self.starts[i + width],
                // The next word starts one byte after this one's trailing space.
                ShingleMode::Words => self.starts[i + width] - 1,
            };
            &self.text[start..end]
        })
    }

    /// xxh3-64 of every shingle, in order (duplicates included; MinHash ignores them).
    pub fn shingle_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.shingles().map(|s| xxh3_64(s.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_text_gives_character_shingles_without_punctuation() {
        let k = DedupKey::new("今年上半年，GDP 增长12.3%。");
        assert_eq!(k.mode(), ShingleMode::Chars);
        assert_eq!(k.as_str(), "今年上半年gdp增长123");
        let sh: Vec<&str> = k.shingles().collect();
        assert_eq!(sh[0], "今年上半年");
        assert_eq!(sh[1], "年上半年g");
        assert_eq!(sh.len(), k.tokens() - 4);
    }

    #[test]
    fn english_text_gives_word_shingles_lower_cased() {
        let k = DedupKey::new("The  Park's output rose 8.8%, to $3.26 billion.");
        assert_eq!(k.mode(), ShingleMode::Words);
        let sh: Vec<&str> = k.shingles().collect();
        assert_eq!(sh[0], "the park s output rose");
        assert_eq!(sh.last().copied(), Some("8 to 3 26 billion"));
    }

    #[test]
    fn width_case_spacing_and_punctuation_do_not_change_the_key() {
        let a = DedupKey::new("ＧＤＰ增长１２．３％，“稳中向好”。");
        let b = DedupKey::new("gdp 增长 12.3% \"稳中向好\"");
        assert_eq!(a.as_str(), b.as_str());
    }

    #[test]
    fn short_and_empty_texts() {
        let k = DedupKey::new("你好");
        assert_eq!(k.shingles().collect::<Vec<_>>(), vec!["你好"]);
        let k = DedupKey::new("one two");
        assert_eq!(k.shingles().collect::<Vec<_>>(), vec!["one two"]);
        let k = DedupKey::new(" ，。 ");
        assert_eq!(k.shingles().count(), 0);
    }

    #[test]
    fn hashes_are_stable_across_versions() {
        // xxh3-64 of a fixed shingle: if this changes, stored signatures are invalid.
        let k = DedupKey::new("今年上半年");
        assert_eq!(
            k.shingle_hashes().next(),
            Some(xxh3_64("今年上半年".as_bytes()))
        );
        assert_eq!(xxh3_64(b"abcde"), 0x55c6_5158_ee9e_652d);
    }
}
