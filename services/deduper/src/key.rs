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

/// NFKC of `text`, borrowed when the text is already NFKC (one pass, no allocation).
pub fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => std::borrow::Cow::Borrowed(text),
        _ => std::borrow::Cow::Owned(text.nfkc().collect()),
    }
}

/// What one character of canonical text contributes to the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    /// This (NFKC, lower-cased) alphanumeric character.
    Keep(char),
    /// Nothing: whitespace, punctuation or a symbol.
    Drop,
    /// Not decided by the table: the text takes the general NFKC path.
    Slow,
}

/// The fast path of NFKC + lower case + "alphanumeric only" for the characters news text is
/// made of (ASCII, Han ideographs, CJK and full-width punctuation, full-width digits and
/// letters). A unit test checks it against the general path over whole Unicode blocks. It
/// avoids normalising the whole text when, as usual, it contains full-width punctuation
/// (`，` is not NFKC) but nothing else that NFKC changes in a way the key could see.
#[inline]
fn fast_fold(c: char) -> Fold {
    let u = c as u32;
    if u < 0x80 {
        return if c.is_ascii_alphanumeric() {
            Fold::Keep(c.to_ascii_lowercase())
        } else {
            Fold::Drop
        };
    }
    match u {
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF => Fold::Keep(c),
        // Full-width digits and letters: NFKC gives the ASCII ones.
        0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => match char::from_u32(u - 0xFEE0) {
            Some(a) => Fold::Keep(a.to_ascii_lowercase()),
            None => Fold::Slow,
        },
        0x80..=0xBF | 0x2000..=0x206F | 0x3000..=0x303F | 0xFE30..=0xFE6F | 0xFF00..=0xFFEF
            if !c.is_alphanumeric() =>
        {
            Fold::Drop
        }
        _ => Fold::Slow,
    }
}

/// Feed the key's characters of `text` to `emit` (`None` = a dropped character, i.e. a word
/// boundary). Returns false, having emitted a prefix, if the fast path can't decide.
fn fold_fast(text: &str, emit: &mut impl FnMut(Option<char>)) -> bool {
    for c in text.chars() {
        match fast_fold(c) {
            Fold::Keep(k) => emit(Some(k)),
            Fold::Drop => emit(None),
            Fold::Slow if is_stable_starter(c) => fold_char(c, emit),
            Fold::Slow => return false,
        }
    }
    true
}

/// A character NFKC leaves alone whatever surrounds it (quick check "yes", combining class 0:
/// it neither changes nor composes; a neighbour that could compose with it is not "yes" and
/// sends the text down the general path).
fn is_stable_starter(c: char) -> bool {
    unicode_normalization::char::canonical_combining_class(c) == 0
        && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// One normalised character: its lower case if alphanumeric, else a boundary.
fn fold_char(c: char, emit: &mut impl FnMut(Option<char>)) {
    if c.is_alphanumeric() {
        for l in c.to_lowercase() {
            emit(Some(l));
        }
    } else {
        emit(None);
    }
}

/// The general path: NFKC of the whole text, then alphanumerics lower-cased.
fn fold_general(text: &str, emit: &mut impl FnMut(Option<char>)) {
    for c in nfkc(text).chars() {
        fold_char(c, emit);
    }
}

/// Run `build` over the folded characters, fast path first; `reset` clears a partial build.
fn fold<B>(
    text: &str,
    mut state: B,
    reset: impl Fn(&mut B),
    emit: impl Fn(&mut B, Option<char>),
) -> B {
    let ok = fold_fast(text, &mut |c| emit(&mut state, c));
    if !ok {
        reset(&mut state);
        fold_general(text, &mut |c| emit(&mut state, c));
    }
    state
}

/// The dedup key of a canonical text, with the shingle mode its content calls for.
pub struct DedupKey {
    /// Han mode: the key string itself. Word mode: the words joined by single spaces.
    text: String,
    mode: ShingleMode,
    /// Byte offset where each token starts, plus a sentinel (Han mode: `text.len()`; word
    /// mode: `text.len() + 1`, as if a space followed the last word).
    starts: Vec<usize>,
}

#[derive(Default)]
struct CharsBuild {
    key: String,
    starts: Vec<usize>,
    han: usize,
    non_han_words: usize,
    in_word: bool,
}

#[derive(Default)]
struct WordsBuild {
    key: String,
    starts: Vec<usize>,
    in_word: bool,
}

impl DedupKey {
    /// Build the key of a canonical text.
    pub fn new(canonical: &str) -> Self {
        let chars = fold(
            canonical,
            CharsBuild {
                key: String::with_capacity(canonical.len()),
                starts: Vec::with_capacity(canonical.len() / 2),
                ..CharsBuild::default()
            },
            |b| *b = CharsBuild::default(),
            |b, c| match c {
                Some(k) => {
                    b.starts.push(b.key.len());
                    b.key.push(k);
                    if is_han(k) {
                        b.han += 1;
                        b.in_word = false;
                    } else if !b.in_word {
                        b.non_han_words += 1;
                        b.in_word = true;
                    }
                }
                None => b.in_word = false,
            },
        );
        if chars.han > 0 && chars.han >= chars.non_han_words {
            let mut starts = chars.starts;
            starts.push(chars.key.len());
            return DedupKey {
                text: chars.key,
                mode: ShingleMode::Chars,
                starts,
            };
        }
        let words = fold(
            canonical,
            WordsBuild {
                key: String::with_capacity(canonical.len()),
                ..WordsBuild::default()
            },
            |b| *b = WordsBuild::default(),
            |b, c| match c {
                Some(k) => {
                    // A Han character is a word of its own.
                    let han = is_han(k);
                    if han || !b.in_word {
                        if !b.key.is_empty() {
                            b.key.push(' ');
                        }
                        b.starts.push(b.key.len());
                    }
                    b.key.push(k);
                    b.in_word = !han;
                }
                None => b.in_word = false,
            },
        );
        let mut starts = words.starts;
        starts.push(words.key.len() + 1);
        DedupKey {
            text: words.key,
            mode: ShingleMode::Words,
            starts,
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
    fn fast_path_agrees_with_nfkc_over_the_blocks_it_covers() {
        let blocks = [
            0x00..0x3000u32,
            0x2000..0x2070,
            0x3000..0x3040,
            0x3400..0x3500,
            0x4E00..0x9FFF,
            0xFE30..0xFE70,
            0xFF00..0xFFF0,
            0x1F000..0x1F700,
        ];
        for c in blocks.into_iter().flatten().filter_map(char::from_u32) {
            let s = c.to_string();
            let mut general = String::new();
            fold_general(&s, &mut |k| general.extend(k));
            let mut fast = String::new();
            if fold_fast(&s, &mut |k| fast.extend(k)) {
                assert_eq!(fast, general, "U+{:04X}", c as u32);
            } else {
                assert!(!matches!(fast_fold(c), Fold::Keep(_) | Fold::Drop));
            }
        }
    }

    #[test]
    fn texts_needing_the_general_path_give_the_same_kind_of_key() {
        // U+F900 is a compatibility ideograph (NFKC maps it to U+8C48); "e\u{301}" composes.
        let k = DedupKey::new("Cafe\u{301} \u{f900} ２０２２");
        assert_eq!(k.as_str(), "caf\u{e9} \u{8c48} 2022");
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
